#include "probe/ptcall.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
/* Larger than any x86 XSAVE area (AMX's TILEDATA makes it about 11 KiB);
 * the kernel shortens iov_len to the real size. */
#define XSTATE_MAX (64u << 10)
#define RED_ZONE   128u
#define MAX_THREADS_SCANNED 100000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The system call a thread is blocked in (/proc/PID/task/TID/syscall's
 * first field), or -1 when it runs in user space or cannot be read. */
static long blocked_syscall(pid_t pid, pid_t tid)
{
	char path[80], buf[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *end;
	long nr = strtol(buf, &end, 10);
	return end == buf || nr < 0 ? -1 : nr;
}

/* Prefer the main thread when it is blocked in a system call, then any
 * thread that is, then the main thread. */
static pid_t choose_thread(pid_t pid, int *in_syscall)
{
	*in_syscall = blocked_syscall(pid, pid) >= 0;
	if (*in_syscall)
		return pid;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	pid_t best = pid;
	if (!d)
		return pid;
	struct dirent *de;
	for (int i = 0; i < MAX_THREADS_SCANNED && (de = readdir(d)); i++) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid > 0 && blocked_syscall(pid, tid) >= 0) {
			best = tid;
			*in_syscall = 1;
			break;
		}
	}
	closedir(d);
	return best;
}

/* Wait for the next stop or end of tid, polling so that a deadline or an
 * interruption is noticed.  Returns 1 with *status, 0 when the deadline
 * passed or *interrupted was set first (deadline < 0: none), -1 on error. */
static int wait_stop(pid_t tid, int *status, double deadline, volatile sig_atomic_t *interrupted)
{
	for (;;) {
		pid_t w = waitpid(tid, status, __WALL | WNOHANG);
		if (w == tid)
			return 1;
		if (w < 0 && errno != EINTR)
			return -1;
		if ((deadline >= 0 && now_s() >= deadline) || (interrupted && *interrupted))
			return 0;
		struct timespec ts = { 0, 1000000 };   /* 1 ms */
		nanosleep(&ts, NULL);
	}
}

static int is_event_stop(int st)
{
	return WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP;
}

/* Interrupt tid and wait for the resulting stop, letting ordinary signals
 * that arrive first through to the thread.  1 stopped, -1 gone/error. */
static int interrupt_and_wait(pid_t tid, int *status)
{
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return -1;
	for (int i = 0; i < 1000; i++) {
		if (wait_stop(tid, status, now_s() + 10, NULL) != 1)
			return -1;
		if (!WIFSTOPPED(*status))
			return -1;
		if (is_event_stop(*status) || WSTOPSIG(*status) == SIGSEGV || WSTOPSIG(*status) == SIGTRAP)
			return 1;
		/* A signal for the program: hand it over, wait for our stop. */
		if (ptrace(PTRACE_CONT, tid, 0, (void *)(long)WSTOPSIG(*status)) < 0)
			return -1;
	}
	return -1;
}

/* Where a call may be abandoned: blocked in a system call other than the
 * memory ones.  glibc's allocator holds an arena lock only around brk,
 * mmap, munmap, mprotect, mremap and madvise (sysmalloc, systrim, mtrim,
 * heap_trim); any other blocking call -- futex above all, waiting for an
 * arena lock -- means no lock of the call's own is held. */
static int safe_to_abandon(long long nr)
{
	switch (nr) {
	case SYS_brk: case SYS_mmap: case SYS_munmap: case SYS_mprotect:
	case SYS_mremap: case SYS_madvise:
		return 0;
	default:
		return nr >= 0;
	}
}

struct saved {
	struct user_regs_struct regs;
	unsigned char *xstate;
	size_t xlen;
};

static int restore(pid_t tid, const struct saved *s, struct ms_ptcall *out)
{
	if (ptrace(PTRACE_SETREGS, tid, 0, &s->regs) < 0)
		return -1;
	if (s->xlen) {
		struct iovec iov = { s->xstate, s->xlen };
		out->xstate_restored = ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov) == 0;
	}
	return 0;
}

int ms_ptrace_call(pid_t pid, uint64_t fn, const uint64_t *args, int nargs,
		   int timeout_ms, volatile sig_atomic_t *interrupted,
		   struct ms_ptcall *out, struct ms_err *e)
{
	memset(out, 0, sizeof *out);
	if (nargs < 0 || nargs > 6)
		return ms_err_set(e, EINVAL, NULL, NULL, "ptrace call with %d arguments", nargs);
	pid_t tid = choose_thread(pid, &out->in_syscall);
	out->tid = tid;
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0)
		return ms_err_set(e, errno, NULL,
				  errno == EPERM ? "run as root or as the process owner; check kernel.yama.ptrace_scope and CAP_SYS_PTRACE"
						 : "check the PID with ps",
				  "ptrace attach to thread %d of process %d", (int)tid, (int)pid);
	struct saved s = { .xstate = malloc(XSTATE_MAX) };
	int status, rc = -1;
	if (!s.xstate) {
		ms_err_set(e, ENOMEM, NULL, NULL, "ptrace call");
		goto detach;
	}
	if (interrupt_and_wait(tid, &status) < 0) {
		ms_err_set(e, ESRCH, NULL, "it exited or another tracer took it", "thread %d of process %d", (int)tid, (int)pid);
		goto detach_gone;
	}
	if (ptrace(PTRACE_GETREGS, tid, 0, &s.regs) < 0) {
		ms_err_set(e, errno, NULL, NULL, "reading the registers of thread %d", (int)tid);
		goto detach;
	}
	struct iovec iov = { s.xstate, XSTATE_MAX };
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) == 0)
		s.xlen = out->xstate_bytes = iov.iov_len;

	/* The call frame: below the red zone, 16-byte aligned before the
	 * return address is pushed, as the ABI wants at a call. */
	struct user_regs_struct r = s.regs;
	uint64_t sp = ((s.regs.rsp - RED_ZONE - 256) & ~(uint64_t)15) - 8;
	if (ptrace(PTRACE_POKEDATA, tid, (void *)sp, (void *)0) < 0) {
		ms_err_set(e, errno, NULL, NULL, "writing the return address on thread %d's stack", (int)tid);
		goto detach;
	}
	unsigned long long *argreg[6] = { &r.rdi, &r.rsi, &r.rdx, &r.rcx, &r.r8, &r.r9 };
	for (int i = 0; i < nargs; i++)
		*argreg[i] = args[i];
	r.rsp = sp;
	r.rip = fn;
	r.rax = 0;
	r.orig_rax = (unsigned long long)-1;  /* no system-call restart on this resume */
	r.eflags &= ~(1ull << 10);            /* DF clear, as at any call */
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) < 0) {
		ms_err_set(e, errno, NULL, NULL, "setting up the call on thread %d", (int)tid);
		goto detach;
	}

	double t0 = now_s(), deadline = t0 + timeout_ms / 1000.0;
	int sig = 0, abandon = 0;
	for (;;) {
		if (ptrace(PTRACE_CONT, tid, 0, (void *)(long)sig) < 0) {
			ms_err_set(e, errno, NULL, NULL, "resuming thread %d into the call", (int)tid);
			goto detach_gone;
		}
		sig = 0;
		/* Once abandoning, look again every 50 ms until the call waits
		 * for a lock or returns. */
		int w = abandon ? wait_stop(tid, &status, now_s() + 0.05, NULL)
				: wait_stop(tid, &status, deadline, interrupted);
		if (w < 0) {
			ms_err_set(e, ESRCH, NULL, NULL, "process %d during the call", (int)pid);
			goto detach_gone;
		}
		if (w == 0) {
			/* Timeout or Ctrl-C: stop and look where the call is. */
			abandon = 1;
			if (interrupt_and_wait(tid, &status) < 0) {
				ms_err_set(e, ESRCH, NULL, NULL, "process %d during the call", (int)pid);
				goto detach_gone;
			}
		}
		if (!WIFSTOPPED(status)) {
			ms_err_set(e, 0, WIFSIGNALED(status) ? "was killed by a signal during the call" : "exited during the call",
				   NULL, "process %d", (int)pid);
			goto detach_gone;
		}
		struct user_regs_struct now;
		if (ptrace(PTRACE_GETREGS, tid, 0, &now) < 0) {
			ms_err_set(e, errno, NULL, NULL, "reading thread %d's registers", (int)tid);
			goto detach_gone;
		}
		int stopsig = WSTOPSIG(status);
		if (!is_event_stop(status) && stopsig == SIGSEGV && now.rip == 0) {
			out->called = 1;
			out->ret = now.rax;
			break;
		}
		if (!is_event_stop(status) && (stopsig == SIGSEGV || stopsig == SIGBUS || stopsig == SIGILL ||
					       stopsig == SIGABRT || stopsig == SIGFPE)) {
			/* The function itself faulted (a corrupted heap makes glibc
			 * abort): the program never asked for this call, so it must
			 * not die of it. */
			ms_err_set(e, 0, "faulted inside the call (the heap may be corrupted); registers restored, signal discarded",
				   "check the heap with 'memsleuth arenas PID'", "process %d: signal %d at 0x%llx",
				   (int)pid, stopsig, (unsigned long long)now.rip);
			restore(tid, &s, out);
			goto detach;
		}
		if (is_event_stop(status)) {
			if (abandon && safe_to_abandon((long long)now.orig_rax)) {
				out->abandoned = 1;
				ms_err_set(e, 0, interrupted && *interrupted
					   ? "interrupted; abandoned while it waited in a system call, registers restored"
					   : "did not return in time; abandoned while it waited in a system call, registers restored",
					   "another thread may hold a malloc lock for long: retry, or raise --timeout",
					   "the call in process %d", (int)pid);
				restore(tid, &s, out);
				goto detach;
			}
			continue;   /* group-stop or our own interrupt elsewhere: run on */
		}
		sig = stopsig;  /* an ordinary signal for the program: deliver it */
	}
	out->seconds = now_s() - t0;
	if (restore(tid, &s, out) < 0) {
		ms_err_set(e, errno, NULL, "the thread's registers could not be put back", "thread %d", (int)tid);
		goto detach;
	}
	rc = 0;
detach:
	ptrace(PTRACE_DETACH, tid, 0, 0);
detach_gone:
	free(s.xstate);
	return rc;
}

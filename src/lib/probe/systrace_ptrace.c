/* ptrace backend: works unprivileged on one's own processes and needs no
 * kernel facility beyond ptrace.  Existing processes: every thread is
 * PTRACE_SEIZEd with TRACECLONE and stops at every syscall (the others
 * are passed through).  Launched commands get a seccomp filter first, so
 * that only the five memory syscalls stop (as strace --seccomp-bpf).
 * Every thread is detached on the way out; a launched command is killed
 * when tracing ends before it does, because without its tracer the
 * filter would make its memory syscalls fail with ENOSYS. */
#include "probe/procfs.h"
#include "probe/systrace.h"
#include "util/subproc.h"

#include <dirent.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS 4096

struct pt {
	struct ms_systrace *t;
	pid_t tids[MAX_THREADS];
	pid_t tgids[MAX_THREADS];    /* each traced thread's process (forked children have their own) */
	size_t n;
	int seccomp;                 /* launched with the filter */
	struct ms_pairer pair;
};

/* waitpid blocks: a SIGINT that lands between the loop's check of the stop
 * flag and waitpid would be missed while the target sleeps.  A 100 ms
 * interval timer interrupts waitpid so the flags are looked at again. */
static void on_tick(int sig) { (void)sig; }

static int has(const struct pt *p, pid_t tid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->tids[i] == tid)
			return 1;
	return 0;
}

/* A new thread's own first stop may come before its parent's clone event:
 * its process is then read from /proc, and the clone event confirms it. */
static void add(struct pt *p, pid_t tid, pid_t tgid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->tids[i] == tid) {
			p->tgids[i] = tgid;
			return;
		}
	if (p->n < MAX_THREADS) {
		p->tgids[p->n] = tgid;
		p->tids[p->n++] = tid;
	}
}

static pid_t tgid_of(const struct pt *p, pid_t tid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->tids[i] == tid)
			return p->tgids[i];
	return tid;
}

static void drop(struct pt *p, pid_t tid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->tids[i] == tid) {
			p->tgids[i] = p->tgids[p->n - 1];
			p->tids[i] = p->tids[--p->n];
			return;
		}
}

static void proc_event(struct pt *p, int kind, pid_t tgid, pid_t tid, pid_t child, int group)
{
	struct ms_procev pe = { .kind = kind, .tgid = tgid, .tid = tid, .child = child, .group = group };
	if (kind == MS_PROC_EXEC) {   /* the new image's name */
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/comm", (int)tgid);
		FILE *f = fopen(path, "re");
		if (f) {
			if (fgets(pe.comm, sizeof pe.comm, f))
				pe.comm[strcspn(pe.comm, "\n")] = 0;
			fclose(f);
		}
	}
	if (p->t->on_proc)
		p->t->on_proc(p->t->ctx, &pe);
}

/* In the child, last before exec (util/subproc's prepare step). */
static int install_filter(void *unused)
{
	(void)unused;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_brk, 5, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_madvise, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
	};
	struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The command is held before exec while it is seized, so that its first
 * instruction is traced; the filter is its last step before exec. */
static pid_t launch(struct pt *p, struct ms_err *e)
{
	int hold = -1;
	struct ms_start s;
	ms_launched_start(p->t, &hold, &s);
	s.prepare = install_filter;
	s.prepare_what = "seccomp filter";
	s.prepare_hint = "try --backend tracefs";
	pid_t pid = ms_child_start(&s, e);
	if (pid < 0)
		return -1;
	/* Forked children inherit the seccomp filter, and a filtered call with
	 * no tracer fails (ENOSYS): they must be traced too. */
	long opts = PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK
		| PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
	if (ptrace(PTRACE_SEIZE, pid, 0, opts) < 0) {
		int err = errno;
		close(hold);   /* it exits unexecuted */
		waitpid(pid, NULL, 0);
		return ms_err_set(e, err, NULL, "is ptrace restricted (Yama, container)? try --backend tracefs",
				  "ptrace %d", (int)pid);
	}
	if (ms_child_release(&s, e) < 0) {
		waitpid(pid, NULL, 0);
		return -1;
	}
	add(p, pid, pid);
	return pid;
}

static int attach_all(struct pt *p, pid_t pid, struct ms_err *e)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	long opts = PTRACE_O_TRACECLONE | PTRACE_O_TRACESYSGOOD;
	for (int round = 0, added = 1; added && round < 100; round++) {
		added = 0;
		DIR *d = opendir(path);
		if (!d)
			return ms_err_set(e, errno, NULL, "is the process still running?", "%s", path);
		struct dirent *de;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)atoi(de->d_name);
			if (tid <= 0 || has(p, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0, opts) < 0) {
				if (errno == ESRCH)
					continue;
				int err = errno;
				closedir(d);
				return ms_err_set(e, err, NULL,
						  err == EPERM ? "not your process or ptrace restricted: run as its user or root"
						  : "is another debugger attached?", "ptrace attach to thread %d", (int)tid);
			}
			ptrace(PTRACE_INTERRUPT, tid, 0, 0);
			add(p, tid, pid);
			added = 1;
		}
		closedir(d);
	}
	return 0;
}

static void on_syscall_stop(struct pt *p, pid_t tid)
{
	struct __ptrace_syscall_info si;
	if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof si, &si) <= 0)
		return;
	if (si.op == PTRACE_SYSCALL_INFO_ENTRY || si.op == PTRACE_SYSCALL_INFO_SECCOMP) {
		enum ms_sc sc = ms_sc_from_nr((long)si.entry.nr);
		if (sc == MS_SC_N)
			return;
		struct ms_sysev ev = { .tid = tid, .tgid = tgid_of(p, tid), .sc = sc };
		for (int i = 0; i < 4; i++)   /* seccomp's nr/args sit where entry's do */
			ev.arg[i] = si.entry.args[i];
		ms_pairer_enter(&p->pair, &ev);
	} else if (si.op == PTRACE_SYSCALL_INFO_EXIT && ms_pairer_pending(&p->pair, tid)) {
		struct ms_sysev done;
		if (ms_pairer_exit(&p->pair, tid, MS_SC_N, si.exit.rval, 0, &done))
			p->t->on_event(p->t->ctx, &done, 1);
	}
}

/* Resume tid after a stop; after a seccomp stop the exit must stop too. */
static void resume(struct pt *p, pid_t tid, int sig, int want_exit)
{
	int op = (!p->seccomp || want_exit) ? PTRACE_SYSCALL : PTRACE_CONT;
	ptrace(op, tid, 0, sig);
}

/* One wait status; returns 1 when the target is gone. */
static int handle(struct pt *p, pid_t tid, int st)
{
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		pid_t tgid = tgid_of(p, tid);
		drop(p, tid);
		if (p->t->cmd)
			proc_event(p, MS_PROC_EXIT, tgid, tid, 0, tid == tgid);
		if (tid == p->t->traced_pid && p->t->cmd)
			p->t->target_status = st;
		return p->n == 0;
	}
	if (!WIFSTOPPED(st))
		return 0;
	int sig = WSTOPSIG(st), event = st >> 16;
	if (sig == (SIGTRAP | 0x80)) {
		on_syscall_stop(p, tid);
		resume(p, tid, 0, 0);
	} else if (event == PTRACE_EVENT_SECCOMP) {
		on_syscall_stop(p, tid);
		resume(p, tid, 0, 1);
	} else if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
		unsigned long child;
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0) {
			/* CLONE: a thread of this process; FORK, VFORK: a process */
			pid_t tgid = tgid_of(p, tid), c = (pid_t)child;
			if (event == PTRACE_EVENT_CLONE) {
				add(p, c, tgid);
			} else {
				add(p, c, c);
				proc_event(p, MS_PROC_FORK, tgid, tid, c, 0);
			}
		}
		resume(p, tid, 0, 0);
	} else if (event == PTRACE_EVENT_EXEC) {
		/* a thread that exec'd became its process's leader */
		pid_t tgid = tgid_of(p, tid);
		proc_event(p, MS_PROC_EXEC, tgid, tid, 0, 0);
		resume(p, tid, 0, 0);
	} else if (event == PTRACE_EVENT_STOP) {
		if (!has(p, tid)) {   /* before its parent's clone event: ask /proc (it is stopped, so alive) */
			pid_t g = ms_proc_tgid(tid);
			add(p, tid, g > 0 ? g : tid);
		}
		if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
			ptrace(PTRACE_LISTEN, tid, 0, 0);   /* a real group-stop: stay stopped */
		else
			resume(p, tid, 0, 0);
	} else if (event) {
		resume(p, tid, 0, 0);                       /* exec, exit events */
	} else {
		resume(p, tid, sig, 0);                     /* a signal for the target */
	}
	return 0;
}

/* Interrupt and detach every thread; a thread that exits meanwhile is fine. */
static void detach_all(struct pt *p)
{
	for (size_t i = 0; i < p->n; i++)
		ptrace(PTRACE_INTERRUPT, p->tids[i], 0, 0);
	for (int guard = 0; p->n && guard < 100000; guard++) {
		int st;
		pid_t tid = waitpid(-1, &st, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!has(p, tid))
			continue;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (tid == p->t->traced_pid && p->t->cmd)
				p->t->target_status = st;
			drop(p, tid);
			continue;
		}
		int sig = WSTOPSIG(st), event = st >> 16;
		/* pass on a signal that was about to be delivered */
		int inject = (!event && sig != (SIGTRAP | 0x80)) ? sig : 0;
		ptrace(PTRACE_DETACH, tid, 0, inject);
		drop(p, tid);
	}
}

int ms_systrace_ptrace(struct ms_systrace *t, struct ms_err *e)
{
	struct pt *p = calloc(1, sizeof *p);
	if (!p)
		return ms_err_set(e, ENOMEM, NULL, NULL, "ptrace state");
	p->t = t;
	ms_pairer_init(&p->pair);
	t->target_status = -1;
	t->traced_pid = t->pid;
	int rc = 0;
	if (t->cmd) {
		p->seccomp = 1;
		t->traced_pid = launch(p, e);
		rc = t->traced_pid < 0 ? -1 : 0;
	} else {
		rc = attach_all(p, t->pid, e);
	}
	struct sigaction sa = { .sa_handler = on_tick }, old;   /* no SA_RESTART */
	sigaction(SIGALRM, &sa, &old);
	struct itimerval tick = { .it_interval = { .tv_usec = 100000 }, .it_value = { .tv_usec = 100000 } };
	setitimer(ITIMER_REAL, &tick, NULL);
	double end = t->duration > 0 ? ms_now() + t->duration : 0;
	if (rc == 0 && t->on_ready)
		t->on_ready(t->ctx, t->traced_pid);
	int gone = rc < 0;
	while (!gone && !(t->stop && *t->stop) && !(end && ms_now() >= end) && p->n) {
		int st;
		pid_t tid = waitpid(-1, &st, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		gone = handle(p, tid, st);
	}
	struct itimerval off = { 0 };
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (p->n) {
		detach_all(p);
	}
	/* detached from its filter the command would fail its memory
	 * syscalls: end it, and its children, as stap -c does */
	ms_launched_end(t);
	t->unpaired = p->pair.dropped;
	free(p);
	return rc;
}

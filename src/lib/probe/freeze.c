#include "probe/freeze.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Written from the main flow, read by signal handlers: plain array plus a
 * volatile count so a handler sees only fully recorded tids. */
static pid_t held[MS_FREEZE_MAX_THREADS];
static int   held_sig[MS_FREEZE_MAX_THREADS];   /* signal to hand back on detach */
static volatile sig_atomic_t nheld;
static const int fatal_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static struct sigaction old_act[4];
static int handlers_on, atexit_on;

static void detach_all(void)
{
	for (int i = nheld - 1; i >= 0; i--) {
		syscall(SYS_ptrace, PTRACE_DETACH, held[i], 0, (long)held_sig[i]);
		nheld = i;
	}
}

static void on_signal(int sig)
{
	detach_all();
	/* restore the default action and die of the same signal */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void restore_handlers(void)
{
	if (!handlers_on)
		return;
	for (size_t i = 0; i < sizeof fatal_sigs / sizeof fatal_sigs[0]; i++)
		sigaction(fatal_sigs[i], &old_act[i], NULL);
	handlers_on = 0;
}

static void install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof fatal_sigs / sizeof fatal_sigs[0]; i++)
		sigaction(fatal_sigs[i], &sa, &old_act[i]);
	handlers_on = 1;
	if (!atexit_on) {
		atexit(detach_all);
		atexit_on = 1;
	}
}

static int is_held(pid_t tid)
{
	for (int i = 0; i < nheld; i++)
		if (held[i] == tid)
			return 1;
	return 0;
}

/* Seize and interrupt the threads listed now; returns how many were new,
 * or -1 with e set. */
static int seize_round(pid_t pid, struct ms_err *e)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return ms_err_set(e, errno == ENOENT ? ESRCH : errno, NULL,
				  "check the PID with ps", "process %d", (int)pid);
	int added = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid <= 0 || is_held(tid))
			continue;
		if (nheld >= MS_FREEZE_MAX_THREADS) {
			closedir(d);
			return ms_err_set(e, 0, "too many threads to freeze", "run without --stop",
					  "process %d", (int)pid);
		}
		if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0) {
			if (errno == ESRCH)
				continue;   /* the thread exited meanwhile */
			int err = errno;
			closedir(d);
			return ms_err_set(e, err, NULL,
					  "run as root or the owner; check /proc/sys/kernel/yama/ptrace_scope, or run without --stop",
					  "freezing thread %d of process %d", (int)tid, (int)pid);
		}
		held[nheld] = tid;
		held_sig[nheld] = 0;
		nheld = nheld + 1;
		added++;
		if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) == 0) {
			int st = 0;
			/* bounded: an interrupted thread reports one stop */
			while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR)
				;
			/* a signal-delivery stop instead of our interrupt: the
			 * signal was taken from the thread, give it back on detach */
			if (WIFSTOPPED(st) && (st >> 16) != PTRACE_EVENT_STOP && WSTOPSIG(st) != SIGTRAP)
				held_sig[nheld - 1] = WSTOPSIG(st);
		}
	}
	closedir(d);
	return added;
}

int ms_freeze(pid_t pid, struct ms_err *e)
{
	install_handlers();
	/* Threads may be created while we seize: list again until no new
	 * ones appear (a new thread of a stopped creator cannot appear). */
	for (int round = 0; round < 8; round++) {
		int added = seize_round(pid, e);
		if (added < 0) {
			ms_freeze_thaw();
			return -1;
		}
		if (added == 0)
			return nheld > 0 ? 0 : (ms_freeze_thaw(),
				ms_err_set(e, ESRCH, NULL, "check the PID with ps", "process %d", (int)pid));
	}
	ms_freeze_thaw();
	return ms_err_set(e, 0, "threads keep appearing", "run without --stop", "freezing process %d",
			  (int)pid);
}

int ms_freeze_thaw(void)
{
	int n = nheld;
	detach_all();
	restore_handlers();
	return n;
}

int ms_freeze_fs_base(pid_t tid, uint64_t *fs_base)
{
#if defined(__x86_64__)
	struct user_regs_struct regs;
	if (!is_held(tid) || ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0)
		return -1;
	*fs_base = regs.fs_base;
	return 0;
#else
	(void)tid;
	(void)fs_base;
	return -1;
#endif
}

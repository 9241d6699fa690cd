/* Running a companion program (gdb, jcmd, a workload, memsleuth itself) as
 * a child: output captured with a cap, a timeout, and an escalation that
 * always ends with the child gone -- first a polite signal to its process
 * group (SIGINT lets gdb unwind an inferior call and detach), then SIGKILL
 * after a grace period.  The child runs in its own process group so that a
 * Ctrl-C on our terminal reaches us, and we decide what it gets. */
#ifndef MS_SUBPROC_H
#define MS_SUBPROC_H

#include <signal.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>
#include "util/err.h"

struct ms_run;

/* Called every tick while the child runs (after new output was appended). */
typedef void (*ms_run_tick)(struct ms_run *r, void *arg);

struct ms_run {
	/* in */
	char *const *argv;          /* argv[0] searched in PATH */
	char *const *envp;          /* NULL: our environment */
	int    timeout_ms;          /* 0: none */
	int    stop_signal;         /* first signal on timeout/interrupt/stop */
	int    grace_ms;            /* then SIGKILL */
	int    tick_ms;             /* poll period (default 50) */
	size_t out_max;             /* capture cap per stream (default 1 MiB) */
	int    stdin_fd;            /* -1: /dev/null */
	volatile sig_atomic_t *interrupted; /* may be NULL */
	ms_run_tick tick;           /* may be NULL */
	/* When set, called once instead of sending stop_signal: for a child
	 * that must be stopped another way (gdb: stop its inferior). */
	void (*on_stop)(void *arg);
	void  *tick_arg;
	/* set by tick to end the child early (not a failure) */
	int    stop_requested;
	/* out */
	pid_t  pid;
	char  *out, *err;           /* NUL-terminated, owned: ms_run_free */
	size_t out_len, err_len;
	int    status;              /* wait status */
	int    timed_out, was_interrupted, signalled_by_us, killed;
	struct rusage ru;
	double wall_seconds;
};

/* Run to completion.  Returns 0 when the child ran (look at status and the
 * flags), -1 when it could not be started (exec failure names argv[0]). */
int  ms_run_capture(struct ms_run *r, struct ms_err *e);
void ms_run_free(struct ms_run *r);

/* Whether PROG is found in PATH (or is an executable path). */
int  ms_which(const char *prog, char *out, size_t outlen);

#endif

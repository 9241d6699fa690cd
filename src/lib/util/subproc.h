/* Running a companion program (gdb, jcmd, a workload, memsleuth itself)
 * under supervision; util/spawn.h is the simple form (fixed buffer,
 * deadline, kill).  Here: output captured with a cap, a tick callback
 * (RSS sampling), rusage, a timeout, and an escalation that always ends
 * with the child gone -- first a polite signal to its process group (or a
 * caller's own stop action: gdb's inferior gets SIGSTOP), then SIGKILL
 * after a grace period.  The child runs in its own process group so that a
 * Ctrl-C on our terminal reaches us, and we decide what it gets. */
#ifndef MS_SUBPROC_H
#define MS_SUBPROC_H

#include <signal.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>
#include "util/err.h"

struct ms_child;

/* Called every tick while the child runs (after new output was appended). */
typedef void (*ms_child_tick)(struct ms_child *r, void *arg);

struct ms_child {
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
	ms_child_tick tick;           /* may be NULL */
	/* When set, called once instead of sending stop_signal: for a child
	 * that must be stopped another way (gdb: stop its inferior). */
	void (*on_stop)(void *arg);
	void  *tick_arg;
	/* set by tick to end the child early (not a failure) */
	int    stop_requested;
	/* out */
	pid_t  pid;
	char  *out, *err;           /* NUL-terminated, owned: ms_child_free */
	size_t out_len, err_len;
	int    status;              /* wait status */
	int    timed_out, was_interrupted, signalled_by_us, killed;
	struct rusage ru;
	double wall_seconds;
};

/* Nothing outlives memsleuth, even SIGKILLed (it runs no code then, so
 * the children must notice):
 *  - every child is forked with ms_fork(): PR_SET_PDEATHSIG(SIGKILL), so a
 *    direct child dies with us;
 *  - grandchildren (stap's stapbpf, a command under sh -c, what a launched
 *    command forks) lose PDEATHSIG on fork, so the first ms_fork() of a
 *    run also starts its guard: a small process that holds the read end of
 *    a pipe only memsleuth writes to.  When memsleuth ends, however it
 *    ends, the guard reads EOF, ends every process that carries this run's
 *    token in its environment (MEMSLEUTH_GUARD, inherited by everything
 *    started below us; nested runs append theirs) -- SIGTERM, then SIGKILL
 *    after 2 s -- and runs the cleanup set with ms_guard_on_end (the sweep
 *    of probe/sweep.h), then exits.
 * The guard is named "memsleuth-guard", leaves the terminal's process
 * group (Ctrl-C is ours to handle) and holds no other descriptor. */
pid_t ms_fork(void);
/* Start the guard now (idempotent; ms_fork does it).  Returns 0, or -1 when
 * it cannot (then only PDEATHSIG protects). */
int   ms_guard_start(void);
/* What the guard runs after the processes are gone (set before it starts). */
void  ms_guard_on_end(void (*fn)(void));

/* Starting a program: the one fork + exec of memsleuth (targets, tools,
 * companions; ms_child_run too).  The child is forked with ms_fork (so it
 * dies with us), starts with the default dispositions of SIGINT, SIGTERM
 * and SIGPIPE and nothing blocked (as from a shell, whatever we ignore),
 * and reports a failure before or at exec to us through a CLOEXEC socket:
 * the caller gets one error line "cannot run ARGV0: REASON (WAY OUT)"
 * instead of a child that exits 127 for no reason said. */
#define MS_FD_KEEP 0    /* fd[i]: the child's descriptor i is ours */
#define MS_FD_NULL (-1) /* fd[i]: /dev/null */
struct ms_start {
	char *const *argv;          /* argv[0] searched in PATH (as execvp) */
	char *const *envp;          /* NULL: our environment */
	const char *const *env_set; /* NULL-terminated "NAME=VALUE" put over envp
				     * (LD_PRELOAD ...); may be NULL */
	const char *dir;            /* chdir there first; NULL: ours */
	int own_group;              /* lead a new process group (setpgid on both
				     * sides): a Ctrl-C on our terminal reaches
				     * us alone, and kill(-pid) ends it whole */
	int fd[3];                  /* its stdin, stdout, stderr: MS_FD_KEEP,
				     * MS_FD_NULL or a descriptor of ours (any,
				     * even 0..2: they are taken as they were) */
	/* In the child, last before exec (after the hold): -1 with errno set
	 * fails the start, named by prepare_what with prepare_hint the way
	 * out (ptrace: the seccomp filter).  Exec failures are told by errno. */
	int (*prepare)(void *arg);
	void *prepare_arg;
	const char *prepare_what, *prepare_hint;
	/* Non-NULL: the child waits before exec until ms_child_release (a
	 * tracer is set up on its pid meanwhile); *hold receives the control
	 * descriptor (close it unreleased: the child exits 127 unexecuted). */
	int *hold;
};

/* Fork and exec as s says.  Returns the pid once the program runs (or, with
 * s->hold, once it waits); -1 with e set when it could not start (the
 * child is reaped then). */
pid_t ms_child_start(const struct ms_start *s, struct ms_err *e);
/* Let a held child exec, and wait until it has: 0, or -1 with e set when
 * it could not (then it exits 127 and is the caller's to reap).  Closes
 * *s->hold and sets it to -1; 0 when it is -1 already. */
int ms_child_release(const struct ms_start *s, struct ms_err *e);

/* End what is left of process group pgid (a command's children, once the
 * command is reaped): SIGKILL, then wait until none of it runs, 2 s at
 * most -- a signal is delivered asynchronously, and memsleuth must not
 * return while anything it started still runs.  Zombies count as ended
 * (their reaping is their parent's). */
void ms_group_end(pid_t pgid);

/* Run to completion.  Returns 0 when the child ran (look at status and the
 * flags), -1 when it could not be started (exec failure names argv[0]). */
int  ms_child_run(struct ms_child *r, struct ms_err *e);
void ms_child_free(struct ms_child *r);

#endif

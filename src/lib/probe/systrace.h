/* Tracing brk, mmap, munmap, mprotect and madvise of one process (all its
 * threads) with one of several kernel facilities.  Every backend delivers
 * the same paired records (records/memsys.h) through on_event and leaves
 * nothing behind: no tracefs instance, no stopped thread, no child. */
#ifndef MS_SYSTRACE_H
#define MS_SYSTRACE_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "records/memsys.h"
#include "util/err.h"

struct ms_start;

struct ms_systrace {
	/* the target: an existing process, or a command launched held until
	 * tracing is live */
	pid_t pid;
	char *const *cmd;
	double duration;                       /* seconds; 0 = until the target exits */
	int cmd_output_to_stderr;              /* the command's stdout goes to our stderr
					        * (--json: stdout carries only the document) */
	volatile sig_atomic_t *stop;           /* set by the caller's SIGINT/SIGTERM handler */
	/* n > 1: the same call, same arguments and result, n times in a row
	 * (the script backends fold repeats in the kernel) */
	void (*on_event)(void *ctx, const struct ms_sysev *ev, uint64_t n);
	void (*on_ready)(void *ctx, pid_t pid); /* tracing is live */
	/* a launched command's processes: forks, execs, exits (may be NULL) */
	void (*on_proc)(void *ctx, const struct ms_procev *pe);
	void *ctx;
	/* script backends (stap, bpftrace) */
	const char *script;                    /* stap/memsyscalls.stp */
	const char *stap_tree;                 /* stap-bpf: the set-up cache dir; NULL = module runtime */
	int held_go;                           /* internal: releases a held command */
	/* tracefs only: the target already runs under our eyes (a fallback
	 * after another backend stopped mid-run): trace it -- a launched
	 * command with every process it made -- from on_ready on */
	int resume;
	/* results */
	pid_t traced_pid;                      /* the launched command's pid */
	int target_status;                     /* its wait status, -1 when not ours / still alive */
	uint64_t lost;                         /* events the facility dropped */
	uint64_t unpaired;                     /* exits seen without their entry */
	char warning[256];                     /* the trace is incomplete, and why; "" if not */
	/* The backend stopped by itself while the target ran on (stapbpf
	 * aborts when its perf buffer overflows): the trace is cut at cut_at
	 * (ms_now()), warning says why, quoting the tool's stderr.  A launched
	 * command is then left running, never ended for the tool's sake: the
	 * caller traces the rest (resume) or waits for it (ms_launched_wait). */
	int cut;
	double cut_at;
};

int ms_systrace_tracefs(struct ms_systrace *t, struct ms_err *e);
int ms_systrace_ptrace(struct ms_systrace *t, struct ms_err *e);
int ms_systrace_bpftrace(struct ms_systrace *t, struct ms_err *e);
int ms_systrace_stap(struct ms_systrace *t, struct ms_err *e);

/* Where tracefs is: $MEMSLEUTH_TRACEFS, else MS_TRACEFS_DEFAULT, which
 * the tracefs backend mounts when it is not (root). */
#define MS_TRACEFS_DEFAULT "/sys/kernel/tracing"
const char *ms_tracefs_root(void);

/* One line of a tracefs instance's trace_pipe (NUL-terminated, modified in
 * place): "COMM-TID (  TGID) [CPU] FLAGS  SECS.USECS: sys_NAME(a: v, ...)"
 * (entry, 'E', arguments in ev) or "...: sys_NAME -> 0xRET" (exit, 'X',
 * *ret).  Returns 0 for any other line; never reads past the NUL. */
int ms_tracefs_parse_line(char *line, struct ms_sysev *ev, int64_t *ret);
/* A sched_process_{fork,exec,exit} line of the same pipe into pe: returns
 * its kind (records/memsys.h), 0 for any other line.  Fork's and exit's
 * process is the cached "(TGID)" (pe->tgid_cached, 0 for "-------"); an
 * exec's is its own pid= field, exact, and its name the filename's base. */
int ms_tracefs_parse_proc_line(const char *line, struct ms_procev *pe);

/* --- shared by the backends (probe/systrace_common.c) --- */

/* How a command is launched (util/subproc): leading its own process group,
 * so that it can be ended whole (ms_launched_end), its stdout on our stderr
 * under cmd_output_to_stderr; held before exec when hold is non-NULL. */
void  ms_launched_start(const struct ms_systrace *t, int *hold, struct ms_start *s);
/* Start the command held before exec until ms_held_release(); returns the
 * pid, or -1 with e set. */
pid_t ms_held_spawn(const struct ms_systrace *t, int *gofd, struct ms_err *e);
/* Let it exec; -1 with e set when it could not (it exits 127, to be reaped
 * by ms_launched_end).  No-op when *gofd is -1. */
int   ms_held_release(const struct ms_systrace *t, int *gofd, struct ms_err *e);
/* Tracing of a launched command is over (it exited, --duration, Ctrl-C):
 * a command still running is ended -- SIGTERM to its process group, SIGKILL
 * after 2 s -- and reaped, so nothing is left behind. */
void  ms_launched_end(struct ms_systrace *t);
/* A launched command left running after a cut: let it run to its own end,
 * or until t->duration seconds from now (0 = no bound) or *t->stop, then
 * ms_launched_end.  Untraced: nothing is recorded meanwhile. */
void  ms_launched_wait(struct ms_systrace *t);
/* A pidfd that becomes readable when pid exits (-1 when unsupported). */
int   ms_pidfd(pid_t pid);
/* Has the target ended?  Reaps a launched child and records its status. */
int   ms_target_gone(struct ms_systrace *t, int pidfd);
/* Seconds since an arbitrary start (CLOCK_MONOTONIC). */
double ms_now(void);

#endif

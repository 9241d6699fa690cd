/* Whether a process is running, stopped or traced, from /proc/PID/status
 * (State and TracerPid).  Steps that attach to a target (trim's gdb) check
 * it before and after: a target is never left stopped. */
#ifndef MS_RUNSTATE_H
#define MS_RUNSTATE_H

#include <sys/types.h>

struct ms_runstate {
	int   exists;
	char  state;        /* 'R', 'S', 'D', 'T' (stopped), 't' (tracing stop), 'Z' */
	pid_t tracer;       /* TracerPid, 0 when none */
};

int ms_runstate_read(pid_t pid, struct ms_runstate *rs);

/* After a tracer is gone: if the process sits in a stop ('T' or 't') with
 * no tracer, send SIGCONT and wait (bounded) until it leaves the stop.
 * Returns 1 when it had to be resumed, 0 when it was running, -1 when it is
 * still stopped or traced (rs tells which). */
int ms_runstate_ensure_running(pid_t pid, struct ms_runstate *rs);

#endif

/* Running another memsleuth step (or any program) as a child whose stdout
 * is findings JSON: stdout captured whole (bounded), the tail of stderr
 * kept for the one-line reason when it fails, a deadline, progress on
 * stderr, and an interrupt flag the caller's signal handler sets.  A child
 * past its deadline or interrupted gets SIGINT (steps report what they have
 * on Ctrl-C), SIGTERM 3 s later, SIGKILL 3 s after that; its stdout so far
 * is kept. */
#ifndef MS_STEPRUN_H
#define MS_STEPRUN_H

#include <signal.h>
#include <stddef.h>

#define MS_STEPRUN_MAX_OUT (64u << 20)

struct ms_steprun {
	char  *out;            /* stdout, NUL-terminated, malloc'd (may be NULL) */
	size_t outlen;
	char   err[2048];      /* the last bytes of stderr, NUL-terminated */
	int    status;         /* exit status 0..255, 128+signal, or below */
	double seconds;
};

enum { MS_STEPRUN_NOSTART = -1, MS_STEPRUN_TIMEOUT = -2, MS_STEPRUN_INTERRUPTED = -3 };

/* Run argv (argv[0] a path, or searched in PATH) with stdin from
 * /dev/null.  label names it in progress lines (NULL: quiet).  stop, when
 * not NULL, is polled: once non-zero the child is terminated.  Returns
 * c->status. */
int ms_steprun_run(char *const argv[], struct ms_steprun *c, int timeout_ms, const char *label,
		 volatile sig_atomic_t *stop);
/* The same, calling tick(arg) about every 200 ms while the child runs
 * (the guide samples the target's RSS meanwhile). */
int ms_steprun_run_tick(char *const argv[], struct ms_steprun *c, int timeout_ms, const char *label,
			volatile sig_atomic_t *stop, void (*tick)(void *), void *arg);
void ms_steprun_free(struct ms_steprun *c);

/* The last non-empty line of c->err (for one-line reasons). */
const char *ms_steprun_errline(struct ms_steprun *c, char *buf, size_t len);

#endif

/* Errors as the user sees them: one line naming the thing, the reason and
 * the way out.  Library functions fill a struct ms_err instead of printing,
 * so that every binary decides where the line goes. */
#ifndef MS_ERR_H
#define MS_ERR_H

#include <stdarg.h>

struct ms_err {
	int  code;          /* errno-style reason, 0 when the reason is in text */
	char msg[512];      /* "THING: REASON" */
	char hint[256];     /* the way out, may be empty */
};

/* Set the error: thing (printf format), reason from errnum (strerror) or,
 * when errnum is 0, from `reason`.  Returns -1 so callers can
 * `return ms_err_set(...)`. */
int ms_err_set(struct ms_err *e, int errnum, const char *reason,
	       const char *hint, const char *thing_fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Print "PROG: THING: REASON (HINT)" on stderr as one line. */
void ms_err_print(const char *prog, const struct ms_err *e);

/* Print and exit with status `status` (for mains only). */
_Noreturn void ms_die(const char *prog, const struct ms_err *e, int status);

/* Shorthand for mains: print a formatted one-line error and exit 2. */
_Noreturn void ms_fatal(const char *prog, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

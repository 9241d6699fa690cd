#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ms_err_set(struct ms_err *e, int errnum, const char *reason,
	       const char *hint, const char *thing_fmt, ...)
{
	if (!e)
		return -1;
	char thing[300];
	va_list ap;
	va_start(ap, thing_fmt);
	vsnprintf(thing, sizeof thing, thing_fmt, ap);
	va_end(ap);
	e->code = errnum;
	snprintf(e->msg, sizeof e->msg, "%s: %s", thing,
		 errnum ? strerror(errnum) : (reason ? reason : "failed"));
	snprintf(e->hint, sizeof e->hint, "%s", hint ? hint : "");
	return -1;
}

void ms_err_print(const char *prog, const struct ms_err *e)
{
	if (e->hint[0])
		fprintf(stderr, "%s: %s (%s)\n", prog, e->msg, e->hint);
	else
		fprintf(stderr, "%s: %s\n", prog, e->msg);
}

_Noreturn void ms_die(const char *prog, const struct ms_err *e, int status)
{
	ms_err_print(prog, e);
	exit(status);
}

_Noreturn void ms_fatal(const char *prog, const char *hint, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (hint && hint[0])
		fprintf(stderr, "%s: %s (%s)\n", prog, line, hint);
	else
		fprintf(stderr, "%s: %s\n", prog, line);
	exit(2);
}

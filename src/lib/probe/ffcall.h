/* Calling a function of the running process by name, with arguments typed
 * by a lab prototype, through libffi: the symbol is resolved at run time
 * in whatever allocator is loaded (glibc, or a preloaded jemalloc, ...). */
#ifndef MS_FFCALL_H
#define MS_FFCALL_H

#include <stddef.h>
#include "records/labfile.h"
#include "util/err.h"

/* dlsym in the global scope; lib gets the defining object's file name.
 * Returns NULL when no loaded object defines it. */
void *ms_ffcall_resolve(const char *name, char *lib, size_t liblen);

struct ms_ffcall_value {
	int    is_void, is_double;
	long long i;
	double d;
};

/* Call fn(args) as the prototype says.  stdout_file replaces the `stdout`
 * argument (lab --json keeps stdout for the JSON document). */
int ms_ffcall(void *fn, const struct ms_lab_proto *p, const struct ms_lab_arg *args, int nargs,
	      void *stdout_file, struct ms_ffcall_value *out, struct ms_err *e);

#endif

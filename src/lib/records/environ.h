/* /proc/PID/environ (NUL-separated) and GLIBC_TUNABLES parsing.  The
 * environ file shows the environment the process started with, which is
 * what glibc read its malloc settings from. */
#ifndef MS_ENVIRON_H
#define MS_ENVIRON_H

#include <stddef.h>

/* Value of KEY in an environ buffer, or NULL.  *vlen gets its length. */
const char *ms_environ_get(const char *buf, size_t len, const char *key, size_t *vlen);

/* Value of tunable NAME (e.g. "glibc.malloc.arena_max") in a GLIBC_TUNABLES
 * string "a=1:b=2", or NULL.  *vlen gets its length. */
const char *ms_tunable_get(const char *tunables, size_t len, const char *name, size_t *vlen);

#endif

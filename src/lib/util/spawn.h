/* Finding companion programs, and running one the simple way (a deadline,
 * output into a buffer): a thin form of util/subproc.h. */
#ifndef MS_SPAWN_H
#define MS_SPAWN_H

#include <stddef.h>

/* Find an executable the way execvp will (PATH, or NAME itself when it
 * has a '/'; a regular file we may execute); returns 1 and fills out when
 * found, else 0. */
int ms_which(const char *name, char *out, size_t outlen);

/* Run argv (argv[0] searched in PATH) with stdin from /dev/null, stdout
 * and stderr captured into out (NUL-terminated, truncated to outlen).
 * Returns the exit status (0..255), 128+signal when killed, -1 when it
 * could not start, -2 on timeout (the child was killed). */
int ms_run_capture(char *const argv[], char *out, size_t outlen, int timeout_ms);

#endif

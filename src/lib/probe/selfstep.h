/* Running one of our own steps as a child (/proc/self/exe STEP ARGS --json)
 * and keeping its JSON.  trim takes its prediction from `arenas`, lab its
 * arenas checkpoints: the walker lives in one place, and a step that is
 * not in this build (or fails on this target) is reported, not faked. */
#ifndef MS_SELFSTEP_H
#define MS_SELFSTEP_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include "util/err.h"

/* Run `memsleuth STEP PID --json`.  On success *json is the child's stdout
 * (caller frees).  On failure e holds the child's first stderr line. */
int ms_selfstep_json(const char *step, pid_t pid, int timeout_ms,
		     volatile sig_atomic_t *interrupted, char **json, size_t *len,
		     struct ms_err *e);

#endif

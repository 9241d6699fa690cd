/* malloc_trim(0) in a live process through `gdb --batch` and the
 * gdb-scripts/trim.gdb command file, with the safety rails trim promises:
 * a timeout, SIGINT first (gdb then abandons the call, unwinds the
 * registers it replaced, and detaches), SIGKILL only if gdb itself hangs
 * (the kernel then detaches), and a final check that the target is neither
 * traced nor stopped -- resuming it with SIGCONT if it is. */
#ifndef MS_GDBTRIM_H
#define MS_GDBTRIM_H

#include <limits.h>
#include <signal.h>
#include <sys/types.h>
#include "probe/runstate.h"
#include "util/err.h"

struct ms_gdbtrim {
	int    called;          /* malloc_trim returned inside the target */
	int    result;          /* its value: 1 if memory was released */
	int    timed_out, interrupted;
	int    gdb_killed;      /* gdb did not leave on SIGINT */
	int    resumed;         /* we had to send SIGCONT afterwards */
	struct ms_runstate after;
	double seconds;
};

/* script: path of trim.gdb.  Returns 0 when malloc_trim returned; -1 with
 * e set otherwise (out still tells what happened to the target). */
int ms_gdb_trim(pid_t pid, const char *script, int timeout_ms,
		volatile sig_atomic_t *interrupted, struct ms_gdbtrim *out,
		struct ms_err *e);

#endif

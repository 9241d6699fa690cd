/* `memsleuth hotspots PID`: count a running process's allocator calls per
 * thread and per caller through bpftrace uprobes on the library that
 * provides its malloc (libc, or a preloaded jemalloc/tcmalloc), filtered
 * on the pid.  Counts only: no pointers, so no live bytes or lifetimes. */
#ifndef MS_HS_ATTACH_H
#define MS_HS_ATTACH_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include "findings/hotspots.h"
#include "util/err.h"

/* Attach for `duration` seconds (0: until *stop is set or the target
 * exits) and fill h (free with ms_hotspots_free).  `how` gets a one-line
 * note for the report.  Returns 0, or -1 with e saying why bpftrace cannot
 * be used and what to do instead. */
int ms_hs_attach(pid_t pid, double duration, volatile sig_atomic_t *stop,
		 struct ms_hotspots *h, char *how, size_t howlen, struct ms_err *e);

/* Parse the last complete "@@snapshot" ... "@@end" block of the script's
 * output (maps @c, @b, @n, @h) into h; exposed for tests. */
int ms_hs_attach_parse(const char *text, struct ms_hotspots *h);

#endif

/* `memsleuth hotspots PID`: count a running process's allocator calls per
 * thread and per caller through bpftrace uprobes on the library that
 * provides its malloc (libc, or a preloaded jemalloc/tcmalloc), filtered
 * on the pid, in a window that opens when every probe is attached; with
 * `live`, the bytes still live at its end per call site too (malloc,
 * calloc, realloc: uretprobes keep pointer -> size/site in a BPF map of
 * LIVE_MAX entries, overflow counted; a uretprobe per call costs time,
 * so it is asked for).  Allocations from before the window freed in it show as an
 * imbalance, which the report states. */
#ifndef MS_HS_ATTACH_H
#define MS_HS_ATTACH_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include "findings/hotspots.h"
#include "util/err.h"

/* Attach for `duration` seconds counted from when the probes are live
 * (0: until *stop is set or the target exits); "Tracing PID N ..." goes
 * to stderr then and fill h (free with ms_hotspots_free).  `how` gets a one-line
 * note for the report.  Returns 0, or -1 with e saying why bpftrace cannot
 * be used and what to do instead. */
int ms_hs_attach(pid_t pid, double duration, int live, volatile sig_atomic_t *stop,
		 struct ms_hotspots *h, char *how, size_t howlen, struct ms_err *e);

/* Parse the script's output (the "@@window" line, the "@@maps" ...
 * "@@end" block, NUL-terminated) into h; exposed for tests.  Linear in
 * the text's size: each line is read from a bounded copy.  Lines cut,
 * garbled or too long are counted in h->attach.skipped_lines; when *stop
 * (may be NULL) becomes set, the rest is left unread and
 * h->attach.cut_short set (a partial result).  0, or -1 out of memory. */
int ms_hs_attach_parse(const char *text, volatile sig_atomic_t *stop, struct ms_hotspots *h);
/* Add bpftrace's "Lost N events" lines in text to h->attach.lost. */
int ms_hs_attach_parse_lost(const char *text, struct ms_hotspots *h);

#endif

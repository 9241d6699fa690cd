/* The preflight of `memsleuth stap`: before a compile that takes seconds
 * and fails on the first problem, find every construct the chosen runtime
 * or this kernel lacks and say, per line, what to write instead.
 *
 * Facts (SystemTap 4.8, measured on a kernel without modules and kprobes;
 * docs/stap.md): the bpf runtime has no syscall.* tapset (raw
 * kernel.trace("sys_enter")/("sys_exit") work), no @hist_log, @hist_linear, @min or @max, no
 * backtraces or register(), no string functions or concatenation in probe
 * handlers (begin/end run in stapbpf itself and may use sprintf), no
 * array delete, no loops, and its %d prints 32 bits.  kprobe.* and
 * kernel.function/statement need CONFIG_KPROBES whatever the runtime. */
#ifndef MS_STAPPREFLIGHT_H
#define MS_STAPPREFLIGHT_H

#include <stddef.h>
#include "util/err.h"

struct ms_stap_host {
	int bpf;        /* the script will run under --runtime=bpf */
	int kprobes;    /* CONFIG_KPROBES: 1 yes, 0 no, -1 unknown (not checked) */
};

struct ms_stap_finding {
	int  line;           /* 1-based line in the script */
	int  fatal;          /* 1: stap would refuse it; 0: it runs but prints wrong values */
	char construct[64];  /* "@hist_log", "syscall.madvise", "%d" */
	char advice[640];    /* "no histograms in the bpf runtime; write ..." */
};

struct ms_stap_preflight {
	struct ms_stap_finding *v;
	size_t n;
	size_t fatal;        /* how many of v are fatal */
};

/* Check text[0..len) for host h.  Constructs in comments, strings and
 * preprocessor branches not taken under the runtime are ignored.  One
 * finding per construct and line, in line order.  -1 with e on a lexing
 * error or out of memory. */
int  ms_stap_preflight(const char *text, size_t len, const struct ms_stap_host *h,
		       struct ms_stap_preflight *out, struct ms_err *e);
void ms_stap_preflight_free(struct ms_stap_preflight *p);

#endif

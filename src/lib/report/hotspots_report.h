/* Printing a hotspots analysis: the text report, the JSON document
 * (docs/json/hotspots.md) and folded stacks for flame graphs.  Addresses
 * are symbolised here, per process image, from the image's maps snapshot. */
#ifndef MS_HOTSPOTS_REPORT_H
#define MS_HOTSPOTS_REPORT_H

#include <stdio.h>
#include "findings/hotspots.h"
#include "findings/verdict.h"
#include "probe/symres.h"

/* How the launched command itself ended (its wait status), so that a
 * reader can check that recording did not change it. */
struct ms_hs_command_end {
	int    known;              /* 0: not launched here (--from, attach) */
	int    status;             /* exit status, -1 when killed by a signal */
	int    signal;             /* the signal that ended it, 0 when it exited */
	int    by_memsleuth;       /* the signal was memsleuth's (--duration, Ctrl-C) */
	int    until;              /* --until was given */
	int    reached;            /* its line was printed: stopped at the moment */
	double seconds;
};

struct ms_hs_report_opts {
	int         top;            /* rows per table */
	const char *how_ended;      /* driver's note: "stopped by SIGINT after 3.0 s", or NULL */
	const struct ms_hs_command_end *command_end;   /* NULL when not launched here */
	int         address_query;  /* --address: say who holds `address` (h loaded with the query) */
	uint64_t    address;
	const struct ms_verdicts *verdicts;   /* the closing verdicts (findings/stepverdict.h), may be NULL */
};

/* Who allocated each of the live allocations f[0..n) (h loaded with a
 * query, findings/hotspots.h): out[i].site as the hotspots report names
 * call sites ("main+0x3e2 (pin) pin.c:54"), out[i].where the short form
 * ("pin.c:54 (main)" with line info, else the site), the thread's name
 * (its TID when it had none), pid and tid; out[i].found 0 when f[i] was
 * not found.  With a recorded stack (--stacks N) the site is the first
 * frame outside allocation wrappers (operator new's caller, not _Znwm)
 * and out[i].chain the frames from it outward.  Used by arenas --hotspots
 * to name the pins' call sites. */
struct ms_hs_who {
	int      found;
	char     site[MS_SYM_LINE], where[MS_SYM_FUNC + 300], thread[16];
	char     chain[4 * (MS_SYM_FUNC + 300)];   /* from the site outward, "f a.c:3 <- main a.c:9",
						    * "" no stack */
	uint32_t pid, tid;
	uint64_t ptr, size;
};
void ms_hotspots_who(const struct ms_hotspots *h, const struct ms_hs_found *f, size_t n, struct ms_hs_who *out);

/* The closing verdicts (findings/stepverdict.h ms_hs_verdicts) over the
 * call sites as the tables show them (with stacks, the first frame
 * outside allocation wrappers, merged across images): the summary's
 * "call site allocating the most" is the bytes table's top row.  next:
 * the command after this step; stacks_next (may be NULL): the --stacks
 * rerun, the next instead when no stacks were recorded and an allocation
 * wrapper is among the busiest sites (the report's note says so too). */
void ms_hotspots_verdicts(const struct ms_hotspots *h, const char *next, const char *stacks_next,
			  struct ms_verdicts *vs);
void ms_hotspots_print(const struct ms_hotspots *h, const struct ms_hs_report_opts *o, FILE *out);
void ms_hotspots_json(const struct ms_hotspots *h, const struct ms_hs_report_opts *o, FILE *out);
/* Folded stacks for flame graphs (flamegraph.pl, speedscope): one
 * "frame;frame;frame WEIGHT" line per distinct stack text, root first,
 * sorted by text; WEIGHT is the stacks' (caller-only logs and attach mode:
 * the call sites') calls, bytes requested or bytes live at the end
 * (weight MS_HS_BY_CALLS, _BY_BYTES, _BY_LIVE); lines of weight 0 are left
 * out.  Returns 0 or -1 (errno: out of memory, write error). */
int  ms_hotspots_folded(const struct ms_hotspots *h, enum ms_hs_site_key weight, FILE *out);

#endif

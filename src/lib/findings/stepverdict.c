#include "findings/stepverdict.h"

#include <inttypes.h>
#include <stdlib.h>

#include "util/size.h"

void ms_sys_verdicts(const struct ms_sys_summary *s, const char *partial, const char *next, struct ms_verdicts *vs)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
	vs->n = 0;
	/* a cut trace proves what it saw, never what it did not see */
	if (partial)
		ms_verdict_add(vs, MS_NOTICE, "", "The trace is partial: %s; its counts are lower bounds.", partial);
	if (!s->events) {
		if (partial)
			ms_verdict_add(vs, MS_INFO, next, "No memory syscall in the traced part.");
		else
			ms_verdict_add(vs, MS_INFO, next, "No memory syscall while tracing: the heaps neither grew nor shrank.");
		return;
	}
	uint64_t brk_up = 0, brk_down = 0;
	for (size_t i = 0; i < s->nbrk && i < MS_SUM_MAX_PROCS; i++) {
		if (ms_sys_brk_of_wrapper(s, &s->brk[i]))
			continue;   /* the wrapper's own: reported apart */
		brk_up += s->brk[i].grown;
		brk_down += s->brk[i].shrunk;
	}
	if (s->heaps_created)
		ms_verdict_add(vs, s->heaps_created > 8 ? MS_NOTICE : MS_INFO, "",
			       "%s%" PRIu64 " arena heap%s created while tracing: threads spread their allocations over "
			       "more arenas.", partial ? "At least " : "", s->heaps_created,
			       s->heaps_created == 1 ? " was" : "s were");
	char c[MS_SIZE_BUF], d[MS_SIZE_BUF];
	/* Mapped is not resident: an mmap reserves address space; the heaps'
	 * and the break's growth are what malloc put to use. */
	ms_verdict_add(vs, MS_INFO, next,
		       "%s, the break grew %s and arena heaps %s (put to use), mmap mapped %s; "
		       "%s%s went back to the kernel (munmap, madvise, brk).", partial ? "In the traced part" : "While traced",
		       ms_size_fmt(brk_up, a), ms_size_fmt(s->heap_grow_bytes, b),
		       ms_size_fmt(s->total[MS_SC_MMAP].bytes, c), partial ? "at least " : "",
		       ms_size_fmt(s->madvise_returned + s->munmap_returned + brk_down, d));
}

void ms_hs_verdicts(const struct ms_hotspots *h, const char *next, struct ms_verdicts *vs)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
	vs->n = 0;
	if (!h->allocs) {
		ms_verdict_add(vs, MS_INFO, next, "No allocation was recorded: nothing called malloc while watched.");
		return;
	}
	/* the bytes table's top row: the same sort (ties included) */
	size_t *bi = ms_hotspots_sites_sorted(h, MS_HS_BY_BYTES);
	const struct ms_hs_site *top = bi && h->nsites ? &h->sites[bi[0]] : NULL;
	free(bi);
	uint64_t live = h->attach.on ? h->attach.live_bytes : 0;
	for (size_t i = 0; i < h->nsites; i++)
		if (!h->attach.on && __builtin_add_overflow(live, h->sites[i].live_bytes, &live))
			live = UINT64_MAX;
	ms_verdict_add(vs, MS_INFO, "",
		       "%" PRIu64 " allocations of %s in all by %zu thread%s; the call site allocating the most "
		       "made %s of them (%.0f%%).", h->allocs, ms_size_fmt(h->bytes, a), h->nthreads,
		       h->nthreads == 1 ? "" : "s", ms_size_fmt(top ? top->bytes : 0, b),
		       h->bytes && top ? 100.0 * (double)top->bytes / (double)h->bytes : 0.0);
	if (h->attach.on && !h->attach.live)
		ms_verdict_add(vs, MS_INFO, next, "Bytes live at the end were not kept (counters only): "
			       "--live keeps them, by call site.");
	else if (h->count_only)
		ms_verdict_add(vs, MS_INFO, next, "Bytes live at the end were not kept (counters only).");
	else
		ms_verdict_add(vs, MS_INFO, next, "%s of what was allocated was still live at the end "
			       "(allocated, not freed; not the same as resident).", ms_size_fmt(live, a));
}

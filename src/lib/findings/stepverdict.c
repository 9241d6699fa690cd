#include "findings/stepverdict.h"

#include <inttypes.h>

#include "util/size.h"

/* Bytes held count like a cause's resident bytes: notice from 32 MiB,
 * problem from 256 MiB (findings/causes.h, without an RSS to share). */
static enum ms_level held_level(uint64_t bytes)
{
	return bytes >= (256ull << 20) ? MS_PROBLEM : bytes >= (32ull << 20) ? MS_NOTICE : MS_INFO;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

void ms_hotspots_verdicts(const struct ms_hotspots *h, const char *next, struct ms_verdicts *vs)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
	vs->n = 0;
	if (!h->events) {
		ms_verdict_add(vs, MS_INFO, next, "No allocator call was recorded: the process did not allocate "
			       "while it was watched.");
		return;
	}
	const struct ms_hs_thread *top = NULL;
	for (size_t i = 0; i < h->nthreads; i++)
		if (!top || h->threads[i].calls > top->calls)
			top = &h->threads[i];
	if (top)
		ms_verdict_add(vs, MS_INFO, "",
			       "Thread %u (%s) made %.0f%% of the %" PRIu64 " allocator calls, requesting %s of %s.",
			       top->tid, top->name[0] ? top->name : "?", pct(top->calls, h->events), h->events,
			       ms_size_fmt(top->bytes, a), ms_size_fmt(h->bytes, b));
	if (h->count_only)
		return (void)ms_verdict_add(vs, MS_INFO, next, "Counts only: no pointers were logged, so what stays "
					    "allocated is not known.");
	uint64_t live = 0, top_live = 0;
	for (size_t i = 0; i < h->nsites; i++) {
		live += h->sites[i].live_bytes;
		if (h->sites[i].live_bytes > top_live)
			top_live = h->sites[i].live_bytes;
	}
	if (live)
		ms_verdict_add(vs, held_level(live), next,
			       "%s requested here was still allocated at the end, %.0f%% of it from one call site "
			       "(the table of bytes still live): memory the program holds, or leaks.",
			       ms_size_fmt(live, a), pct(top_live, live));
	else
		ms_verdict_add(vs, MS_INFO, next, "Everything allocated while watched was freed again: what RSS "
			       "keeps is free memory the allocator holds.");
}

void ms_sys_verdicts(const struct ms_sys_summary *s, const char *next, struct ms_verdicts *vs)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
	vs->n = 0;
	if (!s->events) {
		ms_verdict_add(vs, MS_INFO, next, "No memory syscall while tracing: the heaps neither grew nor shrank.");
		return;
	}
	uint64_t brk_up = 0, brk_down = 0;
	for (size_t i = 0; i < s->nbrk && i < MS_SUM_MAX_PROCS; i++) {
		brk_up += s->brk[i].grown;
		brk_down += s->brk[i].shrunk;
	}
	if (s->heaps_created)
		ms_verdict_add(vs, s->heaps_created > 8 ? MS_NOTICE : MS_INFO, "",
			       "%" PRIu64 " arena heap%s created while tracing: threads spread their allocations over "
			       "more arenas.", s->heaps_created, s->heaps_created == 1 ? " was" : "s were");
	char c[MS_SIZE_BUF], d[MS_SIZE_BUF];
	/* Mapped is not resident: an mmap reserves address space; the heaps'
	 * and the break's growth are what malloc put to use. */
	ms_verdict_add(vs, MS_INFO, next,
		       "While traced, the break grew %s and arena heaps %s (put to use), mmap mapped %s; "
		       "%s went back to the kernel (munmap, madvise, brk).",
		       ms_size_fmt(brk_up, a), ms_size_fmt(s->heap_grow_bytes, b),
		       ms_size_fmt(s->total[MS_SC_MMAP].bytes, c),
		       ms_size_fmt(s->madvise_returned + s->munmap_returned + brk_down, d));
}

#include "findings/arenaverdict.h"

#include <stdio.h>
#include <string.h>

#include "probe/remote.h"
#include "util/size.h"

double ms_arena_fragmentation(const struct ms_arena_stat *s)
{
	return s->free_bytes ? 1.0 - (double)s->largest_free / (double)s->free_bytes : 0.0;
}

void ms_arenas_verdicts(const struct ms_arenas *a, struct ms_verdicts *vs)
{
	char b[4][MS_SIZE_BUF], next[200];
	memset(vs, 0, sizeof *vs);
	if (!a->glibc_in_charge && a->partial) {
		ms_verdict_add(vs, MS_PROBLEM, "", "The core is partial (%s): %s.", a->missing, a->inconsistency);
		return;
	}
	if (!a->glibc_in_charge) {
		snprintf(next, sizeof next, "memsleuth overview %d", (int)a->pid);
		ms_verdict_add(vs, MS_INFO, next, "glibc arenas unused: %s is the allocator", a->allocator);
		return;
	}
	const struct ms_arena_stat *T = &a->total;
	uint64_t rss = a->rss_bytes, trim = a->trim_prediction_bytes;
	snprintf(next, sizeof next, "memsleuth trim %d", (int)a->pid);
	int core = !strcmp(a->source, "core");
	if (!a->snapshot_consistent)
		ms_verdict_add(vs, MS_PROBLEM, a->stopped || core ? "" : "rerun with --stop for an exact snapshot",
			       "The heap %s (%s); the figures cover what could be walked.",
			       core ? (a->missing[0] ? "is not all in the core" : "in the core is corrupted") :
			       a->stopped ? "is corrupted" : "changed under the walk or is corrupted",
			       a->inconsistency);
	if (core && a->missing[0])
		ms_verdict_add(vs, MS_NOTICE, "", "The core is partial: %s.", a->missing);
	if (core && !a->n)
		return;   /* nothing walked */
	if (core)
		/* no RSS in a core: the trim figure stands on its own */
		ms_verdict_add(vs, trim > (1u << 20) ? MS_PROBLEM : MS_INFO, "",
			       "malloc_trim(0) would have given back %s %s.", ms_size_fmt(trim, b[0]),
			       a->residency == MS_RES_CORE_HOLES ? "(resident pages from the core's holes, approximate)"
			       : "(residency unknown in this core: every page counted, an upper bound)");
	else if (rss && trim * 10 >= rss)
		ms_verdict_add(vs, MS_PROBLEM, next,
			       "%.0f%% of the RSS (%s) is free memory glibc keeps: malloc_trim(0) would give it back (RSS %s -> about %s).",
			       100.0 * (double)trim / (double)rss, ms_size_fmt(trim, b[0]), ms_size_fmt(rss, b[1]),
			       ms_size_fmt(rss - trim, b[2]));
	else
		ms_verdict_add(vs, MS_INFO, "", "Little to gain from malloc_trim(0): %s of %s RSS.",
			       ms_size_fmt(trim, b[0]), ms_size_fmt(rss, b[1]));
	if (T->free_resident_bytes > T->top_resident_bytes && T->free_resident_bytes > (1u << 20))
		ms_verdict_add(vs, MS_NOTICE, "",
			       "Free memory is pinned below in-use chunks (%s resident in free chunks, %s in top chunks): a heap only shrinks from its top.",
			       ms_size_fmt(T->free_resident_bytes, b[0]), ms_size_fmt(T->top_resident_bytes, b[1]));
	if (a->n > 1)
		ms_verdict_add(vs, MS_NOTICE, "",
			       "%zu arenas reserve %s of address space and each keeps its own free memory; MALLOC_ARENA_MAX caps them.",
			       a->n, ms_size_fmt(T->reserved, b[0]));
	if (T->free_bytes > (1u << 20) && ms_arena_fragmentation(T) > 0.5)
		ms_verdict_add(vs, MS_NOTICE, "", "Free memory is fragmented: the largest free chunk is %s of %s free.",
			       ms_size_fmt(T->largest_free, b[0]), ms_size_fmt(T->free_bytes, b[1]));
	if (T->kind_bytes[MS_CK_TCACHE] > (1u << 20))
		ms_verdict_add(vs, MS_INFO, "", "%s sits in per-thread caches (tcache), which malloc_trim does not release.",
			       ms_size_fmt(T->kind_bytes[MS_CK_TCACHE], b[0]));
}

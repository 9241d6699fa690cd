#include "findings/arenaverdict.h"

#include <stdio.h>
#include <string.h>

#include "findings/causes_feed.h"
#include "probe/remote.h"
#include "util/size.h"

double ms_arena_fragmentation(const struct ms_arena_stat *s)
{
	return s->free_bytes ? 1.0 - (double)s->largest_free / (double)s->free_bytes : 0.0;
}

void ms_arenas_causes(const struct ms_arenas *a, struct ms_causes *c)
{
	struct ms_cause_facts f;
	ms_cause_facts_init(&f, a->pid);
	ms_cause_facts_from_arenas(&f, a);
	ms_causes_build(&f, c);
}

void ms_arenas_verdicts(const struct ms_arenas *a, const struct ms_causes *c, struct ms_verdicts *vs)
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
	ms_causes_verdicts(c, vs);
	if (core)
		ms_verdict_add(vs, MS_INFO, "",
			       "Read from a core: resident bytes %s; RSS is not in a core, so no share of it is known.",
			       a->residency == MS_RES_CORE_HOLES ? "from the core's holes (pages never present), approximate"
			       : "unknown (a core with every page written, as gcore writes): every page counted, an upper bound");
	int kept = 0;
	for (int i = 0; i < c->n; i++)
		kept |= c->v[i].kind != MS_CAUSE_IN_USE_UNACCOUNTED && c->v[i].kind != MS_CAUSE_MMAPPED_CHUNKS;
	if (!kept)
		ms_verdict_add(vs, MS_INFO, "",
			       "glibc keeps little free memory: %s resident in free chunks, %s at the tops; "
			       "malloc_trim(0) would return %s of %s RSS.",
			       ms_size_fmt(T->free_resident_bytes, b[0]), ms_size_fmt(T->top_resident_bytes, b[1]),
			       ms_size_fmt(a->trim_prediction_bytes, b[2]), ms_size_fmt(a->rss_bytes, b[3]));
	if (T->kind_bytes[MS_CK_TCACHE] > (1u << 20))
		ms_verdict_add(vs, MS_INFO, "", "%s sits in per-thread caches (tcache), which malloc_trim does not release.",
			       ms_size_fmt(T->kind_bytes[MS_CK_TCACHE], b[0]));
}

#include "findings/arenaverdict.h"

#include <stdio.h>
#include <string.h>

#include "findings/causes_feed.h"
#include "findings/overview.h"
#include "probe/remote.h"
#include "util/size.h"

double ms_arena_fragmentation(const struct ms_arena_stat *s)
{
	return s->free_bytes ? (double)s->free_outside_largest / (double)s->free_bytes : 0.0;
}

const char *ms_damage_name(enum ms_damage d)
{
	return d == MS_DAMAGE_CORRUPTED ? "corrupted" : d == MS_DAMAGE_CHANGING ? "changing" : "none";
}

const char *ms_damage_words(enum ms_damage d, int stopped)
{
	if (d == MS_DAMAGE_CHANGING)
		return "the heap changed under the walk (its snapshots differ)";
	return stopped ? "the walk found damage in a frozen snapshot" : "the walk found the same damage in two snapshots";
}

void ms_arena_pin_text(const struct ms_arena_stat *s, char *buf, size_t len)
{
	char b[3][MS_SIZE_BUF];
	buf[0] = 0;
	if (!s->npins)
		return;
	const struct ms_pin *p = &s->pins[0];
	char who[220] = "";
	if (p->allocated_at[0])
		snprintf(who, sizeof who, " allocated at %.120s by thread %s", p->allocated_at, p->thread);
	int n = snprintf(buf, len, "1 live chunk of %s at %#llx%s pins %s", ms_size_fmt(p->size, b[0]),
			 (unsigned long long)p->address, who, ms_size_fmt(p->pinned, b[1]));
	if (s->pin_chunks > 1 && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; %llu more live chunks (%s) stand between it and the top",
			 (unsigned long long)(s->pin_chunks - 1), ms_size_fmt(s->pin_bytes - p->size, b[2]));
}

void ms_arena_tcache_hold_text(const struct ms_arena_stat *s, char *buf, size_t len)
{
	const struct ms_tcache_hold *h = &s->tcache_hold;
	char b[2][MS_SIZE_BUF], whose[96];
	buf[0] = 0;
	if (!h->chunks || s->npins)
		return;
	if (h->tcaches > 1)
		snprintf(whose, sizeof whose, "%d threads' tcaches", h->tcaches);
	else if (h->tid && h->thread[0])
		snprintf(whose, sizeof whose, "thread %d's (%s) tcache", (int)h->tid, h->thread);
	else if (h->tid)
		snprintf(whose, sizeof whose, "thread %d's tcache", (int)h->tid);
	else
		snprintf(whose, sizeof whose, "a thread's tcache");
	snprintf(buf, len, "%llu chunk%s in %s (freed, cached by glibc, %s%s) stand%s between %s of free memory and the top",
		 (unsigned long long)h->chunks, h->chunks == 1 ? "" : "s", whose, ms_size_fmt(h->bytes, b[0]),
		 h->tid || h->tcaches > 1 ? "" : "; which thread's: not attributed, see tcaches",
		 h->chunks == 1 ? "s" : "", ms_size_fmt(h->free_below, b[1]));
}

void ms_arena_tcache_hold_remedy(const struct ms_arena_stat *s, char *buf, size_t len)
{
	char b[MS_SIZE_BUF];
	buf[0] = 0;
	if (!s->tcache_hold.chunks || s->npins)
		return;
	/* mtrim (malloc.c) madvises the free chunks' whole pages and, in the
	 * main arena, systrim cuts the top; nothing empties a tcache */
	snprintf(buf, len, "malloc_trim(0) would return %s now (the free pages; it leaves the tcache, and so the "
		 "heap's size, as they are); GLIBC_TUNABLES=glibc.malloc.tcache_count=0 sends every free to the heap, "
		 "whose top then shrinks at free (for good, at some speed cost)", ms_size_fmt(s->trim_bytes, b));
}

void ms_arenas_causes(const struct ms_arenas *a, struct ms_causes *c)
{
	struct ms_cause_facts f;
	ms_cause_facts_init(&f, a->pid);
	ms_cause_facts_from_arenas(&f, a);
	if (!strcmp(a->source, "process"))
		f.runtime = ms_runtime_of(a->pid);
	if (!strcmp(a->source, "core"))
		ms_cause_facts_core(&f, a->pid, a->command);
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
		if (a->core[0])   /* the next step reads the core too */
			snprintf(next, sizeof next, "memsleuth overview --core %.160s", a->core);
		else
			snprintf(next, sizeof next, "memsleuth overview %d", (int)a->pid);
		ms_verdict_add(vs, MS_INFO, next, "glibc arenas unused: %s is the allocator", a->allocator);
		return;
	}
	const struct ms_arena_stat *T = &a->total;
	int core = !strcmp(a->source, "core");
	char lists[200];
	snprintf(lists, sizeof lists, "memsleuth arenas %d --bins --lists", (int)a->pid);
	if (core && !a->snapshot_consistent)
		ms_verdict_add(vs, MS_PROBLEM, "",
			       "The heap %s (%s); the figures cover what could be walked and are unreliable.",
			       a->missing[0] ? "is not all in the core" : "in the core is corrupted", a->inconsistency);
	else if (a->damage == MS_DAMAGE_CHANGING)
		ms_verdict_add(vs, MS_PROBLEM, "rerun with --stop for an exact snapshot",
			       "%c%s (last: %s); the figures are unreliable.", 'T',
			       ms_damage_words(a->damage, a->stopped) + 1, a->inconsistency);
	else if (!a->snapshot_consistent)
		ms_verdict_add(vs, MS_PROBLEM, lists,
			       "The heap is corrupted (%s): %s; %zu list%s flagged, the figures cover what could be walked and are unreliable.",
			       ms_damage_words(a->damage, a->stopped),
			       a->inconsistency, a->corrupt_lists, a->corrupt_lists == 1 ? "" : "s");
	if (a->noncontiguous)
		ms_verdict_add(vs, MS_INFO, "",
			       "The main heap is non-contiguous (%llu segments): the break moved under glibc (a foreign sbrk, or brk failed and the heap went on in mmapped memory); this is not corruption.",
			       (unsigned long long)(a->n ? a->v[0].segments : 0));
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
	if (!kept)   /* "of N RSS" only where the RSS is known (not from a core) */
		ms_verdict_add(vs, MS_INFO, "",
			       "glibc keeps little free memory: %s resident in free chunks, %s at the tops; "
			       "malloc_trim(0) would return %s%s%s%s.",
			       ms_size_fmt(T->free_resident_bytes, b[0]), ms_size_fmt(T->top_resident_bytes, b[1]),
			       ms_size_fmt(a->trim_prediction_bytes, b[2]), a->rss_bytes ? " of " : "",
			       a->rss_bytes ? ms_size_fmt(a->rss_bytes, b[3]) : "", a->rss_bytes ? " RSS" : "");
	if (T->kind_bytes[MS_CK_TCACHE] > (1u << 20))
		ms_verdict_add(vs, MS_INFO, "", "%s sits in per-thread caches (tcache), which malloc_trim does not release.",
			       ms_size_fmt(T->kind_bytes[MS_CK_TCACHE], b[0]));
}

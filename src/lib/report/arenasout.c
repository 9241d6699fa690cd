#include "report/arenasout.h"

#include <inttypes.h>
#include <string.h>

#include "findings/arenaverdict.h"
#include "findings/pinsum.h"
#include "probe/remote.h"
#include "report/causes_report.h"
#include "report/overview_report.h"
#include "report/table.h"
#include "util/size.h"

static const char *sz(uint64_t v, char b[MS_SIZE_BUF])
{
	return ms_size_fmt(v, b);
}

#define frag ms_arena_fragmentation

static const char *list_kind(const struct ms_list *l)
{
	switch (l->kind) {
	case MS_CK_TCACHE: return "tcache";
	case MS_CK_FAST: return "fastbin";
	case MS_CK_UNSORTED: return "unsorted";
	case MS_CK_SMALL: return "small bin";
	default: return "large bin";
	}
}

static void arena_row(struct ms_table *t, const char *name, const struct ms_arena_stat *s)
{
	char b[9][MS_SIZE_BUF];
	ms_table_rowf(t, "%s\t%" PRIu64 "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%" PRIu64, name, s->heaps,
		      sz(s->system_mem, b[0]), sz(s->in_use_bytes, b[1]), sz(s->free_bytes, b[2]),
		      sz(s->top_bytes, b[3]), sz(s->free_resident_bytes, b[4]),
		      sz(s->largest_free, b[5]), sz(s->trim_bytes, b[6]), frag(s), s->attached_threads);
}

static void bins_rows(struct ms_table *t, const char *what, const struct ms_bin_stat *v, int n, int first)
{
	char b[3][MS_SIZE_BUF];
	for (int i = first; i < n; i++)
		if (v[i].count)
			ms_table_rowf(t, "%s\t%d\t%" PRIu64 "\t%s\t%s\t%s", what, i, v[i].count, sz(v[i].bytes, b[0]),
				      sz(v[i].min, b[1]), sz(v[i].max, b[2]));
}

void ms_arenas_print_text(FILE *out, const struct ms_arenas *a, int flags)
{
	char b[6][MS_SIZE_BUF];
	struct ms_verdicts vs;
	struct ms_causes cs;
	ms_arenas_causes(a, &cs);
	ms_arenas_verdicts(a, &cs, &vs);
	if (!a->glibc_in_charge) {
		ms_verdicts_text(&vs, out);
		return;
	}
	fprintf(out, "%sprocess %d: glibc %s%s, %zu arena%s, main_arena at %#" PRIx64 " (%s%s)\n",
		!strcmp(a->source, "core") ? "core of " : "", (int)a->pid,
		a->glibc_version, a->version_assumed ? " (assumed)" : "", a->n, a->n == 1 ? "" : "s",
		a->main_arena, a->debuginfo_used ? "from debug symbols" : "found without symbols",
		a->symbols_agree == 1 ? ", heuristic agrees" : "");
	if (a->symbols_agree == 0) {
		if (a->heuristic_arena)
			fprintf(out, "  the heuristic found %#" PRIx64 " instead; the debug symbols' address is used: "
				"they name the object, the heuristic only matches its shape\n", a->heuristic_arena);
		else
			fprintf(out, "  the heuristic found no main_arena (or a different mp_); the debug symbols' addresses are used\n");
	}
	fprintf(out, "snapshot: %s after %d attempt%s, %" PRIu64 " chunks in %.1f ms",
		a->snapshot_consistent ? "consistent" : a->missing[0] ? "PARTIAL (the core lacks memory)" :
		a->damage == MS_DAMAGE_CHANGING ? "CHANGING" : "CORRUPTED",
		a->attempts, a->attempts == 1 ? "" : "s", a->chunks_walked, a->walk_ms);
	if (a->stopped)
		fprintf(out, ", target held stopped %.1f ms", a->stop_ms);
	fprintf(out, "\n");
	if (!a->snapshot_consistent) {
		fprintf(out, "  first problem: %s\n", a->inconsistency);
		fprintf(out, "  the figures below are UNRELIABLE: they cover what could be walked\n");
	}
	if (a->corrupt_lists) {
		fprintf(out, "  corrupt lists (%zu; the others are counted):\n", a->corrupt_lists);
		size_t shown = 0;
		for (size_t k = 0; k < a->nlists && shown < 20; k++) {
			const struct ms_list *l = &a->lists[k];
			if (!l->corrupt)
				continue;
			shown++;
			fprintf(out, "    %s %u of %#" PRIx64 " at %#" PRIx64 ": %s\n", list_kind(l), l->index,
				l->owner, l->bad_address, l->reason);
		}
	}
	if (a->noncontiguous && a->n)
		fprintf(out, "  main heap: non-contiguous (%" PRIu64 " segments, fenced by glibc when the break moved)\n",
			a->v[0].segments);
	for (size_t i = 0; i < a->n; i++) {
		char pin[400];
		ms_arena_pin_text(&a->v[i], pin, sizeof pin);
		if (pin[0])
			fprintf(out, "  pin in arena %#" PRIx64 ": %s\n", a->v[i].address, pin);
		char hold[300], what[300];
		ms_arena_tcache_hold_text(&a->v[i], hold, sizeof hold);
		ms_arena_tcache_hold_remedy(&a->v[i], what, sizeof what);
		if (hold[0])
			fprintf(out, "  no live pin in arena %#" PRIx64 ": %s: %s\n", a->v[i].address, hold, what);
	}
	struct ms_pin_summary ps;
	if (ms_pin_summarize(a, &ps) && a->n > 1)   /* one arena: its pin line says it all */
		fprintf(out, "  pins together: %s\n", ps.text);
	fprintf(out, "\n");
	if (!a->n) {   /* a partial core: nothing walked, the verdicts say why */
		ms_verdicts_text(&vs, out);
		return;
	}

	static const char *const heads[] = { "ARENA", "HEAPS", "SYSTEM", "IN USE", "FREE", "TOP",
					     "FREE RSS", "LARGEST", "TRIM", "FRAG", "THREADS" };
	struct ms_table t;
	ms_table_init(&t, "lrrrrrrrrrr", heads);
	for (size_t i = 0; i < a->n; i++) {
		char name[40];
		snprintf(name, sizeof name, "%#" PRIx64 "%s", a->v[i].address, a->v[i].is_main ? " main" : "");
		arena_row(&t, name, &a->v[i]);
	}
	arena_row(&t, "total", &a->total);
	ms_table_print(&t, out, "  ");
	ms_table_free(&t);

	const struct ms_arena_stat *T = &a->total;
	fprintf(out, "\nfree by kind:");
	for (int k = MS_CK_TCACHE; k < MS_CK__N; k++)
		fprintf(out, " %s %s (%" PRIu64 ")%s", ms_chunk_kind_name((enum ms_chunk_kind)k),
			sz(T->kind_bytes[k], b[0]), T->kind_chunks[k], k + 1 < MS_CK__N ? "," : "\n");
	fprintf(out, "tcaches: %zu", a->tcaches);
	if (a->tcaches && a->tcache_tid) {
		fprintf(out, ", by thread (%s):\n", a->tcache_attribution);
		for (size_t k = 0; k < a->tcaches; k++) {
			const struct ms_tcache_use *u = a->tcache_use ? &a->tcache_use[k] : NULL;
			if (a->tcache_tid[k])
				fprintf(out, "  thread %d %-15s", (int)a->tcache_tid[k], u && u->thread[0] ? u->thread : "?");
			else
				fprintf(out, "  %-23s", "no thread");
			fprintf(out, " tcache at %#" PRIx64, a->tcache_chunk[k]);
			if (u)
				fprintf(out, ": %" PRIu64 " chunk%s, %s", u->chunks, u->chunks == 1 ? "" : "s", sz(u->bytes, b[0]));
			fprintf(out, "\n");
		}
	} else if (a->tcaches && a->tcache_attribution[0]) {
		fprintf(out, ", %s\n", a->tcache_attribution);
	} else {
		fprintf(out, "\n");
	}
	fprintf(out, "mmapped chunks found mapped: %zu holding %s (%s resident)\n", a->nmmapped,
		sz(a->mmapped_found_bytes, b[0]), sz(a->mmapped_resident_bytes, b[1]));
	fprintf(out, "mmapped chunks by mp_'s counters: %" PRIu64 " holding %s (mp_: mmap_threshold %s, trim_threshold %s%s, "
		"arena_max %" PRIu64 ", tcache_count %" PRIu64 ")\n", a->mmapped_chunks, sz(a->mmapped_bytes, b[0]),
		sz(a->mp.mmap_threshold, b[1]), sz(a->mp.trim_threshold, b[2]),
		a->mp.no_dyn_threshold ? ", fixed" : ", adjusted by glibc at free", a->mp.arena_max,
		a->mp.tcache_count);

	if (flags & MS_AOUT_HIST) {
		fprintf(out, "\nchunk sizes (top excluded):\n");
		ms_table_init(&t, "rrrrr", (const char *[]){ "size >=", "in use", "in use bytes", "free", "free bytes" });
		for (int i = 0; i < MS_HIST_BUCKETS; i++) {
			const struct ms_hist *h = &a->hist;
			if (!h->in_use_chunks[i] && !h->free_chunks[i])
				continue;
			ms_table_rowf(&t, "%s\t%" PRIu64 "\t%s\t%" PRIu64 "\t%s", sz(ms_hist_floor(i), b[0]),
				      h->in_use_chunks[i], sz(h->in_use_bytes[i], b[1]), h->free_chunks[i],
				      sz(h->free_bytes[i], b[2]));
		}
		ms_table_print(&t, out, "  ");
		ms_table_free(&t);
	}
	if (flags & MS_AOUT_BINS) {
		for (size_t i = 0; i < a->n; i++) {
			fprintf(out, "\nbins of arena %#" PRIx64 "%s:\n", a->v[i].address, a->v[i].is_main ? " (main)" : "");
			ms_table_init(&t, "lrrrrr", (const char *[]){ "list", "index", "count", "bytes", "min", "max" });
			bins_rows(&t, "tcache", a->v[i].tcache, MS_TCACHE_BINS, 0);
			bins_rows(&t, "fast", a->v[i].fast, MS_NFASTBINS, 0);
			bins_rows(&t, "bin", a->v[i].bins, MS_NBINS, 1);
			ms_table_print(&t, out, "    ");
			ms_table_free(&t);
		}
	}

	if (flags & MS_AOUT_LISTS) {
		fprintf(out, "\nfree lists (owner: arena, or the thread's tcache_perthread_struct chunk):\n");
		for (size_t k = 0; k < a->nlists; k++) {
			const struct ms_list *l = &a->lists[k];
			fprintf(out, "    %-9s %3u of %#" PRIx64 "  count %-7" PRIu64 " bytes %-9s %s%s%s\n",
				list_kind(l), l->index, l->owner, l->count, sz(l->bytes, b[0]),
				l->corrupt ? "CORRUPT: " : "ok", l->corrupt ? l->reason : "",
				l->kind == MS_CK_TCACHE && l->expected != l->count && !l->corrupt ? " (count differs)" : "");
			/* the entries in list order (head first), the first 16 */
			for (size_t e = 0; a->entries && e < l->nentries && e < 16; e++)
				fprintf(out, "%s%#" PRIx64 "%s", e % 4 ? " " : "      ", a->entries[l->entry0 + e],
					e % 4 == 3 || e + 1 == l->nentries || e == 15 ? "\n" : "");
			if (a->entries && l->nentries > 16)
				fprintf(out, "      ... %zu more (--json lists them all)\n", l->nentries - 16);
		}
	}

	uint64_t rss = a->rss_bytes, trim = a->trim_prediction_bytes;
	fprintf(out, "\ntrim prediction: malloc_trim(0) would release %s of resident memory "
		"(%s from top of the main heap)", sz(trim, b[0]), sz(T->trim_top_bytes, b[1]));
	if (!strcmp(a->source, "process"))
		fprintf(out, "; RSS %s -> about %s\n", sz(rss, b[2]), sz(rss > trim ? rss - trim : 0, b[3]));
	else
		fprintf(out, "; residency %s\n", a->residency == MS_RES_CORE_HOLES ?
			"from the core's holes (pages never present), approximate" :
			a->residency == MS_RES_UNKNOWN ? "unknown (a core with every page written): an upper bound" :
			ms_residency_name(a->residency));

	fprintf(out, "\n");
	ms_causes_text(&cs, out);
	fprintf(out, "\n");
	ms_verdicts_text(&vs, out);
}

static void stat_json(struct ms_json *j, const struct ms_arena_stat *s, int bins)
{
	ms_json_ku64(j, "heaps", s->heaps);
	ms_json_ku64(j, "reserved_bytes", s->reserved);
	ms_json_ku64(j, "committed_bytes", s->committed);
	ms_json_ku64(j, "system_mem_bytes", s->system_mem);
	ms_json_ku64(j, "max_system_mem_bytes", s->max_system_mem);
	ms_json_ku64(j, "in_use_bytes", s->in_use_bytes);
	ms_json_ku64(j, "in_use_resident_bytes", s->in_use_resident_bytes);
	ms_json_ku64(j, "in_use_chunks", s->in_use_chunks);
	ms_json_ku64(j, "free_bytes", s->free_bytes);
	ms_json_ku64(j, "top_bytes", s->top_bytes);
	ms_json_ku64(j, "free_resident_bytes", s->free_resident_bytes);
	ms_json_ku64(j, "top_resident_bytes", s->top_resident_bytes);
	ms_json_ku64(j, "largest_free_bytes", s->largest_free);
	ms_json_kdouble(j, "fragmentation", frag(s));
	ms_json_ku64(j, "trim_bytes", s->trim_bytes);
	ms_json_ku64(j, "trim_top_bytes", s->trim_top_bytes);
	ms_json_ku64(j, "attached_threads", s->attached_threads);
	ms_json_ku64(j, "pin_chunks", s->pin_chunks);
	ms_json_ku64(j, "pin_bytes", s->pin_bytes);
	ms_json_ku64(j, "pinned_free_bytes", s->pinned_free_bytes);
	ms_json_key(j, "free_by_kind");
	ms_json_obj_begin(j);
	for (int k = MS_CK_TCACHE; k < MS_CK__N; k++) {
		ms_json_key(j, ms_chunk_kind_name((enum ms_chunk_kind)k));
		ms_json_obj_begin(j);
		ms_json_ku64(j, "free_bytes", s->kind_bytes[k]);
		ms_json_ku64(j, "chunks", s->kind_chunks[k]);
		ms_json_obj_end(j);
	}
	ms_json_obj_end(j);
	ms_json_key(j, "bins");
	ms_json_arr_begin(j);
	struct { const char *kind; const struct ms_bin_stat *v; int n, first; } sets[] = {
		{ "tcache", s->tcache, MS_TCACHE_BINS, 0 }, { "fast", s->fast, MS_NFASTBINS, 0 },
		{ "regular", s->bins, MS_NBINS, 1 } };
	for (size_t k = 0; bins && k < 3; k++)
		for (int i = sets[k].first; i < sets[k].n; i++) {
			const struct ms_bin_stat *b = &sets[k].v[i];
			if (!b->count)
				continue;
			ms_json_obj_begin(j);
			ms_json_kstr(j, "kind", k == 2 ? (i == 1 ? "unsorted" : i < 64 ? "small" : "large") : sets[k].kind);
			ms_json_ki64(j, "index", i);
			ms_json_ku64(j, "count", b->count);
			ms_json_ku64(j, "free_bytes", b->bytes);
			ms_json_ku64(j, "min_bytes", b->min);
			ms_json_ku64(j, "max_bytes", b->max);
			ms_json_obj_end(j);
		}
	ms_json_arr_end(j);
}

/* "pin_summary": the pins grouped (findings/pinsum.h), null without a pin. */
static void pin_summary_json(struct ms_json *j, const struct ms_arenas *a)
{
	struct ms_pin_summary s;
	char hex[32];
	ms_json_key(j, "pin_summary");
	if (!ms_pin_summarize(a, &s)) {
		ms_json_null(j);
		return;
	}
	ms_json_obj_begin(j);
	ms_json_ku64(j, "pins", (uint64_t)s.pins);
	ms_json_kbool(j, "is_main", s.main);
	ms_json_kstr(j, "allocated_at", s.site[0] ? s.site : NULL);
	ms_json_ku64(j, "pinned_bytes", s.pinned);
	ms_json_ku64(j, "size_min_bytes", s.size_min);
	ms_json_ku64(j, "size_max_bytes", s.size_max);
	ms_json_ku64(j, "trim_bytes", s.trim);
	ms_json_ku64(j, "trim_top_bytes", s.trim_top);
	ms_json_ku64(j, "other_pins", (uint64_t)s.other_pins);
	ms_json_ku64(j, "other_pinned_bytes", s.other_pinned);
	ms_json_ku64(j, "rest_bytes", s.rest);
	ms_json_kdouble(j, "share", s.share);
	ms_json_kbool(j, "minor", s.minor);
	ms_json_kstr(j, "text", s.text);
	ms_json_key(j, "largest");
	ms_json_obj_begin(j);
	snprintf(hex, sizeof hex, "%#" PRIx64, s.largest.address);
	ms_json_kstr(j, "address", hex);
	ms_json_ku64(j, "size_bytes", s.largest.size);
	ms_json_ku64(j, "pinned_bytes", s.largest.pinned);
	if (s.largest.allocated_at[0]) {
		ms_json_kstr(j, "allocated_at", s.largest.allocated_at);
		ms_json_kstr(j, "thread", s.largest.thread);
		ms_json_ku64(j, "tid", s.largest.tid);
	}
	ms_json_obj_end(j);
	ms_json_obj_end(j);
}

void ms_arenas_json(struct ms_json *j, const struct ms_arenas *a, int flags)
{
	char hex[32];
	struct ms_verdicts vs;
	struct ms_causes cs;
	ms_arenas_causes(a, &cs);
	ms_arenas_verdicts(a, &cs, &vs);
	ms_json_kstr(j, "step", "arenas");
	ms_json_ki64(j, "pid", a->pid);
	ms_json_kstr(j, "allocator", a->allocator);
	ms_json_kbool(j, "glibc_in_charge", a->glibc_in_charge);
	ms_json_kstr(j, "source", a->source);
	ms_json_kbool(j, "partial", a->partial);
	ms_json_kstr(j, "missing", a->missing[0] ? a->missing : NULL);
	if (!a->glibc_in_charge) {
		ms_verdicts_json(&vs, j);
		return;
	}
	ms_json_kstr(j, "glibc_version", a->glibc_version);
	ms_json_kbool(j, "version_assumed", a->version_assumed);
	ms_json_kbool(j, "debuginfo_used", a->debuginfo_used);
	if (a->symbols_agree < 0)
		ms_json_key(j, "symbols_agree"), ms_json_null(j);
	else
		ms_json_kbool(j, "symbols_agree", a->symbols_agree);
	snprintf(hex, sizeof hex, "%#" PRIx64, a->main_arena);
	ms_json_kstr(j, "main_arena", hex);
	if (a->heuristic_arena) {
		snprintf(hex, sizeof hex, "%#" PRIx64, a->heuristic_arena);
		ms_json_kstr(j, "heuristic_main_arena", hex);
	} else {
		ms_json_key(j, "heuristic_main_arena"), ms_json_null(j);
	}
	ms_json_key(j, "mp");
	ms_json_obj_begin(j);
	snprintf(hex, sizeof hex, "%#" PRIx64, a->mp.address);
	ms_json_kstr(j, "address", hex);
	ms_json_ku64(j, "trim_threshold_bytes", a->mp.trim_threshold);
	ms_json_ku64(j, "top_pad_bytes", a->mp.top_pad);
	ms_json_ku64(j, "mmap_threshold_bytes", a->mp.mmap_threshold);
	ms_json_ku64(j, "arena_test", a->mp.arena_test);
	ms_json_ku64(j, "arena_max", a->mp.arena_max);
	ms_json_ki64(j, "n_mmaps", a->mp.n_mmaps);
	ms_json_ki64(j, "n_mmaps_max", a->mp.n_mmaps_max);
	ms_json_ku64(j, "mmapped_mem_bytes", a->mp.mmapped_mem);
	snprintf(hex, sizeof hex, "%#" PRIx64, a->mp.sbrk_base);
	ms_json_kstr(j, "sbrk_base", hex);
	ms_json_ku64(j, "tcache_bins", a->mp.tcache_bins);
	ms_json_ku64(j, "tcache_max_bytes", a->mp.tcache_max_bytes);
	ms_json_ku64(j, "tcache_count", a->mp.tcache_count);
	ms_json_ku64(j, "thp_pagesize_bytes", a->mp.thp_pagesize);
	ms_json_ki64(j, "no_dyn_threshold", a->mp.no_dyn_threshold);
	ms_json_obj_end(j);
	ms_json_key(j, "arenas");
	ms_json_arr_begin(j);
	for (size_t i = 0; i < a->n; i++) {
		ms_json_obj_begin(j);
		snprintf(hex, sizeof hex, "%#" PRIx64, a->v[i].address);
		ms_json_kstr(j, "address", hex);
		ms_json_kbool(j, "is_main", a->v[i].is_main);
		snprintf(hex, sizeof hex, "%#" PRIx64, a->v[i].top_address);
		ms_json_kstr(j, "top_address", hex);
		if (a->v[i].is_main) {
			ms_json_ku64(j, "segments", a->v[i].segments);
			ms_json_kbool(j, "top_at_brk", a->v[i].top_at_brk);
		}
		ms_json_key(j, "pins");
		ms_json_arr_begin(j);
		for (size_t k = 0; k < a->v[i].npins; k++) {
			const struct ms_pin *p = &a->v[i].pins[k];
			ms_json_obj_begin(j);
			snprintf(hex, sizeof hex, "%#" PRIx64, p->address);
			ms_json_kstr(j, "address", hex);
			ms_json_ku64(j, "size_bytes", p->size);
			ms_json_ku64(j, "pinned_bytes", p->pinned);
			if (p->allocated_at[0]) {   /* arenas --hotspots DIR */
				ms_json_kstr(j, "allocated_at", p->allocated_at);
				ms_json_kstr(j, "site", p->site);
				ms_json_kstr(j, "thread", p->thread);
				ms_json_ku64(j, "tid", p->tid);
			}
			ms_json_obj_end(j);
		}
		ms_json_arr_end(j);
		/* tcache chunks, not live ones, between free memory and the top */
		const struct ms_tcache_hold *h = &a->v[i].tcache_hold;
		ms_json_key(j, "tcache_hold");
		if (!h->chunks) {
			ms_json_null(j);
		} else {
			char text[300];
			ms_json_obj_begin(j);
			ms_json_ku64(j, "chunks", h->chunks);
			ms_json_ku64(j, "bytes", h->bytes);
			ms_json_ku64(j, "free_below_bytes", h->free_below);
			snprintf(hex, sizeof hex, "%#" PRIx64, h->tcache);
			ms_json_kstr(j, "tcache", hex);
			ms_json_ku64(j, "tcaches", (uint64_t)h->tcaches);
			ms_json_ku64(j, "tid", (uint64_t)h->tid);
			ms_json_kstr(j, "thread", h->thread);
			ms_arena_tcache_hold_text(&a->v[i], text, sizeof text);
			ms_json_kstr(j, "text", text);
			ms_json_obj_end(j);
		}
		stat_json(j, &a->v[i], 1);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	pin_summary_json(j, a);
	ms_json_key(j, "totals");
	ms_json_obj_begin(j);
	ms_json_ku64(j, "arenas", a->n);
	stat_json(j, &a->total, flags & MS_AOUT_BINS);
	ms_json_obj_end(j);
	ms_json_ku64(j, "tcaches_found", a->tcaches);
	ms_json_kstr(j, "tcache_attribution", a->tcache_attribution[0] ? a->tcache_attribution : NULL);
	ms_json_key(j, "tcaches");
	ms_json_arr_begin(j);
	for (size_t k = 0; a->tcache_chunk && k < a->tcaches; k++) {
		ms_json_obj_begin(j);
		snprintf(hex, sizeof hex, "%#" PRIx64, a->tcache_chunk[k]);
		ms_json_kstr(j, "chunk", hex);
		ms_json_key(j, "tid");
		if (a->tcache_tid && a->tcache_tid[k])
			ms_json_i64(j, a->tcache_tid[k]);
		else
			ms_json_null(j);
		ms_json_kstr(j, "thread", a->tcache_use && a->tcache_use[k].thread[0] ? a->tcache_use[k].thread : NULL);
		if (a->tcache_use) {
			ms_json_ku64(j, "chunks", a->tcache_use[k].chunks);
			ms_json_ku64(j, "free_bytes", a->tcache_use[k].bytes);
		}
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	ms_json_ku64(j, "mmapped_chunks", a->mmapped_chunks);
	ms_json_ku64(j, "mmapped_bytes", a->mmapped_bytes);
	ms_json_ku64(j, "mmapped_chunks_found", a->nmmapped);
	ms_json_ku64(j, "mmapped_found_bytes", a->mmapped_found_bytes);
	ms_json_ku64(j, "mmapped_found_resident_bytes", a->mmapped_resident_bytes);
	ms_json_key(j, "histogram");
	ms_json_arr_begin(j);
	for (int i = 0; i < MS_HIST_BUCKETS; i++) {
		const struct ms_hist *h = &a->hist;
		if (!h->in_use_chunks[i] && !h->free_chunks[i])
			continue;
		ms_json_obj_begin(j);
		ms_json_ku64(j, "from_bytes", ms_hist_floor(i));
		ms_json_ku64(j, "in_use_chunks", h->in_use_chunks[i]);
		ms_json_ku64(j, "in_use_bytes", h->in_use_bytes[i]);
		ms_json_ku64(j, "free_chunks", h->free_chunks[i]);
		ms_json_ku64(j, "free_bytes", h->free_bytes[i]);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	ms_json_ku64(j, "rss_bytes", a->rss_bytes);
	ms_json_ku64(j, "trim_prediction_bytes", a->trim_prediction_bytes);
	ms_json_ku64(j, "rss_after_trim_bytes", a->rss_bytes > a->trim_prediction_bytes ?
		     a->rss_bytes - a->trim_prediction_bytes : 0);
	ms_json_kstr(j, "residency", ms_residency_name(a->residency));
	ms_json_kbool(j, "snapshot_consistent", a->snapshot_consistent);
	ms_json_kbool(j, "unreliable", !a->snapshot_consistent);
	ms_json_kstr(j, "damage", ms_damage_name(a->damage));
	ms_json_kbool(j, "noncontiguous", a->noncontiguous);
	ms_json_ku64(j, "corrupt_lists", a->corrupt_lists);
	ms_json_key(j, "lists");
	ms_json_arr_begin(j);
	for (size_t k = 0; k < a->nlists; k++) {
		const struct ms_list *l = &a->lists[k];
		if (!(flags & MS_AOUT_LISTS) && !l->corrupt)
			continue;
		ms_json_obj_begin(j);
		ms_json_kstr(j, "kind", list_kind(l));
		ms_json_ku64(j, "index", l->index);
		snprintf(hex, sizeof hex, "%#" PRIx64, l->owner);
		ms_json_kstr(j, "owner", hex);
		if (l->kind == MS_CK_TCACHE)
			ms_json_ku64(j, "expected", l->expected);
		ms_json_ku64(j, "count", l->count);
		ms_json_ku64(j, "free_bytes", l->bytes);
		ms_json_kbool(j, "corrupt", l->corrupt);
		if (a->entries && (flags & MS_AOUT_LISTS)) {
			ms_json_key(j, "entries");
			ms_json_arr_begin(j);
			for (size_t e = 0; e < l->nentries; e++) {
				snprintf(hex, sizeof hex, "%#" PRIx64, a->entries[l->entry0 + e]);
				ms_json_str(j, hex);
			}
			ms_json_arr_end(j);
		}
		if (l->corrupt) {
			snprintf(hex, sizeof hex, "%#" PRIx64, l->bad_address);
			ms_json_kstr(j, "address", hex);
			ms_json_kstr(j, "reason", l->reason);
		}
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	ms_json_ki64(j, "attempts", a->attempts);
	ms_json_kstr(j, "inconsistency", a->snapshot_consistent ? NULL : a->inconsistency);
	ms_json_ku64(j, "chunks_walked", a->chunks_walked);
	ms_json_kdouble(j, "walk_ms", a->walk_ms);
	ms_json_kbool(j, "stopped", a->stopped);
	ms_json_ki64(j, "refreezes", a->refreezes);
	ms_json_kdouble(j, "stop_ms", a->stop_ms);
	ms_json_kdouble(j, "stop_cpu_ms", a->stop_cpu_ms);
	ms_causes_json(&cs, j);
	ms_verdicts_json(&vs, j);
}

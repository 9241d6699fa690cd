/* One section per step's findings.  Each writer reads only fields from the
 * step's JSON contract (docs/json/STEP.md) and skips what is absent. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "findings/remedy.h"
#include "records/callsite.h"
#include "report/json.h"
#include "report/render_int.h"
#include "report/svg.h"

static int cmp_bar(const void *a, const void *b)
{
	const struct ms_svg_bar *x = a, *y = b;
	return x->value < y->value ? 1 : x->value > y->value ? -1 : 0;
}

static void overview(struct ms_render *r, const struct ms_jval *f)
{
	struct ms_table t;
	/* overview --core: RSS is not in a core; its bytes per class instead */
	int core = !strcmp(ms_jstr(f, "source", ""), "core");
	const char *fld = core ? "in_core_bytes" : "rss_bytes";
	r_facts_begin(&t);
	r_fact_bytes(r, &t, "RSS", f, "rss_bytes");
	r_fact_bytes(r, &t, "in the core (RSS is not in a core)", f, "in_core_bytes");
	r_fact_bytes(r, &t, "of which glibc malloc's heaps", f, "malloc_in_core_bytes");
	r_fact_bytes(r, &t, "Pss", f, "pss_bytes");
	r_fact_bytes(r, &t, "held by glibc malloc", f, "malloc_rss_bytes");
	r_fact_bytes(r, &t, "arena heaps reserved", f, "arena_reserved_bytes");
	r_fact_bytes(r, &t, "arena heaps resident", f, "arena_rss_bytes");
	r_fact_bytes(r, &t, "accounted by the application", f, "accounted_bytes");
	r_fact_bytes(r, &t, "unexplained gap", f, "gap_bytes");
	char v[96];
	if (ms_jhas_num(f, "arenas") && core) {   /* the cap depends on the CPUs of its machine: not in a core */
		snprintf(v, sizeof v, "%" PRIu64, ms_ju64(f, "arenas", 0));
		r_fact(&t, "arenas", v);
	} else if (ms_jhas_num(f, "arenas")) {
		snprintf(v, sizeof v, "%" PRIu64 " of a cap of %" PRIu64 " (%s)", ms_ju64(f, "arenas", 0),
			 ms_ju64(f, "arena_cap", 0), ms_jstr(f, "arena_cap_source", "?"));
		r_fact(&t, "arenas", v);
	}
	if (ms_jhas_num(f, "arena_heaps")) {
		snprintf(v, sizeof v, "%" PRIu64, ms_ju64(f, "arena_heaps", 0));
		r_fact(&t, "arena heaps (64 MiB)", v);
	}
	if (ms_jstr(f, "allocator", NULL)) {
		snprintf(v, sizeof v, "%s%s%s", ms_jstr(f, "allocator", ""), ms_jstr(f, "glibc_version", NULL) ? " " : "",
			 ms_jstr(f, "glibc_version", ""));
		r_fact(&t, "allocator", v);
	}
	r_table(r, &t);

	const struct ms_jval *cls = ms_jget(f, "classes");
	struct ms_svg_bar bars[16];
	int n = 0;
	for (const struct ms_jval *c = cls && cls->type == MS_J_ARR ? cls->child : NULL; c && n < 16; c = c->next) {
		if (!ms_ju64(c, fld, 0))
			continue;
		snprintf(bars[n].label, sizeof bars[n].label, "%s", ms_jstr(c, "class", "?"));
		bars[n++].value = ms_ju64(c, fld, 0);
	}
	if (n) {
		qsort(bars, (size_t)n, sizeof bars[0], cmp_bar);
		char *buf;
		size_t len;
		FILE *m = r_chart_open(&buf, &len);
		char title[40];
		snprintf(title, sizeof title, "%s by memory class", core ? "Bytes in the core" : "RSS");
		if (m)
			ms_svg_bars(m, title, bars, n, 1);
		r_chart_close(r, m, &buf, title);
		char h1[16], h2[24];
		snprintf(h1, sizeof h1, "%s", core ? "in core" : "rss");
		snprintf(h2, sizeof h2, "%s bytes", h1);
		ms_table_init(&t, "lrrrr", (const char *[]){ "class", "mappings", "size", h1, h2 });
		for (const struct ms_jval *c = cls->child; c; c = c->next)
			if (ms_ju64(c, "mappings", 0))
				ms_table_rowf(&t, "%s\t%" PRIu64 "\t%s\t%s\t%" PRIu64, ms_jstr(c, "class", "?"),
					      ms_ju64(c, "mappings", 0), rsz(r, ms_ju64(c, "size_bytes", 0)),
					      rsz(r, ms_ju64(c, fld, 0)), ms_ju64(c, fld, 0));
		r_table(r, &t);
	}
}

static const char *const arena_segs[] = { "in use", "free, resident, kept", "free, resident, trimmable",
					  "free, released" };

/* The pins: each live chunk between free memory and its heap's top, the
 * free memory it holds back, and (arenas --hotspots) who allocated it. */
static void pins(struct ms_render *r, const struct ms_jval *as, const struct ms_jval *sum)
{
	struct ms_table t;
	int n = 0;
	ms_table_init(&t, "llrrll", (const char *[]){ "arena", "live chunk", "size", "pins", "allocated at", "thread" });
	for (const struct ms_jval *a = as->child; a; a = a->next) {
		const struct ms_jval *ps = ms_jget(a, "pins");
		for (const struct ms_jval *p = ps && ps->type == MS_J_ARR ? ps->child : NULL; p; p = p->next, n++) {
			char thread[96] = "";
			if (ms_jstr(p, "thread", NULL))
				snprintf(thread, sizeof thread, "%s (TID %" PRIu64 ")", ms_jstr(p, "thread", ""), ms_ju64(p, "tid", 0));
			ms_table_rowf(&t, "%s\t%s\t%s\t%s\t%s\t%s", ms_jbool(a, "is_main", false) ? "main" : ms_jstr(a, "address", "?"),
				      ms_jstr(p, "address", "?"), rsz(r, ms_ju64(p, "size_bytes", 0)),
				      rsz(r, ms_ju64(p, "pinned_bytes", 0)),
				      ms_jstr(p, "allocated_at", "-"), *thread ? thread : "-");
		}
	}
	if (!n) {
		ms_table_free(&t);
		return;
	}
	r_para(r, "The pins: live chunks that stand between free memory and their heap's top (a heap shrinks only from "
	       "its top, so the free memory below each stays while it lives); with a hotspots recording of the same "
	       "process, who allocated each:");
	r_table(r, &t);
	if (ms_jstr(sum, "text", NULL))   /* arenas' pin_summary (findings/pinsum.h) */
		r_para(r, "Together: %s.", ms_jstr(sum, "text", ""));
}

static void arenas(struct ms_render *r, const struct ms_jval *f)
{
	if (!ms_jbool(f, "glibc_in_charge", true)) {
		r_para(r, "%s", ms_jstr(f, "verdict", "glibc's arenas are not in charge of this process's memory"));
		return;
	}
	struct ms_table t;
	r_facts_begin(&t);
	if (ms_jstr(f, "glibc_version", NULL))
		r_fact(&t, "glibc", ms_jstr(f, "glibc_version", ""));
	r_fact_bytes(r, &t, "arenas: system memory", f, "totals.system_mem_bytes");
	r_fact_bytes(r, &t, "in use", f, "totals.in_use_bytes");
	r_fact_bytes(r, &t, "free (in bins and top)", f, "totals.free_bytes");
	r_fact_bytes(r, &t, "free and resident", f, "totals.free_resident_bytes");
	r_fact_bytes(r, &t, "top chunks", f, "totals.top_bytes");
	r_fact_bytes(r, &t, "malloc_trim(0) would return", f, "trim_prediction_bytes");
	r_fact_bytes(r, &t, "RSS after that trim", f, "rss_after_trim_bytes");
	if (ms_jpath(f, "snapshot_consistent"))
		r_fact(&t, "snapshot consistent", ms_jbool(f, "snapshot_consistent", false) ? "yes" : "no");
	r_table(r, &t);

	const struct ms_jval *as = ms_jget(f, "arenas");
	if (!as || as->type != MS_J_ARR || !as->len) {
		r_para(r, "(no per-arena figures in this JSON: the arena map cannot be drawn)");
		return;
	}
	enum { MAXA = 64 };
	struct ms_svg_stack rows[MAXA];
	int n = 0, have_trim = 0, have_res = 0;
	ms_table_init(&t, "llrrrrrr", (const char *[]){ "arena", "main", "heaps", "system", "in use", "free",
							"free resident", "trimmable" });
	for (const struct ms_jval *a = as->child; a; a = a->next) {
		uint64_t in_use = ms_ju64(a, "in_use_bytes", 0), fr = ms_ju64(a, "free_bytes", 0);
		uint64_t res = ms_ju64(a, "free_resident_bytes", fr), trim = ms_ju64(a, "trim_bytes", 0);
		have_trim |= ms_jhas_num(a, "trim_bytes");
		have_res |= ms_jhas_num(a, "free_resident_bytes");
		if (trim > res)
			trim = res;
		int is_main = ms_jbool(a, "is_main", false);
		uint64_t heaps = ms_ju64(a, "heaps", 0);
		ms_table_rowf(&t, "%s\t%s\t%" PRIu64 "\t%s\t%s\t%s\t%s\t%s", ms_jstr(a, "address", "?"),
			      is_main ? "yes" : "", heaps, rsz(r, ms_ju64(a, "system_mem_bytes", 0)), rsz(r, in_use), rsz(r, fr),
			      ms_jhas_num(a, "free_resident_bytes") ? rsz(r, res) : "-",
			      ms_jhas_num(a, "trim_bytes") ? rsz(r, trim) : "-");
		if (n == MAXA)
			continue;
		struct ms_svg_stack *s = &rows[n++];
		memset(s, 0, sizeof *s);
		snprintf(s->label, sizeof s->label, "%s (%" PRIu64 " heap%s)", is_main ? "main" : ms_jstr(a, "address", "?"),
			 heaps, heaps == 1 ? "" : "s");
		s->seg[0] = in_use;
		s->seg[1] = res - trim;
		s->seg[2] = trim;
		s->seg[3] = fr > res ? fr - res : 0;
	}
	char *buf;
	size_t len;
	FILE *m = r_chart_open(&buf, &len);
	if (m)
		ms_svg_stacks(m, "Arena map: what each arena's heaps hold", arena_segs, 4, rows, n);
	r_chart_close(r, m, &buf, "Arena map");
	r_table(r, &t);
	pins(r, as, ms_jget(f, "pin_summary"));
	r_para(r, "The JSON gives figures per arena, not per heap: each bar is one arena, all its heaps together.%s%s",
	       have_trim ? "" : " It has no per-arena trim figure, so nothing is drawn as trimmable.",
	       have_res ? "" : " It has no resident figure, so free memory is drawn as resident.");
}

static void hotspots(struct ms_render *r, const struct ms_jval *f)
{
	struct ms_table t;
	char v[64];
	r_facts_begin(&t);
	snprintf(v, sizeof v, "%" PRIu64, ms_ju64(f, "events", 0));
	r_fact(&t, "allocator calls recorded", v);
	snprintf(v, sizeof v, "%" PRIu64, ms_ju64(f, "dropped", 0));
	r_fact(&t, "events dropped", v);
	r_table(r, &t);
	const struct ms_jval *th = ms_jget(f, "threads");
	if (th && th->type == MS_J_ARR && th->len) {
		struct ms_svg_bar bars[12];
		int n = 0;
		ms_table_init(&t, "rlrr", (const char *[]){ "tid", "thread", "calls", "bytes" });
		for (const struct ms_jval *x = th->child; x; x = x->next) {
			ms_table_rowf(&t, "%" PRIu64 "\t%s\t%" PRIu64 "\t%s", ms_ju64(x, "tid", 0), ms_jstr(x, "name", ""),
				      ms_ju64(x, "calls", 0), rsz(r, ms_ju64(x, "requested_bytes", 0)));
			if (n < 12) {
				snprintf(bars[n].label, sizeof bars[n].label, "%" PRIu64 " %s", ms_ju64(x, "tid", 0),
					 ms_jstr(x, "name", ""));
				bars[n++].value = ms_ju64(x, "calls", 0);
			}
		}
		qsort(bars, (size_t)n, sizeof bars[0], cmp_bar);
		char *buf;
		size_t len;
		FILE *m = r_chart_open(&buf, &len);
		if (m)
			ms_svg_bars(m, "Allocator calls per thread", bars, n, 0);
		r_chart_close(r, m, &buf, "Allocator calls per thread");
		r_table(r, &t);
	}
	const struct ms_jval *si = ms_jget(f, "sites");
	if (si && si->type == MS_J_ARR && si->len) {
		r_para(r, "Hot call sites (function+offset file:line (object); ?? where a part is not known):");
		ms_table_init(&t, "lrrr", (const char *[]){ "call site", "calls", "bytes", "live at end" });
		int k = 0;
		for (const struct ms_jval *x = si->child; x && k < 20; x = x->next, k++) {
			char site[MS_SYM_LINE + MS_SYM_FUNC + 16];
			ms_callsite_json(x, site, sizeof site);
			const char *through = ms_jstr(x, "through", "");   /* --stacks: the wrapper it called */
			if (*through)
				snprintf(site + strlen(site), sizeof site - strlen(site), " (through %s)", through);
			ms_table_rowf(&t, "%s\t%" PRIu64 "\t%s\t%s", site, ms_ju64(x, "calls", 0),
				      rsz(r, ms_ju64(x, "requested_bytes", 0)), rsz(r, ms_ju64(x, "live_bytes", 0)));
		}
		r_table(r, &t);
	}
}

static void syscalls(struct ms_render *r, const struct ms_jval *f)
{
	struct ms_table t;
	char v[160];
	r_facts_begin(&t);
	const struct ms_jval *seg2 = ms_jat(ms_jget(f, "segments"), 1);   /* a second backend after a cut */
	snprintf(v, sizeof v, "%s%s%s", ms_jstr(f, "backend", "?"), seg2 ? ", then " : "",
		 seg2 ? ms_jstr(seg2, "backend", "?") : "");
	r_fact(&t, "backend", v);
	if (ms_jbool(f, "partial", 0))
		r_fact(&t, "partial trace (counts are lower bounds)", ms_jstr(f, "partial_reason", "events were lost"));
	snprintf(v, sizeof v, "%s%" PRIu64, ms_jbool(f, "partial", 0) ? "at least " : "", ms_ju64(f, "arena_heaps_created", 0));
	r_fact(&t, "arena heaps created", v);
	r_fact_bytes(r, &t, "returned by madvise", f, "returned.madvise_bytes");
	r_fact_bytes(r, &t, "returned by munmap", f, "returned.munmap_bytes");
	r_table(r, &t);
	const struct ms_jval *tot = ms_jget(f, "totals");
	if (tot && tot->type == MS_J_ARR && tot->len) {
		ms_table_init(&t, "lrr", (const char *[]){ "syscall", "calls", "bytes" });
		for (const struct ms_jval *x = tot->child; x; x = x->next)
			ms_table_rowf(&t, "%s\t%" PRIu64 "\t%s", ms_jstr(x, "syscall", "?"), ms_ju64(x, "count", 0),
				      rsz(r, ms_ju64(x, "length_bytes", 0)));
		r_table(r, &t);
	}
	const struct ms_jval *th = ms_jget(f, "threads");
	if (th && th->type == MS_J_ARR && th->len) {
		ms_table_init(&t, "rlr", (const char *[]){ "tid", "thread", "memory syscalls" });
		for (const struct ms_jval *x = th->child; x; x = x->next) {
			uint64_t calls = 0;
			const struct ms_jval *sc = ms_jget(x, "syscalls");
			for (const struct ms_jval *y = sc && sc->type == MS_J_ARR ? sc->child : NULL; y; y = y->next)
				calls += ms_ju64(y, "count", 0);
			ms_table_rowf(&t, "%" PRIu64 "\t%s\t%" PRIu64, ms_ju64(x, "tid", 0), ms_jstr(x, "name", ""), calls);
		}
		r_table(r, &t);
	}
}

/* [[t, bytes], ...] into a series; [from, to) of the pairs.  Returns the
 * number of points, 0 when out of memory (s->t, s->v owned by the caller). */
static int pairs_series(const struct ms_jval *pairs, double from, double to, struct ms_svg_series *s)
{
	size_t n = pairs && pairs->type == MS_J_ARR ? pairs->len : 0;
	double *t = calloc(n + 2, sizeof *t);
	uint64_t *v = calloc(n + 2, sizeof *v);
	s->t = t;
	s->v = v;
	s->n = 0;
	if (!t || !v)
		return 0;
	for (const struct ms_jval *p = n ? pairs->child : NULL; p; p = p->next) {
		double pt = ms_jnum(p, "0", 0);
		if (pt < from || pt >= to)
			continue;
		t[s->n] = pt;
		v[s->n++] = ms_ju64(p, "1", 0);
	}
	return s->n;
}

static void series_free(struct ms_svg_series *s)
{
	free((void *)s->t);
	free((void *)s->v);
}

/* Append the point (t, v) to a series made by pairs_series (room for two). */
static void series_put(struct ms_svg_series *s, double t, uint64_t v)
{
	((double *)s->t)[s->n] = t;
	((uint64_t *)s->v)[s->n++] = v;
}

void r_timeline(struct ms_render *r, const char *title, const char *name, const struct ms_jval *pairs,
		double examined_s, uint64_t examined_bytes)
{
	if (!pairs || pairs->type != MS_J_ARR || pairs->len < 2)
		return;
	struct ms_svg_series s[2];
	memset(s, 0, sizeof s);
	int ns = 1;
	struct ms_svg_marker mk, *marker = NULL;
	snprintf(s[0].name, sizeof s[0].name, "%s", name);
	if (examined_s < 0) {
		pairs_series(pairs, -1e300, 1e300, &s[0]);
	} else {
		/* up to the moment examined, ending on the RSS read then; the
		 * samples after it (the guide's own steps ran then) apart */
		pairs_series(pairs, -1e300, examined_s, &s[0]);
		if (s[0].t)
			series_put(&s[0], examined_s, examined_bytes);
		s[1].style = MS_SVG_LATER;
		snprintf(s[1].name, sizeof s[1].name, "%s later, while the guide's steps ran", name);
		if (pairs_series(pairs, examined_s, 1e300, &s[1]) || s[1].t) {
			/* from the examined point on, so the two lines meet */
			memmove((double *)s[1].t + 1, s[1].t, (size_t)s[1].n * sizeof(double));
			memmove((uint64_t *)s[1].v + 1, s[1].v, (size_t)s[1].n * sizeof(uint64_t));
			((double *)s[1].t)[0] = examined_s;
			((uint64_t *)s[1].v)[0] = examined_bytes;
			s[1].n++;
		}
		ns = s[1].n > 1 ? 2 : 1;
		mk.t = examined_s;
		snprintf(mk.label, sizeof mk.label, "examined at %.2f s", examined_s);
		marker = &mk;
	}
	char *buf;
	size_t len;
	FILE *m = s[0].t && s[0].n ? r_chart_open(&buf, &len) : NULL;
	if (m) {
		ms_svg_lines(m, title, s, ns, marker);
		r_chart_close(r, m, &buf, title);
	}
	series_free(&s[0]);
	series_free(&s[1]);
}

/* compare's runs in the order of their rank, the one compare computed
 * (remedy.c ms_remedy_rank): ranked first, then those read at another
 * moment (not compared), then runs that failed, then configurations that
 * did not reach the process, then those not installed, each group in the
 * list's order. */
static int run_group(const struct ms_jval *x)
{
	return !ms_jbool(x, "available", true) ? 4 : !ms_jbool(x, "applied", true) ? 3 : ms_ju64(x, "rank", 0) ? 0 :
	       !ms_jbool(x, "compared", true) ? 1 : 2;
}

static int cmp_run(const void *a, const void *b)
{
	const struct ms_jval *const *x = a, *const *y = b;
	int gx = run_group(*x), gy = run_group(*y);
	if (gx != gy)
		return gx - gy;
	uint64_t rx = ms_ju64(*x, "rank", 0), ry = ms_ju64(*y, "rank", 0);
	return rx < ry ? -1 : rx > ry;
}

/* Which lines compare's chart shows in colour: the default, the
 * recommended and the best three (best: among the first three in rank
 * order, so ties in a hand-made document never make more than five); the
 * role in words, "" for none. */
static const char *run_role(const struct ms_jval *x, const char *recommended, int best, char *buf, size_t len)
{
	const char *cfg = ms_jstr(x, "config", ""), *part[3];
	int n = 0;
	if (!strcmp(cfg, "glibc"))
		part[n++] = "default";
	if (recommended && !strcmp(cfg, recommended))
		part[n++] = "recommended";
	if (best)
		part[n++] = "best 3";
	buf[0] = 0;
	for (int i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", part[i]);
	return buf;
}

static void compare(struct ms_render *r, const struct ms_jval *f)
{
	const struct ms_jval *runs = ms_jget(f, "runs");
	size_t nr = runs && runs->type == MS_J_ARR ? runs->len : 0;
	const struct ms_jval **order = calloc(nr ? nr : 1, sizeof *order);
	struct ms_svg_series *s = calloc(nr ? nr : 1, sizeof *s);
	if (!order || !s) {
		free(order);
		free(s);
		r_para(r, "(out of memory: the comparison is not drawn)");
		return;
	}
	size_t k = 0;
	for (const struct ms_jval *x = nr ? runs->child : NULL; x && k < nr; x = x->next)
		order[k++] = x;
	nr = k;
	qsort(order, nr, sizeof *order, cmp_run);
	const char *recommended = ms_jstr(f, "recommendation.config", NULL);
	struct ms_table t;
	ms_table_init(&t, "rllrrr", (const char *[]){ "rank", "configuration", "on the chart", "final RSS", "peak RSS",
						       "wall s" });
	int ns = 0, nhigh = 0;
	for (size_t i = 0; i < nr; i++) {
		const struct ms_jval *x = order[i];
		char role[64];
		run_role(x, recommended, i < 3 && run_group(x) == 0, role, sizeof role);
		if (!ms_jbool(x, "available", true)) {
			ms_table_rowf(&t, "-\t%s\t\tskipped: %s\t\t", ms_jstr(x, "config", "?"), ms_jstr(x, "skipped", ""));
			continue;
		}
		if (!ms_jbool(x, "applied", true)) {
			ms_table_rowf(&t, "-\t%s\t\tnot applied: %s\t\t", ms_jstr(x, "config", "?"), ms_jstr(x, "not_applied", ""));
			continue;
		}
		const struct ms_jval *tl = ms_jget(x, "rss_timeline");
		int drawn = tl && tl->type == MS_J_ARR && tl->len > 1 && pairs_series(tl, -1e300, 1e300, &s[ns]) > 1;
		char wall[32], rank[24];
		snprintf(wall, sizeof wall, "%.2f", ms_jnum(x, "wall_s", 0));
		snprintf(rank, sizeof rank, "%" PRIu64, ms_ju64(x, "rank", 0));
		const char *moment = ms_jstr(x, "final_moment", "?");
		char apart[48];
		snprintf(apart, sizeof apart, "not compared (read at the %s)", moment);
		ms_table_rowf(&t, "%s\t%s\t%s\t%s\t%s\t%s", ms_ju64(x, "rank", 0) ? rank : "-", ms_jstr(x, "config", "?"),
			      !ms_jbool(x, "compared", true) ? apart : !drawn ? "no timeline" : *role ? role : "faded",
			      rsz(r, ms_ju64(x, "final_rss_bytes", 0)),
			      rsz(r, ms_ju64(x, "peak_rss_bytes", 0)), wall);
		if (!drawn) {
			series_free(&s[ns]);
			continue;
		}
		s[ns].style = *role ? MS_SVG_HIGHLIGHT : MS_SVG_FADED;
		nhigh += *role != 0;
		if (*role)
			snprintf(s[ns].name, sizeof s[ns].name, "%s (%s)", ms_jstr(x, "config", "?"), role);
		else
			snprintf(s[ns].name, sizeof s[ns].name, "%s", ms_jstr(x, "config", "?"));
		ns++;
	}
	if (ns) {
		char *buf;
		size_t len;
		FILE *m = r_chart_open(&buf, &len);
		if (m)
			ms_svg_lines(m, "RSS over time, per configuration", s, ns, NULL);
		r_chart_close(r, m, &buf, "RSS over time, per configuration");
		if (ns > nhigh)
			r_para(r, "The chart draws in colour the default, the recommended and the best three; the other %d "
				  "configurations are faded grey and listed in the table, which is in the order of rank.", ns - nhigh);
	}
	for (int i = 0; i < ns; i++)
		series_free(&s[i]);
	free(s);
	free(order);
	r_table(r, &t);
	if (*ms_jstr(f, "recommendation.not_compared", ""))
		r_para(r, "Not compared (read at another moment than the others): %s",
		       ms_jstr(f, "recommendation.not_compared", ""));
	const char *base = ms_jstr(f, "recommendation.baseline", "glibc's default");
	if (*ms_jstr(f, "recommendation.not_applied", ""))
		r_para(r, "Not applied (never reached the process, so never measured): %s",
		       ms_jstr(f, "recommendation.not_applied", ""));
	if (*ms_jstr(f, "recommendation.no_change", ""))
		r_para(r, "No change (within %.0f%% of %s): %s", 100 * MS_REMEDY_SAME_SHARE, base,
		       ms_jstr(f, "recommendation.no_change", ""));
	if (*ms_jstr(f, "recommendation.worse", ""))
		r_para(r, "Worse than %s (never use these here): %s", base, ms_jstr(f, "recommendation.worse", ""));
	if (ms_jstr(f, "recommendation.text", NULL))
		r_para(r, "Recommendation: %s", ms_jstr(f, "recommendation.text", ""));
	if (ms_jstr(f, "recommendation.shell", NULL))
		r_code(r, ms_jstr(f, "recommendation.shell", ""));
}

static void trim(struct ms_render *r, const struct ms_jval *f)
{
	struct ms_table t;
	r_facts_begin(&t);
	r_fact(&t, "method", ms_jstr(f, "method", "?"));
	r_fact_bytes(r, &t, "predicted", f, "predicted_bytes");
	r_fact_bytes(r, &t, "RSS before", f, "rss_before_bytes");
	r_fact_bytes(r, &t, "RSS after", f, "rss_after_bytes");
	r_table(r, &t);
}

static void doctor(struct ms_render *r, const struct ms_jval *f)
{
	const struct ms_jval *cs = ms_jget(f, "checks");
	struct ms_table t;
	ms_table_init(&t, "lll", (const char *[]){ "check", "status", "detail" });
	for (const struct ms_jval *c = cs && cs->type == MS_J_ARR ? cs->child : NULL; c; c = c->next)
		ms_table_rowf(&t, "%s\t%s\t%s", ms_jstr(c, "name", "?"), ms_jstr(c, "status", "?"), ms_jstr(c, "detail", ""));
	r_table(r, &t);
}

/* "+2.0 MiB/s" from a trend object (bytes), "" when absent. */
static const char *trend_rate(struct ms_render *r, const struct ms_jval *tr, char *buf, size_t len)
{
	buf[0] = 0;
	if (!ms_jhas_num(tr, "slope_bytes_per_s"))
		return buf;
	double s = ms_jnum(tr, "slope_bytes_per_s", 0);
	snprintf(buf, len, "%c%s/s", s < 0 ? '-' : '+', rsz(r, (uint64_t)(s < 0 ? -s : s)));
	return buf;
}

/* watch's summary: the components over time, stacked (in use, free kept,
 * the rest of RSS), with each one's growth rate beside it in the legend,
 * then the trends table.  Samples without the allocator's figures carry
 * the last ones forward (the chart says so). */
void r_watch_timeline(struct ms_render *r, const struct ms_jval *timeline, const struct ms_jval *trends)
{
	if (!timeline || timeline->type != MS_J_ARR || timeline->len < 2)
		return;
	size_t n = timeline->len;
	double *t = calloc(n, sizeof *t);
	uint64_t *seg[3];
	for (int k = 0; k < 3; k++)
		seg[k] = calloc(n, sizeof *seg[k]);
	int m = 0, any = 0;
	if (t && seg[0] && seg[1] && seg[2]) {
		uint64_t use = 0, kept = 0;
		for (const struct ms_jval *p = timeline->child; p; p = p->next) {
			if (ms_jhas_num(p, "in_use_bytes")) {
				use = ms_ju64(p, "in_use_bytes", 0);
				kept = ms_ju64(p, "free_resident_bytes", 0);
				any = 1;
			}
			uint64_t rss = ms_ju64(p, "rss_bytes", 0);
			t[m] = ms_jnum(p, "t_s", 0);
			/* in use counts untouched pages too: cap the stack at RSS */
			seg[0][m] = use < rss ? use : rss;
			seg[1][m] = kept < rss - seg[0][m] ? kept : rss - seg[0][m];
			seg[2][m] = rss - seg[0][m] - seg[1][m];
			m++;
		}
	}
	if (m >= 2) {
		char names[3][96], rate[48];
		snprintf(names[0], sizeof names[0], "glibc in use %s", trend_rate(r, ms_jget(trends, "in_use"), rate, sizeof rate));
		snprintf(names[1], sizeof names[1], "free kept by glibc %s",
			 trend_rate(r, ms_jget(trends, "free_kept"), rate, sizeof rate));
		snprintf(names[2], sizeof names[2], "rest of RSS (RSS %s)", trend_rate(r, ms_jget(trends, "rss"), rate, sizeof rate));
		const char *nm[3] = { names[0], names[1], names[2] };
		const uint64_t *v[3] = { seg[0], seg[1], seg[2] };
		char *buf;
		size_t len;
		FILE *f = r_chart_open(&buf, &len);
		if (f)
			ms_svg_area_stack(f, "Memory over time (stacked; rates are least-squares fits)", any ? nm : nm + 2,
					  any ? 3 : 1, t, any ? v : v + 2, m);
		r_chart_close(r, f, &buf, "Memory over time");
	}
	free(t);
	for (int k = 0; k < 3; k++)
		free(seg[k]);
}

static void watch(struct ms_render *r, const struct ms_jval *f)
{
	r_para(r, "%" PRIu64 " samples over %.1f s every %.3g s, %" PRIu64 " with glibc's figures (allocator: %s).",
	       ms_ju64(f, "samples", 0), ms_jnum(f, "span_s", 0), ms_jnum(f, "interval_s", 0),
	       ms_ju64(f, "samples_with_allocator", 0), ms_jstr(f, "allocator", "?"));
	const struct ms_jval *trends = ms_jget(f, "trends");
	r_watch_timeline(r, ms_jget(f, "timeline"), trends);
	if (!trends || trends->type != MS_J_OBJ)
		return;
	struct ms_table t;
	ms_table_init(&t, "lrrrrl", (const char *[]){ "component", "first", "last", "rate", "R²", "trend" });
	for (const struct ms_jval *c = trends->child; c; c = c->next) {
		char rate[48], a[MS_SIZE_BUF], b[MS_SIZE_BUF];
		if (ms_jhas_num(c, "first_bytes")) {
			trend_rate(r, c, rate, sizeof rate);
			snprintf(a, sizeof a, "%s", rsz(r, ms_ju64(c, "first_bytes", 0)));
			snprintf(b, sizeof b, "%s", rsz(r, ms_ju64(c, "last_bytes", 0)));
		} else {
			snprintf(rate, sizeof rate, "%+.2f/min", ms_jnum(c, "slope_per_s", 0) * 60);
			snprintf(a, sizeof a, "%" PRIu64, ms_ju64(c, "first", 0));
			snprintf(b, sizeof b, "%" PRIu64, ms_ju64(c, "last", 0));
		}
		ms_table_rowf(&t, "%s\t%s\t%s\t%s\t%.2f\t%s", c->key, a, b, rate, ms_jnum(c, "r2", 0),
			      ms_jstr(c, "trend", "?"));
	}
	r_table(r, &t);
}

/* A step this renderer does not know: its top-level numbers and strings. */
static void generic(struct ms_render *r, const struct ms_jval *f)
{
	struct ms_table t;
	ms_table_init(&t, "ll", (const char *[]){ "field", "value" });
	for (const struct ms_jval *c = f->child; c; c = c->next) {
		if (c->type == MS_J_STR)
			ms_table_rowf(&t, "%s\t%s", c->key, c->str);
		else if (c->type == MS_J_NUM && c->is_u64)
			ms_table_rowf(&t, "%s\t%" PRIu64, c->key, c->u64);
		else if (c->type == MS_J_NUM)
			ms_table_rowf(&t, "%s\t%g", c->key, c->num);
		else if (c->type == MS_J_BOOL)
			ms_table_rowf(&t, "%s\t%s", c->key, c->b ? "true" : "false");
	}
	r_table(r, &t);
}

static const struct {
	const char *step, *title;
	void (*write)(struct ms_render *, const struct ms_jval *);
} writers[] = {
	{ "overview", "Where the RSS lives", overview },
	{ "arenas", "What glibc's arenas hold", arenas },
	{ "hotspots", "Who allocates", hotspots },
	{ "syscalls", "How memory grew and shrank (kernel view)", syscalls },
	{ "compare", "Which allocator or setting fixes it", compare },
	{ "trim", "What malloc_trim really returned", trim },
	{ "doctor", "What this host and target allow", doctor },
	{ "watch", "What grows over time", watch },
};

void r_step(struct ms_render *r, const struct ms_jval *f, int level)
{
	const char *step = ms_jstr(f, "step", "?");
	size_t i = 0;
	while (i < sizeof writers / sizeof writers[0] && strcmp(writers[i].step, step))
		i++;
	int known = i < sizeof writers / sizeof writers[0];
	if (level == 1) {
		if (ms_jhas_num(f, "pid"))
			r_heading(r, 1, "memsleuth %s: process %" PRIu64 "%s%s%s", step, ms_ju64(f, "pid", 0),
				  ms_jstr(f, "name", NULL) ? " (" : "", ms_jstr(f, "name", ""), ms_jstr(f, "name", NULL) ? ")" : "");
		else
			r_heading(r, 1, "memsleuth %s", step);
	}
	if (level == 1)     /* in the guide's report the causes come first, once */
		r_causes(r, ms_jget(f, "causes"), 2);
	/* Readers take this build's field names only: an older document says
	 * so rather than showing its renamed figures as 0. */
	uint64_t have = ms_ju64(f, "schema_version", 0);
	int want = ms_json_schema_version(step);
	if (ms_jhas_num(f, "schema_version") && want > 0 && have < (uint64_t)want)
		r_para(r, "This %s document has schema_version %" PRIu64 "; this memsleuth reads version %d: fields "
		       "renamed since (docs/json.md) read as missing. Run the step again with this memsleuth.",
		       step, have, want);
	if (known)
		writers[i].write(r, f);
	else
		generic(r, f);
	r_verdicts(r, ms_jget(f, "verdicts"));
	if (level == 1 && ms_jhas_num(f, "pid")) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "memsleuth %s --json %" PRIu64, step, ms_ju64(f, "pid", 0));
		r_para(r, "Reproduce:");
		r_code(r, cmd);
	}
}

#include "findings/timeseries.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/size.h"

static const struct {
	const char *name, *label;
	int bytes;
} comps[MS_TS_N] = {
	[MS_TS_RSS]          = { "rss", "RSS", 1 },
	[MS_TS_PSS]          = { "pss", "PSS", 1 },
	[MS_TS_SWAP]         = { "swap", "swap", 1 },
	[MS_TS_IN_USE]       = { "in_use", "in use", 1 },
	[MS_TS_FREE_KEPT]    = { "free_kept", "free kept", 1 },
	[MS_TS_ARENAS]       = { "arenas", "arenas", 0 },
	[MS_TS_ARENA_HEAPS]  = { "arena_heaps", "arena heaps", 0 },
	[MS_TS_RUNTIME_HEAP] = { "runtime_heap", "runtime heap", 1 },
	[MS_TS_ANON_OTHER]   = { "anon_other", "other anonymous", 1 },
};

const char *ms_ts_comp_name(enum ms_ts_comp c) { return c < MS_TS_N ? comps[c].name : "?"; }
const char *ms_ts_comp_label(enum ms_ts_comp c) { return c < MS_TS_N ? comps[c].label : "?"; }
int ms_ts_comp_is_bytes(enum ms_ts_comp c) { return c < MS_TS_N && comps[c].bytes; }

const char *ms_trend_dir_name(enum ms_trend_dir d)
{
	static const char *const n[] = { "unknown", "flat", "growing", "shrinking", "noisy" };
	return d <= MS_TR_NOISY ? n[d] : "?";
}

const char *ms_growth_name(enum ms_growth g)
{
	static const char *const n[MS_GROW_N] = {
		"leak_or_growing_cache", "retention", "arena_growth", "runtime_heap_growth",
		"rss_growth", "stable", "too_short",
	};
	return g < MS_GROW_N ? n[g] : "?";
}

void ms_fit_add(struct ms_fit *f, double t, double y)
{
	f->n++;
	if (f->n == 1) {
		f->t_first = t;
		f->y_first = f->y_min = f->y_max = y;
	}
	f->t_last = t;
	f->y_last = y;
	if (y < f->y_min)
		f->y_min = y;
	if (y > f->y_max)
		f->y_max = y;
	/* Welford: update the means, then the co-moments with the old and
	 * new deviations (exact, no catastrophic cancellation). */
	double n = (double)f->n;
	double dt = t - f->mt, dy = y - f->my;
	f->mt += dt / n;
	f->my += dy / n;
	f->stt += dt * (t - f->mt);
	f->syy += dy * (y - f->my);
	f->sty += dt * (y - f->my);
}

double ms_fit_slope(const struct ms_fit *f)
{
	return f->n >= 2 && f->stt > 0 ? f->sty / f->stt : 0;
}

double ms_fit_r2(const struct ms_fit *f)
{
	if (f->n < 2 || f->stt <= 0)
		return 0;
	if (f->syy <= 0)
		return 1;   /* constant: the flat line explains it all */
	double r2 = f->sty * f->sty / (f->stt * f->syy);
	return r2 > 1 ? 1 : r2;
}

int ms_ts_init(struct ms_tseries *ts, pid_t pid, int glibc)
{
	memset(ts, 0, sizeof *ts);
	ts->pid = pid;
	ts->glibc = glibc;
	ts->stride = 1;
	ts->kept = calloc(MS_TS_KEEP, sizeof *ts->kept);
	return ts->kept ? 0 : -1;
}

void ms_ts_free(struct ms_tseries *ts)
{
	free(ts->kept);
	ts->kept = NULL;
	ts->nkept = 0;
}

/* The value of component c in s, or -1 when s does not carry it. */
static double comp_value(const struct ms_sample *s, enum ms_ts_comp c)
{
	switch (c) {
	case MS_TS_RSS: return (double)s->rss;
	case MS_TS_PSS: return (double)s->pss;
	case MS_TS_SWAP: return (double)s->swap;
	case MS_TS_IN_USE: return s->alloc == MS_SA_OK ? (double)s->in_use : -1;
	case MS_TS_FREE_KEPT: return s->alloc == MS_SA_OK ? (double)s->free_resident : -1;
	case MS_TS_ARENAS: return s->arenas >= 0 ? (double)s->arenas : -1;
	case MS_TS_ARENA_HEAPS: return s->arenas >= 0 ? (double)s->arena_heaps : -1;
	case MS_TS_RUNTIME_HEAP: return s->has_runtime ? (double)s->runtime_heap : -1;
	case MS_TS_ANON_OTHER: return s->has_classes ? (double)s->class_rss[MS_CLASS_ANON_OTHER] : -1;
	default: return -1;
	}
}

void ms_ts_add(struct ms_tseries *ts, const struct ms_sample *s)
{
	ts->nsamples++;
	ts->last = *s;
	if (s->alloc == MS_SA_INCONSISTENT)
		ts->ninconsistent++;
	if (s->alloc == MS_SA_OK) {
		ts->nalloc++;
		ts->last_alloc = *s;
		ts->have_last_alloc = 1;
	}
	for (int c = 0; c < MS_TS_N; c++) {
		double v = comp_value(s, (enum ms_ts_comp)c);
		if (v >= 0)
			ms_fit_add(&ts->fit[c], s->t, v);
	}
	if (!ts->kept || (ts->nsamples - 1) % ts->stride)
		return;
	if (ts->nkept == MS_TS_KEEP) {
		/* halve: keep every other sample, then keep every 2*stride-th */
		for (size_t i = 0; i < MS_TS_KEEP / 2; i++)
			ts->kept[i] = ts->kept[2 * i];
		ts->nkept = MS_TS_KEEP / 2;
		ts->stride *= 2;
		if ((ts->nsamples - 1) % ts->stride)
			return;
	}
	ts->kept[ts->nkept++] = *s;
}

/* Shortest span and fewest points a trend is told from. */
#define MIN_POINTS 4
#define MIN_SPAN_S 2.0
#define MIN_R2     0.5

void ms_ts_trend(const struct ms_tseries *ts, enum ms_ts_comp c, struct ms_trend *t)
{
	const struct ms_fit *f = &ts->fit[c];
	memset(t, 0, sizeof *t);
	t->n = f->n;
	if (!f->n)
		return;
	t->span_s = f->t_last - f->t_first;
	t->slope = ms_fit_slope(f);
	t->r2 = ms_fit_r2(f);
	t->first = f->y_first;
	t->last = f->y_last;
	t->min = f->y_min;
	t->max = f->y_max;
	t->change = t->slope * t->span_s;
	/* A real change: for bytes at least 1 MiB and 2% of the level (page
	 * noise and a cache's breathing stay below); for counts one unit. */
	if (comps[c].bytes) {
		double level = fabs(f->my);
		t->threshold = level * 0.02 > (double)(1 << 20) ? level * 0.02 : (double)(1 << 20);
	} else {
		t->threshold = 0.5;
	}
	if (f->n < MIN_POINTS || t->span_s < MIN_SPAN_S)
		t->dir = MS_TR_UNKNOWN;
	else if (fabs(t->change) < t->threshold && (comps[c].bytes || t->last == t->first))
		t->dir = MS_TR_FLAT;
	else if (t->r2 < MIN_R2)
		t->dir = MS_TR_NOISY;
	else
		t->dir = t->change > 0 ? MS_TR_GROWING : MS_TR_SHRINKING;
}

/* "+9.8 MiB/s" or "-1.0 KiB/s"; counts as "+0.50/min". */
static const char *rate(const struct ms_trend *t, int bytes, char *buf, size_t len)
{
	char sz[MS_SIZE_BUF];
	if (!bytes) {
		snprintf(buf, len, "%+.2f/min", t->slope * 60);
		return buf;
	}
	double a = fabs(t->slope);
	snprintf(buf, len, "%c%s/s", t->slope < 0 ? '-' : '+', ms_size_fmt((uint64_t)(a + 0.5), sz));
	return buf;
}

/* "in use +9.8 MiB/s over 60 s, R² 0.99 (12.0 MiB -> 600.3 MiB)" */
static void describe(const struct ms_tseries *ts, enum ms_ts_comp c, char *buf, size_t len)
{
	struct ms_trend t;
	ms_ts_trend(ts, c, &t);
	char r[48], a[MS_SIZE_BUF], b[MS_SIZE_BUF];
	int bytes = comps[c].bytes;
	if (t.dir == MS_TR_UNKNOWN) {
		int walked = c == MS_TS_IN_USE || c == MS_TS_FREE_KEPT;
		snprintf(buf, len, "%s not known (%llu %s over %.0f s%s)", comps[c].label,
			 (unsigned long long)t.n, walked ? "walked samples" : "points", t.span_s,
			 walked ? "; --walk-every 1 walks every sample" : "");
		return;
	}
	if (t.dir == MS_TR_FLAT) {
		if (bytes)
			snprintf(buf, len, "%s flat at %s (%s)", comps[c].label,
				 ms_size_fmt((uint64_t)t.last, a), rate(&t, 1, r, sizeof r));
		else
			snprintf(buf, len, "%s flat at %.0f", comps[c].label, t.last);
		return;
	}
	if (bytes)
		snprintf(buf, len, "%s %s over %.0f s, R² %.2f (%s -> %s)", comps[c].label,
			 rate(&t, 1, r, sizeof r), t.span_s, t.r2, ms_size_fmt((uint64_t)t.first, a),
			 ms_size_fmt((uint64_t)t.last, b));
	else
		snprintf(buf, len, "%s %.0f -> %.0f over %.0f s", comps[c].label, t.first, t.last, t.span_s);
	if (t.dir == MS_TR_NOISY) {
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, ", too noisy to call a trend");
	}
}

/* ", most of it in main_heap (+23.9 MiB)": the class whose RSS grew most
 * between the first kept sample and the latest. */
static void grown_class(const struct ms_tseries *ts, char *buf, size_t len)
{
	if (!ts->nkept || !ts->kept[0].has_classes || !ts->last.has_classes)
		return;
	int best = -1;
	uint64_t most = 0;
	for (int k = 0; k < MS_CLASS_N; k++) {
		uint64_t a = ts->kept[0].class_rss[k], b = ts->last.class_rss[k];
		if (b > a && b - a > most) {
			most = b - a;
			best = k;
		}
	}
	char sz[MS_SIZE_BUF];
	if (best >= 0)
		snprintf(buf, len, ", most of it in %s (+%s: %s)", ms_class_name((enum ms_class)best),
			 ms_size_fmt(most, sz), ms_class_meaning((enum ms_class)best));
}

static struct ms_growth_verdict *add(struct ms_growth_verdict *out, int max, int *n,
				     enum ms_growth k, enum ms_level l, enum ms_ts_comp c)
{
	if (*n >= max)
		return NULL;
	struct ms_growth_verdict *v = &out[(*n)++];
	memset(v, 0, sizeof *v);
	v->kind = k;
	v->level = l;
	v->comp = c;
	return v;
}

int ms_ts_verdicts(const struct ms_tseries *ts, struct ms_growth_verdict *out, int max)
{
	struct ms_trend tr[MS_TS_N];
	for (int c = 0; c < MS_TS_N; c++)
		ms_ts_trend(ts, (enum ms_ts_comp)c, &tr[c]);
	char d1[200], d2[200], d3[200];
	int n = 0, pid = (int)ts->pid;
	struct ms_growth_verdict *v;
	int in_use_grows = tr[MS_TS_IN_USE].dir == MS_TR_GROWING;
	int kept_grows = tr[MS_TS_FREE_KEPT].dir == MS_TR_GROWING;
	int explained = 0;

	if (in_use_grows && (v = add(out, max, &n, MS_GROW_LEAK, MS_PROBLEM, MS_TS_IN_USE))) {
		describe(ts, MS_TS_IN_USE, d1, sizeof d1);
		describe(ts, MS_TS_FREE_KEPT, d2, sizeof d2);
		snprintf(v->text, sizeof v->text,
			 "live malloc memory grows: %s; %s -- a leak or a cache that keeps growing, not the allocator",
			 d1, d2);
		snprintf(v->next, sizeof v->next, "memsleuth hotspots %d   # live bytes by call site", pid);
		explained = 1;
	}
	if (kept_grows && !in_use_grows && (v = add(out, max, &n, MS_GROW_RETENTION, MS_PROBLEM, MS_TS_FREE_KEPT))) {
		describe(ts, MS_TS_FREE_KEPT, d1, sizeof d1);
		describe(ts, MS_TS_IN_USE, d2, sizeof d2);
		char tp[MS_SIZE_BUF];
		snprintf(v->text, sizeof v->text,
			 "free memory glibc keeps grows while what is in use does not: %s; %s -- "
			 "retention or fragmentation; malloc_trim(0) would now release %s",
			 d1, d2, ms_size_fmt(ts->last_alloc.trim_prediction, tp));
		snprintf(v->next, sizeof v->next, "memsleuth arenas %d   # what is kept, and the remedies", pid);
		explained = 1;
	}
	if ((tr[MS_TS_ARENAS].dir == MS_TR_GROWING || tr[MS_TS_ARENA_HEAPS].dir == MS_TR_GROWING) &&
	    (v = add(out, max, &n, MS_GROW_ARENAS, MS_NOTICE, MS_TS_ARENA_HEAPS))) {
		describe(ts, MS_TS_ARENAS, d1, sizeof d1);
		describe(ts, MS_TS_ARENA_HEAPS, d2, sizeof d2);
		snprintf(v->text, sizeof v->text,
			 "glibc's arenas grow: %s; %s -- each new arena heap reserves 64 MiB and keeps its own free memory",
			 d1, d2);
		snprintf(v->next, sizeof v->next, "memsleuth overview %d   # arenas against their cap", pid);
	}
	if (tr[MS_TS_RUNTIME_HEAP].dir == MS_TR_GROWING &&
	    (v = add(out, max, &n, MS_GROW_RUNTIME_HEAP, MS_NOTICE, MS_TS_RUNTIME_HEAP))) {
		describe(ts, MS_TS_RUNTIME_HEAP, d1, sizeof d1);
		snprintf(v->text, sizeof v->text,
			 "the runtime's own heap grows: %s -- the runtime's heap tools tell what holds it", d1);
		snprintf(v->next, sizeof v->next, "jcmd %d GC.heap_info", pid);
		explained = 1;
	}
	if (tr[MS_TS_RSS].dir == MS_TR_GROWING && !explained &&
	    (v = add(out, max, &n, MS_GROW_RSS, MS_PROBLEM, MS_TS_RSS))) {
		describe(ts, MS_TS_RSS, d1, sizeof d1);
		describe(ts, MS_TS_ANON_OTHER, d2, sizeof d2);
		if (ts->glibc && ts->nalloc)
			describe(ts, MS_TS_IN_USE, d3, sizeof d3);
		else
			snprintf(d3, sizeof d3, "glibc's own figures %s",
				 ts->glibc ? "were not read (no walk fitted)" : "do not apply (another allocator)");
		char where[160] = "";
		grown_class(ts, where, sizeof where);
		snprintf(v->text, sizeof v->text, "RSS grows: %s%s; %s; %s", d1, where, d3, d2);
		if (ts->glibc && tr[MS_TS_IN_USE].dir == MS_TR_UNKNOWN)
			snprintf(v->next, sizeof v->next,
				 "memsleuth watch %d --walk-every 1 --duration 30   # glibc's figures every sample", pid);
		else
			snprintf(v->next, sizeof v->next, "memsleuth overview %d   # which memory class holds it", pid);
	}
	if (n)
		return n;
	if (tr[MS_TS_RSS].dir == MS_TR_UNKNOWN ||
	    (ts->glibc && ts->nalloc > 0 && tr[MS_TS_IN_USE].dir == MS_TR_UNKNOWN)) {
		v = add(out, max, &n, MS_GROW_TOO_SHORT, MS_INFO, MS_TS_RSS);
		snprintf(v->text, sizeof v->text,
			 "too short to tell: %llu samples over %.1f s (%llu with allocator figures); "
			 "a trend needs %d points over %.0f s or more",
			 (unsigned long long)ts->nsamples, tr[MS_TS_RSS].span_s,
			 (unsigned long long)ts->nalloc, MIN_POINTS, MIN_SPAN_S);
		snprintf(v->next, sizeof v->next, "memsleuth watch %d --duration 60", pid);
		return n;
	}
	v = add(out, max, &n, MS_GROW_STABLE, MS_INFO, MS_TS_RSS);
	describe(ts, MS_TS_RSS, d1, sizeof d1);
	if (ts->glibc && ts->nalloc) {
		describe(ts, MS_TS_IN_USE, d2, sizeof d2);
		describe(ts, MS_TS_FREE_KEPT, d3, sizeof d3);
		snprintf(v->text, sizeof v->text, "stable: %s; %s; %s", d1, d2, d3);
	} else {
		snprintf(v->text, sizeof v->text, "stable: %s", d1);
	}
	return n;
}

#include "findings/timeseries.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/causes.h"
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
	static const char *const n[] = { "unknown", "flat", "growing", "shrinking", "noisy", "stopped" };
	return d <= MS_TR_STOPPED ? n[d] : "?";
}

const char *ms_growth_name(enum ms_growth g)
{
	static const char *const n[MS_GROW_N] = {
		"leak_or_growing_cache", "retention", "arena_growth", "runtime_heap_growth",
		"rss_growth", "stable", "too_short", "growth_stopped",
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
	ts->alive = 1;
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

/* The least-squares line through points [i, j) of t, y: slope, intercept
 * at t = 0 and the squared error (two passes: exact for bytes). */
static double seg_fit(const double *t, const double *y, size_t i, size_t j, double *slope, double *icpt)
{
	double mt = 0, my = 0, stt = 0, sty = 0, sse = 0;
	size_t n = j - i;
	for (size_t k = i; k < j; k++) {
		mt += t[k];
		my += y[k];
	}
	mt /= (double)n;
	my /= (double)n;
	for (size_t k = i; k < j; k++) {
		stt += (t[k] - mt) * (t[k] - mt);
		sty += (t[k] - mt) * (y[k] - my);
	}
	double b = stt > 0 ? sty / stt : 0;
	for (size_t k = i; k < j; k++) {
		double r = y[k] - (my + b * (t[k] - mt));
		sse += r * r;
	}
	*slope = b;
	*icpt = my - b * mt;
	return sse;
}

void ms_trend_plateau(const double *t, const double *y, size_t n, double threshold, struct ms_plateau *out)
{
	memset(out, 0, sizeof *out);
	if (n < 2 + MS_PLATEAU_MIN_POINTS || !(threshold > 0) || t[n - 1] <= t[0])
		return;
	double b, a;
	out->sse_line = seg_fit(t, y, 0, n, &b, &a);
	size_t best = 0;
	double best_sse = INFINITY;
	/* the rise may have 2 points: walks during a burst of allocations are
	 * often inconsistent and left out, so few of them are fitted */
	for (size_t k = 2; k + MS_PLATEAU_MIN_POINTS <= n; k++) {
		double sb1, sa1, sb2, sa2;
		double e = seg_fit(t, y, 0, k, &sb1, &sa1) + seg_fit(t, y, k, n, &sb2, &sa2);
		if (e < best_sse) {
			best_sse = e;
			best = k;
		}
	}
	out->sse_split = best_sse;
	/* a perfect line (sse_line 0) is a line, whatever a split gives */
	if (!best || !(out->sse_line > 0))
		return;
	/* the flat part: counted back from the last point while each is near
	 * the mean of those taken (within threshold/2, or 3 sd of them when
	 * they are noisier) -- a snapshot caught mid-burst ends it */
	double sum = y[n - 1], sumsq = y[n - 1] * y[n - 1];
	size_t j = n - 1;
	while (j > 0) {
		double m = (double)(n - j), mean = sum / m, var = sumsq / m - mean * mean;
		double tol2 = threshold * threshold / 4 > 9 * var ? threshold * threshold / 4 : 9 * var;   /* (3 sd)^2 */
		double d = y[j - 1] - mean;
		if (d * d > tol2)
			break;
		j--;
		sum += y[j];
		sumsq += y[j] * y[j];
	}
	if (j == 0 || n - j < MS_PLATEAU_MIN_POINTS)
		return;
	double bf, af, level = 0;
	seg_fit(t, y, j, n, &bf, &af);
	for (size_t k = j; k < n; k++)
		level += y[k];
	level /= (double)(n - j);
	double flat_sse = 0;
	for (size_t k = j; k < n; k++)
		flat_sse += (y[k] - level) * (y[k] - level);
	/* the split explains the data better than one line -- or the flat
	 * part is flat next to it (a rise of snapshots caught mid-burst is
	 * noisier than any line, its flat end is not) */
	if (best_sse > MS_PLATEAU_GAIN * out->sse_line && flat_sse > MS_PLATEAU_FLAT_SSE * out->sse_line)
		return;
	double rise = level - y[0];   /* from the window's first point */
	double span = t[n - 1] - t[0], flat_s = t[n - 1] - t[j];
	double grow_s = t[j] - t[0];
	double rate = grow_s > 0 ? rise / grow_s : 0;
	if (rise < threshold || flat_s < MS_PLATEAU_MIN_SHARE * span || fabs(bf) * flat_s >= threshold ||
	    fabs(bf) > MS_PLATEAU_FLAT_RATIO * rate)
		return;
	out->found = 1;
	out->stop_t = t[j];
	out->flat_s = flat_s;
	out->level = level;
	out->rise = rise;
	out->rate_before = rate;
}

/* Shortest span and fewest points a trend is told from. */
#define MIN_POINTS 4
#define MIN_SPAN_S 2.0
#define MIN_R2     0.5

/* A rise that stopped in the window: the plateau test over the kept
 * samples that carry c (the fits are running sums; the shape needs the
 * points).  Sets dir STOPPED and the stop's figures when found. */
static void shape(const struct ms_tseries *ts, enum ms_ts_comp c, struct ms_trend *t)
{
	double *x = calloc(ts->nkept ? ts->nkept : 1, 2 * sizeof *x);
	if (!x)
		return;   /* out of memory: the line's verdict stands */
	double *y = x + ts->nkept;
	size_t n = 0;
	for (size_t i = 0; i < ts->nkept; i++) {
		double v = comp_value(&ts->kept[i], c);
		if (v >= 0) {
			x[n] = ts->kept[i].t;
			y[n++] = v;
		}
	}
	struct ms_plateau p;
	ms_trend_plateau(x, y, n, t->threshold, &p);
	free(x);
	if (!p.found)
		return;
	t->dir = MS_TR_STOPPED;
	t->stop_t = p.stop_t;
	t->flat_s = p.flat_s;
	t->rise = p.rise;
}

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
	if (t->dir == MS_TR_GROWING || t->dir == MS_TR_NOISY)
		shape(ts, c, t);
}

/* One component's trend as a cause-model fact. */
static void fact(const struct ms_tseries *ts, enum ms_ts_comp c, struct ms_growth_fact *g)
{
	struct ms_trend t;
	ms_ts_trend(ts, c, &t);
	memset(g, 0, sizeof *g);
	g->label = comps[c].label;
	g->bytes = comps[c].bytes;
	g->points = t.n;
	g->span_s = t.span_s;
	g->slope = t.slope;
	g->r2 = t.r2;
	g->first = t.first;
	g->last = t.last;
	g->known = t.dir != MS_TR_UNKNOWN;
	g->grows = t.dir == MS_TR_GROWING;
	g->flat = t.dir == MS_TR_FLAT;
	g->noisy = t.dir == MS_TR_NOISY;
	g->stopped = t.dir == MS_TR_STOPPED;
	g->stop_t = t.stop_t;
	g->flat_s = t.flat_s;
	g->rise = t.rise;
}

void ms_ts_growth_facts(const struct ms_tseries *ts, struct ms_cause_facts *f)
{
	f->have_growth = ts->nsamples > 0;
	f->growth_span_s = ts->nsamples ? ts->last.t - (ts->nkept ? ts->kept[0].t : 0) : 0;
	if (!f->rss)
		f->rss = ts->last.rss;
	fact(ts, MS_TS_IN_USE, &f->in_use_trend);
	fact(ts, MS_TS_FREE_KEPT, &f->free_kept_trend);
	fact(ts, MS_TS_ARENAS, &f->arenas_trend);
	fact(ts, MS_TS_ARENA_HEAPS, &f->arena_heaps_trend);
	fact(ts, MS_TS_RUNTIME_HEAP, &f->runtime_heap_trend);
	fact(ts, MS_TS_RSS, &f->rss_trend);
	fact(ts, MS_TS_ANON_OTHER, &f->anon_other_trend);
	f->growth_trim_prediction = ts->have_last_alloc ? ts->last_alloc.trim_prediction : 0;
	/* the class whose RSS grew most between the first kept sample and the latest */
	f->growth_class[0] = 0;
	f->growth_class_bytes = 0;
	if (ts->nkept && ts->kept[0].has_classes && ts->last.has_classes)
		for (int k = 0; k < MS_CLASS_N; k++) {
			uint64_t a = ts->kept[0].class_rss[k], b = ts->last.class_rss[k];
			if (b > a && b - a > f->growth_class_bytes) {
				f->growth_class_bytes = b - a;
				snprintf(f->growth_class, sizeof f->growth_class, "%s", ms_class_name((enum ms_class)k));
			}
		}
}

static enum ms_growth growth_of(enum ms_cause_kind k)
{
	switch (k) {
	case MS_CAUSE_LEAK_GROWING: return MS_GROW_LEAK;
	case MS_CAUSE_RETENTION_GROWING: return MS_GROW_RETENTION;
	case MS_CAUSE_ARENA_GROWTH: return MS_GROW_ARENAS;
	case MS_CAUSE_RUNTIME_HEAP_GROWTH: return MS_GROW_RUNTIME_HEAP;
	default: return MS_GROW_RSS;
	}
}

static enum ms_ts_comp comp_of(enum ms_cause_kind k)
{
	switch (k) {
	case MS_CAUSE_LEAK_GROWING: return MS_TS_IN_USE;
	case MS_CAUSE_RETENTION_GROWING: return MS_TS_FREE_KEPT;
	case MS_CAUSE_ARENA_GROWTH: return MS_TS_ARENA_HEAPS;
	case MS_CAUSE_RUNTIME_HEAP_GROWTH: return MS_TS_RUNTIME_HEAP;
	default: return MS_TS_RSS;
	}
}

void ms_ts_causes(const struct ms_tseries *ts, struct ms_causes *out)
{
	struct ms_cause_facts f;
	ms_cause_facts_init(&f, ts->pid);
	f.alive = ts->alive;
	if (ts->command)
		snprintf(f.command, sizeof f.command, "%s", ts->command);
	snprintf(f.allocator, sizeof f.allocator, "%s", ts->glibc ? "glibc" : "other");
	ms_ts_growth_facts(ts, &f);
	ms_causes_build(&f, out);
}

int ms_ts_verdicts(const struct ms_tseries *ts, struct ms_growth_verdict *out, int max)
{
	struct ms_causes *c = calloc(1, sizeof *c);
	int n = 0;
	if (c) {
		ms_ts_causes(ts, c);
		for (int i = 0; i < c->n && n < max; i++) {
			struct ms_growth_verdict *v = &out[n++];
			memset(v, 0, sizeof *v);
			v->kind = growth_of(c->v[i].kind);
			v->level = c->v[i].severity;
			v->comp = comp_of(c->v[i].kind);
			struct ms_trend t;
			ms_ts_trend(ts, v->comp, &t);
			if (t.dir == MS_TR_STOPPED)
				v->kind = MS_GROW_STOPPED;   /* the text says what grew */
			snprintf(v->text, sizeof v->text, "%s", c->v[i].text);
			for (int k = 0; k < c->v[i].nrem && !v->next[0]; k++)
				snprintf(v->next, sizeof v->next, "%s", c->v[i].rem[k].command);
		}
		free(c);
	}
	if (n || max < 1)
		return n;
	/* nothing grows: stable, or too short to tell (not causes: no bytes) */
	struct ms_growth_fact rss, use, kept;
	fact(ts, MS_TS_RSS, &rss);
	fact(ts, MS_TS_IN_USE, &use);
	fact(ts, MS_TS_FREE_KEPT, &kept);
	struct ms_growth_verdict *v = &out[n++];
	memset(v, 0, sizeof *v);
	v->level = MS_INFO;
	v->comp = MS_TS_RSS;
	if (!rss.known || (ts->glibc && ts->nalloc > 0 && !use.known)) {
		v->kind = MS_GROW_TOO_SHORT;
		snprintf(v->text, sizeof v->text,
			 "too short to tell: %llu samples over %.1f s (%llu with allocator figures); "
			 "a trend needs %d points over %.0f s or more%s",
			 (unsigned long long)ts->nsamples, rss.span_s, (unsigned long long)ts->nalloc, MIN_POINTS,
			 MIN_SPAN_S, rss.known ? "; --walk-every 1 walks every sample" : "");
		if (ts->alive)
			snprintf(v->next, sizeof v->next, "memsleuth watch %d --duration 60", (int)ts->pid);
		return n;
	}
	char d1[200], d2[200], d3[200];
	v->kind = MS_GROW_STABLE;
	ms_growth_describe(&rss, d1, sizeof d1);
	if (ts->glibc && ts->nalloc) {
		ms_growth_describe(&use, d2, sizeof d2);
		ms_growth_describe(&kept, d3, sizeof d3);
		snprintf(v->text, sizeof v->text, "stable: %s; %s; %s", d1, d2, d3);
	} else {
		snprintf(v->text, sizeof v->text, "stable: %s", d1);
	}
	return n;
}

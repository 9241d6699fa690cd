#include "report/watch_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/causes_report.h"
#include "report/json.h"
#include "report/table.h"
#include "util/size.h"

const char *ms_watch_end_name(enum ms_watch_end w)
{
	static const char *const n[] = { "duration", "samples", "interrupted", "target_exited", "unreadable" };
	return w <= MS_WE_UNREADABLE ? n[w] : "?";
}

/* "+2.0 MiB", "-512 B", "+0 B" */
static char *delta(uint64_t now, uint64_t before, char *buf)
{
	char sz[MS_SIZE_BUF];
	uint64_t d = now >= before ? now - before : before - now;
	snprintf(buf, MS_SIZE_BUF, "%c%s", now >= before ? '+' : '-', ms_size_fmt(d, sz));
	return buf;
}

/* The samples' table, a stream: its layout is chosen with the header and
 * kept for every sample (one watch per process). */
static struct ms_table samples;

void ms_watch_text_begin(FILE *out, const struct ms_watch_info *w)
{
	const struct ms_sampler *s = w->sampler;
	fprintf(out, "watching process %d (%s), every %.3g s", (int)s->pid, s->comm, w->interval_s);
	if (w->duration_s > 0)
		fprintf(out, " for %.3g s", w->duration_s);
	if (w->max_samples)
		fprintf(out, ", %" PRIu64 " samples", w->max_samples);
	if (w->duration_s <= 0 && !w->max_samples)
		fprintf(out, " until Ctrl-C");
	fputc('\n', out);
	if (!s->glibc)
		fprintf(out, "the allocator is %s, not glibc's: the process-level series only "
			"(RSS, PSS, swap, memory classes)\n", s->allocator);
	else if (s->every > 0)
		fprintf(out, "glibc's figures from an arenas walk every %d sample%s (--walk-every)\n",
			s->every, s->every == 1 ? "" : "s");
	else
		fprintf(out, "glibc's figures from an arenas walk (never pausing the target) while its CPU "
			"stays under %.3g%% of one core; '-' marks a sample without one\n", s->share * 100);
	if (s->is_jvm)
		fprintf(out, "a JVM: %s\n", s->nmt == 0 ? "its own heap figure needs NMT (-XX:NativeMemoryTracking=summary) and jcmd"
			: "its heap's resident part (the RSS of its range from jcmd GC.heap_info) at every sample, NMT's "
			  "committed (jcmd VM.native_memory summary) about once a minute");
	fputc('\n', out);
	ms_table_free(&samples);
	ms_table_init(&samples, "rrrrrrrrl", (const char *[]){ "TIME", "RSS", "CHANGE", "IN USE", "CHANGE",
							     "FREE KEPT", "CHANGE", "ARENAS", "" });
	for (int c = 1; c <= 6; c++)   /* a change as wide as "+1023.9 MiB" is rare: room for "+100.0 MiB" */
		samples.minw[c] = 10;
	samples.minw[0] = 8;
	ms_table_flush(&samples, out, "");
	fflush(out);
}

void ms_watch_text_sample(FILE *out, const struct ms_sample *s, const struct ms_sample *prev,
			  const struct ms_sample *prev_alloc)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF], d[MS_SIZE_BUF], e[MS_SIZE_BUF], f[MS_SIZE_BUF];
	char arenas[24];
	snprintf(arenas, sizeof arenas, s->arenas >= 0 ? "%ld" : "-", s->arenas);
	int walked = s->alloc != MS_SA_NONE;
	ms_table_rowf(&samples, "%.1fs\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", s->t, ms_size_fmt(s->rss, a),
		      prev ? delta(s->rss, prev->rss, b) : "", walked ? ms_size_fmt(s->in_use, c) : "-",
		      walked && prev_alloc ? delta(s->in_use, prev_alloc->in_use, d) : "",
		      walked ? ms_size_fmt(s->free_resident, e) : "-",
		      walked && prev_alloc ? delta(s->free_resident, prev_alloc->free_resident, f) : "", arenas,
		      s->alloc == MS_SA_INCONSISTENT ? "(walk inconsistent: not fitted)" : "");
	ms_table_flush(&samples, out, "");
	fflush(out);
}

static void trend_row(struct ms_table *t, const struct ms_tseries *ts, enum ms_ts_comp c)
{
	struct ms_trend tr;
	ms_ts_trend(ts, c, &tr);
	if (!tr.n)
		return;
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], r[48];
	if (ms_ts_comp_is_bytes(c)) {
		char sz[MS_SIZE_BUF];
		double s = tr.slope < 0 ? -tr.slope : tr.slope;
		snprintf(r, sizeof r, "%c%s/s", tr.slope < 0 ? '-' : '+', ms_size_fmt((uint64_t)(s + 0.5), sz));
		ms_size_fmt((uint64_t)tr.first, a);
		ms_size_fmt((uint64_t)tr.last, b);
	} else {
		snprintf(r, sizeof r, "%+.2f/min", tr.slope * 60);
		snprintf(a, sizeof a, "%.0f", tr.first);
		snprintf(b, sizeof b, "%.0f", tr.last);
	}
	ms_table_rowf(t, "%s\t%s\t%s\t%s\t%.2f\t%" PRIu64 "\t%s", ms_ts_comp_label(c), a, b, r, tr.r2, tr.n,
		      ms_trend_dir_name(tr.dir));
}

void ms_watch_text_summary(FILE *out, const struct ms_tseries *ts, const struct ms_watch_info *w)
{
	const struct ms_sampler *s = w->sampler;
	if (w->end == MS_WE_TARGET_EXITED)
		fprintf(out, "\nprocess %d ended at %s, %.1f s into the watch%s%s\n", (int)ts->pid,
			w->end_wall[0] ? w->end_wall : "?", w->end_t, w->end_detail[0] ? ": " : "", w->end_detail);
	else if (w->end == MS_WE_UNREADABLE)
		fprintf(out, "\nprocess %d could no longer be read at %s, %.1f s into the watch: %s\n", (int)ts->pid,
			w->end_wall[0] ? w->end_wall : "?", w->end_t, w->end_detail);
	fprintf(out, "\n%" PRIu64 " sample%s over %.1f s", ts->nsamples, ts->nsamples == 1 ? "" : "s",
		ts->nsamples ? ts->last.t : 0.0);
	if (s->glibc) {
		fprintf(out, ", %" PRIu64 " with glibc's figures", ts->nalloc);
		if (ts->ninconsistent)
			fprintf(out, ", %" PRIu64 " inconsistent walk%s left out", ts->ninconsistent,
				ts->ninconsistent == 1 ? "" : "s");
		if (s->walks_skipped)
			fprintf(out, ", %" PRIu64 " walk%s skipped to stay under %.3g%% of a CPU", s->walks_skipped,
				s->walks_skipped == 1 ? "" : "s", s->share * 100);
		fprintf(out, "; walks took %.1f ms of CPU on average", s->walks ? s->walk_cpu_s * 1e3 / (double)s->walks : 0.0);
		if (s->walk_errors)
			fprintf(out, "; %" PRIu64 " walk%s failed (%s)", s->walk_errors, s->walk_errors == 1 ? "" : "s",
				s->walk_error);
	}
	fputs("\n\n", out);
	static const char *const heads[] = { "COMPONENT", "FIRST", "LAST", "RATE", "R²", "POINTS", "TREND" };
	struct ms_table t;
	ms_table_init(&t, "lrrrrrl", heads);
	static const enum ms_ts_comp order[] = { MS_TS_RSS, MS_TS_PSS, MS_TS_SWAP, MS_TS_IN_USE, MS_TS_FREE_KEPT,
						 MS_TS_ANON_OTHER, MS_TS_ARENAS, MS_TS_ARENA_HEAPS, MS_TS_RUNTIME_HEAP };
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		trend_row(&t, ts, order[i]);
	ms_table_print(&t, out, "  ");
	ms_table_free(&t);
	fputc('\n', out);
	struct ms_growth_verdict v[MS_TS_MAX_VERDICTS];
	int n = ms_ts_verdicts(ts, v, MS_TS_MAX_VERDICTS);
	int colour = ms_use_colour(out);
	for (int i = 0; i < n; i++) {
		const char *mark = v[i].level == MS_PROBLEM ? "!!" : v[i].level == MS_NOTICE ? " !" : " -";
		if (colour && v[i].level == MS_PROBLEM)
			fprintf(out, "\033[1;31m%s\033[0m %s\n", mark, v[i].text);
		else
			fprintf(out, "%s %s\n", mark, v[i].text);
		if (v[i].next[0])
			fprintf(out, "   next: %s\n", v[i].next);
	}
	fflush(out);
}

static void begin(struct ms_json *j, FILE *out, const char *type, pid_t pid)
{
	ms_json_init(j, out);
	j->compact = true;
	ms_json_obj_begin(j);
	/* every line carries its own schema_version (NDJSON: no envelope
	 * around the stream), written here, not by the step key's envelope */
	ms_json_ku64(j, "schema_version", (uint64_t)ms_json_schema_version("watch"));
	ms_json_kstr(j, "memsleuth_version", MS_VERSION);
	ms_json_kstr(j, "type", type);
	ms_json_key(j, "step");
	ms_json_str(j, "watch");
	ms_json_ku64(j, "pid", (uint64_t)pid);
}

static void finish(struct ms_json *j)
{
	ms_json_obj_end(j);
	ms_json_end(j);
}

/* A sample's fields (also the summary's timeline points). */
static void sample_fields(struct ms_json *j, const struct ms_sample *s, int classes)
{
	ms_json_kdouble(j, "t_s", s->t);
	ms_json_ku64(j, "rss_bytes", s->rss);
	ms_json_ku64(j, "pss_bytes", s->pss);
	ms_json_ku64(j, "vsz_bytes", s->vsz);
	ms_json_ku64(j, "hwm_bytes", s->hwm);
	ms_json_ku64(j, "swap_bytes", s->swap);
	if (s->has_classes && classes) {
		ms_json_key(j, "class_rss_bytes");
		ms_json_obj_begin(j);
		for (int c = 0; c < MS_CLASS_N; c++)
			ms_json_ku64(j, ms_class_name((enum ms_class)c), s->class_rss[c]);
		ms_json_obj_end(j);
	} else if (s->has_classes) {
		ms_json_ku64(j, "anon_other_bytes", s->class_rss[MS_CLASS_ANON_OTHER]);
	}
	if (s->arenas >= 0) {
		ms_json_ki64(j, "arenas", s->arenas);
		ms_json_ku64(j, "arena_heaps", s->arena_heaps);
	} else {
		ms_json_key(j, "arenas");
		ms_json_null(j);
	}
	ms_json_kstr(j, "allocator_figures", s->alloc == MS_SA_OK ? "consistent" :
		     s->alloc == MS_SA_INCONSISTENT ? "inconsistent" : "none");
	if (s->alloc != MS_SA_NONE) {
		ms_json_ku64(j, "in_use_bytes", s->in_use);
		ms_json_ku64(j, "free_bytes", s->free);
		ms_json_ku64(j, "free_resident_bytes", s->free_resident);
		ms_json_ku64(j, "top_bytes", s->top);
		ms_json_ku64(j, "mmapped_bytes", s->mmapped);
		ms_json_ku64(j, "trim_prediction_bytes", s->trim_prediction);
		if (classes) {
			ms_json_ku64(j, "walk_arenas", s->walk_arenas);
			ms_json_kdouble(j, "walk_ms", s->walk_ms);
			ms_json_kdouble(j, "walk_cpu_ms", s->walk_cpu_ms);
		}
	}
	if (s->has_runtime) {
		if (s->runtime_heap_resident)
			ms_json_ku64(j, "runtime_heap_resident_bytes", s->runtime_heap);
		ms_json_ku64(j, "runtime_heap_committed_bytes", s->runtime_heap_committed);
		ms_json_ku64(j, "runtime_malloc_bytes", s->runtime_native);
	}
}

void ms_watch_json_sample(FILE *out, const struct ms_tseries *ts, const struct ms_sample *s)
{
	struct ms_json j;
	begin(&j, out, "sample", ts->pid);
	sample_fields(&j, s, 1);
	finish(&j);
}

#define TIMELINE_POINTS 120

void ms_watch_json_summary(FILE *out, const struct ms_tseries *ts, const struct ms_watch_info *w)
{
	const struct ms_sampler *s = w->sampler;
	struct ms_json j;
	begin(&j, out, "summary", ts->pid);
	ms_json_kstr(&j, "comm", s->comm);
	ms_json_kstr(&j, "allocator", s->allocator);
	ms_json_kbool(&j, "is_jvm", s->is_jvm);
	ms_json_kdouble(&j, "interval_s", w->interval_s);
	ms_json_kdouble(&j, "span_s", ts->nsamples ? ts->last.t : 0);
	/* t_s 0 on CLOCK_MONOTONIC: lines samples up with other clocks */
	ms_json_kdouble(&j, "started_monotonic_s", s->t0);
	ms_json_ku64(&j, "samples", ts->nsamples);
	ms_json_ku64(&j, "samples_with_allocator", ts->nalloc);
	ms_json_ku64(&j, "inconsistent_walks", ts->ninconsistent);
	ms_json_ku64(&j, "walks", s->walks);
	ms_json_ku64(&j, "walks_skipped", s->walks_skipped);
	ms_json_ku64(&j, "walk_errors", s->walk_errors);
	ms_json_kdouble(&j, "walk_cpu_s", s->walk_cpu_s);
	ms_json_kdouble(&j, "walk_budget_share", s->every > 0 ? 0 : s->share);
	ms_json_kbool(&j, "partial", w->end == MS_WE_TARGET_EXITED || w->end == MS_WE_INTERRUPTED ||
					      w->end == MS_WE_UNREADABLE);
	ms_watch_json_findings(&j, ts);
	finish(&j);
}

void ms_watch_json_findings(struct ms_json *j, const struct ms_tseries *ts)
{
	ms_json_key(j, "trends");
	ms_json_obj_begin(j);
	for (int c = 0; c < MS_TS_N; c++) {
		struct ms_trend t;
		ms_ts_trend(ts, (enum ms_ts_comp)c, &t);
		if (!t.n)
			continue;
		int bytes = ms_ts_comp_is_bytes((enum ms_ts_comp)c);
		ms_json_key(j, ms_ts_comp_name((enum ms_ts_comp)c));
		ms_json_obj_begin(j);
		ms_json_kstr(j, "trend", ms_trend_dir_name(t.dir));
		ms_json_ku64(j, "points", t.n);
		ms_json_kdouble(j, "span_s", t.span_s);
		ms_json_ku64(j, bytes ? "first_bytes" : "first", (uint64_t)t.first);
		ms_json_ku64(j, bytes ? "last_bytes" : "last", (uint64_t)t.last);
		ms_json_kdouble(j, bytes ? "slope_bytes_per_s" : "slope_per_s", t.slope);
		ms_json_kdouble(j, "r2", t.r2);
		if (t.dir == MS_TR_STOPPED) {   /* grew, then flat (timeseries.h ms_trend_plateau) */
			ms_json_kdouble(j, "stopped_at_s", t.stop_t);
			ms_json_kdouble(j, "flat_s", t.flat_s);
			ms_json_ku64(j, bytes ? "grown_bytes" : "grown", t.rise > 0 ? (uint64_t)t.rise : 0);
		}
		ms_json_obj_end(j);
	}
	ms_json_obj_end(j);
	struct ms_growth_verdict v[MS_TS_MAX_VERDICTS];
	int n = ms_ts_verdicts(ts, v, MS_TS_MAX_VERDICTS);
	ms_json_key(j, "verdicts");
	ms_json_arr_begin(j);
	for (int i = 0; i < n; i++) {
		ms_json_obj_begin(j);
		ms_json_kstr(j, "kind", ms_growth_name(v[i].kind));
		ms_json_kstr(j, "level", ms_level_name(v[i].level));
		ms_json_kstr(j, "component", ms_ts_comp_name(v[i].comp));
		ms_json_kstr(j, "text", v[i].text);
		ms_json_kstr(j, "next", v[i].next);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	int worst = -1;   /* what --fail-on compares (src/driver/watch.c) */
	for (int i = 0; i < n; i++)
		if ((int)v[i].level > worst)
			worst = (int)v[i].level;
	ms_json_kstr(j, "max_severity", worst < 0 ? NULL : ms_level_name((enum ms_level)worst));
	struct ms_causes *c = calloc(1, sizeof *c);
	if (c) {
		ms_ts_causes(ts, c);
		ms_causes_json(c, j);
		free(c);
	}
	/* the report's timeline: at most TIMELINE_POINTS of the kept samples */
	ms_json_key(j, "timeline");
	ms_json_arr_begin(j);
	size_t step = ts->nkept > TIMELINE_POINTS ? (ts->nkept + TIMELINE_POINTS - 1) / TIMELINE_POINTS : 1;
	for (size_t i = 0; i < ts->nkept; i += step) {
		ms_json_obj_begin(j);
		sample_fields(j, &ts->kept[i], 0);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
}

void ms_watch_json_end(FILE *out, const struct ms_tseries *ts, const struct ms_watch_info *w)
{
	struct ms_json j;
	begin(&j, out, "end", ts->pid);
	ms_json_kstr(&j, "reason", ms_watch_end_name(w->end));
	ms_json_kdouble(&j, "at_s", w->end_t);
	if (w->end == MS_WE_TARGET_EXITED || w->end == MS_WE_UNREADABLE) {
		ms_json_kstr(&j, "ended_at", w->end_wall);
		ms_json_kstr(&j, "how", w->end_detail);
	}
	finish(&j);
}

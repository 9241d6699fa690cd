/* The time series' arithmetic and verdicts: the running least-squares fit
 * against the closed-form answer, inconsistent walks left out, bounded
 * keeping, each growth kind from synthetic series, NMT's summary, and the
 * Prometheus exposition's label escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/timeseries.h"
#include "findings/tsample.h"
#include "records/nmt.h"
#include "report/prom.h"

#define MiB (1024.0 * 1024.0)

static void fit_matches_closed_form(void **state)
{
	struct ms_fit f = { 0 };
	/* y = 3e9 + 10 MiB * t, plus alternating noise of 1 KiB */
	for (int i = 0; i < 100; i++)
		ms_fit_add(&f, i * 0.5, 3e9 + 10 * MiB * i * 0.5 + (i % 2 ? 1024 : -1024));
	assert_true(fabs(ms_fit_slope(&f) - 10 * MiB) < 10 * MiB * 1e-4);
	assert_true(ms_fit_r2(&f) > 0.9999);
	struct ms_fit c = { 0 };
	for (int i = 0; i < 10; i++)
		ms_fit_add(&c, i, 42);
	assert_true(ms_fit_slope(&c) == 0);
	assert_true(ms_fit_r2(&c) == 1);
	struct ms_fit one = { 0 };
	ms_fit_add(&one, 1, 5);
	assert_true(ms_fit_slope(&one) == 0);
}

/* A series: rss, in_use and free_resident as functions of t. */
static void series(struct ms_tseries *ts, int n, double dt, double rss0, double rss_s, double use0,
		   double use_s, double kept0, double kept_s, long arenas0, double arenas_s)
{
	assert_int_equal(ms_ts_init(ts, 42, 1), 0);
	for (int i = 0; i < n; i++) {
		struct ms_sample s = { 0 };
		double t = i * dt;
		s.t = t;
		s.rss = (uint64_t)(rss0 + rss_s * t);
		s.pss = s.rss;
		s.has_classes = 1;
		s.arenas = arenas0 + (long)(arenas_s * t);
		s.arena_heaps = (uint64_t)(s.arenas - 1);
		s.alloc = MS_SA_OK;
		s.in_use = (uint64_t)(use0 + use_s * t);
		s.free_resident = (uint64_t)(kept0 + kept_s * t);
		ms_ts_add(ts, &s);
	}
}

static enum ms_growth first_kind(struct ms_tseries *ts)
{
	struct ms_growth_verdict v[MS_TS_MAX_VERDICTS];
	int n = ms_ts_verdicts(ts, v, MS_TS_MAX_VERDICTS);
	assert_true(n >= 1);
	return v[0].kind;
}

static void growth_kinds(void **state)
{
	struct ms_tseries ts;
	series(&ts, 20, 1, 100 * MiB, 2 * MiB, 50 * MiB, 2 * MiB, 10 * MiB, 0, 1, 0);
	assert_int_equal(first_kind(&ts), MS_GROW_LEAK);
	struct ms_growth_verdict v[MS_TS_MAX_VERDICTS];
	ms_ts_verdicts(&ts, v, MS_TS_MAX_VERDICTS);
	assert_non_null(strstr(v[0].text, "in use +2.0 MiB/s over 19 s, R² 1.00"));
	assert_non_null(strstr(v[0].text, "free kept flat"));
	assert_non_null(strstr(v[0].next, "memsleuth hotspots 42"));
	ms_ts_free(&ts);

	series(&ts, 20, 1, 100 * MiB, 2 * MiB, 50 * MiB, 0, 10 * MiB, 2 * MiB, 1, 0);
	assert_int_equal(first_kind(&ts), MS_GROW_RETENTION);
	ms_ts_free(&ts);

	series(&ts, 60, 1, 100 * MiB, 0, 50 * MiB, 0, 10 * MiB, 0, 2, 0.2);
	assert_int_equal(first_kind(&ts), MS_GROW_ARENAS);
	ms_ts_free(&ts);

	series(&ts, 20, 1, 100 * MiB, 0, 50 * MiB, 0, 10 * MiB, 0, 1, 0);
	assert_int_equal(first_kind(&ts), MS_GROW_STABLE);
	ms_ts_free(&ts);

	/* RSS grows, the allocator's figures do not: outside malloc */
	series(&ts, 20, 1, 100 * MiB, 5 * MiB, 50 * MiB, 0, 10 * MiB, 0, 1, 0);
	assert_int_equal(first_kind(&ts), MS_GROW_RSS);
	ms_ts_free(&ts);

	series(&ts, 3, 0.5, 100 * MiB, 50 * MiB, 50 * MiB, 50 * MiB, 0, 0, 1, 0);
	assert_int_equal(first_kind(&ts), MS_GROW_TOO_SHORT);
	ms_ts_free(&ts);
}

static void inconsistent_walks_not_fitted(void **state)
{
	struct ms_tseries ts;
	assert_int_equal(ms_ts_init(&ts, 1, 1), 0);
	for (int i = 0; i < 10; i++) {
		struct ms_sample s = { .t = i, .rss = 100, .arenas = 1, .alloc = MS_SA_OK, .in_use = 1000 };
		if (i == 5) {
			s.alloc = MS_SA_INCONSISTENT;
			s.in_use = 1ull << 40;   /* a torn read */
		}
		ms_ts_add(&ts, &s);
	}
	assert_int_equal(ts.ninconsistent, 1);
	assert_int_equal(ts.nalloc, 9);
	assert_int_equal(ts.fit[MS_TS_IN_USE].n, 9);
	assert_true(ts.fit[MS_TS_IN_USE].y_max == 1000);
	ms_ts_free(&ts);
}

static void keeping_is_bounded(void **state)
{
	struct ms_tseries ts;
	assert_int_equal(ms_ts_init(&ts, 1, 0), 0);
	for (int i = 0; i < 10 * MS_TS_KEEP + 7; i++) {
		struct ms_sample s = { .t = i, .rss = (uint64_t)i, .arenas = -1 };
		ms_ts_add(&ts, &s);
	}
	assert_true(ts.nkept <= MS_TS_KEEP);
	assert_true(ts.nkept >= MS_TS_KEEP / 2);
	for (size_t i = 1; i < ts.nkept; i++)   /* evenly spaced, in order */
		assert_true(ts.kept[i].t - ts.kept[i - 1].t == (double)ts.stride);
	assert_true(ts.kept[0].t == 0);
	ms_ts_free(&ts);
}

static void nmt_summary(void **state)
{
	const char *text =
		"12345:\n\nNative Memory Tracking:\n\n"
		"Total: reserved=1634302KB, committed=313410KB\n\n"
		"-                 Java Heap (reserved=262144KB, committed=16384KB)\n"
		"                            (mmap: reserved=262144KB, committed=16384KB)\n\n"
		"-                     Class (reserved=1048699KB, committed=251KB)\n"
		"                            (malloc=123KB #456)\n"
		"-                    Thread (reserved=20000KB, committed=1000KB)\n"
		"                            (malloc=10KB #20)\n";
	struct ms_nmt n;
	assert_int_equal(ms_nmt_parse(text, &n), 0);
	assert_int_equal(n.java_heap_committed, 16384ull * 1024);
	assert_int_equal(n.committed, 313410ull * 1024);
	assert_int_equal(n.malloc, 133ull * 1024);      /* no Total malloc line: the categories summed */
	assert_int_equal(ms_nmt_parse("Native memory tracking is not enabled", &n), -1);
	/* JDK 17's Total malloc line wins over the categories */
	assert_int_equal(ms_nmt_parse("Total: reserved=1711276KB, committed=334620KB\n       malloc: 8916KB #6584\n"
				      "       mmap:   reserved=1702360KB, committed=325704KB\n\n"
				      "-                 Java Heap (reserved=262144KB, committed=262144KB)\n"
				      "                            (malloc=91KB #914)\n", &n), 0);
	assert_int_equal(n.malloc, 8916ull * 1024);
	assert_int_equal(n.java_heap_committed, 262144ull * 1024);
	uint64_t lo, hi;
	assert_int_equal(ms_heap_range_parse("1:\n garbage-first heap   total 262144K, used 2464K [0x00000000f0000000, "
					     "0x0000000100000000)\n", &lo, &hi), 0);
	assert_int_equal(lo, 0xf0000000ull);
	assert_int_equal(hi, 0x100000000ull);
	assert_int_equal(ms_heap_range_parse("no heap here", &lo, &hi), -1);
}

static void prom_labels(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ms_prom_label(m, "a\"b\\c\nd\xff" "é");
	fclose(m);
	assert_string_equal(buf, "a\\\"b\\\\c\\nd\xef\xbf\xbd" "é");
	free(buf);

	struct ms_tseries ts;
	series(&ts, 5, 1, 10 * MiB, 0, 5 * MiB, 0, MiB, 0, 1, 0);
	buf = NULL;
	m = open_memstream(&buf, &len);
	ms_prom_expose(m, &ts, "we\"ird");
	fclose(m);
	assert_non_null(strstr(buf, "# TYPE memsleuth_rss_bytes gauge\n"
				    "memsleuth_rss_bytes{pid=\"42\",comm=\"we\\\"ird\"} 10485760\n"));
	assert_non_null(strstr(buf, "memsleuth_glibc_in_use_bytes{pid=\"42\",comm=\"we\\\"ird\"} 5242880\n"));
	assert_non_null(strstr(buf, "memsleuth_class_rss_bytes{pid=\"42\",comm=\"we\\\"ird\",class=\"main_heap\"} 0\n"));
	free(buf);
	ms_ts_free(&ts);
}

/* A deterministic noise in [-1, 1) (an LCG: the same series every run). */
static double noise(unsigned *st)
{
	*st = *st * 1103515245u + 12345u;
	return (double)((*st >> 8) & 0xffff) / 32768.0 - 1.0;
}

/* The change-point test on synthetic series: 0.5 s apart, bytes. */
static void plateau_shapes(void **state)
{
	(void)state;
	enum { N = 25 };
	double t[N], y[N];
	struct ms_plateau p;
	unsigned st = 7;
	for (int i = 0; i < N; i++)
		t[i] = i * 0.5;
	/* flat */
	for (int i = 0; i < N; i++)
		y[i] = 50 * MiB;
	ms_trend_plateau(t, y, N, MiB, &p);
	assert_false(p.found);
	/* a line: 1 MiB/s for 12 s */
	for (int i = 0; i < N; i++)
		y[i] = 10 * MiB + MiB * t[i];
	ms_trend_plateau(t, y, N, MiB, &p);
	assert_false(p.found);
	/* a noisy line: 200 KiB/s with +-150 KiB of noise */
	for (int i = 0; i < N; i++)
		y[i] = 10 * MiB + 200 * 1024.0 * t[i] + 150 * 1024.0 * noise(&st);
	ms_trend_plateau(t, y, N, MiB, &p);
	assert_false(p.found);
	/* grew 4 MiB/s for 5 s (to t=5), then flat for 7 s */
	for (int i = 0; i < N; i++)
		y[i] = 10 * MiB + 4 * MiB * (t[i] < 5 ? t[i] : 5);
	ms_trend_plateau(t, y, N, MiB, &p);
	assert_true(p.found);
	assert_true(fabs(p.stop_t - 5) <= 0.5);
	assert_true(fabs(p.rise - 20 * MiB) < 0.05 * 20 * MiB);
	assert_true(fabs(p.flat_s - 7) <= 0.5);
	/* the same with 64 KiB of page noise in the flat part */
	for (int i = 10; i < N; i++)
		y[i] += 64 * 1024.0 * noise(&st);
	ms_trend_plateau(t, y, N, MiB, &p);
	assert_true(p.found);
	assert_true(fabs(p.stop_t - 5) <= 0.5);
	/* a step: flat, a jump of 30 MiB at t=3, flat */
	for (int i = 0; i < N; i++)
		y[i] = 10 * MiB + (t[i] >= 3 ? 30 * MiB : 0);
	ms_trend_plateau(t, y, N, MiB, &p);
	assert_true(p.found);
	assert_true(p.stop_t == 3);
	assert_true(fabs(p.rise - 30 * MiB) < 0.05 * 30 * MiB);
	/* flat, then growing (a leak that started): not a plateau */
	for (int i = 0; i < N; i++)
		y[i] = 10 * MiB + (t[i] > 6 ? 2 * MiB * (t[i] - 6) : 0);
	ms_trend_plateau(t, y, N, MiB, &p);
	assert_false(p.found);
	/* a fall, then flat: not a growth that stopped */
	for (int i = 0; i < N; i++)
		y[i] = 50 * MiB - 4 * MiB * (t[i] < 5 ? t[i] : 5);
	ms_trend_plateau(t, y, N, MiB, &p);
	assert_false(p.found);
	/* a watch's in-use series: walks mid-burst were inconsistent (left
	 * out) or caught a round half freed, then flat from t=6 */
	{
		double tw[18], yw[18] = { 2654256, 1760656, 11111280 };
		tw[0] = 1, tw[1] = 1.5, tw[2] = 2;
		for (int i = 3; i < 18; i++) {
			tw[i] = 6 + 0.5 * (i - 3);
			yw[i] = 15245456;
		}
		ms_trend_plateau(tw, yw, 18, MiB, &p);
		assert_true(p.found);
		assert_true(p.stop_t == 6);
		assert_true(p.rise == 15245456.0 - 2654256.0);
	}
	/* the same with walks that caught rounds half freed (above the final
	 * level) during the rise */
	{
		double tw[21], yw[21] = { 2.6 * MiB, 11.1 * MiB, 4.3 * MiB, 20.6 * MiB, 13.4 * MiB, 23.8 * MiB };
		for (int i = 0; i < 21; i++) {
			tw[i] = i < 6 ? 1 + 0.5 * i : 6 + 0.5 * (i - 6);
			if (i >= 6)
				yw[i] = 15.2 * MiB;
		}
		ms_trend_plateau(tw, yw, 21, MiB, &p);
		assert_true(p.found);
		assert_true(p.stop_t == 6);
	}
	/* a rise of snapshots mid-burst, noisier than any line, then flat
	 * (a loaded machine: the rounds ran late) */
	{
		double tw[21] = { 1, 1.5, 2, 2.5, 3.5, 4, 4.5, 5, 5.5, 6, 7, 8, 8.5, 9, 9.5, 10, 10.5, 11, 11.5, 12, 12.5 };
		double yw[21] = { 7786256, 2689456, 10306096, 5298256, 9672512, 4857296, 14510768, 9534880,
				  4666656, 15295408, 20449360 };
		for (int i = 11; i < 21; i++)
			yw[i] = 10912736;
		ms_trend_plateau(tw, yw, 21, MiB, &p);
		assert_true(p.found);
		assert_true(p.stop_t == 8);
	}
	/* too few points */
	ms_trend_plateau(t, y, 5, MiB, &p);
	assert_false(p.found);
}

/* A sample series from functions of t (bytes). */
static void series_fn(struct ms_tseries *ts, int n, double dt, double (*use)(double), double (*kept)(double),
		      uint64_t trim)
{
	assert_int_equal(ms_ts_init(ts, 42, 1), 0);
	for (int i = 0; i < n; i++) {
		struct ms_sample s = { 0 };
		s.t = i * dt;
		s.alloc = MS_SA_OK;
		s.in_use = (uint64_t)use(s.t);
		s.free_resident = (uint64_t)kept(s.t);
		s.rss = s.pss = s.in_use + s.free_resident + 5 * (uint64_t)MiB;
		s.arenas = 1;
		s.trim_prediction = trim;
		ms_ts_add(ts, &s);
	}
}
static double frag_use(double t) { return 0.8 * MiB + 1.6 * MiB * (t < 12 ? t : 12); }
static double frag_kept(double t) { return 6.9 * MiB + 2.1 * MiB * (t < 12 ? t : 12); }
static double leak_use(double t) { return MiB + 200 * 1024.0 * t; }
static double flat_kept(double t) { (void)t; return 2 * MiB; }

/* Trial 4's F-C: 12 s of growth, 28 s flat, free kept the larger part:
 * stopped, both named with their bytes, fragmentation, not "not the
 * allocator", and no problem. */
static void growth_stopped_and_fragmentation(void **state)
{
	(void)state;
	struct ms_tseries ts;
	struct ms_growth_verdict v[MS_TS_MAX_VERDICTS];
	series_fn(&ts, 41, 1, frag_use, frag_kept, 4096);
	struct ms_trend tr;
	ms_ts_trend(&ts, MS_TS_RSS, &tr);
	assert_int_equal(tr.dir, MS_TR_STOPPED);
	assert_true(tr.stop_t >= 12 && tr.stop_t <= 13);
	int n = ms_ts_verdicts(&ts, v, MS_TS_MAX_VERDICTS);
	assert_true(n >= 1);
	assert_int_equal(v[0].kind, MS_GROW_STOPPED);
	assert_int_equal(v[0].comp, MS_TS_FREE_KEPT);
	assert_true(v[0].level <= MS_NOTICE);
	assert_non_null(strstr(v[0].text, "growth stopped at t=12 s, flat for the last 28 s: "
					  "in use +19.2 MiB and free kept +25.2 MiB: glibc keeps freed memory in holes "
					  "between live blocks (fragmentation); malloc_trim(0) would return 4.0 KiB"));
	assert_null(strstr(v[0].text, "not the allocator"));
	assert_string_equal(v[0].next, "memsleuth arenas 42");
	ms_ts_free(&ts);

	/* a steady leak: grows, at its rate, with the --live command */
	series_fn(&ts, 25, 0.5, leak_use, flat_kept, 0);
	ms_ts_trend(&ts, MS_TS_IN_USE, &tr);
	assert_int_equal(tr.dir, MS_TR_GROWING);
	assert_true(fabs(tr.slope - 200 * 1024.0) < 0.01 * 200 * 1024.0);
	n = ms_ts_verdicts(&ts, v, MS_TS_MAX_VERDICTS);
	assert_int_equal(v[0].kind, MS_GROW_LEAK);
	assert_non_null(strstr(v[0].text, "not the allocator"));
	assert_string_equal(v[0].next, "memsleuth hotspots 42 --live --duration 30");
	ms_ts_free(&ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fit_matches_closed_form),
		cmocka_unit_test(growth_kinds),
		cmocka_unit_test(inconsistent_walks_not_fitted),
		cmocka_unit_test(keeping_is_bounded),
		cmocka_unit_test(nmt_summary),
		cmocka_unit_test(prom_labels),
		cmocka_unit_test(plateau_shapes),
		cmocka_unit_test(growth_stopped_and_fragmentation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

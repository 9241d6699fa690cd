/* compare's arithmetic and trim's prediction pick: the environment each
 * configuration runs with, medians, ranking, the recommendation, and
 * reading one top-level number out of another step's JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/remedy.h"

static const struct ms_remedy_cfg *cfg(const char *name)
{
	for (size_t i = 0; i < ms_remedy_ncfgs; i++)
		if (!strcmp(ms_remedy_cfgs[i].name, name))
			return &ms_remedy_cfgs[i];
	fail_msg("no configuration %s", name);
	return NULL;
}

static int has(char **env, const char *kv)
{
	for (size_t i = 0; env[i]; i++)
		if (!strcmp(env[i], kv))
			return 1;
	return 0;
}

static void env_is_exactly_the_config(void **state)
{
	char *base[] = { "PATH=/bin", "MALLOC_ARENA_MAX=8", "GLIBC_TUNABLES=glibc.malloc.tcache_count=0",
			 "MALLOC_CONF=narenas:1", "MIMALLOC_VERBOSE=1", "LD_PRELOAD=/x/hook.so", NULL };
	char **env = ms_remedy_env(cfg("jemalloc-decay-0"), "/lib/libjemalloc.so.2", base);
	assert_non_null(env);
	assert_true(has(env, "PATH=/bin"));
	assert_true(has(env, "MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0"));
	assert_true(has(env, "LD_PRELOAD=/lib/libjemalloc.so.2:/x/hook.so"));
	assert_false(has(env, "MALLOC_ARENA_MAX=8"));
	assert_false(has(env, "MALLOC_CONF=narenas:1"));
	assert_false(has(env, "MIMALLOC_VERBOSE=1"));
	size_t n = 0;
	while (env[n])
		n++;
	assert_int_equal(n, 3);
	ms_remedy_env_free(env);
	env = ms_remedy_env(cfg("glibc"), "", base);
	assert_true(has(env, "LD_PRELOAD=/x/hook.so"));   /* the user's own preload stays */
	assert_false(has(env, "GLIBC_TUNABLES=glibc.malloc.tcache_count=0"));
	ms_remedy_env_free(env);
}

static struct ms_workload_run run(uint64_t peak, uint64_t fin, double wall, int ok)
{
	return (struct ms_workload_run){ .peak_rss = peak, .final_rss = fin, .wall_seconds = wall,
					 .cpu_seconds = wall, .ok = ok };
}

static void medians_skip_failed_runs(void **state)
{
	struct ms_workload_run all[4] = { run(10, 5, 1.0, 1), run(30, 9, 3.0, 1), run(99, 99, 9.0, 0), run(20, 7, 2.0, 1) };
	snprintf(all[2].error, sizeof all[2].error, "exit status 3");
	struct ms_remedy_result r = { .cfg = cfg("glibc"), .available = 1, .runs = 4, .all = all };
	ms_remedy_summarise(&r);
	assert_int_equal(r.runs_ok, 3);
	assert_int_equal(r.peak_rss, 20);
	assert_int_equal(r.final_rss, 7);
	assert_true(r.wall_seconds == 2.0);
	assert_string_equal(r.error, "exit status 3");
	struct ms_workload_run two[2] = { run(10, 4, 1.0, 1), run(20, 8, 3.0, 1) };
	struct ms_remedy_result q = { .cfg = cfg("glibc"), .available = 1, .runs = 2, .all = two };
	ms_remedy_summarise(&q);
	assert_int_equal(q.final_rss, 6);
	assert_true(q.wall_seconds == 2.0);
}

#define MiB (1ull << 20)

static void rank_and_recommend(void **state)
{
	struct ms_remedy_result v[5] = {
		{ .cfg = cfg("glibc"), .available = 1, .runs_ok = 3, .final_rss = 513 * MiB, .peak_rss = 520 * MiB, .wall_seconds = 1.0, .cpu_seconds = 1.0 },
		{ .cfg = cfg("glibc-arena-max-2"), .available = 1, .runs_ok = 3, .final_rss = 514 * MiB, .peak_rss = 520 * MiB, .wall_seconds = 1.0, .cpu_seconds = 1.0 },
		{ .cfg = cfg("jemalloc-decay-0"), .available = 1, .runs_ok = 3, .final_rss = 24 * MiB, .peak_rss = 524 * MiB, .wall_seconds = 2.0, .cpu_seconds = 1.6 },
		{ .cfg = cfg("tcmalloc"), .available = 0 },
		{ .cfg = cfg("mimalloc-decommit-0"), .available = 1, .runs_ok = 0 },
	};
	snprintf(v[2].lib, sizeof v[2].lib, "/lib/libjemalloc.so.2");
	ms_remedy_rank(v, 5);
	assert_int_equal(v[2].rank, 1);
	assert_int_equal(v[0].rank, 2);
	assert_int_equal(v[1].rank, 3);
	assert_int_equal(v[3].rank, 0);
	assert_int_equal(v[4].rank, 0);
	struct ms_recommendation rec;
	ms_remedy_recommend(v, 5, NULL, &rec);
	assert_ptr_equal(rec.best, &v[2]);
	assert_string_equal(rec.same, "glibc-arena-max-2");
	assert_non_null(strstr(rec.text, "Use jemalloc-decay-0"));
	assert_non_null(strstr(rec.text, "24.0 MiB instead of 513.0 MiB"));
	assert_non_null(strstr(rec.text, "(95% less; one run each, no spread measured)"));
	/* cost on CPU time (T5-14): 1.60x; wall time informative */
	assert_non_null(strstr(rec.text, "CPU time 1.60x the default's (wall time 2.00x). It costs CPU time"));
	v[2].cpu_seconds = 0.8;   /* wall 2x, CPU less: no cost */
	ms_remedy_recommend(v, 5, NULL, &rec);
	assert_null(strstr(rec.text, "It costs"));
	/* ranges (T5-5): 3 runs each, overlapping: not measured, never "Use" */
	v[0].runs_compared = v[2].runs_compared = 3;
	v[0].final_min = 500 * MiB, v[0].final_max = 530 * MiB;
	v[2].final_min = 20 * MiB, v[2].final_max = 505 * MiB;
	uint64_t saved;
	assert_int_equal(ms_remedy_judge(v, 5, &v[2], &saved), MS_REMEDY_NOT_MEASURED);
	ms_remedy_recommend(v, 5, NULL, &rec);
	assert_null(rec.best);
	assert_non_null(strstr(rec.not_measured, "jemalloc-decay-0 (20.0 MiB..505.0 MiB)"));
	v[2].final_max = 30 * MiB;   /* apart: measured */
	assert_int_equal(ms_remedy_judge(v, 5, &v[2], &saved), 1);
	/* overlapping within a band narrower than 10%: a measured no change */
	v[2].final_min = 505 * MiB, v[2].final_max = 540 * MiB;
	assert_int_equal(ms_remedy_judge(v, 5, &v[2], &saved), 0);
	v[0].runs_compared = v[2].runs_compared = 0;
	struct ms_apply ap;
	ms_remedy_apply(&v[2], "./app --serve", &ap);
	assert_string_equal(ap.shell, "LD_PRELOAD=/lib/libjemalloc.so.2 MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0 ./app --serve");
	assert_string_equal(ap.systemd, "[Service] Environment=\"LD_PRELOAD=/lib/libjemalloc.so.2\" "
			    "\"MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0\"");
	assert_non_null(strstr(ap.docker, "docker run -e LD_PRELOAD=/lib/libjemalloc.so.2 -e MALLOC_CONF="));
	assert_non_null(strstr(ap.docker, "apt-get install libjemalloc2"));
	/* nothing better than 10%: keep the default */
	v[2].final_rss = 480 * MiB;
	ms_remedy_rank(v, 5);
	ms_remedy_recommend(v, 5, NULL, &rec);
	assert_null(rec.best);
	assert_non_null(strstr(rec.text, "Keep the default"));
	/* final RSS alone never concludes "in use" (node-zlib: 84 MiB free that trim returned) */
	assert_null(strstr(rec.text, "most likely in use"));
	assert_non_null(strstr(rec.text, "memsleuth arenas"));
}

/* A run with its final moment: at the line, at the --final-after timer,
 * or at its exit (probe/workload.h). */
static struct ms_workload_run at(uint64_t fin, double wall, enum ms_final_moment m)
{
	struct ms_workload_run w = run(fin, fin, wall, 1);
	w.final_at_seen = m != MS_MOMENT_EXIT;
	w.final_by_time = m == MS_MOMENT_TIMER;
	return w;
}

/* compare's order: medians per configuration, the compared moment, ranks;
 * the runs of a1 (3) all set to fin at moment a1m. */
static enum ms_final_moment measure_all(struct ms_remedy_result *v, struct ms_workload_run *a1, uint64_t fin,
					enum ms_final_moment a1m)
{
	for (int k = 0; k < 3; k++)
		a1[k] = at(fin, a1m == MS_MOMENT_TIMER ? 3.0 : 1.0, a1m);
	for (int i = 0; i < 3; i++)
		ms_remedy_summarise(&v[i]);
	enum ms_final_moment m = ms_remedy_moments(v, 3);
	ms_remedy_rank(v, 3);
	return m;
}

/* Finding 2 of the trial: the default missed the line and was read at the
 * timer (at its peak); it is never ranked against runs read at the line,
 * and nothing is judged against it. */
static void runs_at_other_moments_are_apart(void **state)
{
	struct ms_workload_run g[1] = { at(213 * MiB, 3.0, MS_MOMENT_TIMER) };
	struct ms_workload_run a2[1] = { at(14 * MiB, 1.0, MS_MOMENT_LINE) };
	struct ms_workload_run a1[3] = { at(90 * MiB, 1.0, MS_MOMENT_LINE), at(200 * MiB, 3.0, MS_MOMENT_TIMER),
					 at(100 * MiB, 1.0, MS_MOMENT_LINE) };
	struct ms_remedy_result v[3] = {
		{ .cfg = cfg("glibc"), .available = 1, .runs = 1, .all = g },
		{ .cfg = cfg("glibc-arena-max-2"), .available = 1, .runs = 1, .all = a2 },
		{ .cfg = cfg("glibc-arena-max-1"), .available = 1, .runs = 3, .all = a1 },
	};
	for (int i = 0; i < 3; i++)
		ms_remedy_summarise(&v[i]);
	struct ms_compare_moment m = { .final_at = "holding", .final_after = 3.0 };
	m.kind = ms_remedy_moments(v, 3);
	assert_int_equal(m.kind, MS_MOMENT_LINE);
	ms_remedy_rank(v, 3);
	assert_true(v[0].apart);
	assert_int_equal(v[0].rank, 0);
	assert_int_equal(v[0].moment, MS_MOMENT_TIMER);
	assert_int_equal(v[0].final_rss, 213 * MiB);          /* shown apart as measured */
	assert_int_equal(v[1].rank, 1);
	assert_int_equal(v[2].rank, 2);
	assert_int_equal(v[2].runs_ok, 3);
	assert_int_equal(v[2].runs_compared, 2);              /* the timer's run left out of its medians */
	assert_int_equal(v[2].final_rss, 95 * MiB);
	char why[400];
	ms_remedy_apart_reason(&v[0], &m, why, sizeof why);
	assert_string_equal(why, "did not reach /holding/ within 3.0 s: final RSS 213.0 MiB taken at the timer, not "
			    "compared (a longer --final-after lets it reach the line)");
	uint64_t saved;
	assert_int_equal(ms_remedy_judge(v, 3, &v[1], &saved), -2);   /* no default at the line */
	struct ms_recommendation rec;
	ms_remedy_recommend(v, 3, &m, &rec);
	assert_null(rec.best);
	assert_string_equal(rec.same, "");
	assert_string_equal(rec.worse, "");
	assert_string_equal(rec.apart, "glibc did not reach /holding/ within 3.0 s: final RSS 213.0 MiB taken at the "
			    "timer, not compared (a longer --final-after lets it reach the line)");
	assert_string_equal(rec.text, "Not judged: glibc's default did not reach /holding/ within 3.0 s: final RSS "
			    "213.0 MiB taken at the timer; no configuration is compared with it and nothing is recommended. "
			    "Rerun with a longer --final-after (e.g. --final-after 60).");

	/* every run at the line: a harmful setting is "worse", never "no change" */
	g[0] = at(166 * MiB, 3.0, MS_MOMENT_LINE);
	a2[0] = at(880 * MiB, 1.0, MS_MOMENT_LINE);
	m.kind = measure_all(v, a1, 170 * MiB, MS_MOMENT_LINE);
	assert_false(v[0].apart);
	assert_int_equal(v[0].rank, 1);
	assert_int_equal(ms_remedy_judge(v, 3, &v[1], &saved), -1);
	assert_string_equal(ms_remedy_effect_id(-1), "worse");
	assert_int_equal(ms_remedy_judge(v, 3, &v[2], &saved), 0);
	ms_remedy_recommend(v, 3, &m, &rec);
	assert_null(rec.best);
	assert_string_equal(rec.worse, "glibc-arena-max-2 (166.0 MiB -> 880.0 MiB)");
	assert_string_equal(rec.same, "glibc-arena-max-1");
	assert_string_equal(rec.apart, "");
	assert_non_null(strstr(rec.text, "Keep the default"));

	/* no line anywhere: the moment is the default's (a server read at the
	 * timer); a configuration that exited before it is apart */
	g[0] = at(100 * MiB, 3.0, MS_MOMENT_TIMER);
	a2[0] = at(5 * MiB, 1.0, MS_MOMENT_EXIT);
	m.kind = measure_all(v, a1, 50 * MiB, MS_MOMENT_TIMER);
	assert_int_equal(m.kind, MS_MOMENT_TIMER);
	assert_true(v[1].apart);
	assert_int_equal(v[2].rank, 1);
	ms_remedy_apart_reason(&v[1], &m, why, sizeof why);
	assert_string_equal(why, "exited before the timer (3.0 s): final RSS 5.0 MiB is the last sample before its exit, "
			    "not compared");
}

/* What reaches a process: a static binary ignores LD_PRELOAD, musl and a
 * linked-in jemalloc ignore glibc's settings; the default always applies.
 * A configuration that did not reach the process is never ranked, never
 * "no change", never the recommendation, and the default is named by the
 * allocator it ran on. */
static void not_applied_is_never_judged(void **state)
{
	char why[200];
	struct ms_alloc_seen musl = { .read = 1, .allocator = MS_ALLOC_MUSL, .is_static = 1 };
	struct ms_alloc_seen gstatic = { .read = 1, .allocator = MS_ALLOC_GLIBC_STATIC, .is_static = 1 };
	struct ms_alloc_seen je = { .read = 1, .pid = 42, .allocator = MS_ALLOC_JEMALLOC, .builtin = 1 };
	struct ms_alloc_seen glibc = { .read = 1, .pid = 7, .allocator = MS_ALLOC_GLIBC };
	assert_int_equal(ms_remedy_applies(cfg("glibc"), &musl, 1, why, sizeof why), 1);
	assert_int_equal(ms_remedy_applies(cfg("jemalloc-decay-0"), &musl, 0, why, sizeof why), 0);
	assert_string_equal(why, "jemalloc was not loaded: static binary ignores LD_PRELOAD");
	assert_int_equal(ms_remedy_applies(cfg("glibc-arena-max-2"), &musl, 0, why, sizeof why), 0);
	assert_string_equal(why, "glibc's malloc is not in use (the allocator is musl, static binary): it ignores MALLOC_ARENA_MAX");
	assert_int_equal(ms_remedy_applies(cfg("glibc-fixed-thresholds"), &gstatic, 0, why, sizeof why), 1);
	assert_int_equal(ms_remedy_applies(cfg("tcmalloc"), &gstatic, 0, why, sizeof why), 0);
	assert_int_equal(ms_remedy_applies(cfg("glibc-trim-threshold-0"), &je, 0, why, sizeof why), 0);
	assert_string_equal(why, "glibc's malloc is not in use (the allocator is jemalloc, built in): it ignores GLIBC_TUNABLES");
	assert_int_equal(ms_remedy_applies(cfg("jemalloc-decay-0"), &je, 0, why, sizeof why), 1);
	/* read in its own run: the library must be mapped there */
	assert_int_equal(ms_remedy_applies(cfg("mimalloc"), &glibc, 1, why, sizeof why), 0);
	assert_string_equal(why, "mimalloc was not loaded: its library is not mapped in process 7 (LD_PRELOAD did not reach it)");
	glibc.lib_mapped = 1;
	assert_int_equal(ms_remedy_applies(cfg("mimalloc"), &glibc, 1, why, sizeof why), 1);
	struct ms_alloc_seen unread = { 0 };
	assert_int_equal(ms_remedy_applies(cfg("mimalloc"), &unread, 1, why, sizeof why), -1);
	/* trim's hint: compare has nothing for a static musl binary, something for the others */
	assert_int_equal(ms_remedy_napplicable(&musl), 0);
	/* dynamic musl: this host's allocator libraries need glibc */
	struct ms_alloc_seen musl_dyn = { .read = 1, .allocator = MS_ALLOC_MUSL };
	assert_int_equal(ms_remedy_applies(cfg("jemalloc"), &musl_dyn, 0, why, sizeof why), 0);
	assert_string_equal(why, "jemalloc was not loaded: this host's library is built for glibc, the process runs on musl");
	assert_int_equal(ms_remedy_napplicable(&musl_dyn), 0);
	assert_true(ms_remedy_napplicable(&gstatic) > 0);
	assert_true(ms_remedy_napplicable(&je) > 0);

	/* measured byte-identical to the default, as on the trial's static musl binary:
	 * with a run that read musl it is "not applied", not "no change" */
	struct ms_workload_run b = run(56 * MiB, 32 * MiB, 1.0, 1), j = b;
	b.alloc = musl;
	j.alloc = musl;
	struct ms_remedy_result v[2] = {
		{ .cfg = cfg("glibc"), .available = 1, .runs = 1, .all = &b },
		{ .cfg = cfg("jemalloc-decay-0"), .available = 1, .runs = 1, .all = &j },
	};
	snprintf(v[1].lib, sizeof v[1].lib, "/lib/libjemalloc.so.2");
	for (int i = 0; i < 2; i++) {
		ms_remedy_summarise(&v[i]);
		ms_remedy_check(&v[i]);
	}
	assert_int_equal(v[0].reached, 1);
	assert_string_equal(v[1].not_applied, "jemalloc was not loaded: static binary ignores LD_PRELOAD");
	ms_remedy_rank(v, 2);
	assert_int_equal(v[0].rank, 1);
	assert_int_equal(v[1].rank, 0);
	uint64_t saved;
	assert_int_equal(ms_remedy_judge(v, 2, &v[1], &saved), -2);
	struct ms_recommendation rec;
	ms_remedy_recommend(v, 2, NULL, &rec);
	assert_null(rec.best);
	assert_string_equal(rec.same, "");
	assert_string_equal(rec.base, "the default (musl, static binary)");
	assert_string_equal(rec.not_applied, "jemalloc-decay-0 (jemalloc was not loaded: static binary ignores LD_PRELOAD)");
	assert_non_null(strstr(rec.text, "Nothing compared: no configuration reached this process, only the default (musl, "
					 "static binary) ran (final RSS 32.0 MiB)"));
	assert_null(strstr(rec.text, "glibc"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(env_is_exactly_the_config),
		cmocka_unit_test(medians_skip_failed_runs),
		cmocka_unit_test(rank_and_recommend),
		cmocka_unit_test(not_applied_is_never_judged),
		cmocka_unit_test(runs_at_other_moments_are_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

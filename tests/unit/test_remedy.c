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
		{ .cfg = cfg("glibc"), .available = 1, .runs_ok = 3, .final_rss = 513 * MiB, .peak_rss = 520 * MiB, .wall_seconds = 1.0 },
		{ .cfg = cfg("glibc-arena-max-2"), .available = 1, .runs_ok = 3, .final_rss = 514 * MiB, .peak_rss = 520 * MiB, .wall_seconds = 1.0 },
		{ .cfg = cfg("jemalloc-decay-0"), .available = 1, .runs_ok = 3, .final_rss = 24 * MiB, .peak_rss = 524 * MiB, .wall_seconds = 2.0 },
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
	ms_remedy_recommend(v, 5, &rec);
	assert_ptr_equal(rec.best, &v[2]);
	assert_string_equal(rec.same, "glibc-arena-max-2");
	assert_non_null(strstr(rec.text, "Use jemalloc-decay-0"));
	assert_non_null(strstr(rec.text, "24.0 MiB instead of 513.0 MiB"));
	assert_non_null(strstr(rec.text, "(95% less)"));
	assert_non_null(strstr(rec.text, "It costs time"));
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
	ms_remedy_recommend(v, 5, &rec);
	assert_null(rec.best);
	assert_non_null(strstr(rec.text, "Keep the default"));
	/* final RSS alone never concludes "in use" (node-zlib: 84 MiB free that trim returned) */
	assert_null(strstr(rec.text, "most likely in use"));
	assert_non_null(strstr(rec.text, "memsleuth arenas"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(env_is_exactly_the_config),
		cmocka_unit_test(medians_skip_failed_runs),
		cmocka_unit_test(rank_and_recommend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The cause model for what trial5 found unnamed: shared memory (T5-15),
 * the runtimes that keep their objects in glibc's live blocks (PostgreSQL,
 * Perl, Tcl: T5-3, T5-9), an idle attached hotspots (T5-9) and a launched
 * target's growth (T5-8).  Facts shaped like the trial's processes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "findings/causes.h"

#define MIB (1ull << 20)

static const struct ms_cause *find_cause(const struct ms_causes *c, enum ms_cause_kind k)
{
	for (int i = 0; i < c->n; i++)
		if (c->v[i].kind == k)
			return &c->v[i];
	return NULL;
}

static int text_has(const struct ms_cause *x, const char *sub)
{
	return x && strstr(x->text, sub) != NULL;
}

static int has_cmd(const struct ms_cause *x, const char *sub)
{
	for (int i = 0; x && i < x->nrem; i++)
		if (strstr(x->rem[i].command, sub))
			return 1;
	return 0;
}

/* The PostgreSQL backend of T5-15: VmRSS 160 MiB, RssShmem 145 MiB */
static void postgres_backend(struct ms_cause_facts *f)
{
	ms_cause_facts_init(f, 23885);
	f->rss = 163900ull << 10;
	f->have_overview = 1;
	f->runtime = MS_RT_POSTGRES;
	f->shmem_rss = 148500ull << 10;
	f->shmem_pss = 139874ull << 10;
	snprintf(f->shmem_path, sizeof f->shmem_path, "/dev/zero (deleted)");
	f->file_rss = 12900ull << 10;
	f->main_heap_rss = 1400ull << 10;
	snprintf(f->allocator, sizeof f->allocator, "glibc");
}

static void shared_memory_is_named(void **state)
{
	(void)state;
	struct ms_cause_facts f;
	struct ms_causes c;
	postgres_backend(&f);
	ms_causes_build(&f, &c);
	assert_int_equal(c.v[0].kind, MS_CAUSE_SHARED_MEMORY);
	assert_string_equal(ms_cause_kind_id(MS_CAUSE_SHARED_MEMORY), "shared_memory");
	const struct ms_cause *x = &c.v[0];
	assert_int_equal(x->resident_bytes, 148500ull << 10);
	assert_int_equal(x->severity, MS_PROBLEM);
	assert_true(text_has(x, "145.0 MiB (91% of the RSS) is shared memory (a shared mapping: /dev/zero "
				  "(deleted)): counted in the RSS of every process that touched it"));
	assert_true(text_has(x, "PSS 136.6 MiB here"));
	assert_true(text_has(x, "for PostgreSQL: shared_buffers"));
	assert_true(has_cmd(x, "SHOW shared_buffers"));
	assert_true(has_cmd(x, "/proc/23885/smaps_rollup"));
	assert_false(has_cmd(x, "memsleuth trim"));
	assert_false(has_cmd(x, "GLIBC_TUNABLES"));
	/* under 1 MiB: no row */
	f.shmem_rss = 512 << 10;
	ms_causes_build(&f, &c);
	assert_null(find_cause(&c, MS_CAUSE_SHARED_MEMORY));
}

/* glibc's live blocks of a runtime that keeps its own objects there */
static void runtime_in_use(struct ms_cause_facts *f, enum ms_runtime rt)
{
	ms_cause_facts_init(f, 777);
	f->rss = 300 * MIB;
	f->runtime = rt;
	f->have_arenas = 1;
	f->in_use = f->in_use_resident = 93 * MIB;
	snprintf(f->allocator, sizeof f->allocator, "glibc");
	snprintf(f->command, sizeof f->command, "perl hashes.pl 0");
}

static void runtimes_name_their_retention(void **state)
{
	(void)state;
	struct ms_cause_facts f;
	struct ms_causes c;
	const struct ms_cause *x;

	runtime_in_use(&f, MS_RT_PERL);
	ms_causes_build(&f, &c);
	x = find_cause(&c, MS_CAUSE_IN_USE_UNACCOUNTED);
	assert_non_null(x);
	assert_true(text_has(x, "perl keeps freed scalars in its own arenas"));
	assert_false(text_has(x, "a leak or a cache"));
	assert_non_null(x);
	assert_string_equal(x->rem[0].command, "memsleuth watch 777 --duration 60");
	assert_true(has_cmd(x, "Devel::Gladiator"));
	assert_false(has_cmd(x, "hotspots"));

	runtime_in_use(&f, MS_RT_TCL);
	ms_causes_build(&f, &c);
	x = find_cause(&c, MS_CAUSE_IN_USE_UNACCOUNTED);
	assert_true(text_has(x, "threaded Tcl's allocator caches freed objects per thread"));
	assert_false(has_cmd(x, "hotspots"));

	runtime_in_use(&f, MS_RT_POSTGRES);
	ms_causes_build(&f, &c);
	x = find_cause(&c, MS_CAUSE_IN_USE_UNACCOUNTED);
	assert_true(text_has(x, "PostgreSQL's memory contexts"));
	assert_non_null(x);
	assert_string_equal(x->rem[0].command, "psql -c 'SELECT pg_log_backend_memory_contexts(777)'");
	assert_true(has_cmd(x, "pg_backend_memory_contexts"));
	assert_string_equal(ms_runtime_id(MS_RT_POSTGRES), "postgres");
	assert_string_equal(ms_runtime_id(MS_RT_PERL), "perl");
	assert_string_equal(ms_runtime_id(MS_RT_TCL), "tcl");
}

/* The guide's attached hotspots recorded no call: not hotspots PID again */
static void idle_hotspots_not_again(void **state)
{
	(void)state;
	struct ms_cause_facts f;
	struct ms_causes c;
	runtime_in_use(&f, MS_RT_NONE);
	ms_causes_build(&f, &c);
	assert_true(has_cmd(find_cause(&c, MS_CAUSE_IN_USE_UNACCOUNTED), "memsleuth hotspots 777 --live"));
	f.hot_idle = 1;
	ms_causes_build(&f, &c);
	const struct ms_cause *x = find_cause(&c, MS_CAUSE_IN_USE_UNACCOUNTED);
	assert_false(has_cmd(x, "hotspots"));
	assert_non_null(x);
	assert_string_equal(x->rem[0].command, "memsleuth watch 777 --duration 60");
	assert_true(has_cmd(x, "memsleuth guide -- perl hashes.pl 0"));
	assert_true(text_has(x, "a leak or a cache"));   /* no runtime: the text stands */
}

/* A launched target's growth (T5-8): the guide ended it, so the next
 * command records a new run, never its PID */
static void launched_growth_reruns(void **state)
{
	(void)state;
	struct ms_cause_facts f;
	struct ms_causes c;
	ms_cause_facts_init(&f, 11901);
	f.alive = 0;
	f.launched = 1;
	snprintf(f.command, sizeof f.command, "./leak");
	snprintf(f.allocator, sizeof f.allocator, "glibc");
	f.have_growth = 1;
	f.growth_span_s = 10;
	f.in_use_trend = (struct ms_growth_fact){ .known = 1, .grows = 1, .bytes = 1, .slope = 1e6, .r2 = 0.99,
						  .span_s = 10, .first = 1e6, .last = 11e6, .points = 10,
						  .label = "in use" };
	ms_causes_build(&f, &c);
	const struct ms_cause *x = find_cause(&c, MS_CAUSE_LEAK_GROWING);
	assert_non_null(x);
	assert_non_null(x);
	assert_string_equal(x->rem[0].command, "memsleuth hotspots -- ./leak");
	assert_false(has_cmd(x, "11901"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shared_memory_is_named),
		cmocka_unit_test(runtimes_name_their_retention),
		cmocka_unit_test(idle_hotspots_not_again),
		cmocka_unit_test(launched_growth_reruns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

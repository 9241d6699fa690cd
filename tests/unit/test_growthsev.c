/* The severity of a watch's growth (findings/growthsev.h) at its
 * thresholds, and where the guide puts a growth among its conclusions: a
 * few MiB seen in a short watch never lead a cause of hundreds of MiB (the
 * trial's JVM whose Java heap was the answer), a growing leak does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/growthsev.h"
#include "findings/guide.h"

#define MiB (1024.0 * 1024.0)

static void short_small_wobble_is_info(void **state)
{
	(void)state;
	/* the trial: free kept 148 KiB -> 2.3 MiB over 4 s on a 512 MiB JVM */
	assert_int_equal(ms_growth_severity(2.2 * MiB, 4, 0.55 * MiB, 1, 0, (uint64_t)(512 * MiB)), MS_INFO);
	/* just under the 4 MiB floor: info whatever the rate */
	assert_int_equal(ms_growth_severity(4 * MiB - 1, 1, 100 * MiB, 1, 0, (uint64_t)(10 * MiB)), MS_INFO);
	assert_int_equal(ms_growth_severity(NAN, 4, MiB, 1, 0, (uint64_t)(500 * MiB)), MS_INFO);
	assert_int_equal(ms_growth_severity(0, 0, 0, 1, 0, 0), MS_INFO);
}

static void thresholds_of_the_extrapolation(void **state)
{
	(void)state;
	uint64_t rss = (uint64_t)(1024 * MiB);
	/* 4 MiB over 4 s: trusted for 40 s, 40 MiB >= 32 MiB: notice */
	assert_int_equal(ms_growth_severity(4 * MiB, 4, 1 * MiB, 1, 0, rss), MS_NOTICE);
	/* 3.1 MiB/s... over 4 s: 4 MiB seen, 31.9 MiB in 40 s: under 32 MiB and 5% of 1 GiB */
	assert_int_equal(ms_growth_severity(4 * MiB, 4, 31.9 * MiB / 40, 1, 0, rss), MS_INFO);
	/* 25% of the RSS in ten spans: problem; just under: notice */
	assert_int_equal(ms_growth_severity(8 * MiB, 8, 256 * MiB / 80, 1, 0, rss), MS_PROBLEM);
	assert_int_equal(ms_growth_severity(8 * MiB, 8, 255 * MiB / 80, 1, 0, rss), MS_NOTICE);
	/* a minute at 1 MiB/s on 1 GiB: 600 MiB in ten minutes: problem */
	assert_int_equal(ms_growth_severity(60 * MiB, 60, 1 * MiB, 1, 0, rss), MS_PROBLEM);
	/* 100 KiB/s for a minute: 60 MiB in ten minutes: notice */
	assert_int_equal(ms_growth_severity(6 * MiB, 60, 100 * 1024, 1, 0, rss), MS_NOTICE);
	/* an hour at most: 0.05 MiB/s seen for 1000 s is 180 MiB, not 500 MiB */
	assert_int_equal(ms_growth_severity(50 * MiB, 1000, 0.05 * MiB, 1, 0, (uint64_t)(4096 * MiB)), MS_NOTICE);
	/* never less than what was seen (a fit flatter than first -> last) */
	assert_int_equal(ms_growth_severity(300 * MiB, 30, 0, 1, 0, (uint64_t)(8192 * MiB)), MS_PROBLEM);
	/* a small process: 6 MiB in 3 s of 20 MiB is a problem */
	assert_int_equal(ms_growth_severity(6 * MiB, 3, 2 * MiB, 1, 0, (uint64_t)(20 * MiB)), MS_PROBLEM);
}

static void unsteady_or_stopped_is_notice_at_most(void **state)
{
	(void)state;
	uint64_t rss = (uint64_t)(54 * MiB);
	/* trial 4: 44.7 MiB grown on a 54 MiB process, a line of R^2 0.59
	 * (12 s growth then 28 s flat): a notice, not a problem */
	assert_int_equal(ms_growth_severity(44.7 * MiB, 40, 0.9 * MiB, 0.59, 0, rss), MS_NOTICE);
	assert_int_equal(ms_growth_severity(44.7 * MiB, 40, 0.9 * MiB, 0.99, 0, rss), MS_PROBLEM);
	/* stopped: a notice at most, whatever its fit */
	assert_int_equal(ms_growth_severity(44.7 * MiB, 40, 0.9 * MiB, 1, 1, rss), MS_NOTICE);
	/* not extrapolated: 4 MiB seen, unsteady, on 1 GiB: info */
	assert_int_equal(ms_growth_severity(4 * MiB, 4, 1 * MiB, 0.5, 0, (uint64_t)(1024 * MiB)), MS_INFO);
	assert_int_equal(ms_growth_severity(4 * MiB, 4, 1 * MiB, 0.79, 0, (uint64_t)(1024 * MiB)), MS_INFO);
}

static void guide_growth(struct ms_guide *g, enum ms_level level, const char *text)
{
	struct ms_growth_verdict *v = &g->growth[g->ngrowth++];
	memset(v, 0, sizeof *v);
	v->kind = MS_GROW_RETENTION;
	v->level = level;
	snprintf(v->text, sizeof v->text, "%s", text);
	snprintf(v->next, sizeof v->next, "memsleuth arenas 42");
}

static void guide_places_growth_by_level(void **state)
{
	(void)state;
	struct ms_guide *g = calloc(1, sizeof *g);
	assert_non_null(g);
	ms_guide_init(g, 42);
	g->watch_s = 4;
	ms_verdict_add(&g->conclusions, MS_NOTICE, "", "RSS is above what the application accounts for.");
	ms_verdict_add(&g->conclusions, MS_PROBLEM, "", "the runtime heap holds 395.7 MiB.");
	ms_verdict_add(&g->conclusions, MS_NOTICE, "", "32.4 MiB is mapped files.");
	ms_verdict_add(&g->conclusions, MS_INFO, "", "thread stacks.");
	guide_growth(g, MS_INFO, "free memory glibc keeps grows (148.0 KiB -> 2.3 MiB)");
	guide_growth(g, MS_PROBLEM, "live malloc memory grows");
	ms_guide_conclude_growth(g);
	assert_int_equal(g->conclusions.n, 6);
	/* the problem first, before a problem cause; the info after every notice */
	assert_string_equal(g->conclusions.v[0].text, "Over the 4 s watch, live malloc memory grows");
	assert_int_equal(g->conclusions.v[0].level, MS_PROBLEM);
	assert_string_equal(g->conclusions.v[1].text, "RSS is above what the application accounts for.");
	assert_string_equal(g->conclusions.v[2].text, "the runtime heap holds 395.7 MiB.");
	assert_string_equal(g->conclusions.v[4].text,
			    "Over the 4 s watch, free memory glibc keeps grows (148.0 KiB -> 2.3 MiB)");
	assert_string_equal(g->conclusions.v[4].next, "memsleuth arenas 42");
	assert_string_equal(g->conclusions.v[5].text, "thread stacks.");
	ms_guide_free(g);
	free(g);
}

static void guide_growth_makes_room_when_full(void **state)
{
	(void)state;
	struct ms_guide *g = calloc(1, sizeof *g);
	assert_non_null(g);
	ms_guide_init(g, 42);
	g->watch_s = 60;
	for (int i = 0; i < MS_MAX_VERDICTS; i++)
		ms_verdict_add(&g->conclusions, MS_INFO, "", "info %d", i);
	guide_growth(g, MS_NOTICE, "RSS grows");
	ms_guide_conclude_growth(g);
	assert_int_equal(g->conclusions.n, MS_MAX_VERDICTS);
	assert_string_equal(g->conclusions.v[0].text, "Over the 60 s watch, RSS grows");
	assert_string_equal(g->conclusions.v[MS_MAX_VERDICTS - 1].text, "info 14");
	ms_guide_free(g);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(short_small_wobble_is_info),
		cmocka_unit_test(thresholds_of_the_extrapolation),
		cmocka_unit_test(unsteady_or_stopped_is_notice_at_most),
		cmocka_unit_test(guide_places_growth_by_level),
		cmocka_unit_test(guide_growth_makes_room_when_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

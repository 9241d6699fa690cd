/* A guide step's evidence lines (findings/guide.c ms_gstep_evidence): one
 * holds compare's whole recommendation (up to 1024 characters; the trial's
 * ended mid-sentence at 320, "...would return); memsleuth"), and a longer
 * one ends at its last whole clause, never inside a word. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/guide.h"

static void whole_recommendation(void **state)
{
	(void)state;
	struct ms_gstep *s = calloc(1, sizeof *s);
	assert_non_null(s);
	char rec[1024];
	memset(rec, 'x', sizeof rec - 1);
	rec[sizeof rec - 1] = 0;
	memcpy(rec + sizeof rec - 13, "; memsleuth.", 12);   /* the end that was cut */
	ms_gstep_evidence(s, "compare: %s", rec);
	assert_int_equal(strlen(s->evidence[0]), strlen("compare: ") + strlen(rec));
	assert_string_equal(s->evidence[0] + strlen(s->evidence[0]) - 12, "; memsleuth.");
	free(s);
}

static void too_long_ends_at_a_clause(void **state)
{
	(void)state;
	struct ms_gstep *s = calloc(1, sizeof *s);
	assert_non_null(s);
	char text[2000] = "Keep the default: nothing is 10% below. Final RSS alone does not say; ";
	size_t n = strlen(text);
	while (n + 10 < sizeof text) {
		memcpy(text + n, "word word ", 10);
		n += 10;
	}
	text[n] = 0;
	ms_gstep_evidence(s, "%s", text);
	assert_string_equal(s->evidence[0], "Keep the default: nothing is 10% below. Final RSS alone does not say [...]");
	/* nothing to end at: cut where the room ends */
	memset(text, 'y', sizeof text - 1);
	text[sizeof text - 1] = 0;
	ms_gstep_evidence(s, "%s", text);
	assert_int_equal(strlen(s->evidence[1]), sizeof s->evidence[1] - 1);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_recommendation),
		cmocka_unit_test(too_long_ends_at_a_clause),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

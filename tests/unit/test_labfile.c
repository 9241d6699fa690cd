/* The lab language: what a valid file becomes, and the exact
 * FILE:LINE:COLUMN message for each kind of mistake. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <malloc.h>
#include <string.h>

#include "records/labfile.h"

static int parse(const char *text, struct ms_lab *lab, struct ms_err *e)
{
	memset(e, 0, sizeof *e);
	return ms_lab_parse("t.lab", text, strlen(text), lab, e);
}

static void valid_program(void **state)
{
	struct ms_lab lab;
	struct ms_err e;
	const char *text =
		"# comment\n"
		"title The pin\n"
		"alloc blocks 500000 x 1K   # trailing comment\n"
		"pin top\n"
		"pin big 64K\n"
		"free blocks[10..20]\n"
		"free blocks every 3\n"
		"free blocks\n"
		"expect rss < 10M\n"
		"expect heaps >= 4\n"
		"call mallopt(M_ARENA_MAX, 2)\n"
		"call? mallctl(\"arena.0.purge\", NULL, NULL, NULL, 0)\n"
		"call malloc_info(0, stdout)\n"
		"declare int my_fn(size_t, str, bool)\n"
		"call? my_fn(1M, \"a\\\"b\", true)\n"
		"sleep 250ms\n"
		"threads 8 {\n"
		"  alloc w 10 x 16K\n"
		"  call malloc_trim(0)\n"
		"}\n"
		"rss\n";
	assert_int_equal(parse(text, &lab, &e), 0);
	assert_string_equal(lab.title, "The pin");
	assert_int_equal(lab.n, 16);   /* title counts, declare does not */
	const struct ms_lab_step *s = lab.steps;
	assert_int_equal(s[1].op, MS_LAB_ALLOC);
	assert_string_equal(s[1].set, "blocks");
	assert_int_equal(s[1].count, 500000);
	assert_int_equal(s[1].size, 1024);
	assert_int_equal(s[2].op, MS_LAB_PIN);
	assert_int_equal(s[2].size, 1);
	assert_int_equal(s[3].size, 65536);
	assert_int_equal(s[4].free_kind, MS_FREE_RANGE);
	assert_int_equal(s[4].a, 10);
	assert_int_equal(s[4].b, 20);
	assert_int_equal(s[5].free_kind, MS_FREE_EVERY);
	assert_int_equal(s[5].k, 3);
	assert_int_equal(s[6].free_kind, MS_FREE_ALL);
	assert_int_equal(s[7].cmp, MS_CMP_LT);
	assert_int_equal(s[7].value, 10u << 20);
	assert_int_equal(s[8].expect_what, MS_MEASURE_HEAPS);
	assert_int_equal(s[8].cmp, MS_CMP_GE);
	assert_int_equal(s[9].args[0].i, M_ARENA_MAX);
	assert_int_equal(s[9].args[1].i, 2);
	assert_int_equal(s[10].optional, 1);
	assert_int_equal(s[10].nargs, 5);
	assert_string_equal(s[10].args[0].s, "arena.0.purge");
	assert_int_equal(s[10].args[1].kind, MS_LA_NULL);
	assert_int_equal(s[11].args[1].kind, MS_LA_STDOUT);
	assert_string_equal(s[12].proto.name, "my_fn");
	assert_int_equal(s[12].args[0].i, 1 << 20);
	assert_string_equal(s[12].args[1].s, "a\"b");
	assert_int_equal(s[12].args[2].i, 1);
	assert_int_equal(s[13].ms, 250);
	assert_int_equal(s[14].op, MS_LAB_THREADS);
	assert_int_equal(s[14].nthreads, 8);
	assert_int_equal(s[14].nbody, 2);
	assert_int_equal(s[14].body[1].op, MS_LAB_CALL);
	assert_int_equal(s[15].op, MS_LAB_RSS);
	char d[200];
	ms_lab_describe(&s[1], d, sizeof d);
	assert_string_equal(d, "alloc blocks: 500000 x 1.0 KiB");
	ms_lab_describe(&s[10], d, sizeof d);
	assert_string_equal(d, "call? mallctl(\"arena.0.purge\", NULL, NULL, NULL, 0)");
	ms_lab_free(&lab);
}

static void error_is(const char *text, const char *msg)
{
	struct ms_lab lab;
	struct ms_err e;
	assert_int_equal(parse(text, &lab, &e), -1);
	assert_string_equal(e.msg, msg);
}

static void syntax_errors(void **state)
{
	error_is("alloc a 10 x\n", "t.lab:1:13: expected a block size (like 1, 1K, 64K, 1.5M), got end of line");
	error_is("rss\nalloc a ten x 1K\n", "t.lab:2:9: expected a block count (a whole number), got 'ten'");
	error_is("alloc a 10 1K\n", "t.lab:1:12: expected 'x' between count and size, got '1K'");
	error_is("bogus step\n", "t.lab:1:1: expected a step (title, say, alloc, pin, free, rss, heaps, arenas, "
		 "expect, call, declare, sleep, threads), got 'bogus'");
	error_is("expect heap > 1\n", "t.lab:1:8: expected 'rss', 'heaps' or 'arenas', got 'heap'");
	error_is("expect rss ~ 5M\n", "t.lab:1:12: expected a comparison (<, <=, >, >=, ==), got '~'");
	error_is("free a[5-9]\n", "t.lab:1:9: expected '..' between the indexes");
	error_is("free a[9..5]\n", "t.lab:1:11: expected an end index >= 9");
	error_is("sleep 5 minutes\n", "t.lab:1:7: expected a duration like 200ms or 2s (at most 1 hour), got '5'");
	error_is("threads 2 {\n  rss\n}\n", "t.lab:2:3: expected a step allowed inside threads (alloc, pin, free, "
		 "call, sleep, say) or '}'");
	error_is("threads 2 {\n alloc a 1 x 1\n", "t.lab:1:1: expected '}' to close this threads block before the end of the file");
	error_is("rss extra\n", "t.lab:1:5: expected end of line, got 'extra'");
	error_is("alloc a 1 x 0\n", "t.lab:1:13: expected a block size from 1 byte to 1 TiB");
}

static void call_errors(void **state)
{
	error_is("call malloc_trim(\"x\")\n", "t.lab:1:18: expected argument 1 of malloc_trim to be size_t, got \"x\"");
	error_is("call mallopt(M_ARENA_MAX)\n", "t.lab:1:25: expected 2 arguments for mallopt, got 1");
	error_is("call mallopt(1, 2, 3)\n", "t.lab:1:19: expected ')': mallopt takes 2 arguments");
	error_is("call mallopt(M_ARENA_MAX, 99999999999)\n", "t.lab:1:27: expected argument 2 of mallopt to fit int, got 99999999999");
	error_is("call frobnicate(1)\n", "t.lab:1:6: expected a function with a known prototype, got 'frobnicate' "
		 "(declare it first, e.g. 'declare int frobnicate(size_t)')");
	error_is("call malloc_info(0, NOPE)\n", "t.lab:1:21: expected a number, string, NULL, stdout, stderr, true, false "
		 "or M_* constant, got unknown name 'NOPE'");
	error_is("call malloc_info(stdout, 0)\n", "t.lab:1:18: expected argument 1 of malloc_info to be int, got stdout");
	error_is("call mi_collect(2)\n", "t.lab:1:17: expected argument 1 of mi_collect to fit bool, got 2");
	error_is("declare int f(widget)\n", "t.lab:1:15: expected a type (int, unsigned, long, size_t, double, bool, "
		 "ptr, str, file), got 'widget)'");
	error_is("call mallctl(\"unterminated, NULL)\n", "t.lab:1:14: expected a closing '\"'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_program),
		cmocka_unit_test(syntax_errors),
		cmocka_unit_test(call_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The findings JSON reader: what the writer produces reads back exactly;
 * malformed input gives LINE:COL errors, never a crash; limits hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/jsonread.h"
#include "report/json.h"

static struct ms_jval *parse(const char *s, struct ms_err *e)
{
	memset(e, 0, sizeof *e);
	return ms_jparse(s, strlen(s), "t", e);
}

static void reads_values(void **state)
{
	struct ms_err e;
	struct ms_jval *v = parse(" {\"step\":\"arenas\",\"n\":18446744073709551615,\"neg\":-3,"
				  "\"f\":1.5e3,\"ok\":true,\"no\":false,\"z\":null,"
				  "\"a\":[1,{\"b\":[2,3]}],\"e\":{},\"ea\":[]} ", &e);
	assert_non_null(v);
	assert_string_equal(ms_jstr(v, "step", ""), "arenas");
	assert_true(ms_ju64(v, "n", 0) == UINT64_MAX);
	assert_false(ms_jpath(v, "neg")->is_u64);
	assert_true(ms_jnum(v, "neg", 0) == -3.0);
	assert_true(ms_jnum(v, "f", 0) == 1500.0);
	assert_true(ms_jbool(v, "ok", false));
	assert_false(ms_jbool(v, "no", true));
	assert_int_equal(ms_jpath(v, "z")->type, MS_J_NULL);
	assert_false(ms_jhas_num(v, "z"));
	assert_int_equal(ms_ju64(v, "a.1.b.1", 0), 3);
	assert_int_equal(ms_ju64(v, "a.9", 77), 77);
	assert_int_equal(ms_ju64(v, "step", 5), 5);      /* wrong type: default */
	assert_int_equal(ms_jpath(v, "a")->len, 2);
	assert_int_equal(ms_jpath(v, "e")->len, 0);
	assert_int_equal(ms_jpath(v, "ea")->type, MS_J_ARR);
	assert_null(ms_jpath(v, "a.x"));
	ms_jfree(v);
}

static void decodes_strings(void **state)
{
	struct ms_err e;
	struct ms_jval *v = parse("[\"a\\\"b\\\\c\\/\\n\\t\", \"\\u00e9\\u20ac\\ud83d\\ude00\", \"ÿ\"]", &e);
	assert_non_null(v);
	assert_string_equal(ms_jat(v, 0)->str, "a\"b\\c/\n\t");
	assert_string_equal(ms_jat(v, 1)->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_string_equal(ms_jat(v, 2)->str, "ÿ");
	ms_jfree(v);
}

/* The writer's output, with escaping of hostile names, reads back. */
static void round_trips_writer(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ms_json j;
	ms_json_init(&j, f);
	ms_json_obj_begin(&j);
	ms_json_kstr(&j, "name", "in\"fl\\ater\n\x01-0");
	ms_json_ku64(&j, "rss_bytes", 211152896);
	ms_json_kdouble(&j, "frag", 0.25);
	ms_json_key(&j, "arr");
	ms_json_arr_begin(&j);
	ms_json_i64(&j, -42);
	ms_json_arr_end(&j);
	ms_json_obj_end(&j);
	ms_json_end(&j);
	fclose(f);
	struct ms_err e;
	struct ms_jval *v = ms_jparse(buf, len, "w", &e);
	assert_non_null(v);
	assert_string_equal(ms_jstr(v, "name", ""), "in\"fl\\ater\n\x01-0");
	assert_int_equal(ms_ju64(v, "rss_bytes", 0), 211152896);
	assert_true(ms_jnum(v, "frag", 0) == 0.25);
	assert_true(ms_jnum(v, "arr.0", 0) == -42.0);
	ms_jfree(v);
	free(buf);
}

/* Each malformed input fails at the named place with the named reason. */
static void rejects_malformed(void **state)
{
	static const struct { const char *in, *where, *why; } bad[] = {
		{ "", "t:1:1", "expected a value" },
		{ "{\"a\":1,}", "t:1:8", "expected '\"' to start a member name" },
		{ "[1,2", "t:1:5", "expected ',' or ']'" },
		{ "{\"a\" 1}", "t:1:6", "expected ':'" },
		{ "{\n  \"a\": tru\n}", "t:2:8", "expected a value" },
		{ "[01]", "t:1:3", "expected ',' or ']'" },
		{ "[1.]", "t:1:4", "expected a digit after '.'" },
		{ "[-]", "t:1:3", "expected a digit" },
		{ "[1e+]", "t:1:5", "exponent" },
		{ "\"abc", "t:1:5", "close the string" },
		{ "[\"a\x01\"]", "t:1:4", "control character" },
		{ "[\"\\x\"]", "t:1:4", "expected an escape" },
		{ "[\"\\u12g4\"]", "t:1:7", "hex digit" },
		{ "[\"\\ud800x\"]", "t:1:9", "low surrogate" },
		{ "[\"\\udc00\"]", "t:1:5", "lone low surrogate" },
		{ "[\"\\u0000\"]", "t:1:5", "not allowed" },
		{ "{} {}", "t:1:4", "end of the input after the document" },
		{ "[NaN]", "t:1:2", "expected a value" },
		{ "// c\n{}", "t:1:1", "expected a value" },
		{ "{\"a\":[1,2,{\"b\":}]}", "t:1:16", "expected a value" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ms_err e;
		struct ms_jval *v = parse(bad[i].in, &e);
		if (v || strncmp(e.msg, bad[i].where, strlen(bad[i].where)) || e.msg[strlen(bad[i].where)] != ':' ||
		    !strstr(e.msg, bad[i].why))
			fail_msg("input %zu '%s': got '%s'", i, bad[i].in, v ? "(parsed)" : e.msg);
	}
}

static void bounds_depth(void **state)
{
	char deep[200];
	memset(deep, '[', 65);
	memset(deep + 65, ']', 65);
	deep[130] = 0;
	struct ms_err e;
	assert_null(parse(deep, &e));
	assert_non_null(strstr(e.msg, "nesting too deep"));
	deep[64] = ' ';                 /* 64 levels: allowed */
	deep[129] = ' ';
	struct ms_jval *v = parse(deep, &e);
	assert_non_null(v);
	ms_jfree(v);
}

/* Every prefix of a valid document is either an error or (only the whole
 * thing) the document: truncated pipes never crash the reader. */
static void truncations_fail_cleanly(void **state)
{
	const char *doc = "{\"step\":\"overview\",\"classes\":[{\"class\":\"main_heap\",\"rss_bytes\":4096}],"
			  "\"s\":\"\\u00e9\",\"x\":-1.5e-3,\"t\":true}";
	size_t n = strlen(doc);
	for (size_t i = 0; i < n; i++) {
		struct ms_err e;
		struct ms_jval *v = ms_jparse(doc, i, "t", &e);
		assert_null(v);
		assert_non_null(strstr(e.msg, "t:1:"));
	}
	struct ms_err e;
	struct ms_jval *v = ms_jparse(doc, n, "t", &e);
	assert_non_null(v);
	assert_int_equal(ms_ju64(v, "classes.0.rss_bytes", 0), 4096);
	ms_jfree(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_values),
		cmocka_unit_test(decodes_strings),
		cmocka_unit_test(round_trips_writer),
		cmocka_unit_test(rejects_malformed),
		cmocka_unit_test(bounds_depth),
		cmocka_unit_test(truncations_fail_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

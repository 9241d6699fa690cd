/* Sizes, JSON escaping and writer, version comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/elf.h"
#include "report/json.h"
#include "util/size.h"

static void size_parse_ok(void **state)
{
	uint64_t v;
	assert_int_equal(ms_size_parse("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(ms_size_parse("512M", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(ms_size_parse("1.5G", &v), 0);
	assert_int_equal(v, 3ull << 29);
	assert_int_equal(ms_size_parse("1.5 GiB", &v), 0);
	assert_int_equal(v, 3ull << 29);
	assert_int_equal(ms_size_parse("64kb", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(ms_size_parse("0.25K", &v), 0);
	assert_int_equal(v, 256);
	assert_int_equal(ms_size_parse("2T", &v), 0);
	assert_int_equal(v, 2ull << 40);
}

static void size_parse_bad(void **state)
{
	uint64_t v = 7;
	const char *bad[] = { "", "M", "-1", "12Q", "1.2.3", "abc", "99999999999999999999",
			      "20000000000T", "5 M B", NULL };
	for (int i = 0; bad[i]; i++)
		assert_int_equal(ms_size_parse(bad[i], &v), -1);
	assert_int_equal(ms_size_parse(NULL, &v), -1);
	assert_int_equal(v, 7);
}

static void size_format(void **state)
{
	char b[MS_SIZE_BUF];
	assert_string_equal(ms_size_fmt(0, b), "0 B");
	assert_string_equal(ms_size_fmt(1023, b), "1023 B");
	assert_string_equal(ms_size_fmt(4096, b), "4.0 KiB");
	assert_string_equal(ms_size_fmt(513356ull * 1024, b), "501.3 MiB");
	assert_string_equal(ms_size_fmt(3ull << 29, b), "1.5 GiB");
}

static char *json_of(void (*fn)(struct ms_json *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ms_json j;
	ms_json_init(&j, f);
	fn(&j);
	fclose(f);
	return buf;
}

static void doc(struct ms_json *j)
{
	ms_json_obj_begin(j);
	ms_json_kstr(j, "s", "a\"b\\c\n\x01\xff\xc3\xa9");
	ms_json_ku64(j, "u", UINT64_MAX);
	ms_json_ki64(j, "i", -5);
	ms_json_key(j, "a");
	ms_json_arr_begin(j);
	ms_json_arr_end(j);
	ms_json_key(j, "o");
	ms_json_obj_begin(j);
	ms_json_kbool(j, "t", 1);
	ms_json_kdouble(j, "d", 1.0 / 0.0);
	ms_json_obj_end(j);
	ms_json_obj_end(j);
	ms_json_end(j);
}

static void json_writer(void **state)
{
	char *s = json_of(doc);
	assert_string_equal(s,
		"{\n"
		"  \"s\": \"a\\\"b\\\\c\\n\\u0001\\ufffd\xc3\xa9\",\n"
		"  \"u\": 18446744073709551615,\n"
		"  \"i\": -5,\n"
		"  \"a\": [],\n"
		"  \"o\": {\n"
		"    \"t\": true,\n"
		"    \"d\": null\n"
		"  }\n"
		"}\n");
	free(s);
}

static void version_compare(void **state)
{
	assert_true(ms_version_cmp("2.36", "2.35") > 0);
	assert_true(ms_version_cmp("2.9", "2.10") < 0);
	assert_int_equal(ms_version_cmp("2.36", "2.36"), 0);
	assert_true(ms_version_cmp("2.36.1", "2.36") > 0);
	assert_true(ms_version_cmp("x", "2") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(size_parse_ok),
		cmocka_unit_test(size_parse_bad),
		cmocka_unit_test(size_format),
		cmocka_unit_test(json_writer),
		cmocka_unit_test(version_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

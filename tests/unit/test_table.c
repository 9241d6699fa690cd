/* Tables that fit a width (report/table.c) and the line wrapping of
 * stdout (cli/wrap.c): natural layout, columns shrunk with cells wrapped
 * in their column, paths broken after a '/', numbers never split, the
 * record layout when nothing fits, streams, and nothing ever dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/wrap.h"
#include "report/table.h"

/* The table printed at width into a string (caller frees). */
static char *print_at(struct ms_table *t, int width, const char *indent)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	t->width = width;
	ms_table_print(t, f, indent);
	fclose(f);
	return buf;
}

static int widest_line(const char *s)
{
	int m = 0;
	while (*s) {
		size_t n = strcspn(s, "\n");
		int c = ms_text_columns(s, n);
		m = c > m ? c : m;
		s += n + (s[n] == '\n');
	}
	return m;
}

/* Every word of want appears, in order, among the words of got (words may
 * be broken across lines only where noted by the caller: not here). */
static void words_in_order(const char *got, const char *want)
{
	const char *g = got;
	char w[256];
	while (*want) {
		want += strspn(want, " ");
		size_t n = strcspn(want, " ");
		if (!n)
			break;
		snprintf(w, sizeof w, "%.*s", (int)n, want);
		const char *at = strstr(g, w);
		if (!at)
			fail_msg("word '%s' missing from:\n%s", w, got);
		g = at + n;
		want += n;
	}
}

static void setup_doctorish(struct ms_table *t)
{
	ms_colour_set(MS_COLOUR_NEVER);
	ms_table_init(t, "lll", (const char *[]){ "check", "ok", "what was found" });
	ms_table_rowf(t, "root\tyes\teffective uid 0");
	ms_table_rowf(t, "ptrace_scope\tyes\tno Yama LSM: any process of the same user can be traced");
}

static void natural_layout(void **state)
{
	(void)state;
	struct ms_table t;
	setup_doctorish(&t);
	char *s = print_at(&t, 100, "  ");
	assert_string_equal(s,
		"  check         ok   what was found\n"
		"  root          yes  effective uid 0\n"
		"  ptrace_scope  yes  no Yama LSM: any process of the same user can be traced\n");
	free(s);
	ms_table_free(&t);
}

static void wrapped_in_column(void **state)
{
	(void)state;
	struct ms_table t;
	setup_doctorish(&t);
	char *s = print_at(&t, 40, "  ");
	assert_string_equal(s,
		"  check         ok   what was found\n"
		"  root          yes  effective uid 0\n"
		"  ptrace_scope  yes  no Yama LSM: any\n"
		"                     process of the same\n"
		"                     user can be traced\n");
	assert_true(widest_line(s) <= 40);
	free(s);
	ms_table_free(&t);
}

static void path_broken_after_slash(void **state)
{
	(void)state;
	struct ms_table t;
	ms_colour_set(MS_COLOUR_NEVER);
	ms_table_init(&t, "ll", (const char *[]){ "name", "file" });
	ms_table_rowf(&t, "libc\t/usr/lib/x86_64-linux-gnu/libc.so.6 (64-bit)");
	char *s = print_at(&t, 30, "");
	assert_string_equal(s,
		"name  file\n"
		"libc  /usr/lib/x86_64-linux-\n"
		"      gnu/libc.so.6 (64-bit)\n");
	free(s);
	ms_table_free(&t);

	ms_table_init(&t, "ll", (const char *[]){ "name", "file" });
	ms_table_rowf(&t, "dbg\t/proc/1/root/usr/lib/debug/.build-id/93/ac61ec5a8eb1.debug");
	s = print_at(&t, 30, "");
	assert_string_equal(s,
		"name  file\n"
		"dbg   /proc/1/root/usr/lib/\n"
		"      debug/.build-id/93/\n"
		"      ac61ec5a8eb1.debug\n");
	assert_true(widest_line(s) <= 30);
	free(s);
	ms_table_free(&t);
}

/* Sizes wrap at their space, never inside "495.9"; addresses stay whole. */
static void numbers_never_split(void **state)
{
	(void)state;
	struct ms_table t;
	ms_colour_set(MS_COLOUR_NEVER);
	ms_table_init(&t, "lrrr", (const char *[]){ "arena", "in use", "free", "free rss" });
	ms_table_rowf(&t, "0x7fdabba96c60 main\t688 B\t495.9 MiB\t495.9 MiB");
	ms_table_rowf(&t, "total\t688 B\t495.9 MiB\t495.9 MiB");
	char *s = print_at(&t, 51, "  ");
	assert_string_equal(s,
		"  arena                in use       free   free rss\n"
		"  0x7fdabba96c60 main   688 B  495.9 MiB  495.9 MiB\n"
		"  total                 688 B  495.9 MiB  495.9 MiB\n");
	free(s);
	s = print_at(&t, 50, "  ");   /* the text column gives first */
	assert_string_equal(s,
		"  arena               in use       free   free rss\n"
		"  0x7fdabba96c60       688 B  495.9 MiB  495.9 MiB\n"
		"  main\n"
		"  total                688 B  495.9 MiB  495.9 MiB\n");
	free(s);
	/* a size keeps its unit (trial: "654.9" / "KiB" at 80 and 100
	 * columns): the table in two panels, the key column in both */
	s = print_at(&t, 40, "  ");
	assert_string_equal(s,
		"  arena                in use       free\n"
		"  0x7fdabba96c60 main   688 B  495.9 MiB\n"
		"  total                 688 B  495.9 MiB\n"
		"\n"
		"  arena                 free rss\n"
		"  0x7fdabba96c60 main  495.9 MiB\n"
		"  total                495.9 MiB\n");
	assert_true(widest_line(s) <= 40);
	free(s);
	ms_table_free(&t);
}

/* Too narrow for any table: one "head: value" line per non-empty cell. */
static void record_fallback(void **state)
{
	(void)state;
	struct ms_table t;
	ms_colour_set(MS_COLOUR_NEVER);
	ms_table_init(&t, "lrrl", (const char *[]){ "", "resident", "of RSS", "cause" });
	ms_table_rowf(&t, "!!\t495.9 MiB\t98.9%%\tmain_heap_pinned");
	ms_table_rowf(&t, "\t1.4 MiB\t0.3%%\tfile_mapped");
	char *s = print_at(&t, 24, "  ");   /* two panels still fit */
	assert_string_equal(s,
		"       resident  of RSS\n"
		"  !!  495.9 MiB   98.9%\n"
		"        1.4 MiB    0.3%\n"
		"\n"
		"      cause\n"
		"  !!  main_heap_pinned\n"
		"      file_mapped\n");
	free(s);
	s = print_at(&t, 20, "  ");   /* three panels: records, a size with its unit */
	assert_string_equal(s,
		"  !!\n"
		"    resident:\n"
		"      495.9 MiB\n"
		"    of RSS: 98.9%\n"
		"    cause:\n"
		"      main_heap_pinned\n"
		"  resident: 1.4 MiB\n"
		"    of RSS: 0.3%\n"
		"    cause:\n"
		"      file_mapped\n");
	assert_true(widest_line(s) <= 22);   /* a name is not broken: one 16 wide is kept whole */
	free(s);
	ms_table_free(&t);
}

/* A table without titles prints no header line; a long row is never cut. */
static void headless_and_long(void **state)
{
	(void)state;
	struct ms_table t;
	ms_colour_set(MS_COLOUR_NEVER);
	ms_table_init(&t, "ll", (const char *[]){ "", "" });
	char *big = malloc(5001);
	assert_non_null(big);
	for (int i = 0; i < 1000; i++)
		memcpy(big + 5 * i, "word ", 5);
	big[4999] = 'X';
	big[5000] = 0;
	ms_table_rowf(&t, "k\t%s", big);
	char *s = print_at(&t, 60, "");
	assert_int_equal(strncmp(s, "k  word word", 12), 0);
	assert_true(widest_line(s) <= 60);
	words_in_order(s, big);
	assert_non_null(strstr(s, "wordX\n"));
	size_t words = 0;
	for (const char *p = s; (p = strstr(p, "word")); p += 4)
		words++;
	assert_int_equal(words, 1000);
	free(s);
	free(big);
	ms_table_free(&t);
}

/* A stream keeps the layout of its first flush; rows are forgotten. */
static void stream_keeps_layout(void **state)
{
	(void)state;
	struct ms_table t;
	ms_colour_set(MS_COLOUR_NEVER);
	ms_table_init(&t, "rr", (const char *[]){ "TIME", "RSS" });
	t.minw[1] = 10;
	t.width = 80;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ms_table_flush(&t, f, "");
	ms_table_rowf(&t, "0.1s\t1.0 MiB");
	ms_table_flush(&t, f, "");
	assert_int_equal(t.nrows, 0);
	ms_table_rowf(&t, "1.0s\t501.2 MiB");
	ms_table_flush(&t, f, "");
	fclose(f);
	assert_string_equal(buf,
		"TIME         RSS\n"
		"0.1s     1.0 MiB\n"
		"1.0s   501.2 MiB\n");
	free(buf);
	ms_table_free(&t);
}

static char *wrap_at(const char *line, int width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ms_wrap_line(f, line, strlen(line), width);
	fclose(f);
	return buf;
}

/* The stdout filter: continuation under the text, a word wider than the
 * width broken after a '/', colour sequences never split. */
static void wrap_line_breaks(void **state)
{
	(void)state;
	char *s = wrap_at("!! glibc keeps 495.9 MiB of freed memory below live blocks", 30);
	assert_string_equal(s,
		"!! glibc keeps 495.9 MiB of\n"
		"   freed memory below live\n"
		"   blocks\n");
	free(s);
	s = wrap_at("libc_debuginfo /proc/15954/root/usr/lib/debug/.build-id/93/ac61ec5a8eb1396f9fbd350e3169a.debug", 40);
	assert_string_equal(s,
		"libc_debuginfo\n"
		"  /proc/15954/root/usr/lib/debug/\n"
		"  .build-id/93/ac61ec5a8eb1396f9fbd350e3\n"
		"  169a.debug\n");
	assert_true(widest_line(s) <= 40);
	free(s);
	/* prose never breaks between a number and its unit */
	s = wrap_at("glibc keeps 213.5 MiB at the timer", 18);
	assert_string_equal(s,
		"glibc keeps\n"
		"  213.5 MiB at the\n"
		"  timer\n");
	free(s);
	assert_true(ms_text_glued("(98.4", 5, "%),", 3));
	assert_false(ms_text_glued("glibc", 5, "MiB", 3));
	assert_false(ms_text_glued("2", 1, "arenas", 6));
	assert_int_equal(ms_text_break("\033[1mabcdef", 10, 3), 7);
	assert_int_equal(ms_text_columns("\033[1mab\033[0m", 10), 2);
}

/* compare's table (trial: "glibc-arena-max-" / "2" at 80 columns): a
 * configuration name is never broken; two key columns head each panel. */
static void names_never_broken(void **state)
{
	(void)state;
	struct ms_table t;
	ms_colour_set(MS_COLOUR_NEVER);
	ms_table_init(&t, "rlrrl", (const char *[]){ "rank", "config", "final RSS", "wall", "runs" });
	t.keys = 2;
	ms_table_rowf(&t, "1\tglibc-tunable-arena-max-2\t13.6 MiB\t1.04 s\t1/1");
	ms_table_rowf(&t, "2\tglibc\t213.5 MiB\t3.04 s\t1/1");
	char *s = print_at(&t, 50, "");
	assert_string_equal(s,
		"rank  config                     final RSS    wall\n"
		"   1  glibc-tunable-arena-max-2   13.6 MiB  1.04 s\n"
		"   2  glibc                      213.5 MiB  3.04 s\n"
		"\n"
		"rank  config                     runs\n"
		"   1  glibc-tunable-arena-max-2  1/1\n"
		"   2  glibc                      1/1\n");
	assert_true(widest_line(s) <= 50);
	free(s);
	ms_table_free(&t);
}

/* A table with a name column (t->name) that does not fit: the numbers
 * as a table, each row's name whole under its row -- never a panel of
 * numbers without names (trial4 F-E). */
static void name_under_row(void **state)
{
	static const char *const heads[] = { "CALLS", "BYTES", "LIVE AT END", "SHORT-LIVED", "CALL SITE" };
	struct ms_table t;
	ms_table_init(&t, "rrrrl", heads);
	t.name = 5;
	ms_table_rowf(&t, "300\t75.0 KiB\t50.0 KiB\t1\tCache::fill(int)+0x3f (two_callers) two_callers.cc:24 <- main");
	ms_table_rowf(&t, "1\t71.0 KiB\t71.0 KiB\t0\tinit_pool+0x1a (libstdc++.so.6)");
	char *out = print_at(&t, 60, "  ");
	assert_true(widest_line(out) <= 60);
	assert_non_null(strstr(out, "  CALLS     BYTES  LIVE AT END  SHORT-LIVED\n      CALL SITE\n"));
	assert_non_null(strstr(out, "    300  75.0 KiB     50.0 KiB            1\n      Cache::fill(int)+0x3f (two_callers) two_callers.cc:24\n      <- main\n"));
	assert_non_null(strstr(out, "      1  71.0 KiB     71.0 KiB            0\n      init_pool+0x1a (libstdc++.so.6)\n"));
	free(out);
	/* wide enough: the plain table, the name in its column */
	out = print_at(&t, 120, "  ");
	assert_non_null(strstr(out, "SHORT-LIVED  CALL SITE\n"));
	free(out);
	ms_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(natural_layout),
		cmocka_unit_test(wrapped_in_column),
		cmocka_unit_test(path_broken_after_slash),
		cmocka_unit_test(numbers_never_split),
		cmocka_unit_test(record_fallback),
		cmocka_unit_test(names_never_broken),
		cmocka_unit_test(headless_and_long),
		cmocka_unit_test(stream_keeps_layout),
		cmocka_unit_test(wrap_line_breaks),
		cmocka_unit_test(name_under_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

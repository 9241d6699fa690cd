/* Residency runs (probe/resmap.h): what counts as resident, and which
 * stretch around an address the walker may read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "findings/glibclayout.h"
#include "probe/elf.h"
#include "probe/elfsym.h"
#include "probe/resmap.h"

#define P 4096ull

static struct ms_resmap map(void)
{
	/* [0x10000, 0x13000) present, [0x13000, 0x14000) absent,
	 * [0x14000, 0x15000) zero page, [0x15000, 0x16000) swapped,
	 * [0x20000, 0x21000) present */
	static struct ms_res_run runs[] = {
		{ 0x20000, 0x21000, MS_PAGE_PRESENT },
		{ 0x10000, 0x13000, MS_PAGE_PRESENT },
		{ 0x13000, 0x14000, MS_PAGE_ABSENT },
		{ 0x14000, 0x15000, MS_PAGE_ZERO },
		{ 0x15000, 0x16000, MS_PAGE_SWAPPED },
	};
	struct ms_resmap m = { .v = runs, .n = 5, .cap = 5, .page = P };
	ms_resmap_sort(&m);
	return m;
}

static void resident_counts_present_only(void **state)
{
	(void)state;
	struct ms_resmap m = map();
	assert_int_equal(ms_resmap_resident(&m, 0x10000, 0x16000), 3 * P);
	assert_int_equal(ms_resmap_resident(&m, 0x10800, 0x11000), 0x800);
	assert_int_equal(ms_resmap_resident(&m, 0x13000, 0x16000), 0);   /* absent, zero, swapped */
	assert_int_equal(ms_resmap_resident(&m, 0x0, 0x30000), 4 * P);
	/* in address order with a cursor, and after jumping back: the same */
	size_t cur = 0;
	for (uint64_t a = 0x0; a < 0x30000; a += 0x300)
		assert_int_equal(ms_resmap_resident_from(&m, &cur, a, a + 0x900), ms_resmap_resident(&m, a, a + 0x900));
	assert_int_equal(ms_resmap_resident_from(&m, &cur, 0x10800, 0x11000), 0x800);
	assert_int_equal(ms_resmap_resident_from(&m, &cur, 0x0, 0x30000), 4 * P);
	assert_int_equal(ms_resmap_resident(&m, 0x17000, 0x20000), 0);
}

static void extent_stops_at_untouched_pages(void **state)
{
	(void)state;
	struct ms_resmap m = map();
	uint64_t a, b;
	assert_int_equal(ms_resmap_extent(&m, 0x10010, 0x10000, 0x20000, &a, &b), 1);
	assert_int_equal(a, 0x10000);
	assert_int_equal(b, 0x13000);            /* the absent page ends it */
	assert_int_equal(ms_resmap_extent(&m, 0x13008, 0x13000, 0x14000, &a, &b), 0);
	assert_int_equal(ms_resmap_extent(&m, 0x14008, 0x10000, 0x20000, &a, &b), 1);
	assert_int_equal(a, 0x14000);            /* zero page and swapped page: readable */
	assert_int_equal(b, 0x16000);
	/* outside the map: no restriction */
	assert_int_equal(ms_resmap_extent(&m, 0x30000, 0x30000, 0x40000, &a, &b), 1);
	assert_int_equal(b, 0x40000);
	/* clipped to the window asked for */
	assert_int_equal(ms_resmap_extent(&m, 0x11000, 0x10800, 0x12000, &a, &b), 1);
	assert_int_equal(a, 0x10800);
	assert_int_equal(b, 0x12000);
}

static void elfsym_finds_objects(void **state)
{
	(void)state;
	struct ms_elf_info libc;
	struct ms_err e;
	char dbg[4096];
	if (ms_elf_inspect("/lib/x86_64-linux-gnu/libc.so.6", &libc, &e) < 0 ||
	    !ms_debuginfo_find("", libc.build_id, dbg, sizeof dbg))
		skip();   /* no libc6-dbg on this host */
	struct ms_elfsym_query q[3] = { { .name = "main_arena" }, { .name = "mp_" },
					{ .name = "no_such_symbol_xyz" } };
	uint64_t vaddr = 1;
	assert_int_equal(ms_elfsym_lookup(dbg, q, 3, &vaddr, &e), 0);
	assert_true(q[0].found);
	assert_true(q[1].found);
	assert_false(q[2].found);
	/* the layout table's struct sizes for this libc = the symbols' sizes */
	struct ms_glibc_layout l;
	assert_int_equal(ms_glibc_layout_for(libc.glibc_version, &l, &e), 0);
	assert_int_equal(q[0].size, l.ms_size);
	assert_int_equal(q[1].size, l.mp_size);
	assert_int_equal(vaddr, 0);          /* libc's first PT_LOAD */
	assert_int_equal(ms_elfsym_lookup("/nonexistent/file", q, 1, &vaddr, &e), -1);
	assert_non_null(strstr(e.hint, "--no-debuginfo"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resident_counts_present_only),
		cmocka_unit_test(extent_stops_at_untouched_pages),
		cmocka_unit_test(elfsym_finds_objects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

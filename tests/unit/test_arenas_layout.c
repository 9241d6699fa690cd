/* glibc layout table, bin indexes and the trim arithmetic: the numbers the
 * walker trusts without debug info. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "findings/arenas.h"
#include "findings/glibclayout.h"

static void layout_236_matches_gdb_ptype(void **state)
{
	(void)state;
	struct ms_glibc_layout l;
	struct ms_err e;
	assert_int_equal(ms_glibc_layout_for("2.36", &l, &e), 0);
	/* ptype /o struct malloc_state / malloc_par with libc6-dbg 2.36 */
	assert_int_equal(l.ms_size, 2200);
	assert_int_equal(l.ms_top, 96);
	assert_int_equal(l.ms_bins, 112);
	assert_int_equal(l.ms_next, 2160);
	assert_int_equal(l.ms_system_mem, 2184);
	assert_int_equal(l.mp_n_mmaps, 60);
	assert_int_equal(l.mp_n_mmaps_max, 64);
	assert_int_equal(l.mp_mmapped_mem, 80);
	assert_int_equal(l.mp_sbrk_base, 96);
	assert_int_equal(l.mp_tcache_count, 120);
	assert_int_equal(l.mp_size, 136);
	assert_int_equal(l.heap_info_size, 48);
	assert_int_equal(l.tcache_struct_size, 640);
	assert_int_equal(l.safe_linking, 1);
}

static void layout_by_version(void **state)
{
	(void)state;
	struct ms_glibc_layout l;
	struct ms_err e;
	assert_int_equal(ms_glibc_layout_for("2.27", &l, &e), 0);
	assert_int_equal(l.tcache_struct_size, 576);   /* char counts */
	assert_int_equal(l.safe_linking, 0);
	assert_int_equal(l.heap_info_size, 32);
	assert_int_equal(l.mp_sbrk_base, 72);
	assert_int_equal(l.mp_n_mmaps, 40);
	assert_int_equal(ms_glibc_layout_for("2.31", &l, &e), 0);
	assert_int_equal(l.tcache_struct_size, 640);   /* uint16_t counts since 2.30 */
	assert_int_equal(l.safe_linking, 0);
	assert_int_equal(ms_glibc_layout_for("2.32", &l, &e), 0);
	assert_int_equal(l.safe_linking, 1);
	assert_int_equal(l.mp_size, 112);
	assert_int_equal(ms_glibc_layout_for("2.40", &l, &e), 0);
	assert_int_equal(l.mp_size, 136);
}

static void layout_refuses_outside_range(void **state)
{
	(void)state;
	struct ms_glibc_layout l;
	struct ms_err e;
	assert_int_equal(ms_glibc_layout_for("2.26", &l, &e), -1);
	assert_non_null(strstr(e.hint, "--assume-version"));
	assert_int_equal(ms_glibc_layout_for("2.41", &l, &e), 0);   /* Debian 13 */
	assert_int_equal(ms_glibc_layout_for("2.42", &l, &e), -1);
	assert_int_equal(ms_glibc_layout_for("", &l, &e), -1);
}

static void bin_indexes(void **state)
{
	(void)state;
	assert_int_equal(ms_bin_index(32), 2);
	assert_int_equal(ms_bin_index(208), 13);
	assert_int_equal(ms_bin_index(1008), 63);
	assert_int_equal(ms_bin_index(1024), 64);
	assert_int_equal(ms_bin_index(2016), 79);
	assert_int_equal(ms_bin_index(4096), 99);   /* mtrim's psindex */
	assert_int_equal(ms_bin_index(1ul << 30), 126);
}

static void trim_arithmetic(void **state)
{
	(void)state;
	uint64_t a, b;
	/* a chunk at 0x1000 of 3 pages: first whole page after its header */
	ms_trim_span(0x1000, 0x4000, 4096, &a, &b);
	assert_int_equal(a, 0x2000);
	assert_int_equal(b, 0x4000);
	/* too small to hold a page after the header */
	ms_trim_span(0x1000, 0x1000 + 4096 + 32, 4096, &a, &b);
	assert_int_equal(b - a, 0);
	assert_int_equal(ms_systrim_extra(14704, 4096), 12288);
	assert_int_equal(ms_systrim_extra(4096 + 33, 4096), 4096);
	assert_int_equal(ms_systrim_extra(4096 + 32, 4096), 0);
	assert_int_equal(ms_systrim_extra(16, 4096), 0);
}

static void histogram_buckets(void **state)
{
	(void)state;
	assert_int_equal(ms_hist_bucket(16), 0);
	assert_int_equal(ms_hist_bucket(32), 1);
	assert_int_equal(ms_hist_bucket(63), 1);
	assert_int_equal(ms_hist_bucket(64), 2);
	assert_int_equal(ms_hist_floor(2), 64);
	assert_int_equal(ms_hist_bucket(1ull << 40), MS_HIST_BUCKETS - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_236_matches_gdb_ptype),
		cmocka_unit_test(layout_by_version),
		cmocka_unit_test(layout_refuses_outside_range),
		cmocka_unit_test(bin_indexes),
		cmocka_unit_test(trim_arithmetic),
		cmocka_unit_test(histogram_buckets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

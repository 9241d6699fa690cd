/* Findings computed from records: classification, arena cap, JVM and ELF
 * facts.  Fixture numbers were worked out independently (awk over the
 * captured maps/smaps) and are fixed because the fixture is. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <gnu/libc-version.h>
#include <stdlib.h>
#include <string.h>

#include "findings/arenacap.h"
#include "findings/arenaheaps.h"
#include "findings/memclass.h"
#include "findings/overview.h"
#include "probe/elf.h"
#include "probe/procfs.h"
#include "probe/remote.h"
#include "records/maps.h"

static void classify_jvm_fixture(void **state)
{
	char *buf;
	size_t len;
	struct ms_err e;
	assert_int_equal(ms_read_file("tests/fixtures/jvm/smaps", &buf, &len, 1 << 24, &e), 0);
	struct ms_maps m;
	assert_int_equal(ms_maps_parse(buf, len, &m, &e), 0);
	struct ms_arena_heaps h;
	assert_int_equal(ms_arena_heaps_find(&m, NULL, "2.36", &h), 0);
	/* 16 64 MiB-aligned rw-p + ---p pairs, one of which (7f7718000000)
	 * reserves only 256 KiB: not a glibc heap */
	assert_int_equal(h.n, 15);
	assert_false(h.all_verified);
	assert_int_equal(h.v[0].start, 0x7f76ec000000ull);
	assert_int_equal(h.v[0].end - h.v[0].start, 64ull << 20);
	struct ms_mapclass *mc = calloc(m.n, sizeof *mc);
	ms_classify(&m, &h, NULL, 1, NULL, mc);
	uint64_t rss[MS_CLASS_N] = { 0 }, total = 0;
	size_t count[MS_CLASS_N] = { 0 };
	for (size_t i = 0; i < m.n; i++) {
		rss[mc[i].cls] += m.v[i].m.rss;
		count[mc[i].cls]++;
		total += m.v[i].m.rss;
	}
	assert_int_equal(total, 35912ull * 1024);
	assert_int_equal(rss[MS_CLASS_MAIN_HEAP], 104ull * 1024);
	assert_int_equal(rss[MS_CLASS_FILE], 31948ull * 1024);
	assert_int_equal(rss[MS_CLASS_KERNEL], 4ull * 1024);
	assert_int_equal(count[MS_CLASS_ARENA_HEAP], 30);
	assert_int_equal(rss[MS_CLASS_ARENA_HEAP] + rss[MS_CLASS_THREAD_STACK] + rss[MS_CLASS_ANON_OTHER],
			 (3820ull + 36) * 1024);
	assert_int_equal(count[MS_CLASS_MALLOC_MMAP], 0);   /* needs memory reads */
	assert_true(count[MS_CLASS_THREAD_STACK] >= 2);
	free(mc);
	ms_arena_heaps_free(&h);
	ms_maps_free(&m);
	free(buf);
}

static void cpulists(void **state)
{
	assert_int_equal(ms_cpulist_count("0-1\n"), 2);
	assert_int_equal(ms_cpulist_count("0-3,8,10-11"), 7);
	assert_int_equal(ms_cpulist_count("5"), 1);
	assert_int_equal(ms_cpulist_count("3-1"), -1);
	assert_int_equal(ms_cpulist_count("a"), -1);
	assert_int_equal(ms_cpulist_count(""), -1);
}

static void arena_cap(void **state)
{
	struct ms_arena_cap c;
	ms_arena_cap_compute(NULL, 0, 2, 1, &c);
	assert_int_equal(c.cap, 16);
	assert_string_equal(c.source, "computed: 8 x 2 CPUs");
	ms_arena_cap_compute(NULL, 0, 4, 1, &c);
	assert_int_equal(c.cap, 32);   /* the case study's 4 cores */
	ms_arena_cap_compute(NULL, 0, 1, 1, &c);
	assert_int_equal(c.cap, 9);    /* arena_test 8 is passed before the cap is computed */
	ms_arena_cap_compute(NULL, 0, 4, 0, &c);
	assert_int_equal(c.cap, 8);    /* 32-bit: 2 per CPU */
	const char env[] = "MALLOC_ARENA_MAX=2\0PATH=/bin\0";
	ms_arena_cap_compute(env, sizeof env - 1, 2, 1, &c);
	assert_int_equal(c.cap, 2);
	assert_string_equal(c.source, "environ: MALLOC_ARENA_MAX=2");
	const char env2[] = "GLIBC_TUNABLES=glibc.malloc.arena_max=0x3\0MALLOC_ARENA_MAX=2\0";
	ms_arena_cap_compute(env2, sizeof env2 - 1, 2, 1, &c);
	assert_int_equal(c.cap, 3);
	const char env3[] = "MALLOC_ARENA_MAX=lots\0";
	ms_arena_cap_compute(env3, sizeof env3 - 1, 2, 1, &c);
	assert_int_equal(c.cap, 16);
}

static void heap_info_sizes(void **state)
{
	assert_int_equal(ms_heap_info_size("2.31"), 32);
	assert_int_equal(ms_heap_info_size("2.35"), 48);
	assert_int_equal(ms_heap_info_size("2.41"), 48);
	assert_int_equal(ms_heap_info_size(""), 0);
}

static void jdk_trim(void **state)
{
	assert_int_equal(ms_jdk_has_trim("21.0.2"), 1);
	assert_int_equal(ms_jdk_has_trim("17.0.15"), 1);
	assert_int_equal(ms_jdk_has_trim("17.0.1"), -1);
	assert_int_equal(ms_jdk_has_trim("11.0.20"), 0);
}

static void elf_of_libc_and_self(void **state)
{
	struct ms_elf_info info;
	struct ms_err e;
	assert_int_equal(ms_elf_inspect("/proc/self/exe", &info, &e), 0);
	assert_int_equal(info.elf_class, 64);
	assert_true(info.has_interp);
	assert_int_equal(strlen(info.build_id), 40);
	/* our own libc, as an independent oracle for the banner reader */
	assert_int_equal(ms_elf_inspect("/lib/x86_64-linux-gnu/libc.so.6", &info, &e), 0);
	assert_string_equal(info.glibc_version, gnu_get_libc_version());
	assert_true(info.has_dynamic);
	assert_int_equal(ms_elf_inspect("tests/fixtures/jvm/maps", &info, &e), -1);
	assert_non_null(strstr(e.msg, "not an ELF file"));
	unsigned char junk[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	memset(junk + 16, 0xff, 48);   /* absurd header offsets must not be followed */
	assert_int_equal(ms_elf_inspect_buf(junk, sizeof junk, &info, &e), 0);
	assert_string_equal(info.build_id, "");
}

/* Two heaps of one thread arena, the second directly above the first
 * (new_heap's aligned_heap_area): the kernel merges the full first heap's
 * rw-p with the second's, so maps shows one 69 MiB rw-p mapping then the
 * second heap's PROT_NONE rest (a layout seen under load).  Both heaps are
 * found, by their heap_info headers. */
static void merged_heaps_split(void **state)
{
	(void)state;
	const char *txt =
		"7fcf40000000-7fcf4456f000 rw-p 00000000 00:00 0 \n"
		"7fcf4456f000-7fcf48000000 ---p 00000000 00:00 0 \n";
	struct ms_maps m;
	struct ms_err e;
	assert_int_equal(ms_maps_parse(txt, strlen(txt), &m, &e), 0);
	const uint64_t b1 = 0x7fcf40000000ull, b2 = b1 + (64ull << 20);
	/* heap_info: ar_ptr, prev, size, mprotect_size (glibc 2.36: 48 B) */
	uint64_t h1[4] = { b1 + 48, 0, 64ull << 20, 64ull << 20 };
	uint64_t h2[4] = { b1 + 48, b1, 0x56f000, 0x56f000 };
	struct ms_remote_region reg[2] = { { b1, h1, sizeof h1 }, { b2, h2, sizeof h2 } };
	struct ms_remote r;
	assert_int_equal(ms_remote_open_buf(&r, reg, 2, &m, &e), 0);
	struct ms_arena_heaps h;
	assert_int_equal(ms_arena_heaps_find(&m, &r, "2.36", &h), 0);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.v[0].start, b1);
	assert_int_equal(h.v[0].rw_end, b2);
	assert_true(h.v[0].first);
	assert_int_equal(h.v[1].start, b2);
	assert_int_equal(h.v[1].rw_end, 0x7fcf4456f000ull);
	assert_int_equal(h.v[1].end, b2 + (64ull << 20));
	assert_false(h.v[1].first);
	assert_true(h.all_verified);
	assert_int_equal(h.arenas, 1);
	ms_arena_heaps_free(&h);
	ms_remote_close(&r);
	ms_maps_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(classify_jvm_fixture),
		cmocka_unit_test(merged_heaps_split),
		cmocka_unit_test(cpulists),
		cmocka_unit_test(arena_cap),
		cmocka_unit_test(heap_info_sizes),
		cmocka_unit_test(jdk_trim),
		cmocka_unit_test(elf_of_libc_and_self),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

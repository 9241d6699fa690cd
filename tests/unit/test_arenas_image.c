/* The arenas walk over a buffer image (probe/remote.h): a small glibc 2.36
 * heap laid out by hand -- libc's data with main_arena and mp_, a [heap]
 * with a tcache_perthread_struct, an in-use chunk, a tcache'd chunk, a
 * fastbin chunk, an unsorted chunk and the top -- walked with no process
 * at all, every number known in advance.  Then the same heap with a
 * broken chunk header: reported, no crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "findings/allocator.h"
#include "findings/arenas.h"
#include "findings/glibclayout.h"
#include "probe/remote.h"
#include "probe/resmap.h"
#include "records/maps.h"

#define LIBC   0x7f0000000000ull     /* libc's first mapping (r--p) */
#define DATA   0x7f0000200000ull     /* its rw-p data */
#define DATA_LEN 0x4000u
#define ARENA  (DATA + 0x1000)       /* main_arena */
#define MP     (DATA + 0x3000)       /* mp_ */
#define HEAP   0x555555559000ull     /* [heap], sbrk_base */
#define HEAP_LEN 0x21000u

static unsigned char data[DATA_LEN], heap[HEAP_LEN];
static struct ms_glibc_layout L;

static void put(uint64_t addr, uint64_t v)
{
	unsigned char *p = addr >= DATA ? data + (addr - DATA) : heap + (addr - HEAP);
	memcpy(p, &v, 8);
}

/* safe-linking (2.32+): the stored next pointer */
static uint64_t protect(uint64_t field, uint64_t next)
{
	return (field >> 12) ^ next;
}

/* chunk offsets in the heap */
enum { TCS = 0x0, A = 0x290, T = 0x2c0, F = 0x2f0, U = 0x310, B = 0x410, TOP = 0x450 };

static void lay_out(void)
{
	memset(data, 0, sizeof data);
	memset(heap, 0, sizeof heap);
	assert_int_equal(ms_glibc_layout_for("2.36", &L, NULL), 0);
	/* heap chunks: size | PREV_INUSE */
	put(HEAP + TCS + 8, 0x291);
	put(HEAP + A + 8, 0x31);
	put(HEAP + T + 8, 0x31);
	put(HEAP + F + 8, 0x21);
	put(HEAP + U + 8, 0x101);
	put(HEAP + B, 0x100);                 /* prev_size of a free predecessor */
	put(HEAP + B + 8, 0x40);              /* PREV_INUSE clear: U is free */
	put(HEAP + TOP + 8, (HEAP_LEN - TOP) | 1);
	/* tcache_perthread_struct: counts[64] (uint16), entries[64] */
	uint64_t ts = HEAP + TCS + 16;
	uint16_t one = 1;
	memcpy(heap + (ts - HEAP) + 2 * 1, &one, 2);   /* bin 1: 0x30 */
	put(ts + 128 + 8 * 1, HEAP + T + 16);
	put(HEAP + T + 16, protect(HEAP + T + 16, 0));
	/* the fastbin chunk's fd: end of list */
	put(HEAP + F + 16, protect(HEAP + F + 16, 0));
	/* main_arena */
	for (int i = 1; i < 127; i++) {
		uint64_t bin = ARENA + ms_bin_at(&L, i);
		put(ARENA + L.ms_bins + (uint64_t)(i - 1) * 16, bin);
		put(ARENA + L.ms_bins + (uint64_t)(i - 1) * 16 + 8, bin);
	}
	uint64_t unsorted = ARENA + ms_bin_at(&L, 1);
	put(ARENA + L.ms_bins, HEAP + U);
	put(ARENA + L.ms_bins + 8, HEAP + U);
	put(HEAP + U + 16, unsorted);
	put(HEAP + U + 24, unsorted);
	put(ARENA + L.ms_fastbins, HEAP + F);
	put(ARENA + L.ms_top, HEAP + TOP);
	put(ARENA + L.ms_next, ARENA);
	put(ARENA + L.ms_attached_threads, 1);
	put(ARENA + L.ms_system_mem, HEAP_LEN);
	put(ARENA + L.ms_max_system_mem, HEAP_LEN);
	/* mp_ with glibc's defaults */
	put(MP + L.mp_trim_threshold, 128 << 10);
	put(MP + L.mp_mmap_threshold, 128 << 10);
	put(MP + L.mp_arena_test, 8);
	int32_t nmax = 65536;
	memcpy(data + (MP - DATA) + L.mp_n_mmaps_max, &nmax, 4);
	put(MP + L.mp_sbrk_base, HEAP);
	put(MP + L.mp_tcache_bins, 64);
	put(MP + L.mp_tcache_max_bytes, 1032);
	put(MP + L.mp_tcache_count, 7);
}

static char libc_path[] = "/usr/lib/x86_64-linux-gnu/libc.so.6";

static void open_image(struct ms_remote *r, struct ms_libc *lc)
{
	struct ms_mapping mv[] = {
		{ .start = HEAP, .end = HEAP + HEAP_LEN, .perms = "rw-p", .path = "[heap]" },
		{ .start = LIBC, .end = LIBC + 0x1000, .perms = "r--p", .inode = 7, .path = libc_path },
		{ .start = DATA, .end = DATA + DATA_LEN, .perms = "rw-p", .inode = 7, .offset = 0x1000,
		  .path = libc_path },
	};
	struct ms_maps maps = { .v = mv, .n = 3, .cap = 3 };
	struct ms_remote_region reg[] = { { DATA, data, sizeof data }, { HEAP, heap, sizeof heap } };
	assert_int_equal(ms_remote_open_buf(r, reg, 2, &maps, NULL), 0);
	memset(lc, 0, sizeof *lc);
	lc->allocator = MS_ALLOC_GLIBC;
	lc->libc_found = 1;
	strcpy(lc->libc_path, libc_path);
	lc->libc_base = LIBC;
	lc->libc_end = DATA + DATA_LEN;
	lc->elf.elf_class = 64;
	strcpy(lc->elf.glibc_version, "2.36");
}

static void small_heap(void **state)
{
	(void)state;
	lay_out();
	struct ms_remote r;
	struct ms_libc *lc = malloc(sizeof *lc);
	open_image(&r, lc);
	struct ms_arenas a;
	struct ms_err e = { 0 };
	struct ms_arenas_opts o = { .no_debuginfo = 1 };
	assert_int_equal(ms_arenas_collect_image(&r, lc, &o, &a, &e), 0);
	assert_true(a.glibc_in_charge);
	assert_string_equal(a.inconsistency, "");
	assert_true(a.snapshot_consistent);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.main_arena, ARENA);
	assert_int_equal(a.mp.address, MP);
	assert_int_equal(a.tcaches, 1);
	assert_int_equal(a.total.in_use_chunks, 3);                 /* tcache struct, A, B */
	assert_int_equal(a.total.in_use_bytes, 0x290 + 0x30 + 0x40);
	assert_int_equal(a.total.tcache[1].count, 1);
	assert_int_equal(a.total.kind_bytes[MS_CK_TCACHE], 0x30);
	assert_int_equal(a.total.fast[0].count, 1);
	assert_int_equal(a.total.kind_bytes[MS_CK_FAST], 0x20);
	assert_int_equal(a.total.bins[1].count, 1);
	assert_int_equal(a.total.kind_bytes[MS_CK_UNSORTED], 0x100);
	assert_int_equal(a.total.top_bytes, HEAP_LEN - TOP);
	assert_int_equal(a.total.free_bytes, 0x30 + 0x20 + 0x100);
	assert_int_equal(a.chunks_walked, 7);
	assert_int_equal(a.residency, MS_RES_EXACT);
	ms_arenas_free(&a);
	ms_remote_close(&r);
	free(lc);
}

static void broken_header(void **state)
{
	(void)state;
	lay_out();
	put(HEAP + A + 8, 0x7ffffff1);   /* runs past the heap */
	struct ms_remote r;
	struct ms_libc *lc = malloc(sizeof *lc);
	open_image(&r, lc);
	struct ms_arenas a;
	struct ms_err e = { 0 };
	struct ms_arenas_opts o = { .no_debuginfo = 1, .retries = 3 };
	assert_int_equal(ms_arenas_collect_image(&r, lc, &o, &a, &e), 0);
	assert_false(a.snapshot_consistent);
	assert_int_equal(a.attempts, 1);   /* an image does not change: one look */
	assert_non_null(strstr(a.inconsistency, "0x7ffffff1"));
	ms_arenas_free(&a);
	ms_remote_close(&r);
	free(lc);
}

/* Reads across touching regions, short at a gap; residency by region. */
static void buffer_reads(void **state)
{
	(void)state;
	static unsigned char x[8192], y[4096];
	memset(x, 1, sizeof x);
	memset(y, 2, sizeof y);
	struct ms_remote_region reg[] = { { 0x10000, x, sizeof x }, { 0x12000, y, sizeof y } };
	struct ms_remote r;
	assert_int_equal(ms_remote_open_buf(&r, reg, 2, NULL, NULL), 0);
	unsigned char b[16];
	assert_int_equal(ms_remote_read(&r, 0x11ff8, b, 16), 16);
	assert_int_equal(b[7], 1);
	assert_int_equal(b[8], 2);
	assert_int_equal(ms_remote_read(&r, 0x12ff8, b, 16), 8);
	assert_int_equal(ms_remote_read(&r, 0x20000, b, 16), 0);
	assert_int_equal(ms_remote_read_exact(&r, 0x12ff8, b, 16), -1);
	struct ms_resmap m = { 0 };
	assert_int_equal(ms_resmap_add(&m, &r, 0xf000, 0x14000), 0);
	ms_resmap_sort(&m);
	assert_int_equal(ms_resmap_resident(&m, 0xf000, 0x14000), 3 * 4096);
	ms_resmap_free(&m);
	struct ms_maps maps;
	assert_int_equal(ms_remote_maps(&r, &maps, NULL), 0);
	assert_int_equal(maps.n, 0);
	ms_remote_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_heap),
		cmocka_unit_test(broken_header),
		cmocka_unit_test(buffer_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

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
#include "findings/arenaheaps.h"
#include "findings/arenas.h"
#include "findings/glibclayout.h"
#include "probe/remote.h"
#include "probe/resmap.h"
#include "records/maps.h"

#define HEAP_IMAGE_REQUIRE(cond) assert_true(cond)
#include "heap_image.h"

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

/* Collect the laid-out heap (after the caller's damage) in a. */
static void collect(struct ms_arenas *a, struct ms_remote *r, struct ms_libc **lc)
{
	*lc = malloc(sizeof **lc);
	open_image(r, *lc);
	struct ms_err e = { 0 };
	struct ms_arenas_opts o = { .no_debuginfo = 1 };
	assert_int_equal(ms_arenas_collect_image(r, *lc, &o, a, &e), 0);
}

static void release(struct ms_arenas *a, struct ms_remote *r, struct ms_libc *lc)
{
	ms_arenas_free(a);
	ms_remote_close(r);
	free(lc);
}

static const struct ms_list *only_corrupt(const struct ms_arenas *a)
{
	const struct ms_list *l = NULL;
	assert_int_equal(a->corrupt_lists, 1);
	for (size_t k = 0; k < a->nlists; k++)
		if (a->lists[k].corrupt)
			l = &a->lists[k];
	assert_non_null(l);
	return l;
}

/* A poisoned tcache head flags that list only; the rest is counted. */
static void poisoned_tcache(void **state)
{
	(void)state;
	lay_out();
	put(HEAP + TCS + 16 + 128 + 8 * 1, 0x10000);   /* tcache 1's head: outside the heaps */
	struct ms_remote r;
	struct ms_libc *lc;
	struct ms_arenas a;
	collect(&a, &r, &lc);
	const struct ms_list *l = only_corrupt(&a);
	assert_int_equal(l->kind, MS_CK_TCACHE);
	assert_int_equal(l->index, 1);
	assert_int_equal(l->bad_address, 0x10000);
	assert_false(a.snapshot_consistent);
	assert_int_equal(a.damage, MS_DAMAGE_CORRUPTED);
	assert_int_equal(a.tcaches, 1);                 /* the struct is kept */
	assert_int_equal(a.total.fast[0].count, 1);     /* the other lists counted */
	assert_int_equal(a.total.bins[1].count, 1);
	assert_int_equal(a.total.in_use_chunks, 4);     /* T stays in use: no list holds it */
	release(&a, &r, lc);
}

/* A tcache entry inside the free unsorted chunk (a double free
 * overlapping it): flagged as an overlap, its bytes counted once. */
static void overlap(void **state)
{
	(void)state;
	lay_out();
	uint64_t in = HEAP + U + 0x40;   /* inside U (0x100 B) */
	put(in + 8, 0x31);
	put(in + 16, protect(in + 16, 0));
	put(HEAP + TCS + 16 + 128 + 8 * 1, in + 16);
	struct ms_remote r;
	struct ms_libc *lc;
	struct ms_arenas a;
	collect(&a, &r, &lc);
	const struct ms_list *l = only_corrupt(&a);
	assert_int_equal(l->kind, MS_CK_TCACHE);
	assert_int_equal(l->bad_address, in);
	assert_non_null(strstr(l->reason, "inside the free chunk"));
	assert_int_equal(a.total.kind_chunks[MS_CK_TCACHE], 0);
	assert_int_equal(a.total.free_bytes, 0x20 + 0x100);   /* U once, fast */
	release(&a, &r, lc);
}

/* A fastbin entry inside another chunk (a double free overlapping the
 * unsorted chunk U) and one at a chunk start: the walk reaches only the
 * second, so the arena's entries are checked one by one -- the list is
 * flagged at the hidden entry and counts only the good one. */
static void fastbin_overlap(void **state)
{
	(void)state;
	lay_out();
	uint64_t in = HEAP + U + 0x40;   /* inside U (0x100 B) */
	put(in + 8, 0x21);
	put(in + 16, protect(in + 16, 0));
	put(HEAP + F + 16, protect(HEAP + F + 16, in));
	struct ms_remote r;
	struct ms_libc *lc;
	struct ms_arenas a;
	collect(&a, &r, &lc);
	const struct ms_list *l = only_corrupt(&a);
	assert_int_equal(l->kind, MS_CK_FAST);
	assert_int_equal(l->bad_address, in);
	assert_non_null(strstr(l->reason, "inside the free chunk"));
	assert_int_equal(l->count, 1);                         /* F, not the entry inside U */
	assert_int_equal(l->bytes, 0x20);
	assert_false(a.snapshot_consistent);
	assert_int_equal(a.total.fast[0].count, 1);
	assert_int_equal(a.total.free_bytes, 0x30 + 0x20 + 0x100);   /* U once */
	for (size_t k = 0; k < a.nlists; k++)
		if (a.lists[k].kind == MS_CK_UNSORTED)
			assert_int_equal(a.lists[k].count, 1);
	release(&a, &r, lc);
}

/* A broken bk in the unsorted bin, and a top whose size would wrap. */
static void broken_bk_and_top(void **state)
{
	(void)state;
	lay_out();
	put(HEAP + U + 24, 0xdead0);
	put(HEAP + TOP + 8, 0xfffffffffffffff1ull);
	struct ms_remote r;
	struct ms_libc *lc;
	struct ms_arenas a;
	collect(&a, &r, &lc);
	const struct ms_list *l = only_corrupt(&a);
	assert_int_equal(l->kind, MS_CK_UNSORTED);
	assert_non_null(strstr(l->reason, "bk of"));
	assert_int_equal(a.total.top_bytes, 0);          /* no 16384 PiB top */
	assert_int_equal(a.total.fast[0].count, 1);
	release(&a, &r, lc);
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

/* The main heap's mappings joined (ms_main_heap_span): a synthetic maps
 * layout, sorted as /proc/PID/maps and a core's are. */
static void heap_span(void **state)
{
	(void)state;
	static char heap_path[] = "[heap]", anon[] = "", lib[] = "/usr/lib/libx.so";
	struct ms_mapping mv[] = {
		{ .start = 0x1000, .end = 0x5000, .perms = "rw-p", .path = heap_path },   /* inherited part */
		{ .start = 0x5000, .end = 0x9000, .perms = "rw-p", .path = heap_path },   /* the child's growth */
		{ .start = 0x9000, .end = 0xa000, .perms = "rw-p", .path = anon },        /* a core's unnamed one */
		{ .start = 0xb000, .end = 0xc000, .perms = "rw-p", .path = anon },        /* after a gap */
		{ .start = 0xc000, .end = 0xd000, .perms = "r--p", .path = anon },        /* another protection */
		{ .start = 0xd000, .end = 0xe000, .perms = "rw-p", .inode = 9, .path = lib }, /* a file */
	};
	struct ms_maps maps = { .v = mv, .n = 6, .cap = 6 };
	uint64_t hi = 0;
	size_t tm = 99;
	assert_int_equal(ms_main_heap_span(&maps, 0x1010, 0x2000, &hi, &tm), 1);   /* one mapping */
	assert_int_equal(hi, 0x5000);
	assert_int_equal(tm, 0);
	assert_int_equal(ms_main_heap_span(&maps, 0x1010, 0x6000, &hi, &tm), 1);   /* two [heap] VMAs */
	assert_int_equal(hi, 0x9000);
	assert_int_equal(tm, 1);
	assert_int_equal(ms_main_heap_span(&maps, 0x1010, 0x9ff0, &hi, &tm), 1);   /* unnamed continuation */
	assert_int_equal(hi, 0xa000);
	assert_int_equal(tm, 2);
	assert_int_equal(ms_main_heap_span(&maps, 0x1010, 0xb000, &hi, &tm), 0);   /* gap */
	assert_int_equal(ms_main_heap_span(&maps, 0xb010, 0xc010, &hi, &tm), 0);   /* r--p */
	assert_int_equal(ms_main_heap_span(&maps, 0xc010, 0xd010, &hi, &tm), 0);   /* file-backed */
	assert_int_equal(ms_main_heap_span(&maps, 0x2000, 0x1010, &hi, &tm), 0);   /* top below start */
	assert_int_equal(ms_main_heap_span(&maps, 0xa010, 0xa020, &hi, &tm), 0);   /* start in no mapping */
	assert_int_equal(ms_main_heap_span(&maps, 0xd010, 0xf000, &hi, &tm), 0);   /* top past the last */
}

/* A forked child's brk heap: two adjacent mappings (the part inherited at
 * fork, the child's growth), an in-use chunk straddling the boundary, the
 * top in the second -- one contiguous heap to glibc (main_arena.flags 0).
 * Walked as one range: consistent, contiguous, every chunk counted, the
 * top at the break.  Named as a live process shows it ("[heap]" twice)
 * and as a core does (the second unnamed). */
static void split_heap_as(char *second)
{
	lay_out();
	enum { SPLIT = 0x1000, BIG = 0x1040, TOP2 = B + BIG };
	put(HEAP + B + 8, BIG);                        /* B: [0x410, 0x1450), across SPLIT; U below is free */
	put(HEAP + TOP + 8, 0);
	put(HEAP + TOP2 + 8, (HEAP_LEN - TOP2) | 1);
	put(ARENA + L.ms_top, HEAP + TOP2);
	struct ms_remote r;
	struct ms_libc *lc = malloc(sizeof *lc);
	open_image_split(&r, lc, SPLIT, second);
	struct ms_arenas a;
	struct ms_err e = { 0 };
	struct ms_arenas_opts o = { .no_debuginfo = 1 };
	assert_int_equal(ms_arenas_collect_image(&r, lc, &o, &a, &e), 0);
	assert_string_equal(a.inconsistency, "");
	assert_true(a.snapshot_consistent);
	assert_false(a.partial);
	assert_false(a.noncontiguous);
	assert_int_equal(a.corrupt_lists, 0);
	assert_int_equal(a.v[0].heaps, 1);
	assert_int_equal(a.v[0].segments, 1);
	assert_int_equal(a.v[0].reserved, HEAP_LEN);
	assert_int_equal(a.total.in_use_bytes, 0x290 + 0x30 + BIG);
	assert_int_equal(a.total.kind_bytes[MS_CK_UNSORTED], 0x100);
	assert_int_equal(a.total.top_bytes, HEAP_LEN - TOP2);
	assert_true(a.v[0].top_at_brk);
	assert_int_equal(a.chunks_walked, 7);
	ms_arenas_free(&a);
	ms_remote_close(&r);
	free(lc);
}

static void split_heap(void **state)
{
	(void)state;
	static char heap_path[] = "[heap]", unnamed[] = "";
	split_heap_as(heap_path);
	split_heap_as(unnamed);
}

/* glibc's own record decides "non-contiguous": NONCONTIGUOUS_BIT (2) in
 * main_arena.flags (set_noncontiguous, sysmalloc's mmap fallback) says so
 * even for a heap in one mapping; the walk is unchanged. */
static void noncontiguous_flag(void **state)
{
	(void)state;
	lay_out();
	uint32_t flags = 2;
	memcpy(data + (ARENA - DATA) + L.ms_flags, &flags, 4);
	struct ms_remote r;
	struct ms_libc *lc;
	struct ms_arenas a;
	collect(&a, &r, &lc);
	assert_true(a.snapshot_consistent);
	assert_true(a.noncontiguous);
	assert_int_equal(a.total.in_use_bytes, 0x290 + 0x30 + 0x40);
	release(&a, &r, lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_heap),
		cmocka_unit_test(broken_header),
		cmocka_unit_test(buffer_reads),
		cmocka_unit_test(poisoned_tcache),
		cmocka_unit_test(overlap),
		cmocka_unit_test(fastbin_overlap),
		cmocka_unit_test(broken_bk_and_top),
		cmocka_unit_test(heap_span),
		cmocka_unit_test(split_heap),
		cmocka_unit_test(noncontiguous_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

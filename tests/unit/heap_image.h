/* A small glibc 2.36 heap laid out by hand in two buffers -- libc's data
 * with main_arena and mp_, a [heap] with a tcache_perthread_struct, an
 * in-use chunk, a tcache'd chunk, a fastbin chunk, an unsorted chunk and
 * the top -- and a buffer image (probe/remote.h) over them.  Shared by the
 * unit test of the walk (test_arenas_image.c) and its fuzz harness
 * (tests/fuzz/fuzz_heapwalk.c).  The includer defines
 * HEAP_IMAGE_REQUIRE(cond): what a failed set-up does. */
#ifndef MS_TEST_HEAP_IMAGE_H
#define MS_TEST_HEAP_IMAGE_H

#include <stdint.h>
#include <string.h>

#include "findings/allocator.h"
#include "findings/glibclayout.h"
#include "probe/remote.h"
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
	HEAP_IMAGE_REQUIRE(ms_glibc_layout_for("2.36", &L, NULL) == 0);
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

/* The image, its [heap] as one mapping -- or, with split (an offset in
 * the heap), as two adjacent ones, the second named split_path: a forked
 * child's brk heap ("[heap]" twice) or a core's ("[heap]" then ""). */
static void open_image_split(struct ms_remote *r, struct ms_libc *lc, uint64_t split, char *split_path)
{
	static char heap_path[] = "[heap]";
	struct ms_mapping mv[4];
	size_t n = 0;
	mv[n++] = (struct ms_mapping){ .start = HEAP, .end = HEAP + (split ? split : HEAP_LEN), .perms = "rw-p",
				       .path = heap_path };
	if (split)
		mv[n++] = (struct ms_mapping){ .start = HEAP + split, .end = HEAP + HEAP_LEN, .perms = "rw-p",
					       .path = split_path };
	mv[n++] = (struct ms_mapping){ .start = LIBC, .end = LIBC + 0x1000, .perms = "r--p", .inode = 7,
				       .path = libc_path };
	mv[n++] = (struct ms_mapping){ .start = DATA, .end = DATA + DATA_LEN, .perms = "rw-p", .inode = 7,
				       .offset = 0x1000, .path = libc_path };
	struct ms_maps maps = { .v = mv, .n = n, .cap = n };
	struct ms_remote_region reg[] = { { DATA, data, sizeof data }, { HEAP, heap, sizeof heap } };
	HEAP_IMAGE_REQUIRE(ms_remote_open_buf(r, reg, 2, &maps, NULL) == 0);
	memset(lc, 0, sizeof *lc);
	lc->allocator = MS_ALLOC_GLIBC;
	lc->libc_found = 1;
	strcpy(lc->libc_path, libc_path);
	lc->libc_base = LIBC;
	lc->libc_end = DATA + DATA_LEN;
	lc->elf.elf_class = 64;
	strcpy(lc->elf.glibc_version, "2.36");
}

static void open_image(struct ms_remote *r, struct ms_libc *lc)
{
	open_image_split(r, lc, 0, NULL);
}

#endif

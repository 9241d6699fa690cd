/* Where glibc ptmalloc2 keeps its state, per glibc version range (64-bit
 * x86-64/aarch64 only): offsets inside struct malloc_state, struct
 * malloc_par (mp_), heap_info and tcache_perthread_struct, and which list
 * pointers are safe-linked.  Reading a live target without debug info
 * depends on these numbers alone, so they live in one table, checked
 * against glibc's malloc.c (see glibclayout.c for the per-field history). */
#ifndef MS_GLIBCLAYOUT_H
#define MS_GLIBCLAYOUT_H

#include <stddef.h>
#include "util/err.h"

#define MS_GLIBC_MIN "2.27"
#define MS_GLIBC_MAX "2.41"

#define MS_NFASTBINS 10     /* NFASTBINS on 64-bit */
#define MS_NBINS 128        /* bins 1..126 are used; 1 is the unsorted bin */
#define MS_TCACHE_BINS 64   /* TCACHE_MAX_BINS */
#define MS_MINSIZE 32       /* MINSIZE on 64-bit */
#define MS_ALIGN 16         /* MALLOC_ALIGNMENT */

struct ms_glibc_layout {
	char   version[16];
	/* struct malloc_state */
	size_t ms_size, ms_mutex, ms_flags, ms_fastbins, ms_top, ms_last_remainder,
	       ms_bins, ms_next, ms_attached_threads, ms_system_mem, ms_max_system_mem;
	/* struct malloc_par (mp_) */
	size_t mp_size, mp_trim_threshold, mp_top_pad, mp_mmap_threshold, mp_arena_test,
	       mp_arena_max, mp_n_mmaps, mp_n_mmaps_max, mp_no_dyn_threshold, mp_mmapped_mem, mp_sbrk_base,
	       mp_tcache_bins, mp_tcache_max_bytes, mp_tcache_count;
	size_t mp_thp_pagesize;        /* 0: no such field (before 2.35) */
	size_t heap_info_size;
	/* struct tcache_perthread_struct: counts[64] then entries[64] */
	size_t tcache_count_size;      /* 1 (char) before 2.30, 2 (uint16_t) since */
	size_t tcache_struct_size;     /* 576 or 640 */
	int    safe_linking;           /* tcache/fastbin next pointers, since 2.32 */
};

/* Layout for a "2.36" style version.  Outside MS_GLIBC_MIN..MS_GLIBC_MAX
 * it fails with a hint naming --assume-version. */
int ms_glibc_layout_for(const char *version, struct ms_glibc_layout *l, struct ms_err *e);

/* Chunk size -> bin index (smallbin_index / largebin_index_64). */
int ms_bin_index(unsigned long size);

/* Offset of bin i's pseudo chunk inside malloc_state (bin_at: the chunk
 * whose fd field is bins[(i-1)*2]). */
static inline size_t ms_bin_at(const struct ms_glibc_layout *l, int i)
{
	return l->ms_bins + (size_t)(i - 1) * 16 - 16;
}

#endif

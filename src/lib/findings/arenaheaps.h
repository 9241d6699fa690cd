/* glibc non-main arena heaps, found from the mappings alone and, when the
 * target's memory can be read, confirmed by the heap_info at each heap's
 * start.  On 64-bit every such heap is a HEAP_MAX_SIZE (64 MiB) aligned
 * reservation: a read-write part followed by a PROT_NONE remainder.
 * The first heap of an arena holds the arena's malloc_state right after its
 * heap_info (ar_ptr == heap + sizeof(heap_info)); later heaps point back. */
#ifndef MS_ARENAHEAPS_H
#define MS_ARENAHEAPS_H

#include <stddef.h>
#include <stdint.h>
#include "probe/remote.h"
#include "records/maps.h"

#define MS_HEAP_MAX_SIZE (64ull << 20)

struct ms_arena_heap {
	uint64_t start;          /* 64 MiB aligned */
	uint64_t rw_end;         /* end of the read-write part */
	uint64_t end;            /* start + 64 MiB, or end of the PROT_NONE part */
	size_t   map_rw, map_none;/* indexes in maps, map_none == (size_t)-1 if none */
	int      verified;       /* heap_info read and plausible */
	uint64_t ar_ptr, prev, size, mprotect_size; /* heap_info, when verified */
	int      first;          /* first heap of its arena (holds malloc_state) */
};

struct ms_arena_heaps {
	struct ms_arena_heap *v;
	size_t n;
	size_t arenas;           /* distinct ar_ptr among verified heaps */
	int    all_verified;
};

/* sizeof(heap_info) for a glibc version: 32 before 2.35, 48 from 2.35 on
 * (the pagesize field).  64-bit only. */
size_t ms_heap_info_size(const char *glibc_version);

/* Find the arena heaps in maps; r may be NULL (pattern only).  glibc_version
 * may be "" (both header sizes are accepted). */
int  ms_arena_heaps_find(const struct ms_maps *maps, struct ms_remote *r,
			 const char *glibc_version, struct ms_arena_heaps *out);
void ms_arena_heaps_free(struct ms_arena_heaps *h);

/* The main arena's brk heap as mapped: the mappings from the one holding
 * start (mp_.sbrk_base) to the one holding top (the main top chunk), when
 * each follows the previous without a gap and each after the first is
 * anonymous read-write private, "[heap]" or unnamed.  The kernel keeps one
 * brk heap as several VMAs when their anon_vmas differ -- a forked child
 * growing the heap it inherited: /proc/PID/maps shows two adjacent
 * "[heap]" lines -- and a core names none of them (probe/core.c labels
 * the first), while glibc sees one contiguous heap (sysmalloc: brk ==
 * old_end).  Returns 1 with *hi the end of the top's mapping and *tm its
 * index in maps; 0 when start or top is in no mapping, top < start, or
 * something else lies between them (a gap, a file, another protection:
 * the heap went on elsewhere).  maps sorted by address; O(mappings). */
int ms_main_heap_span(const struct ms_maps *maps, uint64_t start, uint64_t top, uint64_t *hi, size_t *tm);

#endif

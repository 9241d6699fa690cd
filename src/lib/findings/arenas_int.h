/* Internal to arenas.c / arenawalk.c / arenalists.c: the state of one
 * collection.  Not part of the library's interface. */
#ifndef MS_ARENAS_INT_H
#define MS_ARENAS_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include "findings/arenas.h"
#include "findings/arenaheaps.h"
#include "findings/glibclayout.h"
#include "probe/rcache.h"
#include "probe/remote.h"
#include "probe/resmap.h"
#include "records/maps.h"

#define MS_WALK_WINDOW (1u << 20)
/* malloc_state.flags: the main heap is not one brk area (malloc.c's
 * NONCONTIGUOUS_BIT, set_noncontiguous in sysmalloc's mmap fallback) */
#define MS_NONCONTIGUOUS_BIT 2u
/* --stop: how many times a walk that found damage while a thread held an
 * arena's lock may thaw the target a moment and freeze it again */
#define MS_STOP_REFREEZES 8

/* A heap range of one arena: chunks from `start` to `end`, bounded.
 * The walk marks each chunk start it reaches (and whether the chunk is
 * in use) in the range's chunk map, against which the list entries are
 * checked afterwards: an entry that is no chunk start lies inside another
 * chunk.  The list walks, before the chunk walk, put each entry's list
 * code there too, which the walk reads to classify the chunk.  One map
 * of 4 bits per 16 bytes (16 granules a word): the walk reads the code
 * and marks the start in one read-modify-write per chunk. */
struct ms_range {
	uint64_t start, end;
	size_t   arena;
	int      seek;           /* main arena, mmapped continuation: the segment
				  * starts somewhere in the mapping; look for it */
	uint64_t walked_to;      /* the walk covered [start, walked_to) */
	uint64_t *map;           /* (end - start) / 16 nibbles: MS_MAP_*, list code << 2 */
};

/* What the list map says of a chunk start. */
enum { MS_LISTED_NONE, MS_LISTED_FAST, MS_LISTED_UNSORTED, MS_LISTED_OTHER /* tcache, small, large */ };

/* A granule's nibble in the chunk map: a chunk starts here (the walk
 * reached it), it is in use; bits 2-3 its list code. */
#define MS_MAP_START 1u
#define MS_MAP_USED  2u
#define MS_MAP_STARTS 0x1111111111111111ull   /* the start bits of one word */

/* Words of the chunk map of [start, end). */
static inline uint64_t ms_range_map_words(uint64_t start, uint64_t end)
{
	return (end - start) / 16 / 16 + 1;
}

struct ms_cached {
	uint64_t addr;           /* chunk address */
	uint64_t size;
	uint32_t list;           /* index in out->lists */
	uint32_t kind;           /* enum ms_chunk_kind */
};

struct ms_tcache_struct {
	uint64_t chunk;
	uint16_t counts[MS_TCACHE_BINS];
	uint64_t entries[MS_TCACHE_BINS];
};

struct ms_coll {
	struct ms_arenas *out;
	const struct ms_arenas_opts *o;
	struct ms_remote r;           /* the memory image (a copy of the caller's handle) */
	struct ms_rcache rc;
	struct ms_resmap res;         /* residency of the ranges, before reading them */
	uint64_t page;
	struct ms_glibc_layout L;
	unsigned char (*state)[2200]; /* each arena's malloc_state, as read */
	struct ms_range *rng;
	size_t   nrng, caprng, rng_hint;
	struct ms_cached *cache;
	size_t   ncache, capcache;
	struct ms_tcache_struct *tc;
	size_t   ntc, captc;
	size_t   caplists;            /* of out->lists */
	unsigned char *win;
	const unsigned char *winp;    /* the window's bytes: win, or the arena buffer */
	uint64_t win_start, win_len;
	/* the arena read into memory (ms_arena_buffer), else nbuf 0: one
	 * region per buffered range, sorted by address, never overlapping */
	struct ms_remote_region *buf;
	size_t   nbuf, capbuf;
	unsigned char *abuf;          /* ms_arena_buffer's memory, reused arena after arena */
	uint64_t abuf_cap;
	uint64_t abuf_max;            /* the most it may take (ms_arena_buffer_max), 0: not asked yet */
	uint64_t *maps;               /* every range's chunk map, one ms_big_alloc */
	uint64_t maps_len;
	uint64_t main_brk_end;        /* end of the [heap] mapping holding the main top, 0 if none */
	uint64_t listed_ok;           /* this arena's walk: chunks reached with a list code, in its state */
	int      bad;                 /* inconsistent snapshot seen */
	int      emit_only;           /* second pass: list chunks, no statistics */
};

static inline uint64_t ms_st_u64(const unsigned char *s, size_t off)
{
	uint64_t v;
	__builtin_memcpy(&v, s + off, 8);
	return v;
}

/* Over n elements of size sz sorted by the uint64_t at offset off (a
 * range's start, a region's address): how many start at or below addr,
 * i.e. 1 + the index of the one that may hold addr, 0 when none. */
static inline size_t ms_sorted_count_le(const void *v, size_t n, size_t sz, size_t off, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t key;
		__builtin_memcpy(&key, (const unsigned char *)v + mid * sz + off, 8);
		if (key <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The arena buffer's region holding addr, or NULL: a binary search (an
 * arena of many heaps has as many regions, and a list in random address
 * order changes region at almost every node). */
static inline const struct ms_remote_region *ms_coll_region(const struct ms_coll *c, uint64_t addr)
{
	size_t k = ms_sorted_count_le(c->buf, c->nbuf, sizeof *c->buf, offsetof(struct ms_remote_region, addr), addr);
	if (!k || addr - c->buf[k - 1].addr >= c->buf[k - 1].len)
		return NULL;
	return &c->buf[k - 1];
}

/* [addr, addr+len) inside the arena buffer: a pointer to its bytes, or NULL. */
static inline const unsigned char *ms_coll_direct(const struct ms_coll *c, uint64_t addr, uint64_t len)
{
	const struct ms_remote_region *g = ms_coll_region(c, addr);
	if (g && len <= g->len - (addr - g->addr))
		return (const unsigned char *)g->bytes + (addr - g->addr);
	return NULL;
}

/* One 64-bit word of the target: from the arena buffer when it holds it,
 * else through the read cache.  0, or -1 when unreadable. */
static inline int ms_coll_u64(struct ms_coll *c, uint64_t addr, uint64_t *v)
{
	const unsigned char *d = ms_coll_direct(c, addr, 8);
	if (d) {
		__builtin_memcpy(v, d, 8);
		return 0;
	}
	return ms_rcache_u64(&c->rc, addr, v);
}

/* n (<= 4) consecutive words from addr: from the arena buffer in one
 * look-up when it holds them all, else word by word.  0, or -1 when
 * unreadable. */
static inline int ms_coll_words(struct ms_coll *c, uint64_t addr, unsigned n, uint64_t *v)
{
	const unsigned char *d = ms_coll_direct(c, addr, 8 * (uint64_t)n);
	if (d) {
		__builtin_memcpy(v, d, 8 * (size_t)n);
		return 0;
	}
	for (unsigned k = 0; k < n; k++)
		if (ms_coll_u64(c, addr + 8 * (uint64_t)k, &v[k]) < 0)
			return -1;
	return 0;
}

void ms_coll_problem(struct ms_coll *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Range holding [addr, addr+len), or NULL: binary search over the ranges,
 * sorted by ms_coll_ranges_sort (they never overlap).  List nodes mostly
 * follow each other in one heap: the last hit is tried first, inline. */
const struct ms_range *ms_coll_range_search(struct ms_coll *c, uint64_t addr, uint64_t len);
static inline const struct ms_range *ms_coll_range(struct ms_coll *c, uint64_t addr, uint64_t len)
{
	if (c->rng_hint < c->nrng) {
		const struct ms_range *r = &c->rng[c->rng_hint];
		if (addr >= r->start && addr + len >= addr && addr + len <= r->end)
			return r;
	}
	return ms_coll_range_search(c, addr, len);
}
void ms_coll_ranges_sort(struct ms_coll *c);


/* The chunk map: the nibble of granule k of rg (p - rg->start) / 16. */
static inline int ms_range_slot(const struct ms_range *rg, uint64_t p, uint64_t **w, unsigned *sh)
{
	if (!rg->map || p < rg->start || p >= rg->end)
		return 0;
	uint64_t k = (p - rg->start) / 16;
	*w = &rg->map[k / 16];
	*sh = (unsigned)(k % 16) * 4;
	return 1;
}

/* The walk reached chunk p (in use or not): marked, and its list code
 * returned (MS_LISTED_NONE outside the map). */
static inline int ms_range_visit(struct ms_range *rg, uint64_t p, int in_use)
{
	uint64_t *w;
	unsigned sh;
	if (!ms_range_slot(rg, p, &w, &sh))
		return MS_LISTED_NONE;
	uint64_t v = *w;
	*w = v | (uint64_t)(MS_MAP_START | (in_use ? MS_MAP_USED : 0)) << sh;
	return (int)(v >> (sh + 2) & 3);
}

/* Is p a chunk start the walk reached (*in_use: whether in use). */
static inline int ms_range_is_start(const struct ms_range *rg, uint64_t p, int *in_use)
{
	uint64_t *w;
	unsigned sh;
	if ((p - rg->start) % 16 || !ms_range_slot(rg, p, &w, &sh))
		return 0;
	*in_use = (int)(*w >> sh & MS_MAP_USED) != 0;
	return (int)(*w >> sh & MS_MAP_START);
}

/* List map: set code at chunk p (returns the code there before, 0 if
 * none; an existing code is kept), read it. */
static inline int ms_range_list_mark(struct ms_range *rg, uint64_t p, int code)
{
	uint64_t *w;
	unsigned sh;
	if ((p - rg->start) % 16 || !ms_range_slot(rg, p, &w, &sh))
		return 0;
	int prev = (int)(*w >> (sh + 2) & 3);
	if (!prev)
		*w |= (uint64_t)code << (sh + 2);
	return prev;
}

static inline int ms_range_list_code(const struct ms_range *rg, uint64_t p)
{
	uint64_t *w;
	unsigned sh;
	if (!ms_range_slot(rg, p, &w, &sh))
		return MS_LISTED_NONE;
	return (int)(*w >> (sh + 2) & 3);
}

/* The start of the chunk containing p (0 if none walked). */
uint64_t ms_range_container(const struct ms_range *rg, uint64_t p);

/* Chunk sizes by power of two (ms_hist_bucket, inline: once per chunk). */
static inline int ms_hist_bucket_of(uint64_t size)
{
	uint64_t s = size >> 5;
	int b = s ? 64 - __builtin_clzll(s) : 0;
	return b < MS_HIST_BUCKETS - 1 ? b : MS_HIST_BUCKETS - 1;
}

/* Add a chunk to the histogram; sign -1 takes back one the walk added
 * (never below zero). */
static inline void ms_hist_add(struct ms_hist *h, int is_free, uint64_t size, int64_t sign)
{
	int b = ms_hist_bucket_of(size);
	uint64_t *n = is_free ? h->free_chunks : h->in_use_chunks;
	uint64_t *by = is_free ? h->free_bytes : h->in_use_bytes;
	if (sign < 0) {
		if (!n[b] || by[b] < size)
			return;
		n[b]--;
		by[b] -= size;
		return;
	}
	n[b]++;
	by[b] += size;
}

static inline void ms_bin_add(struct ms_bin_stat *b, uint64_t size)
{
	if (!b->count || size < b->min)
		b->min = size;
	if (size > b->max)
		b->max = size;
	b->count++;
	b->bytes += size;
}


/* arenalists.c: fastbins and the regular bins (unsorted, small, large,
 * with the nextsize ring) of arena i, before the walk; tcaches, after the
 * walk found them; then the entries from the from-th on checked against
 * the walk's chunk boundaries (ms_check_lists: an arena's entries right
 * after its walk, while its heaps are still in memory).  A bad node marks
 * its own list corrupt (out->lists[].corrupt); the other lists are kept. */
void ms_walk_fastbins(struct ms_coll *c, size_t i);
void ms_walk_bins(struct ms_coll *c, size_t i);
void ms_walk_tcaches(struct ms_coll *c);
void ms_check_lists(struct ms_coll *c, size_t from);
/* The same for arena i's fastbin and bin entries (from the from-th, its
 * lists from the lfrom-th), after its walk: the list walks counted each
 * entry in its list, and the walk counted the chunks it reached with a
 * list code in the state that list implies (c->listed_ok).  When they
 * agree, every entry is a chunk start in the right state and nothing is
 * left to check; otherwise (damage, an entry inside another chunk, a walk
 * cut short) the counts are redone entry by entry by ms_check_lists. */
void ms_check_arena_lists(struct ms_coll *c, size_t from, size_t lfrom);
/* out->entries and each list's entry0/nentries from the cache. */
void ms_keep_entries(struct ms_coll *c);

/* arenabuf.c: arena ai's heaps read once into memory before its lists
 * are followed, so that a list node costs no read whatever its address.
 * When all of them fit (ms_arena_buffer_max) the walks read that buffer
 * image (c->r swapped, the live image kept in ab); otherwise the ranges
 * that fit are buffered, c->r stays live and the rest streams (a node
 * there is read through the read cache, a 64 KiB block at a time).
 * Returns 1 when anything is buffered, 0 to stream. */
struct ms_arena_buf {
	struct ms_remote live;
	unsigned char *mem;           /* c->abuf while buffered, else NULL */
	int swapped;                  /* c->r is the buffer image (every range buffered) */
};
int  ms_arena_buffer(struct ms_coll *c, size_t ai, struct ms_arena_buf *ab);
void ms_arena_unbuffer(struct ms_coll *c, struct ms_arena_buf *ab);
/* c->abuf given back (at the end of the collection). */
void ms_arena_buffer_free(struct ms_coll *c);
/* Zeroed memory of len bytes in 2 MiB pages where the kernel allows it
 * (THP "madvise"): the arena buffer and the chunk maps are hopped all
 * over by the list walks, and with 4 KiB pages most of those cache misses
 * were TLB misses too; a first touch also faults once per 2 MiB instead
 * of 512 times.  NULL when out of memory; ms_big_free with the same len. */
void *ms_big_alloc(uint64_t len);
void  ms_big_free(void *p, uint64_t len);

/* arenatchold.c: each arena's pins redone with the tcache entries (the
 * from-th cache entry on, after ms_check_lists) set apart: cached chunks
 * are not pins; when only they are left, a->tcache_hold says so.  Then,
 * once the tcaches are attributed, the thread of each hold. */
void ms_tcache_hold_find(struct ms_coll *c, size_t from);
void ms_tcache_hold_name(struct ms_arenas *a);

/* arenammap.c: the mmapped chunks in the mappings (out->mmapped). */
void ms_find_mmapped(struct ms_coll *c, const struct ms_maps *maps);

/* arenawalk.c: every chunk of one range. */
void ms_walk_range(struct ms_coll *c, struct ms_range *rg);

/* arenalocate.c: main_arena and mp_ without symbols, inside libc's
 * writable data (its rw-p mapping and the anonymous .bss after it). */
struct ms_libc_data {
	uint64_t start;
	size_t   len;
	unsigned char *buf;
};
struct ms_libc;
int      ms_libc_data_read(struct ms_coll *c, const struct ms_maps *maps,
			   const struct ms_libc *libc, struct ms_libc_data *d);
uint64_t ms_locate_main_arena(struct ms_coll *c, const struct ms_libc_data *d,
			      const struct ms_arena_heaps *h);
uint64_t ms_locate_mp(const struct ms_coll *c, const struct ms_libc_data *d, uint64_t sbrk_base);
int      ms_arena_state_plausible(const struct ms_coll *c, const unsigned char *st, uint64_t addr);

#endif

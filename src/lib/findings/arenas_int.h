/* Internal to arenas.c / arenawalk.c / arenalists.c: the state of one
 * collection.  Not part of the library's interface. */
#ifndef MS_ARENAS_INT_H
#define MS_ARENAS_INT_H

#include <stdarg.h>
#include <stdio.h>
#include "findings/arenas.h"
#include "findings/arenaheaps.h"
#include "findings/glibclayout.h"
#include "probe/rcache.h"
#include "probe/remote.h"
#include "probe/resmap.h"
#include "records/maps.h"

#define MS_WALK_WINDOW (1u << 20)

/* A heap range of one arena: chunks from `start` to `end`, bounded. */
struct ms_range {
	uint64_t start, end;
	size_t   arena;
};

/* Chunks whose class the heap walk cannot see from the chunk itself
 * (fastbin chunks look in use; unsorted ones look like any free chunk). */
struct ms_cached {
	uint64_t addr;
	uint32_t size;
	uint32_t kind;
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
	size_t   nrng, caprng;
	struct ms_cached *cache;
	size_t   ncache, capcache;
	struct ms_tcache_struct *tc;
	size_t   ntc, captc;
	unsigned char *win;
	uint64_t win_start, win_len;
	int      bad;                 /* inconsistent snapshot seen */
	int      emit_only;           /* second pass: list chunks, no statistics */
};

static inline uint64_t ms_st_u64(const unsigned char *s, size_t off)
{
	uint64_t v;
	__builtin_memcpy(&v, s + off, 8);
	return v;
}

void ms_coll_problem(struct ms_coll *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Range holding [addr, addr+len), or NULL. */
const struct ms_range *ms_coll_range(const struct ms_coll *c, uint64_t addr, uint64_t len);

/* Kind of a cached chunk at addr (MS_CK__N when not cached). */
int  ms_coll_cached(const struct ms_coll *c, uint64_t addr);
int  ms_coll_cache_add(struct ms_coll *c, uint64_t addr, uint64_t size, int kind);
void ms_coll_cache_sort(struct ms_coll *c);

void ms_hist_add(struct ms_hist *h, int is_free, uint64_t size, int64_t sign);
void ms_bin_add(struct ms_bin_stat *b, uint64_t size);

/* arenalists.c: fastbins and the unsorted bin of arena i (before the walk),
 * tcaches (after the walk found them). */
void ms_walk_fastbins(struct ms_coll *c, size_t i);
void ms_walk_unsorted(struct ms_coll *c, size_t i);
void ms_walk_tcaches(struct ms_coll *c);

/* arenawalk.c: every chunk of one range. */
void ms_walk_range(struct ms_coll *c, const struct ms_range *rg);

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

/* The pins again, once the tcaches are known.  glibc's tcache_put
 * (malloc.c) caches a freed chunk without touching the heap: the next
 * chunk's PREV_INUSE stays set, so the walk (arenawalk.c), which meets the
 * tcache lists only after it, counts a cached chunk as in use -- and as a
 * pin when it sits between free memory and the top.  A cached chunk is
 * free to the program: it is never a pin.  Here each arena's pin region,
 * [first pin, top), is walked again from the chunk map with the tcache
 * entries set apart; the live chunks left are the pins, and when none is
 * left the tcache chunks are what keeps the free memory from the top
 * (ms_arena_stat.tcache_hold).  Fastbin chunks need nothing of this: the
 * walk knows them before it starts (ms_walk_fastbins) and counts them
 * free. */
#include "findings/arenas_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tc_entry {
	uint64_t addr, owner;   /* chunk, its tcache_perthread_struct chunk */
};

static int cmp_entry(const void *x, const void *y)
{
	uint64_t a = ((const struct tc_entry *)x)->addr, b = ((const struct tc_entry *)y)->addr;
	return a < b ? -1 : a > b;
}

/* The state of the walk again, as arenawalk.c keeps it for pins. */
struct redo {
	uint64_t pin_min, pinned, run;
	struct ms_pin pins[MS_PINS_MAX];
	size_t npins;
	uint64_t pin_chunks, pin_bytes;
	uint64_t tc_chunks, tc_bytes;
	uint64_t *per_tc;       /* tcache chunks counted, by c->tc index */
	size_t ntc;
};

static void chunk(struct redo *r, const struct ms_coll *c, uint64_t p, uint64_t size, int used, uint64_t owner)
{
	if (!used) {
		r->run += size;
		return;
	}
	if (owner) {
		/* cached: free to the program, kept from the heap by glibc */
		r->tc_chunks++;
		r->tc_bytes += size;
		for (size_t t = 0; t < r->ntc; t++)
			if (c->tc[t].chunk == owner) {
				r->per_tc[t]++;
				break;
			}
		return;
	}
	/* a live chunk: the run of free memory before it closes (close_run) */
	if (r->run >= r->pin_min) {
		r->pinned = r->run;
		r->npins = 0;
		r->pin_chunks = r->pin_bytes = 0;
		r->tc_chunks = r->tc_bytes = 0;
		memset(r->per_tc, 0, r->ntc * sizeof *r->per_tc);
	} else {
		r->pinned += r->run;
	}
	r->run = 0;
	if (r->npins < MS_PINS_MAX)
		r->pins[r->npins++] = (struct ms_pin){ .address = p, .size = size, .pinned = r->pinned };
	r->pin_chunks++;
	r->pin_bytes += size;
}

/* Arena a's pin region again; returns 0 when the rescan reached the top
 * (r filled), -1 when it could not (a left as the walk found it). */
static int rescan(struct ms_coll *c, const struct ms_arena_stat *a, const struct ms_range *rg,
		  const struct tc_entry *te, size_t nte, struct redo *r)
{
	uint64_t s0 = a->pins[0].address, top = a->top_address;
	uint64_t k0 = (s0 - rg->start) / 16, k1 = (top - rg->start) / 16;
	uint64_t prev = 0;
	int prev_used = 0;
	size_t cur = 0;
	r->pinned = a->pins[0].pinned;
	for (uint64_t w = k0 / 16; w <= k1 / 16; w++) {
		uint64_t word = rg->map[w], bits = word & MS_MAP_STARTS;
		while (bits) {
			unsigned b = (unsigned)__builtin_ctzll(bits);
			bits &= bits - 1;
			uint64_t k = w * 16 + b / 4;
			if (k < k0)
				continue;
			if (k > k1)
				return -1;
			uint64_t p = rg->start + k * 16, owner = 0;
			if (prev) {
				while (cur < nte && te[cur].addr < prev)
					cur++;
				if (cur < nte && te[cur].addr == prev)
					owner = te[cur].owner;
				chunk(r, c, prev, p - prev, prev_used, owner);
			}
			if (p == top)
				return 0;
			prev = p;
			prev_used = (int)(word >> b & MS_MAP_USED) != 0;
		}
	}
	return -1;
}

void ms_tcache_hold_find(struct ms_coll *c, size_t from)
{
	struct ms_arenas *o = c->out;
	struct tc_entry *te = NULL;
	uint64_t *per_tc = c->ntc ? calloc(c->ntc, sizeof *per_tc) : NULL;
	if (!per_tc)
		return;
	for (size_t i = 0; i < o->n; i++) {
		struct ms_arena_stat *a = &o->v[i];
		if (!a->npins)
			continue;
		uint64_t s0 = a->pins[0].address, top = a->top_address;
		const struct ms_range *rg = ms_coll_range(c, s0, 16);
		if (!rg || !rg->map || top <= s0 || top >= rg->end)
			continue;
		/* the accepted tcache entries in [s0, top): chunk starts the
		 * walk saw in use (ms_check_lists rejects the others) */
		size_t nte = 0;
		for (size_t k = from; k < c->ncache; k++) {
			const struct ms_cached *e = &c->cache[k];
			int used = 0;
			if (e->kind != MS_CK_TCACHE || e->addr < s0 || e->addr >= top ||
			    !ms_range_is_start(rg, e->addr, &used) || !used)
				continue;
			if (!(nte & (nte + 1))) {   /* at 0, 1, 3, 7, ...: room doubled */
				void *nv = realloc(te, (2 * nte + 2) * sizeof *te);
				if (!nv)
					goto out;
				te = nv;
			}
			te[nte++] = (struct tc_entry){ e->addr, o->lists[e->list].owner };
		}
		if (!nte)
			continue;
		qsort(te, nte, sizeof *te, cmp_entry);
		memset(per_tc, 0, c->ntc * sizeof *per_tc);
		struct redo r = { .pin_min = o->mp.trim_threshold ? o->mp.trim_threshold : 128u << 10,
				  .per_tc = per_tc, .ntc = c->ntc };
		if (rescan(c, a, rg, te, nte, &r) < 0)
			continue;
		memcpy(a->pins, r.pins, sizeof a->pins);
		a->npins = r.npins;
		a->pin_chunks = r.pin_chunks;
		a->pin_bytes = r.pin_bytes;
		a->pinned_free_bytes = r.npins ? r.pinned : 0;
		if (r.npins || !r.tc_chunks)
			continue;
		struct ms_tcache_hold *h = &a->tcache_hold;
		memset(h, 0, sizeof *h);
		h->chunks = r.tc_chunks;
		h->bytes = r.tc_bytes;
		h->free_below = r.pinned + r.run;
		for (size_t t = 0, best = 0; t < c->ntc; t++) {
			if (!per_tc[t])
				continue;
			h->tcaches++;
			if (!h->tcache || per_tc[t] > per_tc[best]) {
				h->tcache = c->tc[t].chunk;
				best = t;
			}
		}
	}
out:
	free(te);
	free(per_tc);
}

void ms_tcache_hold_name(struct ms_arenas *a)
{
	for (size_t i = 0; i < a->n; i++) {
		struct ms_tcache_hold *h = &a->v[i].tcache_hold;
		for (size_t k = 0; h->chunks && a->tcache_tid && k < a->tcaches; k++)
			if (a->tcache_chunk[k] == h->tcache) {
				h->tid = a->tcache_tid[k];
				if (a->tcache_use)
					snprintf(h->thread, sizeof h->thread, "%s", a->tcache_use[k].thread);
				break;
			}
	}
}

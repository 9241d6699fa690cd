/* The singly and doubly linked lists a heap walk cannot see: fastbins and
 * tcache entries look in use, unsorted chunks look like any free chunk.
 * Every node must lie in one of the arenas' heaps, every walk is bounded
 * and cycles are caught (Brent), so a list changing under us or a
 * corrupted one ends as a reported inconsistency, never as a hang. */
#include "findings/arenas_int.h"

#include <stdlib.h>
#include <string.h>

void ms_coll_problem(struct ms_coll *c, const char *fmt, ...)
{
	if (!c->bad) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->out->inconsistency, sizeof c->out->inconsistency, fmt, ap);
		va_end(ap);
	}
	c->bad = 1;
}

const struct ms_range *ms_coll_range(const struct ms_coll *c, uint64_t addr, uint64_t len)
{
	for (size_t i = 0; i < c->nrng; i++)
		if (addr >= c->rng[i].start && addr + len <= c->rng[i].end && addr + len > addr)
			return &c->rng[i];
	return NULL;
}

static int cmp_cached(const void *a, const void *b)
{
	const struct ms_cached *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void ms_coll_cache_sort(struct ms_coll *c)
{
	if (c->ncache > 1)   /* none cached: c->cache is NULL, qsort's is nonnull */
		qsort(c->cache, c->ncache, sizeof *c->cache, cmp_cached);
}

int ms_coll_cached(const struct ms_coll *c, uint64_t addr)
{
	size_t lo = 0, hi = c->ncache;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->cache[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->ncache && c->cache[lo].addr == addr ? (int)c->cache[lo].kind : MS_CK__N;
}

int ms_coll_cache_add(struct ms_coll *c, uint64_t addr, uint64_t size, int kind)
{
	if (c->ncache == c->capcache) {
		size_t cap = c->capcache ? c->capcache * 2 : 1024;
		void *nv = realloc(c->cache, cap * sizeof *c->cache);
		if (!nv)
			return -1;
		c->cache = nv;
		c->capcache = cap;
	}
	c->cache[c->ncache++] = (struct ms_cached){ addr, (uint32_t)size, (uint32_t)kind };
	return 0;
}

void ms_bin_add(struct ms_bin_stat *b, uint64_t size)
{
	if (!b->count || size < b->min)
		b->min = size;
	if (size > b->max)
		b->max = size;
	b->count++;
	b->bytes += size;
}

int ms_hist_bucket(uint64_t size)
{
	int b = 0;
	for (uint64_t s = size >> 5; s && b < MS_HIST_BUCKETS - 1; s >>= 1)
		b++;
	return b;
}

uint64_t ms_hist_floor(int bucket)
{
	return bucket == 0 ? 0 : 32ull << (bucket - 1);
}

void ms_hist_add(struct ms_hist *h, int is_free, uint64_t size, int64_t sign)
{
	int b = ms_hist_bucket(size);
	uint64_t *n = is_free ? h->free_chunks : h->in_use_chunks;
	uint64_t *by = is_free ? h->free_bytes : h->in_use_bytes;
	n[b] += (uint64_t)sign;
	by[b] += (uint64_t)(sign * (int64_t)size);
}

/* Brent's cycle detection over a walk: call with each node; returns 1
 * when the node was seen before in a cycle. */
struct brent {
	uint64_t saved;
	uint64_t power, lam;
};

static int brent_step(struct brent *b, uint64_t node)
{
	if (node == b->saved)
		return 1;
	if (++b->lam == b->power) {
		b->saved = node;
		b->power *= 2;
		b->lam = 0;
	}
	return 0;
}

static uint64_t reveal(const struct ms_coll *c, uint64_t field_addr, uint64_t v)
{
	return c->L.safe_linking ? (field_addr >> 12) ^ v : v;
}

/* Node bound: no list can hold more chunks than its arena has room for. */
static uint64_t list_bound(const struct ms_coll *c)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < c->nrng; i++)
		bytes += c->rng[i].end - c->rng[i].start;
	return bytes / MS_MINSIZE + 1;
}

void ms_walk_fastbins(struct ms_coll *c, size_t ai)
{
	const unsigned char *st = c->state[ai];
	struct ms_arena_stat *a = &c->out->v[ai];
	uint64_t bound = list_bound(c);
	for (int i = 0; i < MS_NFASTBINS; i++) {
		uint64_t p = ms_st_u64(st, c->L.ms_fastbins + 8 * (size_t)i);
		uint64_t want = MS_MINSIZE + (uint64_t)i * MS_ALIGN;
		struct brent b = { .saved = 0, .power = 1 };
		for (uint64_t n = 0; p; n++) {
			const struct ms_range *rg = ms_coll_range(c, p, want);
			uint64_t sz, fd;
			if (n >= bound || !rg || rg->arena != ai || (p & 15) ||
			    ms_rcache_u64(&c->rc, p + 8, &sz) < 0 || (sz & ~7ull) != want ||
			    ms_rcache_u64(&c->rc, p + 16, &fd) < 0) {
				ms_coll_problem(c, "fastbin %d of arena %#llx: bad node %#llx", i,
						(unsigned long long)a->address, (unsigned long long)p);
				break;
			}
			if (brent_step(&b, p)) {
				ms_coll_problem(c, "fastbin %d of arena %#llx loops", i,
						(unsigned long long)a->address);
				break;
			}
			ms_bin_add(&a->fast[i], want);
			a->kind_bytes[MS_CK_FAST] += want;
			ms_coll_cache_add(c, p, want, MS_CK_FAST);
			p = reveal(c, p + 16, fd);
		}
	}
}

void ms_walk_unsorted(struct ms_coll *c, size_t ai)
{
	const unsigned char *st = c->state[ai];
	struct ms_arena_stat *a = &c->out->v[ai];
	uint64_t bin = a->address + ms_bin_at(&c->L, 1);
	uint64_t p = ms_st_u64(st, c->L.ms_bins), bound = list_bound(c);
	struct brent b = { .saved = 0, .power = 1 };
	for (uint64_t n = 0; p != bin; n++) {
		const struct ms_range *rg = ms_coll_range(c, p, MS_MINSIZE);
		uint64_t sz, fd;
		if (n >= bound || !rg || rg->arena != ai || (p & 15) ||
		    ms_rcache_u64(&c->rc, p + 8, &sz) < 0 || ms_rcache_u64(&c->rc, p + 16, &fd) < 0 ||
		    (sz & ~7ull) < MS_MINSIZE || !ms_coll_range(c, p, sz & ~7ull)) {
			ms_coll_problem(c, "unsorted bin of arena %#llx: bad node %#llx",
					(unsigned long long)a->address, (unsigned long long)p);
			return;
		}
		if (brent_step(&b, p)) {
			ms_coll_problem(c, "unsorted bin of arena %#llx loops", (unsigned long long)a->address);
			return;
		}
		ms_coll_cache_add(c, p, sz & ~7ull, MS_CK_UNSORTED);
		p = fd;
	}
}

/* Each thread's cached chunks: they sit in the heaps as in-use chunks, so
 * the walk counted them as in use; move them to tcache here. */
void ms_walk_tcaches(struct ms_coll *c)
{
	for (size_t t = 0; t < c->ntc; t++) {
		const struct ms_tcache_struct *ts = &c->tc[t];
		for (int i = 0; i < MS_TCACHE_BINS; i++) {
			uint64_t e = ts->entries[i], want = MS_MINSIZE + (uint64_t)i * MS_ALIGN, n;
			for (n = 0; e; n++) {
				const struct ms_range *rg = ms_coll_range(c, e - 16, want);
				uint64_t sz, next;
				if (n >= ts->counts[i] || !rg || (e & 15) ||
				    ms_rcache_u64(&c->rc, e - 8, &sz) < 0 || (sz & ~7ull) != want ||
				    ms_rcache_u64(&c->rc, e, &next) < 0) {
					ms_coll_problem(c, "tcache at %#llx bin %d: bad entry %#llx (%llu of %u)",
							(unsigned long long)ts->chunk, i, (unsigned long long)e,
							(unsigned long long)n, ts->counts[i]);
					break;
				}
				struct ms_arena_stat *a = &c->out->v[rg->arena];
				ms_bin_add(&a->tcache[i], want);
				a->kind_bytes[MS_CK_TCACHE] += want;
				a->kind_chunks[MS_CK_TCACHE]++;
				if (a->in_use_chunks) {   /* the walk may have stopped early */
					a->in_use_bytes -= want;
					a->in_use_chunks--;
				}
				ms_hist_add(&c->out->hist, 0, want, -1);
				ms_hist_add(&c->out->hist, 1, want, 1);
				a->free_resident_bytes += ms_resmap_resident(&c->res, e - 16, e - 16 + want);
				ms_coll_cache_add(c, e - 16, want, MS_CK_TCACHE);
				e = reveal(c, e, next);
			}
			if (!e && n != ts->counts[i])
				ms_coll_problem(c, "tcache at %#llx bin %d: %llu entries, count says %u",
						(unsigned long long)ts->chunk, i, (unsigned long long)n,
						ts->counts[i]);
		}
	}
}

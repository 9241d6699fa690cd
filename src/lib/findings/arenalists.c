/* The lists a heap walk cannot see: fastbin and tcache entries look in
 * use, unsorted chunks look like any free chunk, and nothing in a chunk
 * says whether the bins still link it.  Each list is followed on its own
 * (bounded, Brent's cycle check, both links of the doubly linked bins and
 * the large bins' nextsize ring, as glibc's own checks in _int_malloc and
 * unlink_chunk do); a bad node marks that list corrupt and keeps the
 * entries before it, so one poisoned list never hides the others.  After
 * the walk every entry is checked against the chunk boundaries the walk
 * found: an entry inside another chunk (a double free overlapping a free
 * or in-use chunk) is reported and counted once, in its container. */
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

static int cmp_range(const void *a, const void *b)
{
	const struct ms_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

void ms_coll_ranges_sort(struct ms_coll *c)
{
	if (c->nrng > 1)   /* no range: c->rng is NULL, qsort's is nonnull */
		qsort(c->rng, c->nrng, sizeof *c->rng, cmp_range);
}

const struct ms_range *ms_coll_range_search(struct ms_coll *c, uint64_t addr, uint64_t len)
{
	/* the last range starting at or below addr */
	size_t lo = ms_sorted_count_le(c->rng, c->nrng, sizeof *c->rng, offsetof(struct ms_range, start), addr);
	if (!lo)
		return NULL;
	const struct ms_range *r = &c->rng[lo - 1];
	if (addr + len < addr || addr + len > r->end)
		return NULL;
	c->rng_hint = lo - 1;
	return r;
}

static const char *list_name(int kind)
{
	switch (kind) {
	case MS_CK_TCACHE: return "tcache";
	case MS_CK_FAST: return "fastbin";
	case MS_CK_UNSORTED: return "unsorted bin";
	case MS_CK_SMALL: return "small bin";
	default: return "large bin";
	}
}

/* Mark list li corrupt at addr (the first reason is kept) and make the
 * snapshot inconsistent. */
static void list_bad(struct ms_coll *c, size_t li, uint64_t addr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void list_bad(struct ms_coll *c, size_t li, uint64_t addr, const char *fmt, ...)
{
	if (li == (size_t)-1)
		return;
	struct ms_list *l = &c->out->lists[li];
	if (!l->corrupt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(l->reason, sizeof l->reason, fmt, ap);
		va_end(ap);
		l->corrupt = 1;
		l->bad_address = addr;
		c->out->corrupt_lists++;
	}
	if (l->kind == MS_CK_UNSORTED)
		ms_coll_problem(c, "unsorted bin of %#llx: %s", (unsigned long long)l->owner, l->reason);
	else
		ms_coll_problem(c, "%s %u of %#llx: %s", list_name((int)l->kind), l->index,
				(unsigned long long)l->owner, l->reason);
}

/* Record a list entry: its code in the range's list map (which the walk
 * reads to classify the chunk) and the entry for ms_check_lists.  A chunk
 * already in a list is a double free: its second list is flagged and the
 * chunk counted once.  Returns -1 when the entry is not kept. */
static inline int cache_add(struct ms_coll *c, const struct ms_range *rg, uint64_t addr, uint64_t size,
		     size_t list, int kind)
{
	int code = kind == MS_CK_FAST ? MS_LISTED_FAST : kind == MS_CK_UNSORTED ? MS_LISTED_UNSORTED :
		   MS_LISTED_OTHER;
	if (ms_range_list_mark((struct ms_range *)rg, addr, code)) {
		list_bad(c, list, addr, "chunk %#llx is also in another free list (double free)",
			 (unsigned long long)addr);
		return -1;
	}
	if (c->ncache == c->capcache) {
		size_t cap = c->capcache ? c->capcache * 2 : 1024;
		void *nv = realloc(c->cache, cap * sizeof *c->cache);
		if (!nv)
			return -1;
		c->cache = nv;
		c->capcache = cap;
	}
	c->cache[c->ncache++] = (struct ms_cached){ addr, size, (uint32_t)list, (uint32_t)kind };
	/* counted now; ms_check_arena_lists recounts when the walk disagrees
	 * (tcache entries: by ms_check_lists, which moves them from in use) */
	if (kind != MS_CK_TCACHE && list != (size_t)-1) {
		c->out->lists[list].count++;
		c->out->lists[list].bytes += size;
	}
	return 0;
}

/* --- the walk's chunk map ----------------------------------------------- */

uint64_t ms_range_container(const struct ms_range *rg, uint64_t p)
{
	if (!rg->map || p <= rg->start || p >= rg->end)
		return 0;
	uint64_t k = (p - rg->start) / 16;
	/* the nibble of p itself is no chunk start (p is none): look below,
	 * at most 1 GiB (4 Mi words): a report, not worth a long scan */
	uint64_t lowest = k / 16 > (4u << 20) ? k / 16 - (4u << 20) : 0;
	for (uint64_t w = k / 16 + 1; w-- > lowest;) {
		uint64_t bits = rg->map[w] & MS_MAP_STARTS;
		if (w == k / 16)
			bits &= (k % 16) ? (1ull << (k % 16 * 4)) - 1 : 0;
		if (bits)
			return rg->start + (w * 16 + (uint64_t)(63 - __builtin_clzll(bits)) / 4) * 16;
	}
	return 0;
}

/* --- lists -------------------------------------------------------------- */

static size_t list_new(struct ms_coll *c, uint64_t owner, int kind, int index, uint64_t expected)
{
	struct ms_arenas *o = c->out;
	if (o->nlists == c->caplists) {
		size_t cap = c->caplists ? c->caplists * 2 : 64;
		void *nv = realloc(o->lists, cap * sizeof *o->lists);
		if (!nv)
			return (size_t)-1;
		o->lists = nv;
		c->caplists = cap;
	}
	o->lists[o->nlists] = (struct ms_list){ .owner = owner, .kind = (uint32_t)kind,
						.index = (uint32_t)index, .expected = expected,
						.entry0 = c->ncache };
	return o->nlists++;
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

/* Node bound: no list can hold more chunks than the heaps have room for. */
static uint64_t list_bound(const struct ms_coll *c)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < c->nrng; i++)
		bytes += c->rng[i].end - c->rng[i].start;
	return bytes / MS_MINSIZE + 1;
}

/* Where a list's nodes are read: the range the last node fell in and
 * the arena buffer's bytes over it, so that the next node (most often in
 * the same heap) costs two compares instead of a range and a buffer
 * look-up each -- once per node of every long list. */
struct node_view {
	const struct ms_range *rg;
	uint64_t lo, hi;                /* inside rg and inside one buffer region */
	const unsigned char *bytes;     /* the buffer's bytes at lo */
};

/* Node p with len bytes (>= 32: its header and links) inside a range:
 * that range, or NULL (as ms_coll_range); *d its bytes in the arena
 * buffer, NULL when they are not there (read them with ms_coll_words). */
static inline const struct ms_range *node_at(struct ms_coll *c, struct node_view *v, uint64_t p, uint64_t len,
					     const unsigned char **d)
{
	if (p >= v->lo && len <= v->hi - v->lo && p - v->lo <= v->hi - v->lo - len) {
		*d = v->bytes + (p - v->lo);
		return v->rg;
	}
	const struct ms_range *rg = ms_coll_range(c, p, len);
	*d = NULL;
	if (!rg)
		return NULL;
	const struct ms_remote_region *g = ms_coll_region(c, p);
	if (g) {
		uint64_t lo = rg->start > g->addr ? rg->start : g->addr;
		uint64_t hi = rg->end - g->addr < g->len ? rg->end : g->addr + g->len;
		*v = (struct node_view){ rg, lo, hi, (const unsigned char *)g->bytes + (lo - g->addr) };
		if (len <= hi - p)   /* p >= lo: p is in both */
			*d = v->bytes + (p - lo);
	}
	return rg;
}

/* Following a list: prefetch the node LIST_AHEAD steps on, guessed as
 * far past this node as the node LIST_AHEAD steps back lies before it.
 * Lists freed in address order (LIFO: descending, in a repeating pattern
 * of sizes) are otherwise one cache miss per node: without it the list
 * walks of bench/arenas's 64 arenas take twice the time.  A wrong guess
 * costs nothing: a prefetch never faults. */
#define LIST_AHEAD 16
struct list_prefetch {
	uint64_t back[LIST_AHEAD];
	unsigned n;
};

static inline void prefetch_next(const struct node_view *v, struct list_prefetch *pf, uint64_t node)
{
	uint64_t old = pf->back[pf->n % LIST_AHEAD];
	pf->back[pf->n % LIST_AHEAD] = node;
	if (pf->n++ < LIST_AHEAD)
		return;
	uint64_t guess = node + (node - old);
	if (guess >= v->lo && guess < v->hi)
		__builtin_prefetch(v->bytes + (guess - v->lo));
}

void ms_walk_fastbins(struct ms_coll *c, size_t ai)
{
	const unsigned char *st = c->state[ai];
	struct ms_arena_stat *a = &c->out->v[ai];
	uint64_t bound = list_bound(c);
	struct node_view view = { 0 };
	for (int i = 0; i < MS_NFASTBINS; i++) {
		uint64_t p = ms_st_u64(st, c->L.ms_fastbins + 8 * (size_t)i);
		if (!p)
			continue;
		size_t li = list_new(c, a->address, MS_CK_FAST, i, 0);
		uint64_t want = MS_MINSIZE + (uint64_t)i * MS_ALIGN;
		struct brent b = { .saved = 0, .power = 1 };
		struct list_prefetch pf = { .n = 0 };
		for (uint64_t n = 0; p; n++) {
			const unsigned char *d;
			const struct ms_range *rg = node_at(c, &view, p, want, &d);
			uint64_t w[2];
			if (n >= bound) {
				list_bad(c, li, p, "longer than the heaps can hold");
				break;
			}
			if (!rg || rg->arena != ai || (p & 15)) {
				list_bad(c, li, p, "node %#llx outside the arena's heaps", (unsigned long long)p);
				break;
			}
			if (d)
				memcpy(w, d + 8, sizeof w);
			else if (ms_coll_words(c, p + 8, 2, w) < 0) {
				list_bad(c, li, p, "node %#llx unreadable", (unsigned long long)p);
				break;
			}
			uint64_t sz = w[0], fd = w[1];
			if ((sz & ~7ull) != want) {
				list_bad(c, li, p, "node %#llx has size %#llx, not %llu", (unsigned long long)p,
					 (unsigned long long)sz, (unsigned long long)want);
				break;
			}
			if (brent_step(&b, p)) {
				list_bad(c, li, p, "loops back to %#llx", (unsigned long long)p);
				break;
			}
			if (cache_add(c, rg, p, want, li, MS_CK_FAST) < 0)
				break;
			p = reveal(c, p + 16, fd);
			prefetch_next(&view, &pf, p);
		}
	}
}

/* Size rule of bin i (1 unsorted: any chunk; small: its one size; large:
 * its size range). */
static int bin_size_ok(int i, uint64_t size)
{
	if (size < MS_MINSIZE || (size & 15))
		return 0;
	if (i == 1)
		return 1;
	return ms_bin_index(size) == i;
}

/* The large bin's nextsize ring: from its first chunk through
 * fd_nextsize, each node one of the bin's chunks, each bk_nextsize
 * pointing back, back to the first within count steps. */
static void nextsize_ring(struct ms_coll *c, size_t li, uint64_t first, uint64_t count)
{
	uint64_t p = first, prev = 0;
	for (uint64_t n = 0; n <= count; n++) {
		uint64_t fdn, bkn;
		if (ms_coll_u64(c, p + 32, &fdn) < 0 || ms_coll_u64(c, p + 40, &bkn) < 0) {
			list_bad(c, li, p, "nextsize links of %#llx unreadable", (unsigned long long)p);
			return;
		}
		if (prev && bkn != prev) {
			list_bad(c, li, p, "bk_nextsize of %#llx is %#llx, not %#llx", (unsigned long long)p,
				 (unsigned long long)bkn, (unsigned long long)prev);
			return;
		}
		if (!ms_coll_range(c, fdn, MS_MINSIZE) || (fdn & 15)) {
			list_bad(c, li, p, "fd_nextsize of %#llx is %#llx, outside the heaps", (unsigned long long)p,
				 (unsigned long long)fdn);
			return;
		}
		prev = p;
		p = fdn;
		if (p == first) {
			uint64_t bk0;
			if (ms_coll_u64(c, first + 40, &bk0) == 0 && bk0 != prev)
				list_bad(c, li, first, "bk_nextsize of %#llx is %#llx, not %#llx",
					 (unsigned long long)first, (unsigned long long)bk0, (unsigned long long)prev);
			return;
		}
	}
	list_bad(c, li, first, "nextsize ring does not close within the bin's %llu chunks",
		 (unsigned long long)count);
}

void ms_walk_bins(struct ms_coll *c, size_t ai)
{
	const unsigned char *st = c->state[ai];
	struct ms_arena_stat *a = &c->out->v[ai];
	uint64_t bound = list_bound(c);
	struct node_view view = { 0 };
	for (int i = 1; i < MS_NBINS - 1; i++) {
		uint64_t bin = a->address + ms_bin_at(&c->L, i);
		uint64_t p = ms_st_u64(st, c->L.ms_bins + (size_t)(i - 1) * 16);
		uint64_t last = ms_st_u64(st, c->L.ms_bins + (size_t)(i - 1) * 16 + 8);
		if (p == bin && last == bin)
			continue;
		int kind = i == 1 ? MS_CK_UNSORTED : i < 64 ? MS_CK_SMALL : MS_CK_LARGE;
		size_t li = list_new(c, a->address, kind, i, 0);
		struct brent b = { .saved = 0, .power = 1 };
		uint64_t prev = bin, n = 0, first = 0;
		int ok = 1;
		struct list_prefetch pf = { .n = 0 };
		for (; p != bin; n++) {
			const unsigned char *d;
			const struct ms_range *rg = node_at(c, &view, p, MS_MINSIZE, &d);
			uint64_t w[3];
			ok = 0;
			if (n >= bound) {
				list_bad(c, li, p, "longer than the heaps can hold");
				break;
			}
			if (!rg || rg->arena != ai || (p & 15)) {
				list_bad(c, li, p, "fd of %#llx is %#llx, outside the arena's heaps",
					 (unsigned long long)prev, (unsigned long long)p);
				break;
			}
			if (d)
				memcpy(w, d + 8, sizeof w);
			else if (ms_coll_words(c, p + 8, 3, w) < 0) {
				list_bad(c, li, p, "node %#llx unreadable", (unsigned long long)p);
				break;
			}
			uint64_t sz = w[0] & ~7ull, fd = w[1], bk = w[2];
			if (!bin_size_ok(i, sz) || sz > rg->end - p) {
				list_bad(c, li, p, "node %#llx has size %#llx, which does not belong in this bin",
					 (unsigned long long)p, (unsigned long long)sz);
				break;
			}
			if (bk != prev) {   /* glibc: "corrupted double-linked list" */
				list_bad(c, li, p, "bk of %#llx is %#llx, not %#llx (broken link)",
					 (unsigned long long)p, (unsigned long long)bk, (unsigned long long)prev);
				break;
			}
			if (brent_step(&b, p)) {
				list_bad(c, li, p, "loops back to %#llx", (unsigned long long)p);
				break;
			}
			ok = 1;
			if (!first)
				first = p;
			if (cache_add(c, rg, p, sz, li, kind) < 0) {
				ok = 0;
				break;
			}
			prefetch_next(&view, &pf, fd);
			prev = p;
			p = fd;
		}
		if (ok && last != prev)
			list_bad(c, li, bin, "the bin's bk is %#llx, its last chunk %#llx",
				 (unsigned long long)last, (unsigned long long)prev);
		if (ok && kind == MS_CK_LARGE && first)
			nextsize_ring(c, li, first, n);
	}
}

/* Each thread's cached chunks: validated entry by entry; where they sit
 * in the heaps is checked by ms_check_lists. */
void ms_walk_tcaches(struct ms_coll *c)
{
	for (size_t t = 0; t < c->ntc; t++) {
		const struct ms_tcache_struct *ts = &c->tc[t];
		for (int i = 0; i < MS_TCACHE_BINS; i++) {
			uint64_t e = ts->entries[i], want = MS_MINSIZE + (uint64_t)i * MS_ALIGN, n;
			if (!e && !ts->counts[i])
				continue;
			size_t li = list_new(c, ts->chunk, MS_CK_TCACHE, i, ts->counts[i]);
			int ok = 1;
			for (n = 0; e; n++) {
				const struct ms_range *rg = ms_coll_range(c, e - 16, want);
				uint64_t sz, next;
				ok = 0;
				if (n >= ts->counts[i]) {
					list_bad(c, li, e, "more entries than its count %u", ts->counts[i]);
					break;
				}
				if (!rg || (e & 15)) {
					list_bad(c, li, e, "entry %llu is %#llx, outside the heaps", (unsigned long long)n,
						 (unsigned long long)e);
					break;
				}
				if (ms_coll_u64(c, e - 8, &sz) < 0 || ms_coll_u64(c, e, &next) < 0) {
					list_bad(c, li, e, "entry %#llx unreadable", (unsigned long long)e);
					break;
				}
				if ((sz & ~7ull) != want) {
					list_bad(c, li, e, "entry %#llx has size %#llx, not %llu", (unsigned long long)e,
						 (unsigned long long)sz, (unsigned long long)want);
					break;
				}
				ok = 1;
				if (cache_add(c, rg, e - 16, want, li, MS_CK_TCACHE) < 0) {
					ok = 0;
					break;
				}
				e = reveal(c, e, next);
			}
			if (ok && n != ts->counts[i])
				list_bad(c, li, ts->chunk, "%llu entries, its count says %u", (unsigned long long)n,
					 ts->counts[i]);
		}
	}
}

static const char *state_name(int in_use)
{
	return in_use ? "in use" : "free";
}

/* Every entry from the from-th on against the walk: a chunk start of the
 * state its list implies (tcache and fastbin chunks look in use, bin
 * chunks free), in one list only (checked when listed).  Accepted entries
 * are counted in their list; tcache chunks move from in use to tcache
 * here (the walk saw them in use). */
void ms_check_lists(struct ms_coll *c, size_t from)
{
	struct ms_arenas *o = c->out;
	for (size_t k = from; k < c->ncache; k++) {
		const struct ms_cached *e = &c->cache[k];
		struct ms_list *l = &o->lists[e->list];
		const struct ms_range *rg = ms_coll_range(c, e->addr, e->size);
		if (!rg)
			continue;   /* checked by the list walk */
		int walked = rg->map && e->addr + 16 <= rg->walked_to, in_use = 0;
		int want_used = e->kind == MS_CK_TCACHE || e->kind == MS_CK_FAST;
		if (walked && !ms_range_is_start(rg, e->addr, &in_use)) {
			uint64_t in = ms_range_container(rg, e->addr), hdr = 0;
			int used = 0;
			ms_range_is_start(rg, in, &used);
			if (in)
				ms_coll_u64(c, in + 8, &hdr);
			list_bad(c, e->list, e->addr,
				 "entry %#llx lies inside the %s chunk at %#llx (%llu B): overlapping chunks",
				 (unsigned long long)e->addr, state_name(used), (unsigned long long)in,
				 (unsigned long long)(hdr & ~7ull));
			continue;
		}
		if (walked && in_use != want_used) {
			list_bad(c, e->list, e->addr, "entry %#llx is a chunk the heap shows %s",
				 (unsigned long long)e->addr, state_name(in_use));
			continue;
		}
		l->count++;
		l->bytes += e->size;
		if (e->kind != MS_CK_TCACHE)
			continue;
		struct ms_arena_stat *a = &o->v[rg->arena];
		int i = (int)l->index;
		ms_bin_add(&a->tcache[i], e->size);
		a->kind_bytes[MS_CK_TCACHE] += e->size;
		a->kind_chunks[MS_CK_TCACHE]++;
		if (walked) {   /* the walk counted it in use */
			a->in_use_bytes -= e->size;
			a->in_use_chunks--;
			a->in_use_resident_bytes -= ms_resmap_resident(&c->res, e->addr, e->addr + e->size);
			ms_hist_add(&o->hist, 0, e->size, -1);
		}
		ms_hist_add(&o->hist, 1, e->size, 1);
		a->free_resident_bytes += ms_resmap_resident(&c->res, e->addr, e->addr + e->size);
	}
}

void ms_check_arena_lists(struct ms_coll *c, size_t from, size_t lfrom)
{
	struct ms_arenas *o = c->out;
	if (c->listed_ok == c->ncache - from)
		return;
	for (size_t l = lfrom; l < o->nlists; l++)
		o->lists[l].count = o->lists[l].bytes = 0;
	ms_check_lists(c, from);
}

/* Each list's entries in list order: a list's entries were added to the
 * cache one after the other, before the next list began. */
void ms_keep_entries(struct ms_coll *c)
{
	struct ms_arenas *o = c->out;
	free(o->entries);
	o->entries = malloc((c->ncache ? c->ncache : 1) * sizeof *o->entries);
	for (size_t k = 0; k < o->nlists; k++) {
		size_t end = k + 1 < o->nlists ? o->lists[k + 1].entry0 : c->ncache;
		o->lists[k].nentries = o->entries && end >= o->lists[k].entry0 ? end - o->lists[k].entry0 : 0;
	}
	for (size_t k = 0; o->entries && k < c->ncache; k++)
		o->entries[k] = c->cache[k].addr;
}

int ms_hist_bucket(uint64_t size)
{
	return ms_hist_bucket_of(size);
}

uint64_t ms_hist_floor(int bucket)
{
	return bucket == 0 ? 0 : 32ull << (bucket - 1);
}

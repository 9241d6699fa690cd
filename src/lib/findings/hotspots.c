/* The hotspots analysis: see hotspots.h.  One pass over each log file;
 * hash tables keep sites, stacks and live pointers, so the cost per event
 * is a few probes (the goal is >= 20 M events/s). */
#include "findings/hotspots.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "findings/arenaheaps.h"
#include "records/hotcensus.h"
#include "records/hotlog_read.h"
#include "records/maps.h"
#include "probe/procfs.h"

/* ---- open addressing tables (linear probing, power-of-two sizes) ---- */
struct kv { uint64_t key; uint64_t val; };
struct table { struct kv *v; size_t cap, n; };

static inline uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static void tab_grow(struct table *t);

/* Find key; insert with val when absent.  Returns the slot.  Key 0 is
 * reserved (empty): callers never use it. */
static struct kv *tab_get(struct table *t, uint64_t key, uint64_t val, int *inserted)
{
	if ((t->n + 1) * 2 > t->cap)
		tab_grow(t);
	size_t m = t->cap - 1, i = mix(key) & m;
	for (;;) {
		struct kv *s = &t->v[i];
		if (s->key == key) {
			*inserted = 0;
			return s;
		}
		if (s->key == 0) {
			s->key = key;
			s->val = val;
			t->n++;
			*inserted = 1;
			return s;
		}
		i = (i + 1) & m;
	}
}

static struct kv *tab_find(const struct table *t, uint64_t key)
{
	if (!t->cap)
		return NULL;
	size_t m = t->cap - 1, i = mix(key) & m;
	for (;;) {
		struct kv *s = &t->v[i];
		if (s->key == key)
			return s;
		if (s->key == 0)
			return NULL;
		i = (i + 1) & m;
	}
}

/* Delete with backward shift: no tombstones, probes stay short. */
static void tab_del(struct table *t, struct kv *s)
{
	size_t m = t->cap - 1, i = (size_t)(s - t->v), j = i;
	for (;;) {
		j = (j + 1) & m;
		if (t->v[j].key == 0)
			break;
		size_t home = mix(t->v[j].key) & m;
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			t->v[i] = t->v[j];
			i = j;
		}
	}
	t->v[i].key = 0;
	t->v[i].val = 0;
	t->n--;
}

static void tab_grow(struct table *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 1024;
	struct kv *old = t->v;
	size_t ocap = t->cap;
	t->v = calloc(ncap, sizeof *t->v);
	if (!t->v) {
		perror("hotspots: out of memory");
		exit(2);
	}
	t->cap = ncap;
	t->n = 0;
	int ins;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key)
			tab_get(t, old[i].key, old[i].val, &ins);
	free(old);
}

static void tab_clear(struct table *t)
{
	free(t->v);
	memset(t, 0, sizeof *t);
}

static void *grow_array(void *v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return v;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *nv = realloc(v, n * elem);
	if (!nv) {
		perror("hotspots: out of memory");
		exit(2);
	}
	memset((char *)nv + *cap * elem, 0, (n - *cap) * elem);
	*cap = n;
	return nv;
}

/* ---- per-analysis state ---- */
struct live { uint64_t size, ticks; uint32_t site, thread, stack; };   /* stack UINT32_MAX: none */

struct priv {
	struct table sites;       /* (image, caller) -> site index + 1 */
	struct table stackidx;    /* (stream << 32 | id) -> global stack + 1, per image */
	struct table stackhash;   /* content hash -> global stack + 1 */
	struct table live;        /* ptr -> index in lives + 1, per image */
	struct live *lives;
	size_t nlives, lives_cap;
	uint32_t *free_lives;     /* recycled indexes into lives */
	size_t nfree, free_cap;
	size_t threads_cap, images_cap;
	uint32_t image;
	struct table streams;     /* stream + 1 -> thread index + 1, per image (a table:
				   * a stream number in a log may be anything) */
	struct table seqs;        /* block seq + 1 -> events of it in the .msl + 1, per image */
	uint32_t cur_thread;      /* the event's thread */
	const char *dir;          /* the log directory */
};

static uint32_t site_for(struct ms_hotspots *h, struct priv *pv, uint64_t caller)
{
	int ins;
	uint64_t key = mix(caller ^ ((uint64_t)pv->image << 48)) | 1;
	struct kv *s = tab_get(&pv->sites, key, 0, &ins);
	if (!ins && h->sites[s->val - 1].caller == caller && h->sites[s->val - 1].image == pv->image)
		return (uint32_t)(s->val - 1);
	if (!ins) {
		/* a hash collision between two sites: probe a linear search (rare) */
		for (size_t i = 0; i < h->nsites; i++)
			if (h->sites[i].caller == caller && h->sites[i].image == pv->image)
				return (uint32_t)i;
	}
	h->sites = grow_array(h->sites, &h->sites_cap, h->nsites + 1, sizeof *h->sites);
	struct ms_hs_site *st = &h->sites[h->nsites];
	st->image = pv->image;
	st->caller = caller;
	st->top_stack = UINT32_MAX;
	if (ins)
		s->val = h->nsites + 1;
	return (uint32_t)h->nsites++;
}

static uint32_t thread_for(struct ms_hotspots *h, struct priv *pv, uint32_t stream, uint32_t tid)
{
	int ins;
	struct kv *st = tab_get(&pv->streams, (uint64_t)stream + 1, 0, &ins);
	if (!ins)
		return (uint32_t)(st->val - 1);
	st->val = h->nthreads + 1;
	h->threads = grow_array(h->threads, &pv->threads_cap, h->nthreads + 1, sizeof *h->threads);
	struct ms_hs_thread *t = &h->threads[h->nthreads];
	t->image = pv->image;
	t->tid = tid;
	t->last_region = -1;
	t->last_alloc_site = UINT32_MAX;
	for (int k = 0; k < MS_HS_THREAD_REGIONS; k++)
		t->heap[k].region = MS_HS_NO_REGION;
	return (uint32_t)h->nthreads++;
}

static int32_t region_of(const struct ms_hs_image *im, struct ms_hs_thread *t, uint64_t ptr)
{
	if (t->last_region >= 0) {
		const struct ms_hs_region *r = &im->regions[t->last_region];
		if (ptr >= r->start && ptr < r->end)
			return t->last_region;
	}
	size_t lo = 0, hi = im->nregions;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ptr < im->regions[mid].start)
			hi = mid;
		else if (ptr >= im->regions[mid].end)
			lo = mid + 1;
		else
			return t->last_region = (int32_t)mid;
	}
	return -1;
}

static void thread_heap_add(struct ms_hs_thread *t, int32_t region, uint64_t bytes)
{
	for (int k = 0; k < MS_HS_THREAD_REGIONS; k++) {
		if (t->heap[k].region == region) {
			t->heap[k].bytes += bytes;
			return;
		}
		if (t->heap[k].region == MS_HS_NO_REGION) {
			t->heap[k].region = region;
			t->heap[k].bytes = bytes;
			return;
		}
	}
	t->heap_other_bytes += bytes;
}

static inline unsigned hist_class(uint64_t size)
{
	return size ? 64u - (unsigned)__builtin_clzll(size) : 0;
}

struct ctx { struct ms_hotspots *h; struct priv *pv; struct ms_hs_image *im; };

static void forget_live(struct priv *pv, struct ms_hotspots *h, uint64_t ptr, uint32_t thread)
{
	struct kv *s = tab_find(&pv->live, ptr);
	if (!s) {
		h->unknown_frees++;
		return;
	}
	uint32_t li = (uint32_t)(s->val - 1);
	struct live *l = &pv->lives[li];
	struct ms_hs_site *site = &h->sites[l->site];
	struct ms_hs_stack *st = l->stack < h->nstacks ? &h->stacks[l->stack] : NULL;
	site->frees++;
	if (st)
		st->frees++;
	struct ms_hs_thread *t = &h->threads[thread];
	if (t->last_alloc_ptr == ptr && t->last_alloc_site == l->site) {
		site->short_lived++;
		if (st)
			st->short_lived++;
	}
	t->last_alloc_ptr = 0;
	tab_del(&pv->live, s);
	pv->free_lives = grow_array(pv->free_lives, &pv->free_cap, pv->nfree + 1, sizeof *pv->free_lives);
	pv->free_lives[pv->nfree++] = li;
}

static void remember_live(struct priv *pv, uint64_t ptr, uint64_t size, uint64_t ticks, uint32_t site,
			  uint32_t thread, uint32_t stack)
{
	uint32_t li;
	if (pv->nfree) {
		li = pv->free_lives[--pv->nfree];
	} else {
		pv->lives = grow_array(pv->lives, &pv->lives_cap, pv->nlives + 1, sizeof *pv->lives);
		li = (uint32_t)pv->nlives++;
	}
	pv->lives[li] = (struct live){ size, ticks, site, thread, stack };
	int ins;
	struct kv *s = tab_get(&pv->live, ptr, li + 1, &ins);
	if (!ins) {
		/* allocated twice without a free in between: the free was lost
		 * (dropped block); the new allocation replaces it */
		pv->free_lives = grow_array(pv->free_lives, &pv->free_cap, pv->nfree + 1, sizeof *pv->free_lives);
		pv->free_lives[pv->nfree++] = (uint32_t)(s->val - 1);
		s->val = li + 1;
	}
}

static void on_stack(void *vctx, const struct ms_hl_block *b, uint32_t id, const uint64_t *frames, unsigned n)
{
	struct ctx *c = vctx;
	struct ms_hotspots *h = c->h;
	struct priv *pv = c->pv;
	uint64_t hash = 0xcbf29ce484222325ull ^ c->pv->image;
	for (unsigned i = 0; i < n; i++)
		hash = mix(hash ^ frames[i]);
	hash |= 1;
	int ins;
	struct kv *s = tab_get(&pv->stackhash, hash, 0, &ins);
	if (ins) {
		h->stacks = grow_array(h->stacks, &h->stacks_cap, h->nstacks + 1, sizeof *h->stacks);
		struct ms_hs_stack *st = &h->stacks[h->nstacks];
		st->image = pv->image;
		st->n = n;
		st->hash = hash;
		st->frames = malloc((n ? n : 1) * sizeof *st->frames);
		if (!st->frames) {
			perror("hotspots: out of memory");
			exit(2);
		}
		memcpy(st->frames, frames, n * sizeof *frames);
		s->val = ++h->nstacks;
	}
	uint64_t key = (((uint64_t)b->stream + 1) << 32) | id;
	struct kv *k = tab_get(&pv->stackidx, key, s->val, &ins);
	k->val = s->val;
}

/* Parts of an event, as the merge hands them over: a realloc's free part
 * comes at its own place in the order, before the rest. */
enum part { PART_WHOLE, PART_REALLOC_FREE, PART_REALLOC_REST };

static void handle_event(struct ctx *c, uint32_t stream, const struct ms_hl_event *ev, enum part part)
{
	struct ms_hotspots *h = c->h;
	struct priv *pv = c->pv;
	uint32_t ti = pv->cur_thread;
	int is_realloc = ev->op == MS_HL_OP_REALLOC || ev->op == MS_HL_OP_REALLOCARRAY;
	if (part == PART_REALLOC_FREE) {
		if (ev->old && (ev->ptr || ev->size == 0))
			forget_live(pv, h, ev->old, ti);
		return;
	}
	struct ms_hs_thread *t = &h->threads[ti];
	uint64_t caller = ev->caller;
	uint32_t stack = UINT32_MAX;
	if (ev->stack != UINT32_MAX) {
		struct kv *k = tab_find(&pv->stackidx, (((uint64_t)stream + 1) << 32) | ev->stack);
		if (k) {
			stack = (uint32_t)(k->val - 1);
			caller = h->stacks[stack].n ? h->stacks[stack].frames[0] : 0;
		} else {
			caller = 0;   /* its definition was in a lost block */
		}
	}
	/* a thread's allocations and frees mostly come from one site each:
	 * remember the last of each before hashing */
	int kind = ev->op == MS_HL_OP_FREE;
	uint32_t si;
	if (t->site_cache[kind] && t->site_cache_caller[kind] == caller) {
		si = t->site_cache[kind] - 1;
	} else {
		si = site_for(h, pv, caller);
		t->site_cache[kind] = si + 1;
		t->site_cache_caller[kind] = caller;
	}
	struct ms_hs_site *site = &h->sites[si];
	site->calls++;
	t->calls++;
	h->events++;
	c->im->events++;
	if (!t->first_ticks)
		t->first_ticks = ev->ticks;
	t->last_ticks = ev->ticks;
	if (stack != UINT32_MAX) {
		struct ms_hs_stack *st = &h->stacks[stack];
		st->calls++;
		if (ms_hl_op_allocates(ev->op))
			st->bytes += ev->size;
		if (st->calls > site->top_stack_calls) {
			site->top_stack_calls = st->calls;
			site->top_stack = stack;
		}
	}
	if (ev->op == MS_HL_OP_FREE) {
		h->frees++;
		t->frees++;
		if (ev->pair == 2 && ev->ptr && t->pair_ptr == ev->ptr) {
			/* the free of the malloc just before it: never in the table */
			h->sites[t->pair_site].frees++;
			h->sites[t->pair_site].short_lived++;
			if (t->pair_stack < h->nstacks) {
				h->stacks[t->pair_stack].frees++;
				h->stacks[t->pair_stack].short_lived++;
			}
			t->last_alloc_ptr = 0;
			t->pair_ptr = 0;
		} else if (ev->ptr) {
			forget_live(pv, h, ev->ptr, ti);
		}
		return;
	}
	if (is_realloc && part == PART_WHOLE && ev->old && (ev->ptr || ev->size == 0))
		forget_live(pv, h, ev->old, ti);
	if (is_realloc && ev->ptr == 0 && ev->size == 0) {
		h->frees++;
		t->frees++;
		return;
	}
	h->allocs++;
	t->allocs++;
	site->allocs++;
	if (stack != UINT32_MAX)
		h->stacks[stack].allocs++;
	h->bytes += ev->size;
	t->bytes += ev->size;
	site->bytes += ev->size;
	h->hist[hist_class(ev->size)]++;
	if (!ev->ptr)
		return;   /* the allocation failed */
	/* a malloc its thread frees with its next event (the decoder says so)
	 * stays out of the live table: no other thread can free or reuse the
	 * address in between; unless a lost free left the address live */
	if (ev->pair == 1 && !tab_find(&pv->live, ev->ptr)) {
		t->pair_ptr = ev->ptr;
		t->pair_site = si;
		t->pair_stack = stack;
	} else {
		t->pair_ptr = 0;
		remember_live(pv, ev->ptr, ev->size, ev->ticks, si, ti, stack);
	}
	t->last_alloc_ptr = ev->ptr;
	t->last_alloc_site = si;
	thread_heap_add(t, region_of(c->im, t, ev->ptr), ev->size);
}

/* ---- regions from maps snapshots ---- */
static void add_regions(struct ms_hs_image *im, const char *text, size_t len, size_t *cap)
{
	struct ms_maps maps = { 0 };
	struct ms_err e;
	ms_maps_parse(text, len, &maps, &e);   /* partial text still helps */
	struct ms_arena_heaps ah = { 0 };
	ms_arena_heaps_find(&maps, NULL, "", &ah);
	for (size_t i = 0; i < maps.n + ah.n; i++) {
		struct ms_hs_region r;
		if (i < maps.n) {
			if (strcmp(maps.v[i].path, "[heap]"))
				continue;
			r = (struct ms_hs_region){ maps.v[i].start, maps.v[i].end, MS_HS_REGION_MAIN };
		} else {
			const struct ms_arena_heap *a = &ah.v[i - maps.n];
			r = (struct ms_hs_region){ a->start, a->end, MS_HS_REGION_ARENA };
		}
		int merged = 0;
		for (size_t k = 0; k < im->nregions; k++)
			if (im->regions[k].start == r.start && im->regions[k].kind == r.kind) {
				if (r.end > im->regions[k].end)
					im->regions[k].end = r.end;   /* the brk heap grew */
				merged = 1;
			}
		if (!merged) {
			im->regions = grow_array(im->regions, cap, im->nregions + 1, sizeof *im->regions);
			im->regions[im->nregions++] = r;
		}
	}
	ms_arena_heaps_free(&ah);
	ms_maps_free(&maps);
}

static int cmp_region(const void *a, const void *b)
{
	const struct ms_hs_region *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* First pass over a file: process header, maps snapshots, thread names,
 * end record, tick calibration; regions are needed before events. */
static void scan_meta(struct ms_hotspots *h, struct ms_hs_image *im, const struct ms_hl_file *f)
{
	size_t off = 0, rcap = 0;
	struct ms_hl_rec rec;
	const unsigned char *pl;
	uint64_t skipped = 0;
	uint64_t first_ticks = 0, first_ns = 0, last_ticks = 0, last_ns = 0;
	const unsigned char *last_maps = NULL;
	size_t last_maps_len = 0;
	while (ms_hl_next_record(f->data, f->len, &off, &rec, &pl, &skipped)) {
		switch (rec.type) {
		case MS_HL_REC_PROCESS:
			if (rec.len >= sizeof(struct ms_hl_process)) {
				struct ms_hl_process p;
				memcpy(&p, pl, sizeof p);
				im->has_process = 1;
				im->pid = p.pid;
				im->ppid = p.ppid;
				im->forked = p.forked;
				im->flags = p.flags;
				im->stack_depth = p.stack_depth;
				free(im->exe);
				im->exe = strndup((const char *)pl + sizeof p, rec.len - sizeof p);
				if (!first_ns) {
					first_ns = p.mono_ns;
					first_ticks = p.ticks;
				}
			}
			break;
		case MS_HL_REC_MAPS:
			if (rec.len > 8) {
				add_regions(im, (const char *)pl + 8, rec.len - 8, &rcap);
				last_maps = pl + 8;
				last_maps_len = rec.len - 8;
				im->snapshots++;
			}
			break;
		case MS_HL_REC_EVENTS:
			if (rec.len >= sizeof(struct ms_hl_block)) {
				struct ms_hl_block b;
				memcpy(&b, pl, sizeof b);
				if (!first_ns) {
					first_ns = b.mono_ns;
					first_ticks = b.mono_ticks;
				}
				if (b.mono_ns > last_ns) {
					last_ns = b.mono_ns;
					last_ticks = b.mono_ticks;
				}
			}
			break;
		case MS_HL_REC_END:
			if (rec.len >= sizeof(struct ms_hl_end)) {
				memcpy(&im->end, pl, sizeof im->end);
				im->ended = 1;
			}
			break;
		default:
			break;
		}
	}
	im->skipped_bytes = skipped;
	h->skipped_bytes += skipped;
	if (last_maps) {
		im->maps = strndup((const char *)last_maps, last_maps_len);
		im->maps_len = last_maps_len;
	}
	if (im->nregions > 1)   /* a log without a maps record has none (NULL) */
		qsort(im->regions, im->nregions, sizeof *im->regions, cmp_region);
	im->t0_ticks = first_ticks;
	im->t0_ns = first_ns;
	im->ns_per_tick = last_ticks > first_ticks && last_ns > first_ns
				  ? (double)(last_ns - first_ns) / (double)(last_ticks - first_ticks)
				  : (double)(1u << MS_HL_TSHIFT);
}

/* An image stopped by the driver: the maps it saved then (DIR/maps-PID)
 * know the heaps made after the hook's last snapshot. */
static void maps_at_stop(struct ms_hs_image *im, const char *dir)
{
	char path[4096], *text = NULL;
	size_t len = 0, cap = im->nregions;
	struct ms_err e;
	snprintf(path, sizeof path, "%s/maps-%u", dir, im->pid);
	if (ms_read_file(path, &text, &len, 64u << 20, &e) < 0)
		return;
	add_regions(im, text, len, &cap);
	if (im->nregions)
		qsort(im->regions, im->nregions, sizeof *im->regions, cmp_region);
	free(text);
}

static void load_counts(struct ms_hotspots *h, struct priv *pv, const unsigned char *pl, size_t len)
{
	struct ms_hl_counts c;
	if (len < sizeof c)
		return;
	memcpy(&c, pl, sizeof c);
	if (c.nsites > (len - sizeof c) / sizeof(struct ms_hl_count_site))
		return;
	uint32_t ti = thread_for(h, pv, c.stream, c.tid);
	struct ms_hs_thread *t = &h->threads[ti];
	t->calls += c.calls;
	t->bytes += c.bytes;
	h->events += c.calls;
	h->bytes += c.bytes;
	h->images[pv->image].events += c.calls;
	for (int k = 0; k < 64; k++) {
		h->hist[k + 1] += c.hist[k];
		h->allocs += c.hist[k];
	}
	const struct ms_hl_count_site *cs = (const struct ms_hl_count_site *)(pl + sizeof c);
	for (uint32_t i = 0; i < c.nsites; i++) {
		struct ms_hl_count_site s;
		memcpy(&s, cs + i, sizeof s);
		if (!s.calls)
			continue;   /* an empty entry of a buffer's table */
		uint32_t si = site_for(h, pv, s.caller);
		h->sites[si].calls += s.calls;
		h->sites[si].bytes += s.bytes;
	}
	if (c.untracked) {
		uint32_t si = site_for(h, pv, 0);
		h->sites[si].calls += c.untracked;
	}
}

/* ---- merging the threads' blocks in order-stamp order ---- */

/* A run of events: a block of the .msl, or a buffer's tail. */
struct chunk {
	const unsigned char *pl;
	size_t   len, pos;         /* pos: order in the file, tails last */
	uint32_t stream, nevents;  /* nevents: the block's, or the slot's commit */
	uint32_t skip;             /* leading events the .msl already holds */
	uint32_t tail_dropped;     /* a tail's count of events lost before it */
};

struct src {
	struct chunk *c;
	size_t   nc, next;
	struct ms_hl_dec dec;
	int      active;
	uint32_t skip;
	struct ms_hl_event ev;
	enum part part;
	uint64_t key;
	uint32_t thread, stream;
};

struct merge {
	struct ctx *c;
	struct ms_hl_sink sink;
	int stacks;
};

/* The next event (part) of s into s->ev; 0 when s has no more. */
static int src_next(struct merge *m, struct src *s)
{
	struct ms_hs_image *im = m->c->im;
	struct ms_hotspots *h = m->c->h;
	if (s->part == PART_REALLOC_FREE) {
		s->part = PART_REALLOC_REST;
		s->key = 2 * s->ev.stamp + 1;
		return 1;
	}
	for (;;) {
		if (s->active && ms_hl_dec_next(&s->dec, &s->ev)) {
			if (s->skip) {
				s->skip--;
				continue;
			}
			/* hotlog.h "Order": at one stamp a free comes first */
			int realloc_ = s->ev.op == MS_HL_OP_REALLOC || s->ev.op == MS_HL_OP_REALLOCARRAY;
			if (realloc_) {
				s->part = PART_REALLOC_FREE;
				s->key = 2 * s->ev.stamp_free;
			} else {
				s->part = PART_WHOLE;
				s->key = 2 * s->ev.stamp + (s->ev.op != MS_HL_OP_FREE);
			}
			return 1;
		}
		if (s->active && s->dec.corrupt) {
			im->corrupt_blocks++;
			h->corrupt_blocks++;
		}
		s->active = 0;
		if (s->next >= s->nc)
			return 0;
		const struct chunk *ch = &s->c[s->next++];
		if (ms_hl_dec_init(&s->dec, ch->pl, ch->len, m->stacks, &m->sink) < 0) {
			im->corrupt_blocks++;
			h->corrupt_blocks++;
			continue;
		}
		s->dec.b.nevents = ch->nevents;
		im->dropped += ch->tail_dropped;
		s->skip = ch->skip;
		s->active = 1;
	}
}

static void sift_down(struct src **heap, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && heap[l]->key < heap[m]->key)
			m = l;
		if (r < n && heap[r]->key < heap[m]->key)
			m = r;
		if (m == i)
			return;
		struct src *t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

static int cmp_chunk(const void *a, const void *b)
{
	const struct chunk *x = a, *y = b;
	if (x->stream != y->stream)
		return x->stream < y->stream ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Every thread's events of one image, in the order the allocator saw
 * them (order stamps), through handle_event. */
static void merge_events(struct merge *m, struct chunk *chunks, size_t n)
{
	struct ms_hotspots *h = m->c->h;
	struct priv *pv = m->c->pv;
	if (n > 1)   /* no event block: chunks is NULL, qsort's is nonnull */
		qsort(chunks, n, sizeof *chunks, cmp_chunk);
	size_t nsrc = 0;
	for (size_t i = 0; i < n; i++)
		nsrc += !i || chunks[i].stream != chunks[i - 1].stream;
	struct src *srcs = calloc(nsrc ? nsrc : 1, sizeof *srcs);
	struct src **heap = calloc(nsrc ? nsrc : 1, sizeof *heap);
	if (!srcs || !heap) {
		perror("hotspots: out of memory");
		exit(2);
	}
	size_t k = 0, nheap = 0;
	for (size_t i = 0; i < n; k++) {
		size_t j = i;
		while (j < n && chunks[j].stream == chunks[i].stream)
			j++;
		struct src *s = &srcs[k];
		s->c = chunks + i;
		s->nc = j - i;
		s->stream = chunks[i].stream;
		s->part = PART_WHOLE;
		/* the thread: named by the first block's tid */
		struct ms_hl_block b;
		memcpy(&b, chunks[i].pl, sizeof b);
		s->thread = thread_for(h, pv, s->stream, b.tid);
		if (src_next(m, s))
			heap[nheap++] = s;
		i = j;
	}
	for (size_t i = nheap; i-- > 0;)
		sift_down(heap, nheap, i);
	while (nheap) {
		struct src *s = heap[0];
		pv->cur_thread = s->thread;
		handle_event(m->c, s->stream, &s->ev, s->part);
		if (!src_next(m, s))
			heap[0] = heap[--nheap];
		sift_down(heap, nheap, 0);
	}
	free(srcs);
	free(heap);
}

static void no_event(void *vctx, const struct ms_hl_block *b, const struct ms_hl_event *ev)
{
	(void)vctx; (void)b; (void)ev;
}

#define SEQ_COUNTS (1ull << 40)   /* seqs table: COUNTS records' keys */

/* The tails of an image's buffer file: each slot's committed events (or
 * counts) that the .msl does not hold (records/hotcensus.h
 * ms_hl_slot_tail reads a slot, for the census too). */
static void add_tails(struct ms_hotspots *h, struct priv *pv, struct ms_hs_image *im, const struct ms_hl_file *bf,
		      struct chunk **chunks, size_t *n, size_t *cap, size_t pos)
{
	for (size_t i = 0, nslots = ms_hl_slots(bf); i < nslots; i++) {
		struct ms_hl_tail t;
		enum ms_hl_tail_kind k = ms_hl_slot_tail(bf, i, &t);
		uint32_t ti;
		if (k == MS_HL_TAIL_NONE)
			continue;
		if (k == MS_HL_TAIL_DAMAGED) {
			im->corrupt_blocks++;
			h->corrupt_blocks++;
			continue;
		}
		if (k == MS_HL_TAIL_COUNTS) {
			if (!t.counts.calls || tab_find(&pv->seqs, SEQ_COUNTS | ((uint64_t)t.counts.seq + 1)))
				continue;
			load_counts(h, pv, t.payload, t.len);
			ti = thread_for(h, pv, t.counts.stream, t.counts.tid);
		} else {
			struct kv *seen = tab_find(&pv->seqs, (uint64_t)t.block.seq + 1);
			uint32_t skip = seen ? (uint32_t)(seen->val - 1) : 0;
			ti = thread_for(h, pv, t.block.stream, t.block.tid);
			if (t.nevents > skip) {
				*chunks = grow_array(*chunks, cap, *n + 1, sizeof **chunks);
				(*chunks)[(*n)++] = (struct chunk){ t.payload, t.len, pos + i, t.block.stream,
								    t.nevents, skip, seen ? 0 : t.block.dropped };
			}
		}
		/* the name the hook last saw, for a thread no record named */
		struct ms_hs_thread *th = &h->threads[ti];
		if (!th->name[0] && t.slot.name[0]) {
			memcpy(th->name, t.slot.name, sizeof th->name);
			th->name[15] = 0;
		}
	}
}

static void load_file(struct ms_hotspots *h, struct priv *pv, const struct ms_hl_file *f,
		      const struct ms_hl_file *bf, const struct ms_hs_query *q)
{
	struct ms_hs_image *im = &h->images[pv->image];
	scan_meta(h, im, f);
	if (!im->ended && im->has_process)
		maps_at_stop(im, pv->dir);
	if (im->flags & MS_HL_P_COUNT_ONLY)
		h->count_only = 1;
	if (im->flags & MS_HL_P_STACKS)
		h->stacks_on = 1;
	struct ctx c = { h, pv, im };
	struct merge m = { &c, { &c, no_event, on_stack }, (im->flags & MS_HL_P_STACKS) != 0 };
	struct chunk *chunks = NULL;
	size_t nchunks = 0, cap = 0;
	size_t off = 0;
	struct ms_hl_rec rec;
	const unsigned char *pl;
	uint64_t skipped = 0;
	while (ms_hl_next_record(f->data, f->len, &off, &rec, &pl, &skipped)) {
		if (rec.type == MS_HL_REC_EVENTS && rec.len >= sizeof(struct ms_hl_block)) {
			struct ms_hl_block b;
			memcpy(&b, pl, sizeof b);
			im->dropped += b.dropped;
			chunks = grow_array(chunks, &cap, nchunks + 1, sizeof *chunks);
			chunks[nchunks] = (struct chunk){ pl, rec.len, off, b.stream, b.nevents, 0, 0 };
			nchunks++;
			int ins;
			struct kv *sq = tab_get(&pv->seqs, (uint64_t)b.seq + 1, (uint64_t)b.nevents + 1, &ins);
			if (!ins && sq->val < (uint64_t)b.nevents + 1)
				sq->val = (uint64_t)b.nevents + 1;
		} else if (rec.type == MS_HL_REC_THREAD && rec.len >= sizeof(struct ms_hl_thread)) {
			struct ms_hl_thread tr;
			memcpy(&tr, pl, sizeof tr);
			uint32_t ti = thread_for(h, pv, tr.stream, tr.tid);
			memcpy(h->threads[ti].name, tr.name, sizeof tr.name);
			h->threads[ti].name[15] = 0;
		} else if (rec.type == MS_HL_REC_COUNTS && rec.len >= sizeof(struct ms_hl_counts)) {
			struct ms_hl_counts cn;
			memcpy(&cn, pl, sizeof cn);
			int ins;
			tab_get(&pv->seqs, SEQ_COUNTS | ((uint64_t)cn.seq + 1), 1, &ins);
			load_counts(h, pv, pl, rec.len);
		}
	}
	if (bf) {
		add_tails(h, pv, im, bf, &chunks, &nchunks, &cap, f->len);
		im->tails_read = 1;
	}
	merge_events(&m, chunks, nchunks);
	free(chunks);
	/* what is still live at the end of this image */
	for (size_t i = 0; i < pv->live.cap; i++) {
		if (!pv->live.v[i].key)
			continue;
		uint64_t ptr = pv->live.v[i].key;
		struct live *l = &pv->lives[pv->live.v[i].val - 1];
		h->sites[l->site].live_bytes += l->size;
		h->sites[l->site].live_allocs++;
		if (l->stack < h->nstacks) {
			h->stacks[l->stack].live_bytes += l->size;
			h->stacks[l->stack].live_allocs++;
		}
		im->live_at_end++;
		im->live_bytes_at_end += l->size;
		if (!q || (q->pid && q->pid != im->pid))
			continue;
		struct ms_hs_found it = { .found = 1, .image = pv->image, .site = l->site, .thread = l->thread,
					  .stack = l->stack < h->nstacks ? l->stack : UINT32_MAX, .ptr = ptr, .size = l->size, .ticks = l->ticks };
		uint64_t span = l->size ? l->size : 1;
		if (q->addr >= ptr && q->addr - ptr < span)
			h->found = it;
		for (size_t k = 0; q->addrs && k < q->naddrs; k++)
			if (q->addrs[k] >= ptr && q->addrs[k] - ptr < span)
				q->found[k] = it;
	}
	tab_clear(&pv->live);
	tab_clear(&pv->stackidx);
	tab_clear(&pv->streams);
	tab_clear(&pv->seqs);
	pv->nlives = pv->nfree = 0;
}

/* Names the driver read from /proc for threads alive when it stopped the
 * command ("PID TID NAME" lines): for threads no record named. */
static void read_comm(struct ms_hotspots *h, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/comm", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[256];
	for (int lines = 0; lines < 1000000 && fgets(line, sizeof line, f); lines++) {
		unsigned pid, tid;
		char name[16];
		if (sscanf(line, "%u %u %15[^\n]", &pid, &tid, name) != 3)
			continue;
		for (size_t i = 0; i < h->nthreads; i++) {
			struct ms_hs_thread *t = &h->threads[i];
			if (t->tid == tid && !t->name[0] && h->images[t->image].pid == pid)
				snprintf(t->name, sizeof t->name, "%s", name);
		}
	}
	fclose(f);
}

static void read_counters(struct ms_hotspots *h, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/counters", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	struct ms_hl_counters c;
	if (read(fd, &c, sizeof c) == (ssize_t)sizeof c && c.magic == MS_HL_COUNTERS_MAGIC) {
		h->have_counters = 1;
		h->counters_events = c.events;
		h->dropped = c.dropped;
		h->write_errors = c.write_errors;
		h->anon_slots = c.anon_slots;
		h->last_errno = c.last_errno;
	}
	close(fd);
}

/* Log files in order: by pid, then by sequence (exec()s). */
static int log_name_cmp(const void *a, const void *b)
{
	unsigned long pa = 0, sa = 0, pb = 0, sb = 0;
	sscanf(*(char *const *)a, "proc-%lu-%lu", &pa, &sa);
	sscanf(*(char *const *)b, "proc-%lu-%lu", &pb, &sb);
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return sa < sb ? -1 : sa > sb;
}

int ms_hotspots_load_query(const char *dir, const struct ms_hs_query *q, struct ms_hotspots *h,
			   struct ms_err *e)
{
	memset(h, 0, sizeof *h);
	if (q && q->addrs)
		memset(q->found, 0, q->naddrs * sizeof *q->found);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	DIR *d = opendir(dir);
	if (!d)
		return ms_err_set(e, errno, NULL, "give the directory a recording was written to",
				  "%s", dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (strncmp(de->d_name, "proc-", 5) || l < 9 || strcmp(de->d_name + l - 4, ".msl"))
			continue;
		names = grow_array(names, &cap, n + 1, sizeof *names);
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (!n) {
		free(names);
		return ms_err_set(e, 0, "no hotspots log (proc-*.msl) in it",
				  "record one with 'memsleuth hotspots --record-only --output DIR -- CMD'",
				  "%s", dir);
	}
	qsort(names, n, sizeof *names, log_name_cmp);
	struct priv *pv = calloc(1, sizeof *pv);
	h->priv = pv;
	h->images = calloc(n, sizeof *h->images);
	if (!pv || !h->images) {
		perror("hotspots: out of memory");
		exit(2);
	}
	read_counters(h, dir);
	pv->dir = dir;
	uint64_t block_dropped = 0, log_bytes = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct ms_hl_file f;
		struct ms_hs_image *im = &h->images[h->nimages];
		pv->image = (uint32_t)h->nimages++;
		im->file = names[i];
		struct ms_err fe;
		if (ms_hl_file_open(&f, path, &fe) < 0)
			continue;
		/* its buffer file: proc-PID-SEQ.buf */
		struct ms_hl_file bf;
		size_t pl = strlen(path);
		memcpy(path + pl - 3, "buf", 3);
		int have_bf = ms_hl_file_open(&bf, path, &fe) == 0;
		load_file(h, pv, &f, have_bf ? &bf : NULL, q);
		log_bytes += f.len;
		block_dropped += im->dropped;
		ms_hl_file_close(&f);
		if (have_bf)
			ms_hl_file_close(&bf);
	}
	free(names);
	read_comm(h, dir);
	if (log_bytes && h->skipped_bytes == log_bytes)   /* nothing intact: no report to make */
		return ms_err_set(e, 0, "no intact record in its log files (damaged, or not a hotspots log)",
				  "record again with 'memsleuth hotspots --record-only --output DIR -- CMD'",
				  "%s (%" PRIu64 " bytes)", dir, log_bytes);
	if (block_dropped > h->dropped)
		h->dropped = block_dropped;
	h->complete = h->dropped == 0 && h->skipped_bytes == 0 && h->corrupt_blocks == 0;
	for (size_t i = 0; i < h->nimages; i++) {
		const struct ms_hs_image *im = &h->images[i];
		/* an image that did not end by itself is complete when its
		 * buffers were read (version 2 logs), else it lost them */
		int buffers = im->tails_read && !h->anon_slots;
		if (!buffers && (!im->ended || im->end.reason == MS_HL_END_SIGNAL || im->end.threads_cut))
			h->complete = 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	h->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return 0;
}

void ms_hotspots_free(struct ms_hotspots *h)
{
	struct priv *pv = h->priv;
	if (pv) {
		tab_clear(&pv->sites);
		tab_clear(&pv->stackidx);
		tab_clear(&pv->stackhash);
		tab_clear(&pv->live);
		free(pv->lives);
		free(pv->free_lives);
		tab_clear(&pv->streams);
		tab_clear(&pv->seqs);
		free(pv);
	}
	for (size_t i = 0; i < h->nimages; i++) {
		free(h->images[i].file);
		free(h->images[i].exe);
		free(h->images[i].maps);
		free(h->images[i].regions);
	}
	for (size_t i = 0; i < h->nstacks; i++)
		free(h->stacks[i].frames);
	free(h->images);
	free(h->launch);
	free(h->threads);
	free(h->sites);
	free(h->stacks);
	memset(h, 0, sizeof *h);
}

/* ---- sorting for reports ---- */
static const struct ms_hotspots *sort_h;
static enum ms_hs_site_key sort_key;

uint64_t ms_hs_site_value(const struct ms_hs_site *s, enum ms_hs_site_key key)
{
	switch (key) {
	case MS_HS_BY_CALLS: return s->calls;
	case MS_HS_BY_BYTES: return s->bytes;
	case MS_HS_BY_LIVE:  return s->live_bytes;
	case MS_HS_BY_SHORT: return s->short_lived;
	}
	return 0;
}

uint64_t ms_hs_stack_value(const struct ms_hs_stack *st, enum ms_hs_site_key key)
{
	switch (key) {
	case MS_HS_BY_CALLS: return st->calls;
	case MS_HS_BY_BYTES: return st->bytes;
	case MS_HS_BY_LIVE:  return st->live_bytes;
	case MS_HS_BY_SHORT: return st->short_lived;
	}
	return 0;
}

static int cmp_site(const void *a, const void *b)
{
	uint64_t x = ms_hs_site_value(&sort_h->sites[*(const size_t *)a], sort_key);
	uint64_t y = ms_hs_site_value(&sort_h->sites[*(const size_t *)b], sort_key);
	if (x != y)
		return x > y ? -1 : 1;
	/* as many calls: the one allocating more first (a site of new and the
	 * site of its delete make as many calls) */
	x = sort_h->sites[*(const size_t *)a].bytes;
	y = sort_h->sites[*(const size_t *)b].bytes;
	if (x != y)
		return x > y ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

size_t *ms_hotspots_sites_sorted(const struct ms_hotspots *h, enum ms_hs_site_key key)
{
	size_t *idx = malloc((h->nsites ? h->nsites : 1) * sizeof *idx);
	if (!idx)
		return NULL;
	for (size_t i = 0; i < h->nsites; i++)
		idx[i] = i;
	sort_h = h;
	sort_key = key;
	qsort(idx, h->nsites, sizeof *idx, cmp_site);
	return idx;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct ms_hs_thread *x = &sort_h->threads[*(const size_t *)a];
	const struct ms_hs_thread *y = &sort_h->threads[*(const size_t *)b];
	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

size_t *ms_hotspots_threads_sorted(const struct ms_hotspots *h)
{
	size_t *idx = malloc((h->nthreads ? h->nthreads : 1) * sizeof *idx);
	if (!idx)
		return NULL;
	for (size_t i = 0; i < h->nthreads; i++)
		idx[i] = i;
	sort_h = h;
	qsort(idx, h->nthreads, sizeof *idx, cmp_thread);
	return idx;
}

int ms_hs_thread_main_region(const struct ms_hs_thread *t, uint64_t *bytes)
{
	int best = MS_HS_NO_REGION;
	uint64_t most = 0;
	for (int k = 0; k < MS_HS_THREAD_REGIONS; k++)
		if (t->heap[k].region != MS_HS_NO_REGION && t->heap[k].bytes > most) {
			most = t->heap[k].bytes;
			best = t->heap[k].region;
		}
	*bytes = most;
	return best;
}

double ms_hs_image_seconds(const struct ms_hs_image *im, uint64_t ticks)
{
	return ticks * im->ns_per_tick / 1e9;
}

double ms_hs_attach_imbalance(const struct ms_hotspots *h)
{
	uint64_t hi = h->allocs > h->frees ? h->allocs : h->frees;
	uint64_t lo = h->allocs > h->frees ? h->frees : h->allocs;
	return hi ? (double)(hi - lo) / (double)hi : 0;
}

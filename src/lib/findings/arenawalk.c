/* The streaming chunk walk of one heap range: headers are read from 1 MiB
 * windows (one process_vm_readv each), each chunk is classified when the
 * next header tells whether it is free, and runs of free chunks are
 * merged the way malloc_consolidate would before mtrim looks at them. */
#include "findings/arenas_int.h"

#include <stdlib.h>
#include <string.h>

struct walk {
	struct ms_coll *c;
	struct ms_range *rg;
	struct ms_arena_stat *a;
	size_t ai;
	uint64_t run_start, run_end;   /* current run of free chunks, 0 if none */
	size_t res_cursor;             /* ms_resmap_resident_from's, chunks in address order */
	int stop_emit;
	/* pins: in-use chunks since the last free stretch of pin_min bytes
	 * or more, and the free bytes below them (0: none yet) */
	uint64_t pin_min, pinned;
	struct ms_pin pins[MS_PINS_MAX];
	size_t npins;
	uint64_t pin_chunks, pin_bytes;
	/* per-chunk sums, added to the arena's and out's when the range ends
	 * (kept here rather than written through c->out for every chunk) */
	uint64_t chunks, in_use_bytes, in_use_chunks, in_use_resident, listed_ok;
	struct ms_hist *hist;
};

/* Make [addr, addr+need) readable from the window.  After a large chunk
 * the next ones are likely large too: read 64 KiB instead of 1 MiB so
 * that big in-use chunks are skipped, not copied. */
static int window_read(struct ms_coll *c, uint64_t addr, uint64_t need, uint64_t limit, uint64_t prev_size)
{
	uint64_t len = limit > addr ? limit - addr : 0;
	uint64_t max = prev_size >= (64u << 10) ? (64u << 10) : MS_WALK_WINDOW;
	if (len > max)
		len = max;
	if (len < need)
		len = need;
	uint64_t a, b;
	if (!ms_resmap_extent(&c->res, addr, addr, addr + len, &a, &b))
		return -1;   /* an untouched page cannot hold a chunk header */
	len = b - addr;
	/* an arena read into memory: point into it, copy nothing */
	const unsigned char *direct = ms_coll_direct(c, addr, len);
	if (direct) {
		c->winp = direct;
		c->win_start = addr;
		c->win_len = len;
		return c->win_len >= need ? 0 : -1;
	}
	ssize_t n = ms_remote_read(&c->r, addr, c->win, len);
	c->winp = c->win;
	c->win_start = addr;
	c->win_len = n > 0 ? (uint64_t)n : 0;
	return c->win_len >= need ? 0 : -1;
}

static inline int window(struct ms_coll *c, uint64_t addr, uint64_t need, uint64_t limit, uint64_t prev_size)
{
	if (addr >= c->win_start && addr + need <= c->win_start + c->win_len)
		return 0;
	return window_read(c, addr, need, limit, prev_size);
}

static uint64_t win_u64(const struct ms_coll *c, uint64_t addr)
{
	return ms_st_u64(c->winp, addr - c->win_start);
}

/* The run [run_start, run_end) of free chunks ends at an in-use chunk:
 * after consolidation it is one chunk in the unsorted bin, and mtrim
 * madvises its whole pages. */
static void close_run(struct walk *w)
{
	if (!w->run_start || w->c->emit_only)
		goto out;
	uint64_t from, to, run = w->run_end - w->run_start;
	ms_trim_span(w->run_start, w->run_end, w->c->page, &from, &to);
	if (to > from)
		w->a->trim_bytes += ms_resmap_resident(&w->c->res, from, to);
	/* a stretch big enough that glibc would trim it from a top: the
	 * in-use chunks after it are the pins; smaller runs add up */
	if (run >= w->pin_min) {
		w->pinned = run;
		w->npins = 0;
		w->pin_chunks = w->pin_bytes = 0;
	} else if (w->pinned) {
		w->pinned += run;
	}
out:
	w->run_start = w->run_end = 0;
}

/* A segment ends (fencepost): free memory below it can never join the
 * top, which lies in a later segment. */
static void pins_reset(struct walk *w)
{
	w->pinned = 0;
	w->npins = 0;
	w->pin_chunks = w->pin_bytes = 0;
}

static void pin_add(struct walk *w, uint64_t p, uint64_t size)
{
	if (!w->pinned)
		return;
	if (w->npins < MS_PINS_MAX)
		w->pins[w->npins++] = (struct ms_pin){ .address = p, .size = size, .pinned = w->pinned };
	w->pin_chunks++;
	w->pin_bytes += size;
}

/* What a chunk is, from its state and its list code. */
static inline int chunk_kind(int code, int is_free, uint64_t size)
{
	if (is_free)
		return code == MS_LISTED_UNSORTED ? MS_CK_UNSORTED : size < 1024 ? MS_CK_SMALL : MS_CK_LARGE;
	if (code == MS_LISTED_FAST)
		return MS_CK_FAST;
	if (code == MS_LISTED_OTHER)
		return MS_CK_TCACHE;   /* an in-use looking chunk in a list */
	return MS_CK_INUSE;
}

/* p is known now: free (from the next chunk's PREV_INUSE) or not.  Once
 * per chunk: inline in the walk's loop. */
static inline __attribute__((always_inline)) void
finish_inline(struct walk *w, uint64_t p, uint64_t size, unsigned flags, int is_free)
{
	struct ms_coll *c = w->c;
	if (c->emit_only) {
		int kind = chunk_kind(ms_range_list_code(w->rg, p), is_free, size);
		if (c->o->on_chunk && !w->stop_emit)
			w->stop_emit = c->o->on_chunk(c->o->on_chunk_arg, w->ai, p, size, flags, kind);
		return;
	}
	int code = ms_range_visit(w->rg, p, !is_free);
	int kind = chunk_kind(code, is_free, size);
	struct ms_arena_stat *a = w->a;
	w->chunks++;
	/* a listed chunk in the state its list implies (fastbin chunks look
	 * in use, bin chunks free; no tcache entry is listed yet) */
	if (code)
		w->listed_ok += (code == MS_LISTED_FAST) != is_free;
	if (kind == MS_CK_INUSE || kind == MS_CK_TCACHE) {
		/* tcache chunks are counted as in use here and moved by
		 * ms_check_lists, which knows them */
		if (w->run_start)
			close_run(w);
		if (w->pinned)
			pin_add(w, p, size);
		w->in_use_bytes += size;
		w->in_use_chunks++;
		w->in_use_resident += ms_resmap_resident_from(&c->res, &w->res_cursor, p, p + size);
		ms_hist_add(w->hist, 0, size, 1);
		return;
	}
	/* free, or a fastbin chunk (free to malloc_consolidate): the run grows */
	if (!w->run_start)
		w->run_start = p;
	w->run_end = p + size;
	ms_hist_add(w->hist, 1, size, 1);
	a->free_resident_bytes += ms_resmap_resident_from(&c->res, &w->res_cursor, p, p + size);
	if (kind == MS_CK_FAST) {
		uint64_t fi = (size - MS_MINSIZE) / MS_ALIGN;   /* fastbin_index */
		if (fi < MS_NFASTBINS)
			ms_bin_add(&a->fast[fi], size);
		a->kind_bytes[MS_CK_FAST] += size;
		a->kind_chunks[MS_CK_FAST]++;
		return;
	}
	int bin = kind == MS_CK_UNSORTED ? 1 : ms_bin_index(size);
	ms_bin_add(&a->bins[bin], size);
	a->kind_bytes[kind] += size;
	a->kind_chunks[kind]++;
	if (size > a->largest_free)
		a->largest_free = size;
}

static void finish(struct walk *w, uint64_t p, uint64_t size, unsigned flags, int is_free)
{
	finish_inline(w, p, size, flags, is_free);
}

/* An in-use chunk of the tcache_perthread_struct's size whose counts and
 * entries agree (count 0 <=> no entry, entries inside our heaps). */
static void tcache_candidate(struct ms_coll *c, uint64_t p, int first)
{
	size_t ts = c->L.tcache_struct_size;
	unsigned char buf[MS_TCACHE_BINS * 10];
	uint64_t a, b;
	if (p + 16 + ts <= c->win_start + c->win_len && p + 16 >= c->win_start)
		memcpy(buf, c->winp + (p + 16 - c->win_start), ts);
	else if (!ms_resmap_extent(&c->res, p + 16, p + 16, p + 16 + ts, &a, &b) || b < p + 16 + ts ||
		 ms_remote_read_exact(&c->r, p + 16, buf, ts) < 0)
		return;   /* glibc zeroes a tcache: all its pages hold data */
	struct ms_tcache_struct t = { .chunk = p };
	uint64_t maxc = c->out->mp.tcache_count ? c->out->mp.tcache_count : 65535;
	/* Shape first (count 0 <=> no entry, counts in range, entries
	 * aligned); entries outside the heaps are a poisoned list, flagged by
	 * the tcache walk -- unless most lists point out, which is not a
	 * tcache.  The arena's first chunk is always the struct (tcache_init
	 * allocates it first). */
	int inside = 0, outside = 0;
	for (int i = 0; i < MS_TCACHE_BINS; i++) {
		uint16_t n;
		if (c->L.tcache_count_size == 2)
			memcpy(&n, buf + 2 * i, 2);
		else
			n = buf[i];
		uint64_t ent;
		memcpy(&ent, buf + MS_TCACHE_BINS * c->L.tcache_count_size + 8 * i, 8);
		if ((n == 0) != (ent == 0) || n > maxc || (ent & 15))
			return;
		if (ent && ms_coll_range(c, ent - 16, 32))
			inside++;
		else if (ent)
			outside++;
		t.counts[i] = n;
		t.entries[i] = ent;
	}
	if (outside && outside > inside && !first)
		return;
	if (c->ntc == c->captc) {
		size_t cap = c->captc ? c->captc * 2 : 16;
		void *nv = realloc(c->tc, cap * sizeof *c->tc);
		if (!nv)
			return;
		c->tc = nv;
		c->captc = cap;
	}
	c->tc[c->ntc++] = t;
}

/* glibc records nowhere where the next segment of a non-contiguous main
 * heap starts (sysmalloc continues the heap past a foreign sbrk area, or
 * in mmapped memory when the break cannot move): the first 16-aligned
 * address in [from, top] whose chunk chain (PREV_INUSE set on the
 * segment's first chunk) reaches the top or the next fencepost exactly.
 * Untouched pages hold no header and are skipped whole; the work is
 * bounded by the gap (at most 256 MiB of it).  Returns 0 when none. */
static uint64_t seek_segment(struct ms_coll *c, uint64_t from, uint64_t top, uint64_t limit)
{
	/* a foreign area is what another sbrk user took: bounded at 256 MiB
	 * of scanning, and chain steps at a multiple of the gap */
	uint64_t budget = (top - from) / 4 + (1u << 20);
	for (uint64_t q = (from + 15) & ~15ull; q <= top && budget; q += 16, budget--) {
		if (q == top)
			return q;
		if (q - from > (256ull << 20))
			return 0;
		if (window(c, q, 16, limit, 0) < 0) {
			q = ((q + c->page) & ~(c->page - 1)) - 16;
			continue;
		}
		if (!(win_u64(c, q + 8) & 1))
			continue;
		uint64_t r = q;
		while (r < top && budget) {
			budget--;
			if (window(c, r, 16, limit, 0) < 0)
				break;
			uint64_t sz = win_u64(c, r + 8) & ~7ull;
			if (sz == 16 && r != q && r + 32 <= top && window(c, r + 16, 16, limit, 0) == 0 &&
			    (win_u64(c, r + 24) & ~7ull) == 16) {
				r = top;   /* the next segment's fenceposts */
				break;
			}
			if (sz < MS_MINSIZE || (sz & 15) || sz > top - r)
				break;
			r += sz;
		}
		if (r == top)
			return q;
	}
	return 0;
}

static void walk_range(struct walk *w)
{
	struct ms_coll *c = w->c;
	struct ms_range *rg = w->rg;
	struct ms_arena_stat *a = w->a;
	uint64_t top = a->top_address;
	uint64_t p = rg->start, pend = 0, pend_size = 0;
	unsigned pend_flags = 0;
	c->win_start = c->win_len = 0;
	w->pin_min = c->out->mp.trim_threshold ? c->out->mp.trim_threshold : 128u << 10;
	int top_here = top >= rg->start && top < rg->end;
	/* request2size(sizeof(tcache_perthread_struct)) */
	uint64_t tsz = (c->L.tcache_struct_size + 8 + 15) & ~15ull;
	if (rg->seek) {
		p = top_here ? seek_segment(c, rg->start, top, rg->end) : 0;
		if (!p) {
			ms_coll_problem(c, "main heap: no chunk chain in [%#llx, %#llx) reaches the top %#llx",
					(unsigned long long)rg->start, (unsigned long long)rg->end,
					(unsigned long long)top);
			rg->walked_to = rg->start;
			return;
		}
	}
	uint64_t first = p;
	/* each step advances by >= 16 bytes: the bound is never reached by a
	 * well-formed heap */
	for (uint64_t steps = (rg->end - rg->start) / 16 + 1; steps > 0; steps--) {
		rg->walked_to = p;
		if (p + 16 > rg->end) {
			if (pend)
				finish(w, pend, pend_size, pend_flags, 0);
			pend = 0;
			if (p != rg->end)
				ms_coll_problem(c, "heap walk at %#llx ran past the heap end %#llx",
						(unsigned long long)p, (unsigned long long)rg->end);
			break;
		}
		if (window(c, p, 16, rg->end, pend_size) < 0) {
			ms_coll_problem(c, "chunk header at %#llx unreadable", (unsigned long long)p);
			break;
		}
		uint64_t hdr = win_u64(c, p + 8), size = hdr & ~7ull;
		/* the headers follow each other in address order, but each
		 * next address depends on the size just read: the hardware
		 * sees the stream late.  A prefetch never faults. */
		__builtin_prefetch((const void *)((uintptr_t)c->winp + (p - c->win_start) + 4096));
		if (pend) {
			finish_inline(w, pend, pend_size, pend_flags, !(hdr & 1));
			if (pend_size == tsz && (hdr & 1) && !c->emit_only)
				tcache_candidate(c, pend, pend == first);
			pend = 0;
		}
		if (p == top) {
			/* a run reaching top would merge into it (consolidation) */
			uint64_t merged = w->run_start ? top - w->run_start : 0;
			rg->walked_to = top + 16;
			if (c->emit_only) {
				if (c->o->on_chunk && !w->stop_emit)
					c->o->on_chunk(c->o->on_chunk_arg, w->ai, p, size, (unsigned)(hdr & 7), MS_CK_TOP);
				return;
			}
			w->run_start = w->run_end = 0;
			c->out->chunks_walked++;
			ms_range_visit(rg, p, 0);
			if (a->is_main)
				a->segments++;
			/* overflow-safe: a corrupted size (0xfffffffffffffff1)
			 * must not pass as a huge top */
			if (size > rg->end - top) {
				ms_coll_problem(c, "top chunk %#llx has a size of %#llx, past its heap end %#llx",
						(unsigned long long)top, (unsigned long long)hdr,
						(unsigned long long)rg->end);
				return;
			}
			merged += size;
			a->top_bytes = size;
			a->kind_bytes[MS_CK_TOP] = size;
			a->kind_chunks[MS_CK_TOP] = 1;
			a->top_resident_bytes = ms_resmap_resident(&c->res, top, top + size);
			if (w->pinned && w->pin_chunks) {
				memcpy(a->pins, w->pins, sizeof w->pins);
				a->npins = w->npins;
				a->pin_chunks = w->pin_chunks;
				a->pin_bytes = w->pin_bytes;
				a->pinned_free_bytes = w->pinned;
			}
			/* systrim cuts only when the break is still at top's end
			 * (MORECORE(0) == top + size) */
			if (a->is_main && c->main_brk_end && top + size == c->main_brk_end) {
				uint64_t thp = c->out->mp.thp_pagesize;
				uint64_t extra = ms_systrim_extra(merged, thp && !(thp & (thp - 1)) ? thp : c->page);
				uint64_t end = top + size;
				a->top_at_brk = 1;
				if (extra > end - rg->start)
					extra = end - rg->start;
				a->trim_top_bytes = ms_resmap_resident(&c->res, end - extra, end);
				a->trim_bytes += a->trim_top_bytes;
			}
			return;
		}
		if (size == 16 || size == 0) {
			close_run(w);
			/* main heap: glibc closes an old top with two 16-byte
			 * fenceposts when the break moved under it; the heap
			 * continues in a later segment (sysmalloc) */
			if (a->is_main && size == 16 && p + 32 <= rg->end && window(c, p + 16, 16, rg->end, 0) == 0 &&
			    (win_u64(c, p + 24) & ~7ull) == 16) {
				if (!c->emit_only)
					a->segments++;
				pins_reset(w);
				rg->walked_to = p + 32;
				if (!top_here || top < p)
					return;   /* the top is in a later range */
				uint64_t next = seek_segment(c, p + 32, top, rg->end);
				if (!next) {
					ms_coll_problem(c, "main heap: no chunk chain after the fenceposts at %#llx reaches the top %#llx",
							(unsigned long long)p, (unsigned long long)top);
					return;
				}
				c->out->noncontiguous = 1;
				p = next;
				continue;
			}
			/* fencepost at the end of an arena heap that is not its
			 * last: the heap ends here */
			if (top_here)
				ms_coll_problem(c, "heap [%#llx, %#llx) ends at %#llx before its top chunk %#llx",
						(unsigned long long)rg->start, (unsigned long long)rg->end,
						(unsigned long long)p, (unsigned long long)top);
			return;
		}
		if (size < MS_MINSIZE || (size & 15) || size > rg->end - p) {
			ms_coll_problem(c, "chunk at %#llx has a size of %#llx that does not fit its heap [%#llx, %#llx)",
					(unsigned long long)p, (unsigned long long)hdr,
					(unsigned long long)rg->start, (unsigned long long)rg->end);
			close_run(w);
			return;
		}
		pend = p;
		pend_size = size;
		pend_flags = (unsigned)(hdr & 7);
		p += size;
	}
	close_run(w);
	if (top_here)
		ms_coll_problem(c, "walk of heap [%#llx, %#llx) did not reach its top chunk %#llx",
				(unsigned long long)rg->start, (unsigned long long)rg->end,
				(unsigned long long)top);
}

void ms_walk_range(struct ms_coll *c, struct ms_range *rg)
{
	struct walk w = { .c = c, .rg = rg, .a = &c->out->v[rg->arena], .ai = rg->arena,
			  .hist = &c->out->hist };
	walk_range(&w);
	c->out->chunks_walked += w.chunks;
	c->listed_ok += w.listed_ok;
	w.a->in_use_bytes += w.in_use_bytes;
	w.a->in_use_chunks += w.in_use_chunks;
	w.a->in_use_resident_bytes += w.in_use_resident;
}

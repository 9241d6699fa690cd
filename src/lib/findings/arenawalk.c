/* The streaming chunk walk of one heap range: headers are read from 1 MiB
 * windows (one process_vm_readv each), each chunk is classified when the
 * next header tells whether it is free, and runs of free chunks are
 * merged the way malloc_consolidate would before mtrim looks at them. */
#include "findings/arenas_int.h"

#include <stdlib.h>
#include <string.h>

struct walk {
	struct ms_coll *c;
	struct ms_arena_stat *a;
	size_t ai;
	uint64_t run_start, run_end;   /* current run of free chunks, 0 if none */
	int stop_emit;
};

/* Make [addr, addr+need) readable from the window.  After a large chunk
 * the next ones are likely large too: read 64 KiB instead of 1 MiB so
 * that big in-use chunks are skipped, not copied. */
static int window(struct ms_coll *c, uint64_t addr, uint64_t need, uint64_t limit, uint64_t prev_size)
{
	if (addr >= c->win_start && addr + need <= c->win_start + c->win_len)
		return 0;
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
	ssize_t n = ms_remote_read(&c->r, addr, c->win, len);
	c->win_start = addr;
	c->win_len = n > 0 ? (uint64_t)n : 0;
	return c->win_len >= need ? 0 : -1;
}

static uint64_t win_u64(const struct ms_coll *c, uint64_t addr)
{
	return ms_st_u64(c->win, addr - c->win_start);
}

/* The run [run_start, run_end) of free chunks ends at an in-use chunk:
 * after consolidation it is one chunk in the unsorted bin, and mtrim
 * madvises its whole pages. */
static void close_run(struct walk *w)
{
	if (!w->run_start || w->c->emit_only)
		goto out;
	uint64_t from, to;
	ms_trim_span(w->run_start, w->run_end, w->c->page, &from, &to);
	if (to > from)
		w->a->trim_bytes += ms_resmap_resident(&w->c->res, from, to);
out:
	w->run_start = w->run_end = 0;
}

/* p is known now: free (from the next chunk's PREV_INUSE) or not. */
static void finish(struct walk *w, uint64_t p, uint64_t size, int is_free)
{
	struct ms_coll *c = w->c;
	int kind = MS_CK_INUSE;
	if (is_free) {
		kind = size < 1024 ? MS_CK_SMALL : MS_CK_LARGE;
		if (c->ncache && ms_coll_cached(c, p) == MS_CK_UNSORTED)
			kind = MS_CK_UNSORTED;
	} else if (c->ncache && size <= MS_MINSIZE + (MS_TCACHE_BINS - 1) * MS_ALIGN) {
		/* fastbin or (in the listing pass) tcache sizes only */
		int k = ms_coll_cached(c, p);
		if (k == MS_CK_FAST || k == MS_CK_TCACHE)
			kind = k;
	}
	if (c->emit_only) {
		if (c->o->on_chunk && !w->stop_emit)
			w->stop_emit = c->o->on_chunk(c->o->on_chunk_arg, w->ai, p, size, kind);
		return;
	}
	struct ms_arena_stat *a = w->a;
	c->out->chunks_walked++;
	if (kind == MS_CK_FAST || is_free) {
		if (!w->run_start)
			w->run_start = p;
		w->run_end = p + size;
	} else {
		close_run(w);
	}
	if (kind == MS_CK_INUSE || kind == MS_CK_TCACHE) {
		/* tcache chunks are counted as in use here and moved by the
		 * tcache walk, which knows them */
		a->in_use_bytes += size;
		a->in_use_chunks++;
		ms_hist_add(&c->out->hist, 0, size, 1);
		return;
	}
	if (kind == MS_CK_FAST) {
		/* counted by the fastbin walk; here only the histogram */
		ms_hist_add(&c->out->hist, 1, size, 1);
		a->free_resident_bytes += ms_resmap_resident(&c->res, p, p + size);
		a->kind_chunks[MS_CK_FAST]++;   /* seen by the walk, checked later */
		return;
	}
	int bin = kind == MS_CK_UNSORTED ? 1 : ms_bin_index(size);
	ms_bin_add(&a->bins[bin], size);
	a->kind_bytes[kind] += size;
	a->kind_chunks[kind]++;
	if (size > a->largest_free)
		a->largest_free = size;
	ms_hist_add(&c->out->hist, 1, size, 1);
	a->free_resident_bytes += ms_resmap_resident(&c->res, p, p + size);
}

/* An in-use chunk of the tcache_perthread_struct's size whose counts and
 * entries agree (count 0 <=> no entry, entries inside our heaps). */
static void tcache_candidate(struct ms_coll *c, uint64_t p)
{
	size_t ts = c->L.tcache_struct_size;
	unsigned char buf[MS_TCACHE_BINS * 10];
	uint64_t a, b;
	if (p + 16 + ts <= c->win_start + c->win_len && p + 16 >= c->win_start)
		memcpy(buf, c->win + (p + 16 - c->win_start), ts);
	else if (!ms_resmap_extent(&c->res, p + 16, p + 16, p + 16 + ts, &a, &b) || b < p + 16 + ts ||
		 ms_remote_read_exact(&c->r, p + 16, buf, ts) < 0)
		return;   /* glibc zeroes a tcache: all its pages hold data */
	struct ms_tcache_struct t = { .chunk = p };
	uint64_t maxc = c->out->mp.tcache_count ? c->out->mp.tcache_count : 65535;
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
		if (ent && !ms_coll_range(c, ent - 16, 32))
			return;
		t.counts[i] = n;
		t.entries[i] = ent;
	}
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

void ms_walk_range(struct ms_coll *c, const struct ms_range *rg)
{
	struct walk w = { .c = c, .a = &c->out->v[rg->arena], .ai = rg->arena };
	struct ms_arena_stat *a = w.a;
	uint64_t top = a->top_address;
	uint64_t p = rg->start, pend = 0, pend_size = 0;
	c->win_start = c->win_len = 0;
	/* request2size(sizeof(tcache_perthread_struct)) */
	uint64_t tsz = (c->L.tcache_struct_size + 8 + 15) & ~15ull;
	/* each step advances by >= 16 bytes: the bound is never reached by a
	 * well-formed heap */
	for (uint64_t steps = (rg->end - rg->start) / 16 + 1; steps > 0; steps--) {
		if (p + 16 > rg->end) {
			if (pend)
				finish(&w, pend, pend_size, 0);
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
		if (pend) {
			finish(&w, pend, pend_size, !(hdr & 1));
			if (pend_size == tsz && (hdr & 1) && !c->emit_only)
				tcache_candidate(c, pend);
			pend = 0;
		}
		if (p == top) {
			/* a run reaching top would merge into it (consolidation) */
			uint64_t merged = w.run_start ? top + size - w.run_start : size;
			if (c->emit_only) {
				if (c->o->on_chunk && !w.stop_emit)
					c->o->on_chunk(c->o->on_chunk_arg, w.ai, p, size, MS_CK_TOP);
				return;
			}
			w.run_start = w.run_end = 0;
			c->out->chunks_walked++;
			a->top_bytes = size;
			a->kind_bytes[MS_CK_TOP] = size;
			a->kind_chunks[MS_CK_TOP] = 1;
			if (top + size > rg->end)
				ms_coll_problem(c, "top chunk %#llx size %#llx runs past its heap end %#llx",
						(unsigned long long)top, (unsigned long long)size,
						(unsigned long long)rg->end);
			a->top_resident_bytes = ms_resmap_resident(&c->res, top, top + size);
			if (a->is_main) {
				uint64_t thp = c->out->mp.thp_pagesize;
				uint64_t extra = ms_systrim_extra(merged, thp && !(thp & (thp - 1)) ? thp : c->page);
				uint64_t end = top + size;
				a->trim_top_bytes = ms_resmap_resident(&c->res, end - extra, end);
				a->trim_bytes += a->trim_top_bytes;
			}
			return;
		}
		if (size == 16 || size == 0) {
			/* fencepost at the end of an arena heap that is not its
			 * last: the heap ends here */
			close_run(&w);
			if (top >= rg->start && top < rg->end)
				ms_coll_problem(c, "heap [%#llx, %#llx) ends at %#llx before its top chunk %#llx",
						(unsigned long long)rg->start, (unsigned long long)rg->end,
						(unsigned long long)p, (unsigned long long)top);
			return;
		}
		if (size < MS_MINSIZE || (size & 15) || size > rg->end - p) {
			ms_coll_problem(c, "chunk at %#llx has a size of %#llx that does not fit its heap [%#llx, %#llx)",
					(unsigned long long)p, (unsigned long long)hdr,
					(unsigned long long)rg->start, (unsigned long long)rg->end);
			close_run(&w);
			return;
		}
		pend = p;
		pend_size = size;
		p += size;
	}
	close_run(&w);
	if (top >= rg->start && top < rg->end)
		ms_coll_problem(c, "walk of heap [%#llx, %#llx) did not reach its top chunk %#llx",
				(unsigned long long)rg->start, (unsigned long long)rg->end,
				(unsigned long long)top);
}

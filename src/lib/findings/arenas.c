/* ms_arenas_collect: identify the allocator, pick the layout, find the
 * arenas, then take snapshots (bounded retries) until one is consistent,
 * or two agree on the same damage: arena by arena its free lists
 * (fastbins, unsorted, small, large) and its heap walk, then the tcaches
 * the walk found, every list entry checked against the walk's chunk
 * boundaries.  With --stop the target is frozen for the snapshot and
 * always resumed. */
#include "findings/arenas.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "findings/allocator.h"
#include "findings/arenas_int.h"
#include "findings/tcacheowner.h"
#include "probe/core.h"
#include "probe/elfsym.h"
#include "probe/freeze.h"
#include "probe/procfs.h"
#include "probe/target.h"
#include "records/status.h"

const char *ms_chunk_kind_name(enum ms_chunk_kind k)
{
	static const char *const n[] = { "in_use", "tcache", "fast", "unsorted", "small", "large", "top" };
	return k < MS_CK__N ? n[k] : "?";
}

const char *ms_chunk_flags_str(unsigned flags, char buf[48])
{
	snprintf(buf, 48, "%s%s%s%s", flags & 1 ? "PREV_INUSE" : "", (flags & 1) && (flags & 6) ? "|" : "",
		 flags & 2 ? ((flags & 4) ? "IS_MMAPPED|" : "IS_MMAPPED") : "", flags & 4 ? "NON_MAIN_ARENA" : "");
	if (!buf[0])
		snprintf(buf, 48, "-");
	return buf;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of this process (user + system), ms: the --stop pause's own
 * cost, apart from waiting for a CPU on a loaded machine. */
static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int read_maps(pid_t pid, struct ms_maps *maps, struct ms_err *e)
{
	char *buf;
	size_t len;
	if (ms_proc_read(pid, "maps", &buf, &len, e) < 0)
		return -1;
	memset(maps, 0, sizeof *maps);
	int rc = ms_maps_parse(buf, len, maps, e);
	free(buf);
	return rc;
}

static int add_range(struct ms_coll *c, uint64_t start, uint64_t end, size_t arena, int seek)
{
	if (c->nrng == c->caprng) {
		size_t cap = c->caprng ? c->caprng * 2 : 16;
		void *nv = realloc(c->rng, cap * sizeof *c->rng);
		if (!nv)
			return -1;
		c->rng = nv;
		c->caprng = cap;
	}
	c->rng[c->nrng++] = (struct ms_range){ .start = start, .end = end, .arena = arena, .seek = seek };
	return 0;
}

/* Symbols from the libc's debug file: runtime = base + value - vaddr. */
static void symbols(const struct ms_libc *libc, uint64_t *arena, uint64_t *mp)
{
	struct ms_elfsym_query q[2] = { { .name = "main_arena" }, { .name = "mp_" } };
	uint64_t vaddr = 0;
	struct ms_err e;
	*arena = *mp = 0;
	if (ms_elfsym_lookup(libc->debuginfo, q, 2, &vaddr, &e) < 0)
		return;
	if (q[0].found)
		*arena = libc->libc_base + q[0].value - vaddr;
	if (q[1].found)
		*mp = libc->libc_base + q[1].value - vaddr;
}

static void read_mp(struct ms_coll *c, const unsigned char *m, uint64_t addr)
{
	const struct ms_glibc_layout *L = &c->L;
	struct ms_mp *p = &c->out->mp;
	int32_t n, nmax, nodyn;
	memcpy(&n, m + L->mp_n_mmaps, 4);
	memcpy(&nodyn, m + L->mp_no_dyn_threshold, 4);
	memcpy(&nmax, m + L->mp_n_mmaps_max, 4);
	*p = (struct ms_mp){
		.address = addr,
		.trim_threshold = ms_st_u64(m, L->mp_trim_threshold),
		.top_pad = ms_st_u64(m, L->mp_top_pad),
		.mmap_threshold = ms_st_u64(m, L->mp_mmap_threshold),
		.arena_test = ms_st_u64(m, L->mp_arena_test),
		.arena_max = ms_st_u64(m, L->mp_arena_max),
		.n_mmaps = n, .n_mmaps_max = nmax,
		.mmapped_mem = ms_st_u64(m, L->mp_mmapped_mem),
		.sbrk_base = ms_st_u64(m, L->mp_sbrk_base),
		.tcache_bins = ms_st_u64(m, L->mp_tcache_bins),
		.tcache_max_bytes = ms_st_u64(m, L->mp_tcache_max_bytes),
		.tcache_count = ms_st_u64(m, L->mp_tcache_count),
		.thp_pagesize = L->mp_thp_pagesize ? ms_st_u64(m, L->mp_thp_pagesize) : 0,
		.no_dyn_threshold = nodyn != 0,
	};
}

static void reset_attempt(struct ms_coll *c)
{
	struct ms_arenas *o = c->out;
	free(o->v);
	free(c->state);
	o->v = NULL;
	c->state = NULL;
	o->n = 0;
	memset(&o->total, 0, sizeof o->total);
	memset(&o->hist, 0, sizeof o->hist);
	o->chunks_walked = 0;
	o->inconsistency[0] = 0;
	o->nlists = o->corrupt_lists = 0;
	o->noncontiguous = 0;
	ms_big_free(c->maps, c->maps_len);
	c->maps = NULL;
	c->maps_len = 0;
	c->main_brk_end = 0;
	c->nrng = c->ncache = c->ntc = 0;
	c->bad = 0;
	ms_rcache_reset(&c->rc);
}

/* The arenas' ring from main_arena, each malloc_state read once. */
static int read_ring(struct ms_coll *c, uint64_t main_arena, size_t max, struct ms_err *e)
{
	struct ms_arenas *o = c->out;
	o->v = calloc(max, sizeof *o->v);
	c->state = calloc(max, sizeof *c->state);
	if (!o->v || !c->state)
		return ms_err_set(e, ENOMEM, NULL, NULL, "arena table");
	uint64_t a = main_arena;
	do {
		if (o->n == max) {
			ms_coll_problem(c, "arena ring longer than the %zu arenas found", max);
			break;
		}
		for (size_t k = 0; k < o->n; k++)
			if (o->v[k].address == a) {
				ms_coll_problem(c, "arena ring loops at %#llx", (unsigned long long)a);
				return 0;
			}
		if (ms_remote_read_exact(&c->r, a, c->state[o->n], c->L.ms_size) < 0) {
			if (errno == ESRCH)
				return ms_err_set(e, ESRCH, "exited during the walk", NULL, "process %d",
						  (int)o->pid);
			ms_coll_problem(c, "arena %#llx unreadable", (unsigned long long)a);
			break;
		}
		struct ms_arena_stat *s = &o->v[o->n];
		const unsigned char *st = c->state[o->n];
		s->address = a;
		s->is_main = a == main_arena;
		s->top_address = ms_st_u64(st, c->L.ms_top);
		s->system_mem = ms_st_u64(st, c->L.ms_system_mem);
		s->max_system_mem = ms_st_u64(st, c->L.ms_max_system_mem);
		s->attached_threads = ms_st_u64(st, c->L.ms_attached_threads);
		if (!s->is_main && !ms_arena_state_plausible(c, st, a)) {
			ms_coll_problem(c, "arena %#llx does not look like a malloc_state", (unsigned long long)a);
			break;
		}
		o->n++;
		a = ms_st_u64(st, c->L.ms_next);
	} while (a != main_arena);
	return 0;
}

static size_t arena_index(const struct ms_arenas *o, uint64_t a)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->v[i].address == a)
			return i;
	return (size_t)-1;
}

/* Heap ranges: main from sbrk_base to the end of top; others per heap,
 * past heap_info (and past malloc_state in the arena's first heap). */
static int build_ranges(struct ms_coll *c, const struct ms_maps *maps, const struct ms_arena_heaps *h)
{
	struct ms_arenas *o = c->out;
	for (size_t i = 0; i < o->n; i++) {
		struct ms_arena_stat *s = &o->v[i];
		if (!s->is_main)
			continue;
		/* malloc_init_state points top at the unsorted bin until the
		 * main arena first grows: no heap to walk yet */
		if (s->top_address == s->address + ms_bin_at(&c->L, 1))
			continue;
		uint64_t topsz;
		if (ms_remote_read_exact(&c->r, s->top_address + 8, &topsz, 8) < 0) {
			ms_coll_problem(c, "main arena top %#llx unreadable", (unsigned long long)s->top_address);
			continue;
		}
		/* overflow-safe: the top's size is checked by the walk */
		uint64_t start = (o->mp.sbrk_base + 15) & ~15ull, top = s->top_address;
		uint64_t end = (topsz & ~7ull) > UINT64_MAX - top ? UINT64_MAX : top + (topsz & ~7ull);
		const struct ms_mapping *m = ms_maps_find(maps, start), *tm = ms_maps_find(maps, top);
		if (!o->mp.sbrk_base || !m || !tm || top < start) {
			ms_coll_problem(c, "main arena's heap not found (sbrk_base %#llx, top %#llx): not walked",
					(unsigned long long)o->mp.sbrk_base, (unsigned long long)top);
			continue;
		}
		/* glibc's own record: set_noncontiguous when sysmalloc fell
		 * back to mmap (MORECORE failed).  A foreign sbrk leaves it
		 * clear: the walk finds that heap's fenceposts. */
		uint32_t flags;
		memcpy(&flags, c->state[i] + c->L.ms_flags, 4);
		int noncontig = (flags & MS_NONCONTIGUOUS_BIT) != 0;
		o->noncontiguous |= noncontig;
		s->heaps = 1;
		uint64_t hi;
		size_t ti;
		if (ms_main_heap_span(maps, start, top, &hi, &ti)) {
			/* one heap, in one or more adjacent mappings (a forked
			 * child's growth is a VMA of its own); segments past
			 * foreign sbrk areas are found by the walk from the
			 * fenceposts.  The break is where the brk mappings end:
			 * systrim needs it at the top's end.  A core names only
			 * the first of them [heap]; with glibc's heap contiguous
			 * the top's mapping is brk memory all the same. */
			tm = &maps->v[ti];
			if (!strcmp(tm->path, "[heap]") || (!noncontig && !strcmp(m->path, "[heap]")))
				c->main_brk_end = hi;
			s->reserved = hi - m->start;
			s->committed = s->reserved;
			add_range(c, start, end < hi ? end : hi, i, 0);
			continue;
		}
		if (!strcmp(tm->path, "[heap]"))
			c->main_brk_end = tm->end;
		/* The heap continues in another mapping, apart from the first
		 * (MORECORE failed: sysmalloc's mmap fallback): the brk part up
		 * to its fenceposts, then the mapping holding the top, its
		 * segment start sought. */
		s->heaps = 2;
		o->noncontiguous = 1;
		s->reserved = (m->end - m->start) + (tm->end - tm->start);
		s->committed = s->reserved;
		add_range(c, start, m->end, i, 0);
		add_range(c, tm->start, end < tm->end ? end : tm->end, i, 1);
	}
	for (size_t k = 0; k < h->n; k++) {
		const struct ms_arena_heap *hp = &h->v[k];
		size_t i = hp->verified ? arena_index(o, hp->ar_ptr) : (size_t)-1;
		if (i == (size_t)-1)
			continue;
		uint64_t start = hp->start + c->L.heap_info_size;
		if (hp->first) {
			start += c->L.ms_size;
			uint64_t mis = (start + 16) & 15;
			if (mis)
				start += 16 - mis;
		}
		o->v[i].heaps++;
		o->v[i].reserved += hp->end - hp->start;
		o->v[i].committed += hp->rw_end - hp->start;
		/* bound by the mapping, not heap_info.size: the heap may grow
		 * (grow_heap) between reading heap_info and walking it */
		add_range(c, start, hp->rw_end, i, 0);
	}
	ms_coll_ranges_sort(c);
	/* overlapping ranges (a heap's mapping claimed twice): keep the first */
	for (size_t k = 1; k < c->nrng; k++)
		if (c->rng[k].start < c->rng[k - 1].end) {
			ms_coll_problem(c, "heap ranges overlap at %#llx", (unsigned long long)c->rng[k].start);
			memmove(&c->rng[k], &c->rng[k + 1], (c->nrng - k - 1) * sizeof *c->rng);
			c->nrng--;
			k--;
		}
	/* The walk's chunk maps (4 bits per 16 bytes: 1/32 of the heaps'
	 * size), one zeroed allocation for every range: what is never marked
	 * is never touched.  Without the memory the walk goes on unchecked. */
	uint64_t words = 0;
	for (size_t k = 0; k < c->nrng; k++)
		words += ms_range_map_words(c->rng[k].start, c->rng[k].end);
	c->maps = ms_big_alloc(words * 8);
	c->maps_len = c->maps ? words * 8 : 0;
	for (size_t k = 0, off = 0; c->maps && k < c->nrng; k++) {
		c->rng[k].map = c->maps + off;
		off += ms_range_map_words(c->rng[k].start, c->rng[k].end);
	}
	return 0;
}

void ms_arenas_sum_totals(struct ms_arenas *o)
{
	struct ms_arena_stat *t = &o->total;
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < o->n; i++) {
		struct ms_arena_stat *s = &o->v[i];
		s->free_bytes = s->kind_bytes[MS_CK_TCACHE] + s->kind_bytes[MS_CK_FAST] +
				s->kind_bytes[MS_CK_UNSORTED] + s->kind_bytes[MS_CK_SMALL] +
				s->kind_bytes[MS_CK_LARGE];
		s->free_outside_largest = s->free_bytes > s->largest_free ? s->free_bytes - s->largest_free : 0;
		t->free_outside_largest += s->free_outside_largest;
		t->heaps += s->heaps;
		t->reserved += s->reserved;
		t->committed += s->committed;
		t->system_mem += s->system_mem;
		t->max_system_mem += s->max_system_mem;
		t->attached_threads += s->attached_threads;
		t->in_use_bytes += s->in_use_bytes;
		t->in_use_resident_bytes += s->in_use_resident_bytes;
		t->in_use_chunks += s->in_use_chunks;
		t->free_bytes += s->free_bytes;
		t->top_bytes += s->top_bytes;
		t->free_resident_bytes += s->free_resident_bytes;
		t->top_resident_bytes += s->top_resident_bytes;
		t->trim_bytes += s->trim_bytes;
		t->trim_top_bytes += s->trim_top_bytes;
		if (s->largest_free > t->largest_free)
			t->largest_free = s->largest_free;
		for (int k = 0; k < MS_CK__N; k++) {
			t->kind_bytes[k] += s->kind_bytes[k];
			t->kind_chunks[k] += s->kind_chunks[k];
		}
		struct { struct ms_bin_stat *from, *to; int n; } sets[] = {
			{ s->fast, t->fast, MS_NFASTBINS }, { s->bins, t->bins, MS_NBINS },
			{ s->tcache, t->tcache, MS_TCACHE_BINS } };
		for (size_t k = 0; k < 3; k++)
			for (int b = 0; b < sets[k].n; b++) {
				struct ms_bin_stat *f = &sets[k].from[b], *to = &sets[k].to[b];
				if (!f->count)
					continue;
				if (!to->count || f->min < to->min)
					to->min = f->min;
				if (f->max > to->max)
					to->max = f->max;
				to->count += f->count;
				to->bytes += f->bytes;
			}
	}
	o->trim_prediction_bytes = t->trim_bytes;
}

/* The walk and the lists must agree: every free chunk the walk found in
 * a kind is in a list of that kind (unless a list of it is already
 * flagged corrupt, which explains the difference). */
static void crosscheck_lists(struct ms_coll *c)
{
	struct ms_arenas *o = c->out;
	for (size_t i = 0; i < o->n; i++) {
		struct ms_arena_stat *s = &o->v[i];
		uint64_t listed[MS_CK__N] = { 0 };
		int corrupt[MS_CK__N] = { 0 };
		for (size_t k = 0; k < o->nlists; k++) {
			const struct ms_list *l = &o->lists[k];
			if (l->kind == MS_CK_TCACHE || l->owner != s->address)
				continue;
			int kind = l->kind == MS_CK_LARGE ? MS_CK_SMALL : (int)l->kind;
			listed[kind] += l->count;
			corrupt[kind] |= l->corrupt;
		}
		static const char *const what[MS_CK__N] = { [MS_CK_FAST] = "fastbins",
			[MS_CK_UNSORTED] = "the unsorted bin", [MS_CK_SMALL] = "small and large bins" };
		uint64_t walked[MS_CK__N] = { [MS_CK_FAST] = s->kind_chunks[MS_CK_FAST],
			[MS_CK_UNSORTED] = s->kind_chunks[MS_CK_UNSORTED],
			[MS_CK_SMALL] = s->kind_chunks[MS_CK_SMALL] + s->kind_chunks[MS_CK_LARGE] };
		for (int k = MS_CK_FAST; k <= MS_CK_SMALL; k++)
			if (!corrupt[k] && listed[k] != walked[k])
				ms_coll_problem(c, "arena %#llx: %llu chunks in %s, %llu found by the walk",
						(unsigned long long)s->address, (unsigned long long)listed[k], what[k],
						(unsigned long long)walked[k]);
	}
}

static int attempt(struct ms_coll *c, const struct ms_libc *libc, uint64_t sym_arena,
		   uint64_t sym_mp, struct ms_err *e)
{
	struct ms_arenas *o = c->out;
	struct ms_maps maps;
	struct ms_arena_heaps heaps;
	struct ms_libc_data d;
	reset_attempt(c);
	if (ms_remote_maps(&c->r, &maps, e) < 0)
		return -1;
	int rc = -1;
	memset(&heaps, 0, sizeof heaps);
	memset(&d, 0, sizeof d);
	if (ms_arena_heaps_find(&maps, &c->r, c->L.version, &heaps) < 0) {
		ms_err_set(e, ENOMEM, NULL, NULL, "arena heaps");
		goto out;
	}
	if (ms_libc_data_read(c, &maps, libc, &d) < 0) {
		if (!strcmp(c->r.ops->kind, "process"))
			ms_err_set(e, ESRCH, "libc's data is unreadable", "check that the process still runs",
				   "process %d", (int)o->pid);
		else
			ms_err_set(e, 0, "libc's data (main_arena, mp_) is not in the image",
				   "take the core with anonymous and file-backed private memory (docs/postmortem.md)",
				   "%s of process %d", c->r.ops->kind, (int)o->pid);
		goto out;
	}
	uint64_t heur = ms_locate_main_arena(c, &d, &heaps);
	uint64_t main_arena = sym_arena ? sym_arena : heur;
	o->heuristic_arena = heur;
	o->symbols_agree = sym_arena ? heur == sym_arena : -1;
	if (!main_arena) {
		/* a process creating its first threads links new arenas into
		 * the ring while we read it: worth another attempt */
		ms_err_set(e, 0, "main_arena not found in libc's data",
			   "install the libc debug symbols (libc6-dbg) or pass --assume-version if the version is wrong",
			   "process %d", (int)o->pid);
		rc = 1;
		goto out;
	}
	o->main_arena = main_arena;
	const struct ms_mapping *hm = NULL;
	for (size_t i = 0; i < maps.n && !hm; i++)
		if (!strcmp(maps.v[i].path, "[heap]"))
			hm = &maps.v[i];
	uint64_t mp = sym_mp ? sym_mp : ms_locate_mp(c, &d, hm ? hm->start : 0);
	if (sym_mp && hm && ms_locate_mp(c, &d, hm->start) != sym_mp)
		o->symbols_agree = 0;
	unsigned char mpbuf[256];
	if (!mp || ms_remote_read_exact(&c->r, mp, mpbuf, c->L.mp_size) < 0) {
		ms_err_set(e, 0, "mp_ (malloc parameters) not found in libc's data",
			   "install the libc debug symbols (libc6-dbg)", "process %d", (int)o->pid);
		goto out;
	}
	read_mp(c, mpbuf, mp);
	o->mmapped_chunks = o->mp.n_mmaps > 0 ? (uint64_t)o->mp.n_mmaps : 0;
	o->mmapped_bytes = o->mp.mmapped_mem;
	if (read_ring(c, main_arena, heaps.n + 1, e) < 0)
		goto out;
	build_ranges(c, &maps, &heaps);
	/* residency first: nothing of the heaps has been read yet */
	ms_resmap_reset(&c->res);
	for (size_t k = 0; k < c->nrng; k++)
		if (ms_resmap_add(&c->res, &c->r, c->rng[k].start, c->rng[k].end) < 0) {
			ms_err_set(e, ENOMEM, NULL, NULL, "residency map");
			goto out;
		}
	ms_resmap_sort(&c->res);
	/* arena by arena: its free lists (which the walk needs to tell
	 * fastbin and unsorted chunks), then its heaps, from one read, then
	 * its list entries checked against the walk while all of it is still
	 * in memory (and the entry table reused by the next arena) */
	for (size_t i = 0; i < o->n; i++) {
		struct ms_arena_buf ab;
		size_t from = c->ncache, lfrom = o->nlists;
		ms_arena_buffer(c, i, &ab);
		ms_walk_fastbins(c, i);
		ms_walk_bins(c, i);
		c->listed_ok = 0;
		for (size_t k = 0; k < c->nrng; k++)
			if (c->rng[k].arena == i)
				ms_walk_range(c, &c->rng[k]);
		ms_check_arena_lists(c, from, lfrom);
		/* the entries are counted: kept only to be listed */
		if (!c->o->list_entries)
			c->ncache = from;
		ms_arena_unbuffer(c, &ab);
	}
	size_t from = c->ncache;
	ms_walk_tcaches(c);
	ms_check_lists(c, from);
	ms_tcache_hold_find(c, from);
	crosscheck_lists(c);
	ms_find_mmapped(c, &maps);
	o->tcaches = c->ntc;
	rc = 0;
out:
	free(d.buf);
	ms_arena_heaps_free(&heaps);
	ms_maps_free(&maps);
	return rc;
}

/* Per tcache: the entries its lists hold (accepted entries of out->lists
 * whose owner is its tcache_perthread_struct chunk). */
static void tcache_use(struct ms_arenas *out)
{
	out->tcache_use = out->tcaches ? calloc(out->tcaches, sizeof *out->tcache_use) : NULL;
	for (size_t l = 0; out->tcache_use && l < out->nlists; l++) {
		const struct ms_list *li = &out->lists[l];
		if (li->kind != MS_CK_TCACHE)
			continue;
		for (size_t k = 0; k < out->tcaches; k++)
			if (out->tcache_chunk[k] == li->owner) {
				out->tcache_use[k].chunks += li->count;
				out->tcache_use[k].bytes += li->bytes;
				break;
			}
	}
}

static void emit_chunks(struct ms_coll *c)
{
	c->emit_only = 1;
	for (size_t k = 0; k < c->nrng; k++)
		ms_walk_range(c, &c->rng[k]);
	c->emit_only = 0;
}

static uint64_t rss_now(pid_t pid)
{
	char *buf;
	size_t len;
	struct ms_err e;
	struct ms_status st;
	if (ms_proc_read(pid, "status", &buf, &len, &e) < 0)
		return 0;
	memset(&st, 0, sizeof st);
	ms_status_parse(buf, len, &st);
	free(buf);
	return st.vm_rss;
}

/* Whether the identified libc is one whose arenas this reader walks:
 * 0 yes, 1 another allocator is in charge (out->allocator says which),
 * -1 with e set (static glibc, no glibc, 32-bit).  The same refusals for a
 * live process and a core. */
static int judge_libc(const struct ms_libc *libc, const char *what, const struct ms_arenas_opts *o,
		      struct ms_arenas *out, struct ms_err *e)
{
	snprintf(out->allocator, sizeof out->allocator, "%s", ms_allocator_name(libc->allocator));
	switch (libc->allocator) {
	case MS_ALLOC_GLIBC:
		break;
	case MS_ALLOC_JEMALLOC:
	case MS_ALLOC_TCMALLOC:
	case MS_ALLOC_MIMALLOC:
	case MS_ALLOC_MUSL:
		return 1;   /* a known allocator that is not glibc: a finding, not an error */
	case MS_ALLOC_GLIBC_STATIC:
		return ms_err_set(e, 0, "glibc is linked statically; its arenas are not located in that case",
				  "investigate a dynamically linked build of the program", "%s", what);
	case MS_ALLOC_UNKNOWN:
		if (!libc->libc_found && !libc->elf.has_interp)
			return ms_err_set(e, 0, "statically linked, no shared libc whose arenas could be located",
					  "investigate a dynamically linked build of the program", "%s", what);
		/* fall through */
	default:
		return ms_err_set(e, 0, "no glibc malloc found (an unknown allocator)",
				  "memsleuth arenas reads glibc's ptmalloc2 only", "%s", what);
	}
	if (libc->elf.elf_class != 64)
		return ms_err_set(e, 0, "a 32-bit process; only 64-bit layouts are supported",
				  "investigate a 64-bit build of the program", "%s", what);
	const char *v = libc->elf.glibc_version;
	if (o->assume_version && o->assume_version[0]) {
		out->version_assumed = 1;
		v = o->assume_version;
	}
	snprintf(out->glibc_version, sizeof out->glibc_version, "%s", v);
	return 0;
}

static int identify(pid_t pid, struct ms_libc *libc, struct ms_err *e)
{
	struct ms_target t;
	struct ms_maps maps;
	if (ms_target_open(pid, &t, e) < 0 || read_maps(pid, &maps, e) < 0)
		return -1;
	char *env = NULL;
	size_t envlen = 0;
	struct ms_err ee;
	if (ms_proc_read(pid, "environ", &env, &envlen, &ee) < 0)
		env = NULL;
	int rc = ms_libc_identify(&t, &maps, env, envlen, libc, e);
	free(env);
	ms_maps_free(&maps);
	return rc;
}

/* Whether an arena walked in the last attempt had its lock held (the
 * mutex, malloc_state's first word: 0 free, 1 held, 2 held with waiters;
 * glibc's lll_lock). */
static int arena_locked(const struct ms_coll *c)
{
	for (size_t k = 0; k < c->out->n; k++) {
		uint32_t mutex;
		memcpy(&mutex, c->state[k] + c->L.ms_mutex, 4);
		if (mutex)
			return 1;
	}
	return 0;
}

/* The walk over image r (not closed here), libc judged fit.  With
 * o->stop r is a live process, frozen for the snapshot and always resumed. */
static int collect(const struct ms_remote *r, const struct ms_libc *libc, const struct ms_arenas_opts *o,
		   struct ms_arenas *out, struct ms_err *e)
{
	out->glibc_in_charge = 1;
	out->residency = r->residency;
	snprintf(out->source, sizeof out->source, "%s", r->ops->kind);
	/* large: not on the stack */
	struct ms_coll *c = calloc(1, sizeof *c);
	if (!c)
		return ms_err_set(e, ENOMEM, NULL, NULL, "walker state");
	c->out = out;
	c->o = o;
	c->r = *r;
	c->page = r->page ? r->page : 4096;
	c->win = malloc(MS_WALK_WINDOW);
	int rc = -1;
	if (!c->win || ms_glibc_layout_for(out->glibc_version, &c->L, e) < 0)
		goto free_c;
	if (ms_rcache_init(&c->rc, &c->r, &c->res) < 0) {
		ms_err_set(e, ENOMEM, NULL, NULL, "read cache");
		goto free_c;
	}
	uint64_t sym_arena = 0, sym_mp = 0;
	if (!o->no_debuginfo && libc->has_debuginfo && !libc->debuginfo_ignored) {
		symbols(libc, &sym_arena, &sym_mp);
		out->debuginfo_used = sym_arena && sym_mp;
		if (!out->debuginfo_used)
			sym_arena = sym_mp = 0;
	}
	int tries = 1 + (o->stop ? MS_STOP_REFREEZES : (o->retries > 0 ? o->retries : 3));
	if (strcmp(r->ops->kind, "process"))
		tries = 1;   /* a core or a buffer does not change: one look */
	double t0 = 0, c0 = 0;
	if (o->stop) {
		if (ms_freeze(out->pid, e) < 0)
			goto close_all;
		out->stopped = 1;
		t0 = now_ms();
		c0 = cpu_ms();
	}
	char first[sizeof out->inconsistency] = "";
	for (int i = 0; i < tries; i++) {
		double w0 = now_ms();
		out->attempts = i + 1;
		int ar = attempt(c, libc, sym_arena, sym_mp, e);
		if (ar < 0 || (ar > 0 && i + 1 == tries))
			goto thaw;
		if (ar > 0) {
			struct timespec pause = { 0, 20 * 1000 * 1000 };
			nanosleep(&pause, NULL);
			continue;
		}
		out->walk_ms = now_ms() - w0;
		if (!c->bad)
			break;
		/* Frozen while a thread was inside malloc or free: that arena's
		 * lock is held and its lists may be mid-update (a chunk taken
		 * from one list, not yet in the next).  Let it run a moment and
		 * freeze again.  A frozen heap with every arena unlocked cannot
		 * change: damage then is damage. */
		if (o->stop) {
			if (i + 1 == tries || !arena_locked(c))
				break;
			ms_freeze_thaw();
			struct timespec run = { 0, 2 * 1000 * 1000 };
			nanosleep(&run, NULL);
			if (ms_freeze(out->pid, e) < 0) {
				out->stopped = 0;
				goto close_all;
			}
			out->refreezes++;
			continue;
		}
		/* the same damage twice: the heap is corrupted, more attempts
		 * would only repeat it; different damage: it is changing */
		if (first[0] && !strcmp(first, out->inconsistency)) {
			out->damage = MS_DAMAGE_CORRUPTED;
			break;
		}
		out->damage = first[0] ? MS_DAMAGE_CHANGING : MS_DAMAGE_CORRUPTED;
		snprintf(first, sizeof first, "%s", out->inconsistency);
	}
	if (!c->bad)
		out->damage = MS_DAMAGE_NONE;
	/* a frozen target cannot change under the walk */
	else if (o->stop)
		out->damage = MS_DAMAGE_CORRUPTED;
	out->snapshot_consistent = !c->bad;
	/* the figures cover what could be walked (the text's UNRELIABLE):
	 * the JSON says so the same way for a process and a core */
	out->partial = !out->snapshot_consistent;
	out->tcache_chunk = c->ntc ? malloc(c->ntc * sizeof *out->tcache_chunk) : NULL;
	for (size_t k = 0; out->tcache_chunk && k < c->ntc; k++)
		out->tcache_chunk[k] = c->tc[k].chunk;
	tcache_use(out);
	/* each thread's tcache: its thread pointer is readable while frozen */
	if (o->stop && out->tcache_chunk)
		ms_tcache_attribute(&c->r, libc, out);
	ms_tcache_hold_name(out);
	if (o->list_entries)
		ms_keep_entries(c);
	if (o->on_chunk)
		emit_chunks(c);
	rc = 0;
thaw:
	if (o->stop) {
		ms_freeze_thaw();
		out->stop_ms = now_ms() - t0;
		out->stop_cpu_ms = cpu_ms() - c0;
	}
	if (rc == 0) {
		ms_arenas_sum_totals(out);
		/* residency may have turned out unreadable on the first question */
		out->residency = c->r.residency;
	}
close_all:
	ms_rcache_free(&c->rc);
free_c:
	ms_big_free(c->maps, c->maps_len);
	ms_resmap_free(&c->res);
	free(c->state);
	free(c->rng);
	free(c->cache);
	free(c->tc);
	free(c->win);
	ms_arena_buffer_free(c);
	free(c->buf);
	free(c);
	if (rc < 0)
		ms_arenas_free(out);
	return rc;
}

int ms_arenas_collect(pid_t pid, const struct ms_arenas_opts *o, struct ms_arenas *out,
		      struct ms_err *e)
{
	memset(out, 0, sizeof *out);
	out->pid = pid;
	out->symbols_agree = -1;
	/* large (paths): not on the stack */
	struct ms_libc *libc = malloc(sizeof *libc);
	if (!libc)
		return ms_err_set(e, ENOMEM, NULL, NULL, "walker state");
	char what[32];
	snprintf(what, sizeof what, "process %d", (int)pid);
	struct ms_remote r;
	int rc = identify(pid, libc, e);
	if (rc == 0)
		rc = judge_libc(libc, what, o, out, e);
	if (rc == 0 && (rc = ms_remote_open(&r, pid, e)) == 0) {
		rc = collect(&r, libc, o, out, e);
		ms_remote_close(&r);
		if (rc == 0)
			out->rss_bytes = rss_now(pid);
		if (!o->stop)
			snprintf(out->tcache_attribution, sizeof out->tcache_attribution, "%s",
				 "not attributed: a live thread's thread pointer is not read without --stop (that would stop it)");
	}
	free(libc);
	return rc < 0 ? -1 : 0;
}

int ms_arenas_collect_image(struct ms_remote *r, const struct ms_libc *libc,
			    const struct ms_arenas_opts *o, struct ms_arenas *out, struct ms_err *e)
{
	memset(out, 0, sizeof *out);
	out->pid = r->pid;
	out->symbols_agree = -1;
	char what[64];
	if (ms_core_info(r))
		snprintf(what, sizeof what, "core of process %d", (int)r->pid);
	else
		snprintf(what, sizeof what, "%s image", r->ops ? r->ops->kind : "memory");
	int rc = judge_libc(libc, what, o, out, e);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	struct ms_arenas_opts one = *o;
	one.stop = 0;   /* nothing to freeze */
	const struct ms_core_info *ci = ms_core_info(r);
	if (ci) {
		ms_core_missing_text(ci, out->missing, sizeof out->missing);
		snprintf(out->command, sizeof out->command, "%s", ci->psargs);
	}
	if (collect(r, libc, &one, out, e) < 0) {
		if (!out->missing[0])
			return -1;
		/* a partial core: what stopped the reading is part of the
		 * answer, not an error */
		snprintf(out->inconsistency, sizeof out->inconsistency, "%s", e->msg);
		out->snapshot_consistent = 0;
	}
	out->partial = out->missing[0] || !out->snapshot_consistent;
	if (out->tcache_chunk)
		ms_tcache_attribute(r, libc, out);
	ms_tcache_hold_name(out);
	return 0;
}

void ms_arenas_free(struct ms_arenas *a)
{
	free(a->tcache_chunk);
	free(a->tcache_tid);
	free(a->tcache_use);
	a->tcache_chunk = NULL;
	a->tcache_tid = NULL;
	a->tcache_use = NULL;
	free(a->v);
	free(a->lists);
	free(a->mmapped);
	free(a->entries);
	a->entries = NULL;
	a->v = NULL;
	a->lists = NULL;
	a->mmapped = NULL;
	a->n = a->nlists = a->nmmapped = 0;
}

/* Finding main_arena and mp_ with no symbols.  Both are static objects in
 * libc's .data/.bss.  main_arena: its `next` ring leads from any non-main
 * arena into libc's data; in a single-threaded process the ring is the
 * arena alone (next == itself), and its empty bins point to themselves.
 * mp_: the malloc_par whose sbrk_base is the start of [heap] and whose
 * tunables are in their legal ranges. */
#include "findings/arenas_int.h"

#include <stdlib.h>
#include <string.h>

#include "findings/allocator.h"

#define MS_LIBC_DATA_MAX (8u << 20)

int ms_libc_data_read(struct ms_coll *c, const struct ms_maps *maps,
		      const struct ms_libc *libc, struct ms_libc_data *d)
{
	memset(d, 0, sizeof *d);
	size_t first = (size_t)-1, last = 0;
	for (size_t i = 0; i < maps->n; i++) {
		const struct ms_mapping *m = &maps->v[i];
		if (strcmp(m->path, libc->libc_path) || strcmp(m->perms, "rw-p"))
			continue;
		if (first == (size_t)-1)
			first = i;
		last = i;
	}
	if (first == (size_t)-1)
		return -1;
	/* the .bss continues in an anonymous mapping right after */
	if (last + 1 < maps->n && maps->v[last + 1].start == maps->v[last].end &&
	    maps->v[last + 1].path[0] == 0 && !strcmp(maps->v[last + 1].perms, "rw-p"))
		last++;
	d->start = maps->v[first].start;
	uint64_t len = maps->v[last].end - d->start;
	if (len > MS_LIBC_DATA_MAX)
		len = MS_LIBC_DATA_MAX;
	d->buf = malloc(len);
	if (!d->buf)
		return -1;
	ssize_t n = ms_remote_read(&c->r, d->start, d->buf, len);
	if (n <= 0) {
		free(d->buf);
		d->buf = NULL;
		return -1;
	}
	d->len = (size_t)n;
	return 0;
}

/* A malloc_state: small lock/flags, an aligned top, next aligned, and every
 * bin either empty in the only way glibc makes one (fd == bk == the bin:
 * malloc_init_state) or holding a list (fd and bk non-null, 16-aligned).
 * How many bins are empty says nothing: a fragmented arena has nearly all
 * of them in use (Ruby and Node arenas with 100-108 of 126 non-empty were
 * rejected when 32 empty bins were asked for, and the walk stopped there).
 * 126 pairs that each pass is what no other object in libc's data or a
 * heap does by chance; the lists themselves are checked by the walk. */
int ms_arena_state_plausible(const struct ms_coll *c, const unsigned char *st, uint64_t addr)
{
	uint32_t mutex, flags;
	memcpy(&mutex, st + c->L.ms_mutex, 4);
	memcpy(&flags, st + c->L.ms_flags, 4);
	uint64_t top = ms_st_u64(st, c->L.ms_top), next = ms_st_u64(st, c->L.ms_next);
	uint64_t sys = ms_st_u64(st, c->L.ms_system_mem);
	if (mutex > 2 || flags > 7 || !top || (top & 15) || !next || (next & 7) || sys > (1ull << 47))
		return 0;
	for (int i = 1; i < 127; i++) {
		uint64_t bin = addr + ms_bin_at(&c->L, i);
		uint64_t fd = ms_st_u64(st, c->L.ms_bins + (size_t)(i - 1) * 16);
		uint64_t bk = ms_st_u64(st, c->L.ms_bins + (size_t)(i - 1) * 16 + 8);
		if (fd == bin && bk == bin)
			continue;
		if (!fd || !bk || (fd & 15) || (bk & 15))
			return 0;
	}
	return 1;
}

static int in_data(const struct ms_libc_data *d, uint64_t a, uint64_t len)
{
	return a >= d->start && a + len <= d->start + d->len;
}

uint64_t ms_locate_main_arena(struct ms_coll *c, const struct ms_libc_data *d,
			      const struct ms_arena_heaps *h)
{
	size_t sz = c->L.ms_size;
	/* Several threads: follow the ring from a non-main arena. */
	for (size_t i = 0; i < h->n; i++) {
		if (!h->v[i].verified || !h->v[i].first)
			continue;
		uint64_t a = h->v[i].ar_ptr;
		for (size_t step = 0; step <= h->n + 1; step++) {
			if (in_data(d, a, sz)) {
				if (ms_arena_state_plausible(c, d->buf + (a - d->start), a))
					return a;
				break;
			}
			uint64_t next;
			if (ms_remote_read_exact(&c->r, a + c->L.ms_next, &next, 8) < 0)
				break;
			a = next;
		}
		break;
	}
	/* A malloc_state whose next points to itself (one arena) or to a
	 * known arena (the ring could not be followed from there). */
	for (size_t off = 0; off + sz <= d->len; off += 8) {
		uint64_t a = d->start + off, next = ms_st_u64(d->buf, off + c->L.ms_next);
		int known = next == a;
		/* a non-main arena sits at heap + sizeof(heap_info) */
		if (!known && (next & (MS_HEAP_MAX_SIZE - 1)) != c->L.heap_info_size)
			continue;
		for (size_t i = 0; i < h->n && !known; i++)
			known = h->v[i].verified && h->v[i].first && h->v[i].ar_ptr == next;
		if (!known)
			continue;
		if (ms_arena_state_plausible(c, d->buf + off, a))
			return a;
	}
	return 0;
}

uint64_t ms_locate_mp(const struct ms_coll *c, const struct ms_libc_data *d, uint64_t sbrk_base)
{
	const struct ms_glibc_layout *L = &c->L;
	for (size_t off = 0; off + L->mp_size <= d->len; off += 8) {
		const unsigned char *m = d->buf + off;
		if (ms_st_u64(m, L->mp_sbrk_base) != sbrk_base)
			continue;
		int32_t nmax;
		memcpy(&nmax, m + L->mp_n_mmaps_max, 4);
		uint64_t mmap_thr = ms_st_u64(m, L->mp_mmap_threshold);
		uint64_t test = ms_st_u64(m, L->mp_arena_test), max = ms_st_u64(m, L->mp_arena_max);
		uint64_t tbins = ms_st_u64(m, L->mp_tcache_bins), tcount = ms_st_u64(m, L->mp_tcache_count);
		uint64_t tmax = ms_st_u64(m, L->mp_tcache_max_bytes);
		if (ms_st_u64(m, L->mp_trim_threshold) > (1ull << 40) || ms_st_u64(m, L->mp_top_pad) > (1ull << 40) ||
		    mmap_thr > (32u << 20) || test == 0 || test > (1u << 20) || max > (1u << 20) ||
		    nmax < 0 || tbins > MS_TCACHE_BINS || tcount > 65535 || tmax > (1u << 20))
			continue;
		/* with no [heap] yet sbrk_base is 0: ask for the defaults' shape */
		if (!sbrk_base && (tbins != MS_TCACHE_BINS || !test))
			continue;
		return d->start + off;
	}
	return 0;
}

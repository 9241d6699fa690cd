#include "findings/arenaheaps.h"

#include <stdlib.h>
#include <string.h>

#include "probe/elf.h"

size_t ms_heap_info_size(const char *v)
{
	if (!v || !v[0])
		return 0;
	return ms_version_cmp(v, "2.35") >= 0 ? 48 : 32;
}

static int anon(const struct ms_mapping *m)
{
	return m->inode == 0 && m->path[0] == 0;
}

static int plausible(const struct ms_arena_heap *h, uint64_t hdr)
{
	uint64_t rw = h->rw_end - h->start;
	if (h->size < hdr || h->size > MS_HEAP_MAX_SIZE || h->mprotect_size > MS_HEAP_MAX_SIZE)
		return 0;
	if (h->size > rw || h->ar_ptr == 0 || (h->ar_ptr & 7))
		return 0;
	/* prev is NULL for a first heap, else another 64 MiB aligned heap */
	if (h->prev & (MS_HEAP_MAX_SIZE - 1))
		return 0;
	return 1;
}

int ms_arena_heaps_find(const struct ms_maps *maps, struct ms_remote *r,
			const char *glibc_version, struct ms_arena_heaps *out)
{
	memset(out, 0, sizeof *out);
	size_t hdr = ms_heap_info_size(glibc_version);
	size_t cap = 0;
	for (size_t i = 0; i < maps->n; i++) {
		const struct ms_mapping *m = &maps->v[i];
		if (!anon(m) || (m->start & (MS_HEAP_MAX_SIZE - 1)) || strcmp(m->perms, "rw-p"))
			continue;
		/* The kernel merges adjacent anonymous mappings of the same
		 * protection: a full heap directly below the next one of the
		 * same arena (new_heap places it there, at aligned_heap_area)
		 * shows as one rw-p mapping over both.  So each 64 MiB aligned
		 * piece of the mapping is a candidate, bounded by its size. */
		for (uint64_t base = m->start; base < m->end; base += MS_HEAP_MAX_SIZE) {
			uint64_t rw_end = m->end - base > MS_HEAP_MAX_SIZE ? base + MS_HEAP_MAX_SIZE : m->end;
			struct ms_arena_heap h = { .start = base, .rw_end = rw_end, .end = rw_end,
						   .map_rw = i, .map_none = (size_t)-1 };
			if (rw_end == m->end && i + 1 < maps->n) {
				const struct ms_mapping *n = &maps->v[i + 1];
				/* new_heap reserves exactly HEAP_MAX_SIZE: the PROT_NONE
				 * rest reaches base + 64 MiB (or beyond, when it merged
				 * with a neighbour).  Shorter ones are someone else's. */
				if (anon(n) && n->start == m->end && !strcmp(n->perms, "---p") &&
				    n->end >= base + MS_HEAP_MAX_SIZE) {
					h.map_none = i + 1;
					h.end = base + MS_HEAP_MAX_SIZE;   /* the PROT_NONE part may reach beyond */
				}
			}
			/* Without a PROT_NONE tail the heap must be exactly full size. */
			if (h.map_none == (size_t)-1 && h.rw_end - h.start != MS_HEAP_MAX_SIZE)
				continue;
			if (r) {
				uint64_t w[4];
				if (ms_remote_read_exact(r, h.start, w, sizeof w) == 0) {
					h.ar_ptr = w[0];
					h.prev = w[1];
					h.size = w[2];
					h.mprotect_size = w[3];
					if (!plausible(&h, hdr ? hdr : 32))
						continue;   /* readable but not a heap: someone else's 64 MiB */
					h.verified = 1;
					if (hdr)
						h.first = h.ar_ptr == h.start + hdr;
					else
						h.first = h.ar_ptr == h.start + 32 || h.ar_ptr == h.start + 48;
				} else if (base != m->start) {
					continue;   /* an unverified piece of a larger mapping: not claimed */
				}
			} else if (base != m->start) {
				continue;
			}
			if (out->n == cap) {
				cap = cap ? cap * 2 : 16;
				struct ms_arena_heap *nv = realloc(out->v, cap * sizeof *nv);
				if (!nv)
					return -1;
				out->v = nv;
			}
			out->v[out->n++] = h;
		}
	}
	out->all_verified = out->n > 0;
	for (size_t i = 0; i < out->n; i++) {
		if (!out->v[i].verified) {
			out->all_verified = 0;
			continue;
		}
		int seen = 0;
		for (size_t k = 0; k < i && !seen; k++)
			seen = out->v[k].verified && out->v[k].ar_ptr == out->v[i].ar_ptr;
		if (!seen)
			out->arenas++;
	}
	return 0;
}

void ms_arena_heaps_free(struct ms_arena_heaps *h)
{
	free(h->v);
	memset(h, 0, sizeof *h);
}

int ms_main_heap_span(const struct ms_maps *maps, uint64_t start, uint64_t top, uint64_t *hi, size_t *tm)
{
	const struct ms_mapping *m = ms_maps_find(maps, start);
	if (!m || top < start)
		return 0;
	size_t i = (size_t)(m - maps->v);
	while (top >= maps->v[i].end) {
		if (i + 1 >= maps->n)
			return 0;
		const struct ms_mapping *n = &maps->v[i + 1];
		if (n->start != maps->v[i].end || n->inode || strcmp(n->perms, "rw-p") ||
		    (n->path[0] && strcmp(n->path, "[heap]")))
			return 0;
		i++;
	}
	*hi = maps->v[i].end;
	*tm = i;
	return 1;
}

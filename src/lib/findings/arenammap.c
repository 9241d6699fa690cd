/* The mmapped chunks actually mapped, next to mp_'s counters (which count
 * what glibc did, not what is there: a program that munmaps a chunk itself,
 * or a fork's copy, makes them wrong).  sysmalloc_mmap gives each chunk a
 * page-aligned anonymous read-write mapping with the chunk at its start:
 * prev_size 0, size a multiple of the page with IS_MMAPPED as its only flag.
 * Neighbouring chunks may share one mapping (the kernel merges adjacent
 * anonymous mappings), so each candidate mapping is walked chunk by chunk.
 * Only resident header pages are read (reading an untouched page would map
 * the zero page into the target).  Not found: chunks from memalign with an
 * alignment correction (the chunk does not start the mapping). */
#include "findings/arenas_int.h"

#include <stdlib.h>
#include <string.h>

static int add(struct ms_arenas *o, size_t *cap, uint64_t addr, uint64_t size)
{
	if (o->nmmapped == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *nv = realloc(o->mmapped, nc * sizeof *o->mmapped);
		if (!nv)
			return -1;
		o->mmapped = nv;
		*cap = nc;
	}
	o->mmapped[o->nmmapped++] = (struct ms_mmapped){ addr, size };
	o->mmapped_found_bytes += size;
	return 0;
}

void ms_find_mmapped(struct ms_coll *c, const struct ms_maps *maps)
{
	struct ms_arenas *o = c->out;
	size_t cap = 0;
	uint64_t page = c->page;
	o->nmmapped = 0;
	o->mmapped_found_bytes = o->mmapped_resident_bytes = 0;
	for (size_t i = 0; i < maps->n; i++) {
		const struct ms_mapping *m = &maps->v[i];
		if (m->path[0] || strcmp(m->perms, "rw-p") || (m->start & (page - 1)) ||
		    ms_coll_range(c, m->start, 16))
			continue;
		/* bounded: every chunk is at least a page */
		for (uint64_t q = m->start, steps = 0; q + 16 <= m->end && steps < (m->end - m->start) / page;
		     steps++) {
			struct ms_resmap rm = { 0 };
			int present = ms_resmap_add(&rm, &c->r, q, q + page) == 0 &&
				      ms_resmap_resident(&rm, q, q + 16) > 0;
			ms_resmap_free(&rm);
			uint64_t h[2];
			if (!present || ms_remote_read_exact(&c->r, q, h, sizeof h) < 0)
				break;
			uint64_t size = h[1] & ~7ull;
			if (h[0] || (h[1] & 7) != MS_IS_MMAPPED || size < page || (size & (page - 1)) ||
			    size > m->end - q)
				break;
			if (add(o, &cap, q, size) < 0)
				return;
			struct ms_resmap whole = { 0 };
			if (ms_resmap_add(&whole, &c->r, q, q + size) == 0)
				o->mmapped_resident_bytes += ms_resmap_resident(&whole, q, q + size);
			ms_resmap_free(&whole);
			q += size;
		}
	}
}

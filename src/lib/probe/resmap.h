/* Which pages of a target's heaps are resident, captured from the memory
 * image (pagemap for a live process, holes for a core) BEFORE any of
 * their bytes are read.  Reading untouched (or madvised)
 * anonymous memory with process_vm_readv maps the shared zero page there,
 * which pagemap then reports as present: a second look would see memory
 * that is not in RSS.  So the walker reads only pages that hold data
 * (present or swapped) and asks this map, not pagemap, about residency.
 * Pages already mapped to the zero page (someone read untouched memory)
 * are told apart by PFN when PFNs are visible (root); without, they count
 * as resident.  Runs of equal state, sorted: memory O(runs), not O(pages). */
#ifndef MS_RESMAP_H
#define MS_RESMAP_H

#include <stddef.h>
#include <stdint.h>

/* ZERO: mapped to the shared zero page (readable, reads zeros, not RSS).
 * UNKNOWN: holds data, residency not recorded (a core with every page
 * written): counted as resident, an upper bound. */
enum { MS_PAGE_ABSENT = 0, MS_PAGE_PRESENT = 1, MS_PAGE_SWAPPED = 2, MS_PAGE_ZERO = 3,
       MS_PAGE_UNKNOWN = 4 };

struct ms_remote;

struct ms_res_run {
	uint64_t start, end;    /* page aligned */
	int      state;
};

struct ms_resmap {
	struct ms_res_run *v;
	size_t   n, cap;
	uint64_t page;
};

void ms_resmap_reset(struct ms_resmap *m);
void ms_resmap_free(struct ms_resmap *m);
/* Record the pages covering [start, end) as the image r knows them
 * (nothing when it knows nothing: r->residency MS_RES_NONE).  Ranges added
 * must not overlap; call ms_resmap_sort after the last one.  Returns 0 or
 * -1 (no memory). */
int  ms_resmap_add(struct ms_resmap *m, struct ms_remote *r, uint64_t start, uint64_t end);
/* For the images: append the run [start, end) in state (merged with the
 * previous run when they touch and agree).  0 or -1 (no memory). */
int  ms_resmap_push(struct ms_resmap *m, uint64_t start, uint64_t end, int state);
void ms_resmap_sort(struct ms_resmap *m);

/* Resident bytes of [start, end): PRESENT and UNKNOWN pages (addresses
 * outside the map count 0). */
uint64_t ms_resmap_resident(const struct ms_resmap *m, uint64_t start, uint64_t end);

/* The same for callers asking in address order (the chunk walk, once per
 * free chunk): *cursor (start it at 0) keeps the run last found, so that
 * the next question starts there instead of a binary search; a question
 * inside that run (most of them) is answered inline. */
uint64_t ms_resmap_resident_seek(const struct ms_resmap *m, size_t *cursor, uint64_t start, uint64_t end);
static inline uint64_t ms_resmap_resident_from(const struct ms_resmap *m, size_t *cursor, uint64_t start,
					       uint64_t end)
{
	const struct ms_res_run *r = *cursor < m->n ? &m->v[*cursor] : NULL;
	if (r && r->start <= start && end <= r->end && start <= end)
		return r->state == MS_PAGE_PRESENT || r->state == MS_PAGE_UNKNOWN ? end - start : 0;
	return ms_resmap_resident_seek(m, cursor, start, end);
}

/* The readable stretch (present or swapped pages, or outside the map)
 * around addr, clipped to [lo, hi): *a..*b.  Returns 0 when addr's page is
 * untouched (nothing may be read there), 1 otherwise. */
int ms_resmap_extent(const struct ms_resmap *m, uint64_t addr, uint64_t lo, uint64_t hi,
		     uint64_t *a, uint64_t *b);

#endif

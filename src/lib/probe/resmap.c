#include "probe/resmap.h"

#include <stdlib.h>

#include "probe/remote.h"

void ms_resmap_reset(struct ms_resmap *m)
{
	m->n = 0;
}

void ms_resmap_free(struct ms_resmap *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

int ms_resmap_push(struct ms_resmap *m, uint64_t start, uint64_t end, int state)
{
	if (m->n && m->v[m->n - 1].end == start && m->v[m->n - 1].state == state) {
		m->v[m->n - 1].end = end;
		return 0;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		void *nv = realloc(m->v, cap * sizeof *m->v);
		if (!nv)
			return -1;
		m->v = nv;
		m->cap = cap;
	}
	m->v[m->n++] = (struct ms_res_run){ start, end, state };
	return 0;
}

int ms_resmap_add(struct ms_resmap *m, struct ms_remote *r, uint64_t start, uint64_t end)
{
	m->page = r->page;
	if (!r->ops || !r->ops->residency || r->residency == MS_RES_NONE)
		return 0;
	return r->ops->residency(r, m, start, end);
}

static int cmp_run(const void *x, const void *y)
{
	const struct ms_res_run *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

void ms_resmap_sort(struct ms_resmap *m)
{
	if (m->n > 1)   /* no run: m->v is NULL, qsort's is nonnull */
		qsort(m->v, m->n, sizeof *m->v, cmp_run);
}

/* Index of the first run ending after addr. */
static size_t first_after(const struct ms_resmap *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint64_t resident_in(const struct ms_resmap *m, size_t i, uint64_t start, uint64_t end)
{
	uint64_t total = 0;
	for (; i < m->n && m->v[i].start < end; i++) {
		if (m->v[i].state != MS_PAGE_PRESENT && m->v[i].state != MS_PAGE_UNKNOWN)
			continue;
		uint64_t a = m->v[i].start > start ? m->v[i].start : start;
		uint64_t b = m->v[i].end < end ? m->v[i].end : end;
		total += b - a;
	}
	return total;
}

uint64_t ms_resmap_resident(const struct ms_resmap *m, uint64_t start, uint64_t end)
{
	return resident_in(m, first_after(m, start), start, end);
}

uint64_t ms_resmap_resident_seek(const struct ms_resmap *m, size_t *cursor, uint64_t start, uint64_t end)
{
	size_t i = *cursor;
	/* a few runs forward from the last one, else search */
	for (int k = 0; i < m->n && m->v[i].end <= start && k < 4; k++)
		i++;
	if (i >= m->n || m->v[i].end <= start || (i > 0 && m->v[i - 1].end > start))
		i = first_after(m, start);
	*cursor = i;
	return resident_in(m, i, start, end);
}

static int readable(const struct ms_res_run *r)
{
	return r->state != MS_PAGE_ABSENT;
}

int ms_resmap_extent(const struct ms_resmap *m, uint64_t addr, uint64_t lo, uint64_t hi,
		     uint64_t *a, uint64_t *b)
{
	*a = lo;
	*b = hi;
	size_t i = first_after(m, addr);
	if (i == m->n || m->v[i].start > addr)
		return 1;       /* not in the map: no restriction known */
	if (!readable(&m->v[i]))
		return 0;
	/* grow over neighbouring readable runs that touch */
	size_t k = i;
	while (k > 0 && m->v[k - 1].end == m->v[k].start && readable(&m->v[k - 1]) && m->v[k].start > lo)
		k--;
	if (m->v[k].start > *a)
		*a = m->v[k].start;
	k = i;
	while (k + 1 < m->n && m->v[k + 1].start == m->v[k].end && readable(&m->v[k + 1]) && m->v[k].end < hi)
		k++;
	if (m->v[k].end < *b)
		*b = m->v[k].end;
	return 1;
}

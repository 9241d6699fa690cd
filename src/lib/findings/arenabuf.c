/* One read of an arena's heaps for both its list walks and its chunk walk.
 * A list follows its chunks all over its heap (LIFO: roughly downwards),
 * and one arena has a dozen long lists: through the small read cache each
 * list re-read the whole heap, and the chunk walk then read it once more
 * -- the --stop pause of many arenas with full lists was mostly those
 * copies.  When an arena's heaps are small enough (one 64 MiB heap and a
 * little: every thread arena's first), their resident stretches are read
 * once into memory and the walks run on that buffer image; larger arenas
 * stream as before.  Memory: at most MS_ARENA_BUF_MAX, one buffer reused
 * by every arena (c->abuf, freed with the collection). */
#include "findings/arenas_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MS_ARENA_BUF_MAX (72ull << 20)
#define MS_HUGE (2ull << 20)

void *ms_big_alloc(uint64_t len)
{
	if (!len || len > UINT64_MAX - 2 * MS_HUGE)
		return NULL;
	uint64_t want = (len + MS_HUGE - 1) & ~(MS_HUGE - 1);
	unsigned char *m = mmap(NULL, want + MS_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	/* 2 MiB aligned, so that the kernel can back it with huge pages */
	uint64_t lead = (MS_HUGE - ((uintptr_t)m & (MS_HUGE - 1))) & (MS_HUGE - 1);
	if (lead)
		munmap(m, lead);
	munmap(m + lead + want, MS_HUGE - lead);
	madvise(m + lead, want, MADV_HUGEPAGE);   /* a hint: fine when refused */
	return m + lead;
}

void ms_big_free(void *p, uint64_t len)
{
	if (p)
		munmap(p, (len + MS_HUGE - 1) & ~(MS_HUGE - 1));
}

void ms_arena_buffer_free(struct ms_coll *c)
{
	ms_big_free(c->abuf, c->abuf_cap);
	c->abuf = NULL;
	c->abuf_cap = 0;
}

int ms_arena_buffer(struct ms_coll *c, size_t ai, struct ms_arena_buf *ab)
{
	memset(ab, 0, sizeof *ab);
	/* each region starts at the read cache's block boundary below the
	 * range (it reads whole aligned blocks); the bytes before the range
	 * stay zero: no walk looks at them */
	uint64_t total = 0;
	size_t n = 0;
	for (size_t k = 0; k < c->nrng; k++)
		if (c->rng[k].arena == ai) {
			total += c->rng[k].end - (c->rng[k].start & ~(uint64_t)(MS_RCACHE_BLOCK - 1));
			n++;
		}
	if (!n || total > MS_ARENA_BUF_MAX || n > 8)
		return 0;
	/* one allocation for every arena, grown when needed: a fresh 8..72
	 * MiB per arena cost as much in page faults as the copy itself */
	if (total > c->abuf_cap) {
		ms_arena_buffer_free(c);
		if (!(c->abuf = ms_big_alloc(total)))
			return 0;
		c->abuf_cap = total;
	}
	unsigned char *mem = c->abuf;
	struct ms_remote_region reg[8];
	size_t nr = 0;
	uint64_t off = 0;
	for (size_t k = 0; k < c->nrng; k++) {
		const struct ms_range *rg = &c->rng[k];
		if (rg->arena != ai)
			continue;
		uint64_t from = rg->start & ~(uint64_t)(MS_RCACHE_BLOCK - 1);
		if (nr && from < reg[nr - 1].addr + reg[nr - 1].len)
			from = rg->start;   /* ranges of one arena never share a block in practice */
		memset(mem + off, 0, (size_t)(rg->start - from));
		off += rg->start - from;
		unsigned char *base = mem + off;
		/* only the resident stretches: an untouched page is never read
		 * (that would map the zero page into the target); it stays
		 * zero here, and the walks ask the residency map first anyway */
		for (uint64_t a = rg->start; a < rg->end;) {
			uint64_t x, y;
			if (!ms_resmap_extent(&c->res, a, rg->start, rg->end, &x, &y) || y <= a) {
				uint64_t next = (a + c->page) & ~(c->page - 1);
				memset(base + (a - rg->start), 0, (size_t)((next < rg->end ? next : rg->end) - a));
				a = next;
				continue;
			}
			ssize_t got = ms_remote_read(&c->r, a, base + (a - rg->start), (size_t)(y - a));
			if (got < (ssize_t)(y - a))
				memset(base + (a - rg->start) + (got > 0 ? got : 0), 0,
				       (size_t)(y - a) - (size_t)(got > 0 ? got : 0));
			a = y;
		}
		reg[nr++] = (struct ms_remote_region){ from, base - (rg->start - from), (size_t)(rg->end - from) };
		off += rg->end - rg->start;
	}
	struct ms_err e;
	struct ms_remote img;
	if (ms_remote_open_buf(&img, reg, nr, NULL, &e) < 0)
		return 0;
	img.pid = c->r.pid;
	img.page = c->r.page;
	ab->live = c->r;
	ab->mem = mem;
	memcpy(c->buf, reg, nr * sizeof *reg);
	c->nbuf = nr;
	c->r = img;                  /* the read cache reads through c->r */
	ms_rcache_reset(&c->rc);
	c->win_start = c->win_len = 0;
	return 1;
}

void ms_arena_unbuffer(struct ms_coll *c, struct ms_arena_buf *ab)
{
	if (!ab->mem)
		return;
	ms_remote_close(&c->r);
	c->r = ab->live;
	c->nbuf = 0;
	ms_rcache_reset(&c->rc);
	c->win_start = c->win_len = 0;
	ab->mem = NULL;   /* c->abuf, kept for the next arena */
}

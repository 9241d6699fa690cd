/* One read of an arena's heaps for both its list walks and its chunk walk.
 * A list follows its chunks all over its heaps (LIFO: roughly downwards;
 * freed in random order: each next node anywhere in any of the arena's
 * heaps), and one arena has a dozen long lists: through the small read
 * cache each node outside the cached blocks was one process_vm_readv
 * (trial 5: 1 M reads, 295 s, for 12 M fastbin chunks in random order
 * over 4 thread arenas of 4 heaps each), and the chunk walk then read the
 * heaps once more.  So an arena's heaps -- their resident stretches --
 * are read into memory first, then its lists are followed and its chunks
 * walked on that copy.  Memory: the arena's heaps, one arena at a time
 * (one buffer reused by every arena, c->abuf, freed with the collection),
 * at most ms_arena_buffer_max; the ranges of a larger arena that do not
 * fit stream as before. */
#include "findings/arenas_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "probe/selfcheck.h"

#define MS_ARENA_BUF_MIN (72ull << 20)
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

/* The most one arena's buffer may take: a quarter of MemAvailable (the
 * machine is the target's too), never less than 72 MiB (one thread
 * arena's first heap and a little: what was always buffered).  Read once
 * per collection.  MEMSLEUTH_ARENA_BUFFER_MAX=BYTES sets it (the tests
 * walk a partly buffered arena with it). */
static uint64_t buffer_max(struct ms_coll *c)
{
	if (c->abuf_max)
		return c->abuf_max;
	const char *env = getenv("MEMSLEUTH_ARENA_BUFFER_MAX");
	char *end = NULL;
	unsigned long long set = env && *env ? strtoull(env, &end, 10) : 0;
	if (set && !*end) {
		c->abuf_max = set;
	} else {
		uint64_t avail = ms_self_mem_available();
		c->abuf_max = avail != UINT64_MAX && avail / 4 > MS_ARENA_BUF_MIN ? avail / 4 : MS_ARENA_BUF_MIN;
	}
	return c->abuf_max;
}

/* Bytes of range rg in the buffer: from the read cache's block boundary
 * below it (the region starts there; see ms_arena_buffer). */
static uint64_t range_cost(const struct ms_range *rg)
{
	return rg->end - (rg->start & ~(uint64_t)(MS_RCACHE_BLOCK - 1));
}

/* [a, y) of the target into dst, resident bytes only (y - a may be
 * hundreds of MiB: a short read goes on where it stopped); what could
 * not be read is zero. */
static void read_stretch(struct ms_coll *c, uint64_t a, uint64_t y, unsigned char *dst)
{
	uint64_t done = 0;
	while (done < y - a) {
		ssize_t got = ms_remote_read(&c->r, a + done, dst + done, (size_t)(y - a - done));
		if (got <= 0)
			break;
		done += (uint64_t)got;
	}
	if (done < y - a)
		memset(dst + done, 0, (size_t)(y - a - done));
}

int ms_arena_buffer(struct ms_coll *c, size_t ai, struct ms_arena_buf *ab)
{
	memset(ab, 0, sizeof *ab);
	/* each region starts at the read cache's block boundary below the
	 * range (it reads whole aligned blocks); the bytes before the range
	 * stay zero: no walk looks at them.  Every range when they all fit,
	 * else those that fit, in address order. */
	uint64_t max = buffer_max(c), all = 0, total = 0;
	size_t n = 0, nall = 0;
	for (size_t k = 0; k < c->nrng; k++)
		if (c->rng[k].arena == ai) {
			uint64_t cost = range_cost(&c->rng[k]);
			nall++;
			all = cost > UINT64_MAX - all ? UINT64_MAX : all + cost;
			if (cost <= max - total) {
				total += cost;
				n++;
			}
		}
	if (!n)
		return 0;
	int whole = n == nall;
	/* one allocation for every arena, grown when needed: a fresh 8..72
	 * MiB per arena cost as much in page faults as the copy itself */
	if (total > c->abuf_cap) {
		ms_arena_buffer_free(c);
		if (!(c->abuf = ms_big_alloc(total)))
			return 0;
		c->abuf_cap = total;
	}
	if (n > c->capbuf) {
		void *nv = realloc(c->buf, n * sizeof *c->buf);
		if (!nv)
			return 0;
		c->buf = nv;
		c->capbuf = n;
	}
	unsigned char *mem = c->abuf;
	struct ms_remote_region *reg = c->buf;
	size_t nr = 0;
	uint64_t off = 0, used = 0;
	for (size_t k = 0; k < c->nrng && nr < n; k++) {
		const struct ms_range *rg = &c->rng[k];
		if (rg->arena != ai || range_cost(rg) > max - used)
			continue;   /* the same choice as above */
		used += range_cost(rg);
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
			read_stretch(c, a, y, base + (a - rg->start));
			a = y;
		}
		reg[nr++] = (struct ms_remote_region){ from, base - (rg->start - from), (size_t)(rg->end - from) };
		off += rg->end - rg->start;
	}
	ab->mem = mem;
	c->nbuf = nr;
	c->win_start = c->win_len = 0;
	if (!whole)
		return 1;   /* c->r stays live for the ranges left out */
	/* every range in memory: the walks read nothing else of the target
	 * than this copy, one snapshot */
	struct ms_err e;
	struct ms_remote img;
	if (ms_remote_open_buf(&img, reg, nr, NULL, &e) < 0)
		return 1;   /* reads outside the buffer stay live: still right */
	img.pid = c->r.pid;
	img.page = c->r.page;
	ab->live = c->r;
	ab->swapped = 1;
	c->r = img;                  /* the read cache reads through c->r */
	ms_rcache_reset(&c->rc);
	return 1;
}

void ms_arena_unbuffer(struct ms_coll *c, struct ms_arena_buf *ab)
{
	if (!ab->mem)
		return;
	if (ab->swapped) {
		ms_remote_close(&c->r);
		c->r = ab->live;
		ms_rcache_reset(&c->rc);
	}
	c->nbuf = 0;
	c->win_start = c->win_len = 0;
	ab->mem = NULL;   /* c->abuf, kept for the next arena */
}

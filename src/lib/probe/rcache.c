#include "probe/rcache.h"

#include <stdlib.h>
#include <string.h>

int ms_rcache_init(struct ms_rcache *c, struct ms_remote *r, const struct ms_resmap *res)
{
	c->r = r;
	c->res = res;
	c->reads = 0;
	c->mem = malloc((size_t)MS_RCACHE_SLOTS * MS_RCACHE_BLOCK);
	ms_rcache_reset(c);
	return c->mem ? 0 : -1;
}

void ms_rcache_free(struct ms_rcache *c)
{
	free(c->mem);
	c->mem = NULL;
}

void ms_rcache_reset(struct ms_rcache *c)
{
	for (int i = 0; i < MS_RCACHE_SLOTS; i++) {
		c->tag[i] = 1;
		c->lo[i] = c->hi[i] = 0;
	}
}

int ms_rcache_u64(struct ms_rcache *c, uint64_t addr, uint64_t *v)
{
	if (addr & 7)
		return -1;
	uint64_t blk = addr & ~(uint64_t)(MS_RCACHE_BLOCK - 1);
	unsigned slot = (unsigned)((blk / MS_RCACHE_BLOCK) % MS_RCACHE_SLOTS);
	unsigned char *m = c->mem + (size_t)slot * MS_RCACHE_BLOCK;
	if (c->tag[slot] != blk || addr < c->lo[slot] || addr + 8 > c->hi[slot]) {
		uint64_t a = blk, b = blk + MS_RCACHE_BLOCK;
		if (c->res && !ms_resmap_extent(c->res, addr, blk, blk + MS_RCACHE_BLOCK, &a, &b))
			return -1;   /* an untouched page: no data there */
		c->reads++;
		ssize_t n = ms_remote_read(c->r, a, m + (a - blk), b - a);
		c->tag[slot] = blk;
		c->lo[slot] = a;
		c->hi[slot] = a + (n > 0 ? (uint64_t)n : 0);
		if (addr < c->lo[slot] || addr + 8 > c->hi[slot])
			return -1;
	}
	memcpy(v, m + (addr - blk), 8);
	return 0;
}

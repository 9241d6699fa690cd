#include "probe/rcache.h"

#include <stdlib.h>
#include <string.h>

int ms_rcache_init(struct ms_rcache *c, struct ms_remote *r)
{
	c->r = r;
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
		c->base[i] = 1;
		c->len[i] = 0;
	}
}

int ms_rcache_u64(struct ms_rcache *c, uint64_t addr, uint64_t *v)
{
	if (addr & 7)
		return -1;
	uint64_t blk = addr & ~(uint64_t)(MS_RCACHE_BLOCK - 1);
	unsigned slot = (unsigned)((blk / MS_RCACHE_BLOCK) % MS_RCACHE_SLOTS);
	unsigned char *m = c->mem + (size_t)slot * MS_RCACHE_BLOCK;
	if (c->base[slot] != blk) {
		c->reads++;
		ssize_t n = ms_remote_read(c->r, blk, m, MS_RCACHE_BLOCK);
		c->base[slot] = blk;
		c->len[slot] = n > 0 ? (uint32_t)n : 0;
		if (n < (ssize_t)MS_RCACHE_BLOCK && n >= 0 && addr + 8 > blk + (uint64_t)n) {
			/* the block ends in an unmapped page: read just the word */
			c->reads++;
			return ms_remote_read_exact(c->r, addr, v, 8);
		}
	}
	if (addr + 8 > blk + c->len[slot])
		return ms_remote_read_exact(c->r, addr, v, 8);
	memcpy(v, m + (addr - blk), 8);
	return 0;
}

/* Small reads scattered over a target (list walks: tcache, fastbins, the
 * unsorted bin) through a direct-mapped cache of 64 KiB blocks, so that
 * neighbouring list nodes cost one process_vm_readv, not one each. */
#ifndef MS_RCACHE_H
#define MS_RCACHE_H

#include <stdint.h>
#include "probe/remote.h"
#include "probe/resmap.h"

#define MS_RCACHE_BLOCK (64u << 10)
#define MS_RCACHE_SLOTS 64

struct ms_rcache {
	struct ms_remote *r;
	const struct ms_resmap *res;      /* pages that may be read, or NULL */
	uint64_t tag[MS_RCACHE_SLOTS];    /* block address, or 1 when empty */
	uint64_t lo[MS_RCACHE_SLOTS], hi[MS_RCACHE_SLOTS]; /* bytes held */
	unsigned char *mem;               /* SLOTS * BLOCK */
	uint64_t reads;                   /* syscalls made */
};

/* res (may be NULL): reads stay on pages it says hold data. */
int  ms_rcache_init(struct ms_rcache *c, struct ms_remote *r, const struct ms_resmap *res);
void ms_rcache_free(struct ms_rcache *c);
/* Forget everything (a new snapshot attempt). */
void ms_rcache_reset(struct ms_rcache *c);
/* Read one 64-bit word; 0 on success, -1 when unreadable. */
int  ms_rcache_u64(struct ms_rcache *c, uint64_t addr, uint64_t *v);

#endif

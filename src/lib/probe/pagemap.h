/* Residency of a target's pages from /proc/PID/pagemap (bit 63: present in
 * RAM).  Reads a window of entries at a time so that a walk in address
 * order costs one pread per 64 MiB of address space, not one per chunk. */
#ifndef MS_PAGEMAP_H
#define MS_PAGEMAP_H

#include <stdint.h>
#include <sys/types.h>
#include "util/err.h"

#define MS_PAGEMAP_WINDOW 16384   /* pages per read: 64 MiB with 4 KiB pages */

struct ms_pagemap {
	int      fd;
	uint64_t page;                /* page size */
	uint64_t first;               /* first page number in the window */
	size_t   n;                   /* entries in the window */
	uint64_t ent[MS_PAGEMAP_WINDOW];
};

/* Returns 0, or -1 with e set (the caller may go on without residency). */
int  ms_pagemap_open(struct ms_pagemap *pm, pid_t pid, struct ms_err *e);
void ms_pagemap_close(struct ms_pagemap *pm);

/* Bytes of [start, end) that lie in resident pages.  Unreadable entries
 * count as not resident. */
uint64_t ms_pagemap_resident(struct ms_pagemap *pm, uint64_t start, uint64_t end);

#endif

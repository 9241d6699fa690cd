/* A target's /proc/PID/pagemap entries (bit 63: present in RAM, 62:
 * swapped).  Reads a window of entries at a time so that a scan in address
 * order costs one pread per 64 MiB of address space.  probe/resmap.h turns
 * them into residency runs. */
#ifndef MS_PAGEMAP_H
#define MS_PAGEMAP_H

#include <stdint.h>
#include <sys/types.h>
#include "util/err.h"

#define MS_PAGEMAP_WINDOW 16384   /* pages per read: 64 MiB with 4 KiB pages */

struct ms_pagemap {
	int      fd;
	uint64_t page;                /* page size */
	uint64_t zero_pfn;            /* PFN of the shared zero page; 0 when PFNs are hidden */
	uint64_t first;               /* first page number in the window */
	size_t   n;                   /* entries in the window */
	uint64_t ent[MS_PAGEMAP_WINDOW];
};

/* Returns 0, or -1 with e set (the caller may go on without residency). */
int  ms_pagemap_open(struct ms_pagemap *pm, pid_t pid, struct ms_err *e);
void ms_pagemap_close(struct ms_pagemap *pm);

/* The raw 64-bit entry of page number pg (bit 63 present, 62 swapped,
 * bits 0-54 the PFN when visible: CAP_SYS_ADMIN); 0 when unreadable.
 * last (>= pg) is the last page the caller's scan asks for: a window read
 * stops there, so that a heap's 8 MiB does not read the pagemap of its
 * whole 64 MiB reservation (the kernel walks every hole it is asked for). */
uint64_t ms_pagemap_entry(struct ms_pagemap *pm, uint64_t pg, uint64_t last);

/* A present entry that maps the shared zero page (untouched memory that
 * someone read): present for pagemap, not part of RSS.  Only known when
 * PFNs are visible. */
int ms_pagemap_is_zero(const struct ms_pagemap *pm, uint64_t entry);

#endif

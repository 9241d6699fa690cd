/* Looking at this very process without disturbing the heap under study
 * (lab runs its experiments in memsleuth's own heap): RSS and MemAvailable
 * are read with open/read into stack buffers, and the checkpoints that need
 * the library's parsers or another step run in a forked child, whose
 * mallocs land in its copy of the heap. */
#ifndef MS_SELFCHECK_H
#define MS_SELFCHECK_H

#include <stddef.h>
#include <stdint.h>

/* Our RSS in bytes (/proc/self/statm); 0 if unreadable. */

/* MemAvailable from /proc/meminfo; UINT64_MAX when unknown. */
uint64_t ms_self_mem_available(void);

/* glibc arena heaps (64 MiB reservations) in our mappings and the non-main
 * arenas owning them, confirmed by heap_info.  0, or -1. */
int ms_selfcheck_heaps(size_t *heaps, size_t *arenas);

/* The totals of `memsleuth arenas <our pid> --json` in one line, or
 * "unavailable: why". */
void ms_selfcheck_arenas(char *line, size_t len);

#endif

/* "Where did the memory live?" from a core file: every mapping the core
 * records put in the live overview's classes (findings/memclass.h: labels,
 * the threads' stack pointers from NT_PRSTATUS, arena heaps confirmed by
 * heap_info, mmapped chunk headers), with the bytes the core holds for
 * each.  RSS is not in a core: a kernel-written core holds the pages that
 * were present or swapped (the rest are holes), gcore every page of what
 * it dumps -- the core says which, and that is what is reported. */
#ifndef MS_COREVIEW_H
#define MS_COREVIEW_H

#include <stdint.h>
#include <sys/types.h>
#include "findings/memclass.h"
#include "findings/verdict.h"
#include "probe/core.h"
#include "util/err.h"

#define MS_COREVIEW_STACKS 8

struct ms_coreview_class {
	uint64_t mappings, size, in_core;   /* in_core: bytes of its pages in the core */
};

struct ms_coreview {
	struct ms_core_info core;            /* pid, signal, by_gdb, missing ... */
	char     missing[512];               /* ms_core_missing_text */
	int      residency;                  /* enum ms_residency of the core */
	char     allocator[16];
	char     glibc_version[16];
	char     libc_error[300];            /* why the libc is not known, "" if it is */
	struct ms_coreview_class cls[MS_CLASS_N];
	uint64_t size, in_core;              /* sums over the classes */
	uint64_t malloc_in_core;             /* of which glibc malloc's: main heap, arena heaps, mmapped chunks */
	size_t   arena_heaps;
	long     arenas;                     /* main + verified arena heaps' arenas; -1 unknown */
	size_t   threads, stacks_owned;
	struct { pid_t tid; uint64_t size, in_core; } stacks[MS_COREVIEW_STACKS];
	int      nstacks;
	struct ms_verdicts verdicts;
};

/* Read the core at path; exe and sysroot as for arenas --core (the libc
 * is only needed for the allocator's name and version: when it cannot be
 * found the classes are still given, libc_error says why).  Returns 0, or
 * -1 with e set (not a core). */
int ms_coreview_collect(const char *path, const char *exe, const char *sysroot,
			struct ms_coreview *cv, struct ms_err *e);

#endif

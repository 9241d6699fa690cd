/* Where this host keeps the replacement allocators (jemalloc, tcmalloc,
 * mimalloc) that compare and lab preload.  Searched by soname in libc's
 * own directory first (the multiarch dir on Debian), then the usual
 * library dirs; MEMSLEUTH_ALLOCATOR_DIRS (colon-separated) replaces the
 * search list, which is how tests simulate a host without them. */
#ifndef MS_ALLOCFIND_H
#define MS_ALLOCFIND_H

#include <stddef.h>
#include "findings/allocator.h"

/* Fill out with the library's path: 0, or -1 when not installed. */
int ms_allocator_lib_find(enum ms_allocator a, char *out, size_t outlen);

/* The Debian package that provides it ("" for glibc). */
const char *ms_allocator_package(enum ms_allocator a);

/* Parse "glibc", "jemalloc", "tcmalloc", "mimalloc": 0, or -1. */
int ms_allocator_parse(const char *name, enum ms_allocator *a);

#endif

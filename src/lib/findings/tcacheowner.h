/* Which thread each tcache belongs to, in a core or a frozen process
 * (arenas --stop: fs_base from PTRACE_GETREGS).  A thread's tcache is
 * the static TLS variable `tcache` of libc (malloc.c), at
 *   fs_base - (libc's static TLS offset) + st_value(tcache)
 * on x86-64 (TLS variant II).  st_value comes only from libc's debug
 * file; the static TLS offset is the same in every thread and is found as
 * the one distance below fs_base at which the threads' words point at the
 * tcache_perthread_structs the heap walk found, checked against libc's
 * PT_TLS alignment.  Without debug info, or with no agreeing distance, the
 * tcaches stay "not attributed". */
#ifndef MS_TCACHEOWNER_H
#define MS_TCACHEOWNER_H

#include "findings/allocator.h"
#include "findings/arenas.h"
#include "probe/remote.h"

/* Fill a->tcache_tid (one per a->tcache_chunk; 0 when no thread points to
 * it), the thread's name in a->tcache_use[].thread (when tcache_use is
 * allocated) and a->tcache_attribution (how, or why not).  Returns the number of
 * tcaches attributed, or -1 when none could be. */
int ms_tcache_attribute(struct ms_remote *r, const struct ms_libc *libc, struct ms_arenas *a);

#endif

/* The steps' readings from a core file instead of a live process: the
 * same walkers over the core's memory image (probe/core.h), the libc
 * identified from the core (findings/corelibc.h). */
#ifndef MS_POSTMORTEM_H
#define MS_POSTMORTEM_H

#include "findings/arenas.h"
#include "util/err.h"

/* memsleuth arenas --core: core path, exe (--exe, or NULL), sysroot
 * (--sysroot, or NULL for /).  Returns 0 (out filled as by
 * ms_arenas_collect; out->partial and out->missing say what the core
 * lacks), or -1 with e set (not a core, libc not found under sysroot,
 * build-id mismatch, the refusals of the live reader). */
int ms_postmortem_arenas(const char *core, const char *exe, const char *sysroot,
			 const struct ms_arenas_opts *o, struct ms_arenas *out, struct ms_err *e);

#endif

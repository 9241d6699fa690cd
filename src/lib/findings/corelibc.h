/* Which allocator and libc a core ran with: the libc is named by the
 * core's file mappings (NT_FILE); its version and layout come from that
 * file under a sysroot (the machine or container image the core came
 * from; / by default), checked against the GNU build-id in the core's own
 * copy of libc's first page (the kernel writes every ELF file's first
 * page, gcore the whole read-only mapping). */
#ifndef MS_CORELIBC_H
#define MS_CORELIBC_H

#include "findings/allocator.h"
#include "probe/remote.h"
#include "records/maps.h"

/* Identify into out (as ms_libc_identify does for a live process).
 * sysroot: NULL or a directory; exe_given: --exe, or NULL (the executable
 * is then the file mapped at the core's entry point, under sysroot).
 * core_build_id: out, the build-id read from the core ("" when the core
 * lacks that page).  Returns 0, or -1 with e set: the libc is not under
 * sysroot, or its build-id differs from the core's (one line naming both
 * and --sysroot). */
int ms_core_libc_identify(struct ms_remote *r, const struct ms_maps *maps, const char *sysroot,
			  const char *exe_given, struct ms_libc *out, char core_build_id[41],
			  struct ms_err *e);

#endif

/* Where the driver's companions live.  Found relative to the running
 * executable, never the current directory: in the build tree
 * (build/memsleuth -> build/HELPER, stap/, gdb-scripts/) or installed
 * (PREFIX/bin/memsleuth -> PREFIX/libexec/memsleuth/HELPER,
 * PREFIX/share/memsleuth/{stap,gdb-scripts,labs}/); the layout is decided
 * from where the program is (PREFIX/libexec/memsleuth beside bin/ means
 * installed), one place is looked at per resource. */
#ifndef MS_PATHS_H
#define MS_PATHS_H

#include <stddef.h>

#include "util/err.h"

enum ms_resource { MS_RES_HELPER, MS_RES_STAP, MS_RES_GDB, MS_RES_EXAMPLE, MS_RES_LAB };

/* Fill out with the path of resource `name`.  Returns 0 when it exists,
 * -1 (out still holds the last place looked) when it does not. */
int ms_resource_path(enum ms_resource kind, const char *name, char *out, size_t outlen);

/* The same for something memsleuth runs or loads (a helper, the hook, a
 * stap or gdb script, a lab file): found, and trusted by util/trust.h's
 * rule.  Returns 0 with out the canonical path; -1 with e set ("not
 * found", or the untrusted component, its owner and mode). */
int ms_resource_trusted(enum ms_resource kind, const char *name, char *out, size_t outlen,
			struct ms_err *e);

#endif

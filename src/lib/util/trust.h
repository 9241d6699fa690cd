/* Trust rules for what memsleuth executes or loads (a companion helper, a
 * script, the LD_PRELOAD hook or shim, a cache directory): memsleuth often
 * runs as root, so a file someone else could have written or replaced
 * would run with root's rights.  A path is trusted when the file and every
 * directory on the way to it (after resolving symlinks) are owned by the
 * invoking user (the effective uid) or root and are not writable by group
 * or others; the one exception is a root-owned sticky directory such as
 * /tmp on the way (others can create entries there, but cannot rename or
 * replace what the user owns).  The file itself must never be group- or
 * other-writable.  scripts/trust.sh applies the same rule in shell. */
#ifndef MS_TRUST_H
#define MS_TRUST_H

#include <stddef.h>

#include "util/err.h"

/* Check path (a file or directory that must exist).  Returns 0 and, when
 * real is not NULL, the canonical path (use it, not path: a symlink on the
 * way cannot be switched after the check); -1 with e set to one line
 * "PATH: COMPONENT owned by uid N (NAME), mode 0NNN: ..." and way_out as
 * the hint (NULL: a generic one). */
int ms_trust_check(const char *path, char *real, size_t reallen, const char *way_out,
		   struct ms_err *e);

#endif

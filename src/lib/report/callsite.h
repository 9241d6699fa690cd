/* A call site as reports show it to people: "function+offset file:line
 * (object)", the way gdb's `info symbol` and addr2line -f name a place,
 * with the object last so the columns of a list line up on the function. */
#ifndef MS_CALLSITE_H
#define MS_CALLSITE_H

#include <stddef.h>
#include <stdint.h>
#include "probe/symres.h"

/* sym as resolved by symres (ms_symres_lookup) for the address addr.  The
 * parts not known are said compactly, never left out silently:
 *   "inflate+0x1a inflate.c:123 (libz.so.1)"  everything known
 *   "inflate+0x1a ??:? (libz.so.1)"           no line information
 *   "?? (libz.so.1+0x3f20)"                   no symbol covers it
 *   "?? (0x7f12345678)"                       no module does
 *   "inflate+0x1a ??:? (??)"                  a symbol without its module
 * Directories are dropped from the file and the object (the JSON keeps
 * them).  buf is always terminated; output longer than len is cut. */
void ms_callsite_format(const struct ms_sym *sym, uint64_t addr, char *buf, size_t len);

#endif

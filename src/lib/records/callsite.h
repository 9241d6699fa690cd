/* A call site as people read it: "function+offset file:line (object)",
 * the way addr2line -f names a place, the object last so a list lines up
 * on the function.  From symres's resolution, or from a site object of
 * hotspots' findings JSON (docs/json/hotspots.md, sites[]): the report and
 * the guide's evidence print sites through here. */
#ifndef MS_CALLSITE_H
#define MS_CALLSITE_H

#include <stddef.h>
#include <stdint.h>
#include "probe/symres.h"
#include "records/jsonread.h"

/* sym as resolved by symres (ms_symres_lookup) for the address addr.  The
 * parts not known are said compactly, never left out silently:
 *   "inflate+0x1a inflate.c:123 (libz.so.1)"  everything known
 *   "Conf::make()+0x1a conf.cc:9 (app)"       C++: sym->func, demangled
 *   "inflate+0x1a ??:? (libz.so.1)"           no line information
 *   "?? (libz.so.1+0x3f20)"                   no symbol covers it
 *   "?? (0x7f12345678)"                       no module does
 *   "inflate+0x1a ??:? (??)"                  a symbol without its module
 * Directories are dropped from the file and the object (the JSON keeps
 * them).  buf is always terminated; output longer than len is cut. */
void ms_callsite_format(const struct ms_sym *sym, uint64_t addr, char *buf, size_t len);

/* The same from a sites[] object of hotspots' JSON (function, symbol,
 * dso, offset, dso_offset, file, line, address; "symbol" is the hex
 * address where no symbol covers it, "function" its demangled name, or
 * when absent "symbol" demangled).  Missing fields count as unknown. */
void ms_callsite_json(const struct ms_jval *site, char *buf, size_t len);

#endif

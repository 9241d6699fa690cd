/* Which Debian package gives a module its debug symbols, for the one-line
 * hint beside call sites shown as "?? (module+0xoff)". */
#ifndef MS_DBGPKG_H
#define MS_DBGPKG_H

/* The Debian 12 package with debug symbols for the module named dso (a
 * path or a base name: "libstdc++.so.6.0.30", "/usr/bin/python3.11"), or
 * NULL when not known (the module's own -dbgsym package from the
 * debian-debug archive is then the way).  Static strings. */
const char *ms_dbg_package(const char *dso);

#endif

/* Symbol resolution with elfutils libdw: an address in a process (live, by
 * PID, or gone, by its maps snapshot) to "function+offset (dso) file:line".
 * Debug files are found the standard way (build-id under /usr/lib/debug,
 * .gnu_debuglink), so libc resolves to source lines with libc6-dbg. */
#ifndef MS_SYMRES_H
#define MS_SYMRES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/demangle.h"
#include "util/err.h"

struct ms_symres;

/* A function's name: demangled C++ names are long ("std::vector<...>::
 * _M_realloc_insert<...>(...)") and are printed whole. */
#define MS_SYM_FUNC 1024
/* Room for ms_sym_format's or records/callsite.h's line of one ms_sym. */
#define MS_SYM_LINE (MS_SYM_FUNC + 2 * 256 + 64)

struct ms_sym {
	int      found;            /* in a known module */
	char     func[MS_SYM_FUNC];   /* as people read it (util/demangle.h: C++
				       * demangled), "" when no symbol covers it */
	char     symbol[MS_DEMANGLE_IN_MAX + 1];   /* as in the symbol table
				       * ("_ZN4Conf4makeEv"; = func for C), "" none */
	uint64_t offset;           /* address - function start */
	char     dso[256];         /* module path as mapped */
	uint64_t dso_offset;       /* address - module load base */
	char     file[256];        /* source file, "" without line info */
	int      line;
};

/* Modules from a live process. */
int  ms_symres_open_pid(struct ms_symres **out, pid_t pid, struct ms_err *e);
/* Modules from a /proc/PID/maps text (the files must still exist). */
int  ms_symres_open_maps(struct ms_symres **out, const char *maps, size_t len, struct ms_err *e);
void ms_symres_close(struct ms_symres *s);

/* Resolve addr.  return_address: addr is a return address, so the call
 * site is addr - 1 (the line of the call, and the right function even when
 * the call was the last instruction).  Results are cached. */
void ms_symres_lookup(struct ms_symres *s, uint64_t addr, int return_address, struct ms_sym *out);

/* "func+0x1a (libz.so.1.2.13) inflate.c:123"; a bare "0x7f.. (dso+0x..)"
 * when no symbol covers it; "0x.." when no module does. */
void ms_sym_format(const struct ms_sym *sym, uint64_t addr, char *buf, size_t len);

/* The module's file name without its directory. */
const char *ms_sym_dso_base(const struct ms_sym *sym);

#endif

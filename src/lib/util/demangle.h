/* Linker symbol names as people read them: a C++ name ("_ZN4Conf4makeEv")
 * becomes "Conf::make()", "_Znwm" becomes "operator new(unsigned long)".
 * Every report prints a function through here (probe/symres.c resolves,
 * records/callsite.c reads findings JSON), so a name is demangled in one
 * place. */
#ifndef MS_DEMANGLE_H
#define MS_DEMANGLE_H

#include <stddef.h>

/* Mangled names longer than this are left as they are: the demangler's
 * stack use and output grow with its input, which is untrusted (read from
 * the target's files or a JSON document). */
#define MS_DEMANGLE_IN_MAX 1024

/* The readable form of name into buf (len bytes, always terminated when
 * len > 0; a longer result is cut).  A name in the Itanium C++ ABI ("_Z"
 * followed by a valid encoding, clone suffixes ".cold", ".isra.0"
 * included) is demangled.  A symbol version, which a .symtab keeps in
 * the name ("pthread_create@GLIBC_2.2.5", "_Znwm@@GLIBCXX_3.4"), is
 * dropped: it names the ABI, not the function; the exact name stays in
 * ms_sym.symbol and JSON "symbol".  Anything else -- a C name, garbage, a
 * malformed or too long C++ name -- is copied unchanged but for that.  Returns 1 when
 * demangled, 0 when copied.  Never fails on any input; allocates only
 * transiently. */
int ms_demangle(const char *name, char *buf, size_t len);

#endif

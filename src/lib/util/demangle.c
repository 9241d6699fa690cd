/* Demangling: see demangle.h.
 *
 * Why libstdc++'s __cxa_demangle: it is the C++ ABI's own entry point
 * (cxxabi.h), in the runtime every C++ program and g++ already bring
 * (libstdc++6; the build links it with -lstdc++, from g++'s
 * libstdc++-dev), and its code is libiberty's cp-demangle.c, the
 * demangler of c++filt and gdb, fuzzed for years and limited in its
 * recursion since GCC 10.  libiberty's cplus_demangle would also read D
 * and Rust v0 names, but needs libiberty-dev (a static archive) for
 * nothing our targets (C, C++, JVM, node, CPython) use.  It is declared
 * here with C linkage rather than through cxxabi.h, which is C++. */
#include "util/demangle.h"

#include <stdlib.h>
#include <string.h>

/* cxxabi.h: returns a malloc'd string (or NULL and *status < 0) */
extern char *__cxa_demangle(const char *mangled, char *out, size_t *length, int *status);

/* The first n bytes of s into buf, cut to fit, always terminated. */
static void put(char *buf, size_t len, const char *s, size_t n)
{
	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
}

/* Where a symbol version starts in name ("@VER" or "@@VER" after a
 * non-empty name, VER non-empty and without '@': binutils' .symver), or
 * NULL: it names the ABI, not the function, nor is it part of a C++
 * encoding ("_Znwm@@GLIBCXX_3.4"). */
static const char *version_of(const char *name)
{
	const char *at = name[0] ? strchr(name + 1, '@') : NULL;
	if (!at)
		return NULL;
	const char *v = at + 1 + (at[1] == '@');
	return *v && !strchr(v, '@') ? at : NULL;
}

int ms_demangle(const char *name, char *buf, size_t len)
{
	if (!name)
		name = "";
	const char *at = version_of(name);
	size_t n = at ? (size_t)(at - name) : strlen(name);
	/* only "_Z" names: __cxa_demangle also reads a bare type encoding,
	 * so "f" (a C function) would come back "float" */
	if (n < 3 || n > MS_DEMANGLE_IN_MAX || strncmp(name, "_Z", 2) != 0) {
		put(buf, len, name, n);
		return 0;
	}
	char in[MS_DEMANGLE_IN_MAX + 1];
	memcpy(in, name, n);
	in[n] = 0;
	int status = -1;
	char *d = __cxa_demangle(in, NULL, NULL, &status);
	if (status != 0 || !d) {
		free(d);
		put(buf, len, in, n);
		return 0;
	}
	put(buf, len, d, strlen(d));
	free(d);
	return 1;
}

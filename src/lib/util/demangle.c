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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cxxabi.h: returns a malloc'd string (or NULL and *status < 0) */
extern char *__cxa_demangle(const char *mangled, char *out, size_t *length, int *status);

static void put(char *buf, size_t len, const char *a, const char *b)
{
	if (len)
		snprintf(buf, len, "%s%s", a, b);
}

int ms_demangle(const char *name, char *buf, size_t len)
{
	if (!name)
		name = "";
	/* only "_Z" names: __cxa_demangle also reads a bare type encoding,
	 * so "f" (a C function) would come back "float" */
	size_t n = strnlen(name, MS_DEMANGLE_IN_MAX + 1);
	if (n < 3 || n > MS_DEMANGLE_IN_MAX || strncmp(name, "_Z", 2) != 0) {
		put(buf, len, name, "");
		return 0;
	}
	/* "_Znwm@@GLIBCXX_3.4": the version is not part of the encoding */
	char in[MS_DEMANGLE_IN_MAX + 1];
	memcpy(in, name, n + 1);
	char *at = strchr(in, '@');
	const char *version = at ? name + (at - in) : "";
	if (at)
		*at = 0;
	int status = -1;
	char *d = __cxa_demangle(in, NULL, NULL, &status);
	if (status != 0 || !d) {
		free(d);
		put(buf, len, name, "");
		return 0;
	}
	put(buf, len, d, version);
	free(d);
	return 1;
}

#include "probe/allocfind.h"
#include "util/trust.h"

#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const *sonames(enum ms_allocator a)
{
	static const char *const je[] = { "libjemalloc.so.2", "libjemalloc.so", NULL };
	static const char *const tc[] = { "libtcmalloc_minimal.so.4", "libtcmalloc.so.4",
					  "libtcmalloc_minimal.so", "libtcmalloc.so", NULL };
	static const char *const mi[] = { "libmimalloc.so.2", "libmimalloc.so", NULL };
	switch (a) {
	case MS_ALLOC_JEMALLOC: return je;
	case MS_ALLOC_TCMALLOC: return tc;
	case MS_ALLOC_MIMALLOC: return mi;
	default:                return NULL;
	}
}

const char *ms_allocator_package(enum ms_allocator a)
{
	switch (a) {
	case MS_ALLOC_JEMALLOC: return "libjemalloc2";
	case MS_ALLOC_TCMALLOC: return "libtcmalloc-minimal4";
	case MS_ALLOC_MIMALLOC: return "libmimalloc2.0";
	default:                return "";
	}
}

int ms_allocator_parse(const char *name, enum ms_allocator *a)
{
	static const struct { const char *n; enum ms_allocator a; } names[] = {
		{ "glibc", MS_ALLOC_GLIBC }, { "jemalloc", MS_ALLOC_JEMALLOC },
		{ "tcmalloc", MS_ALLOC_TCMALLOC }, { "mimalloc", MS_ALLOC_MIMALLOC },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(name, names[i].n)) {
			*a = names[i].a;
			return 0;
		}
	return -1;
}

/* The directory our libc was loaded from: the multiarch dir on Debian. */
static int libc_dir_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	const char *slash = strrchr(info->dlpi_name, '/');
	if (slash && !strncmp(slash + 1, "libc.so", 7)) {
		snprintf(arg, PATH_MAX, "%.*s", (int)(slash - info->dlpi_name), info->dlpi_name);
		return 1;
	}
	return 0;
}

static int try_dir(const char *dir, size_t dlen, const char *const *names, char *out, size_t outlen)
{
	for (size_t k = 0; names[k]; k++) {
		snprintf(out, outlen, "%.*s/%s", (int)dlen, dir, names[k]);
		/* preloaded into commands we run, maybe as root: only if trusted */
		if (access(out, R_OK) == 0 && ms_trust_check(out, NULL, 0, NULL, NULL) == 0)
			return 0;
	}
	return -1;
}

int ms_allocator_lib_find(enum ms_allocator a, char *out, size_t outlen)
{
	const char *const *names = sonames(a);
	if (!names)
		return -1;
	const char *env = getenv("MEMSLEUTH_ALLOCATOR_DIRS");
	if (env) {
		for (const char *p = env; *p;) {
			size_t n = strcspn(p, ":");
			if (n && try_dir(p, n, names, out, outlen) == 0)
				return 0;
			p += n;
			if (*p == ':')
				p++;
		}
		return -1;
	}
	char libc_dir[PATH_MAX] = "";
	dl_iterate_phdr(libc_dir_cb, libc_dir);
	char usr_dir[PATH_MAX + 8] = "";
	if (!strncmp(libc_dir, "/lib/", 5))
		snprintf(usr_dir, sizeof usr_dir, "/usr%s", libc_dir);
	const char *dirs[] = { usr_dir, libc_dir, "/usr/lib64", "/usr/lib", "/usr/local/lib", "/lib64" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (dirs[i][0] && try_dir(dirs[i], strlen(dirs[i]), names, out, outlen) == 0)
			return 0;
	return -1;
}

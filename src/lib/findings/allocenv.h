/* The allocator settings a process runs with: the allocator variables of
 * its environment as it started (remedy.h ms_remedy_is_allocator_var), and
 * glibc's malloc tunables among them said one way -- "glibc.malloc.NAME=V"
 * for GLIBC_TUNABLES entries and their MALLOC_* aliases alike
 * (elf/dl-tunables.list env_alias) -- so that "MALLOC_ARENA_MAX=2" and
 * "GLIBC_TUNABLES=glibc.malloc.arena_max=2" are one setting. */
#ifndef MS_ALLOCENV_H
#define MS_ALLOCENV_H

#include <stddef.h>

#define MS_ALLOC_ENV_MAX 6
struct ms_alloc_env {
	int  known, n;                       /* known 0: not read (a core, no /proc/PID/environ) */
	char kv[MS_ALLOC_ENV_MAX][200];      /* "KEY=VALUE", in environ order */
};

/* From an environ buffer (NUL-separated, untrusted: bounded, an entry cut
 * at 199 bytes); env NULL: known stays 0. */
void ms_alloc_env_parse(const char *env, size_t len, struct ms_alloc_env *out);

/* The glibc malloc tunables of n "KEY=VALUE" settings, one way each:
 * "glibc.malloc.arena_max=2"; a GLIBC_TUNABLES entry wins over its alias
 * (as arenacap.c reads them).  Other variables are left out.  Returns how
 * many were written to out[0..max). */
#define MS_TUNABLE_LEN 96
int ms_alloc_tunables(const char (*kv)[200], int n, char (*out)[MS_TUNABLE_LEN], int max);

/* The value of glibc tunable name ("glibc.malloc.top_pad") in e, and the
 * setting that gives it ("MALLOC_TOP_PAD_=67108864",
 * "GLIBC_TUNABLES=glibc.malloc.trim_threshold=67108864"): 1 found, 0 not. */
int ms_alloc_env_tunable(const struct ms_alloc_env *e, const char *name, unsigned long long *value,
			 char *from, size_t len);

#endif

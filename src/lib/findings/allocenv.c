/* The allocator settings of a process's environment: see allocenv.h. */
#include "findings/allocenv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/remedy.h"
#include "records/environ.h"

/* glibc 2.36 elf/dl-tunables.list: the malloc tunables with an env_alias */
static const struct {
	const char *tunable, *alias;
} aliases[] = {
	{ "glibc.malloc.arena_max", "MALLOC_ARENA_MAX" },
	{ "glibc.malloc.arena_test", "MALLOC_ARENA_TEST" },
	{ "glibc.malloc.top_pad", "MALLOC_TOP_PAD_" },
	{ "glibc.malloc.trim_threshold", "MALLOC_TRIM_THRESHOLD_" },
	{ "glibc.malloc.mmap_threshold", "MALLOC_MMAP_THRESHOLD_" },
	{ "glibc.malloc.mmap_max", "MALLOC_MMAP_MAX_" },
	{ "glibc.malloc.perturb", "MALLOC_PERTURB_" },
	{ "glibc.malloc.check", "MALLOC_CHECK_" },
};
#define NALIASES (sizeof aliases / sizeof aliases[0])

void ms_alloc_env_parse(const char *env, size_t len, struct ms_alloc_env *out)
{
	memset(out, 0, sizeof *out);
	if (!env)
		return;
	out->known = 1;
	/* entries are NUL-separated; the last may lack its NUL */
	for (size_t o = 0; o < len && out->n < MS_ALLOC_ENV_MAX;) {
		const char *e = env + o, *nul = memchr(e, 0, len - o);
		size_t n = nul ? (size_t)(nul - e) : len - o;
		char kv[sizeof out->kv[0]];
		snprintf(kv, sizeof kv, "%.*s", (int)(n < sizeof kv ? n : sizeof kv - 1), e);
		if (ms_remedy_is_allocator_var(kv))
			memcpy(out->kv[out->n++], kv, sizeof kv);
		o += n + 1;
	}
}

static int has_name(char (*out)[MS_TUNABLE_LEN], int n, const char *name, size_t nlen)
{
	for (int i = 0; i < n; i++)
		if (!strncmp(out[i], name, nlen) && out[i][nlen] == '=')
			return 1;
	return 0;
}

int ms_alloc_tunables(const char (*kv)[200], int n, char (*out)[MS_TUNABLE_LEN], int max)
{
	int k = 0;
	/* GLIBC_TUNABLES first, its last entry of a name winning (glibc applies
	 * them left to right) */
	for (int i = 0; i < n; i++) {
		if (strncmp(kv[i], "GLIBC_TUNABLES=", 15))
			continue;
		const char *t = kv[i] + 15;
		size_t tl = strlen(t);
		for (const char *p = t, *end = t + tl; p < end && k < max;) {
			const char *c = memchr(p, ':', (size_t)(end - p)), *eq;
			if (!c)
				c = end;
			eq = memchr(p, '=', (size_t)(c - p));
			if (eq && !strncmp(p, "glibc.malloc.", 13) && !has_name(out, k, p, (size_t)(eq - p))) {
				size_t vl;
				char name[MS_TUNABLE_LEN];
				snprintf(name, sizeof name, "%.*s", (int)(eq - p < (long)sizeof name ? eq - p : 0), p);
				const char *v = ms_tunable_get(t, tl, name, &vl);
				if (name[0] && v)
					snprintf(out[k++], MS_TUNABLE_LEN, "%s=%.*s", name, (int)vl, v);
			}
			p = c + 1;
		}
	}
	for (int i = 0; i < n && k < max; i++)
		for (size_t a = 0; a < NALIASES; a++) {
			size_t al = strlen(aliases[a].alias);
			if (strncmp(kv[i], aliases[a].alias, al) || kv[i][al] != '=' ||
			    has_name(out, k, aliases[a].tunable, strlen(aliases[a].tunable)))
				continue;
			snprintf(out[k++], MS_TUNABLE_LEN, "%s=%s", aliases[a].tunable, kv[i] + al + 1);
			break;
		}
	return k;
}

int ms_alloc_env_tunable(const struct ms_alloc_env *e, const char *name, unsigned long long *value, char *from,
			 size_t len)
{
	char t[2 * MS_ALLOC_ENV_MAX][MS_TUNABLE_LEN];
	size_t nl = strlen(name);
	int n = ms_alloc_tunables((const char (*)[200])e->kv, e->n, t, 2 * MS_ALLOC_ENV_MAX);
	for (int i = 0; i < n; i++) {
		if (strncmp(t[i], name, nl) || t[i][nl] != '=')
			continue;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(t[i] + nl + 1, &end, 0);
		if (errno || *end || t[i][nl + 1] == '-')
			return 0;   /* glibc ignores a malformed value too */
		*value = v;
		/* which variable gave it: the tunable when GLIBC_TUNABLES has it */
		const char *alias = NULL;
		for (size_t a = 0; a < NALIASES; a++)
			if (!strcmp(aliases[a].tunable, name))
				alias = aliases[a].alias;
		int via_tunables = 0;
		for (int k = 0; k < e->n; k++)
			if (!strncmp(e->kv[k], "GLIBC_TUNABLES=", 15) &&
			    ms_tunable_get(e->kv[k] + 15, strlen(e->kv[k] + 15), name, NULL))
				via_tunables = 1;
		if (via_tunables || !alias)
			snprintf(from, len, "GLIBC_TUNABLES=%s", t[i]);
		else
			snprintf(from, len, "%s=%s", alias, t[i] + nl + 1);
		return 1;
	}
	return 0;
}

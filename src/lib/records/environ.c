#include "records/environ.h"

#include <string.h>

const char *ms_environ_get(const char *buf, size_t len, const char *key, size_t *vlen)
{
	size_t klen = strlen(key);
	const char *p = buf, *end = buf + len;
	const char *found = NULL;
	while (p < end) {
		const char *z = memchr(p, 0, (size_t)(end - p));
		if (!z)
			z = end;
		if ((size_t)(z - p) > klen && !memcmp(p, key, klen) && p[klen] == '=') {
			/* glibc's getenv takes the first occurrence */
			found = p + klen + 1;
			if (vlen)
				*vlen = (size_t)(z - found);
			return found;
		}
		p = z + 1;
	}
	return NULL;
}

const char *ms_tunable_get(const char *t, size_t len, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);
	const char *p = t, *end = t + len;
	const char *found = NULL;
	while (p < end) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		if (!c)
			c = end;
		if ((size_t)(c - p) > nlen && !memcmp(p, name, nlen) && p[nlen] == '=') {
			/* glibc applies tunables left to right: the last one wins */
			found = p + nlen + 1;
			if (vlen)
				*vlen = (size_t)(c - found);
		}
		p = c + 1;
	}
	return found;
}

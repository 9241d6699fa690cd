#include "records/nmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/size.h"

/* "262144KB" right after p (NMT prints KB; newer JDKs may scale) -> bytes */
static int nmt_size(const char *p, uint64_t *out)
{
	/* sscanf on a copy: on the whole text it would strlen the rest at
	 * every call (quadratic over a detail report's many "(malloc=") */
	char copy[32], num[32];
	snprintf(copy, sizeof copy, "%.31s", p);
	if (sscanf(copy, "%31[0-9KMGBkmgb]", num) != 1)
		return -1;
	return ms_size_parse(num, out);
}

/* The size after key, searched from `from` and not past `limit` (NULL: no limit). */
static int size_after(const char *from, const char *key, const char *limit, uint64_t *out)
{
	const char *p = strstr(from, key);
	if (!p || (limit && p > limit))
		return -1;
	return nmt_size(p + strlen(key), out);
}

int ms_nmt_parse(const char *text, struct ms_nmt *out)
{
	memset(out, 0, sizeof *out);
	const char *tot = strstr(text, "Total: reserved=");
	if (!tot || size_after(tot, "committed=", strchr(tot, '\n'), &out->committed) < 0)
		return -1;
	/* The Total's own "malloc: NKB" line (JDK 17+) comes before the first
	 * category; without it, the sum of every category's "(malloc=NKB". */
	const char *cat = strstr(tot, "\n-");
	out->has_malloc = size_after(tot, "malloc: ", cat, &out->malloc) == 0;
	if (!out->has_malloc) {
		uint64_t v;
		for (const char *p = tot; (p = strstr(p, "(malloc=")); p += 8)
			if (nmt_size(p + 8, &v) == 0 && out->malloc + v >= out->malloc) {
				out->malloc += v;
				out->has_malloc = 1;
			}
	}
	const char *heap = strstr(tot, "Java Heap (reserved=");
	out->has_java_heap = heap && size_after(heap, "committed=", strchr(heap, '\n'), &out->java_heap_committed) == 0;
	return 0;
}

int ms_heap_range_parse(const char *text, uint64_t *lo, uint64_t *hi)
{
	/* "garbage-first heap   total 262144K, used 2464K [0x..f0000000, 0x..100000000)" */
	const char *p = strstr(text, " heap ");
	const char *nl = p ? strchr(p, '\n') : NULL;
	p = p ? strchr(p, '[') : NULL;
	if (!p || (nl && p > nl) || sscanf(p, "[%" SCNx64 ", %" SCNx64 ")", lo, hi) != 2 || *hi <= *lo)
		return -1;
	return 0;
}

#include "records/nmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* "NKB" after a key, in KiB as NMT prints it; -1 when absent. */
static int kb_after(const char *from, const char *key, const char *limit, uint64_t *out)
{
	const char *p = strstr(from, key);
	if (!p || (limit && p > limit))
		return -1;
	uint64_t v;
	if (sscanf(p + strlen(key), "%" SCNu64 "KB", &v) != 1 || v > (UINT64_MAX >> 10))
		return -1;
	*out = v << 10;
	return 0;
}

int ms_nmt_parse(const char *text, struct ms_nmt *out)
{
	memset(out, 0, sizeof *out);
	const char *tot = strstr(text, "Total: reserved=");
	if (!tot || kb_after(tot, "committed=", strchr(tot, '\n'), &out->committed) < 0)
		return -1;
	/* The malloc line belongs to Total when it comes before the first category. */
	const char *cat = strstr(tot, "\n-");
	out->has_malloc = kb_after(tot, "malloc: ", cat, &out->malloc) == 0;
	const char *heap = strstr(tot, "Java Heap (reserved=");
	out->has_java_heap = heap && kb_after(heap, "committed=", strchr(heap, '\n'), &out->java_heap_committed) == 0;
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

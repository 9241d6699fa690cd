#include "findings/javaheap.h"

#include <stdlib.h>

#include "probe/procfs.h"
#include "records/maps.h"
#include "records/nmt.h"

int ms_java_heap_range_rss(pid_t pid, uint64_t lo, uint64_t hi, uint64_t committed, uint64_t *resident)
{
	char *buf = NULL;
	size_t len = 0;
	struct ms_maps maps = { 0 };
	int rc = -1;
	if (ms_proc_read(pid, "smaps", &buf, &len, NULL) == 0 && ms_maps_parse(buf, len, &maps, NULL) == 0) {
		uint64_t rss = 0;
		for (size_t i = 0; i < maps.n; i++)
			if (maps.v[i].start >= lo && maps.v[i].end <= hi)
				rss += maps.v[i].m.rss;
		if (rss <= committed) {
			*resident = rss;
			rc = 0;
		}
	}
	ms_maps_free(&maps);
	free(buf);
	return rc;
}

int ms_java_heap_resident(pid_t pid, const char *heap_info, uint64_t committed, uint64_t *resident)
{
	uint64_t lo, hi;
	if (!heap_info || ms_heap_range_parse(heap_info, &lo, &hi) < 0)
		return -1;
	return ms_java_heap_range_rss(pid, lo, hi, committed, resident);
}

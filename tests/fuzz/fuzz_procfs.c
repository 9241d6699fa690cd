/* libFuzzer harness: text the target controls -- /proc's maps/smaps,
 * smaps_rollup, status (records/maps.c, records/status.c) and a JVM's jcmd
 * output, NMT summary and GC.heap_info (records/nmt.c).  The first byte
 * chooses the parser, the rest is the file. */
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>
#include <string.h>

#include "records/maps.h"
#include "records/nmt.h"
#include "records/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;
	struct ms_err e;
	switch (data[0] % 5) {
	case 0: {
		struct ms_maps m = { 0 };
		ms_maps_parse(buf, len, &m, &e);
		if (m.n)
			(void)ms_maps_find(&m, m.v[m.n / 2].start);
		ms_maps_free(&m);
		break;
	}
	case 1: {
		struct ms_memfields f;
		ms_rollup_parse(buf, len, &f, &e);
		break;
	}
	case 2: {
		struct ms_status st;
		ms_status_parse(buf, len, &st);
		break;
	}
	default: {   /* jcmd's text: a C string */
		char *text = malloc(len + 1);
		if (!text)
			return 0;
		memcpy(text, buf, len);
		text[len] = 0;
		struct ms_nmt n;
		uint64_t lo, hi;
		if (data[0] % 5 == 3)
			ms_nmt_parse(text, &n);
		else
			ms_heap_range_parse(text, &lo, &hi);
		free(text);
		break;
	}
	}
	return 0;
}

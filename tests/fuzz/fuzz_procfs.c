/* libFuzzer harness: what /proc gives as text -- maps/smaps, smaps_rollup,
 * status (records/maps.c, records/status.c).  The first byte chooses the
 * parser, the rest is the file. */
#include <stddef.h>
#include <stdint.h>

#include "records/maps.h"
#include "records/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;
	struct ms_err e;
	switch (data[0] % 3) {
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
	default: {
		struct ms_status st;
		ms_status_parse(buf, len, &st);
		break;
	}
	}
	return 0;
}

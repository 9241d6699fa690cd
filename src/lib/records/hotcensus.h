/* What a hotspots recording holds, counted from its record and slot
 * headers without decoding an event: for `hotspots --record-only`, which
 * records and says what it recorded but analyses nothing. */
#ifndef MS_HOTCENSUS_H
#define MS_HOTCENSUS_H

#include <stdint.h>
#include "util/err.h"

struct ms_hl_census {
	uint64_t images;      /* process images: proc-*.msl files */
	uint64_t events;      /* allocator calls recorded: the events (or count-only calls) of the
			       * log's blocks plus the buffer files' tails not written yet; the same
			       * figure as `hotspots --from DIR` reports as `events` */
	uint64_t dropped;     /* calls that could not be written (the counters page) */
	uint64_t log_bytes;   /* bytes of the .msl and .buf files */
};

/* Count the recording in DIR (the layout of records/hotlog.h).  Every
 * header is bounds-checked as the analyser does; damaged bytes are skipped.
 * Returns 0, or -1 with *e set when DIR cannot be read or holds no log. */
int ms_hl_census(const char *dir, struct ms_hl_census *c, struct ms_err *e);

#endif

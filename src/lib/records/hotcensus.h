/* What a hotspots recording holds, counted from its record and slot
 * headers without decoding an event: for `hotspots --record-only`, which
 * records and says what it recorded but analyses nothing. */
#ifndef MS_HOTCENSUS_H
#define MS_HOTCENSUS_H

#include <stddef.h>
#include <stdint.h>
#include "records/hotlog.h"
#include "records/hotlog_read.h"
#include "util/err.h"

struct ms_hl_census {
	uint64_t images;      /* process images: proc-*.msl files */
	uint64_t events;      /* allocator calls recorded: the events (or count-only calls) of the
			       * log's blocks plus the buffer files' tails not written yet; the same
			       * figure as `hotspots --from DIR` reports as `events` */
	uint64_t dropped;     /* calls that could not be written (the counters page) */
	uint64_t log_bytes;   /* bytes of the .msl and .buf files */
};

/* One slot of a buffer file (.buf), as both the census and the analyser
 * (findings/hotspots.c add_tails) read it: a slot is read only whole, its
 * commit only within its buffer. */
enum ms_hl_tail_kind {
	MS_HL_TAIL_NONE,     /* never used (no MS_HL_SLOT_MAGIC) */
	MS_HL_TAIL_COUNTS,   /* count-only: counts, its table in payload[0..len) */
	MS_HL_TAIL_EVENTS,   /* block, then nevents committed events in payload[0..len) */
	MS_HL_TAIL_DAMAGED,  /* a commit outside its buffer: a corrupt block */
};
struct ms_hl_tail {
	struct ms_hl_slot slot;          /* its header (the thread's last name) */
	const unsigned char *payload;    /* after the slot's record header */
	size_t len;                      /* EVENTS: committed bytes; COUNTS: the buffer's room */
	uint32_t nevents;                /* EVENTS: committed events */
	struct ms_hl_block block;        /* EVENTS */
	struct ms_hl_counts counts;      /* COUNTS */
};
/* The slots a buffer file holds (whole ones, at most MS_HL_SLOTS_MAX). */
size_t ms_hl_slots(const struct ms_hl_file *bf);
/* Slot i < ms_hl_slots(bf): what it holds, filling *t. */
enum ms_hl_tail_kind ms_hl_slot_tail(const struct ms_hl_file *bf, size_t i, struct ms_hl_tail *t);

/* Count the recording in DIR (the layout of records/hotlog.h).  Every
 * header is bounds-checked as the analyser does; damaged bytes are skipped.
 * Returns 0, or -1 with *e set when DIR cannot be read or holds no log. */
int ms_hl_census(const char *dir, struct ms_hl_census *c, struct ms_err *e);

#endif

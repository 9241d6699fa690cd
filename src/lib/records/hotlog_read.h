/* Reading the hotspots log (format in hotlog.h): walking a file's records
 * with resynchronisation past torn or corrupt ones, and decoding event
 * blocks.  The reader trusts nothing in the file: every length and varint
 * is checked against the buffer's end. */
#ifndef MS_HOTLOG_READ_H
#define MS_HOTLOG_READ_H

#include <stddef.h>
#include <stdint.h>
#include "records/hotlog.h"
#include "util/err.h"

struct ms_hl_event {
	uint64_t ticks;
	uint64_t size, ptr, old, caller;
	uint32_t stack;          /* stack id when the log has stacks, else UINT32_MAX */
	unsigned op;
};

/* A log file mapped into memory. */
struct ms_hl_file {
	char          *path;
	const unsigned char *data;
	size_t         len;
};

int  ms_hl_file_open(struct ms_hl_file *f, const char *path, struct ms_err *e);
void ms_hl_file_close(struct ms_hl_file *f);

/* The next intact record at or after *off.  Returns 1 with *rec (a copy:
 * records sit at any byte offset) and *payload set, *off moved past it; 0
 * at the end.  Bytes that do not form an intact record are skipped and
 * added to *skipped.  Payloads are unaligned too: read them with memcpy. */
int ms_hl_next_record(const unsigned char *data, size_t len, size_t *off,
		      struct ms_hl_rec *rec, const unsigned char **payload,
		      uint64_t *skipped);

/* Decoding a block calls these. */
struct ms_hl_sink {
	void *ctx;
	void (*event)(void *ctx, const struct ms_hl_block *b, const struct ms_hl_event *ev);
	void (*stack)(void *ctx, const struct ms_hl_block *b, uint32_t id,
		      const uint64_t *frames, unsigned n);
};

/* Decode an EVENTS payload.  Returns the number of events delivered; sets
 * *corrupt when the block ended early or held an impossible value (the
 * events before that point were delivered). */
uint32_t ms_hl_decode_block(const unsigned char *payload, size_t len, int stacks,
			    const struct ms_hl_sink *sink, int *corrupt);

#endif

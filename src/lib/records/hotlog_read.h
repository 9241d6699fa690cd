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
	uint64_t stamp;          /* order stamp (hotlog.h "Order"): an allocation's, or a free's */
	uint64_t stamp_free;     /* realloc: the stamp of its free part */
	uint32_t stack;          /* stack id when the log has stacks, else UINT32_MAX */
	unsigned op;
	unsigned pair;           /* 1: a malloc whose free is this thread's next event
				  * (a MALLOC_FREE or PAIR_BY_SIZE op); 2: that free */
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

/* A block decoded one event at a time (the reader merges the threads'
 * blocks by order stamp).  Stack definitions go to sink->stack as they
 * are met; sink->event is not used. */
struct ms_hl_dec {
	struct ms_hl_block b;
	const unsigned char *p, *end;
	const struct ms_hl_sink *sink;
	int      stacks, corrupt;
	uint32_t n;                       /* events delivered */
	uint64_t ticks, stamp, prev_ptr, prev_caller[2], last_alloc;
	uint64_t alt_free_caller;         /* the free site before prev_caller[1] */
	uint32_t prev_stack[2];
	uint64_t ring[MS_HL_FREE_RING];
	uint64_t sizes[MS_HL_SIZE_SLOTS]; /* size + 1, 0 empty */
	uint64_t freed_by_size[MS_HL_SIZE_SLOTS];
	unsigned last_alloc_slot, ring_head;
	int      have_free;               /* the implied free of a pair is next */
	struct ms_hl_event free_ev;
};

/* Start decoding an EVENTS payload of len bytes.  Returns 0, or -1 when
 * it is too short to hold a block header (corrupt). */
int ms_hl_dec_init(struct ms_hl_dec *d, const unsigned char *payload, size_t len, int stacks,
		   const struct ms_hl_sink *sink);
/* The next event: 1, or 0 at the end of the block (d->corrupt set when it
 * ended early or held an impossible value). */
int ms_hl_dec_next(struct ms_hl_dec *d, struct ms_hl_event *ev);


#endif

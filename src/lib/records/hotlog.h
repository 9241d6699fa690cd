/* The hotspots log: the one contract between the LD_PRELOAD hook (writer)
 * and the analyser (reader), like libbpf-tools' memleak.h.  Everything
 * here is inline or plain data so that the hook, a standalone shared
 * object, can include it without linking the project library.
 *
 * A log directory holds one file per process image, "proc-PID-SEQ.msl"
 * (SEQ counts exec()s and pid reuse), its buffer file "proc-PID-SEQ.buf",
 * "counters", a page the driver preallocates and the hook maps shared, so
 * that dropped events are counted even when the disk is full, and
 * "comm", the names the driver read from /proc for threads alive when it
 * stopped the command (lines "PID TID NAME").
 *
 * The buffer file is the recorder transport: each thread of the image
 * owns one slot of it (struct ms_hl_slot, then its event buffer), mapped
 * shared, written by that thread only, without a lock.  A full buffer is
 * written to the .msl as one EVENTS record by its thread; what is in the
 * buffers when the image ends, however it ends (exit, exec, a crash,
 * SIGKILL), stays in the file, so nothing ever signals the program to
 * flush: the reader takes the committed events of each slot (its "tail")
 * that the .msl does not hold yet (blocks carry an image-wide sequence
 * number for that).
 *
 * A file is a sequence of records.  Each starts with struct ms_hl_rec;
 * `check` is a hash of the payload so that a torn or corrupt record is
 * detected and the reader resynchronises on the next magic.  Records are
 * written whole with one write(2) on an O_APPEND descriptor, so threads
 * need no lock between them.
 *
 * Event blocks come from one thread's buffer and decode on their own: the
 * delta state (time, order stamp, pointer, caller) restarts at every
 * block.  An event:
 *   byte   op (low 4 bits) | MS_HL_F_* flags
 *   [F_TIME]        varint  time delta in ticks (coarse clock, sampled
 *                   every few calls by the hook: a timeline, not a timer)
 *   zigzag varint   order stamp - previous stamp (see "Order" below);
 *                   realloc: the stamp of its free part, then zigzag
 *                   varint alloc stamp - free stamp
 *   caller: stacks off: [!F_SAMECALLER] zigzag varint caller - previous
 *                       (of the same kind: allocation or free); a free
 *                       with F_EXT (version 3) has no caller bytes: its
 *                       caller is the free site before the previous one,
 *                       and the two swap
 *           stacks on:  [!F_SAMECALLER] varint stack id
 *   allocation ops:
 *     [F_EXT]       byte    bits 0-2: with F_PTRHIT, which recent free the
 *                           pointer is (0 latest, 1 the one before, ...
 *                           up to 6), or 7: the last pointer freed right
 *                           after its allocation of a size in this size's
 *                           slot (tcache hands it back);
 *                           bit 3: the size is in the size table, at the
 *                           slot in bits 4-7
 *     [size not from the table] varint size (calloc: nmemb * size,
 *                           saturated); it then enters the table at slot
 *                           ms_hl_size_slot(size)
 *     [!F_PTRHIT]   zigzag varint ptr - previous ptr.  F_PTRHIT: one of
 *                           the last MS_HL_FREE_RING freed pointers
 *                           (allocators reuse LIFO per size class)
 *   free: [!F_PTRHIT] zigzag varint ptr - previous ptr; F_PTRHIT: the
 *                           last allocated pointer
 *   [realloc]       zigzag varint old ptr - new ptr
 * A malloc freed at once (the next event of the thread frees it, from the
 * thread's previous free call site, with no time step) is written as one
 * event of op MS_HL_OP_MALLOC_FREE: the malloc's fields; the free is
 * implied and stamped the malloc's stamp + 1 (whatever stamp the hook took
 * for it: see "Order").  Both count in the block's nevents.  When the
 * malloc itself was fully predicted (same caller, no time step, size from
 * the table, pointer = the slot's last free) the pair is one byte, op
 * MS_HL_OP_PAIR_BY_SIZE with the size slot in the high 4 bits, when the
 * malloc's stamp equals the previous event's; else (version 3) op
 * MS_HL_OP_PAIR_STAMP, the slot in the high bits, then zigzag varint
 * stamp - previous stamp.  Op MS_HL_OP_PAIR_ALT (version 3, stacks off)
 * is PAIR_BY_SIZE whose free comes from the free site before the previous
 * one (as a free with F_EXT: the two swap).
 *
 * Order.  Each thread's events are in the order it made the calls; across
 * threads the reader needs, for every address, its allocations and frees
 * in the order the allocator saw them (an address freed on one thread is
 * reused on another).  Stamps come from counters, one per domain: the
 * 64 MiB region of the address, hashed into a fixed table (the hook's
 * hook.h order_index), so every call on one address uses the same counter.
 * A free takes its domain's next value before the real free runs; an
 * allocation reads its domain after the real call returned.  Whoever
 * gets an address from the allocator after a free of it reads that
 * domain after the free's increment, so its stamp is not lower (equal:
 * the free comes first); a thread that frees a pointer another allocated
 * got it after that allocation's stamp was in the domain, so its stamp is
 * higher.  Each thread also keeps its last stamp: a stamp below it is
 * raised to it (a free's to one past it) and so is the domain, so a
 * thread's stamps never decrease and the orders of all domains fit one
 * merge.  The reader merges the threads' events by (stamp, frees first).
 * The free of a folded pair is stamped the malloc's stamp + 1, at most
 * its real stamp: no other thread's call on that address can fall between
 * a malloc and its free, and every later call on it has a stamp at least
 * the real one.  Stamps of one domain order calls on its addresses only;
 * across domains they order nothing in time (the coarse clock does).
 * A signal handler that allocates while its thread is inside the hook's
 * stamp (inside malloc or free: not async-signal-safe in the program
 * either) can leave its thread's stream out of order by a step.
 *
 * Versions: 3 added MS_HL_OP_PAIR_STAMP, MS_HL_OP_PAIR_ALT and F_EXT on frees; a version 2
 * log decodes the same with this reader (it never uses them).
 * A stack definition (op MS_HL_OP_STACK) precedes the first event using
 * it: varint id, varint depth, then zigzag varint frame deltas. */
#ifndef MS_HOTLOG_H
#define MS_HOTLOG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MS_HL_MAGIC     0x524c534du     /* "MSLR" little-endian */
#define MS_HL_VERSION   3              /* the reader also takes 2: a subset */
#define MS_HL_VERSION_MIN 2
#define MS_HL_TSHIFT    12              /* ticks are CLOCK_MONOTONIC_COARSE ns >> 12 */
#define MS_HL_MAX_EVENT 64              /* an event never encodes longer */
#define MS_HL_MAX_DEPTH 64              /* stack frames kept at most */
#define MS_HL_FREE_RING 8               /* recent frees kept; the first 7 are matched */
#define MS_HL_PTR_BY_SIZE 7             /* ext index: the size slot's last free */
#define MS_HL_COUNTERS_MAGIC 0x32544e434c534dull /* "MSLCNT2" */
#define MS_HL_SLOT_MAGIC 0x544f4c534c534dull      /* "MSLSLOT" */
#define MS_HL_SLOT_HDR   4096           /* struct ms_hl_slot, padded to a page */
#define MS_HL_SLOT_BUF   (256u << 10)   /* a thread's buffer: rec + block/counts header + events */
#define MS_HL_SLOT_BYTES (MS_HL_SLOT_HDR + MS_HL_SLOT_BUF)
#define MS_HL_SLOTS_MAX  1024           /* slots in a buffer file at most (more threads: anonymous buffers) */

enum ms_hl_rec_type {
	MS_HL_REC_PROCESS = 1,  /* struct ms_hl_process + exe path */
	MS_HL_REC_MAPS    = 2,  /* u64 mono_ns + /proc/self/maps text */
	MS_HL_REC_EVENTS  = 3,  /* struct ms_hl_block + encoded events */
	MS_HL_REC_THREAD  = 4,  /* struct ms_hl_thread */
	MS_HL_REC_DL      = 5,  /* struct ms_hl_dl + path */
	MS_HL_REC_COUNTS  = 6,  /* struct ms_hl_counts + ms_hl_count_site[] */
	MS_HL_REC_END     = 7,  /* struct ms_hl_end: the image ended cleanly */
};

enum ms_hl_op {
	MS_HL_OP_MALLOC = 0, MS_HL_OP_CALLOC, MS_HL_OP_REALLOC, MS_HL_OP_REALLOCARRAY,
	MS_HL_OP_MEMALIGN, MS_HL_OP_POSIX_MEMALIGN, MS_HL_OP_ALIGNED_ALLOC,
	MS_HL_OP_VALLOC, MS_HL_OP_PVALLOC, MS_HL_OP_FREE,
	MS_HL_OP_COUNT,
	MS_HL_OP_MALLOC_FREE = 10,   /* encoding only: a malloc, then its free */
	MS_HL_OP_PAIR_BY_SIZE = 11,  /* encoding only: the same, fully predicted */
	MS_HL_OP_PAIR_STAMP = 12,    /* encoding only: the same with a stamp step (version 3) */
	MS_HL_OP_PAIR_ALT = 13,      /* encoding only: PAIR_BY_SIZE, the free from the site before (3) */
	MS_HL_OP_STACK = 15,
};

#define MS_HL_F_SAMECALLER 0x10
#define MS_HL_F_PTRHIT     0x20
#define MS_HL_F_TIME       0x40
#define MS_HL_F_EXT        0x80    /* allocations: the ext byte follows */
#define MS_HL_SIZE_SLOTS   16      /* direct-mapped table of recent sizes */

/* Process options, in ms_hl_process.flags. */
#define MS_HL_P_COUNT_ONLY 0x1
#define MS_HL_P_STACKS     0x2
#define MS_HL_P_NO_TAILS   0x4   /* no buffer file: buffers die with the process */

struct ms_hl_rec {
	uint32_t magic;
	uint16_t type;
	uint16_t version;
	uint32_t len;           /* payload bytes after this header */
	uint32_t check;         /* ms_hl_hash(payload) */
};

struct ms_hl_process {
	uint32_t pid, ppid;
	uint32_t flags;         /* MS_HL_P_* */
	uint32_t stack_depth;
	uint64_t mono_ns;       /* CLOCK_MONOTONIC at start ... */
	uint64_t ticks;         /* ... and the tick counter then */
	uint32_t parent_seq;    /* 0, or the exec()s seen before this image */
	uint32_t forked;        /* 1 when this file starts at a fork */
	/* followed by the executable path, NUL-terminated */
};

struct ms_hl_block {
	uint32_t stream;        /* thread instance within the file */
	uint32_t tid;
	uint64_t ticks;         /* the block's time base */
	uint64_t mono_ns;       /* CLOCK_MONOTONIC when the block was written */
	uint64_t mono_ticks;    /* the tick counter then: calibration */
	uint32_t nevents;
	uint32_t dropped;       /* events this thread lost before this block */
	uint64_t stamp;         /* the block's order stamp base */
	uint32_t seq;           /* image-wide block number: a tail already written has it */
	uint32_t format;        /* MS_HL_FMT_PTR16 (version 3), 0 (version 2): how
				 * its events encode pointers; a tail has no record
				 * header to say its version */
};

#define MS_HL_FMT_PTR16 3

/* The header of a thread's slot in the buffer file; its buffer follows at
 * MS_HL_SLOT_HDR: a struct ms_hl_rec, then an ms_hl_block and events
 * (EVENTS, committed up to `commit`) or, count-only, an ms_hl_counts with
 * nsites = its table size and the table (empty entries have calls 0). */
struct ms_hl_slot {
	uint64_t magic;         /* MS_HL_SLOT_MAGIC once the slot was used */
	uint64_t commit;        /* (events << 32) | end offset in the buffer, release-stored */
	uint32_t stream, tid;
	uint32_t count_only;
	uint32_t pad;
	char     name[16];      /* the thread's name as the hook last saw it */
};

struct ms_hl_thread {
	uint32_t stream, tid;
	char     name[16];
};

struct ms_hl_dl {
	uint64_t mono_ns;
	uint64_t handle;
	uint32_t tid;
	uint32_t open;          /* 1 dlopen, 0 dlclose */
	/* followed by the path (dlopen), NUL-terminated */
};

struct ms_hl_count_site {
	uint64_t caller;
	uint64_t calls, bytes;
};

struct ms_hl_counts {
	uint32_t stream, tid;
	uint64_t calls, bytes;   /* every call of this thread */
	uint64_t untracked;      /* calls whose caller did not fit the table */
	uint64_t hist[64];       /* power-of-two size classes */
	uint32_t nsites;
	uint32_t seq;            /* as ms_hl_block.seq */
};

struct ms_hl_end {
	uint64_t mono_ns;
	uint64_t events, dropped;   /* this image, all threads */
	uint32_t reason;            /* MS_HL_END_* */
	uint32_t signal;
	uint32_t threads_cut;       /* always 0 since version 2: running threads' buffers are tails */
	uint32_t pad;
};

/* (2 was "stopped by the flush signal" in version 1, which had one) */
enum { MS_HL_END_EXIT = 0, MS_HL_END_EXEC = 1, MS_HL_END_SIGNAL = 3 };

/* The shared counters page. */
struct ms_hl_counters {
	uint64_t magic;
	uint64_t events;            /* written to a log */
	uint64_t dropped;           /* lost: buffer could not be written */
	uint64_t images;            /* process images that opened a log */
	uint64_t write_errors;      /* failed write(2) calls */
	uint64_t last_errno;
	uint64_t anon_slots;        /* thread buffers not in a buffer file (full disk): lost if killed */
};

/* Which ops carry a size. */
static inline int ms_hl_op_has_size(unsigned op)
{
	return op < MS_HL_OP_FREE;
}

static inline int ms_hl_op_allocates(unsigned op)
{
	return op < MS_HL_OP_FREE;
}

static inline const char *ms_hl_op_name(unsigned op)
{
	static const char *const n[MS_HL_OP_COUNT] = {
		"malloc", "calloc", "realloc", "reallocarray", "memalign",
		"posix_memalign", "aligned_alloc", "valloc", "pvalloc", "free",
	};
	return op < MS_HL_OP_COUNT ? n[op] : "?";
}

/* Where a size lives in the size table (both sides compute it). */
static inline unsigned ms_hl_size_slot(uint64_t size)
{
	return (unsigned)((size * 0x9e3779b97f4a7c15ull) >> 60);
}

/* Payload hash: 8 bytes a step, cheap enough for the hook's flushes. */
static inline uint32_t ms_hl_hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

static inline unsigned char *ms_hl_put_varint(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

static inline uint64_t ms_hl_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t ms_hl_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* A pointer step (version 3 blocks, ms_hl_block.format): d = pointer -
 * previous pointer.  glibc's chunks are 16-byte aligned, so the step is
 * written as zigzag varint ((d >> 4) << 1 | odd), and when d is not a
 * multiple of 16 (odd = 1) one byte d & 15 follows.  Returns the end. */
static inline unsigned char *ms_hl_put_ptr_step(unsigned char *p, uint64_t d)
{
	unsigned r = (unsigned)(d & 15);
	p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)d >> 4) << 1 | (r != 0));
	if (r)
		*p++ = (unsigned char)r;
	return p;
}

static inline int ms_hl_get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v);

/* Read a pointer step; -1 when it runs past the end or its low byte is
 * not 1..15 (corrupt). */
static inline int ms_hl_get_ptr_step(const unsigned char **p, const unsigned char *end, uint64_t *d)
{
	uint64_t v;
	if (ms_hl_get_varint(p, end, &v))
		return -1;
	unsigned r = 0;
	if (v & 1) {
		if (*p >= end || **p == 0 || **p > 15)
			return -1;
		r = *(*p)++;
	}
	*d = ((uint64_t)ms_hl_unzigzag(v >> 1) << 4) | r;
	return 0;
}

/* Read a varint from [*p, end).  Returns 0, or -1 when it runs past the
 * end or is longer than 10 bytes (corrupt). */
static inline int ms_hl_get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	const unsigned char *q = *p;
	uint64_t r = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (q >= end)
			return -1;
		unsigned char c = *q++;
		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*p = q;
			*v = r;
			return 0;
		}
	}
	return -1;
}

#endif

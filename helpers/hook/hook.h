/* Internal to libmemsleuth-hook.so: what its three files share.
 *   memsleuth_hook.c  the interposed allocator functions and the hot path
 *   hook_log.c        writing the log: blocks, records, maps, flushes
 *   hook_life.c       process and thread life: init, threads, fork, exec,
 *                     exit, signals, dlopen
 * Everything here is hidden (-fvisibility=hidden): only the interposed
 * functions are exported. */
#ifndef MS_HOOK_H
#define MS_HOOK_H

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <execinfo.h>
/* Stacks (--stacks N): hook_unwind.c's walker with a per-return-address
 * rule cache read from .eh_frame, and behind it libunwind, local
 * unwinding only: with its per-thread cache it walks a stack in a
 * fraction of glibc backtrace()'s time (the benchmark ran 96x slower than
 * bare with backtrace, 7x with libunwind), and like it needs no frame
 * pointers.  It is dlopen'ed only when stacks are asked for. */
#if __has_include(<libunwind.h>)
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#define HAVE_LIBUNWIND 1
#define STR_(x) #x
#define STR(x) STR_(x)   /* libunwind's names are macros: the real symbol */
#endif

#include "records/hotlog.h"

#define EXPORT __attribute__((visibility("default")))
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define BUF_BYTES    MS_HL_SLOT_BUF        /* per-thread event buffer */
#define FLUSH_ROOM   (MS_HL_MAX_EVENT + 12 * MS_HL_MAX_DEPTH + 32)
#define STACK_SLOTS  (1u << 14)            /* distinct stacks per thread */
#define COUNT_SLOTS  (1u << 13)            /* distinct callers per thread (count-only) */
#define PENDING_MAX  8                     /* events from signal handlers met mid-encode */

/* ---- the real allocator ---- */
struct real_allocator {
	void *(*malloc)(size_t);
	void  (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*memalign)(size_t, size_t);
	int   (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*malloc_usable_size)(void *);
	void *(*dlopen)(const char *, int);
	int   (*dlclose)(void *);
	int   (*execve)(const char *, char *const[], char *const[]);
	int   (*execvpe)(const char *, char *const[], char *const[]);
	int   (*fexecve)(int, char *const[], char *const[]);
	void  (*exit_)(int);
	void  (*Exit_)(int);
	int   (*setname)(pthread_t, const char *);
	int   (*prctl)(int, unsigned long, unsigned long, unsigned long, unsigned long);
};
extern struct real_allocator real;
/* memsleuth_hook.c: real.free until hook_init knows the real one */
void free_unresolved(void *p);

/* ---- per-thread state ---- */
struct stack_slot { uint64_t hash; uint32_t id; uint32_t used; };
struct count_slot { uint64_t caller, calls, bytes; };

struct by_size {
	uint64_t size1;               /* a recent size of this slot + 1, 0 empty */
	uint64_t freed;               /* the last pointer freed right after its allocation of a size here */
};

struct slot {
	/* The encoder's state, read and written by every event: first, on
	 * few cache lines.  Where the next event goes and how many the block
	 * holds are not here: they are the slot's commit word (hdr->commit),
	 * written by every event anyway and read back from there. */
	struct ms_hl_slot *hdr;       /* the slot in the buffer file (shared), or anonymous */
	unsigned     clock_countdown; /* calls until the next clock sample */
	unsigned     pair_byte;       /* pair_pos's op byte once its free folds into it */
	unsigned char *pair_pos;      /* the last event if it was a malloc (its stamp is prev_stamp) */
	uint64_t     pair_commit;     /* the commit word once its free folds into it */
	/* delta state, restarted at each block */
	uint64_t     prev_stamp;      /* order stamp of the previous event */
	uint64_t     prev_ptr, last_alloc;
	uint64_t     prev_caller[2];
	uint64_t     alt_free_caller; /* the free call site before prev_caller[1] */
	unsigned     last_alloc_slot;
	unsigned     ring_head;
	uint64_t     ring[MS_HL_FREE_RING];
	struct by_size by_size[MS_HL_SIZE_SLOTS];
	uint64_t     prev_ticks, base_ticks;
	uint32_t     prev_stack[2];
	/* the rest: per block or rarer */
	struct slot *next;            /* registry: never unlinked, reused */
	atomic_int   in_use;
	uint32_t     stream, tid;
	unsigned char *buf;           /* hdr + MS_HL_SLOT_HDR: record header + block header + events */
	pid_t        map_pid;         /* the image whose buffer file hdr maps (fork: remap) */
	int          sync;            /* write after every event (after fini, exiting) */
	int          first_flushed;
	/* accounting */
	uint64_t     dropped;         /* since the last block written */
	uint64_t     events, dropped_total;   /* of the blocks written (or lost) so far */
	char         name[16];
	/* stack ids (stacks mode) */
	struct stack_slot *stacks;
	uint32_t     next_stack_id;
	unsigned     rules_gen;       /* hook_unwind.c: the dlclose generation of rules */
	struct unw_rule *rules;       /* return address -> how to step its frame */
	struct walk_memo *memo;       /* walks remembered, by where they started */
	uintptr_t    stack_lo, stack_hi;  /* this thread's stack, 0 until read */
	/* count-only: both in the buffer, so that they outlive the process */
	struct ms_hl_counts *ch;
	struct count_slot *counts;
	struct count_slot *count_last[2];   /* the last entry of allocations, frees */
};

struct pending { uint64_t size, ptr, old, caller, stamp, stamp_free; unsigned op; };

struct tls {
	struct slot *s;
	/* The hot path's one test: `gate` is GATE_LOG or GATE_COUNT when
	 * this thread has a slot in that plain mode (no stacks, no sync) and
	 * is not inside the hook. */
	union {
		struct {
			int16_t busy;         /* 1 internal (pass through), 2 encoding */
			int16_t fast;         /* FAST_LOG or FAST_COUNT: no stacks or sync */
		};
		int32_t gate;
	};
	uint64_t clock;               /* the thread's last order stamp (stamp_free) */
	uint64_t self;                /* &tls, what it writes in an order domain's owner (thread_start) */
	int  exited;                  /* the thread's key destructor has run */
	uint32_t stream;
	unsigned npend;
	/* stacks: the wrapper's frame, from record_slow (a return address
	 * into it and its stack pointer), where hook_unwind.c starts; 0 = none */
	uint64_t frame_ip, frame_sp;
	struct pending pend[PENDING_MAX];
};

extern __thread struct tls tls __attribute__((tls_model("initial-exec")));

/* ---- process-wide state (defined in hook_life.c) ---- */
extern atomic_int   g_init;           /* 0 no, 1 in progress, 2 done */
extern int          g_off;            /* not logging (fork=stop child, no dir) */
extern int          g_fd;        /* this image's log */
extern char         g_dir[PATH_MAX];  /* the log directory ("" until known) */
extern char         g_log_path[PATH_MAX];
extern dev_t        g_log_dev;        /* what g_fd must still be */
extern ino_t        g_log_ino;
extern unsigned     g_depth;          /* stack frames, 0 = caller only */
extern int          g_count_only;
extern int          g_fork_stop;
extern int          g_fini;           /* process exit flush done */
extern uint32_t     g_seq;
extern pid_t        g_pid;            /* this image's pid: a vfork child differs */
extern struct slot *_Atomic g_slots;
extern atomic_uint  g_next_stream;
extern pthread_key_t g_key;
extern struct ms_hl_counters *g_counters;
extern struct ms_hl_counters g_local_counters;  /* when the page is missing */
extern unsigned char *g_maps_buf;
extern size_t       g_maps_cap;
extern atomic_int   g_maps_lock;
/* Order domains (hotlog.h "Order"): one counter per 64 MiB region of
 * the address space, hashed into ORDER_DOMAINS entries.  A region is what
 * one arena's heap occupies (malloc/arena.c HEAP_MAX_SIZE: 64 MiB on
 * 64-bit), so a thread with an arena of its own mostly meets its own
 * domains.  A domain's counter is the larger of two: `own`, written with
 * plain stores by the thread that owns the domain (the first to stamp
 * there; it gives it back at its exit), and `foreign`, raised with locked
 * instructions by every other thread.  Each on its own cache lines: the
 * owner's line moves only when another thread stamps in its domain. */
#define ORDER_REGION_SHIFT 26
#define ORDER_DOMAINS      256
struct order_line {
	_Alignas(128) _Atomic uint64_t owner;
	_Atomic uint64_t own;
	_Alignas(128) _Atomic uint64_t foreign;   /* its own line, next to the owner's: one address for both */
};
extern struct order_line g_order[ORDER_DOMAINS];
extern atomic_uint  g_block_seq;      /* image-wide block numbers */
extern atomic_uint  g_nmapped;        /* slots of the buffer file handed out */
extern char         g_buf_path[PATH_MAX];  /* "" when there is no buffer file */

/* Order stamps (hotlog.h "Order" says why they order one address's
 * calls across threads and keep each thread's stream nondecreasing).
 * A free takes one past its address's domain (and past the thread's last
 * stamp, tls.clock) and writes it there before the real free runs; an
 * allocation reads its domain after the real call returned, takes at
 * least tls.clock, and raises the domain to its stamp if that is above
 * it, so that whoever meets the address next stamps above.
 * Why domains with an owner: one process-wide counter was exact too,
 * but on an idle 2-core host the bench's two threads each hold a core and
 * its cache line moved on every call: 4.6x-5.3x the bare run, 82% of the
 * hook's time on that line (perf annotate).  Counters per domain, each
 * raised with lock xadd: 2.3x, 60% of free's time still on the locked
 * instruction (it waits for the store buffer the encoder just filled).
 * The owner's plain store costs nothing of that: 2.38x on the idle host
 * (bench/hotspots, CPU), the rest of the hook's time spread over the
 * encoder with no line of it above 6%.  Costs here: lock xadd
 * 6.8 ns alone, rdtsc 16.6 ns, rdtscp 25 ns (a VM): no clock instruction
 * is cheaper.  Tried earlier and not kept: per-address buckets of per-CPU
 * columns in rseq critical sections (a line per bucket: a miss per call).
 * A signal handler that frees while its thread is inside the owner's
 * read-then-store (inside free: not async-signal-safe in the program
 * either) can lower `own` by the handler's steps. */
static inline size_t order_index(uint64_t p)
{
	return (size_t)((p >> ORDER_REGION_SHIFT) % ORDER_DOMAINS);
}

/* Whether this thread owns domain o, claiming it when nobody does (not
 * after the thread's exit destructor ran: it would never give it back). */
static inline int order_mine(struct order_line *o)
{
	uint64_t me = (uint64_t)(uintptr_t)&tls;
	uint64_t w = atomic_load_explicit(&o->owner, memory_order_relaxed);
	if (LIKELY(w == me))
		return 1;
	return !w && !tls.exited &&
	       atomic_compare_exchange_strong_explicit(&o->owner, &w, me, memory_order_acquire, memory_order_relaxed);
}

/* Raise a foreign counter to at least v (others may have gone further). */
static inline void order_raise(_Atomic uint64_t *n, uint64_t v)
{
	uint64_t c = atomic_load_explicit(n, memory_order_relaxed);
	while (c < v && !atomic_compare_exchange_weak_explicit(n, &c, v, memory_order_acq_rel,
								  memory_order_relaxed))
		;
}

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* hook_life.c: stamp_free's way when the calling thread does not own
 * the domain yet (it may claim it) or another does; stamp_alloc's when
 * the domain is below the thread's last stamp x (it raises it to x). */
uint64_t stamp_free_other(uint64_t p);
void stamp_alloc_raise(uint64_t p, uint64_t x);

static inline uint64_t stamp_free(uint64_t p)
{
	size_t i = order_index(p);
	struct order_line *o = &g_order[i];
	if (UNLIKELY(atomic_load_explicit(&o->owner, memory_order_relaxed) != (uint64_t)(uintptr_t)&tls))
		return stamp_free_other(p);
	uint64_t v = max_u64(max_u64(atomic_load_explicit(&o->own, memory_order_relaxed),
				     atomic_load_explicit(&g_order[i].foreign, memory_order_acquire)),
			     tls.clock) + 1;
	atomic_store_explicit(&o->own, v, memory_order_release);
	tls.clock = v;
	return v;
}

static inline uint64_t stamp_alloc(uint64_t p)
{
	size_t i = order_index(p);
	uint64_t x = max_u64(atomic_load_explicit(&g_order[i].own, memory_order_acquire),
			     atomic_load_explicit(&g_order[i].foreign, memory_order_acquire));
	if (UNLIKELY(x < tls.clock)) {
		x = tls.clock;
		stamp_alloc_raise(p, x);
	}
	tls.clock = x;
	return x;
}

void order_release(void);

/* Event time: CLOCK_MONOTONIC_COARSE (vDSO, jiffy resolution), read every
 * CLOCK_EVERY calls per thread and at each block start.  A precise clock
 * per event costs more than the allocation it times (rdtsc ~23 ns in a VM,
 * CLOCK_MONOTONIC ~60 ns), and the analysis orders events, it does not
 * time them. */
#define CLOCK_EVERY 32

static inline uint64_t now_ticks(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) >> MS_HL_TSHIFT;
}

#define EV_START (sizeof(struct ms_hl_rec) + sizeof(struct ms_hl_block))
#define BLOCK_HDR(s) ((struct ms_hl_block *)((s)->buf + sizeof(struct ms_hl_rec)))

/* The commit word (hotlog.h ms_hl_slot.commit: events << 32 | end offset
 * in the buffer) is also the writer's own record of where the next event
 * goes: only the slot's thread writes it, so it reads it back relaxed. */
#define COMMIT_EVENT (1ull << 32)

static inline void commit_store(struct slot *s, uint64_t v)
{
	__atomic_store_n(&s->hdr->commit, v, __ATOMIC_RELEASE);
}

static inline uint64_t commit_load(const struct slot *s)
{
	return __atomic_load_n(&s->hdr->commit, __ATOMIC_ACQUIRE);
}

static inline unsigned char *slot_events(struct ms_hl_slot *h)
{
	return (unsigned char *)h + MS_HL_SLOT_HDR;   /* = slot.buf */
}

/* Whether the block must be written before the next event: the buffer
 * is nearly full. */
static inline int commit_full(uint64_t w)
{
	return (uint32_t)w > BUF_BYTES - FLUSH_ROOM;
}

enum { FAST_NONE, FAST_LOG, FAST_COUNT };
/* tls.gate for busy and fast together (little-endian: busy is the low half) */
#define GATE(fast, busy) ((int32_t)((uint32_t)(fast) << 16 | (uint32_t)(busy)))
#define GATE_LOG   GATE(FAST_LOG, 0)
#define GATE_COUNT GATE(FAST_COUNT, 0)
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tls.gate's layout");

/* ---- shared between the files ---- */
uint64_t mono_ns(void);
void *map_zeroed(size_t n);
void log_fd_check(void);
void write_small(unsigned type, const void *payload, size_t len);
void snapshot_maps(void);
void block_reset(struct slot *s);
void slot_update_fast(struct slot *s);   /* s: the calling thread's slot */
void flush_own(struct slot *s);
void flush_all(unsigned reason, int sig, int close_self);
void open_log(int forked, uint32_t parent_seq);
void slot_release(struct slot *s);
void slot_map(struct slot *s);
void write_thread_name(struct slot *s);
void names_rescan(void);
void hook_init(void);
struct ms_hl_counters *counters(void);
struct slot *thread_start(struct tls *t, int keep_stream);
/* hook_unwind.c: stacks (--stacks N) */
void stack_init(void);
void stack_slot_start(struct slot *s);
void stack_forget_rules(void);
/* The id of this event's stack (from `caller` on) in the thread's table
 * (*id); returns 0, or the frame count when the stack is new to the
 * table: out[] holds it, and its definition must go before the event. */
int  stack_capture(struct tls *t, struct slot *s, uint64_t caller, void **out, uint32_t *id);

#endif

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

/* ---- per-thread state ---- */
struct stack_slot { uint64_t hash; uint32_t id; uint32_t used; };
struct count_slot { uint64_t caller, calls, bytes; };

struct slot {
	struct slot *next;            /* registry: never unlinked, reused */
	atomic_int   in_use;
	atomic_int   fast;            /* FAST_LOG or FAST_COUNT: no stacks or sync */
	uint32_t     stream, tid;
	struct ms_hl_slot *hdr;       /* the slot in the buffer file (shared), or anonymous */
	unsigned char *buf;           /* hdr + MS_HL_SLOT_HDR: record header + block header + events */
	pid_t        map_pid;         /* the image whose buffer file hdr maps (fork: remap) */
	uint32_t     nevents;
	unsigned char *pos;
	int          sync;            /* write after every event (after fini, exiting) */
	int          first_flushed;
	/* delta state, restarted at each block */
	uint64_t     base_ticks, prev_ticks, prev_ptr, prev_caller[2];
	uint64_t     prev_stamp;      /* order stamp of the previous event */
	uint64_t     pair_stamp;      /* the last malloc's order stamp (pair_pos) */
	uint64_t     alt_free_caller; /* the free call site before prev_caller[1] */
	uint64_t     clock_ticks;     /* last clock sample */
	unsigned     clock_countdown; /* calls until the next sample */
	uint32_t     prev_stack[2];
	uint64_t     ring[MS_HL_FREE_RING];
	uint64_t     sizes[MS_HL_SIZE_SLOTS];  /* size + 1, 0 empty */
	uint64_t     freed_by_size[MS_HL_SIZE_SLOTS];
	unsigned     last_alloc_slot;
	unsigned char *pair_pos;      /* the last event if it was a malloc */
	int          pair_slot;       /* its size slot if fully predicted, else -1 */
	unsigned char *pair_end;      /* the end of that malloc's bytes */
	unsigned     ring_head;
	uint64_t     last_alloc;
	/* accounting */
	uint64_t     dropped;         /* since the last block written */
	uint64_t     events, dropped_total;
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
	int  busy;                    /* 1 internal (pass through), 2 encoding */
	int  exited;                  /* the thread's key destructor has run */
	uint32_t stream;
	unsigned npend;
	struct pending pend[PENDING_MAX];
	/* stacks: the wrapper's frame, from record_slow (a return address
	 * into it and its stack pointer), where hook_unwind.c starts; 0 = none */
	uint64_t frame_ip, frame_sp;
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
/* The order stamp counter (hotlog.h "Order"), alone on its cache lines:
 * every free writes it, and the hot path's read-mostly globals (real,
 * g_count_only, g_depth) must not share them. */
struct order_line { _Alignas(128) _Atomic uint64_t n; char pad[120]; };
extern struct order_line g_order;
extern atomic_uint  g_block_seq;      /* image-wide block numbers */
extern atomic_uint  g_nmapped;        /* slots of the buffer file handed out */
extern char         g_buf_path[PATH_MAX];  /* "" when there is no buffer file */

/* Order stamps: a free takes the next value before the real free runs,
 * an allocation reads the counter after the real call returned (hotlog.h
 * explains why this orders one address's calls across threads).  One
 * atomic increment per free: 12 ns alone, 16 ns with two threads
 * contending on this 2-vCPU host, against 34 ns for rdtsc and 70 ns for
 * clock_gettime(CLOCK_MONOTONIC) here.
 * Tried and measured (bench/hotspots workloads, load 5-13), not kept:
 * per-address buckets of per-CPU columns written in rseq critical
 * sections (no locked instruction) with a Lamport clock per thread, and
 * per-CPU max registers written the same way.  Both exact, neither
 * cheaper here: under load the two threads rarely run at once, so this
 * counter's line seldom moves, and an rseq store (plus the allocation's
 * own store the buckets need) costs about what the one locked add does.
 * They would pay on a machine whose threads do run in parallel. */
static inline uint64_t stamp_free(void)
{
	return atomic_fetch_add_explicit(&g_order.n, 1, memory_order_acq_rel) + 1;
}

static inline uint64_t stamp_alloc(void)
{
	return atomic_load_explicit(&g_order.n, memory_order_acquire);
}

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

static inline void commit_store(struct slot *s, uint64_t v)
{
	__atomic_store_n(&s->hdr->commit, v, __ATOMIC_RELEASE);
}

static inline uint64_t commit_load(const struct slot *s)
{
	return __atomic_load_n(&s->hdr->commit, __ATOMIC_ACQUIRE);
}
enum { FAST_NONE, FAST_LOG, FAST_COUNT };

/* ---- shared between the files ---- */
uint64_t mono_ns(void);
void *map_zeroed(size_t n);
void log_fd_check(void);
void write_small(unsigned type, const void *payload, size_t len);
void snapshot_maps(void);
void block_reset(struct slot *s);
void slot_update_fast(struct slot *s);
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

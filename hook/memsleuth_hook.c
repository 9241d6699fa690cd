/* libmemsleuth-hook.so: the LD_PRELOAD allocator hook behind
 * `memsleuth hotspots -- CMD`.  It records every allocator call (time,
 * thread, operation, size, pointer, caller or stack) in the compact log
 * described by records/hotlog.h, or only counts (count-only mode).
 *
 * Rules this file lives by:
 * - It never allocates through the functions it hooks: its buffers come
 *   from mmap, formatting is done by hand.  What it calls that may
 *   allocate (dlsym, dlopen, the unwinder, pthread_atfork) runs with the thread's
 *   guard set, so those calls go straight to the real allocator.
 * - dlsym itself calls calloc before the real one is known: those few
 *   requests are served from a static buffer.
 * - The hot path takes no lock: each thread encodes into its own buffer
 *   and writes it whole, with one write(2) on an O_APPEND descriptor.
 * - Nothing is lost silently: events that cannot be written are counted
 *   in the shared counters page and in the next block header.
 * This is the only file in the project with global mutable state: an
 * interposer has no other place to keep it.
 *
 * Environment (set by the driver):
 *   MEMSLEUTH_HOOK_DIR     log directory (else a private one in $TMPDIR)
 *   MEMSLEUTH_HOOK_STACKS  user stack depth, 0 = caller only (default)
 *   MEMSLEUTH_HOOK_COUNT   1 = count-only: per-thread, per-caller counters
 *   MEMSLEUTH_HOOK_FORK    "own" (default: child logs to its own file) or "stop"
 *   MEMSLEUTH_HOOK_SIGNAL  signal that flushes every thread (driver stop),
 *                          0 disables; default SIGRTMAX-7 */
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
/* Stacks (--stacks N) come from libunwind, local unwinding only: with its
 * per-thread cache it walks a stack in a fraction of glibc backtrace()'s
 * time (the benchmark ran 96x slower than bare with backtrace, 7x with
 * libunwind), and like it needs no frame pointers.  It is dlopen'ed only
 * when stacks are asked for; without it, backtrace() serves. */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#define STR_(x) #x
#define STR(x) STR_(x)

#include "records/hotlog.h"

#define EXPORT __attribute__((visibility("default")))
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define BUF_BYTES    (256u << 10)          /* per-thread event buffer */
#define FLUSH_ROOM   (MS_HL_MAX_EVENT + 12 * MS_HL_MAX_DEPTH + 32)
#define STACK_SLOTS  (1u << 14)            /* distinct stacks per thread */
#define COUNT_SLOTS  (1u << 13)            /* distinct callers per thread (count-only) */
#define PENDING_MAX  8                     /* events from signal handlers met mid-encode */

/* ---- the real allocator ---- */
static struct {
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
} real;

/* ---- bootstrap: calloc from dlsym before `real` is known ---- */
static _Alignas(16) unsigned char boot_buf[64 << 10];
static atomic_size_t boot_used;

static void *boot_alloc(size_t n)
{
	size_t need = ((n + 15) & ~(size_t)15) + 16;
	size_t at = atomic_fetch_add(&boot_used, need);
	if (at + need > sizeof boot_buf)
		return NULL;
	memcpy(boot_buf + at, &n, sizeof n);     /* size kept for realloc */
	return boot_buf + at + 16;
}

static int is_boot(const void *p)
{
	return (const unsigned char *)p >= boot_buf && (const unsigned char *)p < boot_buf + sizeof boot_buf;
}

static size_t boot_size(const void *p)
{
	size_t n;
	memcpy(&n, (const unsigned char *)p - 16, sizeof n);
	return n;
}

/* ---- per-thread state ---- */
struct stack_slot { uint64_t hash; uint32_t id; uint32_t used; };
struct count_slot { uint64_t caller, calls, bytes; };

struct slot {
	struct slot *next;            /* registry: never unlinked, reused */
	atomic_int   in_use;
	atomic_int   lock;            /* held while the buffer is written out */
	atomic_int   closed;          /* flushed by another thread at exit/exec/stop */
	atomic_int   fast;            /* FAST_LOG or FAST_COUNT: no stacks, sync or close */
	uint32_t     stream, tid;
	unsigned char *buf;           /* record header + block header + events */
	_Atomic uint64_t commit;      /* (nevents << 32) | end offset, for flush_all */
	uint32_t     nevents;
	unsigned char *pos;
	int          sync;            /* write after every event (after fini, exiting) */
	int          first_flushed;
	/* delta state, restarted at each block */
	uint64_t     base_ticks, prev_ticks, prev_ptr, prev_caller[2];
	uint64_t     clock_ticks;     /* last clock sample */
	unsigned     clock_countdown; /* calls until the next sample */
	uint32_t     prev_stack[2];
	uint64_t     ring[MS_HL_FREE_RING];
	uint64_t     sizes[MS_HL_SIZE_SLOTS];  /* size + 1, 0 empty */
	uint64_t     freed_by_size[MS_HL_SIZE_SLOTS];
	unsigned     last_alloc_slot;
	unsigned char *pair_pos;      /* the last event if it was a malloc */
	int          pair_slot;       /* its size slot if fully predicted, else -1 */
	unsigned     ring_head;
	uint64_t     last_alloc;
	/* accounting */
	uint64_t     dropped;         /* since the last block written */
	uint64_t     events, dropped_total;
	char         name[16];
	/* stack ids (stacks mode) */
	struct stack_slot *stacks;
	uint32_t     next_stack_id;
	/* count-only */
	struct count_slot *counts;
	uint64_t     c_calls, c_bytes, c_untracked, c_hist[64];
};

struct pending { uint64_t size, ptr, old, caller; unsigned op; };

struct tls {
	struct slot *s;
	int  busy;                    /* 1 internal (pass through), 2 encoding */
	int  exited;                  /* the thread's key destructor has run */
	uint32_t stream;
	unsigned npend;
	struct pending pend[PENDING_MAX];
};

static __thread struct tls tls __attribute__((tls_model("initial-exec")));

/* ---- process-wide state ---- */
static atomic_int   g_init;           /* 0 no, 1 in progress, 2 done */
static int          g_off;            /* not logging (fork=stop child, no dir) */
static int          g_fd = -1;        /* this image's log */
static char         g_dir[PATH_MAX];  /* the log directory ("" until known) */
static char         g_log_path[PATH_MAX];
static dev_t        g_log_dev;        /* what g_fd must still be */
static ino_t        g_log_ino;
static unsigned     g_depth;          /* stack frames, 0 = caller only */
static int          g_count_only;
static int          g_fork_stop;
static int          g_fini;           /* process exit flush done */
static uint32_t     g_seq;
static pid_t        g_pid;            /* this image's pid: a vfork child differs */
static struct slot *_Atomic g_slots;
static atomic_uint  g_next_stream;
static pthread_key_t g_key;
static struct ms_hl_counters *g_counters;
static struct ms_hl_counters g_local_counters;  /* when the page is missing */
static unsigned char *g_maps_buf;
static size_t       g_maps_cap;
static atomic_int   g_maps_lock;
static int        (*g_unw_backtrace)(void **, int);
static int          g_stop_sig;       /* the flush signal, 0 when not ours */
static atomic_int   g_sig_taken;      /* the program installed its own handler */

/* ---- small helpers that never allocate ---- */
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

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static char *put_str(char *p, char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
}

static char *put_uint(char *p, char *end, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && p < end)
		*p++ = tmp[--n];
	return p;
}

static void *map_zeroed(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void spin_lock(atomic_int *l)
{
	while (atomic_exchange_explicit(l, 1, memory_order_acquire))
		;
}

static int try_lock(atomic_int *l, int spins)
{
	for (int i = 0; i < spins; i++)
		if (!atomic_exchange_explicit(l, 1, memory_order_acquire))
			return 1;
	return 0;
}

static void unlock(atomic_int *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

static struct ms_hl_counters *counters(void)
{
	return g_counters ? g_counters : &g_local_counters;
}

/* Move fd out of the way of the program's own descriptors (programs dup2
 * onto small numbers); keep it where it is if the limit is low. */
static int fd_high(int fd)
{
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, 500);
	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

/* A program may close every descriptor it did not open (daemons do) and
 * get our number back for a file of its own: never write into that.
 * Before each write, check the descriptor is still our log; if not, forget
 * it (it is the program's now) and reopen the log by its path. */
static void log_fd_check(void)
{
	struct stat st;
	if (g_fd >= 0 && fstat(g_fd, &st) == 0 && st.st_dev == g_log_dev && st.st_ino == g_log_ino)
		return;
	g_fd = -1;
	if (!g_log_path[0])
		return;
	int fd = open(g_log_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_dev == g_log_dev && st.st_ino == g_log_ino)
		g_fd = fd_high(fd);
	else
		close(fd);
}

/* Write one whole record.  A short write on a full disk leaves a torn
 * record that the reader skips by its hash; the events are counted lost. */
static int write_record(unsigned type, void *rec_and_payload, size_t payload_len)
{
	struct ms_hl_rec *r = rec_and_payload;
	r->magic = MS_HL_MAGIC;
	r->type = (uint16_t)type;
	r->version = MS_HL_VERSION;
	r->len = (uint32_t)payload_len;
	r->check = ms_hl_hash(r + 1, payload_len);
	size_t total = sizeof *r + payload_len;
	int saved = errno;
	log_fd_check();
	if (g_fd < 0) {
		errno = saved;
		return -1;
	}
	ssize_t w = write(g_fd, r, total);
	int err = errno;
	errno = saved;
	if (w == (ssize_t)total)
		return 0;
	atomic_fetch_add((_Atomic uint64_t *)&counters()->write_errors, 1);
	counters()->last_errno = (uint64_t)(w < 0 ? err : ENOSPC);
	return -1;
}

/* Small records are built on the stack. */
static void write_small(unsigned type, const void *payload, size_t len)
{
	_Alignas(8) unsigned char tmp[sizeof(struct ms_hl_rec) + 512];
	if (len > 512)
		return;
	memcpy(tmp + sizeof(struct ms_hl_rec), payload, len);
	write_record(type, tmp, len);
}

/* The maps snapshot: the reader symbolises and finds arena heaps with it
 * after the process is gone. */
static void snapshot_maps(void)
{
	if (g_fd < 0 || !try_lock(&g_maps_lock, 1 << 20))
		return;
	size_t hdr = sizeof(struct ms_hl_rec) + 8;
	for (int attempt = 0; attempt < 10; attempt++) {
		if (!g_maps_buf || attempt) {
			size_t want = g_maps_cap ? g_maps_cap * 2 : (256u << 10);
			unsigned char *nb = map_zeroed(want);
			if (!nb)
				break;
			if (g_maps_buf)
				munmap(g_maps_buf, g_maps_cap);
			g_maps_buf = nb;
			g_maps_cap = want;
		}
		int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		size_t len = 0;
		ssize_t r;
		while (hdr + len < g_maps_cap && (r = read(fd, g_maps_buf + hdr + len, g_maps_cap - hdr - len)) > 0)
			len += (size_t)r;
		close(fd);
		if (hdr + len >= g_maps_cap)
			continue;   /* did not fit: bigger buffer */
		uint64_t t = mono_ns();
		memcpy(g_maps_buf + sizeof(struct ms_hl_rec), &t, 8);
		write_record(MS_HL_REC_MAPS, g_maps_buf, 8 + len);
		break;
	}
	unlock(&g_maps_lock);
}

/* ---- blocks ---- */
#define EV_START (sizeof(struct ms_hl_rec) + sizeof(struct ms_hl_block))

static void block_reset(struct slot *s)
{
	s->pos = s->buf + EV_START;
	s->nevents = 0;
	s->base_ticks = s->prev_ticks = s->clock_ticks = now_ticks();
	s->clock_countdown = CLOCK_EVERY;
	s->prev_ptr = 0;
	s->prev_caller[0] = s->prev_caller[1] = 0;
	s->prev_stack[0] = s->prev_stack[1] = UINT32_MAX;
	memset(s->ring, 0, sizeof s->ring);
	memset(s->sizes, 0, sizeof s->sizes);
	memset(s->freed_by_size, 0, sizeof s->freed_by_size);
	s->last_alloc_slot = 0;
	s->pair_pos = NULL;
	s->ring_head = 0;
	s->last_alloc = 0;
	atomic_store_explicit(&s->commit, EV_START, memory_order_release);
}

static void write_thread_name(struct slot *s)
{
	char name[16] = { 0 };
	if (s->tid == (uint32_t)syscall(SYS_gettid))
		prctl(PR_GET_NAME, name, 0, 0, 0);
	if (!name[0] || !memcmp(name, s->name, sizeof name))
		return;
	memcpy(s->name, name, sizeof name);
	struct ms_hl_thread t = { .stream = s->stream, .tid = s->tid };
	memcpy(t.name, name, sizeof t.name);
	write_small(MS_HL_REC_THREAD, &t, sizeof t);
}

static void write_counts(struct slot *s);
static void on_stop_signal(int sig);

/* A program that installs its own handler for the flush signal after us
 * must not receive the driver's: say so in the counters page, checked at
 * every thread start and buffer write. */
static void check_signal_owner(void)
{
	struct sigaction cur;
	if (!g_stop_sig || atomic_load_explicit(&g_sig_taken, memory_order_relaxed))
		return;
	if (sigaction(g_stop_sig, NULL, &cur) == 0 && cur.sa_handler != on_stop_signal &&
	    !atomic_exchange(&g_sig_taken, 1))
		atomic_fetch_add((_Atomic uint64_t *)&counters()->flush_sig_refused, 1);
}

/* The hot path checks one flag; anything unusual clears it. */
enum { FAST_NONE, FAST_LOG, FAST_COUNT };

static void slot_update_fast(struct slot *s)
{
	int plain = !g_depth && !s->sync && !atomic_load(&s->closed);
	atomic_store_explicit(&s->fast, !plain ? FAST_NONE : g_count_only ? FAST_COUNT : FAST_LOG,
			      memory_order_relaxed);
}

/* Write the committed part of s's buffer as one block.  Caller holds
 * s->lock.  The block's delta state restarts afterwards. */
static void write_block(struct slot *s, uint64_t commit, int own)
{
	uint32_t n = (uint32_t)(commit >> 32);
	size_t end = (size_t)(commit & 0xffffffffu);
	if (own) {
		write_thread_name(s);
		check_signal_owner();
	}
	if (g_count_only) {
		write_counts(s);
		return;
	}
	if (n == 0 && s->dropped == 0)
		return;
	struct ms_hl_block *b = (struct ms_hl_block *)(s->buf + sizeof(struct ms_hl_rec));
	b->stream = s->stream;
	b->tid = s->tid;
	b->ticks = s->base_ticks;
	b->mono_ns = mono_ns();
	b->mono_ticks = now_ticks();
	b->nevents = n;
	b->dropped = (uint32_t)(s->dropped > UINT32_MAX ? UINT32_MAX : s->dropped);
	if (write_record(MS_HL_REC_EVENTS, s->buf, end - sizeof(struct ms_hl_rec)) == 0) {
		atomic_fetch_add((_Atomic uint64_t *)&counters()->events, n);
		s->dropped = 0;
	} else {
		atomic_fetch_add((_Atomic uint64_t *)&counters()->dropped, n);
		s->dropped += n;
		s->dropped_total += n;
	}
	if (own && !s->first_flushed) {
		s->first_flushed = 1;
		snapshot_maps();   /* this thread's arena now exists */
	}
}

static void flush_own(struct slot *s)
{
	spin_lock(&s->lock);
	if (atomic_load(&s->closed)) {
		uint32_t n = (uint32_t)(atomic_load(&s->commit) >> 32);
		atomic_fetch_add((_Atomic uint64_t *)&counters()->dropped, n);
		s->dropped_total += n;
	} else {
		write_block(s, atomic_load(&s->commit), 1);
	}
	block_reset(s);
	unlock(&s->lock);
}

/* ---- count-only tables ---- */
static void count_event(struct slot *s, uint64_t caller, uint64_t size, unsigned op)
{
	s->c_calls++;
	if (ms_hl_op_has_size(op)) {
		s->c_bytes += size;
		s->c_hist[size ? 63 - __builtin_clzll(size) : 0]++;
	}
	uint32_t h = (uint32_t)((caller * 0x9e3779b97f4a7c15ull) >> 51) & (COUNT_SLOTS - 1);
	for (uint32_t i = 0; i < 32; i++) {
		struct count_slot *c = &s->counts[(h + i) & (COUNT_SLOTS - 1)];
		if (c->caller == caller || c->caller == 0) {
			c->caller = caller;
			c->calls++;
			if (ms_hl_op_has_size(op))
				c->bytes += size;
			return;
		}
	}
	s->c_untracked++;
}

static void write_counts(struct slot *s)
{
	if (!s->counts || !s->c_calls)
		return;
	uint32_t nsites = 0;
	for (uint32_t i = 0; i < COUNT_SLOTS; i++)
		nsites += s->counts[i].caller != 0;
	size_t len = sizeof(struct ms_hl_counts) + nsites * sizeof(struct ms_hl_count_site);
	unsigned char *buf = map_zeroed(sizeof(struct ms_hl_rec) + len);
	if (!buf)
		return;
	struct ms_hl_counts *c = (struct ms_hl_counts *)(buf + sizeof(struct ms_hl_rec));
	c->stream = s->stream;
	c->tid = s->tid;
	c->calls = s->c_calls;
	c->bytes = s->c_bytes;
	c->untracked = s->c_untracked;
	memcpy(c->hist, s->c_hist, sizeof c->hist);
	c->nsites = nsites;
	struct ms_hl_count_site *out = (struct ms_hl_count_site *)(c + 1);
	for (uint32_t i = 0, k = 0; i < COUNT_SLOTS; i++)
		if (s->counts[i].caller) {
			out[k].caller = s->counts[i].caller;
			out[k].calls = s->counts[i].calls;
			out[k].bytes = s->counts[i].bytes;
			k++;
		}
	if (write_record(MS_HL_REC_COUNTS, buf, len) == 0)
		atomic_fetch_add((_Atomic uint64_t *)&counters()->events, s->c_calls);
	else
		atomic_fetch_add((_Atomic uint64_t *)&counters()->dropped, s->c_calls);
	munmap(buf, sizeof(struct ms_hl_rec) + len);
	/* counted once: start over */
	memset(s->counts, 0, COUNT_SLOTS * sizeof *s->counts);
	s->c_calls = s->c_bytes = s->c_untracked = 0;
	memset(s->c_hist, 0, sizeof s->c_hist);
}

/* ---- slots: one per live thread, reused after the thread exits ---- */
static struct slot *slot_acquire(void)
{
	for (struct slot *s = atomic_load(&g_slots); s; s = s->next) {
		int free_ = 0;
		if (atomic_compare_exchange_strong(&s->in_use, &free_, 1))
			return s;
	}
	size_t bytes = sizeof(struct slot) + BUF_BYTES;
	unsigned char *m = map_zeroed(bytes);
	if (!m)
		return NULL;
	struct slot *s = (struct slot *)m;
	s->buf = m + ((sizeof(struct slot) + 63) & ~(size_t)63);
	atomic_store(&s->in_use, 1);
	struct slot *head = atomic_load(&g_slots);
	do {
		s->next = head;
	} while (!atomic_compare_exchange_weak(&g_slots, &head, s));
	return s;
}

static struct slot *thread_start(struct tls *t, int keep_stream)
{
	struct slot *s = slot_acquire();
	if (!s)
		return NULL;
	atomic_store(&s->closed, 0);
	atomic_store(&s->lock, 0);
	if (!keep_stream)
		t->stream = atomic_fetch_add(&g_next_stream, 1);
	s->stream = t->stream;
	s->tid = (uint32_t)syscall(SYS_gettid);
	s->sync = 0;
	s->first_flushed = 0;
	s->dropped = s->events = s->dropped_total = 0;
	memset(s->name, 0, sizeof s->name);
	s->next_stack_id = 0;
	if (g_depth && !s->stacks)
		s->stacks = map_zeroed(STACK_SLOTS * sizeof *s->stacks);
	else if (s->stacks)
		memset(s->stacks, 0, STACK_SLOTS * sizeof *s->stacks);
	if (g_count_only) {
		if (!s->counts)
			s->counts = map_zeroed(COUNT_SLOTS * sizeof *s->counts);
		else
			memset(s->counts, 0, COUNT_SLOTS * sizeof *s->counts);
		s->c_calls = s->c_bytes = s->c_untracked = 0;
		memset(s->c_hist, 0, sizeof s->c_hist);
		if (!s->counts) {
			atomic_store(&s->in_use, 0);
			return NULL;
		}
	}
	block_reset(s);
	slot_update_fast(s);
	t->s = s;
	check_signal_owner();
	return s;
}

static void slot_release(struct slot *s)
{
	flush_own(s);
	atomic_store(&s->in_use, 0);
}

/* pthread key destructor: the thread is exiting. */
static void thread_exit(void *arg)
{
	struct tls *t = &tls;
	(void)arg;
	if (t->s) {
		t->busy = 1;
		slot_release(t->s);
		t->s = NULL;
		t->busy = 0;
	}
	t->exited = 1;
}

/* ---- encoding ---- */
static uint32_t stack_id(struct slot *s, void *const *frames, int n, unsigned char **pp)
{
	uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)n;
	for (int i = 0; i < n; i++)
		h = (h ^ (uint64_t)(uintptr_t)frames[i]) * 0x100000001b3ull;
	h |= 1;
	uint32_t at = (uint32_t)(h >> 40) & (STACK_SLOTS - 1);
	for (uint32_t i = 0; i < 64; i++) {
		struct stack_slot *ss = &s->stacks[(at + i) & (STACK_SLOTS - 1)];
		if (ss->used && ss->hash == h)
			return ss->id;
		if (!ss->used) {
			ss->used = 1;
			ss->hash = h;
			ss->id = s->next_stack_id++;
			unsigned char *p = *pp;
			*p++ = MS_HL_OP_STACK;
			p = ms_hl_put_varint(p, ss->id);
			p = ms_hl_put_varint(p, (uint64_t)n);
			uint64_t prev = 0;
			for (int k = 0; k < n; k++) {
				uint64_t f = (uint64_t)(uintptr_t)frames[k];
				p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)(f - prev)));
				prev = f;
			}
			*pp = p;
			return ss->id;
		}
	}
	/* table saturated: the stack is defined again under a fresh id, so
	 * every event still resolves (the reader merges equal stacks) */
	unsigned char *p = *pp;
	uint32_t id = s->next_stack_id++;
	*p++ = MS_HL_OP_STACK;
	p = ms_hl_put_varint(p, id);
	p = ms_hl_put_varint(p, (uint64_t)n);
	uint64_t prev = 0;
	for (int k = 0; k < n; k++) {
		uint64_t f = (uint64_t)(uintptr_t)frames[k];
		p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)(f - prev)));
		prev = f;
	}
	*pp = p;
	return id;
}

/* Capture the user stack starting at the allocator's caller. */
static int capture_stack(struct tls *t, uint64_t caller, void **out)
{
	void *frames[MS_HL_MAX_DEPTH + 8];
	int want = (int)g_depth + 6;
	if (want > (int)(sizeof frames / sizeof frames[0]))
		want = (int)(sizeof frames / sizeof frames[0]);
	int saved = t->busy;
	t->busy = 1;
	int n = g_unw_backtrace ? g_unw_backtrace(frames, want) : backtrace(frames, want);
	t->busy = saved;
	int start = 0;
	while (start < n && (uint64_t)(uintptr_t)frames[start] != caller)
		start++;
	if (start == n) {       /* unwinder disagrees: keep the caller alone */
		out[0] = (void *)(uintptr_t)caller;
		return 1;
	}
	int k = 0;
	for (int i = start; i < n && k < (int)g_depth; i++)
		out[k++] = frames[i];
	return k;
}

static inline __attribute__((always_inline)) void
encode(struct tls *t, struct slot *s, unsigned op, uint64_t size, uint64_t ptr, uint64_t old,
       uint64_t caller, int stacks)
{
	unsigned char *p = s->pos;
	unsigned char *flags = p++;
	unsigned f = op;
	int kind = op == MS_HL_OP_FREE;
	if (UNLIKELY(--s->clock_countdown == 0)) {
		s->clock_countdown = CLOCK_EVERY;
		s->clock_ticks = now_ticks();
	}
	uint64_t ticks = s->clock_ticks;
	if (ticks != s->prev_ticks) {
		f |= MS_HL_F_TIME;
		p = ms_hl_put_varint(p, ticks - s->prev_ticks);
		s->prev_ticks = ticks;
	}
	if (stacks) {
		void *frames[MS_HL_MAX_DEPTH];
		int n = capture_stack(t, caller, frames);
		/* a definition goes before the event that uses it */
		unsigned char *def = flags;
		size_t ev_so_far = (size_t)(p - flags);
		unsigned char evtmp[16];
		memcpy(evtmp, flags, ev_so_far);
		uint32_t id = stack_id(s, frames, n, &def);
		memcpy(def, evtmp, ev_so_far);
		flags = def;
		p = def + ev_so_far;
		if (id == s->prev_stack[kind]) {
			f |= MS_HL_F_SAMECALLER;
		} else {
			p = ms_hl_put_varint(p, id);
			s->prev_stack[kind] = id;
		}
	} else if (caller == s->prev_caller[kind]) {
		f |= MS_HL_F_SAMECALLER;
	} else {
		p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)(caller - s->prev_caller[kind])));
		s->prev_caller[kind] = caller;
	}
	if (kind) {
		if (ptr == s->last_alloc && ptr) {
			f |= MS_HL_F_PTRHIT;
			s->freed_by_size[s->last_alloc_slot] = ptr;
		} else {
			p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)(ptr - s->prev_ptr)));
		}
		s->ring[s->ring_head++ % MS_HL_FREE_RING] = ptr;
	} else {
		unsigned slot = ms_hl_size_slot(size), ext = 0;
		int size_hit = s->sizes[slot] == size + 1;
		if (size_hit)
			ext = 0x08 | slot << 4;
		else
			s->sizes[slot] = size + 1;
		/* branch-free search: which recent free does the allocator hand back? */
		/* the size slot's last free first (tcache hands it back), then a
		 * branch-free search of the recent frees */
		unsigned hit = MS_HL_PTR_BY_SIZE;
		if (s->freed_by_size[slot] != ptr) {
			hit = MS_HL_FREE_RING;
			for (unsigned i = MS_HL_PTR_BY_SIZE; i-- > 0;)
				hit = s->ring[(s->ring_head - 1 - i) % MS_HL_FREE_RING] == ptr ? i : hit;
		}
		if (!ptr)
			hit = MS_HL_FREE_RING;
		s->last_alloc_slot = slot;
		if (LIKELY(hit < MS_HL_FREE_RING)) {
			f |= MS_HL_F_PTRHIT;
			ext |= hit;
		}
		if (ext) {
			f |= MS_HL_F_EXT;
			*p++ = (unsigned char)ext;
		}
		s->pair_slot = f == (MS_HL_OP_MALLOC | MS_HL_F_SAMECALLER | MS_HL_F_PTRHIT | MS_HL_F_EXT) &&
					       ext == (0x08 | slot << 4 | MS_HL_PTR_BY_SIZE)
				       ? (int)slot : -1;
		if (!size_hit)
			p = ms_hl_put_varint(p, size);
		if (!(f & MS_HL_F_PTRHIT))
			p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)(ptr - s->prev_ptr)));
		s->last_alloc = ptr;
		if (op == MS_HL_OP_REALLOC || op == MS_HL_OP_REALLOCARRAY)
			p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)(old - ptr)));
	}
	if (ptr)
		s->prev_ptr = ptr;
	if (kind && f == (MS_HL_OP_FREE | MS_HL_F_SAMECALLER | MS_HL_F_PTRHIT) && s->pair_pos) {
		/* freeing the malloc just made: fold into its byte, or both into
		 * one byte when the malloc was fully predicted */
		if (s->pair_slot >= 0) {
			*s->pair_pos = (unsigned char)(MS_HL_OP_PAIR_BY_SIZE | s->pair_slot << 4);
			p = s->pair_pos + 1;
		} else {
			*s->pair_pos = (unsigned char)((*s->pair_pos & 0xf0) | MS_HL_OP_MALLOC_FREE);
			p = flags;
		}
	} else {
		*flags = (unsigned char)f;
	}
	s->pair_pos = op == MS_HL_OP_MALLOC ? flags : NULL;
	s->pos = p;
	s->nevents++;
	s->events++;
	atomic_store_explicit(&s->commit, ((uint64_t)s->nevents << 32) | (uint64_t)(p - s->buf),
			      memory_order_release);
}

static void record_one(struct tls *t, struct slot *s, unsigned op, uint64_t size, uint64_t ptr,
		       uint64_t old, uint64_t caller)
{
	if (UNLIKELY(atomic_load_explicit(&s->closed, memory_order_relaxed))) {
		atomic_fetch_add((_Atomic uint64_t *)&counters()->dropped, 1);
		s->dropped_total++;
		return;
	}
	if (g_count_only) {
		count_event(s, caller, size, op);
		return;
	}
	encode(t, s, op, size, ptr, old, caller, g_depth != 0);
	if (UNLIKELY((size_t)(s->buf + BUF_BYTES - s->pos) < FLUSH_ROOM || s->sync))
		flush_own(s);
}

static void hook_init(void);

static void record_slow(unsigned op, uint64_t size, uint64_t ptr, uint64_t old, uint64_t caller);
static void record_one(struct tls *t, struct slot *s, unsigned op, uint64_t size, uint64_t ptr,
		       uint64_t old, uint64_t caller);

/* After a fast-path event, guard held: flush a full buffer, then record
 * what signal handlers queued meanwhile. */
static __attribute__((noinline, cold)) void fast_tail(struct tls *t, struct slot *s)
{
	if ((size_t)(s->buf + BUF_BYTES - s->pos) < FLUSH_ROOM)
		flush_own(s);
	while (t->npend) {
		struct pending pe = t->pend[--t->npend];
		record_one(t, s, pe.op, pe.size, pe.ptr, pe.old, pe.caller);
	}
}

/* One allocator call seen by the hook.  The common case, inlined into
 * every wrapper: this thread has a slot in plain logging mode. */
static inline __attribute__((always_inline)) void
record(unsigned op, uint64_t size, uint64_t ptr, uint64_t old, uint64_t caller)
{
	struct tls *t = &tls;
	struct slot *s = t->s;
	int fast = s ? atomic_load_explicit(&s->fast, memory_order_relaxed) : FAST_NONE;
	if (LIKELY(fast == FAST_LOG && !t->busy)) {
		t->busy = 2;
		encode(t, s, op, size, ptr, old, caller, 0);
		if (UNLIKELY((size_t)(s->buf + BUF_BYTES - s->pos) < FLUSH_ROOM || t->npend))
			fast_tail(t, s);
		t->busy = 0;
		return;
	}
	if (fast == FAST_COUNT && !t->busy) {
		t->busy = 2;
		count_event(s, caller, size, op);
		if (UNLIKELY(t->npend))
			fast_tail(t, s);
		t->busy = 0;
		return;
	}
	record_slow(op, size, ptr, old, caller);
}

/* Everything else: first call of a thread, guard set, stacks, counts,
 * closed or syncing slots, full buffers, events queued by signal handlers. */
static __attribute__((noinline, cold)) void
record_slow(unsigned op, uint64_t size, uint64_t ptr, uint64_t old, uint64_t caller)
{
	struct tls *t = &tls;
	if (UNLIKELY(g_off))
		return;
	if (UNLIKELY(t->busy)) {
		/* a signal handler allocating while this thread encodes: queue */
		if (t->busy == 2) {
			if (t->npend < PENDING_MAX)
				t->pend[t->npend++] = (struct pending){ size, ptr, old, caller, op };
			else
				atomic_fetch_add((_Atomic uint64_t *)&counters()->dropped, 1);
		}
		return;
	}
	struct slot *s = t->s;
	if (UNLIKELY(!s)) {
		t->busy = 1;
		int was_exited = t->exited;
		if (atomic_load(&g_init) != 2)
			hook_init();
		s = g_off ? NULL : thread_start(t, was_exited);
		if (s) {
			if (was_exited || g_fini) {
				s->sync = 1;   /* no destructor will flush this one */
				slot_update_fast(s);
			}
			else
				pthread_setspecific(g_key, s);
		} else if (!g_off) {
			atomic_fetch_add((_Atomic uint64_t *)&counters()->dropped, 1);
		}
		t->busy = 0;
		if (!s)
			return;
	}
	t->busy = 2;
	record_one(t, s, op, size, ptr, old, caller);
	while (UNLIKELY(t->npend)) {
		struct pending pe = t->pend[--t->npend];
		record_one(t, s, pe.op, pe.size, pe.ptr, pe.old, pe.caller);
	}
	t->busy = 0;
	if (UNLIKELY(s->sync && t->exited)) {
		t->busy = 1;
		slot_release(s);
		t->s = NULL;
		t->busy = 0;
	}
}

/* ---- flushing everything: exit, exec, stop signal, crash ---- */
static void write_end(unsigned reason, int sig, uint32_t cut)
{
	struct ms_hl_end e = { .mono_ns = mono_ns(), .reason = reason, .signal = (uint32_t)sig,
			       .threads_cut = cut };
	for (struct slot *s = atomic_load(&g_slots); s; s = s->next) {
		e.events += s->events;
		e.dropped += s->dropped_total;
	}
	write_small(MS_HL_REC_END, &e, sizeof e);
}

/* Write every thread's committed events.  The calling thread's own buffer
 * stays usable unless `close_self` (signal context: it may have been
 * interrupted mid-event); other threads' are closed, since their delta
 * state cannot continue after a block written from here. */
static void flush_all(unsigned reason, int sig, int close_self)
{
	struct tls *t = &tls;
	int saved = t->busy;
	t->busy = 1;
	uint32_t cut = 0;
	for (struct slot *s = atomic_load(&g_slots); s; s = s->next) {
		if (!atomic_load(&s->in_use))
			continue;
		int self = s == t->s;
		if (self && !close_self && saved == 0) {
			flush_own(s);
			continue;
		}
		if (!try_lock(&s->lock, 1 << 16))
			continue;
		if (!atomic_load(&s->closed)) {
			write_block(s, atomic_load_explicit(&s->commit, memory_order_acquire), self);
			atomic_store(&s->closed, 1);
			slot_update_fast(s);
			cut += !self;
		}
		unlock(&s->lock);
	}
	snapshot_maps();
	write_end(reason, sig, cut);
	t->busy = saved;
}

/* ---- init ---- */
static void open_log(int forked, uint32_t parent_seq)
{
	const char *dir = getenv("MEMSLEUTH_HOOK_DIR");
	char tmpl[PATH_MAX];
	if (!g_dir[0]) {
		if (!dir || !*dir) {
			const char *tmp = getenv("TMPDIR");
			char *p = put_str(tmpl, tmpl + sizeof tmpl - 32, tmp && *tmp ? tmp : "/tmp");
			p = put_str(p, tmpl + sizeof tmpl - 1, "/memsleuth-hook.XXXXXX");
			*p = 0;
			if (!mkdtemp(tmpl)) {
				g_off = 1;
				return;
			}
			dir = tmpl;
			char msg[PATH_MAX + 64];
			char *m = put_str(msg, msg + sizeof msg - 2, "memsleuth-hook: logging to ");
			m = put_str(m, msg + sizeof msg - 2, dir);
			*m++ = '\n';
			(void)!write(2, msg, (size_t)(m - msg));
		}
		char *d = put_str(g_dir, g_dir + sizeof g_dir - 80, dir);
		*d = 0;
		int dfd = open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (dfd < 0 || (size_t)(d - g_dir) >= sizeof g_dir - 81) {
			if (dfd >= 0)
				close(dfd);
			g_dir[0] = 0;
			g_off = 1;
			return;
		}
		int cfd = openat(dfd, "counters", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		close(dfd);
		if (cfd >= 0) {
			struct stat st;
			if (fstat(cfd, &st) == 0 && st.st_size >= (off_t)sizeof(struct ms_hl_counters)) {
				void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
				if (m != MAP_FAILED && ((struct ms_hl_counters *)m)->magic == MS_HL_COUNTERS_MAGIC)
					g_counters = m;
			}
			close(cfd);
		}
	}
	g_pid = getpid();
	uint32_t pid = (uint32_t)g_pid;
	for (uint32_t seq = 0; seq < 4096; seq++) {
		char name[64];
		char *p = put_str(name, name + 40, "proc-");
		p = put_uint(p, name + 52, pid);
		*p++ = '-';
		p = put_uint(p, name + 62, seq);
		p = put_str(p, name + 63, ".msl");
		*p = 0;
		char path[PATH_MAX];
		p = put_str(path, path + sizeof path - 1, g_dir);
		*p++ = '/';
		p = put_str(p, path + sizeof path - 1, name);
		*p = 0;
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			struct stat st;
			g_fd = fd_high(fd);
			g_seq = seq;
			if (fstat(g_fd, &st) == 0) {
				g_log_dev = st.st_dev;
				g_log_ino = st.st_ino;
				memcpy(g_log_path, path, sizeof path);
			}
			break;
		}
		if (errno != EEXIST) {
			break;
		}
	}
	if (g_fd < 0) {
		g_off = 1;
		return;
	}
	atomic_fetch_add((_Atomic uint64_t *)&counters()->images, 1);
	_Alignas(8) unsigned char rec[sizeof(struct ms_hl_rec) + sizeof(struct ms_hl_process) + PATH_MAX];
	struct ms_hl_process *pr = (struct ms_hl_process *)(rec + sizeof(struct ms_hl_rec));
	memset(pr, 0, sizeof *pr);
	pr->pid = pid;
	pr->ppid = (uint32_t)getppid();
	pr->flags = (g_count_only ? MS_HL_P_COUNT_ONLY : 0) | (g_depth ? MS_HL_P_STACKS : 0);
	pr->stack_depth = g_depth;
	pr->mono_ns = mono_ns();
	pr->ticks = now_ticks();
	pr->parent_seq = parent_seq;
	pr->forked = (uint32_t)forked;
	char *exe = (char *)(pr + 1);
	ssize_t n = readlink("/proc/self/exe", exe, PATH_MAX - 1);
	exe[n > 0 ? n : 0] = 0;
	write_record(MS_HL_REC_PROCESS, rec, sizeof *pr + (size_t)(n > 0 ? n : 0) + 1);
	snapshot_maps();
}

static void on_stop_signal(int sig)
{
	flush_all(MS_HL_END_STOP, sig, 1);
}

static void on_crash(int sig)
{
	flush_all(MS_HL_END_SIGNAL, sig, 1);
	/* SA_RESETHAND restored the default: returning re-raises the fault;
	 * an abort() raises again itself */
}

static void install_signals(void)
{
	const char *v = getenv("MEMSLEUTH_HOOK_SIGNAL");
	int stop = v && *v ? atoi(v) : SIGRTMAX - 7;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	/* the driver sends it only when every image took it: a program that
	 * uses this signal itself must not receive ours */
	if (stop > 0 && stop < NSIG && sigaction(stop, NULL, &old) == 0) {
		if (old.sa_handler == SIG_DFL) {
			sa.sa_handler = on_stop_signal;
			sa.sa_flags = SA_RESTART;
			sigaction(stop, &sa, NULL);
			g_stop_sig = stop;
			atomic_fetch_add((_Atomic uint64_t *)&counters()->flush_sig_installed, 1);
		} else {
			atomic_fetch_add((_Atomic uint64_t *)&counters()->flush_sig_refused, 1);
		}
	}
	/* Crashes: write what was buffered, then die as before.  Only where
	 * the program has no handler yet; one installed later replaces ours. */
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
		if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
			sa.sa_handler = on_crash;
			sa.sa_flags = SA_RESETHAND | SA_NODEFER;
			sigaction(fatal[i], &sa, NULL);
		}
	}
}

static void at_fork_prepare(void)
{
	struct tls *t = &tls;
	if (t->s && !g_off && !t->busy) {
		t->busy = 1;
		flush_own(t->s);    /* the child must not write the parent's events */
		t->busy = 0;
	}
}

static void at_fork_child(void)
{
	struct tls *t = &tls;
	if (g_off)
		return;
	if (g_fork_stop) {
		g_off = 1;
		if (t->s)
			atomic_store(&t->s->fast, 0);
		return;
	}
	/* the other threads do not exist here: free their slots */
	for (struct slot *s = atomic_load(&g_slots); s; s = s->next) {
		atomic_store(&s->lock, 0);
		atomic_store(&s->closed, 0);
		if (s != t->s)
			atomic_store(&s->in_use, 0);
	}
	atomic_store(&g_maps_lock, 0);
	log_fd_check();          /* close it only if it is still ours */
	if (g_fd >= 0)
		close(g_fd);
	g_fd = -1;
	g_log_path[0] = 0;
	atomic_store(&g_next_stream, 0);
	uint32_t parent_seq = g_seq;
	open_log(1, parent_seq);
	if (t->s) {
		t->stream = atomic_fetch_add(&g_next_stream, 1);
		t->s->stream = t->stream;
		t->s->tid = (uint32_t)syscall(SYS_gettid);
		t->s->events = t->s->dropped_total = t->s->dropped = 0;
		t->s->first_flushed = 0;
		memset(t->s->name, 0, sizeof t->s->name);
		block_reset(t->s);
		slot_update_fast(t->s);
	}
}

static void *sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void hook_init(void)
{
	int expected = 0;
	if (!atomic_compare_exchange_strong(&g_init, &expected, 1)) {
		while (atomic_load(&g_init) == 1)
			;   /* another thread is in the few microseconds of init */
		return;
	}
	struct tls *t = &tls;
	int saved = t->busy;
	t->busy = 1;
	real.malloc = sym("malloc");
	real.free = sym("free");
	real.calloc = sym("calloc");
	real.realloc = sym("realloc");
	real.memalign = sym("memalign");
	real.posix_memalign = sym("posix_memalign");
	real.aligned_alloc = sym("aligned_alloc");
	real.valloc = sym("valloc");
	real.pvalloc = sym("pvalloc");
	real.malloc_usable_size = sym("malloc_usable_size");
	real.dlopen = sym("dlopen");
	real.dlclose = sym("dlclose");
	real.execve = sym("execve");
	real.execvpe = sym("execvpe");
	real.fexecve = sym("fexecve");
	real.exit_ = (void (*)(int))sym("_exit");
	real.Exit_ = (void (*)(int))sym("_Exit");
	const char *v = getenv("MEMSLEUTH_HOOK_STACKS");
	if (v && *v) {
		long d = atol(v);
		g_depth = d < 0 ? 0 : d > MS_HL_MAX_DEPTH ? MS_HL_MAX_DEPTH : (unsigned)d;
	}
	v = getenv("MEMSLEUTH_HOOK_COUNT");
	g_count_only = v && *v == '1';
	v = getenv("MEMSLEUTH_HOOK_FORK");
	g_fork_stop = v && !strcmp(v, "stop");
	if (g_depth) {
		void *lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
		int (*policy)(unw_addr_space_t, unw_caching_policy_t) =
			lib ? (int (*)(unw_addr_space_t, unw_caching_policy_t))dlsym(lib, STR(unw_set_caching_policy)) : NULL;
		unw_addr_space_t *local = lib ? dlsym(lib, STR(unw_local_addr_space)) : NULL;
		g_unw_backtrace = lib ? (int (*)(void **, int))dlsym(lib, STR(unw_backtrace)) : NULL;
		if (policy && local)
			policy(*local, UNW_CACHE_PER_THREAD);
		void *warm[4];
		if (g_unw_backtrace)
			g_unw_backtrace(warm, 4);   /* its first use sets up, with the guard on */
		else
			backtrace(warm, 4);         /* loads libgcc_s now, with the guard on */
	}
	pthread_key_create(&g_key, thread_exit);
	pthread_atfork(at_fork_prepare, NULL, at_fork_child);
	open_log(0, 0);
	if (!g_off)
		install_signals();
	t->busy = saved;
	atomic_store(&g_init, 2);
}

__attribute__((constructor)) static void hook_ctor(void)
{
	if (atomic_load(&g_init) == 0)
		hook_init();
}

__attribute__((destructor)) static void hook_fini(void)
{
	if (g_off || g_fini || atomic_load(&g_init) != 2)
		return;
	flush_all(MS_HL_END_EXIT, 0, 0);
	g_fini = 1;
	if (tls.s) {
		tls.s->sync = 1;   /* later frees (libc's own teardown) still land */
		slot_update_fast(tls.s);
	}
}

static inline int ready(void)
{
	if (atomic_load(&g_init) == 1 && tls.busy)
		return 0;   /* inside dlsym during init: bootstrap buffer */
	hook_init();
	return 1;
}

/* Make sure real.fn is known; else return `fallback` (only during the
 * bootstrap, or when the real allocator lacks the function). */
#define RESOLVE(fn, ...) do { \
		if (UNLIKELY(!real.fn) && (!ready() || !real.fn)) \
			return __VA_ARGS__; \
	} while (0)

#define CALLER() ((uint64_t)(uintptr_t)__builtin_return_address(0))

/* ---- the interposed functions ---- */
EXPORT void *malloc(size_t n)
{
	RESOLVE(malloc, boot_alloc(n));
	void *p = real.malloc(n);
	record(MS_HL_OP_MALLOC, n, (uintptr_t)p, 0, CALLER());
	return p;
}

EXPORT void free(void *p)
{
	if (UNLIKELY(is_boot(p)))
		return;
	RESOLVE(free);
	real.free(p);
	record(MS_HL_OP_FREE, 0, (uintptr_t)p, 0, CALLER());
}

static void *calloc_boot(size_t nmemb, size_t size)
{
	size_t n;
	if (__builtin_mul_overflow(nmemb, size, &n))
		return NULL;
	return boot_alloc(n);   /* the static buffer is still zero */
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
	RESOLVE(calloc, calloc_boot(nmemb, size));
	void *p = real.calloc(nmemb, size);
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total))
		total = SIZE_MAX;
	record(MS_HL_OP_CALLOC, total, (uintptr_t)p, 0, CALLER());
	return p;
}

static void *realloc_boot(void *old, size_t n)
{
	void *p = malloc(n);
	if (p && old) {
		size_t keep = boot_size(old);
		memcpy(p, old, keep < n ? keep : n);
	}
	return p;
}

EXPORT void *realloc(void *old, size_t n)
{
	if (UNLIKELY(is_boot(old)))
		return realloc_boot(old, n);
	RESOLVE(realloc, old ? NULL : boot_alloc(n));
	void *p = real.realloc(old, n);
	record(MS_HL_OP_REALLOC, n, (uintptr_t)p, (uintptr_t)old, CALLER());
	return p;
}

EXPORT void *reallocarray(void *old, size_t nmemb, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	if (UNLIKELY(is_boot(old)))
		return realloc_boot(old, total);
	RESOLVE(realloc, old ? NULL : boot_alloc(total));
	void *p = real.realloc(old, total);
	record(MS_HL_OP_REALLOCARRAY, total, (uintptr_t)p, (uintptr_t)old, CALLER());
	return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
	RESOLVE(memalign, NULL);
	void *p = real.memalign(align, n);
	record(MS_HL_OP_MEMALIGN, n, (uintptr_t)p, 0, CALLER());
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	RESOLVE(posix_memalign, ENOMEM);
	int r = real.posix_memalign(out, align, n);
	record(MS_HL_OP_POSIX_MEMALIGN, n, r == 0 ? (uintptr_t)*out : 0, 0, CALLER());
	return r;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	RESOLVE(aligned_alloc, NULL);
	void *p = real.aligned_alloc(align, n);
	record(MS_HL_OP_ALIGNED_ALLOC, n, (uintptr_t)p, 0, CALLER());
	return p;
}

EXPORT void *valloc(size_t n)
{
	RESOLVE(valloc, NULL);
	void *p = real.valloc(n);
	record(MS_HL_OP_VALLOC, n, (uintptr_t)p, 0, CALLER());
	return p;
}

EXPORT void *pvalloc(size_t n)
{
	RESOLVE(pvalloc, NULL);
	void *p = real.pvalloc(n);
	record(MS_HL_OP_PVALLOC, n, (uintptr_t)p, 0, CALLER());
	return p;
}

EXPORT size_t malloc_usable_size(void *p)
{
	if (is_boot(p))
		return boot_size(p);
	RESOLVE(malloc_usable_size, 0);
	return real.malloc_usable_size(p);
}

/* ---- dlopen/dlclose: note them and refresh the maps snapshot ---- */
static void write_dl(const char *path, void *handle, int open_)
{
	struct {
		struct ms_hl_dl d;
		char path[400];
	} rec;
	memset(&rec, 0, sizeof rec);
	rec.d.mono_ns = mono_ns();
	rec.d.handle = (uint64_t)(uintptr_t)handle;
	rec.d.tid = (uint32_t)syscall(SYS_gettid);
	rec.d.open = (uint32_t)open_;
	size_t n = path ? strnlen(path, sizeof rec.path - 1) : 0;
	if (path)
		memcpy(rec.path, path, n);
	write_small(MS_HL_REC_DL, &rec, sizeof rec.d + n + 1);
}

EXPORT void *dlopen(const char *path, int flags)
{
	if (!real.dlopen)
		hook_init();
	void *h = real.dlopen ? real.dlopen(path, flags) : NULL;
	if (h && !g_off && !tls.busy) {
		write_dl(path, h, 1);
		snapshot_maps();
	}
	return h;
}

EXPORT int dlclose(void *handle)
{
	if (!real.dlclose)
		hook_init();
	if (!g_off && !tls.busy) {
		write_dl(NULL, handle, 0);
		snapshot_maps();   /* before: the library's addresses still resolve */
	}
	return real.dlclose ? real.dlclose(handle) : -1;
}

/* ---- exec and _exit: the image ends without running destructors ---- */
static void before_image_ends(unsigned reason)
{
	/* a vfork child shares our memory: it must not close our threads */
	if (atomic_load(&g_init) == 2 && !g_off && !g_fini && getpid() == g_pid)
		flush_all(reason, 0, 0);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	if (!real.execve)
		hook_init();
	before_image_ends(MS_HL_END_EXEC);
	return real.execve(path, argv, envp);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	if (!real.execvpe)
		hook_init();
	before_image_ends(MS_HL_END_EXEC);
	return real.execvpe(file, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	if (!real.fexecve)
		hook_init();
	before_image_ends(MS_HL_END_EXEC);
	return real.fexecve(fd, argv, envp);
}

/* execl* take their arguments as varargs: gather them on the stack,
 * bounded, as glibc does. */
#define EXECL_MAX 4096

static int gather_args(char **argv, const char *arg0, va_list *ap)
{
	size_t i = 1;
	argv[0] = (char *)arg0;
	while (argv[i - 1] && i < EXECL_MAX)
		argv[i++] = va_arg(*ap, char *);
	if (argv[i - 1]) {
		errno = E2BIG;
		return -1;
	}
	return 0;
}

EXPORT int execl(const char *path, const char *arg, ...)
{
	char *argv[EXECL_MAX];
	va_list ap;
	va_start(ap, arg);
	int r = gather_args(argv, arg, &ap);
	va_end(ap);
	return r ? r : execve(path, argv, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	char *argv[EXECL_MAX];
	va_list ap;
	va_start(ap, arg);
	int r = gather_args(argv, arg, &ap);
	va_end(ap);
	return r ? r : execvpe(file, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *argv[EXECL_MAX];
	va_list ap;
	va_start(ap, arg);
	int r = gather_args(argv, arg, &ap);
	char **envp = r ? NULL : va_arg(ap, char **);
	va_end(ap);
	return r ? r : execve(path, argv, envp);
}

EXPORT void _exit(int status)
{
	if (!real.exit_)
		hook_init();
	before_image_ends(MS_HL_END_EXIT);
	g_fini = 1;
	real.exit_(status);
	__builtin_unreachable();
}

EXPORT void _Exit(int status)
{
	if (!real.Exit_)
		hook_init();
	before_image_ends(MS_HL_END_EXIT);
	g_fini = 1;
	real.Exit_(status);
	__builtin_unreachable();
}

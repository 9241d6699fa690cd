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
 * The hook (this file, hook_log.c, hook_life.c, hook.h) is the only place
 * in the project with global mutable state: an interposer has no other
 * place to keep it.
 *
 * - Nothing interrupts the program: each thread's buffer is a slot of a
 *   shared file mapping that outlives the process (hotlog.h), so no
 *   signal is needed to collect what is buffered when it is stopped.
 *
 * Environment (set by the driver):
 *   MEMSLEUTH_HOOK_DIR     log directory (else a private one in $TMPDIR)
 *   MEMSLEUTH_HOOK_STACKS  user stack depth, 0 = caller only (default)
 *   MEMSLEUTH_HOOK_UNWIND  "libunwind", "walker" or "walker-here" (tests: hook_unwind.c)
 *   MEMSLEUTH_HOOK_COUNT   1 = count-only: per-thread, per-caller counters
 *   MEMSLEUTH_HOOK_FORK    "own" (default: child logs to its own file) or "stop" */
#include "hook.h"

__thread struct tls tls __attribute__((tls_model("initial-exec")));

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
	return (uintptr_t)p - (uintptr_t)boot_buf < sizeof boot_buf;
}

static size_t boot_size(const void *p)
{
	size_t n;
	memcpy(&n, (const unsigned char *)p - 16, sizeof n);
	return n;
}

/* ---- count-only tables ---- */
_Static_assert(sizeof(struct count_slot) == sizeof(struct ms_hl_count_site), "count table layout");
_Static_assert(sizeof(struct ms_hl_rec) + sizeof(struct ms_hl_counts) +
	       COUNT_SLOTS * sizeof(struct count_slot) <= BUF_BYTES, "count table fits the buffer");

/* The caller's entry of the table, made when absent; NULL when the probe
 * found the table full around its hash. */
static __attribute__((noinline)) struct count_slot *count_find(struct slot *s, uint64_t caller)
{
	uint32_t h = (uint32_t)((caller * 0x9e3779b97f4a7c15ull) >> 51) & (COUNT_SLOTS - 1);
	for (uint32_t i = 0; i < 32; i++) {
		struct count_slot *c = &s->counts[(h + i) & (COUNT_SLOTS - 1)];
		if (c->caller == caller || c->caller == 0) {
			c->caller = caller;
			return c;
		}
	}
	return NULL;
}

/* Count one call.  A thread's allocations and frees mostly come from one
 * call site each: the last entry of each is tried before the hash probe
 * (an entry emptied by block_reset no longer matches its caller). */
static inline __attribute__((always_inline)) void
count_event(struct slot *s, uint64_t caller, uint64_t size, unsigned op)
{
	struct ms_hl_counts *ch = s->ch;
	int alloc = ms_hl_op_has_size(op);
	ch->calls++;
	if (alloc) {
		ch->bytes += size;
		ch->hist[63 - __builtin_clzll(size | 1)]++;   /* size 0 in class 0 */
	}
	struct count_slot *c = s->count_last[!alloc];
	if (UNLIKELY(!c || c->caller != caller)) {
		c = count_find(s, caller);
		if (!c) {
			ch->untracked++;
			return;
		}
		s->count_last[!alloc] = c;
	}
	c->calls++;
	if (alloc)
		c->bytes += size;
}

/* ---- encoding ---- */

/* A stack definition (hotlog.h MS_HL_OP_STACK) at p; returns its end. */
static unsigned char *put_stack_def(unsigned char *p, uint32_t id, void *const *frames, int n)
{
	*p++ = MS_HL_OP_STACK;
	p = ms_hl_put_varint(p, id);
	p = ms_hl_put_varint(p, (uint64_t)n);
	uint64_t prev = 0;
	for (int k = 0; k < n; k++) {
		uint64_t f = (uint64_t)(uintptr_t)frames[k];
		p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)(f - prev)));
		prev = f;
	}
	return p;
}

struct call { uint64_t size, ptr, old, caller, stamp, stamp_free; unsigned op; };

/* Any event, stacks or not, as hotlog.h lays it out.  The two commonest
 * (a malloc fully predicted, and the free that folds it into a pair) are
 * written by on_malloc and on_free themselves, byte for byte as here.
 * Instances: encode (any call), and inlined in malloc_general and
 * free_general (their op and no stacks known when compiled: a third
 * fewer instructions). */
static inline __attribute__((always_inline)) void
encode_body(struct tls *t, struct slot *s, const struct call *c, int stacks)
{
	unsigned op = c->op;
	uint64_t size = c->size, ptr = c->ptr, old = c->old, caller = c->caller;
	uint64_t w = __atomic_load_n(&s->hdr->commit, __ATOMIC_RELAXED);
	unsigned char *buf = slot_events(s->hdr);
	unsigned char *start = buf + (uint32_t)w;   /* where the malloc in pair_pos ended */
	unsigned char *p = start;
	unsigned char *flags = p++;
	unsigned f = op;
	int kind = op == MS_HL_OP_FREE;
	int full = 0;                          /* a malloc fully predicted ... */
	unsigned full_slot = 0;                /* ... from this size slot */
	uint64_t pair_stamp = s->prev_stamp;   /* pair_pos's stamp */
	if (LIKELY(s->clock_countdown > 1)) {
		s->clock_countdown--;
	} else {
		/* the clock changes only here: no other event has a time step */
		s->clock_countdown = CLOCK_EVERY;
		uint64_t ticks = now_ticks();
		if (ticks != s->prev_ticks) {
			f |= MS_HL_F_TIME;
			p = ms_hl_put_varint(p, ticks - s->prev_ticks);
			s->prev_ticks = ticks;
		}
	}
	int realloc_ = op == MS_HL_OP_REALLOC || op == MS_HL_OP_REALLOCARRAY;
	uint64_t first = realloc_ ? c->stamp_free : c->stamp;
	uint64_t stamp_delta = first - s->prev_stamp;
	p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)stamp_delta));
	if (realloc_)
		p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)(c->stamp - c->stamp_free)));
	s->prev_stamp = c->stamp;
	if (stacks) {
		void *frames[MS_HL_MAX_DEPTH];
		uint32_t id;
		int n = stack_capture(t, s, caller, frames, &id);
		if (UNLIKELY(n)) {
			/* a definition goes before the event that uses it */
			size_t ev_so_far = (size_t)(p - flags);
			unsigned char evtmp[40];
			memcpy(evtmp, flags, ev_so_far);
			unsigned char *def = put_stack_def(flags, id, frames, n);
			memcpy(def, evtmp, ev_so_far);
			flags = def;
			p = def + ev_so_far;
		}
		if (id == s->prev_stack[kind]) {
			f |= MS_HL_F_SAMECALLER;
		} else {
			p = ms_hl_put_varint(p, id);
			s->prev_stack[kind] = id;
		}
	} else if (caller == s->prev_caller[kind]) {
		f |= MS_HL_F_SAMECALLER;
	} else if (kind && caller == s->alt_free_caller) {
		/* the free site before the last one: frees alternate between
		 * two sites often (a loop's own free and a ring's, say) */
		f |= MS_HL_F_EXT;
		s->alt_free_caller = s->prev_caller[1];
		s->prev_caller[1] = caller;
	} else {
		p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)(caller - s->prev_caller[kind])));
		if (kind)
			s->alt_free_caller = s->prev_caller[1];
		s->prev_caller[kind] = caller;
	}
	if (kind) {
		if (ptr == s->last_alloc && ptr) {
			f |= MS_HL_F_PTRHIT;
			s->by_size[s->last_alloc_slot].freed = ptr;
		} else {
			p = ms_hl_put_ptr_step(p, ptr - s->prev_ptr);
		}
		s->ring[s->ring_head++ % MS_HL_FREE_RING] = ptr;
	} else {
		unsigned slot = ms_hl_size_slot(size), ext = 0;
		struct by_size *b = &s->by_size[slot];
		int size_hit = b->size1 == size + 1;
		if (size_hit)
			ext = 0x08 | slot << 4;
		else
			b->size1 = size + 1;
		/* the size slot's last free first (tcache hands it back), then a
		 * branch-free search of the recent frees */
		unsigned hit = MS_HL_PTR_BY_SIZE;
		if (b->freed != ptr) {
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
		full = f == (MS_HL_OP_MALLOC | MS_HL_F_SAMECALLER | MS_HL_F_PTRHIT | MS_HL_F_EXT) &&
		       ext == (0x08 | slot << 4 | MS_HL_PTR_BY_SIZE);
		full_slot = slot;
		if (!size_hit)
			p = ms_hl_put_varint(p, size);
		if (!(f & MS_HL_F_PTRHIT))
			p = ms_hl_put_ptr_step(p, ptr - s->prev_ptr);
		s->last_alloc = ptr;
		if (realloc_)
			p = ms_hl_put_varint(p, ms_hl_zigzag((int64_t)(old - ptr)));
	}
	if (ptr)
		s->prev_ptr = ptr;
	uint64_t nw;   /* the commit word after this event */
	if (kind && f == (MS_HL_OP_FREE | MS_HL_F_EXT | MS_HL_F_PTRHIT) && s->pair_pos &&
	    (s->pair_byte & 0x0f) == MS_HL_OP_PAIR_BY_SIZE) {
		/* the same from the free site before the last one: one byte */
		*s->pair_pos = (unsigned char)((s->pair_byte & 0xf0) | MS_HL_OP_PAIR_ALT);
		nw = s->pair_commit;
		s->prev_stamp = pair_stamp + 1;
	} else if (kind && f == (MS_HL_OP_FREE | MS_HL_F_SAMECALLER | MS_HL_F_PTRHIT) && s->pair_pos) {
		/* freeing the malloc just made: fold into its byte, or both into
		 * one byte (plus the malloc's stamp step, if any) when the malloc
		 * was fully predicted (pair_byte and pair_commit say how, below).
		 * The free is then stamped the malloc's stamp + 1 whatever it was
		 * (hotlog.h "Order": no other thread's call on this address can
		 * fall between them) */
		*s->pair_pos = (unsigned char)s->pair_byte;
		nw = s->pair_commit;
		s->prev_stamp = pair_stamp + 1;
	} else {
		*flags = (unsigned char)f;
		nw = ((w >> 32) + 1) << 32 | (uint64_t)(p - buf);
	}
	if (op == MS_HL_OP_MALLOC) {
		/* how its free will fold into it: both in one byte when it was
		 * fully predicted (and its stamp step, if any, the ext byte
		 * dropped), else the op becomes MALLOC_FREE */
		const unsigned char *end = p;
		if (full && flags[1] == 0) {   /* the stamp varint: 0 is one byte */
			s->pair_byte = MS_HL_OP_PAIR_BY_SIZE | full_slot << 4;
			end = flags + 1;
		} else if (full) {
			s->pair_byte = MS_HL_OP_PAIR_STAMP | full_slot << 4;
			end = p - 1;
		} else {
			s->pair_byte = (f & 0xf0) | MS_HL_OP_MALLOC_FREE;
		}
		s->pair_pos = flags;
		s->pair_commit = ((nw >> 32) + 1) << 32 | (uint64_t)(end - buf);
	} else {
		s->pair_pos = NULL;
	}
	commit_store(s, nw);
}


static __attribute__((noinline)) void encode(struct tls *t, struct slot *s, const struct call *c, int stacks)
{
	encode_body(t, s, c, stacks);
}

static void record_one(struct tls *t, struct slot *s, const struct call *c)
{
	if (g_count_only) {
		count_event(s, c->caller, c->size, c->op);
		return;
	}
	encode(t, s, c, g_depth != 0);
	if (UNLIKELY(commit_full(commit_load(s)) || s->sync))
		flush_own(s);
}


static void record_slow(const struct call *c);

/* After a fast-path event, guard held: flush a full buffer, then record
 * what signal handlers queued meanwhile. */
static __attribute__((noinline, cold)) void fast_tail(struct tls *t, struct slot *s)
{
	if (commit_full(commit_load(s)))
		flush_own(s);
	while (t->npend) {
		struct pending pe = t->pend[--t->npend];
		struct call c = { pe.size, pe.ptr, pe.old, pe.caller, pe.stamp, pe.stamp_free, pe.op };
		record_one(t, s, &c);
	}
}

/* One allocator call seen by the hook, any op; log_malloc and log_free
 * are the commonest two's shorter way. */
static __attribute__((noinline)) void record(const struct call *c)
{
	struct tls *t = &tls;
	struct slot *s = t->s;
	if (LIKELY(t->gate == GATE_LOG)) {
		t->gate = GATE(FAST_LOG, 2);
		encode(t, s, c, 0);
		if (UNLIKELY(commit_full(commit_load(s)) || t->npend))
			fast_tail(t, s);
		t->gate = GATE_LOG;
		return;
	}
	if (t->gate == GATE_COUNT) {
		t->gate = GATE(FAST_COUNT, 2);
		count_event(s, c->caller, c->size, c->op);
		if (UNLIKELY(t->npend))
			fast_tail(t, s);
		t->gate = GATE_COUNT;
		return;
	}
	record_slow(c);
}

/* Everything else: first call of a thread, guard set, stacks, counts,
 * syncing slots, full buffers, events queued by signal handlers. */
static __attribute__((noinline, cold)) void
record_slow(const struct call *c)
{
	struct tls *t = &tls;
	if (UNLIKELY(g_off))
		return;
	if (UNLIKELY(t->busy)) {
		/* a signal handler allocating while this thread encodes: queue */
		if (t->busy == 2) {
			if (t->npend < PENDING_MAX)
				t->pend[t->npend++] = (struct pending){ c->size, c->ptr, c->old, c->caller,
									c->stamp, c->stamp_free, c->op };
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
			if (was_exited) {
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
	if (g_depth) {
		/* the wrapper's frame: stacks are walked from it */
		t->frame_ip = (uint64_t)(uintptr_t)__builtin_return_address(0);
		t->frame_sp = (uint64_t)(uintptr_t)__builtin_dwarf_cfa();
	}
	record_one(t, s, c);
	t->frame_sp = 0;
	while (UNLIKELY(t->npend)) {
		struct pending pe = t->pend[--t->npend];
		struct call q = { pe.size, pe.ptr, pe.old, pe.caller, pe.stamp, pe.stamp_free, pe.op };
		record_one(t, s, &q);
	}
	t->busy = 0;
	if (UNLIKELY(s->sync && t->exited)) {
		t->busy = 1;
		slot_release(s);
		t->s = NULL;
		t->fast = FAST_NONE;
		t->busy = 0;
	}
}

/* An allocation of any op other than by on_malloc's fast way: its stamp
 * after the real call returned (hotlog.h "Order"; count-only needs no
 * order). */
static __attribute__((noinline)) void record_alloc(unsigned op, uint64_t ptr, uint64_t size, uint64_t caller)
{
	struct call c = { size, ptr, 0, caller, g_count_only ? 0 : stamp_alloc(ptr), 0, op };
	record(&c);
}

static inline uint64_t free_stamp(const void *p)
{
	return g_count_only ? 0 : p ? stamp_free((uintptr_t)p) : tls.clock;
}

/* ---- the hot path: malloc and free ----
 * on_malloc and on_free write the commonest two events themselves: a
 * malloc fully predicted (same call site, size from the table, the
 * pointer its size slot's last free, no time step, no stamp step: three
 * bytes, flags, stamp step 0, ext byte), and the free that folds
 * it into a pair (encode's fold, without writing what it would drop),
 * byte for byte as encode would.  They make no call but tail calls
 * (so keep no stack frame): every other way out is a noinline function
 * tail-called with the guard in the state it names. */

/* The event is written, guard held: flush a full buffer, record queued
 * events, drop the guard. */
static __attribute__((noinline, cold)) void *after_fast(void *r)
{
	struct tls *t = &tls;
	fast_tail(t, t->s);
	t->gate = GATE_LOG;
	return r;
}

static __attribute__((noinline, cold)) void after_fast_free(void *r)
{
	after_fast(r);
	real.free(r);
}

/* A malloc the fast way could not take, guard held, stamped. */
static __attribute__((noinline)) void *malloc_general(void *r, size_t size, uint64_t caller, uint64_t stamp)
{
	struct tls *t = &tls;
	struct call c = { size, (uintptr_t)r, 0, caller, stamp, 0, MS_HL_OP_MALLOC };
	encode_body(t, t->s, &c, 0);
	if (UNLIKELY(commit_full(commit_load(t->s)) || t->npend))
		fast_tail(t, t->s);
	t->gate = GATE_LOG;
	return r;
}

/* A malloc when this thread is not in plain logging (or the domain must
 * be raised: record_alloc's stamp_alloc does), guard not held. */
static __attribute__((noinline)) void *malloc_other(void *r, size_t size, uint64_t caller)
{
	struct tls *t = &tls;
	if (t->gate == GATE_LOG) {   /* the domain must be raised: stamp_alloc does */
		uint64_t stamp = stamp_alloc((uintptr_t)r);
		t->gate = GATE(FAST_LOG, 2);
		return malloc_general(r, size, caller, stamp);
	}
	record_alloc(MS_HL_OP_MALLOC, (uintptr_t)r, size, caller);
	return r;
}

/* Count-only, guard held: count_event's way when the call site is not
 * the last one of its kind (the table's probe), and after it. */
static __attribute__((noinline)) void *count_general(void *r, uint64_t caller, uint64_t size, unsigned op)
{
	struct tls *t = &tls;
	count_event(t->s, caller, size, op);
	if (UNLIKELY(t->npend))
		fast_tail(t, t->s);
	t->gate = GATE_COUNT;
	return r;
}

static __attribute__((noinline)) void free_count_general(void *r, uint64_t caller)
{
	count_general(r, caller, 0, MS_HL_OP_FREE);
	real.free(r);
}

/* Counted, guard held: record what signal handlers queued meanwhile. */
static __attribute__((noinline, cold)) void *count_after(void *r)
{
	struct tls *t = &tls;
	fast_tail(t, t->s);
	t->gate = GATE_COUNT;
	return r;
}

/* Count-only's hot path: count_event when the call site is the last one
 * of its kind; 0 when it is not (nothing was counted, guard held). */
static inline __attribute__((always_inline)) int count_fast(struct slot *s, uint64_t caller, uint64_t size, int alloc)
{
	struct count_slot *c = s->count_last[!alloc];
	if (UNLIKELY(!c || c->caller != caller))
		return 0;
	struct ms_hl_counts *ch = s->ch;
	ch->calls++;
	c->calls++;
	if (alloc) {
		ch->bytes += size;
		ch->hist[63 - __builtin_clzll(size | 1)]++;   /* size 0 in class 0 */
		c->bytes += size;
	}
	return 1;
}

/* The fully predicted malloc r (size slot `slot`, stamp step 0), guard
 * held, w the commit word before it: three bytes, one store (the fourth
 * byte is past the end: FLUSH_ROOM is left after it); then drop the
 * guard. */
static inline __attribute__((always_inline)) void *
malloc_predicted(struct tls *t, struct slot *s, void *r, unsigned slot, uint64_t w)
{
	unsigned char *p = slot_events(s->hdr) + (uint32_t)w;
	uint32_t bytes = (MS_HL_OP_MALLOC | MS_HL_F_SAMECALLER | MS_HL_F_PTRHIT | MS_HL_F_EXT) |
			 (0x08u | slot << 4 | MS_HL_PTR_BY_SIZE) << 16;
	memcpy(p, &bytes, sizeof bytes);
	s->last_alloc = s->prev_ptr = (uintptr_t)r;
	s->last_alloc_slot = slot;
	s->pair_pos = p;
	s->pair_byte = MS_HL_OP_PAIR_BY_SIZE | slot << 4;   /* as encode says */
	s->pair_commit = w + 2 * COMMIT_EVENT + 1;
	w += COMMIT_EVENT + 3;
	commit_store(s, w);
	if (UNLIKELY(commit_full(w) || t->npend))
		return after_fast(r);
	t->gate = GATE_LOG;
	return r;
}

/* A fully predicted malloc when the clock is due, guard held: with no
 * time step it is still three bytes. */
static __attribute__((noinline)) void *malloc_clock(void *r, size_t size, uint64_t caller, uint64_t stamp)
{
	struct tls *t = &tls;
	struct slot *s = t->s;
	if (now_ticks() != s->prev_ticks)
		return malloc_general(r, size, caller, stamp);   /* encode reads it again, writes the step */
	s->clock_countdown = CLOCK_EVERY;
	return malloc_predicted(t, s, r, ms_hl_size_slot(size), commit_load(s));
}

/* A malloc when this thread is not in plain logging: count-only's hot
 * path, else malloc_other. */
static __attribute__((noinline)) void *malloc_not_log(void *r, size_t size, uint64_t caller)
{
	struct tls *t = &tls;
	if (t->gate != GATE_COUNT)
		return malloc_other(r, size, caller);
	t->gate = GATE(FAST_COUNT, 2);
	if (UNLIKELY(!count_fast(t->s, caller, size, 1)))
		return count_general(r, caller, size, MS_HL_OP_MALLOC);
	if (UNLIKELY(t->npend))
		return count_after(r);
	t->gate = GATE_COUNT;
	return r;
}

/* After the real malloc returned r. */
static __attribute__((noinline)) void *on_malloc(void *r, size_t size, uint64_t caller)
{
	struct tls *t = &tls;
	if (UNLIKELY(t->gate != GATE_LOG))
		return malloc_not_log(r, size, caller);
	uint64_t ptr = (uintptr_t)r;
	size_t i = order_index(ptr);
	uint64_t stamp = max_u64(atomic_load_explicit(&g_order[i].own, memory_order_acquire),
				 atomic_load_explicit(&g_order[i].foreign, memory_order_acquire));
	if (UNLIKELY(stamp < t->clock))
		return malloc_other(r, size, caller);   /* the domain must be raised: stamp_alloc does */
	t->clock = stamp;   /* stamp_alloc's, when the domain needs no raise */
	t->gate = GATE(FAST_LOG, 2);
	struct slot *s = t->s;
	unsigned slot = ms_hl_size_slot(size);
	const struct by_size *b = &s->by_size[slot];
	/* (b->freed is never 0: block_reset's empty mark is 1, no pointer) */
	if (UNLIKELY(caller != s->prev_caller[0] || b->size1 != size + 1 || b->freed != ptr ||
		     stamp != s->prev_stamp))
		return malloc_general(r, size, caller, stamp);
	if (UNLIKELY(s->clock_countdown <= 1))
		return malloc_clock(r, size, caller, stamp);
	s->clock_countdown--;
	return malloc_predicted(t, s, r, slot, __atomic_load_n(&s->hdr->commit, __ATOMIC_RELAXED));
}

/* A free the fast way could not take, guard held, stamped. */
static __attribute__((noinline)) void free_general(void *r, uint64_t caller, uint64_t stamp)
{
	struct tls *t = &tls;
	struct call c = { 0, (uintptr_t)r, 0, caller, stamp, 0, MS_HL_OP_FREE };
	encode_body(t, t->s, &c, 0);
	if (UNLIKELY(commit_full(commit_load(t->s)) || t->npend))
		fast_tail(t, t->s);
	t->gate = GATE_LOG;
	real.free(r);
}

/* A free when this thread is not in plain logging, of NULL, or in a
 * domain it does not own, guard not held. */
static __attribute__((noinline)) void free_other(void *r, uint64_t caller)
{
	struct tls *t = &tls;
	uint64_t stamp = free_stamp(r);
	if (t->gate == GATE_LOG) {   /* a pointer another thread's domain holds (cross-thread free) */
		t->gate = GATE(FAST_LOG, 2);
		free_general(r, caller, stamp);
		return;
	}
	struct call c = { 0, (uintptr_t)r, 0, caller, stamp, 0, MS_HL_OP_FREE };
	record(&c);
	real.free(r);
}

/* A free when this thread is not in plain logging: count-only's hot
 * path, else free_other. */
static __attribute__((noinline)) void free_not_log(void *r, uint64_t caller)
{
	struct tls *t = &tls;
	if (t->gate != GATE_COUNT) {
		free_other(r, caller);
		return;
	}
	t->gate = GATE(FAST_COUNT, 2);
	if (UNLIKELY(!count_fast(t->s, caller, 0, 0))) {
		free_count_general(r, caller);
		return;
	}
	if (UNLIKELY(t->npend))
		count_after(r);
	else
		t->gate = GATE_COUNT;
	real.free(r);
}

/* A free: recorded before the real free runs (its stamp must be taken
 * then: hotlog.h "Order"), which is then tail-called. */
static __attribute__((noinline)) void on_free(void *r, uint64_t caller)
{
	struct tls *t = &tls;
	if (UNLIKELY(t->gate != GATE_LOG)) {
		free_not_log(r, caller);
		return;
	}
	uint64_t ptr = (uintptr_t)r;
	size_t i = order_index(ptr);
	struct order_line *o = &g_order[i];
	if (UNLIKELY(!ptr || atomic_load_explicit(&o->owner, memory_order_relaxed) != t->self)) {
		free_other(r, caller);   /* free(NULL), or a domain this thread does not own */
		return;
	}
	/* stamp_free's, as the domain's owner */
	uint64_t stamp = max_u64(max_u64(atomic_load_explicit(&o->own, memory_order_relaxed),
					 atomic_load_explicit(&g_order[i].foreign, memory_order_acquire)),
				 t->clock) + 1;
	atomic_store_explicit(&o->own, stamp, memory_order_release);
	t->clock = stamp;
	t->gate = GATE(FAST_LOG, 2);
	struct slot *s = t->s;
	unsigned char *pp = s->pair_pos;
	if (UNLIKELY(!pp || ptr != s->last_alloc || caller != s->prev_caller[1])) {
		free_general(r, caller, stamp);
		return;
	}
	*pp = (unsigned char)s->pair_byte;
	s->by_size[s->last_alloc_slot].freed = ptr;
	s->ring[s->ring_head++ % MS_HL_FREE_RING] = ptr;
	s->prev_stamp++;   /* the malloc's stamp + 1 */
	s->pair_pos = NULL;
	uint64_t w = s->pair_commit;
	commit_store(s, w);
	if (UNLIKELY(commit_full(w) || t->npend)) {
		after_fast_free(r);
		return;
	}
	t->gate = GATE_LOG;
	real.free(r);
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

/* Allocations other than malloc's hot path (record_alloc stamps them). */
#define RECORD_ALLOC(op_, size_, ptr_) record_alloc((op_), (ptr_), (size_), CALLER())

/* ---- the interposed functions ---- */
/* malloc before the real one is known (kept out of the wrapper: it then
 * keeps one register across the call) */
static __attribute__((noinline, cold)) void *malloc_first(size_t n, uint64_t caller)
{
	RESOLVE(malloc, boot_alloc(n));
	return on_malloc(real.malloc(n), n, caller);
}

/* real.free until the real one is known (hook_life.c): known after
 * hook_init, or dropped as a free before it must be (inside dlsym). */
void free_unresolved(void *p)
{
	if (ready() && real.free != free_unresolved)
		real.free(p);
}

EXPORT void *malloc(size_t n)
{
	if (UNLIKELY(!real.malloc))
		return malloc_first(n, CALLER());
	void *p = real.malloc(n);
	/* the return address read after the call, from the frame: one
	 * register less kept across it */
	__asm__ volatile("" ::: "memory");
	return on_malloc(p, n, CALLER());
}

EXPORT void free(void *p)
{
	if (UNLIKELY(is_boot(p)))
		return;
	on_free(p, CALLER());   /* which ends in real.free: free_unresolved before hook_init */
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
	RECORD_ALLOC(MS_HL_OP_CALLOC, total, (uintptr_t)p);
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
	uint64_t sf = free_stamp(old);
	void *p = real.realloc(old, n);
	struct call c = { n, (uintptr_t)p, (uintptr_t)old, CALLER(), g_count_only ? 0 : stamp_alloc((uintptr_t)p), sf, MS_HL_OP_REALLOC };
	record(&c);
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
	uint64_t sf = free_stamp(old);
	void *p = real.realloc(old, total);
	struct call c = { total, (uintptr_t)p, (uintptr_t)old, CALLER(), g_count_only ? 0 : stamp_alloc((uintptr_t)p), sf, MS_HL_OP_REALLOCARRAY };
	record(&c);
	return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
	RESOLVE(memalign, NULL);
	void *p = real.memalign(align, n);
	RECORD_ALLOC(MS_HL_OP_MEMALIGN, n, (uintptr_t)p);
	return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	RESOLVE(posix_memalign, ENOMEM);
	int r = real.posix_memalign(out, align, n);
	RECORD_ALLOC(MS_HL_OP_POSIX_MEMALIGN, n, r == 0 ? (uintptr_t)*out : 0);
	return r;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	RESOLVE(aligned_alloc, NULL);
	void *p = real.aligned_alloc(align, n);
	RECORD_ALLOC(MS_HL_OP_ALIGNED_ALLOC, n, (uintptr_t)p);
	return p;
}

EXPORT void *valloc(size_t n)
{
	RESOLVE(valloc, NULL);
	void *p = real.valloc(n);
	RECORD_ALLOC(MS_HL_OP_VALLOC, n, (uintptr_t)p);
	return p;
}

EXPORT void *pvalloc(size_t n)
{
	RESOLVE(pvalloc, NULL);
	void *p = real.pvalloc(n);
	RECORD_ALLOC(MS_HL_OP_PVALLOC, n, (uintptr_t)p);
	return p;
}

EXPORT size_t malloc_usable_size(void *p)
{
	if (is_boot(p))
		return boot_size(p);
	RESOLVE(malloc_usable_size, 0);
	return real.malloc_usable_size(p);
}

/* The hook through the life of the process and its threads: init (the
 * real allocator, options, the log), thread slots, fork, exec, _exit,
 * the flush and crash signals, dlopen/dlclose.  The process-wide state
 * lives here.  See hook.h. */
#include "hook.h"

/* ---- the real allocator ---- */
/* free is free_unresolved until the real one is known: the hot path
 * tail-calls real.free without testing it */
struct real_allocator real = { .free = free_unresolved };

/* ---- process-wide state ---- */
atomic_int   g_init;           /* 0 no, 1 in progress, 2 done */
int          g_off;            /* not logging (fork=stop child, no dir) */
int          g_fd = -1;        /* this image's log */
char         g_dir[PATH_MAX];  /* the log directory ("" until known) */
char         g_log_path[PATH_MAX];
dev_t        g_log_dev;        /* what g_fd must still be */
ino_t        g_log_ino;
unsigned     g_depth;          /* stack frames, 0 = caller only */
int          g_count_only;
int          g_fork_stop;
int          g_fini;           /* process exit flush done */
uint32_t     g_seq;
pid_t        g_pid;            /* this image's pid: a vfork child differs */
struct slot *_Atomic g_slots;
atomic_uint  g_next_stream;
pthread_key_t g_key;
struct ms_hl_counters *g_counters;
struct ms_hl_counters g_local_counters;  /* when the page is missing */
unsigned char *g_maps_buf;
size_t       g_maps_cap;
atomic_int   g_maps_lock;
/* alone on its cache line: every free writes it, and the hot path's
 * read-mostly globals (real, g_count_only, g_depth) must not share it */
struct order_line g_order[ORDER_DOMAINS];
atomic_uint  g_block_seq;
atomic_uint  g_nmapped;
char         g_buf_path[PATH_MAX];

/* ---- slots: one per live thread, reused after the thread exits ---- */
static struct slot *slot_acquire(void)
{
	for (struct slot *s = atomic_load(&g_slots); s; s = s->next) {
		int free_ = 0;
		if (atomic_compare_exchange_strong(&s->in_use, &free_, 1)) {
			if (s->map_pid != g_pid)
				slot_map(s);   /* a forked child: its own buffer file */
			if (s->hdr)
				return s;
			atomic_store(&s->in_use, 0);
			return NULL;
		}
	}
	struct slot *s = map_zeroed(sizeof(struct slot));
	if (!s)
		return NULL;
	slot_map(s);
	if (!s->hdr) {
		munmap(s, sizeof *s);
		return NULL;
	}
	atomic_store(&s->in_use, 1);
	struct slot *head = atomic_load(&g_slots);
	do {
		s->next = head;
	} while (!atomic_compare_exchange_weak(&g_slots, &head, s));
	return s;
}

struct slot *thread_start(struct tls *t, int keep_stream)
{
	struct slot *s = slot_acquire();
	if (!s)
		return NULL;
	if (!keep_stream)
		t->stream = atomic_fetch_add(&g_next_stream, 1);
	t->self = (uint64_t)(uintptr_t)t;   /* before the hot path can run: it tests owners against it */
	s->stream = t->stream;
	s->tid = (uint32_t)syscall(SYS_gettid);
	s->sync = 0;
	s->first_flushed = 0;
	s->dropped = s->events = s->dropped_total = 0;
	memset(s->name, 0, sizeof s->name);
	s->next_stack_id = 0;
	if (g_depth)
		stack_slot_start(s);
	if (g_depth && !s->stacks)
		s->stacks = map_zeroed(STACK_SLOTS * sizeof *s->stacks);
	else if (s->stacks)
		memset(s->stacks, 0, STACK_SLOTS * sizeof *s->stacks);
	if (g_count_only) {
		/* the counts live in the buffer: an ms_hl_counts, then the table */
		s->ch = (struct ms_hl_counts *)(s->buf + sizeof(struct ms_hl_rec));
		s->counts = (struct count_slot *)(s->ch + 1);
	}
	block_reset(s);
	slot_update_fast(s);
	t->s = s;
	write_thread_name(s);
	return s;
}

void slot_release(struct slot *s)
{
	flush_own(s);
	atomic_store(&s->in_use, 0);
}

/* pthread key destructor: the thread is exiting. */
/* Give back the order domains this thread owns (hook.h "Order
 * domains"): another thread may then claim them.  At its exit, after its
 * last stamp as owner: order_mine claims nothing once tls.exited is set. */
void order_release(void)
{
	uint64_t me = (uint64_t)(uintptr_t)&tls;
	for (size_t i = 0; i < ORDER_DOMAINS; i++) {
		uint64_t w = me;
		if (atomic_load_explicit(&g_order[i].owner, memory_order_relaxed) == me)
			atomic_compare_exchange_strong_explicit(&g_order[i].owner, &w, 0, memory_order_release,
								memory_order_relaxed);
	}
}

/* Order stamps off the hot path (hook.h stamp_free, stamp_alloc). */
uint64_t stamp_free_other(uint64_t p)
{
	size_t i = order_index(p);
	struct order_line *o = &g_order[i];
	_Atomic uint64_t *f = &g_order[i].foreign;
	uint64_t v;
	if (order_mine(o)) {
		v = max_u64(max_u64(atomic_load_explicit(&o->own, memory_order_relaxed),
				    atomic_load_explicit(f, memory_order_acquire)), tls.clock) + 1;
		atomic_store_explicit(&o->own, v, memory_order_release);
	} else {
		v = atomic_fetch_add_explicit(f, 1, memory_order_acq_rel) + 1;
		uint64_t m = max_u64(atomic_load_explicit(&o->own, memory_order_acquire), tls.clock) + 1;
		if (v < m) {
			v = m;
			order_raise(f, v);
		}
	}
	tls.clock = v;
	return v;
}

void stamp_alloc_raise(uint64_t p, uint64_t x)
{
	size_t i = order_index(p);
	if (order_mine(&g_order[i]))
		atomic_store_explicit(&g_order[i].own, x, memory_order_release);
	else
		order_raise(&g_order[i].foreign, x);
}

static void thread_exit(void *arg)
{
	struct tls *t = &tls;
	(void)arg;
	if (t->s) {
		t->busy = 1;
		slot_release(t->s);
		t->s = NULL;
		t->fast = FAST_NONE;
		t->busy = 0;
	}
	t->exited = 1;
	order_release();
}

static void on_crash(int sig)
{
	flush_all(MS_HL_END_SIGNAL, sig, 1);
	/* SA_RESETHAND restored the default: returning re-raises the fault;
	 * an abort() raises again itself */
}

/* No signal is ever sent to the program: buffers are read from the
 * buffer file however the process ends.  A crash only adds the END record
 * that says so (and a last maps snapshot). */
static void install_signals(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	/* Only where the program has no handler yet; one installed later
	 * replaces ours. */
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
		t->fast = FAST_NONE;
		return;
	}
	/* the other threads do not exist here: free their slots (each maps
	 * the parent's buffer file until it is taken again: slot_acquire) */
	for (struct slot *s = atomic_load(&g_slots); s; s = s->next) {
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
		slot_map(t->s);   /* same address, the child's own file */
		if (!t->s->hdr) {
			g_off = 1;    /* no memory for a buffer: stop logging here */
			return;
		}
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

void hook_init(void)
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
	void (*rf)(void *) = (void (*)(void *))sym("free");
	if (rf)
		real.free = rf;
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
	real.setname = (int (*)(pthread_t, const char *))sym("pthread_setname_np");
	real.prctl = (int (*)(int, unsigned long, unsigned long, unsigned long, unsigned long))sym("prctl");
	const char *v = getenv("MEMSLEUTH_HOOK_STACKS");
	if (v && *v) {
		long d = atol(v);
		g_depth = d < 0 ? 0 : d > MS_HL_MAX_DEPTH ? MS_HL_MAX_DEPTH : (unsigned)d;
	}
	v = getenv("MEMSLEUTH_HOOK_COUNT");
	g_count_only = v && *v == '1';
	v = getenv("MEMSLEUTH_HOOK_FORK");
	g_fork_stop = v && !strcmp(v, "stop");
	if (g_depth)
		stack_init();
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
	g_fini = 1;   /* later calls (libc's own teardown) stay in the buffer file */
}

/* ---- thread names: every change is noted when it happens ---- */
EXPORT int pthread_setname_np(pthread_t th, const char *name)
{
	if (!real.setname && atomic_load(&g_init) == 0)
		hook_init();
	if (!real.setname)
		return ENOSYS;
	int r = real.setname(th, name);
	struct tls *t = &tls;
	if (r == 0 && !g_off && !t->busy && atomic_load(&g_init) == 2) {
		t->busy = 1;
		if (pthread_equal(th, pthread_self())) {
			if (t->s)
				write_thread_name(t->s);
		} else {
			names_rescan();
		}
		t->busy = 0;
	}
	return r;
}

EXPORT int prctl(int option, ...)
{
	va_list ap;
	va_start(ap, option);
	unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
	unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
	va_end(ap);
	if (!real.prctl && atomic_load(&g_init) == 0)
		hook_init();
	int r = real.prctl ? real.prctl(option, a2, a3, a4, a5)
			   : (int)syscall(SYS_prctl, option, a2, a3, a4, a5);
	struct tls *t = &tls;
	if (option == PR_SET_NAME && r == 0 && !g_off && !t->busy && t->s &&
	    atomic_load(&g_init) == 2) {
		t->busy = 1;
		write_thread_name(t->s);
		t->busy = 0;
	}
	return r;
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
	if (h && g_depth)
		stack_forget_rules();   /* new code, maybe where a closed library was */
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
	int r = real.dlclose ? real.dlclose(handle) : -1;
	if (g_depth)
		stack_forget_rules();   /* its addresses may hold other code next */
	return r;
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

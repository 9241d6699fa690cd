#include "probe/labrun.h"
#include "probe/procfs.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "probe/ffcall.h"
#include "probe/selfcheck.h"
#include "util/size.h"

#define MAX_SETS 64

/* A named set of blocks; the pointer array is mmap'd, never malloc'd. */
struct bset {
	char   name[MS_LAB_NAME];
	void **v;
	size_t n, cap;
};

struct bsets {
	struct bset s[MAX_SETS];
	size_t n;
};

struct ctx {
	const struct ms_lab *lab;
	struct ms_labrun *run;
	struct bsets *sets;
	int thread;             /* -1 for the main thread */
};

static void *map_zero(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void put(int fd, const char *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

/* Step lines go out with write(2), never through stdio: its buffers would
 * be allocations in the heap under experiment.  For the same reason a line
 * wider than `width` is wrapped here at spaces, without allocating; the
 * continuation lines start under the step's text (column 31); words are
 * never cut. */
static void say(int fd, int width, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(int fd, int width, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n >= sizeof buf ? sizeof buf - 1 : (size_t)n;
	if (len && buf[len - 1] == '\n')
		len--;
	const size_t hang = 31;
	size_t start = 0, room = width > 40 ? (size_t)width : (size_t)-1;
	while (len - start > room) {
		size_t cut = start + room;
		while (cut > start && buf[cut] != ' ')
			cut--;
		if (cut == start) {   /* one long word: whole, up to the next space */
			cut = start + room;
			while (cut < len && buf[cut] != ' ')
				cut++;
		}
		put(fd, buf + start, cut - start);
		put(fd, "\n", 1);
		while (cut < len && buf[cut] == ' ')
			cut++;
		start = cut;
		if (start < len)
			put(fd, "                               ", hang);
		room = width > 40 ? (size_t)width - hang : (size_t)-1;
	}
	put(fd, buf + start, len - start);
	put(fd, "\n", 1);
}

static int step_err(const struct ctx *c, const struct ms_lab_step *s, struct ms_err *e,
		    const char *hint, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int step_err(const struct ctx *c, const struct ms_lab_step *s, struct ms_err *e,
		    const char *hint, const char *fmt, ...)
{
	char what[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return ms_err_set(e, 0, what, hint, "%s:%d:%d", c->lab->path, s->line, s->col);
}

static struct bset *set_find(struct bsets *ss, const char *name)
{
	for (size_t i = 0; i < ss->n; i++)
		if (!strcmp(ss->s[i].name, name))
			return &ss->s[i];
	return NULL;
}

static struct bset *set_get(struct bsets *ss, const char *name)
{
	struct bset *b = set_find(ss, name);
	if (b || ss->n == MAX_SETS)
		return b;
	b = &ss->s[ss->n++];
	snprintf(b->name, sizeof b->name, "%s", name);
	return b;
}

static int set_reserve(struct bset *b, size_t more)
{
	if (b->n + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->n + more)
		cap *= 2;
	void *p = b->v ? mremap(b->v, b->cap * sizeof *b->v, cap * sizeof *b->v, MREMAP_MAYMOVE)
		       : mmap(NULL, cap * sizeof *b->v, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	b->v = p;
	b->cap = cap;
	return 0;
}

static void sets_release(struct bsets *ss)
{
	for (size_t i = 0; i < ss->n; i++)
		if (ss->s[i].v)
			munmap(ss->s[i].v, ss->s[i].cap * sizeof *ss->s[i].v);
}

/* The highest block address in the sets: a pin has to land above it. */
static uintptr_t highest_block(const struct bsets *ss)
{
	uintptr_t top = 0;
	for (size_t i = 0; i < ss->n; i++)
		for (size_t k = 0; k < ss->s[i].n; k++)
			if ((uintptr_t)ss->s[i].v[k] > top)
				top = (uintptr_t)ss->s[i].v[k];
	return top;
}

#define PIN_TRIES 10000

static int do_alloc(struct ctx *c, const struct ms_lab_step *s, char *did, size_t dlen, struct ms_err *e)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
	uint64_t total = s->count * s->size, avail = ms_self_mem_available();
	if (total > avail)
		return step_err(c, s, e, "lower the count or the size",
				"%s needs %s but only %s is available", s->op == MS_LAB_PIN ? "pin" : "alloc",
				ms_size_fmt(total, a), ms_size_fmt(avail, b));
	uintptr_t above = s->op == MS_LAB_PIN ? highest_block(c->sets) : 0;
	struct bset *set = set_get(c->sets, s->set);
	if (!set)
		return step_err(c, s, e, "reuse a set name", "too many sets (at most %d)", MAX_SETS);
	/* A pin fills older holes first, as any allocation would, until a
	 * block lands above everything allocated: that one is the pin. */
	uint64_t want = s->op == MS_LAB_PIN ? PIN_TRIES : s->count;
	if (set_reserve(set, s->op == MS_LAB_PIN ? 64 : s->count) < 0)
		return step_err(c, s, e, NULL, "cannot map the list of %llu blocks: %s",
				(unsigned long long)s->count, strerror(errno));
	uint64_t i;
	for (i = 0; i < want; i++) {
		if (set_reserve(set, 1) < 0)
			return step_err(c, s, e, NULL, "cannot map the block list: %s", strerror(errno));
		void *p = malloc(s->size);
		if (!p)
			return step_err(c, s, e, "lower the count or the size, or raise the memory limit: ulimit -v, the cgroup's memory.max",
					"malloc(%llu) returned NULL after %llu of %llu blocks (%s)",
					(unsigned long long)s->size, (unsigned long long)i,
					(unsigned long long)s->count, strerror(ENOMEM));
		memset(p, 0x5a, s->size);   /* resident, as a real program's data is */
		set->v[set->n++] = p;
		if (s->op == MS_LAB_PIN && (uintptr_t)p > above)
			break;
	}
	ms_lab_describe(s, did, dlen);
	size_t l = strlen(did);
	if (s->op == MS_LAB_PIN && l < dlen) {
		if (i == want) {
			snprintf(did + l, dlen - l, ": none of %d blocks landed above the others "
				 "(this allocator keeps small sizes apart)", PIN_TRIES);
			return 0;
		}
		snprintf(did + l, dlen - l, " at %p%s", set->v[set->n - 1], i ? ", above the rest" : "");
		if (i) {
			l = strlen(did);
			snprintf(did + l, dlen - l, " (%llu older hole%s filled first)", (unsigned long long)i, i == 1 ? "" : "s");
		}
	}
	return 0;
}

static int do_free(struct ctx *c, const struct ms_lab_step *s, char *did, size_t dlen, struct ms_err *e)
{
	struct bset *set = set_find(c->sets, s->set);
	if (!set)
		return step_err(c, s, e, "alloc it first; sets made inside threads exist after the block",
				"no set named '%s'", s->set);
	size_t from = 0, to = set->n, every = 1;
	if (s->free_kind == MS_FREE_RANGE) {
		if (s->b > set->n)
			return step_err(c, s, e, "use indexes below the set's size", "set '%s' has %zu blocks, the range ends at %llu",
					s->set, set->n, (unsigned long long)s->b);
		from = (size_t)s->a;
		to = (size_t)s->b;
	} else if (s->free_kind == MS_FREE_EVERY) {
		every = (size_t)s->k;
	}
	size_t freed = 0;
	for (size_t i = from; i < to; i += every)
		if (set->v[i]) {
			free(set->v[i]);
			set->v[i] = NULL;
			freed++;
		}
	char what[160];
	ms_lab_describe(s, what, sizeof what);
	snprintf(did, dlen, "%s (%zu freed)", what, freed);
	return 0;
}

static int do_call(struct ctx *c, const struct ms_lab_step *s, char *did, size_t dlen, struct ms_err *e)
{
	char what[200];
	ms_lab_describe(s, what, sizeof what);
	if (!s->fn) {
		snprintf(did, dlen, "%s: skipped, %s is not in this process", what, s->proto.name);
		return 0;
	}
	struct ms_ffcall_value v;
	fflush(NULL);
	if (ms_ffcall(s->fn, &s->proto, s->args, s->nargs, c->run->stdout_file, &v, e) < 0)
		return step_err(c, s, e, NULL, "%s", e->msg);
	fflush(NULL);
	if (v.is_void)
		snprintf(did, dlen, "%s  [%s]", what, s->fn_lib);
	else if (v.is_double)
		snprintf(did, dlen, "%s = %g  [%s]", what, v.d, s->fn_lib);
	else
		snprintf(did, dlen, "%s = %lld  [%s]", what, v.i, s->fn_lib);
	return 0;
}

static void do_sleep(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int do_expect(struct ctx *c, const struct ms_lab_step *s, char *did, size_t dlen, int *ok,
		     struct ms_err *e)
{
	uint64_t have;
	char a[MS_SIZE_BUF], what[160];
	if (s->expect_what != MS_MEASURE_RSS) {
		size_t h, ar;
		if (ms_selfcheck_heaps(&h, &ar) < 0)
			return step_err(c, s, e, NULL, "cannot count the arena heaps");
		have = s->expect_what == MS_MEASURE_HEAPS ? h : ar + 1;
	} else {
		have = ms_statm_rss(0);
	}
	switch (s->cmp) {
	case MS_CMP_LT: *ok = have < s->value; break;
	case MS_CMP_LE: *ok = have <= s->value; break;
	case MS_CMP_GT: *ok = have > s->value; break;
	case MS_CMP_GE: *ok = have >= s->value; break;
	default:        *ok = have == s->value; break;
	}
	ms_lab_describe(s, what, sizeof what);
	if (s->expect_what != MS_MEASURE_RSS)
		snprintf(did, dlen, "%s: %s, there are %llu", what, *ok ? "ok" : "FAILED", (unsigned long long)have);
	else
		snprintf(did, dlen, "%s: %s, RSS is %s", what, *ok ? "ok" : "FAILED", ms_size_fmt(have, a));
	return 0;
}

static int run_thread_steps(struct ctx *c, const struct ms_lab_step *steps, size_t n, struct ms_err *e);

struct tctx {
	struct ctx c;
	const struct ms_lab_step *body;
	size_t nbody;
	struct ms_err err;
	int failed;
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	int *done, *total;
};

/* Each thread runs the block, then waits until all have: all alive
 * together, so glibc gives each its own arena up to the cap. */
static void *thread_main(void *arg)
{
	struct tctx *t = arg;
	t->failed = run_thread_steps(&t->c, t->body, t->nbody, &t->err) < 0;
	pthread_mutex_lock(t->mu);
	(*t->done)++;
	pthread_cond_broadcast(t->cv);
	while (*t->done < *t->total)
		pthread_cond_wait(t->cv, t->mu);
	pthread_mutex_unlock(t->mu);
	return NULL;
}

static int do_threads(struct ctx *c, const struct ms_lab_step *s, char *did, size_t dlen, struct ms_err *e)
{
	size_t n = (size_t)s->nthreads;
	/* Each thread's allocations are checked alone; all of them together
	 * must fit too. */
	uint64_t each = 0, avail = ms_self_mem_available();
	for (size_t i = 0; i < s->nbody; i++)
		if (s->body[i].op == MS_LAB_ALLOC || s->body[i].op == MS_LAB_PIN) {
			uint64_t b = s->body[i].count * s->body[i].size;
			each = each > UINT64_MAX - b ? UINT64_MAX : each + b;
		}
	if (each && (each > UINT64_MAX / n || each * n > avail)) {
		char a[MS_SIZE_BUF], b[MS_SIZE_BUF];
		return step_err(c, s, e, "fewer threads or smaller blocks", "%zu threads need %s but only %s is available",
				n, each > UINT64_MAX / n ? "more than 16 EiB" : ms_size_fmt(each * n, a), ms_size_fmt(avail, b));
	}
	struct tctx *t = map_zero(n * sizeof *t);
	struct bsets *local = map_zero(n * sizeof *local);
	pthread_t *tid = map_zero(n * sizeof *tid);
	if (!t || !local || !tid)
		return step_err(c, s, e, NULL, "cannot map thread state: %s", strerror(errno));
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	int done = 0, total = s->nthreads + 1;   /* lowered to the real count below */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 512u << 10);
	size_t started = 0;
	int create_err = 0;
	for (; started < n; started++) {
		t[started] = (struct tctx){ .c = { c->lab, c->run, &local[started], (int)started },
					    .body = s->body, .nbody = s->nbody, .mu = &mu, .cv = &cv,
					    .done = &done, .total = &total };
		if ((create_err = pthread_create(&tid[started], &attr, thread_main, &t[started])) != 0)
			break;
	}
	pthread_attr_destroy(&attr);
	pthread_mutex_lock(&mu);
	total = (int)started;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	int rc = 0;
	for (size_t i = 0; i < started && !rc; i++)
		if (t[i].failed) {
			*e = t[i].err;
			rc = -1;
		}
	/* The threads' sets join the main sets of the same name. */
	for (size_t i = 0; i < started && !rc; i++)
		for (size_t k = 0; k < local[i].n; k++) {
			struct bset *from = &local[i].s[k], *to = set_get(c->sets, from->name);
			if (!to || set_reserve(to, from->n) < 0) {
				rc = step_err(c, s, e, NULL, "cannot keep the threads' blocks in set '%s'", from->name);
				break;
			}
			memcpy(to->v + to->n, from->v, from->n * sizeof *from->v);
			to->n += from->n;
		}
	for (size_t i = 0; i < started; i++)
		sets_release(&local[i]);
	munmap(t, n * sizeof *t);
	munmap(local, n * sizeof *local);
	munmap(tid, n * sizeof *tid);
	if (!rc && create_err)
		rc = step_err(c, s, e, "lower the thread count", "only %zu of %d threads could start: %s",
			      started, s->nthreads, strerror(create_err));
	if (!rc) {
		char what[160];
		ms_lab_describe(s, what, sizeof what);
		snprintf(did, dlen, "%s: %zu ran and ended", what, started);
	}
	return rc;
}

static void line_out(const struct ctx *c, const struct ms_lab_step *s, const char *did, uint64_t rss,
		     uint64_t before)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], who[16] = "";
	if (c->thread >= 0)
		snprintf(who, sizeof who, "[t%d] ", c->thread);
	int64_t d = (int64_t)rss - (int64_t)before;
	char delta[MS_SIZE_BUF + 1];
	snprintf(delta, sizeof delta, "%s%s", d < 0 ? "-" : "+", ms_size_fmt((uint64_t)(d < 0 ? -d : d), b));
	say(c->run->out_fd, c->run->width, "%4d  %10s  %11s  %s%s\n", s->line, ms_size_fmt(rss, a), delta, who, did);
}

/* One step; *ok is cleared by a failed expectation. */
static int run_step(struct ctx *c, const struct ms_lab_step *s, char *did, size_t dlen, int *ok,
		    struct ms_err *e)
{
	*ok = 1;
	did[0] = 0;
	switch (s->op) {
	case MS_LAB_TITLE:
		return 0;
	case MS_LAB_SAY:
		say(c->run->out_fd, c->run->width, "%31s%s\n", "", s->text);
		snprintf(did, dlen, "%s", s->text);
		return 0;
	case MS_LAB_ALLOC:
	case MS_LAB_PIN:
		return do_alloc(c, s, did, dlen, e);
	case MS_LAB_FREE:
		return do_free(c, s, did, dlen, e);
	case MS_LAB_CALL:
		return do_call(c, s, did, dlen, e);
	case MS_LAB_SLEEP:
		do_sleep(s->ms);
		ms_lab_describe(s, did, dlen);
		return 0;
	case MS_LAB_RSS:
		snprintf(did, dlen, "rss checkpoint");
		return 0;
	case MS_LAB_HEAPS: {
		size_t h, ar;
		if (ms_selfcheck_heaps(&h, &ar) < 0)
			return step_err(c, s, e, NULL, "cannot count the arena heaps");
		snprintf(did, dlen, "heaps: %zu arena heap%s (64 MiB reservations); arenas: %zu (main + %zu)", h,
			 h == 1 ? "" : "s", ar + 1, ar);
		return 0;
	}
	case MS_LAB_ARENAS: {
		char line[512];
		ms_selfcheck_arenas(line, sizeof line);
		snprintf(did, dlen, "arenas: %s", line);
		return 0;
	}
	case MS_LAB_EXPECT:
		return do_expect(c, s, did, dlen, ok, e);
	case MS_LAB_THREADS:
		return do_threads(c, s, did, dlen, e);
	}
	return 0;
}

static int run_thread_steps(struct ctx *c, const struct ms_lab_step *steps, size_t n, struct ms_err *e)
{
	char did[240];
	int ok;
	for (size_t i = 0; i < n; i++) {
		uint64_t before = ms_statm_rss(0);
		if (run_step(c, &steps[i], did, sizeof did, &ok, e) < 0)
			return -1;
		if (steps[i].op != MS_LAB_SAY)
			line_out(c, &steps[i], did, ms_statm_rss(0), before);
	}
	return 0;
}

int ms_lab_link(struct ms_lab *lab, struct ms_err *e)
{
	for (size_t i = 0; i < lab->n; i++) {
		struct ms_lab_step *s = &lab->steps[i];
		size_t nb = s->op == MS_LAB_THREADS ? s->nbody : 1;
		for (size_t k = 0; k < nb; k++) {
			struct ms_lab_step *t = s->op == MS_LAB_THREADS ? &s->body[k] : s;
			if (t->op != MS_LAB_CALL)
				continue;
			t->fn = ms_ffcall_resolve(t->proto.name, t->fn_lib, sizeof t->fn_lib);
			if (!t->fn && !t->optional)
				return ms_err_set(e, 0, "no loaded library defines it",
						  "use call? to skip it when absent, or run with --allocator",
						  "%s:%d:%d: unknown symbol '%s'", lab->path, t->line, t->sym_col, t->proto.name);
		}
	}
	return 0;
}

int ms_lab_run(const struct ms_lab *lab, struct ms_labrun *run, struct ms_err *e)
{
	struct bsets *sets = map_zero(sizeof *sets);
	run->rec_cap = lab->n + 1;
	run->rec = map_zero(run->rec_cap * sizeof *run->rec);
	if (!sets || !run->rec)
		return ms_err_set(e, errno, NULL, NULL, "lab %s: state", lab->path);
	run->nrec = 0;
	run->failed_expects = 0;
	struct ctx c = { lab, run, sets, -1 };
	int rc = 0;
	for (size_t i = 0; i < lab->n && !rc; i++) {
		const struct ms_lab_step *s = &lab->steps[i];
		struct ms_lab_record *r = &run->rec[run->nrec];
		uint64_t before = ms_statm_rss(0);
		int ok = 1;
		if ((rc = run_step(&c, s, r->did, sizeof r->did, &ok, e)) < 0)
			break;
		if (s->op == MS_LAB_TITLE)
			continue;
		r->line = s->line;
		r->rss = ms_statm_rss(0);
		r->ok = ok;
		run->nrec++;
		if (!ok)
			run->failed_expects++;
		if (s->op != MS_LAB_SAY)
			line_out(&c, s, r->did, r->rss, before);
	}
	sets_release(sets);
	munmap(sets, sizeof *sets);
	return rc;
}

void ms_labrun_free(struct ms_labrun *run)
{
	if (run->rec)
		munmap(run->rec, run->rec_cap * sizeof *run->rec);
	run->rec = NULL;
}

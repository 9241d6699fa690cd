#include "findings/memsyssum.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "probe/procfs.h"
#include "util/size.h"

int ms_sys_summary_init(struct ms_sys_summary *s)
{
	memset(s, 0, sizeof *s);
	s->threads = calloc(MS_SUM_MAX_THREADS, sizeof *s->threads);
	s->heaps = calloc(MS_SUM_MAX_HEAPS, sizeof *s->heaps);
	if (!s->threads || !s->heaps) {
		ms_sys_summary_free(s);
		return -1;
	}
	return 0;
}

void ms_sys_summary_free(struct ms_sys_summary *s)
{
	free(s->threads);
	free(s->heaps);
	s->threads = NULL;
	s->heaps = NULL;
}

const struct ms_sys_thread *ms_sys_summary_thread(const struct ms_sys_summary *s, pid_t tid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == tid)
			return &s->threads[i];
	return NULL;
}

static void thread_name(pid_t tgid, pid_t tid, char name[17])
{
	char path[64], *buf = NULL;
	size_t len = 0;
	struct ms_err e;
	snprintf(name, 17, "?");
	snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)tgid, (int)tid);
	if (ms_read_file(path, &buf, &len, 64, &e) == 0) {
		buf[strcspn(buf, "\n")] = 0;
		snprintf(name, 17, "%s", buf);
	}
	free(buf);
}

static struct ms_sys_thread *thread_get(struct ms_sys_summary *s, const struct ms_sysev *ev)
{
	struct ms_sys_thread *t = (struct ms_sys_thread *)ms_sys_summary_thread(s, ev->tid);
	if (t)
		return t;
	if (s->nthreads == MS_SUM_MAX_THREADS) {
		s->threads_overflow++;
		return NULL;
	}
	t = &s->threads[s->nthreads++];
	memset(t, 0, sizeof *t);
	t->tid = ev->tid;
	t->tgid = ev->tgid ? ev->tgid : ev->tid;
	thread_name(t->tgid, t->tid, t->name);
	if (strcmp(t->name, "?") == 0 && ev->comm[0])   /* gone by now: the backend's record */
		snprintf(t->name, sizeof t->name, "%s", ev->comm);
	return t;
}

static struct ms_sys_brk *brk_get(struct ms_sys_summary *s, pid_t tgid)
{
	for (size_t i = 0; i < s->nbrk; i++)
		if (s->brk[i].tgid == tgid)
			return &s->brk[i];
	if (s->nbrk == MS_SUM_MAX_PROCS)
		return NULL;
	struct ms_sys_brk *b = &s->brk[s->nbrk++];
	memset(b, 0, sizeof *b);
	b->tgid = tgid;
	return b;
}

void ms_sys_summary_set_brk(struct ms_sys_summary *s, pid_t tgid, uint64_t brk)
{
	struct ms_sys_brk *b = brk_get(s, tgid);
	if (b && brk && !b->cur)
		b->first = b->cur = b->high = brk;
}

/* brk returns the new break (the old one when the request failed): the
 * move from the previous break is the call's size. */
static uint64_t brk_move(struct ms_sys_summary *s, const struct ms_sysev *ev)
{
	struct ms_sys_brk *b = brk_get(s, ev->tgid ? ev->tgid : ev->tid);
	uint64_t now = (uint64_t)ev->ret, moved = 0;
	if (!b || ev->ret <= 0)
		return 0;
	if (!b->cur) {
		b->first = b->cur = b->high = now;
		return 0;
	}
	if (ev->arg[0] == 0) {        /* a query: the break did not move */
		if (!b->grown && !b->shrunk)   /* sharper than the page-aligned [heap] end */
			b->first = b->high = now;
		b->cur = now;
		return 0;
	}
	if (now > b->cur) {
		moved = now - b->cur;
		b->grown += moved;
	} else {
		moved = b->cur - now;
		b->shrunk += moved;
	}
	b->cur = now;
	if (now > b->high)
		b->high = now;
	return moved;
}

static struct ms_sys_heap *heap_find(struct ms_sys_summary *s, pid_t tgid, uint64_t a, uint64_t len)
{
	for (size_t i = 0; i < s->nheaps; i++) {
		struct ms_sys_heap *h = &s->heaps[i];
		if (h->live && h->tgid == tgid && a >= h->start && a + len <= h->end && len)
			return h;
	}
	return NULL;
}

static void on_mmap(struct ms_sys_summary *s, const struct ms_sysev *ev, struct ms_sys_thread *t)
{
	uint64_t prot = ev->arg[2], flags = ev->arg[3];
	int reservation = prot == PROT_NONE && (flags & MAP_NORESERVE) && (flags & MAP_ANONYMOUS)
		&& ev->arg[1] >= MS_ARENA_HEAP_SIZE;
	if (!reservation)
		return;
	s->heaps_created++;
	if (t)
		t->heaps_created++;
	if (s->nheaps == MS_SUM_MAX_HEAPS) {
		s->heaps_overflow++;
		return;
	}
	struct ms_sys_heap *h = &s->heaps[s->nheaps++];
	h->start = (uint64_t)ev->ret;
	h->end = h->start + ev->arg[1];
	h->tgid = ev->tgid;
	h->live = 1;
}

/* A munmap inside a reservation: at its head or tail while the reservation
 * is bigger than one heap it is new_heap's alignment trim (never touched,
 * returns nothing); otherwise the heap gives memory back or goes away. */
static void on_munmap(struct ms_sys_summary *s, const struct ms_sysev *ev)
{
	uint64_t a = ev->arg[0], len = ev->arg[1];
	struct ms_sys_heap *h = heap_find(s, ev->tgid, a, len);
	if (!h) {
		s->munmap_returned += len;
		return;
	}
	if (a == h->start && a + len == h->end) {
		h->live = 0;
		s->heaps_destroyed++;
		s->munmap_returned += len;
	} else if (h->end - h->start > MS_ARENA_HEAP_SIZE && (a == h->start || a + len == h->end)) {
		s->heap_trims++;
		s->heap_trim_bytes += len;
		if (a == h->start)
			h->start += len;
		else
			h->end = a;
	} else {
		s->heap_shrinks++;
		s->heap_shrink_bytes += len;
		s->munmap_returned += len;
	}
}

static void on_madvise(struct ms_sys_summary *s, const struct ms_sysev *ev)
{
	uint64_t len = ev->arg[1], advice = ev->arg[2];
	if (advice != MADV_DONTNEED && advice != MADV_FREE && advice != MADV_REMOVE)
		return;
	s->madvise_returned += len;
	if (advice == MADV_FREE)
		s->madv_free += len;
	else
		s->madv_dontneed += len;
	if (heap_find(s, ev->tgid, ev->arg[0], len)) {
		s->heap_shrinks++;
		s->heap_shrink_bytes += len;
	}
}

void ms_sys_summary_add(struct ms_sys_summary *s, const struct ms_sysev *in)
{
	struct ms_sysev ev = *in;
	if (!ev.tgid)
		ev.tgid = ev.tid;
	if (ev.sc >= MS_SC_N)
		return;
	s->events++;
	struct ms_sys_thread *t = thread_get(s, &ev);
	int failed = ev.ret < 0 && ev.ret > -4096;
	uint64_t bytes = 0;
	if (failed) {
		s->failed++;
	} else if (ev.sc == MS_SC_BRK) {
		bytes = brk_move(s, &ev);
	} else {
		bytes = ms_sysev_len(&ev);
		if (ev.sc == MS_SC_MMAP)
			on_mmap(s, &ev, t);
		else if (ev.sc == MS_SC_MUNMAP)
			on_munmap(s, &ev);
		else if (ev.sc == MS_SC_MPROTECT && (ev.arg[2] & PROT_WRITE)
			 && heap_find(s, ev.tgid, ev.arg[0], ev.arg[1])) {
			s->heap_grows++;
			s->heap_grow_bytes += ev.arg[1];
		} else if (ev.sc == MS_SC_MADVISE)
			on_madvise(s, &ev);
	}
	s->total[ev.sc].count++;
	s->total[ev.sc].bytes += bytes;
	if (t) {
		t->sc[ev.sc].count++;
		t->sc[ev.sc].bytes += bytes;
	}
}

void ms_sys_interpret(const struct ms_sys_summary *s, FILE *out)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF], d[MS_SIZE_BUF];
	if (!s->events) {
		fprintf(out, "no brk, mmap, munmap, mprotect or madvise call was seen while tracing\n");
		return;
	}
	/* the five threads that created most heaps, then the rest in one line */
	uint64_t shown_heaps = 0;
	size_t shown = 0, creators = 0;
	for (size_t i = 0; i < s->nthreads; i++)
		creators += s->threads[i].heaps_created > 0;
	for (uint64_t below = UINT64_MAX; shown < 5 && shown < creators;) {
		uint64_t best = 0;
		for (size_t i = 0; i < s->nthreads; i++)
			if (s->threads[i].heaps_created < below && s->threads[i].heaps_created > best)
				best = s->threads[i].heaps_created;
		for (size_t i = 0; i < s->nthreads && shown < 5; i++) {
			const struct ms_sys_thread *t = &s->threads[i];
			if (t->heaps_created != best)
				continue;
			fprintf(out, "thread %d (%s) created %llu arena heap%s\n", (int)t->tid, t->name,
				(unsigned long long)t->heaps_created, t->heaps_created == 1 ? "" : "s");
			shown++;
			shown_heaps += best;
		}
		below = best;
	}
	if (creators > shown)
		fprintf(out, "... and %zu more threads created %llu arena heaps\n", creators - shown,
			(unsigned long long)(s->heaps_created - shown_heaps));
	if (s->heaps_created || s->heap_grows)
		fprintf(out, "arena heaps: %llu created, grown %llu times by %s (mprotect), shrunk %llu times by %s, %llu unmapped\n",
			(unsigned long long)s->heaps_created, (unsigned long long)s->heap_grows,
			ms_size_fmt(s->heap_grow_bytes, a), (unsigned long long)s->heap_shrinks,
			ms_size_fmt(s->heap_shrink_bytes, b), (unsigned long long)s->heaps_destroyed);
	if (s->madvise_returned)
		fprintf(out, "madvise returned %s to the kernel (MADV_DONTNEED %s, MADV_FREE %s)\n",
			ms_size_fmt(s->madvise_returned, a), ms_size_fmt(s->madv_dontneed, b),
			ms_size_fmt(s->madv_free, c));
	if (s->total[MS_SC_MUNMAP].count)
		fprintf(out, "munmap returned %s%s%s%s\n", ms_size_fmt(s->munmap_returned, a),
			s->heap_trim_bytes ? " (plus " : "",
			s->heap_trim_bytes ? ms_size_fmt(s->heap_trim_bytes, b) : "",
			s->heap_trim_bytes ? " of never-used heap reservation trimmed to alignment)" : "");
	for (size_t i = 0; i < s->nbrk; i++) {
		const struct ms_sys_brk *k = &s->brk[i];
		if (!k->grown && !k->shrunk)
			continue;
		fprintf(out, "brk (process %d) grew %s and %s%s; high-water mark %s above where tracing began, ends %s %s\n",
			(int)k->tgid, ms_size_fmt(k->grown, a),
			k->shrunk ? "shrank " : "never shrank", k->shrunk ? ms_size_fmt(k->shrunk, b) : "",
			ms_size_fmt(k->high - k->first, c),
			k->cur >= k->first ? "above it by" : "below it by",
			ms_size_fmt(k->cur >= k->first ? k->cur - k->first : k->first - k->cur, d));
	}
	if (s->failed)
		fprintf(out, "%llu call%s failed (returned an error)\n", (unsigned long long)s->failed,
			s->failed == 1 ? "" : "s");
	if (!s->madvise_returned && !s->munmap_returned && !s->brk[0].shrunk && s->events)
		fprintf(out, "nothing was given back to the kernel while tracing\n");
}

uint64_t ms_proc_brk(pid_t pid)
{
	char *buf = NULL;
	size_t len = 0;
	struct ms_err e;
	uint64_t brk = 0;
	if (ms_proc_read(pid, "maps", &buf, &len, &e) == 0) {
		for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			char *nl = strchr(l, '\n');
			size_t ll = nl ? (size_t)(nl - l) : strlen(l);
			if (ll > 6 && memcmp(l + ll - 6, "[heap]", 6) == 0) {
				unsigned long long lo, hi;
				if (sscanf(l, "%llx-%llx", &lo, &hi) == 2)
					brk = hi;
			}
		}
	}
	free(buf);
	return brk;
}

#include "findings/memsyssum.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "probe/procfs.h"
#include "util/size.h"

int ms_sys_summary_init(struct ms_sys_summary *s)
{
	memset(s, 0, sizeof *s);
	s->program = (size_t)-1;
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

/* The thread's row in its latest image. */
const struct ms_sys_thread *ms_sys_summary_thread(const struct ms_sys_summary *s, pid_t tid)
{
	for (size_t i = s->nthreads; i-- > 0;)
		if (s->threads[i].tid == tid)
			return &s->threads[i];
	return NULL;
}

/* The process's current image (the latest of pid), created when first
 * seen; MS_SUM_MAX_IMAGES when the table is full. */
static size_t image_of(struct ms_sys_summary *s, pid_t pid, const char *name)
{
	for (size_t i = s->nimages; i-- > 0;)
		if (s->images[i].pid == pid)
			return i;
	if (s->nimages == MS_SUM_MAX_IMAGES)
		return MS_SUM_MAX_IMAGES;
	struct ms_launch_image *im = &s->images[s->nimages];
	memset(im, 0, sizeof *im);
	im->pid = pid;
	im->start_s = s->now_s;
	im->end_s = -1;
	snprintf(im->name, sizeof im->name, "%s", name && *name ? name : "?");
	memset(&s->returned[s->nimages], 0, sizeof s->returned[0]);   /* a dropped image's slot */
	s->forked_name[s->nimages] = 0;
	s->guessed[s->nimages] = 0;
	return s->nimages++;
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

/* Is tgid a process the trace knows on exact evidence (a thread filed
 * there for sure)? */
static int known_process(const struct ms_sys_summary *s, pid_t tgid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tgid == tgid && !s->threads[i].provisional)
			return 1;
	return 0;
}

/* The event's process (the rules: ms_sys_summary_add); *sure = 0 for a
 * guess.  /proc is asked once per new thread and on each disagreement
 * between a cached tgid and the thread's record, never more. */
static pid_t tgid_resolve(const struct ms_sys_summary *s, const struct ms_sysev *ev, int *sure)
{
	const struct ms_sys_thread *t = ms_sys_summary_thread(s, ev->tid);
	*sure = 1;
	if (ev->tgid && !ev->tgid_cached)
		return ev->tgid;                 /* the backend knows */
	if (t && t->ended)
		t = NULL;                        /* another task with its pid */
	if (t && (!ev->tgid || ev->tgid == t->tgid || (t->provisional && t->moves >= MS_SUM_MAX_MOVES))) {
		*sure = !t->provisional;         /* the line says nothing new */
		return t->tgid;
	}
	/* a new thread, or a line naming another process than its record's:
	 * /proc says which while the thread lives (a cached tgid can be an
	 * earlier task's with the same pid) */
	pid_t g = ms_proc_tgid(ev->tid);
	if (g > 0)
		return g;
	if (t && !t->provisional)
		return t->tgid;                  /* gone: where it was known to be */
	/* gone and never known: the line's process (the cache only ever goes
	 * from empty or stale to right, so a later line wins), else itself */
	g = ev->tgid ? ev->tgid : ev->tid;
	*sure = known_process(s, g);
	return g;
}

static void returned_add(struct ms_sys_returned *to, const struct ms_sys_returned *r)
{
	to->madvise += r->madvise;
	to->dontneed += r->dontneed;
	to->free += r->free;
	to->munmap += r->munmap;
}

static void returned_sub(struct ms_sys_returned *to, const struct ms_sys_returned *r)
{
	to->madvise -= r->madvise;
	to->dontneed -= r->dontneed;
	to->free -= r->free;
	to->munmap -= r->munmap;
}

static struct ms_sys_brk *brk_get(struct ms_sys_summary *s, pid_t tgid);

/* Drop image k, a guessed process left empty by its one thread's move to
 * process to: the break that thread moved there is folded into to's (its
 * moves added, the highest break kept); later images, and every index
 * into them, move down one. */
static void image_remove(struct ms_sys_summary *s, size_t k, pid_t to)
{
	for (size_t i = 0; i < s->nbrk;) {
		if (s->brk[i].image != k) {
			i++;
			continue;
		}
		struct ms_sys_brk from = s->brk[i];
		memmove(&s->brk[i], &s->brk[i + 1], (s->nbrk - i - 1) * sizeof s->brk[0]);
		s->nbrk--;
		struct ms_sys_brk *b = brk_get(s, to);   /* to's image is not k: appended past i or found */
		if (!b)
			continue;
		if (!b->cur) {
			b->first = from.first;
			b->cur = from.cur;
			b->high = from.high;
		} else if (from.high > b->high) {
			b->high = from.high;
		}
		b->grown += from.grown;
		b->shrunk += from.shrunk;
	}
	size_t after = s->nimages - k - 1;
	memmove(&s->images[k], &s->images[k + 1], after * sizeof s->images[0]);
	memmove(&s->returned[k], &s->returned[k + 1], after * sizeof s->returned[0]);
	memmove(&s->forked_name[k], &s->forked_name[k + 1], after);
	memmove(&s->guessed[k], &s->guessed[k + 1], after);
	s->nimages--;
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].image != MS_SUM_MAX_IMAGES && s->threads[i].image > k)
			s->threads[i].image--;
	for (size_t i = 0; i < s->nbrk; i++)
		if (s->brk[i].image != MS_SUM_MAX_IMAGES && s->brk[i].image > k)
			s->brk[i].image--;
}

/* A provisional thread's event names another process: its record moves
 * to image (ev's process) with what it counted, the arena heaps it made
 * are retagged, a record it already has there takes it in, and the
 * guessed image it leaves is dropped when nothing else is in it.  Returns
 * the thread's record; indices into images may have moved down. */
static struct ms_sys_thread *thread_move(struct ms_sys_summary *s, struct ms_sys_thread *t,
					 const struct ms_sysev *ev, size_t image)
{
	size_t from = t->image;
	pid_t old = t->tgid;
	struct ms_sys_count sum = { 0, 0 };
	for (int k = 0; k < MS_SC_N; k++) {
		sum.count += t->sc[k].count;
		sum.bytes += t->sc[k].bytes;
	}
	if (from < MS_SUM_MAX_IMAGES) {
		s->images[from].calls -= sum.count;
		s->images[from].weight -= sum.bytes;
		returned_sub(&s->returned[from], &t->returned);
	}
	if (image < MS_SUM_MAX_IMAGES) {
		s->images[image].calls += sum.count;
		s->images[image].weight += sum.bytes;
		returned_add(&s->returned[image], &t->returned);
	}
	for (size_t i = 0; i < s->nheaps; i++)
		if (s->heaps[i].tgid == old && s->heaps[i].tid == t->tid)
			s->heaps[i].tgid = ev->tgid;
	t->tgid = ev->tgid;
	t->image = image;
	t->moves++;
	char name[17];
	thread_name(t->tgid, t->tid, name);    /* the first line's name can be as stale as its tgid */
	if (strcmp(name, "?") != 0 || ev->comm[0])
		snprintf(t->name, sizeof t->name, "%s", strcmp(name, "?") != 0 ? name : ev->comm);
	size_t ti = (size_t)(t - s->threads);
	for (size_t i = 0; i < s->nthreads; i++) {
		struct ms_sys_thread *o = &s->threads[i];
		if (i == ti || o->tid != t->tid || o->image != image)
			continue;
		for (int k = 0; k < MS_SC_N; k++) {   /* listed there already: one record */
			o->sc[k].count += t->sc[k].count;
			o->sc[k].bytes += t->sc[k].bytes;
		}
		returned_add(&o->returned, &t->returned);
		o->heaps_created += t->heaps_created;
		o->provisional &= t->provisional;
		memmove(t, t + 1, (s->nthreads - ti - 1) * sizeof *t);
		s->nthreads--;
		t = &s->threads[i > ti ? i - 1 : i];
		break;
	}
	int left = 0;
	for (size_t i = 0; i < s->nthreads && !left; i++)
		left = s->threads[i].image == from;
	if (from < s->nimages && s->guessed[from] && !s->images[from].calls && !left)
		image_remove(s, from, t->tgid);
	return t;
}

static struct ms_sys_thread *thread_get(struct ms_sys_summary *s, const struct ms_sysev *ev, size_t image, int sure)
{
	struct ms_sys_thread *t = (struct ms_sys_thread *)ms_sys_summary_thread(s, ev->tid);
	if (t && t->provisional && !t->ended && t->tgid != ev->tgid) {
		t = thread_move(s, t, ev, image);
		image = t->image;             /* image_remove may have moved it down */
	}
	if (t && t->image == image) {
		t->provisional &= !sure;
		return t;
	}
	if (s->nthreads == MS_SUM_MAX_THREADS) {
		s->threads_overflow++;
		return NULL;
	}
	t = &s->threads[s->nthreads++];
	memset(t, 0, sizeof *t);
	t->tid = ev->tid;
	t->tgid = ev->tgid ? ev->tgid : ev->tid;
	t->image = image;
	t->provisional = !sure;
	thread_name(t->tgid, t->tid, t->name);
	if (strcmp(t->name, "?") == 0 && ev->comm[0])   /* gone by now: the backend's record */
		snprintf(t->name, sizeof t->name, "%s", ev->comm);
	/* an image's name comes from its exec (or its parent, forked); this
	 * is for one seen only by its calls */
	if (image < MS_SUM_MAX_IMAGES && t->tid == t->tgid
	    && (strcmp(s->images[image].name, "?") == 0 || s->forked_name[image])) {
		/* a child that exec'd before the fork line came (the script
		 * backends learn of a child when its parent returns) has its
		 * new name by its first call */
		s->forked_name[image] = 0;
		snprintf(s->images[image].name, sizeof s->images[image].name, "%s", t->name);
	}
	return t;
}

/* The break of the process's current image: a new one after an exec. */
static struct ms_sys_brk *brk_get(struct ms_sys_summary *s, pid_t tgid)
{
	for (size_t i = 0; i < s->nbrk; i++)
		if (s->brk[i].tgid == tgid && !s->brk[i].closed)
			return &s->brk[i];
	if (s->nbrk == MS_SUM_MAX_PROCS)
		return NULL;
	struct ms_sys_brk *b = &s->brk[s->nbrk++];
	memset(b, 0, sizeof *b);
	b->tgid = tgid;
	b->image = image_of(s, tgid, NULL);
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
	/* A break tens of GiB away is another process image's (an exec whose
	 * line the per-CPU buffers of a script backend delivered late): a new
	 * break, never a move across the exec. */
	if ((now > b->cur ? now - b->cur : b->cur - now) > MS_BRK_JUMP) {
		b->closed = 1;
		if (!(b = brk_get(s, ev->tgid ? ev->tgid : ev->tid)))
			return 0;
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
	h->tid = ev->tid;
	h->live = 1;
}

/* A munmap inside a reservation: at its head or tail while the reservation
 * is bigger than one heap it is new_heap's alignment trim (never touched,
 * returns nothing); otherwise the heap gives memory back or goes away. */
static void on_munmap(struct ms_sys_summary *s, const struct ms_sysev *ev, struct ms_sys_returned *mine)
{
	uint64_t a = ev->arg[0], len = ev->arg[1];
	struct ms_sys_heap *h = heap_find(s, ev->tgid, a, len);
	if (!h) {
		s->munmap_returned += len;
		mine->munmap += len;
		return;
	}
	if (a == h->start && a + len == h->end) {
		h->live = 0;
		s->heaps_destroyed++;
		s->munmap_returned += len;
		mine->munmap += len;
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
		mine->munmap += len;
	}
}

static void on_madvise(struct ms_sys_summary *s, const struct ms_sysev *ev, struct ms_sys_returned *mine)
{
	uint64_t len = ev->arg[1], advice = ev->arg[2];
	if (advice != MADV_DONTNEED && advice != MADV_FREE && advice != MADV_REMOVE)
		return;
	s->madvise_returned += len;
	if (advice == MADV_FREE)
		s->madv_free += len;
	else
		s->madv_dontneed += len;
	mine->madvise += len;
	*(advice == MADV_FREE ? &mine->free : &mine->dontneed) += len;
	if (heap_find(s, ev->tgid, ev->arg[0], len)) {
		s->heap_shrinks++;
		s->heap_shrink_bytes += len;
	}
}

void ms_sys_summary_add(struct ms_sys_summary *s, const struct ms_sysev *in)
{
	struct ms_sysev ev = *in;
	if (ev.sc >= MS_SC_N)
		return;
	int sure;
	ev.tgid = tgid_resolve(s, &ev, &sure);
	s->events++;
	size_t made = s->nimages, image = image_of(s, ev.tgid, ev.comm);
	if (image < MS_SUM_MAX_IMAGES)   /* an image only a guess made is dropped when its thread moves out */
		s->guessed[image] = image == made ? !sure : s->guessed[image] && !sure;
	struct ms_sys_thread *t = thread_get(s, &ev, image, sure);
	if (t)
		image = t->image;         /* a move may have dropped an image below it */
	struct ms_sys_returned back = { 0, 0, 0, 0 };
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
			on_munmap(s, &ev, &back);
		else if (ev.sc == MS_SC_MPROTECT && (ev.arg[2] & PROT_WRITE)
			 && heap_find(s, ev.tgid, ev.arg[0], ev.arg[1])) {
			s->heap_grows++;
			s->heap_grow_bytes += ev.arg[1];
		} else if (ev.sc == MS_SC_MADVISE)
			on_madvise(s, &ev, &back);
	}
	s->total[ev.sc].count++;
	s->total[ev.sc].bytes += bytes;
	if (image < MS_SUM_MAX_IMAGES) {
		s->images[image].calls++;
		s->images[image].weight += bytes;
		returned_add(&s->returned[image], &back);
	}
	if (t) {
		t->sc[ev.sc].count++;
		t->sc[ev.sc].bytes += bytes;
		returned_add(&t->returned, &back);
	}
}

/* Is tid a thread of another process (not a process of its own)?  /proc
 * while it lives; a thread gone already is told by its exit (Q) later. */
static int is_thread(pid_t tid)
{
	pid_t tgid = ms_proc_tgid(tid);
	return tgid > 0 && tgid != tid;
}

/* Forget an image that turned out to be a thread (no calls of its own). */
static void image_drop_thread(struct ms_sys_summary *s, pid_t tid)
{
	for (size_t i = s->nimages; i-- > 0;)
		if (s->images[i].pid == tid && !s->images[i].calls && i + 1 == s->nimages) {
			s->nimages--;
			return;
		}
}

void ms_sys_summary_proc(struct ms_sys_summary *s, const struct ms_procev *in, double now_s)
{
	struct ms_procev p = *in;
	const struct ms_procev *pe = &p;
	s->now_s = now_s;
	if (p.tgid_cached) {   /* the calls' rule: the thread's record, /proc, else the line */
		struct ms_sysev ev = { .tid = p.tid, .tgid = p.tgid, .tgid_cached = 1 };
		int sure;
		p.tgid = tgid_resolve(s, &ev, &sure);
	}
	if (pe->kind == MS_PROC_FORK) {
		if (pe->child == pe->tgid || is_thread(pe->child))
			return;
		for (size_t i = 0; i < s->nimages; i++)
			if (s->images[i].pid == pe->child) {
				/* seen already: its first call came before the fork line
				 * (the backends' per-CPU buffers do not keep order) */
				if (!s->images[i].ppid)
					s->images[i].ppid = pe->tgid;
				return;
			}
		size_t parent = image_of(s, pe->tgid, NULL);
		size_t c = image_of(s, pe->child, parent < MS_SUM_MAX_IMAGES ? s->images[parent].name : NULL);
		if (c < MS_SUM_MAX_IMAGES) {
			s->images[c].ppid = pe->tgid;
			s->forked_name[c] = 1;
		}
	} else if (pe->kind == MS_PROC_EXEC) {
		size_t old = image_of(s, pe->tgid, NULL);
		if (old == MS_SUM_MAX_IMAGES)
			return;
		for (size_t i = 0; i < s->nbrk; i++)   /* the break restarts with the new image */
			if (s->brk[i].tgid == pe->tgid)
				s->brk[i].closed = 1;
		for (size_t i = 0; i < s->nheaps; i++)  /* so does every mapping */
			if (s->heaps[i].tgid == pe->tgid)
				s->heaps[i].live = 0;
		/* an image that made no call before exec'ing (our own fork that
		 * runs the command, a vfork child) is not worth an image */
		struct ms_launch_image *im = &s->images[old];
		if (im->calls) {
			im->end_s = now_s;
			if (s->nimages == MS_SUM_MAX_IMAGES)
				return;
			memset(&s->returned[s->nimages], 0, sizeof s->returned[0]);
			im = &s->images[s->nimages++];
			memset(im, 0, sizeof *im);
			im->pid = pe->tgid;
			im->ppid = s->images[old].ppid;
		}
		im->start_s = now_s;
		im->end_s = -1;
		snprintf(im->name, sizeof im->name, "%s", pe->comm[0] ? pe->comm : "?");
		s->forked_name[im - s->images] = 0;
		s->guessed[im - s->images] = 0;
	} else if (pe->kind == MS_PROC_EXIT) {
		/* its lines are all in: the process it is filed under stays, and
		 * a later line with its tid is another task's (pids are reused) */
		struct ms_sys_thread *t = (struct ms_sys_thread *)ms_sys_summary_thread(s, pe->tid);
		if (t)
			t->ended = 1;
		if (pe->tid != pe->tgid && !pe->group) {
			image_drop_thread(s, pe->tid);
			return;
		}
		for (size_t i = s->nimages; i-- > 0;)
			if (s->images[i].pid == pe->tgid) {
				if (s->images[i].end_s < 0)
					s->images[i].end_s = now_s;
				return;
			}
	}
}

void ms_sys_summary_finish(struct ms_sys_summary *s, pid_t root, double end_s)
{
	s->program = (size_t)-1;
	if (!root || !s->nimages)
		return;
	s->program = ms_launch_decide(s->images, s->nimages, root, end_s);
	s->has_wrapper = ms_launch_has_wrapper(s->images, s->nimages);
	if (!s->has_wrapper)
		return;
	for (size_t i = 0; i < s->nimages; i++)   /* what the wrapper gave back is not the program's */
		if (s->images[i].role == MS_LAUNCH_WRAPPER) {
			s->madvise_returned -= s->returned[i].madvise;
			s->madv_dontneed -= s->returned[i].dontneed;
			s->madv_free -= s->returned[i].free;
			s->munmap_returned -= s->returned[i].munmap;
		}
	/* total[]: the program's calls; the wrapper's apart */
	memset(s->total, 0, sizeof s->total);
	size_t kept = 0;
	for (size_t i = 0; i < s->nthreads; i++) {
		struct ms_sys_thread *t = &s->threads[i];
		int wrapper = t->image < s->nimages && s->images[t->image].role == MS_LAUNCH_WRAPPER;
		struct ms_sys_count *to = wrapper ? s->wrapper_total : s->total;
		for (int k = 0; k < MS_SC_N; k++) {
			to[k].count += t->sc[k].count;
			to[k].bytes += t->sc[k].bytes;
		}
		if (!wrapper)
			s->threads[kept++] = *t;
	}
	s->nthreads = kept;
}

int ms_sys_brk_of_wrapper(const struct ms_sys_summary *s, const struct ms_sys_brk *k)
{
	return s->has_wrapper && k->image < s->nimages && s->images[k->image].role == MS_LAUNCH_WRAPPER;
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
		if ((!k->grown && !k->shrunk) || ms_sys_brk_of_wrapper(s, k))
			continue;
		fprintf(out, "brk (%s, pid %d) grew %s and %s%s; high-water mark %s above where tracing began, ends %s %s\n",
			k->image < s->nimages ? s->images[k->image].name : "?", (int)k->tgid, ms_size_fmt(k->grown, a),
			k->shrunk ? "shrank " : "never shrank", k->shrunk ? ms_size_fmt(k->shrunk, b) : "",
			ms_size_fmt(k->high - k->first, c),
			k->cur >= k->first ? "above it by" : "below it by",
			ms_size_fmt(k->cur >= k->first ? k->cur - k->first : k->first - k->cur, d));
	}
	if (s->failed)
		fprintf(out, "%llu call%s failed (returned an error)\n", (unsigned long long)s->failed,
			s->failed == 1 ? "" : "s");
	if (!s->madvise_returned && !s->munmap_returned && !s->brk[0].shrunk && s->events && !s->partial)
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

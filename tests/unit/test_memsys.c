/* Memory syscall records and their summary: pairing, flag decoding, the
 * script line protocol, arena heap recognition, brk accounting, and a
 * thread whose first lines name no process or a stale one (tracefs'
 * saved_tgids) filed once, in its real process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "findings/memsyssum.h"
#include "probe/systrace.h"
#include "records/memsys.h"

#define MiB (1024ull * 1024)

static struct ms_sysev ev(pid_t tid, enum ms_sc sc, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, int64_t ret)
{
	struct ms_sysev e = { .tid = tid, .tgid = 100, .sc = sc, .arg = { a0, a1, a2, a3 }, .ret = ret };
	return e;
}

static void test_pairer(void **state)
{
	(void)state;
	struct ms_pairer *p = malloc(sizeof *p);
	struct ms_sysev out, a = ev(101, MS_SC_MMAP, 0, 4096, 3, 0x22, 0), b = ev(102, MS_SC_MADVISE, 0x1000, 4096, 4, 0, 0);
	ms_pairer_init(p);
	ms_pairer_enter(p, &a);
	ms_pairer_enter(p, &b);
	assert_int_equal(ms_pairer_exit(p, 102, MS_SC_MADVISE, 0, 0, &out), 1);
	assert_int_equal(out.arg[2], 4);
	assert_int_equal(ms_pairer_exit(p, 101, MS_SC_N, 0x7f0000, 0, &out), 1);
	assert_int_equal(out.ret, 0x7f0000);
	assert_int_equal(ms_pairer_exit(p, 101, MS_SC_MMAP, 0, 0, &out), 0);   /* no entry */
	assert_int_equal(p->dropped, 1);
	free(p);
}

static void test_format(void **state)
{
	(void)state;
	char buf[256];
	struct ms_sysev e = ev(1, MS_SC_MMAP, 0, 128 * MiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, 0x7f0000000000);
	ms_sysev_format(&e, buf, sizeof buf);
	assert_string_equal(buf, "mmap(NULL, 128.0 MiB, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE) = 0x7f0000000000");
	e = ev(1, MS_SC_MADVISE, 0x1000, MiB, MADV_DONTNEED, 0, -22);
	ms_sysev_format(&e, buf, sizeof buf);
	assert_string_equal(buf, "madvise(0x1000, 1.0 MiB, MADV_DONTNEED) = -1 EINVAL");
}

static int ms_sysline_parse_1(const char *line, struct ms_sysev *e)
{
	uint64_t times = 0;
	int k = ms_sysline_parse(line, e, &times);
	if (k == 'S')
		assert_int_equal(times, 1);
	return k;
}

static void test_repeat_line(void **state)
{
	(void)state;
	struct ms_sysev e;
	uint64_t times = 0;
	assert_int_equal(ms_sysline_parse("M 999999 12 10 28 140000 4096 4 0 0", &e, &times), 'M');
	assert_int_equal(times, 999999);
	assert_int_equal(e.tid, 12);
	assert_int_equal(e.arg[2], 4);
	assert_int_equal(ms_sysline_parse("M 0 12 10 28 140000 4096 4 0 0", &e, &times), 0);
}

static void test_line(void **state)
{
	(void)state;
	struct ms_sysev e;
	assert_int_equal(ms_sysline_parse_1("S 12 10 28 140000 4096 4 0 0", &e), 'S');
	assert_int_equal(e.sc, MS_SC_MADVISE);
	assert_int_equal(e.arg[1], 4096);
	assert_int_equal(ms_sysline_parse_1("S 12 10 9 0 -1 3 34 -12", &e), 'S');
	assert_int_equal(e.ret, -12);
	assert_int_equal(e.arg[1], UINT64_MAX);
	assert_string_equal(e.comm, "");
	assert_int_equal(ms_sysline_parse_1("S 12 10 12 0 0 0 0 94000 my worker", &e), 'S');
	assert_string_equal(e.comm, "my worker");
	assert_int_equal(ms_sysline_parse_1("S 12 10 0 1 2 3 4 5", &e), 0);   /* read(): not ours */
	assert_int_equal(ms_sysline_parse_1("S 12 10 9 1 2", &e), 0);         /* cut short */
	assert_int_equal(ms_sysline_parse_1("READY", &e), 0);
}

static void test_heap_lifecycle(void **state)
{
	(void)state;
	struct ms_sys_summary s;
	assert_int_equal(ms_sys_summary_init(&s), 0);
	uint64_t res = 0x7f0001000000, al = 0x7f0004000000, resv = 2 * 64 * MiB + 4096;
	struct ms_sysev seq[] = {
		ev(101, MS_SC_MMAP, 0, resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, (int64_t)res),
		ev(101, MS_SC_MUNMAP, res, al - res, 0, 0, 0),
		ev(101, MS_SC_MUNMAP, al + 64 * MiB, res + resv - al - 64 * MiB, 0, 0, 0),
		ev(101, MS_SC_MPROTECT, al, MiB, PROT_READ | PROT_WRITE, 0, 0),
		ev(101, MS_SC_MADVISE, al, MiB, MADV_DONTNEED, 0, 0),
		ev(101, MS_SC_MADVISE, al, MiB, MADV_FREE, 0, 0),
		ev(101, MS_SC_MUNMAP, al, 64 * MiB, 0, 0, 0),
	};
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
		ms_sys_summary_add(&s, &seq[i]);
	assert_int_equal(s.heaps_created, 1);
	assert_int_equal(s.heap_trims, 2);
	assert_int_equal(s.heap_trim_bytes, 64 * MiB + 4096);
	assert_int_equal(s.heap_grows, 1);
	assert_int_equal(s.heap_shrinks, 2);
	assert_int_equal(s.heaps_destroyed, 1);
	assert_int_equal(s.madv_dontneed, MiB);
	assert_int_equal(s.madv_free, MiB);
	assert_int_equal(s.munmap_returned, 64 * MiB);
	assert_int_equal(s.total[MS_SC_MUNMAP].count, 3);
	assert_int_equal(ms_sys_summary_thread(&s, 101)->heaps_created, 1);
	ms_sys_summary_free(&s);
}

static void test_brk(void **state)
{
	(void)state;
	struct ms_sys_summary s;
	assert_int_equal(ms_sys_summary_init(&s), 0);
	uint64_t b = 0x555555560000;
	struct ms_sysev seq[] = {
		ev(100, MS_SC_BRK, 0, 0, 0, 0, (int64_t)b),
		ev(100, MS_SC_BRK, b + MiB, 0, 0, 0, (int64_t)(b + MiB)),
		ev(100, MS_SC_BRK, b + 3 * MiB, 0, 0, 0, (int64_t)(b + 3 * MiB)),
		ev(100, MS_SC_BRK, b + 2 * MiB, 0, 0, 0, (int64_t)(b + 2 * MiB)),
		ev(100, MS_SC_BRK, 1, 0, 0, 0, (int64_t)(b + 2 * MiB)),   /* refused: break unchanged */
	};
	for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
		ms_sys_summary_add(&s, &seq[i]);
	assert_int_equal(s.total[MS_SC_BRK].count, 5);
	assert_int_equal(s.total[MS_SC_BRK].bytes, 4 * MiB);
	assert_int_equal(s.brk[0].grown, 3 * MiB);
	assert_int_equal(s.brk[0].shrunk, MiB);
	assert_int_equal(s.brk[0].high - s.brk[0].first, 3 * MiB);
	ms_sys_summary_free(&s);
}

/* Thread and process ids above PID_MAX_LIMIT (4194304): no such task, so
 * /proc/TID/status is never readable -- as for a thread that exited before
 * the trace reader got to its first line. */
#define GONE_TID   4194400
#define REAL_PROC  4194390
#define STALE_PROC 4194380
#define OTHER_PROC 4194370

/* A summary on the heap (it is large) for each test, freed after. */
static int summary_setup(void **state)
{
	struct ms_sys_summary *s = malloc(sizeof *s);
	if (!s || ms_sys_summary_init(s) < 0) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int summary_teardown(void **state)
{
	ms_sys_summary_free(*state);
	free(*state);
	return 0;
}
#define SUMMARY_TEST(f) cmocka_unit_test_setup_teardown(f, summary_setup, summary_teardown)

/* mixer-2 of examples/syscall_mix: an arena heap reserved, trimmed,
 * grown 3 times, 3 + 1 madvise, unmapped: 11 calls, all by tid */
static size_t mixer_seq(struct ms_sysev *seq, pid_t tid)
{
	uint64_t res = 0x7f0001000000, al = 0x7f0004000000, resv = 2 * 64 * MiB + 4096;
	size_t n = 0;
	seq[n++] = ev(tid, MS_SC_MMAP, 0, resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, (int64_t)res);
	seq[n++] = ev(tid, MS_SC_MUNMAP, res, al - res, 0, 0, 0);
	seq[n++] = ev(tid, MS_SC_MUNMAP, al + 64 * MiB, res + resv - al - 64 * MiB, 0, 0, 0);
	for (uint64_t i = 0; i < 3; i++)
		seq[n++] = ev(tid, MS_SC_MPROTECT, al + i * MiB, MiB, PROT_READ | PROT_WRITE, 0, 0);
	for (int i = 0; i < 3; i++)
		seq[n++] = ev(tid, MS_SC_MADVISE, al + MiB, MiB, MADV_DONTNEED, 0, 0);
	seq[n++] = ev(tid, MS_SC_MADVISE, al + 2 * MiB, MiB, MADV_FREE, 0, 0);
	seq[n++] = ev(tid, MS_SC_MUNMAP, al, 64 * MiB, 0, 0, 0);
	return n;
}

static size_t records_of(const struct ms_sys_summary *s, pid_t tid)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nthreads; i++)
		n += s->threads[i].tid == tid;
	return n;
}

/* the thread's one record, in process tgid, named name */
static const struct ms_sys_thread *only_record(const struct ms_sys_summary *s, pid_t tid, pid_t tgid, const char *name)
{
	assert_int_equal(records_of(s, tid), 1);
	const struct ms_sys_thread *t = ms_sys_summary_thread(s, tid);
	assert_int_equal(t->tgid, tgid);
	assert_string_equal(t->name, name);
	return t;
}

static int has_image(const struct ms_sys_summary *s, pid_t pid)
{
	for (size_t i = 0; i < s->nimages; i++)
		if (s->images[i].pid == pid)
			return 1;
	return 0;
}

/* the events read = total[] = the images' calls = the threads' counts */
static void assert_adds_up(const struct ms_sys_summary *s, uint64_t events)
{
	uint64_t total = 0, images = 0, threads = 0;
	for (int k = 0; k < MS_SC_N; k++)
		total += s->total[k].count;
	for (size_t i = 0; i < s->nimages; i++)
		images += s->images[i].calls;
	for (size_t i = 0; i < s->nthreads; i++) {
		for (int k = 0; k < MS_SC_N; k++)
			threads += s->threads[i].sc[k].count;
		assert_true(s->threads[i].image < s->nimages);
		assert_int_equal(s->images[s->threads[i].image].pid, s->threads[i].tgid);
	}
	assert_int_equal(s->events, events);
	assert_int_equal(total, events);
	assert_int_equal(images, events);
	assert_int_equal(threads, events);
}

/* The flake of tests/integration/syscalls.sh ("tracefs: mixer-2 madvise"
 * got '0 4'): the first lines of a thread gone from /proc named no
 * process, it was filed under a made-up one (itself), and the lines that
 * named its process opened a second record there.  Now one record, in the
 * real process, with every count, and the made-up image gone -- also when
 * another process's image came after it. */
static void test_thread_named_late(void **state)
{
	struct ms_sys_summary *s = *state;
	struct ms_sysev lead = ev(REAL_PROC, MS_SC_MADVISE, 0x1000, 4096, MADV_DONTNEED, 0, 0);
	lead.tgid = REAL_PROC;
	ms_sys_summary_add(s, &lead);
	struct ms_sysev seq[16];
	size_t n = mixer_seq(seq, GONE_TID);
	for (size_t i = 0; i < n; i++) {
		seq[i].tgid = i < 3 ? 0 : REAL_PROC;   /* the first 3 lines without it */
		strcpy(seq[i].comm, "mixer-2");
		ms_sys_summary_add(s, &seq[i]);
		if (i == 1) {   /* another process shows up in between */
			struct ms_sysev o = ev(OTHER_PROC, MS_SC_MMAP, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 0x10000);
			o.tgid = OTHER_PROC;
			ms_sys_summary_add(s, &o);
		}
	}
	const struct ms_sys_thread *t = only_record(s, GONE_TID, REAL_PROC, "mixer-2");
	assert_int_equal(t->sc[MS_SC_MMAP].count, 1);
	assert_int_equal(t->sc[MS_SC_MUNMAP].count, 3);
	assert_int_equal(t->sc[MS_SC_MPROTECT].count, 3);
	assert_int_equal(t->sc[MS_SC_MADVISE].count, 4);
	assert_int_equal(t->sc[MS_SC_MADVISE].bytes, 4 * MiB);
	assert_int_equal(t->heaps_created, 1);
	assert_false(has_image(s, GONE_TID));            /* no made-up process left */
	assert_int_equal(s->nimages, 2);
	assert_int_equal(s->images[0].pid, REAL_PROC);
	assert_int_equal(s->images[0].calls, 12);
	assert_int_equal(s->images[1].pid, OTHER_PROC);
	assert_int_equal(ms_sys_summary_thread(s, OTHER_PROC)->image, 1);
	/* the heap it reserved before its process was known is that process's */
	assert_int_equal(s->heap_trims, 2);
	assert_int_equal(s->heap_grows, 3);
	assert_int_equal(s->heaps_destroyed, 1);
	assert_int_equal(s->madvise_returned, 4 * MiB + 4096);
	assert_adds_up(s, 13);
}

/* tracefs' saved_tgids keeps a pid's process after the task is gone: a
 * new thread with a reused pid has its first lines name the old process
 * (and saved_cmdlines the old name) until the kernel records it.  Gone by
 * the time it is summarised: filed under the stale process, moved with
 * its counts, the break it moved and its name when the real one shows. */
static void test_thread_stale_process(void **state)
{
	struct ms_sys_summary *s = *state;
	struct ms_sysev seq[16];
	size_t n = mixer_seq(seq, GONE_TID);
	uint64_t b = 0x555555560000;
	seq[n++] = ev(GONE_TID, MS_SC_BRK, 0, 0, 0, 0, (int64_t)b);
	seq[n++] = ev(GONE_TID, MS_SC_BRK, b + MiB, 0, 0, 0, (int64_t)(b + MiB));
	struct ms_sysev later = ev(GONE_TID, MS_SC_BRK, b + 2 * MiB, 0, 0, 0, (int64_t)(b + 2 * MiB));
	for (size_t i = 0; i < n; i++) {   /* every line so far names the stale process */
		seq[i].tgid = STALE_PROC;
		seq[i].tgid_cached = 1;
		strcpy(seq[i].comm, "mixer-1");
		ms_sys_summary_add(s, &seq[i]);
	}
	assert_int_equal(ms_sys_summary_thread(s, GONE_TID)->tgid, STALE_PROC);
	assert_true(ms_sys_summary_thread(s, GONE_TID)->provisional);
	later.tgid = REAL_PROC;
	later.tgid_cached = 1;
	strcpy(later.comm, "mixer-2");
	ms_sys_summary_add(s, &later);
	const struct ms_sys_thread *t = only_record(s, GONE_TID, REAL_PROC, "mixer-2");
	assert_int_equal(t->sc[MS_SC_MADVISE].count, 4);
	assert_int_equal(t->sc[MS_SC_BRK].count, 3);
	assert_int_equal(t->returned.madvise, 4 * MiB);
	assert_false(has_image(s, STALE_PROC));
	assert_int_equal(s->nimages, 1);
	assert_int_equal(s->returned[0].madvise, 4 * MiB);
	assert_int_equal(s->returned[0].free, MiB);
	assert_int_equal(s->returned[0].munmap, 64 * MiB);
	for (size_t i = 0; i < s->nheaps; i++)
		assert_int_equal(s->heaps[i].tgid, REAL_PROC);
	/* one break, the real process's: both moves in it */
	assert_int_equal(s->nbrk, 1);
	assert_int_equal(s->brk[0].tgid, REAL_PROC);
	assert_int_equal(s->brk[0].image, 0);
	assert_int_equal(s->brk[0].grown, 2 * MiB);
	assert_int_equal(s->brk[0].high - s->brk[0].first, 2 * MiB);
	assert_adds_up(s, 14);
}

/* A live thread whose line names a stale process: /proc says which, and
 * a stale name never makes an image. */
static void test_thread_stale_live(void **state)
{
	struct ms_sys_summary *s = *state;
	pid_t me = getpid();   /* the main thread: tid = pid */
	struct ms_sysev e = ev(me, MS_SC_MADVISE, 0x1000, 4096, MADV_DONTNEED, 0, 0);
	e.tgid = STALE_PROC;
	e.tgid_cached = 1;
	ms_sys_summary_add(s, &e);
	e.tgid = me;
	ms_sys_summary_add(s, &e);
	e.tgid = 0;
	ms_sys_summary_add(s, &e);
	assert_int_equal(records_of(s, me), 1);
	assert_int_equal(ms_sys_summary_thread(s, me)->tgid, me);
	assert_false(ms_sys_summary_thread(s, me)->provisional);
	assert_false(has_image(s, STALE_PROC));
	assert_adds_up(s, 3);
	/* an exact tgid (another backend) is taken as it is */
	struct ms_sysev x = ev(GONE_TID, MS_SC_MADVISE, 0x1000, 4096, MADV_DONTNEED, 0, 0);
	x.tgid = REAL_PROC;
	ms_sys_summary_add(s, &x);
	assert_int_equal(ms_sys_summary_thread(s, GONE_TID)->tgid, REAL_PROC);
	assert_false(ms_sys_summary_thread(s, GONE_TID)->provisional);
}

/* Lines that keep naming other processes (untrusted input): the thread is
 * followed MS_SUM_MAX_MOVES times, then stays; still one record, every
 * made-up image dropped, the counts whole. */
static void test_thread_moves_bounded(void **state)
{
	struct ms_sys_summary *s = *state;
	for (int i = 0; i < 40; i++) {
		struct ms_sysev e = ev(GONE_TID, MS_SC_MADVISE, 0x1000, 4096, MADV_DONTNEED, 0, 0);
		e.tgid = i % 2 ? STALE_PROC : OTHER_PROC;
		e.tgid_cached = 1;
		ms_sys_summary_add(s, &e);
	}
	assert_int_equal(records_of(s, GONE_TID), 1);
	assert_int_equal(ms_sys_summary_thread(s, GONE_TID)->moves, MS_SUM_MAX_MOVES);
	assert_int_equal(s->nimages, 1);
	assert_int_equal(s->returned[0].madvise, 40 * 4096);
	assert_adds_up(s, 40);
}

/* A thread's exit settles where it is filed: a later line with its tid is
 * another task's (pids are reused), never moved into the old record. */
static void test_thread_exit_settles(void **state)
{
	struct ms_sys_summary *s = *state;
	struct ms_sysev e = ev(GONE_TID, MS_SC_MADVISE, 0x1000, 4096, MADV_DONTNEED, 0, 0);
	e.tgid = STALE_PROC;
	e.tgid_cached = 1;
	ms_sys_summary_add(s, &e);
	struct ms_procev q = { .kind = MS_PROC_EXIT, .tgid = STALE_PROC, .tid = GONE_TID, .group = 1 };
	ms_sys_summary_proc(s, &q, 0.5);
	e.tgid = REAL_PROC;
	ms_sys_summary_add(s, &e);
	assert_int_equal(records_of(s, GONE_TID), 2);
	assert_int_equal(s->threads[0].tgid, STALE_PROC);
	assert_int_equal(s->threads[1].tgid, REAL_PROC);
	assert_adds_up(s, 2);
}

/* A short-lived command under tracefs: saved_tgids has no entry for its
 * pid yet ("-------") or an earlier task's, and saved_cmdlines names it
 * "<...>" or by a stale name.  The exec lines carry the process exactly
 * (pid= after de_thread, the name in filename=), so sh -c 'exec python3'
 * is two images of one pid, sh the wrapper and python3 the program, and
 * the stale process never gets an image.  Lines as this host's 6.18
 * kernel printed them, the pid a gone one. */
static void test_exec_lines_exact(void **state)
{
	struct ms_sys_summary *s = *state;
	char lines[][192] = {
		"  <...>-4194400    (-------) [001] ..... 45037.354344: sched_process_exec: filename=/usr/bin/sh pid=4194400 old_pid=4194400",
		"  <...>-4194400    (-------) [001] ..... 45037.354383: sys_brk(brk: 0)",
		"  <...>-4194400    (-------) [001] ..... 45037.354384: sys_brk -> 0x559faccaa000",
		"  <...>-4194400    (-------) [001] ..... 45037.354825: sys_brk(brk: 0x559facccb000)",
		"  <...>-4194400    (-------) [001] ..... 45037.354829: sys_brk -> 0x559facccb000",
		"  mixer-2-4194400  (4194380) [001] ..... 45037.355041: sched_process_exec: filename=/usr/bin/python3 pid=4194400 old_pid=4194400",
		"  mixer-2-4194400  (4194380) [001] ..... 45037.355081: sys_brk(brk: 0)",
		"  mixer-2-4194400  (4194380) [001] ..... 45037.355084: sys_brk -> 0x583a000",
		"  python3-4194400  (4194400) [001] ..... 45037.355884: sys_brk(brk: 0x585b000)",
		"  python3-4194400  (4194400) [001] ..... 45037.355892: sys_brk -> 0x585b000",
		"  python3-4194400  (4194400) [001] ..... 45037.379378: sched_process_exit: comm=python3 pid=4194400 prio=120 group_dead=true",
	};
	struct ms_pairer *pr = malloc(sizeof *pr);
	ms_pairer_init(pr);
	size_t events = 0, procs = 0;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct ms_sysev e, done;
		struct ms_procev pe;
		int64_t ret = 0;
		int k = ms_tracefs_parse_line(lines[i], &e, &ret);
		if (k == 'E')
			ms_pairer_enter(pr, &e);
		else if (k == 'X' && ms_pairer_exit(pr, e.tid, e.sc, ret, e.ts_ns, &done))
			ms_sys_summary_add(s, &done), events++;
		else if (!k && ms_tracefs_parse_proc_line(lines[i], &pe)) {
			if (pe.kind == MS_PROC_EXEC) {
				assert_int_equal(pe.tgid, GONE_TID);
				assert_false(pe.tgid_cached);
			}
			ms_sys_summary_proc(s, &pe, 0.1 * (double)i), procs++;
		}
	}
	free(pr);
	assert_int_equal(events, 4);
	assert_int_equal(procs, 3);
	assert_int_equal(s->nimages, 2);
	assert_string_equal(s->images[0].name, "sh");
	assert_string_equal(s->images[1].name, "python3");
	assert_false(has_image(s, STALE_PROC));
	ms_sys_summary_finish(s, GONE_TID, 2.0);
	assert_int_equal(s->program, 1);
	assert_true(s->has_wrapper);
	assert_int_equal(s->images[0].role, MS_LAUNCH_WRAPPER);
	/* each image's break its own: python3's never a move across the exec */
	assert_int_equal(s->nbrk, 2);
	assert_int_equal(s->brk[1].grown, 0x585b000 - 0x583a000);
	assert_adds_up(s, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairer), cmocka_unit_test(test_format), cmocka_unit_test(test_line), cmocka_unit_test(test_repeat_line),
		cmocka_unit_test(test_heap_lifecycle), cmocka_unit_test(test_brk),
		SUMMARY_TEST(test_thread_named_late), SUMMARY_TEST(test_thread_stale_process),
		SUMMARY_TEST(test_thread_stale_live), SUMMARY_TEST(test_thread_moves_bounded),
		SUMMARY_TEST(test_thread_exit_settles), SUMMARY_TEST(test_exec_lines_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

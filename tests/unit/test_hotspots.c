/* The hotspots log reader and analysis on a log written here by hand,
 * event by event, so every expected number follows from the events below
 * and not from the hook (which the integration test checks on its own). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "findings/hotspots.h"
#include "records/hotcensus.h"
#include "records/hotlog.h"
#include "records/hotlog_read.h"
#include "report/hotspots_report.h"

static void varints(void **state)
{
	static const uint64_t v[] = { 0, 1, 127, 128, 300, 1ull << 35, UINT64_MAX };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		unsigned char buf[16];
		unsigned char *end = ms_hl_put_varint(buf, v[i]);
		const unsigned char *p = buf;
		uint64_t got;
		assert_int_equal(ms_hl_get_varint(&p, end, &got), 0);
		assert_true(got == v[i]);
		assert_ptr_equal(p, end);
		/* one byte short is an error, not a read past the end */
		p = buf;
		assert_int_equal(ms_hl_get_varint(&p, end - 1, &got), -1);
	}
	assert_true(ms_hl_unzigzag(ms_hl_zigzag(-5)) == -5);
	assert_true(ms_hl_zigzag(-1) == 1 && ms_hl_zigzag(1) == 2);
}

/* Pointer steps (version 3): every 64-bit step round-trips, a 16-byte
 * multiple is shorter, a hostile low byte or a cut is an error. */
static void ptr_steps(void **state)
{
	(void)state;
	static const uint64_t d[] = { 0, 16, (uint64_t)-16, 8, 1, (uint64_t)-1, 0x7fff12345670ull,
				      (uint64_t)-0x7fff12345670ll, 0x8000000000000000ull, UINT64_MAX,
				      0x7ffffffffffffff0ull, 0xfffffffffffffff1ull };
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		unsigned char buf[16];
		unsigned char *end = ms_hl_put_ptr_step(buf, d[i]);
		assert_true(end - buf <= 11);
		const unsigned char *p = buf;
		uint64_t got;
		assert_int_equal(ms_hl_get_ptr_step(&p, end, &got), 0);
		assert_true(got == d[i]);
		assert_ptr_equal(p, end);
		for (unsigned char *cut = buf; cut < end; cut++) {
			p = buf;
			assert_int_equal(ms_hl_get_ptr_step(&p, cut, &got), -1);
		}
	}
	unsigned char buf[16], plain[16];
	assert_int_equal(ms_hl_put_ptr_step(buf, 0x1230) - buf, 2);      /* 0x123 << 1: two bytes */
	assert_int_equal(ms_hl_put_varint(plain, ms_hl_zigzag(0x1230)) - plain, 2);
	assert_int_equal(ms_hl_put_ptr_step(buf, 0x2000) - buf, 2);      /* plain zigzag: three */
	assert_int_equal(ms_hl_put_varint(plain, ms_hl_zigzag(0x2000)) - plain, 3);
	/* an odd step whose low byte is 0 or above 15: corrupt */
	for (unsigned bad = 0; bad < 256; bad += 16) {
		buf[0] = 0x01;              /* (0 << 1) | odd */
		buf[1] = (unsigned char)bad;
		const unsigned char *p = buf;
		uint64_t got;
		assert_int_equal(ms_hl_get_ptr_step(&p, buf + 2, &got), -1);
	}
}

/* ---- a tiny writer: every field explicit (no prediction hits) ---- */
struct w { unsigned char buf[1 << 16]; size_t len; };

static void rec(struct w *w, unsigned type, const void *payload, size_t n)
{
	struct ms_hl_rec r = { MS_HL_MAGIC, (uint16_t)type, MS_HL_VERSION, (uint32_t)n, ms_hl_hash(payload, n) };
	memcpy(w->buf + w->len, &r, sizeof r);
	memcpy(w->buf + w->len + sizeof r, payload, n);
	w->len += sizeof r + n;
}

struct blk { unsigned char b[4096]; unsigned char *p; uint64_t prev_ptr, prev_caller[2], stamp; uint32_t n; };

static void blk_init(struct blk *k)
{
	memset(k, 0, sizeof *k);
	k->p = k->b + sizeof(struct ms_hl_block);
}

/* An event with explicit order stamps (hotlog.h "Order"): `st` is the
 * allocation's or the free's; a realloc's free part has `st_free`. */
static void ev_st(struct blk *k, unsigned op, uint64_t size, uint64_t ptr, uint64_t old, uint64_t caller,
		  uint64_t st_free, uint64_t st)
{
	int kind = op == MS_HL_OP_FREE;
	*k->p++ = (unsigned char)op;
	if (op == MS_HL_OP_REALLOC) {
		k->p = ms_hl_put_varint(k->p, ms_hl_zigzag((int64_t)(st_free - k->stamp)));
		k->p = ms_hl_put_varint(k->p, ms_hl_zigzag((int64_t)(st - st_free)));
	} else {
		k->p = ms_hl_put_varint(k->p, ms_hl_zigzag((int64_t)(st - k->stamp)));
	}
	k->stamp = st;
	k->p = ms_hl_put_varint(k->p, ms_hl_zigzag((int64_t)(caller - k->prev_caller[kind])));
	k->prev_caller[kind] = caller;
	if (ms_hl_op_has_size(op))
		k->p = ms_hl_put_varint(k->p, size);
	k->p = ms_hl_put_varint(k->p, ms_hl_zigzag((int64_t)(ptr - k->prev_ptr)));
	if (op == MS_HL_OP_REALLOC)
		k->p = ms_hl_put_varint(k->p, ms_hl_zigzag((int64_t)(old - ptr)));
	if (ptr)
		k->prev_ptr = ptr;
	k->n++;
}

/* The same, stamped by one clock as a single thread would be. */
static uint64_t clock_;

static void ev(struct blk *k, unsigned op, uint64_t size, uint64_t ptr, uint64_t old, uint64_t caller)
{
	uint64_t sf = op == MS_HL_OP_FREE || op == MS_HL_OP_REALLOC ? ++clock_ : 0;
	ev_st(k, op, size, ptr, old, caller, sf, op == MS_HL_OP_FREE ? sf : clock_);
}

static uint32_t seq_;

static void blk_write(struct w *w, struct blk *k, uint32_t stream, uint32_t tid)
{
	struct ms_hl_block b = { .stream = stream, .tid = tid, .ticks = 1000, .mono_ns = 5000,
				 .mono_ticks = 1001, .nevents = k->n, .seq = seq_++ };
	memcpy(k->b, &b, sizeof b);
	rec(w, MS_HL_REC_EVENTS, k->b, (size_t)(k->p - k->b));
}

#define HEAP  0x7f0004000000ull    /* a non-main arena heap in the maps below */
#define SITE_A 0x555555556100ull
#define SITE_B 0x555555556200ull
#define SITE_F 0x555555556300ull

static const char maps_text[] =
	"555555554000-555555558000 r-xp 00000000 08:01 100 /bin/fake\n"
	"555555560000-555555581000 rw-p 00000000 00:00 0 [heap]\n"
	"7f0004000000-7f0004100000 rw-p 00000000 00:00 0 \n"
	"7f0004100000-7f0008000000 ---p 00000000 00:00 0 \n";

static void write_log(const char *dir, int damage)
{
	struct w *w = calloc(1, sizeof *w);
	struct { struct ms_hl_process p; char exe[16]; } pr = { { .pid = 42, .ppid = 1 }, "/bin/fake" };
	rec(w, MS_HL_REC_PROCESS, &pr, sizeof pr);
	unsigned char mp[sizeof maps_text + 8] = { 0 };
	memcpy(mp + 8, maps_text, sizeof maps_text - 1);
	rec(w, MS_HL_REC_MAPS, mp, 8 + sizeof maps_text - 1);
	struct ms_hl_thread th = { .stream = 1, .tid = 43, .name = "worker" };
	rec(w, MS_HL_REC_THREAD, &th, sizeof th);
	/* thread 43: A allocates 100 (freed at once: short-lived), A 200
	 * (kept), B 5000 (realloc'd to 6000, then freed), free(NULL) */
	struct blk *k = calloc(1, sizeof *k);
	blk_init(k);
	ev(k, MS_HL_OP_MALLOC, 100, HEAP + 0x10, 0, SITE_A);
	ev(k, MS_HL_OP_FREE, 0, HEAP + 0x10, 0, SITE_F);
	ev(k, MS_HL_OP_MALLOC, 200, HEAP + 0x80, 0, SITE_A);
	ev(k, MS_HL_OP_MALLOC, 5000, HEAP + 0x200, 0, SITE_B);
	ev(k, MS_HL_OP_REALLOC, 6000, HEAP + 0x3000, HEAP + 0x200, SITE_B);
	ev(k, MS_HL_OP_FREE, 0, HEAP + 0x3000, 0, SITE_F);
	ev(k, MS_HL_OP_FREE, 0, 0, 0, SITE_F);
	blk_write(w, k, 1, 43);
	size_t second = w->len;
	/* main thread 42: one allocation in the brk heap, never freed */
	blk_init(k);
	ev(k, MS_HL_OP_CALLOC, 64, 0x555555560010ull, 0, SITE_B);
	blk_write(w, k, 0, 42);
	if (damage)
		w->buf[second + sizeof(struct ms_hl_rec) + sizeof(struct ms_hl_block) + 1] ^= 0x55;
	struct ms_hl_end end = { .reason = MS_HL_END_EXIT, .events = 8 };
	rec(w, MS_HL_REC_END, &end, sizeof end);
	char path[256];
	snprintf(path, sizeof path, "%s/proc-42-0.msl", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, w->buf, w->len), (ssize_t)w->len);
	close(fd);
	free(k);
	free(w);
}

static const struct ms_hs_site *site(const struct ms_hotspots *h, uint64_t caller)
{
	for (size_t i = 0; i < h->nsites; i++)
		if (h->sites[i].caller == caller)
			return &h->sites[i];
	return NULL;
}

static void analysis(void **state)
{
	char dir[] = "/tmp/ms-test-hotspots.XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_log(dir, 0);
	struct ms_hotspots h;
	struct ms_err e;
	assert_int_equal(ms_hotspots_load_query(dir, NULL, &h, &e), 0);
	assert_int_equal(h.events, 8);
	/* --record-only's count from the headers: the same figure */
	struct ms_hl_census c;
	assert_int_equal(ms_hl_census(dir, &c, &e), 0);
	assert_int_equal(c.events, 8);
	assert_int_equal(c.images, 1);
	assert_int_equal(h.allocs, 5);          /* 3 malloc, 1 realloc, 1 calloc */
	assert_int_equal(h.frees, 3);
	assert_int_equal(h.bytes, 100 + 200 + 5000 + 6000 + 64);
	assert_true(h.complete);
	assert_int_equal(h.unknown_frees, 0);
	const struct ms_hs_site *a = site(&h, SITE_A), *b = site(&h, SITE_B);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->calls, 2);
	assert_int_equal(a->live_bytes, 200);
	assert_int_equal(a->short_lived, 1);
	assert_int_equal(b->calls, 3);
	assert_int_equal(b->live_bytes, 64);    /* the realloc'd block was freed */
	/* histogram: 64 in [64,127], 100 too, 200 in [128,255], 5000 and 6000 in [4096,8191] */
	assert_int_equal(h.hist[7], 2);
	assert_int_equal(h.hist[8], 1);
	assert_int_equal(h.hist[13], 2);
	/* threads: the worker's memory lands in the arena heap, main's in [heap] */
	assert_int_equal(h.nthreads, 2);
	for (size_t i = 0; i < h.nthreads; i++) {
		const struct ms_hs_thread *t = &h.threads[i];
		uint64_t bytes;
		int r = ms_hs_thread_main_region(t, &bytes);
		assert_true(r >= 0);
		if (t->tid == 43) {
			assert_string_equal(t->name, "worker");
			assert_int_equal(t->calls, 7);
			assert_int_equal(h.images[0].regions[r].kind, MS_HS_REGION_ARENA);
			assert_true(h.images[0].regions[r].start == HEAP);
		} else {
			assert_int_equal(t->calls, 1);
			assert_int_equal(h.images[0].regions[r].kind, MS_HS_REGION_MAIN);
		}
	}
	ms_hotspots_free(&h);

	/* a damaged block: skipped, the rest still read, the log marked partial */
	write_log(dir, 1);
	assert_int_equal(ms_hotspots_load_query(dir, NULL, &h, &e), 0);
	assert_false(h.complete);
	assert_true(h.skipped_bytes > 0);
	assert_int_equal(h.events, 7);          /* the main thread's block is gone */
	assert_int_equal(ms_hl_census(dir, &c, &e), 0);
	assert_int_equal(c.events, 7);
	assert_int_equal(site(&h, SITE_A)->calls, 2);
	ms_hotspots_free(&h);

	char path[300];
	snprintf(path, sizeof path, "%s/proc-42-0.msl", dir);
	unlink(path);
	assert_int_equal(ms_hotspots_load_query(dir, NULL, &h, &e), -1);
	assert_non_null(strstr(e.msg, "no hotspots log"));
	assert_int_equal(ms_hl_census(dir, &c, &e), -1);
	assert_non_null(strstr(e.msg, "no hotspots log"));
	rmdir(dir);
}

/* Resynchronisation: garbage before, between and after records. */

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[300];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void remove_file(const char *dir, const char *name)
{
	char path[300];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

/* Threads' blocks written in another order than the calls happened, the
 * same address reused across threads: the order stamps pair them as the
 * allocator saw them.  T1 allocates X (stamp 0); T2 frees it (stamp 1);
 * T3 allocates X again (stamp 1, after the free).  T4 reallocs Y to Z
 * (free part stamped 2, the result 3) while T5 is handed Y at stamp 2.
 * The file holds T3's block first, T1's last: in file order T1's X
 * would look live and T3's freed. */
static void cross_thread_order(void **state)
{
	(void)state;
	char dir[] = "/tmp/ms-test-hotspots.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct w *w = calloc(1, sizeof *w);
	struct { struct ms_hl_process p; char exe[16]; } pr = { { .pid = 7, .ppid = 1 }, "/bin/fake" };
	rec(w, MS_HL_REC_PROCESS, &pr, sizeof pr);
	/* a hostile thread record: a stream number far beyond any real one */
	struct ms_hl_thread th = { .stream = 0x3fffffff, .tid = 9, .name = "far" };
	rec(w, MS_HL_REC_THREAD, &th, sizeof th);
	const uint64_t X = HEAP + 0x100, Y = HEAP + 0x400, Z = HEAP + 0x800;
	struct blk *k = calloc(1, sizeof *k);
	blk_init(k);
	ev_st(k, MS_HL_OP_MALLOC, 300, X, 0, SITE_B, 0, 1);          /* T3 */
	blk_write(w, k, 3, 103);
	blk_init(k);
	ev_st(k, MS_HL_OP_MALLOC, 50, Y, 0, SITE_B, 0, 2);           /* T5 */
	blk_write(w, k, 5, 105);
	blk_init(k);
	ev_st(k, MS_HL_OP_FREE, 0, X, 0, SITE_F, 0, 1);              /* T2 */
	blk_write(w, k, 2, 102);
	blk_init(k);
	ev_st(k, MS_HL_OP_MALLOC, 40, Y, 0, SITE_A, 0, 0);           /* T4 */
	ev_st(k, MS_HL_OP_REALLOC, 80, Z, Y, SITE_A, 2, 3);
	ev_st(k, MS_HL_OP_FREE, 0, Z, 0, SITE_F, 0, 4);
	blk_write(w, k, 4, 104);
	blk_init(k);
	ev_st(k, MS_HL_OP_MALLOC, 100, X, 0, SITE_A, 0, 0);          /* T1 */
	blk_write(w, k, 1, 101);
	write_file(dir, "proc-7-0.msl", w->buf, w->len);
	struct ms_hotspots h;
	struct ms_err e;
	/* several addresses at once (arenas' pins): X + 299 inside T3's
	 * 300-byte block, Y exactly T5's block; Z (freed) and X + 300 (past
	 * the block) in none */
	uint64_t many[] = { X + 299, Y, Z, X + 300 };
	struct ms_hs_found fs[4];
	memset(fs, 0xff, sizeof fs);
	struct ms_hs_query q = { .addr = X + 10, .addrs = many, .naddrs = 4, .found = fs };
	assert_int_equal(ms_hotspots_load_query(dir, &q, &h, &e), 0);
	assert_true(fs[0].found && fs[0].ptr == X && fs[0].size == 300);
	assert_int_equal(h.threads[fs[0].thread].tid, 103);
	assert_true(fs[1].found && fs[1].ptr == Y && h.sites[fs[1].site].caller == SITE_B);
	assert_false(fs[2].found);
	assert_false(fs[3].found);
	assert_int_equal(h.unknown_frees, 0);
	assert_int_equal(site(&h, SITE_A)->live_bytes, 0);
	assert_int_equal(site(&h, SITE_B)->live_bytes, 350);     /* T3's X and T5's Y */
	assert_int_equal(h.images[0].live_bytes_at_end, 350);
	/* who holds X + 10: T3's allocation at SITE_B */
	assert_true(h.found.found);
	assert_true(h.found.ptr == X);
	assert_int_equal(h.found.size, 300);
	assert_true(h.sites[h.found.site].caller == SITE_B);
	assert_int_equal(h.threads[h.found.thread].tid, 103);
	ms_hotspots_free(&h);
	remove_file(dir, "proc-7-0.msl");
	rmdir(dir);
	free(k);
	free(w);
}

/* A buffer file's tail: events a thread committed but never wrote to the
 * .msl (the process was killed).  One block (seq 100) is in both: the
 * .msl has its first event, the slot all three; only the two missing are
 * added.  A second slot has a broken commit and is ignored. */
static void tails(void **state)
{
	(void)state;
	char dir[] = "/tmp/ms-test-hotspots.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct w *w = calloc(1, sizeof *w);
	struct { struct ms_hl_process p; char exe[16]; } pr = { { .pid = 8, .ppid = 1 }, "/bin/fake" };
	rec(w, MS_HL_REC_PROCESS, &pr, sizeof pr);
	struct blk *k = calloc(1, sizeof *k);
	blk_init(k);
	ev_st(k, MS_HL_OP_MALLOC, 10, HEAP + 0x10, 0, SITE_A, 0, 0);
	seq_ = 100;
	blk_write(w, k, 0, 8);
	write_file(dir, "proc-8-0.msl", w->buf, w->len);
	/* the slot holds the same block, grown by two events */
	ev_st(k, MS_HL_OP_MALLOC, 20, HEAP + 0x40, 0, SITE_A, 0, 0);
	ev_st(k, MS_HL_OP_FREE, 0, HEAP + 0x10, 0, SITE_F, 0, 1);
	unsigned char *bf = calloc(2, MS_HL_SLOT_BYTES);
	struct ms_hl_slot sl = { .magic = MS_HL_SLOT_MAGIC, .stream = 0, .tid = 8, .name = "tailer" };
	size_t evlen = (size_t)(k->p - k->b);
	sl.commit = ((uint64_t)k->n << 32) | (sizeof(struct ms_hl_rec) + evlen);
	memcpy(bf, &sl, sizeof sl);
	struct ms_hl_block b = { .stream = 0, .tid = 8, .ticks = 1000, .seq = 100 };
	memcpy(k->b, &b, sizeof b);
	memcpy(bf + MS_HL_SLOT_HDR + sizeof(struct ms_hl_rec), k->b, evlen);
	sl.commit = ((uint64_t)5 << 32) | (MS_HL_SLOT_BUF + 1);   /* past its buffer */
	memcpy(bf + MS_HL_SLOT_BYTES, &sl, sizeof sl);
	write_file(dir, "proc-8-0.buf", bf, 2 * MS_HL_SLOT_BYTES);
	struct ms_hotspots h;
	struct ms_err e;
	assert_int_equal(ms_hotspots_load_query(dir, NULL, &h, &e), 0);
	assert_int_equal(h.events, 3);
	struct ms_hl_census c;   /* the tail's two new events, the broken slot ignored */
	assert_int_equal(ms_hl_census(dir, &c, &e), 0);
	assert_int_equal(c.events, 3);
	assert_int_equal(h.allocs, 2);
	assert_int_equal(h.frees, 1);
	assert_int_equal(site(&h, SITE_A)->live_bytes, 20);
	assert_int_equal(h.corrupt_blocks, 1);
	assert_true(h.images[0].tails_read);
	assert_int_equal(h.nthreads, 1);
	assert_string_equal(h.threads[0].name, "tailer");
	ms_hotspots_free(&h);
	remove_file(dir, "proc-8-0.msl");
	remove_file(dir, "proc-8-0.buf");
	rmdir(dir);
	free(bf);
	free(k);
	free(w);
}

static void resync(void **state)
{
	struct w *w = calloc(1, sizeof *w);
	memcpy(w->buf, "garbageMSLRxx", 13);
	w->len = 13;
	struct ms_hl_thread th = { .stream = 3, .tid = 9, .name = "x" };
	rec(w, MS_HL_REC_THREAD, &th, sizeof th);
	memcpy(w->buf + w->len, "MSL", 3);
	w->len += 3;
	rec(w, MS_HL_REC_THREAD, &th, sizeof th);
	size_t off = 0;
	uint64_t skipped = 0;
	struct ms_hl_rec r;
	const unsigned char *pl;
	int n = 0;
	while (ms_hl_next_record(w->buf, w->len, &off, &r, &pl, &skipped))
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(skipped, 16);
	free(w);
}

/* Folded stacks: one line per distinct text (the same unresolved
 * addresses in two process images add up), weights per key, lines of
 * weight 0 left out, sorted by text. */
static void folded(void **state)
{
	(void)state;
	struct ms_hs_image im[2];
	memset(im, 0, sizeof im);
	uint64_t f1[] = { 0x10, 0x20 }, f2[] = { 0x10, 0x20 }, f3[] = { 0x30 };
	struct ms_hs_stack st[3] = {
		{ .image = 0, .frames = f1, .n = 2, .calls = 3, .bytes = 300, .live_bytes = 0 },
		{ .image = 1, .frames = f2, .n = 2, .calls = 4, .bytes = 400, .live_bytes = 64 },
		{ .image = 0, .frames = f3, .n = 1, .calls = 5, .bytes = 0, .live_bytes = 0 },
	};
	struct ms_hotspots h;
	memset(&h, 0, sizeof h);
	h.images = im;
	h.nimages = 2;
	h.stacks = st;
	h.nstacks = 3;
	static const struct { enum ms_hs_site_key key; const char *want; } cases[] = {
		{ MS_HS_BY_CALLS, "0x20;0x10 7\n0x30 5\n" },
		{ MS_HS_BY_BYTES, "0x20;0x10 700\n" },
		{ MS_HS_BY_LIVE, "0x20;0x10 64\n" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		assert_non_null(m);
		assert_int_equal(ms_hotspots_folded(&h, cases[i].key, m), 0);
		fclose(m);
		assert_string_equal(text, cases[i].want);
		free(text);
	}
}

/* ---- version 3 encodings, byte by byte ---- */
struct v3 { unsigned char b[256]; unsigned char *p; };

static void v3_init(struct v3 *k, uint32_t nevents, uint64_t stamp)
{
	memset(k, 0, sizeof *k);
	struct ms_hl_block b = { .stream = 0, .tid = 7, .nevents = nevents, .stamp = stamp };
	memcpy(k->b, &b, sizeof b);
	k->p = k->b + sizeof b;
}

static void v3_var(struct v3 *k, uint64_t v) { k->p = ms_hl_put_varint(k->p, v); }
static void v3_zz(struct v3 *k, int64_t v) { k->p = ms_hl_put_varint(k->p, ms_hl_zigzag(v)); }

/* Decode k; returns the events (up to max) and whether it was corrupt. */
static uint32_t v3_decode(const struct v3 *k, struct ms_hl_event *out, uint32_t max, int *corrupt)
{
	struct ms_hl_dec d;
	if (ms_hl_dec_init(&d, k->b, (size_t)(k->p - k->b), 0, NULL) < 0) {
		*corrupt = 1;
		return 0;
	}
	uint32_t n = 0;
	struct ms_hl_event ev;
	while (ms_hl_dec_next(&d, &ev))
		if (n < max)
			out[n++] = ev;
	*corrupt = d.corrupt;
	return n;
}

/* PAIR_STAMP (a fully predicted malloc with a stamp step, and its free),
 * a free from the site before the last one (F_EXT on a free) and PAIR_ALT
 * (a fully predicted pair whose free comes from that site). */
static void v3_ops(void **state)
{
	(void)state;
	const uint64_t M = 0x401000, F1 = 0x402000, F2 = 0x403000, P1 = 0x5000, P2 = 0x6000;
	unsigned slot = ms_hl_size_slot(64);
	struct v3 k;
	v3_init(&k, 10, 100);
	/* 1 malloc(64) = P1 at stamp 105 from M: every field explicit */
	*k.p++ = MS_HL_OP_MALLOC;
	v3_zz(&k, 5);
	v3_zz(&k, (int64_t)M);
	v3_var(&k, 64);
	v3_zz(&k, (int64_t)P1);
	/* 2 free(P1) at 106 from F1: the last allocated pointer */
	*k.p++ = MS_HL_OP_FREE | MS_HL_F_PTRHIT;
	v3_zz(&k, 1);
	v3_zz(&k, (int64_t)F1);
	/* 3+4 malloc(64) at 109 (stamp step 3) = P1 again, freed at once */
	*k.p++ = (unsigned char)(MS_HL_OP_PAIR_STAMP | slot << 4);
	v3_zz(&k, 3);
	/* 5 malloc(64) = P2 at 110, size from the table */
	*k.p++ = MS_HL_OP_MALLOC | MS_HL_F_SAMECALLER | MS_HL_F_EXT;
	v3_zz(&k, 0);
	*k.p++ = (unsigned char)(0x08 | slot << 4);
	v3_zz(&k, (int64_t)(P2 - P1));
	/* 6 free(P2) at 111 from F2 */
	*k.p++ = MS_HL_OP_FREE | MS_HL_F_PTRHIT;
	v3_zz(&k, 1);
	v3_zz(&k, (int64_t)(F2 - F1));
	/* 7 malloc(64) = P2 at 111; 8 free(P2) at 112 from F1, the site before */
	*k.p++ = MS_HL_OP_MALLOC | MS_HL_F_SAMECALLER | MS_HL_F_EXT | MS_HL_F_PTRHIT;
	v3_zz(&k, 0);
	*k.p++ = (unsigned char)(0x08 | slot << 4 | 0);   /* the latest free */
	*k.p++ = MS_HL_OP_FREE | MS_HL_F_PTRHIT | MS_HL_F_EXT;
	v3_zz(&k, 1);
	/* 9+10 malloc(64) = P2 at 112, freed at once from F2, the site before */
	*k.p++ = (unsigned char)(MS_HL_OP_PAIR_ALT | slot << 4);

	struct ms_hl_event e[12];
	int corrupt = -1;
	uint32_t n = v3_decode(&k, e, 12, &corrupt);
	assert_int_equal(corrupt, 0);
	assert_int_equal(n, 10);
	static const unsigned ops[10] = { MS_HL_OP_MALLOC, MS_HL_OP_FREE, MS_HL_OP_MALLOC, MS_HL_OP_FREE,
					  MS_HL_OP_MALLOC, MS_HL_OP_FREE, MS_HL_OP_MALLOC, MS_HL_OP_FREE,
					  MS_HL_OP_MALLOC, MS_HL_OP_FREE };
	static const uint64_t stamps[10] = { 105, 106, 109, 110, 110, 111, 111, 112, 112, 113 };
	const uint64_t ptrs[10] = { P1, P1, P1, P1, P2, P2, P2, P2, P2, P2 };
	const uint64_t callers[10] = { M, F1, M, F1, M, F2, M, F1, M, F2 };
	static const unsigned pairs[10] = { 0, 0, 1, 2, 0, 0, 0, 0, 1, 2 };
	for (int i = 0; i < 10; i++) {
		assert_int_equal(e[i].op, ops[i]);
		assert_true(e[i].stamp == stamps[i]);
		assert_true(e[i].ptr == ptrs[i]);
		assert_true(e[i].caller == callers[i]);
		assert_int_equal(e[i].pair, pairs[i]);
		if (ops[i] == MS_HL_OP_MALLOC)
			assert_true(e[i].size == 64);
	}

	/* the same first malloc in a version 3 block: pointer steps */
	struct v3 f3;
	v3_init(&f3, 1, 100);
	struct ms_hl_block fb;
	memcpy(&fb, f3.b, sizeof fb);
	fb.format = MS_HL_FMT_PTR16;
	memcpy(f3.b, &fb, sizeof fb);
	*f3.p++ = MS_HL_OP_MALLOC;
	v3_zz(&f3, 5);
	v3_zz(&f3, (int64_t)M);
	v3_var(&f3, 64);
	f3.p = ms_hl_put_ptr_step(f3.p, P1 + 8);
	n = v3_decode(&f3, e, 12, &corrupt);
	assert_int_equal(corrupt, 0);
	assert_int_equal(n, 1);
	assert_true(e[0].ptr == P1 + 8 && e[0].size == 64 && e[0].stamp == 105);

	/* hostile and truncated versions: corrupt, never a read past the end */
	struct v3 t = k;
	t.p = t.b + sizeof(struct ms_hl_block);
	*t.p++ = (unsigned char)(MS_HL_OP_PAIR_STAMP | slot << 4);   /* the slot was never filled */
	v3_zz(&t, 3);
	n = v3_decode(&t, e, 12, &corrupt);
	assert_int_equal(corrupt, 1);
	assert_int_equal(n, 0);

	size_t pair_at = 0;
	for (size_t i = sizeof(struct ms_hl_block); i < (size_t)(k.p - k.b); i++)
		if ((k.b[i] & 0x0f) == MS_HL_OP_PAIR_STAMP) {
			pair_at = i;
			break;
		}
	assert_true(pair_at > 0);
	t = k;
	t.p = t.b + pair_at + 1;                       /* cut before its stamp step */
	n = v3_decode(&t, e, 12, &corrupt);
	assert_int_equal(corrupt, 1);
	assert_int_equal(n, 2);
	t = k;
	t.b[pair_at + 1] = 0x80;                       /* a stamp varint that never ends */
	t.p = t.b + pair_at + 2;
	n = v3_decode(&t, e, 12, &corrupt);
	assert_int_equal(corrupt, 1);
	assert_int_equal(n, 2);
	t = k;                                         /* the block says 3 events: the pair's free is missing */
	t.p = t.b + (k.p - k.b);
	struct ms_hl_block hb;
	memcpy(&hb, t.b, sizeof hb);
	hb.nevents = 3;
	memcpy(t.b, &hb, sizeof hb);
	n = v3_decode(&t, e, 12, &corrupt);
	assert_int_equal(corrupt, 1);
	assert_int_equal(n, 2);
	/* every cut of the block decodes a prefix and says corrupt */
	for (size_t cut = sizeof(struct ms_hl_block); cut < (size_t)(k.p - k.b); cut++) {
		t = k;
		t.p = t.b + cut;
		n = v3_decode(&t, e, 12, &corrupt);
		assert_int_equal(corrupt, 1);
		assert_true(n < 10);
	}
	/* PAIR_ALT in a log with stacks: never written there, corrupt */
	struct ms_hl_dec d;
	assert_int_equal(ms_hl_dec_init(&d, k.b, (size_t)(k.p - k.b), 1, NULL), 0);
	struct ms_hl_event ev;
	while (ms_hl_dec_next(&d, &ev))
		;
	assert_int_equal(d.corrupt, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(varints),
		cmocka_unit_test(ptr_steps),
		cmocka_unit_test(analysis),
		cmocka_unit_test(cross_thread_order),
		cmocka_unit_test(tails),
		cmocka_unit_test(resync),
		cmocka_unit_test(folded),
		cmocka_unit_test(v3_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

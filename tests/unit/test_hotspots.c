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
#include "records/hotlog.h"
#include "records/hotlog_read.h"

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

/* ---- a tiny writer: every field explicit (no prediction hits) ---- */
struct w { unsigned char buf[1 << 16]; size_t len; };

static void rec(struct w *w, unsigned type, const void *payload, size_t n)
{
	struct ms_hl_rec r = { MS_HL_MAGIC, (uint16_t)type, MS_HL_VERSION, (uint32_t)n, ms_hl_hash(payload, n) };
	memcpy(w->buf + w->len, &r, sizeof r);
	memcpy(w->buf + w->len + sizeof r, payload, n);
	w->len += sizeof r + n;
}

struct blk { unsigned char b[4096]; unsigned char *p; uint64_t prev_ptr, prev_caller[2]; uint32_t n; };

static void blk_init(struct blk *k)
{
	memset(k, 0, sizeof *k);
	k->p = k->b + sizeof(struct ms_hl_block);
}

static void ev(struct blk *k, unsigned op, uint64_t size, uint64_t ptr, uint64_t old, uint64_t caller)
{
	int kind = op == MS_HL_OP_FREE;
	*k->p++ = (unsigned char)op;
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

static void blk_write(struct w *w, struct blk *k, uint32_t stream, uint32_t tid)
{
	struct ms_hl_block b = { .stream = stream, .tid = tid, .ticks = 1000, .mono_ns = 5000,
				 .mono_ticks = 1001, .nevents = k->n };
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
	assert_int_equal(ms_hotspots_load(dir, &h, &e), 0);
	assert_int_equal(h.events, 8);
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
	assert_int_equal(ms_hotspots_load(dir, &h, &e), 0);
	assert_false(h.complete);
	assert_true(h.skipped_bytes > 0);
	assert_int_equal(h.events, 7);          /* the main thread's block is gone */
	assert_int_equal(site(&h, SITE_A)->calls, 2);
	ms_hotspots_free(&h);

	char path[300];
	snprintf(path, sizeof path, "%s/proc-42-0.msl", dir);
	unlink(path);
	assert_int_equal(ms_hotspots_load(dir, &h, &e), -1);
	assert_non_null(strstr(e.msg, "no hotspots log"));
	rmdir(dir);
}

/* Resynchronisation: garbage before, between and after records. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(varints),
		cmocka_unit_test(analysis),
		cmocka_unit_test(resync),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

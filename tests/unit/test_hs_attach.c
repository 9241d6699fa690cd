/* bpftrace's map dump as `hotspots PID --live` reads it
 * (probe/hs_attach.c): dumps built here, so every expected count follows
 * from the lines below.  The big one is the size a busy target leaves
 * (200,000 live pointers and more): read quadratically it took minutes
 * (trial4 F-D), so a regression shows as the runner's timeout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/hotspots.h"
#include "probe/hs_attach.h"

struct text { char *s; size_t len, cap; };

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->cap = t->cap * 2 + (size_t)n + 64;
		t->s = realloc(t->s, t->cap);
		assert_non_null(t->s);
	}
}

static const struct ms_hs_site *site(const struct ms_hotspots *h, uint64_t caller)
{
	for (size_t i = 0; i < h->nsites; i++)
		if (h->sites[i].caller == caller)
			return &h->sites[i];
	return NULL;
}

/* 150,000 live pointers in @sz and @st each (300,000 map lines), from 3
 * sites: pointer i has size 16 + i % 7 and site 0x1000 + i % 3. */
#define NPTR 150000u

static void build_big(struct text *t)
{
	add(t, "Attaching 9 probes...\n@@live\n@@window 4000000000\n@@maps\n");
	add(t, "@c[100, 4096]: 7\n@c[101, 4097]: 5\n@b[100, 4096]: 700\n@b[101, 4097]: 500\n");
	add(t, "@n[100]: producer\n@n[101]: consumer thread\n\n@h: \n[16, 32)   %u |@@@@|\n\n", NPTR);
	add(t, "@a: %u\n@fr: 3\n@overflow: 0\n\n", NPTR);
	for (unsigned i = 0; i < NPTR; i++)
		add(t, "@sz[%u]: %u\n", 140000000000u + 64u * i, 16 + i % 7);
	add(t, "\n");
	/* the other order: the join must not depend on it */
	for (unsigned i = NPTR; i-- > 0;)
		add(t, "@st[%u]: %u\n", 140000000000u + 64u * i, 0x1000 + i % 3);
	add(t, "@@end\n");
}

static void big_dump(void **state)
{
	struct text t = { 0 };
	build_big(&t);
	struct ms_hotspots h;
	memset(&h, 0, sizeof h);
	volatile sig_atomic_t stop = 0;
	assert_int_equal(ms_hs_attach_parse(t.s, &stop, &h), 0);
	uint64_t live[3] = { 0 }, n[3] = { 0 }, total = 0;
	for (unsigned i = 0; i < NPTR; i++) {
		live[i % 3] += 16 + i % 7;
		n[i % 3]++;
		total += 16 + i % 7;
	}
	for (unsigned k = 0; k < 3; k++) {
		const struct ms_hs_site *s = site(&h, 0x1000 + k);
		assert_non_null(s);
		assert_true(s->live_bytes == live[k]);
		assert_true(s->live_allocs == n[k]);
	}
	assert_true(h.attach.live_bytes == total);
	assert_true(h.allocs == NPTR && h.frees == 3);
	assert_true(h.events == 12 && h.bytes == 1200);
	assert_true(site(&h, 4096)->calls == 7 && site(&h, 4097)->bytes == 500);
	assert_int_equal(h.nthreads, 2);
	assert_string_equal(h.threads[1].name, "consumer thread");
	assert_true(h.hist[5] == NPTR);   /* [16, 32): sizes 2^4.. */
	assert_true(h.attach.window_s == 4.0);
	assert_true(h.attach.skipped_lines == 0 && !h.attach.cut_short);
	ms_hotspots_free(&h);

	/* a stop already asked for: nothing read past the start, said so */
	memset(&h, 0, sizeof h);
	stop = 1;
	assert_int_equal(ms_hs_attach_parse(t.s, &stop, &h), 0);
	assert_true(h.attach.cut_short);
	assert_true(h.attach.live_bytes == 0);
	ms_hotspots_free(&h);
	free(t.s);
}

/* Cut, garbled and overlong lines: skipped and counted, the rest read. */
static void garbage(void **state)
{
	struct text t = { 0 };
	add(&t, "@@window 1000000000\nLost 5 events\n@@maps\n");
	add(&t, "@c[100, 4096]: 7\n@c[100, 40\n@b[100, 4096]: 70\n@sz[12345]: \n@sz[]: 9\n");
	add(&t, "@sz[1000]: 32\n@st[1000]: 4096\n@sz[2000]: 64\n");   /* 2000: no site known */
	add(&t, "\x01\xff garbage\n[\n(\n[0]\n@n[7]: ");
	for (int i = 0; i < 1000; i++)
		add(&t, "x");
	add(&t, "\n@st[99\n@@end\nLost 2 events\n");
	struct ms_hotspots h;
	memset(&h, 0, sizeof h);
	assert_int_equal(ms_hs_attach_parse(t.s, NULL, &h), 0);
	assert_true(h.attach.lost == 7);
	assert_true(site(&h, 4096)->calls == 7 && site(&h, 4096)->bytes == 70);
	assert_true(site(&h, 4096)->live_bytes == 32);
	assert_true(site(&h, 0)->live_bytes == 64);   /* its site unknown: site 0 */
	assert_true(h.attach.live_bytes == 96);
	/* "@c[100, 40", "@sz[12345]: ", "@sz[]: 9", the control bytes, the
	 * overlong @n line, "@st[99" */
	assert_true(h.attach.skipped_lines == 6);
	ms_hotspots_free(&h);

	/* no "@@end": nothing parsed, no crash; and an empty text */
	memset(&h, 0, sizeof h);
	assert_int_equal(ms_hs_attach_parse("@@maps\n@c[1, 2]: 3\n", NULL, &h), 0);
	assert_true(h.events == 0);
	assert_int_equal(ms_hs_attach_parse("", NULL, &h), 0);
	ms_hotspots_free(&h);
	free(t.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(big_dump),
		cmocka_unit_test(garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Memory that changes at a known rate, for `memsleuth watch`:
 *
 *   growth leak KIB_PER_S      malloc(4096) blocks kept forever (touched):
 *                              glibc's in-use grows KIB_PER_S (+16 B headers)
 *   growth retain KIB_PER_S S  S seconds' worth of 32 KiB holes, each pinned
 *                              by a 32 B block above it, are freed over time,
 *                              and for every two a 64 KiB block is allocated:
 *                              in use stays flat, free kept (resident, below
 *                              live blocks) grows KIB_PER_S, and so does RSS
 *   growth server KIB_PER_S    a server's leak: every 20 ms a request's 16
 *                              scratch buffers (scratch_round: the most
 *                              calls, nothing kept) and KIB_PER_S of 4 KiB
 *                              blocks kept forever (remember_request)
 *   growth flat                20 MiB in 4 KiB..64 KiB blocks, churned in place
 *   growth plateau SECONDS [DELAY]
 *                              on SIGUSR1 (or DELAY s after the start): for SECONDS, every 0.6 s a round of
 *                              100,000 blocks of 64+16r B, 9 of 10 freed and
 *                              every 10th kept (trial 4's frag2): in use and
 *                              free kept in the holes between the kept
 *                              blocks both grow; then nothing changes.
 *                              Prints "touched_until_mono=T1 grew_until_mono=T2"
 *                              (CLOCK_MONOTONIC, s: the last round's blocks
 *                              touched -- RSS grows no more --, its frees
 *                              done), then "phase=flat"
 *
 * The rate is kept against the clock (what should exist at time t), so a
 * loaded machine delays it but does not change it.  Prints "phase=running"
 * when the timed part starts, then runs until SIGTERM (--hold accepted). */
#include <stdint.h>
#include <time.h>

#include "example_common.h"

#define BLOCK 4096
#define HOLE (32 << 10)
#define MAX_PTRS (1 << 20)

static void *ptrs[MAX_PTRS];     /* in .bss: keeping them costs no heap */
static void *pins[MAX_PTRS];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap(long ms)
{
	struct timespec ts = { 0, ms * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

static void *touched(size_t n)
{
	void *p = malloc(n);
	if (!p) {
		ex_say("malloc failed\n");
		exit(1);
	}
	memset(p, 0x5a, n);
	return p;
}

static void leak(double kib_s)
{
	size_t n = 0;
	ex_say("phase=running\n");
	double t0 = now_s();
	for (;;) {
		size_t want = (size_t)((now_s() - t0) * kib_s * 1024 / BLOCK);
		while (n < want && n < MAX_PTRS)
			ptrs[n++] = touched(BLOCK);
		nap(20);
	}
}

/* A request's scratch buffers: allocated and freed at once. */
static __attribute__((noinline)) void scratch_round(unsigned r)
{
	void *b[16];
	for (unsigned k = 0; k < 16; k++)
		b[k] = touched(256 + 64 * k + r % 100);
	for (unsigned k = 0; k < 16; k++)
		free(b[k]);
}

static __attribute__((noinline)) void *remember_request(void)
{
	return touched(BLOCK);
}

static void server(double kib_s)
{
	size_t n = 0;
	ex_say("phase=running\n");
	double t0 = now_s();
	for (unsigned r = 0;; r++) {
		scratch_round(r);
		size_t want = (size_t)((now_s() - t0) * kib_s * 1024 / BLOCK);
		while (n < want && n < MAX_PTRS)
			ptrs[n++] = remember_request();
		nap(20);
	}
}

static void retain(double kib_s, double seconds)
{
	size_t holes = (size_t)(kib_s * 1024 * seconds / HOLE) & ~(size_t)1;
	if (holes > MAX_PTRS)
		holes = MAX_PTRS;
	for (size_t i = 0; i < holes; i++) {
		ptrs[i] = touched(HOLE);
		pins[i] = touched(32);    /* above the hole: it can never join top */
	}
	ex_say("phase=running\n");
	size_t freed = 0, grown = 0;
	double t0 = now_s();
	for (;;) {
		size_t want = (size_t)((now_s() - t0) * kib_s * 1024 / HOLE) & ~(size_t)1;
		while (freed < want && freed < holes) {
			free(ptrs[freed]);
			free(ptrs[freed + 1]);
			freed += 2;
			/* too big for any hole: comes from the top, in use stays flat */
			ptrs[grown++] = touched(2 * HOLE);
		}
		/* changes in bursts 10 times a second: a walk (~10-30 ms) mostly
		 * sees a heap at rest, so few are inconsistent */
		nap(100);
	}
}

static void flat(void)
{
	size_t n = (20u << 20) / (32 << 10);
	size_t sz[1024];
	for (size_t i = 0; i < n; i++) {
		sz[i] = 4096 + (i * 7919) % (60 << 10);
		ptrs[i] = touched(sz[i]);
	}
	ex_say("phase=running\n");
	for (size_t k = 0;; k++) {
		size_t i = (k * 31) % n;
		free(ptrs[i]);
		ptrs[i] = touched(sz[i]);
		if (k % 8 == 0)
			nap(20);
	}
}

#define ROUND_BLOCKS 100000
#define ROUND_S 0.6

static void plateau(double seconds, double delay)
{
	ex_block_signals();   /* a SIGUSR1 before the wait is kept pending */
	ex_say("phase=running\n");
	if (delay > 0)
		for (double end = now_s() + delay; now_s() < end;)
			nap(50);
	else
		ex_wait_signal(SIGUSR1);
	size_t kept = 0;
	double t0 = now_s(), touched_until = t0;
	/* every 0.6 s, not 0.5: a watch sampling every 0.5 s drifts across
	 * the rounds instead of walking the heap during each of them (such
	 * walks are inconsistent and left out) */
	for (int r = 0; r < (int)(seconds / ROUND_S) && kept + ROUND_BLOCKS / 10 <= MAX_PTRS; r++) {
		while (now_s() < t0 + r * ROUND_S)
			nap(10);
		size_t size = 64 + 16 * (size_t)r;
		for (size_t i = 0; i < ROUND_BLOCKS; i++)
			pins[i] = touched(size);
		touched_until = now_s();   /* RSS grows no more after the last round's blocks */
		for (size_t i = 0; i < ROUND_BLOCKS; i++) {
			if (i % 10 == 0)
				ptrs[kept++] = pins[i];
			else
				free(pins[i]);
		}
	}
	char line[96];
	snprintf(line, sizeof line, "touched_until_mono=%.3f grew_until_mono=%.3f\n", touched_until, now_s());
	ex_say(line);
	ex_say("phase=flat\n");
	ex_wait_signal(0);   /* until SIGTERM */
	exit(0);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "leak"))
		leak(atof(argv[2]));
	else if (argc >= 4 && !strcmp(argv[1], "retain"))
		retain(atof(argv[2]), atof(argv[3]));
	else if (argc >= 3 && !strcmp(argv[1], "server"))
		server(atof(argv[2]));
	else if (argc >= 2 && !strcmp(argv[1], "flat"))
		flat();
	else if (argc >= 3 && !strcmp(argv[1], "plateau"))
		plateau(atof(argv[2]), argc >= 4 && argv[3][0] != '-' ? atof(argv[3]) : 0);
	ex_say("usage: growth leak KIB_PER_S | server KIB_PER_S | retain KIB_PER_S SECONDS | flat | plateau SECONDS [DELAY] [--hold]\n");
	return 2;
}

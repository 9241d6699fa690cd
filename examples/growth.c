/* Memory that changes at a known rate, for `memsleuth watch`:
 *
 *   growth leak KIB_PER_S      malloc(4096) blocks kept forever (touched):
 *                              glibc's in-use grows KIB_PER_S (+16 B headers)
 *   growth retain KIB_PER_S S  S seconds' worth of 32 KiB holes, each pinned
 *                              by a 32 B block above it, are freed over time,
 *                              and for every two a 64 KiB block is allocated:
 *                              in use stays flat, free kept (resident, below
 *                              live blocks) grows KIB_PER_S, and so does RSS
 *   growth flat                20 MiB in 4 KiB..64 KiB blocks, churned in place
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

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "leak"))
		leak(atof(argv[2]));
	else if (argc >= 4 && !strcmp(argv[1], "retain"))
		retain(atof(argv[2]), atof(argv[3]));
	else if (argc >= 2 && !strcmp(argv[1], "flat"))
		flat();
	ex_say("usage: growth leak KIB_PER_S | retain KIB_PER_S SECONDS | flat [--hold]\n");
	return 2;
}

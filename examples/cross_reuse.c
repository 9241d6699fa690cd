/* Addresses reused across threads in every direction, with known live
 * bytes at the end: the oracle for the recorder's order stamps
 * (hotlog.h "Order").  T threads share a pool of S slots; each step a
 * thread takes a random slot's block (an atomic exchange, so every block
 * has one owner at a time) and frees it, reallocs it to another size or
 * puts it back, or allocates a new block into an empty slot.  So a block
 * allocated on one thread is freed or resized on another, its address
 * comes back from that thread's tcache or from an arena other threads
 * use, and one block in 64 is big enough to be mmapped (its address may
 * come back from another mmap).  Each block holds its requested size in
 * its first word; the live bytes at the end are the pool's.
 *   cross_reuse [--threads T] [--steps N] [--slots S] [--seed X]
 * prints "live_requested_bytes=B live_blocks=L" at the end. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int threads = 6;
static long steps = 100000;
static unsigned slots = 512, seed = 1;
static _Atomic(size_t *) *pool;

static size_t pick_size(uint32_t x)
{
	if (x % 64 == 0)
		return (size_t)200000 + x % 100000;   /* above the mmap threshold */
	return 16 + (x >> 8) % 1000;
}

__attribute__((noinline)) static size_t *reuse_alloc(size_t n)
{
	size_t *p = malloc(n);
	if (!p)
		abort();
	*p = n;
	return p;
}

__attribute__((noinline)) static size_t *reuse_resize(size_t *p, size_t n)
{
	size_t *q = realloc(p, n);
	if (!q)
		abort();
	*q = n;
	return q;
}

static void *worker(void *arg)
{
	uint32_t x = (uint32_t)(uintptr_t)arg * 2654435761u + seed;
	for (long i = 0; i < steps; i++) {
		x = x * 1103515245u + 12345u;
		unsigned k = (x >> 8) % slots;
		size_t *p = atomic_exchange(&pool[k], NULL);
		uint32_t y = x * 747796405u + 2891336453u;
		if (!p) {
			p = reuse_alloc(pick_size(y));
		} else if (y % 3 == 0) {
			free(p);
			continue;
		} else if (y % 3 == 1) {
			p = reuse_resize(p, pick_size(y >> 3));
		}
		/* put it back; a block another thread put there meanwhile is freed */
		size_t *old = atomic_exchange(&pool[k], p);
		free(old);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
			steps = atol(argv[++i]);
		else if (!strcmp(argv[i], "--slots") && i + 1 < argc)
			slots = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: cross_reuse [--threads T] [--steps N] [--slots S] [--seed X]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 64 || steps < 1 || slots < 1 || slots > 1u << 20)
		return 2;
	pool = calloc(slots, sizeof *pool);
	if (!pool)
		return 2;
	pthread_t t[64];
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	size_t bytes = 0, blocks = 0;
	for (unsigned k = 0; k < slots; k++) {
		size_t *p = atomic_load(&pool[k]);
		if (p) {
			bytes += *p;
			blocks++;
		}
	}
	printf("live_requested_bytes=%zu live_blocks=%zu\n", bytes, blocks);
	return 0;
}

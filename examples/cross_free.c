/* Allocations freed on other threads, with known live bytes at the end:
 * the oracle for exact pairing across threads.  P producer threads
 * allocate blocks of varied sizes and hand them to C consumer threads
 * through a ring (no allocation of its own); consumers free them, except
 * every K-th block, which stays live to the end.  The program counts the
 * bytes it requested and still holds, and prints them:
 *   cross_free [--producers P] [--consumers C] [--items N] [--keep K] [--hold]
 * "live_requested_bytes=B live_blocks=L" and "first_kept=ADDR size=N" at
 * the end (then, with --hold, it waits for SIGTERM). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RING 256

static struct {
	pthread_mutex_t mu;
	pthread_cond_t  can_put, can_get;
	void   *p[RING];
	size_t  n[RING];
	unsigned head, count, done_producers;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, { 0 }, 0, 0, 0 };

static long items = 20000, keep = 97;
static int producers = 2, consumers = 2;
static void **kept;
static size_t nkept, kept_bytes, first_size;
static pthread_mutex_t kept_mu = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static void *produce_block(size_t n)
{
	void *p = malloc(n);
	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) static void consume_block(void *p)
{
	free(p);
	__asm__ volatile("" ::: "memory");
}

static void *producer(void *arg)
{
	uint32_t x = (uint32_t)(uintptr_t)arg * 2654435761u + 7;
	for (long i = 0; i < items; i++) {
		x = x * 1103515245u + 12345u;
		size_t n = 16 + (x >> 16) % 500;
		void *p = produce_block(n);
		if (!p)
			abort();
		memset(p, 1, 8);
		pthread_mutex_lock(&q.mu);
		while (q.count == RING)
			pthread_cond_wait(&q.can_put, &q.mu);
		q.p[(q.head + q.count) % RING] = p;
		q.n[(q.head + q.count) % RING] = n;
		q.count++;
		pthread_cond_signal(&q.can_get);
		pthread_mutex_unlock(&q.mu);
	}
	pthread_mutex_lock(&q.mu);
	q.done_producers++;
	pthread_cond_broadcast(&q.can_get);
	pthread_mutex_unlock(&q.mu);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (unsigned long taken = 0;; taken++) {
		pthread_mutex_lock(&q.mu);
		while (q.count == 0 && q.done_producers < (unsigned)producers)
			pthread_cond_wait(&q.can_get, &q.mu);
		if (q.count == 0) {
			pthread_mutex_unlock(&q.mu);
			return NULL;
		}
		void *p = q.p[q.head];
		size_t n = q.n[q.head];
		q.head = (q.head + 1) % RING;
		q.count--;
		pthread_cond_signal(&q.can_put);
		pthread_mutex_unlock(&q.mu);
		if ((uintptr_t)p / 16 % (uintptr_t)keep == 0) {
			pthread_mutex_lock(&kept_mu);
			if (!nkept)
				first_size = n;
			kept[nkept++] = p;
			kept_bytes += n;
			pthread_mutex_unlock(&kept_mu);
		} else {
			consume_block(p);
		}
	}
}

int main(int argc, char **argv)
{
	int hold = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--producers") && i + 1 < argc)
			producers = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--consumers") && i + 1 < argc)
			consumers = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--items") && i + 1 < argc)
			items = atol(argv[++i]);
		else if (!strcmp(argv[i], "--keep") && i + 1 < argc)
			keep = atol(argv[++i]);
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else {
			fprintf(stderr, "usage: cross_free [--producers P] [--consumers C] [--items N] [--keep K] [--hold]\n");
			return 2;
		}
	}
	if (producers < 1 || consumers < 1 || producers > 64 || consumers > 64 || items < 1 || keep < 1)
		return 2;
	/* the kept pointers' array (one calloc, at its own site) */
	kept = calloc((size_t)producers * (size_t)items, sizeof *kept);
	if (!kept)
		return 2;
	pthread_t t[128];
	for (int i = 0; i < consumers; i++)
		pthread_create(&t[i], NULL, consumer, NULL);
	for (int i = 0; i < producers; i++)
		pthread_create(&t[consumers + i], NULL, producer, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < producers + consumers; i++)
		pthread_join(t[i], NULL);
	printf("live_requested_bytes=%zu live_blocks=%zu\n", kept_bytes, nkept);
	if (nkept)
		printf("first_kept=%p size=%zu\n", kept[0], first_size);
	fflush(stdout);
	while (hold)
		pause();
	return 0;
}

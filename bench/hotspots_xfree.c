/* The cross-thread-free benchmark workload: one thread allocates
 * 4,000,000 blocks of 16..1024 bytes and hands them through a
 * single-producer single-consumer ring to another thread, which frees
 * them: every free happens on a thread other than the allocating one (the
 * case node's zlib and any producer/consumer server hit). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define BLOCKS 4000000L
#define RING 1024

static void *ring[RING];
static _Atomic unsigned long head, tail;

static void *producer(void *arg)
{
	(void)arg;
	uint32_t x = 12345;
	for (long i = 0; i < BLOCKS; i++) {
		x = x * 1103515245u + 12345u;
		void **p = malloc((size_t)16 << ((x >> 16) % 7));
		if (!p)
			abort();
		*p = (void *)i;
		unsigned long h = atomic_load_explicit(&head, memory_order_relaxed);
		while (h - atomic_load_explicit(&tail, memory_order_acquire) == RING)
			sched_yield();
		ring[h % RING] = p;
		atomic_store_explicit(&head, h + 1, memory_order_release);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (long i = 0; i < BLOCKS; i++) {
		unsigned long t = atomic_load_explicit(&tail, memory_order_relaxed);
		while (atomic_load_explicit(&head, memory_order_acquire) == t)
			sched_yield();
		free(ring[t % RING]);
		atomic_store_explicit(&tail, t + 1, memory_order_release);
	}
	return NULL;
}

int main(void)
{
	pthread_t p, c;
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	return 0;
}

/* The benchmark workload: 2 threads x 5,000,000 malloc/free pairs
 * of 16..4096 bytes (power-of-two classes from a fixed LCG), every 64th
 * block kept live in a ring of 4096 (the oldest freed when replaced), the
 * first word of each block written. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PAIRS 5000000L
#define RING 4096

static void *run(void *arg)
{
	uint32_t x = (uint32_t)(uintptr_t)arg * 2654435761u + 1;
	static __thread void *ring[RING];
	unsigned head = 0;
	for (long i = 0; i < PAIRS; i++) {
		x = x * 1103515245u + 12345u;
		size_t n = (size_t)16 << ((x >> 16) % 9);
		void **p = malloc(n);
		if (!p)
			abort();
		*p = (void *)i;
		if ((i & 63) == 0) {
			free(ring[head % RING]);
			ring[head++ % RING] = p;
		} else {
			free(p);
		}
	}
	for (unsigned k = 0; k < RING; k++)
		free(ring[k]);
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	for (long i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, run, (void *)(i + 1));
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}

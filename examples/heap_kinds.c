/* Known contents in every kind of glibc free list, for checking a heap
 * walker chunk by chunk.  Each participating thread (the main thread and
 * --threads N workers, each in its own arena) leaves, with tcache_count 7:
 *   tcache: 7 x 32 B, 7 x 112 B, 7 x 208 B chunks
 *   fastbins: 3 x 32 B (fastbin 0), 13 x 112 B (fastbin 5)
 *   small bin 13: 3 x 208 B;  large bin 79: 4 x 2016 B;  unsorted: 2 x 1504 B
 * Every freed block has an in-use 32 B guard after it, so nothing merges.
 * --corrupt overwrites the size field of one in-use guard in the main
 * thread's heap with garbage after the checkpoint is set up.
 *
 * usage: heap_kinds [--threads N] [--corrupt] [--hold] [--step] [--malloc-info FILE]
 * phases: ready */
#include <pthread.h>
#include "example_common.h"

#define NA 10
#define NB 20
#define NC 10
#define ND 4
#define NE 2

static pthread_barrier_t done;

static void *guarded(size_t n, void ***guards, size_t *ng)
{
	/* written through volatile so that the compiler cannot drop a
	 * malloc/free pair */
	void *p = malloc(n);
	*(volatile char *)p = 1;
	(*guards)[(*ng)++] = malloc(24);
	return p;
}

static void *fill(void *arg)
{
	void *a[NA], *b[NB], *c[NC], *d[ND], *e[NE];
	static __thread void *gbuf[NA + NB + NC + ND + NE];
	void **g = gbuf;
	size_t ng = 0;
	for (int i = 0; i < NA; i++) a[i] = guarded(24, &g, &ng);
	for (int i = 0; i < NB; i++) b[i] = guarded(100, &g, &ng);
	for (int i = 0; i < NC; i++) c[i] = guarded(200, &g, &ng);
	for (int i = 0; i < ND; i++) d[i] = guarded(2000, &g, &ng);
	for (int i = 0; i < NE; i++) e[i] = guarded(1500, &g, &ng);
	for (int i = 0; i < NC; i++) free(c[i]);       /* 7 tcache, 3 unsorted */
	for (int i = 0; i < ND; i++) free(d[i]);       /* unsorted */
	void *big = malloc(3000);                      /* sorts unsorted into bins */
	*(volatile char *)big = 1;
	for (int i = 0; i < NE; i++) free(e[i]);       /* unsorted */
	for (int i = 0; i < NA; i++) free(a[i]);       /* 7 tcache, 3 fastbin 0 */
	for (int i = 0; i < NB; i++) free(b[i]);       /* 7 tcache, 13 fastbin 5 */
	if (arg) {
		/* the guard after the first 112 B block: its size field */
		size_t *guard = gbuf[NA];
		guard[-1] = 0x7ffffff0;
	}
	return NULL;
}

static void *worker(void *arg)
{
	(void)arg;
	fill(NULL);
	pthread_barrier_wait(&done);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long threads = 0;
	int corrupt = 0;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = ex_num(argv[++i], "threads");
		else if (!strcmp(argv[i], "--corrupt"))
			corrupt = 1;
		else {
			fprintf(stderr, "usage: heap_kinds [--threads N] [--corrupt] [--hold] [--step] [--malloc-info FILE]\n");
			return 2;
		}
	}
	if (threads > 64) {
		fprintf(stderr, "heap_kinds: --threads must be 0..64\n");
		return 2;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_barrier_init(&done, NULL, (unsigned)threads + 1);
	/* the workers first, so each finds a new arena; main fills its own
	 * heap after they are done */
	for (long t = 0; t < threads; t++) {
		pthread_t th;
		if (pthread_create(&th, NULL, worker, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	pthread_barrier_wait(&done);
	fill(corrupt ? &o : NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	ex_phase(&o, "ready", 1);
	return 0;
}

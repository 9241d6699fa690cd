/* A large VSZ and a small RSS: THREADS threads each make one small malloc
 * (a new arena each, up to the cap: 64 MiB of address space reserved per
 * arena heap) and idle on their 8 MiB stacks.  "VIRT 1.3 GB, RES 2 MB:
 * is it a leak?" -- no: address space, not memory.
 *
 * usage: vsz_threads [--threads N] [--hold] [--step] [--malloc-info FILE]
 * phases: idle */
#include <pthread.h>
#include "example_common.h"

static pthread_barrier_t ready;
static char *volatile sink;   /* keeps the compiler from dropping the malloc */

static void *worker(void *arg)
{
	(void)arg;
	char *p = malloc(100);
	if (p)
		memset(p, 1, 100);
	sink = p;
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return p;
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long n = 40;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			n = ex_num(argv[++i], "threads");
		else {
			fprintf(stderr, "usage: vsz_threads [--threads N] [--hold] [--step] [--malloc-info FILE]\n");
			return 2;
		}
	}
	if (n < 1 || n > 1000) {
		fprintf(stderr, "vsz_threads: --threads 1..1000\n");
		return 2;
	}
	ex_block_signals();
	pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
	for (long i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
		usleep(2000);   /* one at a time: each is new when it first allocates */
	}
	pthread_barrier_wait(&ready);
	ex_phase(&o, "idle", 1);
	return 0;
}

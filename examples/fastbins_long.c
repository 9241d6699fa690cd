/* One long fastbin list (trial 5, T5-10: a Perl process with 12 M fastbin
 * chunks took the arenas walk 295 s).  A thread mallocs COUNT blocks of
 * 40 B (48 B chunks), keeps one more block live (the arena's top stays
 * where it is), then frees them all -- in address order, or with
 * --shuffle in a random order (a fixed seed: the same list every run).
 * tcache_count=0 is not needed: the first 7 go to the thread's tcache,
 * the rest to fastbin 2 (no later large malloc, so no malloc_consolidate).
 * COUNT = 3,000,000 spreads the list over three 64 MiB heaps of the
 * thread's arena; shuffled, each next node lies in a random one of them.
 * With --main the main thread does it in the main arena.
 *
 * usage: fastbins_long [--count N] [--shuffle] [--main] [--hold] [--step]
 *                      [--malloc-info FILE]
 * phases: freed */
#include <pthread.h>
#include <sys/mman.h>
#include "example_common.h"

static long count = 1000000;
static int shuffle;

static void *work(void *arg)
{
	(void)arg;
	/* the pointer table from mmap: it stays out of the heaps under study */
	void **v = mmap(NULL, (size_t)count * sizeof *v, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED)
		exit(1);
	for (long i = 0; i < count; i++) {
		if (!(v[i] = malloc(40)))
			exit(1);
		memset(v[i], 1, 40);
	}
	void *pin = malloc(40);
	if (!pin)
		exit(1);
	if (shuffle) {
		srandom(1);
		for (long i = count - 1; i > 0; i--) {
			long j = random() % (i + 1);
			void *t = v[i];
			v[i] = v[j];
			v[j] = t;
		}
	}
	for (long i = 0; i < count; i++)
		free(v[i]);
	munmap(v, (size_t)count * sizeof *v);
	return NULL;
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	int in_main = 0;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = ex_num(argv[++i], "count");
		else if (!strcmp(argv[i], "--shuffle"))
			shuffle = 1;
		else if (!strcmp(argv[i], "--main"))
			in_main = 1;
		else {
			fprintf(stderr, "usage: fastbins_long [--count N] [--shuffle] [--main] [--hold] [--step] [--malloc-info FILE]\n");
			return 2;
		}
	}
	if (count < 1 || count > 100000000) {
		fprintf(stderr, "fastbins_long: --count 1..100000000\n");
		return 2;
	}
	ex_block_signals();
	if (in_main) {
		work(NULL);
	} else {
		pthread_t t;
		if (pthread_create(&t, NULL, work, NULL) != 0)
			return 1;
		pthread_join(t, NULL);
	}
	ex_phase(&o, "freed", 1);
	return 0;
}

/* One pin per thread arena (trial 3's pins12, smaller): N threads, each in
 * its own arena (a thread's first malloc gets a new arena while glibc is
 * under its cap of 8 x cores), allocate COUNT blocks of SIZE bytes, then
 * one 64-byte block above them, then free the COUNT blocks: every thread
 * arena keeps its freed memory below its one live block, and the pins
 * together hold all that malloc_trim(0) would return from thread arenas.
 * The threads stay (their arenas and pins with them).
 *
 * usage: arena_pins [--threads N] [--count N] [--size BYTES] [--hold] [--step]
 * prints "pin I ADDRESS" per thread (malloc's pointers), then the phase:
 * freed */
#include <pthread.h>
#include <sys/mman.h>
#include "example_common.h"

static long nthreads = 6, count = 20480, size = 1000;
static pthread_barrier_t freed;
static void *pins[64];

static void *worker(void *arg)
{
	long id = (long)arg;
	/* the block list from mmap: a malloc'd list of 160 KiB would be an
	 * mmapped chunk whose free raises glibc's thresholds */
	void **blk = mmap(NULL, (size_t)count * sizeof *blk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (blk == MAP_FAILED)
		_exit(1);
	for (long i = 0; i < count; i++) {
		blk[i] = malloc((size_t)size);
		if (!blk[i])
			_exit(1);
		memset(blk[i], (int)id, (size_t)size);
	}
	pins[id] = malloc(64);   /* the pin: above the blocks, below the top */
	if (!pins[id])
		_exit(1);
	memset(pins[id], 1, 64);
	for (long i = 0; i < count; i++)
		free(blk[i]);
	munmap(blk, (size_t)count * sizeof *blk);
	pthread_barrier_wait(&freed);
	for (;;)
		pause();   /* the thread stays: its arena and pin with it */
	return NULL;
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			nthreads = ex_num(argv[++i], "threads");
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = ex_num(argv[++i], "count");
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = ex_num(argv[++i], "size");
		else {
			fprintf(stderr, "usage: arena_pins [--threads N] [--count N] [--size BYTES] [--hold] [--step]\n");
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > 64 || count < 1 || size < 1 || size > (1 << 20)) {
		fprintf(stderr, "arena_pins: --threads 1..64, --count >= 1, --size 1..1048576\n");
		return 2;
	}
	ex_block_signals();
	pthread_barrier_init(&freed, NULL, (unsigned)nthreads + 1);
	for (long i = 0; i < nthreads; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, (void *)i) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	pthread_barrier_wait(&freed);
	for (long i = 0; i < nthreads; i++) {
		char line[80];
		snprintf(line, sizeof line, "pin %ld %p\n", i, pins[i]);
		ex_say(line);
	}
	ex_phase(&o, "freed", 1);
	return 0;
}

/* Arena explosion: more threads than glibc's arena cap, each allocating and
 * keeping memory, all alive at once.  Every new thread's first malloc gets
 * a new arena until the cap (8 x online CPUs on 64-bit, or
 * MALLOC_ARENA_MAX); after that threads share.  Each arena reserves 64 MiB
 * of address space for its heap.
 *
 * With --free, the threads run one after another and each frees its
 * blocks but the last, which pins them below its arena's top: freed
 * memory spread over many arenas (malloc_trim returns it; with
 * MALLOC_ARENA_MAX=2 the threads reuse each other's freed memory).
 *
 * --free-lists: each thread allocates its N blocks in eight sizes (32 B
 * to 208 B chunks) and frees every other one, in two rounds around a
 * larger request, so that its tcache is full, its fastbins and small bins
 * long and its unsorted bin holds the second round (the shape that makes
 * list checks expensive).
 *
 * usage: arena_explosion [--threads N] [--blocks N] [--size BYTES] [--free] [--free-lists]
 *                        [--hold] [--step] [--malloc-info FILE]
 * phases: started (before any thread exists), spread */
#include <pthread.h>
#include "example_common.h"

static long nblocks = 64, bsize = 4096;
static int free_them;
static int free_lists;

static void fill_lists(void)
{
	static const size_t sizes[8] = { 24, 40, 56, 72, 100, 200, 24, 40 };
	/* the pointer array from the thread's own arena, freed last */
	char **v = malloc((size_t)nblocks * sizeof *v);
	if (!v)
		return;
	for (long i = 0; i < nblocks; i++) {
		v[i] = malloc(sizes[i % 8]);
		if (v[i])
			memset(v[i], 1, sizes[i % 8]);
	}
	for (long i = 1; i < nblocks / 2; i += 2)
		free(v[i]);
	char *big = malloc(4000);   /* sorts the unsorted chunks into small bins */
	if (big)
		memset(big, 1, 4000);
	for (long i = nblocks / 2 + 1; i < nblocks; i += 2)
		free(v[i]);
}
static pthread_barrier_t started, done;
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cond = PTHREAD_COND_INITIALIZER;
static long turn;

/* --free: thread idx allocates, then frees all its blocks but the last. */
static void alloc_and_free(long idx)
{
	pthread_mutex_lock(&turn_lock);
	while (turn != idx)
		pthread_cond_wait(&turn_cond, &turn_lock);
	pthread_mutex_unlock(&turn_lock);
	char **v = calloc((size_t)nblocks, sizeof *v);
	for (long i = 0; v && i < nblocks; i++) {
		v[i] = malloc((size_t)bsize);
		if (v[i])
			memset(v[i], (int)idx, (size_t)bsize);
	}
	for (long i = 0; v && i + 1 < nblocks; i++)
		free(v[i]);
	pthread_mutex_lock(&turn_lock);
	turn++;
	pthread_cond_broadcast(&turn_cond);
	pthread_mutex_unlock(&turn_lock);
}

static void *run(void *arg)
{
	long idx = (long)arg;
	char name[16];
	snprintf(name, sizeof name, "spreader-%ld", idx);
	pthread_setname_np(pthread_self(), name);
	/* Wait until every thread exists, so that each is new when it first
	 * allocates (no thread exits and hands its arena on). */
	pthread_barrier_wait(&started);
	if (free_them)
		alloc_and_free(idx);
	for (long i = 0; !free_them && !free_lists && i < nblocks; i++) {
		char *p = malloc((size_t)bsize);
		if (p)
			memset(p, (int)idx, (size_t)bsize);
	}
	if (free_lists)
		fill_lists();
	pthread_barrier_wait(&done);
	/* stay alive, holding the blocks, until the process exits */
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long threads = 64;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = ex_num(argv[++i], "threads");
		else if (!strcmp(argv[i], "--blocks") && i + 1 < argc)
			nblocks = ex_num(argv[++i], "blocks");
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			bsize = ex_num(argv[++i], "size");
		else if (!strcmp(argv[i], "--free"))
			free_them = 1;
		else if (!strcmp(argv[i], "--free-lists"))
			free_lists = 1;
		else {
			fprintf(stderr, "usage: arena_explosion [--threads N] [--blocks N] [--size BYTES] [--free] [--free-lists] [--hold] [--step] [--malloc-info FILE]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 4096) {
		fprintf(stderr, "arena_explosion: --threads must be 1..4096\n");
		return 2;
	}
	ex_block_signals();
	ex_phase(&o, "started", 0);
	pthread_barrier_init(&started, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&done, NULL, (unsigned)threads + 1);
	for (long t = 0; t < threads; t++) {
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setstacksize(&at, 256 * 1024);
		if (pthread_create(&th, &at, run, (void *)t) != 0) {
			perror("pthread_create");
			return 1;
		}
		pthread_attr_destroy(&at);
	}
	pthread_barrier_wait(&started);
	pthread_barrier_wait(&done);
	ex_phase(&o, "spread", 1);
	return 0;
}

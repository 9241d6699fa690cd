/* Freed memory kept below chunks the thread's tcache holds (trial 4 F-B).
 * One live 100-byte block, then MIB MiB of 1000-byte blocks, all freed in
 * reverse order: the first 7 frees (the highest addresses, right below the
 * top) go to the thread's tcache (glibc.malloc.tcache_count, 7 by
 * default), the others to the heap, where they merge into one free chunk
 * below the cached ones.  tcache_put leaves a cached chunk marked in use
 * in the heap, so a heap walk that does not subtract the tcache sees 7
 * "live" chunks pinning the free chunk; the program holds none of them.
 * malloc_trim(0) returns the free chunk's pages (the tcache stays); with
 * GLIBC_TUNABLES=glibc.malloc.tcache_count=0 every free reaches the heap,
 * the chunks merge into the top and free() trims it.
 *
 * usage: tcache_hold [--mib MiB] [--hold] [--step]
 * phases: held */
#include <sys/mman.h>
#include "example_common.h"

#define BLOCK 1000

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long mib = 16;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--mib") && i + 1 < argc)
			mib = ex_num(argv[++i], "mib");
		else {
			fprintf(stderr, "usage: tcache_hold [--mib MiB] [--hold] [--step]\n");
			return 2;
		}
	}
	if (mib < 1 || mib > 1024) {
		fprintf(stderr, "tcache_hold: --mib 1..1024\n");
		return 2;
	}
	char *live = malloc(100);
	if (!live)
		return 1;
	memset(live, 1, 100);
	long n = (mib << 20) / BLOCK;
	/* the list from mmap: it stays out of the heap under study */
	void **v = mmap(NULL, (size_t)n * sizeof *v, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED)
		return 1;
	for (long i = 0; i < n; i++) {
		v[i] = malloc(BLOCK);
		if (!v[i])
			return 1;
		memset(v[i], 3, BLOCK);
	}
	for (long i = n; i-- > 0;)
		free(v[i]);
	munmap(v, (size_t)n * sizeof *v);
	ex_phase(&o, "held", 1);
	free(live);
	return 0;
}

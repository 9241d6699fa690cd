/* The case study's experiment: "1 byte pins 500 MiB".  Allocate COUNT
 * blocks of SIZE bytes, then one 1-byte block above them at the top of the
 * main heap, then free the COUNT blocks.  glibc can only return memory from
 * the top of the heap, so the freed blocks stay in the process until
 * malloc_trim(0) madvises their pages away.
 *
 * usage: pin [--count N] [--size BYTES] [--no-pin] [--trim] [--linger S]
 *            [--hold] [--step] [--malloc-info FILE]
 * --linger S: stay S seconds before exiting (a tracer that symbolises
 * after the fact, as bpftrace -c does, still finds the process). 
 * phases: allocated, pinned, freed[, trimmed] */
#include <pthread.h>
#include <sys/mman.h>
#include "example_common.h"

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long count = 500000, size = 1024;
	int pin = 1, trim = 0;
	long linger = 0;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = ex_num(argv[++i], "count");
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = ex_num(argv[++i], "size");
		else if (!strcmp(argv[i], "--no-pin"))
			pin = 0;
		else if (!strcmp(argv[i], "--trim"))
			trim = 1;
		else if (!strcmp(argv[i], "--linger") && i + 1 < argc)
			linger = ex_num(argv[++i], "linger");
		else {
			fprintf(stderr, "usage: pin [--count N] [--size BYTES] [--no-pin] [--trim] [--linger S] [--hold] [--step] [--malloc-info FILE]\n");
			return 2;
		}
	}
	/* The pointer array comes from mmap, not malloc: only the blocks
	 * themselves are on the heap under study. */
	char **blocks = mmap(NULL, (size_t)count * sizeof *blocks + 1, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (blocks == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (long i = 0; i < count; i++) {
		blocks[i] = malloc((size_t)size);
		if (!blocks[i]) {
			perror("malloc");
			return 1;
		}
		memset(blocks[i], 0x5a, (size_t)size);   /* make the pages resident */
	}
	ex_phase(&o, "allocated", 0);
	char *pinned = NULL;
	if (pin) {
		pinned = malloc(1);
		*(volatile char *)pinned = 1;
	}
	ex_phase(&o, "pinned", 0);
	for (long i = 0; i < count; i++)
		free(blocks[i]);
	ex_phase(&o, "freed", !trim);
	if (trim) {
		malloc_trim(0);
		ex_phase(&o, "trimmed", 1);
	}
	free(pinned);
	munmap(blocks, (size_t)count * sizeof *blocks + 1);
	if (linger > 0)
		sleep((unsigned)linger);
	return 0;
}

/* The case study's experiment: "1 byte pins 500 MiB".  Allocate COUNT
 * blocks of SIZE bytes, then one 1-byte block above them at the top of the
 * main heap, then free the COUNT blocks.  glibc can only return memory from
 * the top of the heap, so the freed blocks stay in the process until
 * malloc_trim(0) madvises their pages away.
 *
 * usage: pin [--count N] [--size BYTES] [--no-pin] [--trim] [--linger S]
 *            [--keep-every K --tail N] [--pin-size BYTES] [--unpin]
 *            [--hold] [--step] [--malloc-info FILE]
 * --linger S: stay S seconds before exiting (a tracer that symbolises
 * after the fact, as bpftrace -c does, still finds the process).
 * --keep-every K --tail N: keep one block in K live, except among the last
 * N blocks, which are all freed: the pin then pins only those N blocks,
 * and the rest of the free memory lies below other live blocks (trial 5
 * T5-4: moving the pin returns what it pins, not all that trim returns).
 * --pin-size: the pinning block's size (above glibc's tcache limit, 1032
 * bytes, its free reaches the heap and merges into the top).
 * --unpin: after "freed", free the pinning block: free() shrinks the heap
 * down to the next live block (phase unpinned, rss_kb the oracle).
 * phases: allocated, pinned, freed[, trimmed][, unpinned] */
#include <pthread.h>
#include <sys/mman.h>
#include "example_common.h"

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long count = 500000, size = 1024;
	int pin = 1, trim = 0, unpin = 0;
	long linger = 0, keep_every = 0, tail = -1, pin_size = 1;
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
		else if (!strcmp(argv[i], "--keep-every") && i + 1 < argc)
			keep_every = ex_num(argv[++i], "keep-every");
		else if (!strcmp(argv[i], "--tail") && i + 1 < argc)
			tail = ex_num(argv[++i], "tail");
		else if (!strcmp(argv[i], "--pin-size") && i + 1 < argc)
			pin_size = ex_num(argv[++i], "pin-size");
		else if (!strcmp(argv[i], "--unpin"))
			unpin = 1;
		else {
			fprintf(stderr, "usage: pin [--count N] [--size BYTES] [--no-pin] [--trim] [--linger S] [--keep-every K "
				"--tail N] [--pin-size BYTES] [--unpin] [--hold] [--step] [--malloc-info FILE]\n");
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
		if (pin_size > 1)
			pinned = malloc((size_t)pin_size);
		else
			pinned = malloc(1);
		*(volatile char *)pinned = 1;
	}
	ex_phase(&o, "pinned", 0);
	if (tail < 0 || tail > count)
		tail = count;
	for (long i = 0; i < count; i++)
		if (keep_every < 2 || i >= count - tail || i % keep_every)
			free(blocks[i]);
	ex_phase(&o, "freed", !trim && !unpin);
	if (trim) {
		malloc_trim(0);
		ex_phase(&o, "trimmed", !unpin);
	}
	if (unpin) {
		free(pinned);
		pinned = NULL;
		ex_phase(&o, "unpinned", 1);
	}
	free(pinned);
	munmap(blocks, (size_t)count * sizeof *blocks + 1);
	if (linger > 0)
		sleep((unsigned)linger);
	return 0;
}

/* Live blocks whose pages were never written: the zlib case (deflateInit2
 * mallocs ~256 KiB of window and hash tables and a short stream touches a
 * few pages of it).  COUNT blocks of SIZE bytes, kept live, each written
 * only in its first TOUCH bytes: glibc holds COUNT x SIZE in use, and the
 * RSS holds only the written pages -- an in-use cause is its resident part.
 * SIZE stays below the mmap threshold, so the blocks are in the main heap.
 *
 * usage: untouched [--count N] [--size BYTES] [--touch BYTES] [--hold] [--step]
 *                  [--malloc-info FILE]
 * phases: held */
#include <sys/mman.h>
#include "example_common.h"

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long count = 512, size = 96 * 1024, touch = 4096;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = ex_num(argv[++i], "count");
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = ex_num(argv[++i], "size");
		else if (!strcmp(argv[i], "--touch") && i + 1 < argc)
			touch = ex_num(argv[++i], "touch");
		else {
			fprintf(stderr, "usage: untouched [--count N] [--size BYTES] [--touch BYTES] [--hold] [--step] "
				"[--malloc-info FILE]\n");
			return 2;
		}
	}
	if (count < 1 || size < 16 || touch > size) {
		fprintf(stderr, "untouched: --count >= 1, --size >= 16, --touch <= --size\n");
		return 2;
	}
	/* the pointer array from mmap: only the blocks are on the heap */
	char **blocks = mmap(NULL, (size_t)count * sizeof *blocks, PROT_READ | PROT_WRITE,
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
		memset(blocks[i], 0x5a, (size_t)touch);
	}
	ex_phase(&o, "held", 1);
	for (long i = 0; i < count; i++)
		free(blocks[i]);
	munmap(blocks, (size_t)count * sizeof *blocks);
	return 0;
}

/* Free memory kept at the main heap's top by the dynamic trim threshold
 * (trial 3: PHP with USE_ZEND_ALLOC=0 after freeing a 30 MiB string).
 * Free a 30 MiB block (mmapped: glibc then raises mmap_threshold to its
 * size and trim_threshold to twice that, about 60 MiB); then, on the main
 * heap, allocate PINNED MiB of 1000-byte blocks, one 64-byte block above
 * them and TOP MiB of 1000-byte blocks above that, and free all but the
 * 64-byte one.  The TOP MiB join the heap's top and stay: free() trims the
 * main heap only when its top reaches trim_threshold.  The PINNED MiB stay
 * below the live block whatever the thresholds.  With fixed thresholds
 * (GLIBC_TUNABLES=glibc.malloc.trim_threshold=131072:
 * glibc.malloc.mmap_threshold=131072) the top is returned at free.
 *
 * usage: main_top_kept [--first MiB] [--top MiB] [--pinned MiB] [--hold] [--step]
 * phases: kept */
#include <sys/mman.h>
#include "example_common.h"

#define BLOCK 1000

static void **blocks(long n)
{
	/* the lists from mmap: they stay out of the heap under study */
	void **v = mmap(NULL, (size_t)n * sizeof *v, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v == MAP_FAILED)
		_exit(1);
	for (long i = 0; i < n; i++) {
		v[i] = malloc(BLOCK);
		if (!v[i])
			_exit(1);
		memset(v[i], 1, BLOCK);
	}
	return v;
}

static void release(void **v, long n)
{
	for (long i = 0; i < n; i++)
		free(v[i]);
	munmap(v, (size_t)n * sizeof *v);
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long first = 30, top = 40, pinned = 8;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--first") && i + 1 < argc)
			first = ex_num(argv[++i], "first");
		else if (!strcmp(argv[i], "--top") && i + 1 < argc)
			top = ex_num(argv[++i], "top");
		else if (!strcmp(argv[i], "--pinned") && i + 1 < argc)
			pinned = ex_num(argv[++i], "pinned");
		else {
			fprintf(stderr, "usage: main_top_kept [--first MiB] [--top MiB] [--pinned MiB] [--hold] [--step]\n");
			return 2;
		}
	}
	if (first < 1 || first > 1024 || top < 1 || top > 1024 || pinned < 0 || pinned > 1024) {
		fprintf(stderr, "main_top_kept: --first and --top 1..1024 MiB, --pinned 0..1024 MiB\n");
		return 2;
	}
	char *big = malloc((size_t)first << 20);   /* mmapped: above the default mmap threshold */
	if (!big)
		return 1;
	memset(big, 1, (size_t)first << 20);
	free(big);                                  /* raises the thresholds */
	long np = (pinned << 20) / BLOCK, nt = (top << 20) / BLOCK;
	void **low = np ? blocks(np) : NULL;
	char *pin = malloc(64);
	if (!pin)
		return 1;
	memset(pin, 1, 64);
	void **high = blocks(nt);
	release(high, nt);   /* into the top, which stays below trim_threshold */
	if (low)
		release(low, np);   /* below the live block */
	ex_phase(&o, "kept", 1);
	free(pin);
	return 0;
}

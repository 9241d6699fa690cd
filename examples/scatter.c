/* Free memory fragmented below live blocks, no whole free page: N blocks
 * of 64 B, one in KEEP kept alive (a live block every ~3.8 KiB with the
 * defaults), so no page is ever wholly free and malloc_trim(0) returns
 * nothing -- though the top of the heap is free.  Trim, arena caps and
 * thresholds cannot help; separating lifetimes (a pool) can.
 *
 * usage: scatter [--blocks N] [--keep-one-in K] [--hold] [--step] [--malloc-info FILE]
 * phases: scattered */
#include "example_common.h"

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long n = 2000000, keep = 48;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--blocks") && i + 1 < argc)
			n = ex_num(argv[++i], "blocks");
		else if (!strcmp(argv[i], "--keep-one-in") && i + 1 < argc)
			keep = ex_num(argv[++i], "keep-one-in");
		else {
			fprintf(stderr, "usage: scatter [--blocks N] [--keep-one-in K] [--hold] [--step] [--malloc-info FILE]\n");
			return 2;
		}
	}
	if (n < 1 || n > 100000000 || keep < 2) {
		fprintf(stderr, "scatter: --blocks 1..100000000, --keep-one-in 2 or more\n");
		return 2;
	}
	if (ex_scatter(n, keep) < 0)
		return 1;
	ex_phase(&o, "scattered", 1);
	return 0;
}

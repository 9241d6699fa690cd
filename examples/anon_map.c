/* Memory outside glibc's heaps: MIB MiB of anonymous memory mapped with
 * mmap and written, the way another allocator or a runtime keeps its own
 * heap (PHP's Zend MM chunks, a JVM heap, a pool).  glibc's heaps hold
 * almost nothing: its settings cannot change this RSS.
 *
 * usage: anon_map [--mib N] [--hold] [--step]
 * phases: mapped */
#include <sys/mman.h>
#include "example_common.h"

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long mib = 64;
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--mib") && i + 1 < argc)
			mib = ex_num(argv[++i], "mib");
		else {
			fprintf(stderr, "usage: anon_map [--mib N] [--hold] [--step]\n");
			return 2;
		}
	}
	if (mib < 1 || mib > 65536) {
		fprintf(stderr, "anon_map: --mib 1..65536\n");
		return 2;
	}
	size_t len = (size_t)mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("anon_map: mmap");
		return 1;
	}
	memset(p, 1, len);   /* every page written: resident */
	ex_phase(&o, "mapped", 1);
	return 0;
}

/* Free memory kept at a thread arena's top by the dynamic trim threshold.
 * A worker thread frees a 20 MiB block (mmapped: glibc then raises
 * mmap_threshold to 20 MiB and trim_threshold to 40 MiB), then takes a
 * 16 MiB block from its own arena and frees it: the 16 MiB stay resident
 * at the arena's top -- heap_trim keeps a top below trim_threshold, and
 * malloc_trim(0) never shrinks a non-main arena's top.  With fixed
 * thresholds (GLIBC_TUNABLES=glibc.malloc.mmap_threshold=...:
 * glibc.malloc.trim_threshold=...) both blocks are mmapped and unmapped
 * at free, and the RSS drops.
 *
 * usage: top_kept [--first MiB] [--second MiB] [--hold] [--step] [--malloc-info FILE]
 * phases: kept */
#include <pthread.h>
#include "example_common.h"

static long first_mib = 20, second_mib = 16;
static struct ex_opts o;
static char *volatile keep;

static void *work(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "top-keeper");
	keep = malloc((size_t)first_mib << 20);
	if (keep)
		memset(keep, 1, (size_t)first_mib << 20);
	free(keep);
	keep = malloc((size_t)second_mib << 20);
	if (keep)
		memset(keep, 1, (size_t)second_mib << 20);
	free(keep);
	keep = NULL;
	/* Announced from the worker, whose arena holds the kept top. */
	ex_phase(&o, "kept", 1);
	return NULL;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--first") && i + 1 < argc)
			first_mib = ex_num(argv[++i], "first");
		else if (!strcmp(argv[i], "--second") && i + 1 < argc)
			second_mib = ex_num(argv[++i], "second");
		else {
			fprintf(stderr, "usage: top_kept [--first MiB] [--second MiB] [--hold] [--step] [--malloc-info FILE]\n");
			return 2;
		}
	}
	if (first_mib < 1 || first_mib > 1024 || second_mib < 1 || second_mib >= first_mib * 2) {
		fprintf(stderr, "top_kept: --first 1..1024 MiB, --second under twice --first\n");
		return 2;
	}
	pthread_t t;
	if (pthread_create(&t, NULL, work, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	pthread_join(t, NULL);
	return 0;
}

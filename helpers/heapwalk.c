/* heapwalk: walk a live process's glibc malloc heaps from outside (the same
 * walker as 'memsleuth arenas'), perf-tools style options.
 *
 * USAGE: heapwalk [-hbdjs] [-l N] [-V X.Y] [-N] -p PID
 *   -p PID   process to walk
 *   -b       dump every non-empty bin
 *   -d       dump chunks (address, size, kind), at most -l N (default 1000, 0 all)
 *   -j       JSON (docs/json/arenas.md)
 *   -s       freeze the target during the walk (ptrace), always resumed
 *   -V X.Y   assume glibc X.Y's layout
 *   -N       ignore libc debug symbols
 *   -h       this help */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "findings/allocator.h"
#include "findings/arenas.h"
#include "probe/procfs.h"
#include "report/arenasout.h"
#include "report/json.h"
#include "util/err.h"

static void usage(FILE *out)
{
	fprintf(out,
		"USAGE: heapwalk [-hbdjsN] [-l N] [-V X.Y] -p PID\n"
		"   -p PID   process to walk (glibc malloc heaps, read from outside)\n"
		"   -b       dump every non-empty bin per arena\n"
		"   -d       dump chunks: arena, address, size, kind\n"
		"   -l N     with -d: at most N chunks (default 1000, 0 = all)\n"
		"   -j       JSON output (docs/json/arenas.md)\n"
		"   -s       freeze the target during the walk (ptrace); always resumed\n"
		"   -V X.Y   assume glibc X.Y's struct layout\n"
		"   -N       ignore libc debug symbols (as MEMSLEUTH_NO_DEBUGINFO=1)\n"
		"   -h       this help\n"
		"  eg,\n"
		"       heapwalk -p 181        # arenas, free memory, trim prediction\n"
		"       heapwalk -d -l 50 -p 181  # the first 50 chunks\n");
}

static uint64_t limit = 1000, listed;

static int dump(void *arg, size_t arena, uint64_t addr, uint64_t size, unsigned flags, enum ms_chunk_kind kind)
{
	(void)arg;
	(void)flags;
	if (limit && listed >= limit)
		return 1;
	listed++;
	printf("%-3zu %#18" PRIx64 " %12" PRIu64 " %s\n", arena, addr, size, ms_chunk_kind_name(kind));
	return 0;
}

int main(int argc, char **argv)
{
	struct ms_arenas_opts o = { 0 };
	int bins = 0, chunks = 0, json = 0, c;
	pid_t pid = 0;
	struct ms_err e = { 0 };
	while ((c = getopt(argc, argv, "hbdjsNl:V:p:")) != -1) {
		switch (c) {
		case 'b': bins = 1; break;
		case 'd': chunks = 1; break;
		case 'j': json = 1; break;
		case 's': o.stop = 1; break;
		case 'N': ms_debuginfo_ignore(); break;   /* the switch every step shares */
		case 'V': o.assume_version = optarg; break;
		case 'l': limit = strtoull(optarg, NULL, 10); break;
		case 'p':
			if (ms_pid_parse(optarg, &pid, &e) < 0)
				ms_die("heapwalk", &e, 2);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!pid || optind != argc) {
		usage(stderr);
		return 2;
	}
	o.no_debuginfo = ms_debuginfo_ignored();   /* -N or the environment */
	if (chunks && !json) {
		o.on_chunk = dump;
		printf("ARENA %18s %12s KIND\n", "ADDRESS", "SIZE");
	}
	struct ms_arenas a;
	if (ms_arenas_collect(pid, &o, &a, &e) < 0)
		ms_die("heapwalk", &e, 2);
	int flags = MS_AOUT_HIST | (bins ? MS_AOUT_BINS : 0);
	if (json) {
		struct ms_json j;
		ms_json_init(&j, stdout);
		ms_json_obj_begin(&j);
		ms_arenas_json(&j, &a, flags);
		ms_json_obj_end(&j);
		ms_json_end(&j);
	} else {
		if (chunks)
			printf("\n");
		ms_arenas_print_text(stdout, &a, flags);
	}
	ms_arenas_free(&a);
	return 0;
}

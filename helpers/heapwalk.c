/* heapwalk: walk a live process's glibc malloc heaps from outside (the same
 * walker as 'memsleuth arenas'), perf-tools style: heapwalk -p PID.
 * Options: the one table of docs/cli.md (-s stop, -j, -N; --bins,
 * --chunks, --limit N and --assume-version X.Y have no letter). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "findings/allocator.h"
#include "findings/arenas.h"
#include "probe/procfs.h"
#include "report/arenasout.h"
#include "report/json.h"
#include "cli/args.h"
#include "util/err.h"

static const struct ms_optspec opts[] = {
	{ "bins",           MS_LONG('b'), NULL,  "dump every non-empty bin per arena" },
	{ "chunks",         MS_LONG('d'), NULL,  "dump chunks: arena, address, size, kind" },
	{ "limit",          MS_LONG('l'), "N",   "with --chunks: at most N chunks (default 1000, 0 = all)" },
	{ "json",           'j',          NULL,  "JSON output (docs/json/arenas.md)" },
	{ "stop",           's',          NULL,  "freeze the target during the walk (ptrace); always resumed" },
	{ "assume-version", MS_LONG('V'), "X.Y", "assume glibc X.Y's struct layout" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = "heapwalk", .usage = "[OPTIONS] -p PID", .opts = opts,
	.about = "Walk a process's glibc malloc heaps from outside: arenas, free memory, trim prediction.",
	.operands = MS_OPERAND_PID, .flags = MS_CLI_DEBUGINFO,
	.more = "Examples:\n"
		"  heapwalk -p 181                    # arenas, free memory, trim prediction\n"
		"  heapwalk --chunks --limit 50 -p 181  # the first 50 chunks\n",
};

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
	struct ms_err e = { 0 };
	struct ms_args cl;
	ms_args_begin(&cl, &cli, argc, argv);
	while ((c = ms_args_next(&cl)) != -1) {
		switch (c) {
		case MS_LONG('b'): bins = 1; break;
		case MS_LONG('d'): chunks = 1; break;
		case 'j': json = 1; break;
		case 's': o.stop = 1; break;
		case MS_LONG('V'): o.assume_version = cl.val; break;
		case MS_LONG('l'): limit = (uint64_t)ms_args_count(&cl, "--limit", cl.val, 0, LONG_MAX); break;
		}
	}
	pid_t pid = cl.pid;
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

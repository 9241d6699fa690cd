/* memsleuth arenas PID: what glibc's arenas hold, and what malloc_trim(0)
 * would give back, read from outside the process (ms_arenas_collect). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "findings/allocator.h"
#include "findings/arenas.h"
#include "findings/arenaverdict.h"
#include "findings/postmortem.h"
#include "probe/procfs.h"
#include "report/arenapins.h"
#include "report/arenasout.h"
#include "report/json.h"
#include "report/table.h"
#include "options.h"
#include "steps.h"
#include "util/err.h"

static const struct ms_optspec opts[] = {
	{ "json",           'j', NULL,  "machine-readable output (docs/json/arenas.md)" },
	{ "bins",           MS_LONG('b'), NULL, "every non-empty bin per arena (count, bytes, min, max)" },
	{ "lists",          MS_LONG('L'), NULL, "every free list as glibc links it (tcache per thread, fastbins,\n"
					       "unsorted, small, large): count, bytes, OK or CORRUPT and why" },
	{ "chunks",         MS_LONG('c'), NULL, "list chunks (address, size, kind, flag bits) in address order" },
	{ "address",        MS_LONG('A'), "ADDR", "the chunk holding ADDR: its address, size, state, flag bits and arena" },
	{ "hotspots",       MS_LONG('H'), "DIR", "name each pin's call site and thread from DIR, a hotspots recording of the\n"
					       "same process (hotspots --record-only --output DIR -- CMD)" },
	{ "limit",          MS_LONG('l'), "N", "with --chunks: at most N chunks (default 1000, 0 = all)" },
	{ "stop",           's', NULL,  "freeze the target (ptrace) for an exact snapshot; always resumed" },
	{ "assume-version", MS_LONG('a'), "X.Y", "use glibc X.Y's layout instead of the target libc's version" },
	{ "core",           MS_LONG('C'), "CORE", "read a core file (gcore, coredumpctl dump) instead of a process" },
	{ "exe",            MS_LONG('E'), "PATH", "with --core: the program the core is of (default: named by the core)" },
	{ "sysroot",        MS_LONG('R'), "DIR", "with --core: the root its files are under (default /; docs/postmortem.md)" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = "memsleuth arenas", .usage = "[OPTIONS] PID\n[OPTIONS] --core CORE [--exe PATH] [--sysroot DIR] [--address ADDR]", .opts = opts,
	.about = "What glibc's malloc arenas hold, and what malloc_trim(0) would give back.",
	.operands = MS_OPERAND_PID, .flags = MS_CLI_FAIL_ON | MS_CLI_DEBUGINFO,
};

struct chunk_list {
	uint64_t limit, n;
	int json, begun, list;
	struct ms_json *j;
	/* --address: the chunk holding it */
	int want, found;
	uint64_t address, addr, size;
	size_t arena;
	unsigned flags;
	enum ms_chunk_kind kind;
	struct ms_table t;   /* the text list, a stream of rows */
};

enum { CHUNK_ROWS = 256 };   /* rows held before they are printed */

/* The list opens the output: begun on the first chunk (or after the walk
 * when there is none), so that a failed collection prints nothing on
 * stdout. */
static void list_begin(struct chunk_list *l)
{
	if (l->begun)
		return;
	l->begun = 1;
	if (l->json) {
		ms_json_obj_begin(l->j);
		ms_json_key(l->j, "chunks");
		ms_json_arr_begin(l->j);
	} else {
		printf("chunks in address order:\n");
		ms_table_init(&l->t, "rrrll", (const char *[]){ "arena", "address", "size", "kind", "flag bits" });
		/* the widest values, so that later rows line up with the first ones */
		l->t.minw[1] = 18;
		l->t.minw[2] = 12;
		l->t.minw[3] = 8;
	}
}

static int on_chunk(void *arg, size_t arena, uint64_t addr, uint64_t size, unsigned flags, enum ms_chunk_kind kind)
{
	struct chunk_list *l = arg;
	char fl[48];
	if (l->want && !l->found && l->address >= addr && l->address - addr < size) {
		l->found = 1;
		l->addr = addr;
		l->size = size;
		l->arena = arena;
		l->flags = flags;
		l->kind = kind;
	}
	if (!l->list)
		return l->found;
	if (l->limit && l->n >= l->limit)
		return !l->want || l->found;
	list_begin(l);
	l->n++;
	if (l->json) {
		char hex[32];
		snprintf(hex, sizeof hex, "%#" PRIx64, addr);
		ms_json_obj_begin(l->j);
		ms_json_ku64(l->j, "arena", arena);
		ms_json_kstr(l->j, "address", hex);
		ms_json_ku64(l->j, "size_bytes", size);
		ms_json_kstr(l->j, "kind", ms_chunk_kind_name(kind));
		ms_json_kstr(l->j, "flags", ms_chunk_flags_str(flags, fl));
		ms_json_obj_end(l->j);
	} else {
		ms_table_rowf(&l->t, "%zu\t%#" PRIx64 "\t%" PRIu64 "\t%s\t%s", arena, addr, size, ms_chunk_kind_name(kind),
			      ms_chunk_flags_str(flags, fl));
		if (l->t.nrows >= CHUNK_ROWS)
			ms_table_flush(&l->t, stdout, "  ");
	}
	return 0;
}

/* --address: which chunk holds it, in the walk's terms. */
static void address_text(const struct chunk_list *l, const struct ms_arenas *a)
{
	char fl[48];
	if (!l->found) {
		for (size_t i = 0; i < a->nmmapped; i++)
			if (l->address >= a->mmapped[i].address && l->address - a->mmapped[i].address < a->mmapped[i].size) {
				printf("address %#" PRIx64 ": mmapped chunk at %#" PRIx64 " of %" PRIu64 " B (in use, flags IS_MMAPPED)\n\n",
				       l->address, a->mmapped[i].address, a->mmapped[i].size);
				return;
			}
		printf("address %#" PRIx64 ": not inside any chunk of the arenas' heaps nor any mmapped chunk found "
		       "(not malloc's memory)\n\n", l->address);
		return;
	}
	printf("address %#" PRIx64 ": %s chunk at %#" PRIx64 " of %" PRIu64 " B (user data from %#" PRIx64 ", offset %"
	       PRIu64 "), flags %s, arena %#" PRIx64 "%s\n\n", l->address, ms_chunk_kind_name(l->kind), l->addr, l->size,
	       l->addr + 16, l->address - l->addr - (l->address >= l->addr + 16 ? 16 : 0), ms_chunk_flags_str(l->flags, fl),
	       l->arena < a->n ? a->v[l->arena].address : 0, l->arena < a->n && a->v[l->arena].is_main ? " (main)" : "");
}

static void address_json(struct ms_json *j, const struct chunk_list *l, const struct ms_arenas *a)
{
	char hex[32], fl[48];
	ms_json_key(j, "address_lookup");
	ms_json_obj_begin(j);
	snprintf(hex, sizeof hex, "%#" PRIx64, l->address);
	ms_json_kstr(j, "address", hex);
	const struct ms_mmapped *mm = NULL;
	for (size_t i = 0; !l->found && i < a->nmmapped; i++)
		if (l->address >= a->mmapped[i].address && l->address - a->mmapped[i].address < a->mmapped[i].size)
			mm = &a->mmapped[i];
	ms_json_kbool(j, "found", l->found || mm);
	if (mm) {
		snprintf(hex, sizeof hex, "%#" PRIx64, mm->address);
		ms_json_kstr(j, "chunk", hex);
		ms_json_ku64(j, "size_bytes", mm->size);
		ms_json_kstr(j, "kind", "mmapped");
		ms_json_kstr(j, "flags", "IS_MMAPPED");
	}
	if (l->found) {
		snprintf(hex, sizeof hex, "%#" PRIx64, l->addr);
		ms_json_kstr(j, "chunk", hex);
		ms_json_ku64(j, "size_bytes", l->size);
		ms_json_kstr(j, "kind", ms_chunk_kind_name(l->kind));
		ms_json_kstr(j, "flags", ms_chunk_flags_str(l->flags, fl));
		snprintf(hex, sizeof hex, "%#" PRIx64, l->arena < a->n ? a->v[l->arena].address : 0);
		ms_json_kstr(j, "arena", hex);
	}
	ms_json_obj_end(j);
}

int cmd_arenas(int argc, char **argv)
{
	struct ms_arenas_opts o = { 0 };
	int json = 0, bins = 0, lists = 0, chunks = 0, c;
	const char *core = NULL, *exe = NULL, *sysroot = NULL;
	long limit = 1000;
	const char *address = NULL, *hotspots = NULL;
	struct ms_args args;
	ms_args_begin(&args, &cli, argc, argv);
	while ((c = ms_args_next(&args)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case MS_LONG('b'): bins = 1; break;
		case MS_LONG('L'): lists = 1; break;
		case MS_LONG('A'): address = args.val; break;
		case MS_LONG('c'): chunks = 1; break;
		case MS_LONG('H'): hotspots = args.val; break;
		case 's': o.stop = 1; break;
		case MS_LONG('a'): o.assume_version = args.val; break;
		case MS_LONG('C'): core = args.val; args.operands_optional = 1; break;
		case MS_LONG('E'): exe = args.val; break;
		case MS_LONG('R'): sysroot = args.val; break;
		case MS_LONG('l'): limit = ms_args_count(&args, "--limit", args.val, 0, LONG_MAX); break;
		}
	}
	o.no_debuginfo = ms_debuginfo_ignored();   /* the option or the environment */
	if (core && args.pid)
		ms_fatal("memsleuth arenas", "give either a PID or --core CORE", "--core with a PID");
	if (!core && (exe || sysroot))
		ms_fatal("memsleuth arenas", "use them with --core CORE", "--exe and --sysroot: only for a core");
	if (core && o.stop)
		ms_fatal("memsleuth arenas", "a core does not change: leave --stop out", "--stop with --core");
	struct ms_err e = { 0 };
	pid_t pid = args.pid;
	struct ms_json j;
	ms_json_init(&j, stdout);
	struct chunk_list cl = { .limit = (uint64_t)limit, .json = json, .j = &j, .list = chunks };
	if (address) {
		char *end;
		errno = 0;
		cl.address = strtoull(address, &end, 0);
		if (*end || errno || !address[0])
			ms_fatal("memsleuth arenas", "give an address such as 0x55d0c4a01010", "--address %s: not an address", address);
		cl.want = 1;
	}
	o.list_entries = lists;
	if (chunks || address) {
		o.on_chunk = on_chunk;
		o.on_chunk_arg = &cl;
	}
	struct ms_arenas a;
	if (core ? ms_postmortem_arenas(core, exe, sysroot, &o, &a, &e) < 0 : ms_arenas_collect(pid, &o, &a, &e) < 0)
		ms_die("memsleuth arenas", &e, MS_EXIT_ERROR);
	size_t pins = 0, named = 0;
	if (hotspots && ms_arenas_pin_sites(&a, hotspots, &pins, &named, &e) < 0) {
		ms_arenas_free(&a);
		ms_die("memsleuth arenas", &e, MS_EXIT_ERROR);
	}
	int flags = MS_AOUT_HIST | (bins ? MS_AOUT_BINS : 0) | (lists ? MS_AOUT_LISTS : 0);
	if (chunks)
		list_begin(&cl);
	if (json) {
		if (chunks)
			ms_json_arr_end(&j);
		else
			ms_json_obj_begin(&j);
		ms_arenas_json(&j, &a, flags);
		if (address)
			address_json(&j, &cl, &a);
		if (hotspots) {
			ms_json_key(&j, "pin_sites");
			ms_json_obj_begin(&j);
			ms_json_kstr(&j, "recording", hotspots);
			ms_json_ku64(&j, "pins", pins);
			ms_json_ku64(&j, "named", named);
			ms_json_obj_end(&j);
		}
		ms_json_obj_end(&j);
		ms_json_end(&j);
	} else {
		if (chunks) {
			ms_table_flush(&cl.t, stdout, "  ");
			ms_table_free(&cl.t);
			printf("  (%" PRIu64 " listed)\n\n", cl.n);
		}
		if (address)
			address_text(&cl, &a);
		if (hotspots && pins)   /* no pins: nothing to name */
			printf("call sites of the pins from the hotspots recording %s: %zu of %zu found live in it%s\n\n",
			       hotspots, named, pins, named < pins ? " (the others were allocated before it began, or in another process)" : "");
		ms_arenas_print_text(stdout, &a, flags);
	}
	struct ms_causes cs;
	struct ms_verdicts vs = { .n = 0 };
	ms_arenas_causes(&a, &cs);
	ms_arenas_verdicts(&a, &cs, &vs);
	ms_arenas_free(&a);
	/* --fail-on: the worst verdict printed (the causes' among them) */
	return ms_args_exit(&args, ms_verdicts_worst(&vs));
}

#include "report/coreview_report.h"

#include <inttypes.h>
#include <string.h>

#include "probe/remote.h"
#include "report/overview_report.h"
#include "report/table.h"
#include "util/size.h"

static const char *pct(uint64_t part, uint64_t whole, char buf[16])
{
	snprintf(buf, 16, "%.1f%%", whole ? 100.0 * (double)part / (double)whole : 0.0);
	return buf;
}

void ms_coreview_text(const struct ms_coreview *cv, FILE *out)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], p[16];
	const struct ms_core_info *ci = &cv->core;
	fprintf(out, "core of process %d (%s), written by %s", (int)ci->pid, ci->fname,
		ci->by_gdb ? "gdb's gcore" : "the kernel");
	if (ci->signal)
		fprintf(out, " on signal %d", ci->signal);
	fprintf(out, "; %zu threads, allocator %s", cv->threads, cv->allocator);
	if (cv->glibc_version[0])
		fprintf(out, " (glibc %s)", cv->glibc_version);
	fprintf(out, "\nin the core %s of %s mapped: %s\n", ms_size_fmt(cv->in_core, a), ms_size_fmt(cv->size, b),
		cv->residency == MS_RES_CORE_HOLES ? "pages that were present or swapped (never-touched pages are holes)"
		: "every page dumped (residency unknown: an upper bound)");
	fprintf(out, "\nwhere the memory lived (RSS is not in a core: bytes in the core instead):\n");
	struct ms_table t;
	ms_table_init(&t, "lrrrrl", (const char *[]){ "class", "maps", "size", "in core", "in core%", "what it is" });
	for (int k = 0; k < MS_CLASS_N; k++) {
		const struct ms_coreview_class *c = &cv->cls[k];
		char what[80];
		if (!c->mappings)
			continue;
		ms_table_rowf(&t, "%s\t%" PRIu64 "\t%s\t%s\t%s\t%s", ms_class_name((enum ms_class)k), c->mappings,
			      ms_size_fmt(c->size, a), ms_size_fmt(c->in_core, b), pct(c->in_core, cv->in_core, p),
			      ms_class_meaning_of((enum ms_class)k, cv->allocator, what, sizeof what));
	}
	ms_table_print(&t, out, "  ");
	ms_table_free(&t);
	fprintf(out, "\narenas: ");
	if (cv->arenas >= 0)
		fprintf(out, "%ld (main + %ld)", cv->arenas, cv->arenas - 1);
	else
		fprintf(out, "unknown");
	fprintf(out, "; %zu arena heaps; threads: %zu, stacks matched by their stack pointer: %zu\n",
		cv->arena_heaps, cv->threads, cv->stacks_owned);
	fprintf(out, "\n");
	ms_verdicts_text(&cv->verdicts, out);
}

void ms_coreview_json(const struct ms_coreview *cv, struct ms_json *j)
{
	const struct ms_core_info *ci = &cv->core;
	ms_json_obj_begin(j);
	ms_json_kstr(j, "step", "overview");
	ms_json_kstr(j, "source", "core");
	ms_json_ki64(j, "pid", ci->pid);
	ms_json_kstr(j, "name", ci->fname);
	ms_json_kstr(j, "command", ci->psargs[0] ? ci->psargs : NULL);   /* NT_PRPSINFO: cut at 80 bytes */
	ms_json_kstr(j, "written_by", ci->by_gdb ? "gcore" : "kernel");
	ms_json_ki64(j, "signal", ci->signal);
	ms_json_key(j, "rss_bytes");
	ms_json_null(j);
	ms_json_kstr(j, "residency", ms_residency_name(cv->residency));
	ms_json_ku64(j, "core_file_bytes", ci->file_bytes);
	ms_json_ku64(j, "mapped_bytes", cv->size);
	ms_json_ku64(j, "in_core_bytes", cv->in_core);
	ms_json_ku64(j, "malloc_in_core_bytes", cv->malloc_in_core);
	ms_json_kbool(j, "partial", cv->missing[0] != 0);
	ms_json_kstr(j, "missing", cv->missing[0] ? cv->missing : NULL);
	ms_json_key(j, "classes");
	ms_json_arr_begin(j);
	for (int k = 0; k < MS_CLASS_N; k++) {
		ms_json_obj_begin(j);
		ms_json_kstr(j, "class", ms_class_name((enum ms_class)k));
		ms_json_ku64(j, "mappings", cv->cls[k].mappings);
		ms_json_ku64(j, "size_bytes", cv->cls[k].size);
		ms_json_ku64(j, "in_core_bytes", cv->cls[k].in_core);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	ms_json_kstr(j, "allocator", cv->allocator);
	ms_json_kstr(j, "glibc_version", cv->glibc_version[0] ? cv->glibc_version : NULL);
	ms_json_kstr(j, "libc_error", cv->libc_error[0] ? cv->libc_error : NULL);
	ms_json_ku64(j, "arena_heaps", cv->arena_heaps);
	ms_json_key(j, "arenas");
	if (cv->arenas >= 0)
		ms_json_i64(j, cv->arenas);
	else
		ms_json_null(j);
	ms_json_ku64(j, "threads", cv->threads);
	ms_json_ku64(j, "stacks_matched", cv->stacks_owned);
	ms_json_key(j, "stacks");
	ms_json_arr_begin(j);
	for (int i = 0; i < cv->nstacks; i++) {
		ms_json_obj_begin(j);
		ms_json_ki64(j, "tid", cv->stacks[i].tid);
		ms_json_ku64(j, "size_bytes", cv->stacks[i].size);
		ms_json_ku64(j, "in_core_bytes", cv->stacks[i].in_core);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	ms_verdicts_json(&cv->verdicts, j);
	ms_json_obj_end(j);
	ms_json_end(j);
}

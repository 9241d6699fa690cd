#include "report/overview_report.h"

#include <inttypes.h>

#include "report/causes_report.h"
#include "report/table.h"
#include "util/size.h"

static const char *pct(uint64_t part, uint64_t whole, char buf[16])
{
	if (!whole)
		snprintf(buf, 16, "-");
	else
		snprintf(buf, 16, "%.1f%%", 100.0 * (double)part / (double)whole);
	return buf;
}

void ms_overview_text(const struct ms_overview *ov, FILE *out)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF], d[MS_SIZE_BUF], p[16];
	const struct ms_status *st = &ov->status;
	fprintf(out, "process %d (%s)", (int)ov->pid, st->name);
	if (st->nspid_n > 1)
		fprintf(out, ", PID %d in its own namespace", (int)st->nspid[st->nspid_n - 1]);
	fprintf(out, ", %zu threads, allocator %s", ov->threads, ms_allocator_name(ov->libc.allocator));
	if (ov->libc.elf.glibc_version[0])
		fprintf(out, " (glibc %s)", ov->libc.elf.glibc_version);
	fprintf(out, "\n");
	fprintf(out, "RSS %s = anon %s + file %s + shmem %s; swap %s",
		ms_size_fmt(ov->rss, a), ms_size_fmt(st->rss_anon, b), ms_size_fmt(st->rss_file, c),
		ms_size_fmt(st->rss_shmem, d), ms_size_fmt(st->vm_swap, (char[MS_SIZE_BUF]){0}));
	if (ov->rollup_ok)
		fprintf(out, "; Pss %s", ms_size_fmt(ov->rollup.pss, a));
	fprintf(out, "; peak RSS (VmHWM) %s\n", ms_size_fmt(st->vm_hwm, a));
	/* The number people quote ("VIRT 3 GB"): what reserves it, by class. */
	fprintf(out, "VSZ %s =", ms_size_fmt(st->vm_size, a));
	int first = 1;
	uint64_t rest = st->vm_size;
	for (int k = 0; k < MS_CLASS_N; k++)
		if (ov->cls[k].size >= (1u << 20) && ov->cls[k].size <= rest) {
			fprintf(out, "%s %s %s", first ? "" : " +", ms_class_name((enum ms_class)k), ms_size_fmt(ov->cls[k].size, a));
			rest -= ov->cls[k].size;
			first = 0;
		}
	if (rest)
		fprintf(out, "%s%s %s", first ? "" : " +", first ? " small mappings" : " smaller", ms_size_fmt(rest, a));
	fprintf(out, " (address space; only the RSS is memory)\n");
	if (ov->cg_ok) {
		if (ov->cg.limit == MS_CG_UNLIMITED)
			fprintf(out, "cgroup v%d %s: no memory limit\n", ov->cg.version, ov->cg.path);
		else
			fprintf(out, "cgroup v%d %s: limit %s (set at %s), usage %s\n", ov->cg.version,
				ov->cg.path, ms_size_fmt(ov->cg.limit, a), ov->cg.limit_from,
				ov->cg.usage_known ? ms_size_fmt(ov->cg.usage, b) : "unknown");
	}
	fprintf(out, "\nwhere the RSS lives:\n");
	struct ms_table t;
	ms_table_init(&t, "lrrrrrl", (const char *[]){ "class", "maps", "size", "rss", "rss%", "priv dirty", "what it is" });
	for (int k = 0; k < MS_CLASS_N; k++) {
		const struct ms_class_total *ct = &ov->cls[k];
		if (!ct->mappings)
			continue;
		char what[80];
		ms_table_rowf(&t, "%s\t%" PRIu64 "\t%s\t%s\t%s\t%s\t%s", ms_class_name((enum ms_class)k),
			      ct->mappings, ms_size_fmt(ct->size, a), ms_size_fmt(ct->rss, b),
			      pct(ct->rss, ov->class_rss_sum, p), ms_size_fmt(ct->private_dirty, c),
			      ms_class_meaning_of((enum ms_class)k, ms_allocator_name(ov->libc.allocator), what, sizeof what));
	}
	ms_table_print(&t, out, "  ");
	ms_table_free(&t);
	const struct ms_class_total *rec = &ov->cls[MS_CLASS_RECORDER];
	if (rec->mappings)   /* run under hotspots -- CMD or the guide */
		fprintf(out, "  %s of the RSS is memsleuth's own recorder (its buffer files %s, counters page and "
			"hook library), not the program's\n", ms_size_fmt(rec->rss, a),
			ms_size_fmt(ov->recorder_buffer_rss, b));

	fprintf(out, "\n");
	if (ms_allocator_is_glibc(ov->libc.allocator)) {   /* arenas and their cap are glibc's */
		fprintf(out, "arenas: ");
		if (ov->arenas >= 0)
			fprintf(out, "%ld (main + %ld)", ov->arenas, ov->arenas - 1);
		else
			fprintf(out, "unknown");
		fprintf(out, ", cap %lu (%s); %zu arena heaps%s, %s reserved, %s resident\n", ov->cap.cap,
			ov->cap.source, ov->arena_heaps,
			ov->arena_heaps && !ov->arena_heaps_verified ? " (by shape only: memory not readable)" : "",
			ms_size_fmt(ov->arena_reserved, a), ms_size_fmt(ov->arena_rss, b));
	}
	fprintf(out, "threads: %zu, stacks matched to their thread by its stack pointer: %zu\n",
		ov->threads, ov->stacks_owned);
	if (ov->nstacks) {
		fprintf(out, "largest thread stacks by RSS:");
		for (int i = 0; i < ov->nstacks && i < 4; i++)
			fprintf(out, "%s %d (%s) %s", i ? "," : "", (int)ov->stacks[i].tid, ov->stacks[i].name,
				ms_size_fmt(ov->stacks[i].rss, a));
		fprintf(out, "\n");
	}
	if (ov->nfiles) {
		fprintf(out, "largest files by RSS:");
		for (int i = 0; i < ov->nfiles && i < 4; i++)
			fprintf(out, "%s %s %s", i ? "," : "", ov->files[i].path, ms_size_fmt(ov->files[i].rss, a));
		fprintf(out, "\n");
	}
	if (ov->has_accounted)
		fprintf(out, "accounted by the application: %s; gap %s\n", ms_size_fmt(ov->accounted, a),
			ov->rss > ov->accounted ? ms_size_fmt(ov->rss - ov->accounted, b) : "none");
	fprintf(out, "\n");
	ms_causes_text(&ov->causes, out);
	fprintf(out, "\n");
	ms_verdicts_text(&ov->verdicts, out);
}

void ms_overview_json(const struct ms_overview *ov, struct ms_json *j)
{
	const struct ms_status *st = &ov->status;
	ms_json_obj_begin(j);
	ms_json_kstr(j, "step", "overview");
	ms_json_ki64(j, "pid", ov->pid);
	ms_json_kstr(j, "name", st->name);
	if (st->nspid_n > 1)
		ms_json_ki64(j, "ns_pid", st->nspid[st->nspid_n - 1]);
	ms_json_ku64(j, "rss_bytes", ov->rss);
	ms_json_ku64(j, "rss_anon_bytes", st->rss_anon);
	ms_json_ku64(j, "rss_file_bytes", st->rss_file);
	ms_json_ku64(j, "rss_shmem_bytes", st->rss_shmem);
	ms_json_ku64(j, "swap_bytes", st->vm_swap);
	ms_json_ku64(j, "hwm_bytes", st->vm_hwm);
	ms_json_ku64(j, "vsize_bytes", st->vm_size);
	if (ov->rollup_ok) {
		ms_json_ku64(j, "pss_bytes", ov->rollup.pss);
		ms_json_ku64(j, "rollup_rss_bytes", ov->rollup.rss);
	}
	ms_json_ku64(j, "class_rss_sum_bytes", ov->class_rss_sum);
	ms_json_ku64(j, "recorder_buffer_rss_bytes", ov->recorder_buffer_rss);
	ms_json_kstr(j, "shmem_largest_path", ov->shmem_largest[0] ? ov->shmem_largest : NULL);
	ms_json_ku64(j, "shmem_largest_rss_bytes", ov->shmem_largest_rss);
	ms_json_key(j, "classes");
	ms_json_arr_begin(j);
	for (int k = 0; k < MS_CLASS_N; k++) {
		const struct ms_class_total *ct = &ov->cls[k];
		ms_json_obj_begin(j);
		ms_json_kstr(j, "class", ms_class_name((enum ms_class)k));
		ms_json_ku64(j, "mappings", ct->mappings);
		ms_json_ku64(j, "size_bytes", ct->size);
		ms_json_ku64(j, "rss_bytes", ct->rss);
		ms_json_ku64(j, "pss_bytes", ct->pss);
		ms_json_ku64(j, "private_dirty_bytes", ct->private_dirty);
		ms_json_ku64(j, "swap_bytes", ct->swap);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	ms_json_ku64(j, "malloc_rss_bytes", ms_overview_malloc_rss(ov));
	ms_json_kstr(j, "allocator", ms_allocator_name(ov->libc.allocator));
	ms_json_kstr(j, "glibc_version", ov->libc.elf.glibc_version[0] ? ov->libc.elf.glibc_version : NULL);
	ms_json_kstr(j, "libc_read_as", ov->libc.libc_found ? ov->libc.libc_file : NULL);
	ms_json_kstr(j, "libc_debuginfo", ov->libc.has_debuginfo ? ov->libc.debuginfo : NULL);
	ms_json_kbool(j, "debuginfo_ignored", ov->libc.debuginfo_ignored);
	ms_json_kbool(j, "memory_readable", ov->memory_readable);
	ms_json_ku64(j, "arena_heaps", ov->arena_heaps);
	ms_json_kbool(j, "arena_heaps_verified", ov->arena_heaps_verified);
	ms_json_key(j, "arenas");
	if (ov->arenas >= 0)
		ms_json_i64(j, ov->arenas);
	else
		ms_json_null(j);
	ms_json_key(j, "arena_cap");
	if (ov->cap.cap)
		ms_json_u64(j, ov->cap.cap);
	else
		ms_json_null(j);
	ms_json_kstr(j, "arena_cap_source", ov->cap.cap ? ov->cap.source : NULL);
	ms_json_key(j, "allocator_env");
	if (ov->alloc_env.known) {
		ms_json_arr_begin(j);
		for (int i = 0; i < ov->alloc_env.n; i++)
			ms_json_str(j, ov->alloc_env.kv[i]);
		ms_json_arr_end(j);
	} else {
		ms_json_null(j);
	}
	ms_json_ki64(j, "cpus", ov->cpus);
	ms_json_ku64(j, "arena_reserved_bytes", ov->arena_reserved);
	ms_json_ku64(j, "arena_rss_bytes", ov->arena_rss);
	ms_json_ku64(j, "threads", ov->threads);
	ms_json_ku64(j, "stacks_matched", ov->stacks_owned);
	ms_json_key(j, "top_stacks");
	ms_json_arr_begin(j);
	for (int i = 0; i < ov->nstacks; i++) {
		ms_json_obj_begin(j);
		ms_json_ki64(j, "tid", ov->stacks[i].tid);
		ms_json_kstr(j, "name", ov->stacks[i].name);
		ms_json_ku64(j, "size_bytes", ov->stacks[i].size);
		ms_json_ku64(j, "rss_bytes", ov->stacks[i].rss);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	ms_json_key(j, "top_files");
	ms_json_arr_begin(j);
	for (int i = 0; i < ov->nfiles; i++) {
		ms_json_obj_begin(j);
		ms_json_kstr(j, "path", ov->files[i].path);
		ms_json_ku64(j, "rss_bytes", ov->files[i].rss);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
	ms_json_key(j, "cgroup");
	if (ov->cg_ok) {
		ms_json_obj_begin(j);
		ms_json_ki64(j, "version", ov->cg.version);
		ms_json_kstr(j, "path", ov->cg.path);
		ms_json_key(j, "limit_bytes");
		if (ov->cg.limit == MS_CG_UNLIMITED)
			ms_json_null(j);
		else
			ms_json_u64(j, ov->cg.limit);
		ms_json_kstr(j, "limit_from", ov->cg.limit_from);
		ms_json_ku64(j, "usage_bytes", ov->cg.usage);
		ms_json_obj_end(j);
	} else {
		ms_json_null(j);
	}
	ms_json_kstr(j, "runtime", ov->runtime ? ms_runtime_id(ov->runtime) : NULL);
	ms_json_ku64(j, "as_limit_bytes", ov->as_limit);
	ms_json_ku64(j, "anon_other_largest_size_bytes", ov->anon_largest_size);
	ms_json_ku64(j, "anon_other_largest_rss_bytes", ov->anon_largest_rss);
	ms_json_ku64(j, "anon_other_2m_chunks", ov->anon_2m_chunks);
	ms_json_ku64(j, "anon_other_2m_rss_bytes", ov->anon_2m_rss);
	ms_json_key(j, "jvm");
	if (ov->is_jvm) {
		ms_json_obj_begin(j);
		ms_json_kstr(j, "java_home", ov->java_home);
		ms_json_kstr(j, "version", ov->jdk_version[0] ? ov->jdk_version : NULL);
		ms_json_key(j, "trim_native_heap");
		if (ov->jdk_has_trim < 0)
			ms_json_null(j);
		else
			ms_json_bool(j, ov->jdk_has_trim);
		ms_json_kbool(j, "nmt", ov->jdk_nmt);
		ms_json_obj_end(j);
	} else {
		ms_json_null(j);
	}
	if (ov->has_accounted) {
		ms_json_ku64(j, "accounted_bytes", ov->accounted);
		ms_json_ku64(j, "gap_bytes", ov->rss > ov->accounted ? ov->rss - ov->accounted : 0);
	}
	ms_causes_json(&ov->causes, j);
	ms_verdicts_json(&ov->verdicts, j);
	ms_json_obj_end(j);
	ms_json_end(j);
}

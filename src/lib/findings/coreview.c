#include "findings/coreview.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/arenaheaps.h"
#include "findings/corelibc.h"
#include "probe/resmap.h"
#include "probe/tasks.h"
#include "records/maps.h"
#include "util/size.h"

#define MAX_THREADS 100000

/* Bytes of [start, end) the core holds (present pages, or every written
 * page when residency is unknown). */
static uint64_t in_core(struct ms_remote *r, uint64_t start, uint64_t end)
{
	struct ms_resmap m = { 0 };
	uint64_t n = 0;
	if (ms_resmap_add(&m, r, start, end) == 0) {
		ms_resmap_sort(&m);
		n = ms_resmap_resident(&m, start, end);
	}
	ms_resmap_free(&m);
	return n;
}

static void judge(struct ms_coreview *cv, const char *path)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], next[600];
	struct ms_verdicts *vs = &cv->verdicts;
	memset(vs, 0, sizeof *vs);
	if (cv->missing[0])
		ms_verdict_add(vs, MS_PROBLEM, "", "The core is partial: %s.", cv->missing);
	int top = 0;
	for (int k = 1; k < MS_CLASS_N; k++)
		if (cv->cls[k].in_core > cv->cls[top].in_core)
			top = k;
	uint64_t malloc_bytes = cv->malloc_in_core;
	ms_verdict_add(vs, MS_INFO, "",
		       "RSS is not in a core; it holds %s of the process's memory (%s): %s in %s (%s), %s in glibc malloc's heaps.",
		       ms_size_fmt(cv->in_core, a),
		       cv->residency == MS_RES_CORE_HOLES ? "the pages present or swapped when it was written"
		       : "every page of what was dumped: an upper bound of the resident memory",
		       ms_size_fmt(cv->cls[top].in_core, b), ms_class_name((enum ms_class)top),
		       ms_class_meaning((enum ms_class)top), ms_size_fmt(malloc_bytes, (char[MS_SIZE_BUF]){ 0 }));
	if (!strcmp(cv->allocator, "glibc") && malloc_bytes) {
		snprintf(next, sizeof next, "memsleuth arenas --core %s", path);
		ms_verdict_add(vs, MS_INFO, next, "glibc malloc holds %s: its arenas say how much of it is free.",
			       ms_size_fmt(malloc_bytes, a));
	}
	if (cv->libc_error[0])
		ms_verdict_add(vs, MS_NOTICE, "", "Allocator unknown: %s.", cv->libc_error);
}

int ms_coreview_collect(const char *path, const char *exe, const char *sysroot,
			struct ms_coreview *cv, struct ms_err *e)
{
	memset(cv, 0, sizeof *cv);
	cv->arenas = -1;
	struct ms_remote r;
	if (ms_core_open(&r, path, e) < 0)
		return -1;
	cv->core = *ms_core_info(&r);
	cv->residency = r.residency;
	ms_core_missing_text(&cv->core, cv->missing, sizeof cv->missing);
	struct ms_maps maps = { 0 };
	struct ms_threads th = { 0 };
	struct ms_arena_heaps heaps = { 0 };
	struct ms_mapclass *mc = NULL;
	struct ms_libc *lc = malloc(sizeof *lc);
	int rc = -1;
	if (!lc || ms_remote_maps(&r, &maps, e) < 0)
		goto out;
	struct ms_err le = { 0 };
	char bid[41];
	if (ms_core_libc_identify(&r, &maps, sysroot, exe, lc, bid, &le) == 0) {
		snprintf(cv->allocator, sizeof cv->allocator, "%s", ms_allocator_name(lc->allocator));
		snprintf(cv->glibc_version, sizeof cv->glibc_version, "%s", lc->elf.glibc_version);
	} else {
		snprintf(cv->allocator, sizeof cv->allocator, "unknown");
		snprintf(cv->libc_error, sizeof cv->libc_error, "%s", le.msg);
	}
	ms_remote_threads(&r, MAX_THREADS, &th);
	cv->threads = th.n;
	mc = calloc(maps.n ? maps.n : 1, sizeof *mc);
	if (!mc || ms_arena_heaps_find(&maps, &r, cv->glibc_version, &heaps) < 0) {
		ms_err_set(e, ENOMEM, NULL, NULL, "core %s", path);
		goto out;
	}
	ms_classify(&maps, &heaps, &th, cv->core.pid, &r, mc);
	for (size_t i = 0; i < maps.n; i++) {
		const struct ms_mapping *m = &maps.v[i];
		struct ms_coreview_class *c = &cv->cls[mc[i].cls];
		uint64_t held = in_core(&r, m->start, m->end);
		c->mappings++;
		c->size += m->end - m->start;
		c->in_core += held;
		cv->size += m->end - m->start;
		cv->in_core += held;
		if (mc[i].cls == MS_CLASS_THREAD_STACK && mc[i].owner_tid && mc[i].evidence != MS_EV_GUARD_PAGE) {
			cv->stacks_owned++;
			if (cv->nstacks < MS_COREVIEW_STACKS) {
				cv->stacks[cv->nstacks].tid = mc[i].owner_tid;
				cv->stacks[cv->nstacks].size = m->end - m->start;
				cv->stacks[cv->nstacks].in_core = held;
				cv->nstacks++;
			}
		}
	}
	cv->malloc_in_core = cv->cls[MS_CLASS_MAIN_HEAP].in_core + cv->cls[MS_CLASS_ARENA_HEAP].in_core +
			     cv->cls[MS_CLASS_MALLOC_MMAP].in_core;
	cv->arena_heaps = heaps.n;
	if (!strcmp(cv->allocator, "glibc") && (heaps.all_verified || heaps.n == 0))
		cv->arenas = (long)heaps.arenas + 1;
	judge(cv, path);
	rc = 0;
out:
	free(mc);
	free(lc);
	ms_arena_heaps_free(&heaps);
	ms_threads_free(&th);
	ms_maps_free(&maps);
	ms_remote_close(&r);
	return rc;
}

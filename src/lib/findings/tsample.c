#include "findings/tsample.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "findings/arenas.h"
#include "findings/javaheap.h"
#include "findings/overview.h"
#include "records/nmt.h"
#include "util/size.h"
#include "util/spawn.h"
#include "util/subproc.h"

double ms_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int ms_sampler_open(pid_t pid, double share, int every, struct ms_sampler *s, struct ms_err *e)
{
	memset(s, 0, sizeof *s);
	s->pid = pid;
	s->share = share > 0 ? share : 0.01;
	s->every = every;
	s->nmt = -1;
	s->t0 = ms_mono_s();
	struct ms_overview *ov = calloc(1, sizeof *ov);
	if (!ov)
		return ms_err_set(e, ENOMEM, NULL, NULL, "watch state");
	int rc = ms_overview_collect(pid, ov, e);
	if (rc == 0) {
		snprintf(s->comm, sizeof s->comm, "%s", ov->status.name);
		snprintf(s->allocator, sizeof s->allocator, "%s", ms_allocator_name(ov->libc.allocator));
		s->glibc = ov->libc.allocator == MS_ALLOC_GLIBC;
		s->is_jvm = ov->is_jvm;
		if (s->is_jvm && !ms_which("jcmd", s->jcmd, sizeof s->jcmd))
			s->nmt = 0;
	}
	free(ov);
	return rc;
}

/* Whether the budget allows a walk now: the walks' CPU so far plus this
 * one, predicted to cost what the last one did, within share x elapsed. */
static int walk_due(const struct ms_sampler *s, double elapsed)
{
	if (s->every > 0)
		return s->taken % (uint64_t)s->every == 0;
	if (!s->walks)
		return 1;
	return s->walk_cpu_s + s->last_walk_cpu_s <= s->share * elapsed;
}

static void walk(struct ms_sampler *s, struct ms_sample *out)
{
	/* never --stop; one retry: an inconsistent walk is only left out of
	 * the fits, so more attempts would cost CPU for little */
	struct ms_arenas_opts o = { .retries = 1 };
	struct ms_arenas a;
	struct ms_err e = { 0 };
	double c0 = thread_cpu_s(), w0 = ms_mono_s();
	int rc = ms_arenas_collect(s->pid, &o, &a, &e);
	double cpu = thread_cpu_s() - c0;
	s->walks++;
	s->walk_cpu_s += cpu;
	s->last_walk_cpu_s = cpu;
	out->walk_ms = (ms_mono_s() - w0) * 1e3;
	out->walk_cpu_ms = cpu * 1e3;
	if (rc < 0 || !a.glibc_in_charge) {
		s->walk_errors++;
		snprintf(s->walk_error, sizeof s->walk_error, "%s",
			 rc < 0 ? e.msg : "glibc's allocator is not in charge");
		if (rc == 0)
			ms_arenas_free(&a);
		return;
	}
	out->alloc = a.snapshot_consistent ? MS_SA_OK : MS_SA_INCONSISTENT;
	out->mmapped = a.mmapped_bytes;
	out->in_use = a.total.in_use_bytes + a.mmapped_bytes;
	out->free = a.total.free_bytes + a.total.top_bytes;
	out->free_resident = a.total.free_resident_bytes + a.total.top_resident_bytes;
	out->top = a.total.top_bytes;
	out->trim_prediction = a.trim_prediction_bytes;
	out->walk_arenas = a.n;
	ms_arenas_free(&a);
}

/* The Java heap's reserved range from jcmd GC.heap_info, once. */
static void heap_range(struct ms_sampler *s)
{
	char pid[24];
	snprintf(pid, sizeof pid, "%d", (int)s->pid);
	char *argv[] = { s->jcmd, pid, "GC.heap_info", NULL };
	struct ms_child r = { .argv = argv, .timeout_ms = 20000, .stop_signal = SIGTERM,
			      .grace_ms = 1000, .stdin_fd = -1, .interrupted = s->stop,
			      .out_max = 1 << 20 };
	s->heap_range = -1;
	if (ms_child_run(&r, NULL) < 0)
		return;
	s->jcmd_cpu_s += r.ru.ru_utime.tv_sec + r.ru.ru_utime.tv_usec / 1e6 +
			 r.ru.ru_stime.tv_sec + r.ru.ru_stime.tv_usec / 1e6;
	if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 && r.out &&
	    ms_heap_range_parse(r.out, &s->heap_lo, &s->heap_hi) == 0)
		s->heap_range = 1;
	ms_child_free(&r);
}

/* NMT through jcmd: the first sample, then when the budget allows and a
 * minute has passed. */
static void runtime(struct ms_sampler *s, double elapsed, struct ms_sample *out)
{
	if (!s->is_jvm || s->nmt == 0)
		return;
	if (s->nmt == 1 && (elapsed - s->last_jcmd_t < 60 ||
			    s->jcmd_cpu_s + s->last_jcmd_cpu_s > s->share * elapsed))
		goto carry;
	char pid[24];
	snprintf(pid, sizeof pid, "%d", (int)s->pid);
	char *argv[] = { s->jcmd, pid, "VM.native_memory", "summary", NULL };
	struct ms_child r = { .argv = argv, .timeout_ms = 20000, .stop_signal = SIGTERM,
			      .grace_ms = 1000, .stdin_fd = -1, .interrupted = s->stop,
			      .out_max = 1 << 20 };
	s->last_jcmd_t = elapsed;
	if (ms_child_run(&r, NULL) < 0) {
		s->nmt = 0;
		return;
	}
	double cpu = r.ru.ru_utime.tv_sec + r.ru.ru_utime.tv_usec / 1e6 +
		     r.ru.ru_stime.tv_sec + r.ru.ru_stime.tv_usec / 1e6;
	s->jcmd_cpu_s += cpu;
	s->last_jcmd_cpu_s = cpu;
	uint64_t heap = 0, mal = 0;
	struct ms_nmt nmt;
	if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 && r.out &&
	    ms_nmt_parse(r.out, &nmt) == 0 && nmt.has_java_heap) {
		heap = nmt.java_heap_committed;
		mal = nmt.malloc;
		s->nmt = 1;
		s->have_runtime = 1;
		s->runtime_heap = heap;
		s->runtime_native = mal;
		out->has_runtime = 1;   /* a fresh reading: fitted */
	} else if (s->nmt < 0) {
		s->nmt = 0;             /* NMT off ("not enabled"), or jcmd cannot attach */
	}
	ms_child_free(&r);
	if (s->have_runtime && !s->heap_range)
		heap_range(s);
carry:
	if (s->have_runtime) {
		out->runtime_heap = out->runtime_heap_committed = s->runtime_heap;
		out->runtime_native = s->runtime_native;
		uint64_t res;
		if (s->heap_range > 0 &&
		    ms_java_heap_range_rss(s->pid, s->heap_lo, s->heap_hi, s->runtime_heap, &res) == 0) {
			out->runtime_heap = res;
			out->runtime_heap_resident = 1;
			out->has_runtime = 1;   /* the resident part is read fresh at every sample */
		}
	}
}

int ms_sampler_take(struct ms_sampler *s, double t, struct ms_sample *out, struct ms_err *e)
{
	memset(out, 0, sizeof *out);
	out->t = t;
	out->arenas = -1;
	struct ms_overview *ov = calloc(1, sizeof *ov);
	if (!ov)
		return ms_err_set(e, ENOMEM, NULL, NULL, "a sample");
	if (ms_overview_collect(s->pid, ov, e) < 0) {
		free(ov);
		return -1;
	}
	out->rss = ov->rss;
	out->pss = ov->rollup_ok ? ov->rollup.pss : 0;
	out->vsz = ov->status.vm_size;
	out->hwm = ov->status.vm_hwm;
	out->swap = ov->status.vm_swap;
	out->has_classes = 1;
	for (int c = 0; c < MS_CLASS_N; c++)
		out->class_rss[c] = ov->cls[c].rss;
	out->arenas = ov->arenas;
	out->arena_heaps = ov->arena_heaps;
	free(ov);
	double elapsed = ms_mono_s() - s->t0;
	if (s->glibc && walk_due(s, elapsed))
		walk(s, out);
	else if (s->glibc)
		s->walks_skipped++;
	runtime(s, elapsed, out);
	s->taken++;
	return 0;
}

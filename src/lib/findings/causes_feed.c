#include "findings/causes_feed.h"

#include "findings/arenaverdict.h"
#include "findings/remedy.h"
#include "probe/procfs.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1ull << 20)

static enum ms_runtime runtime_from_id(const char *id)
{
	for (int r = MS_RT_JVM; r <= MS_RT_LAST; r++)
		if (!strcmp(ms_runtime_id((enum ms_runtime)r), id))
			return (enum ms_runtime)r;
	return MS_RT_NONE;
}

/* A live target's command line and directory: the remedies that rerun it
 * (a setting, the compare run that measures one) name it, not "CMD"; or
 * that it is a title the process wrote, which no command reruns. */
static void live_command(struct ms_cause_facts *f)
{
	if (f->alive && !f->command[0] && !f->origin.title && f->pid > 0)
		ms_proc_command(f->pid, f->command, sizeof f->command, f->cwd, sizeof f->cwd, &f->origin);
}

/* A live target's allocator settings, from its environ (the step that
 * read none: arenas alone). */
static void live_env(struct ms_cause_facts *f)
{
	char *env = NULL;
	size_t len = 0;
	if (f->env.known || !f->alive || f->pid <= 0 || ms_proc_read(f->pid, "environ", &env, &len, NULL) < 0)
		return;
	ms_alloc_env_parse(env, len, &f->env);
	free(env);
}

void ms_cause_facts_from_overview(struct ms_cause_facts *f, const struct ms_overview *ov)
{
	live_command(f);
	f->env = ov->alloc_env;
	snprintf(f->arena_cap_source, sizeof f->arena_cap_source, "%s", ov->cap.source);
	f->have_overview = 1;
	f->rss = ov->rss;
	f->vsize = ov->status.vm_size;
	f->hwm = ov->status.vm_hwm;
	f->main_heap_rss = ov->cls[MS_CLASS_MAIN_HEAP].rss;
	f->arena_rss = ov->cls[MS_CLASS_ARENA_HEAP].rss;
	f->mmap_rss = ov->cls[MS_CLASS_MALLOC_MMAP].rss;
	f->stack_rss = ov->cls[MS_CLASS_THREAD_STACK].rss;
	f->file_rss = ov->cls[MS_CLASS_FILE].rss;
	f->anon_other_rss = ov->cls[MS_CLASS_ANON_OTHER].rss;
	f->shmem_rss = ov->cls[MS_CLASS_SHMEM].rss;
	f->shmem_pss = ov->cls[MS_CLASS_SHMEM].pss;
	snprintf(f->shmem_path, sizeof f->shmem_path, "%s", ov->shmem_largest);
	f->arena_size = ov->cls[MS_CLASS_ARENA_HEAP].size;
	f->stack_size = ov->cls[MS_CLASS_THREAD_STACK].size;
	f->anon_other_size = ov->cls[MS_CLASS_ANON_OTHER].size;
	f->anon_largest_size = ov->anon_largest_size;
	f->anon_largest_rss = ov->anon_largest_rss;
	f->anon_2m_chunks = ov->anon_2m_chunks;
	f->anon_2m_rss = ov->anon_2m_rss;
	snprintf(f->name, sizeof f->name, "%s", ov->status.name);
	f->arenas = ov->arenas;
	f->arena_cap = ov->cap.cap;
	f->threads = ov->threads;
	snprintf(f->allocator, sizeof f->allocator, "%s", ms_allocator_name(ov->libc.allocator));
	f->runtime = ov->runtime;
	snprintf(f->runtime_version, sizeof f->runtime_version, "%s", ov->is_jvm ? ov->jdk_version : "");
	f->jdk_trim = ov->jdk_has_trim;
	f->jdk_nmt = ov->jdk_nmt;
	f->as_limit = ov->as_limit;
	if (ov->has_accounted) {
		f->have_accounted = 1;
		f->accounted = ov->accounted;
	}
}

void ms_cause_facts_from_arenas(struct ms_cause_facts *f, const struct ms_arenas *a)
{
	if (!a->glibc_in_charge)
		return;
	f->have_arenas = 1;
	if (!strcmp(a->source, "process")) {
		live_command(f);
		live_env(f);
	}
	if (!f->rss)
		f->rss = a->rss_bytes;
	f->walk_rss = a->rss_bytes;
	f->have_top_pad = 1;
	f->top_pad = a->mp.top_pad;
	if (!f->allocator[0])
		snprintf(f->allocator, sizeof f->allocator, "%s", a->allocator);
	f->in_use = a->total.in_use_bytes;
	f->in_use_resident = a->total.in_use_resident_bytes;
	f->free_resident = a->total.free_resident_bytes;
	f->trim_prediction = a->trim_prediction_bytes;
	f->mmapped_bytes = a->mmapped_bytes;
	f->mmapped_resident = a->mmapped_resident_bytes;
	f->mmap_threshold = a->mp.mmap_threshold;
	f->trim_threshold = a->mp.trim_threshold;
	f->arena_max = a->mp.arena_max;
	f->no_dyn_threshold = a->mp.no_dyn_threshold;
	if (f->arenas < 0)
		f->arenas = (long)a->n;
	for (size_t i = 0; i < a->n; i++) {
		const struct ms_arena_stat *s = &a->v[i];
		uint64_t chunks = s->trim_bytes > s->trim_top_bytes ? s->trim_bytes - s->trim_top_bytes : 0;
		f->trim_chunks += chunks;
		if (s->is_main) {
			f->main_free_resident = s->free_resident_bytes;
			f->main_top_resident = s->top_resident_bytes;
			f->main_top = s->top_bytes;
			f->main_trim = s->trim_bytes;
			f->main_trim_top = s->trim_top_bytes;
			ms_arena_pin_text(s, f->main_pin, sizeof f->main_pin);
			f->main_pin_chunks = s->pin_chunks;
			f->main_pin_bytes = s->pin_bytes;
			f->main_pinned_free = s->npins ? s->pinned_free_bytes : 0;
			f->main_in_use_chunks = s->in_use_chunks;
			if (s->npins)
				snprintf(f->main_pin_site, sizeof f->main_pin_site, "%s", s->pins[0].allocated_at);
			ms_arena_tcache_hold_text(s, f->main_tcache_hold, sizeof f->main_tcache_hold);
			f->main_tcache_chunks = s->tcache_hold.chunks;
			f->main_tcache_bytes = s->tcache_hold.bytes;
		} else {
			f->other_free_resident += s->free_resident_bytes;
			f->other_top_resident += s->top_resident_bytes;
			f->other_trim += s->trim_bytes;
			f->other_top_kept += s->top_resident_bytes;
			if (chunks >= MIB)
				f->other_arenas_with_free++;
		}
	}
}

int ms_core_pid_exists(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

void ms_cause_facts_core(struct ms_cause_facts *f, pid_t pid, const char *command)
{
	f->alive = 0;
	f->from_core = ms_core_pid_exists(pid);
	snprintf(f->command, sizeof f->command, "%s", command);
}

static uint64_t class_u64(const struct ms_jval *ov, const char *name, const char *field)
{
	const struct ms_jval *cls = ms_jget(ov, "classes");
	for (const struct ms_jval *c = cls && cls->type == MS_J_ARR ? cls->child : NULL; c; c = c->next)
		if (!strcmp(ms_jstr(c, "class", ""), name))
			return ms_ju64(c, field, 0);
	return 0;
}

void ms_cause_facts_from_json(struct ms_cause_facts *f, const struct ms_jval *ov, const struct ms_jval *ar,
			      const struct ms_jval *cmp)
{
	if (ov) {
		f->have_overview = 1;
		f->rss = ms_ju64(ov, "rss_bytes", 0);
		f->vsize = ms_ju64(ov, "vsize_bytes", 0);
		f->hwm = ms_ju64(ov, "hwm_bytes", 0);
		f->main_heap_rss = class_u64(ov, "main_heap", "rss_bytes");
		f->arena_rss = class_u64(ov, "arena_heap", "rss_bytes");
		f->mmap_rss = class_u64(ov, "malloc_mmap", "rss_bytes");
		f->stack_rss = class_u64(ov, "thread_stack", "rss_bytes");
		f->file_rss = class_u64(ov, "file", "rss_bytes");
		f->anon_other_rss = class_u64(ov, "anon_other", "rss_bytes");
		f->shmem_rss = class_u64(ov, "shmem", "rss_bytes");
		f->shmem_pss = class_u64(ov, "shmem", "pss_bytes");
		snprintf(f->shmem_path, sizeof f->shmem_path, "%s", ms_jstr(ov, "shmem_largest_path", ""));
		f->arena_size = class_u64(ov, "arena_heap", "size_bytes");
		f->stack_size = class_u64(ov, "thread_stack", "size_bytes");
		f->anon_other_size = class_u64(ov, "anon_other", "size_bytes");
		f->arenas = ms_jhas_num(ov, "arenas") ? (long)ms_ju64(ov, "arenas", 0) : -1;
		f->arena_cap = ms_ju64(ov, "arena_cap", 0);
		f->threads = ms_ju64(ov, "threads", 0);
		snprintf(f->allocator, sizeof f->allocator, "%s", ms_jstr(ov, "allocator", ""));
		f->runtime = runtime_from_id(ms_jstr(ov, "runtime", ""));
		const struct ms_jval *jvm = ms_jget(ov, "jvm");
		if (jvm && jvm->type == MS_J_OBJ) {
			const struct ms_jval *t = ms_jget(jvm, "trim_native_heap");
			f->jdk_trim = !t || t->type != MS_J_BOOL ? -1 : t->b;
			f->jdk_nmt = ms_jbool(jvm, "nmt", false);
			snprintf(f->runtime_version, sizeof f->runtime_version, "%s", ms_jstr(jvm, "version", ""));
		}
		f->as_limit = ms_ju64(ov, "as_limit_bytes", 0);
		f->anon_largest_size = ms_ju64(ov, "anon_other_largest_size_bytes", 0);
		f->anon_largest_rss = ms_ju64(ov, "anon_other_largest_rss_bytes", 0);
		f->anon_2m_chunks = ms_ju64(ov, "anon_other_2m_chunks", 0);
		f->anon_2m_rss = ms_ju64(ov, "anon_other_2m_rss_bytes", 0);
		snprintf(f->name, sizeof f->name, "%s", ms_jstr(ov, "name", ""));
		snprintf(f->arena_cap_source, sizeof f->arena_cap_source, "%s", ms_jstr(ov, "arena_cap_source", ""));
		const struct ms_jval *env = ms_jget(ov, "allocator_env");
		if (env && env->type == MS_J_ARR) {
			f->env.known = 1;
			for (const struct ms_jval *e = env->child; e && f->env.n < MS_ALLOC_ENV_MAX; e = e->next)
				if (e->type == MS_J_STR && ms_remedy_is_allocator_var(e->str))
					snprintf(f->env.kv[f->env.n++], sizeof f->env.kv[0], "%s", e->str);
		}
	}
	if (ar && ms_jbool(ar, "glibc_in_charge", false)) {
		f->have_arenas = 1;
		if (!f->rss)
			f->rss = ms_ju64(ar, "rss_bytes", 0);
		f->walk_rss = ms_ju64(ar, "rss_bytes", 0);
		f->have_top_pad = ms_jhas_num(ar, "mp.top_pad_bytes");
		f->top_pad = ms_ju64(ar, "mp.top_pad_bytes", 0);
		f->in_use = ms_ju64(ar, "totals.in_use_bytes", 0);
		/* an older document without it: every byte in use counts (an upper bound) */
		f->in_use_resident = ms_ju64(ar, "totals.in_use_resident_bytes", f->in_use);
		f->free_resident = ms_ju64(ar, "totals.free_resident_bytes", 0);
		f->trim_prediction = ms_ju64(ar, "trim_prediction_bytes", 0);
		f->mmapped_bytes = ms_ju64(ar, "mmapped_bytes", 0);
		f->mmapped_resident = ms_ju64(ar, "mmapped_found_resident_bytes", 0);
		f->mmap_threshold = ms_ju64(ar, "mp.mmap_threshold_bytes", 0);
		f->trim_threshold = ms_ju64(ar, "mp.trim_threshold_bytes", 0);
		f->arena_max = ms_ju64(ar, "mp.arena_max", 0);
		f->no_dyn_threshold = ms_jhas_num(ar, "mp.no_dyn_threshold") ? (int)ms_ju64(ar, "mp.no_dyn_threshold", 0) : -1;
		const struct ms_jval *as = ms_jget(ar, "arenas");
		long n = 0;
		for (const struct ms_jval *a = as && as->type == MS_J_ARR ? as->child : NULL; a; a = a->next, n++) {
			uint64_t trim = ms_ju64(a, "trim_bytes", 0), top = ms_ju64(a, "trim_top_bytes", 0);
			uint64_t chunks = trim > top ? trim - top : 0;
			f->trim_chunks += chunks;
			if (ms_jbool(a, "is_main", false)) {
				f->main_free_resident = ms_ju64(a, "free_resident_bytes", 0);
				f->main_top_resident = ms_ju64(a, "top_resident_bytes", 0);
				f->main_top = ms_ju64(a, "top_bytes", 0);
				f->main_trim = trim;
				f->main_trim_top = top;
				/* The same words as the walk's own (ms_arena_pin_text). */
				const struct ms_jval *p = ms_jat(ms_jget(a, "pins"), 0);
				struct ms_arena_stat s = { .npins = p ? 1 : 0, .pin_chunks = ms_ju64(a, "pin_chunks", 0),
							   .pin_bytes = ms_ju64(a, "pin_bytes", 0) };
				if (p) {
					s.pins[0].address = strtoull(ms_jstr(p, "address", "0"), NULL, 16);
					s.pins[0].size = ms_ju64(p, "size_bytes", 0);
					s.pins[0].pinned = ms_ju64(p, "pinned_bytes", 0);
					snprintf(s.pins[0].allocated_at, sizeof s.pins[0].allocated_at, "%s",
						 ms_jstr(p, "allocated_at", ""));
					snprintf(s.pins[0].thread, sizeof s.pins[0].thread, "%s", ms_jstr(p, "thread", ""));
				}
				ms_arena_pin_text(&s, f->main_pin, sizeof f->main_pin);
				f->main_pin_chunks = s.pin_chunks;
				f->main_pin_bytes = s.pin_bytes;
				/* an older document without it: the first pin's own figure */
				f->main_pinned_free = p ? ms_ju64(a, "pinned_free_bytes", s.pins[0].pinned) : 0;
				f->main_in_use_chunks = ms_ju64(a, "in_use_chunks", 0);
				snprintf(f->main_pin_site, sizeof f->main_pin_site, "%s", s.pins[0].allocated_at);
				const struct ms_jval *h = ms_jget(a, "tcache_hold");
				if (h && h->type == MS_J_OBJ && !p) {
					snprintf(f->main_tcache_hold, sizeof f->main_tcache_hold, "%s",
						 ms_jstr(h, "text", ""));
					f->main_tcache_chunks = ms_ju64(h, "chunks", 0);
					f->main_tcache_bytes = ms_ju64(h, "bytes", 0);
				}
			} else {
				f->other_free_resident += ms_ju64(a, "free_resident_bytes", 0);
				f->other_top_resident += ms_ju64(a, "top_resident_bytes", 0);
				f->other_trim += trim;
				f->other_top_kept += ms_ju64(a, "top_resident_bytes", 0);
				if (chunks >= MIB)
					f->other_arenas_with_free++;
			}
		}
		if (f->arenas < 0)
			f->arenas = n;
	}
	const struct ms_jval *runs = cmp ? ms_jget(cmp, "runs") : NULL;
	for (const struct ms_jval *r = runs && runs->type == MS_J_ARR ? runs->child : NULL;
	     r && f->nmeasured < MS_CAUSE_MAX_MEASURED; r = r->next) {
		/* a configuration read at another moment than the others (compare's
		 * "compared": false, remedy.h ms_remedy_moments) is no measure, nor
		 * one that never reached the process ("applied": false) */
		if (!ms_jhas_num(r, "final_rss_bytes") || ms_ju64(r, "runs_ok", 0) == 0 || !ms_jbool(r, "compared", true) ||
		    !ms_jbool(r, "applied", true))
			continue;
		/* within run-to-run variation of the baseline (remedy.h
		 * ms_remedy_judge): not measured, neither a saving nor "no change" */
		if (!strcmp(ms_jstr(r, "effect", ""), "not_measured"))
			continue;
		snprintf(f->measured[f->nmeasured].config, sizeof f->measured[0].config, "%s", ms_jstr(r, "config", ""));
		f->measured[f->nmeasured].final_rss = ms_ju64(r, "final_rss_bytes", 0);
		/* the library's file name: the dynamic linker finds it in its own directories */
		const char *pre = ms_jstr(r, "preload", ""), *slash = strrchr(pre, '/');
		snprintf(f->measured[f->nmeasured].preload, sizeof f->measured[0].preload, "%s", slash ? slash + 1 : pre);
		char *envs = f->measured[f->nmeasured].env;
		size_t eo = 0, el = sizeof f->measured[0].env;
		envs[0] = 0;
		const struct ms_jval *env = ms_jget(r, "env");
		for (const struct ms_jval *e = env && env->type == MS_J_ARR ? env->child : NULL; e; e = e->next)
			if (e->type == MS_J_STR && ms_remedy_is_allocator_var(e->str) && eo < el)
				eo += (size_t)snprintf(envs + eo, el - eo, "%s%s", eo ? " " : "", e->str);
		/* the baseline compare judged against: the command as launched
		 * when its environment set allocator variables, else glibc */
		if (ms_jbool(r, "baseline", false) ||
		    (!strcmp(f->measured[f->nmeasured].config, "glibc") && !(f->measured_base >= 0 &&
		     !strcmp(f->measured[f->measured_base].config, "as-launched"))))
			f->measured_base = f->nmeasured;
		f->nmeasured++;
	}
}

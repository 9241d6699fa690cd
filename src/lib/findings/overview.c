#include "findings/overview.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/arenaheaps.h"
#include "findings/causes_feed.h"
#include "probe/procfs.h"
#include "probe/remote.h"
#include "probe/target.h"
#include "probe/tasks.h"
#include "util/size.h"

#define MAX_THREADS 65536
#define CHUNK_2M (2ull << 20)     /* ZEND_MM_CHUNK_SIZE, PHP's zend_alloc.h */

int ms_jdk_has_trim(const char *v)
{
	/* JDK 18 added System.trim_native_heap (JDK-8269345); 17.0.15 has the
	 * backport (seen here); older 17 updates are not known: -1. */
	long major = strtol(v, NULL, 10);
	if (major >= 18)
		return 1;
	if (major == 17) {
		const char *p = strchr(v, '.');
		p = p ? strchr(p + 1, '.') : NULL;
		long update = p ? strtol(p + 1, NULL, 10) : 0;
		return update >= 15 ? 1 : -1;
	}
	return major > 0 ? 0 : -1;
}

uint64_t ms_overview_malloc_rss(const struct ms_overview *ov)
{
	return ov->cls[MS_CLASS_MAIN_HEAP].rss + ov->cls[MS_CLASS_ARENA_HEAP].rss +
	       ov->cls[MS_CLASS_MALLOC_MMAP].rss;
}

/* A JVM maps libjvm.so from JAVA_HOME/lib/server/; JAVA_HOME/release says
 * which version it is. */
static void find_jvm(const struct ms_target *t, const struct ms_maps *maps, struct ms_overview *ov)
{
	for (size_t i = 0; i < maps->n; i++) {
		const char *p = maps->v[i].path;
		const char *s = strstr(p, "/libjvm.so");
		if (!s)
			continue;
		ov->is_jvm = 1;
		/* JAVA_HOME = path up to "/lib/" before libjvm.so */
		char home[PATH_MAX];
		snprintf(home, sizeof home, "%.*s", (int)(s - p), p);
		for (int up = 0; up < 2; up++) {
			char *slash = strrchr(home, '/');
			if (slash)
				*slash = 0;
		}
		snprintf(ov->java_home, sizeof ov->java_home, "%s", home);
		char rel[PATH_MAX + 64], file[PATH_MAX + 96];
		snprintf(rel, sizeof rel, "%s/release", home);
		ms_target_path(t, rel, file, sizeof file);
		char *buf;
		if (ms_read_file(file, &buf, NULL, 65536, NULL) == 0) {
			char *v = strstr(buf, "JAVA_VERSION=\"");
			if (v) {
				v += 14;
				size_t n = strcspn(v, "\"");
				snprintf(ov->jdk_version, sizeof ov->jdk_version, "%.*s", (int)n, v);
				ov->jdk_has_trim = ms_jdk_has_trim(ov->jdk_version);
			}
			free(buf);
		} else {
			ov->jdk_has_trim = -1;
		}
		return;
	}
}

static void top_files(const struct ms_maps *maps, const struct ms_mapclass *mc, struct ms_overview *ov)
{
	/* Aggregate by path, keep the MS_TOP_FILES largest by RSS.  O(n * k). */
	for (size_t i = 0; i < maps->n; i++) {
		if (mc[i].cls != MS_CLASS_FILE)
			continue;
		int k;
		for (k = 0; k < ov->nfiles; k++)
			if (!strncmp(ov->files[k].path, maps->v[i].path, sizeof ov->files[k].path - 1))
				break;
		if (k == ov->nfiles) {
			if (ov->nfiles == MS_TOP_FILES) {
				/* replace the smallest if this mapping alone is bigger */
				int min = 0;
				for (int j = 1; j < ov->nfiles; j++)
					if (ov->files[j].rss < ov->files[min].rss)
						min = j;
				if (maps->v[i].m.rss <= ov->files[min].rss)
					continue;
				k = min;
				ov->files[k].rss = ov->files[k].size = 0;
			} else {
				ov->nfiles++;
			}
			snprintf(ov->files[k].path, sizeof ov->files[k].path, "%s", maps->v[i].path);
		}
		ov->files[k].rss += maps->v[i].m.rss;
		ov->files[k].size += maps->v[i].end - maps->v[i].start;
	}
	/* largest first */
	for (int a = 0; a < ov->nfiles; a++)
		for (int b = a + 1; b < ov->nfiles; b++)
			if (ov->files[b].rss > ov->files[a].rss) {
				struct ms_file_rss tmp = ov->files[a];
				ov->files[a] = ov->files[b];
				ov->files[b] = tmp;
			}
}

/* Keep the MS_TOP_STACKS largest stacks whose thread is known. */
static void note_stack(struct ms_overview *ov, const struct ms_threads *th, pid_t tid,
		       const struct ms_mapping *m)
{
	int k = ov->nstacks;
	if (k == MS_TOP_STACKS) {
		k = 0;
		for (int j = 1; j < ov->nstacks; j++)
			if (ov->stacks[j].rss < ov->stacks[k].rss)
				k = j;
		if (m->m.rss <= ov->stacks[k].rss)
			return;
	} else {
		ov->nstacks++;
	}
	struct ms_stack_rss *s = &ov->stacks[k];
	const struct ms_thread *t = ms_threads_find(th, tid);
	s->tid = tid;
	snprintf(s->name, sizeof s->name, "%s", t ? t->name : "?");
	s->size = m->end - m->start;
	s->rss = m->m.rss;
}

/* The last -XX:NativeMemoryTracking= in a NUL-separated buffer (argv or
 * environ; the JVM takes the last one it sees): 1 summary or detail,
 * 0 off, -1 not set there. */
static int nmt_in(const char *buf, size_t len)
{
	static const char opt[] = "-XX:NativeMemoryTracking=";
	int v = -1;
	for (const char *p = buf; buf && p < buf + len;) {
		const char *h = memmem(p, (size_t)(buf + len - p), opt, sizeof opt - 1);
		if (!h)
			break;
		const char *val = h + sizeof opt - 1;
		size_t rest = (size_t)(buf + len - val);
		v = (rest >= 7 && !memcmp(val, "summary", 7)) || (rest >= 6 && !memcmp(val, "detail", 6));
		p = val;
	}
	return v;
}

/* Is NMT on in this JVM: its command line first (it overrides the
 * environment's options), then the option variables the launcher reads. */
static int jvm_nmt(pid_t pid, const char *env, size_t envlen)
{
	char *cmd = NULL;
	size_t len = 0;
	int v = -1;
	if (ms_proc_read(pid, "cmdline", &cmd, &len, NULL) == 0)
		v = nmt_in(cmd, len);
	free(cmd);
	if (v < 0)
		v = nmt_in(env, envlen);
	return v > 0;
}

/* The runtime whose own heap the anonymous memory is: by the libraries it
 * maps (libjvm.so, libnode.so, libpython3, libruby, libphp) or the
 * executable's name (Debian's python3, ruby and php link their runtime
 * statically; php8.2, php-fpm8.2, php-cgi8.2).  And the runtimes that keep
 * their objects in glibc's live blocks: PostgreSQL (exe
 * /usr/lib/postgresql/15/bin/postgres: a backend's title replaces its
 * argv, its exe stays), Perl (libperl.so.5.36, or a perl linked
 * statically), Tcl (libtcl8.6.so, tclsh8.6). */
static enum ms_runtime find_runtime(const struct ms_target *t, const struct ms_maps *maps, int is_jvm)
{
	if (is_jvm)
		return MS_RT_JVM;
	int perl = 0, tcl = 0;
	for (size_t i = 0; i < maps->n; i++) {
		const char *p = maps->v[i].path;
		if (strstr(p, "/libnode.so"))
			return MS_RT_V8;
		if (strstr(p, "/libpython3"))
			return MS_RT_CPYTHON;
		if (strstr(p, "/libruby"))
			return MS_RT_RUBY;
		if (strstr(p, "/libphp"))
			return MS_RT_PHP;
		/* after the exe's name: python3 with tkinter maps libtcl too */
		if (strstr(p, "/libperl.so"))
			perl = 1;
		if (strstr(p, "/libtcl8") || strstr(p, "/libtcl9"))
			tcl = 1;
	}
	const char *b = strrchr(t->exe, '/');
	b = b ? b + 1 : t->exe;
	if (!strcmp(b, "node") || !strcmp(b, "nodejs"))
		return MS_RT_V8;
	if (!strncmp(b, "python3", 7))
		return MS_RT_CPYTHON;
	if (!strncmp(b, "ruby", 4))
		return MS_RT_RUBY;
	if (!strncmp(b, "php", 3))
		return MS_RT_PHP;
	if (!strcmp(b, "postgres") || !strcmp(b, "postmaster"))
		return MS_RT_POSTGRES;
	if (perl || !strncmp(b, "perl", 4))
		return MS_RT_PERL;
	if (tcl || !strncmp(b, "tclsh", 5))
		return MS_RT_TCL;
	return MS_RT_NONE;
}

enum ms_runtime ms_runtime_of(pid_t pid)
{
	struct ms_target t;
	struct ms_maps maps = { 0 };
	struct ms_err e = { 0 };
	char *buf = NULL;
	size_t len = 0;
	enum ms_runtime r = MS_RT_NONE;
	if (ms_target_open(pid, &t, &e) < 0)
		return MS_RT_NONE;
	if (ms_proc_read(pid, "maps", &buf, &len, NULL) == 0 && ms_maps_parse(buf, len, &maps, &e) == 0) {
		int jvm = 0;
		for (size_t i = 0; i < maps.n && !jvm; i++)
			jvm = strstr(maps.v[i].path, "/libjvm.so") != NULL;
		r = find_runtime(&t, &maps, jvm);
	}
	free(buf);
	ms_maps_free(&maps);
	return r;
}

/* RLIMIT_AS from /proc/PID/limits ("Max address space  unlimited ..."). */
static uint64_t as_limit(pid_t pid)
{
	char *buf = NULL;
	size_t len = 0;
	uint64_t v = 0;
	if (ms_proc_read(pid, "limits", &buf, &len, NULL) < 0)
		return 0;
	const char *l = strstr(buf, "Max address space");
	if (l) {
		l += strlen("Max address space");
		while (*l == ' ')
			l++;
		if (*l >= '0' && *l <= '9')
			v = strtoull(l, NULL, 10);
	}
	free(buf);
	return v;
}

/* A lead's level: the severity of the bytes it points at, notice at most
 * (findings/causes.h ms_cause_severity gives the thresholds). */
static enum ms_level lead_level(uint64_t bytes, uint64_t rss)
{
	enum ms_level l = ms_cause_severity(bytes, rss);
	return l > MS_NOTICE ? MS_NOTICE : l;
}

static void judge(struct ms_overview *ov)
{
	char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF], next[200];
	struct ms_verdicts *vs = &ov->verdicts;
	uint64_t malloc_rss = ms_overview_malloc_rss(ov);
	snprintf(next, sizeof next, "memsleuth arenas %d", (int)ov->pid);

	if (ov->libc.allocator == MS_ALLOC_GLIBC_STATIC) {
		/* still ptmalloc2 (its cap and settings apply), but arenas.c cannot locate it */
		ms_verdict_add(vs, MS_NOTICE, "",
			       "glibc's malloc is linked statically: its arenas are not located, so arena and trim "
			       "analysis do not apply; the classes above still show where the RSS lives");
	} else if (ov->libc.allocator != MS_ALLOC_GLIBC) {
		ms_verdict_add(vs, MS_NOTICE, "",
			       "the allocator is %s, not glibc's ptmalloc2: arena and trim analysis do not apply; "
			       "the classes above still show where the RSS lives",
			       ms_allocator_name(ov->libc.allocator));
	}
	if (ov->has_accounted) {
		if (ov->rss > ov->accounted) {
			uint64_t gap = ov->rss - ov->accounted;
			if (!ms_allocator_is_glibc(ov->libc.allocator)) {   /* its classes are no glibc heaps */
				ms_verdict_add(vs, ms_cause_severity(gap, ov->rss), "",
					       "RSS %s is %s above the %s the application accounts for; the allocator is "
					       "%s: the brk heap holds %s, other anonymous memory %s",
					       ms_size_fmt(ov->rss, a), ms_size_fmt(gap, b), ms_size_fmt(ov->accounted, c),
					       ms_allocator_name(ov->libc.allocator), ms_size_fmt(malloc_rss, (char[MS_SIZE_BUF]){0}),
					       ms_size_fmt(ov->cls[MS_CLASS_ANON_OTHER].rss, (char[MS_SIZE_BUF]){0}));
			} else {
				ms_verdict_add(vs, ms_cause_severity(gap, ov->rss),
					       malloc_rss > gap / 2 && ov->libc.allocator == MS_ALLOC_GLIBC ? next : "",
					       "RSS %s is %s above the %s the application accounts for; glibc malloc "
					       "holds %s of RSS (arena heaps %s, main heap %s, mmapped %s), "
					       "other anonymous memory %s",
					       ms_size_fmt(ov->rss, a), ms_size_fmt(gap, b), ms_size_fmt(ov->accounted, c),
					       ms_size_fmt(malloc_rss, (char[MS_SIZE_BUF]){0}),
					       ms_size_fmt(ov->cls[MS_CLASS_ARENA_HEAP].rss, (char[MS_SIZE_BUF]){0}),
					       ms_size_fmt(ov->cls[MS_CLASS_MAIN_HEAP].rss, (char[MS_SIZE_BUF]){0}),
					       ms_size_fmt(ov->cls[MS_CLASS_MALLOC_MMAP].rss, (char[MS_SIZE_BUF]){0}),
					       ms_size_fmt(ov->cls[MS_CLASS_ANON_OTHER].rss, (char[MS_SIZE_BUF]){0}));
			}
		} else {
			ms_verdict_add(vs, MS_INFO, "",
				       "RSS %s is within the %s the application accounts for: no unexplained gap",
				       ms_size_fmt(ov->rss, a), ms_size_fmt(ov->accounted, b));
		}
	}
	/* Where glibc's memory lives is a lead, not a cause: the overview
	 * cannot tell the bytes a program uses from the free ones glibc keeps
	 * (the arena walk can), so these say "look here" (notice at most). */
	if (ov->arena_heaps) {
		enum ms_level lvl = lead_level(ov->arena_rss, ov->rss);
		int at_cap = ov->arenas > 0 && (unsigned long)ov->arenas >= ov->cap.cap;
		if (ov->arenas > 0)
			ms_verdict_add(vs, lvl, next,
				       "arena heaps hold %s resident (%s reserved) in %ld arenas of a cap of %lu "
				       "(%s), %zu heap%s: in use or free memory glibc keeps, the arena walk tells",
				       ms_size_fmt(ov->arena_rss, b), ms_size_fmt(ov->arena_reserved, a),
				       ov->arenas, ov->cap.cap, ov->cap.source, ov->arena_heaps, ov->arena_heaps == 1 ? "" : "s");
		else
			ms_verdict_add(vs, lvl, next,
				       "%zu arena heaps (memory not readable, so arenas not counted; cap %lu, %s): %s reserved, %s resident",
				       ov->arena_heaps, ov->cap.cap, ov->cap.source,
				       ms_size_fmt(ov->arena_reserved, a), ms_size_fmt(ov->arena_rss, b));
		if (at_cap && ov->cap.cap > 2)
			ms_verdict_add(vs, MS_INFO, "",
				       "the arena cap is reached: more threads share arenas; whether fewer would "
				       "help depends on where the free memory is (memsleuth arenas %d)", (int)ov->pid);
	}
	/* The causes the overview alone can name: runtime heaps, mmapped
	 * chunks, stacks, files, address space; and glibc's heaps as a lead
	 * to the walk (glibc_not_walked), so that the table adds up. */
	struct ms_cause_facts f;
	ms_cause_facts_init(&f, ov->pid);
	ms_cause_facts_from_overview(&f, ov);
	ms_causes_build(&f, &ov->causes);
	ms_causes_verdicts(&ov->causes, vs);
	if (ov->is_jvm) {
		char nmt[200];
		snprintf(nmt, sizeof nmt, "jcmd %d VM.native_memory summary", (int)ov->pid);
		if (ov->jdk_nmt)
			ms_verdict_add(vs, MS_INFO, nmt,
				       "this is a JVM (%s) with Native Memory Tracking on: compare with its own "
				       "account, which cannot see malloc's free memory",
				       ov->jdk_version[0] ? ov->jdk_version : "version unknown");
		else
			ms_verdict_add(vs, MS_INFO, nmt,
				       "this is a JVM (%s): compare with NMT (start the JVM with "
				       "-XX:NativeMemoryTracking=summary), which cannot see malloc's free memory",
				       ov->jdk_version[0] ? ov->jdk_version : "version unknown");
		if (ov->jdk_has_trim != 0) {
			char trim[200];
			snprintf(trim, sizeof trim, "jcmd %d System.trim_native_heap", (int)ov->pid);
			ms_verdict_add(vs, MS_INFO, trim,
				       "%s: the JVM can call malloc_trim itself, safer than a debugger",
				       ov->jdk_has_trim > 0 ? "this JDK has System.trim_native_heap"
							    : "this JDK may have System.trim_native_heap (check: jcmd PID help)");
		}
	}
	if (ov->cg_ok && ov->cg.limit != MS_CG_UNLIMITED) {
		uint64_t used = ov->cg.usage_known ? ov->cg.usage : ov->rss;
		uint64_t head = ov->cg.limit > used ? ov->cg.limit - used : 0;
		ms_verdict_add(vs, head < ov->cg.limit / 10 ? MS_PROBLEM : MS_INFO, "",
			       "cgroup memory limit %s, in use %s: %s headroom",
			       ms_size_fmt(ov->cg.limit, a), ms_size_fmt(used, b), ms_size_fmt(head, c));
	}
	if (!vs->n)
		ms_verdict_add(vs, MS_INFO, "", "nothing stands out: RSS %s, glibc malloc holds %s",
			       ms_size_fmt(ov->rss, a), ms_size_fmt(malloc_rss, b));
}

int ms_overview_collect(pid_t pid, struct ms_overview *ov, struct ms_err *e)
{
	struct ms_target t;
	struct ms_maps maps = { 0 };
	struct ms_threads th = { 0 };
	struct ms_arena_heaps heaps = { 0 };
	struct ms_remote rem;
	struct ms_mapclass *mc = NULL;
	char *buf = NULL, *env = NULL;
	size_t len = 0, envlen = 0;
	int rc = -1, have_remote = 0;

	int keep_accounted = ov->has_accounted;
	uint64_t accounted = ov->accounted;
	memset(ov, 0, sizeof *ov);
	ov->has_accounted = keep_accounted;
	ov->accounted = accounted;
	ov->pid = pid;
	ov->arenas = -1;

	if (ms_target_open(pid, &t, e) < 0)
		return -1;
	ov->status = t.status;
	if (ms_proc_read(pid, "smaps", &buf, &len, e) < 0) {
		if (errno == ENOENT || e->code == ENOENT || e->code == ESRCH)
			ms_err_set(e, ESRCH, NULL, "check the PID with ps", "process %d", (int)pid);
		goto out;
	}
	if (ms_maps_parse(buf, len, &maps, e) < 0)
		goto out;
	free(buf);
	buf = NULL;
	if (maps.n == 0) {
		ms_err_set(e, 0, "has no mappings (exited, or a kernel thread)",
			   "pick a live user process", "process %d", (int)pid);
		goto out;
	}
	if (ms_proc_read(pid, "smaps_rollup", &buf, &len, NULL) == 0)
		ov->rollup_ok = ms_rollup_parse(buf, len, &ov->rollup, NULL) == 0;
	free(buf);
	buf = NULL;
	ms_proc_read(pid, "environ", &env, &envlen, NULL);   /* optional */
	ms_alloc_env_parse(env, envlen, &ov->alloc_env);

	if (ms_libc_identify(&t, &maps, env, envlen, &ov->libc, e) < 0)
		goto out;
	have_remote = ms_remote_open(&rem, pid, NULL) == 0;
	if (have_remote) {
		/* one real read proves process_vm_readv/mem works on this target */
		unsigned char probe;
		ov->memory_readable = ms_remote_read_exact(&rem, maps.v[0].start, &probe, 1) == 0;
	}
	struct ms_remote *r = ov->memory_readable ? &rem : NULL;

	ms_threads_list(pid, MAX_THREADS, &th);
	ov->threads = th.n;
	if (ms_arena_heaps_find(&maps, r, ov->libc.elf.glibc_version, &heaps) < 0) {
		ms_err_set(e, ENOMEM, NULL, NULL, "arena heaps of process %d", (int)pid);
		goto out;
	}
	mc = calloc(maps.n, sizeof *mc);
	if (!mc) {
		ms_err_set(e, ENOMEM, NULL, NULL, "classifying process %d", (int)pid);
		goto out;
	}
	ms_classify(&maps, &heaps, &th, pid, r, mc);

	for (size_t i = 0; i < maps.n; i++) {
		struct ms_class_total *ct = &ov->cls[mc[i].cls];
		const struct ms_mapping *m = &maps.v[i];
		ct->mappings++;
		ct->size += m->end - m->start;
		ct->rss += m->m.rss;
		ct->pss += m->m.pss;
		ct->private_dirty += m->m.private_dirty;
		ct->swap += m->m.swap;
		ov->class_rss_sum += m->m.rss;
		if (mc[i].cls == MS_CLASS_RECORDER && ms_is_recorder_path(m->path) == MS_RECORDER_BUFFER)
			ov->recorder_buffer_rss += m->m.rss;
		if (mc[i].cls == MS_CLASS_SHMEM && (m->m.rss > ov->shmem_largest_rss || !ov->shmem_largest[0])) {
			ov->shmem_largest_rss = m->m.rss;
			snprintf(ov->shmem_largest, sizeof ov->shmem_largest, "%s", m->path[0] ? m->path : "[anon_shmem]");
		}
		if (mc[i].cls == MS_CLASS_ANON_OTHER && m->end - m->start > ov->anon_largest_size) {
			ov->anon_largest_size = m->end - m->start;
			ov->anon_largest_rss = m->m.rss;
		}
		/* adjacent chunks merge into one mapping, and with a neighbouring
		 * anonymous mapping: the whole 2 MiB units on 2 MiB boundaries
		 * inside it count, with their share of its RSS */
		uint64_t lo = (m->start + CHUNK_2M - 1) & ~(CHUNK_2M - 1), hi = m->end & ~(CHUNK_2M - 1);
		if (mc[i].cls == MS_CLASS_ANON_OTHER && hi > lo) {
			ov->anon_2m_chunks += (hi - lo) / CHUNK_2M;
			ov->anon_2m_rss += hi - lo == m->end - m->start ? m->m.rss
					   : (uint64_t)((double)m->m.rss * (double)(hi - lo) / (double)(m->end - m->start));
		}
		if (mc[i].cls == MS_CLASS_THREAD_STACK && mc[i].owner_tid && mc[i].evidence != MS_EV_GUARD_PAGE) {
			ov->stacks_owned++;
			note_stack(ov, &th, mc[i].owner_tid, m);
		}
	}
	top_files(&maps, mc, ov);
	for (int a = 0; a < ov->nstacks; a++)     /* largest first */
		for (int b = a + 1; b < ov->nstacks; b++)
			if (ov->stacks[b].rss > ov->stacks[a].rss) {
				struct ms_stack_rss tmp = ov->stacks[a];
				ov->stacks[a] = ov->stacks[b];
				ov->stacks[b] = tmp;
			}

	ov->arena_heaps = heaps.n;
	ov->arena_heaps_verified = heaps.all_verified;
	for (size_t h = 0; h < heaps.n; h++)
		ov->arena_reserved += heaps.v[h].end - heaps.v[h].start;
	ov->arena_rss = ov->cls[MS_CLASS_ARENA_HEAP].rss;
	if (ov->libc.allocator == MS_ALLOC_GLIBC && (heaps.all_verified || heaps.n == 0))
		ov->arenas = (long)heaps.arenas + 1;   /* + main_arena */
	ov->cpus = ms_glibc_cpus(pid, ov->libc.elf.glibc_version);
	/* the cap is glibc's (arena.c): another allocator has none to state */
	if (ms_allocator_is_glibc(ov->libc.allocator) &&
	    (ov->libc.allocator != MS_ALLOC_GLIBC || ms_arena_cap_from_mp(&ov->libc, r, &ov->cap) != 1))
		ms_arena_cap_compute(env, envlen, ov->cpus, ov->libc.elf.elf_class != 32, &ov->cap);

	ov->rss = t.status.vm_rss;
	ov->cg_ok = ms_cgroup_memory(pid, "/sys/fs/cgroup", &ov->cg) == 0;
	find_jvm(&t, &maps, ov);
	if (ov->is_jvm)
		ov->jdk_nmt = jvm_nmt(pid, env, envlen);
	ov->runtime = find_runtime(&t, &maps, ov->is_jvm);
	ov->as_limit = as_limit(pid);
	judge(ov);
	rc = 0;
out:
	free(buf);
	free(env);
	free(mc);
	if (have_remote)
		ms_remote_close(&rem);
	ms_arena_heaps_free(&heaps);
	ms_threads_free(&th);
	ms_maps_free(&maps);
	return rc;
}

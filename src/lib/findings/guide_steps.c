/* What each step's findings mean for the investigation: the evidence worth
 * showing, the verdict, which steps follow and which no longer apply.
 * Reads only fields of the steps' JSON contracts (docs/json/). */
#include "findings/guide.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/size.h"

#define SZ(v) ms_size_fmt((v), (char[MS_SIZE_BUF]){ 0 })

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* What is to be explained: the gap when the accounted figure is known,
 * else the whole RSS. */
static uint64_t base(const struct ms_guide *g)
{
	if (g->has_accounted)
		return g->rss > g->accounted ? g->rss - g->accounted : 0;
	return g->rss;
}

static int malloc_holds_it(const struct ms_guide *g)
{
	uint64_t b = base(g);
	return b && g->malloc_rss * 2 >= b;
}

static int is_glibc(const struct ms_guide *g)
{
	return !strcmp(g->allocator, "glibc");
}

static int check_yes(const struct ms_jval *doc, const char *name)
{
	const struct ms_jval *cs = ms_jget(doc, "checks");
	for (const struct ms_jval *c = cs && cs->type == MS_J_ARR ? cs->child : NULL; c; c = c->next)
		if (!strcmp(ms_jstr(c, "name", ""), name))
			return !strcmp(ms_jstr(c, "status", ""), "yes");
	return 0;
}

void ms_guide_take_doctor(struct ms_guide *g, struct ms_jval *f)
{
	g->doctor = f;
	g->can_attach = check_yes(f, "uprobes") && (check_yes(f, "bpftrace") || check_yes(f, "stap_bpf_runtime") ||
						  check_yes(f, "stap_module_runtime"));
}

void ms_guide_take_accounted(struct ms_guide *g)
{
	struct ms_gstep *s = &g->step[MS_G_ACCOUNTED];
	s->status = MS_G_DONE;
	ms_gstep_evidence(s, "RSS %s (VmRSS of process %d)", SZ(g->rss), (int)g->pid);
	ms_gstep_command(s, "grep VmRSS /proc/%d/status", (int)g->pid);
	if (!g->has_accounted) {
		ms_gstep_evidence(s, "what the application accounts for: not known (%s)",
				  g->accounted_from[0] ? g->accounted_from : "no --accounted given");
		snprintf(s->verdict, sizeof s->verdict,
			 "No accounted figure: the whole RSS of %s is examined; give --accounted SIZE to measure the gap.",
			 SZ(g->rss));
	} else {
		uint64_t gap = base(g);
		ms_gstep_evidence(s, "the application accounts for %s (%s)", SZ(g->accounted), g->accounted_from);
		ms_gstep_evidence(s, "gap: %s, %.1f%% of the RSS", SZ(gap), pct(gap, g->rss));
		if (gap * 10 < g->rss && g->in_use_grows)
			snprintf(s->verdict, sizeof s->verdict,
				 "RSS %s is close to the %s the application accounts for, but glibc's in-use memory "
				 "grows (the watch above): live memory is being added, so this is not \"no gap\" -- "
				 "follow the growth.", SZ(g->rss), SZ(g->accounted));
		else if (gap * 10 < g->rss)
			snprintf(s->verdict, sizeof s->verdict,
				 "RSS %s is close to the %s the application accounts for: the memory is the application's "
				 "own; look at its own accounting (a heap dump) before the allocator.",
				 SZ(g->rss), SZ(g->accounted));
		else
			snprintf(s->verdict, sizeof s->verdict,
				 "RSS %s is %s above the %s the application accounts for: something outside its "
				 "bookkeeping holds %.1f%% of the RSS.",
				 SZ(g->rss), SZ(gap), SZ(g->accounted), pct(gap, g->rss));
	}
	snprintf(s->next, sizeof s->next, "where the RSS lives (overview)");
}

static uint64_t class_rss(const struct ms_jval *f, const char *name)
{
	const struct ms_jval *cls = ms_jget(f, "classes");
	for (const struct ms_jval *c = cls && cls->type == MS_J_ARR ? cls->child : NULL; c; c = c->next)
		if (!strcmp(ms_jstr(c, "class", ""), name))
			return ms_ju64(c, "rss_bytes", 0);
	return 0;
}

void ms_guide_take_overview(struct ms_guide *g, struct ms_jval *f)
{
	struct ms_gstep *s = &g->step[MS_G_OVERVIEW];
	s->findings = f;
	s->status = MS_G_DONE;
	snprintf(g->name, sizeof g->name, "%s", ms_jstr(f, "name", "?"));
	g->rss = ms_ju64(f, "rss_bytes", 0);
	g->malloc_rss = ms_ju64(f, "malloc_rss_bytes", 0);
	g->main_heap_rss = class_rss(f, "main_heap");
	g->arena_rss = class_rss(f, "arena_heap");
	g->mmap_rss = class_rss(f, "malloc_mmap");
	g->anon_other_rss = class_rss(f, "anon_other");
	g->stack_rss = class_rss(f, "thread_stack");
	g->file_rss = class_rss(f, "file");
	g->shmem_rss = class_rss(f, "shmem");
	g->arenas = ms_jhas_num(f, "arenas") ? (long)ms_ju64(f, "arenas", 0) : -1;
	g->arena_heaps = ms_ju64(f, "arena_heaps", 0);
	g->arena_cap = ms_ju64(f, "arena_cap", 0);
	g->arena_reserved = ms_ju64(f, "arena_reserved_bytes", 0);
	snprintf(g->allocator, sizeof g->allocator, "%s", ms_jstr(f, "allocator", "unknown"));
	const struct ms_jval *jvm = ms_jget(f, "jvm");
	g->is_jvm = jvm && jvm->type == MS_J_OBJ;
	g->jdk_trim = ms_jbool(jvm, "trim_native_heap", false);

	ms_gstep_command(s, "memsleuth overview --json %d", (int)g->pid);
	ms_gstep_evidence(s, "glibc malloc holds %s of the RSS %s (%.1f%%): main heap %s, arena heaps %s, mmapped chunks %s",
			  SZ(g->malloc_rss), SZ(g->rss), pct(g->malloc_rss, g->rss), SZ(g->main_heap_rss),
			  SZ(g->arena_rss), SZ(g->mmap_rss));
	ms_gstep_evidence(s, "other anonymous memory %s, thread stacks %s, files %s, shared memory %s",
			  SZ(g->anon_other_rss), SZ(g->stack_rss), SZ(g->file_rss), SZ(g->shmem_rss));
	ms_gstep_evidence(s, "allocator: %s%s%s", g->allocator, ms_jstr(f, "glibc_version", NULL) ? ", glibc " : "",
			  ms_jstr(f, "glibc_version", ""));
	if (g->arenas > 1) {
		ms_gstep_evidence(s, "%ld arenas (main + %ld) of a cap of %" PRIu64 " (%s); %" PRIu64
				  " arena heaps: %s reserved, %s resident",
				  g->arenas, g->arenas - 1, g->arena_cap, ms_jstr(f, "arena_cap_source", "?"),
				  g->arena_heaps, SZ(g->arena_reserved), SZ(g->arena_rss));
		if (g->arena_cap && (uint64_t)g->arenas >= g->arena_cap)
			ms_gstep_evidence(s, "the arena count is at its cap: more threads share arenas from here on");
	} else if (g->arenas == 1) {
		ms_gstep_evidence(s, "no arenas beyond main: the arena-explosion branch does not apply (skipped)");
	}
	uint64_t b = base(g);
	if (malloc_holds_it(g)) {
		const char *where = "malloc's mmapped chunks";
		uint64_t wv = g->mmap_rss;
		if (g->main_heap_rss >= g->arena_rss && g->main_heap_rss >= g->mmap_rss)
			where = "glibc's main heap", wv = g->main_heap_rss;
		else if (g->arena_rss >= g->mmap_rss)
			where = "glibc's arena heaps", wv = g->arena_rss;
		snprintf(s->verdict, sizeof s->verdict,
			 "glibc malloc holds %s (the %s to explain is %s), most of it in %s (%s): the allocator is the suspect.",
			 SZ(g->malloc_rss), g->has_accounted ? "gap" : "RSS", SZ(b), where, SZ(wv));
		snprintf(s->next, sizeof s->next, "what glibc's arenas hold (arenas %d)", (int)g->pid);
	} else {
		const char *what = "anonymous memory outside glibc's heaps (a JVM heap, another allocator, direct mmap)";
		uint64_t v = g->anon_other_rss;
		if (g->stack_rss > v)
			v = g->stack_rss, what = "thread stacks (count the threads, or lower their stack size)";
		if (g->file_rss > v)
			v = g->file_rss, what = "mapped files and code";
		if (g->shmem_rss > v)
			v = g->shmem_rss, what = "shared memory";
		snprintf(s->verdict, sizeof s->verdict,
			 "glibc malloc holds only %s of the %s %s; the largest holder is %s with %s.", SZ(g->malloc_rss),
			 g->has_accounted ? "gap of" : "RSS of", SZ(b), what, SZ(v));
		snprintf(s->next, sizeof s->next, "%s", strcmp(g->allocator, "glibc") && strcmp(g->allocator, "unknown")
			 ? "who allocates (hotspots): the allocator is not glibc's" : "the remedies for what holds it");
	}
}

/* The steps' JSON: arenas contract (docs/json/arenas.md). */
void ms_guide_take_arenas(struct ms_guide *g, struct ms_jval *f)
{
	struct ms_gstep *s = &g->step[MS_G_ARENAS];
	ms_gstep_command(s, "memsleuth arenas --json %d", (int)g->pid);
	s->findings = f;
	if (!f) {
		snprintf(s->verdict, sizeof s->verdict,
			 "Not measured here. From the overview alone: glibc malloc holds %s of RSS (main heap %s, arena "
			 "heaps %s); how much of it is free memory glibc keeps is what the arenas step tells.",
			 SZ(g->malloc_rss), SZ(g->main_heap_rss), SZ(g->arena_rss));
		ms_gstep_command(s, "gdb -batch -p %d -ex 'call (int)malloc_trim(0)'   # the experiment, modifies the target: "
				 "compare VmRSS before and after", (int)g->pid);
		snprintf(s->next, sizeof s->next, "who allocates (hotspots)");
		return;
	}
	s->status = MS_G_DONE;
	if (!ms_jbool(f, "glibc_in_charge", true)) {
		snprintf(s->verdict, sizeof s->verdict, "%s", ms_jstr(f, "verdict", "glibc's arenas are not in charge"));
		return;
	}
	g->have_arenas = 1;
	g->free_bytes = ms_ju64(f, "totals.free_bytes", 0);
	g->free_resident = ms_ju64(f, "totals.free_resident_bytes", g->free_bytes);
	g->in_use = ms_ju64(f, "totals.in_use_bytes", 0);
	g->trim_prediction = ms_ju64(f, "trim_prediction_bytes", 0);
	const struct ms_jval *as = ms_jget(f, "arenas");
	int n = 0;
	for (const struct ms_jval *a = as && as->type == MS_J_ARR ? as->child : NULL; a; a = a->next, n++)
		if (ms_jbool(a, "is_main", false))
			g->main_free = ms_ju64(a, "free_resident_bytes", ms_ju64(a, "free_bytes", 0));
	ms_gstep_evidence(s, "%d arena%s: %s in use, %s free of which %s resident", n, n == 1 ? "" : "s",
			  SZ(g->in_use), SZ(g->free_bytes), SZ(g->free_resident));
	ms_gstep_evidence(s, "malloc_trim(0) would return %s (prediction: RSS %s -> %s)", SZ(g->trim_prediction),
			  SZ(g->rss), SZ(g->rss > g->trim_prediction ? g->rss - g->trim_prediction : 0));
	if (!ms_jbool(f, "snapshot_consistent", true))
		ms_gstep_evidence(s, "the target changed during the walk: figures are approximate (--stop freezes it)");
	if (g->free_resident * 10 < g->rss) {
		snprintf(s->verdict, sizeof s->verdict,
			 "Free memory kept by glibc is small (%s resident of the RSS %s): the memory is in use -- "
			 "who allocates it is the question.", SZ(g->free_resident), SZ(g->rss));
	} else if (g->main_free * 2 >= g->free_resident) {
		snprintf(s->verdict, sizeof s->verdict,
			 "glibc's main heap holds %s of freed memory (resident) that it keeps because the top of the heap "
			 "is in use; malloc_trim(0) would return %s.", SZ(g->main_free), SZ(g->trim_prediction));
	} else {
		snprintf(s->verdict, sizeof s->verdict,
			 "Arena heaps and free chunks hold %s of freed, resident memory glibc keeps; malloc_trim(0) would "
			 "return %s.", SZ(g->free_resident), SZ(g->trim_prediction));
	}
	snprintf(s->next, sizeof s->next, "who allocates (hotspots)");
}

/* hotspots contract (docs/json/hotspots.md): threads[], sites[]. */
void ms_guide_take_hotspots(struct ms_guide *g, struct ms_jval *f)
{
	struct ms_gstep *s = &g->step[MS_G_HOTSPOTS];
	s->findings = f;
	if (!f) {
		snprintf(s->next, sizeof s->next, "how the heaps grew (syscalls)");
		return;
	}
	s->status = MS_G_DONE;
	const struct ms_jval *th = ms_jget(f, "threads"), *best = NULL;
	for (const struct ms_jval *t = th && th->type == MS_J_ARR ? th->child : NULL; t; t = t->next) {
		g->hot_total_calls += ms_ju64(t, "calls", 0);
		if (!best || ms_ju64(t, "calls", 0) > ms_ju64(best, "calls", 0))
			best = t;
	}
	const struct ms_jval *site = ms_jat(ms_jget(f, "sites"), 0);
	if (site)
		snprintf(g->hot_site, sizeof g->hot_site, "%s (%s)", ms_jstr(site, "symbol", "?"), ms_jstr(site, "dso", "?"));
	ms_gstep_evidence(s, "%" PRIu64 " allocator calls recorded, %" PRIu64 " dropped", ms_ju64(f, "events", 0),
			  ms_ju64(f, "dropped", 0));
	if (best) {
		g->have_hot = 1;
		g->hot_tid = ms_ju64(best, "tid", 0);
		g->hot_calls = ms_ju64(best, "calls", 0);
		snprintf(g->hot_name, sizeof g->hot_name, "%s", ms_jstr(best, "name", "?"));
		ms_gstep_evidence(s, "busiest thread: %" PRIu64 " (%s), %" PRIu64 " calls (%.0f%%), %s", g->hot_tid,
				  g->hot_name, g->hot_calls, pct(g->hot_calls, g->hot_total_calls),
				  SZ(ms_ju64(best, "bytes", 0)));
	}
	if (site)
		ms_gstep_evidence(s, "top call site: %s, %" PRIu64 " calls, %s live at the end", g->hot_site,
				  ms_ju64(site, "calls", 0), SZ(ms_ju64(site, "live_bytes", 0)));
	if (best)
		snprintf(s->verdict, sizeof s->verdict, "Thread %" PRIu64 " (%s) made the most allocator calls (%" PRIu64
			 " of %" PRIu64 ")%s%s.", g->hot_tid, g->hot_name, g->hot_calls, g->hot_total_calls,
			 site ? ", most from " : "", site ? g->hot_site : "");
	else
		snprintf(s->verdict, sizeof s->verdict, "No allocator calls were seen in the window.");
	snprintf(s->next, sizeof s->next, "how the heaps grew (syscalls)");
}

/* syscalls contract (docs/json/syscalls.md): backend, totals[], threads[]. */
void ms_guide_take_syscalls(struct ms_guide *g, struct ms_jval *f)
{
	struct ms_gstep *s = &g->step[MS_G_SYSCALLS];
	s->findings = f;
	snprintf(s->next, sizeof s->next, "the remedies");
	if (!f)
		return;
	s->status = MS_G_DONE;
	ms_gstep_evidence(s, "backend: %s", ms_jstr(f, "backend", "?"));
	const struct ms_jval *tot = ms_jget(f, "totals");
	char line[300] = "";
	size_t len = 0;
	for (const struct ms_jval *t = tot && tot->type == MS_J_ARR ? tot->child : NULL; t && len < sizeof line - 60; t = t->next)
		if (ms_ju64(t, "count", 0))
			len += (size_t)snprintf(line + len, sizeof line - len, "%s%s %" PRIu64 " (%s)", len ? ", " : "",
					ms_jstr(t, "syscall", "?"), ms_ju64(t, "count", 0), SZ(ms_ju64(t, "bytes", 0)));
	ms_gstep_evidence(s, "calls: %s", len ? line : "none in the window");
	ms_gstep_evidence(s, "arena heaps created: %" PRIu64, ms_ju64(f, "arena_heaps_created", 0));
	const struct ms_jval *v0 = ms_jat(ms_jget(f, "verdicts"), 0);
	if (v0)
		snprintf(s->verdict, sizeof s->verdict, "%s", ms_jstr(v0, "text", ""));
	else
		snprintf(s->verdict, sizeof s->verdict, "%s", len ? "The calls above are how its memory grew and shrank in the window." :
			 "No memory syscalls in the window: the process is holding still; run the guide on the "
			 "command (memsleuth guide -- CMD) to see the heaps grow.");
}

static int have_file(const char *p)
{
	return access(p, R_OK) == 0;
}

static const char *jemalloc_path(void)
{
	static const char *const paths[] = { "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
					     "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2", "/usr/lib64/libjemalloc.so.2",
					     "/usr/lib/libjemalloc.so.2" };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (have_file(paths[i]))
			return paths[i];
	return NULL;
}

void ms_guide_remedies(struct ms_guide *g, struct ms_jval *compare)
{
	struct ms_gstep *s = &g->step[MS_G_REMEDIES];
	s->findings = compare;
	s->status = MS_G_DONE;
	const char *cmd = g->command[0] ? g->command : "CMD";
	if (!is_glibc(g)) {
		snprintf(s->verdict, sizeof s->verdict, "The allocator is %s, not glibc: glibc's trim and arena settings "
			 "do not apply; use the allocator's own controls.", g->allocator);
		return;
	}
	if (!malloc_holds_it(g)) {
		snprintf(s->verdict, sizeof s->verdict, "glibc malloc does not hold the gap: no allocator remedy applies; "
			 "see the overview's verdict for what does.");
		return;
	}
	const char *rec = compare ? ms_jstr(compare, "recommendation.text", NULL) : NULL;
	if (g->have_arenas && g->free_resident * 10 < g->rss) {
		/* Nothing is free to give back: allocator settings cannot help. */
		snprintf(s->verdict, sizeof s->verdict,
			 "The memory is in use (%s in use, %s free): no trim or allocator setting returns it; reduce what "
			 "%s%s keeps alive.%s", SZ(g->in_use), SZ(g->free_resident),
			 g->have_hot ? "the busiest thread, " : "the application", g->have_hot ? g->hot_name : "",
			 rec ? " memsleuth compare measured the remedies on the command (evidence above)." : "");
		if (rec)
			ms_gstep_evidence(s, "compare: %s", rec);
		ms_gstep_command(s, "memsleuth compare -- %s   # confirms that no allocator setting changes it", cmd);
		return;
	}
	if (g->is_jvm && g->jdk_trim)
		ms_gstep_command(s, "jcmd %d System.trim_native_heap   # the safe trim for a JVM", (int)g->pid);
	else if (g->have_arenas)
		ms_gstep_command(s, "memsleuth trim %d   # malloc_trim(0) through gdb; predicted to return %s%s", (int)g->pid,
				 SZ(g->trim_prediction), g->is_jvm ? " (risky in a JVM)" : "");
	else
		ms_gstep_command(s, "memsleuth trim %d   # malloc_trim(0) through gdb, RSS before and after", (int)g->pid);
	if (g->arenas > 2)
		ms_gstep_command(s, "MALLOC_ARENA_MAX=2 %s   # or GLIBC_TUNABLES=glibc.malloc.arena_max=2: %ld arenas now",
				 cmd, g->arenas);
	const char *je = jemalloc_path();
	if (je)
		ms_gstep_command(s, "LD_PRELOAD=%s MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0 %s", je, cmd);
	ms_gstep_command(s, "memsleuth compare -- %s   # proves which of these works for this workload", cmd);
	if (rec) {
		snprintf(s->verdict, sizeof s->verdict, "compare measured the remedies on the workload: %s", rec);
		if (ms_jstr(compare, "recommendation.shell", NULL) && s->ncmd < MS_G_MAX_CMD) {
			/* The measured winner goes first. */
			memmove(s->commands[1], s->commands[0], sizeof s->commands[0] * (size_t)s->ncmd);
			snprintf(s->commands[0], sizeof s->commands[0], "%s   # measured best by compare",
				 ms_jstr(compare, "recommendation.shell", ""));
			s->ncmd++;
		}
	} else if (g->have_arenas && g->trim_prediction * 10 >= g->rss) {
		snprintf(s->verdict, sizeof s->verdict,
			 "Freed memory kept by glibc is the cause: trimming would return %s now; for good, cap the "
			 "arenas or use an allocator that returns memory (jemalloc with decay 0), and prove it with compare.",
			 SZ(g->trim_prediction));
	} else {
		snprintf(s->verdict, sizeof s->verdict,
			 "Try the trim to see how much of the %s glibc holds comes back, then prove a lasting fix with compare.",
			 SZ(g->malloc_rss));
	}
}

int ms_guide_relevant(const struct ms_guide *g, enum ms_gstep_id s, char *reason, size_t len)
{
	reason[0] = 0;
	if (s != MS_G_REMEDIES && g->has_accounted && !base(g) && !g->in_use_grows) {
		snprintf(reason, len, "RSS %s is not above the %s the application accounts for: there is no gap for "
			 "the allocator to explain", SZ(g->rss), SZ(g->accounted));
		return 0;
	}
	if (s == MS_G_ARENAS && !is_glibc(g)) {
		snprintf(reason, len, "the allocator is %s, not glibc: there are no glibc arenas to read", g->allocator);
		return 0;
	}
	if ((s == MS_G_ARENAS || s == MS_G_SYSCALLS) && !malloc_holds_it(g)) {
		snprintf(reason, len, "glibc malloc holds only %s of the %s to explain: its heaps are not where the memory is",
			 SZ(g->malloc_rss), SZ(base(g)));
		return 0;
	}
	if (s == MS_G_HOTSPOTS && !malloc_holds_it(g) && is_glibc(g)) {
		snprintf(reason, len, "malloc does not hold the memory (%s of %s): its callers are not the cause",
			 SZ(g->malloc_rss), SZ(base(g)));
		return 0;
	}
	if (s == MS_G_HOTSPOTS && !g->launched && g->doctor && !g->can_attach) {
		snprintf(reason, len, "this host cannot attach uprobes to a running process (see memsleuth doctor %d): "
			 "relaunch it under the hook with memsleuth guide -- CMD", (int)g->pid);
		return 0;
	}
	if (s == MS_G_HOTSPOTS && g->have_arenas && g->free_resident * 10 >= g->rss && g->in_use * 20 < g->rss &&
	    !g->launched) {
		snprintf(reason, len, "almost all of it is freed memory (%s free, %s in use): who allocated it matters less "
			 "than why glibc keeps it", SZ(g->free_resident), SZ(g->in_use));
		return 0;
	}
	return 1;
}

void ms_guide_conclude(struct ms_guide *g)
{
	struct ms_verdicts *c = &g->conclusions;
	ms_guide_conclude_growth(g);
	const struct ms_gstep *ov = &g->step[MS_G_OVERVIEW], *ar = &g->step[MS_G_ARENAS];
	const struct ms_gstep *rem = &g->step[MS_G_REMEDIES];
	if (g->step[MS_G_ACCOUNTED].status == MS_G_DONE && g->has_accounted)
		ms_verdict_add(c, MS_NOTICE, "", "%s", g->step[MS_G_ACCOUNTED].verdict);
	if (ov->status == MS_G_DONE)
		ms_verdict_add(c, malloc_holds_it(g) ? MS_PROBLEM : MS_NOTICE, "", "%s", ov->verdict);
	if (ar->status == MS_G_DONE)
		ms_verdict_add(c, g->free_resident * 10 >= g->rss ? MS_PROBLEM : MS_INFO, "", "%s", ar->verdict);
	else if (ar->status != MS_G_SKIPPED && ar->status != MS_G_NOT_REACHED && malloc_holds_it(g))
		ms_verdict_add(c, MS_NOTICE, "", "How much of it is free memory glibc keeps was not measured: %s", ar->reason);
	if (g->have_hot)
		ms_verdict_add(c, MS_INFO, "", "%s", g->step[MS_G_HOTSPOTS].verdict);
	if (rem->status == MS_G_DONE) {
		/* The case study's one sentence, with this process's numbers. */
		char hot[300] = "";
		if (g->have_hot)
			snprintf(hot, sizeof hot, "; thread %" PRIu64 " (%s) made the most allocator calls%s%s", g->hot_tid,
				 g->hot_name, g->hot_site[0] ? " from " : "", g->hot_site);
		const struct ms_jval *cmp = rem->findings;
		const char *best = ms_jstr(cmp, "recommendation.config", NULL), *apply = ms_jstr(cmp, "recommendation.shell", NULL);
		char fix[200];
		if (best)
			snprintf(fix, sizeof fix, "%s, measured by memsleuth compare on the command (step 6)", best);
		else
			snprintf(fix, sizeof fix, "malloc_trim now; for good, fewer arenas or an allocator that returns memory, "
				 "proven with memsleuth compare");
		if (g->have_arenas && g->free_resident * 10 >= g->rss)
			ms_verdict_add(c, MS_NOTICE, apply ? apply : rem->ncmd ? rem->commands[0] : "",
				       "%s and free chunks hold %s; malloc_trim would return %s%s; fix: %s",
				       g->arena_rss > g->main_heap_rss ? "Arena heaps" : "The main heap", SZ(g->free_resident),
				       SZ(g->trim_prediction), hot, fix);
		else
			ms_verdict_add(c, MS_NOTICE, rem->ncmd ? rem->commands[0] : "", "%s", rem->verdict);
	}
	if (g->stopped_early)
		ms_verdict_add(c, MS_INFO, "", "Stopped before the last step; the findings so far are above.");
}

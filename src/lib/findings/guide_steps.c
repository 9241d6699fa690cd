/* What each step's findings mean for the investigation: the evidence worth
 * showing, the verdict, which steps follow and which no longer apply.
 * Reads only fields of the steps' JSON contracts (docs/json/). */
#include "findings/guide.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "findings/arenaverdict.h"
#include "findings/causes_feed.h"
#include "findings/hotsite.h"
#include "findings/hotwrap.h"
#include "findings/remedy.h"
#include "probe/procfs.h"
#include "records/callsite.h"
#include "records/dbgpkg.h"
#include "util/demangle.h"
#include "util/size.h"

#define SZ(v) ms_size_fmt((v), (char[MS_SIZE_BUF]){ 0 })

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

uint64_t ms_guide_to_explain(const struct ms_guide *g)
{
	if (g->has_accounted)
		return g->rss > g->accounted ? g->rss - g->accounted : 0;
	return g->rss;
}

int ms_guide_malloc_holds(const struct ms_guide *g)
{
	uint64_t b = ms_guide_to_explain(g);
	return (b && g->malloc_rss * 2 >= b) || g->malloc_rss * 10 >= g->rss || g->malloc_rss >= (64ull << 20);
}

const char *ms_guide_malloc_where(const struct ms_guide *g, uint64_t *bytes)
{
	if (g->main_heap_rss >= g->arena_rss && g->main_heap_rss >= g->mmap_rss) {
		*bytes = g->main_heap_rss;
		return "glibc's main heap";
	}
	if (g->arena_rss >= g->mmap_rss) {
		*bytes = g->arena_rss;
		return "glibc's arena heaps";
	}
	*bytes = g->mmap_rss;
	return "malloc's mmapped chunks";
}

int ms_guide_compare_plan(const struct ms_guide *g, char *list, size_t len, char *why, size_t wlen)
{
	list[0] = why[0] = 0;
	uint64_t b = ms_guide_to_explain(g);
	/* measured only: overview read the split; a share worth a setting
	 * (64 MiB, as malloc_holds_it) is never ruled out by its ratio */
	if (g->step[MS_G_OVERVIEW].status != MS_G_DONE || !b || g->malloc_rss >= (64ull << 20)
	    || g->malloc_rss * 100 >= b * MS_GUIDE_GLIBC_SHARE_PCT)
		return 0;
	size_t off = (size_t)snprintf(list, len, "glibc");
	for (size_t i = 0; i < ms_remedy_ncfgs && off < len; i++)
		if (ms_remedy_cfgs[i].allocator != MS_ALLOC_GLIBC)
			off += (size_t)snprintf(list + off, len - off, ",%s", ms_remedy_cfgs[i].name);
	if (off >= len) {   /* never cut a name: all of them instead */
		list[0] = 0;
		return 0;
	}
	snprintf(why, wlen, "glibc's heaps hold %s of the %s %s: its settings cannot reach the rest; ran the allocator "
		 "swaps only, which reach only what is allocated through malloc", SZ(g->malloc_rss), SZ(b),
		 g->has_accounted ? "gap" : "RSS");
	return 1;
}

/* The text of the first cause in a step's findings, or NULL. */
static const char *first_cause(const struct ms_jval *f)
{
	const struct ms_jval *c = ms_jat(ms_jget(f, "causes"), 0);
	return c ? ms_jstr(c, "text", NULL) : NULL;
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
	if (g->core[0]) {
		ms_guide_core_accounted(g);
		return;
	}
	s->status = MS_G_DONE;
	if (g->launch[0])   /* the process examined is the program, not its wrapper nor the command it runs */
		ms_gstep_evidence(s, "launched: %s", g->launch);
	ms_gstep_evidence(s, "RSS %s (VmRSS of process %d)", SZ(g->rss), (int)g->pid);
	ms_gstep_command(s, "grep VmRSS /proc/%d/status", (int)g->pid);
	if (!g->has_accounted) {
		ms_gstep_evidence(s, "what the application accounts for: not known (%s)",
				  g->accounted_from[0] ? g->accounted_from : "no --accounted given");
		snprintf(s->verdict, sizeof s->verdict,
			 "No accounted figure: the whole RSS of %s is examined; give --accounted SIZE to measure the gap.",
			 SZ(g->rss));
	} else {
		uint64_t gap = ms_guide_to_explain(g);
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

uint64_t ms_guide_class_bytes(const struct ms_jval *f, const char *name, const char *field)
{
	const struct ms_jval *cls = ms_jget(f, "classes");
	for (const struct ms_jval *c = cls && cls->type == MS_J_ARR ? cls->child : NULL; c; c = c->next)
		if (!strcmp(ms_jstr(c, "class", ""), name))
			return ms_ju64(c, field, 0);
	return 0;
}

uint64_t ms_guide_class_rss(const struct ms_jval *f, const char *name)
{
	return ms_guide_class_bytes(f, name, "rss_bytes");
}

void ms_guide_take_overview(struct ms_guide *g, struct ms_jval *f)
{
	struct ms_gstep *s = &g->step[MS_G_OVERVIEW];
	if (g->core[0]) {   /* its findings were taken with the core's facts */
		ms_guide_core_overview(g);
		return;
	}
	s->findings = f;
	s->status = MS_G_DONE;
	snprintf(g->name, sizeof g->name, "%s", ms_jstr(f, "name", "?"));
	g->rss = ms_ju64(f, "rss_bytes", 0);
	g->malloc_rss = ms_ju64(f, "malloc_rss_bytes", 0);
	g->main_heap_rss = ms_guide_class_rss(f, "main_heap");
	g->arena_rss = ms_guide_class_rss(f, "arena_heap");
	g->mmap_rss = ms_guide_class_rss(f, "malloc_mmap");
	g->anon_other_rss = ms_guide_class_rss(f, "anon_other");
	g->stack_rss = ms_guide_class_rss(f, "thread_stack");
	g->file_rss = ms_guide_class_rss(f, "file");
	g->shmem_rss = ms_guide_class_rss(f, "shmem");
	g->arenas = ms_jhas_num(f, "arenas") ? (long)ms_ju64(f, "arenas", 0) : -1;
	g->arena_heaps = ms_ju64(f, "arena_heaps", 0);
	g->arena_cap = ms_ju64(f, "arena_cap", 0);
	g->arena_reserved = ms_ju64(f, "arena_reserved_bytes", 0);
	snprintf(g->allocator, sizeof g->allocator, "%s", ms_jstr(f, "allocator", "unknown"));
	const struct ms_jval *jvm = ms_jget(f, "jvm");
	g->is_jvm = jvm && jvm->type == MS_J_OBJ;
	g->jdk_trim = ms_jbool(jvm, "trim_native_heap", false);

	ms_gstep_command(s, "memsleuth overview --json %d", (int)g->pid);
	/* glibc's classes name glibc's malloc only when it is the allocator (shared or static) */
	int glibc = !strncmp(g->allocator, "glibc", 5);
	if (glibc)
		ms_gstep_evidence(s, "glibc malloc holds %s of the RSS %s (%.1f%%): main heap %s, arena heaps %s, "
				  "mmapped chunks %s", SZ(g->malloc_rss), SZ(g->rss), pct(g->malloc_rss, g->rss),
				  SZ(g->main_heap_rss), SZ(g->arena_rss), SZ(g->mmap_rss));
	else
		ms_gstep_evidence(s, "the brk heap holds %s of the RSS %s (%.1f%%); the allocator is %s: glibc's "
				  "malloc and its arenas are not in use", SZ(g->malloc_rss), SZ(g->rss),
				  pct(g->malloc_rss, g->rss), g->allocator);
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
	uint64_t b = ms_guide_to_explain(g);
	if (!glibc && ms_guide_malloc_holds(g)) {
		snprintf(s->verdict, sizeof s->verdict, "the brk heap holds %s of the %s %s: the allocator (%s) is the "
			 "suspect, and glibc's arenas and settings do not reach it.", SZ(g->malloc_rss),
			 g->has_accounted ? "gap of" : "RSS of", SZ(b), g->allocator);
		snprintf(s->next, sizeof s->next, "who allocates (hotspots): the allocator is not glibc's");
	} else if (ms_guide_malloc_holds(g)) {
		uint64_t wv;
		const char *where = ms_guide_malloc_where(g, &wv);
		if (b && g->malloc_rss * 2 >= b)
			snprintf(s->verdict, sizeof s->verdict,
				 "glibc malloc holds %s (the %s to explain is %s), most of it in %s (%s): the allocator is the suspect.",
				 SZ(g->malloc_rss), g->has_accounted ? "gap" : "RSS", SZ(b), where, SZ(wv));
		else
			snprintf(s->verdict, sizeof s->verdict,
				 "glibc malloc holds %s (%.0f%% of the RSS), most of it in %s (%s): too much to leave out, "
				 "whatever the %s says; the arenas tell whether it is free or in use.",
				 SZ(g->malloc_rss), pct(g->malloc_rss, g->rss), where, SZ(wv),
				 g->has_accounted ? "accounted figure" : "RSS");
		snprintf(s->next, sizeof s->next, "what glibc's arenas hold (arenas %d)", (int)g->pid);
	} else {
		/* The largest holder is the overview's own largest cause. */
		const char *what = first_cause(f);
		snprintf(s->verdict, sizeof s->verdict, "%s holds only %s of the %s %s. %s",
			 glibc ? "glibc malloc" : "the brk heap", SZ(g->malloc_rss), g->has_accounted ? "gap of" : "RSS of", SZ(b),
			 what ? what : "No single holder stands out.");
		snprintf(s->next, sizeof s->next, "%s", strcmp(g->allocator, "glibc") && strcmp(g->allocator, "unknown")
			 ? "who allocates (hotspots): the allocator is not glibc's" : "the remedies for what holds it");
	}
}

/* The pins, as the arenas step put them together (its "pin_summary",
 * findings/pinsum.h: the largest group of pins by call site or by arena
 * kind, against what malloc_trim(0) would return from those arenas), into
 * g->pin_* (the group's largest pin), and one evidence line in the case
 * study's terms: the live blocks, the memory they pin, and where they were
 * allocated when the recording of this very process says so -- or why
 * that is not known. */
static void guide_pin(struct ms_guide *g, struct ms_gstep *s, const struct ms_jval *f)
{
	const struct ms_jval *ps = ms_jget(f, "pin_summary"), *big = ms_jget(ps, "largest");
	if (!ps || ps->type != MS_J_OBJ || !big || !ms_ju64(big, "pinned_bytes", 0))
		return;
	uint64_t pins = ms_ju64(ps, "pins", 1);
	g->pin_address = strtoull(ms_jstr(big, "address", "0"), NULL, 16);
	g->pin_size = ms_ju64(big, "size_bytes", 0);
	g->pin_pinned = ms_ju64(big, "pinned_bytes", 0);
	g->pin_tid = ms_ju64(big, "tid", 0);
	/* under half of the trim of its arenas: one block is not the fix */
	g->pin_minor = ms_jbool(ps, "minor", false);
	snprintf(g->pin_at, sizeof g->pin_at, "%s", ms_jstr(big, "allocated_at", ""));
	snprintf(g->pin_thread, sizeof g->pin_thread, "%s", ms_jstr(big, "thread", ""));
	const char *chunk = ms_jstr(ps, "text", "");
	if (pins > 1 && ms_jstr(ps, "allocated_at", NULL))
		ms_gstep_evidence(s, "%s -- from the recording of this process (the largest: %#" PRIx64 ", by thread %s, "
				  "TID %" PRIu64 ")", chunk, g->pin_address, g->pin_thread, g->pin_tid);
	else if (g->pin_at[0])
		ms_gstep_evidence(s, "%s -- %s at %s by thread %s (TID %" PRIu64 "), from the recording of this "
				  "process", chunk, pins > 1 ? "the largest was allocated" : g->pin_minor ?
				  "that chunk was allocated" : "allocated", g->pin_at, g->pin_thread, g->pin_tid);
	else if (g->recording[0])
		ms_gstep_evidence(s, "%s -- not live in the recording of this process (allocated before the hook was "
				  "there?)", chunk);
	else if (g->recording_note[0])
		ms_gstep_evidence(s, "%s -- %s call site%s not known: %s", chunk, pins > 1 ? "their" : "its",
				  pins > 1 ? "s are" : " is", g->recording_note);
	else if (g->core[0])
		ms_gstep_evidence(s, "%s -- %s call site%s not known: a core holds no record of who allocated what "
				  "(memsleuth guide -- CMD records it from the start)", chunk, pins > 1 ? "their" : "its",
				  pins > 1 ? "s are" : " is");
	else
		ms_gstep_evidence(s, "%s -- %s call site%s not known: the guide attached to a running process, whose "
				  "allocations were not recorded from its start (memsleuth guide -- CMD records them)", chunk,
				  pins > 1 ? "their" : "its", pins > 1 ? "s are" : " is");
}

/* The steps' JSON: arenas contract (docs/json/arenas.md). */
void ms_guide_take_arenas(struct ms_guide *g, struct ms_jval *f)
{
	struct ms_gstep *s = &g->step[MS_G_ARENAS];
	if (g->core[0])
		ms_gstep_command(s, "memsleuth arenas --json --core %s%s", g->core, g->core_opts);
	else if (f && ms_jget(f, "pin_sites"))
		ms_gstep_command(s, "memsleuth arenas --json --hotspots %s %d", g->recording_kept ? g->recording : "DIR",
				 (int)g->pid);
	else
		ms_gstep_command(s, "memsleuth arenas --json %d", (int)g->pid);
	s->findings = f;
	if (!f) {
		snprintf(s->verdict, sizeof s->verdict,
			 "Not measured here. From the overview alone: glibc malloc holds %s of RSS (main heap %s, arena "
			 "heaps %s); how much of it is free memory glibc keeps is what the arenas step tells.",
			 SZ(g->malloc_rss), SZ(g->main_heap_rss), SZ(g->arena_rss));
		/* a core cannot be trimmed: the experiment is the live-only
		 * trim, through ptrace (probe/ptcall.h: gdb's call fails on
		 * this host's gdb 13 and leaves the registers unrestored) */
		if (!g->core[0])
			ms_gstep_command(s, "memsleuth trim %d   # the experiment, modifies the target: calls malloc_trim(0) "
				 "in it and measures the RSS it gives back", (int)g->pid);
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
	g->mmapped = ms_ju64(f, "mmapped_bytes", 0);
	g->trim_prediction = ms_ju64(f, "trim_prediction_bytes", 0);
	const struct ms_jval *as = ms_jget(f, "arenas");
	int n = 0;
	uint64_t top = 0, top_res = 0;   /* the tops: free memory too (arena_top_kept lives there) */
	uint64_t main_trim = 0;         /* the main arena's share of the prediction (causes' main_heap_pinned) */
	for (const struct ms_jval *a = as && as->type == MS_J_ARR ? as->child : NULL; a; a = a->next, n++) {
		if (ms_jbool(a, "is_main", false)) {
			g->main_free = ms_ju64(a, "free_resident_bytes", ms_ju64(a, "free_bytes", 0));
			main_trim = ms_ju64(a, "trim_bytes", 0);
		}
		top += ms_ju64(a, "top_bytes", 0);
		top_res += ms_ju64(a, "top_resident_bytes", 0);
	}
	ms_gstep_evidence(s, "%d arena%s: %s in use, %s free of which %s resident; their tops %s free of which %s "
			  "resident", n, n == 1 ? "" : "s", SZ(g->in_use), SZ(g->free_bytes), SZ(g->free_resident),
			  SZ(top), SZ(top_res));
	/* the split the causes' sentences use: main heap vs thread arenas */
	uint64_t other_trim = g->trim_prediction > main_trim ? g->trim_prediction - main_trim : 0;
	if (g->core[0])   /* no RSS to subtract it from; the walk's residency says how exact it is */
		ms_gstep_evidence(s, "malloc_trim(0) would have returned %s in all: %s from the main heap, %s from thread "
				  "arenas, at the moment of the core (residency %s: %s)", SZ(g->trim_prediction),
				  SZ(main_trim), SZ(other_trim), ms_jstr(f, "residency", "?"),
				  !strcmp(ms_jstr(f, "residency", ""), "core_holes") ? "approximately what was resident" :
				  "every page counted, an upper bound");
	else
		ms_gstep_evidence(s, "malloc_trim(0) would return %s in all: %s from the main heap, %s from thread arenas "
				  "(prediction: RSS %s -> %s)", SZ(g->trim_prediction), SZ(main_trim), SZ(other_trim),
				  SZ(g->rss), SZ(g->rss > g->trim_prediction ? g->rss - g->trim_prediction : 0));
	if (ms_jbool(f, "partial", false))
		ms_gstep_evidence(s, "PARTIAL: %s", ms_jstr(f, "missing", "the core lacks memory"));
	if (!ms_jbool(f, "snapshot_consistent", true)) {
		/* arenas' damage rule: the same damage twice is not a moving heap */
		int changing = !strcmp(ms_jstr(f, "damage", ""), "changing");
		ms_gstep_evidence(s, "%s (%s): %s", ms_damage_words(changing ? MS_DAMAGE_CHANGING : MS_DAMAGE_CORRUPTED,
								      ms_jbool(f, "stopped", false)),
				  ms_jstr(f, "inconsistency", "?"),
				  changing ? "figures are approximate (--stop freezes it)" : "figures cover what was walked before it");
	}
	guide_pin(g, s, f);
	/* The walk's largest cause is the verdict; its own verdicts say the rest. */
	const char *what = first_cause(f);
	const struct ms_jval *vs = ms_jget(f, "verdicts");
	const struct ms_jval *last = vs && vs->type == MS_J_ARR && vs->len ? ms_jat(vs, vs->len - 1) : NULL;
	snprintf(s->verdict, sizeof s->verdict, "%s", what ? what : ms_jstr(last, "text", "The walk found nothing kept."));
	if (g->pin_pinned && g->pin_minor)   /* one block is not the fix: who allocates */
		snprintf(s->next, sizeof s->next, "who allocates (hotspots)");
	else if (g->pin_pinned && g->recording[0] && g->recording_kept)
		snprintf(s->next, sizeof s->next, "who allocated the pin: memsleuth hotspots --from %s --address %#" PRIx64,
			 g->recording, g->pin_address + 16);
	else if (g->pin_pinned && g->recording[0] && (!g->recording_why[0] ||
						      !strncmp(g->recording_why, "temporary: --report", 19)))
		snprintf(s->next, sizeof s->next, "who allocated the pin, in full (with --report FILE.html the recording is kept): "
			 "memsleuth hotspots --from FILE.hotspots --address %#" PRIx64, g->pin_address + 16);
	else if (g->pin_pinned && g->recording[0])   /* --report given, the recording not kept: why */
		snprintf(s->next, sizeof s->next, "who allocated the pin, in full: this run's recording was temporary (an "
			 "earlier one is beside the report): remove that one and rerun the guide");
	else
		snprintf(s->next, sizeof s->next, "who allocates (hotspots)");
}

static void guide_facts(const struct ms_guide *g, const struct ms_jval *compare, struct ms_cause_facts *f);

/* What the hotspots step is asked about: live memory when glibc's in use
 * grew in the watch, else the largest glibc cause found so far (overview,
 * arenas); the calls (MS_CAUSE_ARENA_SPREAD: who churns) when none is. */
static enum ms_cause_kind hot_kind(const struct ms_guide *g)
{
	if (g->in_use_grows)
		return MS_CAUSE_LEAK_GROWING;
	enum ms_cause_kind k = MS_CAUSE_ARENA_SPREAD;
	struct ms_causes *c = malloc(sizeof *c);
	if (!c)
		return k;
	struct ms_cause_facts f;
	guide_facts(g, NULL, &f);
	ms_causes_build(&f, c);
	for (int i = 0; i < c->n; i++)   /* largest first */
		if (c->v[i].kind <= MS_CAUSE_MMAPPED_CHUNKS && c->v[i].kind != MS_CAUSE_RUNTIME_HEAP) {
			k = c->v[i].kind;
			break;
		}
	free(c);
	return k;
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
	/* the site the lead cause is about (findings/hotsite.h), and the one
	 * with the most calls when that is another */
	enum ms_cause_kind kind = hot_kind(g);
	const struct ms_jval *site = ms_hot_site_for(f, kind), *busiest = ms_jat(ms_jget(f, "sites"), 0);
	if (!site)
		site = busiest;
	if (site)
		ms_callsite_json(site, g->hot_site, sizeof g->hot_site);
	/* with stacks recorded, hotspots names a site by the first frame
	 * outside allocation wrappers (findings/hotwrap.h) and says which
	 * wrapper it called: "main+0x3e (app) app.cc:12 (through operator
	 * new(unsigned long))" */
	const char *through = site ? ms_jstr(site, "through", "") : "";
	int caller = *through && strlen(g->hot_site) + strlen(through) + 12 < sizeof g->hot_site;
	if (caller)
		snprintf(g->hot_site + strlen(g->hot_site), sizeof g->hot_site - strlen(g->hot_site), " (through %s)",
			 through);
	/* a site in a module without symbols ("?? (python3.11+0x1064f4)"):
	 * said once, with the package that names it; the verdicts name the
	 * module, not "??" */
	const char *dso = site ? ms_jstr(site, "dso", "") : "";
	if (!caller && !strncmp(g->hot_site, "?? ", 3) && *dso) {
		const char *b = strrchr(dso, '/'), *pkg = ms_dbg_package(dso);
		b = b ? b + 1 : dso;
		ms_gstep_evidence(s, "the top call site is in %s, which has no symbols here: %s%s%s names it", b,
				  pkg ? "its debug symbols (apt install " : "its -dbgsym package (Debian's debian-debug archive)",
				  pkg ? pkg : "", pkg ? ")" : "");
		char raw[sizeof g->hot_site];
		snprintf(raw, sizeof raw, "%s", g->hot_site + 3);
		snprintf(g->hot_site, sizeof g->hot_site, "code in %s without symbols %s", b, raw);
	}
	ms_gstep_evidence(s, "%" PRIu64 " allocator calls recorded, %" PRIu64 " dropped", ms_ju64(f, "events", 0),
			  ms_ju64(f, "dropped", 0));
	const struct ms_jval *wr = ms_jget(ms_jget(f, "launch"), "wrapper");
	if (wr && wr->type == MS_J_ARR && wr->child)   /* the counts above are the program's */
		ms_gstep_evidence(s, "launched: %s (the wrapper's calls left out)",
				  ms_jstr(ms_jget(f, "launch"), "text", "?"));
	if (best) {
		g->have_hot = 1;
		g->hot_tid = ms_ju64(best, "tid", 0);
		g->hot_calls = ms_ju64(best, "calls", 0);
		snprintf(g->hot_name, sizeof g->hot_name, "%s", ms_jstr(best, "name", "?"));
		ms_gstep_evidence(s, "busiest thread: %" PRIu64 " (%s), %" PRIu64 " calls (%.0f%%), %s", g->hot_tid,
				  g->hot_name, g->hot_calls, pct(g->hot_calls, g->hot_total_calls),
				  SZ(ms_ju64(best, "requested_bytes", 0)));
	}
	/* Live-at-end bytes are the moment's only when the rerun reached it
	 * (the hook slows the command: a time bound may stop it earlier), and
	 * never above what glibc had live at the moment: in use in the arenas
	 * plus its mmapped chunks (mp_.mmapped_mem; large blocks live outside
	 * the arenas, e.g. a vector's reserve). */
	int reached = !g->hot_until[0] || ms_jbool(f, "command_end.until_reached", false);
	uint64_t live = site ? ms_ju64(site, "live_bytes", 0) : 0;
	uint64_t live_all = 0;
	for (const struct ms_jval *x = ms_jget(f, "sites") ? ms_jget(f, "sites")->child : NULL; x; x = x->next)
		live_all += ms_ju64(x, "live_bytes", 0);
	uint64_t glibc_live = g->in_use + g->mmapped;
	int above = g->have_arenas && live_all > glibc_live + glibc_live / 10 + (1u << 20);
	g->hot_live_valid = reached && !above;
	if (!reached)
		ms_gstep_evidence(s, "the rerun was stopped before the moment (no line matched '%s' in time): the live "
				  "bytes below are those of an earlier point, not a leak", g->hot_until);
	const char *at = reached && (g->hot_until[0] || g->recording[0]) ? "at the moment" : reached ? "at the end" :
			 "when it was stopped";
	int by_live = site && ms_cause_about_live(kind) && ms_ju64(site, "live_bytes", 0);
	char other[sizeof g->hot_site] = "";
	if (busiest && busiest != site)
		ms_callsite_json(busiest, other, sizeof other);
	if (by_live)
		ms_gstep_evidence(s, "top call site by bytes live %s: %s, %s live, %" PRIu64 " calls", at, g->hot_site,
				  SZ(live), ms_ju64(site, "calls", 0));
	else if (site)
		ms_gstep_evidence(s, "top call site: %s, %" PRIu64 " calls, %s live %s", g->hot_site,
				  ms_ju64(site, "calls", 0), SZ(live), at);
	if (by_live && other[0])
		ms_gstep_evidence(s, "most calls: %s, %" PRIu64 " calls, %s live", other, ms_ju64(busiest, "calls", 0),
				  SZ(ms_ju64(busiest, "live_bytes", 0)));
	if (above && reached && g->recording[0])
		/* one process, one recording: the gap is the process moving on
		 * after the walk, or frees the recording did not see */
		ms_gstep_evidence(s, "suspicious: the recording's sites hold %s live, above the %s glibc had live when "
				  "arenas walked (%s in use in the arenas + %s in mmapped chunks): the process allocated "
				  "more after the walk, or the recording missed frees (%" PRIu64 " calls dropped)",
				  SZ(live_all), SZ(glibc_live), SZ(g->in_use), SZ(g->mmapped), ms_ju64(f, "dropped", 0));
	else if (above && reached)
		ms_gstep_evidence(s, "not comparable: the rerun's sites hold %s live at its end, above the %s glibc had "
				  "live at the moment (%s in use in the arenas + %s in mmapped chunks): the two runs did "
				  "not end at the same point", SZ(live_all), SZ(glibc_live), SZ(g->in_use), SZ(g->mmapped));
	/* a wrapper's site itself: no stack said who called it */
	char fn[MS_DEMANGLE_IN_MAX];   /* a document without "function" (older memsleuth): "symbol" demangled */
	ms_demangle(site ? ms_jstr(site, "function", ms_jstr(site, "symbol", "")) : "", fn, sizeof fn);
	if (caller)
		ms_gstep_evidence(s, "the top call site allocates through the allocation wrapper %s: named by its "
				  "caller, from the recorded stacks", through);
	else if (ms_hs_is_wrapper(fn))
		ms_gstep_evidence(s, "the top call site %s is an allocation wrapper: rerun with --stacks 8 to see who "
				  "calls it", fn);
	if (by_live && best)
		snprintf(s->verdict, sizeof s->verdict, "The most bytes still live %s were allocated at %s: %s of the %s "
			 "live in all call sites, where the in-use memory is allocated and not freed. Thread %" PRIu64
			 " (%s) made the most allocator calls (%" PRIu64 " of %" PRIu64 ").", at, g->hot_site, SZ(live),
			 SZ(live_all), g->hot_tid, g->hot_name, g->hot_calls, g->hot_total_calls);
	else if (by_live)
		snprintf(s->verdict, sizeof s->verdict, "The most bytes still live %s were allocated at %s: %s of the %s "
			 "live in all call sites, where the in-use memory is allocated and not freed.", at, g->hot_site,
			 SZ(live), SZ(live_all));
	else if (best)
		snprintf(s->verdict, sizeof s->verdict, "Thread %" PRIu64 " (%s) made the most allocator calls (%" PRIu64
			 " of %" PRIu64 ")%s%s.", g->hot_tid, g->hot_name, g->hot_calls, g->hot_total_calls,
			 site ? ", most from " : "", site ? g->hot_site : "");
	else if (!g->launched && !ms_ju64(f, "events", 0)) {
		/* attached to an idle process: what it holds was allocated
		 * before the window, and hotspots PID again records nothing */
		g->hot_idle = 1;
		snprintf(s->verdict, sizeof s->verdict, "No allocator calls were seen in the window: the process was idle, "
			 "and what it holds was allocated before hotspots attached. Watch it while it works (memsleuth "
			 "watch %d), or record it from the start (memsleuth guide -- %s).", (int)g->pid,
			 g->command[0] ? g->command : "CMD");
	} else
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
	/* a cut trace (the tracer died mid-run): its counts are lower bounds */
	int partial = ms_jbool(f, "partial", 0);
	const struct ms_jval *seg2 = ms_jat(ms_jget(f, "segments"), 1);
	ms_gstep_evidence(s, "backend: %s%s%s", ms_jstr(f, "backend", "?"), seg2 ? ", then " : "",
			  seg2 ? ms_jstr(seg2, "backend", "?") : "");
	if (partial)
		ms_gstep_evidence(s, "PARTIAL trace: %s", ms_jstr(f, "partial_reason", "the backend lost events"));
	const struct ms_jval *wr = ms_jget(ms_jget(f, "launch"), "wrapper");
	if (wr && wr->type == MS_J_ARR && wr->child)   /* the calls below are the program's */
		ms_gstep_evidence(s, "launched: %s (the wrapper's calls left out)",
				  ms_jstr(ms_jget(f, "launch"), "text", "?"));
	const struct ms_jval *tot = ms_jget(f, "totals");
	char line[300] = "";
	size_t len = 0;
	for (const struct ms_jval *t = tot && tot->type == MS_J_ARR ? tot->child : NULL; t && len < sizeof line - 60; t = t->next)
		if (ms_ju64(t, "count", 0))
			len += (size_t)snprintf(line + len, sizeof line - len, "%s%s %" PRIu64 " (%s)", len ? ", " : "",
					ms_jstr(t, "syscall", "?"), ms_ju64(t, "count", 0), SZ(ms_ju64(t, "length_bytes", 0)));
	ms_gstep_evidence(s, "calls: %s", len ? line : "none in the window");
	ms_gstep_evidence(s, "arena heaps created: %s%" PRIu64, partial ? "at least " : "",
			  ms_ju64(f, "arena_heaps_created", 0));
	const struct ms_jval *v0 = ms_jat(ms_jget(f, "verdicts"), 0), *v1 = ms_jat(ms_jget(f, "verdicts"), 1);
	if (v0 && partial && v1)   /* "The trace is partial: ..." and what it saw */
		snprintf(s->verdict, sizeof s->verdict, "%s %s", ms_jstr(v0, "text", ""), ms_jstr(v1, "text", ""));
	else if (v0)
		snprintf(s->verdict, sizeof s->verdict, "%s", ms_jstr(v0, "text", ""));
	else
		snprintf(s->verdict, sizeof s->verdict, "%s", len ? "The calls above are how its memory grew and shrank in the window." :
			 "No memory syscalls in the window: the process is holding still; run the guide on the "
			 "command (memsleuth guide -- CMD) to see the heaps grow.");
}

/* The facts every step found, for the cause model. */
static void guide_facts(const struct ms_guide *g, const struct ms_jval *compare, struct ms_cause_facts *f)
{
	ms_cause_facts_init(f, g->pid);
	const struct ms_jval *ar = g->have_arenas ? g->step[MS_G_ARENAS].findings : NULL;
	if (g->core[0]) {
		/* the facts arenas --core builds from the same walk: a core's
		 * classes are bytes in the core, not RSS, and its RSS is unknown */
		ms_cause_facts_from_json(f, NULL, ar, compare);
		ms_cause_facts_core(f, g->pid, g->command);
	} else {
		ms_cause_facts_from_json(f, g->step[MS_G_OVERVIEW].findings, ar, compare);
		if (!f->rss)
			f->rss = g->rss;
		/* A launched command ends with the guide: name the rerun, not its PID. */
		f->alive = !g->launched && kill(g->pid, 0) == 0;
		f->launched = g->launched;
		snprintf(f->command, sizeof f->command, "%s", g->command);
		snprintf(f->cwd, sizeof f->cwd, "%s", g->cwd);
		f->origin = g->origin;
	}
	if (g->has_accounted) {
		f->have_accounted = 1;
		f->accounted = g->accounted;
		snprintf(f->accounted_from, sizeof f->accounted_from, "%s", g->accounted_from);
	}
	if (g->have_nmt) {
		f->have_nmt = 1;
		f->nmt_committed = g->nmt_committed;
		f->nmt_malloc = g->nmt_malloc;
		f->java_heap_committed = g->java_heap_committed;
		f->java_heap_resident = g->java_heap_resident;
		f->have_java_heap_resident = g->have_java_heap_resident;
	}
	f->hot_idle = g->hot_idle;   /* no hotspots PID again: watch, or record from the start */
	/* the in-use cause's "so far": the site holding the most live bytes */
	const struct ms_jval *site = ms_hot_site_for(g->step[MS_G_HOTSPOTS].findings, MS_CAUSE_IN_USE_UNACCOUNTED);
	if (g->have_hot && site && g->hot_live_valid) {
		f->have_hot = 1;
		f->hot_live = ms_ju64(site, "live_bytes", 0);
		ms_callsite_json(site, f->hot_site, sizeof f->hot_site);
	}
}

/* The allocator variables the target was started with (its
 * /proc/PID/environ), "MALLOC_ARENA_MAX='2' " for the compare command
 * that measures its remedies: compare keeps them in its as-launched
 * baseline row (trial5 T5-6: the proof command dropped them and measured
 * against an untuned default).  "" for a core, none, or unreadable; a
 * value with a quote is left out (read from the target: untrusted). */
static void target_alloc_env(const struct ms_guide *g, char *out, size_t len)
{
	char *buf = NULL;
	size_t n = 0, off = 0;
	out[0] = 0;
	if (g->pid <= 0 || g->core[0] || ms_proc_read(g->pid, "environ", &buf, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1) {
		const char *kv = buf + i, *eq = strchr(kv, '=');
		if (!eq || strchr(kv, '\'') || !ms_remedy_is_allocator_var(kv) || off >= len)
			continue;
		int w = snprintf(out + off, len - off, "%.*s'%s' ", (int)(eq + 1 - kv), kv, eq + 1);
		if (w < 0 || (size_t)w >= len - off) {
			out[off] = 0;   /* cut whole, never half a variable */
			break;
		}
		off += (size_t)w;
	}
	free(buf);
}

void ms_guide_causes(struct ms_guide *g, const struct ms_jval *compare)
{
	struct ms_cause_facts f;
	guide_facts(g, compare, &f);
	ms_causes_build(&f, &g->causes);
	g->have_causes = 1;
}

void ms_guide_remedies(struct ms_guide *g, struct ms_jval *compare)
{
	struct ms_gstep *s = &g->step[MS_G_REMEDIES];
	s->findings = compare;
	s->status = MS_G_DONE;
	const char *cmd = g->command[0] ? g->command : "CMD";
	ms_guide_causes(g, compare);
	const char *rec = compare ? ms_jstr(compare, "recommendation.text", NULL) : NULL;
	if (rec)
		ms_gstep_evidence(s, "compare: %s", rec);
	if (compare && *ms_jstr(compare, "recommendation.no_change", ""))
		ms_gstep_evidence(s, "compare measured no change with: %s", ms_jstr(compare, "recommendation.no_change", ""));
	if (compare && *ms_jstr(compare, "recommendation.worse", ""))
		ms_gstep_evidence(s, "compare measured worse than %s (never use these here): %s",
				  ms_jstr(compare, "recommendation.baseline", "glibc's default"),
				  ms_jstr(compare, "recommendation.worse", ""));
	if (compare && *ms_jstr(compare, "recommendation.not_applied", ""))
		ms_gstep_evidence(s, "compare could not apply (never measured): %s",
				  ms_jstr(compare, "recommendation.not_applied", ""));
	if (compare && *ms_jstr(compare, "recommendation.not_compared", ""))
		ms_gstep_evidence(s, "compare could not judge: %s", ms_jstr(compare, "recommendation.not_compared", ""));
	/* The remedies of every cause, ordered by the bytes they address. */
	struct ms_cause_remedy rem[32];
	int n;
	ms_causes_remedies(&g->causes, rem, 32, &n);
	char configs[200] = "glibc";
	for (int i = 0; i < n && s->ncmd < MS_G_MAX_CMD - 1; i++) {
		char d[1024];
		ms_cause_remedy_describe(&rem[i], d, sizeof d);
		if (rem[i].advice)   /* words, not a shell command */
			ms_gstep_evidence(s, "%s: %s (%s)", ms_cause_kind_id(rem[i].addresses), rem[i].command, d);
		else
			ms_gstep_command(s, "%s   # %s: %s", rem[i].command, ms_cause_kind_id(rem[i].addresses), d);
		if (strstr(rem[i].command, "MALLOC_ARENA_MAX=2") && !strstr(configs, "arena-max-2"))
			strcat(configs, ",glibc-arena-max-2");
		if (strstr(rem[i].command, "glibc.malloc.trim_threshold=131072") && !strstr(configs, "fixed"))
			strcat(configs, ",glibc-fixed-thresholds");
		if (strstr(rem[i].command, "glibc.malloc.tcache_count=0") && !strstr(configs, "tcache"))
			strcat(configs, ",glibc-tcache-0");
		if (strstr(rem[i].command, "libjemalloc") && !strstr(configs, "jemalloc"))
			strcat(configs, ",jemalloc-decay-0");
	}
	char env[512];
	target_alloc_env(g, env, sizeof env);
	if (!compare && strchr(configs, ',') && is_glibc(g) && g->origin.title) {
		char need[400];   /* a title is no command to run compare on */
		ms_origin_compare(configs, need, sizeof need);
		ms_gstep_evidence(s, "%s (process %d: %s)", need, (int)g->pid, g->origin.why);
	} else if (!compare && strchr(configs, ',') && is_glibc(g))
		ms_gstep_command(s, "%s%s%s%smemsleuth compare --configs %s%s%s -- %s   # measures these on the workload, "
				 "%s", g->cwd[0] && !strchr(g->cwd, '\'') ? "cd '" : "",
				 g->cwd[0] && !strchr(g->cwd, '\'') ? g->cwd : "", g->cwd[0] && !strchr(g->cwd, '\'') ? "' && " : "",
				 env, configs, g->moment[0] ? " " : "", g->moment, cmd, g->core[0] ? "a rerun of the core's command "
				 "(give --final-at or --final-after: the moment the core was taken)" :
				 "sampled at the moment the guide looked");
	/* the cause to lead with: the most severe, the largest among equals
	 * (a reclaimable file_mapped notice never ahead of a problem) */
	const struct ms_cause *top = NULL;
	for (int i = 0; i < g->causes.n; i++)
		if (!top || g->causes.v[i].severity > top->severity)
			top = &g->causes.v[i];
	const char *which = top && top != &g->causes.v[0] ? "most severe" : "largest";
	char share[40] = "";   /* ", 54% of the RSS"; nothing when the RSS is not known (a core) */
	if (top && top->rss_share >= 0) {
		char pc[16];
		snprintf(share, sizeof share, ", %s of the RSS", ms_share_fmt(top->rss_share, 0, pc, sizeof pc));
	}
	if (!is_glibc(g) && top)
		snprintf(s->verdict, sizeof s->verdict, "The allocator is %s, not glibc: glibc's trim and arena settings "
			 "do not apply; use the allocator's own controls. The %s cause (%s%s): %s", g->allocator, which,
			 SZ(top->resident_bytes), share, top->text);
	else if (!is_glibc(g))
		snprintf(s->verdict, sizeof s->verdict, "The allocator is %s, not glibc: glibc's trim and arena settings "
			 "do not apply; use the allocator's own controls.", g->allocator);
	else if (!top && g->core[0] && (!g->have_arenas || ms_jbool(g->step[MS_G_ARENAS].findings, "partial", false)))
		/* nothing measured is not nothing found */
		snprintf(s->verdict, sizeof s->verdict, "No cause can be named from this core: glibc's arenas were not read "
			 "from it%s (step 3 says why); take the core whole, or run the guide on the live process (the "
			 "last conclusion names the command).", g->have_arenas ? " whole" : "");
	else if (!top)
		snprintf(s->verdict, sizeof s->verdict, "No cause holds a meaningful share of the %s (%s): nothing to fix.",
			 g->core[0] ? "core's bytes" : "RSS", SZ(g->rss));
	else if (!n)
		snprintf(s->verdict, sizeof s->verdict, "The %s cause, %s (%s), has no remedy outside the application: %s",
			 which, ms_cause_kind_title(top->kind), SZ(top->resident_bytes), top->text);
	else if (!top->nrem)
		snprintf(s->verdict, sizeof s->verdict, "The %s cause is %s (%s%s), which no setting "
			 "changes; the remedies above act on the others.", which, ms_cause_kind_title(top->kind),
			 SZ(top->resident_bytes), share);
	else {
		/* a command to run before advice in words (as the conclusions) */
		const struct ms_cause_remedy *r = &top->rem[0];
		for (int i = top->nrem - 1; i >= 0; i--)
			if (!top->rem[i].advice && !top->rem[i].no_change)
				r = &top->rem[i];
		snprintf(s->verdict, sizeof s->verdict, "The %s cause is %s (%s%s); its first remedy: %s (%s).",
			 which, ms_cause_kind_title(top->kind), SZ(top->resident_bytes), share, r->command, r->effect);
	}
}

int ms_guide_relevant(const struct ms_guide *g, enum ms_gstep_id s, char *reason, size_t len)
{
	reason[0] = 0;
	if (s != MS_G_REMEDIES && g->has_accounted && !ms_guide_to_explain(g) && !ms_guide_malloc_holds(g) && !g->in_use_grows) {
		snprintf(reason, len, "RSS %s is not above the %s the application accounts for and %s holds only "
			 "%s: there is no gap for the allocator to explain", SZ(g->rss), SZ(g->accounted),
			 is_glibc(g) ? "glibc malloc" : "the brk heap", SZ(g->malloc_rss));
		return 0;
	}
	if (s == MS_G_ARENAS && !is_glibc(g)) {
		snprintf(reason, len, "the allocator is %s, not glibc: there are no glibc arenas to read", g->allocator);
		return 0;
	}
	if ((s == MS_G_ARENAS || s == MS_G_SYSCALLS) && !ms_guide_malloc_holds(g)) {
		snprintf(reason, len, "glibc malloc holds only %s of the %s to explain (under 10%% of the RSS and 64 MiB): "
			 "its heaps are not where the memory is", SZ(g->malloc_rss), SZ(ms_guide_to_explain(g)));
		return 0;
	}
	if (s == MS_G_HOTSPOTS && !ms_guide_malloc_holds(g) && is_glibc(g)) {
		snprintf(reason, len, "malloc does not hold the memory (%s of %s): its callers are not the cause",
			 SZ(g->malloc_rss), SZ(ms_guide_to_explain(g)));
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

/* The pin named, in the case study's terms, right after the cause it
 * holds (main_heap_pinned): one live block at the top of the heap, the
 * freed memory below it that glibc cannot give back while it lives, and
 * where the fix is -- where the block is allocated or freed, or settings
 * as compare measures them.  Only when its call site is known. */
static void conclude_pin(const struct ms_guide *g, struct ms_verdicts *c)
{
	int at = -1;
	for (int i = 0; i < g->causes.n && at < 0; i++)
		if (g->causes.v[i].kind == MS_CAUSE_MAIN_HEAP_PINNED)
			at = i;
	if (at < 0 || !g->pin_at[0] || !g->pin_pinned || g->pin_minor)
		return;
	/* the causes' verdicts were the last causes.n added */
	int pos = c->n - g->causes.n + at + 1;
	if (c->n >= MS_MAX_VERDICTS || pos < 0)
		return;
	char next[240];
	if (g->recording_kept)
		snprintf(next, sizeof next, "memsleuth hotspots --from %s --address %#" PRIx64, g->recording,
			 g->pin_address + 16);
	else if (g->origin.title)   /* no command reruns it: what compare needs, in words */
		ms_origin_compare("glibc,jemalloc-decay-0", next, sizeof next);
	else
		snprintf(next, sizeof next, "memsleuth compare -- %.200s", g->command);
	ms_verdict_add(c, MS_NOTICE, next, "The pin: a live block of %s allocated at %s by thread %s sits above %s of "
		       "freed memory; a heap shrinks only from its top, so glibc keeps it all while that block lives. Fix "
		       "it where the block is allocated or freed (free it with the others, or allocate it first), or "
		       "without code by the settings above, as compare measures them.", SZ(g->pin_size), g->pin_at,
		       g->pin_thread, SZ(g->pin_pinned));
	if (pos >= c->n - 1)
		return;
	struct ms_verdict v = c->v[c->n - 1];   /* move it up, after its cause */
	memmove(&c->v[pos + 1], &c->v[pos], (size_t)(c->n - 1 - pos) * sizeof v);
	c->v[pos] = v;
}

void ms_guide_conclude(struct ms_guide *g)
{
	struct ms_verdicts *c = &g->conclusions;
	const struct ms_gstep *ar = &g->step[MS_G_ARENAS];
	if (g->step[MS_G_ACCOUNTED].status == MS_G_DONE && g->has_accounted)
		ms_verdict_add(c, MS_NOTICE, "", "%s", g->step[MS_G_ACCOUNTED].verdict);
	if (!g->have_causes)
		ms_guide_causes(g, g->step[MS_G_REMEDIES].findings);
	/* One conclusion per cause, largest first, each with its first remedy. */
	ms_causes_verdicts(&g->causes, c);
	conclude_pin(g, c);
	if (ar->status != MS_G_DONE && ar->status != MS_G_SKIPPED && ar->status != MS_G_NOT_REACHED && ms_guide_malloc_holds(g))
		ms_verdict_add(c, MS_NOTICE, "", "glibc malloc holds %s; how much of it is free memory glibc keeps was not "
			       "measured: %s", SZ(g->malloc_rss), ar->reason);
	if (g->have_hot)
		ms_verdict_add(c, MS_INFO, "", "%s", g->step[MS_G_HOTSPOTS].verdict);
	const struct ms_jval *cmp = g->step[MS_G_REMEDIES].findings;
	if (cmp && ms_jstr(cmp, "recommendation.text", NULL))
		ms_verdict_add(c, MS_INFO, "", "memsleuth compare on the command: %s", ms_jstr(cmp, "recommendation.text", ""));
	if (g->core[0])
		ms_guide_core_conclude(g, c);
	if (g->stopped_early)
		ms_verdict_add(c, MS_INFO, "", "Stopped before the last step; the findings so far are above.");
	ms_guide_conclude_growth(g);   /* placed by its severity among the others */
}

/* memsleuth guide --core: the method over what a core can answer.  A
 * core is one moment of a process that may no longer run: where its
 * memory lived (overview --core's classes, in bytes the core holds --
 * RSS is not in a core), glibc's arenas and what malloc_trim(0) would
 * have returned (arenas --core), the causes with their bytes.  What needs
 * a running process (watch, hotspots, syscalls, trim, compare) is said,
 * with the command that does it on a live one. */
#include "findings/guide.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "findings/causes_feed.h"
#include "util/size.h"

#define SZ(v) ms_size_fmt((v), (char[MS_SIZE_BUF]){ 0 })

/* "12.5%" of whole (0: "-") */
static const char *share(uint64_t part, uint64_t whole, char buf[16])
{
	return ms_share_fmt(whole ? (double)part / (double)whole : MS_SHARE_UNKNOWN, 1, buf, 16);
}

/* The residency of the core in words: what its bytes stand for. */
static const char *what_bytes_are(const struct ms_guide *g)
{
	return !strcmp(g->core_residency, "core_holes")
		? "the pages present or swapped when the kernel wrote it (never-touched pages are holes): about "
		  "the resident memory plus swap"
		: "every page of what was dumped (gcore writes them all): an upper bound of the resident memory";
}

/* One live-only check: why a core cannot answer it, and the command on a
 * live process: "memsleuth TOOL PID" while a process of the core's PID
 * exists (a core cannot tell whether it is still the core's: gcore leaves
 * it running; said), else PREFIX + the core's command line + SUFFIX. */
static void live_only(struct ms_guide *g, const char *what, const char *reason, const char *tool, const char *prefix,
		      const char *suffix)
{
	if (g->nlive_only >= (int)(sizeof g->live_only / sizeof g->live_only[0]))
		return;
	struct ms_glive *l = &g->live_only[g->nlive_only++];
	snprintf(l->what, sizeof l->what, "%s", what);
	snprintf(l->reason, sizeof l->reason, "%s", reason);
	if (tool && ms_core_pid_exists(g->pid))
		snprintf(l->command, sizeof l->command, "memsleuth %s %d   # if it is still the core's process", tool,
			 (int)g->pid);
	else
		snprintf(l->command, sizeof l->command, "%s%s%s", prefix, g->command[0] ? g->command : "CMD", suffix);
}

void ms_guide_core_facts(struct ms_guide *g, struct ms_jval *f, const char *core, const char *core_opts)
{
	g->step[MS_G_OVERVIEW].findings = f;
	snprintf(g->core, sizeof g->core, "%s", core);
	snprintf(g->core_opts, sizeof g->core_opts, "%s", core_opts);
	g->pid = (pid_t)ms_ju64(f, "pid", 0);
	snprintf(g->name, sizeof g->name, "%s", ms_jstr(f, "name", "?"));
	snprintf(g->command, sizeof g->command, "%s", ms_jstr(f, "command", ""));
	snprintf(g->core_written_by, sizeof g->core_written_by, "%s", ms_jstr(f, "written_by", "?"));
	snprintf(g->core_residency, sizeof g->core_residency, "%s", ms_jstr(f, "residency", "unknown"));
	snprintf(g->core_missing, sizeof g->core_missing, "%s", ms_jstr(f, "missing", ""));
	g->core_signal = (int)ms_ju64(f, "signal", 0);
	g->core_mapped = ms_ju64(f, "mapped_bytes", 0);
	/* the stand-in for RSS: the bytes the core holds, per class too */
	g->rss = ms_ju64(f, "in_core_bytes", 0);
	g->malloc_rss = ms_ju64(f, "malloc_in_core_bytes", 0);
	g->main_heap_rss = ms_guide_class_bytes(f, "main_heap", "in_core_bytes");
	g->arena_rss = ms_guide_class_bytes(f, "arena_heap", "in_core_bytes");
	g->mmap_rss = ms_guide_class_bytes(f, "malloc_mmap", "in_core_bytes");
	g->anon_other_rss = ms_guide_class_bytes(f, "anon_other", "in_core_bytes");
	g->stack_rss = ms_guide_class_bytes(f, "thread_stack", "in_core_bytes");
	g->file_rss = ms_guide_class_bytes(f, "file", "in_core_bytes");
	g->shmem_rss = ms_guide_class_bytes(f, "shmem", "in_core_bytes");
	g->arena_reserved = ms_guide_class_bytes(f, "arena_heap", "size_bytes");
	g->arenas = ms_jhas_num(f, "arenas") ? (long)ms_ju64(f, "arenas", 0) : -1;
	g->arena_heaps = ms_ju64(f, "arena_heaps", 0);
	snprintf(g->allocator, sizeof g->allocator, "%s", ms_jstr(f, "allocator", "unknown"));

	live_only(g, "watch", "a core is one moment: what grows needs samples of the running process over time",
		  "watch", "memsleuth guide -- ", "   # a rerun of its command: the guide watches what grows");
	live_only(g, "hotspots", "a core holds no allocator calls: hotspots attaches uprobes to a running process, "
		  "or records a command under its hook from its start",
		  "hotspots", "memsleuth guide -- ", "   # a rerun of its command, recorded from its start");
	live_only(g, "syscalls", "a core holds no system calls: how the heaps grew (brk, mmap, mprotect, madvise) is "
		  "traced on a running process", "syscalls", "memsleuth syscalls -- ", "   # a rerun of its command");
	live_only(g, "trim", "a core cannot give memory back: malloc_trim(0) runs inside the live process; the arenas "
		  "step predicts what it would return",
		  "trim", "memsleuth trim PID   # PID: a rerun of ", ", at the same moment");
	live_only(g, "compare", "compare reruns the command under each remedy and measures its RSS: a core has neither",
		  NULL, "memsleuth compare -- ", "   # the core's command line (its notes keep 80 bytes of it)");
}

const char *ms_guide_core_refusal(const struct ms_jval *f, const char *core, char *buf, size_t len)
{
	const char *alloc = ms_jstr(f, "allocator", "unknown"), *libc = ms_jstr(f, "libc_error", NULL);
	const char *missing = ms_jstr(f, "missing", NULL);
	if (libc && missing)   /* cut where the libc's notes or data were: nothing of the heap can be read */
		snprintf(buf, len, "core %s: partial (%s): %s (take the core whole: gcore PID, or ulimit -c unlimited "
			 "and systemd-coredump's ProcessSizeMax; docs/postmortem.md)", core, missing, libc);
	else if (libc && strchr(libc, '('))   /* its own way out (--sysroot for a build-id mismatch) */
		snprintf(buf, len, "%s", libc);
	else if (libc)
		snprintf(buf, len, "%s (give --exe PATH or --sysroot DIR, docs/postmortem.md; where its memory lived: "
			 "memsleuth overview --core %s)", libc, core);
	else if (!strcmp(alloc, "glibc-static"))   /* arenas' refusal (findings/arenas.c), said before the steps */
		snprintf(buf, len, "core %s of process %d (%s): glibc is linked statically; its arenas are not located in "
			 "that case (investigate a dynamically linked build of the program; where its memory lived: "
			 "memsleuth overview --core %s)", core, (int)ms_ju64(f, "pid", 0), ms_jstr(f, "name", "?"), core);
	else if (strcmp(alloc, "glibc"))
		snprintf(buf, len, "core %s of process %d (%s): the allocator is %s, not glibc's malloc: the guide reads "
			 "glibc's heaps from a core (where its memory lived: memsleuth overview --core %s)", core,
			 (int)ms_ju64(f, "pid", 0), ms_jstr(f, "name", "?"), alloc, core);
	else
		return NULL;
	return buf;
}

void ms_guide_core_accounted(struct ms_guide *g)
{
	struct ms_gstep *s = &g->step[MS_G_ACCOUNTED];
	char p[16];
	s->status = MS_G_DONE;
	ms_gstep_evidence(s, "RSS: not in a core (the kernel counts it in /proc, which a core does not keep; its notes "
			  "carry no RSS)");
	ms_gstep_evidence(s, "the core of process %d holds %s of the %s its mappings span: %s", (int)g->pid,
			  SZ(g->rss), SZ(g->core_mapped), what_bytes_are(g));
	if (g->core_missing[0])
		ms_gstep_evidence(s, "PARTIAL core: %s", g->core_missing);
	ms_gstep_evidence(s, "watch: skipped (%s); on a live process: %s", g->live_only[0].reason,
			  g->live_only[0].command);
	ms_gstep_command(s, "du -h --apparent-size %s; du -h %s   # a kernel core's disk use is about the resident "
			 "memory plus swap", g->core, g->core);
	if (!g->has_accounted) {
		ms_gstep_evidence(s, "what the application accounts for: not known (no --accounted given)");
		snprintf(s->verdict, sizeof s->verdict, "No accounted figure and no RSS in a core: the core's %s (%s) "
			 "are examined; give --accounted SIZE to measure the gap against them.", SZ(g->rss),
			 !strcmp(g->core_residency, "core_holes") ? "about the resident memory" : "an upper bound");
	} else {
		uint64_t gap = ms_guide_to_explain(g);
		ms_gstep_evidence(s, "the application accounts for %s (%s)", SZ(g->accounted), g->accounted_from);
		ms_gstep_evidence(s, "gap: %s, %s of the core's bytes", SZ(gap), share(gap, g->rss, p));
		if (gap * 10 < g->rss)
			snprintf(s->verdict, sizeof s->verdict, "The core's %s are close to the %s the application "
				 "accounts for: the memory is the application's own; look at its own accounting (a heap "
				 "dump) before the allocator.", SZ(g->rss), SZ(g->accounted));
		else
			snprintf(s->verdict, sizeof s->verdict, "The core holds %s, %s above the %s the application "
				 "accounts for (%s of it)%s: something outside its bookkeeping held it.", SZ(g->rss),
				 SZ(gap), SZ(g->accounted), share(gap, g->rss, p),
				 strcmp(g->core_residency, "core_holes") ? "; gcore counts every page, so the gap is an "
				 "upper bound" : "");
	}
	snprintf(s->next, sizeof s->next, "where the memory lived (overview --core)");
}

void ms_guide_core_overview(struct ms_guide *g)
{
	struct ms_gstep *s = &g->step[MS_G_OVERVIEW];
	const struct ms_jval *f = s->findings;
	char p[16];
	s->status = MS_G_DONE;
	ms_gstep_command(s, "memsleuth overview --json --core %s%s", g->core, g->core_opts);
	char sig[40] = "";
	const char *abbrev = g->core_signal ? sigabbrev_np(g->core_signal) : NULL;
	if (g->core_signal)
		snprintf(sig, sizeof sig, " on signal %d%s%s", g->core_signal, abbrev ? " SIG" : "", abbrev ? abbrev : "");
	ms_gstep_evidence(s, "core of process %d (%s), written by %s%s; %" PRIu64 " threads%s%s", (int)g->pid, g->name,
			  !strcmp(g->core_written_by, "gcore") ? "gdb's gcore (the process went on)" : "the kernel", sig,
			  ms_ju64(f, "threads", 0), g->command[0] ? "; command: " : "", g->command);
	if (strlen(g->command) >= 79)   /* NT_PRPSINFO's pr_psargs: 80 bytes, the rest dropped */
		ms_gstep_evidence(s, "its command line may be cut: a core's notes keep its first 80 bytes, and the commands "
				  "below that rerun it use them as they are: check them");
	ms_gstep_evidence(s, "glibc malloc's heaps hold %s of the core's %s (%s): main heap %s, arena heaps %s, "
			  "mmapped chunks %s (bytes in the core, not RSS)", SZ(g->malloc_rss), SZ(g->rss),
			  share(g->malloc_rss, g->rss, p), SZ(g->main_heap_rss), SZ(g->arena_rss), SZ(g->mmap_rss));
	ms_gstep_evidence(s, "other anonymous memory %s, thread stacks %s, files %s, shared memory %s", SZ(g->anon_other_rss),
			  SZ(g->stack_rss), SZ(g->file_rss), SZ(g->shmem_rss));
	ms_gstep_evidence(s, "allocator: %s%s%s (the core's own libc, its build-id checked)", g->allocator,
			  ms_jstr(f, "glibc_version", NULL) ? ", glibc " : "", ms_jstr(f, "glibc_version", ""));
	if (g->arenas > 1)
		ms_gstep_evidence(s, "%ld arenas (main + %ld); %" PRIu64 " arena heaps: %s reserved, %s in the core (the "
				  "arena cap depends on the CPUs of the machine it ran on: not in a core)", g->arenas,
				  g->arenas - 1, g->arena_heaps, SZ(g->arena_reserved), SZ(g->arena_rss));
	else if (g->arenas == 1)
		ms_gstep_evidence(s, "no arenas beyond main: the arena-explosion branch does not apply");
	uint64_t b = ms_guide_to_explain(g);
	uint64_t wv;
	const char *where = ms_guide_malloc_where(g, &wv);
	if (ms_guide_malloc_holds(g)) {
		snprintf(s->verdict, sizeof s->verdict, "glibc malloc's heaps hold %s of the core's %s (the %s to explain "
			 "is %s), most of it in %s (%s): the allocator is the suspect.", SZ(g->malloc_rss), SZ(g->rss),
			 g->has_accounted ? "gap" : "memory", SZ(b), where, SZ(wv));
		snprintf(s->next, sizeof s->next, "what glibc's arenas held (arenas --core %s)", g->core);
	} else {
		snprintf(s->verdict, sizeof s->verdict, "glibc malloc's heaps hold only %s of the core's %s: the memory "
			 "was elsewhere (the classes above); glibc's settings do not reach it.", SZ(g->malloc_rss),
			 SZ(g->rss));
		snprintf(s->next, sizeof s->next, "the remedies for what held it");
	}
}

void ms_guide_core_skip(struct ms_guide *g, enum ms_gstep_id id)
{
	const char *what = id == MS_G_HOTSPOTS ? "hotspots" : "syscalls";
	for (int i = 0; i < g->nlive_only; i++)
		if (!strcmp(g->live_only[i].what, what)) {
			char reason[sizeof g->step[id].reason];
			snprintf(reason, sizeof reason, "live only: %s", g->live_only[i].reason);
			ms_gstep_set(&g->step[id], MS_G_SKIPPED, reason);
			ms_gstep_command(&g->step[id], "%s", g->live_only[i].command);
		}
}

void ms_guide_core_conclude(const struct ms_guide *g, struct ms_verdicts *c)
{
	char next[600], skipped[80] = "";
	size_t n = 0;
	for (int i = 0; i < g->nlive_only && n < sizeof skipped; i++)
		n += (size_t)snprintf(skipped + n, sizeof skipped - n, "%s%s", i ? ", " : "", g->live_only[i].what);
	if (ms_core_pid_exists(g->pid))
		snprintf(next, sizeof next, "memsleuth guide %d   # if it is still the core's process", (int)g->pid);
	else
		snprintf(next, sizeof next, "memsleuth guide -- %s   # a rerun of its command",
			 g->command[0] ? g->command : "CMD");
	ms_verdict_add(c, g->core_missing[0] ? MS_NOTICE : MS_INFO, next, "Read from the core %s (written by %s%s): RSS "
		       "is not in a core, its bytes stand in (%s). Not answerable from a core: %s -- they need the "
		       "running process.", g->core, !strcmp(g->core_written_by, "gcore") ? "gdb's gcore" : "the kernel",
		       g->core_missing[0] ? ", PARTIAL: step 1 names what it lacks" : "",
		       !strcmp(g->core_residency, "core_holes") ? "about the resident memory plus swap" :
		       "an upper bound: gcore writes every page", skipped);
}

/* The guide's model: the steps' names and teaching texts, evidence and
 * commands per step, RSS samples, and the combined JSON document. */
#include "findings/guide.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>


static const struct {
	const char *name, *title, *why, *explain;
} texts[MS_G_N] = {
	[MS_G_ACCOUNTED] = { "accounted", "Is RSS above what the application accounts for?",
		"The symptom is a gap between RSS, what the kernel charges the process, and what the "
		"application believes it uses. Its size says whether there is anything to find outside the "
		"application's own bookkeeping.",
		"RSS counts every resident page, whoever asked for it. An application's own accounting (a JVM's "
		"heap and Native Memory Tracking, a cache's counters) does not see memory that native code got "
		"from malloc, nor memory malloc keeps after free(). In the case study RSS was above 1.5 GiB while "
		"the JVM accounted for about 500 MiB: the missing gigabyte is what the following steps look for. "
		"Give the figure with --accounted SIZE; for a JVM started with -XX:NativeMemoryTracking=summary "
		"the guide reads NMT's committed total through jcmd." },
	[MS_G_OVERVIEW] = { "overview", "Where does the RSS live?",
		"Exclude layer by layer: split the RSS by the kind of memory that holds it, so that the next "
		"steps look only where the gap is.",
		"Every mapping is put in one class: glibc's main heap ([heap], grown with brk), arena heaps "
		"(64 MiB reservations, one series per extra arena), chunks malloc got from mmap, thread stacks, "
		"files, and anonymous memory nothing above explains (a JVM heap, another allocator, direct mmap). "
		"If glibc malloc holds the gap, the allocator is the suspect and the arena steps follow; if not, "
		"they do not apply. Many 64 MiB regions in pmap is the case study's pattern: ptmalloc2 gives "
		"threads their own arenas to avoid lock contention, up to 8 x CPUs of them on 64-bit, and each "
		"reserves heaps of 64 MiB." },
	[MS_G_ARENAS] = { "arenas", "What do glibc's arenas hold, and what would malloc_trim return?",
		"Of what glibc malloc holds, how much is in use and how much is free memory it keeps -- and how "
		"much malloc_trim(0) would give back, before anyone trims.",
		"glibc gives memory back to the kernel only from the top of a heap (brk shrink for the main "
		"heap, shrink_heap for arena heaps). Free chunks below a live one stay in its bins (tcache, fast, "
		"small, large, unsorted). One small live block at the top pins everything below it: 500,000 "
		"blocks of 1 KiB freed under a 1-byte block keep 500 MiB in the process. The arenas step reads "
		"the allocator's structures from outside, without debug info, and counts the resident pages of "
		"the free chunks; malloc_trim(0) would madvise those pages away." },
	[MS_G_HOTSPOTS] = { "hotspots", "Which threads and call sites allocate?",
		"Who made the allocator calls that filled the heaps: the thread and the call site to change, "
		"or to leave alone once the allocator is fixed.",
		"In the case study an LD_PRELOAD malloc hook showed one thread making 284,881 allocator calls, "
		"all from zlib inflate while reading JAR files. For a running process memsleuth attaches "
		"uprobes (SystemTap or bpftrace, whatever the host allows); a command the guide launched ran "
		"under its own hook from the start, so the recording is of the very process examined (and names "
		"the call site of each chunk that pins free memory)." },
	[MS_G_SYSCALLS] = { "syscalls", "How did the heaps grow and shrink, in the kernel's view?",
		"The kernel's side: brk for the main heap, mmap and mprotect for arena heaps, madvise and munmap "
		"for what was given back.",
		"Arena heaps grow with mprotect and shrink with madvise(MADV_DONTNEED), so tracing mmap alone "
		"misses both. A brk that only ever grows confirms that nothing came back from the main heap's "
		"top. For a process that is holding still nothing happens in the window: run it on the "
		"launched command (memsleuth guide -- CMD) to see the growth." },
	[MS_G_REMEDIES] = { "remedies", "Which fix applies, and how is it proven?",
		"The fixes that follow from what was found, each as the exact command, and the experiment "
		"that proves it.",
		"malloc_trim(0) releases the free pages inside every arena and the main heap's top: memsleuth "
		"trim calls it in the target through ptrace and checks the result against the prediction. Calling into a live "
		"JVM from a debugger can crash it; jcmd PID System.trim_native_heap is the safe way on JDK "
		"17.0.9 and later. MALLOC_ARENA_MAX caps the number of arenas when there are many. jemalloc "
		"with dirty_decay_ms:0 returns freed memory on its own, with no code change. Prove the choice: "
		"memsleuth compare runs the workload under each and measures the RSS." },
};

const char *ms_gstep_name(enum ms_gstep_id s) { return texts[s].name; }
const char *ms_gstep_title(enum ms_gstep_id s) { return texts[s].title; }
const char *ms_gstep_why(enum ms_gstep_id s) { return texts[s].why; }
const char *ms_gstep_explain(enum ms_gstep_id s) { return texts[s].explain; }

const char *ms_gstatus_name(enum ms_gstatus s)
{
	static const char *const n[] = { "not reached", "done", "skipped", "unavailable", "failed" };
	return n[s];
}

void ms_guide_init(struct ms_guide *g, pid_t pid)
{
	memset(g, 0, sizeof *g);
	g->pid = pid;
	g->arenas = -1;
	g->examined_s = -1;
	/* out of memory leaves kept == NULL: the fits still run, no timeline */
	ms_ts_init(&g->rss_series, pid, 0);
	ms_ts_init(&g->watch, pid, 0);
}

void ms_guide_free(struct ms_guide *g)
{
	ms_jfree(g->doctor);
	g->doctor = NULL;
	for (int i = 0; i < MS_G_N; i++) {
		ms_jfree(g->step[i].findings);
		g->step[i].findings = NULL;
	}
	ms_ts_free(&g->rss_series);
	ms_ts_free(&g->watch);
}

void ms_guide_sample(struct ms_guide *g, double t, uint64_t rss)
{
	struct ms_sample s = { .t = t, .rss = rss, .arenas = -1 };
	ms_ts_add(&g->rss_series, &s);
}

void ms_gstep_evidence(struct ms_gstep *s, const char *fmt, ...)
{
	if (s->nev >= MS_G_MAX_EV)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *e = s->evidence[s->nev++];
	int n = vsnprintf(e, sizeof s->evidence[0], fmt, ap);
	va_end(ap);
	/* too long: end at the last whole sentence or clause, never mid-word */
	if (n >= (int)sizeof s->evidence[0]) {
		char *cut = NULL;
		for (char *p = e; (p = strpbrk(p, ".;")) && p[1]; p++)
			if (p[1] == ' ')
				cut = p;
		if (cut)
			strcpy(cut, " [...]");
	}
}

void ms_gstep_command(struct ms_gstep *s, const char *fmt, ...)
{
	if (s->ncmd >= MS_G_MAX_CMD)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->commands[s->ncmd++], sizeof s->commands[0], fmt, ap);
	va_end(ap);
}

void ms_gstep_set(struct ms_gstep *s, enum ms_gstatus st, const char *reason)
{
	s->status = st;
	snprintf(s->reason, sizeof s->reason, "%s", reason ? reason : "");
}

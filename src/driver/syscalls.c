/* memsleuth syscalls: brk, mmap, munmap, mprotect and madvise of one
 * process, per thread, with the best tracing facility the host allows. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "findings/memsyssum.h"
#include "probe/sweep.h"
#include "findings/sysbackend.h"
#include "probe/procfs.h"
#include "probe/systrace.h"
#include "probe/target.h"
#include "report/json.h"
#include "report/launch_report.h"
#include "report/table.h"
#include "util/paths.h"
#include "util/size.h"
#include "options.h"
#include "findings/stepverdict.h"
#include "report/overview_report.h"
#include "steps.h"

static const char *const prog = "memsleuth syscalls";
static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void)sig; stop_requested = 1; }

/* A launched command's --duration counts from its program's start, not
 * its wrapper's: a pyenv shim (bash -> env -> bash ... -> python3.11)
 * can take seconds before the program runs.  Until the program starts
 * the window waits (at most WRAP_MAX_S s, the wrapper's allowance); it
 * starts at the first exec of an image NAME anywhere in the command's
 * tree with --program NAME (the guide gives the program it examined),
 * else at each exec of an executable that is not a shell or launcher
 * (findings/launch.h: a script's exec runs bash, so a shim is a
 * launcher), the last such one winning, until the launched process
 * itself runs one (its exec chain: sh, env, shims, then the program; a
 * script that forks the program and waits: its child's exec).  A child
 * that started the window and ends while the launched process is still
 * a launcher was a step of the wrapper (sleep, dirname, cat): the window
 * waits again.  The backends see the execs (on_proc); a
 * timer of ours ends the trace as Ctrl-C would, so the backends' own
 * --duration clock is not used for a command. */
#define WRAP_MAX_S 60.0
static atomic_llong window_end_ns;          /* CLOCK_MONOTONIC ns; 0: not armed */
static volatile sig_atomic_t window_over;   /* the window ended the trace */

static long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_window_tick(int sig)
{
	(void)sig;
	long long end = atomic_load(&window_end_ns);
	if (end > 0 && mono_ns() >= end)
		window_over = stop_requested = 1;
}

/* One backend's part of the run: after a cut, a second one traces the rest. */
struct seg {
	enum ms_backend backend;
	double from_s, to_s;                  /* on the run's clock (0: tracing live) */
	uint64_t events;
	struct ms_sys_count total[MS_SC_N];   /* its calls, of every traced process (a wrapper's too) */
};

struct run {
	struct ms_sys_summary sum;
	struct seg seg[2];
	int nseg;
	struct ms_sys_count mark[MS_SC_N];   /* sum.total when the open segment began */
	uint64_t mark_events;
	char cut[256];                 /* the first backend stopped by itself: why (the tool's words) */
	char partial[640];             /* the trace has a gap: what part was traced, why; "" if whole */
	int events;                 /* --events: print the timeline */
	int json;                   /* with --events: NDJSON, one event a line */
	struct ms_verdicts verdicts;   /* the closing verdicts (findings/stepverdict.h) */
	char command_end[96];          /* a launched command's end: "exited with status 3" */
	double t0;
	pid_t target;
	int launched;                  /* -- CMD: its wrapper told from its program */
	char launch[512];              /* "wrapper: sh (pid N) -> program: python3 (pid N)" */
	/* a launched command's window (see window_end_ns) */
	double window;                 /* --duration, s; 0: to the command's end */
	const char *program;           /* --program NAME: the image the window waits for; NULL: none */
	int program_seen;              /* an image NAME was exec'd (without --program: the launched
					* process runs an executable that is not a launcher) */
	double from_s;                 /* the window's start on the run's clock: the last exec followed */
	pid_t from_pid;                /* who exec'd then; 0: the window waits for the program */
	double cap_s;                  /* the latest end allowed: window + WRAP_MAX_S after the start */
	char not_reached[200];         /* "the program did not start within the window: ..." or "" */
};

/* Move the window's end to r->window after now (never past the cap). */
static void window_from(struct run *r, pid_t pid, double now_s)
{
	double end_s = now_s + r->window < r->cap_s ? now_s + r->window : r->cap_s;
	r->from_s = now_s;
	r->from_pid = pid;
	atomic_store(&window_end_ns, (long long)((r->t0 + end_s) * 1e9));
}

static void on_event(void *ctx, const struct ms_sysev *ev, uint64_t n)
{
	struct run *r = ctx;
	r->sum.now_s = ms_now() - r->t0;   /* the clock of the processes' lives */
	for (uint64_t i = 0; i < n; i++)
		ms_sys_summary_add(&r->sum, ev);
	if (r->events) {
		char line[512], times[40] = "";
		const struct ms_sys_thread *t = ms_sys_summary_thread(&r->sum, ev->tid);
		ms_sysev_format(ev, line, sizeof line);
		if (r->json) {   /* NDJSON (docs/json.md): type and schema_version on every line */
			struct ms_json j;
			ms_json_init_line(&j, stdout);
			ms_json_obj_begin(&j);
			ms_json_kstr(&j, "type", "event");
			ms_json_kstr(&j, "step", "syscalls");   /* writes the envelope: schema_version, memsleuth_version */
			ms_json_kdouble(&j, "t_s", ms_now() - r->t0);
			ms_json_ki64(&j, "tid", ev->tid);
			ms_json_kstr(&j, "thread", t ? t->name : NULL);
			ms_json_kstr(&j, "call", line);
			ms_json_ku64(&j, "times", n ? n : 1);
			ms_json_obj_end(&j);
			ms_json_end(&j);
			return;
		}
		if (n > 1)
			snprintf(times, sizeof times, "  (%llu more times)", (unsigned long long)n);
		printf("%10.6f %7d %-16s %s%s\n", ms_now() - r->t0, (int)ev->tid, t ? t->name : "?", line, times);
	}
}

/* Whether pid's exec that the tracer reports as comm (events arrive
 * late) may start the program's window: pid still runs that image (its
 * comm unchanged: an image exec'd over since, or a process gone, was a
 * wrapper's), its executable (/proc/PID/exe, a script's is its shell)
 * is not a shell or launcher, and with want (--program) either name is
 * want.  Reads /proc only; 0 when unreadable. */
static int exec_is_program(pid_t pid, const char *comm, const char *want)
{
	char path[64], now[32] = "", exe[PATH_MAX];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int ok = fgets(now, sizeof now, f) != NULL;
	fclose(f);
	now[strcspn(now, "\n")] = 0;
	if (!ok || strncmp(now, comm, 15))
		return 0;
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, sizeof exe - 1);
	if (n <= 0)
		return 0;
	exe[n] = 0;
	const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	if (ms_launch_is_launcher(base))
		return 0;
	/* comm holds 15 characters of the name: compare as many */
	return !want || !strncmp(comm, want, 15) || !strcmp(base, want);
}

static void on_proc(void *ctx, const struct ms_procev *pe)
{
	struct run *r = ctx;
	double now_s = ms_now() - r->t0;
	ms_sys_summary_proc(&r->sum, pe, now_s);
	if (!r->launched || r->window <= 0 || r->program_seen)
		return;
	if (pe->kind == MS_PROC_EXIT && r->from_pid == pe->tgid && (pe->tid == pe->tgid || pe->group)) {
		r->from_pid = 0;   /* a wrapper's step ended: wait for the program again */
		atomic_store(&window_end_ns, (long long)((r->t0 + r->cap_s) * 1e9));
		return;
	}
	if (pe->kind != MS_PROC_EXEC)
		return;
	if (!exec_is_program(pe->tgid, pe->comm, r->program))
		return;   /* still the wrapper: sh, env, a shim script's bash, or an image gone since */
	r->program_seen = r->program || pe->tgid == r->target;
	window_from(r, pe->tgid, now_s);
}

static void on_ready(void *ctx, pid_t pid)
{
	struct run *r = ctx;
	if (r->nseg > 0) {   /* the fallback after a cut is live: its part starts now */
		r->seg[r->nseg].from_s = ms_now() - r->t0;
		fprintf(stderr, "%s: tracefs tracing the rest of process %d from %.2f s on; Ctrl-C to stop\n", prog,
			(int)pid, r->seg[r->nseg].from_s);
		return;
	}
	r->target = pid;
	r->t0 = ms_now();
	r->sum.now_s = 0;
	/* the break before the first traced brk; a launched command is still
	 * our fork (our break): its exec starts its own */
	if (!r->launched)
		ms_sys_summary_set_brk(&r->sum, pid, ms_proc_brk(pid));
	if (r->launched && r->window > 0) {   /* the wrapper's allowance, until the program's exec */
		r->cap_s = r->window + WRAP_MAX_S;
		atomic_store(&window_end_ns, (long long)((r->t0 + r->cap_s) * 1e9));
	}
	fprintf(stderr, "%s: tracing process %d; Ctrl-C to stop\n", prog, (int)pid);
}

static void seg_begin(struct run *r, enum ms_backend b, double from_s)
{
	struct seg *g = &r->seg[r->nseg];
	*g = (struct seg){ .backend = b, .from_s = from_s };
	memcpy(r->mark, r->sum.total, sizeof r->mark);
	r->mark_events = r->sum.events;
}

static void seg_end(struct run *r, double to_s)
{
	struct seg *g = &r->seg[r->nseg++];
	g->to_s = to_s;
	g->events = r->sum.events - r->mark_events;
	for (int s = 0; s < MS_SC_N; s++) {
		g->total[s].count = r->sum.total[s].count - r->mark[s].count;
		g->total[s].bytes = r->sum.total[s].bytes - r->mark[s].bytes;
	}
}

/* The first backend stopped by itself while the target ran on: trace the
 * rest with tracefs when this host has it (the target, a launched command
 * with the processes it made, from now on), else let a launched command
 * run to its own end (or --duration) untraced -- never end it because a
 * tracer died.  Fills r->partial with what was traced. */
static void after_cut(struct run *r, struct ms_systrace *t, enum ms_backend first)
{
	double cut_s = t->cut_at - r->t0, now_s = ms_now() - r->t0;
	char name[32];
	snprintf(r->cut, sizeof r->cut, "%s", t->warning);
	snprintf(name, sizeof name, "%s", ms_backend_name(first));
	int alive = !ms_target_gone(t, -1);   /* reaps a launched command that ended */
	int stopped = t->stop && *t->stop;
	double left = t->duration > 0 ? t->duration - now_s : 0;
	struct ms_backend_choice fb;
	struct ms_err fe;
	char why_not[300] = "";
	if (!alive || stopped || (t->duration > 0 && left <= 0)) {
		ms_launched_end(t);   /* Ctrl-C or --duration: as any run ends */
		snprintf(r->partial, sizeof r->partial, "%s traced %.2f s of %.2f s, then %s", name, cut_s, now_s, r->cut);
		return;
	}
	t->duration = left;   /* what is left of --duration, from now (0: none) */
	if (first == MS_BE_TRACEFS || ms_backend_check(MS_BE_TRACEFS, 0, &fb, &fe) < 0) {
		snprintf(why_not, sizeof why_not, "%s", first == MS_BE_TRACEFS ? "tracefs itself stopped" : fe.msg);
	} else {
		fprintf(stderr, "%s: %s: falling back to tracefs\n", prog, r->cut);
		t->resume = 1;
		seg_begin(r, MS_BE_TRACEFS, now_s);   /* from_s: on_ready, when it is live */
		if (ms_systrace_tracefs(t, &fe) == 0) {
			double end_s = ms_now() - r->t0, from_s = r->seg[r->nseg].from_s;
			seg_end(r, end_s);
			snprintf(r->partial, sizeof r->partial,
				 "%s traced %.2f s, then %s; tracefs traced from %.2f s to the end (%.2f s); missing: "
				 "the calls %s had not delivered when it stopped and those of the %.2f s until tracefs "
				 "started", name, cut_s, r->cut, from_s, end_s, name, from_s - cut_s);
			return;
		}
		snprintf(why_not, sizeof why_not, "%s", fe.msg);
	}
	fprintf(stderr, "%s: %s; no fallback (%s): %s\n", prog, r->cut, why_not,
		t->cmd ? "the command runs to its end untraced" : "tracing ends here");
	if (t->cmd) {
		int bounded = t->duration > 0;
		ms_launched_wait(t);
		snprintf(r->partial, sizeof r->partial, "%s traced %.2f s of %.2f s, then %s; no fallback (%s): the "
			 "command ran %s untraced", name, cut_s, ms_now() - r->t0, r->cut, why_not,
			 bounded ? "on, to its end or --duration," : "to its end");
	} else {
		snprintf(r->partial, sizeof r->partial, "%s traced %.2f s, then %s while process %d ran on; no fallback (%s)",
			 name, cut_s, r->cut, (int)t->pid, why_not);
	}
}

/* Whether the window reached the program: with --program, an image of
 * that name was exec'd; without, the window did not end still waiting
 * for a program (only shells and launchers ran, up to the allowance). */
static void program_reached(struct run *r)
{
	const struct ms_sys_summary *s = &r->sum;
	if (r->window <= 0 || s->program >= s->nimages)
		return;
	const char *got = s->images[s->program].name;
	if (r->program ? r->program_seen : r->from_pid != 0 || !window_over)
		return;
	snprintf(r->not_reached, sizeof r->not_reached, "the program%s%.40s%s did not start within the window: only "
		 "its wrapper %s was traced", r->program ? " (" : "", r->program ? r->program : "", r->program ? ")" : "",
		 got);
}

static const struct ms_optspec opts[] = {
	{ "backend",    MS_LONG('b'), "B", "auto|stap|stap-bpf|bpftrace|tracefs|ptrace (default auto: the best usable)" },
	{ "events",     MS_LONG('e'), NULL, "print every call with decoded flags as it happens" },
	{ "duration",   'd', "S",  "stop after S seconds (default: when the target exits, or Ctrl-C)" },
	{ "program",    MS_LONG('p'), "NAME", "-- CMD: the window starts at the first exec of NAME (the program behind its wrappers)" },
	{ "stap-setup", MS_LONG('s'), NULL, "allow preparing the stap bpf runtime in your cache dir (implied for root)" },
	{ "json",       'j', NULL, "machine-readable summary (docs/json/syscalls.md)" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = "memsleuth syscalls", .usage = "[OPTIONS] (PID | -- CMD ARGS)", .opts = opts,
	.about = "Who grows and shrinks memory in the kernel's view: brk, mmap, munmap, mprotect\n"
		 "and madvise per thread, arena heaps created/grown/shrunk, brk high-water mark.",
	.operands = MS_OPERAND_PID | MS_OPERAND_CMD, .flags = MS_CLI_FAIL_ON,
};

static const char *const sc_heads[] = { "TID", "THREAD", "SYSCALL", "COUNT", "BYTES" };

static void print_text(const struct run *r, const struct ms_backend_choice *c, double secs,
		       const struct ms_systrace *t)
{
	struct ms_table tb;
	char sz[MS_SIZE_BUF];
	const struct ms_launch_image *pg = r->sum.program < r->sum.nimages ? &r->sum.images[r->sum.program] : NULL;
	char via[64];
	snprintf(via, sizeof via, "%s%s%s", ms_backend_name(c->backend), r->nseg > 1 ? ", then " : "",
		 r->nseg > 1 ? ms_backend_name(r->seg[1].backend) : "");
	if (pg && r->sum.has_wrapper)
		printf("memory syscalls of %s (process %d, launched as %d) via %s, %.1f s\n\n", pg->name, (int)pg->pid,
		       (int)r->target, via, secs);
	else
		printf("memory syscalls of process %d via %s, %.1f s\n\n", (int)r->target, via, secs);
	ms_table_init(&tb, "rllrr", sc_heads);
	for (size_t i = 0; i < r->sum.nthreads; i++) {
		const struct ms_sys_thread *th = &r->sum.threads[i];
		for (int s = 0; s < MS_SC_N; s++)
			if (th->sc[s].count)
				ms_table_rowf(&tb, "%d\t%s\t%s\t%llu\t%s", (int)th->tid, th->name, ms_sc_name((enum ms_sc)s),
					      (unsigned long long)th->sc[s].count, ms_size_fmt(th->sc[s].bytes, sz));
	}
	for (int s = 0; s < MS_SC_N; s++)
		if (r->sum.total[s].count)
			ms_table_rowf(&tb, "all\t\t%s\t%llu\t%s", ms_sc_name((enum ms_sc)s),
				      (unsigned long long)r->sum.total[s].count, ms_size_fmt(r->sum.total[s].bytes, sz));
	ms_table_print(&tb, stdout, "  ");
	ms_table_free(&tb);
	if (r->partial[0]) {
		printf("\nPARTIAL TRACE: %s; the counts are lower bounds\n", r->partial);
		for (int i = 0; r->nseg > 1 && i < r->nseg; i++)
			printf("  %-8s from %.2f s to %.2f s: %llu calls\n", ms_backend_name(r->seg[i].backend),
			       r->seg[i].from_s, r->seg[i].to_s, (unsigned long long)r->seg[i].events);
	}
	if (t->lost && r->cut[0])
		printf("\nWARNING: the backend lost %llu events: counts are low\n", (unsigned long long)t->lost);
	printf("\n");
	if (r->launch[0])
		printf("launched: %s\n", r->launch);
	if (r->not_reached[0])
		printf("%s\n", r->not_reached);
	else if (r->window > 0 && r->from_pid)
		printf("window: %.1f s from the program's start (its exec at %.2f s)\n", r->window, r->from_s);
	if (r->sum.has_wrapper) {
		uint64_t calls = 0, bytes = 0;
		for (int s = 0; s < MS_SC_N; s++)
			calls += r->sum.wrapper_total[s].count, bytes += r->sum.wrapper_total[s].bytes;
		size_t images;
		uint64_t c2, w2;
		ms_launch_wrapper_sum(r->sum.images, r->sum.nimages, &images, &c2, &w2);
		printf("the wrapper's own %llu calls (%s, %zu process image%s) are left out of the table above\n",
		       (unsigned long long)calls, ms_size_fmt(bytes, sz), images, images == 1 ? "" : "s");
	}
	ms_sys_interpret(&r->sum, stdout);
	if (r->command_end[0])
		printf("the command %s\n", r->command_end);
	printf("\n");
	ms_verdicts_text(&r->verdicts, stdout);
}

static void json_counts(struct ms_json *j, const struct ms_sys_count *c)
{
	ms_json_arr_begin(j);
	for (int s = 0; s < MS_SC_N; s++) {
		ms_json_obj_begin(j);
		ms_json_kstr(j, "syscall", ms_sc_name((enum ms_sc)s));
		ms_json_ku64(j, "count", c[s].count);
		ms_json_ku64(j, "length_bytes", c[s].bytes);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
}

/* Each backend's part of the run (one unless a fallback traced the rest). */
static void json_segments(struct ms_json *j, const struct run *r)
{
	ms_json_key(j, "segments");
	ms_json_arr_begin(j);
	for (int i = 0; i < r->nseg; i++) {
		const struct seg *g = &r->seg[i];
		ms_json_obj_begin(j);
		ms_json_kstr(j, "backend", ms_backend_name(g->backend));
		ms_json_kdouble(j, "from_s", g->from_s);
		ms_json_kdouble(j, "to_s", g->to_s);
		ms_json_ku64(j, "events", g->events);
		ms_json_key(j, "totals");
		json_counts(j, g->total);
		ms_json_obj_end(j);
	}
	ms_json_arr_end(j);
}

static void print_json(const struct run *r, const struct ms_backend_choice *c, double secs,
		       const struct ms_systrace *t)
{
	struct ms_json j;
	const struct ms_sys_summary *s = &r->sum;
	if (r->events) {   /* the stream's last line: the summary */
		ms_json_init_line(&j, stdout);
		ms_json_obj_begin(&j);
		ms_json_kstr(&j, "type", "summary");
	} else {
		ms_json_init(&j, stdout);
		ms_json_obj_begin(&j);
	}
	ms_json_kstr(&j, "step", "syscalls");   /* docs/json.md: every document names its step */
	ms_json_kstr(&j, "backend", ms_backend_name(c->backend));
	ms_json_kstr(&j, "backend_reason", c->why);
	ms_json_ki64(&j, "pid", r->target);
	ms_json_kdouble(&j, "duration_s", secs);
	ms_json_ku64(&j, "events", s->events);
	ms_json_ku64(&j, "lost", t->lost);
	ms_json_ku64(&j, "unpaired", t->unpaired);
	ms_json_kstr(&j, "warning", t->warning[0] ? t->warning : NULL);
	ms_json_kbool(&j, "partial", r->partial[0] != 0);
	ms_json_kstr(&j, "partial_reason", r->partial[0] ? r->partial : NULL);
	json_segments(&j, r);
	ms_json_ku64(&j, "failed", s->failed);
	ms_json_key(&j, "totals");
	json_counts(&j, s->total);
	ms_json_key(&j, "threads");
	ms_json_arr_begin(&j);
	for (size_t i = 0; i < s->nthreads; i++) {
		ms_json_obj_begin(&j);
		ms_json_ki64(&j, "tid", s->threads[i].tid);
		ms_json_kstr(&j, "name", s->threads[i].name);
		ms_json_ku64(&j, "arena_heaps_created", s->threads[i].heaps_created);
		ms_json_key(&j, "syscalls");
		json_counts(&j, s->threads[i].sc);
		ms_json_obj_end(&j);
	}
	ms_json_arr_end(&j);
	ms_json_ku64(&j, "arena_heaps_created", s->heaps_created);
	ms_json_key(&j, "arena_heaps");
	ms_json_obj_begin(&j);
	ms_json_ku64(&j, "created", s->heaps_created);
	ms_json_ku64(&j, "trims", s->heap_trims);
	ms_json_ku64(&j, "trim_bytes", s->heap_trim_bytes);
	ms_json_ku64(&j, "grows", s->heap_grows);
	ms_json_ku64(&j, "grow_bytes", s->heap_grow_bytes);
	ms_json_ku64(&j, "shrinks", s->heap_shrinks);
	ms_json_ku64(&j, "shrink_bytes", s->heap_shrink_bytes);
	ms_json_ku64(&j, "destroyed", s->heaps_destroyed);
	ms_json_obj_end(&j);
	ms_json_key(&j, "returned");
	ms_json_obj_begin(&j);
	ms_json_ku64(&j, "madvise_bytes", s->madvise_returned);
	ms_json_ku64(&j, "madv_dontneed_bytes", s->madv_dontneed);
	ms_json_ku64(&j, "madv_free_bytes", s->madv_free);
	ms_json_ku64(&j, "munmap_bytes", s->munmap_returned);
	ms_json_obj_end(&j);
	ms_json_key(&j, "brk");
	ms_json_arr_begin(&j);
	for (size_t i = 0; i < s->nbrk; i++) {
		ms_json_obj_begin(&j);
		ms_json_ki64(&j, "pid", s->brk[i].tgid);
		/* one entry per process image: the break restarts at exec */
		ms_json_kstr(&j, "name", s->brk[i].image < s->nimages ? s->images[s->brk[i].image].name : NULL);
		ms_json_kbool(&j, "wrapper", s->brk[i].image < s->nimages
			      && s->images[s->brk[i].image].role == MS_LAUNCH_WRAPPER);
		ms_json_ku64(&j, "start_address", s->brk[i].first);
		ms_json_ku64(&j, "high_water_address", s->brk[i].high);
		ms_json_ku64(&j, "end_address", s->brk[i].cur);
		ms_json_ku64(&j, "grown_bytes", s->brk[i].grown);
		ms_json_ku64(&j, "shrunk_bytes", s->brk[i].shrunk);
		ms_json_obj_end(&j);
	}
	ms_json_arr_end(&j);
	if (r->launched)
		ms_launch_json(&j, s->images, s->nimages, s->program, r->launch, "length_bytes");
	ms_json_key(&j, "window");   /* a launched command's --duration, from its program's start */
	if (r->window > 0) {
		ms_json_obj_begin(&j);
		ms_json_kdouble(&j, "length_s", r->window);
		if (r->from_pid)
			ms_json_kdouble(&j, "from_s", r->from_s);
		else   /* it never started: the wrapper's allowance ran out */
		{
			ms_json_key(&j, "from_s");
			ms_json_null(&j);
		}
		ms_json_kstr(&j, "program", r->program);
		ms_json_kbool(&j, "program_reached", !r->not_reached[0]);
		ms_json_kstr(&j, "not_reached", r->not_reached[0] ? r->not_reached : NULL);
		ms_json_obj_end(&j);
	} else {
		ms_json_null(&j);
	}
	ms_json_key(&j, "interpretation");
	ms_json_arr_begin(&j);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (m) {
		ms_sys_interpret(s, m);
		fclose(m);
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
			ms_json_str(&j, line);
		free(text);
	}
	ms_json_arr_end(&j);
	if (t->cmd && t->target_status != -1) {   /* the command's own end, never our status */
		ms_json_key(&j, "command_end");
		ms_json_obj_begin(&j);
		int sig = WIFSIGNALED(t->target_status);
		ms_json_kstr(&j, "how", sig ? "signal" : "exit");
		if (sig)
			ms_json_ku64(&j, "signal", (uint64_t)WTERMSIG(t->target_status));
		else
			ms_json_ku64(&j, "status", (uint64_t)WEXITSTATUS(t->target_status));
		ms_json_kstr(&j, "text", r->command_end);
		ms_json_obj_end(&j);
	}
	ms_verdicts_json(&r->verdicts, &j);
	ms_json_obj_end(&j);
	ms_json_end(&j);
}

static int run_backend(enum ms_backend b, struct ms_systrace *t, struct ms_err *e)
{
	switch (b) {
	case MS_BE_STAP:
	case MS_BE_STAP_BPF:     return ms_systrace_stap(t, e);
	case MS_BE_BPFTRACE:     return ms_systrace_bpftrace(t, e);
	case MS_BE_TRACEFS:      return ms_systrace_tracefs(t, e);
	default:                 return ms_systrace_ptrace(t, e);
	}
}

int cmd_syscalls(int argc, char **argv)
{
	enum ms_backend want = MS_BE_AUTO;
	int json = 0, setup_ok = geteuid() == 0, c;
	struct run *r = calloc(1, sizeof *r);
	struct ms_systrace t = { .target_status = -1 };
	if (!r || ms_sys_summary_init(&r->sum) < 0)
		ms_fatal(prog, NULL, "out of memory");
	struct ms_args args;
	ms_args_begin(&args, &cli, argc, argv);
	while ((c = ms_args_next(&args)) != -1) {
		switch (c) {
		case MS_LONG('b'):
			want = ms_backend_parse(args.val);
			if (want == MS_BE_N)
				ms_fatal(prog, "use auto, stap, stap-bpf, bpftrace, tracefs or ptrace", "--backend %s: unknown", args.val);
			break;
		case MS_LONG('e'): r->events = args.no_wrap = 1; break;   /* records, one a line */
		case 'd':
			t.duration = ms_args_seconds(&args, "--duration", args.val, 0.001, 1e6);
			break;
		case 'j': json = r->json = 1; break;
		case MS_LONG('s'): setup_ok = 1; break;
		case MS_LONG('p'): r->program = args.val; break;
		}
	}
	struct ms_err e;
	struct ms_target tg;
	t.cmd = args.cmd;
	t.pid = args.pid;
	if (t.pid && ms_target_open(t.pid, &tg, &e) < 0)
		ms_die(prog, &e, MS_EXIT_ERROR);
	ms_sweep_stale(prog, stderr);   /* what a killed run left: instances, uprobes, temp dirs */
	struct ms_backend_choice ch;
	if (ms_backend_choose(want, setup_ok, &ch, &e) < 0)
		ms_die(prog, &e, MS_EXIT_ERROR);
	fprintf(stderr, "%s: backend %s: %s\n", prog, ms_backend_name(ch.backend), ch.why);
	char script[4096];
	if (ch.backend == MS_BE_STAP || ch.backend == MS_BE_STAP_BPF) {
		if (ms_resource_trusted(MS_RES_STAP, "memsyscalls.stp", script, sizeof script, &e) < 0)
			ms_die(prog, &e, MS_EXIT_ERROR);
		t.script = script;
		t.stap_tree = ch.backend == MS_BE_STAP_BPF ? ch.stap_tree : NULL;
	}
	struct sigaction sa = { .sa_handler = on_stop };   /* no SA_RESTART: waits wake up */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	t.stop = &stop_requested;
	t.cmd_output_to_stderr = json;
	t.on_event = on_event;
	t.on_ready = on_ready;
	t.on_proc = on_proc;
	r->launched = t.cmd != NULL;
	if (r->program && !r->launched)
		ms_fatal(prog, "give it with -- CMD, or leave it out", "--program %s: only a launched command has wrappers",
			 r->program);
	timer_t tick;
	int ticking = 0;
	if (r->launched && t.duration > 0) {   /* the window: ours, from the program's start */
		r->window = t.duration;
		t.duration = 0;
		struct sigaction ta = { .sa_handler = on_window_tick, .sa_flags = SA_RESTART };
		struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN };
		struct itimerspec every = { .it_interval = { 0, 100000000 }, .it_value = { 0, 100000000 } };
		sigaction(SIGRTMIN, &ta, NULL);
		if (timer_create(CLOCK_MONOTONIC, &sev, &tick) < 0 || timer_settime(tick, 0, &every, NULL) < 0)
			ms_fatal(prog, "retry; if it persists, run without --duration and stop it with Ctrl-C",
				 "the --duration timer: %s", strerror(errno));
		ticking = 1;
	}
	t.ctx = r;
	r->t0 = ms_now();
	r->target = t.pid;
	if (!ms_quiet() && ch.backend != MS_BE_PTRACE && ch.backend != MS_BE_TRACEFS)   /* the slow starts */
		fprintf(stderr, "%s: starting %s (%s); \"tracing\" follows when it is live\n", prog,
			ch.backend == MS_BE_BPFTRACE ? "bpftrace" : "stap",
			ch.backend == MS_BE_BPFTRACE ? "attaching tracepoints: a few s"
			: ch.backend == MS_BE_STAP_BPF ? "compiling the script for the bpf runtime: about 5 s, longer on a busy machine"
			: "compiling a kernel module: about 30 s");
	seg_begin(r, ch.backend, 0);
	if (run_backend(ch.backend, &t, &e) < 0)
		ms_die(prog, &e, MS_EXIT_ERROR);
	seg_end(r, (t.cut ? t.cut_at : ms_now()) - r->t0);
	if (t.cut)
		after_cut(r, &t, ch.backend);
	else if (t.warning[0])   /* whole in time, not in records: it lost some */
		snprintf(r->partial, sizeof r->partial, "%s traced to the end, but %s", ms_backend_name(ch.backend), t.warning);
	else if (t.lost)
		snprintf(r->partial, sizeof r->partial, "%s lost %llu events (its buffers overflowed)",
			 ms_backend_name(ch.backend), (unsigned long long)t.lost);
	if (ticking)
		timer_delete(tick);
	r->sum.partial = r->partial[0] != 0;
	double secs = ms_now() - r->t0;
	if (r->launched) {   /* which process is the program, which the wrapper (findings/launch.h) */
		ms_sys_summary_finish(&r->sum, t.traced_pid, secs);
		if (r->sum.program < r->sum.nimages)
			ms_launch_line(r->sum.images, r->sum.nimages, r->sum.program, r->launch, sizeof r->launch);
		program_reached(r);
	}
	if (t.cmd && t.target_status != -1 && WIFEXITED(t.target_status) && WEXITSTATUS(t.target_status) == 127)
		fprintf(stderr, "%s: %s: could not be started (not found?)\n", prog, t.cmd[0]);
	/* The command's own end is reported, never turned into our status. */
	if (t.cmd && t.target_status != -1) {
		if (WIFEXITED(t.target_status))
			snprintf(r->command_end, sizeof r->command_end, "exited with status %d", WEXITSTATUS(t.target_status));
		else if (WIFSIGNALED(t.target_status))
			snprintf(r->command_end, sizeof r->command_end, "was killed by signal %d (%s)",
				 WTERMSIG(t.target_status), strsignal(WTERMSIG(t.target_status)));
	}
	char next[256];
	if (t.cmd) {
		size_t off = (size_t)snprintf(next, sizeof next, "memsleuth hotspots --");
		for (size_t i = 0; t.cmd[i] && off < sizeof next; i++)
			off += (size_t)snprintf(next + off, sizeof next - off, " %s", t.cmd[i]);
	} else {
		snprintf(next, sizeof next, "memsleuth arenas %d", (int)t.pid);
	}
	ms_sys_verdicts(&r->sum, r->partial[0] ? r->partial : NULL, next, &r->verdicts);
	if (r->not_reached[0]) {   /* the counts are the wrapper's: no verdict on them */
		size_t off = (size_t)snprintf(next, sizeof next, "memsleuth syscalls --duration %.0f%s%s --",
					      r->window * 2 + 10, r->program ? " --program " : "", r->program ? r->program : "");
		for (size_t i = 0; t.cmd[i] && off < sizeof next; i++)
			off += (size_t)snprintf(next + off, sizeof next - off, " %s", t.cmd[i]);
		r->verdicts.n = 0;
		ms_verdict_add(&r->verdicts, MS_NOTICE, next, "T%s; the calls counted are the wrapper's, not the "
			       "program's: no verdict on its memory. Rerun with a longer --duration.", r->not_reached + 1);
	}
	if (json)
		print_json(r, &ch, secs, &t);
	else
		print_text(r, &ch, secs, &t);
	int worst = ms_verdicts_worst(&r->verdicts);
	ms_sys_summary_free(&r->sum);
	free(r);
	return ms_args_exit(&args, worst);
}

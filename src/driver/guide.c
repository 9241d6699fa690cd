/* memsleuth guide (PID | -- CMD ARGS): the whole method, one step at a
 * time.  overview and doctor run in-process; the other steps run as
 * children (`memsleuth STEP --json ...`) whose findings JSON is read back,
 * so a step that is not in this build is reported as such and the guide
 * goes on.  What the findings mean is decided in findings/guide*.c. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "findings/guide.h"
#include "findings/remedy.h"
#include "probe/sweep.h"
#include "util/outfile.h"
#include "guide_int.h"
#include "report/table.h"
#include "findings/launch.h"
#include "options.h"
#include "probe/procfs.h"
#include "records/jsonread.h"
#include "report/guide_report.h"
#include "report/render.h"
#include "steps.h"
#include "util/size.h"

static const char *const prog = "memsleuth guide";
#define DEFAULT_WHEN "holding"

volatile sig_atomic_t guide_stop;

static void on_signal(int sig)
{
	(void)sig;
	guide_stop = 1;
}


static const struct ms_optspec opts[] = {
	{ "batch",      'b', NULL,    "run straight through (default on a terminal: wait for Enter)" },
	{ "explain",    'e', NULL,    "the longer lesson for each step" },
	{ "accounted",  'a', "SIZE",  "what the application believes it uses (512M, 1.5G)" },
	{ "report",     'r', "FILE",  "write the report: FILE.html (self-contained) or FILE.md (charts beside it)" },
	{ "json",       'j', NULL,    "the combined findings as JSON on stdout (the narrative goes to stderr)" },
	{ "when",       'w', "REGEX", "with -- CMD: look when it prints a line matching REGEX (default '" DEFAULT_WHEN "')" },
	{ "after",      'A', "S",     "with -- CMD: look S seconds after the start instead" },
	{ "wait-max",   'W', "S",     "with -- CMD: give up waiting for the moment after S seconds (default 120)" },
	{ "window",     MS_LONG('t'), "S", "how long the attaching steps (hotspots, syscalls) watch (default 5)" },
	{ "no-compare", 'C', NULL,    "with -- CMD: do not rerun it under each remedy (memsleuth compare)" },
	{ "watch",      MS_LONG('T'), "S", "watch what grows for S seconds before judging (default 4, 0: no)" },
	{ "core",       MS_LONG('C'), "CORE", "a core file instead of a process: the steps a core can answer\n"
					    "(docs/postmortem.md); the live-only ones say what to run instead" },
	{ "exe",        MS_LONG('E'), "PATH", "with --core: the program the core is of (default: named by the core)" },
	{ "sysroot",    MS_LONG('R'), "DIR",  "with --core: the root its files are under (default /)" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = "memsleuth guide", .usage = "[OPTIONS] (PID | -- CMD ARGS)\n[OPTIONS] --core CORE [--exe PATH] [--sysroot DIR]",
	.opts = opts,
	.about = "The whole method, step by step: RSS against what the application accounts for,\n"
		 "where the RSS lives, what glibc's arenas hold, who allocates, how the heaps grew,\n"
		 "and the remedies -- each step saying what it checks, the evidence, a verdict and\n"
		 "the next step.  Steps the findings make irrelevant are skipped with the reason.",
	.operands = MS_OPERAND_PID | MS_OPERAND_CMD, .flags = MS_CLI_FAIL_ON | MS_CLI_DEBUGINFO,
};

/* A cheap precondition checked before the investigation: the report's
 * directory takes new files (an existing report is replaced). */
static void report_writable(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	if (access(dir, W_OK | X_OK) < 0)
		ms_fatal(prog, "choose a directory you can write to", "--report %s: %s: %s", path, dir, strerror(errno));
	if (access(path, F_OK) == 0 && access(path, W_OK) < 0)
		ms_fatal(prog, "choose another name or remove it", "--report %s: %s", path, strerror(errno));
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcmp(s + n - k, suffix);
}

/* The command examined: the launched one, else the attached process's
 * command line as a shell takes it back ("" when it is a title the
 * process wrote: g->origin says so, and no command reruns it). */
static void cmdline_of(struct ms_guide *g, char **cmd)
{
	size_t len = 0;
	g->command[0] = 0;
	if (cmd) {
		for (int i = 0; cmd[i] && len < sizeof g->command - 2; i++)
			len += (size_t)snprintf(g->command + len, sizeof g->command - len, "%s%s", i ? " " : "", cmd[i]);
		return;
	}
	ms_proc_command(g->pid, g->command, sizeof g->command, NULL, 0, &g->origin);
}

/* compare's --final-after for a launched command: the moment the guide
 * looked.  With --when the line is that moment and the timer only a
 * fallback, so it is generous: a run under compare may take several times
 * the guide's own run to print the line (a loaded machine, another
 * allocator), and a run that misses it is read at the timer and not
 * compared (remedy.h ms_remedy_moments).  Without --when: the same time
 * after the start.  At least 1 s. */
static double compare_final_after(const struct gl_cmd *lc, const char *when)
{
	double at = when ? 3 * lc->ready_after + 30 : lc->ready_after;
	return at < 1 ? 1 : at;
}

/* An attached target's working directory, and its age as the compare
 * moment ("--final-after S": the same time after the start, where the
 * guide looked): printed commands that rerun it must run where it ran and
 * sample when the guide did.  Both left empty when /proc does not say. */
static void attached_context(struct ms_guide *g)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/cwd", (int)g->pid);
	ssize_t n = readlink(path, g->cwd, sizeof g->cwd - 1);
	g->cwd[n > 0 ? n : 0] = 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)g->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	size_t len = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[len] = 0;
	/* field 22, starttime in clock ticks since boot, counted after the
	 * comm's closing parenthesis (comm may hold spaces) */
	char *p = strrchr(buf, ')');
	unsigned long long start = 0;
	for (int field = 2; p && *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (!p || sscanf(p, "%llu", &start) != 1)
		return;
	double up = 0;
	f = fopen("/proc/uptime", "re");
	if (!f)
		return;
	int ok = fscanf(f, "%lf", &up) == 1;
	fclose(f);
	long hz = sysconf(_SC_CLK_TCK);
	double age = hz > 0 ? up - (double)start / (double)hz : 0;
	if (ok && age > 0)   /* compare's smallest useful moment: 1 s */
		snprintf(g->moment, sizeof g->moment, "--final-after %.0f", age < 1 ? 1 : age);
}

static int write_report(const struct gopts *o, const struct ms_guide *g, const char *started, const char *host)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return -1;
	struct ms_json j;
	ms_json_init(&j, m);
	ms_guide_json(g, &j, started, host);
	fclose(m);
	if (o->json)
		fwrite(buf, 1, len, stdout);
	int rc = 0;
	if (o->report) {
		struct ms_err e = { 0 };
		struct ms_jval *doc = ms_jparse(buf, len, "guide findings", &e);
		struct ms_render r;
		memset(&r, 0, sizeof r);
		r.fmt = ends_with(o->report, ".md") ? MS_R_MD : MS_R_HTML;
		r.md_path = o->report;
		/* a report is for others to read: the umask decides its mode */
		r.out = doc ? ms_out_fopen(o->report, MS_OUT_SHARED, &e) : NULL;
		if (!doc) {
			ms_err_print(prog, &e);
			rc = -1;
		} else if (!r.out) {
			ms_die(prog, &e, MS_EXIT_ERROR);
		} else {
			if (ms_render(doc, &r) < 0) {
				ms_err_print(prog, &r.err);
				rc = -1;
			}
			if (fclose(r.out) != 0)
				rc = -1;
			if (!rc) {
				gk_disarm();   /* the recording has its report */
				fprintf(o->say, "\nreport: %s (%s)\n", o->report, ms_rfmt_name(r.fmt));
			}
		}
		ms_jfree(doc);
	}
	free(buf);
	return rc;
}

/* Where hotspots writes its folded stacks (flame graph input) for the
 * guide: beside --report FILE.html as FILE.folded.  Without a report
 * nothing is written (a file per run in $TMPDIR would pile up); why says
 * how to get one.  Created here, so that a place that cannot be written
 * costs the folded file only, not the step.  0 with path set. */
static int folded_path(const struct gopts *o, char *path, size_t len, char *why, size_t whylen)
{
	if (!o->report) {
		snprintf(why, whylen, "give --report FILE.html and they are written beside it as FILE.folded");
		return -1;
	}
	const char *dot = strrchr(o->report, '.');
	snprintf(path, len, "%.*s.folded", (int)(dot ? dot - o->report : (ptrdiff_t)strlen(o->report)), o->report);
	struct ms_err e;
	int fd = ms_out_open(path, MS_OUT_PRIVATE, &e);
	if (fd < 0) {
		snprintf(why, whylen, "%s", e.msg);
		return -1;
	}
	close(fd);
	return 0;
}

static void run_attach_step(struct ms_guide *g, const struct gopts *o, const struct gl_cmd *lc, enum ms_gstep_id id,
			    const char *step, char *pidarg)
{
	char folded[PATH_MAX], why[PATH_MAX + 128] = "";
	int has_folded = id == MS_G_HOTSPOTS && folded_path(o, folded, sizeof folded, why, sizeof why) == 0;
	struct ms_gstep *st = &g->step[id];
	char dur[32], progname[32] = "";
	char *args[64];
	int k = 0;
	double window = lc->pid ? lc->ready_after + 1 : o->window;
	/* hotspots ends the rerun at the guide's own moment, the --when line:
	 * the hook slows the command, so the time it took here is no bound;
	 * a generous one (10x, at least 30 s more, within --wait-max) instead */
	int reuse = id == MS_G_HOTSPOTS && g->recording[0];
	int until = lc->pid && o->when && id == MS_G_HOTSPOTS && !reuse;
	if (until) {
		window = lc->ready_after * 10 > lc->ready_after + 30 ? lc->ready_after * 10 : lc->ready_after + 30;
		if (window > o->wait_max && o->wait_max > lc->ready_after + 1)
			window = o->wait_max;
		snprintf(g->hot_until, sizeof g->hot_until, "%s", o->when);
	}
	snprintf(dur, sizeof dur, "%.0f", window < 1 ? 1 : window);
	if (!reuse) {
		args[k++] = "--duration";
		args[k++] = dur;
	}
	if (until) {
		args[k++] = "--until";
		args[k++] = (char *)o->when;
	}
	if (has_folded) {
		args[k++] = "--folded";
		args[k++] = folded;
	}
	if (reuse) {
		/* The hook was there from the start of the process examined: its
		 * recording, read now, is the moment's; no second run. */
		args[k++] = "--from";
		args[k++] = g->recording;
		ms_gstep_evidence(st, "reads the recording of process %d made from its start under the guide's launch "
				  "(no second run): the calls up to now, the live bytes of the moment", (int)g->pid);
		window = 45;
	} else if (lc->pid) {
		/* The hook must be there from the start: run the command again.
		 * syscalls counts the window from the start of the program the
		 * steps examined (a pyenv shim's bash may take seconds before
		 * it), so its bound has room for the wrapper (WRAP_MAX_S there). */
		struct ms_launch_image *im = NULL;
		if (id == MS_G_SYSCALLS && ms_launch_live(g->pid, 1, &im) == 1 && im[0].name[0]) {
			snprintf(progname, sizeof progname, "%s", im[0].name);
			args[k++] = "--program";
			args[k++] = progname;
			window += 60;
		}
		free(im);
		args[k++] = "--";
		for (int i = 0; o->cmd[i] && k < 62; i++)
			args[k++] = o->cmd[i];
		if (until)
			ms_gstep_evidence(st, "runs the command again under %s until it prints a line matching '%s' (the "
					  "moment), at most %s s", step, o->when, dur);
		else
			ms_gstep_evidence(st, "runs the command again under %s for %s s (as long as it took to reach the "
					  "moment)%s%s%s", step, dur, progname[0] ? ", counted from the start of " : "",
					  progname, progname[0] ? " (not its wrapper's)" : "");
	} else {
		/* glibc's in use grew in the watch: the window's allocations
		 * still live at its end name the leaking site (trial5 T5-7:
		 * without --live the busiest site, freeing all it took, was named) */
		if (id == MS_G_HOTSPOTS && g->in_use_grows) {
			args[k++] = "--live";
			ms_gstep_evidence(st, "glibc's in use grew in the watch: hotspots attaches with --live, "
					  "keeping each allocation of its %s s window until it is freed", dur);
		}
		args[k++] = pidarg;
	}
	args[k] = NULL;
	char cmdline[512];
	size_t len = (size_t)snprintf(cmdline, sizeof cmdline, "memsleuth %s --json", step);
	for (int i = 0; i < k && len < sizeof cmdline; i++)
		len += (size_t)snprintf(cmdline + len, sizeof cmdline - len, i > 0 && !strcmp(args[i - 1], "--until") &&
					!strchr(args[i], '\'') ? " '%s'" : " %s", args[i]);
	struct ms_jval *f = guide_run_step(g, st, step, args, (int)window + 15);
	int ran = f != NULL;
	if (id == MS_G_HOTSPOTS)
		ms_guide_take_hotspots(g, f);
	else
		ms_guide_take_syscalls(g, f);
	if (reuse && !g->recording_kept) {
		/* the recording goes with the guide: the command to record anew */
		int q = o->when && !strchr(o->when, '\'');
		len = (size_t)snprintf(cmdline, sizeof cmdline, "memsleuth hotspots --json%s%s%s --", q ? " --until '" : "",
				       q ? o->when : "", q ? "'" : "");
		for (int i = 0; o->cmd[i] && len < sizeof cmdline; i++)
			len += (size_t)snprintf(cmdline + len, sizeof cmdline - len, " %s", o->cmd[i]);
		if (len < sizeof cmdline)
			snprintf(cmdline + len, sizeof cmdline - len, "   # a new recording to the moment (the guide's was "
				 "%s)", g->recording_why);
	}
	ms_gstep_command(st, "%s", cmdline);
	if (has_folded && ran)
		ms_gstep_evidence(st, "folded stacks (flame graph input: speedscope, flamegraph.pl), calls per call site: %s",
				  folded);
	else if (has_folded)
		unlink(folded);   /* the step failed: the empty file is the guide's own */
	else if (id == MS_G_HOTSPOTS)
		ms_gstep_evidence(st, "folded stacks (flame graph input) not written: %s", why);
}

/* The recorder's child that is not its guard (util/subproc.c names it):
 * the command, when the hook never reached it; 0 none. */
static pid_t unhooked_command(pid_t recorder)
{
	struct ms_launch_image *v;
	size_t n = ms_launch_live(recorder, 64, &v);
	pid_t pid = 0;
	for (size_t i = 0; i < n && !pid; i++)
		if (v[i].ppid == recorder && v[i].pid != recorder && strcmp(v[i].name, "memsleuth-guard"))
			pid = v[i].pid;
	free(v);
	return pid;
}

/* guide -- CMD: launch it under the allocator hook from its start
 * (`memsleuth hotspots --record-only`), so that the process examined at
 * the moment is the one recorded: arenas names each pin's call site from
 * the recording, and the hotspots step reads it instead of a second run.
 * Where the hook cannot be there (the recorder refused: a static program,
 * an untrusted hook) one line says so and the command runs as it is; a
 * program the hook did not reach (setuid, a wrapper clearing LD_PRELOAD)
 * is said at the moment.  Waits for the moment; dies on failure. */
static void launch(const struct gopts *o, struct gl_cmd *lc, struct ms_guide *g)
{
	struct ms_err e = { 0 };
	char self[PATH_MAX], why[400] = "", keep[PATH_MAX], kwhy[PATH_MAX + 96] = "";
	int hook = guide_self(self, sizeof self, why, sizeof why) == 0;
	const char *kp = hook ? gk_choose(o->report, keep, sizeof keep, sizeof g->recording, kwhy, sizeof kwhy, o->say)
			      : NULL;
	if (kp)   /* no report, no recording: removed if the guide ends before it */
		gk_arm(kp);
	snprintf(g->recording_why, sizeof g->recording_why, "%s", o->report ? kwhy :
		 "temporary: --report FILE.html keeps it as FILE.hotspots");
	if (!hook) {
		snprintf(g->recording_note, sizeof g->recording_note, "no allocation recording: %s", why);
		fprintf(o->say, "%s\n", g->recording_note);
	}
	if (gl_launch(o->cmd, lc, hook ? self : NULL, kp, &e) < 0)
		ms_die(prog, &e, MS_EXIT_ERROR);
	g->launched = 1;
	fprintf(o->say, "launched %s %s %d); looking when %s%s\n", o->cmd[0],
		lc->recorder ? "under the allocator hook (memsleuth hotspots --record-only, pid" : "(pid", (int)lc->pid,
		o->when ? "it prints a line matching " : "", o->when ? o->when : "");
	if (!o->when)
		fprintf(o->say, "looking after %.1f s\n", o->after);
	fflush(o->say);
	int rc = gl_wait_ready(lc, o->when ? &o->when_re : NULL, o->when, o->after, o->wait_max, g, &guide_stop, &e);
	if (rc < 0 && lc->recorder && !lc->pid && WIFEXITED(lc->status) && WEXITSTATUS(lc->status) == MS_EXIT_ERROR) {
		/* the recorder refused (its own error is the last line): without it */
		snprintf(g->recording_note, sizeof g->recording_note, "no allocation recording (%.300s): the command "
			 "runs without the hook", lc->line);
		fprintf(o->say, "%s\n", g->recording_note);
		gl_stop(lc);
		memset(&e, 0, sizeof e);
		kp = NULL;
		if (gl_launch(o->cmd, lc, NULL, NULL, &e) < 0)
			ms_die(prog, &e, MS_EXIT_ERROR);
		rc = gl_wait_ready(lc, o->when ? &o->when_re : NULL, o->when, o->after, o->wait_max, g, &guide_stop, &e);
	}
	if (rc < 0) {
		gl_stop(lc);
		ms_die(prog, &e, MS_EXIT_ERROR);
	}
	if (lc->matched[0])
		snprintf(g->when, sizeof g->when, "after %.1f s, at the line \"%.200s\"", lc->ready_after, lc->matched);
	else
		snprintf(g->when, sizeof g->when, "after %.1f s", lc->ready_after);
	/* a wrapper (a script that forks java and waits): the steps look at
	 * the program it runs (findings/launch.h), from the recorder's command
	 * on; lc->pid stays the one to stop */
	char wl[sizeof g->launch];
	pid_t root = gl_target(lc);
	if (!root && lc->recorder)   /* the hook is in none of them: the recorder's command by name */
		root = unhooked_command(lc->pid);
	g->pid = ms_launch_live_program(root ? root : lc->pid, wl, sizeof wl);
	if (wl[0]) {   /* a wrapper, or a choice between a program and the command it runs */
		snprintf(g->launch, sizeof g->launch, "%s", wl);
		fprintf(o->say, "launched: %s\n", wl);
	}
	if (!lc->recorder)
		return;
	if (gl_recorded(lc, g->pid)) {
		snprintf(g->recording, sizeof g->recording, "%s", lc->rec);
		g->recording_kept = kp != NULL;
		fprintf(o->say, "recording: the allocator calls of process %d from its start, in %s (%s)\n", (int)g->pid,
			lc->rec, kp ? "kept" : g->recording_why);
	} else {
		snprintf(g->recording_note, sizeof g->recording_note, "no allocation recording of process %d: the hook is "
			 "not in it (a static or setuid program, or a wrapper that clears LD_PRELOAD)", (int)g->pid);
		fprintf(o->say, "%s\n", g->recording_note);
	}
}

int cmd_guide(int argc, char **argv)
{
	struct gopts o = { .after = -1, .wait_max = 120, .window = 5, .watch = 4 };
	struct ms_guide *g = calloc(1, sizeof *g);
	if (!g)
		ms_fatal(prog, NULL, "out of memory");
	ms_guide_init(g, 0);
	int c;
	struct ms_args cl;
	ms_args_begin(&cl, &cli, argc, argv);
	while ((c = ms_args_next(&cl)) != -1) {
		switch (c) {
		case 'b': o.batch = 1; break;
		case 'e': o.explain = 1; break;
		case 'a':
			if (ms_size_parse(cl.val, &g->accounted) < 0)
				ms_fatal(prog, "write it like 512M, 1.5G or 4096", "--accounted '%s': not a size", cl.val);
			g->has_accounted = 1;
			snprintf(g->accounted_from, sizeof g->accounted_from, "--accounted %s", cl.val);
			break;
		case 'r':
			if (!ends_with(cl.val, ".html") && !ends_with(cl.val, ".md"))
				ms_fatal(prog, "name it FILE.html or FILE.md", "--report '%s': unknown report format", cl.val);
			o.report = cl.val;
			break;
		case 'j': o.json = 1; break;
		case 'C': o.no_compare = 1; break;
		case 'w': o.when = cl.val; break;   /* compiled below, before anything is launched */
		case 'A':
			o.after = ms_args_seconds(&cl, "--after", cl.val, 0, 86400);
			break;
		case 'W':
			o.wait_max = ms_args_seconds(&cl, "--wait-max", cl.val, 0, 86400);
			break;
		case MS_LONG('t'):
			o.window = ms_args_seconds(&cl, "--window", cl.val, 0, 3600);
			o.live_given = "--window";
			break;
		case MS_LONG('T'):
			o.watch = ms_args_seconds(&cl, "--watch", cl.val, 0, 3600);   /* 0: no watch */
			o.live_given = "--watch";
			break;
		case MS_LONG('C'): o.core = cl.val; cl.operands_optional = 1; break;
		case MS_LONG('E'): o.exe = cl.val; break;
		case MS_LONG('R'): o.sysroot = cl.val; break;
		}
	}
	o.cmd = cl.cmd;
	if (o.core)
		guide_core_check(&o, &cl);
	else if (o.exe || o.sysroot)
		ms_fatal(prog, "use them with --core CORE", "--exe and --sysroot: only for a core");
	if (o.report)
		report_writable(o.report);
	if (!o.cmd && (o.when || o.after >= 0 || o.no_compare))
		ms_fatal(prog, "they say when to look at a command the guide launches: use -- CMD ARGS",
			 "--when, --after and --no-compare need -- CMD");
	if (o.cmd && !o.when && o.after < 0)
		o.when = DEFAULT_WHEN;
	if (o.when)
		ms_args_regex(&cl, "--when", o.when, &o.when_re);
	o.say = o.json ? stderr : stdout;
	ms_sweep_stale(prog, stderr);   /* what a killed run left */
	o.interactive = !o.batch && isatty(0) && isatty(2);

	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	struct ms_err e = { 0 };
	struct gl_cmd lc = { .fd = -1 };
	g->t_start = gl_now();
	char started[64], host[256] = "";
	time_t now = time(NULL);
	strftime(started, sizeof started, "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	gethostname(host, sizeof host - 1);
	if (o.core)   /* the steps a core can answer, then the same ending */
		return guide_core(&o, g, &cl, started, host);

	if (o.cmd) {
		launch(&o, &lc, g);
	} else {
		g->pid = cl.pid;
	}
	char pidarg[16];
	snprintf(pidarg, sizeof pidarg, "%d", (int)g->pid);
	cmdline_of(g, o.cmd);
	if (!o.cmd)
		attached_context(g);
	ms_guide_sample(g, gl_now() - g->t_start, ms_statm_rss(g->pid));

	/* The facts every step needs, before the first one is shown. */
	ms_guide_take_doctor(g, guide_doctor_findings(g->pid));
	struct ms_jval *ov = guide_overview_findings(g, &e);
	if (!ov) {
		gl_stop(&lc);
		ms_die(prog, &e, MS_EXIT_ERROR);
	}
	fprintf(o.say, "memsleuth guide: process %d (%s)%s%s\n", (int)g->pid, ms_jstr(ov, "name", "?"),
		g->when[0] ? ", looked " : "", g->when);
	g->rss = ms_ju64(ov, "rss_bytes", 0);
	if (!g->has_accounted && ms_jget(ov, "jvm") && ms_jget(ov, "jvm")->type == MS_J_OBJ)
		guide_jvm_accounted(g, ov);

	/* 1: the symptom, and whether it grows. */
	guide_say_step_head(&o, MS_G_ACCOUNTED);
	if (o.watch > 0) {
		fprintf(o.say, "   (watching what grows for %.0f s: memsleuth watch)\n", o.watch);
		fflush(o.say);
		guide_watch(g, o.watch);
	}
	int asked = 1;   /* 0: q at the question, stop after this step */
	if (!g->has_accounted && o.interactive)
		asked = guide_ask_accounted(g);
	if (g->has_accounted) {
		ms_jfree(ov);
		if (!(ov = guide_overview_findings(g, &e))) {
			gl_stop(&lc);
			ms_die(prog, &e, MS_EXIT_ERROR);
		}
	}
	g->rss = ms_ju64(ov, "rss_bytes", 0);
	ms_guide_take_accounted(g);
	guide_say_step_body(&o, &g->step[MS_G_ACCOUNTED]);
	int go = asked && guide_pause_here(&o);

	/* 2: where it lives. */
	if (go) {
		guide_say_step_head(&o, MS_G_OVERVIEW);
		ms_guide_take_overview(g, ov);
		ov = NULL;
		guide_say_step_body(&o, &g->step[MS_G_OVERVIEW]);
		go = guide_pause_here(&o);
	}
	ms_jfree(ov);

	/* 3..5: each only when the findings so far make it relevant. */
	for (enum ms_gstep_id id = MS_G_ARENAS; go && id <= MS_G_SYSCALLS; id++) {
		struct ms_gstep *st = &g->step[id];
		char reason[400];
		guide_say_step_head(&o, id);
		if (!ms_guide_relevant(g, id, reason, sizeof reason)) {
			ms_gstep_set(st, MS_G_SKIPPED, reason);
		} else if (id == MS_G_ARENAS) {
			/* with the recording of this very process: each pin's call site */
			char *rargs[] = { "--hotspots", g->recording, pidarg, NULL }, *args[] = { pidarg, NULL };
			struct ms_jval *f = g->recording[0] ? guide_run_step(g, st, "arenas", rargs, 120) : NULL;
			if (!f && g->recording[0]) {
				snprintf(g->recording_note, sizeof g->recording_note, "the pins' call sites: arenas could "
					 "not read the recording (%.300s)", st->reason);
				g->recording[0] = 0;
				ms_gstep_set(st, MS_G_NOT_REACHED, NULL);
			}
			ms_guide_take_arenas(g, f ? f : guide_run_step(g, st, "arenas", args, 120));
		} else {
			run_attach_step(g, &o, &lc, id, id == MS_G_HOTSPOTS ? "hotspots" : "syscalls", pidarg);
		}
		ms_guide_sample(g, gl_now() - g->t_start, ms_statm_rss(g->pid));
		guide_say_step_body(&o, st);
		go = guide_pause_here(&o);
	}

	/* 6: remedies; on a launched command, compare measures them. */
	if (go) {
		guide_say_step_head(&o, MS_G_REMEDIES);
		struct ms_jval *cmp = NULL;
		struct ms_gstep *st = &g->step[MS_G_REMEDIES];
		if (lc.pid && o.no_compare)
			ms_gstep_evidence(st, "compare not run (--no-compare)");
		double at = compare_final_after(&lc, o.when);
		if (lc.pid) {   /* the moment the guide looked, for the printed compare command */
			if (o.when && !strchr(o.when, '\''))
				snprintf(g->moment, sizeof g->moment, "--final-at '%s' --final-after %.1f", o.when, at);
			else   /* no line to wait for: the time the guide looked itself */
				snprintf(g->moment, sizeof g->moment, "--final-after %.1f", compare_final_after(&lc, NULL));
		}
		if (lc.pid && !o.no_compare && !strcmp(g->allocator, "glibc")) {
			char *args[64], after[32], list[400], why[400];
			int k = 0;
			args[k++] = "--runs";
			args[k++] = "1";
			size_t ncfgs = ms_remedy_ncfgs;
			if (ms_guide_compare_plan(g, list, sizeof list, why, sizeof why)) {
				ms_gstep_evidence(st, "compare: %s", why);
				args[k++] = "--configs";
				args[k++] = list;
				ncfgs = 1;
				for (const char *p = list; (p = strchr(p, ',')); p++)
					ncfgs++;
			}
			snprintf(after, sizeof after, "%.1f", at);
			if (o.when) {
				args[k++] = "--final-at";
				args[k++] = (char *)o.when;
			}
			args[k++] = "--final-after";
			args[k++] = after;
			args[k++] = "--";
			for (int i = 0; o.cmd[i] && k < 62; i++)
				args[k++] = o.cmd[i];
			args[k] = NULL;
			/* compare's own bound (the moment + 60 s a run), with room to spare */
			cmp = guide_run_step(g, st, "compare", args, (int)((at + 60) * (double)ncfgs) + 60);
			if (!cmp && st->reason[0])
				ms_gstep_evidence(st, "compare: %s", st->reason);
			st->reason[0] = 0;
		}
		ms_guide_remedies(g, cmp);
		guide_say_step_body(&o, st);
	}
	g->stopped_early = !go || guide_stop;
	ms_guide_conclude(g);
	gl_stop(&lc);
	return guide_finish(&o, g, &cl, started, host);
}

int guide_finish(const struct gopts *o, struct ms_guide *g, struct ms_args *cl, const char *started, const char *host)
{
	fprintf(o->say, ms_use_colour(o->say) ? "\n\033[1m== Conclusions\033[0m\n" : "\n== Conclusions\n");
	for (int i = 0; i < g->conclusions.n; i++) {
		const struct ms_verdict *v = &g->conclusions.v[i];
		guide_wrap(o->say, "", v->level == MS_PROBLEM ? "!! " : v->level == MS_NOTICE ? " ! " : " - ", v->text);
		if (v->next[0])
			guide_wrap(o->say, "   ", "try: ", v->next);
	}
	int rc = write_report(o, g, started, host);
	/* --fail-on: the worst conclusion printed (the causes' among them) */
	int worst = ms_verdicts_worst(&g->conclusions);
	ms_guide_free(g);
	free(g);
	return rc < 0 ? MS_EXIT_ERROR : ms_args_exit(cl, worst);
}

/* memsleuth hotspots: which threads and call sites allocate.
 *   hotspots [OPTIONS] -- CMD ARGS   launch under the LD_PRELOAD hook
 *   hotspots --from DIR              analyse a recorded log
 *   hotspots [OPTIONS] PID           attach with bpftrace uprobes (attach.c) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "findings/hotspots.h"
#include "util/outfile.h"
#include "probe/sweep.h"
#include "util/subproc.h"
#include "probe/hs_attach.h"
#include "probe/elf.h"
#include "probe/procfs.h"
#include "records/hotlog.h"
#include "findings/stepverdict.h"
#include "report/hotspots_report.h"
#include "options.h"
#include "steps.h"
#include "util/err.h"
#include "util/paths.h"

#define PROG "memsleuth hotspots"
#define FLUSH_SIGNAL (SIGRTMAX - 7)   /* asks every hook to write its buffers */

struct opts {
	int         stacks, json, record_only, count_only, top, fork_stop;
	double      duration;
	const char *output, *folded, *from;
};

static const struct ms_optspec opts[] = {
	{ "stacks",      MS_LONG('s'), "N",    "record N frames of user stack per event (default 0: caller only)" },
	{ "output",      'o',          "DIR",  "write the log to DIR (kept); default: a private temporary dir, removed" },
	{ "record-only", MS_LONG('r'), NULL,   "write the log and stop (needs --output); analyse later with --from" },
	{ "from",        MS_LONG('F'), "DIR",  "analyse the log in DIR (recorded here or on another machine)" },
	{ "count-only",  MS_LONG('c'), NULL,   "keep per-thread and per-caller counters only, no event log" },
	{ "duration",    'd',          "S",    "stop the command (or the attach) after S seconds and report" },
	{ "fork-child",  MS_LONG('k'), "M",    "after fork the child logs to its own file (own, default) or not (stop)" },
	{ "folded",      MS_LONG('f'), "FILE", "write folded stacks (flame graph input) to FILE" },
	{ "top",         MS_LONG('t'), "N",    "rows per table (default 10)" },
	{ "json",        'j',          NULL,   "JSON instead of text (fields: docs/json/hotspots.md); CMD's stdout goes to stderr" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = PROG, .opts = opts,
	.usage = "[OPTIONS] -- CMD ARGS   run CMD under the allocator hook\n"
		 "--from DIR [OPTIONS]    analyse a recorded log\n"
		 "[OPTIONS] PID           attach to a running process (bpftrace uprobes)",
	.about = "Which threads and call sites allocate: calls, bytes, bytes live at the end,\n"
		 "short-lived allocations, sizes, and the arena heap each thread's memory lands in.",
	.more = "The command runs in its own process group; Ctrl-C stops it and still reports.\n",
	.operands = MS_OPERAND_PID | MS_OPERAND_CMD, .flags = MS_CLI_FAIL_ON,
};

static volatile sig_atomic_t stop_requested, stop_signal;

static void on_signal(int sig)
{
	stop_requested = 1;
	stop_signal = sig;
}

static void catch_stop_signals(double duration)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;   /* no SA_RESTART: waitpid returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (duration > 0) {
		struct itimerval it = { { 0, 0 }, { (time_t)duration,
						     (suseconds_t)((duration - (double)(time_t)duration) * 1e6) } };
		setitimer(ITIMER_REAL, &it, NULL);
	}
}

/* Find CMD the way execvp will; 0 when found and executable. */
static int find_command(const char *cmd, char *out, size_t len)
{
	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(cmd, X_OK);
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *c = strchr(p, ':');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", cmd);
		struct stat st;
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		p += n + (c != NULL);
	}
	return -1;
}

static int make_output_dir(const struct opts *o, char *dir, size_t len, int *temporary)
{
	*temporary = 0;
	if (o->output) {
		snprintf(dir, len, "%s", o->output);
		struct ms_err de;
		if (ms_out_dir(dir, &de) < 0) {   /* a real directory of ours, never a planted link */
			ms_err_print(PROG, &de);
			return -1;
		}
		char probe[PATH_MAX];
		snprintf(probe, sizeof probe, "%s/counters", dir);
		if (access(probe, F_OK) == 0) {
			fprintf(stderr, PROG ": %s: already holds a recording (give an empty or new directory to --output)\n", dir);
			return -1;
		}
		return 0;
	}
	struct ms_err te;
	if (ms_tmpdir_make("hotspots", dir, len, &te) < 0) {
		ms_err_print(PROG, &te);
		return -1;
	}
	*temporary = 1;
	return 0;
}

/* The counters page the hooks map shared: written whole now, so that
 * counting drops later never needs a free disk block. */
static int make_counters(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/counters", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, PROG ": %s: %s (use an empty directory)\n", path, strerror(errno));
		return -1;
	}
	static char page[4096];
	struct ms_hl_counters c = { .magic = MS_HL_COUNTERS_MAGIC };
	memcpy(page, &c, sizeof c);
	int ok = write(fd, page, sizeof page) == (ssize_t)sizeof page;
	close(fd);
	if (!ok)
		fprintf(stderr, PROG ": %s: cannot write (is the disk full?)\n", path);
	return ok ? 0 : -1;
}

/* Remove a temporary log directory: only the files the hook writes. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (!strcmp(de->d_name, "counters") || !strncmp(de->d_name, "proc-", 5))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
}

static void child_exec(const struct opts *o, const char *hook, const char *dir, char **cmd)
{
	setpgid(0, 0);
	if (o->json)
		dup2(2, 1);   /* stdout carries the JSON document only */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	const char *old = getenv("LD_PRELOAD");
	char preload[2 * PATH_MAX];
	/* the hook goes first so that it sees the calls even when another
	 * allocator (jemalloc, tcmalloc) is preloaded too */
	snprintf(preload, sizeof preload, "%s%s%s", hook, old && *old ? ":" : "", old && *old ? old : "");
	char num[32];
	snprintf(num, sizeof num, "%d", o->stacks);
	setenv("LD_PRELOAD", preload, 1);
	setenv("MEMSLEUTH_HOOK_DIR", dir, 1);
	setenv("MEMSLEUTH_HOOK_STACKS", num, 1);
	setenv("MEMSLEUTH_HOOK_COUNT", o->count_only ? "1" : "0", 1);
	setenv("MEMSLEUTH_HOOK_FORK", o->fork_stop ? "stop" : "own", 1);
	snprintf(num, sizeof num, "%d", FLUSH_SIGNAL);
	setenv("MEMSLEUTH_HOOK_SIGNAL", num, 1);
	execvp(cmd[0], cmd);
	fprintf(stderr, PROG ": %s: %s (check the command)\n", cmd[0], strerror(errno));
	_exit(127);
}

/* Whether every hooked image took the flush signal (none uses it itself). */
static int flush_signal_safe(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/counters", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct ms_hl_counters c;
	int ok = fd >= 0 && read(fd, &c, sizeof c) == (ssize_t)sizeof c && c.magic == MS_HL_COUNTERS_MAGIC &&
		 c.flush_sig_installed > 0 && c.flush_sig_refused == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Stop the command's process group: first ask every hook to write what it
 * holds (the flush signal, when every image took it), then SIGTERM, then
 * SIGKILL. */
static void stop_group(pid_t pid, const char *dir, int *status, int *reaped, int *flushed)
{
	*flushed = flush_signal_safe(dir);
	if (*flushed) {
		kill(-pid, FLUSH_SIGNAL);
		for (int i = 0; i < 30 && !*reaped; i++) {
			usleep(10000);
			*reaped = waitpid(pid, status, WNOHANG) == pid;
		}
	}
	kill(-pid, SIGTERM);
	for (int i = 0; i < 300 && !*reaped; i++) {
		usleep(10000);
		*reaped = waitpid(pid, status, WNOHANG) == pid;
	}
	if (!*reaped) {
		kill(-pid, SIGKILL);
		*reaped = waitpid(pid, status, 0) == pid;
	}
	/* the rest of the group (children the command forked) goes too */
	kill(-pid, SIGKILL);
}

static int run_command(const struct opts *o, char **cmd, const char *dir, char *how, size_t howlen)
{
	char path[PATH_MAX], hook[PATH_MAX];
	if (find_command(cmd[0], path, sizeof path) < 0) {
		fprintf(stderr, PROG ": %s: command not found (check the name and PATH)\n", cmd[0]);
		return -1;
	}
	struct ms_elf_info info;
	struct ms_err e;
	if (ms_elf_inspect(path, &info, &e) == 0 && !info.has_interp) {
		fprintf(stderr, PROG ": %s: statically linked, so LD_PRELOAD cannot work "
			"(use a dynamically linked build, or attach to it running: memsleuth hotspots PID)\n", path);
		return -1;
	}
	struct ms_err he;
	if (ms_resource_trusted(MS_RES_HELPER, "libmemsleuth-hook.so", hook, sizeof hook, &he) < 0) {
		ms_err_print(PROG, &he);
		return -1;
	}
	catch_stop_signals(o->duration);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = ms_fork();
	if (pid < 0) {
		fprintf(stderr, PROG ": fork: %s (too many processes?)\n", strerror(errno));
		return -1;
	}
	if (pid == 0)
		child_exec(o, hook, dir, cmd);
	setpgid(pid, pid);
	int status = 0, reaped = 0, flushed = 1;
	while (!reaped) {
		pid_t w = waitpid(pid, &status, 0);
		if (w == pid)
			reaped = 1;
		else if (w < 0 && errno != EINTR)
			break;
		if (!reaped && stop_requested)
			stop_group(pid, dir, &status, &reaped, &flushed);
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (stop_requested)
		snprintf(how, howlen, "the command was stopped by %s after %.1f s%s",
			 stop_signal == SIGALRM ? "--duration" : strsignal(stop_signal), secs,
			 flushed ? "" : " with SIGTERM only: it handles memsleuth's flush signal itself");
	else if (WIFSIGNALED(status))
		snprintf(how, howlen, "the command was killed by signal %d (%s) after %.1f s",
			 WTERMSIG(status), strsignal(WTERMSIG(status)), secs);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(how, howlen, "the command exited with status 127 (not found or not executable?) after %.1f s", secs);
	else if (WIFEXITED(status) && WEXITSTATUS(status))
		snprintf(how, howlen, "the command exited with status %d after %.1f s", WEXITSTATUS(status), secs);
	else
		how[0] = 0;
	return 0;
}

/* The next command the closing verdict gives (findings/stepverdict.h). */
static char next_cmd[256];
static int worst = -1;   /* the verdicts' worst level, for --fail-on */

static int analyse(const struct opts *o, const char *dir, const char *how)
{
	struct ms_hotspots h;
	struct ms_err e;
	if (ms_hotspots_load(dir, &h, &e) < 0) {
		if (how && *how)
			fprintf(stderr, PROG ": %s\n", how);
		ms_err_print(PROG, &e);
		return MS_EXIT_ERROR;
	}
	struct ms_verdicts vs;
	ms_hotspots_verdicts(&h, next_cmd, &vs);
	worst = ms_verdicts_worst(&vs);
	struct ms_hs_report_opts ro = { .top = o->top, .how_ended = how && *how ? how : NULL, .verdicts = &vs };
	if (o->json)
		ms_hotspots_json(&h, &ro, stdout);
	else
		ms_hotspots_print(&h, &ro, stdout);
	int rc = MS_EXIT_OK;
	if (o->folded) {
		struct ms_err fe;
		FILE *f = ms_out_fopen(o->folded, MS_OUT_PRIVATE, &fe);
		if (!f) {
			ms_err_print(PROG, &fe);
			rc = MS_EXIT_ERROR;
		} else if (ms_hotspots_folded(&h, f) < 0) {
			fprintf(stderr, PROG ": %s: %s (give a writable path to --folded)\n", o->folded, strerror(errno));
			rc = MS_EXIT_ERROR;
		}
		if (f && fclose(f) != 0)
			rc = MS_EXIT_ERROR;
	}
	ms_hotspots_free(&h);
	return rc;
}

static void parse(int argc, char **argv, struct opts *o, struct ms_args *a)
{
	memset(o, 0, sizeof *o);
	o->top = 10;
	int c;
	char *end;
	ms_args_begin(a, &cli, argc, argv);
	while ((c = ms_args_next(a)) != -1) {
		const char *v = a->val;
		switch (c) {
		case MS_LONG('s'):
			o->stacks = (int)strtol(v, &end, 10);
			if (!*v || *end || o->stacks < 0 || o->stacks > MS_HL_MAX_DEPTH)
				ms_fatal(PROG, "give 0..64", "--stacks %s: not a frame count", v);
			break;
		case 'o': o->output = v; break;
		case 'j': o->json = 1; break;
		case MS_LONG('f'): o->folded = v; break;
		case 'd':
			o->duration = strtod(v, &end);
			if (*end || !(o->duration > 0))
				ms_fatal(PROG, "give seconds, e.g. --duration 10", "--duration %s: not a positive number", v);
			break;
		case MS_LONG('r'): o->record_only = 1; break;
		case MS_LONG('c'): o->count_only = 1; break;
		case MS_LONG('F'): o->from = v; a->operands_optional = 1; break;
		case MS_LONG('t'):
			o->top = (int)strtol(v, &end, 10);
			if (!*v || *end || o->top < 1)
				ms_fatal(PROG, "give a positive number", "--top %s: not a row count", v);
			break;
		case MS_LONG('k'):
			if (strcmp(v, "own") && strcmp(v, "stop"))
				ms_fatal(PROG, "give own or stop", "--fork-child %s: unknown mode", v);
			o->fork_stop = !strcmp(v, "stop");
			break;
		}
	}
}

int cmd_hotspots(int argc, char **argv)
{
	struct opts o;
	struct ms_args a;
	parse(argc, argv, &o, &a);
	char **rest = a.cmd;
	if (o.from) {
		if (rest || a.pid)
			ms_fatal(PROG, "give either --from DIR, a PID or a command", "%s: unexpected argument",
				 rest ? rest[0] : "PID");
		int rc = analyse(&o, o.from, NULL);
		return rc ? rc : ms_args_exit(&a, worst);
	}
	ms_sweep_stale(PROG, stderr);   /* what a killed run left: temp dirs, uprobes */
	if (a.pid) {
		pid_t pid = a.pid;
		struct ms_err e;
		if (o.record_only || o.output || o.count_only || o.stacks)
			ms_fatal(PROG, "attach mode counts through uprobes: drop --record-only/--output/--count-only/--stacks",
				 "pid %d: option not available when attaching", (int)pid);
		catch_stop_signals(o.duration);
		struct ms_hotspots h;
		char how[256];
		if (ms_hs_attach(pid, o.duration, &stop_requested, &h, how, sizeof how, &e) < 0)
			ms_die(PROG, &e, MS_EXIT_ERROR);
		snprintf(next_cmd, sizeof next_cmd, "memsleuth arenas %d", (int)pid);
		struct ms_verdicts vs;
		ms_hotspots_verdicts(&h, next_cmd, &vs);
		worst = ms_verdicts_worst(&vs);
		struct ms_hs_report_opts ro = { .top = o.top, .how_ended = how, .verdicts = &vs };
		if (o.json)
			ms_hotspots_json(&h, &ro, stdout);
		else
			ms_hotspots_print(&h, &ro, stdout);
		ms_hotspots_free(&h);
		return ms_args_exit(&a, worst);
	}
	size_t off = (size_t)snprintf(next_cmd, sizeof next_cmd, "memsleuth compare --");
	for (size_t i = 0; rest && rest[i] && off < sizeof next_cmd; i++)
		off += (size_t)snprintf(next_cmd + off, sizeof next_cmd - off, " %s", rest[i]);
	if (o.record_only && !o.output)
		ms_fatal(PROG, "add --output DIR to keep the log", "--record-only: the log would be removed");
	char dir[PATH_MAX], how[256] = "";
	int temporary;
	if (make_output_dir(&o, dir, sizeof dir, &temporary) < 0 || make_counters(dir) < 0) {
		if (temporary)
			remove_dir(dir);
		return MS_EXIT_ERROR;
	}
	if (run_command(&o, rest, dir, how, sizeof how) < 0) {
		if (temporary)
			remove_dir(dir);
		else {
			char c[PATH_MAX];
			snprintf(c, sizeof c, "%s/counters", dir);
			unlink(c);
		}
		return MS_EXIT_ERROR;
	}
	int rc;
	if (o.record_only) {
		if (*how)
			fprintf(stderr, PROG ": %s\n", how);
		printf("recorded to %s; analyse with: memsleuth hotspots --from %s\n", dir, dir);
		rc = MS_EXIT_OK;
	} else {
		rc = analyse(&o, dir, how);
	}
	if (temporary)
		remove_dir(dir);
	return rc ? rc : ms_args_exit(&a, worst);
}

/* memsleuth hotspots: which threads and call sites allocate.
 *   hotspots [OPTIONS] -- CMD ARGS   launch under the LD_PRELOAD hook
 *   hotspots --from DIR              analyse a recorded log
 *   hotspots [OPTIONS] PID           attach with bpftrace uprobes (attach.c) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/wrap.h"
#include "findings/hotspots.h"
#include "util/outfile.h"
#include "probe/sweep.h"
#include "util/spawn.h"
#include "util/subproc.h"
#include "probe/hs_attach.h"
#include "probe/elf.h"
#include "probe/procfs.h"
#include "probe/tasks.h"
#include "records/hotcensus.h"
#include "records/hotlog.h"
#include "report/json.h"
#include "report/hotspots_report.h"
#include "options.h"
#include "steps.h"
#include "util/err.h"
#include "util/paths.h"
#include "util/size.h"

#define PROG "memsleuth hotspots"

struct opts {
	int         stacks, json, record_only, count_only, top, fork_stop, address_query, live;
	uint64_t    address;
	double      duration;
	const char *output, *folded, *from, *folded_weight_name;
	enum ms_hs_site_key folded_weight;
	FILE       *folded_out;   /* opened before the run: a bad path fails early */
	const char *until;              /* --until: stop when the command prints a matching line */
	regex_t     until_re;
};

static const struct ms_optspec optspec[] = {
	{ "stacks",      MS_LONG('s'), "N",    "record N frames of user stack per event (default 0: caller only)" },
	{ "output",      'o',          "DIR",  "write the log to DIR (kept); default: a private temporary dir, removed" },
	{ "record-only", MS_LONG('r'), NULL,   "write the log and stop (needs --output); analyse later with --from" },
	{ "from",        MS_LONG('F'), "DIR",  "analyse the log in DIR (recorded here or on another machine)" },
	{ "address",     MS_LONG('A'), "ADDR", "with --from: the allocation live at the end that holds ADDR\n"
					       "(site, thread, size, when)" },
	{ "live",        MS_LONG('L'), NULL,   "attaching: also keep pointers for bytes live per site\n"
					       "(uretprobes: slower)" },
	{ "count-only",  MS_LONG('c'), NULL,   "keep per-thread and per-caller counters only, no event log" },
	{ "duration",    'd',          "S",    "stop the command (or the attach) after S seconds and report" },
	{ "until",       MS_LONG('u'), "REGEX", "with -- CMD: stop it when a line it prints matches REGEX (the moment\n"
	  "to report at; --duration bounds the wait)" },
	{ "fork-child",  MS_LONG('k'), "M",    "after fork the child logs to its own file (own, default) or not (stop)" },
	{ "folded",      MS_LONG('f'), "FILE", "write folded stacks (flame graph input: flamegraph.pl, speedscope)\n"
					       "to FILE, one line per distinct stack" },
	{ "folded-weight", MS_LONG('W'), "W",  "what a folded line counts: calls (default), bytes (requested)\n"
					       "or live (bytes not freed at the end; attaching: needs --live)" },
	{ "top",         MS_LONG('t'), "N",    "rows per table (default 10)" },
	{ "json",        'j',          NULL,   "JSON instead of text (fields: docs/json/hotspots.md);\n"
					       "CMD's stdout goes to stderr" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = PROG,
	.usage = "[OPTIONS] -- CMD ARGS\n--from DIR [OPTIONS]\n[OPTIONS] PID",
	.about = "Which threads and call sites allocate: calls, bytes, bytes live at the end,\n"
		 "short-lived allocations, sizes, and the arena heap each thread's memory lands in.\n"
		 "A command runs under the allocator hook (LD_PRELOAD) in its own process group;\n"
		 "Ctrl-C stops it and still reports.  A PID is attached with bpftrace uprobes.",
	.opts = optspec, .operands = MS_OPERAND_PID | MS_OPERAND_CMD, .flags = MS_CLI_FAIL_ON,
	.more = "Examples:\n"
		"  memsleuth hotspots -- ./server --port 8080\n"
		"  memsleuth hotspots 1234 --duration 10 --json\n"
		"  memsleuth hotspots --output rec --record-only -- ./batch; memsleuth hotspots --from rec\n",
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
		if (!strcmp(de->d_name, "counters") || !strcmp(de->d_name, "comm") ||
		    !strncmp(de->d_name, "proc-", 5) || !strncmp(de->d_name, "maps-", 5))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
}

/* Start CMD with the hook preloaded, leading its own process group; its
 * stdout into out (--until: through us, line by line) or, under --json,
 * to our stderr (stdout carries the document).  The pid, or -1 (said). */
static pid_t start_command(const struct opts *o, const char *hook, const char *dir, char **cmd, int out)
{
	const char *old = getenv("LD_PRELOAD");
	char preload[2 * PATH_MAX + 16], hook_dir[PATH_MAX + 32], stacks[48];
	/* the hook goes first so that it sees the calls even when another
	 * allocator (jemalloc, tcmalloc) is preloaded too */
	snprintf(preload, sizeof preload, "LD_PRELOAD=%s%s%s", hook, old && *old ? ":" : "", old && *old ? old : "");
	snprintf(hook_dir, sizeof hook_dir, "MEMSLEUTH_HOOK_DIR=%s", dir);
	snprintf(stacks, sizeof stacks, "MEMSLEUTH_HOOK_STACKS=%d", o->stacks);
	const char *env[] = { preload, hook_dir, stacks,
			      o->count_only ? "MEMSLEUTH_HOOK_COUNT=1" : "MEMSLEUTH_HOOK_COUNT=0",
			      o->fork_stop ? "MEMSLEUTH_HOOK_FORK=stop" : "MEMSLEUTH_HOOK_FORK=own", NULL };
	struct ms_start st = { .argv = cmd, .env_set = env, .own_group = 1,
			       .fd = { MS_FD_KEEP, out >= 0 ? out : o->json ? 2 : MS_FD_KEEP, MS_FD_KEEP } };
	struct ms_err e;
	pid_t pid = ms_child_start(&st, &e);
	if (pid < 0)
		ms_err_print(PROG, &e);
	return pid;
}

/* DIR/maps-PID: the memory map of a process about to be stopped, so that
 * its last heaps are known although it writes no end record. */
static void save_maps(pid_t pid, const char *dir)
{
	char *text = NULL, path[PATH_MAX];
	size_t len = 0;
	struct ms_err e;
	if (ms_proc_read(pid, "maps", &text, &len, &e) < 0)
		return;
	snprintf(path, sizeof path, "%s/maps-%d", dir, (int)pid);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, text, len) != (ssize_t)len)
			unlink(path);
		close(fd);
	}
	free(text);
}

/* The names of the command's threads still alive, read from /proc before
 * they are stopped (threads the hook never saw renamed keep their name):
 * "PID TID NAME" lines in DIR/comm, for every process of the group; and
 * each process's maps (save_maps). */
static void save_comm(pid_t pgid, const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/comm", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	DIR *proc = opendir("/proc");
	struct dirent *de;
	while (proc && (de = readdir(proc))) {
		pid_t pid;
		struct ms_err e;
		char *stat = NULL;
		size_t len;
		if (ms_pid_parse(de->d_name, &pid, &e) < 0 || ms_proc_read(pid, "stat", &stat, &len, &e) < 0)
			continue;
		const char *rp = strrchr(stat, ')');
		int pgrp = -1;
		if (!rp || sscanf(rp + 1, " %*c %*d %d", &pgrp) != 1 || pgrp != pgid) {
			free(stat);
			continue;
		}
		free(stat);
		save_maps(pid, dir);
		struct ms_threads th;
		if (ms_threads_list(pid, 100000, &th) == 0) {
			for (size_t i = 0; i < th.n; i++)
				fprintf(f, "%d %d %s\n", (int)pid, (int)th.v[i].tid, th.v[i].name);
			ms_threads_free(&th);
		}
	}
	if (proc)
		closedir(proc);
	fclose(f);
}

/* Stop the command's process group: SIGTERM, then SIGKILL.  No signal
 * asks the hook to write anything: its buffers are in the buffer files. */
static void stop_group(pid_t pid, const char *dir, int *status, int *reaped)
{
	save_comm(pid, dir);
	kill(-pid, SIGTERM);
	for (int i = 0; i < 300 && !*reaped; i++) {
		usleep(10000);
		*reaped = waitpid(pid, status, WNOHANG) == pid;
	}
	if (!*reaped) {
		kill(-pid, SIGKILL);
		*reaped = waitpid(pid, status, 0) == pid;
	}
	ms_group_end(pid);   /* the rest of the group (children the command forked) goes too */
}

/* --until: pass the command's output on (to stderr under --json: stdout
 * carries the document) and watch it for the line, until it matches (1
 * in *reached), the command ends or a stop is requested (--duration,
 * Ctrl-C).  A line longer than the buffer is matched by its first part.
 * Returns 1 when the command was reaped here (status filled). */
static int watch_until(const struct opts *o, int fd, pid_t pid, int *status, int *reached)
{
	char line[4096];
	size_t used = 0;
	int outfd = o->json ? 2 : 1;
	*reached = 0;
	while (!stop_requested) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, 200);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			ssize_t n = read(fd, line + used, sizeof line - 1 - used);
			if (n <= 0) {   /* its stdout closed: wait for its end below */
				if (n < 0 && errno == EINTR)
					continue;
				break;
			}
			if (write(outfd, line + used, (size_t)n) < 0) {
				/* our own output gone: keep watching regardless */
			}
			used += (size_t)n;
			line[used] = 0;
			char *nl;
			while ((nl = memchr(line, '\n', used)) || used == sizeof line - 1) {
				size_t len = nl ? (size_t)(nl - line) : used;
				char c = line[len];
				line[len] = 0;
				if (regexec(&o->until_re, line, 0, NULL, 0) == 0)
					*reached = 1;
				line[len] = c;
				size_t drop = nl ? len + 1 : used;
				memmove(line, line + drop, used - drop);
				used -= drop;
				line[used] = 0;
				if (*reached)
					return 0;
			}
		}
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
	}
	return 0;
}

static int run_command(const struct opts *o, char **cmd, const char *dir, char *how, size_t howlen,
		       struct ms_hs_command_end *end, pid_t *launched)
{
	char path[PATH_MAX], hook[PATH_MAX];
	if (!ms_which(cmd[0], path, sizeof path)) {
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
	int pfd[2] = { -1, -1 };
	if (o->until && pipe2(pfd, O_CLOEXEC) < 0) {
		fprintf(stderr, PROG ": pipe: %s (too many open files?)\n", strerror(errno));
		return -1;
	}
	catch_stop_signals(o->duration);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = start_command(o, hook, dir, cmd, pfd[1]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (pid < 0) {
		if (pfd[0] >= 0)
			close(pfd[0]);
		return -1;
	}
	*launched = pid;
	int status = 0, reaped = 0;
	if (pfd[0] >= 0) {
		end->until = 1;
		reaped = watch_until(o, pfd[0], pid, &status, &end->reached);
		close(pfd[0]);
		if (end->reached && !reaped)
			stop_group(pid, dir, &status, &reaped);
	}
	/* a stop requested while --until watched is acted on before waiting */
	if (!reaped && stop_requested)
		stop_group(pid, dir, &status, &reaped);
	while (!reaped) {
		pid_t w = waitpid(pid, &status, 0);
		if (w == pid)
			reaped = 1;
		else if (w < 0 && errno != EINTR)
			break;
		if (!reaped && stop_requested)
			stop_group(pid, dir, &status, &reaped);
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	end->known = reaped;
	end->by_memsleuth = (stop_requested || end->reached) && reaped;
	end->signal = reaped && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	end->status = reaped && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	end->seconds = secs;
	if (end->reached)
		snprintf(how, howlen, "the command was stopped at the moment (a line matched --until) after %.1f s", secs);
	else if (stop_requested && o->until)
		snprintf(how, howlen, "the command was stopped by %s after %.1f s, before a line matched --until: "
			 "this is not the moment", stop_signal == SIGALRM ? "--duration" : strsignal(stop_signal), secs);
	else if (stop_requested)
		snprintf(how, howlen, "the command was stopped by %s after %.1f s",
			 stop_signal == SIGALRM ? "--duration" : strsignal(stop_signal), secs);
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

/* --folded FILE: open it before the run, so that a path that cannot be
 * written fails before the work (ms_out_fopen: never a planted link). */
static void open_folded(struct opts *o)
{
	if (!o->folded)
		return;
	struct ms_err fe;
	if (!(o->folded_out = ms_out_fopen(o->folded, MS_OUT_PRIVATE, &fe)))
		ms_die(PROG, &fe, MS_EXIT_ERROR);
}

/* The folded stacks of h into --folded FILE, closed; MS_EXIT_OK or
 * MS_EXIT_ERROR (said on stderr). */
static int write_folded(struct opts *o, const struct ms_hotspots *h)
{
	if (!o->folded_out)
		return MS_EXIT_OK;
	int rc = MS_EXIT_OK;
	if (ms_hotspots_folded(h, o->folded_weight, o->folded_out) < 0) {
		fprintf(stderr, PROG ": %s: %s (give a writable path to --folded)\n", o->folded, strerror(errno));
		rc = MS_EXIT_ERROR;
	}
	if (fclose(o->folded_out) != 0 && rc == MS_EXIT_OK) {
		fprintf(stderr, PROG ": %s: %s (is the disk full?)\n", o->folded, strerror(errno));
		rc = MS_EXIT_ERROR;
	}
	o->folded_out = NULL;
	return rc;
}

/* next: the command after this step; stacks_next: the --stacks rerun
 * (NULL none, report/hotspots_report.h); vs: the closing verdicts, filled. */
/* root: the launched pid (0: a log recorded earlier, --from) */
static int analyse(struct opts *o, const char *dir, const char *how, const struct ms_hs_command_end *end,
		   pid_t root, const char *next, const char *stacks_next, struct ms_verdicts *vs)
{
	struct ms_hotspots h;
	struct ms_err e;
	struct ms_hs_query q = { .addr = o->address };
	if (ms_hotspots_load_query(dir, o->address_query ? &q : NULL, &h, &e) < 0) {
		if (how && *how)
			fprintf(stderr, PROG ": %s\n", how);
		ms_err_print(PROG, &e);
		return MS_EXIT_ERROR;
	}
	ms_hotspots_launch(&h, (uint32_t)root);   /* the program apart from its wrapper */
	struct ms_hs_report_opts ro = { .top = o->top, .how_ended = how && *how ? how : NULL,
					.command_end = end, .address_query = o->address_query,
					.address = o->address, .verdicts = vs };
	ms_hotspots_verdicts(&h, next, stacks_next, vs);
	if (o->json)
		ms_hotspots_json(&h, &ro, stdout);
	else
		ms_hotspots_print(&h, &ro, stdout);
	int rc = write_folded(o, &h);
	ms_hotspots_free(&h);
	return rc;
}

/* --record-only: what was recorded, from the log's headers (nothing is
 * decoded, so no verdict about the allocations), and the next command. */
static int recorded(const struct opts *o, const char *dir, const char *how)
{
	struct ms_hl_census c;
	struct ms_err e;
	if (ms_hl_census(dir, &c, &e) < 0) {
		ms_err_print(PROG, &e);
		return MS_EXIT_ERROR;
	}
	char next[PATH_MAX + 32], sz[MS_SIZE_BUF];
	snprintf(next, sizeof next, "memsleuth hotspots --from %s", dir);
	if (o->json) {
		struct ms_json j;
		ms_json_init(&j, stdout);
		ms_json_obj_begin(&j);
		ms_json_kstr(&j, "step", "hotspots-record");
		ms_json_kstr(&j, "directory", dir);
		ms_json_ku64(&j, "events", c.events);
		ms_json_ku64(&j, "dropped", c.dropped);
		ms_json_ku64(&j, "processes", c.images);
		ms_json_ku64(&j, "log_bytes", c.log_bytes);
		ms_json_kstr(&j, "how_ended", *how ? how : NULL);
		ms_json_kstr(&j, "next", next);
		ms_json_obj_end(&j);
		ms_json_end(&j);
		return MS_EXIT_OK;
	}
	printf("recorded %" PRIu64 " allocator call%s of %" PRIu64 " process image%s in %s (%s of log, %" PRIu64
	       " dropped)\n", c.events, c.events == 1 ? "" : "s", c.images, c.images == 1 ? "" : "s", dir,
	       ms_size_fmt(c.log_bytes, sz), c.dropped);
	if (*how)
		printf("%s\n", how);
	printf("\nThe recording is kept for later: nothing was analysed yet, so there is no verdict.\n"
	       "   next: %s\n", next);
	return MS_EXIT_OK;
}

static void parse(int argc, char **argv, struct opts *o, struct ms_args *args)
{
	memset(o, 0, sizeof *o);
	o->top = 10;
	ms_args_begin(args, &cli, argc, argv);
	for (int c; (c = ms_args_next(args)) != -1; ) {
		const char *v = args->val;
		char *end;
		switch (c) {
		case MS_LONG('s'):
			o->stacks = (int)ms_args_count(args, "--stacks", v, 0, MS_HL_MAX_DEPTH);
			break;
		case 'o': o->output = v; break;
		case 'j': o->json = 1; break;
		case MS_LONG('f'): o->folded = v; break;
		case MS_LONG('W'): {
			static const char *const weight[] = { "calls", "bytes", "live", NULL };
			static const enum ms_hs_site_key key[] = { MS_HS_BY_CALLS, MS_HS_BY_BYTES, MS_HS_BY_LIVE };
			o->folded_weight = key[ms_args_word(args, "--folded-weight", v, weight)];
			o->folded_weight_name = v;
			break;
		}
		case 'd':
			o->duration = ms_args_seconds(args, "--duration", v, 0.001, 1e6);
			break;
		case MS_LONG('u'):
			o->until = v;
			ms_args_regex(args, "--until", v, &o->until_re);
			break;
		case MS_LONG('r'): o->record_only = 1; break;
		case MS_LONG('c'): o->count_only = 1; break;
		case MS_LONG('F'): o->from = v; args->operands_optional = 1; break;
		case MS_LONG('t'):
			o->top = (int)ms_args_count(args, "--top", v, 1, INT_MAX);
			break;
		case MS_LONG('k'):
			if (strcmp(v, "own") && strcmp(v, "stop"))
				ms_args_fail(args, "--fork-child %s: unknown mode (give own or stop)", v);
			o->fork_stop = !strcmp(v, "stop");
			break;
		case MS_LONG('A'):
			errno = 0;
			o->address = strtoull(v, &end, 0);
			if (errno || *end || end == v || !o->address)
				ms_args_fail(args, "--address %s: not an address (e.g. --address 0x55d0c0ffee10)", v);
			o->address_query = 1;
			break;
		case MS_LONG('L'): o->live = 1; break;
		}
	}
}

int cmd_hotspots(int argc, char **argv)
{
	struct opts o;
	struct ms_args args;
	static struct ms_verdicts vs;
	parse(argc, argv, &o, &args);
	if (o.live && (o.from || args.cmd))
		ms_fatal(PROG, "the hook always keeps pointers; --live is for attaching to a PID",
			 "--live: only when attaching");
	if (o.folded_weight_name && !o.folded)
		ms_fatal(PROG, "add --folded FILE", "--folded-weight: says what --folded lines count");
	if (o.folded_weight == MS_HS_BY_LIVE && args.pid && !o.live)
		ms_fatal(PROG, "add --live to keep pointers while attached", "--folded-weight live: attached without --live");
	if (o.folded_weight == MS_HS_BY_LIVE && o.count_only)
		ms_fatal(PROG, "drop --count-only (it keeps no pointers)", "--folded-weight live: not with --count-only");
	if (o.address_query && !o.from)
		ms_fatal(PROG, "record with --output DIR, then ask with --from DIR --address ADDR",
			 "--address: needs --from DIR");
	if (o.from) {
		if (args.pid || args.cmd)
			ms_args_fail(&args, "give either --from DIR, a PID or a command, not two of them");
		/* after an --address answer, the whole report (not the same question again) */
		char next[PATH_MAX + 64];
		snprintf(next, sizeof next, "memsleuth hotspots --from %s%s", o.from, o.address_query ? "" : " --address ADDR");
		open_folded(&o);
		int rc = analyse(&o, o.from, NULL, NULL, 0, next, NULL, &vs);
		return rc == MS_EXIT_OK ? ms_args_exit(&args, ms_verdicts_worst(&vs)) : rc;
	}
	ms_sweep_stale(PROG, stderr);   /* what a killed run left: temp dirs, uprobes */
	if (args.pid) {
		pid_t pid = args.pid;
		struct ms_err e;
		if (o.record_only || o.output || o.count_only || o.stacks)
			ms_fatal(PROG, "attach mode counts through uprobes: drop --record-only/--output/--count-only/--stacks",
				 "pid %d: option not available when attaching", (int)pid);
		open_folded(&o);
		catch_stop_signals(0);   /* the window is timed from the probes being live */
		struct ms_hotspots h;
		char how[256];
		if (!ms_quiet()) {   /* wrapped to the terminal, as every line */
			char line[200];
			snprintf(line, sizeof line, "attaching uprobes to process %d's malloc family with bpftrace (a few s, "
				 "longer on a busy machine); \"Tracing\" follows when they are live", (int)pid);
			fputs(PROG ": ", stderr);
			ms_wrap_fprint(stderr, line, (int)strlen(PROG ": "), 2, ms_wrap_width(2));
		}
		if (ms_hs_attach(pid, o.duration, o.live, &stop_requested, &h, how, sizeof how, &e) < 0)
			ms_die(PROG, &e, MS_EXIT_ERROR);
		char next[96];
		ms_hs_attach_next(&h, pid, next, sizeof next);
		ms_hotspots_verdicts(&h, next, NULL, &vs);   /* over the tables' sites */
		struct ms_hs_report_opts ro = { .top = o.top, .how_ended = how, .verdicts = &vs };
		if (o.json)
			ms_hotspots_json(&h, &ro, stdout);
		else
			ms_hotspots_print(&h, &ro, stdout);
		int rc = write_folded(&o, &h);
		ms_hotspots_free(&h);
		return rc == MS_EXIT_OK ? ms_args_exit(&args, ms_verdicts_worst(&vs)) : rc;
	}
	if (o.record_only && !o.output)
		ms_fatal(PROG, "add --output DIR to keep the log", "--record-only: the log would be removed");
	if (o.record_only && o.folded)
		ms_fatal(PROG, "write them when analysing: memsleuth hotspots --from DIR --folded FILE",
			 "--folded: --record-only analyses nothing");
	open_folded(&o);
	char dir[PATH_MAX], how[256] = "";
	struct ms_hs_command_end end = { 0 };
	int temporary;
	if (make_output_dir(&o, dir, sizeof dir, &temporary) < 0 || make_counters(dir) < 0) {
		if (temporary)
			remove_dir(dir);
		return MS_EXIT_ERROR;
	}
	pid_t launched = 0;
	if (run_command(&o, args.cmd, dir, how, sizeof how, &end, &launched) < 0) {
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
		rc = recorded(&o, dir, how);
	} else {
		char next[256], rerun[256];   /* the command under each allocator remedy; with stacks */
		size_t off = (size_t)snprintf(next, sizeof next, "memsleuth compare --");
		size_t roff = (size_t)snprintf(rerun, sizeof rerun, "memsleuth hotspots --stacks 8 --");
		for (size_t i = 0; args.cmd[i] && off < sizeof next; i++)
			off += (size_t)snprintf(next + off, sizeof next - off, " %s", args.cmd[i]);
		for (size_t i = 0; args.cmd[i] && roff < sizeof rerun; i++)
			roff += (size_t)snprintf(rerun + roff, sizeof rerun - roff, " %s", args.cmd[i]);
		rc = analyse(&o, dir, how, &end, launched, next, o.stacks ? NULL : rerun, &vs);
	}
	if (temporary)
		remove_dir(dir);
	return rc == MS_EXIT_OK ? ms_args_exit(&args, ms_verdicts_worst(&vs)) : rc;
}

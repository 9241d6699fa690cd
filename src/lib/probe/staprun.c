#include "probe/staprun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe/procfs.h"
#include "util/subproc.h"

#define DIR_PREFIX "memsleuth-stap."
#define MAPS_MAX   (16u << 20)
#define OUT_MAX    (64u << 20)    /* stap's output kept (and passed through) at most */

extern char **environ;

static const char *const uprobe_files[] = {
	"/sys/kernel/tracing/uprobe_events", "/sys/kernel/debug/tracing/uprobe_events",
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)f;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* nftw with FTW_PHYS: a symlink inside is removed, never followed. */
static void remove_tree(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

/* comm of a process, "" when gone. */
static void proc_comm(pid_t pid, char *out, size_t len)
{
	char p[64];
	out[0] = 0;
	snprintf(p, sizeof p, "/proc/%d/comm", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

static int is_stap_tool(const char *comm)
{
	return !strcmp(comm, "stap") || !strcmp(comm, "stapbpf") || !strcmp(comm, "staprun")
	    || !strcmp(comm, "stapio");
}

/* ppid and state from /proc/PID/stat (comm may hold spaces and parens). */
static int proc_stat(pid_t pid, pid_t *ppid, char *state)
{
	char p[64], buf[1024];
	snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *rp = strrchr(buf, ')');
	int pp;
	if (!rp || sscanf(rp + 1, " %c %d", state, &pp) != 2)
		return -1;
	*ppid = pp;
	return 0;
}

/* Gone, or a zombie waiting for stap to reap it. */
static int target_ended(pid_t pid)
{
	pid_t pp;
	char st;
	return proc_stat(pid, &pp, &st) < 0 || st == 'Z' || st == 'X';
}

/* -c: the command stap started, the first descendant of stap that is not
 * a stap tool itself (stapbpf forks it and execs it once probes are in). */
static pid_t find_command(pid_t stap)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;
	while (d && (de = readdir(d)) && !found) {
		char *end;
		long p = strtol(de->d_name, &end, 10);
		if (*end || p <= 0)
			continue;
		pid_t cur = (pid_t)p, pp;
		char st, comm[64];
		/* is stap an ancestor? (bounded: a few levels at most matter) */
		int hops = 0, below = 0;
		for (pid_t a = cur; hops < 8 && proc_stat(a, &pp, &st) == 0 && pp > 1; hops++, a = pp)
			if (pp == stap) {
				below = 1;
				break;
			}
		proc_comm(cur, comm, sizeof comm);
		if (below && comm[0] && !is_stap_tool(comm))
			found = cur;
	}
	if (d)
		closedir(d);
	return found;
}

static void sample_maps(struct ms_staprun *r)
{
	char p[64], *text = NULL;
	size_t len = 0;
	struct ms_err e;
	snprintf(p, sizeof p, "/proc/%d/maps", (int)r->target);
	if (ms_read_file(p, &text, &len, MAPS_MAX, &e) < 0 || len == 0) {
		free(text);
		return;   /* a zombie's maps are empty: keep the last good ones */
	}
	if (r->maps && r->maps_len == len && !memcmp(r->maps, text, len)) {
		free(text);   /* unchanged: the same buffer (users may cache on it) */
		return;
	}
	free(r->maps);
	r->maps = text;
	r->maps_len = len;
}

struct watch {
	struct ms_staprun *r;
	struct ms_child *c;
	size_t out_done, err_done;
	double next_maps, ended_at;
};

static void pass_through(const char *buf, size_t len, size_t *done, FILE *to)
{
	if (len > *done) {
		fwrite(buf + *done, 1, len - *done, to);
		fflush(to);
		*done = len;
	}
}

static void out_through(struct ms_staprun *r, struct ms_child *c, struct watch *w, int at_end)
{
	if (!r->on_line) {
		pass_through(c->out, c->out_len, &w->out_done, stdout);
		return;
	}
	while (w->out_done < c->out_len) {
		const char *s = c->out + w->out_done, *nl = memchr(s, '\n', c->out_len - w->out_done);
		if (!nl && !at_end)
			return;
		size_t n = nl ? (size_t)(nl - s) + 1 : c->out_len - w->out_done;
		r->on_line(r->line_arg, r, s, n);
		w->out_done += n;
	}
}

/* Every tick: output through, the target found, its maps kept, and the
 * run ended a moment after the target did (stap's bpf runtime does not
 * always notice a -c command's exit). */
static void tick(struct ms_child *c, void *arg)
{
	struct watch *w = arg;
	struct ms_staprun *r = w->r;
	if (!r->target && !r->pid)
		r->target = find_command(c->pid);
	double t = now_s();
	if (r->target && t >= w->next_maps && !target_ended(r->target)) {
		sample_maps(r);
		w->next_maps = t + 0.25;
	}
	out_through(r, c, w, 0);
	pass_through(c->err, c->err_len, &w->err_done, stderr);
	if (r->target && !w->ended_at && target_ended(r->target))
		w->ended_at = t;
	if (w->ended_at && t - w->ended_at > 1.5 && !c->stop_requested) {
		c->stop_requested = 1;
		r->stopped = 2;
	}
}

/* The child of stap named comm (stapbpf), 0 when none. */
static pid_t stap_child(pid_t stap, const char *want)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;
	while (d && (de = readdir(d)) && !found) {
		char *end, comm[64], st;
		long p = strtol(de->d_name, &end, 10);
		pid_t pp;
		if (*end || p <= 0 || proc_stat((pid_t)p, &pp, &st) < 0 || pp != stap)
			continue;
		proc_comm((pid_t)p, comm, sizeof comm);
		if (!strcmp(comm, want))
			found = (pid_t)p;
	}
	if (d)
		closedir(d);
	return found;
}

/* Stopping a run: stapbpf (which ignores SIGINT when stap starts it) gets
 * SIGTERM and then runs the end probes, prints and removes its uprobes;
 * stap waits for it and exits.  Signalling stap first lets it exit while
 * stapbpf still prints, and the supervisor's final kill of the group
 * would cut that short.  The module runtime: SIGINT to stap, as a
 * terminal's Ctrl-C. */
static void on_stop(void *arg)
{
	struct watch *w = arg;
	pid_t bpf = stap_child(w->c->pid, "stapbpf");
	if (bpf > 0)
		kill(bpf, SIGTERM);
	else
		kill(-w->c->pid, SIGINT);
}

/* 'arg' for a shell word: stap hands -c to wordexp-like parsing. */
static void quote(FILE *o, const char *s)
{
	fputc('\'', o);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", o);
		else
			fputc(*s, o);
	}
	fputs("' ", o);
}

/* The command for stap's -c: the user's string, or CMD ARGS quoted.  It
 * runs in our working directory with the environment the user had: the
 * memlock shim puts LD_PRELOAD and TMPDIR back in stapbpf (the values are
 * saved in MEMSLEUTH_SAVED_*, scripts/stap-bpf-setup). */
static char *command_string(const struct ms_staprun *r)
{
	if (!r->cmd)
		return strdup(r->cmd_string);
	char *s = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&s, &len);
	if (!o)
		return NULL;
	for (char *const *a = r->cmd; *a; a++)
		quote(o, *a);
	fclose(o);
	return s;
}

/* Our environment with LD_PRELOAD (bpf: the memlock shim) and TMPDIR
 * (the work directory) set, the user's values saved for the command. */
static char **child_env(const char *preload, const char *tmpdir)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 6, sizeof *env);
	if (!env)
		return NULL;
	size_t k = 0;
	const char *pre = getenv("LD_PRELOAD"), *tmp = getenv("TMPDIR");
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "TMPDIR=", 7) && (!preload || strncmp(environ[i], "LD_PRELOAD=", 11))
		    && strncmp(environ[i], "MEMSLEUTH_SAVED_", 16) && strncmp(environ[i], "MEMSLEUTH_ENV_SAVED=", 20))
			env[k++] = environ[i];
	/* the added strings are the ones from index `k` on: freed by env_free */
	char *add[5] = { NULL };
	int na = 0, bad = 0;
	bad |= asprintf(&add[na++], "TMPDIR=%s", tmpdir) < 0;
	bad |= asprintf(&add[na++], "MEMSLEUTH_ENV_SAVED=1") < 0;
	if (tmp)
		bad |= asprintf(&add[na++], "MEMSLEUTH_SAVED_TMPDIR=%s", tmp) < 0;
	if (preload) {
		bad |= asprintf(&add[na++], "LD_PRELOAD=%s", preload) < 0;
		if (pre)
			bad |= asprintf(&add[na++], "MEMSLEUTH_SAVED_LD_PRELOAD=%s", pre) < 0;
	}
	for (int i = 0; i < na; i++)
		if (add[i])
			env[k++] = add[i];
	env[k] = NULL;
	if (bad) {
		for (int i = 0; i < na; i++)
			free(add[i]);
		free(env);
		return NULL;
	}
	return env;
}

static void env_free(char **env)
{
	if (!env)
		return;
	for (size_t i = 0; env[i]; i++)
		if (!strncmp(env[i], "MEMSLEUTH_", 10) || (!strncmp(env[i], "TMPDIR=", 7) && strstr(env[i], DIR_PREFIX))
		    || (!strncmp(env[i], "LD_PRELOAD=", 11) && strstr(env[i], "memlock_shim")))
			free(env[i]);
	free(env);
}

/* Does stap leave its result in the current directory (-pN, -m NAME)? */
static int writes_cwd(const struct ms_staprun *r)
{
	for (int i = 0; i < r->nstap_opts; i++)
		if (!strncmp(r->stap_opts[i], "-p", 2) || !strncmp(r->stap_opts[i], "-m", 2))
			return 1;
	return 0;
}

/* The script text into the (private, fresh) work directory. */
static int write_script(const struct ms_staprun *r, const char *dir, char *path, size_t len, struct ms_err *e)
{
	const char *base = strrchr(r->script, '/');
	snprintf(path, len, "%s/%s", dir, base ? base + 1 : r->script);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ms_err_set(e, errno, NULL, NULL, "%s", path);
	size_t done = 0;
	while (done < r->script_text_len) {
		ssize_t n = write(fd, r->script_text + done, r->script_text_len - done);
		if (n <= 0) {
			close(fd);
			return ms_err_set(e, errno, NULL, "check /tmp", "%s", path);
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
}

int ms_staprun_run(struct ms_staprun *r, struct ms_err *e)
{
	char script[PATH_MAX], cwd[PATH_MAX], dir[PATH_MAX], tree[PATH_MAX + 16], shim[PATH_MAX + 32], pid[24];
	r->maps = NULL;
	r->maps_len = 0;
	r->stopped = 0;
	r->target = r->pid;
	ms_stap_sweep(r->swept, sizeof r->swept);
	if (!r->script_text && !realpath(r->script, script))
		return ms_err_set(e, errno, NULL, "give the script's path", "%s", r->script);
	if (!getcwd(cwd, sizeof cwd))
		return ms_err_set(e, errno, NULL, NULL, "current directory");
	snprintf(dir, sizeof dir, "/tmp/" DIR_PREFIX "%d.XXXXXX", (int)getpid());
	if (!mkdtemp(dir))
		return ms_err_set(e, errno, NULL, "check /tmp", "stap work directory");
	if (r->script_text && write_script(r, dir, script, sizeof script, e) < 0) {
		remove_tree(dir);
		return -1;
	}
	char *cmd = (r->cmd || r->cmd_string) ? command_string(r) : NULL;
	char **env = child_env(r->bpf_tree ? (snprintf(shim, sizeof shim, "%s/memlock_shim.so", r->bpf_tree), shim) : NULL,
			       dir);
	size_t max = 16 + (size_t)r->nstap_opts + (size_t)r->nscript_args;
	char **argv = calloc(max, sizeof *argv);
	int rc = 0;
	if (!env || !argv || ((r->cmd || r->cmd_string) && !cmd)) {
		rc = ms_err_set(e, ENOMEM, NULL, NULL, "stap");
		goto out;
	}
	int n = 0;
	argv[n++] = "stap";
	if (r->bpf_tree) {
		snprintf(tree, sizeof tree, "%s/build", r->bpf_tree);
		argv[n++] = "--runtime=bpf";
		argv[n++] = "-r";
		argv[n++] = tree;
	}
	if (r->tapset_dir) {
		argv[n++] = "-I";
		argv[n++] = (char *)r->tapset_dir;
	}
	for (int i = 0; i < r->nstap_opts; i++)
		argv[n++] = r->stap_opts[i];
	if (r->pid) {
		snprintf(pid, sizeof pid, "%d", (int)r->pid);
		argv[n++] = "-x";
		argv[n++] = pid;
	} else if (cmd) {
		argv[n++] = "-c";
		argv[n++] = cmd;
	}
	argv[n++] = script;
	for (int i = 0; i < r->nscript_args; i++)
		argv[n++] = r->script_args[i];
	argv[n] = NULL;
	/* A run keeps stap's module (stap_PID.bo) in its work directory under
	 * TMPDIR; only a stop after pass 4 (-p4, -m) writes it into the current
	 * directory: then stap runs in the work directory (the child inherits
	 * it), else in ours (a -c command runs where the user is). */
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (here < 0 || (writes_cwd(r) && chdir(dir) < 0)) {
		rc = ms_err_set(e, errno, NULL, NULL, "%s", dir);
		if (here >= 0)
			close(here);
		goto out;
	}
	struct ms_child c = {
		.argv = argv, .envp = env, .stop_signal = SIGINT, .grace_ms = 10000, .tick_ms = 50,
		.out_max = OUT_MAX, .stdin_fd = -1, .interrupted = r->stop, .tick = tick, .on_stop = on_stop,
	};
	struct watch w = { .r = r, .c = &c };
	c.tick_arg = &w;
	rc = ms_child_run(&c, e);
	if (fchdir(here) < 0)
		rc = ms_err_set(e, errno, NULL, NULL, "back to %s", cwd);
	close(here);
	if (rc == 0) {
		out_through(r, &c, &w, 1);
		pass_through(c.err, c.err_len, &w.err_done, stderr);
		r->status = c.status;
		if (c.was_interrupted)
			r->stopped = 1;
		ms_child_free(&c);
	}
out:
	remove_tree(dir);
	/* stapbpf removes its uprobes when it ends normally; a SIGKILL on
	 * its way out (after the grace period) may have left some */
	char swept[256];
	ms_stap_sweep(swept, sizeof swept);
	env_free(env);
	free(argv);
	free(cmd);
	return rc;
}

void ms_staprun_free(struct ms_staprun *r)
{
	free(r->maps);
	r->maps = NULL;
}

/* Is pid a running memsleuth (the owner of a work directory)? */
static int owner_alive(pid_t pid)
{
	char comm[64];
	proc_comm(pid, comm, sizeof comm);
	return comm[0] && strcmp(comm, "memsleuth") == 0;
}

/* Does /proc/PID/NAME (NUL-separated strings) hold needle? */
static int proc_strings_have(long pid, const char *name, const char *needle)
{
	char p[64], *text = NULL;
	size_t len = 0;
	struct ms_err e;
	snprintf(p, sizeof p, "/proc/%ld/%s", pid, name);
	if (ms_read_file(p, &text, &len, 1u << 20, &e) < 0) {
		free(text);
		return 0;
	}
	int found = memmem(text, len, needle, strlen(needle)) != NULL;
	free(text);
	return found;
}

/* The stap processes of a run in work directory dir: stap's environment
 * names it (TMPDIR), stapbpf's arguments (its .bo), or they run in it. */
static size_t procs_in(const char *dir, pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;
	char tmpdir[PATH_MAX + 8];
	snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s", dir);
	while (d && (de = readdir(d)) && n < max) {
		char *end, p[64], link[PATH_MAX], comm[64];
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid())
			continue;
		proc_comm((pid_t)pid, comm, sizeof comm);
		if (!is_stap_tool(comm))
			continue;
		snprintf(p, sizeof p, "/proc/%ld/cwd", pid);
		ssize_t l = readlink(p, link, sizeof link - 1);
		link[l > 0 ? l : 0] = 0;
		if ((l > 0 && !strncmp(link, dir, strlen(dir))) || proc_strings_have(pid, "cmdline", dir)
		    || proc_strings_have(pid, "environ", tmpdir))
			out[n++] = (pid_t)pid;
	}
	if (d)
		closedir(d);
	return n;
}

static int any_stapbpf(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;
	while (d && (de = readdir(d)) && !found) {
		char *end, comm[64];
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		proc_comm((pid_t)pid, comm, sizeof comm);
		found = !strcmp(comm, "stapbpf");
	}
	if (d)
		closedir(d);
	return found;
}

/* Remove uprobes/stapprobe_* events; returns how many. */
static int sweep_uprobes(void)
{
	int removed = 0;
	for (size_t f = 0; f < sizeof uprobe_files / sizeof uprobe_files[0]; f++) {
		char *text = NULL, *save = NULL;
		size_t len = 0;
		struct ms_err e;
		if (ms_read_file(uprobe_files[f], &text, &len, 1u << 20, &e) < 0) {
			free(text);
			continue;
		}
		for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			/* "p:uprobes/stapprobe_1_0 /lib/...:0x..." */
			char *name = strchr(line, ':'), *sp;
			if (!name || !(sp = strchr(name, ' ')))
				continue;
			*sp = 0;
			if (!strstr(name, "/stapprobe_"))
				continue;
			int fd = open(uprobe_files[f], O_WRONLY | O_APPEND | O_CLOEXEC);
			char cmdline[300];
			int l = snprintf(cmdline, sizeof cmdline, "-%s\n", name);
			if (fd >= 0 && l > 0 && l < (int)sizeof cmdline && write(fd, cmdline, (size_t)l) == l)
				removed++;
			if (fd >= 0)
				close(fd);
		}
		free(text);
		if (removed)
			break;   /* the same list under both mounts */
	}
	return removed;
}

void ms_stap_sweep(char *what, size_t len)
{
	DIR *d = opendir("/tmp");
	struct dirent *de;
	int dirs = 0, killed = 0;
	what[0] = 0;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, DIR_PREFIX, strlen(DIR_PREFIX)))
			continue;
		char path[PATH_MAX], *end;
		long owner = strtol(de->d_name + strlen(DIR_PREFIX), &end, 10);
		struct stat st;
		snprintf(path, sizeof path, "/tmp/%s", de->d_name);
		/* ours only: a directory (not a link) of our uid, named by a pid
		 * that is no longer a memsleuth */
		if (*end != '.' || owner <= 0 || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()
		    || owner_alive((pid_t)owner))
			continue;
		pid_t procs[64];
		size_t n = procs_in(path, procs, 64);
		killed += (int)n;
		for (size_t i = 0; i < n; i++)   /* stapbpf ends (uprobes removed) on SIGTERM, stap on SIGINT */
			kill(procs[i], SIGTERM);
		for (int i = 0; i < 100 && n && procs_in(path, procs, 64); i++)
			usleep(100000);
		n = procs_in(path, procs, 64);
		for (size_t i = 0; i < n; i++)
			kill(procs[i], SIGKILL);
		remove_tree(path);
		dirs++;
	}
	if (d)
		closedir(d);
	int ev = any_stapbpf() ? 0 : sweep_uprobes();
	if (dirs || ev)
		snprintf(what, len, "removed what an earlier run left: %d work director%s, %d uprobe event%s%s",
			 dirs, dirs == 1 ? "y" : "ies", ev, ev == 1 ? "" : "s", killed ? " (its stap still ran: stopped)" : "");
}

#include "probe/staprun.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe/procfs.h"
#include "probe/stapsweep.h"
#include "probe/sweep.h"
#include "util/subproc.h"

#define MAPS_MAX   (16u << 20)
#define OUT_MAX    (64u << 20)    /* stap's output kept (and passed through) at most */

extern char **environ;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Gone, or a zombie waiting for stap to reap it. */
static int target_ended(pid_t pid)
{
	pid_t pp;
	char st;
	return ms_stapproc_stat(pid, &pp, &st) < 0 || st == 'Z' || st == 'X';
}

/* -c: the command stap started, the first descendant of stap that is not
 * a stap tool itself (stapbpf forks it and execs it once probes are in). */
static int is_command(pid_t pid, void *arg)
{
	pid_t stap = *(pid_t *)arg, a = pid, pp;
	char st, comm[64];
	int below = 0;
	/* is stap an ancestor?  (a few levels at most: stap, stapbpf, a shell) */
	for (int hops = 0; hops < 8 && !below && ms_stapproc_stat(a, &pp, &st) == 0 && pp > 1; hops++, a = pp)
		below = pp == stap;
	if (!below)
		return 0;
	ms_stapproc_comm(pid, comm, sizeof comm);
	return comm[0] && !ms_stapproc_is_tool(comm);
}

static pid_t find_command(pid_t stap) { return ms_stapproc_scan(is_command, &stap); }

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

/* stap's child stapbpf, 0 when none. */
static int is_stapbpf_of(pid_t pid, void *arg)
{
	pid_t pp;
	char st, comm[64];
	if (ms_stapproc_stat(pid, &pp, &st) < 0 || pp != *(pid_t *)arg)
		return 0;
	ms_stapproc_comm(pid, comm, sizeof comm);
	return !strcmp(comm, "stapbpf");
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
	pid_t stap = w->c->pid, bpf = ms_stapproc_scan(is_stapbpf_of, &stap);
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
		if (!strncmp(env[i], "MEMSLEUTH_", 10) || (!strncmp(env[i], "TMPDIR=", 7) && strstr(env[i], MS_STAP_DIR_PREFIX))
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
			return ms_err_set(e, errno, NULL, "check the free space in $TMPDIR (default /tmp)", "%s", path);
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
	if (ms_tmpdir_make("stap", dir, sizeof dir, e) < 0)   /* $TMPDIR/memsleuth-stap.PID.XXXXXX */
		return -1;
	if (r->script_text && write_script(r, dir, script, sizeof script, e) < 0) {
		ms_stap_remove_tree(dir);
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
	ms_stap_remove_tree(dir);
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


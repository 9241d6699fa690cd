/* guide -- CMD: launch the command (under the hotspots recorder when it
 * can), watch its output for the moment to look (the examples print
 * "phase=... holding"), sample its RSS meanwhile, and always stop it at
 * the end. */
#include "guide_int.h"
#include "findings/launch.h"
#include "probe/sweep.h"
#include "util/subproc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double gl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int gl_launch(char *const argv[], struct gl_cmd *c, const char *self, const char *keep, struct ms_err *e)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	if (ms_tmpdir_make("guide", c->dir, sizeof c->dir, e) < 0)
		return -1;
	/* under the recorder: its own arguments, then the command's */
	char *rargv[80];
	int k = 0;
	if (self) {
		c->recorder = 1;
		if (keep)
			snprintf(c->rec, sizeof c->rec, "%s", keep);
		else
			snprintf(c->rec, sizeof c->rec, "%s/hotspots", c->dir);
		/* a few frames: a block allocated through operator new (or another
		 * wrapper) is named by its caller, not by the wrapper */
		char *head[] = { (char *)self, "hotspots", "--record-only", "--stacks", "6", "--json", "--output", c->rec,
				 "--" };
		for (size_t i = 0; i < sizeof head / sizeof *head; i++)
			rargv[k++] = head[i];
		for (int i = 0; argv[i] && k < 79; i++)
			rargv[k++] = argv[i];
		rargv[k] = NULL;
		argv = rargv;
	}
	snprintf(c->out, sizeof c->out, "%s/command.out", c->dir);
	int wfd = open(c->out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (wfd < 0 || (c->fd = open(c->out, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		int err = errno;
		if (wfd >= 0)
			close(wfd);
		gl_stop(c);
		return ms_err_set(e, err, NULL, "set TMPDIR to a writable directory", "%s", c->out);
	}
	/* its own group: stopping it stops its children too.  The
	 * recorder's summary (JSON) is not wanted: its stdout to /dev/null,
	 * its messages and the command's output (--json sends the command's
	 * stdout to the recorder's stderr) into the file */
	struct ms_start st = { .argv = argv, .own_group = 1, .fd = { MS_FD_NULL, self ? MS_FD_NULL : wfd, wfd } };
	pid_t pid = ms_child_start(&st, e);
	close(wfd);
	if (pid < 0) {
		c->recorder = 0;
		gl_stop(c);
		return -1;
	}
	c->pid = pid;
	return 0;
}

/* The parent of pid (/proc/PID/stat field 4), -1 unknown. */
static pid_t parent_of(pid_t pid)
{
	char *buf = NULL;
	size_t len = 0;
	struct ms_err e;
	int ppid = -1;
	if (ms_proc_read(pid, "stat", &buf, &len, &e) == 0) {
		const char *rp = strrchr(buf, ')');
		if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1)
			ppid = -1;
	}
	free(buf);
	return ppid;
}

pid_t gl_target(struct gl_cmd *c)
{
	if (!c->recorder)
		return c->pid;
	/* the recorder's child whose image the hook recorded (DIR/proc-PID-N.msl):
	 * the command (its other child, the run's guard, is never hooked) */
	DIR *d = !c->child && c->pid > 0 && c->rec[0] ? opendir(c->rec) : NULL;
	struct dirent *de;
	while (d && !c->child && (de = readdir(d))) {
		int pid = 0;
		if (sscanf(de->d_name, "proc-%d-", &pid) == 1 && pid > 0 && parent_of(pid) == c->pid)
			c->child = pid;
	}
	if (d)
		closedir(d);
	return c->child;
}

int gl_recorded(const struct gl_cmd *c, pid_t pid)
{
	char prefix[32];
	int n = snprintf(prefix, sizeof prefix, "proc-%d-", (int)pid);
	DIR *d = c->rec[0] ? opendir(c->rec) : NULL;
	struct dirent *de;
	int found = 0;
	while (d && !found && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		found = !strncmp(de->d_name, prefix, (size_t)n) && len > 4 && !strcmp(de->d_name + len - 4, ".msl");
	}
	if (d)
		closedir(d);
	return found;
}

/* Read what the command printed since last time; 1 when a complete line
 * matches re. */
static int scan_output(struct gl_cmd *c, const regex_t *re)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(c->fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (c->linelen < sizeof c->line - 1)
					c->line[c->linelen++] = buf[i];
				continue;
			}
			c->line[c->linelen] = 0;
			c->linelen = 0;
			if (re && regexec(re, c->line, 0, NULL, 0) == 0) {
				snprintf(c->matched, sizeof c->matched, "%s", c->line);
				return 1;
			}
		}
	}
	return 0;
}

int gl_wait_ready(struct gl_cmd *c, const regex_t *when_re, const char *when, double after, double wait_max,
		  struct ms_guide *g, volatile sig_atomic_t *stop, struct ms_err *e)
{
	int have_re = when_re != NULL;
	double t0 = gl_now();
	int ret = -1;
	for (;;) {
		double el = gl_now() - t0;
		pid_t target = gl_target(c);
		uint64_t rss = target ? ms_statm_rss(target) : 0;
		if (rss)
			ms_guide_sample(g, gl_now() - g->t_start, rss);
		if (have_re && scan_output(c, when_re)) {
			ret = 0;
			break;
		}
		if (!have_re && after >= 0 && el >= after) {
			ret = 0;
			break;
		}
		int st;
		if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
			scan_output(c, NULL);
			c->pid = 0;
			c->status = st;
			ms_err_set(e, 0, WIFEXITED(st) ? "it exited before the moment to look" : "it was killed before the moment to look",
				   when ? "check --when against what it prints (the last line is above), or use --after S"
					: "give a shorter --after S",
				   "the command (last output: '%.120s')", c->line);
			break;
		}
		if (stop && *stop) {
			ms_err_set(e, 0, "interrupted", NULL, "waiting for the command");
			break;
		}
		if (el > wait_max) {
			ms_err_set(e, 0, "no line matched in time", "use --when REGEX for a line it prints, --after S, or a longer --wait-max",
				   "waiting %.0f s for a line matching '%s'", wait_max, when ? when : "");
			break;
		}
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	c->ready_after = gl_now() - t0;
	return ret;
}

void gl_stop(struct gl_cmd *c)
{
	if (c->pid > 0) {
		kill(-c->pid, SIGTERM);
		kill(c->pid, SIGTERM);
		double t0 = gl_now(), grace = c->recorder ? 8 : 3;
		int st;
		while (waitpid(c->pid, &st, WNOHANG) == 0) {
			if (gl_now() - t0 > grace) {
				kill(-c->pid, SIGKILL);
				kill(c->pid, SIGKILL);
				waitpid(c->pid, &st, 0);
				break;
			}
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		ms_group_end(c->pid);   /* what it started (system()'s sh and command) too */
		c->pid = 0;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->dir[0])   /* the output file, and a recording that was not kept */
		ms_tmpdir_remove(c->dir);
	c->out[0] = c->dir[0] = 0;
}

/* guide -- CMD: launch the command, watch its output for the moment to
 * look (the examples print "phase=... holding"), sample its RSS meanwhile,
 * and always stop it at the end. */
#include "guide_int.h"
#include "probe/sweep.h"
#include "util/subproc.h"

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

int gl_launch(char *const argv[], struct gl_cmd *c, struct ms_err *e)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	if (ms_tmpdir_make("guide", c->dir, sizeof c->dir, e) < 0)
		return -1;
	snprintf(c->out, sizeof c->out, "%s/command.out", c->dir);
	int wfd = open(c->out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (wfd < 0 || (c->fd = open(c->out, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		int err = errno;
		if (wfd >= 0)
			close(wfd);
		gl_stop(c);
		return ms_err_set(e, err, NULL, "set TMPDIR to a writable directory", "%s", c->out);
	}
	/* its own group: stopping it stops its children too */
	struct ms_start st = { .argv = argv, .own_group = 1, .fd = { MS_FD_NULL, wfd, wfd } };
	pid_t pid = ms_child_start(&st, e);
	close(wfd);
	if (pid < 0) {
		gl_stop(c);
		return -1;
	}
	c->pid = pid;
	return 0;
}

/* Read what the command printed since last time; 1 when a complete line
 * matches re. */
static int scan_output(struct gl_cmd *c, regex_t *re)
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

int gl_wait_ready(struct gl_cmd *c, const char *when, double after, double wait_max, struct ms_guide *g,
		  volatile sig_atomic_t *stop, struct ms_err *e)
{
	regex_t re;
	int have_re = 0;
	if (when) {
		int rc = regcomp(&re, when, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[128];
			regerror(rc, &re, msg, sizeof msg);
			return ms_err_set(e, 0, msg, "write a POSIX extended regular expression", "--when '%s'", when);
		}
		have_re = 1;
	}
	double t0 = gl_now();
	int ret = -1;
	for (;;) {
		double el = gl_now() - t0;
		uint64_t rss = ms_statm_rss(c->pid);
		if (rss)
			ms_guide_sample(g, gl_now() - g->t_start, rss);
		if (have_re && scan_output(c, &re)) {
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
	if (have_re)
		regfree(&re);
	return ret;
}

void gl_stop(struct gl_cmd *c)
{
	if (c->pid > 0) {
		kill(-c->pid, SIGTERM);
		kill(c->pid, SIGTERM);
		double t0 = gl_now();
		int st;
		while (waitpid(c->pid, &st, WNOHANG) == 0) {
			if (gl_now() - t0 > 3) {
				kill(-c->pid, SIGKILL);
				kill(c->pid, SIGKILL);
				waitpid(c->pid, &st, 0);
				break;
			}
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		c->pid = 0;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->out[0])
		unlink(c->out);
	if (c->dir[0])
		rmdir(c->dir);
	c->out[0] = c->dir[0] = 0;
}

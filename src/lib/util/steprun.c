/* The step runner is util/subproc's ms_child_run with the guide's
 * conventions on top: SIGINT first (a step reports what it has on
 * Ctrl-C), SIGTERM 3 s later, SIGKILL 3 s after that; progress on stderr;
 * the tail of stderr kept for the one-line reason. */
#include "util/steprun.h"
#include "util/subproc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct steprun_ctx {
	struct ms_child *r;
	const char *label;
	int tty, last_shown, termed;
	double t0, int_at;
	void (*tick)(void *);
	void *arg;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Only the step gets SIGINT: a command it launched is its to stop. */
static void on_stop(void *arg)
{
	struct steprun_ctx *x = arg;
	kill(x->r->pid, SIGINT);
	x->int_at = now_s();
}

static void on_tick(struct ms_child *r, void *arg)
{
	struct steprun_ctx *x = arg;
	double t = now_s();
	if (r->signalled_by_us && !x->termed && t - x->int_at > 3) {
		kill(r->pid, SIGTERM);
		x->termed = 1;
	}
	if (x->tty && (int)(t - x->t0) != x->last_shown) {
		x->last_shown = (int)(t - x->t0);
		fprintf(stderr, "\r  running %s ... %d s ", x->label, x->last_shown);
	}
	if (x->tick)
		x->tick(x->arg);
}

int ms_steprun_run(char *const argv[], struct ms_steprun *c, int timeout_ms, const char *label,
		 volatile sig_atomic_t *stop)
{
	return ms_steprun_run_tick(argv, c, timeout_ms, label, stop, NULL, NULL);
}

int ms_steprun_run_tick(char *const argv[], struct ms_steprun *c, int timeout_ms, const char *label,
			volatile sig_atomic_t *stop, void (*tick)(void *), void *arg)
{
	memset(c, 0, sizeof *c);
	struct ms_child r = {
		.argv = argv, .timeout_ms = timeout_ms, .grace_ms = 6000, .tick_ms = 200,
		.out_max = MS_STEPRUN_MAX_OUT, .stdin_fd = -1, .interrupted = stop,
		.tick = on_tick, .on_stop = on_stop,
	};
	struct steprun_ctx x = { .r = &r, .label = label, .tty = label && isatty(2), .last_shown = -1,
				 .t0 = now_s(), .tick = tick, .arg = arg };
	r.tick_arg = &x;
	if (label && !x.tty)
		fprintf(stderr, "  (running %s, up to %d s)\n", label, timeout_ms / 1000);
	struct ms_err e;
	if (ms_child_run(&r, &e) < 0) {
		snprintf(c->err, sizeof c->err, "%s\n", e.msg);
		return c->status = MS_STEPRUN_NOSTART;
	}
	if (x.tty)
		fprintf(stderr, "\r%*s\r", (int)strlen(label) + 24, "");
	c->seconds = r.wall_seconds;
	c->out = r.out;
	c->outlen = r.out_len;
	size_t cap = sizeof c->err - 1, n = r.err_len;
	snprintf(c->err, sizeof c->err, "%s", r.err + (n > cap ? n - cap : 0));
	free(r.err);
	if (r.was_interrupted)
		return c->status = MS_STEPRUN_INTERRUPTED;
	if (r.timed_out)
		return c->status = MS_STEPRUN_TIMEOUT;
	if (r.out_len >= MS_STEPRUN_MAX_OUT) {
		snprintf(c->err, sizeof c->err, "output larger than %u MiB\n", MS_STEPRUN_MAX_OUT >> 20);
		return c->status = MS_STEPRUN_TIMEOUT;
	}
	if (WIFEXITED(r.status))
		return c->status = WEXITSTATUS(r.status);
	return c->status = 128 + WTERMSIG(r.status);
}

void ms_steprun_free(struct ms_steprun *c)
{
	free(c->out);
	c->out = NULL;
	c->outlen = 0;
}

const char *ms_steprun_errline(struct ms_steprun *c, char *buf, size_t len)
{
	size_t n = strlen(c->err);
	while (n && (c->err[n - 1] == '\n' || c->err[n - 1] == '\r' || c->err[n - 1] == ' '))
		n--;
	size_t s = n;
	while (s && c->err[s - 1] != '\n')
		s--;
	snprintf(buf, len, "%.*s", (int)(n - s), c->err + s);
	return buf;
}

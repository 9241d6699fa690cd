#include "util/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Append what is readable now; returns 0 at EOF, 1 when still open. */
static int drain(int fd, char **buf, size_t *len, size_t max)
{
	char chunk[8192];
	for (int rounds = 0; rounds < 64; rounds++) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n == 0)
			return 0;
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 1 : 0;
		size_t keep = *len + (size_t)n > max ? max - *len : (size_t)n;
		if (keep) {
			char *nb = realloc(*buf, *len + keep + 1);
			if (!nb)
				return 1;   /* drop output rather than fail the run */
			memcpy(nb + *len, chunk, keep);
			*len += keep;
			nb[*len] = 0;
			*buf = nb;
		}
	}
	return 1;
}

static _Noreturn void child(const struct ms_child *r, int out_w, int err_w, int status_w)
{
	setpgid(0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	int in = r->stdin_fd >= 0 ? r->stdin_fd : open("/dev/null", O_RDONLY);
	if (in >= 0 && in != 0)
		dup2(in, 0);
	dup2(out_w, 1);
	dup2(err_w, 2);
	execvpe(r->argv[0], r->argv, r->envp ? r->envp : environ);
	int err = errno;
	if (write(status_w, &err, sizeof err) < 0)
		_exit(127);
	_exit(127);
}

static void signal_group(pid_t pid, int sig)
{
	kill(-pid, sig);
	kill(pid, sig);
}

int ms_child_run(struct ms_child *r, struct ms_err *e)
{
	int outp[2], errp[2], stp[2];
	r->out = r->err = NULL;
	r->out_len = r->err_len = 0;
	r->timed_out = r->was_interrupted = r->signalled_by_us = r->killed = 0;
	if (!r->tick_ms)
		r->tick_ms = 50;
	if (!r->out_max)
		r->out_max = 1u << 20;
	if (pipe2(outp, O_CLOEXEC) < 0)
		return ms_err_set(e, errno, NULL, NULL, "pipe for %s", r->argv[0]);
	if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(stp, O_CLOEXEC) < 0) {
		close(outp[0]);
		close(outp[1]);
		return ms_err_set(e, errno, NULL, NULL, "pipe for %s", r->argv[0]);
	}
	double start = now_s();
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(outp[0]); close(outp[1]); close(errp[0]); close(errp[1]);
		close(stp[0]); close(stp[1]);
		return ms_err_set(e, err, NULL, "too many processes? try again", "fork for %s", r->argv[0]);
	}
	if (pid == 0)
		child(r, outp[1], errp[1], stp[1]);
	r->pid = pid;
	setpgid(pid, pid);
	close(outp[1]);
	close(errp[1]);
	close(stp[1]);
	int exec_err = 0;
	ssize_t got = read(stp[0], &exec_err, sizeof exec_err);
	close(stp[0]);
	if (got == (ssize_t)sizeof exec_err) {
		waitpid(pid, NULL, 0);
		close(outp[0]);
		close(errp[0]);
		return ms_err_set(e, exec_err, NULL,
				  exec_err == ENOENT ? "install it or fix PATH" : NULL,
				  "cannot run %s", r->argv[0]);
	}
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	int out_open = 1, err_open = 1, reaped = 0;
	double kill_at = 0;
	while (!reaped) {
		struct pollfd pf[2];
		int n = 0;
		if (out_open)
			pf[n++] = (struct pollfd){ .fd = outp[0], .events = POLLIN };
		if (err_open)
			pf[n++] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
		poll(n ? pf : NULL, (nfds_t)n, r->tick_ms);
		if (out_open)
			out_open = drain(outp[0], &r->out, &r->out_len, r->out_max);
		if (err_open)
			err_open = drain(errp[0], &r->err, &r->err_len, r->out_max);
		pid_t w = wait4(pid, &r->status, WNOHANG, &r->ru);
		if (w == pid)
			reaped = 1;
		if (r->tick && !reaped)
			r->tick(r, r->tick_arg);
		if (reaped)
			break;
		double t = now_s();
		if (!r->signalled_by_us) {
			int why = 0;
			if (r->interrupted && *r->interrupted)
				why = r->was_interrupted = 1;
			else if (r->timeout_ms && t - start > r->timeout_ms / 1000.0)
				why = r->timed_out = 1;
			else if (r->stop_requested)
				why = 1;
			if (why) {
				if (r->on_stop)
					r->on_stop(r->tick_arg);
				else
					signal_group(pid, r->stop_signal ? r->stop_signal : SIGTERM);
				r->signalled_by_us = 1;
				kill_at = t + (r->grace_ms > 0 ? r->grace_ms : 2000) / 1000.0;
			}
		} else if (!r->killed && t >= kill_at) {
			signal_group(pid, SIGKILL);
			r->killed = 1;
		}
	}
	/* What the child wrote just before it exited. */
	if (out_open)
		drain(outp[0], &r->out, &r->out_len, r->out_max);
	if (err_open)
		drain(errp[0], &r->err, &r->err_len, r->out_max);
	/* Leave nothing of its group behind. */
	kill(-pid, SIGKILL);
	close(outp[0]);
	close(errp[0]);
	r->wall_seconds = now_s() - start;
	if (!r->out)
		r->out = calloc(1, 1);
	if (!r->err)
		r->err = calloc(1, 1);
	return 0;
}

void ms_child_free(struct ms_child *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

#include "util/steprun.h"
#include "util/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Keep stderr's tail: a failing step's reason is its last line. */
static void keep_tail(struct ms_steprun *c, const char *buf, size_t n)
{
	size_t have = strlen(c->err), cap = sizeof c->err - 1;
	if (n >= cap) {
		memcpy(c->err, buf + n - cap, cap);
		c->err[cap] = 0;
		return;
	}
	if (have + n > cap) {
		size_t drop = have + n - cap;
		memmove(c->err, c->err + drop, have - drop);
		have -= drop;
	}
	memcpy(c->err + have, buf, n);
	c->err[have + n] = 0;
}

static int append_out(struct ms_steprun *c, size_t *cap, const char *buf, size_t n)
{
	if (c->outlen + n + 1 > MS_STEPRUN_MAX_OUT)
		return -1;
	if (c->outlen + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 65536;
		while (nc < c->outlen + n + 1)
			nc *= 2;
		char *p = realloc(c->out, nc);
		if (!p)
			return -1;
		c->out = p;
		*cap = nc;
	}
	memcpy(c->out + c->outlen, buf, n);
	c->outlen += n;
	c->out[c->outlen] = 0;
	return 0;
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
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) < 0)
		return c->status = MS_STEPRUN_NOSTART;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return c->status = MS_STEPRUN_NOSTART;
	}
	double t0 = now_s();
	pid_t pid = ms_fork();
	if (pid < 0) {
		close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
		return c->status = MS_STEPRUN_NOSTART;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		setpgid(0, 0);   /* its own group: leftovers are found and stopped */
		execvp(argv[0], argv);
		dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(po[1]);
	close(pe[1]);
	int tty = label && isatty(2);
	if (label && !tty)
		fprintf(stderr, "  (running %s, up to %d s)\n", label, timeout_ms / 1000);
	size_t cap = 0;
	int open_fds = 2, killed = 0, last_shown = -1;
	double term_at = 0;
	int signals = 0;
	struct pollfd pfd[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
	int st = 0, reaped = 0;
	double reaped_at = 0;
	while (open_fds > 0) {
		/* A grandchild (a command the step launched) may hold the pipes
		 * open after the step is gone: read on for a moment, then stop. */
		if (!reaped && waitpid(pid, &st, WNOHANG) == pid) {
			reaped = 1;
			reaped_at = now_s();
		}
		if (reaped && now_s() - reaped_at > 1)
			break;
		double el = now_s() - t0;
		if (!killed && ((stop && *stop) || el * 1000 > timeout_ms)) {
			/* SIGINT first: the steps report what they have on Ctrl-C. */
			killed = stop && *stop ? MS_STEPRUN_INTERRUPTED : MS_STEPRUN_TIMEOUT;
			kill(pid, SIGINT);
			term_at = now_s();
			signals = 1;
		}
		if (killed && signals && signals < 3 && now_s() - term_at > 3) {
			kill(pid, signals == 1 ? SIGTERM : SIGKILL);
			term_at = now_s();
			signals++;
		}
		if (tty && (int)el != last_shown) {
			last_shown = (int)el;
			fprintf(stderr, "\r  running %s ... %d s ", label, last_shown);
		}
		if (tick)
			tick(arg);
		int r = poll(pfd, 2, 200);
		if (r < 0 && errno != EINTR)
			break;
		for (int i = 0; r > 0 && i < 2; i++) {
			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[8192];
			ssize_t n = read(pfd[i].fd, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 1)
				keep_tail(c, buf, (size_t)n);
			else if (append_out(c, &cap, buf, (size_t)n) < 0 && !killed) {
				keep_tail(c, "output larger than 64 MiB\n", 26);
				killed = MS_STEPRUN_TIMEOUT;
				kill(pid, SIGKILL);
				signals = 3;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	while (!reaped && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		kill(pid, SIGKILL);
	/* Whatever the step left behind in its group (a command it launched)
	 * goes with it. */
	kill(-pid, SIGTERM);
	if (tty)
		fprintf(stderr, "\r%*s\r", (int)strlen(label) + 24, "");
	c->seconds = now_s() - t0;
	if (killed)
		return c->status = killed;
	if (WIFEXITED(st))
		c->status = WEXITSTATUS(st) == 127 ? MS_STEPRUN_NOSTART : WEXITSTATUS(st);
	else
		c->status = 128 + WTERMSIG(st);
	return c->status;
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

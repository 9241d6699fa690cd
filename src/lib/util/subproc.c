#include "util/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
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

#define GUARD_ENV "MEMSLEUTH_GUARD"

static int guard_fd = -1;          /* our end of the guard's pipe */
static void (*guard_end_fn)(void);

void ms_guard_on_end(void (*fn)(void))
{
	guard_end_fn = fn;
}

/* Does process pid carry token in its MEMSLEUTH_GUARD list? */
static int carries(const char *pid, const char *token)
{
	char p[64], buf[65536];
	snprintf(p, sizeof p, "/proc/%s/environ", pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	size_t tl = strlen(token);
	for (char *v = buf; v < buf + n; v += strlen(v) + 1) {
		if (strncmp(v, GUARD_ENV "=", sizeof GUARD_ENV) != 0)
			continue;
		for (char *t = v + sizeof GUARD_ENV; (t = strstr(t, token)); t += tl)
			if ((t == v + sizeof GUARD_ENV || t[-1] == ' ') && (t[tl] == ' ' || t[tl] == 0))
				return 1;
	}
	return 0;
}

/* Signal every process of this run; returns how many were found. */
static int signal_run(const char *token, int sig)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int n = 0;
	pid_t self = getpid();
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]) || atoi(de->d_name) == self)
			continue;
		if (carries(de->d_name, token)) {
			kill(atoi(de->d_name), sig);
			n++;
		}
	}
	closedir(d);
	return n;
}

static _Noreturn void guard_main(int rfd, const char *token, pid_t owner)
{
	prctl(PR_SET_NAME, "memsleuth-guard");
	setpgid(0, 0);      /* out of the terminal's group: Ctrl-C is memsleuth's */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	if (rfd > 3)
		close_range(3, (unsigned)rfd - 1, 0);
	close_range((unsigned)rfd + 1, ~0u, 0);
	char c = 0;
	ssize_t r;
	do
		r = read(rfd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (!(r == 1 && c == 'x')) {
		/* Not told (killed, or an exec): the pipe closes early in
		 * memsleuth's exit, before its other files (trace_pipe keeps a
		 * tracefs instance busy): wait until it is gone, which
		 * re-parents us. */
		for (int i = 0; i < 100 && getppid() == owner; i++)
			usleep(20000);
		if (getppid() == owner)   /* alive: it exec'd itself (lab --allocator); its new image guards */
			_exit(0);
	}
	/* memsleuth is gone or ending (told, and waiting for us): its
	 * children die by PDEATHSIG; the rest of the run gets SIGTERM
	 * (stapbpf removes its uprobes), then SIGKILL. */
	if (signal_run(token, SIGTERM)) {
		for (int i = 0; i < 20 && signal_run(token, 0); i++)
			usleep(100000);
		for (int i = 0; i < 50 && signal_run(token, SIGKILL); i++)
			usleep(100000);
	}
	if (guard_end_fn)
		guard_end_fn();
	_exit(0);
}

/* memsleuth's normal exit (atexit): tell the guard to do its work now and
 * wait for it, so that it, and whatever it ends, is gone before we are
 * (10 s at most: its own steps are bounded by 7 s and the sweep). */
static pid_t guard_pid, guard_owner;

static void guard_finish(void)
{
	if (guard_fd < 0 || getpid() != guard_owner)   /* a forked child's exit */
		return;
	ssize_t w = write(guard_fd, "x", 1);
	close(guard_fd);
	guard_fd = -1;
	for (int i = 0; w == 1 && i < 1000; i++) {
		pid_t r = waitpid(guard_pid, NULL, WNOHANG);
		if (r == guard_pid || (r < 0 && errno != EINTR))
			break;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
}

int ms_guard_start(void)
{
	if (guard_fd >= 0)
		return 0;
	unsigned rnd = 0;
	if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
		rnd = (unsigned)(now_s() * 1e6);
	char token[48], list[1024];
	snprintf(token, sizeof token, "%d-%08x", (int)getpid(), rnd);
	const char *old = getenv(GUARD_ENV);
	if (old && *old && strlen(old) < sizeof list - sizeof token - 1)
		snprintf(list, sizeof list, "%s %s", old, token);
	else
		snprintf(list, sizeof list, "%s", token);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	/* set before the guard forks: its own environ must not match */
	setenv(GUARD_ENV, list, 1);
	pid_t owner = getpid();
	pid_t g = fork();
	if (g < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (g == 0) {
		close(p[1]);
		guard_main(p[0], token, owner);
	}
	close(p[0]);
	guard_fd = p[1];
	guard_pid = g;
	if (guard_owner != owner) {   /* once per image (a forked memsleuth starts its own) */
		guard_owner = owner;
		atexit(guard_finish);
	}
	return 0;
}

pid_t ms_fork(void)
{
	ms_guard_start();
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)   /* we died before the line above */
			_exit(127);
	}
	return pid;
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

/* What a child that could not exec tells us: where it failed, and errno. */
enum start_stage { START_SETUP, START_PREPARE, START_EXEC };
struct start_report {
	int stage;
	int err;
};

static _Noreturn void start_failed(int ctl, int stage)
{
	struct start_report rep = { stage, errno };
	if (write(ctl, &rep, sizeof rep) < 0)
		_exit(127);
	_exit(127);
}

/* The child's side of ms_child_start: only async-signal-safe calls (the
 * environment was built before the fork). */
static _Noreturn void start_child(const struct ms_start *s, char *const *env, int ctl)
{
	if (s->own_group)
		setpgid(0, 0);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	/* copies above 2 first, so that fd[1] = 0 or fd[2] = 1 mean the
	 * descriptors as they were (the copies are CLOEXEC) */
	int src[3];
	for (int i = 0; i < 3; i++) {
		int fd = s->fd[i];
		if (fd == MS_FD_KEEP)
			continue;
		if (fd == MS_FD_NULL)
			fd = open("/dev/null", (i ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
		if (fd < 0 || (src[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
			start_failed(ctl, START_SETUP);
	}
	for (int i = 0; i < 3; i++)
		if (s->fd[i] != MS_FD_KEEP && dup2(src[i], i) < 0)
			start_failed(ctl, START_SETUP);
	if (s->dir && chdir(s->dir) < 0)
		start_failed(ctl, START_SETUP);
	if (s->hold) {   /* EOF without a byte: the start was abandoned */
		char c;
		ssize_t n;
		while ((n = read(ctl, &c, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			_exit(127);
	}
	if (s->prepare && s->prepare(s->prepare_arg) < 0)
		start_failed(ctl, START_PREPARE);
	execvpe(s->argv[0], s->argv, env);
	start_failed(ctl, START_EXEC);
}

/* envp (or ours) with s->env_set put over it; NULL when out of memory. */
static char **start_env(const struct ms_start *s)
{
	char *const *base = s->envp ? s->envp : environ;
	size_t nb = 0, ns = 0;
	while (base && base[nb])
		nb++;
	while (s->env_set && s->env_set[ns])
		ns++;
	char **env = calloc(nb + ns + 1, sizeof *env);
	if (!env)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < nb; i++) {
		int replaced = 0;
		for (size_t j = 0; j < ns && !replaced; j++) {
			size_t kl = strcspn(s->env_set[j], "=");
			replaced = !strncmp(base[i], s->env_set[j], kl + 1);
		}
		if (!replaced)
			env[n++] = base[i];
	}
	for (size_t j = 0; j < ns; j++)
		env[n++] = (char *)s->env_set[j];
	return env;
}

/* Wait for the child's exec (EOF on ctl) or its report; closes ctl. */
static int start_collect(const struct ms_start *s, int ctl, struct ms_err *e)
{
	struct start_report rep;
	size_t got = 0;
	while (got < sizeof rep) {
		ssize_t n = read(ctl, (char *)&rep + got, sizeof rep - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(ctl);
	if (got < sizeof rep)
		return 0;
	const char *hint = rep.stage == START_PREPARE && s->prepare_hint ? s->prepare_hint
		: rep.err == ENOENT ? "install it or fix PATH"
		: rep.err == EACCES ? "check that it is an executable file you may run"
		: rep.err == ENOEXEC ? "it is not a program this system can run"
		: "check the command";
	if (rep.stage == START_PREPARE)
		return ms_err_set(e, rep.err, NULL, hint, "cannot run %s: %s", s->argv[0],
				  s->prepare_what ? s->prepare_what : "set-up");
	if (rep.stage == START_SETUP)
		return ms_err_set(e, rep.err, NULL, hint, "cannot run %s: its descriptors or directory%s%s",
				  s->argv[0], s->dir ? " " : "", s->dir ? s->dir : "");
	return ms_err_set(e, rep.err, NULL, hint, "cannot run %s", s->argv[0]);
}

pid_t ms_child_start(const struct ms_start *s, struct ms_err *e)
{
	ms_guard_start();   /* before ctl exists: the guard never holds it */
	char **env = start_env(s);
	if (!env)
		return ms_err_set(e, ENOMEM, NULL, NULL, "starting %s", s->argv[0]);
	int ctl[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0) {
		int err = errno;
		free(env);
		return ms_err_set(e, err, NULL, "too many open files? try again", "starting %s", s->argv[0]);
	}
	pid_t pid = ms_fork();
	if (pid == 0) {
		close(ctl[0]);
		start_child(s, env, ctl[1]);
	}
	int err = errno;
	free(env);
	close(ctl[1]);
	if (pid < 0) {
		close(ctl[0]);
		return ms_err_set(e, err, NULL, "too many processes? try again", "fork for %s", s->argv[0]);
	}
	if (s->own_group)
		setpgid(pid, pid);   /* both sides: whichever runs first */
	if (s->hold) {
		*s->hold = ctl[0];
		return pid;
	}
	if (start_collect(s, ctl[0], e) < 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -1;
	}
	return pid;
}

int ms_child_release(const struct ms_start *s, struct ms_err *e)
{
	int ctl = *s->hold;
	if (ctl < 0)
		return 0;
	*s->hold = -1;
	if (write(ctl, "g", 1) != 1) {
		/* the child is gone already: its exit is the caller's to see */
	}
	return start_collect(s, ctl, e);
}

static void signal_group(pid_t pid, int sig)
{
	kill(-pid, sig);
	kill(pid, sig);
}

/* Is a process of group pgid still running (a zombie is done: only its
 * parent's wait is left)?  From /proc/PID/stat's state and pgrp. */
static int group_alive(pid_t pgid)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int alive = 0;
	struct dirent *de;
	while (!alive && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char p[64], buf[512];
		snprintf(p, sizeof p, "/proc/%s/stat", de->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		char *rp = strrchr(buf, ')');   /* comm may hold spaces and ')' */
		char state = 0;
		long ppid = 0, pgrp = 0;
		if (rp && sscanf(rp + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3)
			alive = pgrp == pgid && state != 'Z' && state != 'X';
	}
	closedir(d);
	return alive;
}

void ms_group_end(pid_t pgid)
{
	if (pgid <= 1)
		return;
	kill(-pgid, SIGKILL);
	for (int i = 0; i < 200 && group_alive(pgid); i++) {   /* 2 s at most */
		kill(-pgid, SIGKILL);   /* one forked meanwhile */
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
}

int ms_child_run(struct ms_child *r, struct ms_err *e)
{
	int outp[2], errp[2];
	r->out = r->err = NULL;
	r->out_len = r->err_len = 0;
	r->timed_out = r->was_interrupted = r->signalled_by_us = r->killed = 0;
	if (!r->tick_ms)
		r->tick_ms = 50;
	if (!r->out_max)
		r->out_max = 1u << 20;
	if (pipe2(outp, O_CLOEXEC) < 0)
		return ms_err_set(e, errno, NULL, NULL, "pipe for %s", r->argv[0]);
	if (pipe2(errp, O_CLOEXEC) < 0) {
		int err = errno;
		close(outp[0]);
		close(outp[1]);
		return ms_err_set(e, err, NULL, NULL, "pipe for %s", r->argv[0]);
	}
	double start = now_s();
	struct ms_start s = { .argv = r->argv, .envp = r->envp, .own_group = 1,
			      .fd = { r->stdin_fd < 0 ? MS_FD_NULL : r->stdin_fd, outp[1], errp[1] } };
	pid_t pid = ms_child_start(&s, e);
	close(outp[1]);
	close(errp[1]);
	if (pid < 0) {
		close(outp[0]);
		close(errp[0]);
		return -1;
	}
	r->pid = pid;
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
	ms_group_end(pid);   /* leave nothing of its group behind */
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

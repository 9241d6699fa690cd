/* A program that allocates, then waits in one blocking call, for the
 * test that recording changes nothing: run bare and under `hotspots --`,
 * the call must return only when the test signals it (SIGUSR1, handled
 * without SA_RESTART, so every call here returns EINTR or the signal),
 * never earlier (a recorder's signal would wake it: pause, sleep,
 * nanosleep, epoll_wait and poll return EINTR whatever SA_RESTART says).
 *   blocking_calls MODE   MODE: pause sleep nanosleep read epoll_wait sigwait poll
 * Prints "READY pid N" when it is about to block, then one line saying
 * how the call returned; exits 0 when it was the test's signal, 3 when
 * the call returned with no signal of ours (the bug this guards against). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	got = sig;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: blocking_calls pause|sleep|nanosleep|read|epoll_wait|sigwait|poll\n");
		return 2;
	}
	const char *mode = argv[1];
	/* something for the hook to record, all freed: 10 + 10 calls */
	for (int i = 0; i < 10; i++)
		free(malloc(100));
	int fds[2];
	if (pipe(fds) < 0)
		return 2;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (!strcmp(mode, "sigwait")) {
		sigprocmask(SIG_BLOCK, &set, NULL);
	} else {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_usr1;   /* no SA_RESTART: the call returns */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
	}
	printf("READY pid %d\n", (int)getpid());
	fflush(stdout);
	long r = 0;
	int sig = 0;
	if (!strcmp(mode, "pause")) {
		r = pause();
	} else if (!strcmp(mode, "sleep")) {
		r = (long)sleep(600);   /* the seconds left: > 0 when interrupted */
	} else if (!strcmp(mode, "nanosleep")) {
		struct timespec ts = { 600, 0 };
		r = nanosleep(&ts, &ts);
	} else if (!strcmp(mode, "read")) {
		char c;
		r = read(fds[0], &c, 1);
	} else if (!strcmp(mode, "epoll_wait")) {
		int ep = epoll_create1(0);
		struct epoll_event ev = { .events = EPOLLIN }, out;
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
		r = epoll_wait(ep, &out, 1, 600000);
	} else if (!strcmp(mode, "sigwait")) {
		r = sigwait(&set, &sig);
		got = sig;
	} else if (!strcmp(mode, "poll")) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		r = poll(&p, 1, 600000);
	} else {
		fprintf(stderr, "blocking_calls: %s: unknown mode\n", mode);
		return 2;
	}
	int err = errno;
	printf("%s returned %ld (%s) %s\n", mode, r, r == -1 ? strerror(err) : "no error",
	       got == SIGUSR1 ? "on the test's SIGUSR1" : "WITHOUT the test's signal");
	return got == SIGUSR1 ? 0 : 3;
}

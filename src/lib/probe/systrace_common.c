#include "probe/systrace.h"
#include "util/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void ms_launched_start(const struct ms_systrace *t, int *hold, struct ms_start *s)
{
	*s = (struct ms_start){ .argv = t->cmd, .own_group = 1, .hold = hold,
				.fd = { MS_FD_KEEP, t->cmd_output_to_stderr ? 2 : MS_FD_KEEP, MS_FD_KEEP } };
}

void ms_launched_end(struct ms_systrace *t)
{
	if (!t->cmd || t->traced_pid <= 0)
		return;
	int st;
	if (t->target_status == -1) {
		pid_t r = waitpid(t->traced_pid, &st, WNOHANG);
		if (r == t->traced_pid) {
			t->target_status = st;
		} else if (r == 0) {
			kill(-t->traced_pid, SIGTERM);
			kill(t->traced_pid, SIGTERM);
			for (int i = 0; i < 200 && t->target_status == -1; i++) {
				if (waitpid(t->traced_pid, &st, WNOHANG) == t->traced_pid)
					t->target_status = st;
				else
					nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
			}
			if (t->target_status == -1) {
				kill(-t->traced_pid, SIGKILL);
				kill(t->traced_pid, SIGKILL);
				if (waitpid(t->traced_pid, &st, 0) == t->traced_pid)
					t->target_status = st;
			}
		}
	}
	ms_group_end(t->traced_pid);   /* its children share its group: none may outlive it */
}

pid_t ms_held_spawn(const struct ms_systrace *t, int *gofd, struct ms_err *e)
{
	struct ms_start s;
	ms_launched_start(t, gofd, &s);
	return ms_child_start(&s, e);
}

int ms_held_release(const struct ms_systrace *t, int *gofd, struct ms_err *e)
{
	struct ms_start s;
	ms_launched_start(t, gofd, &s);
	return ms_child_release(&s, e);
}

int ms_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	return -1;
#endif
}

int ms_target_gone(struct ms_systrace *t, int pidfd)
{
	pid_t pid = t->traced_pid;
	if (t->cmd) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			t->target_status = st;
			return 1;
		}
		return r < 0 && errno == ECHILD;
	}
	if (pidfd >= 0) {
		struct pollfd pf = { .fd = pidfd, .events = POLLIN };
		return poll(&pf, 1, 0) == 1;
	}
	return kill(pid, 0) < 0 && errno == ESRCH;
}

double ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ms_launched_wait(struct ms_systrace *t)
{
	if (!t->cmd || t->traced_pid <= 0 || t->target_status != -1)
		return;
	int pidfd = ms_pidfd(t->traced_pid);
	double end = t->duration > 0 ? ms_now() + t->duration : 0;
	while (!(t->stop && *t->stop) && !(end && ms_now() >= end) && !ms_target_gone(t, pidfd)) {
		struct pollfd pf = { .fd = pidfd, .events = POLLIN };
		if (pidfd >= 0)
			poll(&pf, 1, 100);
		else
			nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	if (pidfd >= 0)
		close(pidfd);
	ms_launched_end(t);
}

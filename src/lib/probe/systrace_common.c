#include "probe/systrace.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

pid_t ms_held_spawn(char *const *cmd, int *gofd, struct ms_err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return ms_err_set(e, errno, NULL, NULL, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return ms_err_set(e, errno, NULL, NULL, "fork");
	}
	if (pid == 0) {
		char c;
		close(p[1]);
		/* held until the tracer is live; EOF without a byte = abort */
		if (read(p[0], &c, 1) != 1)
			_exit(127);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(p[0]);
	*gofd = p[1];
	return pid;
}

void ms_held_release(int *gofd)
{
	if (*gofd >= 0) {
		if (write(*gofd, "g", 1) != 1) {
			/* the child is gone already: its exit is seen by the caller */
		}
		close(*gofd);
		*gofd = -1;
	}
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

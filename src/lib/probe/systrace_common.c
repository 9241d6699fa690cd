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

void ms_launched_child_setup(const struct ms_systrace *t)
{
	setpgid(0, 0);
	if (t->cmd_output_to_stderr)
		dup2(2, 1);
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
	/* the command's own children share its group: none may outlive it */
	kill(-t->traced_pid, SIGKILL);
}

pid_t ms_held_spawn(const struct ms_systrace *t, int *gofd, struct ms_err *e)
{
	char *const *cmd = t->cmd;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return ms_err_set(e, errno, NULL, NULL, "pipe");
	pid_t pid = ms_fork();
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
		ms_launched_child_setup(t);
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

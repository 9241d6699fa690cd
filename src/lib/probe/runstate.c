#include "probe/runstate.h"

#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int ms_runstate_read(pid_t pid, struct ms_runstate *rs)
{
	memset(rs, 0, sizeof *rs);
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	rs->exists = 1;
	const char *s = strstr(buf, "\nState:");
	if (s) {
		s += 7;
		while (*s == ' ' || *s == '\t')
			s++;
		rs->state = *s;
	}
	const char *t = strstr(buf, "\nTracerPid:");
	if (t)
		rs->tracer = (pid_t)strtol(t + 11, NULL, 10);
	return 0;
}

static int stopped(const struct ms_runstate *rs)
{
	return rs->state == 'T' || rs->state == 't';
}

int ms_runstate_ensure_running(pid_t pid, struct ms_runstate *rs)
{
	/* A dying tracer detaches asynchronously: give the kernel a moment. */
	for (int i = 0; i < 50; i++) {
		if (ms_runstate_read(pid, rs) < 0)
			return 0;           /* gone: nothing left stopped */
		if (!rs->tracer)
			break;
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	if (rs->tracer)
		return -1;
	if (!stopped(rs))
		return 0;
	kill(pid, SIGCONT);
	for (int i = 0; i < 50; i++) {
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
		if (ms_runstate_read(pid, rs) < 0 || !stopped(rs))
			return 1;
	}
	return -1;
}

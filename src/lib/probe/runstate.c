#include "probe/runstate.h"

#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe/procfs.h"
#include "records/status.h"

int ms_runstate_read(pid_t pid, struct ms_runstate *rs)
{
	memset(rs, 0, sizeof *rs);
	char *buf;
	size_t len;
	struct ms_status st;
	if (ms_proc_read(pid, "status", &buf, &len, NULL) < 0)
		return -1;
	int ok = ms_status_parse(buf, len, &st) == 0;
	free(buf);
	if (!ok)
		return -1;
	rs->exists = 1;
	rs->state = st.state;
	rs->tracer = st.tracer;
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

#include "probe/selfstep.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/subproc.h"

int ms_selfstep_json(const char *step, pid_t pid, int timeout_ms,
		     volatile sig_atomic_t *interrupted, char **json, size_t *len,
		     struct ms_err *e)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return ms_err_set(e, errno, NULL, NULL, "/proc/self/exe");
	self[n] = 0;
	char pidbuf[24];
	snprintf(pidbuf, sizeof pidbuf, "%d", (int)pid);
	char *argv[] = { self, (char *)step, pidbuf, "--json", NULL };
	struct ms_child r = {
		.argv = argv, .timeout_ms = timeout_ms, .stop_signal = SIGTERM,
		.grace_ms = 2000, .stdin_fd = -1, .interrupted = interrupted,
		.out_max = 64u << 20,
	};
	if (ms_child_run(&r, e) < 0)
		return -1;
	if (r.timed_out || r.was_interrupted) {
		ms_child_free(&r);
		return ms_err_set(e, 0, r.timed_out ? "timed out" : "interrupted",
				  r.timed_out ? "the target may be huge; run the step alone" : NULL,
				  "memsleuth %s %d", step, (int)pid);
	}
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) >= 2) {
		/* The child's own one-line error, minus its "memsleuth STEP: ". */
		char line[400] = "failed", prefix[64];
		const char *msg = r.err;
		snprintf(prefix, sizeof prefix, "memsleuth %s: ", step);
		if (!strncmp(msg, prefix, strlen(prefix)))
			msg += strlen(prefix);
		size_t l = strcspn(msg, "\n");
		if (l)
			snprintf(line, sizeof line, "%.*s", (int)l, msg);
		ms_child_free(&r);
		return ms_err_set(e, 0, line, NULL, "memsleuth %s %d", step, (int)pid);
	}
	*json = r.out;
	if (len)
		*len = r.out_len;
	r.out = NULL;
	ms_child_free(&r);
	return 0;
}

#include "util/spawn.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/subproc.h"

/* execvp runs a regular file it may execute: a directory is skipped */
static int runnable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int ms_which(const char *name, char *out, size_t outlen)
{
	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s", name);
		return runnable(out);
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	const char *p = path;
	while (*p) {
		size_t n = strcspn(p, ":");
		snprintf(out, outlen, "%.*s/%s", (int)n, n ? p : ".", name);
		if (runnable(out))
			return 1;
		p += n;
		if (*p == ':')
			p++;
	}
	out[0] = 0;
	return 0;
}

int ms_run_capture(char *const argv[], char *out, size_t outlen, int timeout_ms)
{
	/* The simple form of util/subproc: one supervisor for every child. */
	struct ms_child r = { .argv = argv, .timeout_ms = timeout_ms, .stop_signal = SIGKILL,
			      .grace_ms = 100, .stdin_fd = -1, .out_max = outlen ? outlen : 1 };
	if (outlen)
		out[0] = 0;
	if (ms_child_run(&r, NULL) < 0)
		return -1;
	if (outlen)
		snprintf(out, outlen, "%s%s", r.out ? r.out : "", r.err ? r.err : "");
	int rc = r.timed_out ? -2
		: WIFEXITED(r.status) ? (WEXITSTATUS(r.status) == 127 ? -1 : WEXITSTATUS(r.status))
		: 128 + WTERMSIG(r.status);
	ms_child_free(&r);
	return rc;
}

/* FILE.hotspots beside --report FILE.html: the guide's recording of the
 * command, kept for `hotspots --from` afterwards -- and never left behind
 * without its report.  A run that ends before writing the report (an
 * error, Ctrl-C while waiting for the moment) removes it at exit; one that
 * could not (SIGKILL) leaves it, and the next run on the same report name
 * removes it when its report was never written and its processes are
 * gone.  A recording beside a report that exists is an earlier run's: the
 * guide never writes over it and names it. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guide_int.h"
#include "probe/sweep.h"

static char armed[PATH_MAX];   /* the kept recording to remove at exit, "" none */

static void drop_at_exit(void)
{
	if (armed[0])
		ms_tmpdir_remove(armed);
	armed[0] = 0;
}

/* A recording of a guide run that stopped before its report: no report
 * file, only the recorder's files (comm, counters, maps-PID, proc-PID-*),
 * and every recorded process gone.  1 yes, 0 no (or unsure: kept). */
static int leftover(const char *path, const char *report)
{
	if (access(report, F_OK) == 0 || errno != ENOENT)
		return 0;
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int ok = 1, n = 0;
	struct dirent *de;
	while (ok && (de = readdir(d)) && n++ < 100000) {
		const char *nm = de->d_name;
		if (!strcmp(nm, ".") || !strcmp(nm, "..") || !strcmp(nm, "comm") || !strcmp(nm, "counters"))
			continue;
		const char *num = !strncmp(nm, "maps-", 5) ? nm + 5 : !strncmp(nm, "proc-", 5) ? nm + 5 : NULL;
		char *end;
		long pid = num ? strtol(num, &end, 10) : 0;
		if (!num || pid <= 0 || end == num || !ms_pid_gone(pid))
			ok = 0;   /* not the recorder's, or its process lives */
	}
	closedir(d);
	return ok;
}

const char *gk_choose(const char *report, char *path, size_t len, size_t maxlen, char *why, size_t whylen, FILE *say)
{
	why[0] = 0;
	if (!report)
		return NULL;
	const char *dot = strrchr(report, '.');
	int n = snprintf(path, len, "%.*s.hotspots", (int)(dot ? dot - report : (ptrdiff_t)strlen(report)), report);
	if (n < 0 || (size_t)n >= len || (size_t)n >= maxlen) {
		snprintf(why, whylen, "temporary: the report's name is too long for the recording beside it");
		return NULL;
	}
	char probe[PATH_MAX + 16];
	snprintf(probe, sizeof probe, "%s/counters", path);
	if (access(probe, F_OK) == 0 && leftover(path, report)) {
		ms_tmpdir_remove(path);
		fprintf(say, "removed %s: the recording of a guide run that ended before writing %s\n", path, report);
	}
	if (access(path, F_OK) == 0) {
		snprintf(why, whylen, "temporary: %s holds an earlier run's recording, which the guide does not write over "
			 "(remove it to keep this run's)", path);
		return NULL;
	}
	return path;
}

void gk_arm(const char *path)
{
	static int registered;
	if (!registered && atexit(drop_at_exit) == 0)
		registered = 1;
	snprintf(armed, sizeof armed, "%s", path && registered ? path : "");
}

void gk_disarm(void)
{
	armed[0] = 0;
}

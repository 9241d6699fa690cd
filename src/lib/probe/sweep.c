#include "probe/sweep.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/systrace.h"
#include "util/subproc.h"

const char *ms_tmp_root(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

int ms_tmpdir_make(const char *kind, char *out, size_t len, struct ms_err *e)
{
	snprintf(out, len, "%s/memsleuth-%s.%d.XXXXXX", ms_tmp_root(), kind, (int)getpid());
	if (!mkdtemp(out))
		return ms_err_set(e, errno, NULL, "set TMPDIR to a directory you can write", "%s", out);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void ms_tmpdir_remove(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

FILE *ms_tmpfile(void)
{
	/* an unnamed file (O_TMPFILE): nothing to remove, whatever ends us */
	int fd = open(ms_tmp_root(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {   /* a file system without O_TMPFILE: a private name, unlinked at once */
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/memsleuth-tmp.%d.XXXXXX", ms_tmp_root(), (int)getpid());
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
	}
	FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
	if (!f && fd >= 0)
		close(fd);
	return f;
}

/* Is the run with this pid gone?  (EPERM: alive, another user's; a
 * zombie -- killed, not yet reaped by its parent -- is gone.) */
static int gone(long pid)
{
	if (pid <= 0 || pid > INT_MAX)
		return 0;
	if (kill((pid_t)pid, 0) < 0)
		return errno == ESRCH;
	char p[64], buf[512];
	snprintf(p, sizeof p, "/proc/%ld/stat", pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *rp = strrchr(buf, ')');   /* "PID (COMM) S ...": COMM may hold ')' */
	return rp && rp[1] == ' ' && rp[2] == 'Z';
}

int ms_pid_gone(long pid)
{
	return gone(pid);
}

/* "memsleuth-KIND.PID.RANDOM" -> PID, else -1 */
static long tmp_owner(const char *name)
{
	if (strncmp(name, "memsleuth-", 10) != 0)
		return -1;
	const char *dot = strchr(name + 10, '.');
	if (!dot || !isdigit((unsigned char)dot[1]))
		return -1;
	char *end;
	long pid = strtol(dot + 1, &end, 10);
	return *end == '.' && end[1] ? pid : -1;
}

static int sweep_tmp(const char *prog, FILE *say)
{
	DIR *d = opendir(ms_tmp_root());
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		long pid = tmp_owner(de->d_name);
		struct stat st;
		if (pid < 0 || !gone(pid) || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", ms_tmp_root(), de->d_name);
		ms_tmpdir_remove(p);
		if (say)
			fprintf(say, "%s: removed the stale temporary directory %s (its memsleuth, pid %ld, is gone)\n",
				prog, p, pid);
		n++;
	}
	closedir(d);
	return n;
}

/* instances/memsleuth-PID-RANDOM of a run that is gone: rmdir stops its
 * tracing and frees its buffers. */
static int sweep_tracefs(const char *prog, FILE *say)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/instances", ms_tracefs_root());
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		if (strncmp(de->d_name, "memsleuth-", 10) != 0 || !isdigit((unsigned char)de->d_name[10]))
			continue;
		long pid = strtol(de->d_name + 10, &end, 10);
		if (*end != '-' || !gone(pid))
			continue;
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		int rc, tries = 0;
		while ((rc = rmdir(p)) < 0 && errno == EBUSY && tries++ < 100)
			usleep(20000);   /* a reader is closing trace_pipe */
		if (rc == 0) {
			if (say)
				fprintf(say, "%s: removed the stale tracefs instance %s, still tracing "
					"(its memsleuth, pid %ld, is gone)\n", prog, p, pid);
			n++;
		} else if (errno == ENOENT || errno == ENODEV) {
			/* another run's sweep removed it first (the kernel's
			 * instance_rmdir: ENODEV for an instance going away) */
		} else if (say) {
			fprintf(say, "%s: the stale tracefs instance %s (its memsleuth, pid %ld, is gone) "
				"cannot be removed: %s (rmdir it later, or run memsleuth doctor)\n", prog, p, pid,
				strerror(errno));
		}
	}
	closedir(d);
	return n;
}

/* Any process named stapbpf alive (ours or another run's)? */
static int stapbpf_alive(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 1;
	struct dirent *de;
	int alive = 0;
	while (!alive && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char p[64], comm[32] = "";
		snprintf(p, sizeof p, "/proc/%s/comm", de->d_name);
		FILE *f = fopen(p, "r");
		if (f) {
			if (fgets(comm, sizeof comm, f))
				alive = strcmp(comm, "stapbpf\n") == 0;
			fclose(f);
		}
	}
	closedir(d);
	return alive;
}

/* stapbpf's uprobe events ("p:GROUP/stapprobe_..." in uprobe_events) stay
 * when stapbpf is killed; with no stapbpf alive none of them is in use. */
static int sweep_uprobes(const char *prog, FILE *say)
{
	static const char *const files[] = { "/sys/kernel/tracing/uprobe_events",
					     "/sys/kernel/debug/tracing/uprobe_events" };
	int n = 0;
	for (size_t i = 0; i < sizeof files / sizeof files[0] && !n; i++) {
		FILE *f = fopen(files[i], "r");
		if (!f)
			continue;
		char line[512], names[64][160];
		size_t k = 0;
		while (fgets(line, sizeof line, f) && k < 64) {
			char *slash = strchr(line, '/'), *sp;
			if (line[1] != ':' || !slash || !strstr(line, "stapprobe_"))
				continue;
			if ((sp = strchr(slash, ' ')))
				*sp = 0;
			snprintf(names[k++], sizeof names[0], "%s", line + 2);
		}
		fclose(f);
		if (!k || stapbpf_alive())
			continue;
		int fd = open(files[i], O_WRONLY | O_APPEND | O_CLOEXEC);
		for (size_t j = 0; fd >= 0 && j < k; j++)
			if (dprintf(fd, "-:%s\n", names[j]) > 0)
				n++;
		if (fd >= 0)
			close(fd);
		if (n && say)
			fprintf(say, "%s: removed %d stale stapbpf uprobe event%s (stapprobe_*) from %s "
				"(no stapbpf is running)\n", prog, n, n == 1 ? "" : "s", files[i]);
	}
	return n;
}

static void sweep_quietly(void)
{
	sweep_tracefs("memsleuth", NULL);
	sweep_uprobes("memsleuth", NULL);
	sweep_tmp("memsleuth", NULL);
}

int ms_sweep_stale(const char *prog, FILE *say)
{
	ms_guard_on_end(sweep_quietly);
	ms_guard_start();   /* a step that sweeps makes such things: guard them from now */
	return sweep_tracefs(prog, say) + sweep_uprobes(prog, say) + sweep_tmp(prog, say);
}

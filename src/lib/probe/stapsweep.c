#include "probe/stapsweep.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/procfs.h"
#include "probe/sweep.h"

static const char *const uprobe_files[] = {
	"/sys/kernel/tracing/uprobe_events", "/sys/kernel/debug/tracing/uprobe_events",
};

void ms_stapproc_comm(pid_t pid, char *out, size_t len)
{
	char p[64];
	out[0] = 0;
	snprintf(p, sizeof p, "/proc/%d/comm", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

int ms_stapproc_is_tool(const char *comm)
{
	return !strcmp(comm, "stap") || !strcmp(comm, "stapbpf") || !strcmp(comm, "staprun")
	    || !strcmp(comm, "stapio");
}

int ms_stapproc_stat(pid_t pid, pid_t *ppid, char *state)
{
	char *buf = NULL;
	size_t n = 0;
	struct ms_err e;
	if (ms_proc_read(pid, "stat", &buf, &n, &e) < 0) {
		free(buf);
		return -1;
	}
	/* comm may hold spaces and parens: the fields follow the last ')' */
	char *rp = strrchr(buf, ')');
	int pp, ok = rp && sscanf(rp + 1, " %c %d", state, &pp) == 2;
	free(buf);
	if (!ok)
		return -1;
	*ppid = pp;
	return 0;
}

pid_t ms_stapproc_scan(int (*match)(pid_t pid, void *arg), void *arg)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = 0;
	while (d && !found && (de = readdir(d))) {
		char *end;
		long p = strtol(de->d_name, &end, 10);
		if (!*end && p > 0 && p <= INT_MAX && match((pid_t)p, arg))
			found = (pid_t)p;
	}
	if (d)
		closedir(d);
	return found;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)f;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void ms_stap_remove_tree(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

/* Does /proc/PID/NAME (NUL-separated strings) hold needle? */
static int proc_strings_have(pid_t pid, const char *name, const char *needle)
{
	char *text = NULL;
	size_t len = 0;
	struct ms_err e;
	if (ms_proc_read(pid, name, &text, &len, &e) < 0) {
		free(text);
		return 0;
	}
	int found = memmem(text, len, needle, strlen(needle)) != NULL;
	free(text);
	return found;
}

struct in_dir {
	const char *dir;
	char tmpdir[PATH_MAX + 8];
	pid_t *out;
	size_t n, max;
};

/* A stap process of the run in dir: its environment names it (TMPDIR),
 * its arguments (stapbpf's .bo), or it runs in it (-p4). */
static int of_dir(pid_t pid, void *arg)
{
	struct in_dir *w = arg;
	char p[64], link[PATH_MAX], comm[64];
	if (pid == getpid())
		return 0;
	ms_stapproc_comm(pid, comm, sizeof comm);
	if (!ms_stapproc_is_tool(comm))
		return 0;
	snprintf(p, sizeof p, "/proc/%d/cwd", (int)pid);
	ssize_t l = readlink(p, link, sizeof link - 1);
	link[l > 0 ? l : 0] = 0;
	if ((l > 0 && !strncmp(link, w->dir, strlen(w->dir))) || proc_strings_have(pid, "cmdline", w->dir)
	    || proc_strings_have(pid, "environ", w->tmpdir))
		w->out[w->n++] = pid;
	return w->n == w->max;
}

static size_t procs_in(const char *dir, pid_t *out, size_t max)
{
	struct in_dir w = { .dir = dir, .out = out, .max = max };
	snprintf(w.tmpdir, sizeof w.tmpdir, "TMPDIR=%s", dir);
	ms_stapproc_scan(of_dir, &w);
	return w.n;
}

static int is_stapbpf(pid_t pid, void *arg)
{
	char comm[64];
	(void)arg;
	ms_stapproc_comm(pid, comm, sizeof comm);
	return !strcmp(comm, "stapbpf");
}

/* Remove uprobes/stapprobe_* events; returns how many. */
static int sweep_uprobes(void)
{
	int removed = 0;
	for (size_t f = 0; f < sizeof uprobe_files / sizeof uprobe_files[0] && !removed; f++) {
		char *text = NULL, *save = NULL;
		size_t len = 0;
		struct ms_err e;
		if (ms_read_file(uprobe_files[f], &text, &len, 1u << 20, &e) < 0) {
			free(text);
			continue;
		}
		for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			/* "p:uprobes/stapprobe_1_0 /lib/...:0x..." */
			char *name = strchr(line, ':'), *sp;
			if (!name || !(sp = strchr(name, ' ')))
				continue;
			*sp = 0;
			if (!strstr(name, "/stapprobe_"))
				continue;
			int fd = open(uprobe_files[f], O_WRONLY | O_APPEND | O_CLOEXEC);
			char cmd[300];
			int l = snprintf(cmd, sizeof cmd, "-%s\n", name);
			if (fd >= 0 && l > 0 && l < (int)sizeof cmd && write(fd, cmd, (size_t)l) == l)
				removed++;
			if (fd >= 0)
				close(fd);
		}
		free(text);   /* the same list may show under both mounts: one is enough */
	}
	return removed;
}

void ms_stap_sweep(char *what, size_t len)
{
	DIR *d = opendir(ms_tmp_root());
	struct dirent *de;
	int dirs = 0, running = 0;
	what[0] = 0;
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, MS_STAP_DIR_PREFIX, strlen(MS_STAP_DIR_PREFIX)))
			continue;
		char path[PATH_MAX], *end, comm[64];
		long owner = strtol(de->d_name + strlen(MS_STAP_DIR_PREFIX), &end, 10);
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", ms_tmp_root(), de->d_name);
		/* ours only: a directory (not a link) of our uid, named by a pid
		 * that is no longer a memsleuth */
		if (*end != '.' || owner <= 0 || owner > INT_MAX || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)
		    || st.st_uid != geteuid())
			continue;
		ms_stapproc_comm((pid_t)owner, comm, sizeof comm);
		if (!strcmp(comm, "memsleuth"))
			continue;
		pid_t procs[64];
		size_t n = procs_in(path, procs, 64);
		running += (int)n;
		for (size_t i = 0; i < n; i++)
			kill(procs[i], SIGTERM);
		for (int i = 0; i < 100 && n && procs_in(path, procs, 64); i++)
			usleep(100000);
		n = procs_in(path, procs, 64);
		for (size_t i = 0; i < n; i++)
			kill(procs[i], SIGKILL);
		ms_stap_remove_tree(path);
		dirs++;
	}
	if (d)
		closedir(d);
	int ev = ms_stapproc_scan(is_stapbpf, NULL) ? 0 : sweep_uprobes();
	if (dirs || ev)
		snprintf(what, len, "removed what an earlier run left: %d work director%s, %d uprobe event%s%s",
			 dirs, dirs == 1 ? "y" : "ies", ev, ev == 1 ? "" : "s", running ? " (its stap still ran: stopped)" : "");
}

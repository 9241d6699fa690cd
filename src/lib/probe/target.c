#include "probe/target.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/procfs.h"

int ms_target_open(pid_t pid, struct ms_target *t, struct ms_err *e)
{
	memset(t, 0, sizeof *t);
	t->pid = pid;
	snprintf(t->root, sizeof t->root, "/proc/%d/root", (int)pid);
	char *buf;
	size_t len;
	if (ms_proc_read(pid, "status", &buf, &len, NULL) < 0)
		return ms_err_set(e, ESRCH, NULL, "check the PID with ps; it may have exited",
				  "process %d", (int)pid);
	int rc = ms_status_parse(buf, len, &t->status);
	free(buf);
	if (rc < 0)
		return ms_err_set(e, 0, "unreadable /proc status (exited while reading?)",
				  "check the PID with ps", "process %d", (int)pid);
	if (t->status.tgid && t->status.tgid != pid)
		return ms_err_set(e, 0, "is a thread, not a process",
				  "give the process ID instead", "process %d (thread of %d)",
				  (int)pid, (int)t->status.tgid);
	if (t->status.state == 'Z' || t->status.state == 'X')
		return ms_err_set(e, 0, "is a zombie: it has exited and holds no memory",
				  "its parent has to reap it; pick a live process",
				  "process %d (%s)", (int)pid, t->status.name);
	if (!t->status.has_vm)
		return ms_err_set(e, 0, "is a kernel thread: it has no user-space memory",
				  "pick a user process", "process %d (%s)", (int)pid, t->status.name);
	char link[64];
	snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(link, t->exe, sizeof t->exe - 1);
	t->exe[n > 0 ? n : 0] = 0;
	n = readlink(t->root, t->root_link, sizeof t->root_link - 1);
	t->root_link[n > 0 ? n : 0] = 0;
	return 0;
}

int ms_target_of_core(struct ms_target *t, const char *sysroot, const char *exe,
		      const char *exe_given, struct ms_err *e)
{
	memset(t, 0, sizeof *t);
	if (sysroot && sysroot[0]) {
		struct stat st;
		int err = stat(sysroot, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
		if (err)
			return ms_err_set(e, err, NULL,
					  "give the root directory of the machine or container image the core came from",
					  "--sysroot %s", sysroot);
		char *real = realpath(sysroot, NULL);
		snprintf(t->root, sizeof t->root, "%s", real && strcmp(real, "/") ? real : "");
		free(real);
		/* a core taken from outside the root names files with the
		 * root's prefix: stripped as for a chrooted process */
		snprintf(t->root_link, sizeof t->root_link, "%s", t->root);
	}
	if (exe_given && exe_given[0])
		snprintf(t->exe, sizeof t->exe, "%s", exe_given);
	else if (exe && exe[0] == '/')
		ms_root_relative(t->root, t->root_link, exe, t->exe, sizeof t->exe);
	return 0;
}

void ms_root_relative(const char *root, const char *root_link, const char *path,
		      char *out, size_t outlen)
{
	size_t rl = strlen(root_link);
	/* " (deleted)" and the like cannot be helped here: map_files can */
	if (rl > 1 && root_link[0] == '/' && !strncmp(path, root_link, rl) && path[rl] == '/')
		path += rl;
	snprintf(out, outlen, "%s%s", root, path);
}

void ms_target_path(const struct ms_target *t, const char *path, char *out, size_t outlen)
{
	ms_root_relative(t->root, t->root_link, path, out, outlen);
}

int ms_target_mapped_path(const struct ms_target *t, uint64_t start, uint64_t end,
			  const char *path, char *out, size_t outlen)
{
	/* Lookups in map_files need CAP_SYS_ADMIN (CAP_CHECKPOINT_RESTORE
	 * since 5.9); access() is enough to tell.  A core has no process. */
	if (t->pid <= 0) {
		ms_target_path(t, path, out, outlen);
		return 0;
	}
	snprintf(out, outlen, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)t->pid, start, end);
	if (access(out, R_OK) == 0)
		return 1;
	ms_target_path(t, path, out, outlen);
	return 0;
}

int ms_pid_fs_foreign(pid_t pid)
{
	char link[64], root[PATH_MAX], ours[64] = "", theirs[64] = "";
	snprintf(link, sizeof link, "/proc/%d/root", (int)pid);
	ssize_t n = readlink(link, root, sizeof root - 1);
	root[n > 0 ? n : 0] = 0;
	if (n > 0 && strcmp(root, "/"))
		return 1;
	snprintf(link, sizeof link, "/proc/%d/ns/mnt", (int)pid);
	n = readlink(link, theirs, sizeof theirs - 1);
	theirs[n > 0 ? n : 0] = 0;
	n = readlink("/proc/self/ns/mnt", ours, sizeof ours - 1);
	ours[n > 0 ? n : 0] = 0;
	return theirs[0] && ours[0] && strcmp(theirs, ours) != 0;
}

/* A process under investigation: validated once, up front, so every step
 * fails the same clear way on a PID that is gone, a zombie, a kernel
 * thread or out of reach. */
#ifndef MS_TARGET_H
#define MS_TARGET_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include "records/status.h"
#include "util/err.h"

struct ms_target {
	pid_t pid;
	struct ms_status status;
	char  root[PATH_MAX];    /* "/proc/PID/root": its view of the filesystem;
				  * for a core, the --sysroot ("" for /) */
	char  root_link[PATH_MAX];/* where that root is in ours ("/" unless chrooted
				  * below our root; "" when hidden) */
	char  exe[PATH_MAX];     /* readlink of /proc/PID/exe, "" if hidden */
};

int ms_target_open(pid_t pid, struct ms_target *t, struct ms_err *e);

/* The target of a core file: no process (pid 0: nothing is looked up in
 * /proc), its files under sysroot (NULL or "/": our own root), its
 * executable exe (a path as the core names it, looked up under sysroot)
 * or exe_given (used as is; wins).  Returns 0, or -1 when sysroot is not
 * a directory. */
int ms_target_of_core(struct ms_target *t, const char *sysroot, const char *exe,
		      const char *exe_given, struct ms_err *e);

/* A path from the target's /proc/PID/maps, reachable from here even when
 * the target lives in another mount namespace or chroot.  The kernel prints
 * maps paths relative to the *reader's* root: for a target chrooted below
 * our root they carry the chroot's prefix (/srv/root/usr/lib/libc.so.6),
 * for one in another mount namespace they are its own (/usr/lib/...).
 * Either way the result goes through /proc/PID/root, never a host path. */
void ms_target_path(const struct ms_target *t, const char *path, char *out, size_t outlen);

/* The same for the file mapped at [start, end): /proc/PID/map_files/S-E when
 * it can be opened (root: it is the very inode mapped, even when the file
 * was since deleted or replaced, as after a package upgrade), otherwise
 * ms_target_path.  Returns 1 when map_files was used, 0 otherwise. */
int ms_target_mapped_path(const struct ms_target *t, uint64_t start, uint64_t end,
			  const char *path, char *out, size_t outlen);

/* 1 when process pid sees another filesystem than we do: its root is not
 * ours (chroot) or it lives in another mount namespace.  Tools run from
 * here on such a target (gdb) must be pointed at /proc/PID/root. */
int ms_pid_fs_foreign(pid_t pid);

/* Pure part of ms_target_path, for tests: root is "/proc/PID/root",
 * root_link where it points. */
void ms_root_relative(const char *root, const char *root_link, const char *path,
		      char *out, size_t outlen);

#endif

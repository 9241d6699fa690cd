/* A process under investigation: validated once, up front, so every step
 * fails the same clear way on a PID that is gone, a zombie, a kernel
 * thread or out of reach. */
#ifndef MS_TARGET_H
#define MS_TARGET_H

#include <limits.h>
#include <sys/types.h>
#include "records/status.h"
#include "util/err.h"

struct ms_target {
	pid_t pid;
	struct ms_status status;
	char  root[32];          /* "/proc/PID/root": its view of the filesystem */
	char  exe[PATH_MAX];     /* readlink of /proc/PID/exe, "" if hidden */
};

int ms_target_open(pid_t pid, struct ms_target *t, struct ms_err *e);

/* Path of a file as the target sees it, reachable from here even when the
 * target lives in another mount namespace or chroot. */
void ms_target_path(const struct ms_target *t, const char *path, char *out, size_t outlen);

#endif

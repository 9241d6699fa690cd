#include "util/trust.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];
	if (getpwuid_r(uid, &pw, tmp, sizeof tmp, &res) == 0 && res)
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "?");
	return buf;
}

/* One component of the canonical path; last: the file itself. */
static int component_ok(const char *path, const char *comp, const struct stat *st, int last,
			const char *way_out, struct ms_err *e)
{
	uid_t me = geteuid();
	int owner_ok = st->st_uid == me || st->st_uid == 0;
	int writable = (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
	/* /tmp: others add entries, but cannot replace ours (sticky, root's) */
	int sticky_root = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && st->st_uid == 0 && !last;
	if (owner_ok && (!writable || sticky_root))
		return 0;
	char who[64], reason[300];
	snprintf(reason, sizeof reason, "%s%s is owned by uid %u (%s) with mode %04o: %s could replace it, "
		 "so memsleuth does not %s", strcmp(path, comp) ? "" : "it", strcmp(path, comp) ? comp : "",
		 (unsigned)st->st_uid, user_name(st->st_uid, who, sizeof who),
		 (unsigned)(st->st_mode & 07777), !owner_ok ? "another user" : "group or others",
		 last ? "run or load it" : "use what it holds");
	return ms_err_set(e, 0, reason, way_out ? way_out
			  : "use a file in a directory owned by you or root and not writable by others",
			  "%s", path);
}

int ms_trust_check(const char *path, char *real, size_t reallen, const char *way_out, struct ms_err *e)
{
	char canon[PATH_MAX];
	if (!realpath(path, canon))
		return ms_err_set(e, errno, NULL, way_out, "%s", path);
	/* From / down: every directory holding it, then the file itself. */
	char prefix[PATH_MAX];
	size_t n = strlen(canon);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && canon[i] != '/')
			continue;
		if (i == 0) {
			snprintf(prefix, sizeof prefix, "/");
		} else {
			memcpy(prefix, canon, i);
			prefix[i] = 0;
		}
		struct stat st;
		if (lstat(prefix, &st) < 0)
			return ms_err_set(e, errno, NULL, way_out, "%s: %s", path, prefix);
		if (component_ok(path, prefix, &st, i == n, way_out, e) < 0)
			return -1;
		if (i == n)
			break;
	}
	if (real)
		snprintf(real, reallen, "%s", canon);
	return 0;
}

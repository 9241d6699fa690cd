#include "util/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const other_name = "choose a name in a directory of your own, or remove it first";

/* Can someone other than the user (and root) add or replace entries of
 * the directory holding path? */
static int dir_shared(const char *path)
{
	char copy[PATH_MAX], *dir;
	snprintf(copy, sizeof copy, "%s", path);
	dir = dirname(copy);
	struct stat st;
	if (stat(dir, &st) < 0)
		return 1;   /* cannot tell: assume the worst */
	return (st.st_mode & (S_IWGRP | S_IWOTH)) || (st.st_uid != geteuid() && st.st_uid != 0);
}

static int owned(const struct stat *st)
{
	return st->st_uid == geteuid() || st->st_uid == 0;
}

int ms_out_open(const char *path, enum ms_out_kind kind, struct ms_err *e)
{
	mode_t mode = kind == MS_OUT_PRIVATE ? 0600 : 0666;
	int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW;
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return ms_err_set(e, errno, NULL, NULL, "%s", path);
		int fd = open(path, flags | O_CREAT | O_EXCL, mode);
		if (fd < 0)
			return ms_err_set(e, errno, NULL, errno == EEXIST ? other_name : "choose a writable place",
					  "%s", path);
		return fd;
	}
	int shared = dir_shared(path);
	if (S_ISLNK(st.st_mode)) {
		if (shared || !owned(&st))
			return ms_err_set(e, 0, NULL, other_name,
					  "%s: a symbolic link %s (owner uid %u): not followed, so nothing it points "
					  "to is overwritten", path,
					  shared ? "in a directory others can write" : "of another user",
					  (unsigned)st.st_uid);
		flags &= ~O_NOFOLLOW;   /* the user's own link where only they write */
	} else if (S_ISREG(st.st_mode) && shared && st.st_uid != geteuid()) {
		return ms_err_set(e, 0, NULL, other_name,
				  "%s: an existing file of uid %u in a directory others can write: not replaced",
				  path, (unsigned)st.st_uid);
	}
	int fd = open(path, flags, mode);
	if (fd < 0)
		return ms_err_set(e, errno, NULL, errno == ELOOP ? other_name : "choose a writable place", "%s", path);
	/* what was opened, not what lstat saw: swapped in between by another user? */
	struct stat fs;
	if (fstat(fd, &fs) < 0 ||
	    (S_ISREG(fs.st_mode) && shared && (fs.st_nlink > 1 || fs.st_uid != geteuid()))) {
		close(fd);
		return ms_err_set(e, 0, "another user's file or one with other hard links, in a directory others "
				  "can write: not rewritten", other_name, "%s", path);
	}
	if (S_ISREG(fs.st_mode)) {
		if (ftruncate(fd, 0) < 0) {
			int err = errno;
			close(fd);
			return ms_err_set(e, err, NULL, NULL, "%s", path);
		}
		if (kind == MS_OUT_PRIVATE && fs.st_uid == geteuid())
			fchmod(fd, 0600);
	}
	return fd;
}

FILE *ms_out_fopen(const char *path, enum ms_out_kind kind, struct ms_err *e)
{
	int fd = ms_out_open(path, kind, e);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		ms_err_set(e, errno, NULL, NULL, "%s", path);
		close(fd);
	}
	return f;
}

int ms_out_dir(const char *path, struct ms_err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return ms_err_set(e, errno, NULL, NULL, "%s", path);
		if (mkdir(path, 0700) < 0)
			return ms_err_set(e, errno, NULL, "give a directory you can create", "%s", path);
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		char to[PATH_MAX];
		ssize_t n = readlink(path, to, sizeof to - 1);
		to[n > 0 ? n : 0] = 0;
		return ms_err_set(e, 0, NULL, "give the real directory, or a new name",
				  "%s: a symbolic link (to %s, owner uid %u): not followed, the recording goes only "
				  "into a real directory", path, to, (unsigned)st.st_uid);
	}
	if (!S_ISDIR(st.st_mode))
		return ms_err_set(e, ENOTDIR, NULL, "give a directory", "%s", path);
	if (!owned(&st) || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return ms_err_set(e, 0, NULL, "give a directory of your own (it is created 0700 when missing)",
				  "%s: owned by uid %u with mode %04o: others could replace the recording there",
				  path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	return 0;
}

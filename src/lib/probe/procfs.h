/* Reading /proc (and other pseudo files) whole: their size is unknown in
 * advance and a short read means nothing, so read until EOF with a cap. */
#ifndef MS_PROCFS_H
#define MS_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/err.h"

#define MS_READ_MAX (256u << 20)   /* smaps of a huge JVM stays far below */

/* Read a whole file into a NUL-terminated malloc'd buffer (caller frees).
 * Errors name the path; the hint depends on errno. */
int ms_read_file(const char *path, char **buf, size_t *len, size_t max,
		 struct ms_err *e);

/* /proc/PID/NAME */
int ms_proc_read(pid_t pid, const char *name, char **buf, size_t *len,
		 struct ms_err *e);

/* The process (Tgid) of thread tid, from /proc/TID/status: readable for
 * any live thread, not only the leaders /proc lists.  0 when the thread is
 * gone or the file unreadable. */
pid_t ms_proc_tgid(pid_t tid);

/* Read a small file holding one number (e.g. /proc/sys/...); -1 on error. */
int ms_read_u64_file(const char *path, unsigned long long *v);

/* Resident bytes of pid (0: ourselves) from /proc/PID/statm, 0 when gone
 * or a zombie.  open/read only, no malloc: the lab measures itself with it
 * without touching the heap it studies. */
uint64_t ms_statm_rss(pid_t pid);

/* How a process came to be, for what is said about rerunning it: whether
 * /proc/PID/cmdline is the argv it was started with, or a title the program
 * wrote over that argv (PostgreSQL backends "postgres: user db [local] idle",
 * nginx "nginx: worker process", sshd "sshd: root@pts/0", setproctitle in
 * Python and Ruby, Node's process.title).  No command starts a process of
 * the second kind: a setting goes into the environment of the process that
 * starts it, which it inherits (its parent: the postmaster, nginx's master). */
struct ms_proc_origin {
	int   title;             /* 1: its command line is a title (ms_cmdline_title) */
	char  text[160];         /* that title, NUL padding dropped ("" not a title) */
	char  why[320];          /* how it was told apart, in words ("" not a title) */
	pid_t parent;            /* PPid from /proc/PID/stat; 0 unknown */
	char  parent_exe[256];   /* readlink /proc/PARENT/exe; "" unreadable */
};

/* The command line of pid as a shell would take it back (arguments with
 * characters a shell interprets are single-quoted, an empty argument
 * between others is '') in buf, and its working directory in cwd (cwd_len
 * 0: not wanted).  NULs after the last argument (a title's padding) are no
 * arguments: never printed as ''.  -1 (buf "") when it is not readable,
 * empty (a kernel thread), does not fit, or is a title the program wrote
 * (no command starts it: origin says so, when wanted; NULL not wanted): the
 * caller says CMD, or where a setting goes. */
int ms_proc_command(pid_t pid, char *buf, size_t len, char *cwd, size_t cwd_len,
		    struct ms_proc_origin *origin);

/* What ms_cmdline_title knows of the executable a command line should name. */
struct ms_exe_view {
	const char *exe;       /* its path as the process sees it (readlink /proc/PID/exe, without
				  " (deleted)"); NULL unknown */
	const char *exe_file;  /* a path whose stat() is that file ("/proc/PID/exe"); NULL: root + exe */
	const char *root;      /* prefix that reaches the process's paths ("/proc/PID/root"); "" ours */
	const char *cwd;       /* its working directory reached from here ("/proc/PID/cwd"); NULL unknown */
};

/* Whether raw (/proc/PID/cmdline, n bytes) is a title the program wrote
 * over its argv rather than the argv it was started with.  A title when
 * argv[0] does not name the executable -- not the same file by path, by
 * a bare name found in the standard PATH directories (through symlinks:
 * /usr/bin/python3 -> python3.11), nor the same name (an interpreter's
 * "python3" for python3.11 included, a login shell's "-bash") -- and
 * something no exec'd argv has: NULs padding the end (PostgreSQL, nginx
 * and setproctitle pad the area they overwrote), ": " or a space in
 * argv[0].  With the executable unknown, only ": " in argv[0] with NUL
 * padding.  Returns 1 (why: the reason in words) or 0 (why ""). */
int ms_cmdline_title(const char *raw, size_t n, const struct ms_exe_view *v, char *why, size_t len);

/* Parse a PID argument: decimal, > 0, fits pid_t. */
int ms_pid_parse(const char *s, pid_t *pid, struct ms_err *e);

#endif

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

/* The command line of pid as a shell would take it back (arguments with
 * characters a shell interprets are single-quoted) in buf, and its working
 * directory in cwd (cwd_len 0: not wanted).  -1 (buf "") when it is not
 * readable, empty (a kernel thread) or does not fit: the caller says CMD. */
int ms_proc_command(pid_t pid, char *buf, size_t len, char *cwd, size_t cwd_len);

/* Parse a PID argument: decimal, > 0, fits pid_t. */
int ms_pid_parse(const char *s, pid_t *pid, struct ms_err *e);

#endif

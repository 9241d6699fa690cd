/* Creating the files the user asks for (--folded FILE, guide --report,
 * msreport -o, hotspots --output DIR, a Prometheus textfile) safely, also
 * as root in a directory others can write such as /tmp:
 *  - a new file is created with O_CREAT|O_EXCL|O_NOFOLLOW: a name planted
 *    by someone else at the last moment is never followed or truncated;
 *  - an existing symbolic link is refused (one line) when someone else
 *    could have planted it: the directory holding it is writable by group
 *    or others, or the link is not the user's or root's (so /dev/stdout or
 *    the user's own link in their home still work);
 *  - an existing regular file is rewritten only when the user owns it or
 *    the directory is not writable by others; it is opened O_NOFOLLOW, and
 *    checked after opening (a regular file with one link);
 *  - devices and FIFOs (/dev/null, a pipe) are written as they are.
 * MS_OUT_PRIVATE files (logs, recordings, what only the user reads) are
 * 0600; MS_OUT_SHARED files (an HTML report, a textfile node_exporter
 * reads as its own user) are 0666 minus the umask. */
#ifndef MS_OUTFILE_H
#define MS_OUTFILE_H

#include <stdio.h>

#include "util/err.h"

enum ms_out_kind { MS_OUT_PRIVATE, MS_OUT_SHARED };

/* Open path for writing from its start; returns a descriptor (O_CLOEXEC)
 * or -1 with e set to "PATH: REASON" and the way out. */
int   ms_out_open(const char *path, enum ms_out_kind kind, struct ms_err *e);
/* The same as a stdio stream ("w"); NULL with e set. */
FILE *ms_out_fopen(const char *path, enum ms_out_kind kind, struct ms_err *e);

/* A directory to write into (hotspots --output DIR): created 0700 when
 * missing; an existing one must be a real directory (not a symbolic link),
 * owned by the user or root and not writable by others.  Returns 0, or -1
 * with e naming the real reason. */
int   ms_out_dir(const char *path, struct ms_err *e);

#endif

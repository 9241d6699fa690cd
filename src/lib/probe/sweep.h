/* What the kernel and the file system keep after a memsleuth run is gone
 * (SIGKILL, OOM, power cut of the session): tracefs instances it created
 * (instances/memsleuth-PID-RANDOM), stapbpf's uprobe events (stapprobe_*)
 * when no stapbpf process is alive, and its temporary directories
 * ($TMPDIR/memsleuth-KIND.PID.RANDOM).  Each names the PID of the run that
 * made it, so a leftover is recognised by that process being gone.  The
 * run's guard (util/subproc.h) sweeps right after memsleuth dies; the next
 * step that uses such things and `doctor` sweep what is left and say so. */
#ifndef MS_SWEEP_H
#define MS_SWEEP_H

#include <stddef.h>
#include <stdio.h>

#include "util/err.h"

/* A private (0700) directory $TMPDIR/memsleuth-KIND.PID.XXXXXX (TMPDIR
 * default /tmp).  Returns 0 with its path in out, -1 with e set. */
int ms_tmpdir_make(const char *kind, char *out, size_t len, struct ms_err *e);
/* Remove a directory tree we made, never following a symlink. */
void ms_tmpdir_remove(const char *dir);
/* $TMPDIR, or /tmp when it is unset or empty: where every temporary file
 * and directory of memsleuth goes. */
const char *ms_tmp_root(void);
/* An anonymous temporary file in ms_tmp_root() (tmpfile(3) ignores
 * TMPDIR), open for reading and writing; NULL with errno set. */
FILE *ms_tmpfile(void);

/* Whether the process pid is gone: no such process, or a zombie (killed,
 * not yet reaped).  1 yes, 0 alive or unsure. */
int ms_pid_gone(long pid);

/* Remove every leftover of a memsleuth run that is gone; each removal is
 * one line "PROG: removed ..." on say (NULL: quietly).  Also starts the
 * guard of this run (util/subproc.h), armed to do the same the moment
 * this run ends.  Returns how many
 * leftovers were removed. */
int ms_sweep_stale(const char *prog, FILE *say);

#endif

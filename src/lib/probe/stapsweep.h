/* What `memsleuth stap` leaves nowhere: the process table as the stap
 * runner reads it (stap's own processes, its -c command) and the sweep of
 * what a killed run left (its stap, work directory, uprobe events). */
#ifndef MS_STAPSWEEP_H
#define MS_STAPSWEEP_H

#include <stddef.h>
#include <sys/types.h>

/* Work directories: $TMPDIR/memsleuth-stap.PID.XXXXXX (probe/sweep.h), PID the memsleuth. */
#define MS_STAP_DIR_PREFIX "memsleuth-stap."

/* /proc/PID/comm, "" when the process is gone. */
void  ms_stapproc_comm(pid_t pid, char *out, size_t len);
/* stap, stapbpf, staprun, stapio. */
int   ms_stapproc_is_tool(const char *comm);
/* Parent and state letter from /proc/PID/stat; -1 when gone. */
int   ms_stapproc_stat(pid_t pid, pid_t *ppid, char *state);
/* match(pid, arg) for every process until it returns non-zero: that pid,
 * or 0 when none did. */
pid_t ms_stapproc_scan(int (*match)(pid_t pid, void *arg), void *arg);

/* Remove a directory tree, never following symlinks (nftw FTW_PHYS). */
void  ms_stap_remove_tree(const char *dir);

/* End what a killed memsleuth left: the stap processes of a work
 * directory whose PID is no longer a memsleuth (named in their TMPDIR or
 * arguments) get SIGTERM (stapbpf then removes its uprobes), SIGKILL 10 s
 * later; the directories are removed; stap uprobe events
 * (uprobes/stapprobe_*) are removed when no stapbpf runs at all.  Writes
 * a one-line summary into what ("" when nothing was left). */
void  ms_stap_sweep(char *what, size_t len);

#endif

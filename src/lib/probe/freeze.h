/* Freezing a target for an exact snapshot: PTRACE_SEIZE + PTRACE_INTERRUPT
 * of every thread, then PTRACE_DETACH, which resumes them.  The target is
 * resumed on every way out: ms_freeze_thaw, exit (atexit), and SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT (handlers installed while frozen, which detach
 * with async-signal-safe syscalls and then re-raise).  If we are killed
 * with SIGKILL the kernel detaches and resumes the threads itself. */
#ifndef MS_FREEZE_H
#define MS_FREEZE_H

#include <stdint.h>
#include <sys/types.h>
#include "util/err.h"

#define MS_FREEZE_MAX_THREADS 8192

/* Stop every thread of pid.  Returns 0, or -1 with e set and nothing
 * left stopped.  Only one process is frozen at a time. */
int  ms_freeze(pid_t pid, struct ms_err *e);
/* Resume everything frozen; safe to call when nothing is.  Returns the
 * number of threads that were resumed. */
int  ms_freeze_thaw(void);
/* A held thread's thread pointer (x86-64 fs_base, PTRACE_GETREGS): the
 * base its static TLS lies below.  0, or -1 when tid is not held (or not
 * x86-64). */
int  ms_freeze_fs_base(pid_t tid, uint64_t *fs_base);

#endif

/* Calling a function inside a live process through ptrace, on one of its
 * threads, the way a debugger's "call" does, but with nothing else stopped
 * and the whole register state put back.
 *
 * Why not gdb: Debian 12's gdb 13 cannot write the x86 extended register
 * state back on CPUs with AMX (the kernel takes NT_X86_XSTATE only at its
 * full size, fpu_user_cfg.max_size, and gdb sends a smaller buffer):
 * "Couldn't write extended state status: Bad address", after the call has
 * already run.  Here the state is saved and restored at the size the
 * kernel itself reports.  x86-64 only.
 *
 * What it does, in order: PTRACE_SEIZE + PTRACE_INTERRUPT one thread (a
 * thread blocked in a system call is preferred: at a call boundary the
 * System V ABI treats every vector register as clobbered, so even the
 * extended state matters little there); save the general registers and
 * the extended state; set up a call frame below the red zone whose return
 * address is 0; PTRACE_CONT; the function's return faults at address 0,
 * which ends the call (the SIGSEGV is never delivered); restore both
 * register sets (orig_rax included, so an interrupted system call restarts
 * as the kernel intended) and detach.  The other threads never stop, so a
 * lock one of them holds is released as usual.
 *
 * Abandoning a call (timeout, SIGINT): only where it is safe, that is
 * while the calling thread waits in futex(2) (glibc's locks; malloc_trim
 * holds no arena lock while it waits for one); elsewhere the call runs on
 * until it returns or reaches such a wait. */
#ifndef MS_PTCALL_H
#define MS_PTCALL_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/err.h"

struct ms_ptcall {
	pid_t    tid;           /* the thread that made the call */
	int      in_syscall;    /* it was blocked in a system call (the preferred case) */
	int      called;        /* the function returned */
	uint64_t ret;           /* its return value (rax) */
	int      abandoned;     /* timeout/interrupt: unwound at a futex wait */
	int      xstate_restored; /* the extended state was written back */
	size_t   xstate_bytes;  /* its size as the kernel reports it */
	double   seconds;       /* wall time of the call */
};

/* Call fn(args[0], ..., args[nargs - 1]) (integer arguments, nargs <= 6)
 * in process pid.  timeout_ms bounds the wait before an abandon is tried;
 * *interrupted (may be NULL) set by a signal handler does the same.
 * Returns 0 when the function returned (out->ret), -1 with e set
 * otherwise (not permitted, the process exited, the call was abandoned or
 * faulted: out says which).  The target is detached on every path. */
int ms_ptrace_call(pid_t pid, uint64_t fn, const uint64_t *args, int nargs,
		   int timeout_ms, volatile sig_atomic_t *interrupted,
		   struct ms_ptcall *out, struct ms_err *e);

#endif

/* The threads of a process: TID, name, and -- when the thread sits in a
 * system call -- its stack pointer from /proc/PID/task/TID/syscall.  The
 * stack pointer tells which mapping is that thread's stack without
 * stopping anything. */
#ifndef MS_TASKS_H
#define MS_TASKS_H

#include <stdint.h>
#include <sys/types.h>

struct ms_thread {
	pid_t    tid;
	char     name[32];
	uint64_t sp;
	int      sp_known;   /* blocked in a syscall and readable */
	uint64_t fs_base;    /* thread pointer (x86-64), where registers come
			      * free (a core's NT_PRSTATUS) */
	int      regs_known; /* fs_base from registers: a core's saved ones (sp
			      * too), a frozen thread's (probe/freeze.h) */
};

struct ms_threads {
	struct ms_thread *v;
	size_t n;
};

/* At most `max` threads (bounded: a runaway process may have 100k). */
int  ms_threads_list(pid_t pid, size_t max, struct ms_threads *out);
void ms_threads_free(struct ms_threads *t);
const struct ms_thread *ms_threads_find(const struct ms_threads *t, pid_t tid);

/* Parse the text of /proc/PID/task/TID/syscall: "nr a1..a6 sp pc".
 * Returns 0 and sets *sp when the thread is in a syscall. */
int  ms_syscall_sp_parse(const char *buf, uint64_t *sp);

#endif

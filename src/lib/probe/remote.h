/* Reading another process's memory, read-only.  process_vm_readv with many
 * iovecs per call (batched), falling back to pread on /proc/PID/mem when
 * the kernel refuses it.  A read never stops or modifies the target. */
#ifndef MS_REMOTE_H
#define MS_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/err.h"

struct ms_remote {
	pid_t pid;
	int   mem_fd;       /* /proc/PID/mem, opened lazily on fallback; -1 */
	int   no_vm_readv;  /* process_vm_readv returned ENOSYS/EPERM once */
};

struct ms_remote_span {
	uint64_t addr;
	void    *buf;
	size_t   len;
	size_t   got;       /* out: bytes read (a short read means unmapped) */
};

int  ms_remote_open(struct ms_remote *r, pid_t pid, struct ms_err *e);
void ms_remote_close(struct ms_remote *r);

/* Read len bytes at addr.  Returns bytes read (may be short at an unmapped
 * page), or -1 with errno. */
ssize_t ms_remote_read(struct ms_remote *r, uint64_t addr, void *buf, size_t len);

/* Read len bytes exactly; 0 or -1. */
int ms_remote_read_exact(struct ms_remote *r, uint64_t addr, void *buf, size_t len);

/* Many reads in as few syscalls as possible.  Returns 0 when every span
 * was attempted (check .got), -1 when the target is gone or forbidden. */
int ms_remote_readv(struct ms_remote *r, struct ms_remote_span *spans, size_t n);

#endif

/* The memory image of a target: one interface to read its memory, ask
 * which pages were resident, list its mappings and its threads, whatever
 * holds that memory -- a live process (process_vm_readv, pagemap, /proc;
 * probe/image_live.c), an ELF core file (PT_LOAD, NT_FILE, NT_PRSTATUS;
 * probe/image_core.c) or a byte buffer (unit tests, fuzzing;
 * probe/image_buf.c).  Everything in findings/ reads a target only
 * through it.  (The type keeps its historical name, ms_remote: to the
 * reader every image is remote memory.)
 *
 * Reads are read-only and never stop or modify a live target.  Registers
 * are given only where they come free (a core's NT_PRSTATUS): a live
 * target is never stopped to read them. */
#ifndef MS_REMOTE_H
#define MS_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/err.h"

struct ms_maps;
struct ms_resmap;
struct ms_threads;
struct ms_remote;

/* What the image can say about residency (ms_resmap_add). */
enum ms_residency {
	MS_RES_NONE,        /* nothing (pagemap unreadable): every page outside the map */
	MS_RES_EXACT,       /* exact: a live process's pagemap, a buffer's regions */
	MS_RES_CORE_HOLES,  /* approximate: a kernel-written core leaves pages that were
			     * never present as holes; swapped pages were written (resident) */
	MS_RES_UNKNOWN,     /* a core with every page written (gdb's gcore): unknown,
			     * counted as resident (an upper bound) */
};
const char *ms_residency_name(int r);

struct ms_remote_ops {
	const char *kind;   /* "process", "core", "buffer" */
	/* len bytes at addr: bytes read (short at a page that is not there), -1 with errno */
	ssize_t (*read)(struct ms_remote *r, uint64_t addr, void *buf, size_t len);
	/* record the page states of [start, end) in m (probe/resmap.h) */
	int     (*residency)(struct ms_remote *r, struct ms_resmap *m, uint64_t start, uint64_t end);
	int     (*maps)(struct ms_remote *r, struct ms_maps *out, struct ms_err *e);
	int     (*threads)(struct ms_remote *r, size_t max, struct ms_threads *out);
	void    (*close)(struct ms_remote *r);
};

struct ms_remote {
	const struct ms_remote_ops *ops;
	void    *impl;      /* the implementation's state */
	pid_t    pid;       /* live: the process; core: the pid it records; buffer: 0 */
	uint64_t page;      /* the target's page size */
	int      residency; /* enum ms_residency */
};

/* A live process.  Probes access now so that the caller gets one clear
 * error up front (ESRCH, EPERM with the way out). */
int  ms_remote_open(struct ms_remote *r, pid_t pid, struct ms_err *e);

/* A byte buffer: regions of memory at target addresses (not copied: they
 * must outlive r), the mappings to report (copied; NULL for none).  Every
 * page of a region counts as present. */
struct ms_remote_region {
	uint64_t addr;
	const void *bytes;
	size_t   len;
};
int  ms_remote_open_buf(struct ms_remote *r, const struct ms_remote_region *v, size_t n,
			const struct ms_maps *maps, struct ms_err *e);

void ms_remote_close(struct ms_remote *r);

/* Read len bytes at addr.  Returns bytes read (may be short at an unmapped
 * page), or -1 with errno (ESRCH: the process is gone). */
ssize_t ms_remote_read(struct ms_remote *r, uint64_t addr, void *buf, size_t len);

/* Read len bytes exactly; 0 or -1 (errno EFAULT when short). */
int ms_remote_read_exact(struct ms_remote *r, uint64_t addr, void *buf, size_t len);


/* The target's mappings, sorted (caller frees with ms_maps_free).  Live:
 * /proc/PID/maps now; core: its PT_LOAD segments named from NT_FILE. */
int ms_remote_maps(struct ms_remote *r, struct ms_maps *out, struct ms_err *e);

/* At most max threads (caller frees with ms_threads_free).  Live: from
 * /proc (stack pointers of threads blocked in a syscall); core: from
 * NT_PRSTATUS (stack pointer and fs_base of every thread). */
int ms_remote_threads(struct ms_remote *r, size_t max, struct ms_threads *out);

#endif

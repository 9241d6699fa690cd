/* The memory image of a live process: process_vm_readv, falling back
 * to pread on /proc/PID/mem when the kernel refuses it; residency from /proc/PID/pagemap (opened on the
 * first question); mappings and threads from /proc.  Nothing here stops
 * or modifies the target. */
#include "probe/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "probe/freeze.h"
#include "probe/pagemap.h"
#include "probe/procfs.h"
#include "probe/resmap.h"
#include "probe/tasks.h"
#include "records/maps.h"


struct live {
	int   mem_fd;       /* /proc/PID/mem */
	int   no_vm_readv;  /* process_vm_readv returned ENOSYS/EPERM once */
	int   pm_tried;
	struct ms_pagemap *pm;  /* NULL until asked, or when unreadable */
};

static ssize_t pread_all(int fd, uint64_t addr, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(addr + got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (got)
				break;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static ssize_t live_read(struct ms_remote *r, uint64_t addr, void *buf, size_t len)
{
	struct live *l = r->impl;
	if (!l->no_vm_readv) {
		struct iovec local = { buf, len };
		struct iovec remote = { (void *)(uintptr_t)addr, len };
		ssize_t n = process_vm_readv(r->pid, &local, 1, &remote, 1, 0);
		if (n >= 0)
			return n;
		if (errno == ESRCH)
			return -1;
		if (errno == EFAULT)
			return 0;
		if (errno != ENOSYS && errno != EPERM)
			return -1;
		l->no_vm_readv = 1;
	}
	if (l->mem_fd < 0) {
		errno = EBADF;
		return -1;
	}
	ssize_t n = pread_all(l->mem_fd, addr, buf, len);
	if (n < 0 && (errno == EIO || errno == EFAULT))
		return 0;
	return n;
}

/* pagemap entries -> page states, one page at a time (the pagemap reader
 * windows its preads). */
static int live_residency(struct ms_remote *r, struct ms_resmap *m, uint64_t start, uint64_t end)
{
	struct live *l = r->impl;
	if (!l->pm_tried) {
		l->pm_tried = 1;
		struct ms_err e;
		l->pm = malloc(sizeof *l->pm);
		if (l->pm && ms_pagemap_open(l->pm, r->pid, &e) < 0) {
			free(l->pm);
			l->pm = NULL;
		}
		if (!l->pm) {
			r->residency = MS_RES_NONE;
			return 0;
		}
	}
	if (!l->pm)
		return 0;
	uint64_t pg = l->pm->page;
	for (uint64_t a = start & ~(pg - 1); a < end; a += pg) {
		uint64_t e = ms_pagemap_entry(l->pm, a / pg, (end - 1) / pg);
		int state = ms_pagemap_is_zero(l->pm, e) ? MS_PAGE_ZERO :
			    (e >> 63) & 1 ? MS_PAGE_PRESENT : (e >> 62) & 1 ? MS_PAGE_SWAPPED : MS_PAGE_ABSENT;
		if (ms_resmap_push(m, a, a + pg, state) < 0)
			return -1;
	}
	return 0;
}

static int live_maps(struct ms_remote *r, struct ms_maps *out, struct ms_err *e)
{
	char *buf;
	size_t len;
	memset(out, 0, sizeof *out);
	if (ms_proc_read(r->pid, "maps", &buf, &len, e) < 0)
		return -1;
	int rc = ms_maps_parse(buf, len, out, e);
	free(buf);
	return rc;
}

/* Threads from /proc; a frozen thread's fs_base from its registers
 * (reading them needs it stopped: probe/freeze.h). */
static int live_threads(struct ms_remote *r, size_t max, struct ms_threads *out)
{
	int rc = ms_threads_list(r->pid, max, out);
	for (size_t i = 0; rc == 0 && i < out->n; i++)
		if (ms_freeze_fs_base(out->v[i].tid, &out->v[i].fs_base) == 0)
			out->v[i].regs_known = 1;
	return rc;
}

static void live_close(struct ms_remote *r)
{
	struct live *l = r->impl;
	if (!l)
		return;
	if (l->mem_fd >= 0)
		close(l->mem_fd);
	if (l->pm) {
		ms_pagemap_close(l->pm);
		free(l->pm);
	}
	free(l);
}

static const struct ms_remote_ops live_ops = {
	.kind = "process", .read = live_read, .residency = live_residency,
	.maps = live_maps, .threads = live_threads, .close = live_close,
};

int ms_remote_open(struct ms_remote *r, pid_t pid, struct ms_err *e)
{
	memset(r, 0, sizeof *r);
	/* Probe access now so that the caller gets one clear error up front. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		if (err == ENOENT)
			return ms_err_set(e, ESRCH, NULL, "check the PID with ps",
					  "process %d", (int)pid);
		return ms_err_set(e, err, NULL,
				  "run as root or as the process owner; check /proc/sys/kernel/yama/ptrace_scope",
				  "reading memory of process %d", (int)pid);
	}
	struct live *l = calloc(1, sizeof *l);
	if (!l) {
		close(fd);
		return ms_err_set(e, ENOMEM, NULL, NULL, "reading memory of process %d", (int)pid);
	}
	l->mem_fd = fd;
	r->ops = &live_ops;
	r->impl = l;
	r->pid = pid;
	r->page = (uint64_t)sysconf(_SC_PAGESIZE);
	r->residency = MS_RES_EXACT;
	return 0;
}

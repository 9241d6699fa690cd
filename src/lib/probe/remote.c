#include "probe/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

int ms_remote_open(struct ms_remote *r, pid_t pid, struct ms_err *e)
{
	r->pid = pid;
	r->mem_fd = -1;
	r->no_vm_readv = 0;
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
	r->mem_fd = fd;
	return 0;
}

void ms_remote_close(struct ms_remote *r)
{
	if (r->mem_fd >= 0)
		close(r->mem_fd);
	r->mem_fd = -1;
}

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

ssize_t ms_remote_read(struct ms_remote *r, uint64_t addr, void *buf, size_t len)
{
	if (!r->no_vm_readv) {
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
		r->no_vm_readv = 1;
	}
	if (r->mem_fd < 0) {
		errno = EBADF;
		return -1;
	}
	ssize_t n = pread_all(r->mem_fd, addr, buf, len);
	if (n < 0 && (errno == EIO || errno == EFAULT))
		return 0;
	return n;
}

int ms_remote_read_exact(struct ms_remote *r, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = ms_remote_read(r, addr, buf, len);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

int ms_remote_readv(struct ms_remote *r, struct ms_remote_span *s, size_t n)
{
	struct iovec local[IOV_MAX], remote[IOV_MAX];
	size_t i = 0;
	while (i < n) {
		size_t k = 0;
		for (; k < IOV_MAX && i + k < n; k++) {
			local[k].iov_base = s[i + k].buf;
			local[k].iov_len = s[i + k].len;
			remote[k].iov_base = (void *)(uintptr_t)s[i + k].addr;
			remote[k].iov_len = s[i + k].len;
			s[i + k].got = 0;
		}
		ssize_t got = r->no_vm_readv ? -1 :
			process_vm_readv(r->pid, local, (unsigned long)k, remote, (unsigned long)k, 0);
		if (got < 0 && errno == ESRCH)
			return -1;
		if (got < 0 && !r->no_vm_readv && errno != EFAULT && errno != ENOSYS && errno != EPERM)
			return -1;
		if (got < 0 && (errno == ENOSYS || errno == EPERM))
			r->no_vm_readv = 1;
		/* Spans are filled in order; a short total means the span where it
		 * stopped hit an unmapped page.  Retry that span alone and go on. */
		size_t left = got > 0 ? (size_t)got : 0, done = 0;
		for (; done < k && left >= s[i + done].len; done++) {
			s[i + done].got = s[i + done].len;
			left -= s[i + done].len;
		}
		if (done == k) {
			i += k;
			continue;
		}
		ssize_t one = ms_remote_read(r, s[i + done].addr, s[i + done].buf, s[i + done].len);
		if (one < 0)
			return -1;
		s[i + done].got = (size_t)one;
		i += done + 1;
	}
	return 0;
}

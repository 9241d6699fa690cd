#include "probe/procfs.h"
#include "records/status.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *hint_for(int err)
{
	switch (err) {
	case ENOENT: case ESRCH: return "check the PID with ps; the process may have exited";
	case EACCES: case EPERM: return "run as root or as the process owner; check /proc/sys/kernel/yama/ptrace_scope";
	default: return NULL;
	}
}

int ms_read_file(const char *path, char **bufp, size_t *lenp, size_t max,
		 struct ms_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ms_err_set(e, errno, NULL, hint_for(errno), "%s", path);
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return ms_err_set(e, ENOMEM, NULL, NULL, "%s", path);
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= max) {
				free(buf);
				close(fd);
				return ms_err_set(e, EFBIG, NULL, NULL, "%s", path);
			}
			cap *= 2;
			char *n = realloc(buf, cap);
			if (!n) {
				free(buf);
				close(fd);
				return ms_err_set(e, ENOMEM, NULL, NULL, "%s", path);
			}
			buf = n;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;
			free(buf);
			close(fd);
			return ms_err_set(e, err, NULL, hint_for(err), "%s", path);
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = 0;
	*bufp = buf;
	if (lenp)
		*lenp = len;
	return 0;
}

int ms_proc_read(pid_t pid, const char *name, char **buf, size_t *len,
		 struct ms_err *e)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	return ms_read_file(path, buf, len, MS_READ_MAX, e);
}

pid_t ms_proc_tgid(pid_t tid)
{
	char path[48], *buf = NULL;
	size_t len = 0;
	struct ms_status st;
	pid_t tgid = 0;
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	if (tid > 0 && ms_read_file(path, &buf, &len, 1 << 16, NULL) == 0
	    && ms_status_parse(buf, len, &st) == 0 && st.tgid > 0)
		tgid = st.tgid;
	free(buf);
	return tgid;
}

int ms_proc_command(pid_t pid, char *buf, size_t len, char *cwd, size_t cwd_len)
{
	char *raw;
	size_t n = 0, o = 0;
	if (!len)
		return -1;
	buf[0] = 0;
	if (cwd_len) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/cwd", (int)pid);
		ssize_t l = readlink(path, cwd, cwd_len - 1);
		cwd[l > 0 ? l : 0] = 0;
	}
	if (ms_proc_read(pid, "cmdline", &raw, &n, NULL) < 0)
		return -1;
	int fits = n > 0;
	for (size_t i = 0; i < n && fits;) {
		const char *arg = raw + i;
		size_t al = strnlen(arg, n - i);
		int plain = al > 0;
		for (size_t k = 0; k < al; k++)
			plain &= strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%",
					arg[k]) != NULL;
		if (o && o < len)
			buf[o++] = ' ';
		if (!plain && o < len)
			buf[o++] = '\'';
		for (size_t k = 0; k < al && o < len; k++) {
			if (arg[k] == '\'' && !plain) {   /* ' -> '\'' */
				o += (size_t)snprintf(buf + o, len - o, "'\\''");
				continue;
			}
			buf[o++] = arg[k];
		}
		if (!plain && o < len)
			buf[o++] = '\'';
		fits = o < len;
		i += al + 1;
	}
	free(raw);
	if (!fits) {
		buf[0] = 0;
		return -1;
	}
	buf[o] = 0;
	return 0;
}

int ms_read_u64_file(const char *path, unsigned long long *v)
{
	char *buf;
	if (ms_read_file(path, &buf, NULL, 4096, NULL) < 0)
		return -1;
	char *end;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	int ok = errno == 0 && end != buf;
	free(buf);
	return ok ? 0 : -1;
}

int ms_pid_parse(const char *s, pid_t *pid, struct ms_err *e)
{
	if (!s || !*s)
		return ms_err_set(e, 0, "empty", "give a process ID, e.g. $(pidof NAME)", "PID");
	long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return ms_err_set(e, 0, "not a process ID (digits only)",
					  "give a process ID, e.g. $(pidof NAME)", "PID '%s'", s);
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return ms_err_set(e, 0, "too large for a process ID",
					  "see /proc/sys/kernel/pid_max", "PID '%s'", s);
	}
	if (v <= 0)
		return ms_err_set(e, 0, "must be greater than 0",
				  "give a process ID, e.g. $(pidof NAME)", "PID '%s'", s);
	*pid = (pid_t)v;
	return 0;
}

uint64_t ms_statm_rss(pid_t pid)
{
	char path[48], buf[128];
	if (pid > 0)
		snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	else
		snprintf(path, sizeof path, "/proc/self/statm");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strchr(buf, ' ');
	return p ? strtoull(p + 1, NULL, 10) * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

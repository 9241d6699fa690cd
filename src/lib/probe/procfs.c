#include "probe/procfs.h"
#include "records/status.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The standard PATH: a bare argv[0] is looked up there (the target's own
 * PATH may be gone with the environment a title overwrote). */
static const char *const std_path[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int same_file(const char *a, const struct stat *exe)
{
	struct stat st;
	return stat(a, &st) == 0 && st.st_dev == exe->st_dev && st.st_ino == exe->st_ino;
}

/* argv[0] names the executable: the same name (an interpreter's "python3"
 * for python3.11: the name then only digits and dots), or the same file
 * by its path or found in PATH (symlinks and hard links followed). */
static int names_exe(const char *a0, const struct ms_exe_view *v)
{
	if (*a0 == '-')
		a0++;   /* a login shell's "-bash" */
	const char *b = base_of(a0), *eb = base_of(v->exe);
	size_t bl = strlen(b);
	if (!bl)
		return 0;
	if (!strncmp(b, eb, bl) && strspn(eb + bl, "0123456789.") == strlen(eb + bl))
		return 1;
	struct stat exe;
	char path[PATH_MAX + 64];
	const char *root = v->root ? v->root : "";
	if (v->exe_file)
		snprintf(path, sizeof path, "%s", v->exe_file);
	else
		snprintf(path, sizeof path, "%s%s", root, v->exe);
	if (stat(path, &exe) < 0)
		return 0;
	if (a0[0] == '/')
		return snprintf(path, sizeof path, "%s%s", root, a0) < (int)sizeof path && same_file(path, &exe);
	if (strchr(a0, '/'))
		return v->cwd && snprintf(path, sizeof path, "%s/%s", v->cwd, a0) < (int)sizeof path &&
		       same_file(path, &exe);
	for (size_t i = 0; i < sizeof std_path / sizeof std_path[0]; i++)
		if (snprintf(path, sizeof path, "%s%s/%s", root, std_path[i], a0) < (int)sizeof path &&
		    same_file(path, &exe))
			return 1;
	return 0;
}

int ms_cmdline_title(const char *raw, size_t n, const struct ms_exe_view *v, char *why, size_t len)
{
	if (len)
		why[0] = 0;
	size_t end = n;   /* after the last argument's NUL */
	while (end > 1 && !raw[end - 1] && !raw[end - 2])
		end--;
	if (!n || !raw[0])
		return 0;
	size_t pad = n > end ? n - end : 0;
	const char *a0 = raw;
	size_t a0l = strnlen(raw, n);
	char arg0[128];
	snprintf(arg0, sizeof arg0, "%.*s", (int)(a0l < sizeof arg0 - 4 ? a0l : sizeof arg0 - 4), a0);
	if (a0l >= sizeof arg0 - 4)
		strcat(arg0, "...");
	char a0z[PATH_MAX];
	if (a0l >= sizeof a0z)
		a0l = sizeof a0z - 1;
	memcpy(a0z, a0, a0l);
	a0z[a0l] = 0;
	int colon = strstr(a0z, ": ") != NULL, space = strchr(a0z, ' ') != NULL;
	int title;
	if (v && v->exe && v->exe[0])
		title = !names_exe(a0z, v) && (colon || space || pad);
	else
		title = colon && pad;
	if (!title || !len)
		return title;
	int known = v && v->exe && v->exe[0];
	char pads[64] = "";
	if (pad)
		snprintf(pads, sizeof pads, "%zu NUL byte%s pad its end", pad, pad == 1 ? "" : "s");
	const char *mark = colon ? "holds ': '" : space ? "holds a space" : "";
	snprintf(why, len, "argv[0] '%s'%s%s%s%s%s%s: a title the program wrote over its arguments, not a command "
		 "that starts it", arg0, known ? " does not name its executable " : "", known ? v->exe : "",
		 *mark ? (known ? (pad ? ", " : " and ") : " ") : "", mark, pad ? " and " : "", pads);
	return 1;
}

/* The parent of pid and its executable, from /proc/PID/stat's 4th field
 * (after the last ')': comm may hold any character). */
static void parent_of(pid_t pid, struct ms_proc_origin *o)
{
	char path[64], *st = NULL;
	size_t n = 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (ms_read_file(path, &st, &n, 1 << 16, NULL) < 0)
		return;
	const char *p = strrchr(st, ')');
	int ppid = 0;
	if (p && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid > 0) {
		o->parent = (pid_t)ppid;
		snprintf(path, sizeof path, "/proc/%d/exe", ppid);
		ssize_t l = readlink(path, o->parent_exe, sizeof o->parent_exe - 1);
		o->parent_exe[l > 0 ? l : 0] = 0;
	}
	free(st);
}

/* Whether pid's command line (raw, n bytes) is a title: origin filled. */
static int origin_of(pid_t pid, const char *raw, size_t n, struct ms_proc_origin *o)
{
	char exe[PATH_MAX], exe_file[64], root[64], cwd[64];
	snprintf(exe_file, sizeof exe_file, "/proc/%d/exe", (int)pid);
	snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
	snprintf(cwd, sizeof cwd, "/proc/%d/cwd", (int)pid);
	ssize_t l = readlink(exe_file, exe, sizeof exe - 1);
	exe[l > 0 ? l : 0] = 0;
	size_t el = strlen(exe);
	if (el > 10 && !strcmp(exe + el - 10, " (deleted)"))
		exe[el - 10] = 0;   /* the file replaced since: its inode is still /proc/PID/exe's */
	struct ms_exe_view v = { .exe = exe[0] ? exe : NULL, .exe_file = exe_file, .root = root, .cwd = cwd };
	memset(o, 0, sizeof *o);
	if (!ms_cmdline_title(raw, n, &v, o->why, sizeof o->why))
		return 0;
	o->title = 1;
	size_t tl = strnlen(raw, n);
	snprintf(o->text, sizeof o->text, "%.*s", (int)(tl < sizeof o->text ? tl : sizeof o->text - 1), raw);
	parent_of(pid, o);
	return 1;
}

int ms_proc_command(pid_t pid, char *buf, size_t len, char *cwd, size_t cwd_len, struct ms_proc_origin *origin)
{
	char *raw;
	size_t n = 0, o = 0;
	struct ms_proc_origin own;
	if (!origin)
		origin = &own;
	memset(origin, 0, sizeof *origin);
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
	if (origin_of(pid, raw, n, origin)) {
		free(raw);
		return -1;
	}
	/* NULs after the last argument's are padding, not empty arguments */
	while (n > 1 && !raw[n - 1] && !raw[n - 2])
		n--;
	int fits = n > 0 && raw[0];
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

#include "probe/selfcheck.h"
#include "util/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "findings/arenaheaps.h"
#include "probe/procfs.h"
#include "probe/remote.h"
#include "findings/arenas.h"
#include "records/maps.h"
#include "util/size.h"

uint64_t ms_self_mem_available(void)
{
	char buf[8192];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return UINT64_MAX;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return UINT64_MAX;
	buf[n] = 0;
	const char *m = strstr(buf, "MemAvailable:");
	return m ? strtoull(m + 13, NULL, 10) * 1024 : UINT64_MAX;
}

/* Run fn in a forked child, which writes one line back: its mallocs land
 * in the child's copy of the heap, never in the heap under study. */
static int in_child(int (*fn)(pid_t parent, char *line, size_t len), char *line, size_t len)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t parent = getpid();
	pid_t pid = ms_fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		char buf[512] = "";
		int rc = fn(parent, buf, sizeof buf);
		ssize_t w = write(p[1], buf, strlen(buf));
		_exit(rc < 0 || w < 0 ? 1 : 0);
	}
	close(p[1]);
	size_t got = 0;
	for (;;) {
		ssize_t n = read(p[0], line + got, len - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	line[got] = 0;
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The child's copy has our exact mappings and memory: read them there. */
static int count_heaps(pid_t parent, char *line, size_t len)
{
	(void)parent;
	struct ms_err e = { 0 };
	char *buf;
	size_t blen;
	struct ms_maps maps = { 0 };
	struct ms_remote r;
	if (ms_read_file("/proc/self/maps", &buf, &blen, MS_READ_MAX, &e) < 0 ||
	    ms_maps_parse(buf, blen, &maps, &e) < 0 || ms_remote_open(&r, getpid(), &e) < 0) {
		snprintf(line, len, "error %s", e.msg);
		return -1;
	}
	struct ms_arena_heaps h = { 0 };
	ms_arena_heaps_find(&maps, &r, "", &h);
	snprintf(line, len, "%zu %zu", h.n, h.arenas);
	ms_arena_heaps_free(&h);
	return 0;
}

/* The arenas step's totals for PARENT, in one line (run in the child). */
static int arenas_totals(pid_t parent, char *line, size_t len)
{
	struct ms_err e = { 0 };
	struct ms_arenas_opts o = { 0 };
	struct ms_arenas a;
	if (ms_arenas_collect(parent, &o, &a, &e) < 0) {
		snprintf(line, len, "unavailable: %s", e.msg);
		return 0;
	}
	if (!a.glibc_in_charge) {
		snprintf(line, len, "unavailable: glibc is not the allocator (%s)", a.allocator);
	} else {
		const struct ms_arena_stat *t = &a.total;
		char b1[MS_SIZE_BUF], b2[MS_SIZE_BUF], b3[MS_SIZE_BUF], b4[MS_SIZE_BUF], b5[MS_SIZE_BUF];
		snprintf(line, len, "%zu arena%s, system %s, in use %s, free %s (resident %s); "
			 "malloc_trim would return %s", a.n, a.n == 1 ? "" : "s",
			 ms_size_fmt(t->system_mem, b1), ms_size_fmt(t->in_use_bytes, b2),
			 ms_size_fmt(t->free_bytes, b3), ms_size_fmt(t->free_resident_bytes, b4),
			 ms_size_fmt(a.trim_prediction_bytes, b5));
	}
	ms_arenas_free(&a);
	return 0;
}

int ms_selfcheck_heaps(size_t *heaps, size_t *arenas)
{
	char line[512];
	if (in_child(count_heaps, line, sizeof line) < 0 || sscanf(line, "%zu %zu", heaps, arenas) != 2)
		return -1;
	return 0;
}

void ms_selfcheck_arenas(char *line, size_t len)
{
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);   /* Yama: let the child read us */
	if (in_child(arenas_totals, line, len) < 0)
		snprintf(line, len, "unavailable: the checkpoint's child failed");
}

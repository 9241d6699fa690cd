#include "probe/selfcheck.h"

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
#include "probe/selfstep.h"
#include "records/maps.h"
#include "util/jsonpick.h"
#include "util/size.h"

uint64_t ms_self_rss(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
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
	pid_t pid = fork();
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

/* `memsleuth arenas PARENT --json`: its totals in one line. */
static int arenas_totals(pid_t parent, char *line, size_t len)
{
	struct ms_err e = { 0 };
	char *json;
	size_t jlen;
	if (ms_selfstep_json("arenas", parent, 60000, NULL, &json, &jlen, &e) < 0) {
		snprintf(line, len, "unavailable: %s", e.msg);
		return 0;
	}
	uint64_t n = 0, sys = 0, used = 0, fr = 0, frr = 0, trim = 0;
	if (ms_jsonpick_u64_in(json, jlen, "totals", "arenas", &n) < 0 ||
	    ms_jsonpick_u64_in(json, jlen, "totals", "system_mem", &sys) < 0 ||
	    ms_jsonpick_u64_in(json, jlen, "totals", "in_use_bytes", &used) < 0 ||
	    ms_jsonpick_u64_in(json, jlen, "totals", "free_bytes", &fr) < 0 ||
	    ms_jsonpick_u64_in(json, jlen, "totals", "free_resident_bytes", &frr) < 0 ||
	    ms_jsonpick_u64(json, jlen, "trim_prediction_bytes", &trim) < 0) {
		snprintf(line, len, "unavailable: arenas --json has no totals");
	} else {
		char a[MS_SIZE_BUF], b[MS_SIZE_BUF], c[MS_SIZE_BUF], d[MS_SIZE_BUF], f[MS_SIZE_BUF];
		snprintf(line, len, "%llu arena%s, system %s, in use %s, free %s (resident %s); "
			 "malloc_trim would return %s", (unsigned long long)n, n == 1 ? "" : "s",
			 ms_size_fmt(sys, a), ms_size_fmt(used, b), ms_size_fmt(fr, c), ms_size_fmt(frr, d),
			 ms_size_fmt(trim, f));
	}
	free(json);
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

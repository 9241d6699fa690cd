#include "findings/arenacap.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/allocator.h"
#include "findings/glibclayout.h"
#include "probe/elf.h"
#include "probe/elfsym.h"
#include "probe/remote.h"
#include "probe/procfs.h"
#include "records/environ.h"

int ms_cpulist_count(const char *s)
{
	int count = 0;
	/* bounded by the string; each range adds end-start+1 */
	while (*s && *s != '\n') {
		char *end;
		errno = 0;
		long a = strtol(s, &end, 10);
		if (end == s || errno || a < 0)
			return -1;
		long b = a;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a)
				return -1;
			s = end;
		}
		if (b - a > 65536)
			return -1;
		count += (int)(b - a + 1);
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -1;
	}
	return count ? count : -1;
}

/* glibc parses tunable numbers with strtoul-like rules (base 0). */
static int parse_num(const char *v, size_t len, unsigned long *out)
{
	char buf[32];
	if (!len || len >= sizeof buf)
		return -1;
	memcpy(buf, v, len);
	buf[len] = 0;
	char *end;
	errno = 0;
	unsigned long x = strtoul(buf, &end, 0);
	if (*end || errno || buf[0] == '-')
		return -1;
	*out = x;
	return 0;
}

void ms_arena_cap_compute(const char *env, size_t envlen, int cpus, int is64,
			  struct ms_arena_cap *out)
{
	memset(out, 0, sizeof *out);
	unsigned long v;
	size_t vl;
	const char *s;
	/* GLIBC_TUNABLES wins over the MALLOC_ARENA_MAX alias: the alias is
	 * skipped when the tunable is already set, and a later GLIBC_TUNABLES
	 * overrides it. */
	if (env && (s = ms_environ_get(env, envlen, "GLIBC_TUNABLES", &vl)) &&
	    (s = ms_tunable_get(s, vl, "glibc.malloc.arena_max", &vl)) &&
	    parse_num(s, vl, &v) == 0 && v > 0) {
		out->cap = v;
		out->from_env = 1;
		snprintf(out->source, sizeof out->source, "environ: GLIBC_TUNABLES=glibc.malloc.arena_max=%lu", v);
		return;
	}
	if (env && (s = ms_environ_get(env, envlen, "MALLOC_ARENA_MAX", &vl)) &&
	    parse_num(s, vl, &v) == 0 && v > 0) {
		out->cap = v;
		out->from_env = 1;
		snprintf(out->source, sizeof out->source, "environ: MALLOC_ARENA_MAX=%lu", v);
		return;
	}
	int per = is64 ? 8 : 2;
	if (cpus < 1)
		cpus = 2;   /* glibc's own fallback when it cannot count */
	out->cap = (unsigned long)per * (unsigned long)cpus;
	/* The cap is only computed once more than arena_test (8 on 64-bit)
	 * arenas exist, so it is never below arena_test + 1. */
	unsigned long test_floor = (unsigned long)per + 1;
	if (out->cap < test_floor)
		out->cap = test_floor;
	snprintf(out->source, sizeof out->source, "computed: %d x %d CPUs", per, cpus);
}

int ms_glibc_cpus(int pid, const char *glibc_version)
{
	if (glibc_version && !strcmp(glibc_version, "2.34")) {
		cpu_set_t set;
		if (sched_getaffinity(pid, sizeof set, &set) == 0)
			return CPU_COUNT(&set);
	}
	char *buf;
	if (ms_read_file("/sys/devices/system/cpu/online", &buf, NULL, 4096, NULL) < 0)
		return -1;
	int n = ms_cpulist_count(buf);
	free(buf);
	return n;
}

int ms_arena_cap_from_mp(const struct ms_libc *lc, struct ms_remote *r, struct ms_arena_cap *out)
{
	struct ms_glibc_layout l;
	if (!r || !lc->has_debuginfo || lc->debuginfo_ignored ||
	    ms_glibc_layout_for(lc->elf.glibc_version, &l, NULL) < 0)
		return -1;
	struct ms_elfsym_query q = { .name = "mp_" };
	uint64_t vaddr;
	if (ms_elfsym_lookup(lc->debuginfo, &q, 1, &vaddr, NULL) < 0 || !q.found)
		return -1;
	uint64_t addr = lc->libc_base + q.value - vaddr + l.mp_arena_max, v;
	if (addr < lc->libc_base || addr + 8 > lc->libc_end || ms_remote_read_exact(r, addr, &v, 8) < 0)
		return -1;
	if (!v)
		return 0;
	memset(out, 0, sizeof *out);
	out->cap = (unsigned long)v;
	snprintf(out->source, sizeof out->source, "mp_.arena_max = %lu, read from the process", out->cap);
	return 1;
}

/* The most arenas glibc will create in a process, worked out as glibc does
 * (malloc/arena.c, arena_get2): mp_.arena_max when set (MALLOC_ARENA_MAX or
 * GLIBC_TUNABLES glibc.malloc.arena_max, read from the target's environ),
 * otherwise 8 x CPUs on 64-bit (2 x on 32-bit).  glibc counts *online*
 * CPUs (/sys/devices/system/cpu/online), not the affinity mask or a cgroup
 * quota -- except 2.34, which used the affinity mask. */
#ifndef MS_ARENACAP_H
#define MS_ARENACAP_H

#include <stddef.h>

struct ms_arena_cap {
	unsigned long cap;
	char source[128];     /* "environ:MALLOC_ARENA_MAX", "computed: 8 x 2 online CPUs" ... */
	int  from_env;
};

/* Count CPUs in a cpulist string such as "0-3,8,10-11".  -1 if malformed. */
int ms_cpulist_count(const char *list);

/* env: the target's environ buffer (may be NULL); cpus: CPUs glibc would
 * count; is64: pointer size of the target. */
void ms_arena_cap_compute(const char *env, size_t envlen, int cpus, int is64,
			  struct ms_arena_cap *out);

struct ms_libc;
struct ms_remote;

/* The cap as the process holds it: mp_.arena_max read from its memory,
 * located by the libc debug file's symbols.  Catches mallopt(M_ARENA_MAX)
 * made after start-up, which the environment cannot show.  Returns 1 and
 * fills out when mp_.arena_max is set, 0 when it is 0 (glibc then computes
 * the cap from the CPUs), -1 when it cannot be read (no debug info). */
int ms_arena_cap_from_mp(const struct ms_libc *lc, struct ms_remote *r, struct ms_arena_cap *out);

/* CPUs as the target's glibc counts them (online, or affinity for 2.34). */
int ms_glibc_cpus(int pid, const char *glibc_version);

#endif

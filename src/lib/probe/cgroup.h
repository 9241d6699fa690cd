/* Memory limit and usage of a process's cgroup, read from the cgroup
 * filesystem (v1 and v2). */
#ifndef MS_CGROUP_H
#define MS_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

#define MS_CG_UNLIMITED UINT64_MAX

struct ms_cgroup_mem {
	int      version;        /* 1, 2, or 0 when not found */
	char     path[512];      /* group path as /proc/PID/cgroup names it */
	char     limit_from[512];/* group whose limit is the effective one */
	uint64_t limit;          /* effective: smallest along the path to the root */
	uint64_t usage;          /* memory.current / memory.usage_in_bytes */
	int      usage_known;
};

/* Read the group's limit and usage under `root` (normally "/sys/fs/cgroup").
 * Returns 0 when the group was found. */
int ms_cgroup_memory(pid_t pid, const char *root, struct ms_cgroup_mem *cg);

#endif

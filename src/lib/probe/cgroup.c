#include "probe/cgroup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/procfs.h"
#include "records/cgroup.h"

/* "max" or a number; v1 reports "unlimited" as a huge page-rounded value. */
static int read_limit(const char *file, uint64_t *v)
{
	char *buf;
	if (ms_read_file(file, &buf, NULL, 4096, NULL) < 0)
		return -1;
	if (!strncmp(buf, "max", 3)) {
		*v = MS_CG_UNLIMITED;
	} else {
		*v = strtoull(buf, NULL, 10);
		if (*v >= (UINT64_MAX >> 2))   /* v1: 0x7ffffffffffff000 */
			*v = MS_CG_UNLIMITED;
	}
	free(buf);
	return 0;
}

int ms_cgroup_memory(pid_t pid, const char *root, struct ms_cgroup_mem *cg)
{
	memset(cg, 0, sizeof *cg);
	cg->limit = MS_CG_UNLIMITED;
	char *buf;
	size_t len;
	if (ms_proc_read(pid, "cgroup", &buf, &len, NULL) < 0)
		return -1;
	cg->version = ms_cgroup_parse(buf, len, cg->path, sizeof cg->path);
	free(buf);
	if (!cg->version)
		return -1;
	const char *base = cg->version == 2 ? root : NULL;
	char v1root[600];
	if (cg->version == 1) {
		snprintf(v1root, sizeof v1root, "%s/memory", root);
		base = v1root;
	}
	const char *limit_file = cg->version == 2 ? "memory.max" : "memory.limit_in_bytes";
	const char *usage_file = cg->version == 2 ? "memory.current" : "memory.usage_in_bytes";
	/* Inside a container the listed path may be relative to a namespace
	 * root that is mounted at `base` itself: fall back to base. */
	char dir[1200];
	snprintf(dir, sizeof dir, "%s%s", base, cg->path);
	if (access(dir, F_OK) != 0)
		snprintf(dir, sizeof dir, "%s", base);
	char file[1400];
	snprintf(file, sizeof file, "%s/%s", dir, usage_file);
	cg->usage_known = read_limit(file, &cg->usage) == 0;
	/* The effective limit is the smallest on the way to the root. */
	size_t baselen = strlen(base);
	for (;;) {
		uint64_t lim;
		snprintf(file, sizeof file, "%s/%s", dir, limit_file);
		if (read_limit(file, &lim) == 0 && lim < cg->limit) {
			cg->limit = lim;
			snprintf(cg->limit_from, sizeof cg->limit_from, "%s",
				 dir[baselen] ? dir + baselen : "/");
		}
		char *slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < baselen)
			break;
		*slash = 0;
	}
	return cg->usage_known ? 0 : -1;
}

/* /proc/PID/cgroup as a record: the memory controller's group path,
 * v2 ("0::/path") or v1 ("N:memory:/path"). */
#ifndef MS_CGROUP_REC_H
#define MS_CGROUP_REC_H

#include <stddef.h>

/* Returns the version (1 or 2) or 0 when no memory group is listed. */
int ms_cgroup_parse(const char *buf, size_t len, char *path, size_t pathlen);

#endif

#include "records/cgroup.h"
#include "records/lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ms_cgroup_parse(const char *buf, size_t len, char *path, size_t pathlen)
{
	const char *p = buf, *end = buf + len;
	int v2 = 0;
	char v2path[512] = "";
	char line[1024];
	while (ms_line_next(&p, end, line, sizeof line)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = 0;
		*c2 = 0;
		const char *ctrl = c1 + 1, *gpath = c2 + 1;
		if (!strcmp(line, "0") && !*ctrl) {
			v2 = 1;
			snprintf(v2path, sizeof v2path, "%s", gpath);
			continue;
		}
		/* v1: controllers are a comma list, e.g. "memory" or "cpu,memory" */
		char list[256];
		snprintf(list, sizeof list, "%s", ctrl);
		for (char *save, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (!strcmp(tok, "memory")) {
				snprintf(path, pathlen, "%s", gpath);
				return 1;
			}
		}
	}
	if (v2) {
		snprintf(path, pathlen, "%s", v2path);
		return 2;
	}
	return 0;
}


#include "probe/pagemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int ms_pagemap_open(struct ms_pagemap *pm, pid_t pid, struct ms_err *e)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
	pm->page = (uint64_t)sysconf(_SC_PAGESIZE);
	pm->first = 0;
	pm->n = 0;
	pm->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm->fd < 0)
		return ms_err_set(e, errno, NULL, "run as the process owner or root", "%s", path);
	return 0;
}

void ms_pagemap_close(struct ms_pagemap *pm)
{
	if (pm->fd >= 0)
		close(pm->fd);
	pm->fd = -1;
}

static int present(struct ms_pagemap *pm, uint64_t pg)
{
	if (pg < pm->first || pg >= pm->first + pm->n) {
		pm->first = pg;
		pm->n = 0;
		ssize_t got = pread(pm->fd, pm->ent, sizeof pm->ent, (off_t)(pg * 8));
		if (got <= 0)
			return 0;
		pm->n = (size_t)got / 8;
		if (pm->n == 0)
			return 0;
	}
	return (pm->ent[pg - pm->first] >> 63) & 1;
}

uint64_t ms_pagemap_resident(struct ms_pagemap *pm, uint64_t start, uint64_t end)
{
	if (pm->fd < 0 || end <= start)
		return 0;
	uint64_t total = 0;
	for (uint64_t pg = start / pm->page; pg * pm->page < end; pg++) {
		if (!present(pm, pg))
			continue;
		uint64_t a = pg * pm->page, b = a + pm->page;
		if (a < start)
			a = start;
		if (b > end)
			b = end;
		total += b - a;
	}
	return total;
}

#include "probe/pagemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define PFN_MASK ((1ull << 55) - 1)

/* Our own read of a fresh anonymous page maps the zero page: its PFN, as
 * our pagemap shows it (0 when PFNs are hidden from us). */
static uint64_t zero_pfn(uint64_t page)
{
	volatile unsigned char *m = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 0;
	(void)m[0];
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &e, 8, (off_t)((uintptr_t)m / page * 8)) != 8)
			e = 0;
		close(fd);
	}
	munmap((void *)m, page);
	return (e >> 63) & 1 ? e & PFN_MASK : 0;
}

int ms_pagemap_is_zero(const struct ms_pagemap *pm, uint64_t entry)
{
	return pm->zero_pfn && (entry >> 63) & 1 && (entry & PFN_MASK) == pm->zero_pfn;
}

int ms_pagemap_open(struct ms_pagemap *pm, pid_t pid, struct ms_err *e)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
	pm->page = (uint64_t)sysconf(_SC_PAGESIZE);
	pm->first = 0;
	pm->n = 0;
	pm->zero_pfn = zero_pfn(pm->page);
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

uint64_t ms_pagemap_entry(struct ms_pagemap *pm, uint64_t pg, uint64_t last)
{
	if (pg < pm->first || pg >= pm->first + pm->n) {
		size_t want = last >= pg && last - pg < MS_PAGEMAP_WINDOW ? (size_t)(last - pg + 1) : MS_PAGEMAP_WINDOW;
		pm->first = pg;
		pm->n = 0;
		ssize_t got = pread(pm->fd, pm->ent, want * 8, (off_t)(pg * 8));
		if (got <= 0)
			return 0;
		pm->n = (size_t)got / 8;
		if (pm->n == 0)
			return 0;
	}
	return pm->ent[pg - pm->first];
}

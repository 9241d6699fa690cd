#include "findings/stapsys.h"

#include <stdio.h>
#include <string.h>

static const struct ms_stap_sys table[] = {
	{ "brk", 12, { { "brk", "di", 0 } }, 1 },
	{ "mmap", 9, { { "start", "di", 0 }, { "len", "si", 0 }, { "prot", "dx", 0 }, { "flags", "r10", 0 },
		       { "fd", "r8", 1 }, { "offset", "r9", 0 } }, 6 },
	{ "mmap2", 9, { { "start", "di", 0 }, { "length", "si", 0 }, { "prot", "dx", 0 }, { "flags", "r10", 0 },
			{ "fd", "r8", 1 }, { "pgoffset", "r9", 0 } }, 6 },
	{ "munmap", 11, { { "start", "di", 0 }, { "length", "si", 0 } }, 2 },
	{ "mprotect", 10, { { "addr", "di", 0 }, { "len", "si", 0 }, { "prot", "dx", 0 } }, 3 },
	{ "madvise", 28, { { "start", "di", 0 }, { "length", "si", 0 }, { "advice", "dx", 1 } }, 3 },
	{ "mremap", 25, { { "old_address", "di", 0 }, { "old_size", "si", 0 }, { "new_size", "dx", 0 },
			  { "flags", "r10", 0 }, { "new_address", "r8", 0 } }, 5 },
	/* not a memory call, but how tapset-style scripts end with their target */
	{ "exit_group", 231, { { "status", "di", 1 } }, 1 },
};

const struct ms_stap_sys *ms_stap_sys_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strlen(table[i].name) == len && memcmp(table[i].name, name, len) == 0)
			return &table[i];
	return NULL;
}

void ms_stap_sys_args_text(const struct ms_stap_sys *s, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (int i = 0; i < s->nargs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s=$regs->%s", i ? " " : "", s->args[i].local,
					s->args[i].reg);
}

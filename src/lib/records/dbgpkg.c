#include "records/dbgpkg.h"

#include <string.h>

/* Checked with apt-cache on Debian 12 (bookworm): these ship the
 * separate debug files (/usr/lib/debug/.build-id) of the module. */
static const struct { const char *prefix, *package; } known[] = {
	{ "libc.so.6", "libc6-dbg" },
	{ "ld-linux-x86-64.so.2", "libc6-dbg" },
	{ "libstdc++.so.6", "libstdc++6-12-dbg" },
	{ "python3.11", "python3.11-dbg" },
	{ "libpython3.11", "python3.11-dbg" },
};

const char *ms_dbg_package(const char *dso)
{
	if (!dso)
		return NULL;
	const char *b = strrchr(dso, '/');
	b = b ? b + 1 : dso;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strncmp(b, known[i].prefix, strlen(known[i].prefix)))
			return known[i].package;
	return NULL;
}

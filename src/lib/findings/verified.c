#include "findings/verified.h"

#include <stdio.h>
#include <string.h>

/* One line per release; the format is read by scripts/portability-matrix,
 * keep it: { "VERSION", "WHERE", "STEP STEP" }, */
static const struct ms_verified table[] = {
	{ "2.31", "Debian 11 bullseye, chroot", "doctor overview arenas" },
	{ "2.36", "Debian 12 bookworm, host", "doctor overview arenas" },
	{ "2.41", "Debian 13 trixie, chroot", "doctor overview arenas" },
};

const struct ms_verified *ms_verified_find(const char *glibc_version)
{
	for (size_t i = 0; glibc_version && i < sizeof table / sizeof table[0]; i++)
		if (!strcmp(table[i].glibc, glibc_version))
			return &table[i];
	return NULL;
}

void ms_verified_list(char *out, size_t outlen)
{
	size_t off = 0;
	out[0] = 0;
	for (size_t i = 0; i < sizeof table / sizeof table[0] && off < outlen; i++) {
		int n = snprintf(out + off, outlen - off, "%s%s", i ? ", " : "", table[i].glibc);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

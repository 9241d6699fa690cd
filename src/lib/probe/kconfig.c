#include "probe/kconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "probe/procfs.h"

#define KCONFIG_MAX (8u << 20)

static int load_gz(const char *path, struct ms_kconfig *kc)
{
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return -1;
	size_t cap = 1 << 18, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 >= cap) {
			if (cap >= KCONFIG_MAX)
				break;
			char *n = realloc(buf, cap * 2);
			if (!n)
				break;
			buf = n;
			cap *= 2;
		}
		int r = gzread(gz, buf + len, (unsigned)(cap - len - 1));
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	gzclose(gz);
	if (!buf || !len) {
		free(buf);
		return -1;
	}
	buf[len] = 0;
	kc->text = buf;
	kc->len = len;
	snprintf(kc->source, sizeof kc->source, "%s", path);
	return 0;
}

int ms_kconfig_load(struct ms_kconfig *kc)
{
	memset(kc, 0, sizeof *kc);
	if (load_gz("/proc/config.gz", kc) == 0)
		return 0;
	struct utsname u;
	if (uname(&u) == 0) {
		char path[128];
		snprintf(path, sizeof path, "/boot/config-%s", u.release);
		if (ms_read_file(path, &kc->text, &kc->len, KCONFIG_MAX, NULL) == 0) {
			snprintf(kc->source, sizeof kc->source, "%s", path);
			return 0;
		}
	}
	return -1;
}

void ms_kconfig_free(struct ms_kconfig *kc)
{
	free(kc->text);
	memset(kc, 0, sizeof *kc);
}

char ms_kconfig_lookup(const char *text, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *le = memchr(p, '\n', (size_t)(end - p));
		if (!le)
			le = end;
		if ((size_t)(le - p) > nl + 1 && !memcmp(p, name, nl) && p[nl] == '=')
			return p[nl + 1] == 'y' || p[nl + 1] == 'm' ? p[nl + 1] : 'n';
		p = le + 1;
	}
	return 'n';
}

char ms_kconfig_get(const struct ms_kconfig *kc, const char *name)
{
	if (!kc->text)
		return '?';
	return ms_kconfig_lookup(kc->text, kc->len, name);
}

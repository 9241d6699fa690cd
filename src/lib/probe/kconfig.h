/* The running kernel's build configuration: /proc/config.gz, else
 * /boot/config-RELEASE.  Tells whether modules, kprobes, uprobes exist. */
#ifndef MS_KCONFIG_H
#define MS_KCONFIG_H

#include <stddef.h>

struct ms_kconfig {
	char  *text;        /* whole config, NUL-terminated; NULL if unavailable */
	size_t len;
	char   source[128]; /* where it was read from */
};

int  ms_kconfig_load(struct ms_kconfig *kc);
void ms_kconfig_free(struct ms_kconfig *kc);

/* 'y', 'm', 'n' (explicitly not set or absent), or '?' when no config. */
char ms_kconfig_get(const struct ms_kconfig *kc, const char *name);

/* On a buffer (for tests). */
char ms_kconfig_lookup(const char *text, size_t len, const char *name);

#endif

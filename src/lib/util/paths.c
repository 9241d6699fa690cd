#include "util/paths.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/trust.h"

static int exe_dir(char *dir, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	snprintf(dir, len, "%s", dirname(exe));
	return 0;
}

int ms_resource_path(enum ms_resource kind, const char *name, char *out, size_t outlen)
{
	char dir[PATH_MAX];
	if (exe_dir(dir, sizeof dir) < 0) {
		snprintf(out, outlen, "%s", name);
		return -1;
	}
	/* Build tree first: build/ sits beside the source folders.  Helpers
	 * installed under libexec find each other the same way (same dir). */
	static const char *const build_rel[] = {
		[MS_RES_HELPER] = "%s/%s", [MS_RES_STAP] = "%s/../stap/%s",
		[MS_RES_GDB] = "%s/../gdb-scripts/%s", [MS_RES_EXAMPLE] = "%s/examples/%s",
		[MS_RES_LAB] = "%s/../examples/labs/%s",
	};
	static const char *const inst_rel[] = {
		[MS_RES_HELPER] = "%s/../libexec/memsleuth/%s",
		[MS_RES_STAP] = "%s/../share/memsleuth/stap/%s",
		[MS_RES_GDB] = "%s/../share/memsleuth/gdb-scripts/%s",
		[MS_RES_EXAMPLE] = "%s/../libexec/memsleuth/examples/%s",
		[MS_RES_LAB] = "%s/../share/memsleuth/labs/%s",
	};
	/* A helper under libexec looks for stap/gdb files two levels up. */
	static const char *const helper_rel[] = {
		[MS_RES_HELPER] = "%s/%s", [MS_RES_STAP] = "%s/../../share/memsleuth/stap/%s",
		[MS_RES_GDB] = "%s/../../share/memsleuth/gdb-scripts/%s",
		[MS_RES_EXAMPLE] = "%s/examples/%s",
		[MS_RES_LAB] = "%s/../../share/memsleuth/labs/%s",
	};
	const char *const *tries[] = { build_rel, inst_rel, helper_rel };
	for (size_t i = 0; i < 3; i++) {
		snprintf(out, outlen, tries[i][kind], dir, name);
		if (access(out, F_OK) == 0)
			return 0;
	}
	snprintf(out, outlen, build_rel[kind], dir, name);
	return -1;
}

int ms_resource_trusted(enum ms_resource kind, const char *name, char *out, size_t outlen,
			struct ms_err *e)
{
	char found[PATH_MAX];
	if (ms_resource_path(kind, name, found, sizeof found) < 0) {
		snprintf(out, outlen, "%s", found);
		return ms_err_set(e, ENOENT, NULL, "reinstall memsleuth (make install), or run it from its build tree",
				  "%s", found);
	}
	return ms_trust_check(found, out, outlen,
			      "reinstall memsleuth in a directory only root (or you) can write", e);
}

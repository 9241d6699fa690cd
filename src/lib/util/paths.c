#include "util/paths.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

/* The layout the running program sits in, decided once from where it is
 * (never by trying places in turn, so that an installed memsleuth never
 * picks up a stray file from a build-tree-shaped path beside its prefix):
 * a helper in PREFIX/libexec/memsleuth, a program in PREFIX/bin with
 * PREFIX/libexec/memsleuth beside it, else the build tree. */
enum layout { LAYOUT_BUILD, LAYOUT_BIN, LAYOUT_LIBEXEC };

static enum layout layout_of(const char *dir)
{
	size_t n = strlen(dir);
	static const char tail[] = "/libexec/memsleuth";
	if (n >= sizeof tail - 1 && !strcmp(dir + n - (sizeof tail - 1), tail))
		return LAYOUT_LIBEXEC;
	char lx[PATH_MAX];
	struct stat st;
	snprintf(lx, sizeof lx, "%s/../libexec/memsleuth", dir);
	if (stat(lx, &st) == 0 && S_ISDIR(st.st_mode))
		return LAYOUT_BIN;
	return LAYOUT_BUILD;
}

int ms_resource_path(enum ms_resource kind, const char *name, char *out, size_t outlen)
{
	char dir[PATH_MAX];
	if (exe_dir(dir, sizeof dir) < 0) {
		snprintf(out, outlen, "%s", name);
		return -1;
	}
	/* build/ sits beside the source folders; helpers find each other in
	 * their own directory in every layout. */
	static const char *const rel[][MS_RES_LAB + 1] = {
		[LAYOUT_BUILD] = {
			[MS_RES_HELPER] = "%s/%s", [MS_RES_STAP] = "%s/../stap/%s",
			[MS_RES_GDB] = "%s/../gdb-scripts/%s", [MS_RES_EXAMPLE] = "%s/examples/%s",
			[MS_RES_LAB] = "%s/../examples/labs/%s",
		},
		[LAYOUT_BIN] = {
			[MS_RES_HELPER] = "%s/../libexec/memsleuth/%s",
			[MS_RES_STAP] = "%s/../share/memsleuth/stap/%s",
			[MS_RES_GDB] = "%s/../share/memsleuth/gdb-scripts/%s",
			[MS_RES_EXAMPLE] = "%s/../libexec/memsleuth/examples/%s",
			[MS_RES_LAB] = "%s/../share/memsleuth/labs/%s",
		},
		[LAYOUT_LIBEXEC] = {
			[MS_RES_HELPER] = "%s/%s", [MS_RES_STAP] = "%s/../../share/memsleuth/stap/%s",
			[MS_RES_GDB] = "%s/../../share/memsleuth/gdb-scripts/%s",
			[MS_RES_EXAMPLE] = "%s/examples/%s",
			[MS_RES_LAB] = "%s/../../share/memsleuth/labs/%s",
		},
	};
	snprintf(out, outlen, rel[layout_of(dir)][kind], dir, name);
	return access(out, F_OK) == 0 ? 0 : -1;
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

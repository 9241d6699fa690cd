/* -V/--version: one version for every step and helper, and the build's
 * `git describe` (made at build time into ms_build.h by mk/cli.mk; a
 * build outside git, or with GIT_DESCRIBE= given, says so). */
#include "cli/args.h"

#include <stdio.h>

#include "ms_build.h"

const char *ms_version(void)
{
	return MS_VERSION;
}

const char *ms_git_describe(void)
{
	return MS_GIT_DESCRIBE;
}

void ms_version_print(const char *prog)
{
	printf("%s %s (git %s)\n", prog, ms_version(), ms_git_describe());
}

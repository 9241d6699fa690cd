#include "options.h"

#include <stdio.h>

#include "util/err.h"

#include "findings/allocator.h"

int ms_common_option(int c)
{
	switch (c) {
	case MS_OPT_NO_DEBUGINFO:
		ms_debuginfo_ignore();
		return 1;
	default:
		return 0;
	}
}

_Noreturn void ms_bad_option(const char *step, char **argv)
{
	char prog[64], hint[96];
	snprintf(prog, sizeof prog, "memsleuth %s", step);
	snprintf(hint, sizeof hint, "see 'memsleuth %s --help'", step);
	ms_fatal(prog, hint, "%s: unknown option or missing argument", argv[optind - 1]);
}

/* Not built yet: this step is tracked as issue #5.  The file is replaced
 * wholesale when the step lands. */
#include <stdio.h>

#include "steps.h"

int cmd_syscalls(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "memsleuth syscalls: not available in this build yet (tracked as issue #5; "
		"run 'memsleuth --help' for the steps that are)\n");
	return MS_EXIT_ERROR;
}

/* Not built yet: this step is tracked as issue #6.  The file is replaced
 * wholesale when the step lands. */
#include <stdio.h>

#include "steps.h"

int cmd_lab(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "memsleuth lab: not available in this build yet (tracked as issue #6; "
		"run 'memsleuth --help' for the steps that are)\n");
	return MS_EXIT_ERROR;
}

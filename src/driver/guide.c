/* Not built yet: this step is tracked as issue #8.  The file is replaced
 * wholesale when the step lands. */
#include <stdio.h>

#include "steps.h"

int cmd_guide(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "memsleuth guide: not available in this build yet (tracked as issue #8; "
		"run 'memsleuth --help' for the steps that are)\n");
	return MS_EXIT_ERROR;
}

#include <stdio.h>
#include "steps.h"
int cmd_overview(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "memsleuth overview: not yet\n"); return MS_EXIT_ERROR; }

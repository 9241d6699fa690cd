#include <stdio.h>
#include "steps.h"
int cmd_doctor(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "memsleuth doctor: not yet\n"); return MS_EXIT_ERROR; }

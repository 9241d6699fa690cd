/* Options every step takes the same way, parsed in one place so that each
 * step honours them identically.  A step lists MS_COMMON_OPTIONS in its
 * getopt_long table, prints MS_COMMON_HELP in its --help, and hands any
 * option it does not know to ms_common_option() before refusing it. */
#ifndef MS_OPTIONS_H
#define MS_OPTIONS_H

#include <getopt.h>

enum { MS_OPT_NO_DEBUGINFO = 0x1000 };

#define MS_COMMON_OPTIONS \
	{ "no-debuginfo", no_argument, NULL, MS_OPT_NO_DEBUGINFO }

#define MS_COMMON_HELP \
	"      --no-debuginfo    ignore libc debug info even where it is installed\n" \
	"                        (same as MEMSLEUTH_NO_DEBUGINFO=1): the numbers a\n" \
	"                        host without libc6-dbg gets\n"

/* Apply option c if it is a common one: returns 1 when handled. */
int ms_common_option(int c);

/* getopt_long returned '?' or ':' for argv[optind - 1]: one line naming it
 * and the step's --help, exit 2.  (Set opterr = 0 so getopt stays quiet.) */
_Noreturn void ms_bad_option(const char *step, char **argv);

#endif

/* The steps' command line: the one parser (cli/args.h, docs/cli.md) that
 * every step and helper uses.
 *
 * Still here for steps written before the parser landed, until they move
 * to ms_args (a few minutes, see cli/args.h): MS_COMMON_OPTIONS in a
 * getopt_long table, MS_COMMON_HELP in the --help, ms_common_option() for
 * an option the step does not know, ms_bad_option() to refuse it. */
#ifndef MS_OPTIONS_H
#define MS_OPTIONS_H

#include <getopt.h>

#include "cli/args.h"
#include "findings/verdict.h"

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

/* The steps' command line: the one parser (cli/args.h, docs/cli.md) that
 * every step and helper uses, and the verdict levels --fail-on compares. */
#ifndef MS_OPTIONS_H
#define MS_OPTIONS_H

#include "cli/args.h"
#include "findings/verdict.h"

#endif

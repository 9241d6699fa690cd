/* The one command-line parser of every step and helper (docs/cli.md).
 *
 * What it gives every program alike:
 *   - GNU order: options before or after the operands; "--opt=value" and
 *     "--opt value"; "-j -b" and "-jb"; "-a512M" and "-a 512M";
 *   - a bare number is the PID (also -p/--pid PID); a command always
 *     follows "--" (so `hotspots 1234 --json` attaches and
 *     `hotspots -- CMD ARGS` launches);
 *   - the short letter of a long option comes from the project's one table,
 *     docs/cli.md (compiled in at build time): a step only names its long
 *     options, so a short option means the same everywhere or is not given;
 *   - handled here, never seen by the program: -h/--help (printed from the
 *     option list), -V/--version, --color=auto|always|never, -q/--quiet,
 *     and when asked for (flags) --no-debuginfo and --fail-on LEVEL;
 *   - a wrong option, a wrong order or a missing operand: one line saying
 *     what was understood and the form to use, exit 2;
 *   - text that fits: unless --json was given (or MS_CLI_NO_WRAP), stdout
 *     is wrapped to the terminal's width, 100 on a pipe (cli/wrap.h).
 *
 * Adopting it (a new step, in minutes):
 *
 *     static const struct ms_optspec opts[] = {
 *         { "accounted", 'a', "SIZE", "what the application believes it uses" },
 *         { "json",      'j', NULL,   "machine-readable output (docs/json/x.md)" },
 *         { 0 },
 *     };
 *     static const struct ms_cli cli = {
 *         .prog = "memsleuth overview", .usage = "[OPTIONS] PID",
 *         .about = "Where does the RSS live?", .opts = opts,
 *         .operands = MS_OPERAND_PID, .flags = MS_CLI_FAIL_ON,
 *     };
 *     struct ms_args a;
 *     ms_args_begin(&a, &cli, argc, argv);
 *     for (int c; (c = ms_args_next(&a)) != -1; )
 *         switch (c) {
 *         case 'a': parse a.val; break;
 *         case 'j': json = 1; break;
 *         }
 *     ... a.pid, a.cmd, a.operand, a.fail_on ...
 *
 * The key (second field) is only what ms_args_next returns; use the short
 * letter docs/cli.md gives the option for readability, MS_LONG('x') for
 * one without a letter.  ms_args_next never returns an unknown option:
 * it has printed the error and exited 2.  It returns -1 once every
 * argument is read and the operands checked against .operands. */
#ifndef MS_CLI_ARGS_H
#define MS_CLI_ARGS_H

#include <regex.h>
#include <stdio.h>
#include <sys/types.h>

/* The key of an option that has no short letter: any value >= 256. */
#define MS_LONG(c) (0x100 | (c))

struct ms_optspec {
	const char *name;    /* long name without dashes; NULL ends the list */
	int         key;     /* returned by ms_args_next */
	const char *arg;     /* NULL: a switch; else the value's name in --help ("SIZE") */
	const char *help;    /* one line; '\n' starts a continuation line */
};

/* What may follow the options (combine with |). */
enum {
	MS_OPERAND_NONE    = 0,
	MS_OPERAND_PID     = 1 << 0,  /* a PID, required unless PID_OPT/CMD/ONE gives another form */
	MS_OPERAND_PID_OPT = 1 << 1,  /* the PID may be left out */
	MS_OPERAND_CMD     = 1 << 2,  /* -- CMD ARGS */
	MS_OPERAND_ONE     = 1 << 3,  /* one named operand (.operand_name), e.g. a lab or a file */
	MS_OPERAND_ONE_OPT = 1 << 4,  /* ... which may be left out */
	MS_OPERAND_LIST    = 1 << 5,  /* any number of operands (.list); a bare number is still the PID */
};

/* Common options a program takes besides its own. */
enum {
	MS_CLI_FAIL_ON   = 1 << 0,   /* --fail-on info|notice|problem (exit 1, docs/cli.md) */
	MS_CLI_DEBUGINFO = 1 << 1,   /* -N/--no-debuginfo */
	MS_CLI_NO_OPERAND_CHECK = 1 << 2,  /* the program checks its operands itself */
	MS_CLI_NO_WRAP   = 1 << 3,   /* stdout is not text for people (a report file, raw lines) */
};

/* A program's own short letter where the tool it fronts has taught its
 * users one (stap's -x, -c, -e): listed in docs/cli.md's table of own
 * letters, which tests/integration/cli_conformance.sh checks; it wins over
 * the project's table for this program only. */
struct ms_own_letter {
	char        letter;
	const char *name;    /* the long option it stands for */
};

struct ms_cli {
	const char *prog;          /* "memsleuth overview", "heapwalk": starts every error */
	const char *usage;         /* the forms after prog, '\n' between forms: "[OPTIONS] PID" */
	const char *about;         /* what it answers, a few lines */
	const struct ms_optspec *opts;
	unsigned    operands;      /* MS_OPERAND_* */
	const char *operand_name;  /* for MS_OPERAND_ONE: "LAB", "JSON-FILE" */
	unsigned    flags;         /* MS_CLI_* */
	const char *more;          /* printed after the options in --help (examples), may be NULL */
	const struct ms_own_letter *own;  /* NULL, or own letters ended by { 0 } */
};

/* --fail-on: nothing asked, or the lowest severity that fails (the order of
 * findings/verdict.h's enum ms_level: info < notice < problem). */
enum { MS_FAIL_ON_NONE = -1 };

struct ms_args {
	/* Results, valid after ms_args_next returned -1 (val: after each key). */
	const char *val;        /* the current option's value, NULL for a switch */
	pid_t       pid;        /* 0 when none was given */
	char      **cmd;        /* the command after --, NULL when none */
	const char *operand;    /* the MS_OPERAND_ONE operand, NULL when none */
	char      **list;       /* MS_OPERAND_LIST: the operands, NULL-terminated (static storage) */
	int         nlist;
	int         fail_on;    /* MS_FAIL_ON_NONE or an enum ms_level */
	int         json;       /* --json was given: stdout is left unwrapped */
	int         no_wrap;    /* set by the program while parsing when stdout is a
				 * stream of records for grep (syscalls --events) */
	int         operands_optional;  /* set by the program on e.g. --list: no
					 * PID/command is then required */

	/* Private to the parser. */
	const struct ms_cli *cli;
	int    argc, i, in_short;
	char **argv;
	const char *other;      /* the first operand that fits no form */
	int    nextra;
};

void ms_args_begin(struct ms_args *a, const struct ms_cli *cli, int argc, char **argv);

/* The next option's key (its value in a->val), or -1 at the end. */
int ms_args_next(struct ms_args *a);

/* A duration in seconds, the one form every step takes: "10", "0.5",
 * "10s", "500ms", "2m", "1h".  A value that is not one, or outside
 * [lo, hi], fails as ms_args_fail does ("OPT VALUE: ...", exit 2). */
double ms_args_seconds(const struct ms_args *a, const char *opt, const char *s, double lo, double hi);

/* A count (runs, samples, rows, frames, whole seconds), the one form every
 * step takes: a whole number in [lo, hi] (hi LONG_MAX: no upper bound);
 * else one line "OPT VALUE: not a whole number (e.g. 10)" or "OPT VALUE:
 * give LO to HI" and exit 2, as ms_args_fail. */
long ms_args_count(const struct ms_args *a, const char *opt, const char *s, long lo, long hi);

/* A POSIX extended regular expression given to opt (--when, --until),
 * compiled into *re (REG_EXTENDED | REG_NOSUB; the caller regfree()s it)
 * before anything runs; one that does not compile fails as ms_args_fail
 * does ("OPT 'VAL': not a POSIX extended regular expression (WHY)"). */
void ms_args_regex(const struct ms_args *a, const char *opt, const char *val, regex_t *re);

/* One line "PROG: WHAT (usage: PROG FORM)" on stderr, exit 2: for a
 * program's own checks of its options' values and combinations. */
_Noreturn void ms_args_fail(const struct ms_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The index of val in words (NULL-terminated) for an option that takes
 * one of a few words; else the one line "OPT VAL: give A, B or C" and
 * exit 2 (ms_args_fail). */
int ms_args_word(const struct ms_args *a, const char *opt, const char *val, const char *const *words);

/* The program's --help text on out (also what ms_args_next prints for -h). */
void ms_args_help(const struct ms_cli *cli, FILE *out);

/* -V/--version: "PROG VERSION (git DESCRIBE)" on stdout; the same for
 * every step and helper. */
void ms_version_print(const char *prog);
const char *ms_version(void);       /* "0.1" */
const char *ms_git_describe(void);  /* `git describe` at build time, or "unknown (not built from git)" */

/* The exit rule (docs/cli.md): 0 the program ran, whatever it found; 1
 * only when --fail-on LEVEL was given and worst (the highest enum ms_level
 * among the findings, -1 for none) reaches LEVEL.  Errors exit 2 on their
 * own (ms_fatal, ms_die). */
int ms_args_exit(const struct ms_args *a, int worst);

/* -q/--quiet was given: progress lines on stderr are left out. */
int ms_quiet(void);

/* The short letter docs/cli.md gives the long option `name`, 0 for none. */
int ms_cli_short_of(const char *name);

#endif

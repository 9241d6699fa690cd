#include "cli/args.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/wrap.h"
#include "findings/allocator.h"
#include "findings/verdict.h"
#include "probe/procfs.h"
#include "util/err.h"
#include "report/table.h"

/* The project's table of short options, made from docs/cli.md at build
 * time (mk/cli.mk): one { letter, long name } per row. */
static const struct { char letter; const char *name; } shorts[] = {
#include "cli_table.h"
};

int ms_cli_short_of(const char *name)
{
	for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++)
		if (!strcmp(shorts[i].name, name))
			return shorts[i].letter;
	return 0;
}

static const char *long_of(int letter)
{
	for (size_t i = 0; i < sizeof shorts / sizeof shorts[0]; i++)
		if (shorts[i].letter == letter)
			return shorts[i].name;
	return NULL;
}

/* The long option a letter stands for in this program: its own letters
 * first (docs/cli.md, "own letters"), then the project's table. */
static const char *letter_long(const struct ms_cli *cli, int letter)
{
	for (const struct ms_own_letter *o = cli->own; o && o->letter; o++)
		if (o->letter == letter)
			return o->name;
	return long_of(letter);
}

/* The letter --help shows for `name` in this program: the project's
 * (an own letter may be a second one, as stap's -x beside -p), else its
 * own, 0 for none. */
static int long_letter(const struct ms_cli *cli, const char *name)
{
	int letter = ms_cli_short_of(name);
	for (const struct ms_own_letter *o = cli->own; o && o->letter && !letter; o++)
		if (!strcmp(o->name, name))
			letter = o->letter;
	return letter;
}

/* Options every program takes, handled here.  Keys below 0 never reach
 * the program. */
enum { K_HELP = -10, K_VERSION, K_COLOR, K_QUIET, K_PID, K_FAIL_ON, K_NODEBUG };

static const struct ms_optspec common[] = {
	{ "pid",          K_PID,     "PID",   "the process to look at (same as the PID operand)" },
	{ "fail-on",      K_FAIL_ON, "LEVEL", "exit 1 when a finding is at least LEVEL: info, notice or problem" },
	{ "no-debuginfo", K_NODEBUG, NULL,    "ignore libc debug info even where it is installed\n"
					      "(MEMSLEUTH_NO_DEBUGINFO=1): what a host without libc6-dbg gets" },
	{ "color",        K_COLOR,   "WHEN",  "auto (default: on a terminal, unless NO_COLOR is set), always, never" },
	{ "quiet",        K_QUIET,   NULL,    "no progress lines on stderr" },
	{ "help",         K_HELP,    NULL,    "this help" },
	{ "version",      K_VERSION, NULL,    "the version and the build's git describe" },
	{ 0 },
};

static int quiet_flag;

int ms_quiet(void)
{
	return quiet_flag;
}

static int common_taken(const struct ms_cli *cli, int key)
{
	switch (key) {
	case K_PID:     return !!(cli->operands & MS_OPERAND_PID);
	case K_FAIL_ON: return !!(cli->flags & MS_CLI_FAIL_ON);
	case K_NODEBUG: return !!(cli->flags & MS_CLI_DEBUGINFO);
	default:        return 1;
	}
}

/* The option called `name` that this program takes, or NULL. */
static const struct ms_optspec *find_long(const struct ms_cli *cli, const char *name, size_t len)
{
	for (const struct ms_optspec *o = cli->opts; o && o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	for (const struct ms_optspec *o = common; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len) && common_taken(cli, o->key))
			return o;
	return NULL;
}

/* The first usage form, for error lines. */
static void usage_line(const struct ms_cli *cli, char *buf, size_t n)
{
	const char *u = cli->usage ? cli->usage : "[OPTIONS]";
	size_t len = strcspn(u, "\n");
	const char *gap = strstr(u, "   ");   /* a form's description after three spaces */
	if (gap && (size_t)(gap - u) < len)
		len = (size_t)(gap - u);
	snprintf(buf, n, "%s %.*s", cli->prog, (int)len, u);
}

_Noreturn static void vfail(const struct ms_cli *cli, const char *fmt, va_list ap)
{
	char what[600], use[300];
	vsnprintf(what, sizeof what, fmt, ap);
	usage_line(cli, use, sizeof use);
	fprintf(stderr, "%s: %s (usage: %s; see '%s --help')\n", cli->prog, what, use, cli->prog);
	exit(2);
}

_Noreturn void ms_args_fail(const struct ms_args *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(a->cli, fmt, ap);
}

double ms_args_seconds(const struct ms_args *a, const char *opt, const char *s, double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end), unit = -1;
	if (end != s && !errno && isfinite(v))
		unit = !strcmp(end, "") || !strcmp(end, "s") ? 1 : !strcmp(end, "ms") ? 0.001
		     : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600 : -1;
	if (unit < 0)
		ms_args_fail(a, "%s %s: not a number of seconds (e.g. 10, 0.5, 500ms, 2m)", opt, s);
	v *= unit;
	if (v < lo || v > hi)
		ms_args_fail(a, "%s %s: give %.10g to %.10g seconds", opt, s, lo, hi);
	return v;
}

long ms_args_count(const struct ms_args *a, const char *opt, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || *end || errno)
		ms_args_fail(a, "%s %s: not a whole number (e.g. 10)", opt, s);
	if (v < lo && hi == LONG_MAX)
		ms_args_fail(a, "%s %s: give %ld or more", opt, s, lo);
	if (v < lo || v > hi)
		ms_args_fail(a, "%s %s: give %ld to %ld", opt, s, lo, hi);
	return v;
}

void ms_args_regex(const struct ms_args *a, const char *opt, const char *val, regex_t *re)
{
	int rc = regcomp(re, val, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char why[128];
		regerror(rc, re, why, sizeof why);
		ms_args_fail(a, "%s '%s': not a POSIX extended regular expression (%s)", opt, val, why);
	}
}

_Noreturn static void fail(const struct ms_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn static void fail(const struct ms_args *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(a->cli, fmt, ap);
}

int ms_args_word(const struct ms_args *a, const char *opt, const char *val, const char *const *words)
{
	size_t n = 0;
	for (; words[n]; n++)
		if (!strcmp(val, words[n]))
			return (int)n;
	char list[256] = "";
	size_t off = 0;
	for (size_t i = 0; i < n && off < sizeof list; i++)
		off += (size_t)snprintf(list + off, sizeof list - off, "%s%s",
					!i ? "" : i + 1 == n ? " or " : ", ", words[i]);
	fail(a, "%s %s: give %s", opt, val, list);
}

/* The same line every program printed before this parser: tests and
 * scripts match it. */
_Noreturn static void unknown(const struct ms_args *a, const char *opt)
{
	/* `hotspots ls -l`: the option belongs to a command given without -- */
	if (a->nextra && (a->cli->operands & MS_OPERAND_CMD))
		fail(a, "'%s': not a PID; a command to run follows --, as in '%s -- %s %s'", a->other,
		     a->cli->prog, a->other, opt);
	fprintf(stderr, "%s: %s: unknown option or missing argument (see '%s --help')\n",
		a->cli->prog, opt, a->cli->prog);
	exit(2);
}

void ms_args_begin(struct ms_args *a, const struct ms_cli *cli, int argc, char **argv)
{
	memset(a, 0, sizeof *a);
	a->cli = cli;
	a->argc = argc;
	a->argv = argv;
	a->i = 1;
	a->fail_on = MS_FAIL_ON_NONE;
	if (cli->operands & MS_OPERAND_LIST) {
		/* Lives as long as the program: freed by its exit. */
		a->list = calloc((size_t)(argc > 0 ? argc : 0) + 1, sizeof *a->list);
		if (!a->list)
			ms_fatal(cli->prog, NULL, "out of memory");
	}
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static void set_pid(struct ms_args *a, const char *s, const char *from)
{
	struct ms_err e;
	pid_t pid;
	if (ms_pid_parse(s, &pid, &e) < 0)
		ms_die(a->cli->prog, &e, 2);
	if (a->pid && a->pid != pid)
		fail(a, "understood PID %d, then %s %s: give one PID", (int)a->pid, from, s);
	a->pid = pid;
}

static void operand(struct ms_args *a, const char *s)
{
	const struct ms_cli *cli = a->cli;
	if ((cli->operands & MS_OPERAND_PID) && all_digits(s) && !a->pid) {
		set_pid(a, s, "operand");
		return;
	}
	if ((cli->operands & (MS_OPERAND_ONE | MS_OPERAND_ONE_OPT)) && !a->operand) {
		a->operand = s;
		return;
	}
	if ((cli->operands & MS_OPERAND_LIST) && a->list) {
		a->list[a->nlist++] = (char *)s;   /* at most argc of them: sized in ms_args_begin */
		return;
	}
	if (!a->nextra++)
		a->other = s;
}

static int handle_common(struct ms_args *a, int key, const char *val)
{
	switch (key) {
	case K_HELP:
		ms_args_help(a->cli, stdout);
		exit(0);
	case K_VERSION:
		ms_version_print(a->cli->prog);
		exit(0);
	case K_QUIET:
		quiet_flag = 1;
		return 1;
	case K_NODEBUG:
		ms_debuginfo_ignore();   /* the environment: child steps inherit it */
		return 1;
	case K_PID:
		set_pid(a, val, "--pid");
		return 1;
	case K_COLOR: {
		static const char *const when[] = { "auto", "always", "never", NULL };
		static const enum ms_colour mode[] = { MS_COLOUR_AUTO, MS_COLOUR_ALWAYS, MS_COLOUR_NEVER };
		ms_colour_set(mode[ms_args_word(a, "--color", val, when)]);
		return 1;
	}
	case K_FAIL_ON: {
		static const char *const level[] = { "info", "notice", "problem", NULL };
		static const int fail_on[] = { MS_INFO, MS_NOTICE, MS_PROBLEM };
		a->fail_on = fail_on[ms_args_word(a, "--fail-on", val, level)];
		return 1;
	}
	default:
		return 0;
	}
}

/* Check the operands once every argument is read. */
static void check_operands(struct ms_args *a)
{
	const struct ms_cli *cli = a->cli;
	unsigned op = cli->operands;
	if (cli->flags & MS_CLI_NO_OPERAND_CHECK)
		return;
	if (a->nextra) {
		const char *s = a->other;
		if (all_digits(s) && a->pid)
			fail(a, "understood PID %d, then '%s': give one PID", (int)a->pid, s);
		if ((op & MS_OPERAND_CMD) && (op & MS_OPERAND_PID))
			fail(a, "'%s': not a PID; a command to run follows --, as in '%s -- %s'", s, cli->prog, s);
		if (op & MS_OPERAND_CMD)
			fail(a, "'%s': a command to run follows --, as in '%s -- %s'", s, cli->prog, s);
		if ((op & MS_OPERAND_PID) && !all_digits(s)) {
			struct ms_err e;
			pid_t pid;
			if (ms_pid_parse(s, &pid, &e) < 0)   /* its words: "PID '12ab': not a process ID" */
				ms_die(cli->prog, &e, 2);
			fail(a, "'%s': not a PID", s);
		}
		if (a->operand)
			fail(a, "understood %s '%s', then '%s': give one", cli->operand_name ? cli->operand_name : "operand",
			     a->operand, s);
		fail(a, "'%s': this takes no operand", s);
	}
	if (a->cmd && a->pid)
		fail(a, "understood PID %d and the command '%s': give one of them", (int)a->pid, a->cmd[0]);
	if (a->cmd && a->operand)
		fail(a, "understood %s '%s' and the command '%s': give one of them",
		     cli->operand_name ? cli->operand_name : "operand", a->operand, a->cmd[0]);
	if (a->pid || a->cmd || a->operand || a->operands_optional)
		return;
	int need_pid = (op & MS_OPERAND_PID) && !(op & MS_OPERAND_PID_OPT);
	int need_one = (op & MS_OPERAND_ONE) && !(op & MS_OPERAND_ONE_OPT);
	int need_cmd = (op & MS_OPERAND_CMD) && !(op & MS_OPERAND_PID_OPT) && !(op & MS_OPERAND_ONE_OPT);
	if (need_pid && (op & MS_OPERAND_CMD))
		fail(a, "no PID or command given");
	if (need_pid)
		fail(a, "no PID given");
	if (need_one)
		fail(a, "no %s given", cli->operand_name ? cli->operand_name : "operand");
	if (need_cmd)
		fail(a, "no command to run (give it after --)");
}

static int take_option(struct ms_args *a, const struct ms_optspec *o, const char *val)
{
	a->val = val;
	if (!strcmp(o->name, "json"))
		a->json = 1;
	if (o->key < 0 && handle_common(a, o->key, val))
		return 0;
	return 1;
}

int ms_args_next(struct ms_args *a)
{
	for (;;) {
		if (a->in_short) {
			/* inside a bundle of short options: "-jb", "-a512M" */
			char *arg = a->argv[a->i];
			int letter = (unsigned char)arg[a->in_short];
			char dash[3] = { '-', (char)letter, 0 };
			const char *name = letter_long(a->cli, letter);
			const struct ms_optspec *o = name ? find_long(a->cli, name, strlen(name)) : NULL;
			if (!o)
				unknown(a, dash);
			const char *val = NULL;
			if (o->arg) {
				if (arg[a->in_short + 1]) {
					val = arg + a->in_short + 1;
				} else if (a->i + 1 < a->argc) {
					val = a->argv[++a->i];
				} else {
					fail(a, "%s (--%s) needs a %s", dash, o->name, o->arg);
				}
				a->in_short = 0;
				a->i++;
			} else if (arg[++a->in_short] == 0) {
				a->in_short = 0;
				a->i++;
			}
			if (take_option(a, o, val))
				return o->key;
			continue;
		}
		if (a->i >= a->argc) {
			check_operands(a);
			a->val = NULL;
			if (!a->json && !a->no_wrap && !(a->cli->flags & MS_CLI_NO_WRAP))
				ms_wrap_stdout();
			return -1;
		}
		char *arg = a->argv[a->i];
		if (!strcmp(arg, "--")) {
			if (a->i + 1 < a->argc) {
				if (!(a->cli->operands & MS_OPERAND_CMD))
					fail(a, "'%s' after --: this runs no command", a->argv[a->i + 1]);
				a->cmd = a->argv + a->i + 1;
			} else if (a->cli->operands & MS_OPERAND_CMD) {
				fail(a, "no command after --");
			}
			a->i = a->argc;
			continue;
		}
		if (arg[0] == '-' && arg[1] == '-') {
			const char *name = arg + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct ms_optspec *o = find_long(a->cli, name, len);
			if (!o) {
				char shown[80];
				snprintf(shown, sizeof shown, "--%.*s", (int)(len < 60 ? len : 60), name);
				unknown(a, shown);
			}
			const char *val = NULL;
			a->i++;
			if (o->arg) {
				if (eq)
					val = eq + 1;
				else if (a->i < a->argc)
					val = a->argv[a->i++];
				else
					fail(a, "--%s needs a %s", o->name, o->arg);
			} else if (eq) {
				fail(a, "--%s takes no value (given '%s')", o->name, eq + 1);
			}
			if (take_option(a, o, val))
				return o->key;
			continue;
		}
		if (arg[0] == '-' && arg[1]) {
			a->in_short = 1;
			continue;
		}
		operand(a, arg);
		a->i++;
	}
}

int ms_args_exit(const struct ms_args *a, int worst)
{
	return a->fail_on != MS_FAIL_ON_NONE && worst >= a->fail_on ? 1 : 0;
}

/* "  -a, --accounted SIZE" */
static void option_head(const struct ms_cli *cli, const struct ms_optspec *o, char *buf, size_t n)
{
	int letter = long_letter(cli, o->name);
	if (letter)
		snprintf(buf, n, "  -%c, --%s%s%s", letter, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	else
		snprintf(buf, n, "      --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

static void option_help(FILE *out, const struct ms_cli *cli, const struct ms_optspec *o)
{
	char head[128];
	option_head(cli, o, head, sizeof head);
	const int col = 26;
	const char *h = o->help ? o->help : "";
	int first = 1;
	while (*h || first) {
		size_t len = strcspn(h, "\n");
		char line[512];
		snprintf(line, sizeof line, "%.*s", (int)len, h);
		if (first && (int)strlen(head) + 2 <= col) {
			fprintf(out, "%-*s", col, head);
			ms_wrap_fprint(out, line, col, col, MS_WRAP_HELP);
		} else {
			if (first)
				fprintf(out, "%s\n", head);
			ms_wrap_fprint(out, line, 0, col, MS_WRAP_HELP);
		}
		first = 0;
		h += len;
		if (*h == '\n')
			h++;
		if (!*h)
			break;
	}
}

void ms_args_help(const struct ms_cli *cli, FILE *out)
{
	const char *u = cli->usage ? cli->usage : "[OPTIONS]";
	int first = 1;
	while (*u) {
		size_t len = strcspn(u, "\n");
		fprintf(out, "%s %s %.*s\n", first ? "usage:" : "      ", cli->prog, (int)len, u);
		first = 0;
		u += len;
		if (*u == '\n')
			u++;
	}
	if (cli->about)
		fprintf(out, "%s\n", cli->about);
	if (cli->opts && cli->opts->name) {
		fprintf(out, "\nOptions:\n");
		for (const struct ms_optspec *o = cli->opts; o->name; o++)
			option_help(out, cli, o);
	}
	fprintf(out, "\nCommon options (the same in every step and helper, docs/cli.md):\n");
	for (const struct ms_optspec *o = common; o->name; o++)
		if (common_taken(cli, o->key))
			option_help(out, cli, o);
	if (cli->more)
		fprintf(out, "\n%s", cli->more);
	char line[400];
	snprintf(line, sizeof line, "Options go before or after the operands; a bare number is the PID%s.",
		 cli->operands & MS_OPERAND_CMD ? "; a command follows --" : "");
	fputc('\n', out);
	ms_wrap_fprint(out, line, 0, 0, MS_WRAP_HELP);
	if (cli->flags & MS_CLI_FAIL_ON)
		ms_wrap_fprint(out, "Findings are marked '!!' a problem, ' !' a notice, ' -' information.", 0, 0, MS_WRAP_HELP);
	snprintf(line, sizeof line, "Exit status: 0 it ran (whatever it found, also a partial read), 2 an error%s.",
		 cli->flags & MS_CLI_FAIL_ON ? ", 1 a finding at the --fail-on level" : "");
	ms_wrap_fprint(out, line, 0, 2, MS_WRAP_HELP);
}

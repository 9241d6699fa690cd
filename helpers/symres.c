/* symres: addresses to "function+offset (dso) file:line" with elfutils
 * libdw, for a live PID or a saved maps snapshot.  As a filter (-f) it
 * copies stdin to stdout, appending the symbol after every hex address it
 * finds (raw addresses printed by stap or bpftrace scripts).
 *
 * usage: symres (-p PID | -m MAPSFILE) [-r] [ADDR... | -f] */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "probe/procfs.h"
#include "probe/symres.h"

#define PROG "symres"

static const struct ms_optspec opts[] = {
	{ "maps",   'm',          "FILE", "modules from a saved /proc/PID/maps (the files must still exist)" },
	{ "return", MS_LONG('r'), NULL,   "addresses are return addresses: resolve the call before them" },
	{ "filter", 'f',          NULL,   "copy stdin to stdout, appending <symbol> after each 0x address" },
	{ 0 },
};

static const struct ms_cli cli = {
	.prog = PROG, .opts = opts,
	.usage = "(-p PID | -m MAPSFILE) [--return] ADDR...\n(-p PID | -m MAPSFILE) [--return] -f < text",
	.about = "Resolve addresses to 'function+offset (dso) file:line' with libdw\n"
		 "(debug files by build-id under /usr/lib/debug are used).",
	.operands = MS_OPERAND_PID | MS_OPERAND_PID_OPT | MS_OPERAND_LIST,
};

static int resolve_one(struct ms_symres *s, const char *tok, int ret)
{
	char *end;
	uint64_t a = strtoull(tok, &end, 16);
	if (*end || end == tok) {
		fprintf(stderr, PROG ": %s: not a hex address (give e.g. 0x7f12345678)\n", tok);
		return -1;
	}
	struct ms_sym sym;
	char buf[MS_SYM_LINE];
	ms_symres_lookup(s, a, ret, &sym);
	ms_sym_format(&sym, a, buf, sizeof buf);
	printf("0x%" PRIx64 " %s\n", a, buf);
	return 0;
}

/* Copy a line, appending " <symbol>" after each 0x address of 6+ digits. */
static void filter_line(struct ms_symres *s, const char *line, int ret)
{
	const char *p = line;
	while (*p) {
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && (p == line || !isalnum((unsigned char)p[-1]))) {
			const char *q = p + 2;
			while (isxdigit((unsigned char)*q))
				q++;
			if (q - p - 2 >= 6 && !isalnum((unsigned char)*q)) {
				uint64_t a = strtoull(p + 2, NULL, 16);
				struct ms_sym sym;
				char buf[MS_SYM_LINE];
				ms_symres_lookup(s, a, ret, &sym);
				fwrite(p, 1, (size_t)(q - p), stdout);
				if (sym.found) {
					ms_sym_format(&sym, a, buf, sizeof buf);
					printf(" <%s>", buf);
				}
				p = q;
				continue;
			}
		}
		putchar(*p++);
	}
}

int main(int argc, char **argv)
{
	int ret = 0, filter = 0, c;
	const char *maps = NULL;
	struct ms_args a;
	ms_args_begin(&a, &cli, argc, argv);
	while ((c = ms_args_next(&a)) != -1) {
		switch (c) {
		case 'm': maps = a.val; break;
		case MS_LONG('r'): ret = 1; break;
		case 'f': filter = 1; break;
		}
	}
	if (!a.pid == !maps)
		ms_args_fail(&a, "which process's modules? give -p PID or -m MAPSFILE");
	if (!filter && !a.nlist)
		ms_args_fail(&a, "no address to resolve: give addresses, or -f to filter stdin");
	struct ms_symres *s = NULL;
	struct ms_err e;
	if (a.pid) {
		if (ms_symres_open_pid(&s, a.pid, &e) < 0)
			ms_die(PROG, &e, 2);
	} else {
		char *text = NULL;
		size_t len = 0;
		if (ms_read_file(maps, &text, &len, 64u << 20, &e) < 0 ||
		    ms_symres_open_maps(&s, text, len, &e) < 0)
			ms_die(PROG, &e, 2);
		free(text);
	}
	int rc = 0;
	if (filter) {
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, stdin) > 0)
			filter_line(s, line, ret);
		free(line);
	} else {
		for (int i = 0; i < a.nlist; i++)
			if (resolve_one(s, a.list[i], ret) < 0)
				rc = 2;
	}
	ms_symres_close(s);
	return rc;
}

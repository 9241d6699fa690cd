/* memsleuth stap: run a SystemTap script (yours, or a bundled one by name)
 * on this host in one command: the runtime the host allows (module, else
 * bpf with memsleuth's prepared tree), a preflight that names what that
 * runtime lacks before a slow compile, the memory syscall tapset probes
 * translated for the bpf runtime, caller addresses resolved to source
 * lines, and nothing left behind however it ends. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "findings/stappreflight.h"
#include "findings/staptranslate.h"
#include "findings/sysbackend.h"
#include "probe/kconfig.h"
#include "probe/procfs.h"
#include "probe/staprun.h"
#include "probe/symres.h"
#include "util/paths.h"
#include "options.h"
#include "steps.h"

static const char *const prog = "memsleuth stap";
static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void)sig; stop_requested = 1; }

#define SCRIPT_MAX (4u << 20)

static const struct ms_optspec opts[] = {
	{ "pid",        'p', "PID",  "trace process PID (also stap's -x PID, or a PID after the script)" },
	{ "cmd",        MS_LONG('c'), "'CMD'", "run CMD and trace it (stap's -c; also -- CMD ARGS)" },
	{ "inline",     MS_LONG('e'), "'SCRIPT'", "the script itself, as stap's -e (then no SCRIPT operand)" },
	{ "runtime",    MS_LONG('r'), "R", "auto|module|bpf (default auto: module where kernel modules\n"
					   "and a build tree exist, else bpf with memsleuth's tree)" },
	{ "symbols",    MS_LONG('s'), NULL, "resolve addresses the script prints (caller=0x..., or a\n"
					   "whole field 0x...) to FUNC (FILE:LINE) in the target" },
	{ "stap-opt",   MS_LONG('O'), "OPT", "pass OPT to stap (repeatable): --stap-opt=-v, --stap-opt=-p4" },
	{ "list",       'l', NULL, "the bundled scripts: question and arguments" },
	{ "translate",  MS_LONG('t'), NULL, "rewrite syscall.{brk,mmap,mmap2,munmap,mprotect,madvise,mremap}\n"
					   "probes for the bpf runtime; printed, or run with a target" },
	{ "output",     'o', "FILE", "--translate: write the script to FILE (a new file)" },
	{ "force",      MS_LONG('f'), NULL, "compile even when the preflight finds what cannot work" },
	{ "stap-setup", MS_LONG('S'), NULL, "allow preparing the bpf runtime in your cache dir (implied for root)" },
	{ 0 },
};

/* stap's own letters, which its users type (docs/cli.md, "Own letters"):
 * -x is stap's -p/--pid, -c and -e mean stap's, not --configs/--explain. */
static const struct ms_own_letter own[] = {
	{ 'x', "pid" }, { 'c', "cmd" }, { 'e', "inline" }, { 0 },
};

static const struct ms_cli cli = {
	.prog = "memsleuth stap",
	.usage = "[OPTIONS] (SCRIPT | NAME | -e 'SCRIPT') [PID | -- CMD ARGS] [SCRIPT-ARGS]\n"
		 "--list\n"
		 "--translate SCRIPT [-o FILE | PID | -- CMD ARGS]",
	.about = "Run a SystemTap script on this host: the runtime it allows, a preflight for\n"
		 "what that runtime lacks (line by line, before compiling), caller addresses\n"
		 "resolved, nothing left behind.  NAME runs a bundled script (see --list).",
	.opts = opts, .own = own,
	.operands = MS_OPERAND_LIST | MS_OPERAND_CMD, .flags = MS_CLI_DEBUGINFO | MS_CLI_NO_OPERAND_CHECK,
	.more = "A script argument LIBC is replaced by the path of the target's libc.\n"
		"Details: docs/stap.md, docs/oneliners.md; man memsleuth-stap.\n",
};

/* --list: each bundled script's header: "# NAME.stp -- what", "# Answers:", "# Runs:". */
static int list_scripts(void)
{
	char where[PATH_MAX], dir[PATH_MAX];
	if (ms_resource_path(MS_RES_STAP, "", where, sizeof where) < 0 || !realpath(where, dir))
		ms_fatal(prog, "reinstall memsleuth", "%s: bundled scripts not found", where);
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		ms_fatal(prog, "reinstall memsleuth", "%s: %s", dir, strerror(errno));
	printf("Bundled scripts (memsleuth stap NAME [PID | -- CMD] [ARGS]), in %s:\n\n", dir);
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t l = strlen(nm);
		if (l > 4 && !strcmp(nm + l - 4, ".stp")) {
			char path[PATH_MAX + 256], line[512], what[256] = "", runs[512] = "", answers[1024] = "";
			snprintf(path, sizeof path, "%s/%s", dir, nm);
			FILE *f = fopen(path, "r");
			int in_answers = 0;
			for (int k = 0; f && k < 40 && fgets(line, sizeof line, f); k++) {
				line[strcspn(line, "\n")] = 0;
				char *p = line[0] == '#' ? line + 1 : NULL;
				if (!p)
					continue;
				while (*p == ' ')
					p++;
				char *dash = strstr(p, " -- ");
				if (!what[0] && dash && !strncmp(p, nm, l))
					snprintf(what, sizeof what, "%s", dash + 4);
				if (!strncmp(p, "Answers:", 8)) {
					snprintf(answers, sizeof answers, "%s", p + 8 + strspn(p + 8, " "));
					in_answers = 1;
					continue;
				}
				/* a label is "Word:" right after "# " */
				size_t w = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
				int label = w > 0 && p[w] == ':' && isupper((unsigned char)p[0]);
				if (in_answers && !label && *p && strlen(answers) + strlen(p) + 2 < sizeof answers) {
					strcat(answers, " ");
					strcat(answers, p);
					continue;
				}
				in_answers = 0;
				if (!strncmp(p, "Runs:", 5) && !runs[0]) {
					/* "stap [...] NAME.stp -x PID LIBC": what follows the script name */
					char *s = strstr(p, nm);
					snprintf(runs, sizeof runs, "%s", s ? s + l + strspn(s + l, " ") : p + 5);
				}
			}
			if (f)
				fclose(f);
			printf("%.*s\n  %s\n  question: %s\n  arguments: %s\n\n", (int)(l - 4), nm, what,
			       answers[0] ? answers : "-", runs[0] ? runs : "-x PID");
		}
		free(names[i]);
	}
	free(names);
	return MS_EXIT_OK;
}

/* SCRIPT (a file) or NAME (stap/NAME.stp). */
static void find_script(const char *arg, char *out, size_t len)
{
	struct stat st;
	if (strchr(arg, '/') || (strlen(arg) > 4 && !strcmp(arg + strlen(arg) - 4, ".stp"))) {
		if (stat(arg, &st) < 0 || !S_ISREG(st.st_mode))
			ms_fatal(prog, "give a script file, or a bundled NAME (memsleuth stap --list)", "%s: %s", arg,
				 errno ? strerror(errno) : "not a regular file");
		snprintf(out, len, "%s", arg);
		return;
	}
	char name[256];
	snprintf(name, sizeof name, "%s.stp", arg);
	if (ms_resource_path(MS_RES_STAP, name, out, len) < 0)
		ms_fatal(prog, "memsleuth stap --list shows the bundled names; a file needs its path (./x.stp)",
			 "%s: no such bundled script or file", arg);
	struct ms_err te;   /* a bundled script runs as root: it must be ours */
	if (ms_resource_trusted(MS_RES_STAP, name, out, len, &te) < 0)
		ms_die(prog, &te, MS_EXIT_ERROR);
}

static char *read_script(const char *path, size_t *len)
{
	char *text = NULL;
	struct ms_err e;
	if (ms_read_file(path, &text, len, SCRIPT_MAX, &e) < 0)
		ms_die(prog, &e, MS_EXIT_ERROR);
	return text;
}

/* The libc a process maps (ours when pid is 0: the same system libc). */
static int target_libc(pid_t pid, char *out, size_t len)
{
	char *maps = NULL, *save = NULL;
	size_t n = 0;
	struct ms_err e;
	int found = 0;
	if (ms_proc_read(pid ? pid : getpid(), "maps", &maps, &n, &e) < 0) {
		free(maps);
		return 0;
	}
	for (char *line = strtok_r(maps, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
		char *path = strchr(line, '/');
		const char *base = path ? strrchr(path, '/') + 1 : NULL;
		if (base && (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-2.", 7))) {
			snprintf(out, len, "%s", path);
			found = 1;
		}
	}
	free(maps);
	return found;
}

/* "FUNC (FILE:LINE)", or "FUNC+0xOFF (DSO)" without line information. */
static void sym_text(const struct ms_sym *s, char *buf, size_t len)
{
	const char *file = strrchr(s->file, '/');
	file = file ? file + 1 : s->file;
	if (s->func[0] && s->file[0])
		snprintf(buf, len, "%s (%s:%d)", s->func, file, s->line);
	else if (s->func[0])
		snprintf(buf, len, "%s+0x%" PRIx64 " (%s)", s->func, s->offset, ms_sym_dso_base(s));
	else
		snprintf(buf, len, "%s+0x%" PRIx64, ms_sym_dso_base(s), s->dso_offset);
}

/* --symbols: the resolver over the target's latest maps, reopened when
 * they changed (a library loaded meanwhile). */
struct symbols {
	struct ms_symres *sr;
	size_t maps_len;
	const char *maps;
	int warned;
};

static struct ms_symres *symbols_for(struct symbols *sy, struct ms_staprun *r)
{
	if (!r->maps)
		return NULL;
	if (sy->sr && sy->maps == r->maps && sy->maps_len == r->maps_len)
		return sy->sr;
	struct ms_err e;
	if (sy->sr)
		ms_symres_close(sy->sr);
	sy->sr = NULL;
	if (ms_symres_open_maps(&sy->sr, r->maps, r->maps_len, &e) < 0) {
		if (!sy->warned++)
			ms_err_print(prog, &e);
		return NULL;
	}
	sy->maps = r->maps;
	sy->maps_len = r->maps_len;
	return sy->sr;
}

/* After "caller=0x..." (a return address: the call before it is
 * resolved) or a whole whitespace-separated field "0x...", the symbol. */
static void print_resolved(void *arg, struct ms_staprun *r, const char *text, size_t len)
{
	struct symbols *sy = arg;
	struct ms_symres *sr = symbols_for(sy, r);
	size_t i = 0;
	while (i < len) {
		int field_start = i == 0 || isspace((unsigned char)text[i - 1]);
		int caller = field_start && i + 9 <= len && !strncmp(text + i, "caller=0x", 9);
		size_t hex = caller ? i + 7 : (field_start && i + 2 < len && text[i] == '0' && text[i + 1] == 'x') ? i : len;
		if (sr && hex < len) {
			size_t q = hex + 2;
			while (q < len && isxdigit((unsigned char)text[q]))
				q++;
			if (q - hex - 2 >= 4 && (q == len || isspace((unsigned char)text[q]))) {
				uint64_t a = strtoull(text + hex + 2, NULL, 16);
				struct ms_sym s;
				char buf[MS_SYM_LINE];
				ms_symres_lookup(sr, a, caller, &s);
				fwrite(text + i, 1, q - i, stdout);
				if (s.found) {
					sym_text(&s, buf, sizeof buf);
					printf(" %s", buf);
				}
				i = q;
				continue;
			}
		}
		putchar(text[i++]);
	}
	fflush(stdout);
}

/* --translate without a target: the script to stdout or a new file. */
static void write_translation(const struct ms_stap_translation *t, const char *outfile)
{
	if (!outfile) {
		fwrite(t->text, 1, t->len, stdout);
		return;
	}
	int fd = open(outfile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		ms_fatal(prog, errno == EEXIST ? "choose a new name: an existing file is never overwritten" : NULL, "%s: %s", outfile,
			 strerror(errno));
	size_t done = 0;
	while (done < t->len) {
		ssize_t n = write(fd, t->text + done, t->len - done);
		if (n <= 0) {
			int err = errno;
			close(fd);
			unlink(outfile);
			ms_fatal(prog, NULL, "%s: %s", outfile, strerror(err));
		}
		done += (size_t)n;
	}
	if (close(fd) < 0)
		ms_fatal(prog, NULL, "%s: %s", outfile, strerror(errno));
}

/* One line per finding; returns how many are fatal. */
static size_t preflight(const char *shown, const char *text, size_t len, const struct ms_stap_host *h)
{
	struct ms_stap_preflight pf;
	struct ms_err e;
	if (ms_stap_preflight(text, len, h, &pf, &e) < 0)
		ms_die(prog, &e, MS_EXIT_ERROR);
	for (size_t i = 0; i < pf.n; i++)
		fprintf(stderr, "%s: %s:%d: %s: %s\n", prog, shown, pf.v[i].line, pf.v[i].construct, pf.v[i].advice);
	size_t fatal = pf.fatal;
	ms_stap_preflight_free(&pf);
	return fatal;
}

enum runtime { RT_AUTO, RT_MODULE, RT_BPF };

/* The runtime, from the same checks doctor and syscalls use. */
static void choose_runtime(enum runtime want, int setup_ok, struct ms_backend_choice *ch)
{
	struct ms_err em, eb;
	if (want != RT_BPF && ms_backend_check(MS_BE_STAP, setup_ok, ch, &em) == 0) {
		ch->backend = MS_BE_STAP;
		return;
	}
	if (want == RT_MODULE)
		ms_die(prog, &em, MS_EXIT_ERROR);
	if (ms_backend_check(MS_BE_STAP_BPF, setup_ok, ch, &eb) < 0) {
		if (want == RT_BPF)
			ms_die(prog, &eb, MS_EXIT_ERROR);
		ms_fatal(prog, eb.hint, "no SystemTap runtime usable: module: %s; bpf: %s", em.msg, eb.msg);
	}
	ch->backend = MS_BE_STAP_BPF;
}

int cmd_stap(int argc, char **argv)
{
	enum runtime want = RT_AUTO;
	int symbols = 0, translate = 0, force = 0, setup_ok = geteuid() == 0, c, nopts = 0;
	char **stap_opts = calloc((size_t)argc + 1, sizeof *stap_opts);
	const char *outfile = NULL, *cmd_string = NULL, *inline_script = NULL;
	pid_t pid = 0;
	struct ms_err e;
	if (!stap_opts)
		ms_fatal(prog, NULL, "out of memory");
	struct ms_args a;
	ms_args_begin(&a, &cli, argc, argv);
	while ((c = ms_args_next(&a)) != -1) {
		switch (c) {
		case 'p':
			if (ms_pid_parse(a.val, &pid, &e) < 0)
				ms_die(prog, &e, MS_EXIT_ERROR);
			break;
		case MS_LONG('c'): cmd_string = a.val; break;
		case MS_LONG('e'): inline_script = a.val; break;
		case 'o': outfile = a.val; break;
		case MS_LONG('r'):
			if (!strcmp(a.val, "auto")) want = RT_AUTO;
			else if (!strcmp(a.val, "module")) want = RT_MODULE;
			else if (!strcmp(a.val, "bpf")) want = RT_BPF;
			else ms_args_fail(&a, "--runtime %s: give auto, module or bpf", a.val);
			break;
		case MS_LONG('s'): symbols = 1; break;
		case MS_LONG('O'): stap_opts[nopts++] = (char *)a.val; break;   /* at most argc of them */
		case 'l': free(stap_opts); return list_scripts();
		case MS_LONG('t'): translate = 1; break;
		case MS_LONG('f'): force = 1; break;
		case MS_LONG('S'): setup_ok = 1; break;
		}
	}
	int quiet = ms_quiet();
	char **cmd = a.cmd;
	int npos = a.nlist;
	char **pos = a.list;
	if (npos < 1 && !inline_script)
		ms_args_fail(&a, "no script given; --list shows the bundled NAMEs");
	char script[PATH_MAX];
	if (inline_script) {
		snprintf(script, sizeof script, "-e");   /* named so in messages, written as a file to run */
	} else {
		find_script(pos[0], script, sizeof script);
		pos++;
		npos--;
	}
	if (!pid && !cmd_string && !cmd && npos > 0 && strspn(pos[0], "0123456789") == strlen(pos[0])) {
		if (ms_pid_parse(pos[0], &pid, &e) < 0)
			ms_die(prog, &e, MS_EXIT_ERROR);
		pos++;
		npos--;
	}
	if ((pid != 0) + (cmd_string != NULL) + (cmd != NULL) > 1)
		ms_fatal(prog, "give one target: -x PID, -c 'CMD' or -- CMD ARGS", "more than one target");
	if (pid && kill(pid, 0) < 0 && errno == ESRCH)
		ms_fatal(prog, "check the PID (ps -e)", "process %d: no such process", (int)pid);
	int has_target = pid || cmd_string || cmd;
	size_t len;
	char *text = inline_script ? strdup(inline_script) : read_script(script, &len);
	if (inline_script) {
		if (!text)
			ms_fatal(prog, NULL, "out of memory");
		len = strlen(text);
	}

	struct ms_stap_translation tr = { 0 };
	if (translate) {
		if (ms_stap_translate(text, len, &tr, &e) < 0)
			ms_die(prog, &e, MS_EXIT_ERROR);
		struct ms_kconfig kc;
		ms_kconfig_load(&kc);
		char kp = ms_kconfig_get(&kc, "CONFIG_KPROBES");
		ms_kconfig_free(&kc);
		struct ms_stap_host h = { .bpf = 1, .kprobes = kp == 'y' ? 1 : kp == '?' ? -1 : 0 };
		if (!quiet)
			fprintf(stderr, "%s: %s: %d syscall probe%s rewritten for the bpf runtime\n", prog, script,
				tr.probes, tr.probes == 1 ? "" : "s");
		if (!has_target) {
			size_t fatal = preflight(outfile ? outfile : "(translation)", tr.text, tr.len, &h);
			write_translation(&tr, outfile);
			if (fatal)
				fprintf(stderr, "%s: %zu construct%s above still need%s rewriting by hand\n", prog, fatal,
					fatal == 1 ? "" : "s", fatal == 1 ? "s" : "");
			ms_stap_translation_free(&tr);
			free(text);
			free(stap_opts);
			return MS_EXIT_OK;
		}
		free(text);
		text = tr.text;   /* run the translation */
		len = tr.len;
		tr.text = NULL;
		if (want == RT_MODULE)
			ms_fatal(prog, "drop --runtime module", "--translate writes for the bpf runtime");
		want = RT_BPF;
	}
	if (outfile)
		ms_fatal(prog, "-o goes with --translate and no target", "-o %s: nothing to write", outfile);

	struct ms_backend_choice ch;
	choose_runtime(want, setup_ok, &ch);
	int bpf = ch.backend == MS_BE_STAP_BPF;
	struct ms_kconfig kc;
	ms_kconfig_load(&kc);
	char kp = ms_kconfig_get(&kc, "CONFIG_KPROBES");
	ms_kconfig_free(&kc);
	struct ms_stap_host h = { .bpf = bpf, .kprobes = kp == 'y' ? 1 : kp == '?' ? -1 : 0 };
	size_t fatal = preflight(script, text, len, &h);
	if (fatal && !force)
		ms_fatal(prog, translate ? "rewrite them by hand (the advice above), or --force to let stap try"
				       : "rewrite them as advised above, try --translate for syscall.*, or --force to let stap try",
			 "%s: %zu construct%s cannot run here (stap not started)", script, fatal, fatal == 1 ? "" : "s");

	/* LIBC in the script's arguments: the target's libc */
	char libc[PATH_MAX];
	for (int i = 0; i < npos; i++)
		if (!strcmp(pos[i], "LIBC")) {
			if (!target_libc(pid, libc, sizeof libc))
				ms_fatal(prog, "give the libc path instead of LIBC", "LIBC: no libc mapped by %d", (int)pid);
			pos[i] = libc;
		}
	char tapset[PATH_MAX];
	struct ms_err te;   /* the tapset is compiled in with -I: only a trusted one */
	int have_tapset = ms_resource_path(MS_RES_STAP, "tapset", tapset, sizeof tapset) == 0;
	if (have_tapset && ms_resource_trusted(MS_RES_STAP, "tapset", tapset, sizeof tapset, &te) < 0)
		ms_die(prog, &te, MS_EXIT_ERROR);

	struct sigaction sa = { .sa_handler = on_stop };   /* no SA_RESTART: waits wake up */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!quiet)
		fprintf(stderr, "%s: compiling %s with stap %s (about %s); %s\n", prog, script,
		bpf ? "--runtime=bpf" : "(module runtime)", bpf ? "5 s" : "30 s",
		has_target ? "it ends with the target, or Ctrl-C" : "Ctrl-C ends it");
	struct ms_staprun r = {
		.script = inline_script ? "inline.stp" : script, .script_text = translate || inline_script ? text : NULL,
		.script_text_len = len,
		.script_args = pos, .nscript_args = npos, .pid = pid, .cmd = cmd, .cmd_string = cmd_string,
		.bpf_tree = bpf ? ch.stap_tree : NULL, .tapset_dir = have_tapset ? tapset : NULL,
		.stap_opts = stap_opts, .nstap_opts = nopts, .stop = &stop_requested,
	};
	struct symbols sy = { 0 };
	if (symbols) {
		r.on_line = print_resolved;
		r.line_arg = &sy;
	}
	if (ms_staprun_run(&r, &e) < 0)
		ms_die(prog, &e, MS_EXIT_ERROR);
	if (r.swept[0])
		fprintf(stderr, "%s: %s\n", prog, r.swept);
	int rc = MS_EXIT_OK;
	if (symbols && !r.maps && has_target)
		fprintf(stderr, "%s: --symbols: the target's maps were never read (no target, or it ended at once): "
			"addresses printed as they are\n", prog);
	if (sy.sr)
		ms_symres_close(sy.sr);
	fflush(stdout);
	int st = r.status;
	if (!r.stopped && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		fprintf(stderr, "%s: stap %s %d: its messages are above%s\n", prog,
			WIFEXITED(st) ? "failed with status" : "died of signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
			fatal ? " (after the preflight's advice)" : "");
		rc = MS_EXIT_ERROR;
	} else if (r.stopped && !quiet) {
		fprintf(stderr, "%s: stopped stap (%s)\n", prog, r.stopped == 2 ? "the target ended" : "interrupted");
	}
	ms_staprun_free(&r);
	free(text);
	free(stap_opts);
	return rc;
}

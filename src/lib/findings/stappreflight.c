#include "findings/stappreflight.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/staplex.h"
#include "findings/stapsys.h"

struct ctx {
	const struct ms_stoks *t;
	const size_t *idx;          /* indices of the active tokens */
	size_t n;
	const struct ms_stap_host *h;
	struct ms_stap_preflight *out;
	size_t cap;
	int oom;
};

static const struct ms_stok *tok(const struct ctx *c, size_t i) { return &c->t->v[c->idx[i]]; }
static int is(const struct ctx *c, size_t i, const char *s) { return i < c->n && ms_stok_is(c->t, c->idx[i], s); }

static void add(struct ctx *c, int line, int fatal, const char *construct, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add(struct ctx *c, int line, int fatal, const char *construct, const char *fmt, ...)
{
	for (size_t i = 0; i < c->out->n; i++)
		if (c->out->v[i].line == line && strcmp(c->out->v[i].construct, construct) == 0)
			return;
	if (c->out->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 16;
		struct ms_stap_finding *nv = realloc(c->out->v, nc * sizeof *nv);
		if (!nv) {
			c->oom = 1;
			return;
		}
		c->out->v = nv;
		c->cap = nc;
	}
	struct ms_stap_finding *f = &c->out->v[c->out->n++];
	f->line = line;
	f->fatal = fatal;
	c->out->fatal += fatal != 0;
	snprintf(f->construct, sizeof f->construct, "%s", construct);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->advice, sizeof f->advice, fmt, ap);
	va_end(ap);
}

/* syscall.NAME[.return] under the bpf runtime. */
static void check_syscall_point(struct ctx *c, size_t i, size_t end)
{
	char what[64], args[256];
	const struct ms_stok *name = i + 2 < end && is(c, i + 1, ".") ? tok(c, i + 2) : NULL;
	int ret = i + 4 < end && is(c, i + 3, ".") && is(c, i + 4, "return");
	const struct ms_stap_sys *s = name && name->kind == MS_STOK_IDENT
		? ms_stap_sys_find(c->t->text + name->off, name->len) : NULL;
	if (name)
		snprintf(what, sizeof what, "syscall.%.*s%s", (int)name->len, c->t->text + name->off, ret ? ".return" : "");
	else
		snprintf(what, sizeof what, "syscall");
	if (s && ret) {
		add(c, tok(c, i)->line, 1, what,
		    "the bpf runtime has no syscall tapset: write kernel.trace(\"sys_exit\") with "
		    "`if ($regs->orig_ax != %d) next` and the result in $ret (or run memsleuth stap --translate)", s->nr);
	} else if (s) {
		ms_stap_sys_args_text(s, args, sizeof args);
		add(c, tok(c, i)->line, 1, what,
		    "the bpf runtime has no syscall tapset: write kernel.trace(\"sys_enter\") with "
		    "`if ($id != %d) next` and %s (or run memsleuth stap --translate)", s->nr, args);
	} else {
		add(c, tok(c, i)->line, 1, what,
		    "the bpf runtime has no syscall tapset: write kernel.trace(\"sys_enter\") with `if ($id != NR) next` "
		    "(NR from /usr/include/x86_64-linux-gnu/asm/unistd_64.h) and the arguments in "
		    "$regs->di, ->si, ->dx, ->r10, ->r8, ->r9; sys_exit: $regs->orig_ax and $ret");
	}
}

/* One probe point: tokens [i, end). */
static void check_point(struct ctx *c, size_t i, size_t end)
{
	int line = tok(c, i)->line;
	int nokp = c->h->kprobes == 0;
	if (c->h->bpf && (is(c, i, "syscall") || is(c, i, "nd_syscall") || is(c, i, "dw_syscall")))
		check_syscall_point(c, i, end);
	else if (nokp && is(c, i, "kprobe"))
		add(c, line, 1, "kprobe", "this kernel has no CONFIG_KPROBES: use a tracepoint, kernel.trace(\"NAME\") "
		    "(list them with `stap -L 'kernel.trace(\"*\")'`), or a uprobe, process(\"PATH\").function(\"F\")");
	else if (nokp && is(c, i, "kernel") && is(c, i + 1, ".") && (is(c, i + 2, "function") || is(c, i + 2, "statement")))
		add(c, line, 1, "kernel.function", "this kernel has no CONFIG_KPROBES: use a tracepoint, "
		    "kernel.trace(\"NAME\"), e.g. kernel.trace(\"sys_enter\") for syscalls");
	else if (nokp && is(c, i, "module")) {
		for (size_t j = i + 1; j < end; j++)
			if (is(c, j, "function") || is(c, j, "statement")) {
				add(c, line, 1, "module().function", "this kernel has no CONFIG_KPROBES (and no modules): "
				    "use a tracepoint, kernel.trace(\"NAME\")");
				break;
			}
	}
}

/* The printf conversions of a format string that print 32 bits under
 * bpf: %d %i %u %x %X %o without an 'l'. */
static void check_format(struct ctx *c, const struct ms_stok *s)
{
	const char *p = c->t->text + s->off + 1, *end = c->t->text + s->off + s->len - 1;
	while (p < end) {
		if (*p != '%') {
			p++;
			continue;
		}
		if (p + 1 < end && p[1] == '%') {
			p += 2;
			continue;
		}
		const char *q = p + 1;
		while (q < end && strchr("-+ #0123456789.", *q))
			q++;
		if (q < end && strchr("diuxXo", *q)) {
			char conv[8];
			snprintf(conv, sizeof conv, "%%%c", *q);
			add(c, s->line, 0, conv, "the bpf runtime prints %%%c as 32 bits (sizes above 2 GiB and addresses "
			    "come out wrong): write %%l%c", *q, *q);
		}
		p = q;
	}
}

static const char *const backtrace_fns[] = {
	"ubacktrace", "print_ubacktrace", "sprint_ubacktrace", "print_ubacktrace_brief", "ucallers",
	"print_ustack", "sprint_ustack", "usymdata", "usymname", "umodname", "uaddr",
};
static const char *const kbacktrace_fns[] = {
	"backtrace", "print_backtrace", "sprint_backtrace", "callers", "print_stack", "symdata", "symname",
};
static const char *const register_fns[] = { "register", "uregister", "u_register", "print_regs" };
static const char *const string_fns[] = {
	"sprintf", "substr", "strlen", "isinstr", "strpos", "tokenize", "str_replace", "text_str", "text_strn",
	"stringat", "strtol", "isdigit", "string_quoted", "sprint", "sprintln", "sprintd", "sprintdln",
};
static const char *const format_fns[] = { "printf", "sprintf", "printd", "printdln", "warn", "error" };

static int in_list(const struct ctx *c, size_t i, const char *const *list, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (is(c, i, list[k]))
			return 1;
	return 0;
}
#define IN(c, i, list) in_list(c, i, list, sizeof list / sizeof list[0])

/* Statements of a handler or function body. */
static void check_body_token(struct ctx *c, size_t i, int begin_end)
{
	const struct ms_stok *t = tok(c, i);
	char name[64];
	snprintf(name, sizeof name, "%.*s", (int)(t->len < 60 ? t->len : 60), c->t->text + t->off);
	int call = is(c, i + 1, "(");
	if (t->kind == MS_STOK_AT) {
		if (!strcmp(name, "@hist_log"))
			add(c, t->line, 1, name, "no histograms in the bpf runtime: count buckets in an array, "
			    "`b[x < 4096 ? 12 : x < 65536 ? 16 : x < 1048576 ? 20 : 64] += 1` (no loops either: a fixed ?: chain "
			    "of powers of two), printed in probe end with foreach");
		else if (!strcmp(name, "@hist_linear"))
			add(c, t->line, 1, name, "no histograms in the bpf runtime: count buckets in an array, "
			    "`b[x / WIDTH] += 1`, printed in probe end with foreach");
		else if (!strcmp(name, "@min") || !strcmp(name, "@max"))
			add(c, t->line, 1, name, "the bpf runtime has @count, @sum and @avg only: keep the extreme in a "
			    "global, `if (x %s m) m = x`", name[2] == 'i' ? "<" : ">");
		else if (!strcmp(name, "@variance"))
			add(c, t->line, 1, name, "the bpf runtime has @count, @sum and @avg only: keep sums of x and x*x");
		return;
	}
	if (t->kind == MS_STOK_IDENT && call && IN(c, i, backtrace_fns)) {
		add(c, t->line, 1, name, "no user backtraces in the bpf runtime: at a process(\"LIB\").function(\"F\") "
		    "probe print the caller, `printf(\"caller=0x%%lx\\n\", ms_ucaller())` (memsleuth's tapset: the "
		    "return address read from the stack at the function's entry; uaddr() would be F itself), and "
		    "run with memsleuth stap --symbols for FUNC (FILE:LINE)");
	} else if (t->kind == MS_STOK_IDENT && call && IN(c, i, kbacktrace_fns)) {
		add(c, t->line, 1, name, "no kernel backtraces in the bpf runtime: print the probe's own point with pp() "
		    "or use the module runtime where modules exist");
	} else if (t->kind == MS_STOK_IDENT && call && IN(c, i, register_fns)) {
		add(c, t->line, 1, name, "no register() in the bpf runtime: $regs->di, ->si, ->dx, ->r10 at "
		    "kernel.trace(\"sys_enter\"), $NAME for a uprobe's arguments (with debug info), ms_user_sp() "
		    "from memsleuth's tapset for the user stack pointer");
	} else if (t->kind == MS_STOK_IDENT && call && !begin_end && IN(c, i, string_fns)) {
		add(c, t->line, 1, name, "no string functions in bpf probe handlers (begin and end may use sprintf): "
		    "print the parts with one printf(\"%%s ...\", ...), decode numbers after the run");
	} else if (t->kind == MS_STOK_IDENT && !call && !strcmp(name, "delete")) {
		add(c, t->line, 1, "delete", "no array delete in the bpf runtime: store 0 and skip zero entries "
		    "when printing (`if (!a[k]) continue`... or a test in foreach)");
	} else if (t->kind == MS_STOK_IDENT && (!strcmp(name, "for") || !strcmp(name, "while"))) {
		add(c, t->line, 1, name, "no loops in bpf probe handlers (foreach over an array works in probe end): "
		    "unroll it, or a fixed ?: chain");
	} else if (t->kind == MS_STOK_PUNCT && !begin_end && (!strcmp(name, ".") || !strcmp(name, ".="))) {
		add(c, t->line, 1, "string concatenation", "no string concatenation in bpf probe handlers: "
		    "print the parts with one printf(\"%%s%%s\", a, b)");
	}
	if (t->kind == MS_STOK_IDENT && call && IN(c, i, format_fns) && i + 2 < c->n
	    && tok(c, i + 2)->kind == MS_STOK_STRING)
		check_format(c, tok(c, i + 2));
}

static void scan(struct ctx *c)
{
	int depth = 0, body_begin_end = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (depth == 0 && is(c, i, "probe")) {
			/* probe points up to the '{' (or an alias's '='), split at top-level commas */
			size_t j = i + 1, start = j;
			int paren = 0, has_begin_end = 0;
			for (; j < c->n && !(paren == 0 && (is(c, j, "{") || is(c, j, "=") || is(c, j, "+="))); j++) {
				if (is(c, j, "("))
					paren++;
				else if (is(c, j, ")") && paren > 0)
					paren--;
				else if (paren == 0 && is(c, j, ",")) {
					if (j > start)
						check_point(c, start, j);
					start = j + 1;
					continue;
				}
				if (j == start && (is(c, j, "begin") || is(c, j, "end") || is(c, j, "error")))
					has_begin_end = 1;
			}
			if (j > start)
				check_point(c, start, j);
			body_begin_end = has_begin_end;
			i = j - 1;
			continue;
		}
		if (depth == 0 && is(c, i, "function"))
			body_begin_end = 0;
		if (is(c, i, "{")) {
			depth++;
			continue;
		}
		if (is(c, i, "}")) {
			if (depth > 0)
				depth--;
			continue;
		}
		if (depth > 0 && c->h->bpf)
			check_body_token(c, i, body_begin_end);
	}
}

static int by_line(const void *a, const void *b)
{
	const struct ms_stap_finding *x = a, *y = b;
	return (x->line > y->line) - (x->line < y->line);
}

int ms_stap_preflight(const char *text, size_t len, const struct ms_stap_host *h,
		      struct ms_stap_preflight *out, struct ms_err *e)
{
	struct ms_stoks t;
	memset(out, 0, sizeof *out);
	if (ms_stap_lex(text, len, &t, e) < 0)
		return -1;
	ms_stap_pp_select(&t, h->bpf ? "bpf" : "kernel");
	size_t *idx = malloc((t.n ? t.n : 1) * sizeof *idx), n = 0;
	if (!idx) {
		ms_stoks_free(&t);
		return ms_err_set(e, ENOMEM, NULL, NULL, "preflight");
	}
	for (size_t i = 0; i < t.n; i++)
		if (t.v[i].active && t.v[i].kind != MS_STOK_EMBED)
			idx[n++] = i;
	struct ctx c = { .t = &t, .idx = idx, .n = n, .h = h, .out = out };
	scan(&c);
	free(idx);
	ms_stoks_free(&t);
	if (c.oom) {
		ms_stap_preflight_free(out);
		return ms_err_set(e, ENOMEM, NULL, NULL, "preflight");
	}
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, by_line);
	return 0;
}

void ms_stap_preflight_free(struct ms_stap_preflight *p)
{
	free(p->v);
	memset(p, 0, sizeof *p);
}

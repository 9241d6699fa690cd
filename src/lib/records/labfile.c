#include "records/labfile.h"

#include <ctype.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/size.h"

#define MAX_STEPS 10000
#define MAX_COUNT 100000000ull
#define MAX_THREADS 1024
#define MAX_DECLS 64

static const struct ms_lab_proto builtins[] = {
	{ "malloc_trim", MS_LT_INT, { MS_LT_SIZE }, 1 },
	{ "mallopt", MS_LT_INT, { MS_LT_INT, MS_LT_INT }, 2 },
	{ "malloc_stats", MS_LT_VOID, { 0 }, 0 },
	{ "malloc_info", MS_LT_INT, { MS_LT_INT, MS_LT_FILE }, 2 },
	{ "mallctl", MS_LT_INT, { MS_LT_STR, MS_LT_PTR, MS_LT_PTR, MS_LT_PTR, MS_LT_SIZE }, 5 },
	{ "malloc_stats_print", MS_LT_VOID, { MS_LT_PTR, MS_LT_PTR, MS_LT_STR }, 3 },
	{ "mi_collect", MS_LT_VOID, { MS_LT_BOOL }, 1 },
	{ "mi_stats_print", MS_LT_VOID, { MS_LT_PTR }, 1 },
	{ "MallocExtension_ReleaseFreeMemory", MS_LT_VOID, { 0 }, 0 },
};

const struct ms_lab_proto *ms_lab_builtin_proto(const char *name)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (!strcmp(builtins[i].name, name))
			return &builtins[i];
	return NULL;
}

static const char *const type_names[] = {
	[MS_LT_VOID] = "void", [MS_LT_INT] = "int", [MS_LT_UINT] = "unsigned",
	[MS_LT_LONG] = "long", [MS_LT_SIZE] = "size_t", [MS_LT_DOUBLE] = "double",
	[MS_LT_BOOL] = "bool", [MS_LT_PTR] = "ptr", [MS_LT_STR] = "str", [MS_LT_FILE] = "file",
};

const char *ms_lab_type_name(enum ms_lab_type t)
{
	return type_names[t];
}

static const struct { const char *name; int value; } constants[] = {
	{ "M_MXFAST", M_MXFAST }, { "M_TRIM_THRESHOLD", M_TRIM_THRESHOLD },
	{ "M_TOP_PAD", M_TOP_PAD }, { "M_MMAP_THRESHOLD", M_MMAP_THRESHOLD },
	{ "M_MMAP_MAX", M_MMAP_MAX }, { "M_CHECK_ACTION", M_CHECK_ACTION },
	{ "M_PERTURB", M_PERTURB }, { "M_ARENA_TEST", M_ARENA_TEST },
	{ "M_ARENA_MAX", M_ARENA_MAX },
};

/* One line being parsed. */
struct lx {
	const char *path;
	int line;
	const char *s;          /* the line, not NUL-terminated */
	size_t len, pos;
	struct ms_err *e;
	const struct ms_lab_proto *decls;
	size_t ndecls;
};

static int fail(struct lx *x, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct lx *x, size_t pos, const char *fmt, ...)
{
	char what[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return ms_err_set(x->e, 0, what, NULL, "%s:%d:%zu", x->path, x->line, pos + 1);
}

static void ws(struct lx *x)
{
	while (x->pos < x->len && (x->s[x->pos] == ' ' || x->s[x->pos] == '\t' || x->s[x->pos] == '\r'))
		x->pos++;
}

static int at_end(struct lx *x)
{
	ws(x);
	return x->pos >= x->len || x->s[x->pos] == '#';
}

/* What stands at pos, for "got ..." in messages. */
static const char *got(struct lx *x, char *buf, size_t n)
{
	if (at_end(x))
		return "end of line";
	size_t l = 0;
	while (x->pos + l < x->len && !isspace((unsigned char)x->s[x->pos + l]) && l < 20)
		l++;
	snprintf(buf, n, "'%.*s'", (int)(l ? l : 1), x->s + x->pos);
	return buf;
}

static int word(struct lx *x, char *out, size_t outlen)
{
	ws(x);
	size_t p = x->pos;
	if (p >= x->len || !(isalpha((unsigned char)x->s[p]) || x->s[p] == '_'))
		return -1;
	while (p < x->len && (isalnum((unsigned char)x->s[p]) || x->s[p] == '_'))
		p++;
	if (p - x->pos >= outlen)
		return -1;
	memcpy(out, x->s + x->pos, p - x->pos);
	out[p - x->pos] = 0;
	x->pos = p;
	return 0;
}

/* A token of number characters (digits, '.', unit letters). */
static size_t numtok(struct lx *x, char *out, size_t outlen)
{
	ws(x);
	size_t p = x->pos;
	while (p < x->len && (isalnum((unsigned char)x->s[p]) || x->s[p] == '.'))
		p++;
	size_t n = p - x->pos;
	if (!n || n >= outlen)
		return 0;
	memcpy(out, x->s + x->pos, n);
	out[n] = 0;
	return n;
}

static int expect_int(struct lx *x, uint64_t lo, uint64_t hi, const char *what, uint64_t *v)
{
	char tok[32], g[40];
	size_t start = (ws(x), x->pos), n = 0;
	/* Digits only: "5..20" is an index, a range marker and an index. */
	while (x->pos + n < x->len && isdigit((unsigned char)x->s[x->pos + n]) && n + 1 < sizeof tok)
		n++;
	memcpy(tok, x->s + x->pos, n);
	tok[n] = 0;
	int more = x->pos + n < x->len && (isalnum((unsigned char)x->s[x->pos + n]) || x->s[x->pos + n] == '_');
	unsigned long long val = n ? strtoull(tok, NULL, 10) : 0;
	if (!n || more || n > 19)
		return fail(x, start, "expected %s (a whole number), got %s", what, got(x, g, sizeof g));
	if (val < lo || val > hi)
		return fail(x, start, "expected %s from %llu to %llu, got %s", what,
			    (unsigned long long)lo, (unsigned long long)hi, tok);
	x->pos += n;
	*v = val;
	return 0;
}

static int expect_size(struct lx *x, const char *what, uint64_t *v)
{
	char tok[32], g[40];
	size_t start = (ws(x), x->pos);
	size_t n = numtok(x, tok, sizeof tok);
	if (!n || ms_size_parse(tok, v) < 0)
		return fail(x, start, "expected %s (like 1, 1K, 64K, 1.5M), got %s", what, got(x, g, sizeof g));
	x->pos += n;
	return 0;
}

static int expect_char(struct lx *x, char c, const char *what)
{
	char g[40];
	ws(x);
	if (x->pos >= x->len || x->s[x->pos] != c)
		return fail(x, x->pos, "expected %s, got %s", what, got(x, g, sizeof g));
	x->pos++;
	return 0;
}

static int expect_end(struct lx *x)
{
	char g[40];
	if (!at_end(x))
		return fail(x, x->pos, "expected end of line, got %s", got(x, g, sizeof g));
	return 0;
}

static int expect_setname(struct lx *x, char *set)
{
	char g[40];
	size_t start = (ws(x), x->pos);
	if (word(x, set, MS_LAB_NAME) < 0)
		return fail(x, start, "expected a set name (letters, digits, _; up to %d), got %s",
			    MS_LAB_NAME - 1, got(x, g, sizeof g));
	return 0;
}

static char *rest_text(struct lx *x)
{
	ws(x);
	size_t end = x->len;
	while (end > x->pos && isspace((unsigned char)x->s[end - 1]))
		end--;
	char *t = strndup(x->s + x->pos, end - x->pos);
	x->pos = x->len;
	return t;
}

static int parse_type(struct lx *x, enum ms_lab_type *t, int allow_void)
{
	char w[16], g[40];
	size_t start = (ws(x), x->pos);
	if (word(x, w, sizeof w) == 0)
		for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
			if (!strcmp(w, type_names[i]) && (allow_void || i != MS_LT_VOID)) {
				*t = (enum ms_lab_type)i;
				return 0;
			}
	x->pos = start;
	return fail(x, start, "expected a type (%sint, unsigned, long, size_t, double, bool, ptr, str, file), got %s",
		    allow_void ? "void, " : "", got(x, g, sizeof g));
}

static int parse_declare(struct lx *x, struct ms_lab_proto *p)
{
	char g[40];
	memset(p, 0, sizeof *p);
	if (parse_type(x, &p->ret, 1) < 0)
		return -1;
	size_t start = (ws(x), x->pos);
	if (word(x, p->name, sizeof p->name) < 0)
		return fail(x, start, "expected a function name, got %s", got(x, g, sizeof g));
	if (expect_char(x, '(', "'('") < 0)
		return -1;
	ws(x);
	if (x->pos < x->len && x->s[x->pos] == ')') {
		x->pos++;
		return expect_end(x);
	}
	for (;;) {
		if (p->nargs == MS_LAB_MAX_ARGS)
			return fail(x, x->pos, "expected at most %d parameters", MS_LAB_MAX_ARGS);
		if (parse_type(x, &p->args[p->nargs++], 0) < 0)
			return -1;
		ws(x);
		if (x->pos < x->len && x->s[x->pos] == ',') {
			x->pos++;
			continue;
		}
		if (expect_char(x, ')', "',' or ')'") < 0)
			return -1;
		return expect_end(x);
	}
}

static const struct ms_lab_proto *find_proto(struct lx *x, const char *name)
{
	for (size_t i = x->ndecls; i-- > 0;)
		if (!strcmp(x->decls[i].name, name))
			return &x->decls[i];
	return ms_lab_builtin_proto(name);
}

/* One call argument, checked against the parameter's type. */
static int parse_arg(struct lx *x, enum ms_lab_type t, int idx, const char *fn, struct ms_lab_arg *a)
{
	char g[40];
	size_t start = (ws(x), x->pos);
	memset(a, 0, sizeof *a);
	const char *want = NULL;
	if (x->pos < x->len && x->s[x->pos] == '"') {
		char buf[256];
		size_t n = 0;
		x->pos++;
		while (x->pos < x->len && x->s[x->pos] != '"') {
			char c = x->s[x->pos++];
			if (c == '\\' && x->pos < x->len) {
				c = x->s[x->pos++];
				c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
			}
			if (n + 1 >= sizeof buf)
				return fail(x, start, "expected a string of at most %zu bytes", sizeof buf - 1);
			buf[n++] = c;
		}
		if (x->pos >= x->len)
			return fail(x, start, "expected a closing '\"'");
		x->pos++;
		buf[n] = 0;
		a->kind = MS_LA_STR;
		a->s = strdup(buf);
		if (t != MS_LT_STR)
			want = ms_lab_type_name(t);
	} else {
		char tok[48];
		size_t n = 0;
		while (x->pos + n < x->len && (isalnum((unsigned char)x->s[x->pos + n]) ||
					       strchr("._-+", x->s[x->pos + n])) && n + 1 < sizeof tok)
			n++;
		if (!n)
			return fail(x, start, "expected argument %d of %s (%s), got %s", idx + 1, fn,
				    ms_lab_type_name(t), got(x, g, sizeof g));
		memcpy(tok, x->s + x->pos, n);
		tok[n] = 0;
		x->pos += n;
		uint64_t sz;
		char *end;
		if (!strcmp(tok, "NULL")) {
			a->kind = MS_LA_NULL;
			if (t != MS_LT_PTR && t != MS_LT_STR && t != MS_LT_FILE)
				want = ms_lab_type_name(t);
		} else if (!strcmp(tok, "stdout") || !strcmp(tok, "stderr")) {
			a->kind = tok[3] == 'o' ? MS_LA_STDOUT : MS_LA_STDERR;
			if (t != MS_LT_FILE)
				want = ms_lab_type_name(t);
		} else if (!strcmp(tok, "true") || !strcmp(tok, "false")) {
			a->kind = MS_LA_INT;
			a->i = tok[0] == 't';
			if (t != MS_LT_BOOL)
				want = ms_lab_type_name(t);
		} else if (isalpha((unsigned char)tok[0]) || tok[0] == '_') {
			size_t k;
			for (k = 0; k < sizeof constants / sizeof constants[0]; k++)
				if (!strcmp(tok, constants[k].name))
					break;
			if (k == sizeof constants / sizeof constants[0])
				return fail(x, start, "expected a number, string, NULL, stdout, stderr, true, false or "
					    "M_* constant, got unknown name '%s'", tok);
			a->kind = MS_LA_INT;
			a->i = constants[k].value;
			if (t != MS_LT_INT && t != MS_LT_LONG)
				want = ms_lab_type_name(t);
		} else if (t == MS_LT_DOUBLE) {
			a->kind = MS_LA_DOUBLE;
			a->d = strtod(tok, &end);
			if (*end)
				return fail(x, start, "expected a number for argument %d of %s, got '%s'", idx + 1, fn, tok);
		} else {
			a->kind = MS_LA_INT;
			int neg = tok[0] == '-';
			if (ms_size_parse(tok + neg, &sz) < 0 || sz > (uint64_t)LLONG_MAX)
				return fail(x, start, "expected argument %d of %s (%s), got '%s'", idx + 1, fn,
					    ms_lab_type_name(t), tok);
			a->i = neg ? -(long long)sz : (long long)sz;
			if (t == MS_LT_PTR || t == MS_LT_STR || t == MS_LT_FILE)
				want = ms_lab_type_name(t);
			else if ((t == MS_LT_INT && (a->i < INT_MIN || a->i > INT_MAX)) ||
				 (t == MS_LT_UINT && (a->i < 0 || a->i > UINT_MAX)) ||
				 (t == MS_LT_SIZE && a->i < 0) || (t == MS_LT_BOOL && a->i != 0 && a->i != 1))
				return fail(x, start, "expected argument %d of %s to fit %s, got %s", idx + 1, fn,
					    ms_lab_type_name(t), tok);
		}
		snprintf(a->text, sizeof a->text, "%s", tok);
	}
	if (a->kind == MS_LA_STR)
		snprintf(a->text, sizeof a->text, "\"%.40s\"", a->s ? a->s : "");
	if (want)
		return fail(x, start, "expected argument %d of %s to be %s, got %s", idx + 1, fn, want, a->text);
	return 0;
}

static int parse_call(struct lx *x, struct ms_lab_step *st)
{
	char name[64], g[40];
	size_t start = (ws(x), x->pos);
	st->sym_col = (int)start + 1;
	if (word(x, name, sizeof name) < 0)
		return fail(x, start, "expected a function name, got %s", got(x, g, sizeof g));
	const struct ms_lab_proto *p = find_proto(x, name);
	if (!p)
		return fail(x, start, "expected a function with a known prototype, got '%s' "
			    "(declare it first, e.g. 'declare int %s(size_t)')", name, name);
	st->proto = *p;
	if (expect_char(x, '(', "'('") < 0)
		return -1;
	ws(x);
	if (x->pos < x->len && x->s[x->pos] == ')') {
		x->pos++;
	} else {
		for (;;) {
			if (st->nargs == p->nargs)
				return fail(x, x->pos, "expected ')': %s takes %d argument%s", name, p->nargs,
					    p->nargs == 1 ? "" : "s");
			if (parse_arg(x, p->args[st->nargs], st->nargs, name, &st->args[st->nargs]) < 0) {
				free(st->args[st->nargs].s);   /* not counted in nargs yet */
				st->args[st->nargs].s = NULL;
				return -1;
			}
			st->nargs++;
			ws(x);
			if (x->pos < x->len && x->s[x->pos] == ',') {
				x->pos++;
				continue;
			}
			if (expect_char(x, ')', "',' or ')'") < 0)
				return -1;
			break;
		}
	}
	if (st->nargs != p->nargs)
		return fail(x, x->pos - 1, "expected %d argument%s for %s, got %d", p->nargs,
			    p->nargs == 1 ? "" : "s", name, st->nargs);
	return expect_end(x);
}

static int parse_free(struct lx *x, struct ms_lab_step *st)
{
	if (expect_setname(x, st->set) < 0)
		return -1;
	st->free_kind = MS_FREE_ALL;
	if (x->pos < x->len && x->s[x->pos] == '[') {
		x->pos++;
		st->free_kind = MS_FREE_RANGE;
		if (expect_int(x, 0, MAX_COUNT, "the first index", &st->a) < 0)
			return -1;
		ws(x);
		if (x->pos + 1 >= x->len || x->s[x->pos] != '.' || x->s[x->pos + 1] != '.')
			return fail(x, x->pos, "expected '..' between the indexes");
		x->pos += 2;
		if (expect_int(x, 0, MAX_COUNT, "the end index", &st->b) < 0)
			return -1;
		if (st->b < st->a)
			return fail(x, x->pos - 1, "expected an end index >= %llu", (unsigned long long)st->a);
		if (expect_char(x, ']', "']'") < 0)
			return -1;
	} else if (!at_end(x)) {
		char w[16];
		size_t start = x->pos;
		if (word(x, w, sizeof w) < 0 || strcmp(w, "every"))
			return fail(x, start, "expected end of line, '[A..B]' or 'every K'");
		st->free_kind = MS_FREE_EVERY;
		if (expect_int(x, 1, MAX_COUNT, "K", &st->k) < 0)
			return -1;
	}
	return expect_end(x);
}

static int parse_expect(struct lx *x, struct ms_lab_step *st)
{
	char w[16], g[40];
	size_t start = (ws(x), x->pos);
	if (word(x, w, sizeof w) < 0 || (strcmp(w, "rss") && strcmp(w, "heaps") && strcmp(w, "arenas")))
		return fail(x, start, "expected 'rss', 'heaps' or 'arenas', got %s", (x->pos = start, got(x, g, sizeof g)));
	st->expect_what = w[0] == 'r' ? MS_MEASURE_RSS : w[0] == 'h' ? MS_MEASURE_HEAPS : MS_MEASURE_ARENAS;
	ws(x);
	static const struct { const char *s; enum ms_lab_cmp c; } ops[] = {
		{ "<=", MS_CMP_LE }, { ">=", MS_CMP_GE }, { "==", MS_CMP_EQ }, { "<", MS_CMP_LT }, { ">", MS_CMP_GT },
	};
	size_t k;
	for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
		if (x->len - x->pos >= strlen(ops[k].s) && !strncmp(x->s + x->pos, ops[k].s, strlen(ops[k].s)))
			break;
	if (k == sizeof ops / sizeof ops[0])
		return fail(x, x->pos, "expected a comparison (<, <=, >, >=, ==), got %s", got(x, g, sizeof g));
	st->cmp = ops[k].c;
	x->pos += strlen(ops[k].s);
	if (st->expect_what != MS_MEASURE_RSS ? expect_int(x, 0, 100000, "a count", &st->value) < 0
			     : expect_size(x, "a size", &st->value) < 0)
		return -1;
	return expect_end(x);
}

static int parse_sleep(struct lx *x, struct ms_lab_step *st)
{
	char tok[32], g[40];
	size_t start = (ws(x), x->pos);
	size_t n = numtok(x, tok, sizeof tok);
	char *end;
	double v = n ? strtod(tok, &end) : 0;
	double mult = 0;
	if (n && end != tok) {
		if (!strcmp(end, "ms"))
			mult = 1;
		else if (!strcmp(end, "s"))
			mult = 1000;
	}
	if (!mult || v < 0 || v * mult > 3600000)
		return fail(x, start, "expected a duration like 200ms or 2s (at most 1 hour), got %s", got(x, g, sizeof g));
	x->pos += n;
	st->ms = (uint64_t)(v * mult);
	return expect_end(x);
}

static int inside_threads_ok(enum ms_lab_op op)
{
	return op == MS_LAB_ALLOC || op == MS_LAB_PIN || op == MS_LAB_FREE || op == MS_LAB_CALL ||
	       op == MS_LAB_SLEEP || op == MS_LAB_SAY;
}

/* Parse the step on one line.  *opens_block is set by "threads N {". */
static int parse_step(struct lx *x, struct ms_lab_step *st, struct ms_lab_proto *decls, size_t *ndecls,
		      int *opens_block, int *is_declare)
{
	char w[16], g[40];
	size_t start = (ws(x), x->pos);
	st->line = x->line;
	st->col = (int)start + 1;
	if (word(x, w, sizeof w) < 0)
		return fail(x, start, "expected a step (title, say, alloc, pin, free, rss, heaps, arenas, expect, "
			    "call, declare, sleep, threads), got %s", got(x, g, sizeof g));
	if (!strcmp(w, "call") && x->pos < x->len && x->s[x->pos] == '?') {
		x->pos++;
		st->optional = 1;
	}
	if (!strcmp(w, "title") || !strcmp(w, "say")) {
		st->op = w[0] == 't' ? MS_LAB_TITLE : MS_LAB_SAY;
		st->text = rest_text(x);
		return st->text ? 0 : fail(x, start, "out of memory");
	}
	if (!strcmp(w, "alloc")) {
		st->op = MS_LAB_ALLOC;
		if (expect_setname(x, st->set) < 0 || expect_int(x, 1, MAX_COUNT, "a block count", &st->count) < 0)
			return -1;
		size_t xp = (ws(x), x->pos);
		if (xp >= x->len || x->s[xp] != 'x' || (xp + 1 < x->len && !isspace((unsigned char)x->s[xp + 1])))
			return fail(x, xp, "expected 'x' between count and size, got %s", got(x, g, sizeof g));
		x->pos++;
		size_t sp = (ws(x), x->pos);
		if (expect_size(x, "a block size", &st->size) < 0)
			return -1;
		if (!st->size || st->size > (1ull << 40) || st->count > UINT64_MAX / st->size)
			return fail(x, sp, "expected a block size from 1 byte to 1 TiB");
		return expect_end(x);
	}
	if (!strcmp(w, "pin")) {
		st->op = MS_LAB_PIN;
		st->count = 1;
		st->size = 1;
		if (expect_setname(x, st->set) < 0)
			return -1;
		if (!at_end(x) && expect_size(x, "a block size", &st->size) < 0)
			return -1;
		return expect_end(x);
	}
	if (!strcmp(w, "free")) {
		st->op = MS_LAB_FREE;
		return parse_free(x, st);
	}
	if (!strcmp(w, "rss") || !strcmp(w, "heaps") || !strcmp(w, "arenas")) {
		st->op = w[0] == 'r' ? MS_LAB_RSS : w[0] == 'h' ? MS_LAB_HEAPS : MS_LAB_ARENAS;
		return expect_end(x);
	}
	if (!strcmp(w, "expect")) {
		st->op = MS_LAB_EXPECT;
		return parse_expect(x, st);
	}
	if (!strcmp(w, "call")) {
		st->op = MS_LAB_CALL;
		return parse_call(x, st);
	}
	if (!strcmp(w, "declare")) {
		if (*ndecls == MAX_DECLS)
			return fail(x, start, "expected at most %d declarations", MAX_DECLS);
		*is_declare = 1;
		if (parse_declare(x, &decls[*ndecls]) < 0)
			return -1;
		(*ndecls)++;
		x->ndecls = *ndecls;
		return 0;
	}
	if (!strcmp(w, "sleep")) {
		st->op = MS_LAB_SLEEP;
		return parse_sleep(x, st);
	}
	if (!strcmp(w, "threads")) {
		st->op = MS_LAB_THREADS;
		uint64_t n;
		if (expect_int(x, 1, MAX_THREADS, "a thread count", &n) < 0 || expect_char(x, '{', "'{'") < 0 ||
		    expect_end(x) < 0)
			return -1;
		st->nthreads = (int)n;
		*opens_block = 1;
		return 0;
	}
	x->pos = start;
	return fail(x, start, "expected a step (title, say, alloc, pin, free, rss, heaps, arenas, expect, call, "
		    "declare, sleep, threads), got '%s'", w);
}

static void step_free(struct ms_lab_step *s)
{
	free(s->text);
	for (int i = 0; i < s->nargs; i++)
		free(s->args[i].s);
	for (size_t i = 0; i < s->nbody; i++)
		step_free(&s->body[i]);
	free(s->body);
}

int ms_lab_parse(const char *path, const char *text, size_t len, struct ms_lab *lab, struct ms_err *e)
{
	memset(lab, 0, sizeof *lab);
	snprintf(lab->path, sizeof lab->path, "%s", path);
	struct ms_lab_proto decls[MAX_DECLS];
	size_t ndecls = 0;
	struct ms_lab_step *top = NULL, *block = NULL;
	size_t ntop = 0, nblock = 0, captop = 0, capblock = 0;
	int block_line = 0, in_block = 0;
	struct lx x = { .path = path, .e = e, .decls = decls };
	size_t off = 0;
	int rc = 0;
	for (int line = 1; off < len; line++) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (text + off)) : len - off;
		x.line = line;
		x.s = text + off;
		x.len = l;
		x.pos = 0;
		off += l + (nl ? 1 : 0);
		if (memchr(x.s, 0, l)) {
			rc = fail(&x, (size_t)((const char *)memchr(x.s, 0, l) - x.s), "expected text, got a NUL byte");
			break;
		}
		if (at_end(&x))
			continue;
		if (in_block && x.s[x.pos] == '}') {
			x.pos++;
			if ((rc = expect_end(&x)) < 0)
				break;
			top[ntop - 1].body = block;
			top[ntop - 1].nbody = nblock;
			block = NULL;
			nblock = capblock = 0;
			in_block = 0;
			continue;
		}
		if ((in_block ? nblock : ntop) >= MAX_STEPS) {
			rc = fail(&x, x.pos, "expected at most %d steps", MAX_STEPS);
			break;
		}
		struct ms_lab_step st = { 0 };
		int opens = 0, is_decl = 0;
		if ((rc = parse_step(&x, &st, decls, &ndecls, &opens, &is_decl)) < 0) {
			step_free(&st);
			break;
		}
		if (is_decl)
			continue;
		if (in_block && !inside_threads_ok(st.op)) {
			step_free(&st);
			rc = fail(&x, (size_t)st.col - 1, "expected a step allowed inside threads (alloc, pin, free, "
				  "call, sleep, say) or '}'");
			break;
		}
		if (st.op == MS_LAB_TITLE)
			snprintf(lab->title, sizeof lab->title, "%s", st.text);
		struct ms_lab_step **arr = in_block ? &block : &top;
		size_t *n = in_block ? &nblock : &ntop, *cap = in_block ? &capblock : &captop;
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 32;
			struct ms_lab_step *grown = realloc(*arr, ncap * sizeof *grown);
			if (!grown) {
				step_free(&st);
				rc = fail(&x, 0, "out of memory");
				break;
			}
			*arr = grown;
			*cap = ncap;
		}
		(*arr)[(*n)++] = st;
		if (opens) {
			in_block = 1;
			block_line = line;
		}
	}
	if (rc == 0 && in_block)
		rc = ms_err_set(e, 0, "expected '}' to close this threads block before the end of the file", NULL,
				"%s:%d:1", path, block_line);
	if (in_block) {
		for (size_t i = 0; i < nblock; i++)
			step_free(&block[i]);
		free(block);
	}
	lab->steps = top;
	lab->n = ntop;
	if (rc < 0) {
		ms_lab_free(lab);
		return -1;
	}
	return 0;
}

void ms_lab_free(struct ms_lab *lab)
{
	for (size_t i = 0; i < lab->n; i++)
		step_free(&lab->steps[i]);
	free(lab->steps);
	lab->steps = NULL;
	lab->n = 0;
}

void ms_lab_describe(const struct ms_lab_step *s, char *out, size_t outlen)
{
	char a[MS_SIZE_BUF];
	static const char *const cmp[] = { "<", "<=", ">", ">=", "==" };
	switch (s->op) {
	case MS_LAB_ALLOC:
		snprintf(out, outlen, "alloc %s: %llu x %s", s->set, (unsigned long long)s->count, ms_size_fmt(s->size, a));
		break;
	case MS_LAB_PIN:
		snprintf(out, outlen, "pin %s: 1 block of %s", s->set, ms_size_fmt(s->size, a));
		break;
	case MS_LAB_FREE:
		if (s->free_kind == MS_FREE_ALL)
			snprintf(out, outlen, "free %s: every block", s->set);
		else if (s->free_kind == MS_FREE_RANGE)
			snprintf(out, outlen, "free %s[%llu..%llu]", s->set, (unsigned long long)s->a, (unsigned long long)s->b);
		else
			snprintf(out, outlen, "free %s: every %llu%s block", s->set, (unsigned long long)s->k,
				 s->k == 1 ? "" : s->k == 2 ? "nd" : s->k == 3 ? "rd" : "th");
		break;
	case MS_LAB_EXPECT:
		if (s->expect_what != MS_MEASURE_RSS)
			snprintf(out, outlen, "expect %s %s %llu", s->expect_what == MS_MEASURE_HEAPS ? "heaps" : "arenas",
				 cmp[s->cmp], (unsigned long long)s->value);
		else
			snprintf(out, outlen, "expect rss %s %s", cmp[s->cmp], ms_size_fmt(s->value, a));
		break;
	case MS_LAB_CALL: {
		size_t o = (size_t)snprintf(out, outlen, "call%s %s(", s->optional ? "?" : "", s->proto.name);
		for (int i = 0; i < s->nargs && o < outlen; i++)
			o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? ", " : "", s->args[i].text);
		if (o < outlen)
			snprintf(out + o, outlen - o, ")");
		break;
	}
	case MS_LAB_SLEEP:
		snprintf(out, outlen, "sleep %llu ms", (unsigned long long)s->ms);
		break;
	case MS_LAB_THREADS:
		snprintf(out, outlen, "threads %d: %zu step%s each, all alive together", s->nthreads, s->nbody,
			 s->nbody == 1 ? "" : "s");
		break;
	case MS_LAB_RSS:    snprintf(out, outlen, "rss"); break;
	case MS_LAB_HEAPS:  snprintf(out, outlen, "heaps"); break;
	case MS_LAB_ARENAS: snprintf(out, outlen, "arenas"); break;
	case MS_LAB_SAY:
	case MS_LAB_TITLE:  snprintf(out, outlen, "%s", s->text ? s->text : ""); break;
	}
}

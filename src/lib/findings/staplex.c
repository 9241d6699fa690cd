#include "findings/staplex.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Longest operators first: "<<<" is the statistics operator, ".=" string
 * concatenation-assignment, "->" member access. */
static size_t punct_len(const char *p, size_t left)
{
	static const char *const ops[] = {
		"<<<", ">>=", "<<=", "->", "==", "!=", "<=", ">=", "&&", "||", "++", "--", "+=", "-=",
		"*=", "/=", "%=", ".=", "&=", "|=", "^=", "<<", ">>",
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		size_t l = strlen(ops[i]);
		if (l <= left && memcmp(p, ops[i], l) == 0)
			return l;
	}
	return 1;
}

static int push(struct ms_stoks *t, size_t *cap, enum ms_stok_kind k, size_t off, size_t len, int line)
{
	if (t->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		struct ms_stok *nv = realloc(t->v, nc * sizeof *nv);
		if (!nv)
			return -1;
		t->v = nv;
		*cap = nc;
	}
	t->v[t->n++] = (struct ms_stok){ .kind = k, .off = off, .len = len, .line = line, .active = 1 };
	return 0;
}

int ms_stap_lex(const char *s, size_t len, struct ms_stoks *t, struct ms_err *e)
{
	size_t i = 0, cap = 0;
	int line = 1;
	memset(t, 0, sizeof *t);
	t->text = s;
	while (i < len) {
		char c = s[i];
		size_t start = i;
		int sline = line;
		enum ms_stok_kind k;
		if (c == '\n') {
			line++;
			i++;
			continue;
		}
		if (isspace((unsigned char)c)) {
			i++;
			continue;
		}
		if (c == '#' || (c == '/' && i + 1 < len && s[i + 1] == '/')) {
			while (i < len && s[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			for (i += 2; i < len && !(s[i] == '*' && i + 1 < len && s[i + 1] == '/'); i++)
				line += s[i] == '\n';
			if (i >= len)
				goto unterminated;
			i += 2;
			continue;
		}
		if (c == '"') {
			for (i++; i < len && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < len)
					i++;
				if (s[i] == '\n')
					goto unterminated;   /* stap strings do not span lines */
			}
			if (i >= len)
				goto unterminated;
			i++;
			k = MS_STOK_STRING;
		} else if (c == '%' && i + 1 < len && s[i + 1] == '{') {
			for (i += 2; i < len && !(s[i] == '%' && i + 1 < len && s[i + 1] == '}'); i++)
				line += s[i] == '\n';
			if (i >= len)
				goto unterminated;
			i += 2;
			k = MS_STOK_EMBED;
		} else if (c == '%' && i + 1 < len && strchr("(?:)", s[i + 1])) {
			k = s[i + 1] == '(' ? MS_STOK_PP_OPEN : s[i + 1] == '?' ? MS_STOK_PP_THEN
			  : s[i + 1] == ':' ? MS_STOK_PP_ELSE : MS_STOK_PP_CLOSE;
			i += 2;
		} else if (ident_char(c)) {
			k = isdigit((unsigned char)c) ? MS_STOK_NUMBER : MS_STOK_IDENT;
			while (i < len && ident_char(s[i]))
				i++;
		} else if ((c == '$' || c == '@') && i + 1 < len) {
			k = c == '$' ? MS_STOK_VAR : MS_STOK_AT;
			i++;
			if (c == '$' && s[i] == '$')
				i++;
			if (i < len && s[i] == '#')
				i++;
			while (i < len && ident_char(s[i]))
				i++;
		} else {
			k = MS_STOK_PUNCT;
			i += punct_len(s + i, len - i);
		}
		if (push(t, &cap, k, start, i - start, sline) < 0) {
			ms_stoks_free(t);
			return ms_err_set(e, ENOMEM, NULL, NULL, "script tokens");
		}
		continue;
unterminated:
		ms_stoks_free(t);
		return ms_err_set(e, 0, "unterminated string, comment or %{ %} block",
				  "close it; stap would refuse the script too", "line %d", sline);
	}
	return 0;
}

void ms_stoks_free(struct ms_stoks *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

int ms_stok_is(const struct ms_stoks *t, size_t i, const char *s)
{
	size_t l = strlen(s);
	return i < t->n && t->v[i].len == l && memcmp(t->text + t->v[i].off, s, l) == 0;
}

/* Decide "runtime == \"X\"" / "runtime != \"X\"": 1 true, 0 false, -1 not a
 * runtime condition. */
static int runtime_cond(const struct ms_stoks *t, size_t from, size_t to, const char *runtime)
{
	if (to - from != 3 || !ms_stok_is(t, from, "runtime") || t->v[from + 2].kind != MS_STOK_STRING)
		return -1;
	int eq = ms_stok_is(t, from + 1, "==");
	if (!eq && !ms_stok_is(t, from + 1, "!="))
		return -1;
	const struct ms_stok *v = &t->v[from + 2];
	int same = v->len == strlen(runtime) + 2 && memcmp(t->text + v->off + 1, runtime, v->len - 2) == 0;
	return eq ? same : !same;
}

/* One conditional starting at the %( at index i; returns the index after
 * its %).  parent_active: whether the enclosing text is taken. */
static size_t pp_one(struct ms_stoks *t, size_t i, const char *runtime, int parent_active, int depth);

/* Nesting deeper than this is not decided (the tokens keep the enclosing
 * state): the recursion stays bounded whatever the script. */
#define PP_DEPTH_MAX 64

static size_t pp_span(struct ms_stoks *t, size_t i, const char *runtime, int active, int stop_at_else, int depth)
{
	while (i < t->n) {
		enum ms_stok_kind k = t->v[i].kind;
		if (k == MS_STOK_PP_CLOSE || (stop_at_else && k == MS_STOK_PP_ELSE))
			return i;
		if (k == MS_STOK_PP_OPEN && depth < PP_DEPTH_MAX) {
			i = pp_one(t, i, runtime, active, depth + 1);
			continue;
		}
		t->v[i].active = active;
		i++;
	}
	return i;
}

static size_t pp_one(struct ms_stoks *t, size_t i, const char *runtime, int parent_active, int depth)
{
	size_t open = i, cond = i + 1;
	while (i < t->n && t->v[i].kind != MS_STOK_PP_THEN)
		i++;
	int val = i < t->n ? runtime_cond(t, cond, i, runtime) : -1;
	for (size_t j = open; j <= i && j < t->n; j++)
		t->v[j].active = 0;   /* the condition is not code */
	i = pp_span(t, i + 1, runtime, parent_active && val != 0, 1, depth);
	if (i < t->n && t->v[i].kind == MS_STOK_PP_ELSE) {
		t->v[i].active = 0;
		i = pp_span(t, i + 1, runtime, parent_active && val != 1, 0, depth);
	}
	if (i < t->n)
		t->v[i++].active = 0;
	return i;
}

void ms_stap_pp_select(struct ms_stoks *t, const char *runtime)
{
	for (size_t i = 0; i < t->n;) {
		if (t->v[i].kind == MS_STOK_PP_OPEN)
			i = pp_one(t, i, runtime, 1, 1);
		else
			i++;
	}
}

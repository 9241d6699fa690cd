#include "findings/staptranslate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/staplex.h"
#include "findings/stapsys.h"

struct edit { size_t off, len; char *with; };

struct tr {
	const struct ms_stoks *t;
	const size_t *idx;        /* active tokens */
	size_t n;
	struct edit *ed;
	size_t ned, caped;
	int oom;
};

static const struct ms_stok *tok(const struct tr *c, size_t i) { return &c->t->v[c->idx[i]]; }
static int is(const struct tr *c, size_t i, const char *s) { return i < c->n && ms_stok_is(c->t, c->idx[i], s); }

static void edit(struct tr *c, size_t off, size_t len, const char *with)
{
	if (c->ned == c->caped) {
		size_t nc = c->caped ? c->caped * 2 : 16;
		struct edit *nv = realloc(c->ed, nc * sizeof *nv);
		if (!nv) {
			c->oom = 1;
			return;
		}
		c->ed = nv;
		c->caped = nc;
	}
	char *w = strdup(with);
	if (!w) {
		c->oom = 1;
		return;
	}
	c->ed[c->ned++] = (struct edit){ off, len, w };
}

static void edits_clear(struct tr *c)
{
	for (size_t i = 0; i < c->ned; i++)
		free(c->ed[i].with);
	c->ned = 0;
}

static int by_off(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;
	return (x->off > y->off) - (x->off < y->off);
}

/* The tapset's string locals the bpf runtime cannot compute, as a number
 * and the conversion that prints it. */
struct strlocal { const char *name, *number, *conv; };

static const struct strlocal *strlocal_of(const struct ms_stap_sys *s, int ret, const struct tr *c, size_t i)
{
	static const struct strlocal all[] = {
		{ "retstr", "$ret", "%ld" }, { "prot_str", "prot", "0x%lx" },
		{ "flags_str", "flags", "0x%lx" }, { "advice_str", "advice", "%ld" },
	};
	for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
		if (!is(c, i, all[k].name))
			continue;
		if (ret != (k == 0))
			return NULL;   /* retstr only at .return, the arguments' strings only at entry */
		for (int a = 0; k && a < s->nargs; a++)
			if (!strcmp(s->args[a].local, all[k].number))
				return &all[k];
		return k == 0 ? &all[k] : NULL;
	}
	return NULL;
}

/* printf("...%s...", ..., retstr, ...) at index i (the function name):
 * the string local becomes its number and its %s the number's conversion. */
static void printf_args(struct tr *c, size_t i, size_t end, const struct ms_stap_sys *s, int ret, int *used_num)
{
	const struct ms_stok *fmt = tok(c, i + 2);
	const char *ft = c->t->text + fmt->off;
	/* conversions of the format: offset of each one's letter */
	size_t conv[32], nconv = 0;
	for (size_t p = 1; p + 1 < fmt->len && nconv < 32; p++) {
		if (ft[p] != '%')
			continue;
		if (ft[p + 1] == '%') {
			p++;
			continue;
		}
		size_t q = p + 1;
		while (q + 1 < fmt->len && strchr("-+ #0123456789.lhLjzt", ft[q]))
			q++;
		conv[nconv++] = p;
		p = q;
	}
	char newfmt[1024];
	size_t nl = 0, from = 0;
	int changed = 0, arg = 0, paren = 0;
	size_t a = i + 3, start = a;   /* start: the ',' before the current argument */
	for (; a < end; a++) {
		if (is(c, a, "(")) {
			paren++;
		} else if (is(c, a, ")") && paren > 0) {
			paren--;
		} else if (paren == 0 && (is(c, a, ",") || is(c, a, ")"))) {
			if (arg > 0 && a == start + 2) {   /* a one-token argument */
				const struct strlocal *sl = strlocal_of(s, ret, c, start + 1);
				size_t cp = (size_t)arg - 1 < nconv ? conv[arg - 1] : 0;
				if (sl && cp && ft[cp + 1] == 's' && nl + (cp - from) + 8 < sizeof newfmt) {
					memcpy(newfmt + nl, ft + from, cp - from);
					nl += cp - from;
					nl += (size_t)snprintf(newfmt + nl, sizeof newfmt - nl, "%s", sl->conv);
					from = cp + 2;
					changed = 1;
					edit(c, tok(c, start + 1)->off, tok(c, start + 1)->len, sl->number);
					if (sl->number[0] != '$')
						for (int k = 0; k < s->nargs; k++)
							if (!strcmp(s->args[k].local, sl->number))
								used_num[k] = 1;
				}
			}
			arg++;
			start = a;
			if (is(c, a, ")"))
				break;
		}
	}
	if (changed && nl + (fmt->len - from) < sizeof newfmt) {
		memcpy(newfmt + nl, ft + from, fmt->len - from);
		nl += fmt->len - from;
		newfmt[nl] = 0;
		edit(c, fmt->off, fmt->len, newfmt);
	}
}

/* The handler [b, eb] (indices of '{' and '}') of one translated point. */
static void emit_probe(struct tr *c, FILE *o, size_t b, size_t eb, const struct ms_stap_sys *s, int ret)
{
	static const char *const fmt_fns[] = { "printf", "printd", "printdln", "warn", "error" };
	int used[6] = { 0 }, used_name = 0, used_retval = 0;
	edits_clear(c);
	for (size_t i = b + 1; i < eb; i++) {
		const struct ms_stok *t = tok(c, i);
		int member = i > 0 && (is(c, i - 1, ".") || is(c, i - 1, "->"));
		if (t->kind == MS_STOK_VAR && ret && is(c, i, "$return"))
			edit(c, t->off, t->len, "$ret");
		if (t->kind != MS_STOK_IDENT || member)
			continue;
		if (is(c, i + 1, "(")) {
			for (size_t k = 0; k < sizeof fmt_fns / sizeof fmt_fns[0]; k++)
				if (is(c, i, fmt_fns[k]) && i + 2 < eb && tok(c, i + 2)->kind == MS_STOK_STRING)
					printf_args(c, i, eb, s, ret, used);
			continue;
		}
		if (is(c, i, "name"))
			used_name = 1;
		else if (ret && is(c, i, "retval"))
			used_retval = 1;
		for (int k = 0; !ret && k < s->nargs; k++)
			if (is(c, i, s->args[k].local))
				used[k] = 1;
	}
	/* a string local that stayed (not a printf argument) is not defined:
	 * stap then names it, and the preflight explains */
	for (size_t e = 0; e < c->ned; e++)
		for (int k = 0; k < s->nargs; k++)
			if (!strcmp(c->ed[e].with, s->args[k].local))
				used[k] = 1;
	fprintf(o, "probe kernel.trace(\"%s\") { ", ret ? "sys_exit" : "sys_enter");
	if (ret)
		fprintf(o, "if ($regs->orig_ax != %d) next; ", s->nr);
	else
		fprintf(o, "if ($id != %d) next; ", s->nr);
	if (used_name)
		fprintf(o, "name = \"%s\"; ", s->name);
	if (used_retval)
		fprintf(o, "retval = $ret; ");
	for (int k = 0; k < s->nargs; k++) {
		if (!used[k])
			continue;
		if (s->args[k].is_int)   /* int_arg(): the low 32 bits, sign-extended */
			fprintf(o, "%s = ($regs->%s << 32) >> 32; ", s->args[k].local, s->args[k].reg);
		else
			fprintf(o, "%s = $regs->%s; ", s->args[k].local, s->args[k].reg);
	}
	/* a block comment: the handler may go on on this line */
	fprintf(o, "/* syscall.%s%s, memsleuth stap --translate */", s->name, ret ? ".return" : "");
	/* the body after '{', with the edits */
	if (c->ned)
		qsort(c->ed, c->ned, sizeof *c->ed, by_off);
	size_t from = tok(c, b)->off + 1, to = tok(c, eb)->off + tok(c, eb)->len;
	for (size_t e = 0; e < c->ned; e++) {
		if (c->ed[e].off < from)
			continue;
		fwrite(c->t->text + from, 1, c->ed[e].off - from, o);
		fputs(c->ed[e].with, o);
		from = c->ed[e].off + c->ed[e].len;
	}
	fwrite(c->t->text + from, 1, to - from, o);
}

/* A translatable point [s, e): syscall . NAME [. return] [? | !]. */
static const struct ms_stap_sys *point_sys(const struct tr *c, size_t s, size_t e, int *ret)
{
	if (!is(c, s, "syscall") || !is(c, s + 1, ".") || s + 2 >= e || tok(c, s + 2)->kind != MS_STOK_IDENT)
		return NULL;
	const struct ms_stok *n = tok(c, s + 2);
	const struct ms_stap_sys *sys = ms_stap_sys_find(c->t->text + n->off, n->len);
	size_t k = s + 3;
	*ret = 0;
	if (k + 1 < e && is(c, k, ".") && is(c, k + 1, "return")) {
		*ret = 1;
		k += 2;
	}
	for (; k < e; k++)
		if (!is(c, k, "?") && !is(c, k, "!"))
			return NULL;   /* .call, .inline, a wildcard: left as written */
	return sys;
}

static void translate(struct tr *c, FILE *o, struct ms_stap_translation *out)
{
	size_t copied = 0;
	int depth = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (is(c, i, "{"))
			depth++;
		else if (is(c, i, "}") && depth > 0)
			depth--;
		if (depth != 0 || !is(c, i, "probe"))
			continue;
		size_t pts[64][2], np = 0, j = i + 1, start = j;
		int paren = 0;
		for (; j < c->n && !(paren == 0 && (is(c, j, "{") || is(c, j, "=") || is(c, j, "+="))); j++) {
			if (is(c, j, "("))
				paren++;
			else if (is(c, j, ")") && paren > 0)
				paren--;
			else if (paren == 0 && is(c, j, ",") && np < 64) {
				pts[np][0] = start;
				pts[np++][1] = j;
				start = j + 1;
			}
		}
		if (j >= c->n || !is(c, j, "{") || np == 64)
			continue;   /* an alias, or the end of the text */
		pts[np][0] = start;
		pts[np++][1] = j;
		int any = 0, ret;
		for (size_t p = 0; p < np; p++)
			any |= point_sys(c, pts[p][0], pts[p][1], &ret) != NULL;
		if (!any)
			continue;
		size_t b = j, eb = j;
		for (int d = 0; eb < c->n; eb++) {
			if (is(c, eb, "{"))
				d++;
			else if (is(c, eb, "}") && --d == 0)
				break;
		}
		if (eb >= c->n)
			break;   /* unbalanced: leave the rest as written */
		fwrite(c->t->text + copied, 1, tok(c, i)->off - copied, o);
		int first = 1, others = 0;
		for (size_t p = 0; p < np; p++) {
			const struct ms_stap_sys *s = point_sys(c, pts[p][0], pts[p][1], &ret);
			if (!s) {
				others = 1;
				continue;
			}
			if (!first)
				fputc('\n', o);
			emit_probe(c, o, b, eb, s, ret);
			out->probes++;
			first = 0;
		}
		if (others) {   /* the other points keep the handler as written */
			fputs("\nprobe ", o);
			int sep = 0;
			for (size_t p = 0; p < np; p++) {
				if (point_sys(c, pts[p][0], pts[p][1], &ret))
					continue;
				const struct ms_stok *s0 = tok(c, pts[p][0]), *s1 = tok(c, pts[p][1] - 1);
				fprintf(o, "%s%.*s", sep ? ", " : "", (int)(s1->off + s1->len - s0->off), c->t->text + s0->off);
				sep = 1;
			}
			fputc(' ', o);
			fwrite(c->t->text + tok(c, b)->off, 1, tok(c, eb)->off + 1 - tok(c, b)->off, o);
		}
		copied = tok(c, eb)->off + tok(c, eb)->len;
		i = eb;
	}
	fwrite(c->t->text + copied, 1, strlen(c->t->text + copied), o);
}

int ms_stap_translate(const char *text, size_t len, struct ms_stap_translation *out, struct ms_err *e)
{
	struct ms_stoks t;
	memset(out, 0, sizeof *out);
	if (memchr(text, 0, len))
		return ms_err_set(e, 0, "contains a NUL byte: not a SystemTap script", NULL, "script");
	char *copy = strndup(text, len);   /* NUL-terminated for the tail copy */
	if (!copy)
		return ms_err_set(e, ENOMEM, NULL, NULL, "translate");
	if (ms_stap_lex(copy, len, &t, e) < 0) {
		free(copy);
		return -1;
	}
	ms_stap_pp_select(&t, "bpf");
	size_t *idx = malloc((t.n ? t.n : 1) * sizeof *idx), n = 0;
	FILE *o = open_memstream(&out->text, &out->len);
	if (!idx || !o) {
		free(idx);
		if (o)
			fclose(o);
		free(out->text);
		out->text = NULL;
		ms_stoks_free(&t);
		free(copy);
		return ms_err_set(e, ENOMEM, NULL, NULL, "translate");
	}
	for (size_t i = 0; i < t.n; i++)
		if (t.v[i].active && t.v[i].kind != MS_STOK_EMBED)
			idx[n++] = i;
	struct tr c = { .t = &t, .idx = idx, .n = n };
	translate(&c, o, out);
	edits_clear(&c);
	free(c.ed);
	fclose(o);
	free(idx);
	ms_stoks_free(&t);
	free(copy);
	if (c.oom || !out->text) {
		ms_stap_translation_free(out);
		return ms_err_set(e, ENOMEM, NULL, NULL, "translate");
	}
	return 0;
}

void ms_stap_translation_free(struct ms_stap_translation *t)
{
	free(t->text);
	memset(t, 0, sizeof *t);
}

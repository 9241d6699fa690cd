#include "records/jsonread.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct jp {
	const char *s;
	size_t      len, pos, nodes;
	const char *name;
	struct ms_err *e;
	bool        failed;
};

/* The error names the place as LINE:COL (1-based, columns in bytes). */
static void fail(struct jp *p, const char *what)
{
	if (p->failed)
		return;
	p->failed = true;
	size_t line = 1, col = 1;
	for (size_t i = 0; i < p->pos && i < p->len; i++) {
		if (p->s[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	char reason[160];
	if (p->pos >= p->len)
		snprintf(reason, sizeof reason, "%s, found the end of the input", what);
	else if ((unsigned char)p->s[p->pos] >= 0x20 && (unsigned char)p->s[p->pos] < 0x7f)
		snprintf(reason, sizeof reason, "%s, found '%c'", what, p->s[p->pos]);
	else
		snprintf(reason, sizeof reason, "%s, found byte 0x%02x", what, (unsigned char)p->s[p->pos]);
	ms_err_set(p->e, 0, reason, "the input must be one JSON document as a memsleuth step writes with --json",
		   "%s:%zu:%zu", p->name, line, col);
}

static void skip_ws(struct jp *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static struct ms_jval *node(struct jp *p, enum ms_jtype t)
{
	if (++p->nodes > MS_JREAD_MAX_NODES) {
		fail(p, "too many values (limit reached)");
		return NULL;
	}
	struct ms_jval *v = calloc(1, sizeof *v);
	if (!v) {
		fail(p, "out of memory");
		return NULL;
	}
	v->type = t;
	return v;
}

static bool lit(struct jp *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos >= n && !memcmp(p->s + p->pos, word, n)) {
		p->pos += n;
		return true;
	}
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(struct jp *p, unsigned *out)
{
	if (p->len - p->pos < 4) {
		p->pos = p->len;
		fail(p, "expected 4 hex digits after \\u");
		return false;
	}
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p->s[p->pos]);
		if (h < 0) {
			fail(p, "expected a hex digit in \\u escape");
			return false;
		}
		v = v * 16 + (unsigned)h;
		p->pos++;
	}
	*out = v;
	return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote.  Decoded text is never longer than the source. */
static char *string(struct jp *p, size_t *outlen)
{
	p->pos++;
	size_t start = p->pos, end = start;
	while (end < p->len && p->s[end] != '"') {
		if (p->s[end] == '\\')
			end++;
		end++;
	}
	if (end >= p->len) {
		p->pos = p->len;
		fail(p, "expected '\"' to close the string");
		return NULL;
	}
	char *o = malloc(end - start + 1);
	if (!o) {
		fail(p, "out of memory");
		return NULL;
	}
	size_t n = 0;
	while (p->pos < end) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c < 0x20) {
			fail(p, "control character inside a string (escape it)");
			goto bad;
		}
		if (c != '\\') {
			o[n++] = (char)c;
			p->pos++;
			continue;
		}
		p->pos++;
		char esc = p->s[p->pos++];
		const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
		const char *k = strchr(from, esc);
		if (esc && k) {
			o[n++] = to[k - from];
			continue;
		}
		if (esc != 'u') {
			p->pos--;
			fail(p, "expected an escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX");
			goto bad;
		}
		unsigned cp;
		if (!hex4(p, &cp))
			goto bad;
		if (cp >= 0xd800 && cp < 0xdc00) {
			unsigned lo;
			if (!lit(p, "\\u")) {
				fail(p, "expected a low surrogate \\uDC00-\\uDFFF after a high one");
				goto bad;
			}
			if (!hex4(p, &lo))
				goto bad;
			if (lo < 0xdc00 || lo > 0xdfff) {
				p->pos -= 4;
				fail(p, "expected a low surrogate \\uDC00-\\uDFFF after a high one");
				goto bad;
			}
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp < 0xe000) {
			p->pos -= 4;
			fail(p, "lone low surrogate in \\u escape");
			goto bad;
		}
		if (cp == 0) {
			p->pos -= 4;
			fail(p, "\\u0000 is not allowed in memsleuth JSON strings");
			goto bad;
		}
		n += put_utf8(o + n, cp);
	}
	p->pos = end + 1;
	o[n] = 0;
	*outlen = n;
	return o;
bad:
	free(o);
	return NULL;
}

static bool digits(struct jp *p)
{
	size_t s = p->pos;
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos > s;
}

static struct ms_jval *number(struct jp *p)
{
	size_t start = p->pos;
	bool neg = false, integral = true;
	if (p->s[p->pos] == '-') {
		neg = true;
		p->pos++;
	}
	if (p->pos < p->len && p->s[p->pos] == '0') {
		p->pos++;
	} else if (!digits(p)) {
		fail(p, "expected a digit");
		return NULL;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		integral = false;
		p->pos++;
		if (!digits(p)) {
			fail(p, "expected a digit after '.'");
			return NULL;
		}
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		integral = false;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p)) {
			fail(p, "expected a digit in the exponent");
			return NULL;
		}
	}
	char text[64];
	size_t n = p->pos - start;
	if (n >= sizeof text) {
		p->pos = start;
		fail(p, "number too long");
		return NULL;
	}
	memcpy(text, p->s + start, n);
	text[n] = 0;
	struct ms_jval *v = node(p, MS_J_NUM);
	if (!v)
		return NULL;
	v->num = strtod(text, NULL);
	if (integral && !neg) {
		errno = 0;
		unsigned long long u = strtoull(text, NULL, 10);
		if (errno == 0) {
			v->is_u64 = true;
			v->u64 = u;
		}
	}
	return v;
}

static struct ms_jval *value(struct jp *p, int depth);

/* Members or elements after '{' or '[': close is '}' or ']'. */
static struct ms_jval *container(struct jp *p, int depth, bool is_obj)
{
	if (depth >= MS_JREAD_MAX_DEPTH) {
		fail(p, "nesting too deep (limit 64)");
		return NULL;
	}
	struct ms_jval *v = node(p, is_obj ? MS_J_OBJ : MS_J_ARR);
	if (!v)
		return NULL;
	char close = is_obj ? '}' : ']';
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return v;
	}
	struct ms_jval **tail = &v->child;
	for (;;) {
		char *key = NULL;
		skip_ws(p);
		if (is_obj) {
			size_t kl;
			if (p->pos >= p->len || p->s[p->pos] != '"') {
				fail(p, "expected '\"' to start a member name");
				goto bad;
			}
			if (!(key = string(p, &kl)))
				goto bad;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				fail(p, "expected ':' after the member name");
				goto bad;
			}
			p->pos++;
		}
		struct ms_jval *c = value(p, depth + 1);
		if (!c) {
			free(key);
			goto bad;
		}
		c->key = key;
		*tail = c;
		tail = &c->next;
		v->len++;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return v;
		}
		fail(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
bad:
	ms_jfree(v);
	return NULL;
}

static struct ms_jval *value(struct jp *p, int depth)
{
	skip_ws(p);
	if (p->pos >= p->len) {
		fail(p, "expected a value");
		return NULL;
	}
	char c = p->s[p->pos];
	if (c == '{' || c == '[')
		return container(p, depth, c == '{');
	if (c == '"') {
		size_t n;
		char *s = string(p, &n);
		if (!s)
			return NULL;
		struct ms_jval *v = node(p, MS_J_STR);
		if (!v) {
			free(s);
			return NULL;
		}
		v->str = s;
		v->len = n;
		return v;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(p);
	struct ms_jval *v = NULL;
	if (lit(p, "true") && (v = node(p, MS_J_BOOL)))
		v->b = true;
	else if (lit(p, "false"))
		v = node(p, MS_J_BOOL);
	else if (lit(p, "null"))
		v = node(p, MS_J_NULL);
	else
		fail(p, "expected a value (object, array, string, number, true, false or null)");
	return v;
}

struct ms_jval *ms_jparse(const char *buf, size_t len, const char *name, struct ms_err *e)
{
	struct jp p = { .s = buf, .len = len, .name = name ? name : "input", .e = e };
	if (len > MS_JREAD_MAX_BYTES) {
		ms_err_set(e, 0, "larger than 64 MiB", "feed one step's findings at a time", "%s", p.name);
		return NULL;
	}
	struct ms_jval *root = value(&p, 0);
	if (!root)
		return NULL;
	skip_ws(&p);
	if (p.pos != p.len) {
		fail(&p, "expected the end of the input after the document");
		ms_jfree(root);
		return NULL;
	}
	return root;
}

struct ms_jval *ms_jparse_fd(int fd, const char *name, struct ms_err *e)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		ms_err_set(e, ENOMEM, NULL, NULL, "%s", name);
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			if (cap > MS_JREAD_MAX_BYTES) {
				free(buf);
				ms_err_set(e, 0, "larger than 64 MiB", "feed one step's findings at a time", "%s", name);
				return NULL;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				ms_err_set(e, ENOMEM, NULL, NULL, "%s", name);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			free(buf);
			ms_err_set(e, err, NULL, NULL, "%s", name);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	struct ms_jval *v = ms_jparse(buf, len, name, e);
	free(buf);
	return v;
}

/* Iterative over siblings, recursive over children (depth is bounded). */
void ms_jfree(struct ms_jval *v)
{
	while (v) {
		struct ms_jval *next = v->next;
		ms_jfree(v->child);
		free(v->key);
		free(v->str);
		free(v);
		v = next;
	}
}

const struct ms_jval *ms_jget(const struct ms_jval *v, const char *key)
{
	if (!v || v->type != MS_J_OBJ)
		return NULL;
	for (const struct ms_jval *c = v->child; c; c = c->next)
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

const struct ms_jval *ms_jat(const struct ms_jval *v, size_t i)
{
	if (!v || v->type != MS_J_ARR)
		return NULL;
	const struct ms_jval *c = v->child;
	while (c && i--)
		c = c->next;
	return c;
}

const struct ms_jval *ms_jpath(const struct ms_jval *v, const char *path)
{
	char part[128];
	while (v && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof part)
			return NULL;
		memcpy(part, path, n);
		part[n] = 0;
		if (v->type == MS_J_ARR) {
			char *end;
			unsigned long i = strtoul(part, &end, 10);
			v = *end || !n ? NULL : ms_jat(v, i);
		} else {
			v = ms_jget(v, part);
		}
		path += n;
		if (*path == '.')
			path++;
	}
	return v;
}

uint64_t ms_ju64(const struct ms_jval *v, const char *path, uint64_t dflt)
{
	const struct ms_jval *x = ms_jpath(v, path);
	if (!x || x->type != MS_J_NUM)
		return dflt;
	if (x->is_u64)
		return x->u64;
	return x->num > 0 && x->num < 1.8e19 ? (uint64_t)x->num : 0;
}

double ms_jnum(const struct ms_jval *v, const char *path, double dflt)
{
	const struct ms_jval *x = ms_jpath(v, path);
	return x && x->type == MS_J_NUM ? x->num : dflt;
}

const char *ms_jstr(const struct ms_jval *v, const char *path, const char *dflt)
{
	const struct ms_jval *x = ms_jpath(v, path);
	return x && x->type == MS_J_STR ? x->str : dflt;
}

bool ms_jbool(const struct ms_jval *v, const char *path, bool dflt)
{
	const struct ms_jval *x = ms_jpath(v, path);
	return x && x->type == MS_J_BOOL ? x->b : dflt;
}

bool ms_jhas_num(const struct ms_jval *v, const char *path)
{
	const struct ms_jval *x = ms_jpath(v, path);
	return x && x->type == MS_J_NUM;
}

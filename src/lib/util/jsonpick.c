#include "util/jsonpick.h"

#include <string.h>

struct scan {
	const char *s;
	size_t i, n;
};

static void ws(struct scan *c)
{
	while (c->i < c->n && strchr(" \t\r\n", c->s[c->i]) && c->s[c->i])
		c->i++;
}

/* At a '"': move past the closing quote.  -1 when unterminated. */
static int skip_string(struct scan *c)
{
	for (c->i++; c->i < c->n; c->i++) {
		if (c->s[c->i] == '\\')
			c->i++;
		else if (c->s[c->i] == '"') {
			c->i++;
			return 0;
		}
	}
	return -1;
}

/* Skip one value of any kind; nested containers by depth count. */
static int skip_value(struct scan *c)
{
	if (c->i >= c->n)
		return -1;
	char ch = c->s[c->i];
	if (ch == '"')
		return skip_string(c);
	if (ch == '{' || ch == '[') {
		size_t depth = 0;
		while (c->i < c->n) {
			ch = c->s[c->i];
			if (ch == '"') {
				if (skip_string(c) < 0)
					return -1;
				continue;
			}
			if (ch == '{' || ch == '[')
				depth++;
			else if (ch == '}' || ch == ']') {
				if (--depth == 0) {
					c->i++;
					return 0;
				}
			}
			c->i++;
		}
		return -1;
	}
	while (c->i < c->n && !strchr(",}] \t\r\n", c->s[c->i]))
		c->i++;
	return 0;
}

static int is_number_start(char ch)
{
	return ch == '-' || (ch >= '0' && ch <= '9');
}

/* Walk the members of the object at doc[0, len): numeric ones go to cb;
 * when obj_key is set, the span of that member's object value is returned
 * instead through span and span_len.  Returns members reported, -1 when doc
 * is not a complete (balanced) object. */
static int walk(const char *doc, size_t len, ms_jsonpick_cb cb, void *arg, const char *obj_key,
		const char **span, size_t *span_len)
{
	struct scan c = { doc, 0, len };
	ws(&c);
	if (c.i >= c.n || doc[c.i] != '{')
		return -1;
	/* A document cut short (a child killed mid-write) could end inside a
	 * number: only a balanced object is read at all. */
	struct scan whole = c;
	if (skip_value(&whole) < 0)
		return -1;
	c.i++;
	int found = 0;
	for (;;) {
		ws(&c);
		if (c.i >= c.n || doc[c.i] != '"')
			return found;
		size_t kstart = c.i + 1;
		if (skip_string(&c) < 0)
			return found;
		size_t klen = c.i - 1 - kstart;
		ws(&c);
		if (c.i >= c.n || doc[c.i] != ':')
			return found;
		c.i++;
		ws(&c);
		size_t vstart = c.i;
		int num = c.i < c.n && is_number_start(doc[c.i]);
		int obj = c.i < c.n && doc[c.i] == '{';
		if (skip_value(&c) < 0)
			return found;
		if (obj_key && obj && klen == strlen(obj_key) && !memcmp(doc + kstart, obj_key, klen)) {
			*span = doc + vstart;
			*span_len = c.i - vstart;
			return 1;
		}
		if (num && cb) {
			cb(doc + kstart, klen, doc + vstart, c.i - vstart, arg);
			found++;
		}
		ws(&c);
		if (c.i >= c.n || doc[c.i] != ',')
			return found;
		c.i++;
	}
}

int ms_jsonpick_numbers(const char *doc, size_t len, ms_jsonpick_cb cb, void *arg)
{
	return walk(doc, len, cb, arg, NULL, NULL, NULL);
}

int ms_jsonpick_numbers_in(const char *doc, size_t len, const char *key, ms_jsonpick_cb cb, void *arg)
{
	const char *span = NULL;
	size_t slen = 0;
	if (walk(doc, len, NULL, NULL, key, &span, &slen) < 0 || !span)
		return -1;
	return walk(span, slen, cb, arg, NULL, NULL, NULL);
}

struct pick {
	const char *key;
	uint64_t v;
	int ok;
};

static void pick_cb(const char *key, size_t klen, const char *num, size_t nlen, void *arg)
{
	struct pick *p = arg;
	if (p->ok || klen != strlen(p->key) || memcmp(key, p->key, klen))
		return;
	uint64_t v = 0;
	for (size_t i = 0; i < nlen; i++) {
		if (num[i] < '0' || num[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return;
		v = v * 10 + (uint64_t)(num[i] - '0');
	}
	p->v = v;
	p->ok = nlen > 0;
}

int ms_jsonpick_u64_in(const char *doc, size_t len, const char *obj, const char *key, uint64_t *out)
{
	struct pick p = { key, 0, 0 };
	int rc = obj ? ms_jsonpick_numbers_in(doc, len, obj, pick_cb, &p) : ms_jsonpick_numbers(doc, len, pick_cb, &p);
	if (rc < 0 || !p.ok)
		return -1;
	*out = p.v;
	return 0;
}

int ms_jsonpick_u64(const char *doc, size_t len, const char *key, uint64_t *out)
{
	return ms_jsonpick_u64_in(doc, len, NULL, key, out);
}

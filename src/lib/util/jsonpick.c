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

int ms_jsonpick_numbers(const char *doc, size_t len, ms_jsonpick_cb cb, void *arg)
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
		if (skip_value(&c) < 0)
			return found;
		if (num) {
			cb(doc + kstart, klen, doc + vstart, c.i - vstart, arg);
			found++;
		}
		ws(&c);
		if (c.i >= c.n || doc[c.i] != ',')
			return found;
		c.i++;
	}
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

int ms_jsonpick_u64(const char *doc, size_t len, const char *key, uint64_t *out)
{
	struct pick p = { key, 0, 0 };
	if (ms_jsonpick_numbers(doc, len, pick_cb, &p) < 0 || !p.ok)
		return -1;
	*out = p.v;
	return 0;
}

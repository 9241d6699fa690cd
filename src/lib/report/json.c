#include "report/json.h"

#include <math.h>
#include <inttypes.h>
#include <string.h>

void ms_json_init(struct ms_json *j, FILE *out)
{
	memset(j, 0, sizeof *j);
	j->out = out;
	j->first[0] = true;
}

void ms_json_init_line(struct ms_json *j, FILE *out)
{
	ms_json_init(j, out);
	j->compact = true;
}

static void indent(struct ms_json *j)
{
	if (j->compact)
		return;
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* Called before every value and every key. */
static void before_item(struct ms_json *j, bool is_key)
{
	if (j->after_key && !is_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->out);
		indent(j);
	}
	j->first[j->depth] = false;
}

static void open_nest(struct ms_json *j, char c)
{
	before_item(j, false);
	fputc(c, j->out);
	if (j->depth + 1 >= MS_JSON_MAX_DEPTH) {
		j->overflow = true;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
}

static void close_nest(struct ms_json *j, char c)
{
	if (j->depth == 0)
		return;
	bool empty = j->first[j->depth];
	j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->out);
}

void ms_json_obj_begin(struct ms_json *j) { open_nest(j, '{'); }
void ms_json_obj_end(struct ms_json *j)   { close_nest(j, '}'); }
void ms_json_arr_begin(struct ms_json *j) { open_nest(j, '['); }
void ms_json_arr_end(struct ms_json *j)   { close_nest(j, ']'); }

/* Length of the valid UTF-8 sequence at s, or 0 when it is not valid. */
size_t ms_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
	else return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void ms_json_escape(FILE *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		switch (c) {
		case '"':  fputs("\\\"", out); i++; continue;
		case '\\': fputs("\\\\", out); i++; continue;
		case '\n': fputs("\\n", out); i++; continue;
		case '\r': fputs("\\r", out); i++; continue;
		case '\t': fputs("\\t", out); i++; continue;
		case '\b': fputs("\\b", out); i++; continue;
		case '\f': fputs("\\f", out); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
			continue;
		}
		size_t len = ms_utf8_len(s + i, n - i);
		if (!len) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		fwrite(s + i, 1, len, out);
		i += len;
	}
}

void ms_json_key(struct ms_json *j, const char *key)
{
	before_item(j, true);
	fputc('"', j->out);
	ms_json_escape(j->out, key, strlen(key));
	fputs(j->compact ? "\":" : "\": ", j->out);
	j->after_key = true;
}

void ms_json_strn(struct ms_json *j, const char *s, size_t n)
{
	before_item(j, false);
	fputc('"', j->out);
	ms_json_escape(j->out, s, n);
	fputc('"', j->out);
}

void ms_json_str(struct ms_json *j, const char *s)
{
	if (!s) {
		ms_json_null(j);
		return;
	}
	ms_json_strn(j, s, strlen(s));
}

void ms_json_u64(struct ms_json *j, uint64_t v)
{
	before_item(j, false);
	fprintf(j->out, "%" PRIu64, v);
}

void ms_json_i64(struct ms_json *j, int64_t v)
{
	before_item(j, false);
	fprintf(j->out, "%" PRId64, v);
}

void ms_json_double(struct ms_json *j, double v)
{
	before_item(j, false);
	if (!isfinite(v))
		fputs("null", j->out);
	else
		fprintf(j->out, "%.6g", v);
}

void ms_json_bool(struct ms_json *j, bool v)
{
	before_item(j, false);
	fputs(v ? "true" : "false", j->out);
}

void ms_json_null(struct ms_json *j)
{
	before_item(j, false);
	fputs("null", j->out);
}

/* Each document kind's schema version: bump on any incompatible change
 * (a field renamed, removed or changing meaning) and say why in
 * docs/json.md.  Adding fields is compatible. */
static const struct { const char *kind; int version; } schemas[] = {
	{ "doctor", 1 }, { "overview", 1 }, { "arenas", 2 }, { "hotspots", 3 },
	{ "syscalls", 2 }, { "trim", 2 }, { "compare", 2 }, { "compare-list", 1 },
	{ "lab", 1 }, { "guide", 4 }, { "watch", 1 }, { "hotspots-record", 1 },
};

int ms_json_schema_version(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof schemas / sizeof schemas[0]; i++)
		if (!strcmp(schemas[i].kind, kind))
			return schemas[i].version;
	return 0;
}

void ms_json_kstr(struct ms_json *j, const char *k, const char *s)
{
	ms_json_key(j, k);
	ms_json_str(j, s);
	if (j->depth == 1 && !strcmp(k, "step")) {   /* the envelope */
		ms_json_ku64(j, "schema_version", (uint64_t)ms_json_schema_version(s));
		ms_json_kstr(j, "memsleuth_version", MS_VERSION);
	}
}

void ms_json_ku64(struct ms_json *j, const char *k, uint64_t v)      { ms_json_key(j, k); ms_json_u64(j, v); }
void ms_json_ki64(struct ms_json *j, const char *k, int64_t v)       { ms_json_key(j, k); ms_json_i64(j, v); }
void ms_json_kdouble(struct ms_json *j, const char *k, double v)     { ms_json_key(j, k); ms_json_double(j, v); }
void ms_json_kbool(struct ms_json *j, const char *k, bool v)         { ms_json_key(j, k); ms_json_bool(j, v); }

void ms_json_end(struct ms_json *j)
{
	fputc('\n', j->out);
	fflush(j->out);
}

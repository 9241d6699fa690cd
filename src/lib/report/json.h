/* A streaming JSON writer: commas, nesting and string escaping are its job,
 * so every step's --json output is valid by construction.  Output is
 * pretty-printed with two-space indentation. */
#ifndef MS_JSON_H
#define MS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MS_JSON_MAX_DEPTH 32

struct ms_json {
	FILE *out;
	int   depth;
	bool  first[MS_JSON_MAX_DEPTH]; /* nothing written yet at this level */
	bool  after_key;                /* a key was written, the value is due */
	bool  overflow;                 /* nesting deeper than MAX_DEPTH: ignored */
	bool  compact;                  /* one line, no indentation (NDJSON) */
};

void ms_json_init(struct ms_json *j, FILE *out);
/* One document on one line, for NDJSON streams (docs/json.md). */
void ms_json_init_line(struct ms_json *j, FILE *out);
void ms_json_obj_begin(struct ms_json *j);
void ms_json_obj_end(struct ms_json *j);
void ms_json_arr_begin(struct ms_json *j);
void ms_json_arr_end(struct ms_json *j);
void ms_json_key(struct ms_json *j, const char *key);
void ms_json_str(struct ms_json *j, const char *s);     /* NULL writes null */
void ms_json_strn(struct ms_json *j, const char *s, size_t n);
void ms_json_u64(struct ms_json *j, uint64_t v);
void ms_json_i64(struct ms_json *j, int64_t v);
void ms_json_double(struct ms_json *j, double v);       /* non-finite: null */
void ms_json_bool(struct ms_json *j, bool v);
void ms_json_null(struct ms_json *j);

/* The envelope (docs/json.md): a document names its kind with a "step"
 * key in its top-level object; writing that key also writes
 * "schema_version" (the kind's integer, from the one table in json.c,
 * bumped on any incompatible change) and "memsleuth_version".  So every
 * document carries both without its writer doing anything more. */
int ms_json_schema_version(const char *kind);   /* 0 for an unknown kind */

/* key + value in one call */
void ms_json_kstr(struct ms_json *j, const char *key, const char *s);
void ms_json_ku64(struct ms_json *j, const char *key, uint64_t v);
void ms_json_ki64(struct ms_json *j, const char *key, int64_t v);
void ms_json_kdouble(struct ms_json *j, const char *key, double v);
void ms_json_kbool(struct ms_json *j, const char *key, bool v);

/* Finish the document with a newline. */
void ms_json_end(struct ms_json *j);

/* Escape s (n bytes) as a JSON string body into out; invalid UTF-8 bytes
 * become U+FFFD so that binary junk read from a target stays valid JSON. */
void ms_json_escape(FILE *out, const char *s, size_t n);

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
size_t ms_utf8_len(const unsigned char *s, size_t n);

#endif

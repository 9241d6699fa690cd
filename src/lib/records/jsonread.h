/* Reading the findings JSON that the steps write (report/json.h is the
 * writer).  Strict RFC 8259: no comments, no trailing commas, no NaN, one
 * document.  Bounded: nesting depth, input size and node count are capped,
 * so hostile or truncated input gives an error "LINE:COL: what was
 * expected", never a crash or a runaway allocation. */
#ifndef MS_JSONREAD_H
#define MS_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

#define MS_JREAD_MAX_DEPTH 64
#define MS_JREAD_MAX_BYTES (64u << 20)
#define MS_JREAD_MAX_NODES (4u << 20)

enum ms_jtype { MS_J_NULL, MS_J_BOOL, MS_J_NUM, MS_J_STR, MS_J_ARR, MS_J_OBJ };

struct ms_jval {
	enum ms_jtype type;
	char    *key;              /* member name inside an object, else NULL */
	char    *str;              /* MS_J_STR: decoded UTF-8, NUL-terminated */
	size_t   len;              /* string length, or children of ARR/OBJ */
	bool     b;
	double   num;              /* every number */
	bool     is_u64;           /* a non-negative integer that fits u64 */
	uint64_t u64;
	struct ms_jval *child, *next;
};

/* Parse buf[0..len).  Returns the root (free with ms_jfree) or NULL with e
 * set to "NAME:LINE:COL: REASON".  name labels the input in errors. */
struct ms_jval *ms_jparse(const char *buf, size_t len, const char *name, struct ms_err *e);

/* Read all of fd (bounded by MS_JREAD_MAX_BYTES) and parse it. */
struct ms_jval *ms_jparse_fd(int fd, const char *name, struct ms_err *e);

void ms_jfree(struct ms_jval *v);

/* Member `key` of object v (NULL when v is not an object or has none). */
const struct ms_jval *ms_jget(const struct ms_jval *v, const char *key);
/* Element i of array v. */
const struct ms_jval *ms_jat(const struct ms_jval *v, size_t i);
/* A dotted path of member names and indexes: "totals.free_bytes", "arenas.0.heaps". */
const struct ms_jval *ms_jpath(const struct ms_jval *v, const char *path);

/* Typed reads with a default when the path is missing or of another type. */
uint64_t    ms_ju64(const struct ms_jval *v, const char *path, uint64_t dflt);
double      ms_jnum(const struct ms_jval *v, const char *path, double dflt);
const char *ms_jstr(const struct ms_jval *v, const char *path, const char *dflt);
bool        ms_jbool(const struct ms_jval *v, const char *path, bool dflt);
/* Whether path exists with a number value (not null). */
bool        ms_jhas_num(const struct ms_jval *v, const char *path);

#endif

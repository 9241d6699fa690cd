/* Picking top-level numbers out of another step's --json output.  Steps run
 * each other as children (trim asks `arenas --json` for its prediction) and
 * need one or two fields, not a JSON library: this walks the document's
 * outer object, skipping nested values, and reports members whose value is
 * a number.  Malformed input stops the walk; it never reads past len. */
#ifndef MS_JSONPICK_H
#define MS_JSONPICK_H

#include <stddef.h>
#include <stdint.h>

/* Called for each top-level member with a numeric value (as text). */
typedef void (*ms_jsonpick_cb)(const char *key, size_t klen,
			       const char *num, size_t nlen, void *arg);

/* Returns the number of numeric members seen, -1 if doc is not a complete
 * (balanced) object. */
int ms_jsonpick_numbers(const char *doc, size_t len, ms_jsonpick_cb cb, void *arg);

/* The same for the members of the object that is the top-level member KEY
 * (e.g. "totals"); -1 when there is no such object. */
int ms_jsonpick_numbers_in(const char *doc, size_t len, const char *key, ms_jsonpick_cb cb, void *arg);

/* The top-level member KEY as a non-negative integer: 0, or -1 when absent,
 * not a number, negative or fractional. */
int ms_jsonpick_u64(const char *doc, size_t len, const char *key, uint64_t *out);

/* The same inside the top-level object member OBJ (NULL: top level). */
int ms_jsonpick_u64_in(const char *doc, size_t len, const char *obj, const char *key, uint64_t *out);

#endif

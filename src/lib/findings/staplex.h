/* A small lexer for SystemTap scripts: enough to find probe points,
 * function calls, statistics operators and format strings without being
 * fooled by comments, strings or embedded code.  Tokens point into the
 * caller's text (offsets), so a rewriter can copy everything it does not
 * change byte for byte.  Grammar facts from stap(1)/stapprobes(3stap):
 * comments are '#', '//' and C-style; '%{ ... %}' is embedded code;
 * '%( COND %? A %: B %)' is the preprocessor conditional. */
#ifndef MS_STAPLEX_H
#define MS_STAPLEX_H

#include <stddef.h>
#include "util/err.h"

enum ms_stok_kind {
	MS_STOK_IDENT,     /* probe, syscall, printf, delete, ... */
	MS_STOK_NUMBER,
	MS_STOK_STRING,    /* with its quotes */
	MS_STOK_VAR,       /* $name, $$parms, $1, $# */
	MS_STOK_AT,        /* @hist_log, @1, @cast, @define */
	MS_STOK_PUNCT,     /* operators and brackets, longest match ("<<<", "->", ".=") */
	MS_STOK_EMBED,     /* %{ ... %} */
	MS_STOK_PP_OPEN,   /* %( */
	MS_STOK_PP_THEN,   /* %? */
	MS_STOK_PP_ELSE,   /* %: */
	MS_STOK_PP_CLOSE,  /* %) */
};

struct ms_stok {
	enum ms_stok_kind kind;
	size_t off, len;   /* bytes of the script text */
	int line;          /* 1-based line of the first byte */
	int active;        /* 0 inside a preprocessor branch the runtime does not take */
};

struct ms_stoks {
	struct ms_stok *v;
	size_t n;
	const char *text;  /* the lexed text (not owned) */
};

/* Tokenise text[0..len).  At most one token per byte, so memory is bounded
 * by the script's size.  Errors: an unterminated string, comment or
 * embedded block (the line where it starts), or out of memory.  Every
 * token starts active; ms_stap_pp_select() marks the untaken branches. */
int  ms_stap_lex(const char *text, size_t len, struct ms_stoks *out, struct ms_err *e);
void ms_stoks_free(struct ms_stoks *t);

/* Mark tokens of preprocessor branches not taken under `runtime` ("bpf"
 * or "kernel") inactive.  Only conditions on `runtime` are decided; the
 * branches of any other condition both stay active (a check then looks at
 * both, as either may be compiled). */
void ms_stap_pp_select(struct ms_stoks *t, const char *runtime);

/* Does token i spell s exactly? */
int ms_stok_is(const struct ms_stoks *t, size_t i, const char *s);

#endif

/* Aligned text tables for human output.  Cells are copied in; columns are
 * sized to their widest cell when the table is printed.  Colour (bold
 * header) by the one colour policy, ms_use_colour. */
#ifndef MS_TABLE_H
#define MS_TABLE_H

#include <stdio.h>
#include <stddef.h>

#define MS_TABLE_MAX_COLS 12

struct ms_table {
	int     ncols;
	char   *head[MS_TABLE_MAX_COLS];
	char    align[MS_TABLE_MAX_COLS];  /* 'l' or 'r' */
	char  **cells;                     /* nrows * ncols */
	size_t  nrows, cap;
};

/* spec: one char per column, 'l' or 'r'; heads: ncols column titles. */
void ms_table_init(struct ms_table *t, const char *spec, const char *const *heads);
/* Add a row of ncols cells (printf-free: pass formatted strings). */
int  ms_table_row(struct ms_table *t, const char *const *cells);
/* Convenience: row from a format per cell, separated by '\t' in one string. */
int  ms_table_rowf(struct ms_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ms_table_print(const struct ms_table *t, FILE *out, const char *indent);
void ms_table_free(struct ms_table *t);

/* Whether to colour this stream: --color (ms_colour_set) when given,
 * else a TTY with NO_COLOR unset. */
int  ms_use_colour(FILE *out);
enum ms_colour { MS_COLOUR_AUTO, MS_COLOUR_ALWAYS, MS_COLOUR_NEVER };
void ms_colour_set(enum ms_colour c);

#endif

/* Aligned text tables for human output.  Cells are copied in; columns are
 * sized to their widest cell when the table is printed.  Colour (bold
 * header) only when the stream is a TTY and NO_COLOR is unset. */
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

/* Whether to colour this stream. */
int  ms_use_colour(FILE *out);

#endif

/* Aligned text tables for human output that fit the terminal.  Cells are
 * copied in; the layout is chosen when the table is printed, for a width
 * (the output's, cli/wrap.h ms_wrap_out_width, unless t->width is set):
 *  - every column as wide as its widest cell, when that fits;
 *  - else text columns (align 'l') shrink and their cells wrap inside the
 *    column (continuation lines start under the column; a word wider than
 *    the column, a path, is broken after a '/' or similar), numbers (words
 *    of digits, hex addresses) and number columns (align 'r') are never
 *    split; headers wrap at their spaces;
 *    numbers with their unit ("654.9 KiB", cli/wrap.h ms_text_glued) and
 *    names up to 32 columns ("glibc-arena-max-2") are never split;
 *  - else, for a table with a name column (t->name), the other columns as
 *    a table and each row's name under its row, wrapped to the width: the
 *    name is what the row is about, never in a panel of its own;
 *  - else (ms_table_print) the table in panels, one below the other, each
 *    the key columns (t->keys, default 1) and as many next columns as fit;
 *  - else (a very narrow terminal) a record per row: one "head: value" line
 *    per non-empty cell, the value wrapped.
 * Nothing is ever cut: every cell's text is printed.  Colour (bold header)
 * by the one colour policy, ms_use_colour. */
#ifndef MS_TABLE_H
#define MS_TABLE_H

#include <stdio.h>
#include <stddef.h>

#define MS_TABLE_MAX_COLS 12

struct ms_table {
	int     ncols;
	char   *head[MS_TABLE_MAX_COLS];
	char    align[MS_TABLE_MAX_COLS];  /* 'l' or 'r'; 'L': left, never wrapped (a sparkline) */
	char  **cells;                     /* nrows * ncols */
	size_t  nrows, cap;
	int     width;                     /* columns to fit; 0: the output's */
	int     minw[MS_TABLE_MAX_COLS];   /* a column's least width (a stream's widest value) */
	int     w[MS_TABLE_MAX_COLS];      /* a stream's layout, chosen at its first flush */
	int     laid_out;                  /* 1 table layout chosen, -1 records, 0 not yet */
	int     keys;                      /* columns repeated in every panel (0: the first) */
	int     name;                      /* the rows' name column + 1 (a call site), 0 none:
					    * never dropped (ms_table_print) */
};

/* spec: one char per column, 'l', 'r' or 'L'; heads: ncols column titles. */
void ms_table_init(struct ms_table *t, const char *spec, const char *const *heads);
/* Add a row of ncols cells (printf-free: pass formatted strings). */
int  ms_table_row(struct ms_table *t, const char *const *cells);
/* Convenience: row from a format per cell, separated by '\t' in one string. */
int  ms_table_rowf(struct ms_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print the table on out, each line starting with indent (spaces), no
 * line wider than the width (see above) unless one number or header word
 * is wider than the width itself. */
void ms_table_print(const struct ms_table *t, FILE *out, const char *indent);
/* A stream of rows (a sample per interval, a list of millions of chunks):
 * print the rows added since the last flush and forget them.  The layout
 * is chosen at the first flush (the header printed then) and kept, so
 * later rows line up; set t->minw[c] beforehand to the widest value a
 * column will see (rows wider than the layout push their line wider). */
void ms_table_flush(struct ms_table *t, FILE *out, const char *indent);
void ms_table_free(struct ms_table *t);

/* Whether to colour this stream: --color (ms_colour_set) when given,
 * else a TTY with NO_COLOR unset. */
int  ms_use_colour(FILE *out);
enum ms_colour { MS_COLOUR_AUTO, MS_COLOUR_ALWAYS, MS_COLOUR_NEVER };
void ms_colour_set(enum ms_colour c);

#endif

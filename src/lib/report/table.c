#include "report/table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static enum ms_colour colour_mode;

void ms_colour_set(enum ms_colour c)
{
	colour_mode = c;
}

int ms_use_colour(FILE *out)
{
	if (colour_mode != MS_COLOUR_AUTO)
		return colour_mode == MS_COLOUR_ALWAYS;
	const char *nc = getenv("NO_COLOR");
	int fd = fileno(out);   /* -1: stdout wrapped by cli/wrap.c, whose lines go to fd 1 */
	return isatty(fd < 0 && out == stdout ? 1 : fd) && !(nc && nc[0]);
}

void ms_table_init(struct ms_table *t, const char *spec, const char *const *heads)
{
	memset(t, 0, sizeof *t);
	t->ncols = (int)strlen(spec);
	if (t->ncols > MS_TABLE_MAX_COLS)
		t->ncols = MS_TABLE_MAX_COLS;
	for (int i = 0; i < t->ncols; i++) {
		t->align[i] = spec[i];
		t->head[i] = strdup(heads[i] ? heads[i] : "");
	}
}

int ms_table_row(struct ms_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, ncap * (size_t)t->ncols * sizeof *n);
		if (!n)
			return -1;
		t->cells = n;
		t->cap = ncap;
	}
	char **row = t->cells + t->nrows * (size_t)t->ncols;
	for (int i = 0; i < t->ncols; i++)
		row[i] = strdup(cells[i] ? cells[i] : "");
	t->nrows++;
	return 0;
}

int ms_table_rowf(struct ms_table *t, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	const char *cells[MS_TABLE_MAX_COLS] = { 0 };
	char *p = line;
	for (int i = 0; i < t->ncols; i++) {
		cells[i] = p ? p : "";
		if (p) {
			char *tab = strchr(p, '\t');
			if (tab)
				*tab++ = 0;
			p = tab;
		}
	}
	return ms_table_row(t, cells);
}

/* Display width: count UTF-8 lead bytes, not bytes. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void cell(FILE *out, const char *s, size_t w, char align, int last)
{
	size_t pad = w - width(s);
	if (align == 'r')
		fprintf(out, "%*s%s", (int)pad, "", s);
	else if (last)
		fputs(s, out);
	else
		fprintf(out, "%s%*s", s, (int)pad, "");
}

void ms_table_print(const struct ms_table *t, FILE *out, const char *indent)
{
	size_t w[MS_TABLE_MAX_COLS];
	for (int c = 0; c < t->ncols; c++) {
		w[c] = width(t->head[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t cw = width(t->cells[r * (size_t)t->ncols + (size_t)c]);
			if (cw > w[c])
				w[c] = cw;
		}
	}
	int colour = ms_use_colour(out);
	fputs(indent ? indent : "", out);
	if (colour)
		fputs("\033[1m", out);
	for (int c = 0; c < t->ncols; c++) {
		cell(out, t->head[c], w[c], t->align[c], c == t->ncols - 1);
		if (c < t->ncols - 1)
			fputs("  ", out);
	}
	if (colour)
		fputs("\033[0m", out);
	fputc('\n', out);
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(indent ? indent : "", out);
		for (int c = 0; c < t->ncols; c++) {
			cell(out, t->cells[r * (size_t)t->ncols + (size_t)c], w[c], t->align[c],
			     c == t->ncols - 1);
			if (c < t->ncols - 1)
				fputs("  ", out);
		}
		fputc('\n', out);
	}
}

void ms_table_free(struct ms_table *t)
{
	for (int i = 0; i < t->ncols; i++)
		free(t->head[i]);
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof *t);
}

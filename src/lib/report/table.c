#include "report/table.h"

#include "cli/wrap.h"

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
	char *line;   /* the whole row, however long: a cell is never cut */
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
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
	int rc = ms_table_row(t, cells);
	free(line);
	return rc;
}

/* Layout.  A cell is wrapped into segments (pieces of its text, one per
 * output line) for a column width; nothing of the text is dropped but the
 * spaces where a line breaks. */
enum {
	GAP = 2,            /* spaces between columns */
	TEXT_MIN = 10,      /* a text column is not shrunk below this (or its widest word) */
	NUMBER_MAX = 24,    /* a word starting with a digit up to this wide is never split */
	NAME_MAX_COLS = 32, /* nor any word up to this wide: a name ("glibc-arena-max-2"), an
			       identifier; a wider one (a path) breaks at a separator */
	RECORD_HANG = 2,    /* record layout: further cells of a row, continuation lines */
	NAME_HANG = 4,      /* name-under-row layout: the name's indentation under its row */
	MAX_PANELS = 2,     /* a table split in more panels than this is shown as records */
};

struct seg {
	const char *p;
	size_t      n;
};
struct segs {
	struct seg *v;
	size_t      n, cap;
};

static int cols(const char *s, size_t n)
{
	return ms_text_columns(s, n);
}

static void seg_add(struct segs *s, const char *p, size_t n)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 8;
		struct seg *nv = realloc(s->v, ncap * sizeof *nv);
		if (!nv)
			return;   /* no memory: the rest of this cell is not printed */
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = (struct seg){ p, n };
}

/* A number, size or address (starts with a digit), or a name: not too
 * wide to keep whole. */
static int unbreakable(const char *w, size_t n)
{
	int c = cols(w, n);
	return n && (c <= NAME_MAX_COLS || (w[0] >= '0' && w[0] <= '9' && c <= NUMBER_MAX));
}

/* The length of the word at w (no leading space): up to the next space,
 * a number and its unit one word ("654.9 KiB", cli/wrap.h ms_text_glued). */
static size_t word_len(const char *w)
{
	size_t wl = strcspn(w, " ");
	if (w[wl] == ' ' && w[wl + 1] && w[wl + 1] != ' ') {
		size_t ul = strcspn(w + wl + 1, " ");
		if (ms_text_glued(w, wl, w + wl + 1, ul))
			wl += 1 + ul;
	}
	return wl;
}

/* The lines text takes in a column of width w (w0 for its first line):
 * words wrapped at spaces, a word wider than the line broken (unless
 * unbreakable).  At least one segment. */
static void wrap_cell(const char *text, int w0, int w, struct segs *out)
{
	const char *s = text, *ls = NULL, *le = NULL;
	int lc = 0;
	out->n = 0;
	while (*s) {
		size_t sp = strspn(s, " ");
		const char *wd = s + sp;
		if (!*wd)
			break;
		size_t wl = word_len(wd);
		int wc = cols(wd, wl);
		s = wd + wl;
		int room = out->n ? w : w0;
		if (ls && lc + (int)sp + wc <= room) {
			le = s;
			lc += (int)sp + wc;
			continue;
		}
		if (ls)
			seg_add(out, ls, (size_t)(le - ls));
		while (wc > (room = out->n ? w : w0) && !unbreakable(wd, wl)) {
			size_t b = ms_text_break(wd, wl, room);
			seg_add(out, wd, b);
			wd += b;
			wl -= b;
			wc = cols(wd, wl);
		}
		ls = wd;
		le = s;
		lc = wc;
	}
	if (ls && le > ls)
		seg_add(out, ls, (size_t)(le - ls));
	if (!out->n)
		seg_add(out, "", 0);
}

/* The widest word of s (for a header: the width it cannot wrap below). */
static int widest_word(const char *s, int numbers_only)
{
	int m = 0;
	while (*s) {
		s += strspn(s, " ");
		size_t wl = word_len(s);
		int c = cols(s, wl);
		if (c > m && (!numbers_only || unbreakable(s, wl)))
			m = c;
		s += wl;
	}
	return m;
}

static const char *cell_at(const struct ms_table *t, size_t r, int c)
{
	return t->cells[r * (size_t)t->ncols + (size_t)c];
}

/* Column widths for avail columns of cells (gaps excluded): 0 when even the
 * narrowest layout does not fit (the record layout then). */
static int fit_columns(const struct ms_table *t, int avail, int *w)
{
	int nat[MS_TABLE_MAX_COLS], min[MS_TABLE_MAX_COLS];
	long sum_nat = 0, sum_min = 0;
	for (int c = 0; c < t->ncols; c++) {
		nat[c] = cols(t->head[c], strlen(t->head[c]));
		if (t->minw[c] > nat[c])
			nat[c] = t->minw[c];
		int head_min = widest_word(t->head[c], 0), cell_min = 0;
		for (size_t r = 0; r < t->nrows; r++) {
			const char *x = cell_at(t, r, c);
			int cw = cols(x, strlen(x));
			if (cw > nat[c])
				nat[c] = cw;
			/* a number column's cell wraps only at its spaces, never inside "495.9 MiB" */
			int nw = t->align[c] == 'L' ? cw : widest_word(x, t->align[c] != 'r');
			cell_min = nw > cell_min ? nw : cell_min;
		}
		if (t->align[c] == 'l' && cell_min < TEXT_MIN)
			cell_min = nat[c] < TEXT_MIN ? nat[c] : TEXT_MIN;
		min[c] = head_min > cell_min ? head_min : cell_min;
		if (min[c] > nat[c])
			nat[c] = min[c];
		sum_nat += nat[c];
		sum_min += min[c];
		w[c] = nat[c];
	}
	if (sum_nat <= avail)
		return 1;
	if (sum_min > avail)
		return 0;
	/* Every column gets its minimum; then the spare columns make whole the
	 * columns that need the least, one after the other (a number column
	 * gains nothing from less than whole: it wraps at the same space);
	 * what is left goes to the text columns, which wrap less with it. */
	int extra = (int)(avail - sum_min), done[MS_TABLE_MAX_COLS] = { 0 }, text = 0;
	for (int c = 0; c < t->ncols; c++)
		w[c] = min[c];
	for (;;) {
		int best = -1;
		for (int c = 0; c < t->ncols; c++)
			if (!done[c] && (best < 0 || nat[c] - min[c] < nat[best] - min[best]))
				best = c;
		if (best < 0 || nat[best] - min[best] > extra)
			break;
		extra -= nat[best] - min[best];
		w[best] = nat[best];
		done[best] = 1;
	}
	for (int c = 0; c < t->ncols; c++)
		text += !done[c] && t->align[c] == 'l';
	for (int c = 0; c < t->ncols && text > 0; c++)
		if (!done[c] && t->align[c] == 'l') {
			int share = extra / text--;
			w[c] += share;
			extra -= share;
		}
	return 1;
}

/* Output with trailing spaces held back: padding is written only when
 * text follows it on the line. */
struct line_out {
	FILE *out;
	int   pending;
};

static void put_text(struct line_out *lo, const char *p, size_t n)
{
	if (!n)
		return;
	fprintf(lo->out, "%*s", lo->pending, "");
	lo->pending = 0;
	fwrite(p, 1, n, lo->out);
}

/* One row (or the header) as lines of the table layout. */
static void print_row(const struct ms_table *t, char *const *row, const int *w, FILE *out, const char *indent,
		      int bold)
{
	struct segs sg[MS_TABLE_MAX_COLS] = { { 0 } };
	size_t lines = 1;
	for (int c = 0; c < t->ncols; c++) {
		wrap_cell(row[c], w[c], w[c], &sg[c]);
		if (sg[c].n > lines)
			lines = sg[c].n;
	}
	for (size_t i = 0; i < lines; i++) {
		struct line_out lo = { out, 0 };
		fputs(indent, out);
		if (bold)
			fputs("\033[1m", out);
		for (int c = 0; c < t->ncols; c++) {
			const struct seg *s = i < sg[c].n ? &sg[c].v[i] : &(struct seg){ "", 0 };
			int pad = w[c] - cols(s->p, s->n);
			if (pad < 0)
				pad = 0;
			if (t->align[c] == 'r')
				lo.pending += pad;
			put_text(&lo, s->p, s->n);
			if (t->align[c] != 'r')
				lo.pending += pad;
			lo.pending += GAP;
		}
		if (bold)
			fputs("\033[0m", out);
		fputc('\n', out);
	}
	for (int c = 0; c < t->ncols; c++)
		free(sg[c].v);
}

/* The record layout: per row, one "head: value" line per non-empty cell,
 * the row's first cell at the indentation, the others hung under it. */
static void print_records(const struct ms_table *t, FILE *out, const char *indent, int width)
{
	struct segs sg = { 0 };
	for (size_t r = 0; r < t->nrows; r++)
		for (int c = 0, first = 1; c < t->ncols; c++) {
			const char *x = cell_at(t, r, c);
			if (!*x)
				continue;
			int ind = (int)strlen(indent) + (first ? 0 : RECORD_HANG);
			size_t hl = strlen(t->head[c]);
			char *line = malloc(hl + strlen(x) + 3);
			if (!line)
				break;
			sprintf(line, "%s%s%s", t->head[c], hl ? ": " : "", x);
			int room = width - ind - RECORD_HANG, room0 = width - ind;
			if (t->align[c] == 'L' && cols(line, strlen(line)) > room0) {
				/* kept whole: on the line after its name */
				fprintf(out, "%*s%s:\n%*s%s\n", ind, "", t->head[c], ind + RECORD_HANG, "", x);
				free(line);
				first = 0;
				continue;
			}
			wrap_cell(line, room0 > TEXT_MIN ? room0 : TEXT_MIN, room > TEXT_MIN ? room : TEXT_MIN, &sg);
			for (size_t i = 0; i < sg.n; i++) {
				fprintf(out, "%*s", ind + (i ? RECORD_HANG : 0), "");
				fwrite(sg.v[i].p, 1, sg.v[i].n, out);
				fputc('\n', out);
			}
			free(line);
			first = 0;
		}
	free(sg.v);
}

/* Choose the layout (t->w, t->laid_out) and print the header line(s). */
static void lay_out(struct ms_table *t, FILE *out, const char *indent)
{
	int width = t->width > 0 ? t->width : ms_wrap_out_width(out);
	int avail = width - cols(indent, strlen(indent)) - GAP * (t->ncols - 1);
	if (!fit_columns(t, avail, t->w)) {
		t->laid_out = -1;
		return;
	}
	t->laid_out = 1;
	int heads = 0;   /* a table without titles (a list of name, value) has no header line */
	for (int c = 0; c < t->ncols; c++)
		heads |= t->head[c][0] != 0;
	if (heads)
		print_row(t, t->head, t->w, out, indent, ms_use_colour(out));
}

static void print_rows(const struct ms_table *t, FILE *out, const char *indent)
{
	if (t->laid_out < 0) {
		int width = t->width > 0 ? t->width : ms_wrap_out_width(out);
		print_records(t, out, indent, width);
		return;
	}
	for (size_t r = 0; r < t->nrows; r++)
		print_row(t, t->cells + r * (size_t)t->ncols, t->w, out, indent, 0);
}

/* The panel of t made of its key columns and columns [from, to): a view
 * (cells are t's, p->cells is the only allocation). */
static int panel_view(const struct ms_table *t, int keys, int from, int to, struct ms_table *p)
{
	memset(p, 0, sizeof *p);
	p->width = t->width;
	p->nrows = t->nrows;
	p->cells = t->nrows ? malloc(t->nrows * (size_t)(keys + to - from) * sizeof *p->cells) : NULL;
	if (t->nrows && !p->cells)
		return -1;
	for (int c = 0; c < keys + to - from; c++) {
		int src = c < keys ? c : from + c - keys;
		p->head[c] = t->head[src];
		p->align[c] = t->align[src];
		p->minw[c] = t->minw[src];
		for (size_t r = 0; r < t->nrows; r++)
			p->cells[r * (size_t)(keys + to - from) + (size_t)c] = t->cells[r * (size_t)t->ncols + (size_t)src];
	}
	p->ncols = keys + to - from;
	return 0;
}

/* Between the table and the records: when the columns do not fit with
 * every number and name whole, the table in panels, each its key columns
 * (t->keys, default the first) and as many of the next columns as fit,
 * one after the other.  0 when even one more column beside the keys does
 * not fit, or it takes more than MAX_PANELS (the records then). */
static int print_panels(const struct ms_table *t, FILE *out, const char *indent)
{
	int width = t->width > 0 ? t->width : ms_wrap_out_width(out), keys = t->keys > 0 ? t->keys : 1;
	int w[MS_TABLE_MAX_COLS], cut[MS_TABLE_MAX_COLS + 1], np = 0;
	struct ms_table p;
	if (keys >= t->ncols - 1)
		return 0;
	cut[0] = keys;
	for (int from = keys; from < t->ncols;) {
		int to = from;
		while (to < t->ncols) {
			if (panel_view(t, keys, from, to + 1, &p) < 0)
				return 0;
			int avail = width - cols(indent, strlen(indent)) - GAP * (p.ncols - 1);
			int ok = fit_columns(&p, avail, w);
			free(p.cells);
			if (!ok)
				break;
			to++;
		}
		if (to == from || np == MAX_PANELS)
			return 0;   /* more panels read worse than records */
		cut[++np] = from = to;
	}
	for (int i = 0; i < np; i++) {
		if (panel_view(t, keys, cut[i], cut[i + 1], &p) < 0)
			return 0;
		if (i)
			fputc('\n', out);
		p.laid_out = 0;
		lay_out(&p, out, indent);
		print_rows(&p, out, indent);
		free(p.cells);
	}
	return 1;
}

/* A table whose name column (t->name) does not fit beside the others:
 * the other columns as a table, each row's name on the lines under it,
 * hung by NAME_HANG and wrapped to the width.  0 when the other columns do
 * not fit either (the records then: they keep every cell). */
static int print_name_under(const struct ms_table *t, FILE *out, const char *indent)
{
	int width = t->width > 0 ? t->width : ms_wrap_out_width(out), nc = t->name - 1;
	if (nc < 0 || nc >= t->ncols || t->ncols < 2)
		return 0;
	struct ms_table p;
	if (panel_view(t, 0, 0, t->ncols, &p) < 0)
		return 0;
	/* the view without the name column */
	for (int c = nc; c + 1 < t->ncols; c++) {
		p.head[c] = p.head[c + 1];
		p.align[c] = p.align[c + 1];
		p.minw[c] = p.minw[c + 1];
	}
	p.ncols = t->ncols - 1;
	for (size_t r = 0; r < t->nrows; r++)
		for (int c = 0; c < p.ncols; c++)
			p.cells[r * (size_t)p.ncols + (size_t)c] = t->cells[r * (size_t)t->ncols + (size_t)(c < nc ? c : c + 1)];
	int w[MS_TABLE_MAX_COLS], ind = cols(indent, strlen(indent)) + NAME_HANG;
	if (!fit_columns(&p, width - cols(indent, strlen(indent)) - GAP * (p.ncols - 1), w)) {
		free(p.cells);
		return 0;
	}
	p.laid_out = 0;
	lay_out(&p, out, indent);
	int room = width - ind > TEXT_MIN ? width - ind : TEXT_MIN;
	struct segs sg = { 0 };
	if (t->head[nc][0])
		fprintf(out, "%*s%s\n", ind, "", t->head[nc]);
	for (size_t r = 0; r < t->nrows; r++) {
		print_row(&p, p.cells + r * (size_t)p.ncols, p.w, out, indent, 0);
		sg.n = 0;
		wrap_cell(cell_at(t, r, nc), room, room, &sg);
		for (size_t i = 0; i < sg.n; i++)
			if (sg.v[i].n) {
				fprintf(out, "%*s", ind, "");
				fwrite(sg.v[i].p, 1, sg.v[i].n, out);
				fputc('\n', out);
			}
	}
	free(sg.v);
	free(p.cells);
	return 1;
}

void ms_table_print(const struct ms_table *t, FILE *out, const char *indent)
{
	if (t->ncols <= 0)
		return;
	struct ms_table lt = *t;   /* the layout is this printing's own */
	lt.laid_out = 0;
	indent = indent ? indent : "";
	int width = t->width > 0 ? t->width : ms_wrap_out_width(out), w[MS_TABLE_MAX_COLS];
	if (!fit_columns(t, width - cols(indent, strlen(indent)) - GAP * (t->ncols - 1), w) &&
	    (t->name ? print_name_under(t, out, indent) : print_panels(t, out, indent)))
		return;
	lay_out(&lt, out, indent);
	print_rows(&lt, out, indent);
}

void ms_table_flush(struct ms_table *t, FILE *out, const char *indent)
{
	if (t->ncols <= 0)
		return;
	indent = indent ? indent : "";
	if (!t->laid_out)
		lay_out(t, out, indent);
	print_rows(t, out, indent);
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	t->nrows = 0;
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

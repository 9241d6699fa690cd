/* Text that fits: words wrapped to a width, never cut (a word longer than
 * the width stays whole on its own line). */
#ifndef MS_CLI_WRAP_H
#define MS_CLI_WRAP_H

#include <stdio.h>

/* The width --help and a pipe get. */
enum { MS_WRAP_HELP = 100 };

/* Print text (one paragraph, no '\n') and a newline on out, wrapped at
 * width columns.  col: characters already on the current line (when 0 and
 * indent > 0 the first line is indented too); continuation lines start
 * with indent spaces. */
void ms_wrap_fprint(FILE *out, const char *text, int col, int indent, int width);

/* The width text output gets: COLUMNS when set, else the terminal's (the
 * TIOCGWINSZ of fd), else MS_WRAP_HELP (a pipe or a file). */
int ms_wrap_width(int fd);

/* The width of text printed on out: for stdout the width its wrapping
 * uses (ms_wrap_width(1)), else ms_wrap_width of out's descriptor (a
 * file or a pipe: MS_WRAP_HELP unless COLUMNS says otherwise). */
int ms_wrap_out_width(FILE *out);

/* Display columns of s[0..n): ANSI CSI sequences (colour) take none,
 * a UTF-8 character one, a tab up to the next multiple of 8. */
int ms_text_columns(const char *s, size_t n);

/* Bytes of the word w[0..n) (no spaces) to put on a line with room
 * columns left: as many whole characters as fit (at least one; colour
 * sequences whole), ending after a '/' (a path), else after another
 * separator ("-_.,:;=+)"), when there is one in the second half. */
size_t ms_text_break(const char *w, size_t n, int room);

/* Whether the words w[0..wn) and u[0..un), one space apart, are a number
 * and its unit ("654.9" "KiB", "44" "ms", "98.4" "%),"): a line never
 * breaks between them (tables and prose alike). */
int ms_text_glued(const char *w, size_t wn, const char *u, size_t un);

/* Make stdout wrap every line wider than ms_wrap_width(1) at spaces (never
 * between a number and its unit, ms_text_glued),
 * continuation lines indented under the line's text; nothing is ever cut
 * (a word wider than the width is broken by ms_text_break).  ANSI colour sequences take
 * no width, UTF-8 characters one column.  The parser calls it for every
 * program that did not ask for JSON (cli/args.h); idempotent. */
void ms_wrap_stdout(void);

/* Text to be pasted (a unit file's Environment= line, a command to run):
 * a line of stdout that starts with ms_nowrap(stdout) is written as it is,
 * past the width if it must -- a break inside a quoted value makes another
 * setting.  "" when the stream is not wrapped. */
#define MS_NOWRAP_MARK '\x01'
const char *ms_nowrap(FILE *out);

/* The wrapping of one line (no '\n') of len bytes to out: what
 * ms_wrap_stdout does to each line, exposed for the unit test. */
void ms_wrap_line(FILE *out, const char *line, size_t len, int width);

#endif

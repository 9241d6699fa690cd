#include "cli/wrap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void ms_wrap_fprint(FILE *out, const char *text, int col, int indent, int width)
{
	if (col == 0 && indent > 0) {
		fprintf(out, "%*s", indent, "");
		col = indent;
	}
	int at_start = 1;   /* nothing printed on this line after the indentation */
	const char *s = text;
	while (*s) {
		size_t sp = strspn(s, " ");
		const char *w = s + sp;
		if (!*w)
			break;
		size_t wl = strcspn(w, " ");
		size_t gap = at_start ? 0 : (sp ? sp : 1);
		if (!at_start && col + (int)(gap + wl) > width) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
			gap = 0;
		}
		fprintf(out, "%*s%.*s", (int)gap, "", (int)wl, w);
		col += (int)(gap + wl);
		at_start = 0;
		s = w + wl;
	}
	fputc('\n', out);
}

int ms_wrap_width(int fd)
{
	const char *c = getenv("COLUMNS");
	if (c && *c) {
		char *end;
		long v = strtol(c, &end, 10);
		if (!*end && v >= 20 && v <= 10000)
			return (int)v;
	}
	struct winsize ws;
	if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return MS_WRAP_HELP;
}

/* ms_text_columns, for text starting at column start (tabs depend on it). */
static int columns(const char *s, size_t n, int start)
{
	int col = start;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == 0x1b && i + 1 < n && s[i + 1] == '[') {
			i += 2;
			while (i < n && !(s[i] >= 0x40 && s[i] <= 0x7e))
				i++;
			continue;
		}
		if (ch == '\t')
			col = (col / 8 + 1) * 8;
		else if ((ch & 0xc0) != 0x80)
			col++;
	}
	return col - start;
}

int ms_text_columns(const char *s, size_t n)
{
	return columns(s, n, 0);
}

size_t ms_text_break(const char *w, size_t n, int room)
{
	size_t b = 0;
	int col = 0;
	while (b < n) {
		size_t nb = b + 1;
		if (w[b] == 0x1b && nb < n && w[nb] == '[') {   /* a colour sequence: whole, no width */
			nb++;
			while (nb < n && !(w[nb] >= 0x40 && w[nb] <= 0x7e))
				nb++;
			b = nb < n ? nb + 1 : n;
			continue;
		}
		while (nb < n && ((unsigned char)w[nb] & 0xc0) == 0x80)
			nb++;
		if (b && col + 1 > room)
			break;
		col++;
		b = nb;
	}
	for (const char *seps = "/"; seps; seps = *seps == '/' ? "-_.,:;=+)" : NULL)
		for (size_t i = b; i > b / 2 && i > 1; i--)
			if (strchr(seps, w[i - 1]))
				return i;
	return b;
}

int ms_text_glued(const char *w, size_t wn, const char *u, size_t un)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "kB", "KB", "MB", "GB",
					     "TB", "s", "ms", "us", "\xc2\xb5s", "ns", "min", "h", "%" };
	size_t i = 0;
	while (i < wn && strchr("(+-~", w[i]))
		i++;
	if (i >= wn || w[i] < '0' || w[i] > '9')
		return 0;
	for (; i < wn; i++)
		if (!strchr("0123456789.,", w[i]))
			return 0;
	while (un && strchr(")],;:.", u[un - 1]))   /* "MiB)," is MiB */
		un--;
	for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
		if (strlen(units[k]) == un && !strncmp(u, units[k], un))
			return 1;
	return 0;
}

/* Where continuation lines start: under the text after the leading spaces
 * and a findings marker ("!! ", "! ", "- ", "next: "). */
static size_t hang(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && line[i] == ' ')
		i++;
	static const char *const marks[] = { "!! ", "! ", "- ", "* ", "next: ", "try: " };
	for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++) {
		size_t ml = strlen(marks[k]);
		if (len - i > ml && !strncmp(line + i, marks[k], ml))
			return i + ml;
	}
	return i + 2;
}

void ms_wrap_line(FILE *out, const char *line, size_t len, int width)
{
	if (columns(line, len, 0) <= width) {
		fwrite(line, 1, len, out);
		fputc('\n', out);
		return;
	}
	size_t ind = hang(line, len);
	if ((int)ind > width / 2)
		ind = (size_t)(width / 2);
	const char *s = line, *end = line + len;
	int first = 1;
	while (s < end) {
		int room = width - (first ? 0 : (int)ind);
		/* the longest prefix that fits, ending before a space */
		const char *cut = NULL, *p = s;
		while (p < end) {
			const char *sp = memchr(p, ' ', (size_t)(end - p));
			const char *wend = sp ? sp : end;
			if (columns(s, (size_t)(wend - s), first ? 0 : (int)ind) > room)
				break;
			/* never between a number and its unit: the cut stays before the number */
			const char *nx = sp ? sp + 1 : end, *nsp = memchr(nx, ' ', (size_t)(end - nx));
			if (!sp || !ms_text_glued(p, (size_t)(wend - p), nx, (size_t)((nsp ? nsp : end) - nx)))
				cut = wend;
			if (!sp)
				break;
			p = sp + 1;
		}
		const char *w = s;
		while (w < end && *w == ' ')
			w++;
		if (!cut || cut <= w) {   /* the first word is wider than the room: broken, never cut */
			const char *sp = memchr(w, ' ', (size_t)(end - w));
			int left = room - columns(s, (size_t)(w - s), first ? 0 : (int)ind);
			cut = w + ms_text_break(w, (size_t)((sp ? sp : end) - w), left > 0 ? left : 1);
		}
		if (!first)
			fprintf(out, "%*s", (int)ind, "");
		/* trailing spaces of a piece are dropped, the text is not */
		const char *pe = cut;
		while (pe > s && pe[-1] == ' ' && !first)
			pe--;
		fwrite(s, 1, (size_t)(pe - s), out);
		fputc('\n', out);
		s = cut;
		while (s < end && *s == ' ')
			s++;
		first = 0;
	}
}

/* The stdout filter: whole lines are wrapped and written to fd 1. */
static struct {
	char  *buf;
	size_t len, cap;
	int    width;
	FILE  *fd1;
} wr;

int ms_wrap_out_width(FILE *out)
{
	if (out == stdout)
		return wr.fd1 ? wr.width : ms_wrap_width(1);
	int fd = fileno(out);
	return fd >= 0 ? ms_wrap_width(fd) : MS_WRAP_HELP;
}

const char *ms_nowrap(FILE *out)
{
	static const char mark[2] = { MS_NOWRAP_MARK, 0 };
	return out == stdout && wr.fd1 ? mark : "";
}

static ssize_t wr_write(void *cookie, const char *data, size_t n)
{
	(void)cookie;
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n' && wr.len && wr.buf[0] == MS_NOWRAP_MARK) {
			fwrite(wr.buf + 1, 1, wr.len - 1, wr.fd1);
			fputc('\n', wr.fd1);
			wr.len = 0;
			continue;
		}
		if (data[i] == '\n') {
			ms_wrap_line(wr.fd1, wr.buf ? wr.buf : "", wr.len, wr.width);
			wr.len = 0;
			continue;
		}
		if (wr.len + 1 >= wr.cap) {
			size_t ncap = wr.cap ? wr.cap * 2 : 4096;
			char *nb = realloc(wr.buf, ncap);
			if (!nb) {   /* no memory: the rest goes out unwrapped */
				fwrite(wr.buf, 1, wr.len, wr.fd1);
				fwrite(data + i, 1, n - i, wr.fd1);
				wr.len = 0;
				return (ssize_t)n;
			}
			wr.buf = nb;
			wr.cap = ncap;
		}
		wr.buf[wr.len++] = data[i];
	}
	fflush(wr.fd1);   /* whole lines out now: a launched command writes to fd 1 too */
	return (ssize_t)n;
}

/* A last line without '\n' is written as it is at exit. */
static void wr_at_exit(void)
{
	fflush(stdout);
	if (wr.len)
		fwrite(wr.buf, 1, wr.len, wr.fd1);
	wr.len = 0;
	fflush(wr.fd1);
}

void ms_wrap_stdout(void)
{
	if (wr.fd1)
		return;
	int fd = dup(1);
	FILE *f1 = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f1) {
		if (fd >= 0)
			close(fd);
		return;
	}
	cookie_io_functions_t io = { .write = wr_write };
	FILE *w = fopencookie(NULL, "w", io);
	if (!w) {
		fclose(f1);
		return;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	wr.fd1 = f1;
	wr.width = ms_wrap_width(1);
	fflush(stdout);
	setvbuf(w, NULL, _IOLBF, 0);
	stdout = w;
	atexit(wr_at_exit);
}

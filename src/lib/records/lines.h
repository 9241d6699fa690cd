/* Line-by-line reading of a text buffer from /proc, for the parsers that
 * want each line as a NUL-terminated string. */
#ifndef MS_LINES_H
#define MS_LINES_H

#include <stddef.h>
#include <string.h>

/* Copy the next line of [*p, end) into line (truncated to cap-1, no
 * newline) and advance *p past it.  Returns 0 when no line is left. */
static inline int ms_line_next(const char **p, const char *end, char *line, size_t cap)
{
	if (*p >= end)
		return 0;
	const char *le = memchr(*p, '\n', (size_t)(end - *p));
	if (!le)
		le = end;
	size_t n = (size_t)(le - *p);
	if (n >= cap)
		n = cap - 1;
	memcpy(line, *p, n);
	line[n] = 0;
	*p = le + 1;
	return 1;
}

#endif

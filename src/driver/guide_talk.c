/* memsleuth guide: talking to the person -- each step's question, why,
 * evidence, verdict and commands, wrapped for a terminal; the pause
 * between steps and the question about the accounted size. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "guide_int.h"
#include "cli/wrap.h"
#include "report/table.h"
#include "util/size.h"

void guide_wrap(FILE *out, const char *indent, const char *label, const char *text)
{
	int col = (int)(strlen(indent) + strlen(label));
	fputs(indent, out);
	if (!strncmp(label, "!!", 2) && ms_use_colour(out))   /* a problem's marker, as every step colours it */
		fprintf(out, "\033[1;31m!!\033[0m%s", label + 2);
	else
		fputs(label, out);
	ms_wrap_fprint(out, text, col, col, ms_wrap_out_width(out));
}

void guide_say_step_head(const struct gopts *o, enum ms_gstep_id s)
{
	int bold = ms_use_colour(o->say);
	fprintf(o->say, "\n%s== Step %d/%d: %s  [%s]%s\n", bold ? "\033[1m" : "", (int)s + 1, MS_G_N,
		ms_gstep_title(s), ms_gstep_name(s), bold ? "\033[0m" : "");
	guide_wrap(o->say, "   ", "why: ", ms_gstep_why(s));
	if (o->explain)
		guide_wrap(o->say, "   ", "lesson: ", ms_gstep_explain(s));
	fflush(o->say);
}

void guide_say_step_body(const struct gopts *o, const struct ms_gstep *st)
{
	if (st->status == MS_G_SKIPPED) {
		guide_wrap(o->say, "   ", "skipped: ", st->reason);
		if (st->ncmd)   /* a live-only step from a core: what to run instead */
			fprintf(o->say, "   instead, on a live process:\n");
		for (int i = 0; i < st->ncmd; i++)
			fprintf(o->say, "     $ %s\n", st->commands[i]);
		return;
	}
	if (st->status == MS_G_UNAVAILABLE || st->status == MS_G_FAILED)
		guide_wrap(o->say, "   ", st->status == MS_G_UNAVAILABLE ? "not available: " : "failed: ", st->reason);
	if (st->nev) {
		fprintf(o->say, "   evidence:\n");
		for (int i = 0; i < st->nev; i++)
			guide_wrap(o->say, "     ", "- ", st->evidence[i]);
	}
	if (st->verdict[0])
		guide_wrap(o->say, "   ", "verdict: ", st->verdict);
	if (st->ncmd)
		fprintf(o->say, "   reproduce:\n");
	for (int i = 0; i < st->ncmd; i++)
		fprintf(o->say, "     $ %s\n", st->commands[i]);   /* unwrapped: to copy and paste */
	if (st->next[0])
		guide_wrap(o->say, "   ", "next: ", st->next);
	fflush(o->say);
}

/* One key from the terminal on fd 0, without waiting for Enter (the
 * terminal's mode restored at once); -1 at end of input. */
static int read_key(void)
{
	struct termios saved, raw;
	int have = tcgetattr(0, &saved) == 0;
	if (have) {
		raw = saved;
		raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &raw);
	}
	unsigned char ch;
	ssize_t n = read(0, &ch, 1);   /* a signal (Ctrl-C) ends the wait: guide_stop says so */
	if (have)
		tcsetattr(0, TCSANOW, &saved);
	return n == 1 ? ch : -1;
}

/* On a terminal: wait for a key; 'q' stops at once, without Enter (the
 * findings so far are kept), any other key goes on. */
int guide_pause_here(const struct gopts *o)
{
	if (!o->interactive || guide_stop)
		return !guide_stop;
	fprintf(stderr, "   [Enter: next step, q: stop] ");
	fflush(stderr);
	int k = read_key();
	fputc('\n', stderr);
	return k >= 0 && k != 'q' && k != 'Q' && !guide_stop;
}

/* A line typed at the terminal, edited in place (Backspace), without
 * waiting for Enter when the first key is q: 1 with line set, 0 at q or
 * Ctrl-C (stop), -1 at end of input or Ctrl-D on an empty line. */
static int read_answer(char *line, size_t len)
{
	size_t n = 0;
	line[0] = 0;
	for (;;) {
		int k = read_key();
		if (k < 0 || guide_stop)
			return guide_stop ? 0 : -1;
		if ((k == 'q' || k == 'Q') && !n) {
			fputs("q\n", stderr);
			return 0;
		}
		if (k == '\n' || k == '\r') {
			fputc('\n', stderr);
			return 1;
		}
		if (k == 4 && !n)   /* Ctrl-D */
			return -1;
		if ((k == 127 || k == 8) && n) {
			line[--n] = 0;
			fputs("\b \b", stderr);
		} else if (k >= 0x20 && k < 0x7f && n + 1 < len) {
			line[n++] = (char)k;
			line[n] = 0;
			fputc(k, stderr);
		}
		fflush(stderr);
	}
}

int guide_ask_accounted(struct ms_guide *g)
{
	/* the question fits the terminal; when narrower, wrapped above the answer */
	static const char q[] = "Memory the application believes it uses (e.g. 500M; Enter: skip, q: stop)?";
	int width = ms_wrap_width(2);
	for (int tries = 0; tries < 3 && !guide_stop; tries++) {
		if ((int)sizeof q + 4 > width) {
			ms_wrap_fprint(stderr, q, 0, 3, width);
			fputs("   > ", stderr);
		} else {
			fprintf(stderr, "   %s ", q);
		}
		fflush(stderr);
		char line[64];
		int r = read_answer(line, sizeof line);
		if (r <= 0)
			return r < 0;   /* q: stop; end of input: skip */
		if (!line[0])
			return 1;
		if (ms_size_parse(line, &g->accounted) == 0) {
			g->has_accounted = 1;
			snprintf(g->accounted_from, sizeof g->accounted_from, "given at the prompt");
			return 1;
		}
		fprintf(stderr, "   '%s' is not a size: write it like 512M or 1.5G\n", line);
	}
	return !guide_stop;
}

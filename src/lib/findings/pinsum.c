/* The pins put together: see pinsum.h. */
#include "findings/pinsum.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/size.h"

#define SZ(v) ms_size_fmt((v), (char[MS_SIZE_BUF]){ 0 })
#define MIN_SAID (1ull << 20)   /* MS_CAUSE_MIN_BYTES: smaller remainders are not named */

/* Two pins are one group when they sit in arenas of the same kind and
 * come from the same call site (both unknown counts as the same). */
static int same_group(const struct ms_arena_stat *x, const struct ms_arena_stat *y)
{
	return x->is_main == y->is_main && !strcmp(x->pins[0].allocated_at, y->pins[0].allocated_at);
}

static void group(const struct ms_arenas *a, size_t lead, struct ms_pin_summary *g)
{
	const struct ms_arena_stat *L = &a->v[lead];
	memset(g, 0, sizeof *g);
	g->main = L->is_main;
	snprintf(g->site, sizeof g->site, "%s", L->pins[0].allocated_at);
	for (size_t i = 0; i < a->n; i++) {
		const struct ms_pin *p = &a->v[i].pins[0];
		if (!a->v[i].npins || !same_group(&a->v[i], L))
			continue;
		if (!g->pins || p->size < g->size_min)
			g->size_min = p->size;
		if (p->size > g->size_max)
			g->size_max = p->size;
		if (!g->pins || p->pinned > g->largest.pinned)
			g->largest = *p;
		g->pins++;
		g->pinned += p->pinned;
	}
}

int ms_pin_summarize(const struct ms_arenas *a, struct ms_pin_summary *s)
{
	memset(s, 0, sizeof *s);
	/* the group pinning the most: each arena's group once, O(n^2) over
	 * arenas (capped by glibc's arena_max: 8 x cores by default) */
	for (size_t i = 0; i < a->n; i++) {
		if (!a->v[i].npins)
			continue;
		size_t j = 0;
		while (j < i && !(a->v[j].npins && same_group(&a->v[j], &a->v[i])))
			j++;
		if (j < i)
			continue;   /* counted with its group's first arena */
		struct ms_pin_summary g;
		group(a, i, &g);
		if (g.pinned > s->pinned || !s->pins)
			*s = g;
	}
	if (!s->pins)
		return 0;
	uint64_t all = 0;   /* every pin in arenas of the group's kind */
	int nall = 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct ms_arena_stat *v = &a->v[i];
		if (v->is_main != s->main)
			continue;
		s->trim += v->trim_bytes;
		s->trim_top += v->trim_top_bytes;
		if (v->npins) {
			all += v->pins[0].pinned;
			nall++;
		}
	}
	s->other_pinned = all - s->pinned;
	s->other_pins = nall - s->pins;
	uint64_t chunks = s->trim > s->trim_top ? s->trim - s->trim_top : 0;
	s->rest = chunks > all ? chunks - all : 0;
	s->share = s->trim ? (s->pinned >= s->trim ? 1.0 : (double)s->pinned / (double)s->trim) : 0;
	s->minor = s->trim && s->pinned < s->trim / 2;

	const char *where = s->main ? "the main heap" : "thread arenas";
	char site[200] = "";
	if (s->site[0])
		snprintf(site, sizeof site, ", allocated at %s", s->site);
	size_t o = 0, len = sizeof s->text;
#define PUT(...) (o += (size_t)snprintf(s->text + (o < len ? o : len), o < len ? len - o : 0, __VA_ARGS__))
	if (s->pins > 1) {
		char each[64];
		if (s->size_min == s->size_max)
			snprintf(each, sizeof each, "%s each", SZ(s->size_min));
		else
			snprintf(each, sizeof each, "%s to %s", SZ(s->size_min), SZ(s->size_max));
		PUT("%d pins, one per thread arena%s, %s, pin %s together", s->pins, site, each, SZ(s->pinned));
		if (s->trim)
			PUT(": %.0f%% of the %s malloc_trim(0) would return from %s", 100 * s->share, SZ(s->trim), where);
	} else if (s->minor) {
		PUT("largest pin: 1 live chunk of %s at %#" PRIx64 " pins %s of the %s malloc_trim(0) would return from "
		    "%s (%.0f%%)", SZ(s->largest.size), s->largest.address, SZ(s->pinned), SZ(s->trim), where,
		    100 * s->share);
	} else {
		PUT("the pin: 1 live chunk of %s at %#" PRIx64 " pins %s", SZ(s->largest.size), s->largest.address,
		    SZ(s->pinned));
	}
	if (s->other_pins && s->other_pinned >= MIN_SAID)
		PUT("; %d other pin%s there pin%s %s", s->other_pins, s->other_pins == 1 ? "" : "s",
		    s->other_pins == 1 ? "s" : "", SZ(s->other_pinned));
	if (s->rest >= MIN_SAID && (s->pins > 1 || s->minor))
		PUT("; the other %s is whole free pages between live blocks, which only malloc_trim returns",
		    SZ(s->rest));
#undef PUT
	return s->pins;
}

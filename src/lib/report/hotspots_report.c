/* Printing a hotspots analysis: see hotspots_report.h. */
#include "report/hotspots_report.h"
#include "report/launch_report.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "findings/hotwrap.h"
#include "findings/stepverdict.h"
#include "probe/symres.h"
#include "report/json.h"
#include "report/overview_report.h"
#include "report/table.h"
#include "util/size.h"

/* Symbolisers, opened per image on first use. */
struct syms {
	const struct ms_hotspots *h;
	struct ms_symres **res;
	char *tried;
	struct ms_sym named;   /* frame_name's last answer */
};

static void syms_init(struct syms *s, const struct ms_hotspots *h)
{
	s->h = h;
	s->res = calloc(h->nimages ? h->nimages : 1, sizeof *s->res);
	s->tried = calloc(h->nimages ? h->nimages : 1, 1);
}

static void syms_free(struct syms *s)
{
	for (size_t i = 0; i < s->h->nimages; i++)
		ms_symres_close(s->res[i]);
	free(s->res);
	free(s->tried);
}

static void resolve(struct syms *s, uint32_t image, uint64_t addr, struct ms_sym *out)
{
	memset(out, 0, sizeof *out);
	if (!addr || image >= s->h->nimages || !s->res || !s->tried)
		return;
	const struct ms_hs_image *im = &s->h->images[image];
	if (!s->tried[image]) {
		s->tried[image] = 1;
		struct ms_err e;
		if (im->maps)
			ms_symres_open_maps(&s->res[image], im->maps, im->maps_len, &e);
	}
	if (s->res[image])
		ms_symres_lookup(s->res[image], addr, 1, out);
}

/* findings/hotwrap.h's symboliser: the function's name as printed. */
static const char *frame_name(void *ctx, uint32_t image, uint64_t addr)
{
	struct syms *s = ctx;
	resolve(s, image, addr, &s->named);
	return s->named.func;
}

/* Call sites merged across process images: the same code (module and
 * offset in it) run by many processes (a shell's children, exec'd
 * workers) is one site.  Sites that do not resolve stay per image. */
struct site_key { const char *dso; uint64_t off; uint32_t image; uint64_t caller; size_t idx; };

static int cmp_key(const void *a, const void *b)
{
	const struct site_key *x = a, *y = b;
	int c = strcmp(x->dso, y->dso);
	if (c)
		return c;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->image != y->image)
		return x->image < y->image ? -1 : 1;
	return x->caller < y->caller ? -1 : x->caller > y->caller;
}

/* The sites as the tables and JSON show them: with stacks recorded, each
 * the first frame outside allocation wrappers (findings/hotwrap.h), then
 * merged across process images. */
static struct ms_hotspots merged_view(const struct ms_hotspots *h, struct syms *s)
{
	struct ms_hotspots v = *h;
	size_t n = h->nsites;
	struct ms_hs_site *outside = h->nstacks ? ms_hs_sites_outside(h, frame_name, s, &n) : NULL;
	const struct ms_hs_site *sites = outside ? outside : h->sites;
	if (!outside)
		n = h->nsites;
	struct site_key *k = calloc(n ? n : 1, sizeof *k);
	struct ms_sym *sym = calloc(n ? n : 1, sizeof *sym);
	v.sites = calloc(n ? n : 1, sizeof *v.sites);
	v.nsites = 0;
	if (!k || !sym || !v.sites) {
		free(k);
		free(sym);
		free(v.sites);
		v.sites = outside ? outside : h->sites;   /* out of memory: unmerged */
		v.nsites = n;
		return v;
	}
	for (size_t i = 0; i < n; i++) {
		resolve(s, sites[i].image, sites[i].caller, &sym[i]);
		int by_module = sym[i].found && sites[i].caller;
		k[i] = (struct site_key){ by_module ? sym[i].dso : "", by_module ? sym[i].dso_offset : 0,
					  by_module ? 0 : sites[i].image, by_module ? 0 : sites[i].caller, i };
	}
	qsort(k, n, sizeof *k, cmp_key);
	for (size_t i = 0; i < n; i++) {
		const struct ms_hs_site *src = &sites[k[i].idx];
		if (i == 0 || cmp_key(&k[i - 1], &k[i])) {
			v.sites[v.nsites++] = *src;
			continue;
		}
		struct ms_hs_site *d = &v.sites[v.nsites - 1];
		if (src->calls > d->calls) {   /* the busiest image represents the site */
			d->image = src->image;
			d->caller = src->caller;
		}
		if (src->top_stack_calls > d->top_stack_calls) {
			d->top_stack = src->top_stack;
			d->top_stack_calls = src->top_stack_calls;
			d->frame = src->frame;
			d->through = src->through;
		}
		d->calls += src->calls;
		d->allocs += src->allocs;
		d->frees += src->frees;
		d->bytes += src->bytes;
		d->live_bytes += src->live_bytes;
		d->live_allocs += src->live_allocs;
		d->short_lived += src->short_lived;
	}
	free(k);
	free(sym);
	free(outside);
	return v;
}

static void merged_free(const struct ms_hotspots *h, struct ms_hotspots *v)
{
	if (v->sites != h->sites)
		free(v->sites);
}

static void site_name(struct syms *s, const struct ms_hs_site *site, char *buf, size_t len)
{
	if (!site->caller) {
		snprintf(buf, len, "[unknown caller: %s]", s->h->count_only ? "table full" : "stack lost");
		return;
	}
	struct ms_sym sym;
	resolve(s, site->image, site->caller, &sym);
	ms_sym_format(&sym, site->caller, buf, len);
}

/* The frames above the site, "a <- b <- c", from its commonest stack
 * (above its first frame outside wrappers: site->frame). */
static void site_via(struct syms *s, const struct ms_hs_site *site, char *buf, size_t len)
{
	buf[0] = 0;
	if (site->top_stack == UINT32_MAX)
		return;
	const struct ms_hs_stack *st = &s->h->stacks[site->top_stack];
	size_t used = 0;
	for (unsigned i = site->frame + 1; i < st->n && i < site->frame + 4 && used + 1 < len; i++) {
		struct ms_sym sym;
		resolve(s, st->image, st->frames[i], &sym);
		int n = snprintf(buf + used, len - used, "%s%s", i > site->frame + 1 ? " <- " : "",
				 sym.func[0] ? sym.func : "?");
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* An allocation's own site when its stack was recorded: the first frame
 * outside allocation wrappers (operator new, xmalloc, ...: the recorded
 * caller is inside them), and the chain from there, "f file:line <- g
 * file:line" (up to 4 frames).  Returns the frame's address (0: no stack,
 * or every frame is a wrapper's) and its symbol in *sym. */
static uint64_t found_caller(struct syms *s, const struct ms_hs_found *f, struct ms_sym *sym, char *chain,
			     size_t len)
{
	chain[0] = 0;
	if (f->stack >= s->h->nstacks)
		return 0;
	const struct ms_hs_stack *st = &s->h->stacks[f->stack];
	unsigned i = ms_hs_first_outside(st, frame_name, s);
	if (i >= st->n)
		return 0;
	size_t used = 0;
	for (unsigned k = i; k < st->n && k < i + 4 && used + 1 < len; k++) {
		struct ms_sym fs;
		resolve(s, st->image, st->frames[k], &fs);
		const char *file = strrchr(fs.file, '/');
		char at[320] = "";
		if (fs.file[0] && fs.line > 0)
			snprintf(at, sizeof at, " %s:%d", file ? file + 1 : fs.file, fs.line);
		int n = snprintf(chain + used, len - used, "%s%s%s", k > i ? " <- " : "", fs.func[0] ? fs.func : "??", at);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	resolve(s, st->image, st->frames[i], sym);
	return st->frames[i];
}

static const char *region_label(const struct ms_hotspots *h, const struct ms_hs_thread *t,
				char *buf, size_t len)
{
	uint64_t bytes;
	int r = ms_hs_thread_main_region(t, &bytes);
	if (r == MS_HS_NO_REGION)
		return "-";
	char share[16] = "";
	if (t->bytes)
		snprintf(share, sizeof share, " (%.0f%%)", 100.0 * (double)bytes / (double)t->bytes);
	if (r < 0) {
		snprintf(buf, len, "outside arena heaps%s", share);
		return buf;
	}
	const struct ms_hs_region *reg = &h->images[t->image].regions[r];
	if (reg->kind == MS_HS_REGION_MAIN)
		snprintf(buf, len, "main arena [heap]%s", share);
	else
		snprintf(buf, len, "arena heap 0x%" PRIx64 "%s", reg->start, share);
	return buf;
}

static const char *end_reason(const struct ms_hs_image *im, char *buf, size_t len)
{
	if (im->running)
		return "running";
	if (!im->ended) {
		snprintf(buf, len, im->tails_read ? "killed (no end record; its buffers were read from the buffer file)"
						  : "no end record: killed or crashed, and its buffers are lost");
		return buf;
	}
	switch (im->end.reason) {
	case MS_HL_END_EXIT: return "exited";
	case MS_HL_END_EXEC: return "exec'd another program";
	case MS_HL_END_SIGNAL:
		snprintf(buf, len, "crashed (%s)", strsignal((int)im->end.signal));
		return buf;
	}
	return "?";
}

/* The launched command's own end, in words: "exited with status 0",
 * "killed by signal 6 (Aborted)", "killed by signal 15 (Terminated), sent
 * by memsleuth". */
static const char *command_end_text(const struct ms_hs_command_end *e, char *buf, size_t len)
{
	if (e->signal)
		snprintf(buf, len, "was killed by signal %d (%s)%s", e->signal, strsignal(e->signal),
			 e->by_memsleuth ? ", sent by memsleuth" : "");
	else
		snprintf(buf, len, "exited with status %d%s", e->status,
			 e->status == 127 ? " (not found or not executable?)" : "");
	return buf;
}

/* A thread's name, or its TID when it never had one. */
static const char *thread_name(const struct ms_hs_thread *t, char *buf, size_t len)
{
	if (t->name[0])
		return t->name;
	snprintf(buf, len, "%u", t->tid);
	return buf;
}

static void print_notes(const struct ms_hotspots *h, const struct ms_hs_report_opts *o, FILE *out)
{
	char buf[160];
	/* The command's end is said once: its own line; the driver's note
	 * only when it adds the cause (memsleuth's stop, --until). */
	int said = o->command_end && o->command_end->known;
	if (said)
		fprintf(out, "  the command %s after %.2f s\n", command_end_text(o->command_end, buf, sizeof buf),
			o->command_end->seconds);
	if (o->how_ended && (!said || o->command_end->by_memsleuth || o->command_end->until))
		fprintf(out, "  note: %s\n", o->how_ended);
	for (size_t i = 0; i < h->nimages; i++) {
		const struct ms_hs_image *im = &h->images[i];
		if ((im->ended && im->end.reason != MS_HL_END_SIGNAL) || (!im->ended && im->tails_read) || im->running)
			continue;
		fprintf(out, "  note: pid %u (%s) %s", im->pid, im->exe ? im->exe : "?", end_reason(im, buf, sizeof buf));
		fprintf(out, "; the report is from what was logged%s\n",
			im->tails_read ? " (its buffers included)" : " (events still in its buffers are missing)");
	}
	if (h->attach.on) {
		double imb = ms_hs_attach_imbalance(h);
		fprintf(out, "  attach: %" PRIu64 " allocations, %" PRIu64 " frees in %.1f s; %" PRIu64
			" events lost%s\n", h->allocs, h->frees, h->attach.window_s, h->attach.lost,
			h->attach.lost ? " (bpftrace says so)" : "");
		/* Calls that straddle the window's edges differ by little.  More
		 * is loss when bpftrace or the kernel's counters say events were
		 * lost; else most likely what the program did (its live memory
		 * grew or shrank) -- though some kernels skip uprobe hits without
		 * counting them (tests/integration/hotspots.sh, the churn loop). */
		uint64_t d = h->allocs > h->frees ? h->allocs - h->frees : h->frees - h->allocs;
		char sz[MS_SIZE_BUF];
		if (imb > 0.05 && h->attach.lost)
			fprintf(out, "  warning: allocations and frees differ by %.1f%% (%" PRIu64 " calls) and %" PRIu64
				" events were lost: the counts are incomplete\n", 100 * imb, d, h->attach.lost);
		else if (imb > 0.05 && h->allocs > h->frees)
			fprintf(out, "  note: %" PRIu64 " more allocations than frees (%.1f%%), none counted lost: growth -- "
				"live bytes rose by %s%s in the window -- unless the kernel skipped uprobe hits uncounted\n",
				d, 100 * imb, h->attach.live ? "" : "about ",
				ms_size_fmt(h->attach.live ? h->attach.live_bytes : h->allocs ? h->bytes / h->allocs * d : 0, sz));
		else if (imb > 0.05)
			fprintf(out, "  note: %" PRIu64 " more frees than allocations (%.1f%%), none counted lost: memory "
				"allocated before the window was freed in it -- unless the kernel skipped uprobe hits "
				"uncounted\n", d, 100 * imb);
		if (h->attach.overflow)
			fprintf(out, "  note: %" PRIu64 " allocations were not kept for live bytes: the pointer map was full\n",
				h->attach.overflow);
		if (h->attach.cut_short)
			fputs("  note: stopped by a signal while reading bpftrace's maps: the report is partial\n", out);
		if (h->attach.skipped_lines)
			fprintf(out, "  note: %" PRIu64 " lines of bpftrace's output were not understood and were skipped\n",
				h->attach.skipped_lines);
	}
	if (h->dropped)
		fprintf(out, "  note: %" PRIu64 " events were DROPPED (could not be written%s%s)\n", h->dropped,
			h->last_errno ? ": " : "", h->last_errno ? strerror((int)h->last_errno) : "");
	if (h->skipped_bytes || h->corrupt_blocks)
		fprintf(out, "  note: the log is damaged: %" PRIu64 " bytes skipped, %" PRIu64
			" corrupt blocks; the report is partial\n", h->skipped_bytes, h->corrupt_blocks);
	if (h->unknown_frees)
		fprintf(out, "  note: %" PRIu64 " frees of pointers not allocated in the log "
			"(allocated before the hook, in a parent before fork, or in a lost block)\n",
			h->unknown_frees);
}

/* Allocation wrappers (C++ operator new, xmalloc, g_malloc...) hide the
 * real call sites when only the caller is recorded: say how to see past. */
/* The allocation wrapper (operator new...) among v's three busiest sites
 * when no stacks were recorded: who calls it is then the question
 * --stacks answers (the note and the next command say so).  Its name,
 * NULL when none. */
static const char *wrapper_on_top(const struct ms_hotspots *v, struct syms *s, struct ms_sym *sym)
{
	if (v->stacks_on || v->count_only)
		return NULL;
	size_t *idx = ms_hotspots_sites_sorted(v, MS_HS_BY_CALLS);
	const char *found = NULL;
	for (size_t i = 0; idx && i < v->nsites && i < 3 && !found; i++) {
		resolve(s, v->sites[idx[i]].image, v->sites[idx[i]].caller, sym);
		if (ms_hs_is_wrapper(sym->func))
			found = sym->func;
	}
	free(idx);
	return found;
}

static void wrapper_note(const struct ms_hotspots *v, struct syms *s, FILE *out)
{
	struct ms_sym sym;
	const char *w = wrapper_on_top(v, s, &sym);
	if (w)
		fprintf(out, "  note: top call site %s is an allocation wrapper: rerun with --stacks 8 "
			"to see who calls it\n", w);
}

void ms_hotspots_verdicts(const struct ms_hotspots *h, const char *next, const char *stacks_next,
			  struct ms_verdicts *vs)
{
	struct syms s;
	syms_init(&s, h);
	struct ms_hotspots v = merged_view(h, &s);
	/* the note's wrapper on top (operator new): who calls it is the next question */
	struct ms_sym sym;
	if (stacks_next && wrapper_on_top(&v, &s, &sym))
		next = stacks_next;
	ms_hs_verdicts(&v, next, vs);
	merged_free(h, &v);
	syms_free(&s);
}

/* The wrappers the sites of v were named past (site.through), their
 * function names once each, busiest site first: "operator new(unsigned
 * long), xmalloc"; "" when none was. */
static void skipped_wrappers(const struct ms_hotspots *v, struct syms *s, char *buf, size_t len)
{
	buf[0] = 0;
	size_t *idx = ms_hotspots_sites_sorted(v, MS_HS_BY_CALLS), used = 0;
	for (size_t i = 0; idx && i < v->nsites && used + 1 < len; i++) {
		const struct ms_hs_site *site = &v->sites[idx[i]];
		if (!site->through)
			continue;
		struct ms_sym sym;
		resolve(s, site->image, site->through, &sym);
		const char *name = sym.func[0] ? sym.func : "?";
		size_t nl = strlen(name);
		int seen = 0;   /* as a whole item of the list */
		for (const char *p = buf; !seen && (p = strstr(p, name)); p += nl)
			seen = (p == buf || p[-1] == ' ') && (!p[nl] || p[nl] == ',');
		if (seen)
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	free(idx);
}

static void fmt_count(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIu64, v);
}

/* skipped: skipped_wrappers' list, said in the title ("" none) */
static void print_sites(const struct ms_hotspots *h, struct syms *s, const struct ms_hs_report_opts *o,
			enum ms_hs_site_key key, const char *title, const char *skipped, FILE *out)
{
	size_t *idx = ms_hotspots_sites_sorted(h, key);
	if (!idx)
		return;
	static const char *const heads[] = { "CALLS", "BYTES", "LIVE AT END", "SHORT-LIVED", "CALL SITE" };
	struct ms_table t;
	ms_table_init(&t, "rrrrl", heads);
	t.name = 5;   /* CALL SITE: what the row is about, never dropped */
	int rows = 0;
	for (size_t i = 0; i < h->nsites && rows < o->top; i++) {
		const struct ms_hs_site *site = &h->sites[idx[i]];
		uint64_t v = key == MS_HS_BY_CALLS ? site->calls : key == MS_HS_BY_BYTES ? site->bytes
			   : key == MS_HS_BY_LIVE ? site->live_bytes : site->short_lived;
		if (!v)
			break;
		char name[MS_SYM_LINE], via[3 * MS_SYM_FUNC + 16], calls[32], bytes[MS_SIZE_BUF],
		     live[MS_SIZE_BUF], shortl[32], cell[sizeof name + sizeof via + 8];
		site_name(s, site, name, sizeof name);
		site_via(s, site, via, sizeof via);
		fmt_count(calls, sizeof calls, site->calls);
		ms_size_fmt(site->bytes, bytes);
		ms_size_fmt(site->live_bytes, live);
		fmt_count(shortl, sizeof shortl, site->short_lived);
		snprintf(cell, sizeof cell, "%s%s%s", name, via[0] ? "  <- " : "", via);
		const char *row[] = { calls, bytes, ms_hs_live_known(h) ? live : "n/a",
				      h->count_only || h->attach.on ? "n/a" : shortl, cell };
		ms_table_row(&t, row);
		rows++;
	}
	if (rows) {
		fprintf(out, "\n%s%s%s%s\n", title, *skipped ? " -- each site the first frame outside the allocation "
			"wrappers (skipped: " : "", skipped, *skipped ? ")" : "");
		ms_table_print(&t, out, "  ");
	}
	ms_table_free(&t);
	free(idx);
}

/* A site's function name ("" unknown), resolved into *sym. */
static const char *site_func(struct syms *s, const struct ms_hs_site *site, struct ms_sym *sym)
{
	resolve(s, site->image, site->caller, sym);
	return sym->func;
}

/* --address: the live allocation holding the address, in words. */
static void print_address(const struct ms_hotspots *h, struct syms *s, const struct ms_hs_report_opts *o, FILE *out)
{
	const struct ms_hs_found *f = &h->found;
	if (!f->found) {
		fprintf(out, "\nAddress 0x%" PRIx64 ": no allocation live at the end holds it "
			"(freed, never allocated while recording, or not from malloc)\n", o->address);
		return;
	}
	const struct ms_hs_image *im = &h->images[f->image];
	const struct ms_hs_thread *t = &h->threads[f->thread];
	char where[2 * MS_SYM_LINE + 16], rec[MS_SYM_LINE], tn[16], sz[MS_SIZE_BUF];
	site_name(s, &h->sites[f->site], rec, sizeof rec);
	struct ms_sym sym;
	char chain[sizeof ((struct ms_hs_who *)0)->chain];
	uint64_t at = found_caller(s, f, &sym, chain, sizeof chain);
	if (at) {   /* the wrapper's caller, from the block's stack */
		char c[MS_SYM_LINE];
		ms_sym_format(&sym, at, c, sizeof c);
		snprintf(where, sizeof where, "%s (through %s)", c, rec);
	} else {
		snprintf(where, sizeof where, "%s", rec);
	}
	ms_size_fmt(f->size, sz);
	fprintf(out, "\nAddress 0x%" PRIx64 " is inside the allocation at 0x%" PRIx64 " (+%" PRIu64 "), %s (%" PRIu64
		" bytes) still live at the end\n  allocated by %s in thread %s (tid %u) of pid %u, %.3f s after the start\n",
		o->address, f->ptr, o->address - f->ptr, sz, f->size, where, thread_name(t, tn, sizeof tn), t->tid,
		im->pid, ms_hs_image_seconds(im, f->ticks > im->t0_ticks ? f->ticks - im->t0_ticks : 0));
	if (at)
		fprintf(out, "  called from %s\n", chain);
	else if (f->stack == UINT32_MAX && ms_hs_is_wrapper(site_func(s, &h->sites[f->site], &sym)))
		fprintf(out, "  %s is an allocation wrapper: record with --stacks 8 to see who calls it\n", sym.func);
}

void ms_hotspots_who(const struct ms_hotspots *h, const struct ms_hs_found *f, size_t n, struct ms_hs_who *out)
{
	struct syms s;
	syms_init(&s, h);
	for (size_t i = 0; i < n; i++) {
		struct ms_hs_who *w = &out[i];
		memset(w, 0, sizeof *w);
		if (!f[i].found || f[i].site >= h->nsites || f[i].thread >= h->nthreads || f[i].image >= h->nimages)
			continue;
		const struct ms_hs_site *site = &h->sites[f[i].site];
		const struct ms_hs_thread *t = &h->threads[f[i].thread];
		w->found = 1;
		w->ptr = f[i].ptr;
		w->size = f[i].size;
		w->pid = h->images[f[i].image].pid;
		w->tid = t->tid;
		site_name(&s, site, w->site, sizeof w->site);
		struct ms_sym sym;
		uint64_t at = found_caller(&s, &f[i], &sym, w->chain, sizeof w->chain);
		if (at)   /* the caller of the wrapper, from the block's stack */
			ms_sym_format(&sym, at, w->site, sizeof w->site);
		else
			resolve(&s, site->image, site->caller, &sym), at = site->caller;
		const char *file = strrchr(sym.file, '/');
		if (at && sym.file[0] && sym.line > 0)
			snprintf(w->where, sizeof w->where, "%s:%d (%s)", file ? file + 1 : sym.file, sym.line,
				 sym.func[0] ? sym.func : "?");
		else
			snprintf(w->where, sizeof w->where, "%s", w->site);
		char tn[16];
		snprintf(w->thread, sizeof w->thread, "%s", thread_name(t, tn, sizeof tn));
	}
	syms_free(&s);
}

static void json_address(struct ms_json *j, const struct ms_hotspots *h, struct syms *s,
			 const struct ms_hs_report_opts *o)
{
	const struct ms_hs_found *f = &h->found;
	char buf[32];
	ms_json_key(j, "address");
	ms_json_obj_begin(j);
	snprintf(buf, sizeof buf, "0x%" PRIx64, o->address);
	ms_json_kstr(j, "query", buf);
	ms_json_kbool(j, "found", f->found);
	if (f->found) {
		const struct ms_hs_image *im = &h->images[f->image];
		const struct ms_hs_thread *t = &h->threads[f->thread];
		char where[MS_SYM_LINE], tn[16];
		snprintf(buf, sizeof buf, "0x%" PRIx64, f->ptr);
		ms_json_kstr(j, "allocation", buf);
		ms_json_ku64(j, "size_bytes", f->size);
		site_name(s, &h->sites[f->site], where, sizeof where);
		struct ms_sym sym;
		char chain[sizeof ((struct ms_hs_who *)0)->chain];
		uint64_t at = found_caller(s, f, &sym, chain, sizeof chain);
		ms_json_kstr(j, "recorded_caller", where);   /* what the hook saw: inside a wrapper for operator new */
		if (at)
			ms_sym_format(&sym, at, where, sizeof where);
		else
			resolve(s, h->sites[f->site].image, h->sites[f->site].caller, &sym);
		ms_json_kstr(j, "site", where);
		ms_json_kstr(j, "symbol", sym.symbol);   /* the site's function as in the symbol table */
		ms_json_kstr(j, "stack", chain);
		ms_json_ku64(j, "pid", im->pid);
		ms_json_ku64(j, "tid", t->tid);
		ms_json_kstr(j, "thread", thread_name(t, tn, sizeof tn));
		ms_json_kdouble(j, "allocated_at_s",
				ms_hs_image_seconds(im, f->ticks > im->t0_ticks ? f->ticks - im->t0_ticks : 0));
	}
	ms_json_obj_end(j);
}

void ms_hotspots_print(const struct ms_hotspots *h, const struct ms_hs_report_opts *o, FILE *out)
{
	char b1[MS_SIZE_BUF], b2[MS_SIZE_BUF];
	ms_size_fmt(h->bytes, b1);
	fprintf(out, "hotspots: %" PRIu64 " allocator calls (%" PRIu64 " allocations, %s; %" PRIu64
		" frees) in %zu process image(s), %" PRIu64 " dropped%s\n",
		h->events, h->allocs, b1, h->frees, h->nimages, h->dropped,
		h->count_only ? " [count-only]" : "");
	if (h->launch_line[0]) {   /* a launched command: which process the tables are about */
		fprintf(out, "  launched: %s\n", h->launch_line);
		if (h->has_wrapper)
			fprintf(out, "  the wrapper's own %" PRIu64 " allocator calls (%s allocated, %zu process image%s) "
				"are left out of the counts and tables\n", h->wrapper_calls,
				ms_size_fmt(h->wrapper_bytes, b2), h->wrapper_images, h->wrapper_images == 1 ? "" : "s");
	}
	print_notes(h, o, out);
	if (!h->events) {
		fprintf(out, "  no allocator calls were recorded%s\n",
			h->nimages ? "" : " (no process image logged: did the command start?)");
		if (o->verdicts) {
			fprintf(out, "\n");
			ms_verdicts_text(o->verdicts, out);
		}
		return;
	}

	struct syms s;
	syms_init(&s, h);
	if (o->address_query) {   /* the answer only: the tables are the report's, a run without --address */
		print_address(h, &s, o, out);
		if (o->verdicts) {
			fprintf(out, "\n");
			ms_verdicts_text(o->verdicts, out);
		}
		syms_free(&s);
		return;
	}
	size_t *ti = ms_hotspots_threads_sorted(h);
	if (ti) {
		static const char *const heads[] = { "PID", "TID", "NAME", "CALLS", "BYTES", "MEMORY LANDS IN" };
		struct ms_table t;
		ms_table_init(&t, "rrlrrl", heads);
		for (size_t i = 0; i < h->nthreads && (int)i < o->top; i++) {
			const struct ms_hs_thread *th = &h->threads[ti[i]];
			char region[96];
			ms_size_fmt(th->bytes, b2);
			char tn[16];
			ms_table_rowf(&t, "%u\t%u\t%s\t%" PRIu64 "\t%s\t%s", h->images[th->image].pid, th->tid,
				      thread_name(th, tn, sizeof tn), th->calls, b2,
				      h->count_only ? "n/a (count-only)" : h->attach.on ? "n/a (attached)"
						    : region_label(h, th, region, sizeof region));
		}
		fprintf(out, "\nTop threads by allocator calls (%zu threads)\n", h->nthreads);
		ms_table_print(&t, out, "  ");
		ms_table_free(&t);
		free(ti);
	}
	struct ms_hotspots v = merged_view(h, &s);
	char skipped[1024];
	skipped_wrappers(&v, &s, skipped, sizeof skipped);
	wrapper_note(&v, &s, out);
	print_sites(&v, &s, o, MS_HS_BY_CALLS, "Top call sites by calls", skipped, out);
	print_sites(&v, &s, o, MS_HS_BY_BYTES, "Top call sites by bytes allocated", skipped, out);
	if (!h->count_only && (!h->attach.on || h->attach.live)) {
		print_sites(&v, &s, o, MS_HS_BY_LIVE, h->attach.on
			    ? "Top call sites by bytes allocated in the window, still live at its end"
			    : "Top call sites by bytes still live at the end (leak candidates)", skipped, out);
		if (!h->attach.on)
			print_sites(&v, &s, o, MS_HS_BY_SHORT,
			    "Top call sites by short-lived allocations (freed before the thread's next allocation)",
			    skipped, out);
	}
	merged_free(h, &v);
	fprintf(out, "\nAllocation sizes (power-of-two classes)\n");
	uint64_t most = 1;
	for (int k = 0; k < MS_HS_HIST; k++)
		if (h->hist[k] > most)
			most = h->hist[k];
	struct ms_table ht;
	ms_table_init(&ht, "rlrl", (const char *[]){ "from", "to", "allocations", "" });
	for (int k = 0; k < MS_HS_HIST; k++) {
		if (!h->hist[k])
			continue;
		uint64_t lo = k ? 1ull << (k - 1) : 0, hi = k ? (k == 64 ? UINT64_MAX : (1ull << k) - 1) : 0;
		ms_size_fmt(lo, b1);
		ms_size_fmt(hi, b2);
		int bar = (int)(40 * h->hist[k] / most);
		ms_table_rowf(&ht, "%s\t.. %s\t%" PRIu64 "\t%.*s", b1, b2, h->hist[k], bar,
			      "########################################");
	}
	ms_table_print(&ht, out, "  ");
	ms_table_free(&ht);
	if (o->verdicts) {
		fprintf(out, "\n");
		ms_verdicts_text(o->verdicts, out);
	}
	syms_free(&s);
}

static void json_site(struct ms_json *j, struct syms *s, const struct ms_hs_site *site)
{
	struct ms_sym sym;
	resolve(s, site->image, site->caller, &sym);
	char addr[32];
	snprintf(addr, sizeof addr, "0x%" PRIx64, site->caller);
	ms_json_obj_begin(j);
	ms_json_kstr(j, "function", sym.func[0] ? sym.func : addr);      /* demangled */
	ms_json_kstr(j, "symbol", sym.symbol[0] ? sym.symbol : addr);    /* as in the symbol table */
	struct ms_sym th;
	resolve(s, site->image, site->through, &th);
	ms_json_kstr(j, "through", !site->through ? "" : th.func[0] ? th.func : "?");
	ms_json_kstr(j, "dso", sym.found ? sym.dso : "");
	ms_json_ku64(j, "calls", site->calls);
	ms_json_ku64(j, "requested_bytes", site->bytes);
	if (ms_hs_live_known(s->h)) {
		ms_json_ku64(j, "live_bytes", site->live_bytes);
		ms_json_ku64(j, "live_allocations", site->live_allocs);
	} else {   /* counters only: not kept, not zero */
		ms_json_key(j, "live_bytes");
		ms_json_null(j);
		ms_json_key(j, "live_allocations");
		ms_json_null(j);
	}
	ms_json_ku64(j, "short_lived", site->short_lived);
	ms_json_kstr(j, "address", addr);
	ms_json_ku64(j, "offset", sym.offset);
	ms_json_ku64(j, "dso_offset", sym.dso_offset);
	ms_json_kstr(j, "file", sym.file);
	ms_json_ku64(j, "line", (uint64_t)sym.line);
	ms_json_ku64(j, "pid", s->h->images[site->image].pid);
	ms_json_key(j, "stack");
	ms_json_arr_begin(j);
	if (site->top_stack != UINT32_MAX) {
		const struct ms_hs_stack *st = &s->h->stacks[site->top_stack];
		for (unsigned i = site->frame; i < st->n; i++) {
			char f[MS_SYM_LINE];
			struct ms_sym fs;
			resolve(s, st->image, st->frames[i], &fs);
			ms_sym_format(&fs, st->frames[i], f, sizeof f);
			ms_json_str(j, f);
		}
	}
	ms_json_arr_end(j);
	ms_json_obj_end(j);
}

void ms_hotspots_json(const struct ms_hotspots *h, const struct ms_hs_report_opts *o, FILE *out)
{
	struct ms_json j;
	struct syms s;
	syms_init(&s, h);
	ms_json_init(&j, out);
	ms_json_obj_begin(&j);
	ms_json_kstr(&j, "step", "hotspots");   /* docs/json.md: every document names its step */
	ms_json_ku64(&j, "events", h->events);
	ms_json_ku64(&j, "dropped", h->dropped);
	ms_json_kbool(&j, "complete", h->complete);
	ms_json_kbool(&j, "count_only", h->count_only);
	ms_json_ku64(&j, "allocations", h->allocs);
	ms_json_ku64(&j, "frees", h->frees);
	ms_json_ku64(&j, "requested_bytes", h->bytes);
	ms_json_ku64(&j, "unknown_frees", h->unknown_frees);
	ms_json_ku64(&j, "skipped_bytes", h->skipped_bytes);
	ms_json_ku64(&j, "corrupt_blocks", h->corrupt_blocks);
	ms_json_kdouble(&j, "analysis_s", h->seconds);
	if (o->how_ended)
		ms_json_kstr(&j, "how_ended", o->how_ended);
	if (o->command_end && o->command_end->known) {
		const struct ms_hs_command_end *ce = o->command_end;
		ms_json_key(&j, "command_end");
		ms_json_obj_begin(&j);
		ms_json_kstr(&j, "how", ce->signal ? "signal" : "exit");
		if (ce->signal) {
			ms_json_ku64(&j, "signal", (uint64_t)ce->signal);
			ms_json_kstr(&j, "signal_name", strsignal(ce->signal));
		} else {
			ms_json_ku64(&j, "status", (uint64_t)ce->status);
		}
		ms_json_kbool(&j, "by_memsleuth", ce->by_memsleuth);
		if (ce->until)
			ms_json_kbool(&j, "until_reached", ce->reached);
		char text[160];
		ms_json_kstr(&j, "text", command_end_text(ce, text, sizeof text));
		ms_json_kdouble(&j, "elapsed_s", ce->seconds);
		ms_json_obj_end(&j);
	}
	if (o->address_query)
		json_address(&j, h, &s, o);
	if (h->attach.on) {
		ms_json_key(&j, "attach");
		ms_json_obj_begin(&j);
		ms_json_kdouble(&j, "window_s", h->attach.window_s);
		ms_json_ku64(&j, "lost_events", h->attach.lost);
		ms_json_kdouble(&j, "imbalance", ms_hs_attach_imbalance(h));
		ms_json_kbool(&j, "imbalance_warning", ms_hs_attach_imbalance(h) > 0.05);
		ms_json_kbool(&j, "live", h->attach.live);
		ms_json_ku64(&j, "live_map_overflow", h->attach.overflow);
		if (h->attach.live) {
			ms_json_ku64(&j, "live_bytes", h->attach.live_bytes);
		} else {
			ms_json_key(&j, "live_bytes");
			ms_json_null(&j);
		}
		ms_json_ku64(&j, "skipped_lines", h->attach.skipped_lines);
		ms_json_kbool(&j, "partial", h->attach.cut_short);
		ms_json_obj_end(&j);
	}
	if (h->launch)
		ms_launch_json(&j, h->launch, h->nimages, h->program, h->launch_line, "requested_bytes");
	ms_json_key(&j, "processes");
	ms_json_arr_begin(&j);
	for (size_t i = 0; i < h->nimages; i++) {
		const struct ms_hs_image *im = &h->images[i];
		char buf[160];
		ms_json_obj_begin(&j);
		ms_json_ku64(&j, "pid", im->pid);
		ms_json_ku64(&j, "ppid", im->ppid);
		ms_json_kstr(&j, "exe", im->exe ? im->exe : "");
		ms_json_kbool(&j, "forked", im->forked);
		ms_json_kbool(&j, "wrapper", ms_hs_image_is_wrapper(h, i));   /* left out of threads[] and sites[] */
		ms_json_ku64(&j, "events", im->events);
		ms_json_kbool(&j, "ended", im->ended);
		ms_json_kstr(&j, "end", end_reason(im, buf, sizeof buf));
		ms_json_ku64(&j, "threads_cut", im->ended ? im->end.threads_cut : 0);
		ms_json_kbool(&j, "buffers_read", im->tails_read);
		ms_json_ku64(&j, "live_bytes", im->live_bytes_at_end);
		ms_json_obj_end(&j);
	}
	ms_json_arr_end(&j);
	ms_json_key(&j, "threads");
	ms_json_arr_begin(&j);
	size_t *ti = ms_hotspots_threads_sorted(h);
	for (size_t i = 0; ti && i < h->nthreads; i++) {
		const struct ms_hs_thread *t = &h->threads[ti[i]];
		char region[96];
		ms_json_obj_begin(&j);
		char tn[16];
		ms_json_ku64(&j, "tid", t->tid);
		ms_json_kstr(&j, "name", thread_name(t, tn, sizeof tn));
		ms_json_ku64(&j, "calls", t->calls);
		ms_json_ku64(&j, "requested_bytes", t->bytes);
		ms_json_ku64(&j, "pid", h->images[t->image].pid);
		ms_json_ku64(&j, "allocations", t->allocs);
		ms_json_ku64(&j, "frees", t->frees);
		ms_json_kstr(&j, "heap", h->count_only || h->attach.on ? "" : region_label(h, t, region, sizeof region));
		ms_json_obj_end(&j);
	}
	free(ti);
	ms_json_arr_end(&j);
	ms_json_key(&j, "sites");
	ms_json_arr_begin(&j);
	struct ms_hotspots v = merged_view(h, &s);
	char skipped[1024];
	skipped_wrappers(&v, &s, skipped, sizeof skipped);
	size_t *si = ms_hotspots_sites_sorted(&v, MS_HS_BY_CALLS);
	for (size_t i = 0; si && i < v.nsites && i < (size_t)(o->top > 1000 ? o->top : 1000); i++)
		json_site(&j, &s, &v.sites[si[i]]);
	free(si);
	merged_free(h, &v);
	ms_json_arr_end(&j);
	ms_json_kstr(&j, "wrappers_skipped", skipped);
	ms_json_key(&j, "size_histogram");
	ms_json_arr_begin(&j);
	for (int k = 0; k < MS_HS_HIST; k++) {
		if (!h->hist[k])
			continue;
		ms_json_obj_begin(&j);
		ms_json_ku64(&j, "from_bytes", k ? 1ull << (k - 1) : 0);
		ms_json_ku64(&j, "to_bytes", k ? (k == 64 ? UINT64_MAX : (1ull << k) - 1) : 0);
		ms_json_ku64(&j, "calls", h->hist[k]);
		ms_json_obj_end(&j);
	}
	ms_json_arr_end(&j);
	if (o->verdicts)
		ms_verdicts_json(o->verdicts, &j);
	ms_json_obj_end(&j);
	ms_json_end(&j);
	syms_free(&s);
}

/* A frame's name as folded text: ';' separates frames and the line ends
 * at a newline, so neither may come from a symbol (they are untrusted:
 * read from the target's files); other control bytes are replaced too. */
static void folded_text(FILE *out, const char *t)
{
	for (; *t; t++)
		fputc(*t == ';' ? ':' : (unsigned char)*t < 0x20 || *t == 0x7f ? '?' : *t, out);
}

static void folded_frame(FILE *out, struct syms *s, uint32_t image, uint64_t addr)
{
	struct ms_sym sym;
	resolve(s, image, addr, &sym);
	if (sym.func[0])
		folded_text(out, sym.func);
	else if (sym.found) {
		folded_text(out, ms_sym_dso_base(&sym));
		fprintf(out, "+0x%" PRIx64, sym.dso_offset);
	} else
		fprintf(out, "0x%" PRIx64, addr);
}

struct fline { char *text; uint64_t weight; };

static int cmp_fline(const void *a, const void *b)
{
	return strcmp(((const struct fline *)a)->text, ((const struct fline *)b)->text);
}

/* The folded text of stack i (or of site i in a caller-only log), root
 * first; NULL when out of memory. */
static char *folded_line(const struct ms_hotspots *h, struct syms *s, size_t i)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return NULL;
	if (h->nstacks) {
		const struct ms_hs_stack *st = &h->stacks[i];
		for (unsigned k = st->n; k-- > 0;) {
			folded_frame(m, s, st->image, st->frames[k]);
			if (k)
				fputc(';', m);
		}
	} else {
		folded_frame(m, s, h->sites[i].image, h->sites[i].caller);
	}
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int ms_hotspots_folded(const struct ms_hotspots *h, enum ms_hs_site_key weight, FILE *out)
{
	size_t n = h->nstacks ? h->nstacks : h->nsites, nl = 0;
	struct fline *l = calloc(n ? n : 1, sizeof *l);
	if (!l)
		return -1;
	struct syms s;
	syms_init(&s, h);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		uint64_t w = h->nstacks ? ms_hs_stack_value(&h->stacks[i], weight)
					: ms_hs_site_value(&h->sites[i], weight);
		if (!w || (h->nstacks && ms_hs_image_is_wrapper(h, h->stacks[i].image)))   /* the program's stacks */
			continue;
		if (!(l[nl].text = folded_line(h, &s, i)))
			rc = -1;
		else
			l[nl++].weight = w;
	}
	syms_free(&s);
	/* One line per distinct text: the same code reached through other
	 * return addresses in a function, or run by several processes (their
	 * own load addresses), adds up. */
	qsort(l, nl, sizeof *l, cmp_fline);
	for (size_t i = 0; i < nl && !rc; i++) {
		uint64_t sum = l[i].weight;
		while (i + 1 < nl && !strcmp(l[i].text, l[i + 1].text))
			if (__builtin_add_overflow(sum, l[++i].weight, &sum))
				sum = UINT64_MAX;
		fprintf(out, "%s %" PRIu64 "\n", l[i].text, sum);
	}
	for (size_t i = 0; i < nl; i++)
		free(l[i].text);
	free(l);
	return rc < 0 || ferror(out) ? -1 : 0;
}

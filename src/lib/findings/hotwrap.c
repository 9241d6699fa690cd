/* Allocation wrappers: see hotwrap.h. */
#include "findings/hotwrap.h"

#include <stdlib.h>
#include <string.h>

#include "util/demangle.h"

int ms_hs_is_wrapper(const char *func)
{
	/* demangled names first; "_Znw"/"_Zna" (operator new, new[] with
	 * their nothrow and align_val_t forms) and "_Zdl"/"_Zda" (delete)
	 * where a name could not be demangled -- not "_Zn" alone, which is
	 * also operator!= and operator! */
	static const char *const wrappers[] = { "operator new", "operator delete", "_Znw", "_Zna", "_Zdl", "_Zda",
						"xmalloc", "xcalloc", "xrealloc", "g_malloc", "g_realloc", "PyMem_",
						"_PyObject_Malloc", "os::malloc", "je_", "zcalloc", "Perl_safesys",
						/* HotSpot's funnels into os::malloc: NEW_C_HEAP_ARRAY,
						 * its strdup */
						"AllocateHeap", "ReallocateHeap", "os::realloc", "os::strdup" };
	/* a class's own operator new or delete ("CHeapObj<(MEMFLAGS)5>::operator
	 * new(unsigned long)"): anywhere in the name, after its class */
	static const char *const members[] = { "::operator new(", "::operator new[](", "::operator delete(",
					       "::operator delete[](" };
	if (!func)
		return 0;
	char d[256];   /* a mangled name (a JSON "symbol"), read as demangled: the list's prefixes fit */
	if (!strncmp(func, "_Z", 2) && ms_demangle(func, d, sizeof d))
		func = d;
	for (size_t w = 0; w < sizeof wrappers / sizeof wrappers[0]; w++)
		if (!strncmp(func, wrappers[w], strlen(wrappers[w])))
			return 1;
	for (size_t w = 0; w < sizeof members / sizeof members[0]; w++)
		if (strstr(func, members[w]))
			return 1;
	return 0;
}

unsigned ms_hs_first_outside(const struct ms_hs_stack *st, ms_hs_frame_name_fn name, void *ctx)
{
	unsigned i = 0;
	while (i < st->n && ms_hs_is_wrapper(name(ctx, st->image, st->frames[i])))
		i++;
	return i;
}

/* A site's place: process image and caller. */
struct place { uint32_t image; uint64_t caller; size_t idx; };

static int cmp_place(const void *a, const void *b)
{
	const struct place *x = a, *y = b;
	if (x->image != y->image)
		return x->image < y->image ? -1 : 1;
	return x->caller < y->caller ? -1 : x->caller > y->caller;
}

static size_t find_place(const struct place *p, size_t n, uint32_t image, uint64_t caller)
{
	struct place key = { image, caller, 0 };
	const struct place *f = bsearch(&key, p, n, sizeof *p, cmp_place);
	return f ? f->idx : SIZE_MAX;
}

static void take(struct ms_hs_site *from, struct ms_hs_site *to, const struct ms_hs_stack *st)
{
	/* the stack's counts are part of from's: no underflow on a
	 * consistent analysis, saturated on any other */
#define MOVE(f, v) do { from->f -= from->f < (v) ? from->f : (v); to->f += (v); } while (0)
	MOVE(calls, st->calls);
	MOVE(allocs, st->allocs);
	MOVE(frees, st->frees);
	MOVE(bytes, st->bytes);
	MOVE(live_bytes, st->live_bytes);
	MOVE(live_allocs, st->live_allocs);
	MOVE(short_lived, st->short_lived);
#undef MOVE
}

struct ms_hs_site *ms_hs_sites_outside(const struct ms_hotspots *h, ms_hs_frame_name_fn name, void *ctx,
				       size_t *n)
{
	size_t ns = h->nsites, nst = h->nstacks;
	/* at most one new site per stack */
	struct ms_hs_site *v = calloc(ns + nst + 1, sizeof *v);
	struct place *pl = calloc(ns + 1, sizeof *pl), *mv = calloc(nst + 1, sizeof *mv);
	size_t *target = calloc(nst + 1, sizeof *target);
	unsigned *first = calloc(nst + 1, sizeof *first);
	if (!v || !pl || !mv || !target || !first) {
		free(v), free(pl), free(mv), free(target), free(first);
		return NULL;
	}
	memcpy(v, h->sites, ns * sizeof *v);
	for (size_t i = 0; i < ns; i++)
		pl[i] = (struct place){ v[i].image, v[i].caller, i };
	qsort(pl, ns, sizeof *pl, cmp_place);
	/* each stack's site, and where its first frame outside wrappers is */
	size_t nmv = 0;
	for (size_t s = 0; s < nst; s++) {
		const struct ms_hs_stack *st = &h->stacks[s];
		target[s] = st->n ? find_place(pl, ns, st->image, st->frames[0]) : SIZE_MAX;
		if (target[s] == SIZE_MAX)
			continue;   /* no frame, or a wrapper image's stack (left out by ms_hotspots_launch) */
		unsigned k = ms_hs_first_outside(st, name, ctx);
		if (k == 0 || k >= st->n)
			continue;
		first[s] = k;
		mv[nmv++] = (struct place){ st->image, st->frames[k], s };
	}
	/* the moved stacks by their new place: one site per place */
	qsort(mv, nmv, sizeof *mv, cmp_place);
	size_t nv = ns;
	for (size_t i = 0; i < nmv; i++) {
		size_t to;
		if (i && !cmp_place(&mv[i - 1], &mv[i]))
			to = target[mv[i - 1].idx];
		else if ((to = find_place(pl, ns, mv[i].image, mv[i].caller)) == SIZE_MAX) {
			to = nv++;
			v[to] = (struct ms_hs_site){ .image = mv[i].image, .caller = mv[i].caller };
		}
		take(&v[target[mv[i].idx]], &v[to], &h->stacks[mv[i].idx]);
		target[mv[i].idx] = to;
	}
	/* each site's commonest stack among those now counted there */
	for (size_t i = 0; i < nv; i++) {
		v[i].top_stack = UINT32_MAX;
		v[i].top_stack_calls = 0;
		v[i].frame = 0;
		v[i].through = 0;
	}
	for (size_t s = 0; s < nst; s++) {
		struct ms_hs_site *d = target[s] == SIZE_MAX ? NULL : &v[target[s]];
		if (d && h->stacks[s].calls > d->top_stack_calls) {
			d->top_stack = (uint32_t)s;
			d->top_stack_calls = h->stacks[s].calls;
			d->frame = first[s];
			d->through = first[s] ? h->stacks[s].frames[first[s] - 1] : 0;
		}
	}
	size_t out = 0;
	for (size_t i = 0; i < nv; i++)
		if (v[i].calls || v[i].allocs || v[i].frees || v[i].live_bytes)
			v[out++] = v[i];
	free(pl), free(mv), free(target), free(first);
	*n = out;
	return v;
}

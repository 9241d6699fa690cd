/* hotspots of a launched command: its program apart from its wrapper
 * (findings/launch.h), from the hook's per-image records: PROCESS (pid,
 * ppid, executable, start) and END (end). */
#include "findings/hotspots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ms_hs_image_is_wrapper(const struct ms_hotspots *h, size_t i)
{
	return h->has_wrapper && h->launch && i < h->nimages && h->launch[i].role == MS_LAUNCH_WRAPPER;
}

/* The launched pid of a log read later: the earliest image whose parent
 * did not log (memsleuth, the shell that ran it). */
static uint32_t infer_root(const struct ms_hotspots *h)
{
	size_t best = (size_t)-1;
	for (size_t i = 0; i < h->nimages; i++) {
		const struct ms_hs_image *im = &h->images[i];
		int parent_logged = 0;
		for (size_t j = 0; j < h->nimages && !parent_logged; j++)
			parent_logged = h->images[j].has_process && h->images[j].pid == im->ppid && im->ppid != im->pid;
		if (im->has_process && !parent_logged && (best == (size_t)-1 || im->t0_ns < h->images[best].t0_ns))
			best = i;
	}
	return best == (size_t)-1 ? 0 : h->images[best].pid;
}

void ms_hotspots_launch(struct ms_hotspots *h, uint32_t root)
{
	h->program = (size_t)-1;
	if (h->attach.on || !h->nimages || h->launch)
		return;
	h->launch = calloc(h->nimages, sizeof *h->launch);
	if (!h->launch)
		return;
	if (!root)
		root = infer_root(h);
	/* an image still running when the log ended (stopped by memsleuth,
	 * killed) ends with the last end or start the log knows of */
	uint64_t last_ns = 0;
	for (size_t i = 0; i < h->nimages; i++) {
		const struct ms_hs_image *im = &h->images[i];
		if (im->t0_ns > last_ns)
			last_ns = im->t0_ns;
		if (im->ended && im->end.mono_ns > last_ns)
			last_ns = im->end.mono_ns;
	}
	for (size_t i = 0; i < h->nimages; i++) {
		const struct ms_hs_image *im = &h->images[i];
		struct ms_launch_image *l = &h->launch[i];
		l->pid = (pid_t)im->pid;
		/* a forked child names its parent; an exec'd image inherits the
		 * pid's parent, which is what the rule needs */
		l->ppid = (pid_t)im->ppid;
		const char *base = im->exe ? strrchr(im->exe, '/') : NULL;
		snprintf(l->name, sizeof l->name, "%s", base ? base + 1 : im->exe && *im->exe ? im->exe : "?");
		l->start_s = (double)im->t0_ns / 1e9;
		l->end_s = im->ended && im->end.mono_ns >= im->t0_ns ? (double)im->end.mono_ns / 1e9 : -1;
		if (!im->has_process)   /* no start known: never a candidate */
			l->pid = -1;
	}
	for (size_t t = 0; t < h->nthreads; t++) {
		const struct ms_hs_thread *th = &h->threads[t];
		if (th->image < h->nimages) {
			h->launch[th->image].calls += th->calls;
			h->launch[th->image].weight += th->bytes;
		}
	}
	h->program = ms_launch_decide(h->launch, h->nimages, (pid_t)root, (double)last_ns / 1e9);
	if (h->program >= h->nimages)
		return;
	ms_launch_line(h->launch, h->nimages, h->program, h->launch_line, sizeof h->launch_line);
	h->has_wrapper = ms_launch_has_wrapper(h->launch, h->nimages);
	/* --address found a block of the wrapper's: keep every process in view */
	if (h->found.found && ms_hs_image_is_wrapper(h, h->found.image))
		h->has_wrapper = 0;
	if (!h->has_wrapper)
		return;
	/* threads and sites of the program only; the wrapper's apart */
	size_t kept = 0;
	uint32_t *tmap = malloc((h->nthreads ? h->nthreads : 1) * sizeof *tmap);
	uint32_t *smap = malloc((h->nsites ? h->nsites : 1) * sizeof *smap);
	if (!tmap || !smap) {
		free(tmap);
		free(smap);
		h->has_wrapper = 0;
		return;
	}
	for (size_t t = 0; t < h->nthreads; t++) {
		const struct ms_hs_thread *th = &h->threads[t];
		if (ms_hs_image_is_wrapper(h, th->image)) {
			h->wrapper_calls += th->calls;
			h->wrapper_allocs += th->allocs;
			h->wrapper_frees += th->frees;
			h->wrapper_bytes += th->bytes;
			tmap[t] = UINT32_MAX;
			continue;
		}
		tmap[t] = (uint32_t)kept;
		h->threads[kept++] = *th;
	}
	h->nthreads = kept;
	kept = 0;
	for (size_t i = 0; i < h->nsites; i++) {
		if (ms_hs_image_is_wrapper(h, h->sites[i].image)) {
			smap[i] = UINT32_MAX;
			continue;
		}
		smap[i] = (uint32_t)kept;
		h->sites[kept++] = h->sites[i];
	}
	h->nsites = kept;
	for (size_t i = 0; i < h->nimages; i++)
		h->wrapper_images += ms_hs_image_is_wrapper(h, i);
	h->events -= h->wrapper_calls < h->events ? h->wrapper_calls : h->events;
	h->allocs -= h->wrapper_allocs < h->allocs ? h->wrapper_allocs : h->allocs;
	h->frees -= h->wrapper_frees < h->frees ? h->wrapper_frees : h->frees;
	h->bytes -= h->wrapper_bytes < h->bytes ? h->wrapper_bytes : h->bytes;
	if (h->found.found) {   /* indexes into the arrays just compacted */
		h->found.thread = tmap[h->found.thread];
		h->found.site = smap[h->found.site];
	}
	free(tmap);
	free(smap);
}

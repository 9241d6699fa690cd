/* The call site a cause is about (hotsite.h). */
#include "findings/hotsite.h"

#include <stdint.h>

int ms_cause_about_live(enum ms_cause_kind k)
{
	return k == MS_CAUSE_IN_USE_UNACCOUNTED || k == MS_CAUSE_LEAK_GROWING || k == MS_CAUSE_MMAPPED_CHUNKS;
}

const struct ms_jval *ms_hot_site_for(const struct ms_jval *hotspots, enum ms_cause_kind k)
{
	const struct ms_jval *sites = ms_jget(hotspots, "sites");
	if (!sites || sites->type != MS_J_ARR)
		return NULL;
	if (!ms_cause_about_live(k))
		return sites->child;   /* sorted by calls: the first */
	const struct ms_jval *best = NULL;
	uint64_t best_live = 0;
	/* bounded by the document: hotspots writes at most 1000 sites */
	for (const struct ms_jval *s = sites->child; s; s = s->next) {
		uint64_t live = ms_ju64(s, "live_bytes", 0);
		if (live > best_live) {   /* strictly more: at equal bytes the earlier, more calls */
			best = s;
			best_live = live;
		}
	}
	return best;
}

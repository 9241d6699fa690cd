/* The pins' call sites from a hotspots recording: see arenapins.h. */
#include "report/arenapins.h"

#include <stdio.h>
#include <stdlib.h>

#include "findings/hotspots.h"
#include "report/hotspots_report.h"

int ms_arenas_pin_sites(struct ms_arenas *a, const char *dir, size_t *pins, size_t *named, struct ms_err *e)
{
	*pins = *named = 0;
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].npins;   /* at most MS_PINS_MAX per arena */
	uint64_t *addrs = calloc(n ? n : 1, sizeof *addrs);
	struct ms_hs_found *found = calloc(n ? n : 1, sizeof *found);
	struct ms_hs_who *who = calloc(n ? n : 1, sizeof *who);
	if (!addrs || !found || !who) {
		free(addrs), free(found), free(who);
		return ms_err_set(e, 0, "out of memory", NULL, "%s", dir);
	}
	size_t k = 0;
	for (size_t i = 0; i < a->n; i++)
		for (size_t p = 0; p < a->v[i].npins; p++)
			addrs[k++] = a->v[i].pins[p].address + 16;   /* malloc's pointer: past the chunk header */
	struct ms_hs_query q = { .pid = (uint32_t)a->pid, .addrs = addrs, .naddrs = n, .found = found };
	struct ms_hotspots h;
	int rc = ms_hotspots_load_query(dir, &q, &h, e);
	if (rc == 0) {
		ms_hotspots_who(&h, found, n, who);
		k = 0;
		for (size_t i = 0; i < a->n; i++)
			for (size_t p = 0; p < a->v[i].npins; p++, k++) {
				struct ms_pin *pin = &a->v[i].pins[p];
				if (!who[k].found)
					continue;
				snprintf(pin->allocated_at, sizeof pin->allocated_at, "%s", who[k].where);
				snprintf(pin->site, sizeof pin->site, "%s", who[k].site);
				snprintf(pin->thread, sizeof pin->thread, "%s", who[k].thread);
				pin->tid = who[k].tid;
				(*named)++;
			}
		*pins = n;
		ms_hotspots_free(&h);
	}
	free(addrs), free(found), free(who);
	return rc;
}

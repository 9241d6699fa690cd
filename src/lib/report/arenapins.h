/* The pins' call sites: which call site and thread allocated each in-use
 * chunk that stands between free memory and its heap's top, from a
 * hotspots recording of the same process (arenas --hotspots DIR).  The
 * recording's live allocations at its end are looked up by the chunks'
 * user addresses (chunk + 16), in one read of the logs. */
#ifndef MS_ARENAPINS_H
#define MS_ARENAPINS_H

#include <stddef.h>
#include "findings/arenas.h"
#include "util/err.h"

/* Fills a->v[i].pins[k].allocated_at/site/thread/tid for every pin the
 * recording in dir holds live (in the image of process a->pid); *pins and
 * *named count the pins looked up and those found.  Returns 0, or -1 (e
 * set) when dir holds no readable recording. */
int ms_arenas_pin_sites(struct ms_arenas *a, const char *dir, size_t *pins, size_t *named, struct ms_err *e);

#endif

/* What the arenas walk means, in plain words, each with the next step.
 * Computed once here; the text and JSON writers only print them. */
#ifndef MS_ARENAVERDICT_H
#define MS_ARENAVERDICT_H

#include "findings/arenas.h"
#include "findings/verdict.h"

/* Share of free memory (outside top) not in the largest free chunk:
 * 0 = one block, near 1 = dust. */
double ms_arena_fragmentation(const struct ms_arena_stat *s);

void ms_arenas_verdicts(const struct ms_arenas *a, struct ms_verdicts *vs);

#endif

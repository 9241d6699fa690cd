/* What the arenas walk means, in plain words, each with the next step:
 * the causes it names (findings/causes.h) rendered as verdicts.  Computed
 * once here; the text and JSON writers only print them. */
#ifndef MS_ARENAVERDICT_H
#define MS_ARENAVERDICT_H

#include "findings/arenas.h"
#include "findings/causes.h"
#include "findings/verdict.h"

/* Share of free memory (outside top) not in the largest free chunk:
 * 0 = one block, near 1 = dust. */
double ms_arena_fragmentation(const struct ms_arena_stat *s);

/* The causes the walk alone can name (allocator kinds). */
void ms_arenas_causes(const struct ms_arenas *a, struct ms_causes *c);

/* The walk's verdicts: the snapshot's state, then one per cause. */
void ms_arenas_verdicts(const struct ms_arenas *a, const struct ms_causes *c, struct ms_verdicts *vs);

#endif

/* The arenas walk as text (tables, histogram, verdicts, next step) and as
 * JSON (contract: docs/json/arenas.md).  Shared by `memsleuth arenas` and
 * the heapwalk helper so both say the same thing. */
#ifndef MS_ARENASOUT_H
#define MS_ARENASOUT_H

#include <stdio.h>
#include "findings/arenas.h"
#include "report/json.h"

/* MS_AOUT_LISTS: every free list in list order with its state (with
 * --bins --lists). */
enum { MS_AOUT_BINS = 1, MS_AOUT_HIST = 2, MS_AOUT_LISTS = 4 };

void ms_arenas_print_text(FILE *out, const struct ms_arenas *a, int flags);
/* Writes the members of the caller's open JSON object. */
void ms_arenas_json(struct ms_json *j, const struct ms_arenas *a, int flags);

#endif

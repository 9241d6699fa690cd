/* The closing verdicts of the steps that watch a process for a while
 * (syscalls; hotspots to follow): what the counts add up to, in plain words, with
 * the next command, so that every step ends the same way (docs/cli.md).
 * Levels follow the one severity rule of findings/causes.h where bytes are
 * held; a rate or a share alone is information. */
#ifndef MS_STEPVERDICT_H
#define MS_STEPVERDICT_H

#include "findings/hotspots.h"
#include "findings/memsyssum.h"
#include "findings/verdict.h"

/* next: the command to run after this step (the driver knows whether the
 * process still runs: "memsleuth arenas PID", or a compare of the command).
 * partial: NULL for a whole trace, else what part was traced and why the
 * rest was not (one sentence): the first verdict says so, the counts are
 * then lower bounds and no verdict rests on an absence of calls. */
void ms_sys_verdicts(const struct ms_sys_summary *s, const char *partial, const char *next, struct ms_verdicts *vs);

/* hotspots: how much was allocated, by how many threads, the busiest call
 * site's share of the bytes and what was still live at the end (the hook's
 * log, or attach mode's kept pointers).  Information only: bytes allocated
 * or live in the log are not resident bytes (the arenas step measures those). */
void ms_hs_verdicts(const struct ms_hotspots *h, const char *next, struct ms_verdicts *vs);

#endif

/* What the arenas walk means, in plain words, each with the next step:
 * the causes it names (findings/causes.h) rendered as verdicts.  Computed
 * once here; the text and JSON writers only print them. */
#ifndef MS_ARENAVERDICT_H
#define MS_ARENAVERDICT_H

#include "findings/arenas.h"
#include "findings/causes.h"
#include "findings/verdict.h"

/* Share of free memory (outside top) not in its arena's largest free
 * chunk: 0 = one block per arena, near 1 = dust.  One rule for an arena's
 * row and for the total: the total's free_outside_largest is the arenas'
 * sum, so it is their fragmentation weighted by free bytes (13 arenas of
 * one free block each: 0.00, not 1 - largest/all free as if one pool). */
double ms_arena_fragmentation(const struct ms_arena_stat *s);

/* The causes the walk alone can name (allocator kinds). */
void ms_arenas_causes(const struct ms_arenas *a, struct ms_causes *c);

/* The walk's verdicts: the snapshot's state, then one per cause. */
void ms_arenas_verdicts(const struct ms_arenas *a, const struct ms_causes *c, struct ms_verdicts *vs);

/* "1 live chunk of 32 B at 0x55d0c4a01010 pins 495.9 MiB" for the first
 * pin of arena s (the chunk nearest the free memory it blocks), with
 * " allocated at pin.c:54 (main) by thread pin" before "pins" when its
 * call site is known (arenas --hotspots), or, with more
 * pins, "... and N more live chunks (B B) between that free memory and
 * the top" -- into buf (len bytes).  Empty when the arena has no pin. */
void ms_arena_pin_text(const struct ms_arena_stat *s, char *buf, size_t len);
/* When tcache chunks, not live ones, stand between arena s's free memory
 * and its top (s->tcache_hold): "7 chunks in thread 1063's tcache (freed,
 * cached by glibc, 6.9 KiB) stand between 45.3 MiB of free memory and the
 * top" (thread named "tt" when known; "in a thread's tcache (not
 * attributed: ...)" without --stop or debug info; "in 2 threads' tcaches"
 * when several hold them) -- into buf.  Empty when there is no such hold. */
void ms_arena_tcache_hold_text(const struct ms_arena_stat *s, char *buf, size_t len);
/* What to do about such a hold, from the arena's trim figure: "malloc_trim(0)
 * would return 45.3 MiB of it now (those pages; it leaves the tcache and
 * the heap's size as they are); GLIBC_TUNABLES=glibc.malloc.tcache_count=0
 * sends frees to the heap, whose top then shrinks at free (for good)". */
void ms_arena_tcache_hold_remedy(const struct ms_arena_stat *s, char *buf, size_t len);

/* How a walk's damage is said, in every step that reports it (arenas,
 * trim, the guide): "the heap changed under the walk (its snapshots
 * differ)" or "the walk found the same damage in two snapshots" ("damage
 * in a frozen snapshot" when stopped).  Lower case, no final stop. */
const char *ms_damage_words(enum ms_damage d, int stopped);

/* "corrupted", "changing" or "none". */
const char *ms_damage_name(enum ms_damage d);

#endif

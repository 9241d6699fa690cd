/* The pins put together: the live chunks that keep freed memory below
 * them from joining their heap's top (arenas.h struct ms_pin), grouped as
 * a person would fix them -- by the call site that allocated them when a
 * recording names it, else by where they sit (the main heap, or thread
 * arenas) -- and the largest group against what malloc_trim(0) would
 * return from those arenas.  One computation for every printer: the
 * arenas text and JSON (`pin_summary`), the guide's step-3 evidence and
 * the HTML report. */
#ifndef MS_PINSUM_H
#define MS_PINSUM_H

#include <stdint.h>
#include "findings/arenas.h"

struct ms_pin_summary {
	int      pins;               /* pins in the largest group (one per arena: its first pin); 0: none */
	int      main;               /* that group is the main heap's (1) or thread arenas' (0) */
	char     site[160];          /* their shared call site (allocated_at), "" not known */
	uint64_t pinned;             /* the free bytes they pin, summed (each arena's pins[0].pinned) */
	uint64_t size_min, size_max; /* their chunk sizes */
	struct ms_pin largest;       /* the group's pin that pins the most */
	uint64_t trim;               /* what malloc_trim(0) would return from the arenas of that kind
					(trim_bytes: the main heap, or the thread arenas summed) */
	uint64_t trim_top;           /* of which from the main heap's free top */
	int      other_pins;         /* pins of other groups in arenas of the same kind */
	uint64_t other_pinned;
	uint64_t rest;               /* trim - trim_top - every pin's bytes there: whole free pages
					between live blocks, from the walk's figures; 0 when the pins
					cover it */
	double   share;              /* pinned / trim, at most 1; 0 when trim is 0 */
	int      minor;              /* the group pins under half of trim: it is not the fix */
	char     text[480];          /* the sentence (see ms_pin_summarize) */
};

/* Group the arenas' pins (each arena's first pin: the chunk nearest the
 * free memory it blocks) and describe the group that pins the most:
 *   one pin, most of its arenas' trim: "the pin: 1 live chunk of 32 B at
 *     0x55.. pins 495.9 MiB";
 *   one pin, under half: "largest pin: 1 live chunk of 32 B at 0x7f.. pins
 *     2.0 MiB of the 27.4 MiB malloc_trim(0) would return from thread
 *     arenas (7%); the other 25.4 MiB is whole free pages between live
 *     blocks, which only malloc_trim returns";
 *   several: "12 pins, one per thread arena, allocated at pins12.c:18
 *     (worker), 80 B each, pin 236.2 MiB together: 100% of the 236.1 MiB
 *     malloc_trim(0) would return from thread arenas".
 * Other groups there and the rest are said only when the walk found them
 * (at least 1 MiB).  Returns the number of pins in the largest group (0:
 * no pin, s->text ""). */
int ms_pin_summarize(const struct ms_arenas *a, struct ms_pin_summary *s);

#endif

/* Allocation wrappers: functions that only pass an allocation on to
 * malloc or free (C++ operator new and delete in all their forms,
 * xmalloc, g_malloc, PyMem_*, a JVM's os::malloc and AllocateHeap...).  The hook records
 * malloc's caller, which for them is the wrapper, the same for every
 * allocation of the program; with --stacks N the call site is the first
 * frame outside them.  One rule for the hotspots tables and JSON, the
 * --address answer and the guide (which reads that JSON). */
#ifndef MS_HOTWRAP_H
#define MS_HOTWRAP_H

#include <stddef.h>
#include <stdint.h>
#include "findings/hotspots.h"

/* Whether func (a function name as symres gives it: demangled,
 * "operator new(unsigned long)", or as in the symbol table, "_Znwm") is
 * an allocation wrapper's.  1 yes, 0 no (also for NULL). */
int ms_hs_is_wrapper(const char *func);

/* The name of the function holding return address addr of process image
 * image ("" or NULL when unknown); the report's symboliser. */
typedef const char *(*ms_hs_frame_name_fn)(void *ctx, uint32_t image, uint64_t addr);

/* The index of the first of st's frames (innermost first) outside
 * allocation wrappers: 0 when the recorded caller is no wrapper, st->n
 * when every frame is a wrapper's (a stack cut at --stacks N inside
 * them). */
unsigned ms_hs_first_outside(const struct ms_hs_stack *st, ms_hs_frame_name_fn name, void *ctx);

/* h's sites (after ms_hotspots_launch when launched) with each stack's
 * counts (calls, allocations, frees, bytes, live bytes, short-lived)
 * moved from the wrapper's site to the site of its first frame outside
 * allocation wrappers (ms_hs_first_outside): two callers of operator new
 * become two sites, each with its own numbers.  Such a site's caller is
 * that frame, its through the wrapper frame it called, its top_stack the
 * stack with the most calls among those moved to it and frame the
 * caller's index in it.  Calls recorded without a stack stay where they
 * were; sites left with nothing are dropped.  Totals are unchanged.
 * Returns a new array of *n sites (caller frees), NULL when out of
 * memory.  Without stacks: a copy of h->sites. */
struct ms_hs_site *ms_hs_sites_outside(const struct ms_hotspots *h, ms_hs_frame_name_fn name, void *ctx,
				       size_t *n);

#endif

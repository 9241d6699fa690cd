/* findings/hotwrap.c: sites named past allocation wrappers, on an
 * analysis built here by hand (sites, stacks and their counts), so every
 * expected number follows from the lines below. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/hotwrap.h"

/* return addresses and the functions holding them */
enum { NEW = 0x100, FILL = 0x200, ADD = 0x300, PLAIN = 0x400, MAIN = 0x900, DEL = 0x500, NEW2 = 0x600 };

static const char *name_of(void *ctx, uint32_t image, uint64_t a)
{
	(void)image;
	++*(int *)ctx;
	switch (a) {
	case NEW:   return "operator new(unsigned long)";
	case NEW2:  return "_Znam";   /* not demangled: the mangled form is known too */
	case DEL:   return "operator delete(void*, unsigned long)";
	case FILL:  return "Cache::fill(int)";
	case ADD:   return "Log::add(char const*)";
	case PLAIN: return "plain_malloc";
	case MAIN:  return "main";
	}
	return "";
}

static void predicate(void **state)
{
	(void)state;
	const char *yes[] = { "operator new(unsigned long)", "operator new[](unsigned long)",
			      "operator new(unsigned long, std::nothrow_t const&)",
			      "operator new(unsigned long, std::align_val_t)", "operator delete(void*)", "_Znwm",
			      "_ZnamRKSt9nothrow_t", "_ZdlPv", "xmalloc", "g_malloc0", "os::malloc(unsigned long)",
			      "_ZN2os6mallocEm8MEMFLAGSRK15NativeCallStack" /* read demangled */, "_Znw garbage",
			      "AllocateHeap(unsigned long, MEMFLAGS, AllocFailStrategy::AllocFailEnum)",
			      "CHeapObj<(MEMFLAGS)5>::operator new(unsigned long)", "os::strdup(char const*, MEMFLAGS)",
			      "ResourceObj::operator new(unsigned long, ResourceObj::allocation_type, MEMFLAGS)",
			      "Pool::operator delete[](void*)" };
	const char *no[] = { "main", "", "_ZneRK1AS1_" /* operator!= */, "_ZntRK1A" /* operator! */,
			     "Conf::make()", "malloc", "ObjectSynchronizer::initialize()",
			     "Pool::operator newer()", "Vec::operator+(Vec const&)" };
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		assert_int_equal(ms_hs_is_wrapper(yes[i]), 1);
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		assert_int_equal(ms_hs_is_wrapper(no[i]), 0);
	assert_int_equal(ms_hs_is_wrapper(NULL), 0);
}

#define STACK(...) { .n = sizeof (uint64_t[]){ __VA_ARGS__ } / sizeof (uint64_t), \
		     .frames = (uint64_t[]){ __VA_ARGS__ } }

static void two_callers(void **state)
{
	(void)state;
	/* operator new's malloc call (site 0) reached from Cache::fill (300
	 * x 256 B, 100 freed, 40 of them short-lived) and Log::add (120 x 64
	 * B, all live), plus 5 calls recorded without a stack; a direct
	 * malloc (site 1); operator delete's free (site 2) from main; a
	 * stack cut inside nested wrappers (site 3) stays */
	struct ms_hs_stack st[] = {
		STACK(NEW, FILL, MAIN), STACK(NEW, ADD, MAIN), STACK(PLAIN, MAIN), STACK(DEL, MAIN),
		STACK(NEW2, NEW),
	};
	st[0].calls = 300; st[0].allocs = 300; st[0].bytes = 300 * 256; st[0].frees = 100; st[0].short_lived = 40;
	st[0].live_bytes = 200 * 256; st[0].live_allocs = 200;
	st[1].calls = 120; st[1].allocs = 120; st[1].bytes = 120 * 64; st[1].live_bytes = 120 * 64;
	st[1].live_allocs = 120;
	st[2].calls = 7; st[2].allocs = 7; st[2].bytes = 70; st[2].frees = 7;
	st[3].calls = 107;
	st[4].calls = 2; st[4].allocs = 2; st[4].bytes = 20; st[4].live_bytes = 20; st[4].live_allocs = 2;
	struct ms_hs_site sites[] = {
		{ .caller = NEW, .calls = 425, .allocs = 425, .bytes = 300 * 256 + 120 * 64 + 50, .frees = 100,
		  .short_lived = 40, .live_bytes = 200 * 256 + 120 * 64, .live_allocs = 320, .top_stack = 0 },
		{ .caller = PLAIN, .calls = 7, .allocs = 7, .bytes = 70, .frees = 7, .top_stack = 2 },
		{ .caller = DEL, .calls = 107, .top_stack = 3 },
		{ .caller = NEW2, .calls = 2, .allocs = 2, .bytes = 20, .live_bytes = 20, .live_allocs = 2, .top_stack = 4 },
	};
	struct ms_hotspots h = { .sites = sites, .nsites = 4, .stacks = st, .nstacks = 5, .stacks_on = 1 };
	int calls = 0;
	size_t n = 0;
	struct ms_hs_site *v = ms_hs_sites_outside(&h, name_of, &calls, &n);
	assert_non_null(v);
	assert_true(calls > 0);
	/* operator new's 5 stackless calls, the direct malloc, the cut
	 * stack, Cache::fill, Log::add, main (delete's caller) */
	assert_int_equal(n, 6);
	const struct ms_hs_site *fill = NULL, *add = NULL, *rest = NULL, *plain = NULL, *del = NULL, *cut = NULL;
	uint64_t calls_sum = 0, bytes_sum = 0, live_sum = 0;
	for (size_t i = 0; i < n; i++) {
		calls_sum += v[i].calls;
		bytes_sum += v[i].bytes;
		live_sum += v[i].live_bytes;
		switch (v[i].caller) {
		case FILL:  fill = &v[i]; break;
		case ADD:   add = &v[i]; break;
		case NEW:   rest = &v[i]; break;
		case PLAIN: plain = &v[i]; break;
		case MAIN:  del = &v[i]; break;
		case NEW2:  cut = &v[i]; break;
		}
	}
	assert_true(fill && add && rest && plain && del && cut);
	assert_true(fill->calls == 300 && fill->allocs == 300 && fill->bytes == 300 * 256 && fill->frees == 100 &&
		    fill->short_lived == 40 && fill->live_bytes == 200 * 256 && fill->live_allocs == 200);
	assert_true(fill->through == NEW && fill->top_stack == 0 && fill->frame == 1);
	assert_true(add->calls == 120 && add->live_bytes == 120 * 64 && add->live_allocs == 120 && add->frees == 0);
	assert_true(add->through == NEW && add->top_stack == 1 && add->frame == 1);
	/* what no stack told stays at operator new's own site */
	assert_true(rest->calls == 5 && rest->allocs == 5 && rest->bytes == 50 && rest->live_bytes == 0 &&
		    rest->through == 0 && rest->top_stack == UINT32_MAX);
	assert_true(plain->calls == 7 && plain->through == 0 && plain->frame == 0 && plain->top_stack == 2);
	assert_true(del->calls == 107 && del->through == DEL && del->frame == 1);
	assert_true(cut->calls == 2 && cut->through == 0 && cut->live_bytes == 20);
	/* totals unchanged */
	assert_true(calls_sum == 425 + 7 + 107 + 2 && bytes_sum == 300 * 256 + 120 * 64 + 50 + 70 + 20 &&
		    live_sum == 200 * 256 + 120 * 64 + 20);
	free(v);
}

static void no_stacks(void **state)
{
	(void)state;
	struct ms_hs_site sites[] = { { .caller = NEW, .calls = 3, .top_stack = UINT32_MAX } };
	struct ms_hotspots h = { .sites = sites, .nsites = 1 };
	int calls = 0;
	size_t n = 0;
	struct ms_hs_site *v = ms_hs_sites_outside(&h, name_of, &calls, &n);
	assert_non_null(v);
	assert_int_equal(n, 1);
	assert_true(v[0].caller == NEW && v[0].calls == 3 && v[0].through == 0);
	assert_int_equal(calls, 0);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(predicate),
		cmocka_unit_test(two_callers),
		cmocka_unit_test(no_stacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

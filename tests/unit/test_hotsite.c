/* The call site a cause is about (findings/hotsite.h) and how the guide's
 * hotspots step and the in-use cause's remedy name it, on the sites of the
 * trial's JVM (ZipThreads keep: os::malloc makes the most calls, zlib's
 * deflateInit2_ holds 200 MiB a site) as hotspots' JSON gives them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/guide.h"
#include "findings/hotsite.h"
#include "records/jsonread.h"

#define SITE(sym, off, dso, calls, live) \
	"{\"symbol\":\"" sym "\",\"offset\":" #off ",\"dso\":\"" dso "\",\"calls\":" #calls ",\"live_bytes\":" #live "}"

static const char jvm_sites[] =
	"{\"events\":41842,\"dropped\":0,"
	"\"threads\":[{\"tid\":17734,\"name\":\"java\",\"calls\":12024,\"requested_bytes\":7864320},"
	"{\"tid\":17735,\"name\":\"Thread-3\",\"calls\":1796,\"requested_bytes\":55155507}],"
	"\"sites\":["
	SITE("_ZN2os6mallocEm8MEMFLAGSRK15NativeCallStack", 121, "/usr/lib/jvm/lib/server/libjvm.so", 9590, 9751756) ","
	SITE("Java_java_util_zip_Deflater_init", 44, "/usr/lib/jvm/lib/libzip.so", 3200, 358400) ","
	SITE("deflateInit2_", 393, "/lib/x86_64-linux-gnu/libz.so.1.2.13", 3200, 209715200) ","
	SITE("deflateInit2_", 412, "/lib/x86_64-linux-gnu/libz.so.1.2.13", 3200, 209715200) ","
	SITE("inflateInit2_", 86, "/lib/x86_64-linux-gnu/libz.so.1.2.13", 3200, 22963814)
	"]}";

static struct ms_jval *parse(const char *s)
{
	struct ms_err e = { 0 };
	struct ms_jval *v = ms_jparse(s, strlen(s), "test", &e);
	assert_non_null(v);
	return v;
}

static void site_per_cause_kind(void **state)
{
	(void)state;
	struct ms_jval *f = parse(jvm_sites);
	const struct ms_jval *s = ms_hot_site_for(f, MS_CAUSE_IN_USE_UNACCOUNTED);
	assert_non_null(s);
	/* the first of the two 200 MiB sites: at equal bytes, the one before */
	assert_string_equal(ms_jstr(s, "symbol", ""), "deflateInit2_");
	assert_int_equal(ms_ju64(s, "offset", 0), 393);
	assert_ptr_equal(ms_hot_site_for(f, MS_CAUSE_LEAK_GROWING), s);
	assert_ptr_equal(ms_hot_site_for(f, MS_CAUSE_MMAPPED_CHUNKS), s);
	/* free memory glibc keeps: who churns, the most calls */
	s = ms_hot_site_for(f, MS_CAUSE_ARENA_SPREAD);
	assert_string_equal(ms_jstr(s, "symbol", ""), "_ZN2os6mallocEm8MEMFLAGSRK15NativeCallStack");
	assert_ptr_equal(ms_hot_site_for(f, MS_CAUSE_MAIN_HEAP_PINNED), s);
	ms_jfree(f);
	/* no live bytes known (count-only, attached without --live): none for a live cause */
	f = parse("{\"sites\":[" SITE("f", 1, "a.so", 5, 0) "]}");
	assert_null(ms_hot_site_for(f, MS_CAUSE_IN_USE_UNACCOUNTED));
	assert_non_null(ms_hot_site_for(f, MS_CAUSE_FRAGMENTED));
	ms_jfree(f);
	f = parse("{\"sites\":{}}");
	assert_null(ms_hot_site_for(f, MS_CAUSE_FRAGMENTED));
	assert_null(ms_hot_site_for(NULL, MS_CAUSE_IN_USE_UNACCOUNTED));
	ms_jfree(f);
}

/* The guide on a JVM whose glibc in use (850 MiB) is far above NMT's
 * malloc line: the in-use cause leads, so the step names live bytes. */
static void guide_names_the_live_site(void **state)
{
	(void)state;
	struct ms_guide *g = calloc(1, sizeof *g);
	assert_non_null(g);
	ms_guide_init(g, 4242);
	g->rss = 536870912;
	g->have_arenas = 1;
	g->in_use = 891289600;
	snprintf(g->allocator, sizeof g->allocator, "glibc");
	g->step[MS_G_OVERVIEW].findings = parse("{\"rss_bytes\":536870912,\"allocator\":\"glibc\",\"arenas\":16}");
	g->step[MS_G_ARENAS].findings = parse("{\"glibc_in_charge\":true,\"rss_bytes\":536870912,"
					      "\"totals\":{\"in_use_bytes\":891289600,\"free_resident_bytes\":2097152}}");
	g->recording[0] = '/';   /* the recording from the start: live bytes are the moment's */
	ms_guide_take_hotspots(g, parse(jvm_sites));
	const struct ms_gstep *s = &g->step[MS_G_HOTSPOTS];
	assert_int_equal(s->nev, 4);
	assert_string_equal(s->evidence[2], "top call site by bytes live at the moment: deflateInit2_+0x189 ??:? "
			    "(libz.so.1.2.13), 200.0 MiB live, 3200 calls");
	/* a document without "function" (older memsleuth): "symbol" demangled */
	assert_string_equal(s->evidence[3], "most calls: os::malloc(unsigned long, MEMFLAGS, NativeCallStack const&)"
			    "+0x79 ??:? (libjvm.so), 9590 calls, 9.3 MiB live");
	assert_string_equal(s->verdict, "The most bytes still live at the moment were allocated at deflateInit2_+0x189 ??:? "
			    "(libz.so.1.2.13): 200.0 MiB of the 431.5 MiB live in all call sites, where the in-use "
			    "memory is allocated and not freed. Thread 17734 (java) made the most allocator calls "
			    "(12024 of 13820).");
	/* the in-use cause's remedy: so far, the same site */
	ms_guide_causes(g, NULL);
	int found = 0;
	for (int i = 0; i < g->causes.n; i++)
		if (g->causes.v[i].kind == MS_CAUSE_IN_USE_UNACCOUNTED) {
			found = 1;
			assert_string_equal(g->causes.v[i].rem[0].effect, "names the call sites whose blocks stay live; "
					    "so far: deflateInit2_+0x189 ??:? (libz.so.1.2.13), 200.0 MiB live");
		}
	assert_true(found);
	ms_guide_free(g);
	free(g);
}

/* No glibc cause about live memory known (arenas not read): the calls. */
static void guide_names_the_busiest_site_for_free_memory(void **state)
{
	(void)state;
	struct ms_guide *g = calloc(1, sizeof *g);
	assert_non_null(g);
	ms_guide_init(g, 4242);
	g->rss = 536870912;
	snprintf(g->allocator, sizeof g->allocator, "glibc");
	ms_guide_take_hotspots(g, parse(jvm_sites));
	const struct ms_gstep *s = &g->step[MS_G_HOTSPOTS];
	assert_int_equal(s->nev, 4);
	assert_string_equal(s->evidence[2], "top call site: os::malloc(unsigned long, MEMFLAGS, NativeCallStack const&)"
			    "+0x79 ??:? (libjvm.so), 9590 calls, 9.3 MiB live at the end");
	/* HotSpot's os::malloc passes every native allocation on: no stacks here to see past it */
	assert_string_equal(s->evidence[3], "the top call site os::malloc(unsigned long, MEMFLAGS, NativeCallStack "
			    "const&) is an allocation wrapper: rerun with --stacks 8 to see who calls it");
	assert_string_equal(s->verdict, "Thread 17734 (java) made the most allocator calls (12024 of 13820), most from "
			    "os::malloc(unsigned long, MEMFLAGS, NativeCallStack const&)+0x79 ??:? (libjvm.so).");
	ms_guide_free(g);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(site_per_cause_kind),
		cmocka_unit_test(guide_names_the_live_site),
		cmocka_unit_test(guide_names_the_busiest_site_for_free_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

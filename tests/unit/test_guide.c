/* The guide's model on the pin example's findings (findings/guide*.c): the
 * pin named in the arenas step from its recording, the next command that
 * asks the recording who allocated it, the conclusion in the case study's
 * terms right after the cause it holds, and the one line said when no
 * recording names it (attached; the hook refused). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings/guide.h"
#include "records/jsonread.h"

/* The pin example at its holding line: 495.9 MiB freed under a 32-byte
 * chunk, main arena only (figures of a real run). */
static const char overview_json[] =
	"{\"step\":\"overview\",\"name\":\"pin\",\"rss_bytes\":525926400,\"malloc_rss_bytes\":520015872,"
	"\"allocator\":\"glibc\",\"arenas\":1,\"classes\":[{\"class\":\"main_heap\",\"rss_bytes\":520015872,"
	"\"mappings\":1},{\"class\":\"file\",\"rss_bytes\":1572864,\"mappings\":20}]}";

static const char arenas_fmt[] =
	"{\"step\":\"arenas\",\"glibc_in_charge\":true,\"snapshot_consistent\":true,"
	"\"totals\":{\"in_use_bytes\":688,\"free_bytes\":520118400,\"free_resident_bytes\":519995392},"
	"\"trim_prediction_bytes\":519995392,%s"
	"\"arenas\":[{\"is_main\":true,\"free_resident_bytes\":519995392,\"trim_bytes\":519995392,"
	"\"trim_top_bytes\":2672,\"pin_chunks\":1,\"pin_bytes\":32,"
	"\"pins\":[{\"address\":\"0x55b8a3c6d490\",\"size_bytes\":32,\"pinned_bytes\":519992720%s}]}],"
	/* arenas' pin_summary (findings/pinsum.h) of that one pin */
	"\"pin_summary\":{\"pins\":1,\"is_main\":true,\"pinned_bytes\":519992720,\"trim_bytes\":519995392,"
	"\"minor\":false,\"text\":\"the pin: 1 live chunk of 32 B at 0x55b8a3c6d490 pins 495.9 MiB\","
	"\"largest\":{\"address\":\"0x55b8a3c6d490\",\"size_bytes\":32,\"pinned_bytes\":519992720%s}}}";

/* The arenas JSON with pin_sites (or "") and the pin's named fields (or ""). */
static void arenas_text(char *buf, size_t len, const char *sites, const char *named)
{
	snprintf(buf, len, arenas_fmt, sites, named, named);
}

static struct ms_jval *parse(const char *text)
{
	struct ms_err e = { 0 };
	struct ms_jval *v = ms_jparse(text, strlen(text), "test", &e);
	assert_non_null(v);
	return v;
}

static struct ms_guide *guide_with(int launched, const char *recording, int kept, int named)
{
	struct ms_guide *g = calloc(1, sizeof *g);
	assert_non_null(g);
	ms_guide_init(g, 4242);
	g->launched = launched;
	snprintf(g->command, sizeof g->command, "build/examples/pin --hold");
	if (recording) {
		snprintf(g->recording, sizeof g->recording, "%s", recording);
		g->recording_kept = kept;
	}
	g->has_accounted = 1;
	g->accounted = 8u << 20;
	ms_guide_take_overview(g, parse(overview_json));
	char text[2048];
	arenas_text(text, sizeof text, named ? "\"pin_sites\":{\"recording\":\"r.hotspots\",\"pins\":1,\"named\":1}," : "",
		 named ? ",\"allocated_at\":\"pin.c:59 (main)\",\"site\":\"main+0x459 (pin) pin.c:59\",\"thread\":\"pin\",\"tid\":4242" : "");
	ms_guide_take_arenas(g, parse(text));
	return g;
}

static const char *evidence_with(const struct ms_gstep *s, const char *needle)
{
	for (int i = 0; i < s->nev; i++)
		if (strstr(s->evidence[i], needle))
			return s->evidence[i];
	return NULL;
}

static void done(struct ms_guide *g)
{
	ms_guide_free(g);
	free(g);
}

static void pin_named_from_the_recording(void **state)
{
	(void)state;
	struct ms_guide *g = guide_with(1, "r.hotspots", 1, 1);
	const struct ms_gstep *s = &g->step[MS_G_ARENAS];
	assert_string_equal(evidence_with(s, "the pin:"),
			    "the pin: 1 live chunk of 32 B at 0x55b8a3c6d490 pins 495.9 MiB -- allocated at pin.c:59 (main) "
			    "by thread pin (TID 4242), from the recording of this process");
	assert_int_equal(g->pin_pinned, 519992720);
	assert_int_equal(g->pin_address, 0x55b8a3c6d490);
	/* the pointer malloc returned: the chunk + 16 */
	assert_string_equal(s->next, "who allocated the pin: memsleuth hotspots --from r.hotspots --address 0x55b8a3c6d4a0");
	assert_string_equal(s->commands[0], "memsleuth arenas --json --hotspots r.hotspots 4242");

	ms_guide_conclude(g);
	int cause = -1, pin = -1;
	for (int i = 0; i < g->conclusions.n; i++) {
		if (!strncmp(g->conclusions.v[i].text, "glibc's main heap keeps", 23))
			cause = i;
		if (!strncmp(g->conclusions.v[i].text, "The pin:", 8))
			pin = i;
	}
	assert_true(cause >= 0);
	assert_int_equal(pin, cause + 1);   /* right after the cause it holds */
	assert_non_null(strstr(g->conclusions.v[pin].text, "allocated at pin.c:59 (main) by thread pin sits above 495.9 MiB "
						       "of freed memory; a heap shrinks only from its top"));
	assert_non_null(strstr(g->conclusions.v[pin].text, "Fix it where the block is allocated or freed"));
	assert_string_equal(g->conclusions.v[pin].next, "memsleuth hotspots --from r.hotspots --address 0x55b8a3c6d4a0");
	/* the cause's text names the site, and its remedies the fix in the code */
	assert_non_null(strstr(g->conclusions.v[cause].text, "allocated at pin.c:59 (main) by thread pin pins 495.9 MiB"));
	int fix = 0;
	for (int i = 0; i < g->causes.v[0].nrem; i++)
		fix |= strstr(g->causes.v[0].rem[i].command, "allocated or freed (pin.c:59 (main))") != NULL &&
		       g->causes.v[0].rem[i].advice;
	assert_true(fix);
	done(g);
}

static void temporary_recording_offers_a_kept_one(void **state)
{
	(void)state;
	struct ms_guide *g = guide_with(1, "/tmp/memsleuth-guide.1.x/hotspots", 0, 1);
	assert_non_null(strstr(g->step[MS_G_ARENAS].next, "with --report FILE.html the recording is kept"));
	assert_non_null(strstr(g->step[MS_G_ARENAS].next, "--address 0x55b8a3c6d4a0"));
	ms_guide_conclude(g);
	int pin = -1;
	for (int i = 0; i < g->conclusions.n; i++)
		if (!strncmp(g->conclusions.v[i].text, "The pin:", 8))
			pin = i;
	assert_true(pin >= 0);
	assert_string_equal(g->conclusions.v[pin].next, "memsleuth compare -- build/examples/pin --hold");
	done(g);
}

/* --report given, an earlier run's recording beside it: never "with
 * --report FILE.html the recording is kept" (it was given) */
static void report_given_recording_temporary(void **state)
{
	(void)state;
	struct ms_guide *g = calloc(1, sizeof *g);
	assert_non_null(g);
	ms_guide_init(g, 4242);
	g->launched = 1;
	snprintf(g->recording, sizeof g->recording, "/tmp/memsleuth-guide.1.x/hotspots");
	snprintf(g->recording_why, sizeof g->recording_why, "temporary: r.hotspots holds an earlier run's recording, "
		 "which the guide does not write over (remove it to keep this run's)");
	ms_guide_take_overview(g, parse(overview_json));
	char text[2048];
	arenas_text(text, sizeof text, "", ",\"allocated_at\":\"pin.c:59 (main)\",\"thread\":\"pin\",\"tid\":4242");
	ms_guide_take_arenas(g, parse(text));
	assert_string_equal(g->step[MS_G_ARENAS].next, "who allocated the pin, in full: this run's recording was "
			    "temporary (an earlier one is beside the report): remove that one and rerun the guide");
	done(g);
}

static void unnamed_pin_says_why_in_one_line(void **state)
{
	(void)state;
	struct ms_guide *g = guide_with(0, NULL, 0, 0);   /* attached to a PID */
	const char *ev = evidence_with(&g->step[MS_G_ARENAS], "the pin:");
	assert_non_null(ev);
	assert_non_null(strstr(ev, "pins 495.9 MiB -- its call site is not known: the guide attached to a running process"));
	assert_string_equal(g->step[MS_G_ARENAS].next, "who allocates (hotspots)");
	ms_guide_conclude(g);
	for (int i = 0; i < g->conclusions.n; i++)
		assert_null(strstr(g->conclusions.v[i].text, "The pin:"));   /* no site: no such conclusion */
	done(g);

	g = calloc(1, sizeof *g);
	assert_non_null(g);
	ms_guide_init(g, 4242);
	g->launched = 1;
	snprintf(g->recording_note, sizeof g->recording_note, "no allocation recording (statically linked)");
	char text[2048];
	arenas_text(text, sizeof text, "", "");
	ms_guide_take_arenas(g, parse(text));
	ev = evidence_with(&g->step[MS_G_ARENAS], "the pin:");
	assert_non_null(ev);
	assert_non_null(strstr(ev, "its call site is not known: no allocation recording (statically linked)"));
	done(g);
}

/* A top site in a module without symbols: said once with the package
 * that names it, and "??" kept out of the verdict and the remedies. */
static void unnamed_site_says_which_symbols(void **state)
{
	(void)state;
	struct ms_guide *g = guide_with(1, "r.hotspots", 1, 1);
	ms_guide_take_hotspots(g, parse("{\"events\":10,\"dropped\":0,\"threads\":[{\"tid\":4242,\"name\":\"python3\","
					"\"calls\":10,\"requested_bytes\":1000}],\"sites\":[{\"symbol\":\"0x5555551064f4\","
					"\"dso\":\"/usr/bin/python3.11\",\"calls\":10,\"live_bytes\":100,"
					"\"address\":\"0x5555551064f4\",\"dso_offset\":1074420}]}"));
	const struct ms_gstep *s = &g->step[MS_G_HOTSPOTS];
	assert_string_equal(evidence_with(s, "no symbols"), "the top call site is in python3.11, which has no symbols "
			    "here: its debug symbols (apt install python3.11-dbg) names it");
	assert_null(strstr(s->verdict, "??"));
	assert_non_null(strstr(s->verdict, "code in python3.11 without symbols (python3.11+0x1064f4)"));
	ms_guide_conclude(g);
	for (int i = 0; i < g->causes.n; i++)
		for (int r = 0; r < g->causes.v[i].nrem; r++)
			assert_null(strstr(g->causes.v[i].rem[r].effect, "??"));
	done(g);
}

/* The syscalls step of trial 3's pins12 guide, its tracer cut after
 * 0.1 s (figures of a real stap-bpf run that fell back to tracefs): the
 * evidence and the verdict say partial, the heap count is a lower bound;
 * the whole trace of the same shape says neither. */
static const char syscalls_fmt[] =
	"{\"step\":\"syscalls\",\"backend\":\"stap-bpf\",\"partial\":%s,\"partial_reason\":%s,"
	"\"segments\":[{\"backend\":\"stap-bpf\",\"from_s\":0,\"to_s\":0.12,\"events\":358}%s],"
	"\"totals\":[{\"syscall\":\"brk\",\"count\":3,\"length_bytes\":135168},"
	"{\"syscall\":\"mprotect\",\"count\":329,\"length_bytes\":52326400}],\"arena_heaps_created\":5,"
	"\"verdicts\":[%s{\"level\":\"info\",\"text\":\"%s5 arena heaps were created while tracing: threads spread their "
	"allocations over more arenas.\",\"next\":\"\"}]}";

static void syscalls_partial_said_as_partial(void **state)
{
	(void)state;
	static const char why[] = "stap-bpf traced 0.12 s, then stap exited with status 1: \\\"bpfinterp.cxx:741: printf "
				  "already started\\\" after losing 342 perf events; tracefs traced from 0.15 s to the end (2.30 s)";
	char text[4096], reason[600], notice[800];
	snprintf(reason, sizeof reason, "\"%s\"", why);
	snprintf(notice, sizeof notice, "{\"level\":\"notice\",\"text\":\"The trace is partial: %s; its counts are "
		 "lower bounds.\",\"next\":\"\"},", why);
	snprintf(text, sizeof text, syscalls_fmt, "true", reason,
		 ",{\"backend\":\"tracefs\",\"from_s\":0.15,\"to_s\":2.3,\"events\":60000}", notice, "At least ");
	struct ms_guide *g = guide_with(1, NULL, 0, 0);
	ms_guide_take_syscalls(g, parse(text));
	const struct ms_gstep *s = &g->step[MS_G_SYSCALLS];
	assert_non_null(evidence_with(s, "backend: stap-bpf, then tracefs"));
	const char *p = evidence_with(s, "PARTIAL trace: ");
	assert_non_null(p);
	assert_non_null(strstr(p, "\"bpfinterp.cxx:741: printf already started\" after losing 342 perf events"));
	assert_non_null(evidence_with(s, "arena heaps created: at least 5"));
	assert_true(strncmp(s->verdict, "The trace is partial: stap-bpf traced 0.12 s", 44) == 0);
	assert_non_null(strstr(s->verdict, "At least 5 arena heaps were created"));
	done(g);

	snprintf(text, sizeof text, syscalls_fmt, "false", "null", "", "", "");
	g = guide_with(1, NULL, 0, 0);
	ms_guide_take_syscalls(g, parse(text));
	s = &g->step[MS_G_SYSCALLS];
	assert_null(evidence_with(s, "PARTIAL"));
	assert_non_null(evidence_with(s, "arena heaps created: 5"));
	assert_string_equal(s->verdict, "5 arena heaps were created while tracing: threads spread their allocations over more arenas.");
	done(g);
}

/* compare's plan (trial3 #7): glibc's heaps under 10% of the gap run only
 * the baseline and the allocator swaps, said in one line; at 10%, or
 * 64 MiB, or without overview's split, every configuration */
static void compare_plan_follows_glibc_share(void **state)
{
	(void)state;
	/* PHP's Zend MM: RSS 66.1 MiB, 1.8 MiB in glibc's heaps, 1 MiB accounted */
	static const char zend[] =
		"{\"step\":\"overview\",\"name\":\"php\",\"rss_bytes\":69311692,\"malloc_rss_bytes\":1887436,"
		"\"allocator\":\"glibc\",\"arenas\":1,\"classes\":[{\"class\":\"anon_other\",\"rss_bytes\":50960000,"
		"\"mappings\":4}]}";
	struct ms_guide *g = calloc(1, sizeof *g);
	assert_non_null(g);
	ms_guide_init(g, 4242);
	g->has_accounted = 1;
	g->accounted = 1u << 20;
	char list[400], why[400];
	assert_int_equal(ms_guide_compare_plan(g, list, sizeof list, why, sizeof why), 0);   /* nothing measured */
	ms_guide_take_overview(g, parse(zend));
	assert_int_equal(ms_guide_compare_plan(g, list, sizeof list, why, sizeof why), 1);
	assert_string_equal(list, "glibc,jemalloc,jemalloc-decay-0,tcmalloc,mimalloc,mimalloc-page-reset,mimalloc-decommit-0");
	assert_string_equal(why, "glibc's heaps hold 1.8 MiB of the 65.1 MiB gap: its settings cannot reach the rest; ran "
			    "the allocator swaps only, which reach only what is allocated through malloc");
	g->has_accounted = 0;   /* without --accounted: of the RSS */
	assert_int_equal(ms_guide_compare_plan(g, list, sizeof list, why, sizeof why), 1);
	assert_non_null(strstr(why, "of the 66.1 MiB RSS"));
	g->malloc_rss = (g->rss + 9) / 10;   /* 10%: glibc's settings may matter */
	assert_int_equal(ms_guide_compare_plan(g, list, sizeof list, why, sizeof why), 0);
	assert_string_equal(list, "");
	assert_string_equal(why, "");
	g->rss = 4ull << 30;          /* 64 MiB in glibc: never ruled out by its share */
	g->malloc_rss = 64ull << 20;
	assert_int_equal(ms_guide_compare_plan(g, list, sizeof list, why, sizeof why), 0);
	done(g);
	g = guide_with(1, NULL, 0, 0);   /* the pin: glibc holds it all */
	assert_int_equal(ms_guide_compare_plan(g, list, sizeof list, why, sizeof why), 0);
	done(g);
}

/* guide --core on overview --core's findings of a process that is gone
 * (pid 2^22 - 1 is above pid_max's default, never a live process here):
 * the core's bytes stand in for RSS, the live-only checks rerun the
 * core's command, and the refusals name the allocator or the cut core. */
static const char core_json[] =
	"{\"step\":\"overview\",\"source\":\"core\",\"pid\":4194303,\"name\":\"pin\",\"command\":\"./pin --hold\","
	"\"written_by\":\"kernel\",\"signal\":6,\"rss_bytes\":null,\"residency\":\"core_holes\","
	"\"mapped_bytes\":110000000,\"in_core_bytes\":105000000,\"malloc_in_core_bytes\":104000000,\"partial\":false,"
	"\"missing\":null,\"allocator\":\"glibc\",\"glibc_version\":\"2.36\",\"libc_error\":null,\"arenas\":1,"
	"\"arena_heaps\":0,\"threads\":1,\"classes\":[{\"class\":\"main_heap\",\"in_core_bytes\":104000000,"
	"\"size_bytes\":104000000,\"mappings\":1}]}";

static void core_steps_and_live_only(void **state)
{
	(void)state;
	struct ms_guide *g = calloc(1, sizeof *g);
	assert_non_null(g);
	ms_guide_init(g, 0);
	g->has_accounted = 1;
	g->accounted = 8u << 20;
	char why[600];
	struct ms_jval *f = parse(core_json);
	assert_null(ms_guide_core_refusal(f, "core", why, sizeof why));
	ms_guide_core_facts(g, f, "core", " --sysroot /r");
	assert_int_equal(g->pid, 4194303);
	assert_int_equal(g->rss, 105000000);             /* the stand-in: the core's bytes */
	assert_int_equal(g->main_heap_rss, 104000000);
	ms_guide_take_accounted(g);
	assert_non_null(evidence_with(&g->step[MS_G_ACCOUNTED], "RSS: not in a core"));
	assert_non_null(strstr(g->step[MS_G_ACCOUNTED].verdict, "above the 8.0 MiB"));
	ms_guide_take_overview(g, NULL);
	assert_string_equal(g->step[MS_G_OVERVIEW].commands[0], "memsleuth overview --json --core core --sysroot /r");
	assert_non_null(evidence_with(&g->step[MS_G_OVERVIEW], "on signal 6 SIGABRT"));
	ms_guide_core_skip(g, MS_G_HOTSPOTS);
	assert_int_equal(g->step[MS_G_HOTSPOTS].status, MS_G_SKIPPED);
	/* gone: the rerun of its command, not its PID */
	assert_string_equal(g->step[MS_G_HOTSPOTS].commands[0],
			    "memsleuth guide -- ./pin --hold   # a rerun of its command, recorded from its start");
	assert_int_equal(g->nlive_only, 5);
	assert_string_equal(g->live_only[4].what, "compare");
	ms_guide_free(g);
	free(g);
}

static void core_refusals(void **state)
{
	(void)state;
	char why[600], text[sizeof core_json + 64];
	snprintf(text, sizeof text, "%s", core_json);
	memcpy(strstr(text, "\"glibc\""), "\"tcmal\"", 7);   /* same length: another allocator */
	struct ms_jval *f = parse(text);
	assert_non_null(ms_guide_core_refusal(f, "c", why, sizeof why));
	assert_non_null(strstr(why, "the allocator is tcmal, not glibc's malloc"));
	ms_jfree(f);
	f = parse("{\"pid\":1,\"allocator\":\"unknown\",\"missing\":\"its notes are cut\","
		  "\"libc_error\":\"core of process 0: no libc among its file mappings\"}");
	assert_non_null(ms_guide_core_refusal(f, "c", why, sizeof why));
	assert_non_null(strstr(why, "core c: partial (its notes are cut): core of process 0"));
	assert_non_null(strstr(why, "take the core whole"));
	ms_jfree(f);
}

/* The arenas step gave no figures (it ran past the guide's 120 s, or
 * failed): the experiment offered is memsleuth trim (ptrace), never gdb's
 * call, which Debian 12's gdb 13 breaks on this hardware (probe/ptcall.h;
 * trial 5, T5-10). */
static void arenas_unmeasured_offers_memsleuth_trim(void **state)
{
	(void)state;
	struct ms_guide *g = calloc(1, sizeof *g);
	assert_non_null(g);
	ms_guide_init(g, 4242);
	ms_guide_take_overview(g, parse(overview_json));
	ms_guide_take_arenas(g, NULL);
	const struct ms_gstep *s = &g->step[MS_G_ARENAS];
	assert_int_equal(s->ncmd, 2);
	assert_string_equal(s->commands[0], "memsleuth arenas --json 4242");
	assert_string_equal(s->commands[1], "memsleuth trim 4242   # the experiment, modifies the target: calls "
			    "malloc_trim(0) in it and measures the RSS it gives back");
	for (int i = 0; i < s->ncmd; i++)
		assert_null(strstr(s->commands[i], "gdb"));
	assert_non_null(strstr(s->verdict, "Not measured here"));
	done(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syscalls_partial_said_as_partial),
		cmocka_unit_test(pin_named_from_the_recording),
		cmocka_unit_test(temporary_recording_offers_a_kept_one),
		cmocka_unit_test(report_given_recording_temporary),
		cmocka_unit_test(unnamed_pin_says_why_in_one_line),
		cmocka_unit_test(unnamed_site_says_which_symbols),
		cmocka_unit_test(compare_plan_follows_glibc_share),
		cmocka_unit_test(core_steps_and_live_only),
		cmocka_unit_test(core_refusals),
		cmocka_unit_test(arenas_unmeasured_offers_memsleuth_trim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The report renderer: charts drawn only from what the JSON holds (and the
 * lack said in words), exact bytes beside readable sizes, escaping of
 * hostile names, unknown steps, and input that is not findings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/jsonread.h"
#include "records/callsite.h"
#include "report/render.h"

static char *render(const char *json, enum ms_rfmt fmt, int *rc)
{
	struct ms_err e;
	struct ms_jval *doc = ms_jparse(json, strlen(json), "fixture", &e);
	assert_non_null(doc);
	char *buf = NULL;
	size_t len = 0;
	struct ms_render r;
	memset(&r, 0, sizeof r);
	r.fmt = fmt;
	r.out = open_memstream(&buf, &len);
	*rc = ms_render(doc, &r);
	fclose(r.out);
	ms_jfree(doc);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static const char arenas_json[] =
	"{\"step\":\"arenas\",\"pid\":42,\"glibc_version\":\"2.36\",\"trim_prediction_bytes\":3000000,"
	"\"totals\":{\"system_mem_bytes\":9000000,\"in_use_bytes\":1000000,\"free_bytes\":5000000,"
	"\"free_resident_bytes\":4000000,\"top_bytes\":10000},"
	"\"arenas\":[{\"address\":\"0x7f00\",\"is_main\":true,\"heaps\":1,\"system_mem_bytes\":6000000,"
	"\"in_use_bytes\":500000,\"free_bytes\":3000000,\"free_resident_bytes\":3000000,\"trim_bytes\":2000000},"
	"{\"address\":\"0x7e00\",\"is_main\":false,\"heaps\":3,\"system_mem_bytes\":3000000,"
	"\"in_use_bytes\":500000,\"free_bytes\":2000000,\"free_resident_bytes\":1000000}],"
	"\"verdicts\":[{\"level\":\"problem\",\"text\":\"free memory kept\",\"next\":\"memsleuth trim 42\"}]}";

static void arena_map_from_the_json(void **state)
{
	int rc;
	char *html = render(arenas_json, MS_R_HTML, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(count(html, "class=\"chart chart-stack\""), 1);
	assert_int_equal(count(html, "class=\"seg seg0\""), 2);          /* in use, both arenas */
	assert_int_equal(count(html, "class=\"seg seg2\""), 1);          /* trimmable: only where given */
	assert_int_equal(count(html, "class=\"seg seg3\""), 1);          /* released: free - resident */
	assert_non_null(strstr(html, "main (1 heap) free, resident, trimmable: 2000000 bytes"));
	assert_non_null(strstr(html, "0x7e00 (3 heaps) free, released: 1000000 bytes"));
	assert_non_null(strstr(html, "not per heap"));
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html, "memsleuth arenas --json 42"));
	free(html);
}

static void says_what_is_missing(void **state)
{
	int rc;
	char *txt = render("{\"step\":\"arenas\",\"pid\":7,\"totals\":{\"free_bytes\":4096}}", MS_R_TEXT, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(txt, "no per-arena figures in this JSON: the arena map cannot be drawn"));
	assert_non_null(strstr(txt, "4096 bytes"));
	free(txt);
	char *md = render(arenas_json, MS_R_MD, &rc);
	assert_non_null(strstr(md, "| malloc_trim(0) would return | 2.9 MiB | 3000000 bytes |"));
	assert_non_null(strstr(md, "chart \"Arena map\" left out"));    /* no file to put it beside */
	assert_non_null(strstr(md, "- **problem**: free memory kept"));
	free(md);
}

static void escapes_hostile_names(void **state)
{
	int rc;
	char *html = render("{\"step\":\"hotspots\",\"events\":3,\"dropped\":0,\"threads\":[{\"tid\":5,"
			    "\"name\":\"<script>x</script>\",\"calls\":3,\"requested_bytes\":96}],"
			    "\"sites\":[{\"symbol\":\"a|b&c\",\"dso\":\"/l.so\",\"calls\":3,\"requested_bytes\":96,\"live_bytes\":0}]}",
			    MS_R_HTML, &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(html, "<script>"));
	assert_non_null(strstr(html, "&lt;script&gt;x&lt;/script&gt;"));
	assert_non_null(strstr(html, "a|b&amp;c"));
	assert_int_equal(count(html, "<rect class=\"bar\""), 1);
	free(html);
	char *md = render("{\"step\":\"hotspots\",\"sites\":[{\"symbol\":\"a|b\",\"calls\":1}]}", MS_R_MD, &rc);
	assert_non_null(strstr(md, "| a\\|b+0x0 ??:? (?\?) |"));
	free(md);
}

/* "function+offset file:line (object)", every unknown part said as ?? */
static void call_site_forms(void **state)
{
	(void)state;
	struct ms_sym s = { .found = 1, .func = "inflate", .offset = 0x1a, .dso = "/usr/lib/libz.so.1",
			    .dso_offset = 0x3f20, .file = "/build/zlib/inflate.c", .line = 123 };
	char b[200];
	ms_callsite_format(&s, 0x7f0000003f20, b, sizeof b);
	assert_string_equal(b, "inflate+0x1a inflate.c:123 (libz.so.1)");
	s.file[0] = 0;
	ms_callsite_format(&s, 0x7f0000003f20, b, sizeof b);
	assert_string_equal(b, "inflate+0x1a ??:? (libz.so.1)");
	s.func[0] = 0;
	ms_callsite_format(&s, 0x7f0000003f20, b, sizeof b);
	assert_string_equal(b, "?? (libz.so.1+0x3f20)");
	s.found = 0;
	ms_callsite_format(&s, 0x7f0000003f20, b, sizeof b);
	assert_string_equal(b, "?? (0x7f0000003f20)");
	char small[8];
	s.found = 1;
	ms_callsite_format(&s, 0x7f0000003f20, small, sizeof small);
	assert_string_equal(small, "?? (lib");   /* cut, always terminated */
}

/* hotspots schema_version 3 (docs/json.md): the renderer reads
 * requested_bytes only; a version 1 document says it is older instead of
 * showing its "bytes" as 0 silently. */
static void reads_current_names_says_older(void **state)
{
	int rc;
	(void)state;
	char *txt = render("{\"step\":\"hotspots\",\"schema_version\":3,\"threads\":[{\"tid\":5,\"name\":\"w\","
			   "\"calls\":3,\"requested_bytes\":2048}]}", MS_R_TEXT, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(txt, "2.0 KiB"));
	assert_null(strstr(txt, "schema_version"));
	free(txt);
	txt = render("{\"step\":\"hotspots\",\"schema_version\":1,\"threads\":[{\"tid\":5,\"name\":\"w\","
		     "\"calls\":3,\"bytes\":2048}]}", MS_R_TEXT, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(txt, "This hotspots document has schema_version 1; this memsleuth reads version 3"));
	assert_null(strstr(txt, "2.0 KiB"));
	free(txt);
}

static void unknown_step_and_not_findings(void **state)
{
	int rc;
	char *txt = render("{\"step\":\"future\",\"widgets\":12,\"mode\":\"x\"}", MS_R_TEXT, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(txt, "widgets"));
	assert_non_null(strstr(txt, "12"));
	free(txt);
	struct ms_err e;
	struct ms_jval *doc = ms_jparse("[1,2]", 5, "f", &e);
	struct ms_render r;
	memset(&r, 0, sizeof r);
	r.out = fopen("/dev/null", "w");
	assert_int_equal(ms_render(doc, &r), -1);
	assert_non_null(strstr(r.err.msg, "no \"step\" field"));
	fclose(r.out);
	ms_jfree(doc);
}

/* A syscalls step whose tracer was cut (trial 3): the report says partial,
 * names both backends and gives the heap count as a lower bound. */
static void syscalls_partial_in_the_report(void **state)
{
	(void)state;
	int rc;
	char *html = render("{\"step\":\"syscalls\",\"backend\":\"stap-bpf\",\"partial\":true,"
			    "\"partial_reason\":\"stap-bpf traced 0.12 s, then stap exited with status 1\","
			    "\"segments\":[{\"backend\":\"stap-bpf\"},{\"backend\":\"tracefs\"}],\"arena_heaps_created\":5}",
			    MS_R_HTML, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(count(html, "partial trace (counts are lower bounds)"), 1);
	assert_int_equal(count(html, "stap-bpf traced 0.12 s, then stap exited with status 1"), 1);
	assert_int_equal(count(html, "stap-bpf, then tracefs"), 1);
	assert_int_equal(count(html, "at least 5"), 1);
	free(html);
	html = render("{\"step\":\"syscalls\",\"backend\":\"tracefs\",\"partial\":false,\"arena_heaps_created\":12}",
		      MS_R_HTML, &rc);
	assert_int_equal(count(html, "partial"), 0);
	assert_int_equal(count(html, "at least"), 0);
	free(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(syscalls_partial_in_the_report),
		cmocka_unit_test(arena_map_from_the_json),
		cmocka_unit_test(says_what_is_missing),
		cmocka_unit_test(escapes_hostile_names),
		cmocka_unit_test(call_site_forms),
		cmocka_unit_test(reads_current_names_says_older),
		cmocka_unit_test(unknown_step_and_not_findings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

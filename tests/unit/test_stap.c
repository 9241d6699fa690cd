/* The stap step's script analysis: the lexer (comments, strings, embedded
 * code, preprocessor branches), the preflight's findings and line numbers,
 * and --translate's exact output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "findings/staplex.h"
#include "findings/stappreflight.h"
#include "findings/staptranslate.h"

static struct ms_stap_preflight check(const char *s, int bpf, int kprobes)
{
	struct ms_stap_preflight p;
	struct ms_stap_host h = { .bpf = bpf, .kprobes = kprobes };
	struct ms_err e;
	assert_int_equal(ms_stap_preflight(s, strlen(s), &h, &p, &e), 0);
	return p;
}

static void test_lexer(void **state)
{
	(void)state;
	const char *s = "# @hist_log\nprobe begin { /* x\n y */ printf(\"a\\\"b\") } %{ raw %}\n";
	struct ms_stoks t;
	struct ms_err e;
	assert_int_equal(ms_stap_lex(s, strlen(s), &t, &e), 0);
	/* probe begin { printf ( "a\"b" ) } %{..%} */
	assert_int_equal(t.n, 9);
	assert_true(ms_stok_is(&t, 0, "probe"));
	assert_int_equal(t.v[0].line, 2);
	assert_int_equal(t.v[3].kind, MS_STOK_IDENT);
	assert_int_equal(t.v[3].line, 3);
	assert_int_equal(t.v[5].kind, MS_STOK_STRING);
	assert_int_equal(t.v[8].kind, MS_STOK_EMBED);
	ms_stoks_free(&t);
	assert_int_equal(ms_stap_lex("probe begin { \"open", 19, &t, &e), -1);
	assert_non_null(strstr(e.msg, "line 1"));
}

static void test_preflight_bpf(void **state)
{
	(void)state;
	const char *s =
		"# print_ubacktrace() in a comment\n"
		"global h\n"
		"probe syscall.madvise { h <<< length; printf(\"%d %s\\n\", length, \"ubacktrace()\") }\n"
		"probe syscall.munmap.return { delete h }\n"
		"probe process(\"/lib/libc.so.6\").function(\"malloc\") { print_ubacktrace(); x = \"a\" . \"b\" }\n"
		"probe end { print(@hist_log(h)); s = sprintf(\"%ld\", @count(h)) }\n";
	struct ms_stap_preflight p = check(s, 1, 1);
	const char *want[][2] = {
		{ "3", "syscall.madvise" }, { "3", "%d" }, { "4", "syscall.munmap.return" }, { "4", "delete" },
		{ "5", "print_ubacktrace" }, { "5", "string concatenation" }, { "6", "@hist_log" },
	};
	assert_int_equal(p.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < p.n; i++) {
		assert_int_equal(p.v[i].line, atoi(want[i][0]));
		assert_string_equal(p.v[i].construct, want[i][1]);
	}
	assert_int_equal(p.fatal, 6);   /* %d is a warning: it runs, wrongly */
	assert_non_null(strstr(p.v[0].advice, "`if ($id != 28) next` and start=$regs->di length=$regs->si advice=$regs->dx"));
	assert_non_null(strstr(p.v[2].advice, "$regs->orig_ax != 11"));
	ms_stap_preflight_free(&p);
}

static void test_preflight_kprobes_and_runtime(void **state)
{
	(void)state;
	const char *s =
		"probe kprobe.function(\"do_madvise\") { }\n"
		"probe kernel.function(\"do_brk\") { }\n"
		"%( runtime == \"bpf\" %? probe kernel.trace(\"sys_enter\") { } %: probe syscall.brk { } %)\n"
		"probe kernel.trace(\"sys_exit\") { %( runtime != \"bpf\" %? x = @max(1) %) }\n";
	/* module runtime, kernel without kprobes: only the kprobe constructs */
	struct ms_stap_preflight p = check(s, 0, 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.v[0].construct, "kprobe");
	assert_string_equal(p.v[1].construct, "kernel.function");
	assert_int_equal(p.v[1].line, 2);
	ms_stap_preflight_free(&p);
	/* bpf with kprobes: the untaken branches do not count */
	p = check(s, 1, 1);
	assert_int_equal(p.n, 0);
	ms_stap_preflight_free(&p);
}

static const char *translate(const char *s, int *probes)
{
	static struct ms_stap_translation t;
	struct ms_err e;
	ms_stap_translation_free(&t);
	assert_int_equal(ms_stap_translate(s, strlen(s), &t, &e), 0);
	*probes = t.probes;
	return t.text;
}

static void test_translate(void **state)
{
	(void)state;
	int n;
	const char *out = translate(
		"# syscall.madvise stays in comments\n"
		"probe syscall.madvise {\n\tprintf(\"%s %ld %s\\n\", name, length, advice_str)\n}\n", &n);
	assert_int_equal(n, 1);
	assert_string_equal(out,
		"# syscall.madvise stays in comments\n"
		"probe kernel.trace(\"sys_enter\") { if ($id != 28) next; name = \"madvise\"; length = $regs->si; "
		"advice = ($regs->dx << 32) >> 32; /* syscall.madvise, memsleuth stap --translate */\n"
		"\tprintf(\"%s %ld %ld\\n\", name, length, advice)\n}\n");
	out = translate("probe syscall.brk.return, timer.s(1) { if ($return < 0) printf(\"%s\\n\", retstr) }", &n);
	assert_int_equal(n, 1);
	assert_string_equal(out,
		"probe kernel.trace(\"sys_exit\") { if ($regs->orig_ax != 12) next; "
		"/* syscall.brk.return, memsleuth stap --translate */ if ($ret < 0) printf(\"%ld\\n\", $ret) }\n"
		"probe timer.s(1) { if ($return < 0) printf(\"%s\\n\", retstr) }");
	/* mmap's 4th argument comes in r10, not rcx */
	out = translate("probe syscall.mmap2 { f = flags }", &n);
	assert_non_null(strstr(out, "flags = $regs->r10;"));
	/* not ours: left byte for byte */
	const char *other = "probe syscall.open { }\nprobe kernel.trace(\"sys_enter\") { }\n";
	out = translate(other, &n);
	assert_int_equal(n, 0);
	assert_string_equal(out, other);
	struct ms_stap_translation t;
	struct ms_err e;
	assert_int_equal(ms_stap_translate("x", 1, &t, &e), 0);
	ms_stap_translation_free(&t);
	translate("", &n);   /* frees the last */
}

/* Scripts made of stap's significant pieces in random order: the lexer,
 * preflight and translator must stay inside their buffers (ASan) and
 * never fail on anything but unterminated text. */
static void test_soup(void **state)
{
	(void)state;
	static const char *const piece[] = {
		"probe ", "syscall", ".", "madvise", "return", "{", "}", "(", ")", ",", "\"s\"", "\"", "%(", "%?",
		"%:", "%)", "runtime", "==", "\"bpf\"", "%{", "%}", "/*", "*/", "#", "\n", "printf", "\"%d %s\"",
		"retstr", "name", "length", "$return", "delete", "@hist_log", "kprobe", "=", " ", "mmap2", "?",
	};
	unsigned seed = 12345;
	char buf[512];
	for (int round = 0; round < 3000; round++) {
		size_t len = 0;
		while (len < 400) {
			seed = seed * 1103515245u + 12345u;
			const char *p = piece[(seed >> 16) % (sizeof piece / sizeof piece[0])];
			size_t l = strlen(p);
			memcpy(buf + len, p, l);
			len += l;
		}
		struct ms_stap_preflight pf;
		struct ms_stap_translation t;
		struct ms_stap_host h = { .bpf = round & 1, .kprobes = 0 };
		struct ms_err e;
		if (ms_stap_preflight(buf, len, &h, &pf, &e) == 0)
			ms_stap_preflight_free(&pf);
		if (ms_stap_translate(buf, len, &t, &e) == 0)
			ms_stap_translation_free(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lexer), cmocka_unit_test(test_preflight_bpf),
		cmocka_unit_test(test_preflight_kprobes_and_runtime), cmocka_unit_test(test_translate),
		cmocka_unit_test(test_soup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

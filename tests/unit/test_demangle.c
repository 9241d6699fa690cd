/* util/demangle.c: C++ names as people read them, anything else
 * unchanged, never a crash on untrusted input.  The expected names are
 * c++filt's (binutils) for the same symbols. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/demangle.h"

static void check(const char *in, const char *want, int demangled)
{
	char buf[512];
	assert_int_equal(ms_demangle(in, buf, sizeof buf), demangled);
	assert_string_equal(buf, want);
}

static void real_names(void **state)
{
	(void)state;
	check("_ZN4Conf4makeEv", "Conf::make()", 1);
	check("_Znwm", "operator new(unsigned long)", 1);
	check("_Znam", "operator new[](unsigned long)", 1);
	check("_ZnwmRKSt9nothrow_t", "operator new(unsigned long, std::nothrow_t const&)", 1);
	check("_ZnwmSt11align_val_t", "operator new(unsigned long, std::align_val_t)", 1);
	check("_ZdlPvm", "operator delete(void*, unsigned long)", 1);
	check("_ZL9make_confv", "make_conf()", 1);
	check("_ZN2os6mallocEm8MEMFLAGSRK15NativeCallStack",
	      "os::malloc(unsigned long, MEMFLAGS, NativeCallStack const&)", 1);
	/* a GCC clone stays readable; a symbol version (.symtab) is dropped */
	check("_ZN4Conf4makeEv.cold", "Conf::make() [clone .cold]", 1);
	check("_Znwm@@GLIBCXX_3.4", "operator new(unsigned long)", 1);
	check("_ZNSt6chrono3_V212system_clock3nowEv@GLIBCXX_3.4.19", "std::chrono::_V2::system_clock::now()", 1);
}

static void not_cxx(void **state)
{
	(void)state;
	check("main", "main", 0);
	check("f", "f", 0);   /* __cxa_demangle alone would say "float" */
	check("i", "i", 0);
	check("_Z", "_Z", 0);
	check("", "", 0);
	/* a C symbol's version, as libc6-dbg's .symtab spells it, is no part of its name */
	check("__libc_start_main@@GLIBC_2.34", "__libc_start_main", 0);
	check("pthread_create@GLIBC_2.2.5", "pthread_create", 0);
	check("malloc@@GLIBC_2.2.5", "malloc", 0);
	/* what is no version stays: a leading '@', an empty one, a second '@' */
	check("@foo", "@foo", 0);
	check("foo@", "foo@", 0);
	check("foo@@", "foo@@", 0);
	check("a@b@c", "a@b@c", 0);
	char buf[8];
	assert_int_equal(ms_demangle(NULL, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
}

static void garbage(void **state)
{
	(void)state;
	/* malformed encodings: copied unchanged */
	check("_ZN4Conf4make", "_ZN4Conf4make", 0);
	check("_Z999999999999999999999x", "_Z999999999999999999999x", 0);
	check("_ZZZZZZZZZZ", "_ZZZZZZZZZZ", 0);
	check("_ZN\xff\xfe\x01", "_ZN\xff\xfe\x01", 0);
	check("_ZSt_S_S0_S1_", "_ZSt_S_S0_S1_", 0);
	/* deep nesting and long input: bounded, copied or demangled, no crash */
	char deep[MS_DEMANGLE_IN_MAX + 64];
	strcpy(deep, "_Z1f");
	size_t n = strlen(deep);
	while (n + 2 < MS_DEMANGLE_IN_MAX)
		deep[n++] = 'P';
	deep[n++] = 'i';
	deep[n] = 0;
	char out[64];
	ms_demangle(deep, out, sizeof out);
	assert_true(strlen(out) < sizeof out);
	memset(deep, 'N', sizeof deep - 1);
	memcpy(deep, "_Z", 2);
	deep[sizeof deep - 1] = 0;   /* longer than MS_DEMANGLE_IN_MAX: left alone */
	assert_int_equal(ms_demangle(deep, out, sizeof out), 0);
	assert_int_equal(strncmp(out, "_ZNNN", 5), 0);
	/* every byte value after "_Z", one at a time and in pairs */
	for (int a = 1; a < 256; a++)
		for (int b = 0; b < 256; b += 17) {
			char in[8] = { '_', 'Z', (char)a, (char)b, 'v', 0 };
			char o[128];
			ms_demangle(in, o, sizeof o);
			assert_true(strlen(o) < sizeof o);
		}
}

static void small_buffers(void **state)
{
	(void)state;
	char buf[8];
	assert_int_equal(ms_demangle("_ZN4Conf4makeEv", buf, sizeof buf), 1);
	assert_string_equal(buf, "Conf::m");   /* cut, terminated */
	assert_int_equal(ms_demangle("_ZN4Conf4makeEv", buf, 0), 1);
	assert_int_equal(ms_demangle("main", buf, 1), 0);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_names),
		cmocka_unit_test(not_cxx),
		cmocka_unit_test(garbage),
		cmocka_unit_test(small_buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* util/subproc.h ms_child_start: the one way a program is started --
 * its error line when it cannot run (exec, the prepare step), the
 * environment put over ours, descriptors, its own process group, and a
 * held start released (or abandoned). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/subproc.h"

static int exit_code(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void exec_failure_is_one_line(void **state)
{
	(void)state;
	char *argv[] = { "/nonexistent/prog", NULL };
	struct ms_start s = { .argv = argv };
	struct ms_err e = { 0 };
	assert_int_equal(ms_child_start(&s, &e), -1);
	assert_string_equal(e.msg, "cannot run /nonexistent/prog: No such file or directory");
	assert_string_equal(e.hint, "install it or fix PATH");
}

static int refuse(void *arg)
{
	(void)arg;
	errno = EPERM;
	return -1;
}

static void prepare_failure_named(void **state)
{
	(void)state;
	char *argv[] = { "true", NULL };
	struct ms_start s = { .argv = argv, .prepare = refuse, .prepare_what = "seccomp filter",
			      .prepare_hint = "try --backend tracefs" };
	struct ms_err e = { 0 };
	assert_int_equal(ms_child_start(&s, &e), -1);
	assert_string_equal(e.msg, "cannot run true: seccomp filter: Operation not permitted");
	assert_string_equal(e.hint, "try --backend tracefs");
}

/* env_set over ours, stdout into a pipe, stderr onto that stdout (taken
 * as it was: the pipe's descriptor, not the child's new 1), own group */
static void env_fds_group(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	setenv("MS_T_KEEP", "kept", 1);
	setenv("MS_T_SET", "old", 1);
	char *argv[] = { "sh", "-c", "printf '%s %s %s' \"$MS_T_KEEP\" \"$MS_T_SET\" \"$(ps -o pgid= -p $$ | tr -d ' ')\"; "
			 "printf ' err' >&2; read x || printf ' eof'", NULL };
	const char *env[] = { "MS_T_SET=new", NULL };
	struct ms_start s = { .argv = argv, .env_set = env, .own_group = 1, .fd = { MS_FD_NULL, p[1], p[1] } };
	struct ms_err e = { 0 };
	pid_t pid = ms_child_start(&s, &e);
	assert_true(pid > 0);
	close(p[1]);
	char buf[256] = "";
	size_t got = 0;
	ssize_t n;
	while ((n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	close(p[0]);
	assert_int_equal(exit_code(pid), 0);
	char want[128];
	snprintf(want, sizeof want, "kept new %d err eof", (int)pid);
	assert_string_equal(buf, want);
}

static void held_release_and_abandon(void **state)
{
	(void)state;
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	int hold = -1;
	struct ms_start s = { .argv = argv, .hold = &hold };
	struct ms_err e = { 0 };
	pid_t pid = ms_child_start(&s, &e);
	assert_true(pid > 0);
	assert_true(hold >= 0);
	usleep(20000);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);   /* still held */
	assert_int_equal(ms_child_release(&s, &e), 0);
	assert_int_equal(hold, -1);
	assert_int_equal(exit_code(pid), 7);

	pid = ms_child_start(&s, &e);
	assert_true(pid > 0);
	close(hold);   /* abandoned: exits unexecuted */
	hold = -1;
	assert_int_equal(exit_code(pid), 127);

	char *bad[] = { "/nonexistent/prog", NULL };
	s.argv = bad;
	pid = ms_child_start(&s, &e);
	assert_true(pid > 0);
	assert_int_equal(ms_child_release(&s, &e), -1);
	assert_string_equal(e.msg, "cannot run /nonexistent/prog: No such file or directory");
	assert_int_equal(exit_code(pid), 127);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exec_failure_is_one_line),
		cmocka_unit_test(prepare_failure_named),
		cmocka_unit_test(env_fds_group),
		cmocka_unit_test(held_release_and_abandon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

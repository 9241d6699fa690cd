/* findings/launch.h: which process of a launched command is the program,
 * on hand-made process images (times in seconds), and the summary's break
 * restarting at exec (the 85.7 TiB "ends below it" of issue 16). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "findings/launch.h"
#include "findings/memsyssum.h"

static struct ms_launch_image img(pid_t pid, pid_t ppid, const char *name, double start, double end, uint64_t calls)
{
	struct ms_launch_image i = { .pid = pid, .ppid = ppid, .start_s = start, .end_s = end, .calls = calls };
	snprintf(i.name, sizeof i.name, "%s", name);
	return i;
}

/* sh -c 'exec prog': one pid, two images: the last is the program */
static void test_exec_chain(void **state)
{
	(void)state;
	struct ms_launch_image v[] = { img(10, 1, "sh", 0, 0.01, 15), img(10, 1, "prog", 0.01, 2, 40) };
	size_t p = ms_launch_decide(v, 2, 10, 2);
	assert_int_equal(p, 1);
	assert_int_equal(v[0].role, MS_LAUNCH_WRAPPER);
	assert_int_equal(v[1].role, MS_LAUNCH_PROGRAM);
	char line[256];
	ms_launch_line(v, 2, p, line, sizeof line);
	assert_string_equal(line, "wrapper: sh (pid 10) -> program: prog (pid 10)");
}

/* a script: dirname and uname (short steps), then forks java and waits */
static void test_fork_and_wait(void **state)
{
	(void)state;
	struct ms_launch_image v[] = {
		img(10, 1, "run.sh", 0, 5.0, 2000), img(11, 10, "dirname", 0.01, 0.02, 30),
		img(12, 10, "uname", 0.03, 0.04, 30), img(13, 10, "bash", 0.05, 0.06, 50),
		img(13, 10, "java", 0.06, 4.99, 90000), img(14, 13, "jspawnhelper", 1.0, 1.1, 10),
	};
	size_t p = ms_launch_decide(v, 6, 10, 5.0);
	assert_int_equal(p, 4);
	assert_int_equal(v[0].role, MS_LAUNCH_WRAPPER);
	assert_int_equal(v[1].role, MS_LAUNCH_WRAPPER);
	assert_int_equal(v[3].role, MS_LAUNCH_WRAPPER);   /* the child before its exec */
	assert_int_equal(v[5].role, MS_LAUNCH_PROGRAM);   /* the program's own child */
	char line[256];
	ms_launch_line(v, 6, p, line, sizeof line);
	assert_string_equal(line, "wrapper: run.sh (pid 10, 2 children: dirname, uname) -> bash (pid 13) -> program: java (pid 13)");
	size_t n;
	uint64_t calls, w;
	ms_launch_wrapper_sum(v, 6, &n, &calls, &w);
	assert_int_equal(n, 4);
	assert_int_equal(calls, 2110);
}

/* a program that does its work, then runs a helper and waits: its own */
static void test_helper_is_not_the_program(void **state)
{
	(void)state;
	struct ms_launch_image v[] = { img(10, 1, "prog", 0, 1.0, 9000), img(11, 10, "helper", 0.9, 0.99, 12) };
	assert_int_equal(ms_launch_decide(v, 2, 10, 1.0), 0);
	assert_int_equal(ms_launch_has_wrapper(v, 2), 0);
	assert_int_equal(v[1].role, MS_LAUNCH_PROGRAM);
}

/* a master and its workers side by side: one program, the master */
static void test_workers(void **state)
{
	(void)state;
	struct ms_launch_image v[] = { img(10, 1, "master", 0, 3, 100), img(11, 10, "worker", 0.1, 3, 5000),
				       img(12, 10, "worker", 0.1, 3, 5000) };
	assert_int_equal(ms_launch_decide(v, 3, 10, 3), 0);
	assert_int_equal(ms_launch_has_wrapper(v, 3), 0);
}

/* live: the wrapper is seen blocked in wait() for a smaller child */
static void test_live_waiting(void **state)
{
	(void)state;
	struct ms_launch_image v[] = { img(10, 1, "run.sh", 100, -1, 0), img(11, 10, "prog", 100.2, -1, 0) };
	v[0].weight = 3 << 20;
	v[1].weight = 1 << 20;
	assert_int_equal(ms_launch_decide(v, 2, 10, 160), 0);   /* not known to wait: the bigger stays */
	v[0].waiting = 1;
	assert_int_equal(ms_launch_decide(v, 2, 10, 160), 1);
	assert_int_equal(ms_launch_decide(v, 2, 99, 160), (size_t)-1);   /* root not among them */
}

/* live: a program blocked in wait() for the command it runs with system()
 * (sh -c 'sleep 30' -> sleep) while it holds its memory: it stays the
 * program (trial3 #1: lua5.4 138 MiB, its sleep 2.6 MiB) */
static void test_live_program_runs_command(void **state)
{
	(void)state;
	struct ms_launch_image v[] = { img(10, 1, "lua5.4", 100, -1, 0), img(12, 10, "sh", 107, -1, 0),
				       img(13, 12, "sleep", 107.01, -1, 0) };
	v[0].weight = 138ull << 20;
	v[1].weight = 1ull << 20;
	v[2].weight = 2662ull << 10;
	v[0].waiting = v[1].waiting = 1;
	v[1].launcher = 1;
	size_t p = ms_launch_decide(v, 3, 10, 110);
	assert_int_equal(p, 0);
	assert_int_equal(ms_launch_has_wrapper(v, 3), 0);
	assert_int_equal(v[0].why, MS_LAUNCH_KEPT_RSS);
	assert_int_equal(v[0].vs_bytes, 2662ull << 10);   /* the largest of the child's tree: sleep */
	char line[256];
	ms_launch_line(v, 3, p, line, sizeof line);
	assert_string_equal(line, "program: lua5.4 (pid 10), 138.0 MiB RSS; its child sh (pid 12), 2.6 MiB with its "
			    "children, runs a command it started");
	/* not far above: 4x but not 16 MiB more (a small program): the old rule */
	v[0].weight = 12ull << 20;
	assert_int_equal(ms_launch_decide(v, 3, 10, 110), 2);
	assert_int_equal(v[0].why, MS_LAUNCH_GAVE_WAITING);
	/* RSS close, but glibc's heaps far above: the program still */
	v[0].heap = 120ull << 20;
	v[2].heap = 132ull << 10;
	assert_int_equal(ms_launch_decide(v, 3, 10, 110), 0);
	assert_int_equal(v[0].why, MS_LAUNCH_KEPT_HEAP);
	ms_launch_line(v, 3, 0, line, sizeof line);
	assert_string_equal(line, "program: lua5.4 (pid 10), 120.0 MiB in glibc's heaps; its child sh (pid 12), "
			    "132.0 KiB in glibc's heaps with its children, runs a command it started");
}

/* live: sh -c 'prog; true' where prog runs a command: sh gives way (a
 * shell), prog stays; a big program behind a shell that waits is reached
 * whatever the shell's size */
static void test_live_shell_then_program(void **state)
{
	(void)state;
	struct ms_launch_image v[] = { img(9, 1, "sh", 99.9, -1, 0), img(10, 9, "prog", 100, -1, 0),
				       img(12, 10, "sh", 107, -1, 0), img(13, 12, "sleep", 107.01, -1, 0) };
	v[0].weight = 3ull << 20;
	v[1].weight = 110ull << 20;
	v[2].weight = 1ull << 20;
	v[3].weight = 2ull << 20;
	v[0].waiting = v[1].waiting = v[2].waiting = 1;
	v[0].launcher = v[2].launcher = 1;
	snprintf(v[0].exe, sizeof v[0].exe, "dash");
	size_t p = ms_launch_decide(v, 4, 9, 110);
	assert_int_equal(p, 1);
	assert_int_equal(v[0].role, MS_LAUNCH_WRAPPER);
	assert_int_equal(v[3].role, MS_LAUNCH_PROGRAM);   /* the command it runs is the program's */
	char line[400];
	ms_launch_line(v, 4, p, line, sizeof line);
	assert_string_equal(line, "wrapper: sh (pid 9) -> program: prog (pid 10), 110.0 MiB RSS; its child sh (pid 12), "
			    "2.0 MiB with its children, runs a command it started; sh (pid 9), 3.0 MiB RSS, is a "
			    "shell or launcher (dash) running it");
	/* a launcher not seen waiting (timeout waits in sigsuspend) still gives way */
	v[0].waiting = 0;
	v[1].weight = 1ull << 20;   /* the program small at the start */
	assert_int_equal(ms_launch_decide(v, 4, 9, 110), 3);   /* and the small command behind it is not far below */
	/* a far bigger shell (a script that loaded a big array) stays the program */
	v[0].weight = 200ull << 20;
	assert_int_equal(ms_launch_decide(v, 4, 9, 110), 0);
}

static void test_far_above_and_launchers(void **state)
{
	(void)state;
	assert_true(ms_launch_far_above(138ull << 20, 2662ull << 10));
	assert_false(ms_launch_far_above(12ull << 20, 2ull << 20));   /* 6x, but only 10 MiB more */
	assert_false(ms_launch_far_above(100ull << 20, 30ull << 20)); /* 70 MiB more, but 3.3x */
	assert_false(ms_launch_far_above(0, 0));
	assert_true(ms_launch_far_above(UINT64_MAX, UINT64_MAX / 5));
	assert_false(ms_launch_far_above(UINT64_MAX, UINT64_MAX / 2));   /* no overflow */
	assert_true(ms_launch_is_launcher("bash"));
	assert_true(ms_launch_is_launcher("dash"));
	assert_true(ms_launch_is_launcher("env"));
	assert_true(ms_launch_is_launcher("timeout"));
	assert_false(ms_launch_is_launcher("lua5.4"));
	assert_false(ms_launch_is_launcher("python3"));
	assert_false(ms_launch_is_launcher(""));
	assert_false(ms_launch_is_launcher(NULL));
}

/* the break is per image: an exec starts a new one, never a delta across */
static void test_brk_across_exec(void **state)
{
	(void)state;
	struct ms_sys_summary *s = calloc(1, sizeof *s);
	assert_int_equal(ms_sys_summary_init(s), 0);
	struct ms_sysev e = { .tid = 10, .tgid = 10, .sc = MS_SC_BRK, .comm = "sh" };
	e.ret = 0x555555000000;                   /* sh: brk(0), then +132 KiB */
	ms_sys_summary_add(s, &e);
	e.arg[0] = 0x555555021000;
	e.ret = 0x555555021000;
	ms_sys_summary_add(s, &e);
	struct ms_procev x = { .kind = MS_PROC_EXEC, .tgid = 10, .tid = 10, .comm = "python3" };
	ms_sys_summary_proc(s, &x, 0.01);
	struct ms_sysev p = { .tid = 10, .tgid = 10, .sc = MS_SC_BRK, .comm = "python3" };
	p.ret = 0x000001000000;                   /* python3's break, far below sh's */
	ms_sys_summary_add(s, &p);
	p.arg[0] = 0x000001100000;
	p.ret = 0x000001100000;
	ms_sys_summary_add(s, &p);
	assert_int_equal(s->nbrk, 2);
	assert_int_equal(s->brk[1].grown, 0x100000);
	assert_int_equal(s->brk[1].shrunk, 0);
	assert_true(s->brk[1].cur >= s->brk[1].first);
	ms_sys_summary_finish(s, 10, 1.0);
	assert_int_equal(s->program, 1);
	assert_string_equal(s->images[1].name, "python3");
	assert_int_equal(s->total[MS_SC_BRK].count, 2);          /* the program's */
	assert_int_equal(s->wrapper_total[MS_SC_BRK].count, 2);  /* sh's, apart */
	assert_true(ms_sys_brk_of_wrapper(s, &s->brk[0]));
	ms_sys_summary_free(s);
	free(s);
}

/* the exec line came late (per-CPU buffers): a break tens of GiB away is
 * a new image's, never a move */
static void test_brk_jump_without_exec_line(void **state)
{
	(void)state;
	struct ms_sys_summary *s = calloc(1, sizeof *s);
	assert_int_equal(ms_sys_summary_init(s), 0);
	struct ms_sysev e = { .tid = 10, .tgid = 10, .sc = MS_SC_BRK, .ret = 0x555555000000 };
	ms_sys_summary_add(s, &e);
	e.arg[0] = e.ret = 0x555555021000;
	ms_sys_summary_add(s, &e);
	e.arg[0] = 0;
	e.ret = 0x000001000000;                   /* the next image's brk(0) */
	ms_sys_summary_add(s, &e);
	assert_int_equal(s->nbrk, 2);
	assert_int_equal(s->brk[0].shrunk, 0);
	assert_true(s->brk[0].cur >= s->brk[0].first);
	assert_int_equal(s->brk[1].first, 0x000001000000);
	ms_sys_summary_free(s);
	free(s);
}

static void test_procline(void **state)
{
	(void)state;
	struct ms_procev pe;
	assert_int_equal(ms_procline_parse("F 10 11", &pe), 'F');
	assert_int_equal(pe.child, 11);
	assert_int_equal(ms_procline_parse("X 10 python3", &pe), 'X');
	assert_string_equal(pe.comm, "python3");
	assert_int_equal(ms_procline_parse("Q 10 12 1", &pe), 'Q');
	assert_int_equal(pe.tid, 12);
	assert_int_equal(pe.group, 1);
	assert_int_equal(ms_procline_parse("S 1 2 3 4 5 6 7 8", &pe), 0);
	assert_int_equal(ms_procline_parse("F -1 2", &pe), 0);
	assert_int_equal(ms_procline_parse("F 99999999999 2", &pe), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_chain), cmocka_unit_test(test_fork_and_wait),
		cmocka_unit_test(test_helper_is_not_the_program), cmocka_unit_test(test_workers),
		cmocka_unit_test(test_live_waiting), cmocka_unit_test(test_live_program_runs_command),
		cmocka_unit_test(test_live_shell_then_program), cmocka_unit_test(test_far_above_and_launchers),
		cmocka_unit_test(test_brk_across_exec),
		cmocka_unit_test(test_brk_jump_without_exec_line), cmocka_unit_test(test_procline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

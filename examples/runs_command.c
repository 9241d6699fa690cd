/* A program that holds free memory in glibc's heap and then runs a
 * command with system(), blocked in wait() while the command runs: the
 * Lua os.execute / Python subprocess.run / popen shape.  N blocks of 64 B,
 * one in KEEP kept alive (a live block every ~3.8 KiB with the defaults,
 * like scatter), so ~100 MiB of free memory stays in the main heap
 * between live blocks, resident; then system(CMD).  The program is this
 * process, not the small command it waits for (findings/launch.h).
 *
 * usage: runs_command [--blocks N] [--keep-one-in K] [--run CMD] [--malloc-info FILE]
 * phases: running (printed just before system(CMD); exits when CMD ends) */
#include "example_common.h"

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	long n = 1300000, keep = 48;
	const char *cmd = "sleep 30";
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--blocks") && i + 1 < argc)
			n = ex_num(argv[++i], "blocks");
		else if (!strcmp(argv[i], "--keep-one-in") && i + 1 < argc)
			keep = ex_num(argv[++i], "keep-one-in");
		else if (!strcmp(argv[i], "--run") && i + 1 < argc)
			cmd = argv[++i];
		else {
			fprintf(stderr, "usage: runs_command [--blocks N] [--keep-one-in K] [--run CMD] [--malloc-info FILE]\n");
			return 2;
		}
	}
	if (n < 1 || n > 100000000 || keep < 2) {
		fprintf(stderr, "runs_command: --blocks 1..100000000, --keep-one-in 2 or more\n");
		return 2;
	}
	if (ex_scatter(n, keep) < 0)
		return 1;
	o.hold = 0;   /* the command is what it waits for */
	ex_phase(&o, "running", 1);
	int st = system(cmd);
	return st == -1 ? 1 : 0;
}

/* A workload whose final RSS varies from run to run, on purpose and
 * deterministically: what compare must do with a spread.  Run k of a
 * setting keeps the k-th size of its list (mod its length) touched in
 * memory at the line, so three runs give three values, as a program whose
 * threads meet different arenas does (trial5's pool: 211.4, 346.7 and
 * 224.0 MiB with one arena, against 341.7..354.5 MiB by default).  The
 * setting is the value of MALLOC_ARENA_MAX ("default" when unset); the
 * run counter of each setting is the file DIR/count.SETTING.
 *
 * usage: run_spread --state DIR [--mib LIST] [--for VALUE LIST]...
 *                   [--sleep-for VALUE S] [--spin-for VALUE S] [--hold] [--step]
 *   --mib LIST          MiB kept by default, comma-separated (default 40)
 *   --for VALUE LIST    MiB kept when MALLOC_ARENA_MAX=VALUE
 *   --sleep-for VALUE S sleep S seconds before the line under that value
 *                       (wall time without CPU time)
 *   --spin-for VALUE S  use S seconds of CPU before the line under that value
 * phases: kept */
#include <time.h>
#include "example_common.h"

#define MAX_RULES 8

struct rule { const char *value, *list; double sleep_s, spin_s; };

/* The n-th (mod count) number of a comma-separated list. */
static long nth(const char *list, long n)
{
	long count = 1;
	for (const char *p = list; *p; p++)
		count += *p == ',';
	n %= count;
	const char *p = list;
	while (n-- > 0)
		p = strchr(p, ',') + 1;
	return strtol(p, NULL, 10);
}

/* The run number of this setting: 0, 1, 2, ... from DIR/count.SETTING. */
static long next_run(const char *dir, const char *setting)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/count.%s", dir, setting);
	long k = 0;
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &k) != 1)
			k = 0;
		fclose(f);
	}
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fprintf(f, "%ld\n", k + 1);
	fclose(f);
	return k;
}

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct ex_opts o = { 0 };
	struct rule rules[MAX_RULES];
	int nrules = 0;
	const char *dir = NULL, *list = "40";
	double sleep_s = 0, spin_s = 0;
	const char *setting = getenv("MALLOC_ARENA_MAX");
	for (int i = 1; i < argc; i++) {
		if (ex_common_opt(&o, argc, argv, &i))
			continue;
		if (!strcmp(argv[i], "--state") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--mib") && i + 1 < argc)
			list = argv[++i];
		else if ((!strcmp(argv[i], "--for") || !strcmp(argv[i], "--sleep-for") || !strcmp(argv[i], "--spin-for")) &&
			 i + 2 < argc && nrules < MAX_RULES) {
			struct rule r = { .value = argv[i + 1] };
			if (argv[i][2] == 'f')
				r.list = argv[i + 2];
			else if (argv[i][3] == 'l')
				r.sleep_s = atof(argv[i + 2]);
			else
				r.spin_s = atof(argv[i + 2]);
			rules[nrules++] = r;
			i += 2;
		} else {
			fprintf(stderr, "usage: run_spread --state DIR [--mib LIST] [--for VALUE LIST]... "
				"[--sleep-for VALUE S] [--spin-for VALUE S] [--hold] [--step]\n");
			return 2;
		}
	}
	if (!dir) {
		fprintf(stderr, "run_spread: --state DIR is needed (the run counters)\n");
		return 2;
	}
	for (int i = 0; i < nrules; i++)
		if (setting && !strcmp(rules[i].value, setting)) {
			if (rules[i].list)
				list = rules[i].list;
			sleep_s += rules[i].sleep_s;
			spin_s += rules[i].spin_s;
		}
	ex_block_signals();
	long mib = nth(list, next_run(dir, setting ? setting : "default"));
	char *keep = malloc((size_t)mib << 20);
	if (!keep)
		return 1;
	memset(keep, 1, (size_t)mib << 20);
	for (double t0 = cpu_now(); spin_s > 0 && cpu_now() - t0 < spin_s;)
		;
	if (sleep_s > 0)
		usleep((useconds_t)(sleep_s * 1e6));
	ex_phase(&o, "kept", 1);
	free(keep);
	return 0;
}

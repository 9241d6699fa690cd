/* A step's conclusions in plain words, each with the next thing to run.
 * Steps fill these; report writers print them; the guide reads them. */
#ifndef MS_VERDICT_H
#define MS_VERDICT_H

enum ms_level { MS_INFO = 0, MS_NOTICE = 1, MS_PROBLEM = 2 };

#define MS_MAX_VERDICTS 16

struct ms_verdict {
	enum ms_level level;
	char text[400];
	char next[200];       /* a command to run next, may be empty */
};

struct ms_verdicts {
	struct ms_verdict v[MS_MAX_VERDICTS];
	int n;
};

void ms_verdict_add(struct ms_verdicts *vs, enum ms_level level, const char *next,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

const char *ms_level_name(enum ms_level l);

/* The worst severity among a step's findings: the highest level, -1 when
 * there is none.  What --fail-on compares with (cli/args.h ms_args_exit);
 * the one place a step's severity is summed up, so that a richer cause
 * model changes it here. */
int ms_verdicts_worst(const struct ms_verdicts *vs);

#endif

/* Running a parsed lab inside this process.  The heap under study is our
 * own, so the runner keeps its bookkeeping off it: block sets and step
 * records live in mmap'd memory, output goes out with write(2) from stack
 * buffers, and checkpoints go through probe/selfcheck.h. */
#ifndef MS_LABRUN_H
#define MS_LABRUN_H

#include <stdint.h>
#include "records/labfile.h"
#include "util/err.h"

struct ms_lab_record {
	int      line;
	char     did[240];      /* what the step did, as printed */
	uint64_t rss;           /* after the step */
	int      ok;            /* 0: a failed expectation */
};

struct ms_labrun {
	int   out_fd;           /* where the step lines go (1, or 2 under --json) */
	int   width;            /* step lines wrapped to this many columns (0: not wrapped) */
	void *stdout_file;      /* FILE* the `stdout` call argument means */
	/* results */
	struct ms_lab_record *rec;  /* mmap'd, one per top-level step */
	size_t nrec, rec_cap;
	int   failed_expects;
};

/* Resolve every call's symbol now, so a missing one is reported as
 * FILE:LINE:COL before any step runs (call? steps may stay unresolved). */
int  ms_lab_link(struct ms_lab *lab, struct ms_err *e);

/* Run the steps.  Returns 0 when every step ran (expectations may have
 * failed: see failed_expects), -1 on an error that stopped the lab. */
int  ms_lab_run(const struct ms_lab *lab, struct ms_labrun *run, struct ms_err *e);
void ms_labrun_free(struct ms_labrun *run);

#endif

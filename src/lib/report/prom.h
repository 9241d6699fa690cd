/* The watch's figures in the Prometheus text exposition format (0.0.4), as
 * node_exporter's textfile collector reads it: HELP and TYPE lines, base
 * units, no timestamps, label values escaped and valid UTF-8.  The file is
 * replaced atomically: a private temp file in the same directory, whose
 * name does not end in .prom (the collector ignores it), renamed over
 * FILE.prom -- a scrape sees the previous complete version or the new one.
 * Mode 0666 & ~umask (0644 typically): node_exporter runs as its own user. */
#ifndef MS_PROM_H
#define MS_PROM_H

#include <limits.h>
#include <stdio.h>
#include "findings/timeseries.h"
#include "util/err.h"

struct ms_prom {
	char path[PATH_MAX];
	char dir[PATH_MAX];
	char base[256];
	unsigned long seq;       /* temp names: .BASE.PID.SEQ.tmp */
	int  written;            /* path holds our file */
};

/* Check path: ends in .prom, its directory exists and a file can be created
 * there (a temp file is made and removed).  Returns 0, or -1 with e set. */
int ms_prom_open(struct ms_prom *p, const char *path, struct ms_err *e);

/* The exposition of the series' latest figures (comm is the target's
 * name, any bytes). */
void ms_prom_expose(FILE *out, const struct ms_tseries *ts, const char *comm);

/* Write the exposition atomically.  Returns 0, or -1 with e set (the
 * previous file is left as it was). */
int ms_prom_write(struct ms_prom *p, const struct ms_tseries *ts, const char *comm, struct ms_err *e);

/* Remove the file we wrote (a stale series misleads). */
void ms_prom_remove(struct ms_prom *p);

/* A label value escaped for the exposition: \ " and newline escaped,
 * invalid UTF-8 bytes replaced by U+FFFD. */
void ms_prom_label(FILE *out, const char *s);

#endif

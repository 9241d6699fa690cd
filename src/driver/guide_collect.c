/* memsleuth guide: getting each step's findings as JSON -- overview and
 * doctor in-process, the other steps as children (`memsleuth STEP --json`),
 * a JVM's NMT total through jcmd. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "findings/doctor.h"
#include "findings/javaheap.h"
#include "util/trust.h"
#include "findings/overview.h"
#include "findings/tsample.h"
#include "guide_int.h"
#include "report/doctor_report.h"
#include "records/nmt.h"
#include "report/overview_report.h"
#include "util/size.h"
#include "util/steprun.h"

static struct ms_jval *parse_buf(const char *buf, size_t len, const char *name, char *why, size_t whylen)
{
	struct ms_err e = { 0 };
	struct ms_jval *v = ms_jparse(buf, len, name, &e);
	if (!v)
		snprintf(why, whylen, "its JSON could not be read: %s", e.msg);
	return v;
}

static const char *findings_start(const char *out)
{
	if (!out)
		return NULL;
	const char *p = out;
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	if (*p == '{')
		return p;
	p = strstr(out, "\n{");
	return p ? p + 1 : (*out ? out : NULL);
}

/* Run `memsleuth STEP args...` and read its findings.  NULL when the step
 * is not in this build, failed, or its JSON was unreadable; st says so. */
/* While a step runs: the target's RSS for the report's timeline (a few
 * samples a second are plenty; the series keeps at most MS_TS_KEEP). */
static void sample_rss(void *arg)
{
	struct ms_guide *g = arg;
	double t = gl_now() - g->t_start;
	if (g->rss_series.nsamples && t - g->rss_series.last.t < 0.2)
		return;
	uint64_t rss = ms_statm_rss(g->pid);
	if (rss)
		ms_guide_sample(g, t, rss);
}

int guide_self(char *self, size_t len, char *why, size_t whylen)
{
	/* The steps are this very executable, unless MEMSLEUTH_STEPS names
	 * another (a different build, or a test's stand-in). */
	const char *other = getenv("MEMSLEUTH_STEPS");
	if (other && *other) {
		struct ms_err te;
		if (ms_trust_check(other, self, len, "unset MEMSLEUTH_STEPS", &te) < 0) {
			snprintf(why, whylen, "%s", te.msg);
			return -1;
		}
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", self, len - 1);
	if (n <= 0) {
		snprintf(why, whylen, "cannot find the memsleuth executable (/proc/self/exe)");
		return -1;
	}
	self[n] = 0;
	return 0;
}

struct ms_jval *guide_run_step(struct ms_guide *g, struct ms_gstep *st, const char *step, char **args, int timeout_s)
{
	char self[PATH_MAX], why0[400];
	if (guide_self(self, sizeof self, why0, sizeof why0) < 0) {
		ms_gstep_set(st, MS_G_FAILED, why0);
		return NULL;
	}
	char *argv[80];
	int k = 0;
	argv[k++] = self;
	argv[k++] = (char *)step;
	argv[k++] = "--json";
	for (int i = 0; args && args[i] && k < 79; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	struct ms_steprun c;
	char label[64], line[400];
	snprintf(label, sizeof label, "memsleuth %s", step);
	int rc = ms_steprun_run_tick(argv, &c, timeout_s * 1000, label, &guide_stop, sample_rss, g);
	struct ms_jval *v = NULL;
	char why[600];
	const char *doc;
	if (rc == 2 && strstr(c.err, "not available in this build yet")) {
		snprintf(why, sizeof why, "%s", ms_steprun_errline(&c, line, sizeof line));
		ms_gstep_set(st, MS_G_UNAVAILABLE, why);
	} else if ((rc == 0 || rc == MS_STEPRUN_TIMEOUT || rc == MS_STEPRUN_INTERRUPTED) &&
		   (doc = findings_start(c.out))) {
		/* A step that also lets a launched command print to stdout:
		 * its findings are the document from the first line with '{'. */
		if (doc != c.out)
			ms_gstep_evidence(st, "the step's output had %zu bytes of the command's own output before its findings",
					  (size_t)(doc - c.out));
		if (rc == MS_STEPRUN_TIMEOUT)
			ms_gstep_evidence(st, "it ran past %d s and was stopped with Ctrl-C: the findings are what it had", timeout_s);
		if (rc == MS_STEPRUN_INTERRUPTED)
			ms_gstep_evidence(st, "interrupted: the findings are what it had");
		v = parse_buf(doc, c.outlen - (size_t)(doc - c.out), label, why, sizeof why);
		if (!v)
			ms_gstep_set(st, MS_G_FAILED, why);
	} else {
		if (rc == MS_STEPRUN_TIMEOUT)
			snprintf(why, sizeof why, "%s took longer than %d s and was stopped", label, timeout_s);
		else if (rc == MS_STEPRUN_INTERRUPTED)
			snprintf(why, sizeof why, "%s was interrupted", label);
		else
			snprintf(why, sizeof why, "%s", *ms_steprun_errline(&c, line, sizeof line) ? line : "it failed without a message");
		ms_gstep_set(st, MS_G_FAILED, why);
	}
	ms_steprun_free(&c);
	return v;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* A JVM with NMT on tells what it accounts for, counted as what of it is
 * resident: NMT commits much it never touches (an -Xms Java heap, GC
 * structures), and a committed total compared with RSS hides a native leak.
 *   Java heap:            its resident part (its range from GC.heap_info,
 *                         the RSS from smaps); unknown: NMT's committed
 *   other JVM categories: NMT committed less the Java heap and malloc,
 *                         at most the anonymous memory outside glibc's
 *                         heaps (anon_other) less the Java heap's RSS
 *   NMT's malloc line:    at most glibc malloc's RSS
 * so that live malloc memory beyond NMT's malloc line stays in the gap. */
int guide_jvm_accounted(struct ms_guide *g, const struct ms_jval *ov)
{
	char pid[16];
	snprintf(pid, sizeof pid, "%d", (int)g->pid);
	char *argv[] = { "jcmd", pid, "VM.native_memory", "summary", NULL };
	struct ms_steprun c;
	int rc = ms_steprun_run(argv, &c, 30000, "jcmd VM.native_memory", &guide_stop);
	struct ms_nmt nmt;
	int ok = 0;
	if (rc == 0 && c.out && ms_nmt_parse(c.out, &nmt) == 0) {
		ok = 1;
		g->have_nmt = 1;
		g->nmt_committed = nmt.committed;
		g->nmt_malloc = nmt.has_malloc ? nmt.malloc : 0;
		g->java_heap_committed = nmt.java_heap_committed;
		g->accounted = nmt.committed;
		snprintf(g->accounted_from, sizeof g->accounted_from, "NMT committed total, jcmd %d VM.native_memory summary",
			 (int)g->pid);
		ms_gstep_command(&g->step[MS_G_ACCOUNTED], "jcmd %d VM.native_memory summary", (int)g->pid);
		char *hargv[] = { "jcmd", pid, "GC.heap_info", NULL };
		struct ms_steprun h = { 0 };
		uint64_t res;
		if (nmt.has_java_heap && ms_steprun_run(hargv, &h, 30000, "jcmd GC.heap_info", &guide_stop) == 0 &&
		    ms_java_heap_resident(g->pid, h.out, nmt.java_heap_committed, &res) == 0) {
			g->have_java_heap_resident = 1;
			g->java_heap_resident = res;
			g->accounted = nmt.committed - (nmt.java_heap_committed - res);
			char a[MS_SIZE_BUF], b[MS_SIZE_BUF], d[MS_SIZE_BUF];
			snprintf(g->accounted_from, sizeof g->accounted_from,
				 "NMT committed %s less the Java heap's untouched part (committed %s, resident %s)",
				 ms_size_fmt(nmt.committed, a), ms_size_fmt(nmt.java_heap_committed, b), ms_size_fmt(res, d));
			ms_gstep_command(&g->step[MS_G_ACCOUNTED], "jcmd %d GC.heap_info   # the Java heap's range; its RSS from /proc/%d/smaps",
					 (int)g->pid, (int)g->pid);
		}
		ms_steprun_free(&h);
		uint64_t heap = g->have_java_heap_resident ? g->java_heap_resident : nmt.java_heap_committed;
		uint64_t rest = nmt.committed > nmt.java_heap_committed ? nmt.committed - nmt.java_heap_committed : 0;
		rest = rest > g->nmt_malloc ? rest - g->nmt_malloc : 0;
		uint64_t anon = ms_guide_class_rss(ov, "anon_other"), mrss = ms_ju64(ov, "malloc_rss_bytes", 0);
		if (ov && (anon || mrss)) {
			uint64_t jvm_anon = anon > heap ? anon - heap : 0;
			g->accounted = heap + min_u64(rest, jvm_anon) + min_u64(g->nmt_malloc, mrss);
			char a[MS_SIZE_BUF], b[MS_SIZE_BUF], d[MS_SIZE_BUF], e2[MS_SIZE_BUF];
			snprintf(g->accounted_from, sizeof g->accounted_from,
				 "the resident part of NMT's committed %s: Java heap %s, other JVM memory %s, NMT's malloc "
				 "line %s", ms_size_fmt(nmt.committed, a), ms_size_fmt(heap, b),
				 ms_size_fmt(min_u64(rest, jvm_anon), d), ms_size_fmt(min_u64(g->nmt_malloc, mrss), e2));
		}
		g->has_accounted = 1;
	} else {
		snprintf(g->accounted_from, sizeof g->accounted_from, "a JVM without Native Memory Tracking: start it with "
			 "-XX:NativeMemoryTracking=summary, or give --accounted");
	}
	ms_steprun_free(&c);
	return ok;
}

/* A step's findings as the guide reads them: its JSON document, written
 * by the same printer the step uses and parsed back. */
static struct ms_jval *as_findings(void (*emit)(const void *, struct ms_json *), const void *obj,
				   const char *what, struct ms_err *e)
{
	char *buf = NULL;
	size_t len = 0;
	struct ms_jval *v = NULL;
	FILE *m = open_memstream(&buf, &len);
	if (m) {
		struct ms_json j;
		ms_json_init(&j, m);
		emit(obj, &j);
		fclose(m);
		v = ms_jparse(buf, len, what, e);
	}
	free(buf);
	return v;
}

static void emit_overview(const void *o, struct ms_json *j) { ms_overview_json(o, j); }
static void emit_doctor(const void *o, struct ms_json *j) { ms_doctor_json(o, j); }

struct ms_jval *guide_overview_findings(struct ms_guide *g, struct ms_err *e)
{
	struct ms_overview *ov = calloc(1, sizeof *ov);
	if (!ov) {
		ms_err_set(e, 0, "out of memory", NULL, "overview");
		return NULL;
	}
	ov->has_accounted = g->has_accounted;
	ov->accounted = g->accounted;
	struct ms_jval *v = NULL;
	if (ms_overview_collect(g->pid, ov, e) == 0) {
		/* the moment examined: the guide's RSS (and the report's timeline's end) is this reading */
		g->examined_s = gl_now() - g->t_start;
		ms_guide_sample(g, g->examined_s, ov->rss);
		v = as_findings(emit_overview, ov, "overview", e);
	}
	free(ov);
	return v;
}

struct ms_jval *guide_doctor_findings(pid_t pid)
{
	struct ms_doctor *d = calloc(1, sizeof *d);
	struct ms_err e = { 0 };
	struct ms_jval *v = NULL;
	if (d && ms_doctor_collect(pid, d, &e) == 0)
		v = as_findings(emit_doctor, d, "doctor", &e);
	free(d);
	return v;
}

void guide_watch(struct ms_guide *g, double seconds)
{
	struct ms_sampler smp;
	struct ms_err e = { 0 };
	/* RSS at every sample; a walk when its CPU fits half of the time
	 * so far (tsample.c's budget): a heap of a million chunks walks in
	 * about a second, and walking at every sample left 3 points in 3 s,
	 * too few for any trend, RSS's included */
	if (seconds <= 0 || ms_sampler_open(g->pid, 0.5, 0, &smp, &e) < 0)
		return;
	smp.stop = &guide_stop;
	smp.nmt = 0;   /* jcmd costs half a second of CPU; the accounted step asks NMT once */
	g->watch.glibc = smp.glibc;
	g->watch_asked_s = seconds;
	/* 8 intervals or more, at least 0.1 s apart: enough points for a fit */
	double interval = seconds / 8 < 0.5 ? (seconds / 8 < 0.1 ? 0.1 : seconds / 8) : 0.5;
	for (uint64_t i = 0; !guide_stop; i++) {
		struct ms_sample s;
		if (ms_sampler_take(&smp, ms_mono_s() - smp.t0, &s, &e) < 0)
			break;
		ms_ts_add(&g->watch, &s);
		ms_guide_sample(g, gl_now() - g->t_start, s.rss);
		double next = smp.t0 + (double)(i + 1) * interval;
		/* the announced span bounds the watch even when walks are slow */
		if (next - smp.t0 > seconds + 1e-9 || ms_mono_s() - smp.t0 >= seconds)
			break;
		for (double left; !guide_stop && (left = next - ms_mono_s()) > 0;) {
			struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
			nanosleep(&ts, NULL);
		}
	}
	ms_guide_take_watch(g);
}

/* Lab scenario files: a small line language, one step per line, parsed
 * whole before anything runs so that a mistake is reported as
 * FILE:LINE:COLUMN: what was expected -- and nothing has happened yet.
 *
 *   # comment                       title TEXT          say TEXT
 *   alloc SET COUNT x SIZE          pin SET [SIZE]
 *   free SET | free SET[A..B] | free SET every K
 *   rss | heaps | arenas            expect rss|heaps|arenas OP VALUE  (OP < <= > >= ==)
 *   call SYMBOL(ARGS)  call? SYMBOL(ARGS)   (call? skips a symbol that is absent)
 *   declare TYPE SYMBOL(TYPES)      sleep DURATION (ms, s)
 *   threads N {  ...steps...  }     (alloc, pin, free, call, sleep, say inside)
 *
 * Call arguments are typed against a prototype (built in for the
 * allocators' control functions, or `declare`d) so that a wrong count or
 * type is a parse error, not a crash. */
#ifndef MS_LABFILE_H
#define MS_LABFILE_H

#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

#define MS_LAB_NAME 32
#define MS_LAB_MAX_ARGS 8

enum ms_lab_type { MS_LT_VOID, MS_LT_INT, MS_LT_UINT, MS_LT_LONG, MS_LT_SIZE, MS_LT_DOUBLE,
		   MS_LT_BOOL, MS_LT_PTR, MS_LT_STR, MS_LT_FILE };

struct ms_lab_proto {
	char name[64];
	enum ms_lab_type ret;
	enum ms_lab_type args[MS_LAB_MAX_ARGS];
	int nargs;
};

/* The prototypes every lab knows: malloc_trim, mallopt, malloc_stats,
 * malloc_info, mallctl, malloc_stats_print, mi_collect, mi_stats_print,
 * MallocExtension_ReleaseFreeMemory. */
const struct ms_lab_proto *ms_lab_builtin_proto(const char *name);
const char *ms_lab_type_name(enum ms_lab_type t);

enum ms_lab_argkind { MS_LA_INT, MS_LA_DOUBLE, MS_LA_STR, MS_LA_NULL, MS_LA_STDOUT, MS_LA_STDERR };

struct ms_lab_arg {
	enum ms_lab_argkind kind;
	long long i;
	double d;
	char *s;                /* owned */
	char text[48];          /* as written, for messages */
};

enum ms_lab_op { MS_LAB_TITLE, MS_LAB_SAY, MS_LAB_ALLOC, MS_LAB_PIN, MS_LAB_FREE, MS_LAB_RSS,
		 MS_LAB_HEAPS, MS_LAB_ARENAS, MS_LAB_EXPECT, MS_LAB_CALL, MS_LAB_SLEEP,
		 MS_LAB_THREADS };
enum ms_lab_free { MS_FREE_ALL, MS_FREE_RANGE, MS_FREE_EVERY };
/* rss; glibc arena heaps (64 MiB reservations); glibc arenas (main + owners of heaps) */
enum ms_lab_measure { MS_MEASURE_RSS, MS_MEASURE_HEAPS, MS_MEASURE_ARENAS };
enum ms_lab_cmp { MS_CMP_LT, MS_CMP_LE, MS_CMP_GT, MS_CMP_GE, MS_CMP_EQ };

struct ms_lab_step {
	enum ms_lab_op op;
	int line, col;                 /* of the step's first word */
	char *text;                    /* title/say text; owned */
	char set[MS_LAB_NAME];
	uint64_t count, size;          /* alloc, pin */
	enum ms_lab_free free_kind;
	uint64_t a, b, k;              /* free range [a, b), every k */
	enum ms_lab_measure expect_what;  /* expect rss | heaps | arenas */
	enum ms_lab_cmp cmp;
	uint64_t value;
	struct ms_lab_proto proto;     /* call */
	int optional;                  /* call? */
	struct ms_lab_arg args[MS_LAB_MAX_ARGS];
	int nargs;
	int sym_col;
	void *fn;                      /* call: resolved at link time, NULL if absent */
	char fn_lib[128];              /* the library that defines it */
	uint64_t ms;                   /* sleep */
	int nthreads;                  /* threads */
	struct ms_lab_step *body;      /* threads: owned */
	size_t nbody;
};

struct ms_lab {
	char path[4096];
	char title[200];
	struct ms_lab_step *steps;
	size_t n;
};

/* Parse text (len bytes) read from path.  Errors: "PATH:LINE:COL: expected ...". */
int  ms_lab_parse(const char *path, const char *text, size_t len, struct ms_lab *lab, struct ms_err *e);
void ms_lab_free(struct ms_lab *lab);

/* "500000 x 1.0 KiB", "rss < 10.0 MiB": a step in words (what it will do). */
void ms_lab_describe(const struct ms_lab_step *s, char *out, size_t outlen);

#endif

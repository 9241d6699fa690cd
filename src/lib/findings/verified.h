/* Which glibc releases memsleuth's reading of glibc's private structures
 * (heap_info, malloc_state, malloc_par: findings/glibclayout.c) has been
 * proven on by a passing test on a real libc of that release.  A release
 * not listed is read with the layout of its version range and is reported
 * as unverified.
 *
 * The table is kept by hand in verified.c, next to the tests that earn each
 * entry (tests/integration/portability.sh); `make portability` refuses to
 * write docs/portability.md when an entry claims a step the test results
 * do not show passing, so the table cannot drift into a claim. */
#ifndef MS_VERIFIED_H
#define MS_VERIFIED_H

#include <stddef.h>

struct ms_verified {
	const char *glibc;     /* "2.31" */
	const char *where;     /* the release it was proven on, and how */
	const char *steps;     /* the steps whose oracles pass, space separated */
};

/* The entry for a glibc version, or NULL when unverified. */
const struct ms_verified *ms_verified_find(const char *glibc_version);

/* "2.31, 2.36, 2.41": every verified version, into out. */
void ms_verified_list(char *out, size_t outlen);

#endif

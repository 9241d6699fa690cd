/* Sizes as people write and read them: "512M", "1.5G", "4096" in, "1.5 GiB"
 * out.  Units are binary (K = 1024) whatever the spelling, as in ps/pmap. */
#ifndef MS_SIZE_H
#define MS_SIZE_H

#include <stdint.h>
#include <stddef.h>

#define MS_SIZE_BUF 32

/* Parse a size: digits with an optional fraction, optional unit
 * (B, K, KB, KiB, M, MB, MiB, G, GB, GiB, T, TB, TiB; any case).
 * Returns 0, or -1 for empty, negative, garbage, or overflow. */
int ms_size_parse(const char *s, uint64_t *out);

/* Format bytes with one decimal and a binary unit: "512 B", "4.0 KiB",
 * "513.2 MiB", "1.5 GiB".  Returns buf. */
char *ms_size_fmt(uint64_t bytes, char buf[MS_SIZE_BUF]);

/* Seconds (as read from a trace line: "1.000123", also "1e99", "inf",
 * "nan") to nanoseconds; 0 for what no clock shows (negative, NaN, or
 * beyond 2^64 ns, about 584 years), so that no float -> integer
 * conversion is out of range. */
uint64_t ms_secs_to_ns(double s);

#endif

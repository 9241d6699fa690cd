#include "util/size.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int ms_size_parse(const char *s, uint64_t *out)
{
	if (!s)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	uint64_t whole = 0;
	int digits = 0;
	while (isdigit((unsigned char)*s)) {
		unsigned d = (unsigned)(*s - '0');
		if (whole > (UINT64_MAX - d) / 10)
			return -1;
		whole = whole * 10 + d;
		s++;
		digits++;
	}
	/* The fraction is kept as numerator/denominator, exact to 9 digits. */
	uint64_t frac = 0, den = 1;
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			if (den < 1000000000ull) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				den *= 10;
			}
			s++;
			digits++;
		}
	}
	if (!digits)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	static const struct { const char *name[4]; unsigned shift; } units[] = {
		{ { "", "b", NULL, NULL }, 0 },
		{ { "k", "kb", "kib", NULL }, 10 },
		{ { "m", "mb", "mib", NULL }, 20 },
		{ { "g", "gb", "gib", NULL }, 30 },
		{ { "t", "tb", "tib", NULL }, 40 },
	};
	char unit[8];
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= sizeof unit)
		return -1;
	memcpy(unit, s, n);
	unit[n] = 0;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		for (int j = 0; j < 4 && units[i].name[j]; j++) {
			if (strcasecmp(unit, units[i].name[j]) != 0)
				continue;
			unsigned sh = units[i].shift;
			if (sh && whole > (UINT64_MAX >> sh))
				return -1;
			uint64_t v = whole << sh;
			uint64_t f = (frac << sh) / den;  /* frac < den <= 1e9: no overflow for sh <= 40 */
			if (v > UINT64_MAX - f)
				return -1;
			*out = v + f;
			return 0;
		}
	}
	return -1;
}

char *ms_size_fmt(uint64_t bytes, char buf[MS_SIZE_BUF])
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	if (bytes < 1024) {
		snprintf(buf, MS_SIZE_BUF, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	double v = (double)bytes / 1024.0;
	int i = 0;
	while (v >= 1024.0 && i < 4) {
		v /= 1024.0;
		i++;
	}
	snprintf(buf, MS_SIZE_BUF, "%.1f %s", v, unit[i]);
	return buf;
}

uint64_t ms_secs_to_ns(double s)
{
	if (!(s >= 0) || s >= 18446744073.0)   /* NaN fails the first test */
		return 0;
	return (uint64_t)(s * 1e9);
}

/*
 * parse.c — the command line's durations and sizes (parse.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"

bool parse_duration(const char *s, double *seconds)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
	    {"", 1},	  {"s", 1},	{"ms", 1e-3}, {"us", 1e-6},
	    {"µs", 1e-6}, {"ns", 1e-9}, {"m", 60},    {"h", 3600},
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* strtod takes "inf", "nan" and hex: only plain decimals here */
	if (errno || end == s || !isfinite(v) || v <= 0 ||
	    strpbrk(s, "xXpPiInN"))
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			*seconds = v * units[i].mult;
			return *seconds > 0;
		}
	}
	return false;
}

unsigned int timeline_parse_size(const char *s)
{
	unsigned long long v, page = (unsigned long long)getpagesize();
	unsigned long long p2 = page;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	}
	/* checked before the shift, which would wrap ("17179869185G") */
	if (v > (1ull << 31) >> shift)
		return 0;
	v <<= shift;
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end || v == 0 || v > (1ull << 31))
		return 0;
	while (p2 < v)
		p2 <<= 1;
	return (unsigned int)p2;
}

/*
 * parse.c — the command line's durations and sizes, and the kernel's CPU
 * lists (parse.h).
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

/* a CPU number past any kernel's NR_CPUS: (int) of a larger one wrapped */
#define CPU_LIST_MAX (1 << 20)

int parse_cpu_list(const char *s, int *cpus, int max)
{
	int n = 0;

	while (*s && *s != '\n') {
		char *end;
		long lo, hi;

		errno = 0;
		lo = strtol(s, &end, 10);
		if (errno || end == s || lo < 0 || lo > CPU_LIST_MAX)
			return -EINVAL;
		hi = lo;
		s = end;
		if (*s == '-') {
			hi = strtol(s + 1, &end, 10);
			if (errno || end == s + 1 || hi < lo ||
			    hi > CPU_LIST_MAX)
				return -EINVAL;
			s = end;
		}
		for (long c = lo; c <= hi; c++) {
			if (n == max)
				return -EINVAL;
			cpus[n++] = (int)c;
		}
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return n;
}

/*
 * parse.h — the numbers rttrace's command line takes: durations
 * (--benchtime, --interval, --duration) and sizes (--ringbuf-size); and
 * the kernel's CPU lists (/sys/devices/system/cpu/online). Pure
 * functions of a string, apart so that their fuzz targets (tests/fuzz/)
 * link them without the tracer.
 */
#ifndef RTTRACE_PARSE_H
#define RTTRACE_PARSE_H

#include <stdbool.h>

/*
 * parse_duration reads a positive duration the way Go's time.ParseDuration
 * spells the common ones ("1s", "250ms", "1.5s", "2m", "100us") or a bare
 * number of seconds ("0.5"), into *seconds. Returns false if s is none.
 */
bool parse_duration(const char *s, double *seconds);

/* timeline_parse_size reads --ringbuf-size: bytes, or with a K, M or G
 * suffix; rounded up to a power of 2 of at least a page. 0 if invalid. */
unsigned int timeline_parse_size(const char *s);

/*
 * parse_cpu_list parses a kernel CPU list ("0-3,8,10-11", as in
 * /sys/devices/system/cpu/online) into cpus[0..max); returns how many, or
 * -EINVAL (also for a CPU number above 2^20, past any NR_CPUS).
 */
int parse_cpu_list(const char *s, int *cpus, int max);

#endif /* RTTRACE_PARSE_H */

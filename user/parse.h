/*
 * parse.h — the numbers rttrace's command line takes: durations
 * (--benchtime, --interval, --duration) and sizes (--ringbuf-size). Pure
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

#endif /* RTTRACE_PARSE_H */

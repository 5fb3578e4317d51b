/* stubs.c — rttrace.c's message functions for the fuzz targets, which
 * link user objects without rttrace.c: silent, for bad input is the
 * point. */
#include "rttrace.h"

struct rttrace_env rttrace_env;

void rt_errorf(const char *fmt, ...)
{
	(void)fmt;
}

void rt_warnf(const char *fmt, ...)
{
	(void)fmt;
}

void rt_notef(const char *fmt, ...)
{
	(void)fmt;
}

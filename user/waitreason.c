/*
 * waitreason.c — the wait reason strings, built from runtime/rt.h's
 * RT_WAITREASON_LIST (the list librt's rt_waitreason_string uses too),
 * rather than linking librt into rttrace.
 * Mirrors waitReasonStrings in Go's runtime/runtime2.go, in the order of
 * enum rt_waitreason in runtime/rt.h.
 */
#include <assert.h>
#include <stddef.h>

#include "rt.h"
#include "sched.h"
#include "waitreason.h"

static const char *const waitreason_strings[] = {
#define RT_WAITREASON_STRING(name, str) [name] = str,
    RT_WAITREASON_LIST(RT_WAITREASON_STRING)
#undef RT_WAITREASON_STRING
};

static_assert(sizeof(waitreason_strings) / sizeof(waitreason_strings[0]) ==
		  RT_WAIT_COUNT,
	      "a wait reason in runtime/rt.h has no string");
static_assert(SCHED_WAIT_COUNT == RT_WAIT_COUNT,
	      "bpf/sched.h SCHED_WAIT_COUNT must equal RT_WAIT_COUNT");

const char *waitreason_str(unsigned int reason)
{
	if (reason >= RT_WAIT_COUNT)
		return NULL;
	return waitreason_strings[reason];
}

/*
 * runtime2.c — string tables for runtime2.h's enums; mirrors
 * waitReasonStrings in runtime/runtime2.go.
 */
#include "runtime2.h"

static const char *const waitreason_strings[RT_WAIT_COUNT] = {
#define RT_WAITREASON_STRING(name, str) [name] = str,
    RT_WAITREASON_LIST(RT_WAITREASON_STRING)
#undef RT_WAITREASON_STRING
};

const char *rt_waitreason_string(enum rt_waitreason reason)
{
	if ((unsigned)reason >= RT_WAIT_COUNT)
		return "unknown wait reason";
	return waitreason_strings[reason];
}

/* mirrors stwReasonStrings in runtime/runtime2.go */
static const char *const stw_reason_strings[RT_STW_REASON_COUNT] = {
    [RT_STW_UNKNOWN] = "unknown",
    [RT_STW_GC_MARK_TERM] = "GC mark termination",
    [RT_STW_GC_SWEEP_TERM] = "GC sweep termination",
    [RT_STW_WRITE_HEAP_DUMP] = "write heap dump",
    [RT_STW_GOROUTINE_PROFILE] = "goroutine profile",
    [RT_STW_ALL_GOROUTINES_STACK] = "all goroutines stack trace",
    [RT_STW_READ_MEM_STATS] = "read mem stats",
    [RT_STW_GOMAXPROCS] = "GOMAXPROCS",
    [RT_STW_FOR_TEST] = "test",
};

const char *rt_stw_reason_string(enum rt_stw_reason reason)
{
	if ((unsigned)reason >= RT_STW_REASON_COUNT)
		return "unknown";
	return stw_reason_strings[reason];
}

/*
 * runtime2.c — string tables for runtime2.h's enums; mirrors
 * waitReasonStrings in runtime/runtime2.go.
 */
#include "runtime2.h"

static const char *const waitreason_strings[RT_WAIT_COUNT] = {
    [RT_WAIT_ZERO] = "",
    [RT_WAIT_GC_ASSIST_MARKING] = "GC assist marking",
    [RT_WAIT_IO_WAIT] = "IO wait",
    [RT_WAIT_CHAN_RECEIVE_NIL_CHAN] = "chan receive (nil chan)",
    [RT_WAIT_CHAN_SEND_NIL_CHAN] = "chan send (nil chan)",
    [RT_WAIT_DUMPING_HEAP] = "dumping heap",
    [RT_WAIT_GARBAGE_COLLECTION] = "garbage collection",
    [RT_WAIT_GARBAGE_COLLECTION_SCAN] = "garbage collection scan",
    [RT_WAIT_PANIC_WAIT] = "panicwait",
    [RT_WAIT_SELECT] = "select",
    [RT_WAIT_SELECT_NO_CASES] = "select (no cases)",
    [RT_WAIT_GC_ASSIST_WAIT] = "GC assist wait",
    [RT_WAIT_GC_SWEEP_WAIT] = "GC sweep wait",
    [RT_WAIT_GC_SCAVENGE_WAIT] = "GC scavenge wait",
    [RT_WAIT_CHAN_RECEIVE] = "chan receive",
    [RT_WAIT_CHAN_SEND] = "chan send",
    [RT_WAIT_FINALIZER_WAIT] = "finalizer wait",
    [RT_WAIT_FORCE_GC_IDLE] = "force gc (idle)",
    [RT_WAIT_SEMACQUIRE] = "semacquire",
    [RT_WAIT_SLEEP] = "sleep",
    [RT_WAIT_SYNC_COND_WAIT] = "sync.Cond.Wait",
    [RT_WAIT_SYNC_MUTEX_LOCK] = "sync.Mutex.Lock",
    [RT_WAIT_SYNC_RWMUTEX_RLOCK] = "sync.RWMutex.RLock",
    [RT_WAIT_SYNC_RWMUTEX_LOCK] = "sync.RWMutex.Lock",
    [RT_WAIT_SYNC_WAITGROUP_WAIT] = "sync.WaitGroup.Wait",
    [RT_WAIT_TRACE_READER_BLOCKING] = "trace reader (blocking)",
    [RT_WAIT_WAIT_FOR_GC_CYCLE] = "wait for GC cycle",
    [RT_WAIT_GC_WORKER_IDLE] = "GC worker (idle)",
    [RT_WAIT_GC_WORKER_ACTIVE] = "GC worker (active)",
    [RT_WAIT_PREEMPTED] = "preempted",
    [RT_WAIT_DEBUG_CALL] = "debug call",
    [RT_WAIT_GC_MARK_TERMINATION] = "GC mark termination",
    [RT_WAIT_STOPPING_THE_WORLD] = "stopping the world",
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

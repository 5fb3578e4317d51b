/*
 * rt.h — the public API of librt, a Go-style M:N runtime in C.
 *
 * A program hands its main function to rt_main(); from then on it can start
 * goroutines (rt_go), park and ready them, yield (rt_gosched), lock a
 * goroutine to its thread, bracket blocking system calls, and synchronize
 * with rt_mutex and rt_waitgroup. Names follow src/runtime with an rt_
 * prefix; each function's comment says which Go function it mirrors.
 *
 * Rule for callers: every rt_ function except rt_main must be called from a
 * goroutine (that is, from code reached through rt_main or rt_go).
 */
#ifndef RT_H
#define RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*rt_func)(void *arg);

/* Opaque runtime objects. */
typedef struct g rt_g;

/*
 * Wait reasons, as in runtime/runtime2.go's waitReason. Every park names one;
 * rt_waitreason_string() gives Go's text for it ("chan receive", …).
 */
enum rt_waitreason {
	RT_WAIT_ZERO = 0,
	RT_WAIT_GC_ASSIST_MARKING,
	RT_WAIT_IO_WAIT,
	RT_WAIT_CHAN_RECEIVE_NIL_CHAN,
	RT_WAIT_CHAN_SEND_NIL_CHAN,
	RT_WAIT_DUMPING_HEAP,
	RT_WAIT_GARBAGE_COLLECTION,
	RT_WAIT_GARBAGE_COLLECTION_SCAN,
	RT_WAIT_PANIC_WAIT,
	RT_WAIT_SELECT,
	RT_WAIT_SELECT_NO_CASES,
	RT_WAIT_GC_ASSIST_WAIT,
	RT_WAIT_GC_SWEEP_WAIT,
	RT_WAIT_GC_SCAVENGE_WAIT,
	RT_WAIT_CHAN_RECEIVE,
	RT_WAIT_CHAN_SEND,
	RT_WAIT_FINALIZER_WAIT,
	RT_WAIT_FORCE_GC_IDLE,
	RT_WAIT_SEMACQUIRE,
	RT_WAIT_SLEEP,
	RT_WAIT_SYNC_COND_WAIT,
	RT_WAIT_SYNC_MUTEX_LOCK,
	RT_WAIT_SYNC_RWMUTEX_RLOCK,
	RT_WAIT_SYNC_RWMUTEX_LOCK,
	RT_WAIT_SYNC_WAITGROUP_WAIT,
	RT_WAIT_TRACE_READER_BLOCKING,
	RT_WAIT_WAIT_FOR_GC_CYCLE,
	RT_WAIT_GC_WORKER_IDLE,
	RT_WAIT_GC_WORKER_ACTIVE,
	RT_WAIT_PREEMPTED,
	RT_WAIT_DEBUG_CALL,
	RT_WAIT_GC_MARK_TERMINATION,
	RT_WAIT_STOPPING_THE_WORLD,
	RT_WAIT_COUNT
};

const char *rt_waitreason_string(enum rt_waitreason reason);

/*
 * rt_main starts the runtime with GOMAXPROCS Ps (environment RT_MAXPROCS,
 * default the number of online CPUs), runs fn(arg) as the main goroutine and
 * returns when fn returns. Other goroutines stop at their next scheduling
 * point and never run again, as when Go's main returns. Call it once per
 * process. Returns 0.
 */
int rt_main(rt_func fn, void *arg);

/* rt_go starts fn(arg) in a new goroutine; mirrors newproc. Returns its id. */
uint64_t rt_go(rt_func fn, void *arg);

/* rt_gosched yields; the goroutine goes to the global run queue (gosched_m). */
void rt_gosched(void);

/* rt_getg returns the running goroutine; rt_goid its id (main is 1). */
rt_g *rt_getg(void);
uint64_t rt_goid(void);
uint64_t rt_g_id(const rt_g *gp);

/* rt_gomaxprocs is the number of Ps; rt_procid the id of the current P. */
int rt_gomaxprocs(void);
int rt_procid(void);

/* rt_nanotime is CLOCK_MONOTONIC in nanoseconds. */
int64_t rt_nanotime(void);

/*
 * rt_gopark parks the running goroutine with the given wait reason; mirrors
 * gopark. After the goroutine is off its stack, unlockf(gp, lock) runs on the
 * scheduler's stack; if it returns false the goroutine is resumed at once.
 * unlockf may be NULL. Another goroutine resumes it with rt_goready.
 */
typedef bool (*rt_unlockf)(rt_g *gp, void *lock);
void rt_gopark(rt_unlockf unlockf, void *lock, enum rt_waitreason reason);

/* rt_goready makes a parked goroutine runnable on the current P's runnext. */
void rt_goready(rt_g *gp);

/*
 * rt_lock_os_thread wires the goroutine to its thread (M): it runs only on
 * that M and the M runs nothing else until as many rt_unlock_os_thread
 * calls; mirrors LockOSThread/UnlockOSThread.
 */
void rt_lock_os_thread(void);
void rt_unlock_os_thread(void);

/* rt_thread_id is the Linux tid of the M running the caller. */
int rt_thread_id(void);

/*
 * rt_entersyscall / rt_exitsyscall bracket a call that may block in the
 * kernel; mirror entersyscall/exitsyscall. While inside, sysmon may hand the
 * P to another M. Between the two the caller must not call into librt.
 */
void rt_entersyscall(void);
void rt_exitsyscall(void);

/* rt_preempt_check is a cooperative preemption point (a "runtime entry"). */
void rt_preempt_check(void);

/* Semaphores; mirror semacquire/semrelease in runtime/sema.go. */
void rt_semacquire(uint32_t *addr, enum rt_waitreason reason);
void rt_semrelease(uint32_t *addr, bool handoff);

/*
 * rt_mutex mirrors sync.Mutex: a brief spin, then park on a semaphore, and
 * starvation mode after a waiter has waited more than 1 ms. Zero value is
 * unlocked.
 */
typedef struct rt_mutex {
	int32_t state;
	uint32_t sema;
} rt_mutex;
bool rt_mutex_trylock(rt_mutex *m);
void rt_mutex_lock_slow(rt_mutex *m);
void rt_mutex_unlock_slow(rt_mutex *m, int32_t newstate);

/*
 * The fast paths are inline, as Go's compiler inlines (*Mutex).Lock and
 * Unlock: one CAS to lock, one atomic add to unlock, no call.
 */
static inline void rt_mutex_lock(rt_mutex *m)
{
	int32_t unlocked = 0;
	if (__atomic_compare_exchange_n(&m->state, &unlocked, 1, false,
					__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return;
	rt_mutex_lock_slow(m);
}

static inline void rt_mutex_unlock(rt_mutex *m)
{
	int32_t newstate = __atomic_sub_fetch(&m->state, 1, __ATOMIC_SEQ_CST);
	if (newstate != 0)
		rt_mutex_unlock_slow(m, newstate);
}

/* rt_waitgroup mirrors sync.WaitGroup. Zero value is ready to use. */
typedef struct rt_waitgroup {
	uint64_t state; /* high 32 bits: counter; low 32 bits: waiters */
	uint32_t sema;
} rt_waitgroup;
void rt_waitgroup_add(rt_waitgroup *wg, int delta);
void rt_waitgroup_done(rt_waitgroup *wg);
void rt_waitgroup_wait(rt_waitgroup *wg);

/* Counters librt keeps about itself (for tests and RT_STATS). */
struct rt_sched_stats {
	uint64_t goroutines_created; /* newproc calls */
	uint64_t goroutines_ended;   /* goexit calls */
	uint64_t steals;	     /* successful runqsteal */
	uint64_t preempt_coop;	     /* cooperative preemptions taken */
	uint64_t preempt_async;	     /* signal preemptions taken */
	uint64_t syscall_retakes;    /* Ps retaken by sysmon from syscalls */
	uint64_t handoffs;	     /* handoffp calls */
	uint32_t threads;	     /* Ms created, sysmon included */
};
void rt_read_sched_stats(struct rt_sched_stats *out);

/* rt_probe_count returns how many times librt passed the named probe site. */
uint64_t rt_probe_count(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* RT_H */

/*
 * sync.c — rt_mutex and rt_waitgroup; mirror sync/mutex.go and
 * sync/waitgroup.go, on the semaphores of sema.c.
 *
 * rt_mutex is Go's sync.Mutex state machine, bit for bit:
 *
 *   state: locked (1) | woken (2) | starving (4) | waiters << 3
 *
 * Normal mode: waiters queue FIFO, but a woken waiter competes with new
 * arrivals, which usually win (they are already on a CPU); an arrival may
 * spin a little first (sync_runtime_canspin) when other Ps are busy. A
 * waiter that has waited more than 1 ms switches the mutex to starvation
 * mode, where Unlock hands ownership straight to the first waiter and new
 * arrivals queue at the tail without trying. The last waiter, or one that
 * waited less than 1 ms, switches back to normal mode.
 *
 * Misuse fails as in Go: an unlock of an unlocked mutex is a fatal error
 * (status 2, not recoverable); a negative WaitGroup counter panics
 * (panic.c) with sync's string, which a deferred call may recover.
 */
#include <stdio.h>
#include <unistd.h>

#include "runtime2.h"

enum {
	MUTEX_LOCKED = 1,
	MUTEX_WOKEN = 2,
	MUTEX_STARVING = 4,
	MUTEX_WAITER_SHIFT = 3,
};
#define STARVATION_THRESHOLD_NS 1000000

static _Noreturn void sync_fatal(const char *msg)
{
	fprintf(stderr, "fatal error: %s\n", msg);
	fflush(stderr);
	_exit(2);
}

/* sync_panic mirrors sync's panic("sync: ..."): a plain string value,
 * not a runtime.Error, recoverable (panic.c). */
static _Noreturn void sync_panic(const char *msg)
{
	rt_panic(msg);
}

static bool cas32(int32_t *addr, int32_t old, int32_t new)
{
	return __atomic_compare_exchange_n(addr, &old, new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

static int32_t load32(int32_t *addr)
{
	return __atomic_load_n(addr, __ATOMIC_RELAXED);
}

bool rt_mutex_trylock(rt_mutex *m)
{
	int32_t old = load32(&m->state);
	if (old & (MUTEX_LOCKED | MUTEX_STARVING))
		return false;
	return cas32(&m->state, old, old | MUTEX_LOCKED);
}

/* rt_mutex_lock_slow mirrors (*Mutex).lockSlow. */
void rt_mutex_lock_slow(rt_mutex *m)
{
	int64_t wait_start = 0;
	bool starving = false;
	bool awoke = false;
	int iter = 0;
	int32_t old = load32(&m->state);
	rt_preempt_check();
	for (;;) {
		/* Don't spin in starvation mode: ownership is handed off to
		 * waiters, so we would not be able to acquire it anyway. */
		if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == MUTEX_LOCKED &&
		    sync_runtime_canspin(iter)) {
			/* Tell Unlock not to wake others while we spin. */
			if (!awoke && (old & MUTEX_WOKEN) == 0 &&
			    (old >> MUTEX_WAITER_SHIFT) != 0 &&
			    cas32(&m->state, old, old | MUTEX_WOKEN))
				awoke = true;
			sync_runtime_dospin();
			iter++;
			old = load32(&m->state);
			continue;
		}
		int32_t new = old;
		if ((old & MUTEX_STARVING) == 0)
			new |= MUTEX_LOCKED;
		if (old & (MUTEX_LOCKED | MUTEX_STARVING))
			new += 1 << MUTEX_WAITER_SHIFT;
		if (starving && (old & MUTEX_LOCKED))
			new |= MUTEX_STARVING;
		if (awoke) {
			if ((new &MUTEX_WOKEN) == 0)
				sync_fatal("sync: inconsistent mutex state");
			new &= ~MUTEX_WOKEN;
		}
		if (!cas32(&m->state, old, new)) {
			old = load32(&m->state);
			continue;
		}
		if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == 0)
			break; /* locked the mutex with CAS */
		/* If we were already waiting before, queue at the front. */
		bool lifo = wait_start != 0;
		if (wait_start == 0)
			wait_start = nanotime();
		semacquire1(&m->sema, lifo, RT_WAIT_SYNC_MUTEX_LOCK);
		starving = starving ||
			   nanotime() - wait_start > STARVATION_THRESHOLD_NS;
		old = load32(&m->state);
		if (old & MUTEX_STARVING) {
			/* Ownership was handed to us; fix up the state. */
			if ((old & (MUTEX_LOCKED | MUTEX_WOKEN)) != 0 ||
			    (old >> MUTEX_WAITER_SHIFT) == 0)
				sync_fatal("sync: inconsistent mutex state");
			int32_t delta =
			    MUTEX_LOCKED - (1 << MUTEX_WAITER_SHIFT);
			if (!starving || (old >> MUTEX_WAITER_SHIFT) == 1)
				delta -= MUTEX_STARVING; /* exit starvation */
			__atomic_fetch_add(&m->state, delta, __ATOMIC_SEQ_CST);
			break;
		}
		awoke = true;
		iter = 0;
	}
}

/* rt_mutex_unlock_slow mirrors (*Mutex).unlockSlow. */
void rt_mutex_unlock_slow(rt_mutex *m, int32_t new)
{
	if (((new + MUTEX_LOCKED) & MUTEX_LOCKED) == 0)
		sync_fatal("sync: unlock of unlocked mutex");
	if (new &MUTEX_STARVING) {
		/* Hand ownership to the next waiter and yield our time slice
		 * so it runs at once. */
		rt_semrelease(&m->sema, true);
		return;
	}
	int32_t old = new;
	for (;;) {
		/* Nobody to wake, or someone already woken or got the lock. */
		if ((old >> MUTEX_WAITER_SHIFT) == 0 ||
		    (old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING)) != 0)
			return;
		new = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
		if (cas32(&m->state, old, new)) {
			rt_semrelease(&m->sema, false);
			return;
		}
		old = load32(&m->state);
	}
}

/* rt_waitgroup_add mirrors (*WaitGroup).Add. */
void rt_waitgroup_add(rt_waitgroup *wg, int delta)
{
	uint64_t state = __atomic_add_fetch(
	    &wg->state, (uint64_t)(int64_t)delta << 32, __ATOMIC_SEQ_CST);
	int32_t v = (int32_t)(state >> 32);
	uint32_t w = (uint32_t)state;
	if (v < 0)
		sync_panic("sync: negative WaitGroup counter");
	if (w != 0 && delta > 0 && v == delta)
		sync_panic("sync: WaitGroup misuse: Add called concurrently "
			   "with Wait");
	if (v > 0 || w == 0)
		return;
	/* Counter is 0 and there are waiters: wake them all. */
	if (__atomic_load_n(&wg->state, __ATOMIC_SEQ_CST) != state)
		sync_panic("sync: WaitGroup misuse: Add called concurrently "
			   "with Wait");
	__atomic_store_n(&wg->state, 0, __ATOMIC_SEQ_CST);
	for (; w != 0; w--)
		rt_semrelease(&wg->sema, false);
}

void rt_waitgroup_done(rt_waitgroup *wg)
{
	rt_waitgroup_add(wg, -1);
}

/* rt_waitgroup_wait mirrors (*WaitGroup).Wait. */
void rt_waitgroup_wait(rt_waitgroup *wg)
{
	for (;;) {
		uint64_t state = __atomic_load_n(&wg->state, __ATOMIC_SEQ_CST);
		if ((int32_t)(state >> 32) == 0)
			return;
		if (__atomic_compare_exchange_n(&wg->state, &state, state + 1,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			rt_semacquire(&wg->sema, RT_WAIT_SYNC_WAITGROUP_WAIT);
			if (__atomic_load_n(&wg->state, __ATOMIC_SEQ_CST) != 0)
				sync_panic("sync: WaitGroup is reused before "
					   "previous Wait has returned");
			return;
		}
	}
}

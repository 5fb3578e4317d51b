/*
 * rt_note.h — park/ready helpers for tests and traced test programs.
 *
 * rtt_note is a one-waiter wakeup slot built only on rt_gopark/rt_goready.
 * The race-free park/ready handshake publishes the waiter's G in the unlockf,
 * which runs once the G is off its stack, so a signaller can never ready a G
 * that is still running; a signal that arrives first leaves the note set and
 * the next wait consumes it without parking.
 *
 * rtt_join waits for a set of goroutines with nothing but park/ready.
 * No libcheck here: the programs in tests/progs include it without libcheck.
 */
#ifndef RT_NOTE_H
#define RT_NOTE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "rt.h"

/* ---- rtt_note: a one-waiter park/ready slot --------------------------- */

#define RTT_NOTE_EMPTY	  ((uintptr_t)0)
#define RTT_NOTE_SIGNALED ((uintptr_t)1)

typedef struct rtt_note {
	_Atomic uintptr_t state;      /* EMPTY, SIGNALED or the parked rt_g * */
	_Atomic uint64_t park_calls;  /* rt_gopark calls made by waits */
	_Atomic uint64_t parks;	      /* unlockf committed: really parked */
	_Atomic uint64_t ready_calls; /* rt_goready calls made by signals */
} rtt_note;

/*
 * rtt_note_commit is the unlockf: publish gp unless already signalled.
 * The park is counted before gp is published: once published, a signaller
 * may ready gp, which may run and read the counts on another thread before
 * this thread gets past the CAS (it may lose its CPU right there), so a
 * count made after could read readies = parks + 1: parkready did so in
 * about 1 run of 4, untraced.
 */
static inline bool rtt_note_commit(rt_g *gp, void *lock)
{
	rtt_note *n = lock;
	uintptr_t expect = RTT_NOTE_EMPTY;

	atomic_fetch_add(&n->parks, 1);
	if (atomic_compare_exchange_strong(&n->state, &expect, (uintptr_t)gp))
		return true;
	/* Signalled between the check and the park: consume, resume now. */
	atomic_fetch_sub(&n->parks, 1);
	atomic_store(&n->state, RTT_NOTE_EMPTY);
	return false;
}

/* rtt_note_wait blocks until the note is signalled, then clears it. */
static inline void rtt_note_wait_reason(rtt_note *n, enum rt_waitreason r)
{
	uintptr_t expect = RTT_NOTE_SIGNALED;

	if (atomic_compare_exchange_strong(&n->state, &expect, RTT_NOTE_EMPTY))
		return;
	atomic_fetch_add(&n->park_calls, 1);
	rt_gopark(rtt_note_commit, n, r);
}

static inline void rtt_note_wait(rtt_note *n)
{
	rtt_note_wait_reason(n, RT_WAIT_SEMACQUIRE);
}

/* rtt_note_signal wakes the waiter, or leaves the note signalled. */
static inline void rtt_note_signal(rtt_note *n)
{
	for (;;) {
		uintptr_t s = atomic_load(&n->state);

		if (s == RTT_NOTE_SIGNALED)
			return;
		if (s == RTT_NOTE_EMPTY) {
			if (atomic_compare_exchange_strong(&n->state, &s,
							   RTT_NOTE_SIGNALED))
				return;
			continue;
		}
		if (atomic_compare_exchange_strong(&n->state, &s,
						   RTT_NOTE_EMPTY)) {
			atomic_fetch_add(&n->ready_calls, 1);
			rt_goready((rt_g *)s);
			return;
		}
	}
}

/* ---- rtt_join: wait for a set of goroutines, on park/ready only ------- */

typedef struct rtt_join {
	atomic_long pending;
	rtt_note done;
} rtt_join;

/* rtt_join_add must be called before the goroutines it counts start. */
static inline void rtt_join_add(rtt_join *j, long n)
{
	atomic_fetch_add(&j->pending, n);
}

static inline void rtt_join_done(rtt_join *j)
{
	if (atomic_fetch_sub(&j->pending, 1) == 1)
		rtt_note_signal(&j->done);
}

static inline void rtt_join_wait(rtt_join *j)
{
	while (atomic_load(&j->pending) != 0)
		rtt_note_wait(&j->done);
}

/* ---- small things ----------------------------------------------------- */

/* rtt_burn does pure CPU work with no runtime calls. */
static inline uint64_t rtt_burn(uint64_t iters)
{
	volatile uint64_t x = 0;

	for (uint64_t i = 0; i < iters; i++)
		x += i;
	return x;
}

static inline void rtt_cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

#endif /* RT_NOTE_H */

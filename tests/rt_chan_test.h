/*
 * rt_chan_test.h — helpers shared by the channel and select unit tests
 * (test_chan.c, test_select.c): waiting for a goroutine to get somewhere,
 * yielding, and checking that a goroutine blocked forever stays blocked.
 */
#ifndef RT_CHAN_TEST_H
#define RT_CHAN_TEST_H

#include "rt_test.h"

/* wait_for: rt_gosched until *v >= want; fails after RTT_STUCK_NS. */
static inline bool wait_for(atomic_long *v, long want, const char *what)
{
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;

	while (atomic_load(v) < want) {
		if (rtt_mono_ns() > deadline) {
			RTT_CHECK(false, "%s: %ld of %ld after %lld s", what,
				  atomic_load(v), want,
				  RTT_STUCK_NS / 1000000000);
			return false;
		}
		rt_gosched();
	}
	return true;
}

/* yield_a_lot gives any runnable goroutine every chance to run. */
static inline void yield_a_lot(void)
{
	for (int i = 0; i < 2000; i++)
		rt_gosched();
}

/* rtt_pong drains channel arg (of uint64_t) until it is closed. */
static inline void rtt_pong(void *arg)
{
	rt_chan *c = arg;
	uint64_t v;

	RT_CHAN_RANGE(c, &v);
}

/*
 * rtt_still_blocked starts fn(arg), which sets *started and then blocks
 * forever (setting *resumed should it ever run again), waits for it to
 * start, then drives the scheduler, the collector and other channels
 * meanwhile. Returns whether fn stayed blocked (*resumed still 0).
 */
static inline bool rtt_still_blocked(rt_func fn, void *arg,
				     atomic_long *started, atomic_long *resumed)
{
	rt_chan *c = rt_chan_make(sizeof(uint64_t), 0);
	uint64_t v = 0;

	rt_go(fn, arg);
	wait_for(started, 1, "goroutine started");
	rt_go(rtt_pong, c);
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 10000; i++, v++)
			rt_chan_send(c, &v);
		rt_gc();
		yield_a_lot();
	}
	rt_chan_close(c);
	return atomic_load(resumed) == 0;
}

#endif /* RT_CHAN_TEST_H */

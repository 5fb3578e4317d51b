/*
 * pchan.h — a stand-in for an unbuffered channel, until librt has chan.c.
 *
 * pchan connects exactly one sender and one receiver. It is built directly
 * on rt_gopark/rt_goready the way chansend/chanrecv build an unbuffered
 * hand-off: lock the channel; if the other side is parked on it, hand the
 * value over and goready it (onto this P's runnext); otherwise record
 * ourselves and gopark with the "chan send"/"chan receive" wait reason, the
 * lock released by the unlock function only once we are off our stack, so
 * whoever sees us recorded knows we are parked.
 *
 * Invariant: at most one of sendg and recvg is set.
 */
#ifndef RT_PCHAN_H
#define RT_PCHAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "rt.h"

/* pchan is an unbuffered channel for exactly one sender and one receiver. */
struct pchan {
	atomic_int lock; /* spin lock; held across the park until unlockf */
	rt_g *recvg;	 /* receiver parked on the channel, or NULL */
	uint64_t *recvp; /* where the parked receiver wants the value */
	rt_g *sendg;	 /* sender parked on the channel, or NULL */
	uint64_t sendv;	 /* the parked sender's value */
};

static inline void pchan_lock(struct pchan *c)
{
	for (int spins = 0;; spins++) {
		int unlocked = 0;
		if (atomic_compare_exchange_weak_explicit(
			&c->lock, &unlocked, 1, memory_order_acquire,
			memory_order_relaxed)) {
			return;
		}
		if (spins > 100) {
			/*
			 * The holder may be a goroutine preempted inside its
			 * few instructions of critical section, on our P:
			 * give the P away rather than spin against it.
			 */
			rt_gosched();
		} else {
			__builtin_ia32_pause();
		}
	}
}

static inline void pchan_unlock(struct pchan *c)
{
	atomic_store_explicit(&c->lock, 0, memory_order_release);
}

/* pchan_park_unlock is the unlockf of a park on c: releases c's lock. */
static inline bool pchan_park_unlock(rt_g *gp, void *lock)
{
	(void)gp;
	pchan_unlock(lock);
	return true;
}

/* pchan_send mirrors chansend on an unbuffered channel. */
static inline void pchan_send(struct pchan *c, uint64_t v)
{
	pchan_lock(c);
	rt_g *gp = c->recvg;
	if (gp != NULL) {
		/* send: direct hand-off to the waiting receiver. */
		c->recvg = NULL;
		*c->recvp = v;
		pchan_unlock(c);
		rt_goready(gp);
		return;
	}
	c->sendg = rt_getg();
	c->sendv = v;
	rt_gopark(pchan_park_unlock, c, RT_WAIT_CHAN_SEND);
	/* The receiver took sendv and cleared sendg before readying us. */
}

/* pchan_recv mirrors chanrecv on an unbuffered channel. */
static inline uint64_t pchan_recv(struct pchan *c)
{
	pchan_lock(c);
	rt_g *gp = c->sendg;
	if (gp != NULL) {
		/* recv: take the parked sender's value and wake it. */
		uint64_t v = c->sendv;
		c->sendg = NULL;
		pchan_unlock(c);
		rt_goready(gp);
		return v;
	}
	uint64_t v = 0;
	c->recvg = rt_getg();
	c->recvp = &v;
	rt_gopark(pchan_park_unlock, c, RT_WAIT_CHAN_RECEIVE);
	return v;
}

#endif /* RT_PCHAN_H */

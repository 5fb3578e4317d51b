/*
 * chan.h — what chan.c and select.c share: hchan, waitq, sudog, the sudog
 * cache, and the operations select reuses (send, recv, dequeue). Mirrors
 * the type declarations of runtime/chan.go and the sudog of runtime2.go.
 *
 * A sudog is a goroutine waiting on a channel: one G may wait on many
 * channels (select) and many Gs on one channel, so the waiting relation
 * needs an object of its own. Sudogs come from the GC heap (a waitq in an
 * hchan points at them, and the hchan is a GC heap object) through a
 * per-P cache backed by a central one, as acquireSudog/releaseSudog.
 *
 * Invariants (c.lock held):
 *   - At least one of c.sendq and c.recvq is empty, except for unbuffered
 *     channels with a single goroutine blocked on it for both sending and
 *     receiving using a select (chan.go's hchan comment).
 *   - c.qcount <= c.dataqsiz; c.qcount > 0 implies c.recvq holds no
 *     sudog that can still win; c.qcount < c.dataqsiz implies the same
 *     of c.sendq.
 *   - A sudog is on at most one waitq, and only while its G is parked
 *     (or about to be: the park's unlockf releases c.lock after the G is
 *     off its stack, so whoever sees the sudog under c.lock may ready it).
 */
#ifndef RT_CHAN_H
#define RT_CHAN_H

#include "runtime2.h"

struct hchan;

/* waitq mirrors waitq: a doubly linked list of sudogs. */
struct waitq {
	struct sudog *first; /* read without c.lock by the fast paths */
	struct sudog *last;  /* */
};

/* hchan mirrors hchan; the buffer follows it in the same object. */
struct hchan {
	size_t qcount;	     /* total data in the queue */
	size_t dataqsiz;     /* size of the circular queue */
	void *buf;	     /* points to an array of dataqsiz elements */
	uint16_t elemsize;   /* bytes per element, < 64 KiB as Go's */
	uint32_t closed;     /* non-zero once closed; read atomically */
	size_t sendx;	     /* send index */
	size_t recvx;	     /* receive index */
	struct waitq recvq;  /* list of recv waiters */
	struct waitq sendq;  /* list of send waiters */
	struct timer *timer; /* the timer feeding a timer channel with
			      * RT_TIMER_GC=1 (Go 1.23 timers), else NULL */
	rt_lock lock;	     /* protects all fields above, and the sudogs
			      * on the queues */
};

/* chanbuf returns a pointer to slot i of c's buffer; mirrors chanbuf. */
static inline void *chanbuf(struct hchan *c, size_t i)
{
	return (char *)c->buf + i * c->elemsize;
}

/* typedmemmove / typedmemclr copy or clear one element; size 0 is a
 * no-op whatever the pointers. */
static inline void typedmemmove(size_t size, void *dst, const void *src)
{
	switch (size) {
	case 0:
		return;
	case 8:
		__builtin_memcpy(dst, src, 8);
		return;
	case 16:
		__builtin_memcpy(dst, src, 16);
		return;
	case 4:
		__builtin_memcpy(dst, src, 4);
		return;
	default:
		__builtin_memmove(dst, src, size);
	}
}

static inline void typedmemclr(size_t size, void *p)
{
	if (size == 8)
		__builtin_memset(p, 0, 8);
	else if (size != 0)
		__builtin_memset(p, 0, size);
}

/* full reports whether a send on c would block; mirrors full;
 * the lock-free half of every non-blocking send. Racy by
 * design: c.dataqsiz is immutable, the rest is read atomically. */
static inline bool chan_full(struct hchan *c)
{
	if (c->dataqsiz == 0)
		return __atomic_load_n(&c->recvq.first, __ATOMIC_RELAXED) ==
		       NULL;
	return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) == c->dataqsiz;
}

/* empty reports whether a receive from c would block; mirrors empty. */
static inline bool chan_empty(struct hchan *c)
{
	if (c->dataqsiz == 0)
		return __atomic_load_n(&c->sendq.first, __ATOMIC_RELAXED) ==
		       NULL;
	return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) == 0;
}

/* acquire_sudog / release_sudog mirror acquireSudog / releaseSudog. A
 * released sudog must be off every queue with g, elem, c cleared. */
struct sudog *acquire_sudog(void);
void release_sudog(struct sudog *s);

void waitq_enqueue(struct waitq *q, struct sudog *sgp);
struct sudog *waitq_dequeue(struct waitq *q);
void waitq_dequeue_sudog(struct waitq *q, struct sudog *sgp);

/*
 * chan_send_direct / chan_recv_direct mirror send and recv: complete the
 * operation with the waiting sudog sg (already dequeued), run unlockf(arg)
 * to release the channel lock(s), and ready sg's goroutine. c must be
 * locked. chan_recv_direct returns whether the value came out of the
 * buffer (a buffered channel whose sender was blocked).
 */
void chan_send_direct(struct hchan *c, struct sudog *sg, const void *ep,
		      void (*unlockf)(void *), void *arg);
bool chan_recv_direct(struct hchan *c, struct sudog *sg, void *ep,
		      void (*unlockf)(void *), void *arg);

/* chanpanic panics with plainError(msg) (panic.c); no channel lock may be
 * held. callerpc is kept for callers and unused. */
_Noreturn void chanpanic(const char *msg, void *callerpc);

/*
 * blocktiming reports whether a park must be timed: only while the named
 * probe is attached, as Go reads cputicks only when blockprofilerate > 0,
 * so an unattached probe costs no clock reads. A goroutine that parked
 * before the probe was attached reports blocked_ns 1 ("parked, duration
 * unknown").
 */
#ifdef RT_NO_PROBES
#define blocktiming(name) false
#else
#define blocktiming(name) RT_PROBE_ACTIVE(name)
#endif

/* blockedsince is blocked_ns for a goroutine that parked at t0 (0: not
 * timed): never 0, which means "did not park". */
static inline int64_t blockedsince(int64_t t0)
{
	int64_t d = t0 != 0 ? nanotime() - t0 : 1;
	return d > 0 ? d : 1;
}

/*
 * chan_preempt_check is the cooperative preemption point at a channel
 * operation's entry, like a Go function prologue's check: one load, the
 * call only when preemption was requested.
 */
static inline void chan_preempt_check(void)
{
	struct g *gp = getm()->curg;
	if (__builtin_expect(
		gp != NULL &&
		    atomic_load_explicit(&gp->preempt, memory_order_relaxed),
		0))
		rt_preempt_check();
}

/* curgoid is the running goroutine's id, 0 on g0 (for probes). */
static inline uint64_t curgoid(void)
{
	struct g *gp = getm()->curg;
	return gp != NULL ? gp->goid : 0;
}

/*
 * chan_send_nb_from_runtime sends *elem on c if that can be done without
 * blocking (a receiver waits or the buffer has room) and returns whether it
 * did; mirrors the select-with-default by which the timer code sends
 * (sendTime). Usable on g0, with or without a P: it never allocates or
 * parks, and ready() puts a woken receiver on the global queue when there
 * is no P. Fires the chansend probe (goid 0 on g0) when it sends.
 */
bool chan_send_nb_from_runtime(rt_chan *c, const void *elem);

/*
 * Timer channels with RT_TIMER_GC=1 (time.c), mirroring Go 1.23: the
 * timer is in a P's heap only while a goroutine is blocked on its channel,
 * so an unreferenced timer is garbage at once. A receive first runs an
 * expired timer (timerchan_maybe_run, c unlocked); a receiver about to
 * park puts the timer in a heap (timerchan_block, c locked) and takes it
 * out when it wakes (timerchan_unblock, c unlocked).
 */
void timerchan_maybe_run(struct hchan *c);
void timerchan_block(struct hchan *c);
void timerchan_unblock(struct hchan *c);

#endif /* RT_CHAN_H */

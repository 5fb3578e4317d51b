/*
 * chan.c — channels; mirrors runtime/chan.go.
 *
 * A channel (hchan) is a lock, a ring buffer of dataqsiz elements, and two
 * queues of waiting goroutines: sendq (blocked senders, each with the value
 * it is sending) and recvq (blocked receivers, each with where the value
 * goes). An operation takes c.lock and then, in this order:
 *
 *   send: closed → panic; a receiver waits → copy straight into it and
 *         ready it (send); room in the buffer → enqueue at sendx; else
 *         park on sendq ("chan send") until a receiver or close wakes us.
 *   recv: closed and empty → zero value, ok = false; a sender waits →
 *         take it (recv: unbuffered, copy from the sender; buffered, the
 *         buffer is full, so take its head and put the sender's value at
 *         its tail); data in the buffer → take it; else park on recvq
 *         ("chan receive").
 *   close: mark closed, wake every receiver (zero value, ok = false) and
 *         every sender (which panics), readying them after unlocking.
 *
 * Invariants: see chan.h. In particular a sudog is found on a waitq only
 * while its goroutine is parked or parking: the park's unlockf
 * (chanparkcommit) drops c.lock only once the G is off its stack, so the
 * goroutine that dequeues it may write into its stack (sg.elem) and
 * ready it. The waker records the sudog in gp.param and whether a value
 * moved in sg.success before readying the G, which reads them on waking.
 *
 * Non-blocking operations (trysend/tryrecv, and select with a default)
 * first decide without the lock whether they would fail (full/empty), as
 * Go's fast paths do: the answer can be stale, but only in ways that a
 * lock-then-check order would also allow.
 *
 * Memory: the hchan and its buffer are one GC heap object, scanned (an
 * element may hold pointers). A parked goroutine's stack holds c, so a
 * channel with waiters is never freed; its sudogs are reachable from its
 * waitqs. Sudogs come from a per-P cache (as p.sudogcache) that lives in
 * this file's bss, indexed by P id, because struct p is malloc'ed memory
 * the collector does not scan; overflow goes to a central list
 * (sched.sudogcache). Go empties the central list at each GC
 * (clearpools); here it keeps what overflowed, at most a few per P.
 *
 * Runtime entries: each blocking operation, and each non-blocking one that
 * gets past the lock-free check, starts with a cooperative preemption
 * check (chan_preempt_check), as a Go function prologue would.
 *
 * Probes: chansend / chanrecv fire once per rt_chan_send / rt_chan_recv /
 * rt_chan_trysend / rt_chan_tryrecv call that moved a value or (recv)
 * observed the channel closed; a non-blocking try that did nothing fires
 * nothing. "buffered" (send) / flag 1 (recv) means the value went through
 * the buffer rather than straight between goroutines. blocked_ns is 0
 * unless the goroutine parked; the clock is read around a park only while
 * the probe is attached (blocktiming), and a park that began before the
 * attach reports 1. Selects fire selectgo / selectgo_ret instead
 * (select.c). A timer's send (chan_send_nb_from_runtime) fires chansend
 * too, with goid 0 when it runs on g0. chanclose fires on every close.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "chan.h"

#define MAX_ALIGN   8
#define HCHAN_SIZE  ((sizeof(struct hchan) + MAX_ALIGN - 1) & ~(MAX_ALIGN - 1))
#define MAX_ALLOC   ((size_t)1 << 47) /* maxAlloc on linux/amd64 */
#define SUDOG_CACHE 128		      /* per P, as len(p.sudogbuf) */

/* ---- panics ---------------------------------------------------------------
 */

/*
 * chanpanic mirrors panic(plainError(msg)): a runtime.Error with no
 * "runtime error: " prefix, recoverable like any panic (panic.c). The
 * caller has released every channel lock, as Go unlocks c.lock before
 * panicking. callerpc is unused since the traceback names the call site.
 */
_Noreturn void chanpanic(const char *msg, void *callerpc)
{
	(void)callerpc;
	panic_plainerror(msg);
}

/* ---- sudog cache (mirrors acquireSudog/releaseSudog in proc.go) ----------
 */

struct sudogcache {
	struct sudog *head; /* linked through sudog.next */
	int32_t n;	    /* */
} __attribute__((aligned(64)));

static struct sudogcache sudogcache[RT_MAX_PROCS]; /* per P: a GC root */

static struct {
	rt_lock lock;
	struct sudog *head; /* central cache, as sched.sudogcache */
} sched_sudog;

struct sudog *acquire_sudog(void)
{
	struct m *mp = getm();
	mp->locks++; /* acquirem: stay on this P */
	struct sudogcache *pc = &sudogcache[mp->p->id];
	if (pc->head == NULL) {
		/* First, try to grab a batch from the central cache. */
		lock(&sched_sudog.lock);
		while (pc->n < SUDOG_CACHE / 2 && sched_sudog.head != NULL) {
			struct sudog *s = sched_sudog.head;
			sched_sudog.head = s->next;
			s->next = pc->head;
			pc->head = s;
			pc->n++;
		}
		unlock(&sched_sudog.lock);
		/* If the central cache is empty, allocate a new one. With
		 * mp->locks > 0 mallocgc neither starts a GC nor preempts. */
		if (pc->head == NULL) {
			pc->head = rt_mallocgc(sizeof(struct sudog), 0);
			pc->n++;
		}
	}
	struct sudog *s = pc->head;
	pc->head = s->next;
	pc->n--;
	s->next = NULL;
	mp->locks--;
	return s;
}

void release_sudog(struct sudog *s)
{
	if (s->elem != NULL)
		throw("runtime: sudog with non-nil elem");
	if (s->isselect)
		throw("runtime: sudog with non-false isSelect");
	if (s->next != NULL)
		throw("runtime: sudog with non-nil next");
	if (s->prev != NULL)
		throw("runtime: sudog with non-nil prev");
	if (s->waitlink != NULL)
		throw("runtime: sudog with non-nil waitlink");
	if (s->c != NULL)
		throw("runtime: sudog with non-nil c");
	s->g = NULL;
	s->selectdone = NULL;
	s->success = false;
	struct m *mp = getm();
	mp->locks++;
	struct sudogcache *pc = &sudogcache[mp->p->id];
	if (pc->n == SUDOG_CACHE) {
		/* Transfer half of the local cache to the central cache. */
		struct sudog *first = NULL, *last = NULL;
		while (pc->n > SUDOG_CACHE / 2) {
			struct sudog *p = pc->head;
			pc->head = p->next;
			pc->n--;
			if (last == NULL)
				first = p;
			else
				last->next = p;
			last = p;
		}
		lock(&sched_sudog.lock);
		last->next = sched_sudog.head;
		sched_sudog.head = first;
		unlock(&sched_sudog.lock);
	}
	s->next = pc->head;
	pc->head = s;
	pc->n++;
	mp->locks--;
}

/* ---- waitq ----------------------------------------------------------------
 */

/* waitq_enqueue mirrors waitq.enqueue. c must be locked. */
void waitq_enqueue(struct waitq *q, struct sudog *sgp)
{
	sgp->next = NULL;
	struct sudog *x = q->last;
	if (x == NULL) {
		sgp->prev = NULL;
		__atomic_store_n(&q->first, sgp, __ATOMIC_RELAXED);
		q->last = sgp;
		return;
	}
	sgp->prev = x;
	x->next = sgp;
	q->last = sgp;
}

/*
 * waitq_dequeue mirrors waitq.dequeue: removes and returns the first sudog
 * that can still be woken. A select's sudog stays queued in the window
 * between another case waking its goroutine and the goroutine relocking
 * to remove it; the CAS on its selectdone tells the two apart, so exactly
 * one case of a select completes. c must be locked.
 */
struct sudog *waitq_dequeue(struct waitq *q)
{
	for (;;) {
		struct sudog *sgp = q->first;
		if (sgp == NULL)
			return NULL;
		struct sudog *y = sgp->next;
		if (y == NULL) {
			__atomic_store_n(&q->first, NULL, __ATOMIC_RELAXED);
			q->last = NULL;
		} else {
			y->prev = NULL;
			__atomic_store_n(&q->first, y, __ATOMIC_RELAXED);
			sgp->next = NULL; /* mark as removed (see
					   * waitq_dequeue_sudog) */
		}
		if (sgp->isselect) {
			uint32_t zero = 0;
			if (!atomic_compare_exchange_strong(sgp->selectdone,
							    &zero, 1))
				continue;
		}
		return sgp;
	}
}

/* waitq_dequeue_sudog mirrors waitq.dequeueSudoG: removes sgp if it is
 * still queued. c must be locked. */
void waitq_dequeue_sudog(struct waitq *q, struct sudog *sgp)
{
	struct sudog *x = sgp->prev;
	struct sudog *y = sgp->next;
	if (x != NULL) {
		if (y != NULL) {
			/* middle of queue */
			x->next = y;
			y->prev = x;
			sgp->next = NULL;
			sgp->prev = NULL;
			return;
		}
		/* end of queue */
		x->next = NULL;
		q->last = x;
		sgp->prev = NULL;
		return;
	}
	if (y != NULL) {
		/* start of queue */
		y->prev = NULL;
		__atomic_store_n(&q->first, y, __ATOMIC_RELAXED);
		sgp->next = NULL;
		return;
	}
	/* x == y == NULL: either sgp is the only element in the queue, or
	 * it has already been removed. Use q->first to disambiguate. */
	if (q->first == sgp) {
		__atomic_store_n(&q->first, NULL, __ATOMIC_RELAXED);
		q->last = NULL;
	}
}

/* ---- makechan -------------------------------------------------------------
 */

/* makechan mirrors makechan: the hchan and its buffer in one object. */
static struct hchan *makechan(size_t elemsize, size_t size, void *callerpc)
{
	if (elemsize >= (1 << 16))
		throw("makechan: invalid channel element type");
	size_t mem;
	if (__builtin_mul_overflow(elemsize, size, &mem) ||
	    mem > MAX_ALLOC - HCHAN_SIZE)
		chanpanic("makechan: size out of range", callerpc);
	struct hchan *c = rt_mallocgc(HCHAN_SIZE + mem, 0);
	/* With no buffer memory, buf points into the hchan itself (as Go's
	 * raceaddr), not one past its end, where a conservative scan would
	 * take it for a pointer to the next object. */
	c->buf = mem == 0 ? (void *)&c->buf : (char *)c + HCHAN_SIZE;
	c->elemsize = (uint16_t)elemsize;
	c->dataqsiz = size;
	return c;
}

rt_chan *rt_chan_make(size_t elem_size, size_t cap)
{
	return makechan(elem_size, cap, __builtin_return_address(0));
}

/* ---- send -----------------------------------------------------------------
 */

/* chanparkcommit is the unlockf of a park on a channel: releases c.lock
 * once the goroutine is off its stack. */
static bool chanparkcommit(rt_g *gp, void *chanlock)
{
	(void)gp;
	unlock(chanlock);
	return true;
}

static void unlock_chan(void *c)
{
	unlock(&((struct hchan *)c)->lock);
}

/*
 * chan_send_direct mirrors send: sg is a receiver dequeued from c.recvq
 * (so c's buffer is empty); copy *ep into it, release the lock(s) with
 * unlockf(arg), and ready it. c must be locked.
 */
void chan_send_direct(struct hchan *c, struct sudog *sg, const void *ep,
		      void (*unlockf)(void *), void *arg)
{
	if (sg->elem != NULL) {
		typedmemmove(c->elemsize, sg->elem, ep);
		sg->elem = NULL;
	}
	struct g *gp = sg->g;
	unlockf(arg);
	gp->param = sg;
	sg->success = true;
	ready(gp);
}

/*
 * chansend mirrors chansend: sends *ep on c; with block false, returns
 * false instead of blocking. On success fires chansend. callerpc names
 * the call site in a panic.
 */
static bool chansend(struct hchan *c, const void *ep, bool block,
		     void *callerpc)
{
	if (c == NULL) {
		if (!block)
			return false;
		rt_gopark(NULL, NULL, RT_WAIT_CHAN_SEND_NIL_CHAN);
		throw("unreachable");
	}

	/* Fast path: check for failed non-blocking operation without
	 * acquiring the lock. A closed channel cannot become unclosed, and a
	 * full one was full at the moment of the check: either way the
	 * operation could have been observed to fail then. */
	if (!block && __atomic_load_n(&c->closed, __ATOMIC_RELAXED) == 0 &&
	    chan_full(c))
		return false;

	lock(&c->lock);

	if (c->closed != 0) {
		unlock(&c->lock);
		chanpanic("send on closed channel", callerpc);
	}

	struct sudog *sg = waitq_dequeue(&c->recvq);
	if (sg != NULL) {
		/* Found a waiting receiver: pass the value straight to it,
		 * bypassing the buffer (if any). */
		chan_send_direct(c, sg, ep, unlock_chan, c);
		RT_PROBE5(chansend, c, c->elemsize, 0, 0, curgoid());
		return true;
	}

	if (c->qcount < c->dataqsiz) {
		/* Space is available in the channel buffer: enqueue. */
		typedmemmove(c->elemsize, chanbuf(c, c->sendx), ep);
		if (++c->sendx == c->dataqsiz)
			c->sendx = 0;
		__atomic_store_n(&c->qcount, c->qcount + 1, __ATOMIC_RELAXED);
		unlock(&c->lock);
		RT_PROBE5(chansend, c, c->elemsize, 1, 0, curgoid());
		return true;
	}

	if (!block) {
		unlock(&c->lock);
		return false;
	}

	/* Block on the channel; some receiver completes our operation. */
	struct g *gp = getg();
	struct sudog *mysg = acquire_sudog();
	mysg->elem = (void *)ep;
	mysg->waitlink = NULL;
	mysg->g = gp;
	mysg->isselect = false;
	mysg->c = c;
	gp->param = NULL;
	waitq_enqueue(&c->sendq, mysg);
	int64_t t0 = blocktiming(chansend) ? nanotime() : 0;
	rt_gopark(chanparkcommit, &c->lock, RT_WAIT_CHAN_SEND);

	/* Someone woke us up. */
	if (gp->param != mysg)
		throw("chansend: bad wakeup");
	bool closed = !mysg->success;
	gp->param = NULL;
	mysg->c = NULL;
	release_sudog(mysg);
	if (closed) {
		if (__atomic_load_n(&c->closed, __ATOMIC_RELAXED) == 0)
			throw("chansend: spurious wakeup");
		chanpanic("send on closed channel", callerpc);
	}
	/* A blocked sender's value went through the buffer iff the channel
	 * has one (recv put it at the tail). */
	RT_PROBE5(chansend, c, c->elemsize, c->dataqsiz != 0, blockedsince(t0),
		  gp->goid);
	return true;
}

void rt_chan_send(rt_chan *c, const void *elem)
{
	chan_preempt_check();
	chansend(c, elem, true, __builtin_return_address(0));
}

/* The try forms answer a failed attempt before the preemption check: the
 * lock-free fast path is not a runtime entry (see chansend). */
bool rt_chan_trysend(rt_chan *c, const void *elem)
{
	if (c == NULL || (__atomic_load_n(&c->closed, __ATOMIC_RELAXED) == 0 &&
			  chan_full(c)))
		return false;
	chan_preempt_check();
	return chansend(c, elem, false, __builtin_return_address(0));
}

bool chan_send_nb_from_runtime(rt_chan *c, const void *elem)
{
	return chansend(c, elem, false, __builtin_return_address(0));
}

/* ---- receive --------------------------------------------------------------
 */

/*
 * chan_recv_direct mirrors recv: sg is a sender dequeued from c.sendq.
 * Unbuffered: copy its value into *ep. Buffered: the buffer is full; take
 * its head into *ep and put the sender's value at the tail (the same
 * slot). Then release the lock(s) with unlockf(arg) and ready the sender.
 * c must be locked. Returns whether the value came from the buffer.
 */
bool chan_recv_direct(struct hchan *c, struct sudog *sg, void *ep,
		      void (*unlockf)(void *), void *arg)
{
	bool buffered = c->dataqsiz != 0;
	if (!buffered) {
		if (ep != NULL)
			typedmemmove(c->elemsize, ep, sg->elem);
	} else {
		void *qp = chanbuf(c, c->recvx);
		if (ep != NULL)
			typedmemmove(c->elemsize, ep, qp);
		typedmemmove(c->elemsize, qp, sg->elem);
		if (++c->recvx == c->dataqsiz)
			c->recvx = 0;
		c->sendx = c->recvx; /* c.sendx = (c.sendx+1) % c.dataqsiz */
	}
	sg->elem = NULL;
	struct g *gp = sg->g;
	unlockf(arg);
	gp->param = sg;
	sg->success = true;
	ready(gp);
	return buffered;
}

/*
 * chanrecv mirrors chanrecv: receives from c into *ep (ep may be NULL).
 * Returns selected (the operation happened; always true when block) and
 * sets *received (false: c closed, *ep zeroed). Fires chanrecv when
 * selected.
 */
static bool chanrecv(struct hchan *c, void *ep, bool block, bool *received)
{
	*received = false;
	if (c == NULL) {
		if (!block)
			return false;
		rt_gopark(NULL, NULL, RT_WAIT_CHAN_RECEIVE_NIL_CHAN);
		throw("unreachable");
	}

	if (c->timer != NULL)
		timerchan_maybe_run(c);

	/* Fast path: check for failed non-blocking operation without
	 * acquiring the lock. */
	if (!block && chan_empty(c)) {
		/* After observing that the channel is not ready for
		 * receiving, observe whether it is closed. The order matters:
		 * a channel cannot be reopened, so if it was empty and then
		 * closed, it was both at the moment of the closed load. */
		if (__atomic_load_n(&c->closed, __ATOMIC_ACQUIRE) == 0)
			return false;
		/* Closed: re-check for pending data sent before close. */
		if (chan_empty(c)) {
			if (ep != NULL)
				typedmemclr(c->elemsize, ep);
			RT_PROBE5(chanrecv, c, c->elemsize, 2, 0, curgoid());
			return true;
		}
	}

	lock(&c->lock);

	if (c->closed != 0) {
		if (c->qcount == 0) {
			unlock(&c->lock);
			if (ep != NULL)
				typedmemclr(c->elemsize, ep);
			RT_PROBE5(chanrecv, c, c->elemsize, 2, 0, curgoid());
			return true;
		}
		/* Closed, but the buffer still has data. */
	} else {
		struct sudog *sg = waitq_dequeue(&c->sendq);
		if (sg != NULL) {
			/* A waiting sender: unbuffered, take its value;
			 * buffered (full), take the head and let it fill the
			 * tail. */
			bool buffered =
			    chan_recv_direct(c, sg, ep, unlock_chan, c);
			*received = true;
			RT_PROBE5(chanrecv, c, c->elemsize, buffered ? 1 : 0, 0,
				  curgoid());
			return true;
		}
	}

	if (c->qcount > 0) {
		/* Receive directly from the queue. */
		void *qp = chanbuf(c, c->recvx);
		if (ep != NULL)
			typedmemmove(c->elemsize, ep, qp);
		typedmemclr(c->elemsize, qp);
		if (++c->recvx == c->dataqsiz)
			c->recvx = 0;
		__atomic_store_n(&c->qcount, c->qcount - 1, __ATOMIC_RELAXED);
		unlock(&c->lock);
		*received = true;
		RT_PROBE5(chanrecv, c, c->elemsize, 1, 0, curgoid());
		return true;
	}

	if (!block) {
		unlock(&c->lock);
		return false;
	}

	/* No sender available: block on this channel. */
	struct g *gp = getg();
	struct sudog *mysg = acquire_sudog();
	mysg->elem = ep;
	mysg->waitlink = NULL;
	mysg->g = gp;
	mysg->isselect = false;
	mysg->c = c;
	gp->param = NULL;
	waitq_enqueue(&c->recvq, mysg);
	if (c->timer != NULL)
		timerchan_block(c);
	int64_t t0 = blocktiming(chanrecv) ? nanotime() : 0;
	rt_gopark(chanparkcommit, &c->lock, RT_WAIT_CHAN_RECEIVE);
	if (c->timer != NULL)
		timerchan_unblock(c);

	/* Someone woke us up. */
	if (gp->param != mysg)
		throw("chanrecv: bad wakeup");
	bool success = mysg->success;
	gp->param = NULL;
	mysg->c = NULL;
	release_sudog(mysg);
	*received = success;
	/* A blocked receiver got its value from a sender, not the buffer
	 * (the buffer was empty), or was woken by close. */
	RT_PROBE5(chanrecv, c, c->elemsize, success ? 0 : 2, blockedsince(t0),
		  gp->goid);
	return true;
}

bool rt_chan_recv(rt_chan *c, void *elem)
{
	bool received;
	chan_preempt_check();
	chanrecv(c, elem, true, &received);
	return received;
}

bool rt_chan_tryrecv(rt_chan *c, void *elem, bool *ok)
{
	bool received = false;
	if (c != NULL && c->timer != NULL)
		timerchan_maybe_run(c);
	if (c == NULL || (chan_empty(c) &&
			  __atomic_load_n(&c->closed, __ATOMIC_ACQUIRE) == 0)) {
		if (ok != NULL)
			*ok = false;
		return false;
	}
	chan_preempt_check();
	bool selected = chanrecv(c, elem, false, &received);
	if (ok != NULL)
		*ok = received;
	return selected;
}

/* ---- close ----------------------------------------------------------------
 */

/* closechan mirrors closechan. */
static void closechan(struct hchan *c, void *callerpc)
{
	if (c == NULL)
		chanpanic("close of nil channel", callerpc);

	lock(&c->lock);
	if (c->closed != 0) {
		unlock(&c->lock);
		chanpanic("close of closed channel", callerpc);
	}
	__atomic_store_n(&c->closed, 1, __ATOMIC_RELEASE);

	/* The woken Gs are chained through schedlink: each is parked
	 * (G_WAITING), hence on no run queue. */
	struct g *glist = NULL;

	/* release all readers */
	struct sudog *sg;
	while ((sg = waitq_dequeue(&c->recvq)) != NULL) {
		if (sg->elem != NULL) {
			typedmemclr(c->elemsize, sg->elem);
			sg->elem = NULL;
		}
		struct g *gp = sg->g;
		gp->param = sg;
		sg->success = false;
		gp->schedlink = glist;
		glist = gp;
	}

	/* release all writers (they will panic) */
	while ((sg = waitq_dequeue(&c->sendq)) != NULL) {
		sg->elem = NULL;
		struct g *gp = sg->g;
		gp->param = sg;
		sg->success = false;
		gp->schedlink = glist;
		glist = gp;
	}
	unlock(&c->lock);
	RT_PROBE2(chanclose, c, curgoid());

	/* Ready all Gs now that we've dropped the channel lock. */
	while (glist != NULL) {
		struct g *gp = glist;
		glist = gp->schedlink;
		gp->schedlink = NULL;
		ready(gp);
	}
}

void rt_chan_close(rt_chan *c)
{
	chan_preempt_check();
	closechan(c, __builtin_return_address(0));
}

/* rt_chan_len mirrors chanlen: a racy snapshot, as len(c). */
size_t rt_chan_len(rt_chan *c)
{
	if (c == NULL)
		return 0;
	return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED);
}

size_t rt_chan_cap(rt_chan *c)
{
	if (c == NULL)
		return 0;
	return c->dataqsiz;
}

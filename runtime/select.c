/*
 * select.c — select; mirrors runtime/select.go.
 *
 * selectgo runs in passes, all channels of the select locked (sellock)
 * in lockorder — cases sorted by channel address, so two selects over the
 * same channels cannot deadlock, and a channel named by several cases is
 * locked once:
 *
 *   pass 1: visit the cases in pollorder, a uniformly random permutation
 *           (so no case starves), and run the first that is ready: a
 *           receive with a waiting sender, buffered data, or a closed
 *           channel; a send to a closed channel (panic), with a waiting
 *           receiver, or with buffer room. If none is ready and there is a
 *           default, unlock and return -1.
 *   pass 2: enqueue a sudog on every case's channel, linked in lockorder
 *           (Go's gp.waiting), and park ("select"); selparkcommit unlocks
 *           the channels once the goroutine is off its stack.
 *   pass 3: woken by the goroutine that completed one case, relock all,
 *           find the winning sudog (gp.param), dequeue the others, unlock,
 *           return that case's index.
 *
 * Exactly one case completes: the sudogs of one select share a done flag
 * (Go's gp.selectDone; here a word in selectgo's frame, which outlives
 * every queued sudog since pass 3 dequeues them all under their locks), and
 * a waker must CAS it 0 → 1 in waitq_dequeue before it may use a select's
 * sudog; losers skip it.
 *
 * A select with one case and a default is a non-blocking send or receive
 * in Go (walkSelectCases): when that case is certainly not ready, rt_select
 * answers -1 from the same lock-free check as selectnbsend/selectnbrecv;
 * otherwise it runs selectgo as for any select. Every rt_select fires
 * selectgo/selectgo_ret.
 *
 * Probes: selectgo(ncases, has_default, goid) on entry, selectgo_ret(
 * chosen or -1, blocked_ns, goid) on return; the channel operations a
 * select performs fire no chansend/chanrecv.
 */
#include "chan.h"

#define SELECT_STACK_CASES 64 /* orders kept in the frame up to this */

/* cheaprandn mirrors cheaprandn: a uniform value in [0, n). */
static inline uint32_t cheaprandn(uint32_t n)
{
	return (uint32_t)(((uint64_t)fastrand() * n) >> 32);
}

/* sortkey orders channels for locking, as hchan.sortkey. */
static inline uintptr_t sortkey(struct rt_select_case *cases, uint16_t i)
{
	return (uintptr_t)cases[i].c;
}

/* sellock mirrors sellock: locks each distinct channel once, in
 * lockorder. */
static void sellock(struct rt_select_case *cases, const uint16_t *lockorder,
		    int n)
{
	struct hchan *c = NULL;
	for (int i = 0; i < n; i++) {
		struct hchan *c0 = cases[lockorder[i]].c;
		if (c0 != c) {
			c = c0;
			lock(&c->lock);
		}
	}
}

/*
 * selunlock mirrors selunlock: unlocks in reverse lockorder. It must not
 * touch the select's data after the last unlock: the goroutine may be
 * running again by then (when called as an unlockf of a wakeup).
 */
static void selunlock(struct rt_select_case *cases, const uint16_t *lockorder,
		      int n)
{
	for (int i = n - 1; i >= 0; i--) {
		struct hchan *c = cases[lockorder[i]].c;
		if (i > 0 && c == cases[lockorder[i - 1]].c)
			continue; /* will unlock it on the next iteration */
		unlock(&c->lock);
	}
}

struct selunlock_arg {
	struct rt_select_case *cases;
	const uint16_t *lockorder;
	int n;
};

static void selunlock_fn(void *arg)
{
	struct selunlock_arg *a = arg;
	selunlock(a->cases, a->lockorder, a->n);
}

/*
 * selparkcommit mirrors selparkcommit: the unlockf of a select's park;
 * waiting is the sudog list in lockorder. It unlocks each channel after
 * leaving its last sudog: a sudog is read only while its channel is still
 * locked, so the goroutine, even if woken meanwhile, cannot free them.
 */
static bool selparkcommit(rt_g *gp, void *waiting)
{
	(void)gp;
	struct hchan *lastc = NULL;
	for (struct sudog *sg = waiting; sg != NULL; sg = sg->waitlink) {
		if (sg->c != lastc && lastc != NULL)
			unlock(&lastc->lock);
		lastc = sg->c;
	}
	if (lastc != NULL)
		unlock(&lastc->lock);
	return true;
}

/*
 * selectgo mirrors selectgo. cases[i].c == NULL: never ready. Returns the
 * chosen case, -1 for the default; *blocked_ns how long it was parked.
 */
static int selectgo(struct rt_select_case *cases, int ncases, bool block,
		    int64_t *blocked_ns, void *callerpc)
{
	uint16_t order0[2 * SELECT_STACK_CASES];
	uint16_t *order1 = order0;
	if (ncases > SELECT_STACK_CASES)
		order1 = rt_mallocgc(2 * (size_t)ncases * sizeof(uint16_t),
				     RT_MALLOC_NOSCAN);
	uint16_t *pollorder = order1;
	uint16_t *lockorder = order1 + ncases;

	/* generate permuted order, omitting cases without channels */
	int norder = 0;
	for (int i = 0; i < ncases; i++) {
		if (cases[i].c == NULL)
			continue;
		if (cases[i].dir != RT_SELECT_SEND &&
		    cases[i].dir != RT_SELECT_RECV)
			throw("selectgo: bad case direction");
		uint32_t j = cheaprandn((uint32_t)norder + 1);
		pollorder[norder] = pollorder[j];
		pollorder[j] = (uint16_t)i;
		norder++;
	}

	/* Sort the cases by hchan address to get the locking order: a simple
	 * heap sort, to guarantee n log n time and constant stack footprint.
	 * Start from pollorder to permute cases on the same channel. */
	for (int i = 0; i < norder; i++) {
		int j = i;
		uintptr_t c = sortkey(cases, pollorder[i]);
		while (j > 0 && sortkey(cases, lockorder[(j - 1) / 2]) < c) {
			int k = (j - 1) / 2;
			lockorder[j] = lockorder[k];
			j = k;
		}
		lockorder[j] = pollorder[i];
	}
	for (int i = norder - 1; i >= 0; i--) {
		uint16_t o = lockorder[i];
		uintptr_t c = sortkey(cases, o);
		lockorder[i] = lockorder[0];
		int j = 0;
		for (;;) {
			int k = j * 2 + 1;
			if (k >= i)
				break;
			if (k + 1 < i && sortkey(cases, lockorder[k]) <
					     sortkey(cases, lockorder[k + 1]))
				k++;
			if (c < sortkey(cases, lockorder[k])) {
				lockorder[j] = lockorder[k];
				j = k;
				continue;
			}
			break;
		}
		lockorder[j] = o;
	}

	/* lock all the channels involved in the select */
	sellock(cases, lockorder, norder);

	struct selunlock_arg ua = {cases, lockorder, norder};
	struct hchan *c;
	struct sudog *sg;
	struct rt_select_case *cas;
	int casi;
	bool recvok = false;
	*blocked_ns = 0;

	/* pass 1 - look for something already waiting */
	for (int i = 0; i < norder; i++) {
		casi = pollorder[i];
		cas = &cases[casi];
		c = cas->c;
		if (cas->dir == RT_SELECT_RECV) {
			sg = waitq_dequeue(&c->sendq);
			if (sg != NULL)
				goto recv;
			if (c->qcount > 0)
				goto bufrecv;
			if (c->closed != 0)
				goto rclose;
		} else {
			if (c->closed != 0)
				goto sclose;
			sg = waitq_dequeue(&c->recvq);
			if (sg != NULL)
				goto send;
			if (c->qcount < c->dataqsiz)
				goto bufsend;
		}
	}

	if (!block) {
		selunlock(cases, lockorder, norder);
		return -1;
	}

	/* pass 2 - enqueue on all chans */
	struct g *gp = getg();
	_Atomic uint32_t selectdone = 0;
	struct sudog *waiting = NULL;
	struct sudog **nextp = &waiting;
	for (int i = 0; i < norder; i++) {
		casi = lockorder[i];
		cas = &cases[casi];
		c = cas->c;
		sg = acquire_sudog();
		sg->g = gp;
		sg->isselect = true;
		sg->selectdone = &selectdone;
		sg->elem = cas->elem;
		sg->c = c;
		/* Construct the waiting list in lock order. */
		*nextp = sg;
		nextp = &sg->waitlink;
		if (cas->dir == RT_SELECT_SEND)
			waitq_enqueue(&c->sendq, sg);
		else
			waitq_enqueue(&c->recvq, sg);
	}

	/* wait for someone to wake us up */
	gp->param = NULL;
	for (int i = 0; i < norder; i++)
		if (cases[lockorder[i]].c->timer != NULL &&
		    cases[lockorder[i]].dir == RT_SELECT_RECV)
			timerchan_block(cases[lockorder[i]].c);
	int64_t t0 = blocktiming(selectgo_ret) ? nanotime() : 0;
	rt_gopark(selparkcommit, waiting, RT_WAIT_SELECT);
	*blocked_ns = blockedsince(t0);
	for (int i = 0; i < norder; i++)
		if (cases[lockorder[i]].c->timer != NULL &&
		    cases[lockorder[i]].dir == RT_SELECT_RECV)
			timerchan_unblock(cases[lockorder[i]].c);

	sellock(cases, lockorder, norder);

	sg = gp->param;
	gp->param = NULL;

	/* pass 3 - dequeue from unsuccessful chans, otherwise they stack up
	 * on quiet channels; record the successful case. The sudogs are
	 * linked in lock order. */
	casi = -1;
	cas = NULL;
	bool casesuccess = false;
	struct sudog *sglist = waiting;
	/* Clear all elem before unlinking from the waiting list. */
	for (struct sudog *sg1 = waiting; sg1 != NULL; sg1 = sg1->waitlink) {
		sg1->isselect = false;
		sg1->elem = NULL;
		sg1->c = NULL;
	}
	for (int i = 0; i < norder; i++) {
		int k = lockorder[i];
		if (sg == sglist) {
			/* sg has already been dequeued by the G that woke
			 * us up. */
			casi = k;
			cas = &cases[k];
			casesuccess = sglist->success;
		} else {
			c = cases[k].c;
			if (cases[k].dir == RT_SELECT_SEND)
				waitq_dequeue_sudog(&c->sendq, sglist);
			else
				waitq_dequeue_sudog(&c->recvq, sglist);
		}
		struct sudog *sgnext = sglist->waitlink;
		sglist->waitlink = NULL;
		release_sudog(sglist);
		sglist = sgnext;
	}

	if (cas == NULL)
		throw("selectgo: bad wakeup");

	if (cas->dir == RT_SELECT_SEND) {
		if (!casesuccess)
			goto sclose;
	} else {
		recvok = casesuccess;
	}
	selunlock(cases, lockorder, norder);
	goto retc;

bufrecv:
	/* can receive from buffer */
	recvok = true;
	void *qp = chanbuf(c, c->recvx);
	if (cas->elem != NULL)
		typedmemmove(c->elemsize, cas->elem, qp);
	typedmemclr(c->elemsize, qp);
	if (++c->recvx == c->dataqsiz)
		c->recvx = 0;
	__atomic_store_n(&c->qcount, c->qcount - 1, __ATOMIC_RELAXED);
	selunlock(cases, lockorder, norder);
	goto retc;

bufsend:
	/* can send to buffer */
	typedmemmove(c->elemsize, chanbuf(c, c->sendx), cas->elem);
	if (++c->sendx == c->dataqsiz)
		c->sendx = 0;
	__atomic_store_n(&c->qcount, c->qcount + 1, __ATOMIC_RELAXED);
	selunlock(cases, lockorder, norder);
	goto retc;

recv:
	/* can receive from sleeping sender (sg) */
	chan_recv_direct(c, sg, cas->elem, selunlock_fn, &ua);
	recvok = true;
	goto retc;

rclose:
	/* read at end of closed channel */
	selunlock(cases, lockorder, norder);
	recvok = false;
	if (cas->elem != NULL)
		typedmemclr(c->elemsize, cas->elem);
	goto retc;

send:
	/* can send to a sleeping receiver (sg) */
	chan_send_direct(c, sg, cas->elem, selunlock_fn, &ua);
	goto retc;

retc:
	if (cas->dir == RT_SELECT_RECV && cas->recv_ok != NULL)
		*cas->recv_ok = recvok;
	return casi;

sclose:
	/* send on closed channel */
	selunlock(cases, lockorder, norder);
	chanpanic("send on closed channel", callerpc);
}

/* block mirrors block: select with no cases parks forever. */
static _Noreturn void block(void)
{
	rt_gopark(NULL, NULL, RT_WAIT_SELECT_NO_CASES);
	throw("unreachable");
}

/*
 * selectnb_wouldblock mirrors the lock-free fast path of selectnbsend /
 * selectnbrecv (chansend/chanrecv with block false): true if the single
 * case of a select with default is certainly not ready.
 */
static inline bool selectnb_wouldblock(struct rt_select_case *cas)
{
	struct hchan *c = cas->c;
	if (cas->dir == RT_SELECT_SEND)
		return __atomic_load_n(&c->closed, __ATOMIC_RELAXED) == 0 &&
		       chan_full(c);
	return chan_empty(c) &&
	       __atomic_load_n(&c->closed, __ATOMIC_ACQUIRE) == 0;
}

int rt_select(struct rt_select_case *cases, int n, bool has_default)
{
	void *callerpc = __builtin_return_address(0);
	RT_PROBE3_G(selectgo, OPEN, RT_PROBE_G_SELECT, getg(), n, has_default,
		    curgoid());
	int64_t blocked_ns = 0;
	int chosen;
	for (int i = 0; i < n; i++)
		if (cases[i].c != NULL && cases[i].c->timer != NULL &&
		    cases[i].dir == RT_SELECT_RECV)
			timerchan_maybe_run(cases[i].c);
	if (n == 1 && has_default && cases[0].c != NULL &&
	    selectnb_wouldblock(&cases[0])) {
		/* Go compiles this select to selectnbsend/selectnbrecv, whose
		 * failed fast path takes no lock and is no runtime entry. */
		chosen = -1;
	} else {
		chan_preempt_check();
		if (n < 0 || n > 65536)
			throw("selectgo: bad number of cases");
		if (n == 0 && !has_default)
			block();
		chosen =
		    selectgo(cases, n, !has_default, &blocked_ns, callerpc);
	}
	RT_PROBE3_G(selectgo_ret, CLOSE, RT_PROBE_G_SELECT, getg(), chosen,
		    blocked_ns, curgoid());
	return chosen;
}

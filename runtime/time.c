/*
 * time.c — timers; mirrors runtime/time.go (the per-P heaps of Go 1.14 to
 * 1.22) and the Timer/Ticker/After API of package time.
 *
 * Every P owns a 4-ary min-heap of timers ordered by when, under the P's
 * timerslock. A timer is added to the heap of the P that creates it
 * (addtimer), removed (deltimer) or moved in place (modtimer) with a sift
 * up or down; p->timer0when lets the scheduler peek at the earliest when
 * without the lock.
 *
 * p->timer0when is a lower bound of the earliest when, exact except after
 * a modtimer that moved the earliest timer later: it is left early then,
 * as Go's modtimer leaves timer0When for a timerModifiedLater timer, so a
 * Reset to a later time (a timeout pushed back on every request) does not
 * pay the atomic store. Whoever checks the timers at that early time finds
 * none due and refreshes it (checktimers), as Go's adjusttimers does. It is
 * 0 exactly when the heap is empty, which checkdead relies on.
 *
 * Timers fire from the scheduler: findrunnable runs the ready timers of its
 * own P (checktimers) and, while stealing, those of other Ps, so an idle
 * P's timers still fire. An M with nothing to do and timers pending
 * sleeps on its futex exactly until the earliest one (the role Go's
 * netpoller plays); adding an earlier timer starts an M to re-arm that
 * sleep. sysmon starts an M when a timer is overdue because every P is
 * busy with a goroutine that does not yield.
 *
 * A timer's function runs on the scheduler's stack with a P and must not
 * block: sendtime does a non-blocking send on the timer's 1-slot channel
 * (dropping the value if the channel is full, as Go's sendTime),
 * gofunc starts a goroutine (AfterFunc), goroutineready readies a
 * sleeping goroutine.
 *
 * Memory: timers and their channels live in the GC heap. Each P's heap
 * array is a GC root, so a timer in a heap is alive until it fires or is
 * stopped: time.After in a loop leaves one live timer and channel behind
 * per iteration until each fires — the cost the seed describes for Go up
 * to 1.22.
 *
 * RT_TIMER_GC=1 switches timer channels to Go 1.23's design instead: a
 * timer channel's timer is in a heap only while some goroutine is blocked
 * receiving from it (timerchan_block/unblock, called by chanrecv and
 * selectgo), and a receive first runs a timer that has expired
 * (timerchan_maybe_run). A timer nobody waits on is then referenced only
 * by its channel and, once the program drops both, is garbage at once.
 * Stop and Reset also discard a value not yet received, as Go 1.23's
 * synchronous timer channels do, and Stop reports true for a timer whose
 * value was never received. Each such timer has its own lock (t->mu, as
 * Go 1.23's timer.mu); the lock order is c->lock, t->mu, p->timerslock.
 */
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "runtime2.h"

struct timer {
	struct p *_Atomic pp; /* heap holding it; NULL when not in a heap */
	int32_t idx;	      /* index in pp->timers */
	int64_t when;	      /* nanotime at which to fire */
	int64_t period;	      /* > 0: fire every period (tickers) */
	void (*f)(void *arg, uintptr_t seq, int64_t delta);
	void *arg;     /* passed to f */
	uintptr_t seq; /* */
	/* RT_TIMER_GC=1 timer channels only */
	rt_lock mu;	 /* protects armed, blocked, when while unheaped */
	bool ischan;	 /* feeds c, Go 1.23 style */
	bool armed;	 /* started and not yet fired or stopped */
	int32_t blocked; /* goroutines blocked receiving from c */
	struct hchan *c; /* the channel it sends on */
};

static bool timer_gc; /* RT_TIMER_GC=1 */

/* timerinit reads RT_TIMER_GC; called by schedinit. */
void timerinit(void)
{
	const char *v = getenv("RT_TIMER_GC");
	timer_gc = v != NULL && strcmp(v, "1") == 0;
}

/* ---- the heap ---------------------------------------------------------- */

/* siftuptimer mirrors siftupTimer; pp->timerslock held. */
static int siftuptimer(struct timer **t, int i)
{
	struct timer *tmp = t[i];
	int64_t when = tmp->when;
	while (i > 0) {
		int p = (i - 1) / 4; /* parent */
		if (when >= t[p]->when)
			break;
		t[i] = t[p];
		t[i]->idx = i;
		i = p;
	}
	t[i] = tmp;
	tmp->idx = i;
	return i;
}

/* siftdowntimer mirrors siftdownTimer; pp->timerslock held. */
static void siftdowntimer(struct timer **t, int n, int i)
{
	struct timer *tmp = t[i];
	int64_t when = tmp->when;
	for (;;) {
		int c = i * 4 + 1; /* left child */
		int c3 = c + 2;	   /* mid child */
		if (c >= n)
			break;
		int64_t w = t[c]->when;
		if (c + 1 < n && t[c + 1]->when < w) {
			w = t[c + 1]->when;
			c++;
		}
		if (c3 < n) {
			int64_t w3 = t[c3]->when;
			if (c3 + 1 < n && t[c3 + 1]->when < w3) {
				w3 = t[c3 + 1]->when;
				c3++;
			}
			if (w3 < w) {
				w = w3;
				c = c3;
			}
		}
		if (w >= when)
			break;
		t[i] = t[c];
		t[i]->idx = i;
		i = c;
	}
	t[i] = tmp;
	tmp->idx = i;
}

/* updatetimer0when sets pp->timer0when to the earliest when, exactly.
 * Lock held. */
static void updatetimer0when(struct p *pp)
{
	atomic_store(&pp->timer0when,
		     pp->ntimers > 0 ? pp->timers[0]->when : 0);
}

/* lowertimer0when lowers pp->timer0when to the earliest when if that is
 * earlier (or the hint is unset); a hint that is early already stays, see
 * the top of the file. Lock held, heap not empty. */
static void lowertimer0when(struct p *pp)
{
	int64_t w = pp->timers[0]->when;
	int64_t h = atomic_load_explicit(&pp->timer0when, memory_order_relaxed);
	if (h == 0 || w < h)
		atomic_store(&pp->timer0when, w);
}

/* doaddtimer puts t in pp's heap; mirrors doaddtimer. Lock held. */
static void doaddtimer(struct p *pp, struct timer *t)
{
	if (pp->ntimers == pp->timerscap) {
		int32_t ncap = pp->timerscap ? pp->timerscap * 2 : 64;
		/* libc memory: no GC allocation under a runtime lock; the
		 * array is registered as a GC root so its timers live. */
		struct timer **n = malloc((size_t)ncap * sizeof(*n));
		if (n == NULL)
			fatal("runtime: out of memory growing a timer heap");
		if (pp->ntimers > 0)
			memcpy(n, pp->timers, (size_t)pp->ntimers * sizeof(*n));
		rt_gc_add_root(n, (size_t)ncap * sizeof(*n));
		if (pp->timers != NULL) {
			rt_gc_remove_root(pp->timers);
			free(pp->timers);
		}
		pp->timers = n;
		pp->timerscap = ncap;
	}
	/* ntimers stores are atomic: rt_timer_heap_len reads them from any
	 * thread (plain stores would race with it, as TSan reports) */
	int i = pp->ntimers;
	__atomic_store_n(&pp->ntimers, i + 1, __ATOMIC_RELAXED);
	pp->timers[i] = t;
	atomic_store(&t->pp, pp);
	siftuptimer(pp->timers, i);
	lowertimer0when(pp);
}

/* dodeltimer removes t from pp's heap; mirrors dodeltimer. Lock held.
 * Removing the earliest timer makes timer0when exact again; removing
 * another leaves the earliest, and so the hint, as they were. */
static void dodeltimer(struct p *pp, struct timer *t)
{
	int i = t->idx;
	int last = pp->ntimers - 1;
	__atomic_store_n(&pp->ntimers, last, __ATOMIC_RELAXED); /* doaddtimer */
	if (i != last) {
		pp->timers[i] = pp->timers[last];
		pp->timers[i]->idx = i;
	}
	pp->timers[last] = NULL;
	if (i != last) {
		siftuptimer(pp->timers, i);
		siftdowntimer(pp->timers, pp->ntimers, pp->timers[i]->idx);
	}
	atomic_store(&t->pp, NULL);
	if (i == 0)
		updatetimer0when(pp);
}

/* lockedp locks the heap holding t and returns its P, or NULL if t is in
 * no heap (then nothing is locked). */
static struct p *lockedp(struct timer *t)
{
	for (;;) {
		struct p *pp = atomic_load(&t->pp);
		if (pp == NULL)
			return NULL;
		lock(&pp->timerslock);
		if (atomic_load(&t->pp) == pp)
			return pp;
		unlock(&pp->timerslock); /* moved meanwhile */
	}
}

/* wakeforTimer makes sure some M will notice a timer at when: if the M
 * sleeping until the next timer sleeps past it, start another M, which
 * re-arms the sleep. Mirrors wakeNetPoller. */
/* Deadline of the M that last went to sleep until a timer, 0 if none.
 * Only a hint for waking one early: correctness does not depend on it,
 * since every M going idle sleeps until the earliest timer it sees and
 * sysmon starts an M for any overdue timer. */
static _Atomic int64_t sleepuntil;

static void wakefortimer(int64_t when)
{
	int64_t until = atomic_load(&sleepuntil);
	if (until == 0 || when < until)
		wakep();
}

/* addtimer adds t to the current P's heap; mirrors addtimer. */
static void addtimer(struct timer *t)
{
	struct m *mp = getm();
	mp->locks++;
	struct p *pp = mp->p;
	if (pp == NULL)
		throw("addtimer: no P");
	if (t->when <= 0)
		t->when = nanotime();
	lock(&pp->timerslock);
	doaddtimer(pp, t);
	int32_t n = pp->ntimers;
	unlock(&pp->timerslock);
	RT_PROBE3(addtimer, t->when, n, pp->id);
	wakefortimer(t->when);
	mp->locks--;
}

/* deltimer removes t from its heap; true if it was pending. Mirrors
 * deltimer. */
static bool deltimer(struct timer *t)
{
	struct p *pp = lockedp(t);
	if (pp == NULL)
		return false;
	dodeltimer(pp, t);
	int32_t n = pp->ntimers;
	unlock(&pp->timerslock);
	RT_PROBE3(deltimer, t->when, n, pp->id);
	return true;
}

/*
 * modtimer changes when (and period) of t, re-sifting it in place if it is
 * in a heap, else adding it; returns whether it was pending. Mirrors
 * modtimer: only a timer moved earlier lowers timer0when and may need an M
 * woken (timerModifiedEarlier, wakeNetPoller); one moved later leaves
 * both alone (timerModifiedLater).
 */
static bool modtimer(struct timer *t, int64_t when, int64_t period)
{
	struct m *mp = getm();
	mp->locks++;
	struct p *pp = lockedp(t);
	bool pending = pp != NULL;
	t->period = period;
	if (pending) {
		bool earlier = when < t->when;
		t->when = when;
		int i = siftuptimer(pp->timers, t->idx);
		siftdowntimer(pp->timers, pp->ntimers, i);
		if (earlier)
			lowertimer0when(pp);
		int32_t n = pp->ntimers;
		unlock(&pp->timerslock);
		RT_PROBE3(modtimer, when, n, pp->id);
		if (earlier)
			wakefortimer(when);
	} else {
		t->when = when;
		addtimer(t);
	}
	mp->locks--;
	return pending;
}

/*
 * checktimers runs pp's timers that are due at now (0: read the clock)
 * and returns the when of pp's next timer (0 if none). Called with a P
 * held, from the scheduler. Mirrors checkTimers + runtimer: the lock is
 * dropped while a timer's function runs.
 */
int64_t checktimers(struct p *pp, int64_t now)
{
	int64_t next = atomic_load(&pp->timer0when);
	if (next == 0)
		return 0;
	if (now == 0)
		now = nanotime();
	if (next > now)
		return next;
	lock(&pp->timerslock);
	while (pp->ntimers > 0 && pp->timers[0]->when <= now) {
		struct timer *t = pp->timers[0];
		int64_t delta = now - t->when;
		if (t->period > 0) {
			/* leave it in the heap with its next when: no drift,
			 * missed ticks are skipped, as runOneTimer */
			t->when += t->period * (1 + delta / t->period);
			siftdowntimer(pp->timers, pp->ntimers, 0);
			updatetimer0when(pp);
		} else {
			dodeltimer(pp, t);
		}
		int32_t n = pp->ntimers;
		void (*f)(void *, uintptr_t, int64_t) = t->f;
		void *arg = t->arg;
		uintptr_t seq = t->seq;
		unlock(&pp->timerslock);
		RT_PROBE3(runtimer, delta, n, pp->id);
		f(arg, seq, delta);
		lock(&pp->timerslock);
	}
	/* an early hint (a timer moved later) is exact again */
	updatetimer0when(pp);
	next = pp->ntimers > 0 ? pp->timers[0]->when : 0;
	unlock(&pp->timerslock);
	return next;
}

/* timesleepuntil is the earliest when over every P; mirrors
 * timeSleepUntil. 0 if no timer is pending. */
int64_t timesleepuntil(void)
{
	int64_t next = 0;
	for (int32_t i = 0; i < gomaxprocs; i++) {
		int64_t w = atomic_load(&allp[i]->timer0when);
		if (w != 0 && (next == 0 || w < next))
			next = w;
	}
	return next;
}

/* rt_timer_heap_len sums every P's ntimers with racy loads: each P's count
 * is exact under its lock, the sum is only a snapshot. */
size_t rt_timer_heap_len(void)
{
	size_t n = 0;
	for (int32_t i = 0; i < gomaxprocs; i++)
		n += (size_t)__atomic_load_n(&allp[i]->ntimers,
					     __ATOMIC_RELAXED);
	return n;
}

bool timers_pending(void)
{
	return timesleepuntil() != 0;
}

void timer_sleeping(int64_t until)
{
	atomic_store(&sleepuntil, until);
}

/* ---- timer functions (run on the scheduler's stack, with a P) ------- */

/* sendtime sends the current time on the timer's channel without
 * blocking; mirrors sendTime. */
static void sendtime(void *arg, uintptr_t seq, int64_t delta)
{
	(void)seq;
	(void)delta;
	struct timer *t = arg;
	if (t->ischan && t->period == 0) {
		lock(&t->mu);
		t->armed = false;
		unlock(&t->mu);
	}
	int64_t now = nanotime();
	chan_send_nb_from_runtime(t->c, &now);
}

struct afterfunc {
	rt_func fn;
	void *arg;
};

/* gofunc starts fn(arg) in its own goroutine; mirrors goFunc. */
static void gofunc(void *arg, uintptr_t seq, int64_t delta)
{
	(void)seq;
	(void)delta;
	struct afterfunc *af = arg;
	rt_go(af->fn, af->arg);
}

static void goroutineready(void *arg, uintptr_t seq, int64_t delta)
{
	(void)seq;
	(void)delta;
	ready(arg);
}

/* ---- Go 1.23 timer channels (RT_TIMER_GC=1) ----------------------------- */

/* drainchan discards a value the timer sent but nobody received. */
static void drainchan(struct hchan *c)
{
	bool ok;
	rt_chan_tryrecv(c, NULL, &ok);
}

static bool chantimer_stop(struct timer *t)
{
	lock(&t->mu);
	bool was = t->armed;
	t->armed = false;
	if (atomic_load(&t->pp) != NULL)
		deltimer(t);
	unlock(&t->mu);
	drainchan(t->c);
	return was;
}

static bool chantimer_reset(struct timer *t, int64_t when, int64_t period)
{
	lock(&t->mu);
	bool was = t->armed;
	t->armed = true;
	if (t->blocked > 0) {
		modtimer(t, when, period);
	} else {
		if (atomic_load(&t->pp) != NULL)
			deltimer(t);
		t->when = when;
		t->period = period;
	}
	unlock(&t->mu);
	drainchan(t->c);
	return was;
}

void timerchan_maybe_run(struct hchan *c)
{
	struct timer *t = c->timer;
	if (!__atomic_load_n(&t->armed, __ATOMIC_RELAXED))
		return;
	int64_t now = nanotime();
	lock(&t->mu);
	if (!t->armed || atomic_load(&t->pp) != NULL || t->when > now) {
		unlock(&t->mu);
		return;
	}
	int64_t delta = now - t->when;
	if (t->period > 0)
		t->when += t->period * (1 + delta / t->period);
	else
		t->armed = false;
	unlock(&t->mu);
	struct p *pp = getm()->p;
	RT_PROBE3(runtimer, delta, 0, pp != NULL ? pp->id : -1);
	chan_send_nb_from_runtime(c, &now);
}

void timerchan_block(struct hchan *c)
{
	struct timer *t = c->timer;
	lock(&t->mu);
	if (t->blocked++ == 0 && t->armed && atomic_load(&t->pp) == NULL)
		addtimer(t);
	unlock(&t->mu);
}

void timerchan_unblock(struct hchan *c)
{
	struct timer *t = c->timer;
	lock(&t->mu);
	if (--t->blocked == 0 && atomic_load(&t->pp) != NULL)
		deltimer(t);
	unlock(&t->mu);
}

/* ---- package time ------------------------------------------------------ */

static struct timer *newtimer(int64_t when, int64_t period,
			      void (*f)(void *, uintptr_t, int64_t), void *arg)
{
	struct timer *t = rt_mallocgc(sizeof(*t), 0);
	t->when = when;
	t->period = period;
	t->f = f;
	t->arg = arg;
	return t;
}

static int64_t when_after(int64_t d)
{
	int64_t now = nanotime();
	if (d <= 0)
		return now;
	if (d > INT64_MAX - now)
		return INT64_MAX; /* effectively never */
	return now + d;
}

/* newchantimer makes the runtime timer of a Timer or Ticker: in a heap at
 * once, or (RT_TIMER_GC=1) armed and in a heap only while waited on. */
static struct timer *newchantimer(rt_chan *c, int64_t when, int64_t period)
{
	struct timer *t = newtimer(when, period, sendtime, NULL);
	t->arg = t;
	t->c = c;
	if (timer_gc) {
		t->ischan = true;
		t->armed = true;
		c->timer = t;
	} else {
		addtimer(t);
	}
	return t;
}

rt_timer *rt_timer_new(int64_t d)
{
	rt_timer *t = rt_mallocgc(sizeof(*t), 0);
	t->C = rt_chan_make(sizeof(int64_t), 1);
	t->runtime = newchantimer(t->C, when_after(d), 0);
	return t;
}

bool rt_timer_stop(rt_timer *t)
{
	if (t == NULL || t->runtime == NULL)
		throw("time: Stop called on uninitialized Timer");
	struct timer *rt = t->runtime;
	return rt->ischan ? chantimer_stop(rt) : deltimer(rt);
}

bool rt_timer_reset(rt_timer *t, int64_t d)
{
	if (t == NULL || t->runtime == NULL)
		throw("time: Reset called on uninitialized Timer");
	struct timer *rt = t->runtime;
	if (rt->ischan)
		return chantimer_reset(rt, when_after(d), 0);
	return modtimer(rt, when_after(d), 0);
}

rt_chan *rt_after(int64_t d)
{
	return rt_timer_new(d)->C;
}

rt_timer *rt_after_func(int64_t d, rt_func fn, void *arg)
{
	rt_timer *t = rt_mallocgc(sizeof(*t), 0);
	struct afterfunc *af = rt_mallocgc(sizeof(*af), 0);
	af->fn = fn;
	af->arg = arg;
	struct timer *rt = newtimer(when_after(d), 0, gofunc, af);
	t->runtime = rt;
	addtimer(rt);
	return t;
}

rt_ticker *rt_ticker_new(int64_t period)
{
	if (period <= 0)
		throw("non-positive interval for NewTicker");
	rt_ticker *t = rt_mallocgc(sizeof(*t), 0);
	t->C = rt_chan_make(sizeof(int64_t), 1);
	t->runtime = newchantimer(t->C, when_after(period), period);
	return t;
}

void rt_ticker_stop(rt_ticker *t)
{
	struct timer *rt = t->runtime;
	if (rt->ischan)
		chantimer_stop(rt);
	else
		deltimer(rt);
}

void rt_ticker_reset(rt_ticker *t, int64_t period)
{
	if (period <= 0)
		throw("non-positive interval for Ticker.Reset");
	if (t->runtime == NULL)
		throw("time: Reset called on uninitialized Ticker");
	struct timer *rt = t->runtime;
	if (rt->ischan)
		chantimer_reset(rt, when_after(period), period);
	else
		modtimer(rt, when_after(period), period);
}

/* reset_for_sleep adds the sleep timer once the goroutine is parked, so
 * it cannot fire before the park; mirrors resetForSleep. */
static bool reset_for_sleep(rt_g *gp, void *arg)
{
	(void)gp;
	addtimer(arg);
	return true;
}

/* rt_sleep mirrors timeSleep. The timer lives on the goroutine's stack:
 * the goroutine is parked until it fires, so it outlives its heap entry. */
void rt_sleep(int64_t d)
{
	if (d <= 0)
		return;
	struct timer t = {
	    .when = when_after(d),
	    .f = goroutineready,
	    .arg = getg(),
	};
	rt_gopark(reset_for_sleep, &t, RT_WAIT_SLEEP);
}

/*
 * proc.c — the goroutine scheduler; mirrors runtime/proc.go.
 *
 * The main concepts (see runtime2.h): G goroutines, M worker threads, P
 * processors. The scheduler's job is to match up a G (code to run), an M
 * (where to run it) and a P (the right and the resources to run it).
 *
 * Worker thread parking/unparking follows Go's design: we want enough
 * running Ms to use the available Ps, but park idle Ms to save CPU. An M
 * is "spinning" when it has a P but found no work and is looking in other
 * Ps' run queues. At most about half of the busy Ps' worth of Ms spin
 * (2*nmspinning < gomaxprocs - npidle). When new work appears (rt_go,
 * goready) and there is an idle P and no spinning M, wakep() starts one;
 * a spinning M that finds work wakes another (resetspinning), so bursts
 * of work spread across Ps without a thundering herd.
 *
 * Where a G goes when it becomes runnable:
 *   - rt_go / goready: the current P's runnext slot (it runs next and
 *     inherits the remaining time slice; the previous runnext is kicked to
 *     the tail of the local queue);
 *   - rt_gosched and preemption: the global run queue (gosched_m), which
 *     any P checks once every 61 schedule ticks and when its own queue is
 *     empty — so a yielding G loses its P affinity, as in Go;
 *   - a full local queue spills half to the global queue (runqputslow).
 *
 * The thread that calls rt_main (m0) does not run goroutines: it waits for
 * the main goroutine to return, so that rt_main can return to its caller.
 *
 * sysmon is a thread without a P. It wakes every 20 us to 10 ms and
 *   - retakes the P of an M in a system call (so other Gs can run), under
 *     the same conditions as Go's retake;
 *   - preempts a G that has run for more than 10 ms without the P's
 *     schedtick moving: it sets gp->preempt, which the G honours at its
 *     next runtime entry (rt_preempt_check), and sends the M a SIGURG for
 *     asynchronous preemption (preempt.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "malloc.h"
#include "runtime2.h"

struct schedt sched;
struct p *allp[RT_MAX_PROCS];
int32_t gomaxprocs;
int32_t ncpu;
struct m *_Atomic allm;
struct rt_counters rt_counters;
__thread struct m *rt_tls_m __attribute__((tls_model("local-exec")));

static struct m m0;
static struct g *maing;
static rt_note maindone;
static _Atomic bool mainstarted;
static _Atomic bool rt_started;
static int64_t nmfreed; /* Ms that exited; under sched.lock */

/* allgs holds every G ever created; Gs are reused, never freed. */
static struct {
	rt_lock lock;
	struct g **gs;
	size_t n;
	size_t cap;
} allgs;

static struct g *park_m(struct m *mp, struct g *gp);
static struct g *gosched_m(struct m *mp, struct g *gp);
static struct g *goexit0(struct m *mp, struct g *gp);
static struct g *goyield_m(struct m *mp, struct g *gp);
static struct g *exitsyscall0(struct m *mp, struct g *gp);
static void checkdead(void);
static void stopm(struct m *mp);
static void startm(struct p *pp, bool spinning);
static void handoffp(struct p *pp);
static _Noreturn void exit_park(struct m *mp);
static void gcstopm(struct m *mp);
static void wake_sysmon(void);
static void acquirep(struct m *mp, struct p *pp);

/* ---- errors --------------------------------------------------------- */

static void print_fatal_context(void)
{
	struct m *mp = getm();
	if (mp != NULL && mp->curg != NULL)
		fprintf(stderr, "\ngoroutine %" PRIu64 " [running]\n",
			mp->curg->goid);
}

/* throw reports a broken runtime invariant and exits with status 2. */
_Noreturn void throw(const char *msg)
{
	fprintf(stderr, "fatal error: %s\n", msg);
	print_fatal_context();
	fflush(stderr);
	_exit(2);
}

/* fatal reports an unrecoverable condition (out of memory, deadlock). */
_Noreturn void fatal(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fatal error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(2);
}

/* ---- small helpers ------------------------------------------------------ */

uint32_t fastrand(void)
{
	struct m *mp = getm();
	uint32_t x = mp->fastrand;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	mp->fastrand = x;
	return x;
}

static const char *gstatus_name(uint32_t s)
{
	switch (s) {
	case G_IDLE:
		return "idle";
	case G_RUNNABLE:
		return "runnable";
	case G_RUNNING:
		return "running";
	case G_SYSCALL:
		return "syscall";
	case G_WAITING:
		return "waiting";
	case G_DEAD:
		return "dead";
	}
	return "?";
}

/* casgstatus mirrors casgstatus: a status change that must succeed. */
void casgstatus(struct g *gp, uint32_t oldval, uint32_t newval)
{
	uint32_t cur = oldval;
	if (!atomic_compare_exchange_strong(&gp->atomicstatus, &cur, newval)) {
		fprintf(stderr,
			"runtime: casgstatus: goroutine %" PRIu64
			" has status %s, want %s -> %s\n",
			gp->goid, gstatus_name(cur), gstatus_name(oldval),
			gstatus_name(newval));
		throw("casgstatus: bad incoming values");
	}
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void allgadd(struct g *gp)
{
	lock(&allgs.lock);
	if (allgs.n == allgs.cap) {
		size_t ncap = allgs.cap ? allgs.cap * 2 : 1024;
		struct g **n = realloc(allgs.gs, ncap * sizeof(*n));
		if (n == NULL)
			fatal("runtime: out of memory growing allgs");
		allgs.gs = n;
		allgs.cap = ncap;
	}
	allgs.gs[allgs.n] = gp;
	/* atomic: gcount and rt_allglen read n without the lock (a plain
	 * store was a data race, found by TSan) */
	__atomic_store_n(&allgs.n, allgs.n + 1, __ATOMIC_RELEASE);
	unlock(&allgs.lock);
}

/* ---- Ms ----------------------------------------------------------------- */

static struct m *allocm(void)
{
	struct m *mp = calloc(1, sizeof(*mp));
	if (mp == NULL)
		fatal("runtime: out of memory allocating an M");
	lock(&sched.lock);
	mp->id = sched.mnext++;
	unlock(&sched.lock);
	mp->fastrand = (uint32_t)nanotime() ^ (uint32_t)(mp->id * 0x9e3779b9u);
	if (mp->fastrand == 0)
		mp->fastrand = 1;
	struct m *head = atomic_load(&allm);
	do {
		mp->alllink = head;
	} while (!atomic_compare_exchange_weak(&allm, &head, mp));
	return mp;
}

static void record_g0_stack(struct m *mp)
{
	pthread_attr_t attr;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstack(&attr, &mp->g0_stack_lo,
				      &mp->g0_stack_size);
		pthread_attr_destroy(&attr);
	}
}

static _Noreturn void schedule_loop(struct m *mp);

static void *mstart(void *arg)
{
	struct m *mp = arg;
	rt_tls_m = mp;
	/* atomic: preemptM reads it from sysmon (and stop_the_world) */
	__atomic_store_n(&mp->procid, gettid_(), __ATOMIC_RELAXED);
	record_g0_stack(mp);
	fiber_m_init(mp);
	if (mp->nextp != NULL) {
		struct p *pp = mp->nextp;
		mp->nextp = NULL;
		acquirep(mp, pp);
	}
	schedule_loop(mp);
}

static void start_thread(struct m *mp, void *(*fn)(void *))
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
#ifdef RT_ASAN
	pthread_attr_setstacksize(&attr, 8 << 20);
#else
	pthread_attr_setstacksize(&attr, 1 << 20);
#endif
	int err = pthread_create(&mp->thread, &attr, fn, mp);
	pthread_attr_destroy(&attr);
	if (err != 0)
		fatal("runtime: failed to create new OS thread (have %" PRId64
		      " already): %s",
		      sched.mnext, strerror(err));
}

/* newm starts a new M that will acquire pp; mirrors newm. */
static void newm(bool spinning, struct p *pp)
{
	struct m *mp = allocm();
	mp->nextp = pp;
	mp->spinning = spinning;
	start_thread(mp, mstart);
}

/* mput puts mp on the idle list. sched.lock must be held. */
static void mput(struct m *mp)
{
	mp->schedlink = sched.midle;
	sched.midle = mp;
	sched.nmidle++;
	checkdead();
}

/* mget takes an M off the idle list. sched.lock must be held. */
static struct m *mget(void)
{
	struct m *mp = sched.midle;
	if (mp != NULL) {
		sched.midle = mp->schedlink;
		sched.nmidle--;
	}
	return mp;
}

static void mpark(struct m *mp)
{
	notesleep(&mp->park);
	noteclear(&mp->park);
}

/* ---- Ps ----------------------------------------------------------------- */

static bool runqempty(struct p *pp);

/*
 * idlepmask has bit id set while allp[id] is on the idle list (sched.pidle);
 * mirrors idlepMask (a pMask). A P's status says P_IDLE also while it is in
 * transit — released by handoffp or startlockedm and waiting in some M's
 * nextp until that M wakes — and such a P may hold work (the G that made
 * handoffp start an M). Stealers must skip only the Ps on the idle list,
 * which have none: Go's stealWork and checkRunqsNoP read this mask, never
 * the status. Written under sched.lock, read without it.
 */
static _Atomic uint32_t idlepmask[(RT_MAX_PROCS + 31) / 32];

static bool idlepmask_read(int32_t id)
{
	return (atomic_load(&idlepmask[id / 32]) & (1u << (id % 32))) != 0;
}

/* pidleput puts pp on the idle list. sched.lock must be held. */
static void pidleput(struct p *pp)
{
	if (!runqempty(pp))
		throw("pidleput: P has non-empty run queue");
	atomic_fetch_or(&idlepmask[pp->id / 32], 1u << (pp->id % 32));
	pp->link = sched.pidle;
	sched.pidle = pp;
	atomic_fetch_add(&sched.npidle, 1);
}

/* pidleget takes a P off the idle list. sched.lock must be held. */
static struct p *pidleget(void)
{
	struct p *pp = sched.pidle;
	if (pp != NULL) {
		atomic_fetch_and(&idlepmask[pp->id / 32],
				 ~(1u << (pp->id % 32)));
		sched.pidle = pp->link;
		atomic_fetch_sub(&sched.npidle, 1);
	}
	return pp;
}

static void acquirep(struct m *mp, struct p *pp)
{
	if (mp->p != NULL || pp->m != NULL ||
	    atomic_load(&pp->status) != P_IDLE)
		throw("acquirep: invalid p state");
	mp->p = pp;
	__atomic_store_n(&pp->m, mp, __ATOMIC_RELEASE);
	atomic_store(&pp->status, P_RUNNING);
	/* sysmon sleeps while every P is idle; a P at work needs it again
	 * (to preempt, retake, and nudge timers). Go's sysmon can rely on
	 * its callers; here the first M may take its P only after sysmon
	 * already saw every P idle. */
	if (atomic_load_explicit(&sched.sysmonwait, memory_order_relaxed))
		wake_sysmon();
}

static struct p *releasep(struct m *mp)
{
	struct p *pp = mp->p;
	if (pp == NULL || pp->m != mp || atomic_load(&pp->status) != P_RUNNING)
		throw("releasep: invalid p state");
	mp->p = NULL;
	__atomic_store_n(&pp->m, NULL, __ATOMIC_RELEASE);
	atomic_store(&pp->status, P_IDLE);
	return pp;
}

/* ---- run queues -----------------------------------------------------------
 */

static void gqueue_push(struct gqueue *q, struct g *gp)
{
	gp->schedlink = NULL;
	if (q->tail != NULL)
		q->tail->schedlink = gp;
	else
		q->head = gp;
	q->tail = gp;
}

static struct g *gqueue_pop(struct gqueue *q)
{
	struct g *gp = q->head;
	if (gp != NULL) {
		q->head = gp->schedlink;
		if (q->head == NULL)
			q->tail = NULL;
		gp->schedlink = NULL;
	}
	return gp;
}

static inline int32_t sched_runqsize(void)
{
	return atomic_load_explicit(&sched.runqsize, memory_order_relaxed);
}

/* globrunqput puts gp on the global run queue. sched.lock must be held. */
static void globrunqput(struct g *gp)
{
	gqueue_push(&sched.runq, gp);
	/* written only under sched.lock; read racily outside it */
	atomic_store_explicit(&sched.runqsize, sched_runqsize() + 1,
			      memory_order_relaxed);
}

static void runqput(struct p *pp, struct g *gp, bool next);

/*
 * globrunqget takes a batch from the global queue: its fair share, at most
 * max (if > 0) and half a local queue; the rest go to pp's local queue.
 * sched.lock must be held. Mirrors globrunqget.
 */
static struct g *globrunqget(struct p *pp, int32_t max)
{
	int32_t size = sched_runqsize();
	if (size == 0)
		return NULL;
	int32_t n = size / gomaxprocs + 1;
	if (n > size)
		n = size;
	if (max > 0 && n > max)
		n = max;
	if (n > RT_RUNQ_SIZE / 2)
		n = RT_RUNQ_SIZE / 2;
	atomic_store_explicit(&sched.runqsize, size - n, memory_order_relaxed);
	struct g *gp = gqueue_pop(&sched.runq);
	for (n--; n > 0; n--)
		runqput(pp, gqueue_pop(&sched.runq), false);
	return gp;
}

static bool runqempty(struct p *pp)
{
	/* Re-read runqtail so the three loads are a consistent snapshot. */
	for (;;) {
		uint32_t head = atomic_load(&pp->runqhead);
		uint32_t tail = atomic_load(&pp->runqtail);
		struct g *next = atomic_load(&pp->runnext);
		if (tail == atomic_load(&pp->runqtail))
			return head == tail && next == NULL;
	}
}

/*
 * runqputslow moves half of pp's full local queue plus gp to the global
 * queue; mirrors runqputslow. Fails if a stealer got there first.
 */
static bool runqputslow(struct p *pp, struct g *gp, uint32_t h, uint32_t t)
{
	struct g *batch[RT_RUNQ_SIZE / 2 + 1];
	uint32_t n = (t - h) / 2;
	if (n != RT_RUNQ_SIZE / 2)
		throw("runqputslow: queue is not full");
	for (uint32_t i = 0; i < n; i++)
		batch[i] = atomic_load_explicit(
		    &pp->runq[(h + i) % RT_RUNQ_SIZE], memory_order_relaxed);
	if (!atomic_compare_exchange_strong_explicit(&pp->runqhead, &h, h + n,
						     memory_order_release,
						     memory_order_relaxed))
		return false;
	batch[n] = gp;
	lock(&sched.lock);
	for (uint32_t i = 0; i <= n; i++)
		globrunqput(batch[i]);
	unlock(&sched.lock);
	return true;
}

/*
 * runqput puts gp on pp's local queue; with next, in the runnext slot.
 * Only pp's owner calls it. Mirrors runqput.
 */
static void runqput(struct p *pp, struct g *gp, bool next)
{
	if (next) {
		struct g *old = atomic_load(&pp->runnext);
		while (!atomic_compare_exchange_weak(&pp->runnext, &old, gp))
			;
		if (old == NULL)
			return;
		gp = old; /* kick the old runnext to the regular queue */
	}
	for (;;) {
		uint32_t h =
		    atomic_load_explicit(&pp->runqhead, memory_order_acquire);
		uint32_t t =
		    atomic_load_explicit(&pp->runqtail, memory_order_relaxed);
		if (t - h < RT_RUNQ_SIZE) {
			atomic_store_explicit(&pp->runq[t % RT_RUNQ_SIZE], gp,
					      memory_order_relaxed);
			atomic_store_explicit(&pp->runqtail, t + 1,
					      memory_order_release);
			return;
		}
		if (runqputslow(pp, gp, h, t))
			return;
	}
}

/* runqget takes a G from pp's local queue; owner only. Mirrors runqget. */
static struct g *runqget(struct p *pp, bool *inherit)
{
	struct g *next = atomic_load(&pp->runnext);
	if (next != NULL &&
	    atomic_compare_exchange_strong(&pp->runnext, &next, NULL)) {
		*inherit = true;
		return next;
	}
	for (;;) {
		uint32_t h =
		    atomic_load_explicit(&pp->runqhead, memory_order_acquire);
		uint32_t t =
		    atomic_load_explicit(&pp->runqtail, memory_order_relaxed);
		if (t == h)
			return NULL;
		struct g *gp = atomic_load_explicit(&pp->runq[h % RT_RUNQ_SIZE],
						    memory_order_relaxed);
		if (atomic_compare_exchange_weak_explicit(
			&pp->runqhead, &h, h + 1, memory_order_release,
			memory_order_relaxed)) {
			*inherit = false;
			return gp;
		}
	}
}

/*
 * runqgrab copies half of pp's queue into batch starting at batchhead;
 * mirrors runqgrab. With stealnext it may take pp's runnext, after giving
 * pp's owner a moment to run it itself.
 */
static uint32_t runqgrab(struct p *pp, struct g *_Atomic *batch,
			 uint32_t batchhead, bool stealnext)
{
	for (;;) {
		uint32_t h =
		    atomic_load_explicit(&pp->runqhead, memory_order_acquire);
		uint32_t t =
		    atomic_load_explicit(&pp->runqtail, memory_order_acquire);
		uint32_t n = t - h;
		n = n - n / 2;
		if (n == 0) {
			if (!stealnext)
				return 0;
			struct g *next = atomic_load(&pp->runnext);
			if (next == NULL)
				return 0;
			/* pp's owner is likely about to run it (it just
			 * readied it and is about to park): let it. */
			if (atomic_load(&pp->status) == P_RUNNING)
				usleep(3);
			if (!atomic_compare_exchange_strong(&pp->runnext, &next,
							    NULL))
				continue;
			atomic_store_explicit(&batch[batchhead % RT_RUNQ_SIZE],
					      next, memory_order_relaxed);
			return 1;
		}
		if (n > RT_RUNQ_SIZE / 2)
			continue; /* read an inconsistent h and t */
		for (uint32_t i = 0; i < n; i++) {
			struct g *gp = atomic_load_explicit(
			    &pp->runq[(h + i) % RT_RUNQ_SIZE],
			    memory_order_relaxed);
			atomic_store_explicit(
			    &batch[(batchhead + i) % RT_RUNQ_SIZE], gp,
			    memory_order_relaxed);
		}
		if (atomic_compare_exchange_strong_explicit(
			&pp->runqhead, &h, h + n, memory_order_release,
			memory_order_relaxed))
			return n;
	}
}

/* runqsteal moves half of p2's queue to pp's and returns one G. */
static struct g *runqsteal(struct p *pp, struct p *p2, bool stealnext)
{
	uint32_t t = atomic_load_explicit(&pp->runqtail, memory_order_relaxed);
	uint32_t n = runqgrab(p2, pp->runq, t, stealnext);
	if (n == 0)
		return NULL;
	n--;
	struct g *gp = atomic_load_explicit(&pp->runq[(t + n) % RT_RUNQ_SIZE],
					    memory_order_relaxed);
	if (n == 0)
		return gp;
	uint32_t h = atomic_load_explicit(&pp->runqhead, memory_order_acquire);
	if (t - h + n >= RT_RUNQ_SIZE)
		throw("runqsteal: runq overflow");
	atomic_store_explicit(&pp->runqtail, t + n, memory_order_release);
	return gp;
}

/* ---- starting and stopping Ms -------------------------------------------- */

/* mremove takes mp off the idle list if it is there. sched.lock held. */
static bool mremove(struct m *mp)
{
	for (struct m **pm = &sched.midle; *pm != NULL;
	     pm = &(*pm)->schedlink) {
		if (*pm == mp) {
			*pm = mp->schedlink;
			sched.nmidle--;
			return true;
		}
	}
	return false;
}

/*
 * stopm_until parks mp until startm hands it a P or, if until != 0, until
 * that time (the earliest timer): then it takes an idle P itself so the
 * timer runs — the job Go's netpoller does with its timeout. Returns with
 * a P.
 */
static void stopm_until(struct m *mp, int64_t until)
{
	if (mp->locks != 0)
		throw("stopm holding locks");
	if (mp->p != NULL)
		throw("stopm holding p");
	if (mp->spinning)
		throw("stopm spinning");
	for (;;) {
		lock(&sched.lock);
		mput(mp);
		unlock(&sched.lock);
		bool woken = true;
		if (until == 0) {
			notesleep(&mp->park);
		} else {
			timer_sleeping(until);
			int64_t ns = until - nanotime();
			woken = ns > 0 && notetsleep(&mp->park, ns);
		}
		if (!woken) {
			lock(&sched.lock);
			bool idle = mremove(mp);
			struct p *pp = idle ? pidleget() : NULL;
			unlock(&sched.lock);
			timer_sleeping(0);
			if (pp != NULL) {
				acquirep(mp, pp);
				return;
			}
			if (idle) {
				/* every P is busy; they run their timers
				 * themselves (sysmon nudges them) */
				until = 0;
				continue;
			}
			/* startm took us off the list: its wakeup comes */
			notesleep(&mp->park);
		}
		noteclear(&mp->park);
		if (until != 0)
			timer_sleeping(0);
		if (atomic_load(&sched.exiting) && mp->nextp == NULL)
			exit_park(mp);
		acquirep(mp, mp->nextp);
		mp->nextp = NULL;
		return;
	}
}

/* stopm parks mp until startm hands it a P. */
static void stopm(struct m *mp)
{
	stopm_until(mp, 0);
}

/*
 * startm schedules some M to run pp (an idle P if pp is NULL); mirrors
 * startm. If spinning, the caller incremented nmspinning and the new M
 * starts spinning.
 */
static void startm(struct p *pp, bool spinning)
{
	lock(&sched.lock);
	if (pp == NULL) {
		pp = pidleget();
		if (pp == NULL) {
			unlock(&sched.lock);
			if (spinning &&
			    atomic_fetch_sub(&sched.nmspinning, 1) - 1 < 0)
				throw("startm: negative nmspinning");
			return;
		}
	}
	struct m *nmp = mget();
	unlock(&sched.lock);
	if (nmp == NULL) {
		newm(spinning, pp);
		return;
	}
	if (nmp->spinning)
		throw("startm: m is spinning");
	if (nmp->nextp != NULL)
		throw("startm: m has p");
	nmp->spinning = spinning;
	nmp->nextp = pp;
	notewakeup(&nmp->park);
}

static void wake_sysmon(void)
{
	if (!atomic_load(&sched.sysmonwait))
		return;
	lock(&sched.lock);
	if (atomic_load(&sched.sysmonwait)) {
		atomic_store(&sched.sysmonwait, false);
		notewakeup(&sched.sysmonnote);
	}
	unlock(&sched.lock);
}

/*
 * handoffp hands off pp from an M blocked in a syscall or locked to a G;
 * mirrors handoffp: start an M if there is work or nobody is looking for
 * it, otherwise put pp on the idle list.
 */
static void handoffp(struct p *pp)
{
	atomic_fetch_add(&rt_counters.handoffs, 1);
	if (!runqempty(pp) || sched_runqsize() != 0) {
		startm(pp, false);
		return;
	}
	int32_t zero = 0;
	if (atomic_load(&sched.nmspinning) + atomic_load(&sched.npidle) == 0 &&
	    atomic_compare_exchange_strong(&sched.nmspinning, &zero, 1)) {
		startm(pp, true);
		return;
	}
	lock(&sched.lock);
	if (atomic_load(&sched.gcwaiting)) {
		atomic_store(&pp->status, P_GCSTOP);
		if (--sched.stopwait == 0)
			notewakeup(&sched.stopnote);
		unlock(&sched.lock);
		return;
	}
	if (sched_runqsize() != 0) {
		unlock(&sched.lock);
		startm(pp, false);
		return;
	}
	pidleput(pp);
	unlock(&sched.lock);
}

/* wakep tries to add one more spinning M for new work; mirrors wakep. */
void wakep(void)
{
	if (atomic_load(&sched.npidle) == 0)
		return;
	int32_t zero = 0;
	if (atomic_load(&sched.nmspinning) != 0 ||
	    !atomic_compare_exchange_strong(&sched.nmspinning, &zero, 1))
		return;
	startm(NULL, true);
}

/* resetspinning: a spinning M found work; maybe wake another spinner. */
static void resetspinning(struct m *mp)
{
	mp->spinning = false;
	if (atomic_fetch_sub(&sched.nmspinning, 1) - 1 < 0)
		throw("resetspinning: negative nmspinning");
	wakep();
}

static void incidlelocked(int32_t v)
{
	lock(&sched.lock);
	sched.nmidlelocked += v;
	if (v > 0)
		checkdead();
	unlock(&sched.lock);
}

/*
 * stoplockedm: mp is locked to a G that is not running; hand off mp's P and
 * sleep until the G is runnable and another M hands us a P to run it on.
 * Mirrors stoplockedm.
 */
static void stoplockedm(struct m *mp)
{
	if (mp->lockedg == NULL || mp->lockedg->lockedm != mp)
		throw("stoplockedm: inconsistent locking");
	if (mp->p != NULL)
		handoffp(releasep(mp));
	incidlelocked(1);
	mpark(mp);
	if (atomic_load(&sched.exiting) && mp->nextp == NULL)
		exit_park(mp);
	if (readgstatus(mp->lockedg) != G_RUNNABLE)
		throw("stoplockedm: not runnable");
	acquirep(mp, mp->nextp);
	mp->nextp = NULL;
}

/*
 * startlockedm: gp is locked to another M; give it our P and stop.
 * Mirrors startlockedm.
 */
static void startlockedm(struct m *mp, struct g *gp)
{
	struct m *lm = gp->lockedm;
	if (lm == mp)
		throw("startlockedm: locked to me");
	if (lm->nextp != NULL)
		throw("startlockedm: m has p");
	incidlelocked(-1);
	lm->nextp = releasep(mp);
	notewakeup(&lm->park);
	stopm(mp);
}

/*
 * checkdead: if no M can run anything, the program is deadlocked.
 * sched.lock must be held. Mirrors checkdead.
 */
static void checkdead(void)
{
	if (atomic_load(&sched.exiting))
		return;
	int64_t run = sched.mnext - nmfreed - sched.nmidle -
		      sched.nmidlelocked - sched.nmsys;
	if (run > 0)
		return;
	if (run < 0) {
		fprintf(stderr,
			"runtime: checkdead: nmidle=%d nmidlelocked=%d "
			"mcount=%" PRId64 " nmsys=%d\n",
			sched.nmidle, sched.nmidlelocked, sched.mnext - nmfreed,
			sched.nmsys);
		throw("checkdead: inconsistent counts");
	}
	size_t grunning = 0;
	lock(&allgs.lock);
	for (size_t i = 0; i < allgs.n; i++) {
		struct g *gp = allgs.gs[i];
		if (gp->issystem)
			continue;
		switch (readgstatus(gp)) {
		case G_WAITING:
			grunning++;
			break;
		case G_RUNNABLE:
		case G_RUNNING:
		case G_SYSCALL:
			fprintf(stderr,
				"runtime: checkdead: goroutine %" PRIu64
				" is %s\n",
				gp->goid, gstatus_name(readgstatus(gp)));
			throw("checkdead: runnable g");
		}
	}
	unlock(&allgs.lock);
	if (grunning == 0)
		fatal("no goroutines (main called runtime.Goexit) - deadlock!");
	/* A pending timer will ready someone: not a deadlock. */
	if (timers_pending())
		return;
	fatal("all goroutines are asleep - deadlock!");
}

/* ---- finding work ------------------------------------------------------ */

/* stealwork tries to steal from every other P, four rounds; the last round
 * may take a P's runnext. Mirrors stealWork. */
static struct g *stealwork(struct m *mp)
{
	struct p *pp = mp->p;
	for (int round = 0; round < 4; round++) {
		bool stealnext = round == 3;
		uint32_t off = fastrand() % (uint32_t)gomaxprocs;
		for (int32_t j = 0; j < gomaxprocs; j++) {
			struct p *p2 =
			    allp[(off + (uint32_t)j) % (uint32_t)gomaxprocs];
			if (p2 == pp)
				continue;
			/* Last round: run the due timers of other Ps, idle
			 * ones included, as stealWork does. */
			if (stealnext && atomic_load(&p2->timer0when) != 0) {
				checktimers(p2, 0);
				bool inherit;
				struct g *tg = runqget(pp, &inherit);
				if (tg != NULL)
					return tg;
			}
			/* Don't bother to attempt to steal if p2 is idle —
			 * on the idle list, not merely P_IDLE: a P in transit
			 * to a waking M is P_IDLE too, and its runnext may
			 * hold the very G the recheck in findrunnable saw. */
			if (idlepmask_read(p2->id))
				continue;
			struct g *gp = runqsteal(pp, p2, stealnext);
			if (gp != NULL) {
				atomic_fetch_add(&rt_counters.steals, 1);
				return gp;
			}
		}
	}
	return NULL;
}

/*
 * findrunnable finds a G to run: local queue, global queue, stealing; if
 * there is none it releases the P and parks the M. Mirrors findRunnable.
 */
static struct g *findrunnable(struct m *mp, bool *inherit)
{
top:;
	struct p *pp = mp->p;
	struct g *gp;
	if (atomic_load(&sched.exiting))
		exit_park(mp);
	if (atomic_load(&sched.gcwaiting)) {
		gcstopm(mp);
		goto top;
	}
	*inherit = false;
	checktimers(pp, 0);
	/* Check the global queue once in a while for fairness; otherwise two
	 * goroutines could keep the local queue busy forever. */
	if (pp->schedtick % 61 == 0 && sched_runqsize() > 0) {
		lock(&sched.lock);
		gp = globrunqget(pp, 1);
		unlock(&sched.lock);
		if (gp != NULL)
			return gp;
	}
	gp = runqget(pp, inherit);
	if (gp != NULL)
		return gp;
	if (sched_runqsize() != 0) {
		lock(&sched.lock);
		gp = globrunqget(pp, 0);
		unlock(&sched.lock);
		if (gp != NULL)
			return gp;
	}
	/* Limit spinning Ms to half the busy Ps, so that a program with
	 * little parallelism does not burn CPU looking for work. */
	if (mp->spinning || 2 * atomic_load(&sched.nmspinning) <
				gomaxprocs - atomic_load(&sched.npidle)) {
		if (!mp->spinning) {
			mp->spinning = true;
			atomic_fetch_add(&sched.nmspinning, 1);
		}
		gp = stealwork(mp);
		if (gp != NULL)
			return gp;
	}

	/* Nothing to do: give up the P. */
	lock(&sched.lock);
	if (atomic_load(&sched.gcwaiting)) {
		unlock(&sched.lock);
		goto top;
	}
	if (sched_runqsize() != 0) {
		gp = globrunqget(pp, 0);
		unlock(&sched.lock);
		return gp;
	}
	pidleput(releasep(mp));
	unlock(&sched.lock);

	/* Dropping the spinning state must be followed by a re-check of all
	 * run queues: work may have been submitted after we looked but
	 * before we decremented nmspinning, and its submitter saw us
	 * spinning and woke nobody. The run queues checked are those
	 * stealwork can take from — Ps not on the idle list — as in
	 * checkRunqsNoP: were they different sets, an M could find work
	 * here that stealwork then skips, and go round forever. */
	if (mp->spinning) {
		mp->spinning = false;
		if (atomic_fetch_sub(&sched.nmspinning, 1) - 1 < 0)
			throw("findrunnable: negative nmspinning");
		bool work = sched_runqsize() != 0;
		for (int32_t i = 0; !work && i < gomaxprocs; i++)
			work = !idlepmask_read(i) && !runqempty(allp[i]);
		if (work) {
			lock(&sched.lock);
			pp = pidleget();
			unlock(&sched.lock);
			if (pp != NULL) {
				acquirep(mp, pp);
				mp->spinning = true;
				atomic_fetch_add(&sched.nmspinning, 1);
				goto top;
			}
		}
	}
	/* Sleep until the earliest timer of any P, if there is one. */
	stopm_until(mp, timesleepuntil());
	goto top;
}

/*
 * execute runs gp on mp; returns (on g0) when gp switches back with an
 * mcall. Mirrors execute; with inherit, gp shares the current time slice.
 */
static void execute(struct m *mp, struct g *gp, bool inherit)
{
	struct p *pp = mp->p;
	/* atomic: sysmon's preemptone reads curg from another thread (a
	 * plain store here was a data race, found by TSan) */
	__atomic_store_n(&mp->curg, gp, __ATOMIC_RELEASE);
	gp->m = mp;
	casgstatus(gp, G_RUNNABLE, G_RUNNING);
	atomic_store_explicit(&gp->preempt, false, memory_order_relaxed);
	if (!inherit)
		__atomic_store_n(&pp->schedtick, pp->schedtick + 1,
				 __ATOMIC_RELAXED);
	RT_PROBE4_G(gostart, CLOSE, RT_PROBE_G_SCHED, gp, gp->goid, pp->id,
		    mp->procid, gp->probe_span);
	switch_to_g(mp, gp);
}

/* schedule finds the next G for mp; mirrors schedule. */
static struct g *schedule(struct m *mp, bool *inherit)
{
top:
	if (mp->locks != 0)
		throw("schedule: holding locks");
	if (atomic_load(&sched.exiting))
		exit_park(mp);
	if (mp->lockedg != NULL) {
		stoplockedm(mp);
		*inherit = false;
		return mp->lockedg;
	}
	struct g *gp = findrunnable(mp, inherit);
	if (mp->spinning)
		resetspinning(mp);
	if (gp->lockedm != NULL) {
		/* Hands off own P to the locked M, then blocks waiting for a
		 * new P. */
		startlockedm(mp, gp);
		goto top;
	}
	return gp;
}

/*
 * schedule_loop is every M's g0: run a G, then the action it asked for
 * when it switched back (park, yield, exit…), which may name the next G.
 */
static _Noreturn void schedule_loop(struct m *mp)
{
	struct g *gp = NULL;
	bool inherit = false;
	for (;;) {
		if (gp == NULL)
			gp = schedule(mp, &inherit);
		if (mp->resume_running) {
			/* back from systemstack: gp never stopped running */
			mp->resume_running = false;
			switch_to_g(mp, gp);
		} else {
			execute(mp, gp, inherit);
		}
		struct g *(*fn)(struct m *, struct g *) = mp->mcall_fn;
		mp->mcall_fn = NULL;
		gp = fn(mp, mp->curg);
		inherit = true;
	}
}

/* ---- switching out of a G ------------------------------------------------ */

/* mcall switches to g0, which runs fn(mp, gp); mirrors mcall. Not
 * instrumented by TSan: the frame of goexit's mcall never returns. */
RT_NO_TSAN void mcall(struct g *(*fn)(struct m *mp, struct g *gp))
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	if (gp == NULL)
		throw("mcall called on g0");
	mp->mcall_fn = fn;
	switch_to_g0(mp, gp, fn == goexit0);
}

static void dropg(struct m *mp)
{
	if (mp->curg != NULL) {
		mp->curg->m = NULL;
		/* atomic: see execute */
		__atomic_store_n(&mp->curg, NULL, __ATOMIC_RELEASE);
	}
}

static struct g *park_m(struct m *mp, struct g *gp)
{
	casgstatus(gp, G_RUNNING, G_WAITING);
	dropg(mp);
	rt_unlockf fn = mp->waitunlockf;
	if (fn != NULL) {
		void *lk = mp->waitlock;
		mp->waitunlockf = NULL;
		mp->waitlock = NULL;
		if (!fn(gp, lk)) {
			/* the park was cancelled: resume gp at once */
			RT_PROBE4_G(goready, FOLLOW, RT_PROBE_G_SCHED, gp,
				    gp->goid, gp->goid, gp->waitreason,
				    gp->probe_span);
			casgstatus(gp, G_WAITING, G_RUNNABLE);
			return gp;
		}
	}
	return NULL;
}

void rt_gopark(rt_unlockf unlockf, void *lk, enum rt_waitreason reason)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	if (gp == NULL)
		throw("gopark: not on a goroutine");
	if (readgstatus(gp) != G_RUNNING)
		throw("gopark: bad g status");
	mp->waitlock = lk;
	mp->waitunlockf = unlockf;
	gp->waitreason = reason;
	RT_PROBE2_G(gopark, OPEN, RT_PROBE_G_SCHED, gp, gp->goid, reason);
	mcall(park_m);
}

/* ready makes gp runnable on the current P's runnext; mirrors ready. */
void ready(struct g *gp)
{
	struct m *mp = getm();
	mp->locks++;
	if (readgstatus(gp) != G_WAITING) {
		fprintf(stderr,
			"runtime: goready: goroutine %" PRIu64 " is %s\n",
			gp->goid, gstatus_name(readgstatus(gp)));
		throw("bad g->status in ready");
	}
	RT_PROBE4_G(goready, FOLLOW, RT_PROBE_G_SCHED, gp, gp->goid,
		    mp->curg != NULL ? mp->curg->goid : 0, gp->waitreason,
		    gp->probe_span);
	casgstatus(gp, G_WAITING, G_RUNNABLE);
	if (mp->p != NULL) {
		runqput(mp->p, gp, true);
	} else {
		lock(&sched.lock);
		globrunqput(gp);
		unlock(&sched.lock);
	}
	wakep();
	mp->locks--;
}

void rt_goready(rt_g *gp)
{
	ready(gp);
	rt_preempt_check();
}

static struct g *gosched_m(struct m *mp, struct g *gp)
{
	casgstatus(gp, G_RUNNING, G_RUNNABLE);
	dropg(mp);
	lock(&sched.lock);
	globrunqput(gp);
	unlock(&sched.lock);
	if (atomic_load(&mainstarted))
		wakep();
	return NULL;
}

void rt_gosched(void)
{
	struct g *gp = getg();
	RT_PROBE1(gosched, gp->goid);
	mcall(gosched_m);
}

/* gopreempt_m: a preempted G goes to the global queue, like Gosched. */
struct g *gopreempt_m(struct m *mp, struct g *gp)
{
	return gosched_m(mp, gp);
}

void rt_preempt_check(void)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	if (gp == NULL ||
	    !atomic_load_explicit(&gp->preempt, memory_order_relaxed))
		return;
	if (mp->locks != 0 || mp->preemptoff != 0 || mp->p == NULL)
		return;
	atomic_store_explicit(&gp->preempt, false, memory_order_relaxed);
	atomic_fetch_add(&rt_counters.preempt_coop, 1);
	RT_PROBE2(gopreempt, gp->goid, 1);
	mcall(gopreempt_m);
}

/* goyield_m puts gp on the local queue, not the global one; used by a
 * semaphore hand-off so the woken waiter runs next. Mirrors goyield_m. */
static struct g *goyield_m(struct m *mp, struct g *gp)
{
	casgstatus(gp, G_RUNNING, G_RUNNABLE);
	dropg(mp);
	runqput(mp->p, gp, false);
	return NULL;
}

void goyield(void)
{
	mcall(goyield_m);
}

/* ---- goroutine creation and exit -------------------------------------------
 */

/*
 * gfput puts a dead G on pp's free list; mirrors gfput. The G keeps its
 * stack: the next rt_go on this P (or, once the local list holds
 * RT_GFREE_LOCAL_MAX Gs and half of them move to the global lists, on
 * any P) reuses both, with the stack's pages still mapped and touched.
 *
 * The global list of Gs with stacks is unbounded, as Go's
 * sched.gFree.stack is: Go frees in gfput only stacks of a non-standard
 * size (grown ones; librt has a single size), and releases the others
 * once per GC cycle, in markrootFreeGStacks. A cap here (librt kept at
 * most 1024 with stacks) makes every burst of more goroutines than the
 * cap pay, on each exit beyond it, an madvise(MADV_DONTNEED) — with a
 * TLB shootdown across the CPUs the process runs on — and on each later
 * reuse the page faults of first touch: in ex05 (10,000 goroutines per
 * call) that was ~40 % of the CPU. The price of not capping is memory:
 * a burst's stacks stay held (and counted in stack_inuse_bytes) until
 * the next GC, as in Go.
 */
/*
 * gfreecnt_add changes pp's count of free Gs. Only pp's owner writes it,
 * but gcount reads it from any thread, so the store is atomic (a plain
 * one was a data race, found by TSan). The free-list heads that gfget
 * peeks at without sched.gflock are stored atomically for the same
 * reason.
 */
static void gfreecnt_add(struct p *pp, int32_t delta)
{
	__atomic_store_n(&pp->gfreecnt, pp->gfreecnt + delta, __ATOMIC_RELAXED);
}

static void gfput(struct p *pp, struct g *gp)
{
	gp->schedlink = pp->gfree;
	pp->gfree = gp;
	gfreecnt_add(pp, 1);
	if (pp->gfreecnt < RT_GFREE_LOCAL_MAX)
		return;
	/* Move half of the local list to the global lists, sorted by
	 * whether each G still has its stack (gfget may have refilled
	 * pp from gfree_nostack); link them outside the lock, as Go's
	 * stackQ/noStackQ. */
	struct gqueue stackq = {NULL, NULL}, nostackq = {NULL, NULL};
	int32_t inc = 0;
	while (pp->gfreecnt >= RT_GFREE_LOCAL_MAX / 2) {
		struct g *g1 = pp->gfree;
		pp->gfree = g1->schedlink;
		gfreecnt_add(pp, -1);
		struct gqueue *q = g1->stack_lo != 0 ? &stackq : &nostackq;
		g1->schedlink = q->head;
		if (q->head == NULL)
			q->tail = g1;
		q->head = g1;
		inc++;
	}
	lock(&sched.gflock);
	if (stackq.head != NULL) {
		stackq.tail->schedlink = sched.gfree_stack;
		__atomic_store_n(&sched.gfree_stack, stackq.head,
				 __ATOMIC_RELAXED);
	}
	if (nostackq.head != NULL) {
		nostackq.tail->schedlink = sched.gfree_nostack;
		__atomic_store_n(&sched.gfree_nostack, nostackq.head,
				 __ATOMIC_RELAXED);
	}
	__atomic_store_n(&sched.ngfree, sched.ngfree + inc, __ATOMIC_RELAXED);
	unlock(&sched.gflock);
}

/* gfget takes a free G, refilling from the global lists (Gs with a stack
 * first); mirrors gfget. */
static struct g *gfget(struct p *pp)
{
	if (pp->gfree == NULL &&
	    (__atomic_load_n(&sched.gfree_stack, __ATOMIC_RELAXED) != NULL ||
	     __atomic_load_n(&sched.gfree_nostack, __ATOMIC_RELAXED) != NULL)) {
		lock(&sched.gflock);
		while (pp->gfreecnt < RT_GFREE_LOCAL_MAX / 2) {
			struct g *g1 = sched.gfree_stack;
			if (g1 != NULL)
				__atomic_store_n(&sched.gfree_stack,
						 g1->schedlink,
						 __ATOMIC_RELAXED);
			else if ((g1 = sched.gfree_nostack) != NULL)
				__atomic_store_n(&sched.gfree_nostack,
						 g1->schedlink,
						 __ATOMIC_RELAXED);
			else
				break;
			__atomic_store_n(&sched.ngfree, sched.ngfree - 1,
					 __ATOMIC_RELAXED);
			g1->schedlink = pp->gfree;
			pp->gfree = g1;
			gfreecnt_add(pp, 1);
		}
		unlock(&sched.gflock);
	}
	struct g *gp = pp->gfree;
	if (gp == NULL)
		return NULL;
	pp->gfree = gp->schedlink;
	gfreecnt_add(pp, -1);
	if (gp->stack_lo == 0)
		stackalloc(gp);
	else
		stack_unpoison(gp);
	return gp;
}

/*
 * markrootFreeGStacks releases the stacks of every G on the global
 * with-stack free list and moves the Gs to the no-stack list; mirrors
 * markrootFreeGStacks in runtime/mgcmark.go, which a GC cycle runs once.
 * The Gs on the Ps' own free lists (at most RT_GFREE_LOCAL_MAX each)
 * keep their stacks, as in Go.
 *
 * It needs no stop-the-world: only sched.gflock, held twice for O(1)
 * work — to take the list and to put it back — and not while the stacks
 * are released, so rt_go on other Ps goes on meanwhile (finding the
 * with-stack list empty, it takes Gs from the no-stack list or makes new
 * ones). Go runs it in a mark worker with the world running; mgc.c calls
 * it between the cycle's two pauses, since releasing thousands of stacks
 * costs an madvise each. sched.ngfree still counts the Gs while they are
 * off both lists, so gcount does not see them as live.
 */
void markrootFreeGStacks(void)
{
	lock(&sched.gflock);
	struct g *list = sched.gfree_stack;
	__atomic_store_n(&sched.gfree_stack, NULL, __ATOMIC_RELAXED);
	unlock(&sched.gflock);
	if (list == NULL)
		return;
	struct g *tail = NULL;
	for (struct g *gp = list; gp != NULL; gp = gp->schedlink) {
		stackfree(gp);
		tail = gp;
	}
	/* The Gs are already linked the right way: splice the whole list. */
	lock(&sched.gflock);
	tail->schedlink = sched.gfree_nostack;
	__atomic_store_n(&sched.gfree_nostack, list, __ATOMIC_RELAXED);
	unlock(&sched.gflock);
}

static struct g *malg(void)
{
	struct g *gp = calloc(1, sizeof(*gp));
	if (gp == NULL)
		fatal("runtime: out of memory allocating a goroutine");
	stackalloc(gp);
	return gp;
}

static uint64_t newgoid(struct p *pp)
{
	if (pp == NULL)
		return atomic_fetch_add(&sched.goidgen, 1) + 1;
	/* Take goids in batches of 16 so that creating goroutines on
	 * different Ps does not contend on one counter, as Go does. */
	if (pp->goidcache == pp->goidcacheend) {
		pp->goidcache = atomic_fetch_add(&sched.goidgen, 16) + 1;
		pp->goidcacheend = pp->goidcache + 16;
	}
	return pp->goidcache++;
}

/* newproc1 makes a runnable G for fn(arg); mirrors newproc1. */
static struct g *newproc1(rt_func fn, void *arg, struct g *callergp,
			  struct p *pp)
{
	struct g *newg = pp != NULL ? gfget(pp) : NULL;
	if (newg == NULL) {
		newg = malg();
		atomic_store(&newg->atomicstatus, G_DEAD);
		allgadd(newg);
	}
	newg->fn = fn;
	newg->arg = arg;
	newg->parentgoid = callergp != NULL ? callergp->goid : 0;
	newg->asan_fake_stack = NULL;
	newg->waitreason = RT_WAIT_ZERO;
	newg->lockedm = NULL;
	newg->param = NULL;
	newg->issystem = false;
	newg->syscallsp = 0;
	newg->syscallbp = 0;
	newg->syscallpc = 0;
	newg->gopc = 0;
	atomic_store(&newg->preempt, false);
	gostartcall(newg);
	newg->goid = newgoid(pp);
	fiber_named(newg);
	casgstatus(newg, G_DEAD, G_RUNNABLE);
	RT_PROBE3_G(newproc, OPEN, RT_PROBE_G_SCHED, newg, newg->goid,
		    newg->parentgoid, (uintptr_t)fn);
	return newg;
}

uint64_t rt_go(rt_func fn, void *arg)
{
	if (fn == NULL)
		throw("go of nil func value");
	struct m *mp = getm();
	mp->locks++;
	struct g *newg = newproc1(fn, arg, mp->curg, mp->p);
	newg->gopc = (uintptr_t)__builtin_return_address(0);
	uint64_t goid = newg->goid;
	runqput(mp->p, newg, true);
	if (atomic_load(&mainstarted))
		wakep();
	mp->locks--;
	rt_preempt_check();
	return goid;
}

static void main_exited(void);

static struct g *goexit0(struct m *mp, struct g *gp)
{
	bool locked = gp->lockedm != NULL;
	bool ismain = gp == maing;
	if (gp->issystem)
		atomic_fetch_sub(&sched.ngsys, 1); /* as gdestroy */
	casgstatus(gp, G_RUNNING, G_DEAD);
	gp->fn = NULL;
	gp->arg = NULL;
	gp->lockedm = NULL;
	gp->waitreason = RT_WAIT_ZERO;
	gp->param = NULL;
	dropg(mp);
	if (locked) {
		mp->lockedg = NULL;
		mp->lockedext = 0;
	}
	gfput(mp->p, gp);
	if (ismain)
		main_exited();
	if (locked) {
		/* A goroutine that exits while locked takes its thread
		 * with it: the thread may have been put in a state other
		 * goroutines should not inherit. Mirrors goexit0 + mexit. */
		handoffp(releasep(mp));
		lock(&sched.lock);
		nmfreed++;
		checkdead();
		unlock(&sched.lock);
		__atomic_store_n(&mp->procid, 0, __ATOMIC_RELAXED); /* mstart */
		pthread_exit(NULL);
	}
	return NULL;
}

/* rt_goentry is not instrumented by TSan: its frame never returns, and
 * would stay on the G's shadow call stack for the next goroutine (race.h). */
RT_NO_TSAN _Noreturn void rt_goentry(struct g *gp)
{
	fiber_entered(gp);
	gp->fn(gp->arg);
	struct g *self = getg();
	if (self->_defer != NULL)
		goexit_defers_throw(self);
	RT_PROBE1(goend, self->goid);
	mcall(goexit0);
	throw("goexit0 returned");
}

/* ---- LockOSThread ------------------------------------------------------- */

void rt_lock_os_thread(void)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	if (mp->lockedext + 1 == 0)
		throw("LockOSThread nesting overflow");
	mp->lockedext++;
	mp->lockedg = gp;
	gp->lockedm = mp;
	RT_PROBE2(lockosthread, gp->goid, 1);
}

void rt_unlock_os_thread(void)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	if (mp->lockedext == 0)
		return; /* not locked: a no-op, as in Go */
	RT_PROBE2(lockosthread, gp->goid, 0);
	if (--mp->lockedext != 0)
		return;
	mp->lockedg = NULL;
	gp->lockedm = NULL;
}

/* ---- system calls -----------------------------------------------------------
 */

/*
 * rt_entersyscall: the goroutine is about to block in the kernel. Drop the
 * P into _Psyscall without releasing it: if the call is short, exitsyscall
 * takes it straight back; if not, sysmon retakes it. Mirrors entersyscall.
 */
void rt_entersyscall(void)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	struct p *pp = mp->p;
	mp->locks++;
	/* Spill the callee-saved registers into this frame and record the
	 * sp: the GC scans this goroutine's stack from here while it is in
	 * the kernel, as Go's entersyscall saves sp. */
	__builtin_unwind_init();
	gp->syscallsp = (uintptr_t)__builtin_frame_address(0) - 128;
	/* The caller's frame and pc, where a traceback of gp starts while
	 * it is in the kernel (traceback.c), as Go's syscallpc/syscallbp. */
	gp->syscallbp = *(uintptr_t *)__builtin_frame_address(0);
	gp->syscallpc = (uintptr_t)__builtin_return_address(0);
	RT_PROBE2(entersyscall, gp->goid, pp->id);
	casgstatus(gp, G_RUNNING, G_SYSCALL);
	__atomic_store_n(&pp->m, NULL, __ATOMIC_RELEASE);
	mp->oldp = pp;
	mp->p = NULL;
	atomic_store(&pp->status, P_SYSCALL);
	wake_sysmon();
	mp->locks--;
}

/* exitsyscallfast: take back the old P, or any idle P. */
static bool exitsyscallfast(struct m *mp, struct p *oldp)
{
	uint32_t s = P_SYSCALL;
	if (oldp != NULL &&
	    atomic_compare_exchange_strong(&oldp->status, &s, P_IDLE)) {
		acquirep(mp, oldp);
		return true;
	}
	if (atomic_load(&sched.npidle) > 0) {
		lock(&sched.lock);
		struct p *pp = pidleget();
		unlock(&sched.lock);
		if (pp != NULL) {
			acquirep(mp, pp);
			wake_sysmon();
			return true;
		}
	}
	return false;
}

void rt_exitsyscall(void)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	mp->locks++;
	if (atomic_load(&sched.exiting))
		exit_park(mp);
	struct p *oldp = mp->oldp;
	mp->oldp = NULL;
	if (exitsyscallfast(mp, oldp)) {
		RT_PROBE2(exitsyscall, gp->goid, 1);
		atomic_fetch_add(&mp->p->syscalltick, 1);
		casgstatus(gp, G_SYSCALL, G_RUNNING);
		mp->locks--;
		rt_preempt_check();
		return;
	}
	mp->locks--;
	atomic_fetch_add(&rt_counters.exitsyscall_slow, 1);
	RT_PROBE2(exitsyscall, gp->goid, 0);
	mcall(exitsyscall0);
}

/* exitsyscall0 (on g0): no P was free; queue gp and stop this M. */
static struct g *exitsyscall0(struct m *mp, struct g *gp)
{
	casgstatus(gp, G_SYSCALL, G_RUNNABLE);
	dropg(mp);
	lock(&sched.lock);
	struct p *pp = pidleget();
	if (pp == NULL)
		globrunqput(gp);
	unlock(&sched.lock);
	if (pp != NULL) {
		acquirep(mp, pp);
		wake_sysmon();
		return gp;
	}
	if (mp->lockedg != NULL) {
		/* Wait until another M runs gp, i.e. hands us a P. */
		stoplockedm(mp);
		return gp;
	}
	stopm(mp);
	return NULL;
}

/* ---- sysmon ---------------------------------------------------------------
 */

/* preemptone asks the G running on pp to stop; mirrors preemptone. */
static bool preemptone(struct p *pp)
{
	struct m *mp = __atomic_load_n(&pp->m, __ATOMIC_ACQUIRE);
	if (mp == NULL || mp == getm())
		return false;
	struct g *gp = __atomic_load_n(&mp->curg, __ATOMIC_ACQUIRE);
	if (gp == NULL)
		return false;
	atomic_store(&gp->preempt, true);
	preemptM(mp);
	return true;
}

/* retake preempts long-running Gs and retakes Ps blocked in syscalls;
 * mirrors retake. */
static uint32_t retake(int64_t now)
{
	uint32_t n = 0;
	for (int32_t i = 0; i < gomaxprocs; i++) {
		struct p *pp = allp[i];
		struct sysmontick *pd = &pp->sysmontick;
		uint32_t s = atomic_load(&pp->status);
		bool sysretake = false;
		if (s == P_RUNNING || s == P_SYSCALL) {
			uint32_t t =
			    __atomic_load_n(&pp->schedtick, __ATOMIC_RELAXED);
			if (pd->schedtick != t) {
				pd->schedtick = t;
				pd->schedwhen = now;
			} else if (pd->schedwhen + RT_FORCE_PREEMPT_NS <= now) {
				preemptone(pp);
				/* in case of syscall, preemptone doesn't
				 * work, because there is no M wired to P */
				sysretake = true;
			}
		}
		if (s == P_SYSCALL) {
			/* Retake P from syscall if it's there for more than
			 * 1 sysmon tick (at least 20us). */
			uint32_t t = atomic_load(&pp->syscalltick);
			if (!sysretake && pd->syscalltick != t) {
				pd->syscalltick = t;
				pd->syscallwhen = now;
				continue;
			}
			/* Don't retake if there is no other work to do and
			 * someone is already looking, but do eventually. */
			if (runqempty(pp) &&
			    atomic_load(&sched.nmspinning) +
				    atomic_load(&sched.npidle) >
				0 &&
			    pd->syscallwhen + 10000000 > now)
				continue;
			/* As Go's retake: count one more M running before
			 * the CAS, or the M we retake from can exit the
			 * syscall, find no P, go idle and report a deadlock
			 * (checkdead) before handoffp starts an M. */
			incidlelocked(-1);
			uint32_t expect = P_SYSCALL;
			if (atomic_compare_exchange_strong(&pp->status, &expect,
							   P_IDLE)) {
				n++;
				atomic_fetch_add(&pp->syscalltick, 1);
				atomic_fetch_add(&rt_counters.syscall_retakes,
						 1);
				handoffp(pp);
			}
			incidlelocked(1);
		}
	}
	return n;
}

static void *sysmon(void *arg)
{
	struct m *mp = arg;
	rt_tls_m = mp;
	mp->procid = gettid_();
	int idle = 0;
	int64_t delay = 0;
	for (;;) {
		if (atomic_load(&sched.exiting))
			exit_park(mp);
		if (idle == 0)
			delay = RT_SYSMON_MIN_US;
		else if (idle > 50)
			delay *= 2;
		if (delay > RT_SYSMON_MAX_US)
			delay = RT_SYSMON_MAX_US;
		usleep((useconds_t)delay);
		/* With every P idle there is nothing to preempt or retake:
		 * sleep until someone enters a syscall or takes a P, so an
		 * idle program burns no CPU. */
		if (atomic_load(&sched.npidle) == gomaxprocs) {
			lock(&sched.lock);
			if (atomic_load(&sched.npidle) == gomaxprocs) {
				noteclear(&sched.sysmonnote);
				atomic_store(&sched.sysmonwait, true);
				unlock(&sched.lock);
				notetsleep(&sched.sysmonnote,
					   60 * 1000000000LL);
				lock(&sched.lock);
				atomic_store(&sched.sysmonwait, false);
				idle = 0;
			}
			unlock(&sched.lock);
		}
		int64_t now = nanotime();
		if (retake(now) != 0)
			idle = 0;
		else
			idle++;
		forcegc_check(now);
		/* A timer is overdue: every P may be busy with a goroutine
		 * that does not yield; start an M in case a P is idle. */
		int64_t next = timesleepuntil();
		if (next != 0 && next < now)
			startm(NULL, false);
	}
	return NULL;
}

/* ---- start and exit
 * ----------------------------------------------------------- */

static int32_t getproccount(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		int n = CPU_COUNT(&set);
		if (n > 0)
			return n;
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int32_t)n : 1;
}

/* parse_maxprocs reads RT_MAXPROCS (a positive integer), as GOMAXPROCS. */
int32_t parse_maxprocs(int32_t dflt)
{
	const char *s = getenv("RT_MAXPROCS");
	if (s == NULL || *s == '\0')
		return dflt;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > RT_MAX_PROCS) {
		fprintf(stderr,
			"runtime: ignoring RT_MAXPROCS=%s: want an integer "
			"from 1 to %d; using %d\n",
			s, RT_MAX_PROCS, dflt);
		return dflt;
	}
	return (int32_t)v;
}

static void schedinit(void)
{
	ncpu = getproccount();
	gomaxprocs = parse_maxprocs(ncpu);
	rt_probe_sample_setenv(getenv("RT_PROBE_SAMPLE"));
	stackinit();
	rt_tls_m = &m0;
	m0.id = 0;
	m0.procid = gettid_();
	m0.fastrand = (uint32_t)nanotime() | 1;
	atomic_store(&allm, &m0);
	sched.mnext = 1;
	sched.nmsys = 1; /* m0 waits for main; it never runs goroutines */
	for (int32_t i = 0; i < gomaxprocs; i++) {
		struct p *pp = calloc(1, sizeof(*pp));
		if (pp == NULL)
			fatal("runtime: out of memory allocating Ps");
		pp->id = i;
		atomic_store(&pp->status, P_IDLE);
		allp[i] = pp;
	}
	lock(&sched.lock);
	for (int32_t i = gomaxprocs - 1; i >= 0; i--)
		pidleput(allp[i]);
	unlock(&sched.lock);
	preemptinit();
	mallocinit_late(); /* GOGC and the memory limit, as gcinit */
	timerinit();
}

static void main_exited(void)
{
	atomic_store(&sched.exiting, true);
	notewakeup(&maindone);
}

/* exit_park: the program is over; this M runs nothing more. */
static _Noreturn void exit_park(struct m *mp)
{
	if (mp->p != NULL) {
		/* atomic, as releasep's: quiesce reads it from rt_main's
		 * thread (a plain store was a data race, found by TSan) */
		__atomic_store_n(&mp->p->m, NULL, __ATOMIC_RELEASE);
		mp->p = NULL;
	}
	atomic_store(&mp->park.key, 0);
	for (;;)
		futexsleep(&mp->park.key, 0, -1);
}

/*
 * quiesce waits (at most about a second) until no P is running a G, so
 * the counters printed by RT_STATS are final.
 */
static void quiesce(void)
{
	wake_sysmon();
	for (int tries = 0; tries < 10000; tries++) {
		bool busy = false;
		for (int32_t i = 0; i < gomaxprocs; i++) {
			struct m *mp =
			    __atomic_load_n(&allp[i]->m, __ATOMIC_ACQUIRE);
			if (mp != NULL) {
				busy = true;
				preemptone(allp[i]);
			}
		}
		if (!busy)
			return;
		usleep(100);
	}
}

int rt_main(rt_func fn, void *arg)
{
	bool expect = false;
	if (!atomic_compare_exchange_strong(&rt_started, &expect, true))
		throw("rt_main called twice");
	schedinit();

	maing = newproc1(fn, arg, NULL, NULL);
	lock(&sched.lock);
	globrunqput(maing);
	sched.nmsys++; /* sysmon */
	unlock(&sched.lock);

	struct m *smp = allocm();
	smp->issysmon = true;
	start_thread(smp, sysmon);

	atomic_store(&mainstarted, true);
	startm(NULL, false);

	notesleep(&maindone);
	quiesce();
	rt_probe_flush();
	const char *stats = getenv("RT_STATS");
	if (stats != NULL && strcmp(stats, "1") == 0)
		rt_print_stats(stderr);
	return 0;
}

/* ---- stop-the-world -------------------------------------------------------
 */

/*
 * Stopping the world mirrors stopTheWorldWithSema: set sched.gcwaiting,
 * ask every running goroutine to stop (preemptall: the preempt flag plus a
 * SIGURG), and take the Ps that need no help — our own, idle ones, and
 * those in system calls (an M coming back from a syscall then finds no P
 * and queues its goroutine). Each M that notices gcwaiting in the
 * scheduler gives up its P (gcstopm); the last one wakes the stopper.
 */
static uint32_t worldsema = 1;
static struct {
	rt_lock lock;
	enum rt_stw_reason reason;
	int64_t start;
	uint64_t count[RT_STW_REASON_COUNT];
	uint64_t total_ns[RT_STW_REASON_COUNT];
	uint64_t max_ns[RT_STW_REASON_COUNT];
} stw;

static void preemptall(void)
{
	for (int32_t i = 0; i < gomaxprocs; i++)
		if (atomic_load(&allp[i]->status) == P_RUNNING)
			preemptone(allp[i]);
}

/* gcstopm stops mp for stop-the-world and parks it until restarted. */
static void gcstopm(struct m *mp)
{
	if (!atomic_load(&sched.gcwaiting))
		throw("gcstopm: not waiting for gc");
	if (mp->spinning) {
		/* startTheWorld unparks threads as necessary */
		mp->spinning = false;
		if (atomic_fetch_sub(&sched.nmspinning, 1) - 1 < 0)
			throw("gcstopm: negative nmspinning");
	}
	/* Spill callee-saved registers; the GC scans this g0 stack from
	 * here while the world is stopped. Recorded before our P counts as
	 * stopped: the stopper may start marking as soon as the last P
	 * does. (Recorded after the wakeup, it was a data race, found by
	 * TSan: the mark could read stopsp still 0 and skip this stack.) */
	__builtin_unwind_init();
	volatile uintptr_t here = (uintptr_t)&here;
	mp->stopsp = here;
	struct p *pp = releasep(mp);
	lock(&sched.lock);
	atomic_store(&pp->status, P_GCSTOP);
	if (--sched.stopwait == 0)
		notewakeup(&sched.stopnote);
	unlock(&sched.lock);
	stopm(mp);
	mp->stopsp = 0;
}

void stop_the_world(enum rt_stw_reason reason)
{
	struct m *mp = getm();
	if (mp->curg == NULL || mp->p == NULL)
		throw("stop_the_world: not on a goroutine with a P");
	semacquire1(&worldsema, false, RT_WAIT_STOPPING_THE_WORLD);
	mp = getm(); /* the semaphore may have moved us */
	mp->preemptoff++;
	int64_t t0 = nanotime();
	RT_PROBE1(stw_start, reason);

	lock(&sched.lock);
	sched.stopwait = gomaxprocs;
	atomic_store(&sched.gcwaiting, true);
	preemptall();
	atomic_store(&mp->p->status, P_GCSTOP);
	sched.stopwait--;
	for (int32_t i = 0; i < gomaxprocs; i++) {
		uint32_t s = P_SYSCALL;
		if (atomic_compare_exchange_strong(&allp[i]->status, &s,
						   P_GCSTOP)) {
			atomic_fetch_add(&allp[i]->syscalltick, 1);
			sched.stopwait--;
		}
	}
	struct p *pp;
	while ((pp = pidleget()) != NULL) {
		atomic_store(&pp->status, P_GCSTOP);
		sched.stopwait--;
	}
	bool wait = sched.stopwait > 0;
	unlock(&sched.lock);
	/* wait for the remaining Ps to stop voluntarily */
	while (wait) {
		if (notetsleep(&sched.stopnote, 100000)) {
			noteclear(&sched.stopnote);
			break;
		}
		preemptall();
	}
	for (int32_t i = 0; i < gomaxprocs; i++)
		if (atomic_load(&allp[i]->status) != P_GCSTOP)
			throw("stop_the_world: not stopped");
	lock(&stw.lock);
	stw.reason = reason;
	stw.start = t0;
	unlock(&stw.lock);
}

/* start_the_world mirrors startTheWorldWithSema + procresize's hand-out:
 * Ps with local work get an M, the rest go idle. */
void start_the_world(void)
{
	struct m *mp = getm();
	struct p *withwork = NULL;
	lock(&sched.lock);
	for (int32_t i = 0; i < gomaxprocs; i++) {
		struct p *pp = allp[i];
		if (atomic_load(&pp->status) != P_GCSTOP)
			throw("start_the_world: P not stopped");
		if (pp == mp->p) {
			atomic_store(&pp->status, P_RUNNING);
			continue;
		}
		atomic_store(&pp->status, P_IDLE);
		if (runqempty(pp)) {
			pidleput(pp);
		} else {
			pp->link = withwork;
			withwork = pp;
		}
	}
	atomic_store(&sched.gcwaiting, false);
	unlock(&sched.lock);
	wake_sysmon();
	while (withwork != NULL) {
		struct p *pp = withwork;
		withwork = pp->link;
		pp->link = NULL;
		startm(pp, false);
	}
	/* an extra M in case the global queue holds work */
	wakep();

	lock(&stw.lock);
	enum rt_stw_reason reason = stw.reason;
	uint64_t pause = (uint64_t)(nanotime() - stw.start);
	stw.count[reason]++;
	stw.total_ns[reason] += pause;
	if (pause > stw.max_ns[reason])
		stw.max_ns[reason] = pause;
	unlock(&stw.lock);
	RT_PROBE2(stw_done, reason, pause);
	mp->preemptoff--;
	rt_semrelease(&worldsema, false);
}

void rt_stop_the_world(enum rt_stw_reason reason)
{
	if ((unsigned)reason >= RT_STW_REASON_COUNT)
		reason = RT_STW_UNKNOWN;
	stop_the_world(reason);
}

void rt_start_the_world(void)
{
	start_the_world();
}

void rt_read_stw_stats(struct rt_stw_stats *out)
{
	lock(&stw.lock);
	for (int i = 0; i < RT_STW_REASON_COUNT; i++) {
		out->count[i] = stw.count[i];
		out->total_ns[i] = stw.total_ns[i];
		out->max_ns[i] = stw.max_ns[i];
	}
	unlock(&stw.lock);
}

/* ---- systemstack and GC roots ----------------------------------------------
 */

static struct g *systemstack_m(struct m *mp, struct g *gp)
{
	void (*fn)(void *) = mp->sysfn;
	mp->sysfn = NULL;
	mp->insystemstack = true;
	fn(mp->sysarg);
	mp->insystemstack = false;
	mp->resume_running = true;
	return gp;
}

void systemstack(void (*fn)(void *arg), void *arg)
{
	struct m *mp = getm();
	if (mp->curg == NULL || mp->insystemstack) {
		fn(arg); /* already on g0 */
		return;
	}
	mp->sysfn = fn;
	mp->sysarg = arg;
	mcall(systemstack_m);
}

void for_each_stack_root(rt_root_fn fn, void *arg)
{
	struct m *self = getm();
	if (!self->insystemstack || !atomic_load(&sched.gcwaiting))
		throw("for_each_stack_root: world not stopped or not on g0");
	lock(&allgs.lock);
	for (size_t i = 0; i < allgs.n; i++) {
		struct g *gp = allgs.gs[i];
		uint32_t s = readgstatus(gp);
		if (s == G_DEAD || s == G_IDLE)
			continue;
		uintptr_t sp =
		    s == G_SYSCALL ? gp->syscallsp : (uintptr_t)gp->sched.sp;
		if (sp < gp->stack_lo || sp > gp->stack_hi)
			throw("for_each_stack_root: sp outside its stack");
		/* A G in a system call runs on while we scan it, as in Go:
		 * the kernel fills its buffers (read(2) into a stack array)
		 * and its caller stores the result. Those are bytes and
		 * counts, not heap pointers; TSan is told not to check this
		 * scan's reads, which race with them by design. */
		if (s == G_SYSCALL)
			raceignorebegin();
		fn(sp, gp->stack_hi, arg);
		if (s == G_SYSCALL)
			raceignoreend();
		fn((uintptr_t)&gp->fn, (uintptr_t)(&gp->arg + 1), arg);
		fn((uintptr_t)&gp->param, (uintptr_t)(&gp->param + 1), arg);
		/* deferred calls (GC heap records) and running panics */
		fn((uintptr_t)&gp->_defer, (uintptr_t)(&gp->_panic + 1), arg);
	}
	unlock(&allgs.lock);
	for (struct m *mp = atomic_load(&allm); mp != NULL; mp = mp->alllink) {
		uintptr_t sp = mp->stopsp;
		uintptr_t hi = (uintptr_t)mp->g0_stack_lo + mp->g0_stack_size;
		if (sp != 0 && sp >= (uintptr_t)mp->g0_stack_lo && sp < hi)
			fn(sp, hi, arg);
	}
}

struct g *rt_go_system(rt_func fn, void *arg)
{
	struct m *mp = getm();
	mp->locks++;
	struct g *newg = newproc1(fn, arg, mp->curg, mp->p);
	newg->gopc = (uintptr_t)__builtin_return_address(0);
	newg->issystem = true;
	atomic_fetch_add(&sched.ngsys, 1); /* as newproc1's ngsys.Add(1) */
	runqput(mp->p, newg, true);
	if (atomic_load(&mainstarted))
		wakep();
	mp->locks--;
	return newg;
}

/* ---- introspection
 * ------------------------------------------------------------ */

/*
 * gcount mirrors gcount in proc.go: len(allgs) minus the free Gs (global
 * lists and every P's cache) minus the system goroutines. O(GOMAXPROCS);
 * it never walks allgs. The per-P counts are read racily, as Go reads
 * them, so under churn the result is approximate; when nothing is
 * starting or exiting it is exact. A G between allgadd and its first run
 * counts as live, as in Go.
 */
static int32_t gcount(void)
{
	int64_t n = (int64_t)__atomic_load_n(&allgs.n, __ATOMIC_RELAXED);
	n -= __atomic_load_n(&sched.ngfree, __ATOMIC_RELAXED);
	n -= atomic_load_explicit(&sched.ngsys, memory_order_relaxed);
	for (int32_t i = 0; i < gomaxprocs; i++)
		n -= __atomic_load_n(&allp[i]->gfreecnt, __ATOMIC_RELAXED);
	/* All these variables can be changed concurrently, so the result
	 * can be inconsistent. But at least the current goroutine is
	 * running. */
	if (n < 1)
		n = 1;
	return (int32_t)n;
}

int rt_num_goroutine(void)
{
	int32_t n = gcount();
	RT_PROBE1(gcount, n);
	return n;
}

size_t rt_allglen(void)
{
	return __atomic_load_n(&allgs.n, __ATOMIC_RELAXED);
}

/* forEachG calls fn for every G ever created, under allgs.lock; mirrors
 * forEachG. fn must not create goroutines. */
void forEachG(void (*fn)(struct g *gp, void *arg), void *arg)
{
	lock(&allgs.lock);
	for (size_t i = 0; i < allgs.n; i++)
		fn(allgs.gs[i], arg);
	unlock(&allgs.lock);
}

rt_g *rt_getg(void)
{
	return getg();
}

uint64_t rt_goid(void)
{
	struct g *gp = getg();
	return gp != NULL ? gp->goid : 0;
}

uint64_t rt_g_id(const rt_g *gp)
{
	return gp->goid;
}

int rt_gomaxprocs(void)
{
	return gomaxprocs;
}

int rt_procid(void)
{
	struct m *mp = getm();
	return mp->p != NULL ? mp->p->id : -1;
}

int rt_thread_id(void)
{
	return getm()->procid;
}

int64_t rt_nanotime(void)
{
	return nanotime();
}

void rt_read_sched_stats(struct rt_sched_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->goroutines_created = rt_probe_count("newproc");
	out->goroutines_ended = rt_probe_count("goend");
	out->steals = atomic_load(&rt_counters.steals);
	out->preempt_coop = atomic_load(&rt_counters.preempt_coop);
	out->preempt_async = atomic_load(&rt_counters.preempt_async);
	out->syscall_retakes = atomic_load(&rt_counters.syscall_retakes);
	out->handoffs = atomic_load(&rt_counters.handoffs);
	out->exitsyscall_slow = atomic_load(&rt_counters.exitsyscall_slow);
	lock(&sched.lock);
	out->threads = (uint32_t)(sched.mnext - 1);
	unlock(&sched.lock);
}

/* ---- spinning for sync.Mutex --------------------------------------------- */

/*
 * sync_runtime_canspin: spin only a few times, only on a multicore machine
 * with GOMAXPROCS > 1, at least one other running P, and an empty local
 * run queue — unlike runtime spinning, sync.Mutex spinning must not starve
 * other goroutines. Mirrors sync_runtime_canSpin.
 */
bool sync_runtime_canspin(int i)
{
	if (i >= 4 || ncpu <= 1 ||
	    gomaxprocs <=
		atomic_load(&sched.npidle) + atomic_load(&sched.nmspinning) + 1)
		return false;
	struct p *pp = getm()->p;
	return pp != NULL && runqempty(pp);
}

void sync_runtime_dospin(void)
{
	procyield(30);
}

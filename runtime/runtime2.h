/*
 * runtime2.h — librt's internal types; mirrors runtime/runtime2.go.
 *
 * G - goroutine: a stack, a saved context, a status.
 * M - worker thread, or machine: a pthread with its own stack (the "g0"
 *     stack) on which the scheduler runs between goroutines.
 * P - processor: what an M must hold to run goroutines. Holds a local run
 *     queue and a free-G cache. There are exactly GOMAXPROCS Ps.
 *
 * An M runs goroutines only while it holds a P. An M blocked in a system
 * call holds no P (its P is in _Psyscall and may be retaken by sysmon). Ms
 * with nothing to do sleep on a futex note.
 *
 * Switching between goroutines always goes through the M's g0 context, as
 * Go's mcall/gogo do: a G switches to g0 (saving its context), g0 runs the
 * action the G asked for (park, yield, exit…) and then schedule() picks the
 * next G and switches to it. A goroutine is therefore never resumed before
 * its context is saved: the action that publishes it (unlockf) runs after.
 *
 * Invariants:
 *   - gp->m == mp and mp->curg == gp while gp runs on mp.
 *   - pp->m == mp and mp->p == pp while mp holds pp.
 *   - A G is on at most one queue (a P's runq or runnext, the global runq,
 *     a free list, a wait queue).
 *   - mp->locks > 0 whenever mp holds a runtime lock; no preemption then.
 */
#ifndef RT_RUNTIME2_H
#define RT_RUNTIME2_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rt.h"

/* --- probes: librt's own per-M count of every probe site passed -------- */

/* counts the site in this M, keeping the M and the new count for
 * RT_PROBE_TAKE in the site's block (probes.h, RT_PROBE_SITE) */
#define RT_PROBE_HIT(id)                                       \
	struct m *const rt_pm_ = getm();                       \
	const uint64_t rt_pc_ = rt_pm_->probe[(id)].count + 1; \
	__atomic_store_n(&rt_pm_->probe[(id)].count, rt_pc_, __ATOMIC_RELAXED)
/* librt's sampling decisions (probes.c), asked only at active sites */
struct g;
uint64_t rt_probe_take(unsigned int id);
uint64_t rt_probe_take_g(unsigned int id, struct g *gp, unsigned int bit,
			 int mode);
#define RT_PROBE_TAKE(id) rt_probe_take_fast(rt_pm_, rt_pc_, id)
#define RT_PROBE_TAKE_G(id, gp, bit, mode) \
	rt_probe_take_g_fast(rt_pm_, rt_pc_, id, gp, bit, mode)
#include "probes.h"
#include "race.h"

/* --- configuration ------------------------------------------------------ */

#define RT_MAX_PROCS	    1024
#define RT_RUNQ_SIZE	    256	     /* per-P local run queue, as Go's */
#define RT_FORCE_PREEMPT_NS 10000000 /* sysmon preempts after 10 ms */
#define RT_SYSMON_MIN_US    20	     /* sysmon's shortest sleep */
#define RT_SYSMON_MAX_US    10000    /* sysmon's longest sleep when active */
#define RT_GFREE_LOCAL_MAX  64	     /* per-P free G cache, as gfput */

/* --- locks and notes (lock_futex.c; mirror runtime/lock_futex.go) ------- */

typedef struct rt_lock {
	_Atomic uint32_t key; /* 0 unlocked, 1 locked, 2 locked with waiters */
} rt_lock;

typedef struct rt_note {
	_Atomic uint32_t key; /* 0 clear, 1 woken */
} rt_note;

void lock(rt_lock *l);
void unlock(rt_lock *l);
void noteclear(rt_note *n);
void notewakeup(rt_note *n);
void notesleep(rt_note *n);
/* notetsleep sleeps at most ns (< 0: forever); returns true if woken. */
bool notetsleep(rt_note *n, int64_t ns);
void procyield(int cycles);
void osyield(void);
int futexsleep(_Atomic uint32_t *addr, uint32_t val, int64_t ns);
void futexwakeup(_Atomic uint32_t *addr, int cnt);

/* --- G ------------------------------------------------------------------ */

enum gstatus {
	G_IDLE = 0,	/* just allocated, not yet initialized */
	G_RUNNABLE = 1, /* on a run queue, not running */
	G_RUNNING = 2,	/* running user code on an M with a P */
	G_SYSCALL = 3,	/* in a system call, on an M without a P */
	G_WAITING = 4,	/* parked; on some wait queue */
	G_DEAD = 6,	/* unused, on a free list or exited */
};

/* gobuf: the saved context; callee-saved registers live on the G's stack. */
struct gobuf {
	void *sp;
};

struct m;

struct g {
	struct gobuf sched;	       /* saved context while not running */
	uintptr_t stack_lo;	       /* usable stack [stack_lo, stack_hi) */
	uintptr_t stack_hi;	       /* */
	_Atomic uint32_t atomicstatus; /* enum gstatus */
	_Atomic bool preempt;	       /* preemption requested by sysmon */
	uint64_t goid;		       /* goroutine id; 0 while dead */
	uint64_t parentgoid;	       /* goid of the creator */
	rt_func fn;		       /* entry function and its argument */
	void *arg;		       /* */
	struct m *m;		       /* M running this G, or NULL */
	struct m *lockedm;	       /* M this G is locked to, or NULL */
	struct g *schedlink;	       /* next on a run or free queue */
	enum rt_waitreason waitreason; /* why parked, if G_WAITING */
	int64_t waitsince;	       /* when parked (nanotime) */
	void *param;		       /* passed by the waker (sudog etc.) */
	bool issystem;		       /* runtime-internal goroutine */
	uintptr_t syscallsp;	       /* sp at entersyscall, for the GC */
	uintptr_t syscallbp;	       /* rbp and return pc at entersyscall, */
	uintptr_t syscallpc;	       /* for tracebacks (traceback.c) */
	uintptr_t gopc;		       /* pc of the rt_go that created it */
	void *asan_fake_stack;	       /* ASan fiber bookkeeping */
	void *tsan_fiber;	       /* TSan fiber, kept for life (race.h) */
	struct rt_defer *_defer;       /* innermost deferred call (panic.c) */
	struct _panic *_panic;	       /* innermost running panic (panic.c) */
	uint8_t probe_marks;	       /* sampled episodes (RT_PROBE_G_*) */
	int64_t probe_ts;	       /* traced: when parked, then readied */
	int64_t probe_span;	       /* traced: the interval just ended */
};

/*
 * sudog: a goroutine waiting on a channel or a semaphore; mirrors sudog in
 * runtime2.go. Channels take them from a per-P cache (chan.c); semaphores
 * keep them on the waiting goroutine's stack (sema.c).
 */
struct hchan;
struct sudog {
	struct g *g;		      /* the waiting goroutine */
	struct sudog *next;	      /* neighbours on a wait list */
	struct sudog *prev;	      /* */
	void *elem;		      /* data element (may point to stack) */
	_Atomic uint32_t *selectdone; /* select only: the select's done flag */
	struct sudog *waitlink;	      /* select: next sudog, in lockorder */
	struct hchan *c;	      /* channel waited on */
	uint32_t ticket; /* semaphore: 1 if the unit was handed over */
	bool isselect;	 /* waiting in a select */
	bool success;	 /* woken by a transfer, not by close */
};

/* --- M ------------------------------------------------------------------ */

struct m {
	struct gobuf g0buf;    /* g0 (scheduler) context */
	int64_t id;	       /* 0 is the thread that called rt_main */
	pid_t procid;	       /* Linux tid */
	pthread_t thread;      /* */
	struct g *curg;	       /* G running on this M, or NULL */
	struct p *p;	       /* attached P, or NULL */
	struct p *nextp;       /* P to acquire when woken */
	struct p *oldp;	       /* P held before entering a syscall */
	struct g *lockedg;     /* G locked to this M (LockOSThread) */
	uint32_t lockedext;    /* nesting of rt_lock_os_thread */
	int32_t locks;	       /* runtime locks held; no preemption */
	bool spinning;	       /* looking for work, without any */
	bool issysmon;	       /* the sysmon thread */
	int32_t preemptoff;    /* > 0: never preempt (holds STW) */
	bool insystemstack;    /* running fn of systemstack */
	bool resume_running;   /* g0 resumes curg as it is */
	void (*sysfn)(void *); /* systemstack's function, arg */
	void *sysarg;	       /* */
	uintptr_t stopsp;      /* g0 sp while stopped for STW */
	bool preempting;       /* inside the SIGURG handler */
	rt_note park;	       /* sleeps here when idle */
	struct m *schedlink;   /* next on sched.midle */
	struct m *alllink;     /* next on allm */
	/* the action a G asked g0 to run after switching (mcall) */
	struct g *(*mcall_fn)(struct m *mp, struct g *gp);
	rt_unlockf waitunlockf; /* gopark's unlock function and arg */
	void *waitlock;		/* */
	uint32_t fastrand;	/* per-M PRNG state */
	void *g0_stack_lo;	/* g0 stack, for ASan fiber switches */
	size_t g0_stack_size;	/* */
	void *asan_fake_stack;	/* ASan bookkeeping for g0 */
	void *tsan_fiber;	/* g0's TSan fiber: the thread's own */
	/* per probe: the sites passed, and for sampling (probes.c) the count
	 * at the last firing and the count at which the next one fires —
	 * side by side, so an active site's test reads the line its count
	 * is on */
	struct {
		uint64_t count;
		uint64_t next;
		uint64_t reported;
	} probe[RT_PROBE_NUM];
	uint32_t probe_epoch;
};

/* --- P ------------------------------------------------------------------ */

enum pstatus {
	P_IDLE = 0,
	P_RUNNING = 1,
	P_SYSCALL = 2,
	P_GCSTOP = 3, /* stopped for stop-the-world */
};

/* What sysmon last saw of a P; mirrors sysmontick. */
struct sysmontick {
	uint32_t schedtick;
	int64_t schedwhen;
	uint32_t syscalltick;
	int64_t syscallwhen;
};

struct p {
	int32_t id;
	_Atomic uint32_t status;      /* enum pstatus */
	struct p *link;		      /* next on sched.pidle */
	uint32_t schedtick;	      /* incremented on every scheduler call */
	_Atomic uint32_t syscalltick; /* incremented on every system call */
	struct sysmontick sysmontick; /* owned by sysmon */
	struct m *m;		      /* back-link to the M holding it */
	uint64_t goidcache;	      /* batch of goids, as Go's */
	uint64_t goidcacheend;	      /* */
	/* local run queue: lock-free ring, single producer (the owner),
	 * many consumers (owner and stealers) */
	_Atomic uint32_t runqhead;
	_Atomic uint32_t runqtail;
	struct g *_Atomic runq[RT_RUNQ_SIZE];
	/* runnext, if set, runs next in place of the queue's head, sharing the
	 * time slice of the G that readied it */
	struct g *_Atomic runnext;
	struct g *gfree;       /* free Gs (status G_DEAD) */
	int32_t gfreecnt;      /* */
	struct mcache *mcache; /* per-P allocation cache (mcache.c) */
	/* timers (time.c): a 4-ary min-heap ordered by when */
	rt_lock timerslock;	    /* protects timers, ntimers */
	struct timer **timers;	    /* malloc'ed; a GC root */
	int32_t ntimers;	    /* */
	int32_t timerscap;	    /* */
	_Atomic int64_t timer0when; /* <= timers[0]'s when, 0 if none */
	/* free _defer records (panic.c), as p.deferpool; emptied at each GC */
	struct rt_defer *deferpool[32];
	int32_t ndeferpool;
};

/* --- the scheduler's global state; mirrors schedt --------------------- */

struct gqueue {
	struct g *head;
	struct g *tail;
};

struct schedt {
	rt_lock lock;		    /* protects everything below unless noted */
	_Atomic uint64_t goidgen;   /* atomic */
	struct m *midle;	    /* idle Ms waiting for work */
	int32_t nmidle;		    /* */
	int32_t nmidlelocked;	    /* locked Ms waiting for their G */
	int64_t mnext;		    /* Ms created so far; next M id */
	int32_t nmsys;		    /* system Ms not counted by checkdead */
	struct p *pidle;	    /* idle Ps */
	_Atomic int32_t npidle;	    /* atomic */
	_Atomic int32_t nmspinning; /* atomic */
	struct gqueue runq;	    /* global run queue */
	_Atomic int32_t runqsize;   /* atomic reads allowed without lock */
	rt_lock gflock;		    /* protects the global free G lists */
	struct g *gfree_stack;	    /* free Gs with a stack (unbounded) */
	struct g *gfree_nostack;    /* free Gs whose stack a GC released */
	int32_t ngfree;		    /* free Gs on both, as sched.gFree.n */
	_Atomic int32_t ngsys;	    /* live system Gs (rt_go_system) */
	_Atomic bool gcwaiting;	    /* stop-the-world in progress */
	int32_t stopwait;	    /* Ps still to stop */
	rt_note stopnote;	    /* the stopper sleeps here */
	_Atomic bool exiting;	    /* main returned; run nothing more */
	_Atomic bool sysmonwait;    /* sysmon sleeps on sysmonnote */
	rt_note sysmonnote;	    /* */
};

extern struct schedt sched;
extern struct p *allp[RT_MAX_PROCS];
extern int32_t gomaxprocs;
extern int32_t ncpu;
extern struct m *_Atomic allm;

/* stats that are not probe counts */
struct rt_counters {
	_Atomic uint64_t steals;
	_Atomic uint64_t preempt_coop;
	_Atomic uint64_t preempt_async;
	_Atomic uint64_t syscall_retakes;
	_Atomic uint64_t handoffs;
	_Atomic uint64_t exitsyscall_slow;
};
extern struct rt_counters rt_counters;

/* --- the current M ------------------------------------------------------ */

extern __thread struct m *rt_tls_m;

/*
 * getm returns the M running the caller. The read is an asm volatile with a
 * memory clobber so the compiler cannot cache the thread pointer across a
 * goroutine switch: the same G may resume on another thread. Always
 * inlined, also into the functions TSan must not instrument (RT_NO_TSAN,
 * race.h), where gcc would otherwise call an instrumented copy.
 */
static inline __attribute__((always_inline)) struct m *getm(void)
{
	struct m *mp;
	__asm__ volatile("movq %%fs:rt_tls_m@tpoff, %0"
			 : "=r"(mp)
			 :
			 : "memory");
	return mp;
}

/*
 * rt_probe_take_fast is RT_PROBE_TAKE: a sampled probe between firings
 * costs a load and a compare here, inline, on its count's cache line;
 * only a firing or a period of 1 (next stays 0) calls rt_probe_take.
 * A new epoch is seen at the next call: a tracer attaching after another
 * detached may miss up to the old period's gap per probe and thread,
 * which attach's report already allows for.
 */
/* written by tracers into the running process (probes.h, probes.c) */
extern volatile uint32_t rt_probe_sample_period[RT_PROBE_NUM];
extern volatile uint32_t rt_probe_sample_epoch;
static inline uint64_t rt_probe_take_fast(struct m *mp, uint64_t count,
					  unsigned int id)
{
	if (__builtin_expect(count < mp->probe[id].next, 1))
		return 0;
	return rt_probe_take(id);
}

/*
 * rt_probe_take_g_fast is RT_PROBE_TAKE_G's inline path: mode is a
 * constant at every site, so each folds to a few loads. An opener between
 * firings stays silent when its goroutine carries no mark and no clock;
 * a follower when its goroutine is unmarked and the probe is sampled.
 * Anything else is rt_probe_take_g's.
 */
static inline uint64_t rt_probe_take_g_fast(struct m *mp, uint64_t count,
					    unsigned int id, struct g *gp,
					    unsigned int bit, int mode)
{
	if (mode == RT_PROBE_G_OPEN) {
		if (__builtin_expect(count < mp->probe[id].next, 1) &&
		    !(gp->probe_marks & bit) && gp->probe_ts == 0)
			return 0;
	} else if (!(gp->probe_marks & bit) && rt_probe_sample_period[id] > 1) {
		return 0;
	}
	return rt_probe_take_g(id, gp, bit, mode);
}

static inline struct g *getg(void)
{
	return getm()->curg;
}

/* --- status and helpers (proc.c) --------------------------------------- */

/* readgstatus is always inlined for the reason getm is. */
static inline __attribute__((always_inline)) uint32_t readgstatus(struct g *gp)
{
	return atomic_load_explicit(&gp->atomicstatus, memory_order_acquire);
}
void casgstatus(struct g *gp, uint32_t oldval, uint32_t newval);

_Noreturn void throw(const char *msg);
_Noreturn void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

uint32_t fastrand(void);
void goyield(void);
void ready(struct g *gp);

/* mcall switches to g0 and runs fn(mp, gp) there (proc.c). */
void mcall(struct g *(*fn)(struct m *mp, struct g *gp));
struct g *gopreempt_m(struct m *mp, struct g *gp);

/* --- stacks and switching (stack.c, switch_amd64.S) -------------------- */

void stackinit(void);
bool stackalloc(struct g *gp);
void stackfree(struct g *gp);
/* markrootFreeGStacks releases the stacks of the Gs on the global
 * with-stack free list (proc.c); called once per GC cycle (mgc.c). */
void markrootFreeGStacks(void);
void gostartcall(struct g *gp);
void switch_to_g(struct m *mp, struct g *gp);
void switch_to_g0(struct m *mp, struct g *gp, bool exiting);
void fiber_entered(struct g *gp);
void fiber_m_init(struct m *mp);
void fiber_named(struct g *gp);
void stack_unpoison(struct g *gp);

/* rt_swapcontext saves callee-saved state in *from and resumes to. */
void rt_swapcontext(struct gobuf *from, struct gobuf *to);
void rt_gotrampoline(void);
/* rt_goentry runs a new goroutine's function; called by rt_gotrampoline. */
_Noreturn void rt_goentry(struct g *gp);

/* rt_probe_flush reports the events no probe firing has reported yet
 * (rt:probe_flush); rt_probe_sample_setenv applies RT_PROBE_SAMPLE. Both
 * in probes.c. */
void rt_probe_flush(void);
void rt_probe_sample_setenv(const char *s);

/*
 * The environment's parsers, named for their fuzz targets (tests/fuzz/):
 * parse_maxprocs reads RT_MAXPROCS itself (proc.c); parse_gogc and
 * parse_memlimit take RT_GOGC's and RT_MEMLIMIT's values (mgcpacer.c).
 */
int32_t parse_maxprocs(int32_t dflt);
int32_t parse_gogc(const char *v);
uint64_t parse_memlimit(const char *v);

/* rt_print_stats prints librt's probe counts (probes.c); RT_STATS=1. */
#include <stdio.h>
void rt_print_stats(FILE *f);

/* --- stop-the-world and GC roots (proc.c) ------------------------------ */

/*
 * stop_the_world stops every P at a safe point; the caller (a goroutine)
 * keeps its own P and returns with the world stopped. Ms in system calls
 * keep running but cannot take a P back until start_the_world. Stops are
 * serialized (worldsema), timed, and fire stw_start/stw_done. Mirrors
 * stopTheWorld/startTheWorld in proc.go.
 */
void stop_the_world(enum rt_stw_reason reason);
void start_the_world(void);

/*
 * systemstack runs fn(arg) on the M's g0 stack, the calling goroutine
 * switched out (its registers saved on its own stack, like every other
 * goroutine's), and then resumes it. Mirrors systemstack.
 */
void systemstack(void (*fn)(void *arg), void *arg);

/*
 * for_each_stack_root reports every place the scheduler holds that may
 * point into the GC heap: each live goroutine's stack from its saved sp
 * (or its sp at entersyscall) to its top — callee-saved registers are
 * pushed there by every switch, all registers by an async preemption —,
 * each goroutine's fn/arg/param and _defer/_panic fields, and each stopped
 * M's g0 stack.
 * The world must be stopped and the caller must be on g0 (systemstack).
 */
typedef void (*rt_root_fn)(uintptr_t lo, uintptr_t hi, void *arg);
void for_each_stack_root(rt_root_fn fn, void *arg);

/* forEachG calls fn(gp, arg) for every G in allgs, under its lock;
 * mirrors forEachG. fn must not start goroutines. */
void forEachG(void (*fn)(struct g *gp, void *arg), void *arg);

/* rt_go_system starts a runtime goroutine (finalizer, sweeper) that the
 * deadlock detector does not count; callable from a goroutine. */
struct g *rt_go_system(rt_func fn, void *arg);

/* stack bytes in use by goroutines (for memstats). */
uint64_t stack_inuse_bytes(void);
/* stack_unguarded: stacks mapped without a guard page (install_guard) */
uint64_t stack_unguarded(void);

/* gc_stw_hooks: run with the world stopped at the start of each cycle,
 * e.g. pool cleanup (set by pool.c). */
extern void (*rt_poolcleanup_hook)(void);

/* clear_deferpools empties the _defer pools (panic.c); mgc.c calls it with
 * the world stopped, next to the pool hook, as clearpools. */
void clear_deferpools(void);

/* --- panics (panic.c) ---------------------------------------------------- */

/* panic_plainerror panics with a runtime.Error whose text is msg, with no
 * "runtime error: " prefix: Go's plainError (channel misuse). */
_Noreturn void panic_plainerror(const char *msg);

/* goexit_defers_throw: gp returned from its entry function with deferred
 * calls still linked (rt_defer without RT_DEFERRETURN); fatal. */
_Noreturn void goexit_defers_throw(struct g *gp);

/* --- preemption (preempt.c) --------------------------------------------- */

void preemptinit(void);
void preemptM(struct m *mp);

/* --- semaphores (sema.c) ------------------------------------------------- */

void semacquire1(uint32_t *addr, bool lifo, enum rt_waitreason reason);
bool sync_runtime_canspin(int i);
void sync_runtime_dospin(void);

/* --- time ---------------------------------------------------------------- */

int64_t nanotime(void);

/* --- memory (mgc.c) ------------------------------------------------------ */

/* timers (time.c) */
int64_t checktimers(struct p *pp, int64_t now);
int64_t timesleepuntil(void);
bool timers_pending(void);
void timer_sleeping(int64_t until);
void timerinit(void);
void wakep(void);

/* forcegc_check readies the periodic GC goroutine when no cycle has run
 * for 2 minutes; sysmon calls it on each tick (no P needed). */
void forcegc_check(int64_t now);

#endif /* RT_RUNTIME2_H */

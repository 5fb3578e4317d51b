/*
 * mgc.c — the garbage collector's cycle driver; mirrors runtime/mgc.go.
 *
 * librt's GC is a non-moving, conservative mark-sweep collector. A cycle
 * runs on the goroutine that starts it — rt_gc (as runtime.GC), or the
 * allocation that took heap_live past the trigger — in four phases, as
 * Go's:
 *
 *  1. Sweep termination. stop_the_world(RT_STW_GC_SWEEP_TERM); sweep any
 *     span the last cycle left unswept (finishsweep_m); clear sync.Pools
 *     (rt_poolcleanup_hook, pool.c); flush every P's mcache;
 *     start_the_world. Fires gc_start. Then, with the world running, the
 *     stacks of the dead Gs on the global free list are released
 *     (markrootFreeGStacks, proc.c), as Go's mark workers do during
 *     concurrent mark: a madvise each, 20-40 ms for 10,000 stacks, which
 *     would be pause time if done while stopped.
 *
 *  2. Mark. stop_the_world(RT_STW_GC_MARK_TERM); flush mcaches again;
 *     switch to g0 (systemstack), so the collecting goroutine is switched
 *     out and its stack is scanned like every other one, and mark from
 *     the roots to completion (mgcmark.c). Fires gc_mark_done.
 *     In this first version marking is stop-the-world (done in parallel
 *     by the collecting M and helper threads): phases 2 and 3 run in one
 *     pause. Go marks concurrently with a write barrier between two
 *     short pauses; keeping mark a phase of its own (gcmark_all) leaves
 *     room for that.
 *
 *  3. Mark termination. Still stopped: heap_live = heap_marked = marked
 *     bytes; the pacer sets the next goal (mgcpacer.c); sweepgen advances
 *     by 2 so every span is unswept (gcsweep_prepare); statistics are
 *     recorded; start_the_world. Fires gc_done.
 *
 *  4. Sweep. The background sweeper goroutine and allocating goroutines
 *     sweep concurrently with the program (mgcsweep.c); the finalizer
 *     goroutine is woken if finalizers were queued (mfinal.c). rt_gc also
 *     sweeps until all is swept before it returns, as runtime.GC does.
 *
 * Periodic GC: a helper goroutine (forcegchelper, started after the
 * first cycle) parks with "force gc (idle)"; sysmon calls forcegc_check
 * on its ticks and readies it when no cycle has run for 2 minutes, as
 * Go's sysmon does with forcegc. As in Go, a program that never
 * collected is never forced to.
 *
 * Only one cycle runs at a time (gcsema, as Go's work.startSema): an
 * allocation that crosses the trigger while a cycle runs just continues;
 * rt_gc waits and then runs a cycle of its own unless one started after
 * it was called has completed meanwhile (Go's gcTriggerCycle test).
 */
#include <time.h>

#include "malloc.h"

static uint32_t gcsema = 1; /* held by the goroutine running a cycle */
static _Atomic uint64_t gc_cycles_started;
static _Atomic bool gc_active; /* from gc_cycle's start to the last restart */
static _Atomic int64_t last_gc_mono; /* nanotime at the last mark termination */

#define FORCEGC_PERIOD_NS (2 * 60 * 1000000000LL) /* Go's forcegcperiod */

static struct {
	rt_lock lock;
	struct g *g;	      /* the helper */
	_Atomic bool idle;    /* g is parked, waiting for sysmon */
	_Atomic bool started; /* */
} forcegc;

static void forcegchelper(void *arg);

static const char *const gc_reason_strings[RT_GC_REASON_COUNT] = {
    [RT_GC_HEAP_GOAL] = "heap goal",
    [RT_GC_FORCED] = "forced",
    [RT_GC_MEMORY_LIMIT] = "memory limit",
    [RT_GC_PERIODIC] = "periodic",
};

const char *rt_gc_reason_string(enum rt_gc_reason reason)
{
	if ((unsigned)reason >= RT_GC_REASON_COUNT ||
	    gc_reason_strings[reason] == NULL)
		return "unknown";
	return gc_reason_strings[reason];
}

static uint64_t walltime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* gc_cycle runs one full cycle; the caller holds gcsema. Mirrors gcStart
 * + gcMarkDone + gcMarkTermination. */
static void gc_cycle(enum rt_gc_reason reason)
{
	uint64_t cycle = atomic_fetch_add(&gc_cycles_started, 1) + 1;
	atomic_store(&gc_active, true);

	/* Phase 1: sweep termination. */
	int64_t t0 = nanotime();
	stop_the_world(RT_STW_GC_SWEEP_TERM);
	finishsweep_m();
	if (rt_poolcleanup_hook != NULL)
		rt_poolcleanup_hook();
	clear_deferpools();
	flushallmcaches();
	RT_PROBE3(gc_start, cycle, reason, atomic_load(&memstats.heap_live));
	start_the_world();
	int64_t pause = nanotime() - t0;

	/* Release the stacks of dead Gs on the global free list, with the
	 * world running, as Go's mark workers do (a madvise per stack;
	 * before phase 2, so the pacer's non-heap figure sees it). */
	markrootFreeGStacks();

	/* Phases 2 and 3: mark (with the world stopped, in this version)
	 * and mark termination. */
	int64_t t1 = nanotime();
	stop_the_world(RT_STW_GC_MARK_TERM);
	flushallmcaches();
	systemstack(gcmark_all, NULL);
	uint64_t marked = gc_marked_bytes;
	RT_PROBE2(gc_mark_done, cycle, marked);
	atomic_store(&memstats.heap_marked, marked);
	atomic_store(&memstats.heap_live, marked);
	pacer_set_nonheap(stack_inuse_bytes() +
			  atomic_load(&memstats.other_sys));
	pacer_commit(marked);
	gcsweep_prepare();
	pause += nanotime() - t1;
	mstats_record_cycle((uint64_t)pause, reason == RT_GC_FORCED);
	atomic_store(&last_gc_mono, nanotime());
	atomic_store(&gc_active, false);
	start_the_world();
	RT_PROBE3(gc_done, cycle, atomic_load(&memstats.heap_live),
		  atomic_load(&memstats.next_gc));

	/* Phase 4: sweep, in the background. */
	gcsweep_wake();
	fin_wake();
	bool no = false;
	if (atomic_compare_exchange_strong(&forcegc.started, &no, true))
		go_system(forcegchelper, NULL);
}

/* go_system starts one of the memory subsystem's system goroutines
 * (sweeper, finalizer, forcegc) and counts it, so that
 * /sched/goroutines:goroutines leaves them out, as Go's gcount does. */
_Atomic uint32_t nsysgoroutines;

struct g *go_system(rt_func fn, void *arg)
{
	atomic_fetch_add(&nsysgoroutines, 1);
	return rt_go_system(fn, arg);
}

static bool forcegc_unlock(rt_g *gp, void *l)
{
	(void)gp;
	unlock(l);
	return true;
}

/* forcegchelper runs the periodic cycles; mirrors forcegchelper. */
static void forcegchelper(void *arg)
{
	(void)arg;
	lock(&forcegc.lock);
	forcegc.g = getg();
	for (;;) {
		atomic_store(&forcegc.idle, true);
		rt_gopark(forcegc_unlock, &forcegc.lock, RT_WAIT_FORCE_GC_IDLE);
		gcstart(RT_GC_PERIODIC);
		lock(&forcegc.lock);
	}
}

/* forcegc_check readies the periodic GC helper if no cycle ran for 2
 * minutes; called by sysmon (no P needed). Mirrors sysmon's gcTriggerTime
 * test. */
void forcegc_check(int64_t now)
{
	int64_t last =
	    atomic_load_explicit(&last_gc_mono, memory_order_relaxed);
	if (last == 0 || now - last <= FORCEGC_PERIOD_NS ||
	    !atomic_load(&forcegc.idle))
		return;
	struct g *gp = NULL;
	lock(&forcegc.lock);
	if (atomic_load(&forcegc.idle)) {
		atomic_store(&forcegc.idle, false);
		gp = forcegc.g;
	}
	unlock(&forcegc.lock);
	if (gp != NULL)
		ready(gp);
}

/* mstats_record_cycle updates the per-cycle statistics; world stopped. */
void mstats_record_cycle(uint64_t pause_ns, bool forced)
{
	uint32_t n = atomic_load(&memstats.num_gc);
	uint64_t now = walltime_ns();
	memstats.pause_ns[n % 256] = pause_ns;
	memstats.pause_end[n % 256] = now;
	atomic_fetch_add(&memstats.pause_total_ns, pause_ns);
	atomic_fetch_add(&memstats.gc_cpu_ns, pause_ns * (uint64_t)gomaxprocs);
	atomic_store(&memstats.last_gc, now);
	if (forced)
		atomic_fetch_add(&memstats.num_forced_gc, 1);
	atomic_store(&memstats.num_gc, n + 1);
}

/*
 * gc_trigger_check starts a cycle if the heap reached its trigger; called
 * by mallocgc's slow paths with no runtime lock held. Mirrors
 * gcTrigger.test + gcStart: while a cycle is running the allocator just
 * continues; once it has restarted the world, an allocator over the
 * trigger waits for gcsema (the last cycle's goroutine may still be
 * waking the sweeper) and starts the next cycle if it is still needed —
 * so allocation cannot run away from the goal between two cycles.
 */
void gc_trigger_check(void)
{
	if (atomic_load_explicit(&memstats.heap_live, memory_order_relaxed) <
	    atomic_load_explicit(&gc_trigger, memory_order_relaxed))
		return;
	struct m *mp = getm();
	if (mp->locks != 0 || mp->curg == NULL || mp->p == NULL)
		return;
	if (atomic_load(&gc_active))
		return; /* a cycle is running: carry on */
	rt_semacquire(&gcsema, RT_WAIT_WAIT_FOR_GC_CYCLE);
	if (atomic_load(&memstats.heap_live) >= atomic_load(&gc_trigger))
		gc_cycle(pacer_trigger_reason());
	rt_semrelease(&gcsema, false);
}

/* gcstart runs a cycle for reason unless one is running. */
void gcstart(enum rt_gc_reason reason)
{
	rt_semacquire(&gcsema, RT_WAIT_WAIT_FOR_GC_CYCLE);
	gc_cycle(reason);
	rt_semrelease(&gcsema, false);
}

/* rt_gc mirrors runtime.GC: a full cycle that starts after the call, then
 * sweeping to the end. */
void rt_gc(void)
{
	mallocinit_late();
	uint64_t n = atomic_load(&gc_cycles_started);
	rt_semacquire(&gcsema, RT_WAIT_WAIT_FOR_GC_CYCLE);
	/* n counts a cycle that was running when we were called; a later one
	 * has completed if the count moved on. */
	if (atomic_load(&gc_cycles_started) == n)
		gc_cycle(RT_GC_FORCED);
	rt_semrelease(&gcsema, false);
	while (!atomic_load(&mheap_.sweepdone)) {
		if (sweepone() == SWEEP_NONE)
			rt_gosched();
		else
			rt_preempt_check();
	}
}

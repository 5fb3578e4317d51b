/*
 * mgcsweep.c — sweeping; mirrors runtime/mgcsweep.go.
 *
 * After mark termination every in-use span holds last cycle's allocation
 * bits and this cycle's mark bits. Sweeping a span makes the mark bits
 * its new allocation bits (the two bitmaps swap roles, as Go swaps
 * gcmarkBits into allocBits), clears the new mark bits, counts the freed
 * objects, and returns the span to the mheap if nothing in it survived.
 *
 * Which spans need sweeping is told by sweepgen (see malloc.h): mark
 * termination advances mheap_.sweepgen by 2 with the world stopped, which
 * makes every span unswept at once. A span is then swept by whoever
 * claims it first with a CAS sg-2 -> sg-1:
 *   - the allocator, lazily, when its mcentral needs a span
 *     (mcentral_cachespan), and mheap_alloc, which sweeps until it has
 *     freed as many pages as it is about to allocate before it takes new
 *     ones (heap_reclaim, as mheap.reclaim);
 *   - the background sweeper, a system goroutine (bgsweep) woken at the
 *     end of each cycle, which yields every 16 spans and, when all is
 *     swept, runs the scavenger (mheap_scavenge) with the pacer's goal;
 *   - sweep termination (finishsweep_m, world stopped) at the start of
 *     the next cycle, and rt_gc before it returns, as runtime.GC does.
 *
 * The sweep probe fires once per span swept (npages, objects freed).
 */
#include <string.h>

#include "malloc.h"

static struct {
	rt_lock lock;
	struct g *g;  /* the background sweeper */
	bool parked;  /* g waits in gopark */
	bool pending; /* a wake-up arrived while g was busy */
} sweep;

/*
 * mspan_sweep sweeps a span claimed by the caller (sweepgen sg-1); mirrors
 * mspan.sweep. With preserve (the caller is mcentral_cachespan) the span is
 * handed back to the caller; otherwise it goes to its mcentral's swept
 * lists, or back to the mheap when empty. Returns true if it was freed.
 */
bool mspan_sweep(struct mspan *s, bool preserve)
{
	uint32_t sg = atomic_load(&mheap_.sweepgen);
	if (atomic_load(&s->sweepgen) != sg - 1)
		throw("mspan_sweep: bad span state");
	uint64_t *mark = gcmarkbits(s);
	uint32_t nwords = (s->nelems + 63) / 64;
	uint32_t nalloc = 0;
	for (uint32_t i = 0; i < nwords; i++)
		nalloc += popcount64(mark[i]);
	if (nalloc > s->allocCount)
		throw("sweep increased allocation count");
	uint32_t nfreed = s->allocCount - nalloc;
	s->allocCount = nalloc;
	s->allocidx ^= 1;
	memset(gcmarkbits(s), 0, nwords * sizeof(uint64_t));
	s->freeindex = 0;
	s->allocCache = ~allocbits(s)[0];
	if (nfreed > 0) {
		s->needzero = true;
		atomic_fetch_add_explicit(&memstats.nfree, nfreed,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&memstats.total_free,
					  (uint64_t)nfreed * s->elemsize,
					  memory_order_relaxed);
	}
	RT_PROBE2(sweep, s->npages, nfreed);
	atomic_store(&s->sweepgen, sg);
	if (nalloc == 0 && (!preserve || s->spanclass >> 1 == 0)) {
		if (preserve)
			throw("mspan_sweep: preserving a large span");
		mheap_free(s);
		return true;
	}
	if (!preserve)
		mcentral_pushswept(&mheap_.central[s->spanclass], s);
	return false;
}

/*
 * sweepone sweeps one span and returns its page count, or SWEEP_NONE if
 * there was nothing left to sweep; mirrors sweepone. When the last
 * span is swept (and no one else is sweeping) it sets sweepdone.
 */
uintptr_t sweepone(void)
{
	if (atomic_load_explicit(&mheap_.sweepdone, memory_order_acquire))
		return SWEEP_NONE;
	for (;;) {
		uint32_t i = atomic_load(&mheap_.sweepcentral);
		if (i >= NUM_SPAN_CLASSES)
			break;
		struct mspan *s = mcentral_popunswept(&mheap_.central[i]);
		if (s == NULL) {
			atomic_compare_exchange_strong(&mheap_.sweepcentral, &i,
						       i + 1);
			continue;
		}
		uintptr_t npages = s->npages;
		mspan_sweep(s, false);
		atomic_fetch_sub(&mheap_.sweepers, 1);
		return npages;
	}
	/* unswept lists only shrink during a sweep phase, so they are all
	 * empty now; done once the sweepers in flight finish */
	if (atomic_load(&mheap_.sweepers) == 0)
		atomic_store_explicit(&mheap_.sweepdone, true,
				      memory_order_release);
	return SWEEP_NONE;
}

/* heap_reclaim sweeps spans until at least npages were freed or nothing
 * is left unswept; mirrors mheap.reclaim (called by mheap.alloc before it
 * takes new pages, so the heap does not grow over unswept garbage). No
 * lock held. Returns the pages freed. */
uintptr_t heap_reclaim(uintptr_t npages)
{
	uintptr_t freed = 0;
	while (freed < npages) {
		uint32_t i = atomic_load(&mheap_.sweepcentral);
		if (i >= NUM_SPAN_CLASSES) {
			sweepone(); /* sets sweepdone */
			break;
		}
		struct mspan *s = mcentral_popunswept(&mheap_.central[i]);
		if (s == NULL) {
			atomic_compare_exchange_strong(&mheap_.sweepcentral, &i,
						       i + 1);
			continue;
		}
		uintptr_t n = s->npages;
		if (mspan_sweep(s, false))
			freed += n;
		atomic_fetch_sub(&mheap_.sweepers, 1);
	}
	return freed;
}

/* finishsweep_m sweeps everything left; the world is stopped, so no
 * sweep is in flight. Mirrors finishsweep_m. */
void finishsweep_m(void)
{
	while (sweepone() != SWEEP_NONE)
		;
	if (!atomic_load(&mheap_.sweepdone))
		throw("finishsweep_m: sweep not done with the world stopped");
}

/* gcsweep_prepare starts a sweep phase: every span becomes unswept. World
 * stopped, mcaches flushed. Mirrors gcSweep's first half. */
void gcsweep_prepare(void)
{
	atomic_fetch_add(&mheap_.sweepgen, 2);
	atomic_store(&mheap_.sweepcentral, 0);
	atomic_store(&mheap_.sweepdone, false);
}

static bool sweep_unlock(rt_g *gp, void *l)
{
	(void)gp;
	unlock(l);
	return true;
}

/* bgsweep is the background sweeper goroutine; mirrors bgsweep (with the
 * scavenger's work done at the end of each sweep phase). */
static void bgsweep(void *arg)
{
	(void)arg;
	for (;;) {
		int n = 0;
		while (sweepone() != SWEEP_NONE)
			if (++n % 16 == 0)
				rt_gosched();
		uint64_t goal = pacer_retained_goal();
		lock(&mheap_.lock);
		mheap_scavenge(goal);
		unlock(&mheap_.lock);
		lock(&sweep.lock);
		if (sweep.pending) {
			sweep.pending = false;
			unlock(&sweep.lock);
			continue;
		}
		sweep.parked = true;
		rt_gopark(sweep_unlock, &sweep.lock, RT_WAIT_GC_SWEEP_WAIT);
	}
}

/* gcsweep_wake wakes (or first starts) the background sweeper after a
 * cycle; called by the GC's goroutine with the world running. */
void gcsweep_wake(void)
{
	if (sweep.g == NULL) {
		sweep.g = go_system(bgsweep, NULL);
		return;
	}
	struct g *gp = NULL;
	lock(&sweep.lock);
	if (sweep.parked) {
		sweep.parked = false;
		gp = sweep.g;
	} else {
		sweep.pending = true;
	}
	unlock(&sweep.lock);
	if (gp != NULL)
		ready(gp);
}

/*
 * mcache.c — per-P object caches; mirrors runtime/mcache.go.
 *
 * Each P owns an mcache holding one span per span class to allocate
 * from. The owner allocates from it without any lock: nothing else
 * touches it while the P runs, and the world is stopped when the GC
 * flushes it (flushallmcaches). Preemption cannot split an allocation,
 * since librt's own code (section rt_text) is never preempted
 * asynchronously and mallocgc reaches no preemption point before it is
 * done with the mcache.
 *
 * Statistics: heap_live (the pacer's input) counts a cached span's free
 * slots as allocated when it is cached and takes the unused ones back
 * when it is uncached, as Go's refill does, so the pacer sees allocation
 * in span-sized steps. The object and byte counts are exact: each mcache
 * counts its own allocations in two per-P words (nmalloc, allocbytes) —
 * plain increments published with relaxed stores, as Go's pre-1.16
 * local_nsmallalloc — and readers sum them over the Ps (alloc_totals),
 * so MemStats and metrics agree whenever the program is quiet.
 */
#include <string.h>

#include "malloc.h"

/* emptymspan: a span with no free objects, so a fresh mcache takes the
 * slow path; mirrors emptymspan. */
struct mspan emptymspan;

struct mcache *allocmcache(void)
{
	struct mcache *c = sysalloc_meta(sizeof(struct mcache));
	for (int i = 0; i < NUM_SPAN_CLASSES; i++)
		c->alloc[i] = &emptymspan;
	return c;
}

/* stats_cache counts a span's free slots as live heap on caching, as Go's
 * refill adds them to heapLive. */
static void stats_cache(struct mspan *s)
{
	uint64_t slots = s->nelems - s->allocCount;
	atomic_fetch_add_explicit(&memstats.heap_live, slots * s->elemsize,
				  memory_order_relaxed);
}

/* stats_uncache takes back the slots a span's cacher did not use. */
static void stats_uncache(struct mspan *s)
{
	uint64_t unused = s->nelems - s->allocCount;
	atomic_fetch_sub_explicit(&memstats.heap_live, unused * s->elemsize,
				  memory_order_relaxed);
}

/*
 * mcache_refill replaces c's span for class spc, which is full, by one
 * with a free object; mirrors mcache.refill. May sweep and grow the heap.
 */
void mcache_refill(struct mcache *c, uint8_t spc)
{
	struct mspan *s = c->alloc[spc];
	if (s != &emptymspan) {
		if (s->allocCount != s->nelems)
			throw("refill of span with free space remaining");
		stats_uncache(s);
		mcentral_uncachespan(&mheap_.central[spc], s);
	}
	s = mcentral_cachespan(&mheap_.central[spc]);
	stats_cache(s);
	c->alloc[spc] = s;
}

/* mcache_releaseall returns every cached span; mirrors releaseAll. */
void mcache_releaseall(struct mcache *c)
{
	for (int i = 0; i < NUM_SPAN_CLASSES; i++) {
		struct mspan *s = c->alloc[i];
		if (s == &emptymspan)
			continue;
		stats_uncache(s);
		mcentral_uncachespan(&mheap_.central[i], s);
		c->alloc[i] = &emptymspan;
	}
}

/* flushallmcaches releases every P's mcache; the world must be stopped.
 * Mirrors flushallmcaches. */
void flushallmcaches(void)
{
	for (int i = 0; i < gomaxprocs; i++) {
		struct p *pp = allp[i];
		if (pp != NULL && pp->mcache != NULL)
			mcache_releaseall(pp->mcache);
	}
}

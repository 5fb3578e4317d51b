/*
 * mstats.c — memory statistics; mirrors runtime/mstats.go.
 *
 * The counters live in one global struct of atomics (memstats). They are
 * updated where Go updates its consistent heap stats: small allocation
 * counts per P in each mcache, large ones here, frees when a span is swept,
 * page counts in the mheap, cycle data at mark termination. The allocation fast
 * path touches none.
 *
 * rt_read_memstats stops the world (RT_STW_READ_MEM_STATS), as
 * ReadMemStats does, so that all its numbers describe one instant.
 * rt_metrics_read (metrics.c) reads the same counters without stopping.
 *
 * gc_cpu_fraction is approximate: GC pause time times GOMAXPROCS over
 * elapsed time times GOMAXPROCS since start — all of librt's GC work runs
 * during pauses, except sweeping, which is not counted.
 */
#include <string.h>

#include "malloc.h"

struct mstats memstats;

/* alloc_totals sums the objects and bytes allocated so far: large ones
 * from the globals, small ones from every P's mcache (O(GOMAXPROCS),
 * relaxed loads, no lock). */
void alloc_totals(uint64_t *objs, uint64_t *bytes)
{
	uint64_t n =
	    atomic_load_explicit(&memstats.nmalloc, memory_order_relaxed);
	uint64_t b =
	    atomic_load_explicit(&memstats.total_alloc, memory_order_relaxed);
	for (int i = 0; i < gomaxprocs; i++) {
		struct p *pp = allp[i];
		struct mcache *c = pp != NULL ? pp->mcache : NULL;
		if (c == NULL)
			continue;
		n += __atomic_load_n(&c->nmalloc, __ATOMIC_RELAXED);
		b += __atomic_load_n(&c->allocbytes, __ATOMIC_RELAXED);
	}
	*objs = n;
	*bytes = b;
}

void rt_read_memstats(struct rt_memstats *ms)
{
	stop_the_world(RT_STW_READ_MEM_STATS);
	alloc_totals(&ms->mallocs, &ms->total_alloc);
	ms->frees = atomic_load(&memstats.nfree);
	ms->heap_alloc = ms->total_alloc - atomic_load(&memstats.total_free);
	ms->alloc = ms->heap_alloc;
	ms->heap_sys = atomic_load(&memstats.heap_sys);
	ms->heap_inuse = atomic_load(&memstats.heap_inuse);
	ms->heap_idle = ms->heap_sys - ms->heap_inuse;
	ms->heap_released = atomic_load(&memstats.heap_released);
	ms->heap_objects = ms->mallocs - ms->frees;
	ms->stack_inuse = stack_inuse_bytes();
	ms->sys =
	    ms->heap_sys + ms->stack_inuse + atomic_load(&memstats.other_sys);
	ms->next_gc = atomic_load(&memstats.next_gc);
	ms->last_gc = atomic_load(&memstats.last_gc);
	ms->pause_total_ns = atomic_load(&memstats.pause_total_ns);
	memcpy(ms->pause_ns, memstats.pause_ns, sizeof(ms->pause_ns));
	memcpy(ms->pause_end, memstats.pause_end, sizeof(ms->pause_end));
	ms->num_gc = atomic_load(&memstats.num_gc);
	ms->num_forced_gc = atomic_load(&memstats.num_forced_gc);
	int64_t elapsed = nanotime() - memstats.start_ns;
	ms->gc_cpu_fraction = elapsed > 0
				  ? (double)atomic_load(&memstats.gc_cpu_ns) /
					((double)elapsed * (double)gomaxprocs)
				  : 0.0;
	start_the_world();
}

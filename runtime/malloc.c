/*
 * malloc.c — the allocator's entry point; mirrors runtime/malloc.go.
 *
 * The main allocator works in runs of 8 KiB pages. Small sizes (up to
 * 32 KiB) are rounded to one of 68 size classes (sizeclasses.c), each
 * with its own free objects in spans of one or more pages. As in Go, the
 * allocator's data structures are:
 *
 *	fixalloc: spans' own structs, from mmap (never scanned)
 *	mheap:    the page heap, managed at page (8 KiB) granularity
 *	mspan:    a run of in-use pages managed by the mheap
 *	mcentral: all spans of a given size class
 *	mcache:   a per-P cache of spans with free space
 *	mstats:   allocation statistics
 *
 * Allocating a small object proceeds up a hierarchy of caches:
 *
 *	1. Round the size up to a size class and look at the current P's
 *	   mcache span for it. Scan its allocCache (the inverted allocation
 *	   bitmap, 64 objects at a time) for a free slot. This takes no lock.
 *	2. If the span is full, mcache_refill gets a span with free space
 *	   from the mcentral (its lock), sweeping lazily if need be.
 *	3. If the mcentral has none, it takes a run of pages from the mheap
 *	   (the heap lock).
 *	4. If the mheap has none, it grows from the OS in 4 MiB steps.
 *
 * Objects over 32 KiB get their own span straight from the mheap (the
 * large-object path). Memory is handed out zeroed: pages fresh from the
 * OS or released by the scavenger already are; otherwise (span.needzero)
 * mallocgc clears the object. Size 0 returns &zerobase.
 *
 * Every call fires the mallocgc probe (size, size class or 0 if large,
 * noscan, goid). The slow paths end with a cooperative preemption point
 * and the GC trigger test, with no runtime lock held: a cycle can start
 * from any allocation that crossed the heap goal.
 */
#include <string.h>

#include "malloc.h"

/* zerobase is the address of every zero-size allocation, as in Go. */
uintptr_t zerobase;

/* mallocinit sets up the size tables and the heap at load time; mirrors
 * mallocinit. */
__attribute__((constructor)) static void mallocinit(void)
{
	sizeclass_init();
	mheap_init();
	memstats.start_ns = nanotime();
}

/*
 * mallocinit_late reads RT_GOGC and RT_MEMLIMIT once, at the first
 * allocation or collection of the process — after rt_main started, so a
 * program (or a test) may set them with setenv before rt_main, as Go reads
 * GOGC in schedinit (gcinit).
 */
void mallocinit_late(void)
{
	static _Atomic int state; /* 0 not done, 1 running, 2 done */
	int zero = 0;
	if (atomic_load_explicit(&state, memory_order_acquire) == 2)
		return;
	if (atomic_compare_exchange_strong(&state, &zero, 1)) {
		pacer_init();
		atomic_store_explicit(&state, 2, memory_order_release);
		return;
	}
	while (atomic_load_explicit(&state, memory_order_acquire) != 2)
		osyield();
}

/* nextfreefast returns a free object of s from its allocCache, or 0;
 * mirrors nextFreeFast. */
static inline uintptr_t nextfreefast(struct mspan *s)
{
	uint64_t cache = s->allocCache;
	if (cache == 0)
		return 0;
	uint32_t bit = (uint32_t)__builtin_ctzll(cache);
	uint32_t result = s->freeindex + bit;
	if (result < s->nelems) {
		uint32_t freeidx = result + 1;
		if (freeidx % 64 == 0 && freeidx != s->nelems)
			return 0;
		s->allocCache >>= bit + 1;
		s->freeindex = freeidx;
		s->allocCount++;
		return s->startaddr + result * s->elemsize;
	}
	return 0;
}

/* nextfreeindex returns the index of the next free object at or after
 * freeindex, or nelems; mirrors mspan.nextFreeIndex. */
static uint32_t nextfreeindex(struct mspan *s)
{
	uint32_t sfreeindex = s->freeindex;
	uint32_t snelems = s->nelems;
	if (sfreeindex == snelems)
		return sfreeindex;
	uint64_t acache = s->allocCache;
	while (acache == 0) {
		sfreeindex = (sfreeindex + 64) & ~63u;
		if (sfreeindex >= snelems) {
			s->freeindex = snelems;
			return snelems;
		}
		acache = s->allocCache = ~allocbits(s)[sfreeindex / 64];
	}
	uint32_t bit = (uint32_t)__builtin_ctzll(acache);
	uint32_t result = sfreeindex + bit;
	if (result >= snelems) {
		s->freeindex = snelems;
		return snelems;
	}
	s->allocCache = acache >> bit >> 1;
	sfreeindex = result + 1;
	if (sfreeindex % 64 == 0 && sfreeindex != snelems)
		s->allocCache = ~allocbits(s)[sfreeindex / 64];
	s->freeindex = sfreeindex;
	return result;
}

/* nextfree is the slow path of small allocation; mirrors mcache.nextFree.
 * *refilled tells the caller to run the GC trigger test. */
static uintptr_t nextfree(struct mcache *c, uint8_t spc, bool *refilled)
{
	struct mspan *s = c->alloc[spc];
	uint32_t idx = nextfreeindex(s);
	if (idx == s->nelems) {
		mcache_refill(c, spc);
		*refilled = true;
		s = c->alloc[spc];
		idx = nextfreeindex(s);
	}
	if (idx >= s->nelems)
		throw("nextfree: freeindex out of range");
	s->allocCount++;
	if (s->allocCount > s->nelems)
		throw("nextfree: s->allocCount > s->nelems");
	return s->startaddr + idx * s->elemsize;
}

/* largealloc allocates a span for one object over 32 KiB; mirrors
 * mcache.allocLarge. */
static uintptr_t largealloc(size_t size, bool noscan, bool *needzero)
{
	if (size + PAGE_SIZE < size)
		fatal("runtime: out of memory: cannot allocate %zu-byte block",
		      size);
	uintptr_t npages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	uint8_t spc = makespanclass(0, noscan);
	struct mspan *s = mheap_alloc(npages, spc);
	*needzero = s->needzero;
	s->freeindex = 1;
	s->allocCount = 1;
	uint64_t bytes = npages * PAGE_SIZE;
	atomic_fetch_add_explicit(&memstats.nmalloc, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&memstats.total_alloc, bytes,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&memstats.heap_live, bytes,
				  memory_order_relaxed);
	/* visible to the sweeper, as Go's allocLarge puts it in fullSwept */
	mcentral_pushswept(&mheap_.central[spc], s);
	return s->startaddr;
}

static struct mcache *mcache_for(struct p *pp)
{
	mallocinit_late();
	if (pp->mcache == NULL)
		pp->mcache = allocmcache();
	return pp->mcache;
}

void *rt_mallocgc(size_t size, unsigned flags)
{
	struct m *mp = getm();
	bool noscan = (flags & RT_MALLOC_NOSCAN) != 0;
	if (__builtin_expect(size == 0, 0)) {
		RT_PROBE4(mallocgc, 0, 0, noscan,
			  mp->curg != NULL ? mp->curg->goid : 0);
		return &zerobase;
	}
	struct p *pp = mp->p;
	if (__builtin_expect(pp == NULL, 0))
		throw("mallocgc called without a P");
	struct mcache *c = pp->mcache;
	if (__builtin_expect(c == NULL, 0))
		c = mcache_for(pp);

	uintptr_t x;
	uint8_t sizeclass = 0;
	bool slow = false;
	bool needzero;
	size_t clear;
	if (__builtin_expect(size <= MAX_SMALL_SIZE, 1)) {
		sizeclass = size_to_class(size);
		uint8_t spc = makespanclass(sizeclass, noscan);
		struct mspan *s = c->alloc[spc];
		x = nextfreefast(s);
		if (x == 0) {
			x = nextfree(c, spc, &slow);
			s = c->alloc[spc];
		}
		needzero = s->needzero;
		clear = s->elemsize;
		__atomic_store_n(&c->nmalloc, c->nmalloc + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&c->allocbytes, c->allocbytes + clear,
				 __ATOMIC_RELAXED);
	} else {
		x = largealloc(size, noscan, &needzero);
		/* the whole span: the collector scans all of it */
		clear = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		slow = true;
	}
	if (needzero)
		memset((void *)x, 0, clear);
	RT_PROBE4(mallocgc, size, sizeclass, noscan,
		  mp->curg != NULL ? mp->curg->goid : 0);
	if (__builtin_expect(slow, 0)) {
		/* x lives in a register or on our stack, which the GC scans */
		void *volatile keep = (void *)x;
		gc_trigger_check();
		rt_preempt_check();
		return keep;
	}
	return (void *)x;
}

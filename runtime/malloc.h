/*
 * malloc.h — the memory subsystem's internal types, shared by malloc.c,
 * sizeclasses.c, mcache.c, mcentral.c, mheap.c, mgc*.c, mfinal.c,
 * mstats.c and metrics.c. Mirrors the type declarations of malloc.go,
 * mheap.go, mcache.go, mcentral.go and mstats.go.
 *
 * The heap is a set of 64 MiB arenas (heaparena) carved into 8 KiB pages.
 * Runs of pages are mspans. An in-use span either holds objects of one
 * size class (small, <= 32 KiB) or one large object. Every page of an
 * in-use span maps to its mspan in its arena's spans[] array, so
 * spanof(p) is two loads for any address, interior pointers included.
 *
 * Invariants:
 *   - s->sweepgen == mheap_.sweepgen - 2: s needs sweeping;
 *     == sweepgen - 1: being swept; == sweepgen: swept, ready for use.
 *     (Go's +1/+3 "cached" states never occur: every mcache is flushed
 *     with the world stopped before sweepgen advances.)
 *   - An object index i < s->freeindex is allocated; i >= freeindex is
 *     allocated iff its bit in allocbits is set (as Go's isFree).
 *   - An in-use span is on exactly one mcentral list, or cached in
 *     exactly one mcache, or held by the goroutine that is sweeping it.
 */
#ifndef RT_MALLOC_H
#define RT_MALLOC_H

#include "runtime2.h"

/* --- sizes (malloc.go, sizeclasses.go) ----------------------------------- */

#define PAGE_SHIFT	  13
#define PAGE_SIZE	  ((uintptr_t)1 << PAGE_SHIFT) /* 8 KiB, as Go's */
#define MAX_SMALL_SIZE	  32768
#define SMALL_SIZE_DIV	  8
#define SMALL_SIZE_MAX	  1024
#define LARGE_SIZE_DIV	  128
#define NUM_SIZE_CLASSES  68
#define NUM_SPAN_CLASSES  (NUM_SIZE_CLASSES << 1)
#define ARENA_SHIFT	  26 /* 64 MiB arenas, as Go's on linux/amd64 */
#define ARENA_BYTES	  ((uintptr_t)1 << ARENA_SHIFT)
#define PAGES_PER_ARENA	  (ARENA_BYTES / PAGE_SIZE)
#define ARENA_L1_BITS	  (47 - ARENA_SHIFT) /* user space is 47 bits */
#define MAX_OBJS_PER_SPAN 1024		     /* 8 KiB / 8 B */
#define BITMAP_WORDS	  (MAX_OBJS_PER_SPAN / 64)
#define HEAP_GROW_BYTES	  ((uintptr_t)4 << 20) /* grow in 4 MiB steps */

extern const uint16_t class_to_size[NUM_SIZE_CLASSES];
extern const uint8_t class_to_allocnpages[NUM_SIZE_CLASSES];
extern uint32_t class_to_divmul[NUM_SIZE_CLASSES];
extern uint8_t size_to_class8[SMALL_SIZE_MAX / SMALL_SIZE_DIV + 1];
extern uint8_t
    size_to_class128[(MAX_SMALL_SIZE - SMALL_SIZE_MAX) / LARGE_SIZE_DIV + 1];
void sizeclass_init(void);

static inline uint8_t size_to_class(size_t size)
{
	if (size <= SMALL_SIZE_MAX - 8)
		return size_to_class8[(size + SMALL_SIZE_DIV - 1) /
				      SMALL_SIZE_DIV];
	return size_to_class128[(size - SMALL_SIZE_MAX + LARGE_SIZE_DIV - 1) /
				LARGE_SIZE_DIV];
}

/* spanclass = sizeclass << 1 | noscan, as Go's spanClass. Class 0 is large. */
static inline uint8_t makespanclass(uint8_t sizeclass, bool noscan)
{
	return (uint8_t)(sizeclass << 1 | (noscan ? 1 : 0));
}

/* --- mspan (mheap.go) ---------------------------------------------------- */

enum mspanstate {
	MSPAN_DEAD = 0,	 /* span struct unused */
	MSPAN_INUSE = 1, /* holds objects */
	MSPAN_FREE = 2,	 /* free pages, on a heap free list */
};

/* special: a finalizer attached to one object; mirrors specialfinalizer. */
struct special {
	struct special *next; /* sorted by offset */
	uintptr_t offset;     /* of the object from s->startaddr */
	void (*fn)(void *obj);
};

struct mspan {
	struct mspan *next;  /* in a list: mcentral set or heap free list */
	struct mspan *prev;  /* (heap free lists only) */
	uintptr_t startaddr; /* first byte */
	uintptr_t npages;    /* pages in the span */
	uintptr_t limit;     /* end of the last object */
	uintptr_t elemsize;  /* object size */
	uint32_t divmul;     /* for objindex: ceil(2^32 / elemsize) */
	uint32_t nelems;     /* objects in the span */
	uint32_t freeindex;  /* where the allocator looks next */
	uint32_t allocCount; /* allocated objects */
	uint32_t allocCountBeforeCache; /* allocCount when cached */
	uint8_t spanclass;		/* sizeclass << 1 | noscan */
	uint8_t state;			/* enum mspanstate */
	uint8_t allocidx;		/* bits[allocidx] = allocBits */
	bool needzero;			/* free slots may hold garbage */
	bool scavenged;			/* (free span) returned to the OS */
	_Atomic uint32_t sweepgen;	/* see the invariants above */
	uint64_t allocCache;		/* ~allocBits from freeindex on */
	struct special *specials;	/* finalizers, under finlock */
	uint64_t bits[2][BITMAP_WORDS]; /* allocBits and gcmarkBits */
};

static inline uint64_t *allocbits(struct mspan *s)
{
	return s->bits[s->allocidx];
}
static inline uint64_t *gcmarkbits(struct mspan *s)
{
	return s->bits[s->allocidx ^ 1];
}

/*
 * popcount64 counts set bits without __builtin_popcountll, which without
 * -mpopcnt calls libgcc's __popcountdi2: that is linked into the
 * executable's .text, where asynchronous preemption may stop a goroutine
 * in the middle of a sweep (see preempt.c).
 */
static inline uint32_t popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}

/* objindex returns the index of the object holding address p. */
static inline uint32_t objindex(struct mspan *s, uintptr_t p)
{
	return (uint32_t)(((uint64_t)(p - s->startaddr) * s->divmul) >> 32);
}

/* --- mcentral, mcache ---------------------------------------------------- */

/*
 * mcentral: the spans of one span class with a free object or not, swept
 * or not. partial[sweepgen/2 % 2] holds swept spans with free objects,
 * partial[1 - sweepgen/2 % 2] unswept ones; same for full. Advancing
 * sweepgen by 2 thus turns every swept list into an unswept one. Mirrors
 * mcentral (with a lock and lists where Go has lock-free spanSets).
 */
struct mcentral {
	rt_lock lock;
	uint8_t spanclass;
	struct mspan *partial[2];
	struct mspan *full[2];
} __attribute__((aligned(64)));

struct mspan *mcentral_cachespan(struct mcentral *c);
void mcentral_uncachespan(struct mcentral *c, struct mspan *s);
void mcentral_pushswept(struct mcentral *c, struct mspan *s);
struct mspan *mcentral_popunswept(struct mcentral *c);

/* mcache: per-P cache of spans; no lock (mirrors mcache). */
struct mcache {
	struct mspan *alloc[NUM_SPAN_CLASSES];
	/* small objects allocated from this cache, ever; written by the
	 * owner with relaxed atomic stores, read by anyone (metrics) */
	uint64_t nmalloc;
	uint64_t allocbytes;
};
extern struct mspan emptymspan;
struct mcache *allocmcache(void);
void mcache_refill(struct mcache *c, uint8_t spc);
void mcache_releaseall(struct mcache *c);
void flushallmcaches(void);

/* --- mheap --------------------------------------------------------------- */

struct heaparena {
	struct mspan *spans[PAGES_PER_ARENA]; /* page -> span */
};

#define HEAP_FREE_LISTS 128 /* free[n]: n pages; free[0]: >= 128 pages */

struct mheap {
	rt_lock lock;			     /* protects all but atomics */
	struct mspan *free[HEAP_FREE_LISTS]; /* free spans, doubly linked */
	_Atomic uint32_t sweepgen;	     /* see mspan invariants */
	_Atomic bool sweepdone;		     /* all spans swept */
	_Atomic int32_t sweepers;	     /* goroutines sweeping now */
	_Atomic uint32_t sweepcentral;	     /* next mcentral to sweep */
	uintptr_t curarena;		     /* unused reserved memory */
	uintptr_t curarenaend;		     /* */
	struct heaparena **arenas;	     /* L1 map: addr >> ARENA_SHIFT */
	struct mspan **allspans;	     /* every span struct made */
	size_t nallspans;		     /* */
	size_t capallspans;		     /* */
	struct mspan *spanfree;		     /* free span structs */
	struct mcentral central[NUM_SPAN_CLASSES];
};
extern struct mheap mheap_;
/* the heap's address range, for a quick filter; not in mheap_ so that
 * the data/bss scan does not see pointers into the heap there */
extern uintptr_t heap_lo, heap_hi;

void mheap_init(void);
struct mspan *mheap_alloc(uintptr_t npages, uint8_t spc);
void mheap_free(struct mspan *s);
void mheap_scavenge(uint64_t retained_goal);
void *sysalloc_meta(size_t n);

/* spanof returns the in-use span holding p, or NULL. */
static inline struct mspan *spanof(uintptr_t p)
{
	if (p - heap_lo >= heap_hi - heap_lo)
		return NULL;
	struct heaparena *ha = mheap_.arenas[p >> ARENA_SHIFT];
	if (ha == NULL)
		return NULL;
	struct mspan *s = ha->spans[(p >> PAGE_SHIFT) & (PAGES_PER_ARENA - 1)];
	/* the map may hold stale entries inside free spans (see mheap.c):
	 * check that p really is inside s */
	if (s == NULL || s->state != MSPAN_INUSE ||
	    p - s->startaddr >= s->limit - s->startaddr)
		return NULL;
	return s;
}

/* --- sweeping (mgcsweep.c) ----------------------------------------------- */

#define SWEEP_NONE ((uintptr_t)-1)
uintptr_t sweepone(void);
bool mspan_sweep(struct mspan *s, bool preserve);
void finishsweep_m(void);
void gcsweep_prepare(void);
void gcsweep_wake(void);
uintptr_t heap_reclaim(uintptr_t npages);

/* --- marking (mgcmark.c), finalizers (mfinal.c) -------------------------- */

void gcmark_all(void *arg);
void greyobject(uintptr_t p);
void scanblock(uintptr_t lo, uintptr_t hi);
void gcdrain(void);
extern uint64_t gc_marked_bytes;

void fin_markroots(void);
void fin_queue_unmarked(void);
void fin_wake(void);
extern rt_lock finlock;

/* --- GC driver and pacer (mgc.c, mgcpacer.c) ----------------------------- */

void gcstart(enum rt_gc_reason reason);
void gc_trigger_check(void);
void pacer_init(void);
void pacer_commit(uint64_t marked);
void pacer_set_nonheap(uint64_t bytes);
uint64_t pacer_retained_goal(void);
enum rt_gc_reason pacer_trigger_reason(void);
extern _Atomic uint64_t gc_trigger; /* heap_live that starts a cycle */
extern int32_t gcpercent;	    /* < 0: off */
extern uint64_t memlimit;	    /* UINT64_MAX: none */

/* --- statistics (mstats.c) ----------------------------------------------- */

struct mstats {
	_Atomic uint64_t nmalloc;	/* large objects allocated (small: per
					 * mcache, see alloc_totals) */
	_Atomic uint64_t total_alloc;	/* bytes of those */
	_Atomic uint64_t nfree;		/* objects freed */
	_Atomic uint64_t total_free;	/* bytes freed */
	_Atomic uint64_t heap_sys;	/* heap bytes mapped */
	_Atomic uint64_t heap_inuse;	/* bytes in in-use spans */
	_Atomic uint64_t heap_released; /* free bytes returned to the OS */
	_Atomic uint64_t other_sys;	/* metadata bytes mapped */
	_Atomic uint64_t heap_live;	/* marked + allocated since */
	_Atomic uint64_t heap_marked;	/* live heap at last mark */
	_Atomic uint64_t next_gc;	/* heap goal */
	_Atomic uint32_t num_gc;	/* completed cycles */
	_Atomic uint32_t num_forced_gc; /* */
	_Atomic uint64_t pause_total_ns;
	_Atomic uint64_t last_gc;   /* ns since the epoch */
	_Atomic uint64_t gc_cpu_ns; /* pause ns * gomaxprocs, summed */
	uint64_t pause_ns[256];
	uint64_t pause_end[256];
	int64_t start_ns; /* nanotime at init */
};
extern struct mstats memstats;
void mstats_record_cycle(uint64_t pause_ns, bool forced);
void alloc_totals(uint64_t *objs, uint64_t *bytes);
void mallocinit_late(void);
struct g *go_system(rt_func fn, void *arg);
extern _Atomic uint32_t nsysgoroutines;

static inline uint64_t heap_retained(void)
{
	return atomic_load_explicit(&memstats.heap_sys, memory_order_relaxed) -
	       atomic_load_explicit(&memstats.heap_released,
				    memory_order_relaxed);
}

#endif /* RT_MALLOC_H */

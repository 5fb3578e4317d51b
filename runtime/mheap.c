/*
 * mheap.c — the page heap; mirrors runtime/mheap.go (and the parts of
 * malloc.go that reserve arenas and mem_linux.go that release pages).
 *
 * The heap reserves address space in 64 MiB arenas (mmap with
 * MAP_NORESERVE, aligned to 64 MiB, placed one after the other when the
 * kernel allows) and hands it to the page allocator in 4 MiB steps
 * (heap_grow probe). Each arena has a heaparena holding spans[], the page
 * -> mspan map: every page of an in-use span points to it, and the first
 * and last page of a free span do (for coalescing). The L1 map arenas[] is
 * a 16 MiB NORESERVE array indexed by addr >> 26, so spanof(p) is two
 * dependent loads: that is what conservative marking needs for every word.
 *
 * Free spans live on size-segregated lists (free[n] for n < 128 pages,
 * free[0] for larger ones, best fit) and coalesce with free neighbours on
 * mheap_free — Go <= 1.11's mheap layout; Go 1.12+ replaced it with a
 * radix-tree page bitmap, which scales better but does the same job.
 *
 * Scavenging: a free span is either "scavenged" (its pages were released
 * with madvise(MADV_DONTNEED), or never touched) or retained. heap_released
 * is the sum of the scavenged free spans. mheap_scavenge releases retained
 * free spans, largest first, until heap_sys - heap_released meets a goal
 * (scavenge probe); the background sweeper calls it after each sweep, with
 * the pacer's goal, and the allocator calls it when growing would exceed
 * the memory limit. Scavenged pages read as zero, so a span carved from
 * them needs no zeroing. Coalescing a scavenged with a retained span yields
 * a retained one (the accounting errs towards counting memory as used).
 *
 * The page map is exact for in-use spans (every page) and for the first
 * and last page of free spans. Pages inside a free span may keep stale
 * entries left by coalescing, pointing to span structs since reused
 * elsewhere: readers (spanof) check that the address lies inside the span
 * they find, and allocation rewrites every page of the new span.
 *
 * Lock order: mcentral.lock before mheap_.lock. No allocation from the GC
 * heap happens under mheap_.lock; metadata (span structs, heaparenas, the
 * allspans array) comes from mmap via sysalloc_meta.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "malloc.h"

struct mheap mheap_;
uintptr_t heap_lo, heap_hi;

/* sysalloc_meta maps n bytes of zeroed runtime metadata (never scanned). */
void *sysalloc_meta(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("runtime: out of memory: cannot map %zu bytes of "
		      "metadata: %s",
		      n, strerror(errno));
	atomic_fetch_add_explicit(&memstats.other_sys, n, memory_order_relaxed);
	return p;
}

void mheap_init(void)
{
	mheap_.arenas =
	    mmap(NULL, sizeof(void *) << ARENA_L1_BITS, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mheap_.arenas == MAP_FAILED)
		fatal("runtime: cannot reserve the arena map");
	for (int i = 0; i < NUM_SPAN_CLASSES; i++)
		mheap_.central[i].spanclass = (uint8_t)i;
	atomic_store(&mheap_.sweepdone, true);
	heap_lo = heap_hi = 0; /* empty: spanof rejects every address */
}

/* ---- span structs (fixalloc) --------------------------------------------- */

static struct mspan *spanalloc(void)
{
	struct mspan *s = mheap_.spanfree;
	if (s != NULL) {
		mheap_.spanfree = s->next;
		memset(s, 0, sizeof(*s));
		return s;
	}
	size_t chunk = 64 * 1024;
	struct mspan *arr = sysalloc_meta(chunk);
	size_t n = chunk / sizeof(struct mspan);
	if (mheap_.nallspans + n > mheap_.capallspans) {
		size_t ncap =
		    mheap_.capallspans ? mheap_.capallspans * 2 : 4096;
		while (ncap < mheap_.nallspans + n)
			ncap *= 2;
		struct mspan **na = sysalloc_meta(ncap * sizeof(*na));
		if (mheap_.allspans != NULL) {
			memcpy(na, mheap_.allspans,
			       mheap_.nallspans * sizeof(*na));
			munmap(mheap_.allspans,
			       mheap_.capallspans * sizeof(*na));
			atomic_fetch_sub(&memstats.other_sys,
					 mheap_.capallspans * sizeof(*na));
		}
		mheap_.allspans = na;
		mheap_.capallspans = ncap;
	}
	for (size_t i = 1; i < n; i++) {
		arr[i].next = mheap_.spanfree;
		mheap_.spanfree = &arr[i];
	}
	for (size_t i = 0; i < n; i++)
		mheap_.allspans[mheap_.nallspans++] = &arr[i];
	return &arr[0];
}

static void spanfree(struct mspan *s)
{
	s->state = MSPAN_DEAD;
	s->next = mheap_.spanfree;
	mheap_.spanfree = s;
}

/* ---- page -> span map ---------------------------------------------------- */

static inline struct mspan **spanslot(uintptr_t addr)
{
	struct heaparena *ha = mheap_.arenas[addr >> ARENA_SHIFT];
	return &ha->spans[(addr >> PAGE_SHIFT) & (PAGES_PER_ARENA - 1)];
}

static struct mspan *spanat(uintptr_t addr)
{
	if (addr < heap_lo || addr >= heap_hi)
		return NULL;
	struct heaparena *ha = mheap_.arenas[addr >> ARENA_SHIFT];
	if (ha == NULL)
		return NULL;
	return ha->spans[(addr >> PAGE_SHIFT) & (PAGES_PER_ARENA - 1)];
}

static void setspans(struct mspan *s, bool allpages)
{
	if (allpages) {
		for (uintptr_t i = 0; i < s->npages; i++)
			*spanslot(s->startaddr + i * PAGE_SIZE) = s;
	} else {
		*spanslot(s->startaddr) = s;
		*spanslot(s->startaddr + (s->npages - 1) * PAGE_SIZE) = s;
	}
}

/* ---- free lists -----------------------------------------------------------
 */

static struct mspan **freelist(uintptr_t npages)
{
	return &mheap_.free[npages < HEAP_FREE_LISTS ? npages : 0];
}

static void freeinsert(struct mspan *s)
{
	struct mspan **l = freelist(s->npages);
	s->state = MSPAN_FREE;
	s->prev = NULL;
	s->next = *l;
	if (*l != NULL)
		(*l)->prev = s;
	*l = s;
	setspans(s, false);
}

static void freeremove(struct mspan *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		*freelist(s->npages) = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

/* freecoalesce adds a free span to the lists, merging it with free
 * neighbours; mirrors (the old) mheap.freeSpanLocked. Heap must be locked. */
static void freecoalesce(struct mspan *s)
{
	struct mspan *b = spanat(s->startaddr - 1);
	if (b != NULL && b->state == MSPAN_FREE &&
	    b->startaddr + b->npages * PAGE_SIZE == s->startaddr) {
		freeremove(b);
		if (b->scavenged != s->scavenged) {
			struct mspan *r = b->scavenged ? b : s;
			atomic_fetch_sub(&memstats.heap_released,
					 r->npages * PAGE_SIZE);
		}
		s->scavenged = s->scavenged && b->scavenged;
		s->needzero |= b->needzero;
		*spanslot(b->startaddr + (b->npages - 1) * PAGE_SIZE) = NULL;
		s->startaddr = b->startaddr;
		s->npages += b->npages;
		spanfree(b);
	}
	uintptr_t end = s->startaddr + s->npages * PAGE_SIZE;
	struct mspan *a = spanat(end);
	if (a != NULL && a->state == MSPAN_FREE && a->startaddr == end) {
		freeremove(a);
		if (a->scavenged != s->scavenged) {
			struct mspan *r = a->scavenged ? a : s;
			atomic_fetch_sub(&memstats.heap_released,
					 r->npages * PAGE_SIZE);
		}
		s->scavenged = s->scavenged && a->scavenged;
		s->needzero |= a->needzero;
		*spanslot(a->startaddr) = NULL;
		s->npages += a->npages;
		spanfree(a);
	}
	freeinsert(s);
}

/* ---- growing ----------------------------------------------------------------
 */

/* sysreserve reserves n bytes (a multiple of ARENA_BYTES) aligned to
 * ARENA_BYTES, preferably right after the current arena; mirrors
 * sysReserveAligned. */
static uintptr_t sysreserve(uintptr_t n)
{
	void *hint = (void *)mheap_.curarenaend;
	void *p = mmap(hint, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	if (((uintptr_t)p & (ARENA_BYTES - 1)) == 0)
		return (uintptr_t)p;
	munmap(p, n);
	p = mmap(NULL, n + ARENA_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	uintptr_t base = ((uintptr_t)p + ARENA_BYTES - 1) & ~(ARENA_BYTES - 1);
	if (base > (uintptr_t)p)
		munmap(p, base - (uintptr_t)p);
	uintptr_t end = (uintptr_t)p + n + ARENA_BYTES;
	if (end > base + n)
		munmap((void *)(base + n), end - (base + n));
	return base;
}

/* grow adds at least npages to the free lists; mirrors mheap.grow. Heap
 * must be locked. */
static bool grow(uintptr_t npages)
{
	uintptr_t ask =
	    (npages * PAGE_SIZE + HEAP_GROW_BYTES - 1) & ~(HEAP_GROW_BYTES - 1);
	if (mheap_.curarena + ask > mheap_.curarenaend) {
		uintptr_t n = (ask + ARENA_BYTES - 1) & ~(ARENA_BYTES - 1);
		uintptr_t base = sysreserve(n);
		if (base == 0)
			return false;
		for (uintptr_t a = base; a < base + n; a += ARENA_BYTES)
			mheap_.arenas[a >> ARENA_SHIFT] =
			    sysalloc_meta(sizeof(struct heaparena));
		if (heap_hi == 0 || base < heap_lo)
			heap_lo = base;
		if (base + n > heap_hi)
			heap_hi = base + n;
		if (base != mheap_.curarenaend) {
			/* not contiguous: the old arena's tail stays unused
			 * reserved address space */
			mheap_.curarena = base;
		}
		mheap_.curarenaend = base + n;
	}
	struct mspan *s = spanalloc();
	s->startaddr = mheap_.curarena;
	s->npages = ask / PAGE_SIZE;
	s->scavenged = true; /* fresh pages are not resident */
	s->needzero = false;
	mheap_.curarena += ask;
	uint64_t sys = atomic_fetch_add(&memstats.heap_sys, ask) + ask;
	atomic_fetch_add(&memstats.heap_released, ask);
	RT_PROBE2(heap_grow, ask, sys);
	freecoalesce(s);
	return true;
}

/* allocpages finds a free span of at least npages; heap locked. */
static struct mspan *allocpages(uintptr_t npages)
{
	for (uintptr_t n = npages; n < HEAP_FREE_LISTS; n++)
		if (mheap_.free[n] != NULL)
			return mheap_.free[n];
	struct mspan *best = NULL;
	for (struct mspan *s = mheap_.free[0]; s != NULL; s = s->next)
		if (s->npages >= npages &&
		    (best == NULL || s->npages < best->npages ||
		     (s->npages == best->npages &&
		      s->startaddr < best->startaddr)))
			best = s;
	return best;
}

/*
 * mheap_alloc allocates an in-use span of npages for span class spc and
 * initializes it for allocation; mirrors mheap.alloc + initSpan. While
 * the last cycle's sweep is unfinished it first sweeps (reclaims) at least
 * npages, as mheap.alloc does, so the heap does not grow over garbage.
 */
struct mspan *mheap_alloc(uintptr_t npages, uint8_t spc)
{
	if (!atomic_load_explicit(&mheap_.sweepdone, memory_order_acquire))
		heap_reclaim(npages);
	lock(&mheap_.lock);
	struct mspan *s = allocpages(npages);
	if (s == NULL) {
		if (!grow(npages))
			fatal("runtime: out of memory allocating %zu pages",
			      (size_t)npages);
		s = allocpages(npages);
		if (s == NULL)
			throw("mheap_alloc: grow did not grow");
	}
	freeremove(s);
	if (s->npages > npages) {
		/* split: the tail stays free */
		struct mspan *t = spanalloc();
		t->startaddr = s->startaddr + npages * PAGE_SIZE;
		t->npages = s->npages - npages;
		t->scavenged = s->scavenged;
		t->needzero = s->needzero;
		s->npages = npages;
		freeinsert(t);
	}
	if (s->scavenged)
		atomic_fetch_sub(&memstats.heap_released, npages * PAGE_SIZE);
	s->scavenged = false;
	s->state = MSPAN_INUSE;
	s->spanclass = spc;
	s->sweepgen = atomic_load(&mheap_.sweepgen);
	uint8_t sc = spc >> 1;
	if (sc == 0) {
		s->elemsize = npages * PAGE_SIZE;
		s->nelems = 1;
		s->divmul = 0;
	} else {
		s->elemsize = class_to_size[sc];
		s->nelems = (uint32_t)(npages * PAGE_SIZE / s->elemsize);
		s->divmul = class_to_divmul[sc];
	}
	s->limit = s->startaddr + s->nelems * s->elemsize;
	s->freeindex = 0;
	s->allocCount = 0;
	s->allocCountBeforeCache = 0;
	s->allocidx = 0;
	memset(s->bits, 0, sizeof(s->bits));
	s->allocCache = ~(uint64_t)0;
	s->specials = NULL;
	s->next = s->prev = NULL;
	setspans(s, true);
	atomic_fetch_add(&memstats.heap_inuse, npages * PAGE_SIZE);
	bool overlimit = memlimit != UINT64_MAX && heap_retained() > memlimit;
	if (overlimit)
		mheap_scavenge(pacer_retained_goal());
	unlock(&mheap_.lock);
	return s;
}

/* mheap_free returns an in-use span's pages to the heap; mirrors
 * mheap.freeSpan. The span's objects are dead. */
void mheap_free(struct mspan *s)
{
	lock(&mheap_.lock);
	atomic_fetch_sub(&memstats.heap_inuse, s->npages * PAGE_SIZE);
	for (uintptr_t i = 1; i + 1 < s->npages; i++)
		*spanslot(s->startaddr + i * PAGE_SIZE) = NULL;
	s->needzero = true;
	s->scavenged = false;
	s->specials = NULL;
	freecoalesce(s);
	unlock(&mheap_.lock);
}

/* ---- scavenger
 * --------------------------------------------------------------- */

static uint64_t scavengespan(struct mspan *s)
{
	uint64_t n = s->npages * PAGE_SIZE;
	if (madvise((void *)s->startaddr, n, MADV_DONTNEED) != 0)
		return 0;
	s->scavenged = true;
	s->needzero = false; /* private anonymous pages come back zeroed */
	atomic_fetch_add(&memstats.heap_released, n);
	return n;
}

/*
 * mheap_scavenge releases retained free pages, largest spans first, until
 * heap_sys - heap_released <= retained_goal; mirrors mheap.scavengeLocked
 * (Go 1.12-1.13). Heap must be locked.
 */
void mheap_scavenge(uint64_t retained_goal)
{
	uint64_t released = 0;
	for (int i = 0; i < HEAP_FREE_LISTS && heap_retained() > retained_goal;
	     i = i == 0 ? HEAP_FREE_LISTS - 1 : i - 1) {
		for (struct mspan *s = mheap_.free[i];
		     s != NULL && heap_retained() > retained_goal; s = s->next)
			if (!s->scavenged)
				released += scavengespan(s);
		if (i == 1)
			break;
	}
	if (released > 0)
		RT_PROBE2(scavenge, released,
			  atomic_load(&memstats.heap_released));
}

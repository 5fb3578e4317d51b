/*
 * mgcmark.c — marking; mirrors runtime/mgcmark.go.
 *
 * librt's collector is non-moving and conservative: any word that holds
 * an address inside an allocated heap object (interior pointers
 * included) keeps the object alive, and every object not allocated
 * NOSCAN is scanned word by word. The roots are (markroot):
 *   1. every goroutine stack from its saved sp, the registers saved
 *      there, each G's fn/arg/param, and stopped Ms' g0 stacks
 *      (for_each_stack_root, proc.c);
 *   2. the writable PT_LOAD segments (data, bss) of the executable, librt
 *      included, found once with dl_iterate_phdr — minus mheap_ and the
 *      heap bounds, which point into the heap for the allocator's own use;
 *   3. the ranges registered with rt_gc_add_root;
 *   4. finalizers: the contents (not the object) of every object with a
 *      finalizer, and the objects queued for finalization (mfinal.c).
 *
 * Grey objects wait on a mark stack (gcwork) in mmap'd memory that
 * doubles when full, so marking a 1,000,000-long linked list takes no
 * recursion and O(1) stack. An object is marked by setting its bit in its
 * span's gcmarkBits; free slots are never marked (isFree), so stale
 * pointers into free memory cost nothing.
 *
 * In this version marking runs with the world stopped: the roots are
 * scanned on g0 of the collecting M (gcmark_all is called via
 * systemstack, so the collecting goroutine's own stack is scanned like
 * any other), and the drain is shared with up to 7 helper threads (see
 * below), which use the CPUs the stopped Ps leave idle. Marking is a
 * separate phase with its own entry points (greyobject/scanblock/gcdrain)
 * so that it can later run concurrently behind a write barrier.
 *
 * ASan: conservative scanning reads whole stacks and data segments,
 * redzones included, so scanblock is built with no_sanitize_address.
 */
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "malloc.h"

uint64_t gc_marked_bytes;

/* ---- mark workers and their work (gcWork, wbufs) --------------------------
 */

/*
 * Each mark worker has a private mark stack (gcwork) of (base, size)
 * entries, in mmap'd memory that doubles when full. Workers balance load
 * through a global list of full work buffers (wbuf), as Go's gcWork and
 * work.full do: a worker with a long stack hands a buffer's worth of
 * entries to the list when the list is empty, and a worker whose stack
 * runs dry takes a buffer from it. Marking ends when every worker waits
 * and the list is empty (Go's getfull termination).
 *
 * Worker 0 is the collecting M's g0; the others are plain threads
 * (gcmarkworker) started at the first cycle, at most GC_MAX_WORKERS and
 * no more than GOMAXPROCS or the CPUs, which sleep on a futex between
 * cycles. They touch only heap memory and the collector's own metadata
 * (no M, no runtime lock), and mark bits are set with an atomic OR, so
 * two workers never both queue the same object.
 */
#define GC_MAX_WORKERS 8
#define WBUF_ENTRIES   512

struct gcentry {
	uintptr_t base;
	uintptr_t size;
};

struct gcwork {
	struct gcentry *buf;
	size_t n;
	size_t cap;
	uint64_t marked; /* bytes this worker marked */
} __attribute__((aligned(64)));

struct wbuf {
	struct wbuf *next;
	size_t n;
	struct gcentry e[WBUF_ENTRIES];
};

static struct gcwork gcws[GC_MAX_WORKERS];
#define gcw (gcws[0])

static struct {
	_Atomic bool lock;	  /* spin lock for full/empty */
	struct wbuf *full;	  /* work to share */
	struct wbuf *empty;	  /* spare buffers */
	_Atomic uint32_t nfull;	  /* length of full */
	_Atomic int32_t nwait;	  /* workers looking for work */
	int32_t nproc;		  /* workers in this drain */
	int32_t nhelpers;	  /* helper threads started */
	_Atomic uint32_t seq;	  /* bumped to start helpers (futex) */
	_Atomic int32_t ndone;	  /* helpers done with this drain */
	_Atomic uint32_t donekey; /* futex the main worker waits on */
} work;

static void work_lock(void)
{
	bool f = false;
	while (!atomic_compare_exchange_weak_explicit(
	    &work.lock, &f, true, memory_order_acquire, memory_order_relaxed)) {
		f = false;
		procyield(10);
	}
}

static void work_unlock(void)
{
	atomic_store_explicit(&work.lock, false, memory_order_release);
}

static void gcw_grow(struct gcwork *w)
{
	size_t ncap = w->cap ? w->cap * 2 : 1 << 16;
	void *nb;
	if (w->buf == NULL)
		nb = mmap(NULL, ncap * sizeof(struct gcentry),
			  PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	else
		nb = mremap(w->buf, w->cap * sizeof(struct gcentry),
			    ncap * sizeof(struct gcentry), MREMAP_MAYMOVE);
	if (nb == MAP_FAILED)
		throw("gcwork: cannot grow the mark stack");
	atomic_fetch_add(&memstats.other_sys,
			 (ncap - w->cap) * sizeof(struct gcentry));
	w->buf = nb;
	w->cap = ncap;
}

/* markobject sets the mark bit of the object at index idx of s; returns
 * false if it was marked already or is a free slot (isFree). */
static inline bool markobject(struct mspan *s, uint32_t idx)
{
	uint64_t bit = (uint64_t)1 << (idx & 63);
	uint64_t *mw = &gcmarkbits(s)[idx / 64];
	if (__atomic_load_n(mw, __ATOMIC_RELAXED) & bit)
		return false;
	if (idx >= s->freeindex && !(allocbits(s)[idx / 64] & bit))
		return false;
	return !(__atomic_fetch_or(mw, bit, __ATOMIC_RELAXED) & bit);
}

/* greyobject marks the object holding p, if any, and queues it for
 * scanning on worker 0; mirrors greyobject. */
void greyobject(uintptr_t p)
{
	struct mspan *s = spanof(p);
	if (s == NULL)
		return;
	uint32_t idx = objindex(s, p);
	if (!markobject(s, idx))
		return;
	gcw.marked += s->elemsize;
	if (s->spanclass & 1)
		return; /* noscan */
	if (gcw.n == gcw.cap)
		gcw_grow(&gcw);
	gcw.buf[gcw.n].base = s->startaddr + idx * s->elemsize;
	gcw.buf[gcw.n].size = s->elemsize;
	gcw.n++;
}

/*
 * scanblock_w greys every heap object that a word in [lo, hi) points into,
 * queueing them on w; mirrors scanblock/scanobject. This is the
 * collector's inner loop: it keeps the mark stack and the arena map in
 * locals and prefetches each object it queues, as Go's greyobject does.
 * Not instrumented by ASan: stacks and data segments hold redzones.
 */
__attribute__((no_sanitize_address)) static void
scanblock_w(struct gcwork *w, uintptr_t lo, uintptr_t hi)
{
	lo = (lo + 7) & ~(uintptr_t)7;
	uintptr_t hlo = heap_lo, hspan = heap_hi - heap_lo;
	struct heaparena **arenas = mheap_.arenas;
	struct gcentry *buf = w->buf;
	size_t n = w->n, cap = w->cap;
	uint64_t marked = 0;
	for (uintptr_t a = lo; a + 8 <= hi; a += 8) {
		/* An atomic load (a plain mov all the same): in data/bss the
		 * world's stop does not order everything — an M that has
		 * just stopped may still be unlocking sched.lock, sysmon
		 * runs on — and such words (locks, counters) can change
		 * under the scan. They point at no heap object; the load
		 * only needs to be whole. TSan reports a plain write it
		 * races with. */
		uintptr_t v = __atomic_load_n((uintptr_t *)a, __ATOMIC_RELAXED);
		if (v - hlo >= hspan)
			continue;
		struct heaparena *ha = arenas[v >> ARENA_SHIFT];
		if (ha == NULL)
			continue;
		struct mspan *s =
		    ha->spans[(v >> PAGE_SHIFT) & (PAGES_PER_ARENA - 1)];
		if (s == NULL || s->state != MSPAN_INUSE ||
		    v - s->startaddr >= s->limit - s->startaddr)
			continue; /* see spanof */
		uint32_t idx = objindex(s, v);
		if (!markobject(s, idx))
			continue;
		marked += s->elemsize;
		if (s->spanclass & 1)
			continue; /* noscan */
		if (n == cap) {
			w->n = n;
			gcw_grow(w);
			buf = w->buf;
			cap = w->cap;
		}
		uintptr_t base = s->startaddr + idx * s->elemsize;
		__builtin_prefetch((void *)base);
		buf[n].base = base;
		buf[n].size = s->elemsize;
		n++;
	}
	w->n = n;
	w->marked += marked;
}

void scanblock(uintptr_t lo, uintptr_t hi)
{
	scanblock_w(&gcw, lo, hi);
}

/* putfull hands half of w's entries (at most WBUF_ENTRIES), from the top
 * of its stack, to other workers. Mirrors gcWork.balance, which hands
 * over a whole wbuf. Taking them from the top keeps this O(WBUF_ENTRIES):
 * taking the oldest meant moving the rest of the stack down each time,
 * quadratic when one large object (a 1M-pointer table) queued a million
 * entries at once. */
static void putfull(struct gcwork *w)
{
	size_t k = w->n / 2;
	if (k > WBUF_ENTRIES)
		k = WBUF_ENTRIES;
	work_lock();
	struct wbuf *b = work.empty;
	if (b != NULL)
		work.empty = b->next;
	work_unlock();
	if (b == NULL)
		b = sysalloc_meta(sizeof(struct wbuf));
	w->n -= k;
	memcpy(b->e, w->buf + w->n, k * sizeof(struct gcentry));
	b->n = k;
	work_lock();
	b->next = work.full;
	work.full = b;
	atomic_fetch_add(&work.nfull, 1);
	work_unlock();
}

/* trygetfull moves a shared buffer onto w's stack; false if none. */
static bool trygetfull(struct gcwork *w)
{
	if (atomic_load_explicit(&work.nfull, memory_order_relaxed) == 0)
		return false;
	work_lock();
	struct wbuf *b = work.full;
	if (b != NULL) {
		work.full = b->next;
		atomic_fetch_sub(&work.nfull, 1);
	}
	work_unlock();
	if (b == NULL)
		return false;
	while (w->n + b->n > w->cap)
		gcw_grow(w);
	memcpy(w->buf + w->n, b->e, b->n * sizeof(struct gcentry));
	w->n += b->n;
	work_lock();
	b->next = work.empty;
	work.empty = b;
	work_unlock();
	return true;
}

/* getfull waits for shared work; false when every worker is idle and
 * none is left, which ends the drain. Mirrors getfull. */
static bool getfull(struct gcwork *w)
{
	if (trygetfull(w))
		return true;
	atomic_fetch_add(&work.nwait, 1);
	for (int i = 0;; i++) {
		if (atomic_load(&work.nfull) > 0) {
			atomic_fetch_sub(&work.nwait, 1);
			if (trygetfull(w))
				return true;
			atomic_fetch_add(&work.nwait, 1);
		}
		if (atomic_load(&work.nwait) == work.nproc &&
		    atomic_load(&work.nfull) == 0)
			return false;
		if (i < 64)
			procyield(20);
		else
			osyield();
	}
}

/* drain_w scans until the drain ends; mirrors gcDrain. */
static void drain_w(struct gcwork *w)
{
	for (;;) {
		while (w->n > 0) {
			if (work.nproc > 1 && w->n >= 2 &&
			    atomic_load_explicit(&work.nwait,
						 memory_order_relaxed) > 0 &&
			    atomic_load_explicit(&work.nfull,
						 memory_order_relaxed) == 0)
				putfull(w);
			struct gcentry e = w->buf[--w->n];
			scanblock_w(w, e.base, e.base + e.size);
		}
		if (work.nproc == 1 || !getfull(w))
			return;
	}
}

/* gcmarkworker is a helper thread's loop. */
static void *gcmarkworker(void *arg)
{
	struct gcwork *w = arg;
	uint32_t seen = 0;
	for (;;) {
		uint32_t seq;
		while ((seq = atomic_load(&work.seq)) == seen)
			futexsleep(&work.seq, seen, -1);
		seen = seq;
		/* Read before ndone says we are done: from then on gcdrain
		 * may reset work.nproc (read after, it was a data race,
		 * found by TSan). */
		int32_t nproc = work.nproc;
		drain_w(w);
		if (atomic_fetch_add(&work.ndone, 1) + 1 == nproc - 1) {
			atomic_store(&work.donekey, 1);
			futexwakeup(&work.donekey, 1);
		}
	}
	return NULL;
}

static bool workersstarted;

/* workers_atfork: a forked child has none of the helper threads; it
 * starts its own at its first cycle. */
static void workers_atfork(void)
{
	workersstarted = false;
	work.nhelpers = 0;
}

/* startworkers starts the helper threads once. */
static void startworkers(void)
{
	static bool atfork;
	if (!atfork) {
		pthread_atfork(NULL, NULL, workers_atfork);
		atfork = true;
	}
	int want = gomaxprocs < ncpu ? gomaxprocs : ncpu;
	if (want > GC_MAX_WORKERS)
		want = GC_MAX_WORKERS;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 1; i < want; i++) {
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, gcmarkworker, &gcws[i]) != 0)
			break;
		work.nhelpers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* gcdrain marks until no grey object is left, with the helpers when the
 * heap is big enough to share; mirrors gcDrain across the GC workers. */
void gcdrain(void)
{
	if (!workersstarted) {
		startworkers();
		workersstarted = true;
	}
	work.nproc = 1;
	if (work.nhelpers == 0 || gcw.n == 0) {
		drain_w(&gcw);
		return;
	}
	work.nproc = work.nhelpers + 1;
	atomic_store(&work.nwait, 0);
	atomic_store(&work.ndone, 0);
	atomic_store(&work.donekey, 0);
	/* the helpers start out waiting for work; drain_w shares it */
	atomic_fetch_add(&work.seq, 1);
	futexwakeup(&work.seq, INT32_MAX);
	drain_w(&gcw);
	while (atomic_load(&work.ndone) != work.nproc - 1)
		futexsleep(&work.donekey, 0, -1);
	work.nproc = 1;
}

/* gcmark_collect sums the workers' marked bytes into gc_marked_bytes. */
static void gcmark_collect(void)
{
	uint64_t m = 0;
	for (int i = 0; i < GC_MAX_WORKERS; i++) {
		m += gcws[i].marked;
		gcws[i].marked = 0;
	}
	gc_marked_bytes = m;
}

/* ---- roots
 * ------------------------------------------------------------------------ */

struct rootrange {
	uintptr_t lo;
	uintptr_t hi;
};

static struct {
	rt_lock lock;
	struct rootrange *r; /* registered with rt_gc_add_root (libc heap) */
	size_t n;
	size_t cap;
	struct rootrange data[16]; /* the executable's data and bss */
	int ndata;
	bool datainit;
} roots;

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	/* the first object is the executable */
	for (int i = 0; i < info->dlpi_phnum && roots.ndata < 16; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		roots.data[roots.ndata].lo = lo;
		roots.data[roots.ndata].hi = lo + ph->p_memsz;
		roots.ndata++;
	}
	return 1;
}

/*
 * scan_excluding scans [lo, hi) minus the allocator's own globals and the
 * scheduler's (sched). sched points only at Gs, Ms and Ps, which are
 * malloc'ed, never into the GC heap; and it is not still while the world
 * is stopped: an M that has just given up its P still parks itself on
 * sched.midle under sched.lock while the mark runs (scanning it was a
 * data race, found by TSan, harmless only because no word of it is a
 * heap pointer).
 */
static void scan_excluding(uintptr_t lo, uintptr_t hi)
{
	struct rootrange ex[] = {
	    {(uintptr_t)&mheap_, (uintptr_t)(&mheap_ + 1)},
	    {(uintptr_t)&heap_lo, (uintptr_t)(&heap_lo + 1)},
	    {(uintptr_t)&heap_hi, (uintptr_t)(&heap_hi + 1)},
	    {(uintptr_t)&sched, (uintptr_t)(&sched + 1)},
	};
	enum { NEX = sizeof(ex) / sizeof(ex[0]) };
	/* sort them by address (tiny insertion sort) */
	for (int i = 1; i < NEX; i++)
		for (int j = i; j > 0 && ex[j].lo < ex[j - 1].lo; j--) {
			struct rootrange t = ex[j];
			ex[j] = ex[j - 1];
			ex[j - 1] = t;
		}
	for (int i = 0; i < NEX && lo < hi; i++) {
		if (ex[i].hi <= lo || ex[i].lo >= hi)
			continue;
		if (ex[i].lo > lo)
			scanblock(lo, ex[i].lo);
		lo = ex[i].hi;
	}
	if (lo < hi)
		scanblock(lo, hi);
}

static void stackroot_cb(uintptr_t lo, uintptr_t hi, void *arg)
{
	(void)arg;
	scanblock(lo, hi);
}

/* gcmark_all marks everything reachable; the world is stopped and the
 * caller is on g0 (systemstack). Mirrors gcMarkRootPrepare + markroot +
 * gcDrain, run to completion. */
void gcmark_all(void *arg)
{
	(void)arg;
	if (!roots.datainit) {
		dl_iterate_phdr(phdr_cb, NULL);
		roots.datainit = true;
	}
	for_each_stack_root(stackroot_cb, NULL);
	for (int i = 0; i < roots.ndata; i++)
		scan_excluding(roots.data[i].lo, roots.data[i].hi);
	for (size_t i = 0; i < roots.n; i++)
		scanblock(roots.r[i].lo, roots.r[i].hi);
	fin_markroots();
	gcdrain();
	fin_queue_unmarked();
	gcdrain();
	gcmark_collect();
}

void rt_gc_add_root(void *addr, size_t len)
{
	lock(&roots.lock);
	if (roots.n == roots.cap) {
		size_t ncap = roots.cap ? roots.cap * 2 : 16;
		/* libc heap: no GC allocation under a runtime lock */
		struct rootrange *nr = realloc(roots.r, ncap * sizeof(*nr));
		if (nr == NULL)
			throw("rt_gc_add_root: out of memory");
		roots.r = nr;
		roots.cap = ncap;
	}
	roots.r[roots.n].lo = (uintptr_t)addr;
	roots.r[roots.n].hi = (uintptr_t)addr + len;
	roots.n++;
	unlock(&roots.lock);
}

void rt_gc_remove_root(void *addr)
{
	lock(&roots.lock);
	for (size_t i = 0; i < roots.n; i++) {
		if (roots.r[i].lo == (uintptr_t)addr) {
			roots.r[i] = roots.r[--roots.n];
			break;
		}
	}
	unlock(&roots.lock);
}

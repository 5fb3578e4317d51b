/*
 * mfinal.c — finalizers; mirrors runtime/mfinal.go and the finalizer
 * specials of runtime/mheap.go.
 *
 * rt_set_finalizer records (offset, fn) as a "special" on the object's
 * span, sorted by offset, under finlock. The special does not keep the
 * object alive. Marking treats finalizers as Go does:
 *   - fin_markroots scans the contents of every object with a finalizer,
 *     but does not mark the object itself (so that an object reachable
 *     only from itself can still be finalized), and marks the objects
 *     already queued and not yet run;
 *   - after the drain, fin_queue_unmarked takes each special whose object
 *     is still unmarked off its span, queues (obj, fn) on finq and marks
 *     the object, which thus survives this cycle with everything it
 *     reaches. If A points to B and both have finalizers, only A's runs
 *     in this cycle; B's runs once A is gone — Go's documented order.
 * A finalizer goroutine (started on the first rt_set_finalizer with
 * rt_go_system) parks with "finalizer wait" and is woken after each cycle
 * that queued something. It pops one entry at a time and calls fn(obj);
 * obj then lives in its registers and stack, so it stays alive while fn
 * runs. The special is gone, so each finalizer runs exactly once. The
 * object is freed by the first cycle after fn returns that finds it
 * unreachable. The finalizer_run probe fires before each call.
 */
#include <string.h>
#include <sys/mman.h>

#include "malloc.h"

rt_lock finlock;

struct finalizer {
	uintptr_t obj;
	void (*fn)(void *obj);
};

static struct {
	struct finalizer *q; /* mmap'd; marked explicitly (fin_markroots) */
	size_t n;
	size_t cap;
	struct g *g;		  /* the finalizer goroutine */
	bool parked;		  /* g waits for work */
	_Atomic bool starting;	  /* g is being created */
	struct special *freelist; /* special records (fixalloc) */
} fin;

/* specialalloc returns a special record; finlock held. */
static struct special *specialalloc(void)
{
	if (fin.freelist == NULL) {
		size_t n = 64 * 1024 / sizeof(struct special);
		struct special *arr = sysalloc_meta(n * sizeof(struct special));
		for (size_t i = 0; i < n; i++) {
			arr[i].next = fin.freelist;
			fin.freelist = &arr[i];
		}
	}
	struct special *sp = fin.freelist;
	fin.freelist = sp->next;
	return sp;
}

static void specialfree(struct special *sp)
{
	sp->next = fin.freelist;
	fin.freelist = sp;
}

static bool fin_unlock(rt_g *gp, void *l)
{
	(void)gp;
	unlock(l);
	return true;
}

/* runfin1 calls one finalizer; obj stays alive (in a callee-saved
 * register or this frame) until fn has returned, and the frame is popped
 * afterwards. */
static __attribute__((noinline)) void runfin1(uintptr_t obj,
					      void (*fn)(void *obj))
{
	RT_PROBE1(finalizer_run, obj);
	fn((void *)obj);
	__asm__ volatile("" : : "r"(obj) : "memory");
}

/* runfinq is the finalizer goroutine; mirrors runfinq. */
static void runfinq(void *arg)
{
	(void)arg;
	lock(&finlock);
	fin.g = getg();
	unlock(&finlock);
	for (;;) {
		lock(&finlock);
		if (fin.n == 0) {
			fin.parked = true;
			rt_gopark(fin_unlock, &finlock, RT_WAIT_FINALIZER_WAIT);
			continue;
		}
		struct finalizer f = fin.q[fin.n - 1];
		fin.q[--fin.n].obj = 0;
		unlock(&finlock);
		runfin1(f.obj, f.fn);
		/* forget obj, so that this parked goroutine's stack does not
		 * keep it alive (C has no stack maps) */
		__asm__ volatile("" : "+m"(f) : : "memory");
		memset((void *)&f, 0, sizeof(f));
		__asm__ volatile("" : : "m"(f) : "memory");
	}
}

void rt_set_finalizer(void *obj, void (*fn)(void *obj))
{
	uintptr_t p = (uintptr_t)obj;
	struct mspan *s = spanof(p);
	if (s == NULL) {
		if (obj == NULL)
			fatal("runtime.SetFinalizer: nil object");
		/* zero-size or non-heap objects: Go ignores some, we too */
		return;
	}
	uintptr_t base = s->startaddr + objindex(s, p) * s->elemsize;
	if (base != p)
		fatal("runtime.SetFinalizer: pointer not at beginning of "
		      "allocated block (%p)",
		      obj);
	uintptr_t off = p - s->startaddr;
	lock(&finlock);
	struct special **link = &s->specials;
	while (*link != NULL && (*link)->offset < off)
		link = &(*link)->next;
	if (*link != NULL && (*link)->offset == off) {
		if (fn == NULL) {
			struct special *sp = *link;
			*link = sp->next;
			specialfree(sp);
			unlock(&finlock);
			return;
		}
		unlock(&finlock);
		fatal("runtime.SetFinalizer: finalizer already set");
	}
	if (fn == NULL) {
		unlock(&finlock);
		return;
	}
	struct special *sp = specialalloc();
	sp->offset = off;
	sp->fn = fn;
	sp->next = *link;
	*link = sp;
	unlock(&finlock);

	bool no = false;
	if (!atomic_load(&fin.starting) &&
	    atomic_compare_exchange_strong(&fin.starting, &no, true))
		go_system(runfinq, NULL);
}

/* fin_markroots: finalizer roots (see above). World stopped, on g0. */
void fin_markroots(void)
{
	for (size_t i = 0; i < fin.n; i++)
		greyobject(fin.q[i].obj);
	for (size_t i = 0; i < mheap_.nallspans; i++) {
		struct mspan *s = mheap_.allspans[i];
		if (s->state != MSPAN_INUSE || s->specials == NULL)
			continue;
		if (s->spanclass & 1)
			continue; /* noscan: nothing reachable from it */
		for (struct special *sp = s->specials; sp != NULL;
		     sp = sp->next) {
			uintptr_t obj = s->startaddr + sp->offset;
			scanblock(obj, obj + s->elemsize);
		}
	}
}

static void finq_push(uintptr_t obj, void (*fn)(void *))
{
	if (fin.n == fin.cap) {
		size_t ncap = fin.cap ? fin.cap * 2 : 1024;
		struct finalizer *nq = sysalloc_meta(ncap * sizeof(*nq));
		if (fin.q != NULL) {
			memcpy(nq, fin.q, fin.n * sizeof(*nq));
			munmap(fin.q, fin.cap * sizeof(*nq));
			atomic_fetch_sub(&memstats.other_sys,
					 fin.cap * sizeof(*nq));
		}
		fin.q = nq;
		fin.cap = ncap;
	}
	fin.q[fin.n].obj = obj;
	fin.q[fin.n].fn = fn;
	fin.n++;
}

/* fin_queue_unmarked queues the finalizers of unreachable objects and
 * marks those objects; the caller drains. World stopped, on g0. */
void fin_queue_unmarked(void)
{
	for (size_t i = 0; i < mheap_.nallspans; i++) {
		struct mspan *s = mheap_.allspans[i];
		if (s->state != MSPAN_INUSE || s->specials == NULL)
			continue;
		struct special **link = &s->specials;
		while (*link != NULL) {
			struct special *sp = *link;
			uintptr_t obj = s->startaddr + sp->offset;
			uint32_t idx = objindex(s, obj);
			if (gcmarkbits(s)[idx / 64] &
			    ((uint64_t)1 << (idx & 63))) {
				link = &sp->next;
				continue;
			}
			*link = sp->next;
			finq_push(obj, sp->fn);
			specialfree(sp);
			greyobject(obj);
		}
	}
}

/* fin_wake readies the finalizer goroutine if work is queued; called
 * after a cycle with the world running. */
void fin_wake(void)
{
	struct g *gp = NULL;
	lock(&finlock);
	if (fin.parked && fin.n > 0) {
		fin.parked = false;
		gp = fin.g;
	}
	unlock(&finlock);
	if (gp != NULL)
		ready(gp);
}

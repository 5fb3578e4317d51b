/*
 * pool.c — rt_pool, a set of temporary objects; mirrors sync/pool.go and
 * sync/poolqueue.go.
 *
 * A pool is a per-P cache. Each P owns one poollocal:
 *
 *   private  one object, touched only by the owning P: no atomics at all.
 *   shared   a poolchain: the owning P pushes and pops at its head, any P
 *            steals at its tail. A poolchain is a list of pooldequeues,
 *            each a fixed ring twice the size of the one before it (8,
 *            16, … up to 2^30 slots), so the chain never copies on growth.
 *
 * Get looks, in order, at the P's private slot, the head of its own shared
 * chain, the tails of the other Ps' chains (getslow), then the victim cache
 * (the previous cycle's locals: its private slot, then every chain's tail),
 * and calls new_fn only when all are empty. Put fills the private slot, or
 * pushes onto the head of the own chain.
 *
 * Two GC cycles without use drop an object: at the start of each cycle,
 * with the world stopped, poolcleanup (rt_poolcleanup_hook) moves every
 * pool's locals to its victim slot, dropping the old victim, as Go's
 * poolCleanup does. A pool that had nothing to move leaves the registry
 * (allpools) and joins it again on its next use (pinslow).
 *
 * Pinning: every access to a P's poollocal happens with the M's locks
 * count raised (procpin, as Go's runtime_procPin), so the goroutine is
 * neither preempted nor moved to another P and no stop-the-world can start
 * between choosing the P and touching its state. Nothing that may block or
 * allocate runs while pinned: where Go's pinSlow and poolChain.pushHead
 * allocate pinned, librt unpins, allocates and retries, because mallocgc
 * may start a GC cycle and stop the world.
 *
 * Memory and the collector. Objects in a pool are GC heap pointers, so
 * everything that holds them lives in the GC heap and is scanned: the
 * poollocal arrays and every pooldequeue are rt_mallocgc'ed with pointers.
 * They are reachable through the rt_pool (p->local, p->victim), and an
 * rt_pool in use is reachable from librt's bss through the registry
 * (allpools, linked by p->allnext), so a pool in the GC heap stays alive
 * while it has a local or victim cache, as Go's allPools/oldPools keep it.
 * A dequeue unlinked from its chain, or a locals array dropped by cleanup,
 * is ordinary garbage. As for any pointer holder (rt.h), an rt_pool in
 * malloc'ed memory must be registered with rt_gc_add_root; and a pool must
 * outlive its registration: static storage or the GC heap, never a
 * goroutine stack.
 *
 * Invariants:
 *   - p->localsize <= the length of p->local: stored local then size
 *     (release), loaded size then local (acquire).
 *   - A dequeue slot is NULL exactly when it is free: put ignores NULL,
 *     as Put(nil) does, and a consumer clears the slot only after reading
 *     it, so the producer never overwrites a value a stealer still reads.
 *   - allpools is changed under allpoolsmu by a pinned goroutine, or with
 *     the world stopped (poolcleanup), never otherwise.
 */
#include "runtime2.h"

/*
 * pooldequeue mirrors poolDequeue: a lock-free fixed-size ring with one
 * producer (the owning P, at the head) and many consumers (anyone, at the
 * tail; the owner also at the head). headtail packs the head index in the
 * high 32 bits and the tail index in the low 32 bits; indices wrap at
 * 2^32, the ring size is a power of two below that.
 */
struct pooldequeue {
	_Atomic uint64_t headtail;	  /* head << 32 | tail */
	uint32_t n;			  /* slots, a power of two */
	struct pooldequeue *_Atomic next; /* newer, larger; written by owner */
	struct pooldequeue *_Atomic prev; /* older; cleared by consumers */
	void *_Atomic vals[];		  /* the ring; NULL: free slot */
};

#define DEQUEUE_BITS  32
#define DEQUEUE_LIMIT (1u << 30) /* largest ring, as Go's dequeueLimit */
#define DEQUEUE_FIRST 8		 /* first ring of a chain */

/* poolchain mirrors poolChain: a list of dequeues, newest at head. */
struct poolchain {
	struct pooldequeue *head;	  /* only the owning P touches it */
	struct pooldequeue *_Atomic tail; /* oldest; consumers advance it */
};

/* poollocal mirrors poolLocal, padded so two Ps never share a line pair. */
struct poollocalinternal {
	void *private;		 /* owning P only */
	struct poolchain shared; /* owner: head; anyone: tail */
};
struct poollocal {
	struct poollocalinternal l;
	char pad[128 - sizeof(struct poollocalinternal) % 128];
};

enum {
	POOL_GET_PRIVATE = 0,
	POOL_GET_SHARED = 1,
	POOL_GET_STOLEN = 2,
	POOL_GET_VICTIM = 3,
	POOL_GET_MISS = 4,
};
enum { POOL_PUT_PRIVATE = 0, POOL_PUT_SHARED = 1 };

static rt_lock allpoolsmu;     /* protects allpools against pinslow */
static rt_pool *allpools;      /* pools with a local or victim cache */
static void poolcleanup(void); /* below */
void (*rt_poolcleanup_hook)(void) = poolcleanup;

/* ---- pooldequeue -------------------------------------------------------- */

static inline uint64_t dequeue_pack(uint32_t head, uint32_t tail)
{
	return (uint64_t)head << DEQUEUE_BITS | tail;
}

static inline void dequeue_unpack(uint64_t ptrs, uint32_t *head, uint32_t *tail)
{
	*head = (uint32_t)(ptrs >> DEQUEUE_BITS);
	*tail = (uint32_t)ptrs;
}

/* newdequeue allocates an empty dequeue of n slots; must not be pinned. */
static struct pooldequeue *newdequeue(uint32_t n)
{
	struct pooldequeue *d =
	    rt_mallocgc(sizeof(*d) + (size_t)n * sizeof(void *), 0);
	d->n = n;
	return d;
}

/*
 * dequeue_pushhead adds val at the head; false if the ring is full.
 * Owner only. Mirrors (*poolDequeue).pushHead.
 */
static bool dequeue_pushhead(struct pooldequeue *d, void *val)
{
	uint64_t ptrs = atomic_load(&d->headtail);
	uint32_t head, tail;

	dequeue_unpack(ptrs, &head, &tail);
	if (tail + d->n == head)
		return false; /* full */
	void *_Atomic *slot = &d->vals[head & (d->n - 1)];
	/* a stealer took the tail but has not cleared the slot yet */
	if (atomic_load_explicit(slot, memory_order_acquire) != NULL)
		return false;
	atomic_store_explicit(slot, val, memory_order_relaxed);
	/* publishes the slot to consumers */
	atomic_fetch_add(&d->headtail, (uint64_t)1 << DEQUEUE_BITS);
	return true;
}

/* dequeue_pophead removes the head; NULL if empty. Owner only. */
static void *dequeue_pophead(struct pooldequeue *d)
{
	void *_Atomic *slot;

	for (;;) {
		uint64_t ptrs = atomic_load(&d->headtail);
		uint32_t head, tail;

		dequeue_unpack(ptrs, &head, &tail);
		if (tail == head)
			return NULL;
		/* claim head-1; a stealer may race us for the last one */
		head--;
		if (atomic_compare_exchange_strong(&d->headtail, &ptrs,
						   dequeue_pack(head, tail))) {
			slot = &d->vals[head & (d->n - 1)];
			break;
		}
	}
	void *val = atomic_load_explicit(slot, memory_order_relaxed);
	/* the owner is the only writer of a slot it popped at the head */
	atomic_store_explicit(slot, NULL, memory_order_relaxed);
	return val;
}

/* dequeue_poptail removes the tail; NULL if empty. Any P. */
static void *dequeue_poptail(struct pooldequeue *d)
{
	void *_Atomic *slot;

	for (;;) {
		uint64_t ptrs = atomic_load(&d->headtail);
		uint32_t head, tail;

		dequeue_unpack(ptrs, &head, &tail);
		if (tail == head)
			return NULL;
		if (atomic_compare_exchange_strong(
			&d->headtail, &ptrs, dequeue_pack(head, tail + 1))) {
			slot = &d->vals[tail & (d->n - 1)];
			break;
		}
	}
	void *val = atomic_load_explicit(slot, memory_order_relaxed);
	/* frees the slot for pushhead, which checks it with acquire */
	atomic_store_explicit(slot, NULL, memory_order_release);
	return val;
}

/* ---- poolchain ---------------------------------------------------------- */

/*
 * chain_pushhead mirrors (*poolChain).pushHead. When the head ring is full
 * (or the chain is empty) it needs a new ring: it uses *spare if set
 * (consuming it) and otherwise returns the size it needs, for the caller to
 * allocate unpinned and retry. Returns 0 once val is pushed. Owner only.
 */
static uint32_t chain_pushhead(struct poolchain *c, void *val,
			       struct pooldequeue **spare)
{
	struct pooldequeue *d = c->head;

	if (d != NULL && dequeue_pushhead(d, val))
		return 0;
	uint32_t n = DEQUEUE_FIRST;
	if (d != NULL) {
		n = d->n * 2;
		if (n >= DEQUEUE_LIMIT)
			n = DEQUEUE_LIMIT;
	}
	if (*spare == NULL || (*spare)->n < n)
		return n;
	struct pooldequeue *d2 = *spare;
	*spare = NULL;
	atomic_store_explicit(&d2->prev, d, memory_order_relaxed);
	c->head = d2;
	if (d == NULL)
		atomic_store(&c->tail, d2);
	else
		atomic_store(&d->next, d2);
	dequeue_pushhead(d2, val); /* a new ring is never full */
	return 0;
}

/* chain_pophead mirrors (*poolChain).popHead. Owner only. */
static void *chain_pophead(struct poolchain *c)
{
	for (struct pooldequeue *d = c->head; d != NULL;
	     d = atomic_load(&d->prev)) {
		void *val = dequeue_pophead(d);
		if (val != NULL)
			return val;
		/* older rings may still hold values stealers have not taken */
	}
	return NULL;
}

/* chain_poptail mirrors (*poolChain).popTail. Any P. */
static void *chain_poptail(struct poolchain *c)
{
	struct pooldequeue *d = atomic_load(&c->tail);

	if (d == NULL)
		return NULL;
	for (;;) {
		/* load next before popping: if d is empty and has no next
		 * now, nothing was pushed to the chain after our pop failed */
		struct pooldequeue *d2 = atomic_load(&d->next);
		void *val = dequeue_poptail(d);
		if (val != NULL)
			return val;
		if (d2 == NULL)
			return NULL;
		/* d is empty for good (the owner pushes only at the head):
		 * drop it from the chain so the next stealer skips it and the
		 * collector can free it */
		struct pooldequeue *old = d;
		if (atomic_compare_exchange_strong(&c->tail, &old, d2))
			atomic_store(&d2->prev, NULL);
		d = d2;
	}
}

/* ---- pinning ------------------------------------------------------------ */

/* procpin mirrors runtime_procPin: no preemption, no STW; returns P id. */
static inline int procpin(void)
{
	struct m *mp = getm();
	mp->locks++;
	return mp->p->id;
}

/* procunpin mirrors runtime_procUnpin. */
static inline void procunpin(void)
{
	getm()->locks--;
}

static inline struct poollocal *indexlocal(void *l, int i)
{
	return &((struct poollocal *)l)[i];
}

/*
 * pinslow mirrors (*Pool).pinSlow: the pool has no locals for this P yet
 * (first use, after a GC cycle, or after GOMAXPROCS grew). Called unpinned;
 * returns pinned with the P's poollocal and its id in *pidp.
 */
static struct poollocal *pinslow(rt_pool *p, int *pidp)
{
	struct poollocal *fresh = NULL;
	size_t freshn = 0;

	for (;;) {
		int pid = procpin();
		lock(&allpoolsmu);
		/* re-check: another goroutine may have set them, or a cycle
		 * may have cleared them while we were unpinned */
		size_t s = p->localsize;
		void *l = p->local;
		if ((size_t)pid < s) {
			unlock(&allpoolsmu);
			*pidp = pid;
			return indexlocal(l, pid);
		}
		/* gomaxprocs cannot change while we are pinned (it takes a
		 * stop-the-world) */
		size_t size = (size_t)gomaxprocs;
		if (fresh != NULL && freshn == size) {
			if (!p->registered) {
				p->registered = true;
				p->allnext = allpools;
				allpools = p;
			}
			__atomic_store_n(&p->local, fresh, __ATOMIC_RELEASE);
			__atomic_store_n(&p->localsize, size, __ATOMIC_RELEASE);
			unlock(&allpoolsmu);
			*pidp = pid;
			return indexlocal(fresh, pid);
		}
		unlock(&allpoolsmu);
		procunpin();
		/* pointers live in it: scanned, not RT_MALLOC_NOSCAN */
		fresh = rt_mallocgc(size * sizeof(struct poollocal), 0);
		freshn = size;
	}
}

/*
 * pin mirrors (*Pool).pin: pins the goroutine to its P and returns the P's
 * poollocal, id in *pidp. The caller must procunpin when done.
 */
static inline struct poollocal *pin(rt_pool *p, int *pidp)
{
	int pid = procpin();
	/* size then local, both acquire: size never exceeds local's length */
	size_t s = __atomic_load_n(&p->localsize, __ATOMIC_ACQUIRE);
	void *l = __atomic_load_n(&p->local, __ATOMIC_ACQUIRE);

	if ((size_t)pid < s) {
		*pidp = pid;
		return indexlocal(l, pid);
	}
	procunpin();
	return pinslow(p, pidp);
}

/* ---- Get and Put -------------------------------------------------------- */

/* getslow mirrors (*Pool).getSlow: steal, then the victim cache. Pinned. */
static void *getslow(rt_pool *p, int pid, int *result)
{
	size_t size = __atomic_load_n(&p->localsize, __ATOMIC_ACQUIRE);
	void *locals = __atomic_load_n(&p->local, __ATOMIC_ACQUIRE);
	void *x;

	/* try to steal one element from the other Ps (own tail last) */
	for (size_t i = 0; i < size; i++) {
		struct poollocal *l = indexlocal(locals, (pid + i + 1) % size);
		if ((x = chain_poptail(&l->l.shared)) != NULL) {
			*result = POOL_GET_STOLEN;
			return x;
		}
	}

	/* then the victim cache, in the same order Go looks: own private
	 * slot, then every P's shared tail */
	size = __atomic_load_n(&p->victimsize, __ATOMIC_ACQUIRE);
	if ((size_t)pid >= size)
		return NULL;
	locals = __atomic_load_n(&p->victim, __ATOMIC_ACQUIRE);
	struct poollocal *l = indexlocal(locals, pid);
	if ((x = l->l.private) != NULL) {
		l->l.private = NULL;
		*result = POOL_GET_VICTIM;
		return x;
	}
	for (size_t i = 0; i < size; i++) {
		l = indexlocal(locals, (pid + i) % size);
		if ((x = chain_poptail(&l->l.shared)) != NULL) {
			*result = POOL_GET_VICTIM;
			return x;
		}
	}
	/* the victim cache is empty: later Gets need not look at it */
	__atomic_store_n(&p->victimsize, 0, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * rt_pool_get mirrors (*Pool).Get: private slot, own shared head, steal,
 * victim, then new_fn (or NULL). Fires pool_get with where it found it.
 */
void *rt_pool_get(rt_pool *p)
{
	int pid, result = POOL_GET_PRIVATE;
	struct poollocal *l = pin(p, &pid);
	void *x = l->l.private;

	l->l.private = NULL;
	if (x == NULL) {
		result = POOL_GET_SHARED;
		x = chain_pophead(&l->l.shared);
		if (x == NULL) {
			result = POOL_GET_MISS;
			x = getslow(p, pid, &result);
		}
	}
	procunpin();
	RT_PROBE1(pool_get, result);
	if (x == NULL && p->new_fn != NULL)
		x = p->new_fn();
	return x;
}

/*
 * rt_pool_put mirrors (*Pool).Put: the private slot if empty, else the
 * head of the own shared chain. NULL is ignored, as Put(nil) is. Fires
 * pool_put with where x went.
 */
void rt_pool_put(rt_pool *p, void *x)
{
	struct pooldequeue *spare = NULL;
	int pid, where = POOL_PUT_PRIVATE;

	if (x == NULL)
		return;
	for (;;) {
		struct poollocal *l = pin(p, &pid);
		if (l->l.private == NULL) {
			l->l.private = x;
			break;
		}
		uint32_t need = chain_pushhead(&l->l.shared, x, &spare);
		if (need == 0) {
			where = POOL_PUT_SHARED;
			break;
		}
		/* the chain needs a new ring: allocate it unpinned (mallocgc
		 * may stop the world) and retry, perhaps on another P */
		procunpin();
		spare = newdequeue(need);
	}
	procunpin();
	RT_PROBE1(pool_put, where);
}

/*
 * poolcleanup mirrors poolCleanup: with the world stopped at the start of
 * a GC cycle, drop every victim cache and make the primary caches the
 * victims. A pool left with neither leaves the registry. Must not
 * allocate or lock: it runs inside the collector's stop.
 */
static void poolcleanup(void)
{
	rt_pool **pp = &allpools;
	rt_pool *p;

	while ((p = *pp) != NULL) {
		p->victim = p->local;
		p->victimsize = p->localsize;
		p->local = NULL;
		p->localsize = 0;
		if (p->victim == NULL) {
			*pp = p->allnext;
			p->allnext = NULL;
			p->registered = false;
		} else {
			pp = &p->allnext;
		}
	}
}

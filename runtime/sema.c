/*
 * sema.c — semaphores for goroutines; mirrors runtime/sema.go.
 *
 * A semaphore is a uint32 counter in user memory. semacquire takes one unit
 * or parks the goroutine on a wait list; semrelease adds a unit and readies
 * the first waiter. The wait lists live in a fixed table of 251 roots
 * hashed by address, each with its lock and a count of waiters, so a
 * release with nobody waiting touches only the counter and one atomic
 * load. Go keeps each root's waiters in a treap of per-address lists; here
 * a root holds a single list, FIFO per address (LIFO inserts go to the
 * front), which gives the same order for any one address.
 *
 * The waiter's sudog lives on its own goroutine stack: the stack stays put
 * while it is parked, and the waiter outlives its sudog's last use.
 *
 * With handoff, semrelease passes the unit straight to the woken waiter
 * (s->ticket = 1) and yields to it, which is how sync.Mutex's starvation
 * mode hands the lock over without letting a new arrival barge in.
 */
#include "runtime2.h"

#define SEMTABSZ 251

struct semaroot {
	rt_lock lock;
	struct sudog *head;
	struct sudog *tail;
	_Atomic uint32_t nwait; /* waiters; read without the lock */
} __attribute__((aligned(64)));

static struct semaroot semtable[SEMTABSZ];

static struct semaroot *semroot(uint32_t *addr)
{
	return &semtable[((uintptr_t)addr >> 3) % SEMTABSZ];
}

static bool cansemacquire(uint32_t *addr)
{
	uint32_t v = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
	while (v != 0) {
		if (__atomic_compare_exchange_n(addr, &v, v - 1, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

/* queue adds s to root's wait list. root must be locked. */
static void semroot_queue(struct semaroot *root, struct sudog *s, bool lifo)
{
	if (lifo) {
		s->prev = NULL;
		s->next = root->head;
		if (root->head != NULL)
			root->head->prev = s;
		else
			root->tail = s;
		root->head = s;
	} else {
		s->next = NULL;
		s->prev = root->tail;
		if (root->tail != NULL)
			root->tail->next = s;
		else
			root->head = s;
		root->tail = s;
	}
}

/* dequeue removes the first waiter on addr. root must be locked. */
static struct sudog *semroot_dequeue(struct semaroot *root, uint32_t *addr)
{
	struct sudog *s = root->head;
	while (s != NULL && s->elem != (void *)addr)
		s = s->next;
	if (s == NULL)
		return NULL;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		root->head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		root->tail = s->prev;
	s->next = s->prev = NULL;
	return s;
}

static bool unlock_semaroot(rt_g *gp, void *lk)
{
	(void)gp;
	unlock(lk);
	return true;
}

/* semacquire1 mirrors semacquire1. */
void semacquire1(uint32_t *addr, bool lifo, enum rt_waitreason reason)
{
	if (cansemacquire(addr))
		return;
	struct sudog s = {.g = getg(), .elem = addr};
	struct semaroot *root = semroot(addr);
	for (;;) {
		lock(&root->lock);
		/* Add ourselves to nwait to disable the "easy case" in
		 * semrelease, then check again. */
		atomic_fetch_add(&root->nwait, 1);
		if (cansemacquire(addr)) {
			atomic_fetch_sub(&root->nwait, 1);
			unlock(&root->lock);
			break;
		}
		s.ticket = 0;
		semroot_queue(root, &s, lifo);
		rt_gopark(unlock_semaroot, &root->lock, reason);
		if (s.ticket != 0 || cansemacquire(addr))
			break;
	}
}

/* semrelease1 mirrors semrelease1. */
static void semrelease1(uint32_t *addr, bool handoff)
{
	struct semaroot *root = semroot(addr);
	__atomic_fetch_add(addr, 1, __ATOMIC_SEQ_CST);
	/* Easy case: no waiters? This check must happen after the add, to
	 * avoid a missed wakeup (see the loop in semacquire1). */
	if (atomic_load(&root->nwait) == 0)
		return;
	lock(&root->lock);
	if (atomic_load(&root->nwait) == 0) {
		unlock(&root->lock);
		return;
	}
	struct sudog *s = semroot_dequeue(root, addr);
	if (s != NULL)
		atomic_fetch_sub(&root->nwait, 1);
	unlock(&root->lock);
	if (s == NULL)
		return;
	if (s->ticket != 0)
		throw("corrupted semaphore ticket");
	bool handed = false;
	if (handoff && cansemacquire(addr)) {
		s->ticket = 1;
		handed = true;
	}
	/* s lives on the waiter's stack: do not touch it after ready. */
	ready(s->g);
	if (handed && getm()->locks == 0) {
		/* Direct G handoff: the waiter is in our runnext and inherits
		 * our time slice, so a new arrival cannot take the unit. */
		goyield();
	}
}

void rt_semacquire(uint32_t *addr, enum rt_waitreason reason)
{
	rt_preempt_check();
	semacquire1(addr, false, reason);
}

void rt_semrelease(uint32_t *addr, bool handoff)
{
	semrelease1(addr, handoff);
}

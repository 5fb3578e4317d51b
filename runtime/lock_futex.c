/*
 * lock_futex.c — runtime locks and notes on Linux futexes; mirrors
 * runtime/lock_futex.go.
 *
 * A lock is a word: 0 unlocked, 1 locked, 2 locked and someone may sleep
 * on it. lock spins briefly (active spin with PAUSE, then a few sched_yield
 * calls) before sleeping, as Go's lock2 does, because runtime critical
 * sections are short. Holding a lock increments m->locks, which keeps the
 * holder from being preempted.
 *
 * A note is a one-shot event: notesleep blocks until notewakeup; noteclear
 * re-arms it. Idle Ms sleep on their note.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime2.h"

enum { MUTEX_UNLOCKED = 0, MUTEX_LOCKED = 1, MUTEX_SLEEPING = 2 };
enum { ACTIVE_SPIN = 4, ACTIVE_SPIN_CNT = 30, PASSIVE_SPIN = 1 };

/* futexsleep sleeps while *addr == val, at most ns (< 0: forever). */
int futexsleep(_Atomic uint32_t *addr, uint32_t val, int64_t ns)
{
	struct timespec ts, *tsp = NULL;
	if (ns >= 0) {
		ts.tv_sec = ns / 1000000000;
		ts.tv_nsec = ns % 1000000000;
		tsp = &ts;
	}
	return (int)syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE,
			    val, tsp, NULL, 0);
}

void futexwakeup(_Atomic uint32_t *addr, int cnt)
{
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, cnt, NULL,
		NULL, 0);
}

void procyield(int cycles)
{
	for (int i = 0; i < cycles; i++)
		__builtin_ia32_pause();
}

void osyield(void)
{
	sched_yield();
}

/* lock mirrors lock2: speculative grab, spin, then sleep. */
void lock(rt_lock *l)
{
	struct m *mp = getm();
	mp->locks++;
	uint32_t v = atomic_exchange(&l->key, MUTEX_LOCKED);
	if (v == MUTEX_UNLOCKED)
		return;
	/* v is what we must leave in the key if we take it by spinning:
	 * MUTEX_SLEEPING if someone may be asleep. */
	uint32_t wait = v;
	int spin = ncpu > 1 ? ACTIVE_SPIN : 0;
	for (;;) {
		for (int i = 0; i < spin; i++) {
			while (atomic_load_explicit(&l->key,
						    memory_order_relaxed) ==
			       MUTEX_UNLOCKED) {
				uint32_t expect = MUTEX_UNLOCKED;
				if (atomic_compare_exchange_weak(&l->key,
								 &expect, wait))
					return;
			}
			procyield(ACTIVE_SPIN_CNT);
		}
		for (int i = 0; i < PASSIVE_SPIN; i++) {
			while (atomic_load_explicit(&l->key,
						    memory_order_relaxed) ==
			       MUTEX_UNLOCKED) {
				uint32_t expect = MUTEX_UNLOCKED;
				if (atomic_compare_exchange_weak(&l->key,
								 &expect, wait))
					return;
			}
			osyield();
		}
		v = atomic_exchange(&l->key, MUTEX_SLEEPING);
		if (v == MUTEX_UNLOCKED)
			return;
		wait = MUTEX_SLEEPING;
		futexsleep(&l->key, MUTEX_SLEEPING, -1);
	}
}

void unlock(rt_lock *l)
{
	uint32_t v = atomic_exchange(&l->key, MUTEX_UNLOCKED);
	if (v == MUTEX_UNLOCKED)
		throw("unlock of unlocked lock");
	if (v == MUTEX_SLEEPING)
		futexwakeup(&l->key, 1);
	struct m *mp = getm();
	if (--mp->locks < 0)
		throw("runtime lock count negative");
}

void noteclear(rt_note *n)
{
	atomic_store(&n->key, 0);
}

void notewakeup(rt_note *n)
{
	uint32_t old = atomic_exchange(&n->key, 1);
	if (old != 0)
		throw("notewakeup - double wakeup");
	futexwakeup(&n->key, 1);
}

void notesleep(rt_note *n)
{
	while (atomic_load(&n->key) == 0)
		futexsleep(&n->key, 0, -1);
}

bool notetsleep(rt_note *n, int64_t ns)
{
	if (ns < 0) {
		notesleep(n);
		return true;
	}
	int64_t deadline = nanotime() + ns;
	while (atomic_load(&n->key) == 0) {
		int64_t left = deadline - nanotime();
		if (left <= 0)
			return false;
		futexsleep(&n->key, 0, left);
	}
	return true;
}

int64_t nanotime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

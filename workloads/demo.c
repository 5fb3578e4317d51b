/*
 * demo.c — the program `make run` traces: a second or so of everything
 * librt's scheduler does, all at once, so every probe fires.
 *
 * - workers: 5 waves of 1000 short goroutines, a blocking pause between
 *   waves, each bumping a counter under an rt_mutex, one in eight yielding
 *   with rt_gosched while holding it, so others park on the mutex (newproc,
 *   goend, gosched, gopark "sync.Mutex.Lock").
 * - sema pairs: goroutine pairs handing a token back and forth through
 *   rt_semacquire/rt_semrelease (gopark "semacquire", goready).
 * - chan pairs: the same through unbuffered rt_chan channels (chansend,
 *   chanrecv, gopark "chan send" and "chan receive").
 * - memory and timers: a goroutine allocating short-lived buffers (some
 *   through an rt_pool), forcing two collections and reading memstats
 *   (mallocgc, gc_start/gc_done, stw_start/stw_done, pool_get/pool_put),
 *   and waiting in a select on a channel and a time.After-style timer, then
 *   on a ticker (selectgo, addtimer, runtimer).
 * - locked: one goroutine wired to its thread with rt_lock_os_thread,
 *   yielding and blocking, checking that it never moves.
 * - syscalls: goroutines blocking in usleep between rt_entersyscall and
 *   rt_exitsyscall, so sysmon retakes their Ps.
 * - spinner: a CPU-bound goroutine running far past the 10 ms slice, first
 *   with no runtime calls at all (only signal-based preemption can stop
 *   it), then calling rt_preempt_check (cooperative preemption).
 *
 * Everything joins on one rt_waitgroup; main prints a summary and exits 1 if
 * a check failed (a lost counter update, a token mismatch, a locked
 * goroutine seen on another thread). Sizes scale with DEMO_SCALE (default 1).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rt.h"

enum {
	NWAVES = 5,	 /* waves of workers, a blocking pause between */
	NWORKERS = 1000, /* short-lived worker goroutines per wave */
	WAVE_PAUSE_US = 200000,
	NPAIRS = 8,	      /* semaphore pairs, and as many chan pairs */
	NROUNDS = 10000,      /* round trips per pair */
	NSYSCALLERS = 4,      /* goroutines making blocking calls */
	NSYSCALLS = 40,	      /* blocking calls each */
	SYSCALL_US = 25000,   /* each blocks this long */
	NLOCKED_ITERS = 1000, /* yields of the locked goroutine */
	SPIN_MS = 400,	      /* each half of the spinner */
};

static int scale = 1;
static rt_waitgroup all;
static rt_mutex mu;
static int64_t counter; /* guarded by mu */
static atomic_int failures;
static atomic_uint_fast64_t pmask; /* bit p set: a goroutine ran on P p */

static void note_p(void)
{
	int p = rt_procid();
	if (p >= 0 && p < 64) {
		atomic_fetch_or(&pmask, (uint_fast64_t)1 << p);
	}
}

static void fail(const char *what)
{
	fprintf(stderr, "demo: FAIL: %s\n", what);
	atomic_fetch_add(&failures, 1);
}

/* ---- workers --------------------------------------------------------------
 */

static void worker(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	note_p();
	rt_mutex_lock(&mu);
	counter++;
	if (i % 8 == 0) {
		rt_gosched(); /* yield holding mu, so others park on it */
	}
	rt_mutex_unlock(&mu);
	if (i % 8 == 0) {
		rt_gosched();
	}
	rt_waitgroup_done(&all);
}

/*
 * spawner starts the workers from a goroutine of its own, as a server would,
 * in waves with a blocking pause between them.
 */
static void spawner(void *arg)
{
	(void)arg;
	uintptr_t i = 0;
	for (int w = 0; w < NWAVES; w++) {
		if (w > 0) {
			rt_entersyscall();
			usleep(WAVE_PAUSE_US);
			rt_exitsyscall();
		}
		for (int k = 0; k < NWORKERS * scale; k++, i++) {
			rt_waitgroup_add(&all, 1);
			rt_go(worker, (void *)i);
		}
	}
	rt_waitgroup_done(&all);
}

/* ---- semaphore pairs ------------------------------------------------------
 */

struct semapair {
	uint32_t ping, pong; /* semaphores: tokens waiting for each side */
};

static void sema_pong(void *arg)
{
	struct semapair *sp = arg;
	for (int i = 0; i < NROUNDS * scale; i++) {
		rt_semacquire(&sp->ping, RT_WAIT_SEMACQUIRE);
		rt_semrelease(&sp->pong, false);
	}
	rt_waitgroup_done(&all);
}

static void sema_ping(void *arg)
{
	struct semapair *sp = arg;
	note_p();
	for (int i = 0; i < NROUNDS * scale; i++) {
		rt_semrelease(&sp->ping, false);
		rt_semacquire(&sp->pong, RT_WAIT_SEMACQUIRE);
	}
	if (sp->ping != 0 || sp->pong != 0) {
		fail("semaphore pair ended with tokens left over");
	}
	rt_waitgroup_done(&all);
}

/* ---- channel pairs ---------------------------------------------------------
 */

struct chanpair {
	rt_chan *ping, *pong; /* unbuffered; in bss, so GC roots */
};

static void chan_pong(void *arg)
{
	struct chanpair *cp = arg;
	uint64_t v;
	for (int i = 0; i < NROUNDS * scale; i++) {
		rt_chan_recv(cp->ping, &v);
		v++;
		rt_chan_send(cp->pong, &v);
	}
	rt_waitgroup_done(&all);
}

static void chan_ping(void *arg)
{
	struct chanpair *cp = arg;
	note_p();
	for (int i = 0; i < NROUNDS * scale; i++) {
		uint64_t v = (uint64_t)i;
		rt_chan_send(cp->ping, &v);
		rt_chan_recv(cp->pong, &v);
		if (v != (uint64_t)i + 1) {
			fail("chan pair got the wrong value back");
			break;
		}
	}
	rt_waitgroup_done(&all);
}

/* ---- memory and timers ------------------------------------------------------
 */

enum { NBUFS = 2000, BUFSIZE = 4096, NTICKS = 20, TICK_MS = 5 };

static rt_pool bufpool;
static uint64_t heap_after_gc;

static void memory_and_timers(void *arg)
{
	(void)arg;
	for (int i = 0; i < NBUFS * scale; i++) {
		/* half fresh allocations, half through the pool */
		char *b = i % 2 ? rt_pool_get(&bufpool) : NULL;
		if (b == NULL)
			b = rt_mallocgc(BUFSIZE, RT_MALLOC_NOSCAN);
		b[i % BUFSIZE] = (char)i;
		if (i % 2)
			rt_pool_put(&bufpool, b);
	}
	rt_gc();
	rt_gc();
	struct rt_memstats ms;
	rt_read_memstats(&ms);
	heap_after_gc = ms.heap_alloc;

	/* a select on a channel and a timeout, as in time.After's loop */
	rt_chan *work = rt_chan_make(sizeof(int), 1);
	for (int i = 0; i < 10; i++) {
		int v = i;
		if (i % 2 == 0)
			rt_chan_send(work, &v);
		struct rt_select_case cases[2] = {
		    {.c = work, .dir = RT_SELECT_RECV, .elem = &v},
		    {.c = rt_after(2 * 1000000LL), .dir = RT_SELECT_RECV},
		};
		rt_select(cases, 2, false);
	}
	rt_ticker *tk = rt_ticker_new(TICK_MS * 1000000LL);
	int64_t when;
	for (int i = 0; i < NTICKS; i++)
		rt_chan_recv(tk->C, &when);
	rt_ticker_stop(tk);
	rt_waitgroup_done(&all);
}

/* ---- locked goroutine -----------------------------------------------------
 */

static int locked_tid;
static int locked_moves;

static void locked(void *arg)
{
	(void)arg;
	rt_lock_os_thread();
	locked_tid = rt_thread_id();
	for (int i = 0; i < NLOCKED_ITERS * scale; i++) {
		if (i % 10 == 0) {
			rt_entersyscall();
			usleep(1000);
			rt_exitsyscall();
		} else {
			rt_gosched();
		}
		if (rt_thread_id() != locked_tid) {
			locked_moves++;
		}
	}
	rt_unlock_os_thread();
	if (locked_moves != 0) {
		fail("locked goroutine ran on another thread");
	}
	rt_waitgroup_done(&all);
}

/* ---- blocking system calls ------------------------------------------------
 */

static void syscaller(void *arg)
{
	(void)arg;
	note_p();
	for (int i = 0; i < NSYSCALLS; i++) {
		rt_entersyscall();
		usleep(SYSCALL_US);
		rt_exitsyscall();
	}
	rt_waitgroup_done(&all);
}

/* ---- CPU-bound spinner ----------------------------------------------------
 */

static volatile uint64_t spin_sink;

/* spin_for burns CPU for ms milliseconds of wall time. */
static uint64_t spin_for(int64_t ms, bool coop)
{
	int64_t end = rt_nanotime() + ms * 1000000;
	uint64_t x = 88172645463325252ULL, iters = 0;
	while (rt_nanotime() < end) {
		for (int k = 0; k < 1000; k++) {
			x ^= x << 13; /* xorshift64: work the compiler keeps */
			x ^= x >> 7;
			x ^= x << 17;
		}
		iters++;
		if (coop) {
			rt_preempt_check();
		}
	}
	spin_sink = x;
	return iters;
}

static void spinner(void *arg)
{
	(void)arg;
	note_p();
	spin_for(SPIN_MS, false); /* preemptible only by signal */
	spin_for(SPIN_MS, true);  /* cooperative preemption points */
	rt_waitgroup_done(&all);
}

/* ---- main -----------------------------------------------------------------
 */

static void demo_main(void *arg)
{
	(void)arg;
	int64_t t0 = rt_nanotime();
	static struct semapair sp[NPAIRS];
	static struct chanpair cp[NPAIRS];

	rt_waitgroup_add(&all, 1);
	rt_go(spinner, NULL);
	rt_waitgroup_add(&all, 1);
	rt_go(locked, NULL);
	for (int i = 0; i < NSYSCALLERS; i++) {
		rt_waitgroup_add(&all, 1);
		rt_go(syscaller, NULL);
	}
	rt_waitgroup_add(&all, 1);
	rt_go(memory_and_timers, NULL);
	for (int i = 0; i < NPAIRS; i++) {
		cp[i].ping = rt_chan_make(sizeof(uint64_t), 0);
		cp[i].pong = rt_chan_make(sizeof(uint64_t), 0);
		rt_waitgroup_add(&all, 4);
		rt_go(sema_pong, &sp[i]);
		rt_go(sema_ping, &sp[i]);
		rt_go(chan_pong, &cp[i]);
		rt_go(chan_ping, &cp[i]);
	}
	rt_waitgroup_add(&all, 1);
	rt_go(spawner, NULL);
	rt_waitgroup_wait(&all);

	double secs = (double)(rt_nanotime() - t0) / 1e9;
	int64_t want = (int64_t)NWAVES * NWORKERS * scale;
	if (counter != want) {
		fail("mutex counter lost updates");
	}
	struct rt_sched_stats st;
	rt_read_sched_stats(&st);
	int nps = __builtin_popcountll((unsigned long long)pmask);

	printf("demo: GOMAXPROCS=%d, %.2f s, goroutines ran on %d P%s\n",
	       rt_gomaxprocs(), secs, nps, nps == 1 ? "" : "s");
	printf("  workers     %d waves of %d goroutines, mutex counter %lld "
	       "(want %lld)\n",
	       NWAVES, NWORKERS * scale, (long long)counter, (long long)want);
	printf("  ping-pong   %d semaphore + %d channel pairs x %d round "
	       "trips\n",
	       NPAIRS, NPAIRS, NROUNDS * scale);
	printf("  memory      %d buffers of %d B (half via a pool), 2 forced "
	       "GCs, heap after them %llu KiB\n",
	       NBUFS * scale, BUFSIZE,
	       (unsigned long long)(heap_after_gc / 1024));
	printf("  timers      10 selects on a channel and rt_after, %d ticks "
	       "of %d ms\n",
	       NTICKS, TICK_MS);
	printf("  locked      tid %d kept through %d yields/syscalls, "
	       "moved %d times\n",
	       locked_tid, NLOCKED_ITERS * scale, locked_moves);
	printf("  syscalls    %d blocking calls of %d ms; Ps retaken %llu, "
	       "handoffs %llu\n",
	       NSYSCALLERS * NSYSCALLS, SYSCALL_US / 1000,
	       (unsigned long long)st.syscall_retakes,
	       (unsigned long long)st.handoffs);
	printf("  spinner     2 x %d ms CPU; preemptions cooperative %llu, "
	       "async %llu\n",
	       SPIN_MS, (unsigned long long)st.preempt_coop,
	       (unsigned long long)st.preempt_async);
	printf("  scheduler   goroutines created %llu, ended %llu (main "
	       "runs on); steals %llu; threads %u\n",
	       (unsigned long long)st.goroutines_created,
	       (unsigned long long)st.goroutines_ended,
	       (unsigned long long)st.steals, st.threads);
	printf("demo: %s\n", atomic_load(&failures) ? "FAIL" : "ok");
	fflush(stdout);
}

int main(void)
{
	const char *s = getenv("DEMO_SCALE");
	if (s != NULL && atoi(s) > 0) {
		scale = atoi(s);
	}
	rt_main(demo_main, NULL);
	return atomic_load(&failures) ? 1 : 0;
}

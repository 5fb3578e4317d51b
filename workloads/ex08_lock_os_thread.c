/*
 * ex08_lock_os_thread.c — Exercise 8: runtime.LockOSThread for no reason.
 *
 * Seed. Before: each worker of a pool calls runtime.LockOSThread() (and
 * defers UnlockOSThread) "to stay on the same thread for performance",
 * then ranges over the jobs channel calling process(job) — pure Go, no
 * cgo, no thread-local state. After: no lock. Claim: "~1.8× faster".
 *
 * Mechanism. rt_lock_os_thread mirrors dolockOSThread: g.lockedm = m,
 * m.lockedg = g. A locked goroutine that parks (here: chanrecv on an
 * empty jobs channel) cannot leave its M to run something else: schedule()
 * finds m.lockedg and calls stoplockedm, which hands the P off (handoffp)
 * and sleeps the M on its futex; whoever readies the goroutine later finds
 * g.lockedm set and calls startlockedm: it gives its own P to the locked
 * M, wakes it through the kernel, and goes to sleep itself (stopm). So
 * every wake-up of a locked worker is two futex wake/sleep pairs and two
 * OS context switches, where an unlocked worker is just put in the
 * readier's runnext and run by whatever M holds that P.
 *
 * One op is one job through the pool: a producer (the benchmark goroutine)
 * sends b->n jobs on the channel, GOMAXPROCS workers (procs = 2) range
 * over it, the producer closes it and waits for the workers. process() is
 * about 200 ns of integer mixing — a small decode/validate step, small
 * enough that the hand-off is what a job costs. The swept parameter is
 * the channel: "unbuffered" makes every job a park/ready hand-off to a
 * waiting worker (where the lock's cost lives); "buffered=128" lets
 * workers drain a burst without parking, so they park only when the
 * buffer runs dry, and the lock costs little.
 *
 * When NOT (the seed): cgo into libraries with thread-local state,
 * per-thread namespace calls, raw syscalls that change per-thread kernel
 * state. The correctness gap (a job that needs thread identity) is
 * tests/test_ex06_10.c: test_ex08_thread_identity_needs_the_lock — without
 * the lock a worker sees its thread id change across jobs; with it, never.
 */
#include <stdatomic.h>
#include <time.h>

#include "exercise.h"

enum {
	PROCESS_ROUNDS = 64, /* ~200 ns of mixing per job */
	RESULT_JOBS = 2000,  /* the fixed input of result */
};

struct job {
	uint64_t id;
	uint64_t seed;
};

/* process is the job: deterministic integer work on the job's data. */
static __attribute__((noinline)) uint64_t process(const struct job *j)
{
	uint64_t x = j->id ^ j->seed;
	for (int i = 0; i < PROCESS_ROUNDS; i++) {
		x ^= x >> 31;
		x *= 0x7fb5d329728ea185ULL;
		x ^= x >> 27;
		x += (uint64_t)i;
	}
	return x;
}

/*
 * block_in_syscall sleeps in the kernel inside entersyscall/exitsyscall, as
 * a blocking call into a C library does: long enough for sysmon to hand
 * the P to another M (retake), so the goroutine may come back on a P it
 * has to queue for (exitsyscall0) — and, if it is not locked, on whichever
 * M runs it next.
 */
static void block_in_syscall(int64_t ns)
{
	struct timespec ts = {ns / 1000000000, ns % 1000000000};
	rt_entersyscall();
	nanosleep(&ts, NULL);
	rt_exitsyscall();
}

/* One run of the pool. Workers reach it through their argument. */
struct pool {
	rt_chan *jobs;
	rt_waitgroup wg;
	bool locked;		/* the Before */
	int64_t block_ns;	/* > 0: each job also blocks in a system
				   call (the thread-identity test) */
	_Atomic uint64_t sum;	/* the answer: the sum of process() */
	_Atomic uint64_t moved; /* jobs that found their worker on a new
				   thread (for the thread-identity test) */
};

static void worker(void *arg)
{
	struct pool *p = arg;
	struct job j;
	uint64_t sum = 0, moved = 0;

	if (p->locked)
		rt_lock_os_thread(); /* "to stay on the same thread" */
	int tid = rt_thread_id();
	RT_CHAN_RANGE(p->jobs, &j)
	{
		sum += process(&j);
		if (p->block_ns > 0)
			block_in_syscall(p->block_ns);
		int now = rt_thread_id();
		if (now != tid)
			moved++;
		tid = now;
	}
	if (p->locked)
		rt_unlock_os_thread(); /* the seed's deferred Unlock */
	atomic_fetch_add(&p->sum, sum);
	atomic_fetch_add(&p->moved, moved);
	rt_waitgroup_done(&p->wg);
}

/* The answer of the last run escapes here. The pool itself lives on the
 * producer's stack, which the collector scans: its channel stays alive. */
static volatile uint64_t sink_sum;

/*
 * run_pool sends njobs jobs through a pool of GOMAXPROCS workers on a
 * channel of capacity cap; every worker has ended when it returns. In a
 * run the timer covers all of it: starting the workers is part of the
 * pool's cost, and b->n jobs amortize it.
 */
static void run_pool(struct pool *p, int64_t njobs, size_t cap, bool locked,
		     int64_t block_ns)
{
	int nworkers = rt_gomaxprocs();
	p->jobs = rt_chan_make(sizeof(struct job), cap);
	p->locked = locked;
	p->block_ns = block_ns;
	atomic_store(&p->sum, 0);
	atomic_store(&p->moved, 0);
	for (int w = 0; w < nworkers; w++) {
		rt_waitgroup_add(&p->wg, 1);
		rt_go(worker, p);
	}
	for (int64_t i = 0; i < njobs; i++) {
		struct job j = {(uint64_t)i, 0x9e3779b97f4a7c15ULL};
		rt_chan_send(p->jobs, &j);
	}
	rt_chan_close(p->jobs);
	rt_waitgroup_wait(&p->wg);
}

/*
 * ex08_thread_moves runs njobs jobs through a pool (locked or not) on a
 * channel of capacity cap, each job also blocking block_ns in a system
 * call if block_ns > 0, and returns how many jobs found their worker on a
 * different thread than the job before; *sum gets the answer. For
 * tests/test_ex06_10.c.
 */
uint64_t ex08_thread_moves(int64_t njobs, size_t cap, bool locked,
			   int64_t block_ns, uint64_t *sum)
{
	struct pool p = {0};
	run_pool(&p, njobs, cap, locked, block_ns);
	if (sum != NULL)
		*sum = atomic_load(&p.sum);
	return atomic_load(&p.moved);
}

static void run_variant(struct bench_b *b, const struct ex_param *p,
			bool locked)
{
	struct pool pl = {0};
	run_pool(&pl, b->n, (size_t)p->value, locked, 0);
	sink_sum = atomic_load(&pl.sum);
}

static void run_before(struct bench_b *b, const struct ex_param *p)
{
	run_variant(b, p, true);
}

static void run_after(struct bench_b *b, const struct ex_param *p)
{
	run_variant(b, p, false);
}

static uint64_t result_before(const struct ex_param *p)
{
	uint64_t sum;
	ex08_thread_moves(RESULT_JOBS, (size_t)p->value, true, 0, &sum);
	return sum;
}

static uint64_t result_after(const struct ex_param *p)
{
	uint64_t sum;
	ex08_thread_moves(RESULT_JOBS, (size_t)p->value, false, 0, &sum);
	return sum;
}

static const struct ex_param params[] = {
    {"jobs=unbuffered", 0},
    {"jobs=buffered128", 128},
};

const struct exercise ex08 = {
    .id = "ex08",
    .title = "runtime.LockOSThread for no reason",
    .seed_claim = "~1.8x faster",
    .seed_ratio = 1.8,
    .rule = {"ns/op", true},
    .mechanism = "a locked worker's M sleeps with it: every wake-up is "
		 "startlockedm/stoplockedm, a P hand-off and futex "
		 "wake/sleep, instead of a runnext put",
    .param_name = "jobs chan",
    .params = params,
    .nparams = (int)(sizeof(params) / sizeof(params[0])),
    .procs = 2,
    .run = {run_before, run_after},
    .result = {result_before, result_after},
};

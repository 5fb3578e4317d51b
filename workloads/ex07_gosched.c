/*
 * ex07_gosched.c — Exercise 7: runtime.Gosched() "to give others a chance".
 *
 * Seed. Before: compute(data) sums sqrt(v) * sin(v) and calls
 * runtime.Gosched() every 1000 iterations "to be nice". After: no call;
 * the runtime preempts long-running goroutines by itself. Claim: "~1.7×
 * faster".
 *
 * Mechanism. rt_gosched() is Gosched → mcall(gosched_m): the goroutine is
 * made runnable, put on the *global* run queue (globrunqput), and the M
 * enters schedule() to find work. With nothing else runnable it finds the
 * same goroutine again (globrunqget) after a switch to g0 and back: tens to
 * a couple of hundred ns per call. One op here is compute() over 100 000
 * float64 (800 KB: a frame of samples, a column chunk — enough work that
 * "be nice" looks sensible, and 100 Gosched calls per op), about a
 * millisecond of sqrt and sin, so with nothing else runnable the calls are
 * 100 × ~0.2 µs against ~1 ms of math: a few per cent, not 1.7×. The seed's
 * figure would need a call every ~10 iterations.
 *
 * What makes the claim testable is the swept parameter, "other
 * goroutines": the exercise runs on one P (procs = 1) with 0 or 1
 * CPU-bound goroutine competing for it. With 0 (the seed's case) Gosched
 * is pure overhead. With 1, Gosched does what it is for: the competitor
 * gets the P until sysmon preempts it (10 ms, forcePreemptNS), so every
 * yield costs compute() a 10 ms time slice in wall time — ns/op measures
 * the latency of compute(), which the yields multiply, while the CPU they
 * "give" goes to the competitor. Without the call, sysmon's preemption
 * (preemptone: cooperative at the next runtime entry, else a signal,
 * Go 1.14's asynchronous preemption) still shares the P in 10 ms slices.
 *
 * When NOT (the seed): inside LockOSThread'd code that explicitly wants to
 * share the thread. That correctness gap (§16: "removing Gosched inside a
 * LockOSThread'd G that was sharing a thread with another locked G") cannot
 * occur as stated — a locked M runs only its own G, in Go and in librt — so
 * tests/test_ex06_10.c shows the part that can be shown:
 * test_ex07_spinner_without_gosched_is_preempted (on one P, a goroutine
 * spinning without Gosched does not stop another from running: sysmon
 * preempts it, counted in rt_read_sched_stats).
 */
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "exercise.h"

enum {
	DATA_LEN = 100000,  /* float64s per compute() */
	YIELD_EVERY = 1000, /* the seed's i % 1000 */
	RESULT_LEN = 5000,  /* the fixed input of result: 5 yields */
};

static double *data; /* GC heap, no pointers; reachable from here */
static volatile double sink;

/* compute_before is the seed's Before, call for call. */
static __attribute__((noinline)) double compute_before(const double *d,
						       size_t n)
{
	double sum = 0.0;
	for (size_t i = 0; i < n; i++) {
		sum += sqrt(d[i]) * sin(d[i]);
		if (i % YIELD_EVERY == 0)
			rt_gosched(); /* "be nice" */
	}
	return sum;
}

/* compute_after is the seed's After: the same loop without the call. */
static __attribute__((noinline)) double compute_after(const double *d, size_t n)
{
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += sqrt(d[i]) * sin(d[i]);
	return sum;
}

static void init_data(void)
{
	if (data != NULL)
		return;
	data = rt_mallocgc(DATA_LEN * sizeof(double), RT_MALLOC_NOSCAN);
	for (size_t i = 0; i < DATA_LEN; i++)
		data[i] = (double)(i % 9973) * 0.37 + 0.5;
}

/*
 * The competitor: a CPU-bound goroutine that makes no runtime call in its
 * inner loop, so only preemption takes the P from it. It stops when told.
 */
static atomic_bool stop_competitors;
static rt_waitgroup competitors_wg;
static volatile uint64_t competitor_sink;

static void competitor(void *arg)
{
	(void)arg;
	uint64_t x = 1;
	while (!atomic_load_explicit(&stop_competitors, memory_order_relaxed)) {
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	}
	competitor_sink = x;
	rt_waitgroup_done(&competitors_wg);
}

static void start_competitors(int64_t n)
{
	atomic_store(&stop_competitors, false);
	for (int64_t i = 0; i < n; i++) {
		rt_waitgroup_add(&competitors_wg, 1);
		rt_go(competitor, NULL);
	}
}

/* stop_competitors_wait: every competitor has ended when it returns. */
static void stop_competitors_wait(void)
{
	atomic_store(&stop_competitors, true);
	rt_waitgroup_wait(&competitors_wg);
}

static void run_before(struct bench_b *b, const struct ex_param *p)
{
	bench_stop_timer(b);
	init_data();
	start_competitors(p->value);
	bench_start_timer(b);
	for (int64_t i = 0; i < b->n; i++)
		sink = compute_before(data, DATA_LEN);
	bench_stop_timer(b);
	stop_competitors_wait();
}

static void run_after(struct bench_b *b, const struct ex_param *p)
{
	bench_stop_timer(b);
	init_data();
	start_competitors(p->value);
	bench_start_timer(b);
	for (int64_t i = 0; i < b->n; i++)
		sink = compute_after(data, DATA_LEN);
	bench_stop_timer(b);
	stop_competitors_wait();
}

/* The answer: the bits of the sum over the first RESULT_LEN values, with
 * the competitors running — the yields must not change the arithmetic. */
static uint64_t result_common(const struct ex_param *p, bool yield)
{
	init_data();
	start_competitors(p->value);
	double s = yield ? compute_before(data, RESULT_LEN)
			 : compute_after(data, RESULT_LEN);
	stop_competitors_wait();
	uint64_t bits;
	memcpy(&bits, &s, sizeof(bits));
	return bits;
}

static uint64_t result_before(const struct ex_param *p)
{
	return result_common(p, true);
}

static uint64_t result_after(const struct ex_param *p)
{
	return result_common(p, false);
}

static const struct ex_param params[] = {
    {"others=0", 0},
    {"others=1", 1},
};

const struct exercise ex07 = {
    .id = "ex07",
    .title = "runtime.Gosched() to give others a chance",
    .seed_claim = "~1.7x faster",
    .seed_ratio = 1.7,
    .rule = {"ns/op", true},
    .mechanism = "gosched_m: globrunqput + schedule() per call; alone "
		 "it finds itself again, with a competitor it waits out "
		 "the competitor's 10 ms slice",
    .param_name = "other goroutines",
    .params = params,
    .nparams = (int)(sizeof(params) / sizeof(params[0])),
    .procs = 1,
    .run = {run_before, run_after},
    .result = {result_before, result_after},
};

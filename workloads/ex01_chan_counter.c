/*
 * ex01 — channel send in a hot loop where an atomic would do.
 *
 * Before (the seed's Counter): a channel of int64 with 1024 slots and one
 * reducer goroutine ranging over it; Inc() sends 1. After: Inc() is an
 * atomic add on one int64 (atomic.Int64.Add, one LOCK XADD).
 *
 * Mechanism. In Go every Inc walks chansend (chan.go): lock(&c.lock), copy
 * the element into the ring (typedmemmove), and, when the reducer is
 * parked on recvq because the buffer ran dry, hand the value over and
 * goready it; when the buffer is full the producer gopark()s ("chan send")
 * until the reducer's chanrecv makes room. librt's rt_chan_send is built the
 * same way (chan.c: chansend, send/recv with a sudog, gopark/goready), so
 * the before pays a lock round trip, a copy and, every time one side
 * catches up with the other, a park and a ready; the after pays one atomic
 * RMW on a cache line the producers share. With producers=2 the before
 * also contends on hchan.lock and the after bounces the counter's line
 * between the two CPUs. The seed claims "~43× faster"; Go 1.19 on this
 * 2-CPU VM gives 4-9× (82 vs 13 ns/op with one producer, 98 vs 23 with
 * two, in one run; DESIGN.md says about 9×): a buffered chansend costs tens
 * of ns, not 40 atomics.
 *
 * When NOT (the seed): when the channel delivers a real value (struct,
 * pointer), not a tally; when the reducer must run a side effect once per
 * increment (logging, batching); when the channel is the synchronization
 * point with select elsewhere.
 *
 * Correctness gap (seed §16: "atomic counter where ordering with other
 * channel ops was load-bearing"): the reducer goroutine is a sequencing
 * point. Closing the channel ends the count: the reducer drains what was
 * sent, reports the total on a second channel, and any Inc that comes after
 * the close is refused loudly ("send on closed channel"), so the report is
 * final. The atomic has no such point: an Inc racing with shutdown lands
 * after the "final" read and is silently lost from the report. The reducer
 * also bounds how far a producer can run ahead of the reduction (1024
 * slots: the k-th receive happens before the (k+1024)-th send completes);
 * the atomic does not (not tested). tests/test_ex01_05.c:
 * test_ex01_late_inc_after_the_final_report_panics_before and
 * test_ex01_late_inc_after_the_final_report_is_lost_silently_after.
 */
#include <stdatomic.h>

#include "exercise.h"

/* The seed's buffer size. */
#define EX01_CHAN_CAP 1024

/* Result input: small enough for ASan, large enough to wrap the buffer
 * many times so the reducer parks and is readied. */
#define EX01_RESULT_INCS 20000

/* ---- before: Counter{ch chan int64} with a reducer goroutine ---------- */

/* ex01_counter is the seed's Counter plus what its reducer computes. */
struct ex01_counter {
	rt_chan *ch;   /* chan int64, cap 1024 */
	rt_chan *done; /* the reducer's final sum, cap 1 */
	int64_t sum;   /* owned by the reducer */
};

/* Sink: results escape, as Go's benchmarks store into a package var. */
int64_t ex01_sink;

static void ex01_reducer(void *arg)
{
	struct ex01_counter *c = arg;
	int64_t v;
	RT_CHAN_RANGE(c->ch, &v)
	{
		c->sum += v; /* reduce */
	}
	rt_chan_send(c->done, &c->sum);
}

/* ex01_counter_new mirrors NewCounter: make the channel, start the
 * reducer. The counter is in the GC heap, reachable from the reducer's
 * argument. */
struct ex01_counter *ex01_counter_new(void)
{
	struct ex01_counter *c = rt_mallocgc(sizeof(*c), 0);
	c->ch = rt_chan_make(sizeof(int64_t), EX01_CHAN_CAP);
	c->done = rt_chan_make(sizeof(int64_t), 1);
	rt_go(ex01_reducer, c);
	return c;
}

/* ex01_counter_inc is Inc: c.ch <- 1. */
void ex01_counter_inc(struct ex01_counter *c)
{
	int64_t one = 1;
	rt_chan_send(c->ch, &one);
}

/* ex01_counter_close closes the channel and returns the reducer's total,
 * received on the second channel once every sent count was reduced. */
int64_t ex01_counter_close(struct ex01_counter *c)
{
	int64_t total;
	rt_chan_close(c->ch);
	rt_chan_recv(c->done, &total);
	return total;
}

/* ---- after: atomic.Int64 ----------------------------------------------- */

_Atomic int64_t ex01_atomic_count;

void ex01_atomic_inc(void)
{
	atomic_fetch_add(&ex01_atomic_count, 1);
}

/* ---- producers ----------------------------------------------------------- */

struct ex01_producer {
	struct ex01_counter *c; /* NULL: the atomic */
	int64_t n;		/* Incs to do */
	rt_waitgroup *wg;	/* */
};

static void ex01_produce(void *arg)
{
	struct ex01_producer *p = arg;
	if (p->c != NULL) {
		for (int64_t i = 0; i < p->n; i++)
			ex01_counter_inc(p->c);
	} else {
		for (int64_t i = 0; i < p->n; i++)
			ex01_atomic_inc();
	}
	rt_waitgroup_done(p->wg);
}

/*
 * ex01_incs runs n Incs split over nprod producer goroutines (the first
 * takes the remainder) against c (NULL: the atomic) and waits for them.
 */
static void ex01_incs(struct ex01_counter *c, int64_t n, int nprod)
{
	struct ex01_producer *ps = rt_mallocgc(sizeof(*ps) * (size_t)nprod, 0);
	rt_waitgroup *wg = rt_mallocgc(sizeof(*wg), 0);
	rt_waitgroup_add(wg, nprod);
	for (int i = 0; i < nprod; i++) {
		ps[i] = (struct ex01_producer){c, n / nprod, wg};
		if (i == 0)
			ps[i].n += n % nprod;
		rt_go(ex01_produce, &ps[i]);
	}
	rt_waitgroup_wait(wg);
}

static void ex01_run_before(struct bench_b *b, const struct ex_param *p)
{
	bench_stop_timer(b);
	struct ex01_counter *c = ex01_counter_new();
	bench_start_timer(b);
	ex01_incs(c, b->n, (int)p->value);
	bench_stop_timer(b);
	/* at most 1024 counts are still in flight: drained untimed */
	ex01_sink = ex01_counter_close(c);
}

static void ex01_run_after(struct bench_b *b, const struct ex_param *p)
{
	bench_stop_timer(b);
	atomic_store(&ex01_atomic_count, 0);
	bench_start_timer(b);
	ex01_incs(NULL, b->n, (int)p->value);
	bench_stop_timer(b);
	ex01_sink = atomic_load(&ex01_atomic_count);
}

static uint64_t ex01_result_before(const struct ex_param *p)
{
	struct ex01_counter *c = ex01_counter_new();
	ex01_incs(c, EX01_RESULT_INCS, (int)p->value);
	return (uint64_t)ex01_counter_close(c);
}

static uint64_t ex01_result_after(const struct ex_param *p)
{
	atomic_store(&ex01_atomic_count, 0);
	ex01_incs(NULL, EX01_RESULT_INCS, (int)p->value);
	return (uint64_t)atomic_load(&ex01_atomic_count);
}

static const struct ex_param ex01_params[] = {
    {"producers=1", 1},
    {"producers=2", 2},
};

const struct exercise ex01 = {
    .id = "ex01",
    .title = "channel send in a hot loop where atomic would do",
    .seed_claim = "~43× faster",
    .seed_ratio = 43,
    .rule = {"ns/op", true},
    .mechanism = "chansend takes hchan.lock, copies the element and parks/"
		 "readies the reducer; atomic add is one LOCK XADD",
    .param_name = "producers",
    .params = ex01_params,
    .nparams = 2,
    .procs = 2,
    .run = {ex01_run_before, ex01_run_after},
    .result = {ex01_result_before, ex01_result_after},
};

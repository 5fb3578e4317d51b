/*
 * victim.h — a CPU-bound goroutine that measures what a stop of the world
 * costs the goroutines it stops (ex13, ex14).
 *
 * A stop-the-world is cheap for the goroutine that asks for it when every
 * other P is idle: there is nobody to stop. Its real price is paid by a
 * goroutine that is running on another P when the stop comes: it must be
 * preempted (librt, like Go, sends its thread a SIGURG and waits for it to
 * reach a safe point), it stays off the CPU for the whole pause, and only
 * start_the_world hands its P back. So ex13 and ex14 run one "victim": a
 * goroutine that never calls the runtime in its loop (only a signal can stop
 * it, as a tight Go loop needs async preemption) and that records the
 * largest gap between consecutive iterations. The figure is that largest gap
 * minus the smallest one (its normal iteration time): the worst delay the
 * run added to a goroutine that only wanted the CPU — EX_UNIT_VICTIM_LAT.
 *
 * The figure includes every delay, not only stops: a preemption by sysmon
 * after 10 ms, the host descheduling the VM's vCPU. That is what a latency-
 * sensitive goroutine would see; the before/after comparison, run on the
 * same machine, is what isolates the stops.
 *
 * The loop's work is plain arithmetic compiled into the program's own .text
 * (this header is static inline), where librt's preemption handler may stop
 * it; the clock read (rt_nanotime) lives in librt's rt_text, where it may
 * not, so the work chunk is made about a hundred times longer than the
 * clock read, keeping the unsafe window — which makes the stopper retry
 * after 100 µs — rare.
 *
 * The bench_b timer and the STW counters are read by the caller; the
 * stw_delta helpers turn two rt_read_stw_stats snapshots into the per-op
 * figures EX_UNIT_STW_PER_OP, EX_UNIT_PAUSE_OP and EX_UNIT_STW_MAX.
 */
#ifndef RT_VICTIM_H
#define RT_VICTIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "exercise.h"
#include "rt.h"

/* victim is the state shared between the victim goroutine and its owner. */
struct victim {
	atomic_bool stop;	    /* set by victim_stop */
	atomic_bool running;	    /* set after its first iteration */
	atomic_uint_fast64_t epoch; /* bumped by victim_mark: forget the past */
	rt_waitgroup wg;	    /* done when the goroutine ends */
	int64_t max_gap;	    /* largest gap since the last mark, ns */
	int64_t min_gap;	    /* smallest gap since the last mark, ns */
	uint64_t iters;		    /* iterations since the last mark */
	uint64_t sink;		    /* the work's result, so it is not elided */
};

/*
 * victim_work is one iteration's CPU work: xorshift rounds, a couple of
 * microseconds, long against the clock read that follows it.
 */
static __attribute__((noinline, unused)) uint64_t victim_work(uint64_t x)
{
	for (int i = 0; i < 2000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		__asm__ __volatile__("" : "+r"(x));
	}
	return x;
}

static inline void victim_main(void *arg)
{
	struct victim *v = arg;
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	uint64_t epoch = atomic_load(&v->epoch);
	int64_t maxgap = 0, mingap = INT64_MAX;
	uint64_t iters = 0;
	int64_t last = rt_nanotime();

	while (!atomic_load_explicit(&v->stop, memory_order_relaxed)) {
		x = victim_work(x);
		atomic_store_explicit(&v->running, true, memory_order_relaxed);
		int64_t now = rt_nanotime();
		uint64_t e =
		    atomic_load_explicit(&v->epoch, memory_order_acquire);
		if (e != epoch) {
			/* the owner marked the start of what it measures */
			epoch = e;
			maxgap = 0;
			mingap = INT64_MAX;
			iters = 0;
			last = now;
			continue;
		}
		int64_t gap = now - last;
		last = now;
		iters++;
		if (gap > maxgap)
			maxgap = gap;
		if (gap < mingap)
			mingap = gap;
	}
	/* published before wg's done, read after wg's wait */
	v->max_gap = maxgap;
	v->min_gap = mingap;
	v->iters = iters;
	v->sink = x;
	rt_waitgroup_done(&v->wg);
}

/* victim_start starts the victim goroutine and returns once it runs, so a
 * measurement that follows has the other P busy from its start. */
static inline void victim_start(struct victim *v)
{
	atomic_store(&v->stop, false);
	atomic_store(&v->running, false);
	v->max_gap = 0;
	v->min_gap = 0;
	v->iters = 0;
	rt_waitgroup_add(&v->wg, 1);
	rt_go(victim_main, v);
	while (!atomic_load(&v->running))
		rt_gosched();
}

/* victim_mark makes the victim forget what it saw so far: call it after
 * setup, right before the timed loop. */
static inline void victim_mark(struct victim *v)
{
	atomic_fetch_add_explicit(&v->epoch, 1, memory_order_release);
}

/*
 * victim_stop ends the victim and returns its worst delay since the last
 * mark (max gap minus normal iteration time), or -1 if it completed fewer
 * than two iterations since then (no gap to compare with).
 */
static inline int64_t victim_stop(struct victim *v)
{
	atomic_store(&v->stop, true);
	rt_waitgroup_wait(&v->wg);
	if (v->iters < 2)
		return -1;
	return v->max_gap - v->min_gap;
}

/* stw_report puts the stops of reason between two snapshots, over n ops,
 * into b's figures. max-stw-ns is the longest stop of that reason seen by
 * the process so far (librt keeps no per-interval maximum). */
static inline void stw_report(struct bench_b *b, enum rt_stw_reason reason,
			      const struct rt_stw_stats *before,
			      const struct rt_stw_stats *after)
{
	double n = (double)(b->n > 0 ? b->n : 1);
	bench_report_metric(
	    b, (double)(after->count[reason] - before->count[reason]) / n,
	    EX_UNIT_STW_PER_OP);
	bench_report_metric(
	    b, (double)(after->total_ns[reason] - before->total_ns[reason]) / n,
	    EX_UNIT_PAUSE_OP);
	bench_report_metric(b, (double)after->max_ns[reason], EX_UNIT_STW_MAX);
}

#endif /* RT_VICTIM_H */

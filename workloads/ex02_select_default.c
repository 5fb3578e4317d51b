/*
 * ex02 — select { case x := <-ch: …; default: } in a spin loop.
 *
 * Before (the seed): each consumer loops on a select over the message
 * channel and a stop channel with a default branch: when nothing is ready
 * it falls through default (which counts a "poll", the non-blocking work
 * such loops do) and tries again at once. After (the seed's fix): the same
 * select without default — a blocking select on the message and the stop
 * channel.
 *
 * Mechanism. Go's selectgo (select.go) builds pollorder and lockorder,
 * locks every case's channel (sellock), polls them, and with a default
 * unlocks and returns: the goroutine never parks and its M never sleeps,
 * so every spinner holds a P and a CPU at 100 % while no message comes.
 * Without default, selectgo enqueues a sudog on every channel's queue and
 * gopark()s ("select"); the M finds nothing runnable, stops spinning and
 * sleeps on a futex (stopm), so an idle process uses no CPU. rt_select
 * (select.c) has the same passes and the same park. The seed claims "on a
 * 16-core machine with 16 spinners, system CPU drops from 1600 % to ~0 %";
 * here GOMAXPROCS is 2, so the ceiling is 200 % and the sweep is 1 and 2
 * spinners.
 *
 * Workload: one producer sends b->n messages on an unbuffered channel,
 * sleeping 20 ms before each block of 1000 (a bursty queue: busy, then
 * idle). The figures: idle-cpu-% is the process CPU time
 * (CLOCK_PROCESS_CPUTIME_ID, every thread) divided by the wall time, over
 * the producer's sleeps only — the windows in which no message can arrive;
 * cpu-% is the same ratio over the whole timed run. ns/op is dominated by
 * the sleeps and is about the same for both variants: the seed's point is
 * the CPU, "throughput unchanged".
 *
 * When NOT (the seed): when there is genuinely non-blocking work on each
 * iteration (then a ticker case, not default); in a LockOSThread'd
 * goroutine where parking is unsafe.
 *
 * Correctness gap (seed §16: "blocking select that removes the non-blocking
 * case where work did happen on default"): the before's default branch did
 * work (here it counts polls: ex02_default_work); the blocking select never
 * runs it — whatever lived there silently stops. tests/test_ex01_05.c:
 * test_ex02_default_branch_work_happens_before_and_never_after.
 */
#include <stdatomic.h>
#include <time.h>

#include "exercise.h"

/* A block of messages, then an idle gap: a queue fed in bursts. 20 ms is
 * long against a scheduler quantum (sysmon preempts at 10 ms), so the
 * window sees the spinners' steady state. */
#define EX02_BURST  1000
#define EX02_GAP_NS (20LL * 1000 * 1000)
/* A work queue with some slack, as such queues have; it also matters for
 * the producer: see ex02_feed. */
#define EX02_CHAN_CAP 64

/* The result's input: a few short gaps, quick under ASan (with two
 * spinners every refill of the queue waits for a preemption). */
#define EX02_RESULT_MSGS   200
#define EX02_RESULT_BURST  100
#define EX02_RESULT_GAP_NS (1000LL * 1000)

/* Polls that fell through default (the "work on default"). */
_Atomic uint64_t ex02_default_work;
/* Sink for the messages' work. */
_Atomic uint64_t ex02_sink;

/* ex02_cpu_ns is the process's CPU time, all threads. */
static int64_t ex02_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct ex02_consumer {
	rt_chan *ch;	  /* chan uint64, cap 64; closed after the last */
	rt_chan *stop;	  /* the stop signal (cancellation; see ex02_feed) */
	uint64_t sum;	  /* this consumer's work */
	rt_waitgroup *wg; /* */
};

/* ex02_work stands for handling a message: fold it into the sum. */
static inline void ex02_work(struct ex02_consumer *c, uint64_t x)
{
	c->sum += x * 2654435761u;
}

/*
 * ex02_spin is the before: select with a default, in a loop. A consumer
 * returns when ch is closed and drained, or when stop is closed.
 */
static void ex02_spin(void *arg)
{
	struct ex02_consumer *c = arg;
	uint64_t x;
	bool ok;
	uint64_t polls = 0;
	struct rt_select_case cases[2] = {
	    {.c = c->ch, .dir = RT_SELECT_RECV, .elem = &x, .recv_ok = &ok},
	    {.c = c->stop, .dir = RT_SELECT_RECV},
	};
	for (;;) {
		int i = rt_select(cases, 2, true);
		if (i == 0) {
			if (!ok)
				break;
			ex02_work(c, x);
		} else if (i == 1) {
			break;
		} else {
			polls++; /* default: the non-blocking work */
		}
	}
	atomic_fetch_add(&ex02_default_work, polls);
	atomic_fetch_add(&ex02_sink, c->sum);
	rt_waitgroup_done(c->wg);
}

/* ex02_block is the after: the same select, blocking. */
static void ex02_block(void *arg)
{
	struct ex02_consumer *c = arg;
	uint64_t x;
	bool ok;
	struct rt_select_case cases[2] = {
	    {.c = c->ch, .dir = RT_SELECT_RECV, .elem = &x, .recv_ok = &ok},
	    {.c = c->stop, .dir = RT_SELECT_RECV},
	};
	for (;;) {
		int i = rt_select(cases, 2, false);
		if (i == 1 || !ok)
			break;
		ex02_work(c, x);
	}
	atomic_fetch_add(&ex02_sink, c->sum);
	rt_waitgroup_done(c->wg);
}

/* CPU and wall time over the idle windows. */
struct ex02_idle {
	int64_t cpu_ns;
	int64_t wall_ns;
};

/*
 * ex02_feed starts nspin consumers (spinning or blocking), sends msgs
 * messages 1..msgs sleeping gap_ns before each block of burst, closes ch
 * and waits for the consumers, which drain it first. Returns the sum of
 * their work; idle (may be NULL) accumulates the CPU and wall time of the
 * sleeps. The stop channel is the seed's "stop signal" case; nothing here
 * cancels, so it is never closed.
 *
 * With as many spinners as Ps, the producer runs only when sysmon
 * preempts a spinner (10 ms): after its sleep, and each time the queue is
 * full — a spinner's receive readies it into that spinner's P's runnext,
 * which the spinner never gives up. Go's scheduler does the same; the
 * buffer makes that one wait per 64 messages rather than per message.
 */
static uint64_t ex02_feed(bool spin, int nspin, int64_t msgs, int64_t burst,
			  int64_t gap_ns, struct ex02_idle *idle)
{
	rt_chan *ch = rt_chan_make(sizeof(uint64_t), EX02_CHAN_CAP);
	rt_chan *stop = rt_chan_make(0, 0);
	rt_waitgroup *wg = rt_mallocgc(sizeof(*wg), 0);
	struct ex02_consumer *cs = rt_mallocgc(sizeof(*cs) * (size_t)nspin, 0);
	rt_waitgroup_add(wg, nspin);
	for (int i = 0; i < nspin; i++) {
		cs[i] = (struct ex02_consumer){ch, stop, 0, wg};
		rt_go(spin ? ex02_spin : ex02_block, &cs[i]);
	}
	for (int64_t i = 0; i < msgs; i++) {
		if (i % burst == 0) {
			int64_t w0 = rt_nanotime(), c0 = ex02_cpu_ns();
			rt_sleep(gap_ns);
			if (idle != NULL) {
				idle->cpu_ns += ex02_cpu_ns() - c0;
				idle->wall_ns += rt_nanotime() - w0;
			}
		}
		uint64_t x = (uint64_t)i + 1;
		rt_chan_send(ch, &x);
	}
	rt_chan_close(ch);
	rt_waitgroup_wait(wg);
	uint64_t sum = 0;
	for (int i = 0; i < nspin; i++)
		sum += cs[i].sum;
	return sum;
}

static void ex02_run(struct bench_b *b, const struct ex_param *p, bool spin)
{
	struct ex02_idle idle = {0, 0};
	int64_t w0 = rt_nanotime(), c0 = ex02_cpu_ns();
	ex02_feed(spin, (int)p->value, b->n, EX02_BURST, EX02_GAP_NS, &idle);
	int64_t wall = rt_nanotime() - w0, cpu = ex02_cpu_ns() - c0;
	bench_stop_timer(b);
	bench_report_metric(b,
			    wall > 0 ? 100.0 * (double)cpu / (double)wall : 0,
			    EX_UNIT_CPU_PCT);
	bench_report_metric(b,
			    idle.wall_ns > 0 ? 100.0 * (double)idle.cpu_ns /
						   (double)idle.wall_ns
					     : 0,
			    EX_UNIT_IDLE_CPU);
}

static void ex02_run_before(struct bench_b *b, const struct ex_param *p)
{
	ex02_run(b, p, true);
}

static void ex02_run_after(struct bench_b *b, const struct ex_param *p)
{
	ex02_run(b, p, false);
}

static uint64_t ex02_result_before(const struct ex_param *p)
{
	return ex02_feed(true, (int)p->value, EX02_RESULT_MSGS,
			 EX02_RESULT_BURST, EX02_RESULT_GAP_NS, NULL);
}

static uint64_t ex02_result_after(const struct ex_param *p)
{
	return ex02_feed(false, (int)p->value, EX02_RESULT_MSGS,
			 EX02_RESULT_BURST, EX02_RESULT_GAP_NS, NULL);
}

/* ex02_feed_for_test lets the tests drive the exercise's own consumers. */
uint64_t ex02_feed_for_test(bool spin, int nspin, int64_t msgs, int64_t burst,
			    int64_t gap_ns)
{
	return ex02_feed(spin, nspin, msgs, burst, gap_ns, NULL);
}

static const struct ex_param ex02_params[] = {
    {"spinners=1", 1},
    {"spinners=2", 2},
};

const struct exercise ex02 = {
    .id = "ex02",
    .title = "select with default in a spin loop",
    .seed_claim = "system CPU drops from 1600% to ~0%",
    .seed_ratio = 0,
    .rule = {EX_UNIT_IDLE_CPU, true},
    .mechanism = "selectgo with default never parks: each spinner holds a P "
		 "and a CPU; a blocking select gopark()s and the M sleeps",
    .param_name = "spinners",
    .params = ex02_params,
    .nparams = 2,
    .procs = 2,
    .run = {ex02_run_before, ex02_run_after},
    .result = {ex02_result_before, ex02_result_after},
};

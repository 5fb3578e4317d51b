/*
 * ex03 — time.After in a select loop.
 *
 * Before (the seed): a handler goroutine loops on
 *	select { case msg := <-ch: handle(msg); case <-time.After(5s): return }
 * After: one Timer made before the loop; after each message it is stopped
 * (draining its channel if Stop says it already fired) and Reset to 5 s;
 * Stop on exit. Op = one message, sent by the benchmark goroutine on an
 * unbuffered channel; the handler also returns when ch is closed, so the
 * run ends without waiting out the idle timeout.
 *
 * Mechanism. time.After is NewTimer(d).C: a *Timer, a channel and a
 * runtime timer allocated per call (mallocgc), and startTimer → addtimer
 * takes the P's timers lock and sifts the timer up the P's 4-ary heap
 * (siftupTimer). Up to Go 1.22 the timer is a GC root from the heap until
 * it fires, so a loop that handles a message every microsecond keeps 5 s ×
 * 1e6/s = millions of timers and channels alive, and every addtimer sifts
 * through an ever larger heap. The after's Reset is modtimer on the same
 * timer: a re-sift in place, no allocation. librt's rt_after and
 * rt_timer_reset (time.c) are built the same way, and the figure
 * timers-left (rt_timer_heap_len: timers in the Ps' heaps when the run
 * ends, minus those before it) counts what the loop left behind: one per
 * message before, none after.
 *
 * RT_TIMER_GC=1 gives Go 1.23's timers instead: a timer channel's timer is
 * in a heap only while a goroutine is blocked receiving from it, so each
 * select of the before adds its timer when it parks and removes it when it
 * wakes, and an unreferenced timer is garbage at once: timers-left drops to
 * 0 in both variants, but the before still allocates a Timer and a channel
 * and does an addtimer/deltimer pair per message. Stop and Reset also
 * discard an unreceived value, which makes the drain dance unnecessary.
 *
 * The seed claims "~7.7× faster, allocation eliminated".
 *
 * When NOT (the seed): when the loop iterates rarely (once a minute), the
 * allocation is noise. (A deadline relative to each message still wants
 * Reset, so that is not a reason to keep time.After.)
 *
 * Correctness gap (seed §16: "Reset without the Stop+drain dance — the
 * timer fires twice"): up to Go 1.22, a timer that fired while the loop was
 * busy left its value in t.C; Reset without Stop+drain re-arms it and the
 * next select receives the stale value at once — a timeout nobody waited
 * for — and the new deadline fires again later. tests/test_ex01_05.c:
 * test_ex03_reset_without_stop_and_drain_fires_twice, against
 * test_ex03_stop_drain_reset_leaves_no_stale_value and (Go 1.23)
 * test_ex03_timer_gc_reset_discards_the_stale_value.
 */
#include "exercise.h"

/* The seed's idle timeout. */
#define EX03_TIMEOUT_NS (5LL * 1000 * 1000 * 1000)

/* The result's input. */
#define EX03_RESULT_MSGS 2000

int64_t ex03_sink;

struct ex03_handler {
	rt_chan *ch;   /* chan uint64, unbuffered; closed at the end */
	rt_chan *done; /* the handler's sum, cap 1 */
	uint64_t sum;  /* */
	bool timedout; /* returned through the idle timeout */
};

static inline void ex03_handle(struct ex03_handler *h, uint64_t msg)
{
	h->sum = h->sum * 31 + msg;
}

/* ex03_loop_after_each is the before: time.After in every select. */
static void ex03_loop_after_each(void *arg)
{
	struct ex03_handler *h = arg;
	uint64_t msg;
	bool ok;
	for (;;) {
		struct rt_select_case cases[2] = {
		    {.c = h->ch,
		     .dir = RT_SELECT_RECV,
		     .elem = &msg,
		     .recv_ok = &ok},
		    {.c = rt_after(EX03_TIMEOUT_NS), .dir = RT_SELECT_RECV},
		};
		int i = rt_select(cases, 2, false);
		if (i == 1) {
			h->timedout = true;
			break;
		}
		if (!ok)
			break; /* ch closed: the benchmark is over */
		ex03_handle(h, msg);
	}
	rt_chan_send(h->done, &h->sum);
}

/*
 * ex03_rearm is the Stop+drain+Reset dance. Up to Go 1.22, Stop returning
 * false means the timer fired and its value may be in t.C: drain it, or
 * the next receive sees it. The drain does not block (Go's idiom is
 * `<-t.C`, which blocks forever if the value was already received, and
 * with Go 1.23's timers Stop never leaves a value behind).
 */
void ex03_rearm(rt_timer *t, int64_t d)
{
	if (!rt_timer_stop(t)) {
		bool ok;
		rt_chan_tryrecv(t->C, NULL, &ok);
	}
	rt_timer_reset(t, d);
}

/* ex03_loop_one_timer is the after: one timer, Reset per message. */
static void ex03_loop_one_timer(void *arg)
{
	struct ex03_handler *h = arg;
	uint64_t msg;
	bool ok;
	rt_timer *t = rt_timer_new(EX03_TIMEOUT_NS);
	struct rt_select_case cases[2] = {
	    {.c = h->ch, .dir = RT_SELECT_RECV, .elem = &msg, .recv_ok = &ok},
	    {.c = t->C, .dir = RT_SELECT_RECV},
	};
	for (;;) {
		int i = rt_select(cases, 2, false);
		if (i == 1) {
			h->timedout = true;
			break;
		}
		if (!ok)
			break;
		ex03_handle(h, msg);
		ex03_rearm(t, EX03_TIMEOUT_NS);
	}
	rt_timer_stop(t);
	rt_chan_send(h->done, &h->sum);
}

/* ex03_serve starts the handler, sends msgs messages 1..msgs, closes ch
 * and returns the handler's sum once it has returned. */
static uint64_t ex03_serve(bool before, int64_t msgs, bool *timedout)
{
	struct ex03_handler *h = rt_mallocgc(sizeof(*h), 0);
	h->ch = rt_chan_make(sizeof(uint64_t), 0);
	h->done = rt_chan_make(sizeof(uint64_t), 1);
	rt_go(before ? ex03_loop_after_each : ex03_loop_one_timer, h);
	for (int64_t i = 0; i < msgs; i++) {
		uint64_t m = (uint64_t)i + 1;
		rt_chan_send(h->ch, &m);
	}
	rt_chan_close(h->ch);
	uint64_t sum;
	rt_chan_recv(h->done, &sum);
	if (timedout != NULL)
		*timedout = h->timedout;
	return sum;
}

static void ex03_run(struct bench_b *b, bool before)
{
	bench_stop_timer(b);
	size_t t0 = rt_timer_heap_len();
	bench_start_timer(b);
	ex03_sink = (int64_t)ex03_serve(before, b->n, NULL);
	bench_stop_timer(b);
	size_t t1 = rt_timer_heap_len();
	bench_report_metric(b, t1 > t0 ? (double)(t1 - t0) : 0,
			    EX_UNIT_TIMERS_LEFT);
}

static void ex03_run_before(struct bench_b *b, const struct ex_param *p)
{
	(void)p;
	ex03_run(b, true);
}

static void ex03_run_after(struct bench_b *b, const struct ex_param *p)
{
	(void)p;
	ex03_run(b, false);
}

static uint64_t ex03_result_before(const struct ex_param *p)
{
	(void)p;
	return ex03_serve(true, EX03_RESULT_MSGS, NULL);
}

static uint64_t ex03_result_after(const struct ex_param *p)
{
	(void)p;
	return ex03_serve(false, EX03_RESULT_MSGS, NULL);
}

const struct exercise ex03 = {
    .id = "ex03",
    .title = "time.After in a select loop",
    .seed_claim = "~7.7× faster, allocation eliminated",
    .seed_ratio = 7.7,
    .rule = {"ns/op", true},
    .mechanism = "time.After allocates a Timer+chan and addtimer()s per "
		 "iteration, kept until it fires; Reset re-sifts one timer",
    .param_name = NULL,
    .params = NULL,
    .nparams = 0,
    .procs = 0,
    .run = {ex03_run_before, ex03_run_after},
    .result = {ex03_result_before, ex03_result_after},
};

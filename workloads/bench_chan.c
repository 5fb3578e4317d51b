/*
 * bench_chan.c — channel, select and timer microbenchmarks of librt, in
 * `go test -bench` form, each paired by name with a Go benchmark in
 * workloads/go/chan_bench_test.go so `make bench` prints them side by side.
 *
 *	ChanPingPong         ping <- v; <-pong against a goroutine that
 *	                     answers, unbuffered channels (one round trip)
 *	ChanBuffered         c <- v; <-c on a chan of 128, one goroutine
 *	Select2OneReady      select { case v = <-c: c <- v; case <-never: }
 *	                     with c (cap 1) holding a value: one case ready;
 *	                     each op is the select and the refill send
 *	SelectDefaultEmpty   select { case <-c: default: } on an empty chan
 *	TimerNewStop         time.NewTimer(1h) + Stop
 *	TimerReset           Reset(1h) of one timer
 *	AfterLoop            c <- v; select { case <-c: case <-time.After(5s): }
 *	ResetLoop            the same with one timer Reset(5s) per op
 *
 * AfterLoop vs ResetLoop is Ex3 of the seed: each time.After makes a timer
 * and a channel that stay in the timer heap until they fire, 5 s later
 * (Go <= 1.22, and librt unless RT_TIMER_GC=1), so the heap grows with
 * the loop's rate; one timer Reset per op keeps one timer in the heap.
 * In a program that loops so, `rttrace trace` shows it as the timer heap's
 * length (not here: each benchmark runs in a forked child, and rttrace
 * traces only the process it started).
 *
 * SelectDefaultEmpty: Go compiles a select with one case and a default to
 * selectnbrecv, a non-blocking chanrecv, not selectgo; rt_chan_tryrecv is
 * that form. Select2OneReady has two cases, so both sides go through
 * selectgo.
 *
 * Every benchmark reports B/op and allocs/op, as bench_mem.c does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "rt.h"

#define SECOND 1000000000LL
#define HOUR   (3600 * SECOND)

/* read_allocs is bench_mem.c's: MemStats Mallocs/TotalAlloc, as -benchmem. */
static void read_allocs(uint64_t *objects, uint64_t *bytes)
{
	static struct rt_memstats ms; /* 4 KiB: not on the goroutine stack */

	rt_read_memstats(&ms);
	*objects = ms.mallocs;
	*bytes = ms.total_alloc;
}

static void fail(const char *what)
{
	fprintf(stderr, "%s\n", what);
	abort();
}

/* ---- ChanPingPong -------------------------------------------------------
 */

struct pingpong {
	rt_chan *ping, *pong;
	rt_waitgroup done;
};

/* pong_loop answers every ping: `for v := range ping { pong <- v + 1 }`. */
static void pong_loop(void *arg)
{
	struct pingpong *pp = arg;
	uint64_t v;

	while (rt_chan_recv(pp->ping, &v)) {
		v++;
		rt_chan_send(pp->pong, &v);
	}
	rt_waitgroup_done(&pp->done);
}

static void bench_chan_pingpong(struct bench_b *b)
{
	struct pingpong pp = {
	    .ping = rt_chan_make(sizeof(uint64_t), 0),
	    .pong = rt_chan_make(sizeof(uint64_t), 0),
	};
	uint64_t v;

	rt_waitgroup_add(&pp.done, 1);
	rt_go(pong_loop, &pp);
	bench_reset_timer(b);
	for (int64_t i = 0; i < b->n; i++) {
		v = (uint64_t)i;
		rt_chan_send(pp.ping, &v);
		rt_chan_recv(pp.pong, &v);
		if (v != (uint64_t)i + 1)
			fail("ChanPingPong: wrong value");
	}
	bench_stop_timer(b);
	rt_chan_close(pp.ping);
	rt_waitgroup_wait(&pp.done);
}

/* ---- ChanBuffered -------------------------------------------------------
 */

static void bench_chan_buffered(struct bench_b *b)
{
	rt_chan *c = rt_chan_make(sizeof(uint64_t), 128);
	uint64_t v = 0;

	bench_reset_timer(b);
	for (int64_t i = 0; i < b->n; i++) {
		v = (uint64_t)i;
		rt_chan_send(c, &v);
		rt_chan_recv(c, &v);
	}
	bench_stop_timer(b);
	if (v != (uint64_t)b->n - 1)
		fail("ChanBuffered: wrong value");
}

/* ---- Select2OneReady, SelectDefaultEmpty --------------------------------
 */

static void bench_select2_one_ready(struct bench_b *b)
{
	rt_chan *c = rt_chan_make(sizeof(uint64_t), 1);
	rt_chan *never = rt_chan_make(sizeof(uint64_t), 0);
	uint64_t v = 0;
	struct rt_select_case cases[2] = {
	    {c, RT_SELECT_RECV, &v, NULL},
	    {never, RT_SELECT_RECV, &v, NULL},
	};

	rt_chan_send(c, &v);
	bench_reset_timer(b);
	for (int64_t i = 0; i < b->n; i++) {
		if (rt_select(cases, 2, false) != 0)
			fail("Select2OneReady: wrong case");
		rt_chan_send(c, &v);
	}
	bench_stop_timer(b);
}

static void bench_select_default_empty(struct bench_b *b)
{
	rt_chan *c = rt_chan_make(sizeof(uint64_t), 0);
	uint64_t v;
	bool ok;

	bench_reset_timer(b);
	for (int64_t i = 0; i < b->n; i++)
		if (rt_chan_tryrecv(c, &v, &ok))
			fail("SelectDefaultEmpty: received");
	bench_stop_timer(b);
}

/* ---- TimerNewStop, TimerReset -------------------------------------------
 */

static void bench_timer_new_stop(struct bench_b *b)
{
	for (int64_t i = 0; i < b->n; i++) {
		rt_timer *t = rt_timer_new(HOUR);
		if (!rt_timer_stop(t))
			fail("TimerNewStop: timer not active");
	}
}

static void bench_timer_reset(struct bench_b *b)
{
	rt_timer *t = rt_timer_new(HOUR);

	bench_reset_timer(b);
	for (int64_t i = 0; i < b->n; i++)
		rt_timer_reset(t, HOUR);
	bench_stop_timer(b);
	rt_timer_stop(t);
}

/* ---- AfterLoop vs ResetLoop ---------------------------------------------
 */

static void bench_after_loop(struct bench_b *b)
{
	rt_chan *ch = rt_chan_make(sizeof(uint64_t), 1);
	uint64_t v = 0;

	bench_reset_timer(b);
	for (int64_t i = 0; i < b->n; i++) {
		rt_chan_send(ch, &v); /* ch is always ready */
		struct rt_select_case cases[2] = {
		    {ch, RT_SELECT_RECV, &v, NULL},
		    {rt_after(5 * SECOND), RT_SELECT_RECV, NULL, NULL},
		};
		if (rt_select(cases, 2, false) != 0)
			fail("AfterLoop: timer fired");
	}
	bench_stop_timer(b);
}

static void bench_reset_loop(struct bench_b *b)
{
	rt_chan *ch = rt_chan_make(sizeof(uint64_t), 1);
	rt_timer *t = rt_timer_new(5 * SECOND);
	uint64_t v = 0;
	struct rt_select_case cases[2] = {
	    {ch, RT_SELECT_RECV, &v, NULL},
	    {t->C, RT_SELECT_RECV, NULL, NULL},
	};

	bench_reset_timer(b);
	for (int64_t i = 0; i < b->n; i++) {
		rt_chan_send(ch, &v);
		rt_timer_reset(t, 5 * SECOND);
		if (rt_select(cases, 2, false) != 0)
			fail("ResetLoop: timer fired");
	}
	bench_stop_timer(b);
	rt_timer_stop(t);
}

static const struct bench benches[] = {
    {"ChanPingPong", 0, bench_chan_pingpong},
    {"ChanBuffered", 0, bench_chan_buffered},
    {"Select2OneReady", 0, bench_select2_one_ready},
    {"SelectDefaultEmpty", 0, bench_select_default_empty},
    {"TimerNewStop", 0, bench_timer_new_stop},
    {"TimerReset", 0, bench_timer_reset},
    {"AfterLoop", 0, bench_after_loop},
    {"ResetLoop", 0, bench_reset_loop},
};

int main(int argc, char **argv)
{
	bench_alloc_reader = read_allocs;
	return bench_main(argc, argv, benches,
			  sizeof(benches) / sizeof(benches[0]));
}

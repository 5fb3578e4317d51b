/*
 * bench_sched.c — scheduler microbenchmarks of librt, in `go test -bench`
 * form, each paired by name with a Go benchmark in
 * workloads/go/sched_bench_test.go so `make bench` can print them side by
 * side.
 *
 *	GoroutineCreate    go f() + WaitGroup join, one goroutine per op
 *	PingPong1P         round trip between two goroutines, GOMAXPROCS=1
 *	PingPong2P         the same with GOMAXPROCS=2
 *	Gosched            runtime.Gosched in a loop
 *	MutexUncontended   sync.Mutex Lock+Unlock, one goroutine
 *	NumGoroutineFew    runtime.NumGoroutine with only the benchmark's
 *	                   goroutine (and the harness's) alive
 *	NumGoroutine1000   the same with 1,000 more goroutines parked in a
 *	                   channel receive
 *
 * Ping-pong goes through two unbuffered rt_chan channels, as the Go peer
 * does through chans: gopark "chan receive"/"chan send", a direct hand-off
 * and goready onto the runnext slot on both sides. With GOMAXPROCS=2 the
 * readied G still lands in the waker's runnext, so the pair mostly shares
 * one P on both sides (a spinning M steals runnext only after a 3 us
 * grace); 2P adds the wakep and steal attempts of the idle P's M.
 *
 * NumGoroutine is gcount on both sides: allglen minus the free-G counts
 * (global and per P) minus system goroutines, O(GOMAXPROCS), no walk of
 * allgs; the two rows show that its cost does not grow with live
 * goroutines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "rt.h"

/* ---- GoroutineCreate ------------------------------------------------------
 */

static void create_child(void *arg)
{
	rt_waitgroup_done(arg);
}

/* bench_goroutine_create: wg.Add(1); go f(); wg.Wait() per op. */
static void bench_goroutine_create(struct bench_b *b)
{
	rt_waitgroup wg = {0};
	for (int64_t i = 0; i < b->n; i++) {
		rt_waitgroup_add(&wg, 1);
		rt_go(create_child, &wg);
		rt_waitgroup_wait(&wg);
	}
}

/* ---- PingPong -------------------------------------------------------------
 */

struct pingpong {
	rt_chan *ping, *pong;
	int64_t n;
	rt_waitgroup done;
};

/* pong_loop answers every ping: `for v := range ping { pong <- v }`. */
static void pong_loop(void *arg)
{
	struct pingpong *pp = arg;
	for (int64_t i = 0; i < pp->n; i++) {
		uint64_t v;
		rt_chan_recv(pp->ping, &v);
		v++;
		rt_chan_send(pp->pong, &v);
	}
	rt_waitgroup_done(&pp->done);
}

/* bench_pingpong: one op is ping <- v; <-pong. GOMAXPROCS comes from procs. */
static void bench_pingpong(struct bench_b *b)
{
	/* static: the channels must be visible to the GC (bss is a root) */
	static struct pingpong pp;
	pp = (struct pingpong){.n = b->n};
	pp.ping = rt_chan_make(sizeof(uint64_t), 0);
	pp.pong = rt_chan_make(sizeof(uint64_t), 0);
	rt_waitgroup_add(&pp.done, 1);
	rt_go(pong_loop, &pp);
	for (int64_t i = 0; i < b->n; i++) {
		uint64_t v = (uint64_t)i;
		rt_chan_send(pp.ping, &v);
		rt_chan_recv(pp.pong, &v);
		if (v != (uint64_t)i + 1) {
			fprintf(stderr, "pingpong: wrong value\n");
			abort();
		}
	}
	bench_stop_timer(b);
	rt_waitgroup_wait(&pp.done);
}

/* ---- Gosched --------------------------------------------------------------
 */

static void bench_gosched(struct bench_b *b)
{
	for (int64_t i = 0; i < b->n; i++) {
		rt_gosched();
	}
}

/* ---- MutexUncontended -----------------------------------------------------
 */

static void bench_mutex_uncontended(struct bench_b *b)
{
	rt_mutex mu = {0};
	for (int64_t i = 0; i < b->n; i++) {
		rt_mutex_lock(&mu);
		rt_mutex_unlock(&mu);
	}
}

/* ---- NumGoroutineFew, NumGoroutine1000 -----------------------------------
 */

/* parked is what the goroutines of num_goroutine share. */
struct parked {
	rt_chan *stop;	      /* closed to release them */
	rt_waitgroup started; /* each has started, on its way to park */
	rt_waitgroup done;    /* each has returned */
};

/* park_until_stop: `started.Done(); <-stop; done.Done()`. */
static void park_until_stop(void *arg)
{
	struct parked *pk = arg;
	uint8_t v;

	rt_waitgroup_done(&pk->started);
	rt_chan_recv(pk->stop, &v);
	rt_waitgroup_done(&pk->done);
}

static volatile int num_goroutine_sink;

/* num_goroutine: one rt_num_goroutine per op while `parked` goroutines
 * wait in a channel receive. pk lives on this goroutine's stack, which the
 * GC scans, so the channel stays reachable. */
static void num_goroutine(struct bench_b *b, int parked)
{
	struct parked pk = {.stop = rt_chan_make(1, 0)};

	rt_waitgroup_add(&pk.started, parked);
	rt_waitgroup_add(&pk.done, parked);
	for (int i = 0; i < parked; i++) {
		rt_go(park_until_stop, &pk);
	}
	rt_waitgroup_wait(&pk.started);
	if (rt_num_goroutine() < parked + 1) {
		fprintf(stderr, "NumGoroutine: %d < %d\n", rt_num_goroutine(),
			parked + 1);
		abort();
	}
	bench_reset_timer(b);
	for (int64_t i = 0; i < b->n; i++) {
		num_goroutine_sink = rt_num_goroutine();
	}
	bench_stop_timer(b);
	rt_chan_close(pk.stop);
	rt_waitgroup_wait(&pk.done);
}

static void bench_num_goroutine_few(struct bench_b *b)
{
	num_goroutine(b, 0);
}

static void bench_num_goroutine_1000(struct bench_b *b)
{
	num_goroutine(b, 1000);
}

static const struct bench benches[] = {
    {"GoroutineCreate", 0, bench_goroutine_create},
    {"PingPong1P", 1, bench_pingpong},
    {"PingPong2P", 2, bench_pingpong},
    {"Gosched", 0, bench_gosched},
    {"MutexUncontended", 0, bench_mutex_uncontended},
    {"NumGoroutineFew", 0, bench_num_goroutine_few},
    {"NumGoroutine1000", 0, bench_num_goroutine_1000},
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, benches,
			  sizeof(benches) / sizeof(benches[0]));
}

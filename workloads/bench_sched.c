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
 *
 * Ping-pong goes through two unbuffered rt_chan channels, as the Go peer
 * does through chans: gopark "chan receive"/"chan send", a direct hand-off
 * and goready onto the runnext slot on both sides.
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

static const struct bench benches[] = {
    {"GoroutineCreate", 0, bench_goroutine_create},
    {"PingPong1P", 1, bench_pingpong},
    {"PingPong2P", 2, bench_pingpong},
    {"Gosched", 0, bench_gosched},
    {"MutexUncontended", 0, bench_mutex_uncontended},
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, benches,
			  sizeof(benches) / sizeof(benches[0]));
}

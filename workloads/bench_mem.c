/*
 * bench_mem.c — memory microbenchmarks of librt, in `go test -bench` form,
 * each paired by name with a Go benchmark in
 * workloads/go/mem_bench_test.go so `make bench` prints them side by side.
 *
 *	AllocSmall       make([]byte, 64) escaping    rt_mallocgc(64, NOSCAN)
 *	Alloc64KiB       make([]byte, 64<<10)         rt_mallocgc(65536, NOSCAN)
 *	PoolGetPut       sync.Pool Get+Put of a       rt_pool_get+rt_pool_put
 *	                 *[]byte                      of an rt_slice
 *	GC64MiB          runtime.GC() with 64 MiB     rt_gc() with 64 MiB of
 *	                 of 64-byte list nodes live   64-byte list nodes live
 *	ReadMemStats     runtime.ReadMemStats         rt_read_memstats
 *	MetricsReadOne   metrics.Read of              rt_metrics_read of the
 *	                 "/gc/heap/allocs:bytes"      same name
 *
 * Every benchmark reports B/op and allocs/op (the harness reads
 * rt_read_memstats through bench_alloc_reader, as Go's -benchmem reads
 * MemStats). GC64MiB also reports the stop-the-world
 * pause per cycle, "pause-ns/op", from MemStats.PauseTotalNs on both sides.
 *
 * Results go to globals (sink, gc_root): both runtimes scan their data and
 * bss, so what the loop allocates escapes and stays reachable as in Go.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "rt.h"

/* sink keeps the last allocation reachable, as a package-level var does. */
static void *volatile sink;

/*
 * read_allocs is the harness's alloc reader: cumulative objects and bytes
 * from rt_read_memstats, as testing.B reads MemStats.Mallocs/TotalAlloc
 * (a stop-the-world at each timer start and stop, outside the timed
 * region). Not from the /gc/heap/allocs metrics: those count a small-object
 * span whole when an mcache takes it (as Go's do), so over a run they are
 * off by the slots left in the cached spans; ReadMemStats subtracts them.
 */
static void read_allocs(uint64_t *objects, uint64_t *bytes)
{
	static struct rt_memstats ms; /* 4 KiB: not on the goroutine stack */

	rt_read_memstats(&ms);
	*objects = ms.mallocs;
	*bytes = ms.total_alloc;
}

/* ---- AllocSmall, Alloc64KiB ---------------------------------------------
 */

static void bench_alloc_small(struct bench_b *b)
{
	for (int64_t i = 0; i < b->n; i++) {
		sink = rt_mallocgc(64, RT_MALLOC_NOSCAN);
	}
}

static void bench_alloc_64kib(struct bench_b *b)
{
	for (int64_t i = 0; i < b->n; i++) {
		sink = rt_mallocgc(64 << 10, RT_MALLOC_NOSCAN);
	}
}

/* ---- PoolGetPut ---------------------------------------------------------
 */

/* pool_new is the pool's New: a *[]byte of 64 bytes, as the Go peer's. */
static void *pool_new(void)
{
	rt_slice *s = rt_mallocgc(sizeof(*s), 0);
	s->ptr = rt_mallocgc(64, RT_MALLOC_NOSCAN);
	s->len = s->cap = 64;
	return s;
}

static rt_pool pool = {.new_fn = pool_new};

static void bench_pool_get_put(struct bench_b *b)
{
	for (int64_t i = 0; i < b->n; i++) {
		rt_slice *s = rt_pool_get(&pool);
		rt_pool_put(&pool, s);
	}
}

/* ---- GC64MiB ------------------------------------------------------------
 */

/* node is 64 bytes with one pointer, as the Go peer's node. */
struct node {
	struct node *next;
	uint64_t pad[7];
};

#define GC_LIVE_BYTES (64 << 20)

static struct node *gc_root; /* in bss: scanned, keeps the list alive */

/* build_list makes GC_LIVE_BYTES of nodes reachable from gc_root, once. */
static void build_list(void)
{
	if (gc_root != NULL) {
		return;
	}
	for (size_t i = 0; i < GC_LIVE_BYTES / sizeof(struct node); i++) {
		struct node *n = rt_mallocgc(sizeof(*n), 0);
		n->next = gc_root;
		gc_root = n;
	}
}

static void bench_gc_64mib(struct bench_b *b)
{
	struct rt_memstats ms;

	bench_stop_timer(b);
	build_list();
	rt_gc(); /* start from a collected heap, as the Go peer does */
	rt_read_memstats(&ms);
	uint64_t pause0 = ms.pause_total_ns;
	bench_start_timer(b);
	for (int64_t i = 0; i < b->n; i++) {
		rt_gc();
	}
	bench_stop_timer(b);
	rt_read_memstats(&ms);
	bench_report_metric(b, (double)(ms.pause_total_ns - pause0) / b->n,
			    "pause-ns/op");
}

/* ---- ReadMemStats, MetricsReadOne ---------------------------------------
 */

static struct rt_memstats memstats_sink;

static void bench_read_memstats(struct bench_b *b)
{
	for (int64_t i = 0; i < b->n; i++) {
		rt_read_memstats(&memstats_sink);
	}
}

static void bench_metrics_read_one(struct bench_b *b)
{
	struct rt_metric_sample s = {.name = "/gc/heap/allocs:bytes"};

	for (int64_t i = 0; i < b->n; i++) {
		rt_metrics_read(&s, 1);
	}
	if (s.kind != RT_METRIC_UINT64) {
		fprintf(stderr, "MetricsReadOne: %s unsupported\n", s.name);
		abort();
	}
}

static const struct bench benches[] = {
    {"AllocSmall", 0, bench_alloc_small},
    {"Alloc64KiB", 0, bench_alloc_64kib},
    {"PoolGetPut", 0, bench_pool_get_put},
    {"GC64MiB", 0, bench_gc_64mib},
    {"ReadMemStats", 0, bench_read_memstats},
    {"MetricsReadOne", 0, bench_metrics_read_one},
};

int main(int argc, char **argv)
{
	bench_alloc_reader = read_allocs;
	return bench_main(argc, argv, benches,
			  sizeof(benches) / sizeof(benches[0]));
}

/*
 * ex06_manual_gc.c — Exercise 6: runtime.GC() at the end of every request.
 *
 * Seed. Before: handleRequest() { serve(w, r); runtime.GC() } "to keep
 * memory bounded". After: no runtime.GC(); tune GOGC / GOMEMLIMIT instead.
 * Claim: "~600× faster on the request path", peak heap bounded.
 *
 * Mechanism. rt_gc() is runtime.GC(): gcStart, then a whole cycle — a
 * stop for sweep termination, marking, a stop for mark termination — and
 * sweeping to the end before it returns. librt marks with the world
 * stopped (mgc.c), Go marks concurrently between two short stops, but in
 * both the forced cycle costs the request what marking the whole live heap
 * costs: the ratio grows with the live heap, which is why it is the swept
 * parameter (a 150 KB service, an 8 MB cache, a 64 MB one). Without the
 * call, the pacer (gcControllerState / mgcpacer.c) collects once the heap
 * reaches live × (1 + GOGC/100) (at least 4 MiB), so a request pays a
 * cycle only every (goal − live) / (bytes per request) requests.
 *
 * What the variants report:
 *   peak-heap-B   the largest "/memory/classes/heap/objects:bytes" seen
 *                 (allocated minus freed: live data plus garbage not yet
 *                 swept, what the heap really holds), sampled every 16
 *                 requests and at the end. Not "/gc/heap/live:bytes": that
 *                 is the marked heap of the last cycle and never sees the
 *                 garbage between cycles, the very thing the trade-off is
 *                 about (peak ≈ 2 × live without the forced GC).
 *   pause-ns/op   stop-the-world time of GC stops (sweep termination +
 *                 mark termination, rt_read_stw_stats deltas) per request.
 *   max-stw-ns    the longest GC pause of a cycle of this run (both stops,
 *                 MemStats.PauseNs, as Go's peer reads it).
 *   gc/op         "/gc/cycles/total:gc-cycles" delta per request.
 *
 * When NOT (the seed): right before a benchmark or a memory-pressure test
 * that wants a known heap; after releasing a huge one-shot dataset. The
 * correctness gap (§16: "removing runtime.GC in a process that
 * legitimately needs to bound heap before a known-large operation") is
 * tests/test_ex06_10.c: test_ex06_gc_drops_released_heap (the live-bytes
 * metric stays at the dropped structure's size until a cycle runs; rt_gc
 * drops it) and test_ex06_gc_bounds_peak_of_next_load (the next large load
 * peaks at old + new without the rt_gc, at new with it).
 */
#include <string.h>

#include "exercise.h"

/* A response: a status, a few headers and a body, as net/http builds. */
struct header {
	const char *name;
	char *value; /* 32 B, GC heap */
	struct header *next;
};

struct response {
	int status;
	struct header *headers;
	uint8_t *body; /* BODY_BYTES, GC heap, no pointers */
	size_t len;
};

/*
 * A request allocates about 4.6 KiB in 18 objects: a 4 KiB body (a small
 * JSON/HTML response) and 8 headers of two objects each — what one
 * net/http handler typically allocates for a small response.
 */
enum {
	BODY_BYTES = 4096,
	NHEADERS = 8,
	VALUE_BYTES = 32,
	SAMPLE_EVERY = 16, /* heap samples: one per 16 requests */
};

static const char *const header_names[NHEADERS] = {
    "Content-Type", "Content-Length", "Cache-Control", "Date",
    "Server",	    "Vary",	      "X-Request-Id",  "Connection",
};

/* The escaping results, as a package-level sink in Go. */
static struct response *volatile sink_resp;
static volatile uint64_t sink_digest;

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * serve builds the response of request id and returns a digest of what
 * would go on the wire. Every object is garbage after the next request.
 */
static __attribute__((noinline)) uint64_t serve(uint64_t id)
{
	struct response *r = rt_mallocgc(sizeof(*r), 0);
	r->status = 200;
	for (int i = 0; i < NHEADERS; i++) {
		struct header *h = rt_mallocgc(sizeof(*h), 0);
		h->name = header_names[i];
		h->value = rt_mallocgc(VALUE_BYTES, RT_MALLOC_NOSCAN);
		uint64_t v = mix64(id * NHEADERS + (uint64_t)i);
		for (int j = 0; j < VALUE_BYTES - 1; j++)
			h->value[j] = (char)('a' + (v >> (j % 60)) % 26);
		h->next = r->headers;
		r->headers = h;
	}
	r->body = rt_mallocgc(BODY_BYTES, RT_MALLOC_NOSCAN);
	r->len = BODY_BYTES;
	uint64_t *w = (uint64_t *)r->body;
	uint64_t x = id + 1;
	for (size_t i = 0; i < BODY_BYTES / 8; i++) {
		x = mix64(x + i);
		w[i] = x;
	}
	/* "write" it: the digest of the body and the header values */
	uint64_t d = (uint64_t)r->status;
	for (size_t i = 0; i < BODY_BYTES / 8; i++)
		d = (d ^ w[i]) * 0x100000001b3ULL;
	for (struct header *h = r->headers; h != NULL; h = h->next)
		d = (d ^ (uint64_t)(unsigned char)h->value[0]) *
		    0x100000001b3ULL;
	sink_resp = r;
	return d;
}

/*
 * The long-lived structure: a cache of 64-byte entries (key, value,
 * chain pointer) indexed by one pointer table, all reachable from the
 * global `live`, so that every cycle marks it all, pointer by pointer.
 */
struct entry {
	uint64_t key;
	uint64_t val[5];
	struct entry *next;
};

static struct {
	int64_t bytes;	      /* the size it was built for; 0: none */
	struct entry **table; /* GC heap; the root */
	size_t n;	      /* entries */
} live;

static void build_live(int64_t bytes)
{
	if (live.bytes == bytes)
		return;
	live.table = NULL;
	live.bytes = 0;
	size_t n = (size_t)bytes / (sizeof(struct entry) + sizeof(void *));
	struct entry **t = rt_mallocgc(n * sizeof(*t), 0);
	for (size_t i = 0; i < n; i++) {
		struct entry *e = rt_mallocgc(sizeof(*e), 0);
		e->key = i;
		for (int j = 0; j < 5; j++)
			e->val[j] = mix64(i * 5 + (uint64_t)j);
		/* chain every 8th entry to its neighbour: a map's buckets */
		e->next = (i % 8 != 0) ? t[i - 1] : NULL;
		t[i] = e;
	}
	live.table = t;
	live.n = n;
	live.bytes = bytes;
}

/* live_checksum walks the structure: a GC that freed or moved part of it
 * would change the answer. */
static uint64_t live_checksum(void)
{
	uint64_t s = 0;
	for (size_t i = 0; i < live.n; i++) {
		const struct entry *e = live.table[i];
		s += e->key ^ e->val[i % 5];
		if (e->next != NULL)
			s += e->next->key;
	}
	return s;
}

static uint64_t metric_u64(const char *name)
{
	struct rt_metric_sample s = {.name = name};
	rt_metrics_read(&s, 1);
	return s.value.u64;
}

static uint64_t heap_bytes(void)
{
	return metric_u64("/memory/classes/heap/objects:bytes");
}

static uint64_t gc_stw_ns(void)
{
	struct rt_stw_stats st;
	rt_read_stw_stats(&st);
	return st.total_ns[RT_STW_GC_SWEEP_TERM] +
	       st.total_ns[RT_STW_GC_MARK_TERM];
}

/* The run's counters, read before and after the timed loop. */
struct gcwatch {
	uint64_t cycles;
	uint64_t stw_ns;
	uint64_t peak;
};

static void watch_start(struct gcwatch *w)
{
	w->cycles = metric_u64("/gc/cycles/total:gc-cycles");
	w->stw_ns = gc_stw_ns();
	w->peak = heap_bytes();
}

/* watch_report reports the figures; the timer is stopped. */
static void watch_report(struct bench_b *b, const struct gcwatch *w)
{
	static struct rt_memstats ms; /* 4 KiB: not on the goroutine stack */
	uint64_t cycles = metric_u64("/gc/cycles/total:gc-cycles") - w->cycles;
	uint64_t stw = gc_stw_ns() - w->stw_ns;
	uint64_t peak = w->peak;
	uint64_t h = heap_bytes();
	if (h > peak)
		peak = h;

	/* the longest pause among this run's cycles (the last 256 at most) */
	rt_read_memstats(&ms);
	uint64_t maxpause = 0;
	for (uint64_t k = 0; k < cycles && k < 256; k++) {
		uint64_t p = ms.pause_ns[(ms.num_gc - 1 - k) % 256];
		if (p > maxpause)
			maxpause = p;
	}
	double n = (double)b->n;
	bench_report_metric(b, (double)peak, EX_UNIT_PEAK_HEAP);
	bench_report_metric(b, (double)stw / n, EX_UNIT_PAUSE_OP);
	bench_report_metric(b, (double)maxpause, EX_UNIT_STW_MAX);
	bench_report_metric(b, (double)cycles / n, EX_UNIT_GC_PER_OP);
}

/* setup builds the live structure, then cleans the heap, as testing.B's
 * runN calls runtime.GC() before each run, and starts watching; the
 * request path pays none of it. */
static void setup(struct bench_b *b, const struct ex_param *p,
		  struct gcwatch *w)
{
	bench_stop_timer(b);
	build_live(p->value);
	rt_gc();
	watch_start(w);
	bench_start_timer(b);
}

static void run_before(struct bench_b *b, const struct ex_param *p)
{
	struct gcwatch w;
	setup(b, p, &w);
	for (int64_t i = 0; i < b->n; i++) {
		/* handleRequest */
		sink_digest = serve((uint64_t)i);
		rt_gc(); /* "to keep memory bounded" */
		if (i % SAMPLE_EVERY == 0) {
			uint64_t h = heap_bytes();
			if (h > w.peak)
				w.peak = h;
		}
	}
	bench_stop_timer(b);
	watch_report(b, &w);
}

static void run_after(struct bench_b *b, const struct ex_param *p)
{
	struct gcwatch w;
	setup(b, p, &w);
	for (int64_t i = 0; i < b->n; i++) {
		/* handleRequest */
		sink_digest = serve((uint64_t)i);
		if (i % SAMPLE_EVERY == 0) {
			uint64_t h = heap_bytes();
			if (h > w.peak)
				w.peak = h;
		}
	}
	bench_stop_timer(b);
	watch_report(b, &w);
}

/*
 * The answer: the digests of 32 requests plus the live structure's
 * checksum after them (a collection must not have touched it). The live
 * structure is capped at 256 KiB here: the answer does not depend on its
 * size, and 64 MB would take seconds to build under ASan.
 */
enum { RESULT_REQUESTS = 32, RESULT_LIVE_CAP = 256 << 10 };

static uint64_t result_common(const struct ex_param *p, bool force)
{
	build_live(p->value < RESULT_LIVE_CAP ? p->value : RESULT_LIVE_CAP);
	uint64_t d = 0;
	for (int i = 0; i < RESULT_REQUESTS; i++) {
		d += serve((uint64_t)i);
		if (force)
			rt_gc();
	}
	return d ^ live_checksum();
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
    {"live=150KB", 150 << 10},
    {"live=8MB", 8 << 20},
    {"live=64MB", 64 << 20},
};

const struct exercise ex06 = {
    .id = "ex06",
    .title = "runtime.GC() after every request",
    .seed_claim = "~600x faster on the request path",
    .seed_ratio = 600,
    .rule = {"ns/op", true},
    .mechanism = "a forced cycle marks the whole live heap with the world "
		 "stopped on every request; the pacer runs one per "
		 "(goal-live)/bytes-per-request requests",
    .param_name = "live heap",
    .params = params,
    .nparams = (int)(sizeof(params) / sizeof(params[0])),
    .procs = 0,
    .run = {run_before, run_after},
    .result = {result_before, result_after},
};

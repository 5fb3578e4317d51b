/*
 * ex13_read_memstats.c — Exercise 13: runtime.ReadMemStats per request.
 *
 * Before (the seed): handleRequest = serve(), then
 * runtime.ReadMemStats(&ms) and tracer.RecordHeapInUse(ms.HeapInuse).
 * After: runtime/metrics.Read of the samples whose sum is HeapInuse —
 * "/memory/classes/heap/objects:bytes" + "/memory/classes/heap/unused:bytes"
 * (Go's documented mapping) — into a slice local to the request.
 *
 * Mechanism. ReadMemStats runs readmemstats_m under
 * stopTheWorld("read mem stats") (runtime/mstats.go): every P must stop,
 * so every goroutine running elsewhere is preempted (a SIGURG, then the
 * wait for it to reach a safe point), stays off its CPU for the pause, and
 * resumes when startTheWorld hands the Ps back. librt's rt_read_memstats
 * does the same (runtime/mstats.c, stop_the_world with
 * RT_STW_READ_MEM_STATS; the stw_start/stw_done probes bracket it).
 * metrics.Read, and rt_metrics_read, load each counter atomically: no stop.
 *
 * What a stop costs depends on who is running, so the sweep is the other
 * P (this exercise runs with GOMAXPROCS 2): "idle" — the stop only
 * bookkeeps an idle P, the cheap case a microbenchmark sees; "busy" — a
 * CPU-bound goroutine (workloads/victim.h) runs there, must be preempted by
 * every stop, and records the worst delay it suffered (EX_UNIT_VICTIM_LAT).
 * Figures: stops per op, pause per op and the longest pause, from
 * rt_read_stw_stats deltas for RT_STW_READ_MEM_STATS.
 *
 * serve() is the request's own work, the same in both: build a 512-byte
 * response (a small JSON body) and checksum it — small on purpose, as the
 * seed's benchmark isolates the stats call. It does not allocate: a GC
 * cycle triggered by the requests would stop the world too (and take the
 * other P for its mark worker), so the victim's worst delay could not be
 * told apart from the variant's own stops.
 *
 * When NOT (the seed): when you need a coherent snapshot across many
 * counters; one-shot tools where the pause is irrelevant; tests that
 * profile the heap precisely after a known point.
 *
 * Correctness gap (seed §16): "metrics.Read (Ex. 13) consuming the same
 * slice from multiple goroutines (it mutates the slice)". Hoisting the
 * samples slice to a package-level var "to save the allocation" makes the
 * handlers share it: Read writes each sample's kind and value in place, so
 * a handler that reads and then records can record another handler's
 * value. tests/test_ex11_14.c: shared_samples_return_another_goroutines_value
 * forces that interleaving deterministically.
 */
#include <string.h>

#include "ex11_14.h"
#include "victim.h"

/* ---- serve -------------------------------------------------------------- */

/* 512 bytes: a small JSON response body. */
enum { RESP_SIZE = 512 };

/* resp_sink is the response as written to the connection. */
static uint64_t volatile resp_sink[RESP_SIZE / 8];

static __attribute__((noinline)) uint64_t serve(uint64_t req)
{
	uint64_t resp[RESP_SIZE / 8]; /* does not escape: on the stack */
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < RESP_SIZE / 8; i++) {
		resp[i] = req * 0x9E3779B97F4A7C15ULL + (uint64_t)i;
		h = (h ^ resp[i]) * 0x100000001b3ULL;
	}
	for (int i = 0; i < RESP_SIZE / 8; i++)
		resp_sink[i] = resp[i];
	return h;
}

/* ---- the tracer ------------------------------------------------------- */

/* tracer_heap_inuse is the tracing system's gauge; recorded counts the
 * records, and records_positive those with a non-zero heap. */
static uint64_t volatile tracer_heap_inuse;
static uint64_t recorded, records_positive;

static inline void tracer_record_heap_inuse(uint64_t v)
{
	tracer_heap_inuse = v;
	recorded++;
	records_positive += v > 0;
}

/* ---- the two handlers ----------------------------------------------- */

static __attribute__((noinline)) uint64_t handle_before(uint64_t req)
{
	uint64_t d = serve(req);
	struct rt_memstats ms; /* on the handler's stack, as Go's var ms */
	rt_read_memstats(&ms);
	tracer_record_heap_inuse(ms.heap_inuse);
	return d;
}

static const char *const heap_inuse_names[EX13_NSAMPLES] = {
    "/memory/classes/heap/objects:bytes",
    "/memory/classes/heap/unused:bytes",
};

void ex13_samples_init(struct rt_metric_sample s[EX13_NSAMPLES])
{
	for (int i = 0; i < EX13_NSAMPLES; i++)
		s[i] = (struct rt_metric_sample){.name = heap_inuse_names[i]};
}

void ex13_read(struct rt_metric_sample s[EX13_NSAMPLES])
{
	rt_metrics_read(s, EX13_NSAMPLES);
}

uint64_t ex13_heap_inuse(const struct rt_metric_sample s[EX13_NSAMPLES])
{
	uint64_t sum = 0;
	for (int i = 0; i < EX13_NSAMPLES; i++)
		if (s[i].kind == RT_METRIC_UINT64)
			sum += s[i].value.u64;
	return sum;
}

static __attribute__((noinline)) uint64_t handle_after(uint64_t req)
{
	uint64_t d = serve(req);
	struct rt_metric_sample s[EX13_NSAMPLES]; /* the request's own */
	ex13_samples_init(s);
	ex13_read(s);
	tracer_record_heap_inuse(ex13_heap_inuse(s));
	return d;
}

typedef uint64_t (*handler_fn)(uint64_t req);
static const handler_fn handlers[EX_NVARIANTS] = {handle_before, handle_after};

static uint64_t volatile digest_sink;

static void run(struct bench_b *b, const struct ex_param *p, enum ex_variant v)
{
	handler_fn handle = handlers[v];
	struct victim vic = {0};
	struct rt_stw_stats s0, s1;
	bool busy = p->value != 0;

	bench_stop_timer(b);
	if (busy) {
		victim_start(&vic);
		victim_mark(&vic);
	}
	rt_read_stw_stats(&s0);
	bench_start_timer(b);
	uint64_t d = 0;
	for (int64_t i = 0; i < b->n; i++)
		d += handle((uint64_t)i);
	bench_stop_timer(b);
	rt_read_stw_stats(&s1);
	digest_sink = d;
	stw_report(b, RT_STW_READ_MEM_STATS, &s0, &s1);
	if (busy) {
		int64_t lat = victim_stop(&vic);
		if (lat >= 0)
			bench_report_metric(b, (double)lat, EX_UNIT_VICTIM_LAT);
	}
}

static void run_before(struct bench_b *b, const struct ex_param *p)
{
	run(b, p, EX_BEFORE);
}

static void run_after(struct bench_b *b, const struct ex_param *p)
{
	run(b, p, EX_AFTER);
}

/*
 * The result: RESULT_REQS requests (with the victim running for "busy"):
 * the digest of the responses served, plus the number of records whose
 * heap gauge was positive — every one, in both variants, since the heap
 * holds at least the response just allocated.
 */
enum { RESULT_REQS = 16 };

static uint64_t result(const struct ex_param *p, enum ex_variant v)
{
	struct victim vic = {0};
	bool busy = p->value != 0;
	if (busy)
		victim_start(&vic);
	uint64_t before = records_positive, d = 0;
	for (uint64_t i = 0; i < RESULT_REQS; i++)
		d += handlers[v](i);
	if (busy)
		victim_stop(&vic);
	return d + (records_positive - before);
}

static uint64_t result_before(const struct ex_param *p)
{
	return result(p, EX_BEFORE);
}

static uint64_t result_after(const struct ex_param *p)
{
	return result(p, EX_AFTER);
}

static const struct ex_param params[] = {
    {"otherP=idle", 0},
    {"otherP=busy", 1},
};

const struct exercise ex13 = {
    .id = "ex13",
    .title = "runtime.ReadMemStats per request",
    .seed_claim = "~8700× faster. No STW.",
    .seed_ratio = 8700,
    .rule = {"ns/op", true},
    .mechanism = "ReadMemStats stops the world (readmemstats_m under "
		 "stopTheWorld), preempting every running G; metrics.Read "
		 "loads counters atomically",
    .param_name = "other P",
    .params = params,
    .nparams = 2,
    .procs = 2,
    .run = {run_before, run_after},
    .result = {result_before, result_after},
};

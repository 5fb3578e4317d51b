/*
 * ex05 — a goroutine per item.
 *
 * Before (the seed's Enrich): one goroutine per row, joined with a
 * WaitGroup, each writing out[i] = enrich(r). After (the seed's fix): a
 * pool of min(GOMAXPROCS, len(rows)) workers fed through a channel of
 * jobs {i, r} with as many slots as workers; close, then Wait. Op = one
 * Enrich call over the whole batch (ns/op is per call).
 *
 * Mechanism. Each `go` is newproc: a G from the P's free list (gfget) or
 * a new one with a stack, its closure allocated (Go 1.17+ wraps `go f(i,
 * r)` in a heap closure; here one rt_mallocgc per row), runqput, and later
 * schedule/execute, goexit and gfput, plus a WaitGroup Done on a shared
 * counter. The spawner outruns the workers, so thousands of Gs are live at
 * once, each holding a stack (Go: 2 KiB growing; librt: a fixed 64 KiB
 * mmap'ed stack, kept on the free list). The pool pays instead one channel
 * send and receive per row (chansend/chanrecv, with parks when the
 * buffer is full or empty) and starts GOMAXPROCS goroutines per call.
 * Figures: peak-goroutines (rt_num_goroutine, Go's NumGoroutine) and
 * peak-stack-B (/memory/classes/heap/stacks:bytes), both sampled by the
 * spawner in one extra, untimed call after the timed ones. The seed gives
 * no ratio: "10k × ~2 KB stack + scheduler bookkeeping per request".
 *
 * enrich(r) is a deterministic hash of the row, ~100-200 ns: it stands for
 * in-process enrichment (a lookup and some formatting), the regime where
 * the per-goroutine cost (hundreds of ns) is comparable to the work. With
 * a real network call (ms per row) the scheduling cost disappears in the
 * wait and the question becomes concurrency limits, not overhead.
 *
 * When NOT (the seed, §16): "worker pool on a 50-row batch" — a premature
 * optimization; the sweep has rows=50 beside rows=10000.
 *
 * Correctness gap (seed §16: "worker pool without context.Context
 * cancellation — one error doesn't stop the batch"): enrich fails on a
 * poisoned row; the pool (like the goroutine-per-row version) has no way
 * to stop the others, so after row 0 fails every remaining row is still
 * enriched. tests/test_ex01_05.c: test_ex05_one_error_does_not_stop_the_batch.
 */
#include <stdatomic.h>

#include "exercise.h"

/* A row whose enrichment fails (the gap test's error). */
#define EX05_POISON UINT64_MAX

/* Rounds of the enrichment hash: ~100-200 ns (see above). */
#define EX05_ROUNDS 48

struct ex05_row {
	uint64_t id;
	uint64_t a, b;
	char name[16];
};

struct ex05_enriched {
	uint64_t id;
	uint64_t score;
};

/* ex05_enrich computes the row's score; false (an error) for a poisoned
 * row. A dependent chain of multiply-xorshift rounds: it cannot be
 * vectorized or folded, so its cost is fixed. */
static bool ex05_enrich(const struct ex05_row *r, struct ex05_enriched *e)
{
	if (r->id == EX05_POISON)
		return false;
	uint64_t h = r->id ^ 0x9E3779B97F4A7C15ULL;
	for (int i = 0; i < EX05_ROUNDS; i++) {
		h ^= h >> 29;
		h *= 0xBF58476D1CE4E5B9ULL;
		h ^= r->a + (uint64_t)(unsigned char)r->name[i & 15];
		h += r->b;
	}
	e->id = r->id;
	e->score = h;
	return true;
}

/* ex05_batch is the state one Enrich call shares with its goroutines. */
struct ex05_batch {
	struct ex05_enriched *out; /* len(rows) results */
	rt_waitgroup wg;	   /* */
	_Atomic uint64_t attempts; /* enrich calls made */
	_Atomic uint64_t errors;   /* enrich calls that failed */
	rt_chan *jobs;		   /* the pool's channel */
};

/* ex05_peak is what the instrumented call samples (NULL: not sampled). */
struct ex05_peak {
	int goroutines;
	uint64_t stack_bytes;
};

static void ex05_sample(struct ex05_peak *pk)
{
	struct rt_metric_sample s = {.name =
					 "/memory/classes/heap/stacks:bytes"};
	int n = rt_num_goroutine();
	rt_metrics_read(&s, 1);
	if (n > pk->goroutines)
		pk->goroutines = n;
	if (s.value.u64 > pk->stack_bytes)
		pk->stack_bytes = s.value.u64;
}

static void ex05_do(struct ex05_batch *b, const struct ex05_row *r, size_t i)
{
	atomic_fetch_add_explicit(&b->attempts, 1, memory_order_relaxed);
	if (!ex05_enrich(r, &b->out[i]))
		atomic_fetch_add_explicit(&b->errors, 1, memory_order_relaxed);
}

/* ---- before: a goroutine per row ---------------------------------------- */

/* ex05_item is the closure of `go func(i int, r Row){…}(i, r)`: i and a
 * copy of r, allocated per goroutine as Go allocates the closure. */
struct ex05_item {
	struct ex05_batch *b;
	size_t i;
	struct ex05_row r;
};

static void ex05_item_main(void *arg)
{
	struct ex05_item *it = arg;
	ex05_do(it->b, &it->r, it->i);
	rt_waitgroup_done(&it->b->wg);
}

static void ex05_per_item(struct ex05_batch *b, const struct ex05_row *rows,
			  size_t n, struct ex05_peak *pk)
{
	for (size_t i = 0; i < n; i++) {
		rt_waitgroup_add(&b->wg, 1);
		struct ex05_item *it = rt_mallocgc(sizeof(*it), 0);
		*it = (struct ex05_item){b, i, rows[i]};
		rt_go(ex05_item_main, it);
		if (pk != NULL)
			ex05_sample(pk);
	}
	rt_waitgroup_wait(&b->wg);
}

/* ---- after: a worker pool ---------------------------------------------- */

struct ex05_job {
	size_t i;
	struct ex05_row r;
};

static void ex05_worker(void *arg)
{
	struct ex05_batch *b = arg;
	struct ex05_job j;
	RT_CHAN_RANGE(b->jobs, &j)
	{
		ex05_do(b, &j.r, j.i);
	}
	rt_waitgroup_done(&b->wg);
}

static void ex05_pool(struct ex05_batch *b, const struct ex05_row *rows,
		      size_t n, struct ex05_peak *pk)
{
	size_t workers = (size_t)rt_gomaxprocs();
	if (workers > n)
		workers = n;
	b->jobs = rt_chan_make(sizeof(struct ex05_job), workers);
	for (size_t w = 0; w < workers; w++) {
		rt_waitgroup_add(&b->wg, 1);
		rt_go(ex05_worker, b);
	}
	for (size_t i = 0; i < n; i++) {
		struct ex05_job j = {i, rows[i]};
		rt_chan_send(b->jobs, &j);
		if (pk != NULL)
			ex05_sample(pk);
	}
	rt_chan_close(b->jobs);
	rt_waitgroup_wait(&b->wg);
}

/*
 * ex05_enrich_batch is Enrich: out gets len(rows) results, from a
 * goroutine per row (before) or the pool (after). Returns how many rows
 * were enriched (attempted) and sets *errors to how many failed.
 */
static uint64_t ex05_enrich_batch(bool before, const struct ex05_row *rows,
				  size_t n, struct ex05_enriched **outp,
				  uint64_t *errors, struct ex05_peak *pk)
{
	struct ex05_batch *b = rt_mallocgc(sizeof(*b), 0);
	b->out = rt_mallocgc(n * sizeof(*b->out), RT_MALLOC_NOSCAN);
	if (before)
		ex05_per_item(b, rows, n, pk);
	else
		ex05_pool(b, rows, n, pk);
	if (outp != NULL)
		*outp = b->out;
	if (errors != NULL)
		*errors = atomic_load(&b->errors);
	return atomic_load(&b->attempts);
}

/* ex05_rows makes n deterministic rows (GC heap, pointer-free). */
static struct ex05_row *ex05_rows(size_t n)
{
	struct ex05_row *rows =
	    rt_mallocgc(n * sizeof(*rows), RT_MALLOC_NOSCAN);
	for (size_t i = 0; i < n; i++) {
		rows[i].id = i + 1;
		rows[i].a = i * 7919;
		rows[i].b = i ^ 0x5bd1e995;
		snprintf(rows[i].name, sizeof(rows[i].name), "row-%u",
			 (unsigned)(i % 1000000000u));
	}
	return rows;
}

struct ex05_enriched *ex05_sink;

/*
 * ex05_enrich_poisoned runs Enrich (before or after) over n rows whose row
 * bad fails; returns the rows enriched (attempted), sets *errors to the
 * failures and *enriched_ok to the rows whose result was written. For the
 * gap test: nothing cancels the batch after the first error.
 */
uint64_t ex05_enrich_poisoned(bool before, size_t n, size_t bad,
			      uint64_t *errors, uint64_t *enriched_ok)
{
	struct ex05_row *rows = ex05_rows(n);
	struct ex05_enriched *out;
	rows[bad].id = EX05_POISON;
	uint64_t attempts =
	    ex05_enrich_batch(before, rows, n, &out, errors, NULL);
	uint64_t ok = 0;
	for (size_t i = 0; i < n; i++)
		ok += out[i].id == i + 1;
	*enriched_ok = ok;
	return attempts;
}

static void ex05_run(struct bench_b *b, const struct ex_param *p, bool before)
{
	bench_stop_timer(b);
	size_t n = (size_t)p->value;
	struct ex05_row *rows = ex05_rows(n);
	bench_start_timer(b);
	for (int64_t k = 0; k < b->n; k++)
		ex05_enrich_batch(before, rows, n, &ex05_sink, NULL, NULL);
	bench_stop_timer(b);
	struct ex05_peak pk = {0, 0};
	ex05_enrich_batch(before, rows, n, &ex05_sink, NULL, &pk);
	bench_report_metric(b, pk.goroutines, EX_UNIT_PEAK_GS);
	bench_report_metric(b, (double)pk.stack_bytes, EX_UNIT_PEAK_STACK);
}

static void ex05_run_before(struct bench_b *b, const struct ex_param *p)
{
	ex05_run(b, p, true);
}

static void ex05_run_after(struct bench_b *b, const struct ex_param *p)
{
	ex05_run(b, p, false);
}

static uint64_t ex05_result(bool before, const struct ex_param *p)
{
	size_t n = (size_t)p->value;
	struct ex05_row *rows = ex05_rows(n);
	struct ex05_enriched *out;
	ex05_enrich_batch(before, rows, n, &out, NULL, NULL);
	uint64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * 1099511628211ULL + (out[i].id ^ out[i].score);
	return h;
}

static uint64_t ex05_result_before(const struct ex_param *p)
{
	return ex05_result(true, p);
}

static uint64_t ex05_result_after(const struct ex_param *p)
{
	return ex05_result(false, p);
}

static const struct ex_param ex05_params[] = {
    {"rows=10000", 10000},
    {"rows=50", 50},
};

const struct exercise ex05 = {
    .id = "ex05",
    .title = "goroutine per item",
    .seed_claim = "10k × ~2 KB stack + scheduler bookkeeping per request",
    .seed_ratio = 0,
    .rule = {"ns/op", true},
    .mechanism = "newproc + schedule + goexit and a stack per row; the pool "
		 "pays a chansend/chanrecv per row and GOMAXPROCS newprocs",
    .param_name = "rows",
    .params = ex05_params,
    .nparams = 2,
    .procs = 0,
    .run = {ex05_run_before, ex05_run_after},
    .result = {ex05_result_before, ex05_result_after},
};

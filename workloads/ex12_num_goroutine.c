/*
 * ex12_num_goroutine.c — Exercise 12: runtime.NumGoroutine() polled in
 * metrics.
 *
 * Before (the seed): a /metrics handler that calls runtime.NumGoroutine()
 * on every scrape and formats "goroutines %d\n" into the response. After:
 * an application-level atomic in-flight counter, incremented and
 * decremented by the request handlers, loaded by the scrape and formatted
 * the same way. One op is one scrape.
 *
 * Mechanism. The seed says NumGoroutine walks allgs under allglock, so its
 * cost grows with every goroutine the process ever had (~300000x). Go does
 * not do that: NumGoroutine is gcount() (runtime/proc.go), which is
 * len(allgs) — read without the lock — minus the global and per-P free-G
 * list lengths and the system goroutines: O(GOMAXPROCS), whatever allgs
 * holds. librt's rt_num_goroutine mirrors gcount (the `gcount` probe shows
 * each call). So the sweep grows len(allgs) — by starting goroutines in a
 * burst that keeps them all alive at once (dead Gs are reused, so only peak
 * concurrency grows allgs, as in Go), then ending them — and the ratio
 * should not grow with it: both scrapes cost about what formatting the line
 * costs. The figure EX_UNIT_ALLGS is rt_allglen() after setup.
 *
 * The sweep's sizes: 1k (a quiet service), 100k (a busy one after a
 * burst) and 1M (the seed's "millions of historical Gs"). A live goroutine
 * costs librt a 64 KiB stack reservation of which only the pages it
 * touched are resident (about 8 KiB), plus its G: 1M live at once is
 * ~64 GiB of address space and a few GiB resident for the setup's burst,
 * which this 24 GiB VM holds; the stacks go back to the OS (MADV_DONTNEED)
 * once the burst ends, past the 1024 free Gs that keep theirs.
 *
 * When NOT (the seed): when you want to detect goroutine leaks — keep
 * NumGoroutine on a slow-poll debug endpoint; and when few goroutines were
 * ever created, gcount is fast (here: it is fast in every case).
 *
 * Correctness gap (seed §16): "atomic in-flight counter (Ex. 12) that
 * doesn't reset when a panic skips the defer Add(-1)". A handler that does
 * inflight.Add(1); serve(); inflight.Add(-1) under a caller that recovers
 * panics (net/http's conn.serve does) never decrements for a request that
 * panicked: the counter drifts up by one per panic, for good. Decrementing
 * in a deferred call makes it exact. tests/test_ex11_14.c:
 * inflight_counter_drifts_without_defer and inflight_counter_exact_with_defer.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "ex11_14.h"

/* ---- the app: request handlers and their in-flight counter ------------- */

/* inflight is the application's count of requests being served. */
static atomic_long inflight;

long ex12_inflight(void)
{
	return atomic_load(&inflight);
}

void ex12_reset_inflight(void)
{
	atomic_store(&inflight, 0);
}

/* request is what serve works on; hold, if set, parks serve until it is
 * closed (a request in flight), after started is signalled. */
struct request {
	bool panics;
	rt_chan *hold;
	rt_waitgroup *started;
	uint64_t id;
};

static uint64_t volatile serve_sink;

static __attribute__((noinline)) void serve(struct request *r)
{
	if (r->hold != NULL) {
		rt_waitgroup_done(r->started);
		rt_chan_recv(r->hold, NULL);
	}
	if (r->panics)
		rt_panic("ex12: bad request");
	serve_sink = r->id * 2654435761u;
}

/* handle_naive is the seed's after without care: the decrement is skipped
 * when serve panics. */
static __attribute__((noinline)) void handle_naive(struct request *r)
{
	atomic_fetch_add(&inflight, 1);
	serve(r);
	atomic_fetch_sub(&inflight, 1);
}

static void inflight_done(void *arg)
{
	(void)arg;
	atomic_fetch_sub(&inflight, 1);
}

/* handle is the fix: defer inflight.Add(-1). */
static __attribute__((noinline)) void handle(struct request *r)
{
	atomic_fetch_add(&inflight, 1);
	RT_DEFER(inflight_done, NULL);
	serve(r);
	RT_DEFERRETURN();
}

struct call {
	bool with_defer;
	struct request *r;
	bool recovered;
};

static void recover_call(void *arg)
{
	struct call *c = arg;
	rt_panic_value v = rt_recover();
	if (v.msg != NULL)
		c->recovered = true;
}

/* conn_serve is the caller that recovers a handler's panic, as net/http's
 * conn.serve does, so one bad request does not kill the server. */
static __attribute__((noinline)) void conn_serve(struct call *c)
{
	RT_DEFER(recover_call, c);
	if (c->with_defer)
		handle(c->r);
	else
		handle_naive(c->r);
	RT_DEFERRETURN();
}

bool ex12_serve_request(bool with_defer, bool panics)
{
	static uint64_t ids;
	struct request r = {.panics = panics, .id = ++ids};
	struct call c = {.with_defer = with_defer, .r = &r};
	conn_serve(&c);
	return c.recovered;
}

/* ---- the two scrapes ---------------------------------------------------- */

/* The response writer: a buffer the size of a small metrics page. */
static char scrape_buf[64];
static size_t volatile scrape_len;

static __attribute__((noinline)) size_t scrape_before(char *w, size_t len)
{
	int n = rt_num_goroutine();
	return (size_t)snprintf(w, len, "goroutines %d\n", n);
}

static __attribute__((noinline)) size_t scrape_after(char *w, size_t len)
{
	long n = atomic_load(&inflight);
	return (size_t)snprintf(w, len, "goroutines %ld\n", n);
}

typedef size_t (*scrape_fn)(char *w, size_t len);
static const scrape_fn scrapes[EX_NVARIANTS] = {scrape_before, scrape_after};

/* ---- growing allgs ------------------------------------------------------ */

#ifdef RT_ASAN
enum { ASAN_MAX_ALLGS = 20000 };
#endif

struct burst {
	rt_chan *release; /* closed when the burst may end */
	rt_waitgroup wg;  /* */
};

static void burst_g(void *arg)
{
	struct burst *bu = arg;
	rt_chan_recv(bu->release, NULL);
	rt_waitgroup_done(&bu->wg);
}

/*
 * grow_allgs starts goroutines that all stay parked until len(allgs)
 * reaches target, then releases them: a burst of concurrency, the only
 * thing that grows allgs (a dead G is reused by the next rt_go). allgs
 * never shrinks, so later runs in the process find it grown already.
 */
static void grow_allgs(size_t target)
{
#ifdef RT_ASAN
	/*
	 * Under ASan (tests only: rtwork measures the plain build) a stack
	 * is 256 KiB plus shadow, and 1M of them would take the shared test
	 * VM's memory; the figure reports the allgs actually reached.
	 */
	if (target > ASAN_MAX_ALLGS)
		target = ASAN_MAX_ALLGS;
#endif
	if (rt_allglen() >= target)
		return;
	struct burst bu = {.release = rt_chan_make(1, 0)};
	while (rt_allglen() < target) {
		rt_waitgroup_add(&bu.wg, 1);
		rt_go(burst_g, &bu);
	}
	rt_chan_close(bu.release);
	rt_waitgroup_wait(&bu.wg);
}

static void run(struct bench_b *b, const struct ex_param *p, enum ex_variant v)
{
	bench_stop_timer(b);
	grow_allgs((size_t)p->value);
	size_t allglen = rt_allglen();
	scrape_fn scrape = scrapes[v];
	bench_start_timer(b);
	for (int64_t i = 0; i < b->n; i++)
		scrape_len = scrape(scrape_buf, sizeof(scrape_buf));
	bench_stop_timer(b);
	bench_report_metric(b, (double)allglen, EX_UNIT_ALLGS);
}

static void run_before(struct bench_b *b, const struct ex_param *p)
{
	run(b, p, EX_BEFORE);
}

static void run_after(struct bench_b *b, const struct ex_param *p)
{
	run(b, p, EX_AFTER);
}

/* ---- the result --------------------------------------------------------- */

/* scrape_value scrapes and parses the number back, as a collector does. */
static long scrape_value(enum ex_variant v)
{
	char w[64];
	scrapes[v](w, sizeof(w));
	return strtol(w + sizeof("goroutines ") - 1, NULL, 10);
}

/*
 * settle lets goroutines that have signalled their end but not yet exited
 * (a WaitGroup's Done comes before goexit) finish, so NumGoroutine is
 * steady: yields until three reads in a row agree.
 */
static void settle(void)
{
	int last = -1, same = 0;
	for (int i = 0; i < 10000 && same < 3; i++) {
		rt_gosched();
		int n = rt_num_goroutine();
		same = n == last ? same + 1 : 0;
		last = n;
	}
}

static rt_waitgroup inflight_wg;

static void inflight_g(void *arg)
{
	struct request *r = arg;
	handle(r);
	rt_waitgroup_done(&inflight_wg);
}

/*
 * The result: with RESULT_INFLIGHT requests parked in serve, what the
 * scrape reports above what it reported before they came. Both count the
 * same requests: NumGoroutine because each request is a goroutine, the
 * counter because each handler counted itself. The param is not applied:
 * growing allgs to 1M under ASan takes far more than the second a result
 * may take, and the count does not depend on it.
 */
enum { RESULT_INFLIGHT = 5 };

static uint64_t result(enum ex_variant v)
{
	static struct request reqs[RESULT_INFLIGHT];
	rt_waitgroup started = {0};
	rt_chan *hold = rt_chan_make(1, 0);

	settle();
	long base = scrape_value(v);
	rt_waitgroup_add(&started, RESULT_INFLIGHT);
	rt_waitgroup_add(&inflight_wg, RESULT_INFLIGHT);
	for (int i = 0; i < RESULT_INFLIGHT; i++) {
		reqs[i] = (struct request){
		    .hold = hold, .started = &started, .id = (uint64_t)i};
		rt_go(inflight_g, &reqs[i]);
	}
	rt_waitgroup_wait(&started);
	long during = scrape_value(v);
	rt_chan_close(hold);
	rt_waitgroup_wait(&inflight_wg);
	settle();
	return (uint64_t)(during - base);
}

static uint64_t result_before(const struct ex_param *p)
{
	(void)p;
	return result(EX_BEFORE);
}

static uint64_t result_after(const struct ex_param *p)
{
	(void)p;
	return result(EX_AFTER);
}

static const struct ex_param params[] = {
    {"allgs=1k", 1000},
    {"allgs=100k", 100000},
    {"allgs=1M", 1000000},
};

const struct exercise ex12 = {
    .id = "ex12",
    .title = "runtime.NumGoroutine() polled in metrics",
    .seed_claim = "~300000× faster on the metrics path",
    .seed_ratio = 300000,
    .rule = {"ns/op", true},
    .mechanism = "NumGoroutine is gcount: len(allgs) minus free-G counts, "
		 "O(GOMAXPROCS), no allgs walk; an atomic load is one load",
    .param_name = "allgs",
    .params = params,
    .nparams = 3,
    .procs = 0,
    .run = {run_before, run_after},
    .result = {result_before, result_after},
};

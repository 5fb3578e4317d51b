/*
 * ex14_stack_dump.c — Exercise 14: runtime.Stack(buf, true) always-on
 * dump.
 *
 * Before (the seed): every request allocates a 1 MiB buffer, dumps every
 * goroutine's stack into it (runtime.Stack(buf, true)), logs it
 * (log.Debug("stacks", string(buf[:n])): the string conversion copies the
 * dump into a fresh heap string whether or not debug logging is on) and
 * then serves. After: the handler defers a function that recovers and only
 * then dumps and logs — a request that does not panic pays for one defer.
 *
 * Mechanism. runtime.Stack with all=true stops the world
 * (stopTheWorld("all goroutines stack trace"), runtime/mprof.go), then
 * walks and formats every goroutine's stack (traceback: gentraceback,
 * funcline per frame) before starting the world again: a pause whose
 * length grows with the number of goroutines and their depth. librt's
 * rt_stack (runtime/traceback.c) stops the world with
 * RT_STW_ALL_GOROUTINES_STACK and symbolizes each frame with libdw; the
 * 1 MiB buffer itself is a large-object mallocgc per request (mheap lock,
 * and GC cycles every few requests). The after's defer is deferproc +
 * deferreturn (RT_DEFER: the per-P _defer pool), then a recover that finds
 * no panic.
 *
 * The sweep is the number of background goroutines — 10 and 1000, each
 * parked on a channel receive under 8 frames of its own (about what a
 * net/http connection goroutine has: conn.serve → handler → … → a park):
 * the dump's cost is per goroutine and per frame. A busy goroutine runs on
 * the other P (workloads/victim.h; GOMAXPROCS 2), so every stop must
 * preempt it; its worst delay is EX_UNIT_VICTIM_LAT. Stops per op, pause
 * per op and the longest pause come from rt_read_stw_stats deltas for
 * RT_STW_ALL_GOROUTINES_STACK.
 *
 * When NOT (the seed gives the after's own limits): keep the dump on the
 * conditions that need it — panics, deadlock timeouts, a debug endpoint.
 *
 * Correctness gap (seed §16): "on-demand runtime.Stack (Ex. 14) inside the
 * same goroutine that's already panicking — captures a stack you already
 * have via recover". The deferred call runs on the panicking goroutine, so
 * its own stack in the dump is the panic machinery (gopanic, here rt_panic
 * and the deferred-call frames) over the frames that panicked: what the
 * recovered value and the panic's traceback already told you, at the price
 * of a stop of the world. tests/test_ex11_14.c:
 * dump_in_recover_captures_the_panicking_stack.
 */
#include <string.h>

#include "ex11_14.h"
#include "victim.h"

/* 1 MiB, the seed's buffer. */
#define DUMP_BUF (1 << 20)

/* ---- the log ------------------------------------------------------------ */

/* log_sink is where the "log" writes: the last record's text stays
 * reachable, as a log pipeline's buffer would hold it. */
static const char *volatile log_sink;
static size_t volatile log_len;

/* log_stacks is log.Debug("stacks", string(buf[:n])): the conversion
 * copies the dump into a fresh string. */
static void log_stacks(const char *buf, size_t n)
{
	char *s = rt_mallocgc(n + 1, RT_MALLOC_NOSCAN);
	memcpy(s, buf, n);
	s[n] = '\0';
	log_sink = s;
	log_len = n;
}

/* ---- serve -------------------------------------------------------------- */

/* A small JSON response body, built without allocating, as ex13's: the
 * only allocations are the seed's (the dump buffer and its log copy). */
enum { RESP_SIZE = 512 };

/* resp_sink is the response as written to the connection. */
static uint64_t volatile resp_sink[RESP_SIZE / 8];

struct request {
	uint64_t id;
	const char *panic_msg; /* non-NULL: serve panics with it */
};

static __attribute__((noinline)) uint64_t serve(const struct request *r)
{
	uint64_t resp[RESP_SIZE / 8]; /* does not escape: on the stack */
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < RESP_SIZE / 8; i++) {
		resp[i] = r->id * 0x9E3779B97F4A7C15ULL + (uint64_t)i;
		h = (h ^ resp[i]) * 0x100000001b3ULL;
	}
	for (int i = 0; i < RESP_SIZE / 8; i++)
		resp_sink[i] = resp[i];
	if (r->panic_msg != NULL)
		rt_panic(r->panic_msg);
	return h;
}

/* ---- the two handlers ---------------------------------------------- */

static __attribute__((noinline)) uint64_t handle_before(const struct request *r)
{
	char *buf = rt_mallocgc(DUMP_BUF, RT_MALLOC_NOSCAN);
	size_t n = rt_stack(buf, DUMP_BUF, true);
	log_stacks(buf, n);
	return serve(r);
}

/* recovered_msg is the value the last recover returned (the log's
 * "value" field). */
static const char *volatile recovered_msg;

/* dump_on_panic is the seed's deferred func: recover, and only on a panic
 * dump every stack and log both. */
static void dump_on_panic(void *arg)
{
	(void)arg;
	rt_panic_value rv = rt_recover();
	if (rv.msg == NULL)
		return;
	recovered_msg = rv.msg;
	char *buf = rt_mallocgc(DUMP_BUF, RT_MALLOC_NOSCAN);
	size_t n = rt_stack(buf, DUMP_BUF, true);
	log_stacks(buf, n);
}

static __attribute__((noinline)) uint64_t handle_after(const struct request *r)
{
	uint64_t d = 0;
	RT_DEFER(dump_on_panic, NULL);
	d = serve(r);
	RT_DEFERRETURN();
	return d;
}

typedef uint64_t (*handler_fn)(const struct request *r);
static const handler_fn handlers[EX_NVARIANTS] = {handle_before, handle_after};

const char *ex14_panicking_request(const char *msg, const char **recovered)
{
	struct request r = {.id = 1, .panic_msg = msg};
	log_sink = NULL;
	recovered_msg = NULL;
	handle_after(&r);
	*recovered = recovered_msg;
	return log_sink;
}

/* ---- the background goroutines ------------------------------------------ */

/* 8 frames of its own under each parked goroutine; see the top comment. */
enum { BG_DEPTH = 8 };

struct background {
	rt_chan *quit; /* closed to end them */
	rt_waitgroup wg;
};

static __attribute__((noinline)) void bg_frame(struct background *bg, int depth)
{
	if (depth > 1) {
		bg_frame(bg, depth - 1);
		__asm__ __volatile__("" ::: "memory"); /* not a tail call */
		return;
	}
	rt_chan_recv(bg->quit, NULL);
}

static void bg_main(void *arg)
{
	struct background *bg = arg;
	bg_frame(bg, BG_DEPTH);
	rt_waitgroup_done(&bg->wg);
}

static void bg_start(struct background *bg, int n)
{
	bg->quit = rt_chan_make(1, 0);
	rt_waitgroup_add(&bg->wg, n);
	for (int i = 0; i < n; i++)
		rt_go(bg_main, bg);
}

static void bg_stop(struct background *bg)
{
	rt_chan_close(bg->quit);
	rt_waitgroup_wait(&bg->wg);
}

/* ---- run and result ----------------------------------------------------- */

static uint64_t volatile digest_sink;

static void run(struct bench_b *b, const struct ex_param *p, enum ex_variant v)
{
	handler_fn handle = handlers[v];
	struct background bg = {0};
	struct victim vic = {0};
	struct rt_stw_stats s0, s1;

	bench_stop_timer(b);
	bg_start(&bg, (int)p->value);
	victim_start(&vic);
	victim_mark(&vic);
	rt_read_stw_stats(&s0);
	bench_start_timer(b);
	uint64_t d = 0;
	for (int64_t i = 0; i < b->n; i++) {
		struct request r = {.id = (uint64_t)i};
		d += handle(&r);
	}
	bench_stop_timer(b);
	rt_read_stw_stats(&s1);
	digest_sink = d;
	stw_report(b, RT_STW_ALL_GOROUTINES_STACK, &s0, &s1);
	int64_t lat = victim_stop(&vic);
	if (lat >= 0)
		bench_report_metric(b, (double)lat, EX_UNIT_VICTIM_LAT);
	bg_stop(&bg);
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
 * The result: RESULT_REQS requests, none panicking, with the background
 * goroutines and the victim in place: the digest of the responses. The
 * dumps differ by design (the before logs one per request, the after
 * none), so they are not part of the answer.
 */
enum { RESULT_REQS = 2 };

static uint64_t result(const struct ex_param *p, enum ex_variant v)
{
	struct background bg = {0};
	struct victim vic = {0};
	bg_start(&bg, (int)p->value);
	victim_start(&vic);
	uint64_t d = 0;
	for (uint64_t i = 0; i < RESULT_REQS; i++) {
		struct request r = {.id = i};
		d += handlers[v](&r);
	}
	victim_stop(&vic);
	bg_stop(&bg);
	return d;
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
    {"goroutines=10", 10},
    {"goroutines=1000", 1000},
};

const struct exercise ex14 = {
    .id = "ex14",
    .title = "runtime.Stack(buf, true) always-on dump",
    .seed_claim = "no figure: all=true stops the world and walks every "
		  "goroutine's stack, formatting frames, on every request",
    .seed_ratio = 0,
    .rule = {"ns/op", true},
    .mechanism = "Stack(all) stops the world and formats every G's frames "
		 "(cost per goroutine); dump-on-panic pays one defer",
    .param_name = "goroutines",
    .params = params,
    .nparams = 2,
    .procs = 2,
    .run = {run_before, run_after},
    .result = {result_before, result_after},
};

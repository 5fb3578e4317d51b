/*
 * ex04 — defer Unlock() in a hot function.
 *
 * Before (the seed): `mu.Lock(); defer mu.Unlock(); m[k]++`. After: manual
 * Unlock. The map is a small fixed array of counters indexed by k, with
 * the bounds check Go's indexing has (a runtime error, as Go's panicIndex).
 *
 * The parameter is where the defer sits, which decides what Go does:
 *   open-coded  one defer at function scope: Go 1.14+ open-codes it (the
 *               compiler stores the closure in the frame, sets a bit, and
 *               calls it inline at each return; no _defer record, no
 *               runtime call on the normal path). librt: RT_DEFER_OPEN, the
 *               record in the frame, run by __attribute__((cleanup)) — plus
 *               the link to the G that C needs to find it at panic time
 *               (Go finds open-coded defers through funcdata instead).
 *   in-loop     the function locks 4 shard mutexes in a loop with a defer
 *               each (a consistent update across shards): Go cannot
 *               open-code a defer in a loop, so each is deferproc (a
 *               _defer from the P's pool, linked off the G) and the
 *               function ends in deferreturn, which walks the chain and
 *               calls each. librt: RT_DEFER (rt_deferproc) and
 *               RT_DEFERRETURN. The after unlocks the 4 shards in a loop.
 *
 * The seed claims "~3.3× faster" and "~30 ns" per defer; on Go 1.19 here
 * the open-coded case is about 1.05× (27.6 vs 26.2 ns/op) and the in-loop
 * case about 8× (560 vs 66 ns/op, 4 allocs/op: each `defer
 * s.mu.Unlock()` in the loop also heap-allocates its method-value
 * closure): the seed's figure is the deferproc path, which only the
 * in-loop case takes. librt's open-coded form is dearer than Go's (it
 * links the record to the G; Go's costs a bit in the frame), so its
 * open-coded ratio is larger than Go's.
 *
 * When NOT (the seed): when the critical section can panic (arithmetic,
 * indexing under uncertain length, calls into user code); when the
 * function has several return paths and defer is the readability win;
 * when it runs < 1k times a second.
 *
 * Correctness gap (seed §16: "manual Unlock inside a path that can panic —
 * deadlock on retry"): an out-of-range k panics between Lock and the manual
 * Unlock; a caller recovers, and the mutex stays locked forever (the retry
 * would deadlock; rt_mutex_trylock fails). The deferred Unlock ran during
 * the panic and released it. tests/test_ex01_05.c:
 * test_ex04_manual_unlock_skipped_by_a_panic_leaves_the_mutex_locked,
 * test_ex04_deferred_unlock_runs_during_the_panic.
 */
#include <string.h>

#include "exercise.h"

#define EX04_NKEYS   64 /* a small hot map: fits in a few cache lines */
#define EX04_NSHARDS 4

/* The result's input. */
#define EX04_RESULT_CALLS 10000

/* The open-coded case's map and its mutex. */
rt_mutex ex04_mu;
uint64_t ex04_m[EX04_NKEYS];

/* The sharded case: each shard's lock and map. */
struct ex04_shard {
	rt_mutex mu;
	uint64_t m[EX04_NKEYS];
};
struct ex04_shard ex04_shards[EX04_NSHARDS];

static void ex04_unlock(void *mu)
{
	rt_mutex_unlock(mu);
}

/* ex04_index is Go's bounds check: a runtime error, as panicIndex. */
static inline uint64_t ex04_index(uint64_t k)
{
	if (k >= EX04_NKEYS)
		rt_panic_runtime_error("index out of range");
	return k;
}

/* ex04_inc_defer is the before, open-coded: one defer at function scope. */
__attribute__((noinline)) void ex04_inc_defer(uint64_t k)
{
	rt_mutex_lock(&ex04_mu);
	RT_DEFER_OPEN(ex04_unlock, &ex04_mu);
	ex04_m[ex04_index(k)]++;
}

/* ex04_inc_manual is the after: Unlock by hand. */
__attribute__((noinline)) void ex04_inc_manual(uint64_t k)
{
	rt_mutex_lock(&ex04_mu);
	ex04_m[ex04_index(k)]++;
	rt_mutex_unlock(&ex04_mu);
}

/* ex04_inc_shards_defer is the before, in a loop: a defer per shard, so
 * deferproc each time and one deferreturn at the end. */
__attribute__((noinline)) void ex04_inc_shards_defer(uint64_t k)
{
	for (int i = 0; i < EX04_NSHARDS; i++) {
		rt_mutex_lock(&ex04_shards[i].mu);
		RT_DEFER(ex04_unlock, &ex04_shards[i].mu);
	}
	for (int i = 0; i < EX04_NSHARDS; i++)
		ex04_shards[i].m[ex04_index(k)]++;
	RT_DEFERRETURN();
}

/* ex04_inc_shards_manual is the after: unlock the shards in a loop. */
__attribute__((noinline)) void ex04_inc_shards_manual(uint64_t k)
{
	for (int i = 0; i < EX04_NSHARDS; i++)
		rt_mutex_lock(&ex04_shards[i].mu);
	for (int i = 0; i < EX04_NSHARDS; i++)
		ex04_shards[i].m[ex04_index(k)]++;
	for (int i = EX04_NSHARDS - 1; i >= 0; i--)
		rt_mutex_unlock(&ex04_shards[i].mu);
}

/* ex04_shards_unlocked tells whether every shard's mutex is free (for the
 * gap test), leaving them as they were. */
bool ex04_shards_unlocked(void)
{
	bool all = true;
	for (int i = 0; i < EX04_NSHARDS; i++) {
		if (rt_mutex_trylock(&ex04_shards[i].mu))
			rt_mutex_unlock(&ex04_shards[i].mu);
		else
			all = false;
	}
	return all;
}

static void ex04_reset(void)
{
	memset(ex04_m, 0, sizeof(ex04_m));
	memset(ex04_shards, 0, sizeof(ex04_shards));
}

/* ex04_digest folds the counters (both maps) into one number. */
static uint64_t ex04_digest(void)
{
	uint64_t h = 0;
	for (int k = 0; k < EX04_NKEYS; k++) {
		h = h * 1099511628211ULL + ex04_m[k];
		for (int i = 0; i < EX04_NSHARDS; i++)
			h = h * 1099511628211ULL + ex04_shards[i].m[k];
	}
	return h;
}

/* ex04_calls makes n calls of the variant, k cycling over the keys. */
static void ex04_calls(bool before, int64_t sharded, int64_t n)
{
	void (*f)(uint64_t);
	if (sharded)
		f = before ? ex04_inc_shards_defer : ex04_inc_shards_manual;
	else
		f = before ? ex04_inc_defer : ex04_inc_manual;
	for (int64_t i = 0; i < n; i++)
		f((uint64_t)i % EX04_NKEYS);
}

static void ex04_run_before(struct bench_b *b, const struct ex_param *p)
{
	ex04_calls(true, p->value, b->n);
}

static void ex04_run_after(struct bench_b *b, const struct ex_param *p)
{
	ex04_calls(false, p->value, b->n);
}

static uint64_t ex04_result(bool before, const struct ex_param *p)
{
	ex04_reset();
	ex04_calls(before, p->value, EX04_RESULT_CALLS);
	return ex04_digest();
}

static uint64_t ex04_result_before(const struct ex_param *p)
{
	return ex04_result(true, p);
}

static uint64_t ex04_result_after(const struct ex_param *p)
{
	return ex04_result(false, p);
}

static const struct ex_param ex04_params[] = {
    {"defer=open-coded", 0},
    {"defer=in-loop", 1},
};

const struct exercise ex04 = {
    .id = "ex04",
    .title = "defer Unlock() in a tight loop",
    .seed_claim = "~3.3× faster",
    .seed_ratio = 3.3,
    .rule = {"ns/op", true},
    .mechanism = "a defer in a loop is deferproc + deferreturn (a _defer "
		 "record per call); one at function scope is open-coded",
    .param_name = "defer",
    .params = ex04_params,
    .nparams = 2,
    .procs = 0,
    .run = {ex04_run_before, ex04_run_after},
    .result = {ex04_result_before, ex04_result_after},
};

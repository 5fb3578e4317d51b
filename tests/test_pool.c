/*
 * test_pool.c — rt_pool (runtime/pool.c) as a specification, mirroring
 * sync.Pool: what is put comes back; an item lives through one GC cycle in
 * the victim cache and is gone after two without use; a miss calls new_fn;
 * concurrent users never get one item twice.
 *
 * Pools are static (rt.h: never on a goroutine stack). Tests that expect a
 * particular item back run on one P, where Get finds the P's own cache.
 * Every test calls rt_main exactly once (libcheck forks one child per test).
 */
#include "probes.h"
#include "rt_test.h"

enum { ITEM_SIZE = 256, CHURN_N = 2000 };

static atomic_int new_calls;
static void *sentinel_new(void)
{
	atomic_fetch_add(&new_calls, 1);
	return rt_mallocgc(ITEM_SIZE, 0);
}

/* put_hidden puts a fresh, filled item and returns it hidden: the pool
 * holds its only reference. */
static __attribute__((noinline)) uintptr_t put_hidden(rt_pool *p, uint64_t seed)
{
	void *x = rt_mallocgc(ITEM_SIZE, 0);

	rtt_fill(x, ITEM_SIZE, seed);
	rt_pool_put(p, x);
	rtt_clobber_stack();
	return rtt_hide(x);
}

static rt_pool plain_pool;

static void put_get_main(void *arg)
{
	uintptr_t h;
	void *x;

	(void)arg;
	h = put_hidden(&plain_pool, 1);
	x = rt_pool_get(&plain_pool);
	RTT_CHECK(rtt_hide(x) == h, "get after put returned %p", x);
	x = rt_pool_get(&plain_pool);
	RTT_CHECK(x == NULL, "second get from a pool of one item returned %p",
		  x);
}

START_TEST(test_get_returns_the_item_put)
{
	rtt_run(1, put_get_main, NULL);
}
END_TEST

static rt_pool new_pool = {.new_fn = sentinel_new};

static void miss_main(void *arg)
{
	void *x;

	(void)arg;
	x = rt_pool_get(&plain_pool);
	RTT_CHECK(x == NULL, "get from an empty pool without new_fn gave %p",
		  x);
	x = rt_pool_get(&new_pool);
	RTT_CHECK(x != NULL && atomic_load(&new_calls) == 1,
		  "get from an empty pool: %p, new_fn called %d times", x,
		  atomic_load(&new_calls));
	rt_pool_put(&new_pool, x);
	RTT_CHECK(rt_pool_get(&new_pool) == x && atomic_load(&new_calls) == 1,
		  "new_fn called on a hit");
}

START_TEST(test_miss_calls_new_fn_or_returns_null)
{
	rtt_run(1, miss_main, NULL);
}
END_TEST

/*
 * One cycle: the item moves to the victim cache and is still handed out,
 * intact, although a churn of its size ran in between (had the pool not
 * kept it alive it would have been reused).
 */
static void victim_main(void *arg)
{
	uintptr_t h;
	long hits;
	void *x;
	uint64_t v0;

	(void)arg;
	h = put_hidden(&plain_pool, 2);
	rt_gc();
	hits = rtt_churn_find(ITEM_SIZE, 0, CHURN_N, h);
	RTT_CHECK(hits == 0, "an item in the victim cache was reused");
	v0 = rt_probe_count("pool_get");
	x = rt_pool_get(&plain_pool);
	RTT_CHECK(rtt_hide(x) == h,
		  "after one cycle get returned %p, not the item", x);
	RTT_CHECK(rt_probe_count("pool_get") - v0 == 1,
		  "one get fired pool_get %llu times",
		  (unsigned long long)(rt_probe_count("pool_get") - v0));
	if (rtt_hide(x) == h) {
		size_t bad = rtt_verify(x, ITEM_SIZE, 2);

		RTT_CHECK(bad == 0,
			  "the item was overwritten in the victim "
			  "cache (word %zu)",
			  bad - 1);
	}
}

START_TEST(test_item_survives_one_gc_in_the_victim_cache)
{
	rtt_run(1, victim_main, NULL);
}
END_TEST

static void two_gc_main(void *arg)
{
	void *x;

	(void)arg;
	put_hidden(&plain_pool, 3);
	rt_gc();
	rt_gc();
	x = rt_pool_get(&plain_pool);
	RTT_CHECK(x == NULL, "after two cycles get returned %p, want NULL", x);
}

START_TEST(test_item_vanishes_after_two_gcs)
{
	rtt_run(1, two_gc_main, NULL);
}
END_TEST

static void two_gc_new_main(void *arg)
{
	uintptr_t h;
	void *x;

	(void)arg;
	h = put_hidden(&new_pool, 4);
	rt_gc();
	rt_gc();
	x = rt_pool_get(&new_pool);
	RTT_CHECK(rtt_hide(x) != h && atomic_load(&new_calls) == 1,
		  "after two cycles get returned the item (new_fn called %d "
		  "times)",
		  atomic_load(&new_calls));
}

START_TEST(test_after_two_gcs_get_calls_new_fn)
{
	rtt_run(1, two_gc_new_main, NULL);
}
END_TEST

/* The dropped item is garbage: the allocator hands its address out again. */
static void dropped_freed_main(void *arg)
{
	uintptr_t h;
	long hits = 0;

	(void)arg;
	h = put_hidden(&plain_pool, 5);
	rt_gc();
	rt_gc();
	for (int i = 0; i < 10 && hits == 0; i++) {
		rt_gc();
		hits = rtt_churn_find(ITEM_SIZE, 0, 1024L * (i + 1), h);
	}
	RTT_CHECK(hits > 0, "an item dropped by the pool was never freed");
}

START_TEST(test_item_dropped_after_two_gcs_is_freed)
{
	rtt_run(1, dropped_freed_main, NULL);
}
END_TEST

/* Use in between keeps it: get and put it back after each cycle. */
static void used_kept_main(void *arg)
{
	uintptr_t h;
	void *x;

	(void)arg;
	h = put_hidden(&plain_pool, 6);
	for (int i = 0; i < 10; i++) {
		rt_gc();
		x = rt_pool_get(&plain_pool);
		RTT_CHECK(rtt_hide(x) == h, "cycle %d: get returned %p", i, x);
		if (!x)
			return;
		rt_pool_put(&plain_pool, x);
		x = NULL;
	}
}

START_TEST(test_item_used_every_cycle_stays_in_the_pool)
{
	rtt_run(1, used_kept_main, NULL);
}
END_TEST

/* Many items: each comes back exactly once, then the pool misses. */
enum { MANY = 1000 };
static uint8_t seen_many[MANY];

static void many_main(void *arg)
{
	void *x;
	int got = 0;

	(void)arg;
	for (uint64_t i = 0; i < MANY; i++) {
		uint64_t *o = rt_mallocgc(ITEM_SIZE, 0);

		o[0] = i;
		rt_pool_put(&plain_pool, o);
	}
	rt_gc(); /* half of the journey: they are now in the victim cache */
	while ((x = rt_pool_get(&plain_pool)) != NULL) {
		uint64_t i = *(uint64_t *)x;

		RTT_CHECK(i < MANY && seen_many[i] == 0,
			  "item %llu returned twice or corrupt",
			  (unsigned long long)i);
		if (i < MANY)
			seen_many[i]++;
		got++;
	}
	RTT_CHECK(got == MANY, "%d of %d items came back", got, MANY);
}

START_TEST(test_every_item_put_comes_back_once)
{
	rtt_run(1, many_main, NULL);
}
END_TEST

static void probes_main(void *arg)
{
	uint64_t g0, p0;

	(void)arg;
	g0 = rt_probe_count("pool_get");
	p0 = rt_probe_count("pool_put");
	for (int i = 0; i < 100; i++)
		rt_pool_put(&plain_pool, rt_mallocgc(16, 0));
	for (int i = 0; i < 150; i++)
		rt_pool_get(&plain_pool);
	RTT_CHECK(rt_probe_count("pool_put") - p0 == 100,
		  "100 puts fired pool_put %llu times",
		  (unsigned long long)(rt_probe_count("pool_put") - p0));
	RTT_CHECK(rt_probe_count("pool_get") - g0 == 150,
		  "150 gets fired pool_get %llu times",
		  (unsigned long long)(rt_probe_count("pool_get") - g0));
}

START_TEST(test_pool_probes_fire_once_per_get_and_put)
{
	rtt_run(1, probes_main, NULL);
}
END_TEST

/*
 * Two Ps, four goroutines, each taking items, marking them as its own
 * (a CAS from 0 to its id), and putting them back; forced cycles run
 * alongside. An item handed to two goroutines at once fails the CAS.
 */
enum { WORKERS = 4, OPS = 100000 };

struct item {
	atomic_int owner;
	uint64_t pad[7];
};

static void *item_new(void)
{
	return rt_mallocgc(sizeof(struct item), 0);
}

static rt_pool conc_pool = {.new_fn = item_new};

struct conc {
	rtt_join j;
	atomic_int done;
};

static void conc_worker(void *arg)
{
	struct conc *c = arg;
	int me = (int)(rt_goid() % 1000000) + 1;

	for (int i = 0; i < OPS; i++) {
		struct item *it = rt_pool_get(&conc_pool);
		int zero = 0;

		RTT_CHECK(it != NULL, "get with new_fn returned NULL");
		if (!it)
			break;
		if (!atomic_compare_exchange_strong(&it->owner, &zero, me)) {
			RTT_CHECK(false,
				  "an item handed out while owner %d "
				  "held it",
				  zero);
			break;
		}
		if (i % 3 == 0)
			rt_gosched();
		atomic_store(&it->owner, 0);
		rt_pool_put(&conc_pool, it);
	}
	rtt_join_done(&c->j);
}

static void conc_main(void *arg)
{
	struct conc *c = arg;

	rtt_heap_exists(); /* rt_gc before any allocation: test_gc.c */
	rtt_join_add(&c->j, WORKERS);
	for (int i = 0; i < WORKERS; i++)
		rt_go(conc_worker, c);
	while (atomic_load(&c->j.pending) != 0) {
		rt_gc();
		rt_gosched();
	}
	rtt_join_wait(&c->j);
}

START_TEST(test_concurrent_gets_never_hand_one_item_to_two_goroutines)
{
	static struct conc c;

	rtt_run(2, conc_main, &c);
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc;

	tc = tcase_create("pool");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_get_returns_the_item_put);
	tcase_add_test(tc, test_miss_calls_new_fn_or_returns_null);
	tcase_add_test(tc, test_item_survives_one_gc_in_the_victim_cache);
	tcase_add_test(tc, test_item_vanishes_after_two_gcs);
	tcase_add_test(tc, test_after_two_gcs_get_calls_new_fn);
	tcase_add_test(tc, test_item_dropped_after_two_gcs_is_freed);
	tcase_add_test(tc, test_item_used_every_cycle_stays_in_the_pool);
	tcase_add_test(tc, test_every_item_put_comes_back_once);
	tcase_add_test(tc, test_pool_probes_fire_once_per_get_and_put);
	tcase_add_test(
	    tc, test_concurrent_gets_never_hand_one_item_to_two_goroutines);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_suite_main(pool_suite());
}

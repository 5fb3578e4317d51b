/*
 * test_sync.c — rt_mutex (sync.Mutex), rt_waitgroup (sync.WaitGroup) and
 * the semaphores under them (runtime/sema.go) as a specification.
 *
 * Every test calls rt_main exactly once (libcheck forks one child per test).
 * Goroutines are joined with rtt_join (park/ready only) unless the test is
 * about the waitgroup itself.
 */
#include "rt_test.h"

/* ---- rt_mutex --------------------------------------------------------- */

enum { CONTENDERS = 8, LOCKS_EACH = 100000 };

struct contended {
	rt_mutex mu;
	long counter;	   /* plain: only the mutex protects it */
	atomic_int inside; /* goroutines inside the critical section */
	atomic_int overlap;
	rtt_join j;
};

static void contender(void *arg)
{
	struct contended *c = arg;

	for (int i = 0; i < LOCKS_EACH; i++) {
		rt_mutex_lock(&c->mu);
		if (atomic_fetch_add(&c->inside, 1) != 0)
			atomic_store(&c->overlap, 1);
		c->counter++;
		atomic_fetch_sub(&c->inside, 1);
		rt_mutex_unlock(&c->mu);
	}
	rtt_join_done(&c->j);
}

static void contended_main(void *arg)
{
	struct contended *c = arg;

	rtt_join_add(&c->j, CONTENDERS);
	for (int i = 0; i < CONTENDERS; i++)
		rt_go(contender, c);
	rtt_join_wait(&c->j);
	RTT_CHECK(rt_mutex_trylock(&c->mu),
		  "mutex not free after every goroutine unlocked it");
	rt_mutex_unlock(&c->mu);
}

START_TEST(test_8_goroutines_contending_on_rt_mutex_keep_a_counter_exact)
{
	static struct contended c;

	rtt_run(0, contended_main, &c);
	ck_assert_int_eq(atomic_load(&c.overlap), 0);
	ck_assert_int_eq(c.counter, (long)CONTENDERS * LOCKS_EACH);
}
END_TEST

START_TEST(
    test_8_goroutines_contending_on_rt_mutex_on_one_p_keep_a_counter_exact)
{
	static struct contended c;

	rtt_run(1, contended_main, &c);
	ck_assert_int_eq(atomic_load(&c.overlap), 0);
	ck_assert_int_eq(c.counter, (long)CONTENDERS * LOCKS_EACH);
}
END_TEST

static void trylock_main(void *arg)
{
	rt_mutex mu = {0};

	(void)arg;
	RTT_CHECK(rt_mutex_trylock(&mu), "trylock failed on a zero mutex");
	RTT_CHECK(!rt_mutex_trylock(&mu), "trylock succeeded on a held mutex");
	rt_mutex_unlock(&mu);
	RTT_CHECK(rt_mutex_trylock(&mu), "trylock failed after unlock");
	rt_mutex_unlock(&mu);
	rt_mutex_lock(&mu);
	RTT_CHECK(!rt_mutex_trylock(&mu),
		  "trylock succeeded on a mutex held by rt_mutex_lock");
	rt_mutex_unlock(&mu);
}

START_TEST(test_trylock_succeeds_only_on_an_unlocked_mutex)
{
	rtt_run(1, trylock_main, NULL);
}
END_TEST

struct held {
	rt_mutex mu;
	atomic_int tried;
	atomic_int got;
	atomic_int acquired;
	rtt_join j;
};

static void try_from_other(void *arg)
{
	struct held *h = arg;

	atomic_store(&h->got, rt_mutex_trylock(&h->mu) ? 1 : 0);
	atomic_store(&h->tried, 1);
	rtt_join_done(&h->j);
}

static void trylock_other_main(void *arg)
{
	struct held *h = arg;

	rt_mutex_lock(&h->mu);
	rtt_join_add(&h->j, 1);
	rt_go(try_from_other, h);
	rtt_join_wait(&h->j);
	RTT_CHECK(atomic_load(&h->tried), "other goroutine did not run");
	RTT_CHECK(!atomic_load(&h->got),
		  "trylock from another goroutine took a held mutex");
	rt_mutex_unlock(&h->mu);
}

START_TEST(test_trylock_fails_while_another_goroutine_holds_the_mutex)
{
	static struct held h;

	rtt_run(0, trylock_other_main, &h);
}
END_TEST

static void lock_from_other(void *arg)
{
	struct held *h = arg;

	atomic_store(&h->tried, 1);
	rt_mutex_lock(&h->mu);
	atomic_store(&h->acquired, 1);
	rt_mutex_unlock(&h->mu);
	rtt_join_done(&h->j);
}

static void lock_blocks_main(void *arg)
{
	struct held *h = arg;

	rt_mutex_lock(&h->mu);
	rtt_join_add(&h->j, 1);
	rt_go(lock_from_other, h);
	while (!atomic_load(&h->tried))
		rt_gosched();
	for (int i = 0; i < 1000; i++) {
		rtt_burn(1000);
		rt_gosched();
	}
	RTT_CHECK(!atomic_load(&h->acquired),
		  "rt_mutex_lock returned while another goroutine held it");
	rt_mutex_unlock(&h->mu);
	rtt_join_wait(&h->j);
	RTT_CHECK(atomic_load(&h->acquired),
		  "waiter did not get the mutex after unlock");
}

START_TEST(test_mutex_lock_blocks_until_the_holder_unlocks)
{
	static struct held h;

	rtt_run(0, lock_blocks_main, &h);
}
END_TEST

/*
 * A hog relocks in a tight loop; the victim must still get the mutex
 * (starvation mode hands it over after the victim waited > 1 ms).
 */
struct starve {
	rt_mutex mu;
	atomic_int victim_started;
	atomic_int victim_got;
	atomic_long hog_rounds;
	rtt_join j;
};

static void hog(void *arg)
{
	struct starve *s = arg;

	while (!atomic_load(&s->victim_got)) {
		rt_mutex_lock(&s->mu);
		atomic_fetch_add(&s->hog_rounds, 1);
		rtt_burn(200);
		rt_mutex_unlock(&s->mu);
	}
	rtt_join_done(&s->j);
}

static void victim(void *arg)
{
	struct starve *s = arg;

	atomic_store(&s->victim_started, 1);
	rt_mutex_lock(&s->mu);
	atomic_store(&s->victim_got, 1);
	rt_mutex_unlock(&s->mu);
	rtt_join_done(&s->j);
}

static void starve_main(void *arg)
{
	struct starve *s = arg;

	rtt_join_add(&s->j, 3);
	rt_go(hog, s);
	rt_go(hog, s);
	while (atomic_load(&s->hog_rounds) < 1000)
		rt_gosched();
	rt_go(victim, s);
	rtt_join_wait(&s->j);
}

START_TEST(test_mutex_waiter_is_not_starved_by_hogs)
{
	static struct starve s;

	rtt_run(2, starve_main, &s);
	ck_assert_int_eq(atomic_load(&s.victim_got), 1);
}
END_TEST

/* ---- rt_waitgroup ----------------------------------------------------- */

enum { WG_N = 1000 };

struct wgtest {
	rt_waitgroup wg;
	atomic_int finished;
	atomic_int released;
	rtt_join j;
};

static void wg_worker(void *arg)
{
	struct wgtest *w = arg;

	rtt_burn(5000);
	if (atomic_load(&w->finished) % 7 == 0)
		rt_gosched();
	atomic_fetch_add(&w->finished, 1);
	rt_waitgroup_done(&w->wg);
}

static void wg_main(void *arg)
{
	struct wgtest *w = arg;

	rt_waitgroup_add(&w->wg, WG_N);
	for (int i = 0; i < WG_N; i++)
		rt_go(wg_worker, w);
	rt_waitgroup_wait(&w->wg);
	RTT_CHECK(atomic_load(&w->finished) == WG_N,
		  "Wait returned with %d of %d done", atomic_load(&w->finished),
		  WG_N);
}

START_TEST(test_waitgroup_wait_returns_after_all_done)
{
	static struct wgtest w;

	rtt_run(0, wg_main, &w);
}
END_TEST

static void wg_zero_main(void *arg)
{
	rt_waitgroup wg = {0};

	(void)arg;
	rt_waitgroup_wait(&wg); /* would hang forever if it blocked */
	rt_waitgroup_add(&wg, 3);
	rt_waitgroup_add(&wg, -3);
	rt_waitgroup_wait(&wg);
}

START_TEST(test_waitgroup_wait_returns_at_once_when_the_counter_is_zero)
{
	rtt_run(1, wg_zero_main, NULL);
}
END_TEST

enum { WG_WAITERS = 4 };

static void wg_waiter(void *arg)
{
	struct wgtest *w = arg;

	rt_waitgroup_wait(&w->wg);
	atomic_fetch_add(&w->released, 1);
	rtt_join_done(&w->j);
}

static void wg_waiters_main(void *arg)
{
	struct wgtest *w = arg;

	rt_waitgroup_add(&w->wg, 1);
	rtt_join_add(&w->j, WG_WAITERS);
	for (int i = 0; i < WG_WAITERS; i++)
		rt_go(wg_waiter, w);
	for (int i = 0; i < 1000; i++)
		rt_gosched();
	RTT_CHECK(atomic_load(&w->released) == 0,
		  "%d waiters returned before Done", atomic_load(&w->released));
	rt_waitgroup_done(&w->wg);
	rtt_join_wait(&w->j);
	RTT_CHECK(atomic_load(&w->released) == WG_WAITERS,
		  "%d of %d waiters released", atomic_load(&w->released),
		  WG_WAITERS);
}

START_TEST(test_waitgroup_done_releases_every_waiter)
{
	static struct wgtest w;

	rtt_run(0, wg_waiters_main, &w);
}
END_TEST

static void wg_reuse_main(void *arg)
{
	struct wgtest *w = arg;

	for (int round = 1; round <= 100 && rtt_ok(); round++) {
		rt_waitgroup_add(&w->wg, 10);
		for (int i = 0; i < 10; i++)
			rt_go(wg_worker, w);
		rt_waitgroup_wait(&w->wg);
		RTT_CHECK(atomic_load(&w->finished) == round * 10,
			  "round %d: Wait returned with %d done", round,
			  atomic_load(&w->finished));
	}
}

START_TEST(test_waitgroup_can_be_reused_after_wait_returns)
{
	static struct wgtest w;

	rtt_run(0, wg_reuse_main, &w);
}
END_TEST

/* ---- semaphores ------------------------------------------------------- */

static void sem_count_main(void *arg)
{
	uint32_t sema = 0;

	(void)arg;
	for (int i = 0; i < 100; i++)
		rt_semrelease(&sema, false);
	RTT_CHECK(sema == 100, "after 100 releases sema=%u", sema);
	/* None of these may block: nobody else would release. */
	for (int i = 0; i < 100; i++)
		rt_semacquire(&sema, RT_WAIT_SEMACQUIRE);
	RTT_CHECK(sema == 0, "after 100 acquires sema=%u", sema);
}

START_TEST(test_semacquire_takes_earlier_releases_without_blocking)
{
	rtt_run(1, sem_count_main, NULL);
}
END_TEST

struct semtest {
	uint32_t sema;
	bool handoff; /* rt_semrelease's handoff argument */
	atomic_int started;
	atomic_int passed;
	atomic_long consumed;
	rtt_join j;
};

static void sem_acquirer(void *arg)
{
	struct semtest *st = arg;

	atomic_store(&st->started, 1);
	rt_semacquire(&st->sema, RT_WAIT_SEMACQUIRE);
	atomic_store(&st->passed, 1);
	rtt_join_done(&st->j);
}

static void sem_block_main(void *arg)
{
	struct semtest *st = arg;
	rtt_join_add(&st->j, 1);
	rt_go(sem_acquirer, st);
	while (!atomic_load(&st->started))
		rt_gosched();
	for (int i = 0; i < 1000; i++)
		rt_gosched();
	RTT_CHECK(!atomic_load(&st->passed),
		  "semacquire on a zero semaphore returned");
	rt_semrelease(&st->sema, st->handoff);
	rtt_join_wait(&st->j);
	RTT_CHECK(atomic_load(&st->passed),
		  "semrelease did not wake the acquirer");
	RTT_CHECK(st->sema == 0, "sema=%u after one release and one acquire",
		  st->sema);
}

START_TEST(test_semacquire_blocks_until_semrelease)
{
	static struct semtest st;

	rtt_run(0, sem_block_main, &st);
}
END_TEST

START_TEST(test_semrelease_with_handoff_wakes_the_waiter)
{
	static struct semtest st;

	st.handoff = true;
	rtt_run(0, sem_block_main, &st);
}
END_TEST

enum { SEM_PRODUCERS = 4, SEM_CONSUMERS = 4, SEM_EACH = 20000 };

static void sem_producer(void *arg)
{
	struct semtest *st = arg;

	for (int i = 0; i < SEM_EACH; i++) {
		rt_semrelease(&st->sema, false);
		if (i % 64 == 0)
			rt_gosched();
	}
	rtt_join_done(&st->j);
}

static void sem_consumer(void *arg)
{
	struct semtest *st = arg;

	for (int i = 0; i < SEM_EACH; i++) {
		rt_semacquire(&st->sema, RT_WAIT_SEMACQUIRE);
		atomic_fetch_add(&st->consumed, 1);
	}
	rtt_join_done(&st->j);
}

static void sem_prodcons_main(void *arg)
{
	struct semtest *st = arg;

	rtt_join_add(&st->j, SEM_PRODUCERS + SEM_CONSUMERS);
	for (int i = 0; i < SEM_CONSUMERS; i++)
		rt_go(sem_consumer, st);
	for (int i = 0; i < SEM_PRODUCERS; i++)
		rt_go(sem_producer, st);
	rtt_join_wait(&st->j);
}

START_TEST(test_semaphore_counts_every_release_exactly_once)
{
	static struct semtest st;

	rtt_run(0, sem_prodcons_main, &st);
	ck_assert_int_eq(atomic_load(&st.consumed),
			 (long)SEM_CONSUMERS * SEM_EACH);
	ck_assert_uint_eq(st.sema, 0);
}
END_TEST

static Suite *sync_suite(void)
{
	Suite *s = suite_create("sync");
	TCase *tc;

	tc = tcase_create("mutex");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_8_goroutines_contending_on_rt_mutex_keep_a_counter_exact);
	tcase_add_test(
	    tc,
	    test_8_goroutines_contending_on_rt_mutex_on_one_p_keep_a_counter_exact);
	tcase_add_test(tc, test_trylock_succeeds_only_on_an_unlocked_mutex);
	tcase_add_test(
	    tc, test_trylock_fails_while_another_goroutine_holds_the_mutex);
	tcase_add_test(tc, test_mutex_lock_blocks_until_the_holder_unlocks);
	tcase_add_test(tc, test_mutex_waiter_is_not_starved_by_hogs);
	suite_add_tcase(s, tc);

	tc = tcase_create("waitgroup");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_waitgroup_wait_returns_after_all_done);
	tcase_add_test(
	    tc, test_waitgroup_wait_returns_at_once_when_the_counter_is_zero);
	tcase_add_test(tc, test_waitgroup_done_releases_every_waiter);
	tcase_add_test(tc, test_waitgroup_can_be_reused_after_wait_returns);
	suite_add_tcase(s, tc);

	tc = tcase_create("sema");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc,
		       test_semacquire_takes_earlier_releases_without_blocking);
	tcase_add_test(tc, test_semacquire_blocks_until_semrelease);
	tcase_add_test(tc, test_semrelease_with_handoff_wakes_the_waiter);
	tcase_add_test(tc, test_semaphore_counts_every_release_exactly_once);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_suite_main(sync_suite());
}

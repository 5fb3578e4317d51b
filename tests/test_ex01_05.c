/*
 * test_ex01_05.c — exercises 1 to 5 (workloads/ex01..ex05) as a
 * specification: each before and after compute the same answer, and each
 * correctness gap the seed lists in §16 is real:
 *
 *   ex01  the reducer's close is a sequencing point: the total it reports
 *         is final and a late Inc dies ("send on closed channel"); the
 *         atomic takes the late Inc silently, after the "final" read.
 *   ex02  the spinner's default branch did work; the blocking select never
 *         runs it.
 *   ex03  time.After leaves a timer per message in the heaps; Reset
 *         without Stop+drain delivers a stale value at once (the timer
 *         fires twice); Go 1.23's timers (RT_TIMER_GC=1) discard it.
 *   ex04  a panic between Lock and a manual Unlock leaves the mutex locked
 *         after recover; the deferred Unlock released it.
 *   ex05  the worker pool has no cancellation: after row 0 fails, every
 *         other row is still enriched; the pool never runs more than
 *         GOMAXPROCS workers.
 *
 * No timing assertions. Every test calls rt_main once (libcheck forks).
 */
#include "rt_test.h"

#include "exercise.h"

#define MS (1000LL * 1000)

/* What the exercise files export for these tests. */
struct ex01_counter;
struct ex01_counter *ex01_counter_new(void);
void ex01_counter_inc(struct ex01_counter *c);
int64_t ex01_counter_close(struct ex01_counter *c);
void ex01_atomic_inc(void);
extern _Atomic int64_t ex01_atomic_count;
extern _Atomic uint64_t ex02_default_work;
uint64_t ex02_feed_for_test(bool spin, int nspin, int64_t msgs, int64_t burst,
			    int64_t gap_ns);
void ex03_rearm(rt_timer *t, int64_t d);
extern rt_mutex ex04_mu;
bool ex04_shards_unlocked(void);
void ex04_inc_defer(uint64_t k);
void ex04_inc_manual(uint64_t k);
void ex04_inc_shards_defer(uint64_t k);
uint64_t ex05_enrich_poisoned(bool before, size_t n, size_t bad,
			      uint64_t *errors, uint64_t *enriched_ok);

/* ---- before and after agree -------------------------------------------- */

/* results_agree checks before == after for every param of ex; *want, if
 * set, is the answer both must give. */
static void results_agree(const struct exercise *ex, const uint64_t *want)
{
	int np = ex->nparams > 0 ? ex->nparams : 1;
	for (int i = 0; i < np; i++) {
		static const struct ex_param none = {"", 0};
		const struct ex_param *p =
		    ex->nparams > 0 ? &ex->params[i] : &none;
		uint64_t b = ex->result[EX_BEFORE](p);
		uint64_t a = ex->result[EX_AFTER](p);
		RTT_CHECK(b == a, "%s %s: before %llu, after %llu", ex->id,
			  p->name, (unsigned long long)b,
			  (unsigned long long)a);
		if (want != NULL)
			RTT_CHECK(b == *want, "%s %s: %llu, want %llu", ex->id,
				  p->name, (unsigned long long)b,
				  (unsigned long long)*want);
	}
}

static void ex01_results_main(void *arg)
{
	(void)arg;
	uint64_t want = 20000; /* EX01_RESULT_INCS: one count per Inc */
	results_agree(&ex01, &want);
}

START_TEST(test_ex01_both_count_every_inc_for_1_and_2_producers)
{
	rtt_run(2, ex01_results_main, NULL);
}
END_TEST

static void ex02_results_main(void *arg)
{
	(void)arg;
	uint64_t want = 0;
	for (uint64_t x = 1; x <= 200; x++)
		want += x * 2654435761u; /* EX02_RESULT_MSGS */
	results_agree(&ex02, &want);
}

START_TEST(test_ex02_spinning_and_blocking_consumers_handle_every_message)
{
	rtt_run(2, ex02_results_main, NULL);
}
END_TEST

static void ex03_results_main(void *arg)
{
	(void)arg;
	uint64_t want = 0;
	for (uint64_t m = 1; m <= 2000; m++)
		want = want * 31 + m;
	results_agree(&ex03, &want);
}

START_TEST(test_ex03_after_each_and_one_timer_handle_every_message_in_order)
{
	rtt_run(2, ex03_results_main, NULL);
}
END_TEST

static void ex04_results_main(void *arg)
{
	(void)arg;
	results_agree(&ex04, NULL);
}

START_TEST(test_ex04_defer_and_manual_unlock_leave_the_same_counts)
{
	rtt_run(2, ex04_results_main, NULL);
}
END_TEST

static void ex05_results_main(void *arg)
{
	(void)arg;
	results_agree(&ex05, NULL);
}

START_TEST(test_ex05_per_item_and_pool_enrich_every_row_alike)
{
	rtt_run(2, ex05_results_main, NULL);
}
END_TEST

/* ---- ex01: the reducer is a sequencing point ------------------------- */

static void ex01_late_inc_before_main(void *arg)
{
	(void)arg;
	struct ex01_counter *c = ex01_counter_new();
	for (int i = 0; i < 3000; i++)
		ex01_counter_inc(c);
	/* the report arrives on the second channel only after the reducer
	 * drained every count sent before the close */
	int64_t total = ex01_counter_close(c);
	if (total != 3000) {
		fprintf(stderr, "reported %lld, want 3000\n", (long long)total);
		exit(1);
	}
	ex01_counter_inc(c); /* a straggler after shutdown: must die */
	fprintf(stderr, "late Inc was accepted\n");
	exit(1);
}

START_TEST(test_ex01_late_inc_after_the_final_report_panics_before)
{
	rtt_run_dies(2, ex01_late_inc_before_main, NULL,
		     "panic: send on closed channel");
}
END_TEST

static void ex01_late_inc_after_main(void *arg)
{
	(void)arg;
	atomic_store(&ex01_atomic_count, 0);
	for (int i = 0; i < 3000; i++)
		ex01_atomic_inc();
	int64_t report = atomic_load(&ex01_atomic_count); /* "final" */
	ex01_atomic_inc(); /* the same straggler: nothing stops it */
	int64_t now = atomic_load(&ex01_atomic_count);
	RTT_CHECK(report == 3000, "report %lld", (long long)report);
	RTT_CHECK(now == report + 1,
		  "the late Inc should land silently after the report: "
		  "counter %lld, report %lld",
		  (long long)now, (long long)report);
}

START_TEST(test_ex01_late_inc_after_the_final_report_is_lost_silently_after)
{
	rtt_run(2, ex01_late_inc_after_main, NULL);
}
END_TEST

/* ---- ex02: work on default --------------------------------------------- */

static void ex02_default_work_main(void *arg)
{
	(void)arg;
	for (int spinners = 1; spinners <= 2; spinners++) {
		atomic_store(&ex02_default_work, 0);
		ex02_feed_for_test(true, spinners, 100, 50, 1 * MS);
		uint64_t before = atomic_load(&ex02_default_work);
		atomic_store(&ex02_default_work, 0);
		ex02_feed_for_test(false, spinners, 100, 50, 1 * MS);
		uint64_t after = atomic_load(&ex02_default_work);
		/* the producer sleeps before its first send: the spinners
		 * find nothing and take default */
		RTT_CHECK(before > 0, "spinners=%d: no default work before",
			  spinners);
		RTT_CHECK(after == 0,
			  "spinners=%d: %llu default-branch runs after",
			  spinners, (unsigned long long)after);
	}
}

START_TEST(test_ex02_default_branch_work_happens_before_and_never_after)
{
	rtt_run(2, ex02_default_work_main, NULL);
}
END_TEST

/* ---- ex03: timers left, and Reset without the dance ------------------ */

static void ex03_timers_left_main(void *arg)
{
	bool timer_gc = arg != NULL;
	static const struct ex_param none = {"", 0};
	size_t t0 = rt_timer_heap_len();
	ex03.result[EX_BEFORE](&none); /* 2000 messages, 5 s timeout */
	size_t t1 = rt_timer_heap_len();
	ex03.result[EX_AFTER](&none);
	size_t t2 = rt_timer_heap_len();
	if (timer_gc)
		RTT_CHECK(t1 == t0, "RT_TIMER_GC=1: time.After left %zu timers",
			  t1 - t0);
	else
		RTT_CHECK(t1 >= t0 + 2000,
			  "time.After left %zu timers for 2000 messages",
			  t1 - t0);
	RTT_CHECK(t2 == t1, "one Reset timer left %zu timers behind", t2 - t1);
}

START_TEST(test_ex03_time_after_leaves_a_timer_per_message_reset_none)
{
	unsetenv("RT_TIMER_GC"); /* Go <= 1.22 timers */
	rtt_run(2, ex03_timers_left_main, NULL);
}
END_TEST

START_TEST(test_ex03_timer_gc_time_after_leaves_no_timer)
{
	setenv("RT_TIMER_GC", "1", 1);
	rtt_run(2, ex03_timers_left_main, (void *)1);
}
END_TEST

/* fired waits until t's value is in its channel (Go <= 1.22 timers). */
static bool fired(rt_timer *t)
{
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
	while (rt_chan_len(t->C) == 0) {
		if (rtt_mono_ns() > deadline)
			return false;
		rt_sleep(1 * MS);
	}
	return true;
}

static void ex03_reset_no_drain_main(void *arg)
{
	(void)arg;
	rt_timer *t = rt_timer_new(1 * MS);
	RTT_CHECK(fired(t), "a 1 ms timer never fired");
	/* the loop was busy when it fired; now it re-arms without Stop */
	RTT_CHECK(!rt_timer_reset(t, 3600 * 1000 * MS),
		  "Reset of a fired timer reported it active");
	int64_t v;
	bool ok;
	RTT_CHECK(rt_chan_tryrecv(t->C, &v, &ok),
		  "no stale value right after Reset: the timer did not fire "
		  "twice");
	RTT_CHECK(rt_timer_stop(t), "the new deadline was not armed");
}

START_TEST(test_ex03_reset_without_stop_and_drain_fires_twice)
{
	unsetenv("RT_TIMER_GC"); /* Go <= 1.22 timers */
	rtt_run(2, ex03_reset_no_drain_main, NULL);
}
END_TEST

static void ex03_rearm_main(void *arg)
{
	(void)arg;
	rt_timer *t = rt_timer_new(1 * MS);
	RTT_CHECK(fired(t), "a 1 ms timer never fired");
	ex03_rearm(t, 3600 * 1000 * MS); /* Stop, drain, Reset */
	int64_t v;
	bool ok;
	RTT_CHECK(!rt_chan_tryrecv(t->C, &v, &ok),
		  "a stale value survived Stop+drain+Reset");
	RTT_CHECK(rt_timer_stop(t), "the new deadline was not armed");
}

START_TEST(test_ex03_stop_drain_reset_leaves_no_stale_value)
{
	unsetenv("RT_TIMER_GC"); /* Go <= 1.22 timers */
	rtt_run(2, ex03_rearm_main, NULL);
}
END_TEST

static void ex03_timer_gc_reset_main(void *arg)
{
	(void)arg;
	rt_timer *t = rt_timer_new(1 * MS);
	rt_sleep(20 * MS); /* well past the deadline; nobody received */
	rt_timer_reset(t, 3600 * 1000 * MS);
	int64_t v;
	bool ok;
	RTT_CHECK(!rt_chan_tryrecv(t->C, &v, &ok),
		  "Go 1.23 timers: Reset must discard the unreceived value");
}

START_TEST(test_ex03_timer_gc_reset_discards_the_stale_value)
{
	setenv("RT_TIMER_GC", "1", 1);
	rtt_run(2, ex03_timer_gc_reset_main, NULL);
}
END_TEST

/* ---- ex04: panic between Lock and Unlock ------------------------------ */

static void ex04_recoverer(void *arg)
{
	rt_panic_value v = rt_recover();
	*(bool *)arg = v.msg != NULL && v.runtime_error;
}

/* ex04_call_recovering calls f(k) with a recovering defer, as a request
 * handler's middleware would; returns whether it recovered a runtime
 * error. */
static __attribute__((noinline)) bool ex04_call_recovering(void (*f)(uint64_t),
							   uint64_t k)
{
	static bool recovered;
	recovered = false;
	RT_DEFER(ex04_recoverer, &recovered);
	f(k);
	RT_DEFERRETURN();
	return recovered;
}

static void ex04_manual_main(void *arg)
{
	(void)arg;
	RTT_CHECK(ex04_call_recovering(ex04_inc_manual, 1000),
		  "the out-of-range index did not panic");
	RTT_CHECK(!rt_mutex_trylock(&ex04_mu),
		  "the manual Unlock was skipped, yet the mutex is free");
}

START_TEST(test_ex04_manual_unlock_skipped_by_a_panic_leaves_the_mutex_locked)
{
	rtt_run(2, ex04_manual_main, NULL);
}
END_TEST

static void ex04_defer_main(void *arg)
{
	(void)arg;
	RTT_CHECK(ex04_call_recovering(ex04_inc_defer, 1000),
		  "the out-of-range index did not panic (open-coded)");
	RTT_CHECK(rt_mutex_trylock(&ex04_mu),
		  "the deferred Unlock did not run during the panic");
	rt_mutex_unlock(&ex04_mu);
	RTT_CHECK(ex04_call_recovering(ex04_inc_shards_defer, 1000),
		  "the out-of-range index did not panic (in-loop)");
	RTT_CHECK(ex04_shards_unlocked(),
		  "a shard is still locked after the panic");
	/* and the function still works afterwards */
	ex04_inc_defer(1);
	ex04_inc_shards_defer(1);
	RTT_CHECK(rt_mutex_trylock(&ex04_mu), "locked after a normal call");
}

START_TEST(test_ex04_deferred_unlock_runs_during_the_panic)
{
	rtt_run(2, ex04_defer_main, NULL);
}
END_TEST

/* ---- ex05: no cancellation; the pool's bound -------------------------- */

static void ex05_no_cancel_main(void *arg)
{
	(void)arg;
	for (int before = 0; before <= 1; before++) {
		uint64_t errors = 0, ok = 0;
		uint64_t attempts =
		    ex05_enrich_poisoned(before, 1000, 0, &errors, &ok);
		RTT_CHECK(errors == 1, "%s: %llu errors, want 1",
			  before ? "per-item" : "pool",
			  (unsigned long long)errors);
		RTT_CHECK(attempts == 1000 && ok == 999,
			  "%s: row 0 failed, then %llu rows enriched "
			  "(%llu attempted): nothing cancels, want 999",
			  before ? "per-item" : "pool", (unsigned long long)ok,
			  (unsigned long long)attempts);
	}
}

START_TEST(test_ex05_one_error_does_not_stop_the_batch)
{
	rtt_run(2, ex05_no_cancel_main, NULL);
}
END_TEST

static void ex05_bound_main(void *arg)
{
	(void)arg;
	int base = rt_num_goroutine();
	struct bench_b b = {.n = 1, .name = "ex05"};
	ex05.run[EX_AFTER](&b, &ex05.params[0]); /* rows=10000 */
	double peak = -1;
	for (int i = 0; i < b.nextra; i++)
		if (strcmp(b.extra[i].unit, EX_UNIT_PEAK_GS) == 0)
			peak = b.extra[i].value;
	RTT_CHECK(peak >= base + 1 && peak <= base + rt_gomaxprocs(),
		  "pool of %d workers: peak %g goroutines, base %d",
		  rt_gomaxprocs(), peak, base);
	RTT_CHECK(rt_num_goroutine() == base,
		  "the pool's workers outlived Enrich: %d goroutines, %d "
		  "before",
		  rt_num_goroutine(), base);
}

START_TEST(test_ex05_pool_runs_at_most_gomaxprocs_workers_and_ends_them)
{
	rtt_run(2, ex05_bound_main, NULL);
}
END_TEST

static Suite *ex01_05_suite(void)
{
	Suite *s = suite_create("ex01_05");
	TCase *tc;

	tc = tcase_create("results");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc,
		       test_ex01_both_count_every_inc_for_1_and_2_producers);
	tcase_add_test(
	    tc, test_ex02_spinning_and_blocking_consumers_handle_every_message);
	tcase_add_test(
	    tc,
	    test_ex03_after_each_and_one_timer_handle_every_message_in_order);
	tcase_add_test(tc,
		       test_ex04_defer_and_manual_unlock_leave_the_same_counts);
	tcase_add_test(tc, test_ex05_per_item_and_pool_enrich_every_row_alike);
	suite_add_tcase(s, tc);

	tc = tcase_create("gaps");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_exit_test(
	    tc, test_ex01_late_inc_after_the_final_report_panics_before, 2);
	tcase_add_test(
	    tc,
	    test_ex01_late_inc_after_the_final_report_is_lost_silently_after);
	tcase_add_test(
	    tc, test_ex02_default_branch_work_happens_before_and_never_after);
	tcase_add_test(
	    tc, test_ex03_time_after_leaves_a_timer_per_message_reset_none);
	tcase_add_test(tc, test_ex03_timer_gc_time_after_leaves_no_timer);
	tcase_add_test(tc, test_ex03_reset_without_stop_and_drain_fires_twice);
	tcase_add_test(tc, test_ex03_stop_drain_reset_leaves_no_stale_value);
	tcase_add_test(tc, test_ex03_timer_gc_reset_discards_the_stale_value);
	tcase_add_test(
	    tc,
	    test_ex04_manual_unlock_skipped_by_a_panic_leaves_the_mutex_locked);
	tcase_add_test(tc, test_ex04_deferred_unlock_runs_during_the_panic);
	tcase_add_test(tc, test_ex05_one_error_does_not_stop_the_batch);
	tcase_add_test(
	    tc, test_ex05_pool_runs_at_most_gomaxprocs_workers_and_ends_them);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_suite_main(ex01_05_suite());
}

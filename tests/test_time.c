/*
 * test_time.c — timers (runtime/time.c) as a specification: a timer never
 * fires before its deadline and fires once; Stop and Reset report whether
 * the timer was active and do what Go's do; AfterFunc runs its function
 * once in its own goroutine; Sleep sleeps at least as long as asked;
 * time.After's timers stay in the heaps until they fire (unless
 * RT_TIMER_GC=1); a ticker keeps its period without drift.
 *
 * The only timing assertions are the ones the contract is about: nothing
 * fires early (a lower bound, exact), and a ticker's long-run period (an
 * upper bound, generous). "Nothing arrives" is checked after waiting
 * several times the deadline.
 *
 * Every test calls rt_main exactly once (libcheck forks one child per test).
 */
#include "rt_test.h"

#define MS (1000LL * 1000)

/* ---- timers ----------------------------------------------------------- */

static void fires_no_earlier_main(void *arg)
{
	static const int64_t ds[] = {1, 1 * MS, 5 * MS, 20 * MS, 50 * MS};

	(void)arg;
	for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		int64_t t0 = rt_nanotime(), v = 0, now;
		rt_timer *t = rt_timer_new(ds[i]);

		RTT_CHECK(rt_chan_recv(t->C, &v), "receive from C");
		now = rt_nanotime();
		RTT_CHECK(v >= t0 + ds[i],
			  "a %lld ns timer fired %lld ns after it was made",
			  (long long)ds[i], (long long)(v - t0));
		RTT_CHECK(v <= now,
			  "the timer delivered a time %lld ns in the future",
			  (long long)(v - now));
	}
}

START_TEST(test_timer_fires_no_earlier_than_asked)
{
	rtt_run(2, fires_no_earlier_main, NULL);
}
END_TEST

static void fires_at_once_main(void *arg)
{
	static const int64_t ds[] = {0, -1, -1000 * MS};

	(void)arg;
	for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		int64_t v = 0;
		rt_timer *t = rt_timer_new(ds[i]);

		/* A timer that never fired would leave main blocked. */
		RTT_CHECK(rt_chan_recv(t->C, &v), "receive from C");
		RTT_CHECK(v > 0 && v <= rt_nanotime(), "delivered %lld",
			  (long long)v);
		RTT_CHECK(!rt_timer_stop(t),
			  "stop after a %lld ns timer fired returned true",
			  (long long)ds[i]);
	}
}

START_TEST(test_timer_with_zero_or_negative_duration_fires_at_once)
{
	rtt_run(1, fires_at_once_main, NULL);
}
END_TEST

static void timer_cap_main(void *arg)
{
	rt_timer *t = rt_timer_new(1000 * MS);

	(void)arg;
	RTT_CHECK(rt_chan_cap(t->C) == 1, "cap(C) = %zu", rt_chan_cap(t->C));
	rt_timer_stop(t);
}

START_TEST(test_timer_channel_has_capacity_1)
{
	rtt_run(1, timer_cap_main, NULL);
}
END_TEST

static void stop_active_main(void *arg)
{
	rt_timer *t = rt_timer_new(20 * MS);
	int64_t v = 0;
	bool ok;

	(void)arg;
	RTT_CHECK(rt_timer_stop(t), "stop of an active timer returned false");
	rt_sleep(100 * MS);
	RTT_CHECK(!rt_chan_tryrecv(t->C, &v, &ok),
		  "a stopped timer delivered %lld", (long long)v);
	RTT_CHECK(!rt_timer_stop(t), "a second stop returned true");
}

START_TEST(test_stop_of_an_active_timer_returns_true_and_nothing_arrives)
{
	rtt_run(2, stop_active_main, NULL);
}
END_TEST

static void stop_fired_main(void *arg)
{
	rt_timer *t = rt_timer_new(1 * MS), *u = rt_timer_new(1 * MS);
	int64_t v = 0;
	bool ok;

	(void)arg;
	/* drained */
	RTT_CHECK(rt_chan_recv(t->C, &v), "receive");
	RTT_CHECK(!rt_timer_stop(t), "stop after the timer fired: true");
	/* not drained: the value stays for the caller to drain */
	rt_sleep(30 * MS);
	RTT_CHECK(!rt_timer_stop(u), "stop after the timer fired: true");
	RTT_CHECK(rt_chan_tryrecv(u->C, &v, &ok) && ok,
		  "the fired timer's value was not in C after stop");
}

START_TEST(test_stop_after_the_timer_fired_returns_false)
{
	rtt_run(2, stop_fired_main, NULL);
}
END_TEST

/* fires_once_after: receives the one value due at or after earliest, then
 * checks nothing more arrives within 3 * wait. */
static void fires_once_after(rt_timer *t, int64_t earliest, int64_t wait,
			     const char *what)
{
	int64_t v = 0;
	bool ok;

	RTT_CHECK(rt_chan_recv(t->C, &v), "%s: receive", what);
	RTT_CHECK(v >= earliest, "%s: fired %lld ns before its deadline", what,
		  (long long)(earliest - v));
	rt_sleep(3 * wait);
	RTT_CHECK(!rt_chan_tryrecv(t->C, &v, &ok),
		  "%s: the timer fired a second time", what);
}

static void reset_active_main(void *arg)
{
	rt_timer *t = rt_timer_new(1000000 * MS), *u;
	int64_t t1;

	(void)arg;
	/* earlier than it was */
	t1 = rt_nanotime();
	RTT_CHECK(rt_timer_reset(t, 20 * MS),
		  "reset of an active timer returned false");
	fires_once_after(t, t1 + 20 * MS, 20 * MS, "reset to sooner");
	/* later than it was: it must not fire at the old deadline */
	u = rt_timer_new(50 * MS);
	t1 = rt_nanotime();
	RTT_CHECK(rt_timer_reset(u, 150 * MS),
		  "reset of an active timer returned false");
	fires_once_after(u, t1 + 150 * MS, 20 * MS, "reset to later");
}

START_TEST(
    test_reset_of_an_active_timer_returns_true_and_it_fires_once_at_the_new_deadline)
{
	rtt_run(2, reset_active_main, NULL);
}
END_TEST

static void reset_fired_main(void *arg)
{
	rt_timer *t = rt_timer_new(1 * MS);
	int64_t v, t1;

	(void)arg;
	RTT_CHECK(rt_chan_recv(t->C, &v), "receive");
	t1 = rt_nanotime();
	RTT_CHECK(!rt_timer_reset(t, 20 * MS),
		  "reset of a fired timer returned true");
	fires_once_after(t, t1 + 20 * MS, 20 * MS, "reset after firing");
}

START_TEST(test_reset_of_a_fired_timer_returns_false_and_it_fires_once_more)
{
	rtt_run(2, reset_fired_main, NULL);
}
END_TEST

static void reset_stopped_main(void *arg)
{
	rt_timer *t = rt_timer_new(10 * MS);
	int64_t t1;

	(void)arg;
	RTT_CHECK(rt_timer_stop(t), "stop");
	t1 = rt_nanotime();
	RTT_CHECK(!rt_timer_reset(t, 20 * MS),
		  "reset of a stopped timer returned true");
	fires_once_after(t, t1 + 20 * MS, 20 * MS, "reset after stop");
}

START_TEST(test_reset_of_a_stopped_timer_returns_false_and_it_fires_once)
{
	rtt_run(2, reset_stopped_main, NULL);
}
END_TEST

/*
 * Pushing the earliest timer later leaves its P's timer0when early, as
 * Go's timerModifiedLater leaves timer0When; whoever wakes at that early
 * time finds nothing due and refreshes it. A timer made afterwards, due
 * between the old and the new deadline, still fires, no earlier than
 * asked, and so does the pushed one, at its new deadline — with the main
 * goroutine parked throughout, so only the idle Ms' timed sleeps can fire
 * them.
 */
static void reset_later_main(void *arg)
{
	rt_timer *a = rt_timer_new(10 * MS), *b;
	int64_t t1, v = 0;

	(void)arg;
	t1 = rt_nanotime();
	RTT_CHECK(rt_timer_reset(a, 60 * MS),
		  "reset of an active timer returned false");
	b = rt_timer_new(30 * MS);
	RTT_CHECK(rt_chan_recv(b->C, &v), "receive from the newer timer");
	RTT_CHECK(v >= t1 + 30 * MS,
		  "the newer timer fired %lld ns before its deadline",
		  (long long)(t1 + 30 * MS - v));
	fires_once_after(a, t1 + 60 * MS, 20 * MS, "pushed later");
}

START_TEST(
    test_a_timer_pushed_later_and_a_newer_one_due_in_between_each_fire_no_earlier_than_asked)
{
	rtt_run(2, reset_later_main, NULL);
}
END_TEST

/* ---- AfterFunc -------------------------------------------------------- */

struct af {
	atomic_long runs;
	_Atomic uint64_t goid;
	_Atomic int64_t at;
	rtt_note done;
};

static void af_fn(void *arg)
{
	struct af *a = arg;

	atomic_store(&a->goid, rt_goid());
	atomic_store(&a->at, rt_nanotime());
	atomic_fetch_add(&a->runs, 1);
	rtt_note_signal(&a->done);
}

static void after_func_main(void *arg)
{
	static struct af a;
	int64_t t0 = rt_nanotime();
	uint64_t created0 = rt_probe_count("newproc");
	rt_timer *t;

	(void)arg;
	t = rt_after_func(20 * MS, af_fn, &a);
	RTT_CHECK(t != NULL, "rt_after_func returned NULL");
	rtt_note_wait(&a.done);
	RTT_CHECK(atomic_load(&a.at) >= t0 + 20 * MS,
		  "fn ran %lld ns after a 20 ms AfterFunc",
		  (long long)(atomic_load(&a.at) - t0));
	RTT_CHECK(atomic_load(&a.goid) != rt_goid() && atomic_load(&a.goid),
		  "fn ran on goroutine %llu, the caller is %llu",
		  (unsigned long long)atomic_load(&a.goid),
		  (unsigned long long)rt_goid());
	RTT_CHECK(rt_probe_count("newproc") > created0,
		  "no goroutine was created for fn");
	rt_sleep(100 * MS);
	RTT_CHECK(atomic_load(&a.runs) == 1, "fn ran %ld times",
		  atomic_load(&a.runs));
	RTT_CHECK(!rt_timer_stop(t), "stop after fn ran returned true");
}

START_TEST(
    test_after_func_runs_fn_once_in_its_own_goroutine_no_earlier_than_asked)
{
	rtt_run(2, after_func_main, NULL);
}
END_TEST

static void after_func_stop_main(void *arg)
{
	static struct af a;
	rt_timer *t = rt_after_func(20 * MS, af_fn, &a);

	(void)arg;
	RTT_CHECK(rt_timer_stop(t), "stop of a pending AfterFunc: false");
	rt_sleep(100 * MS);
	RTT_CHECK(atomic_load(&a.runs) == 0, "stopped fn ran %ld times",
		  atomic_load(&a.runs));
}

START_TEST(test_stop_before_an_after_func_fires_returns_true_and_fn_never_runs)
{
	rtt_run(2, after_func_stop_main, NULL);
}
END_TEST

static void after_func_reset_main(void *arg)
{
	static struct af a;
	int64_t t1;
	rt_timer *t = rt_after_func(1000000 * MS, af_fn, &a);

	(void)arg;
	t1 = rt_nanotime();
	RTT_CHECK(rt_timer_reset(t, 20 * MS), "reset of a pending AfterFunc");
	rtt_note_wait(&a.done);
	RTT_CHECK(atomic_load(&a.at) >= t1 + 20 * MS,
		  "fn ran %lld ns after a reset to 20 ms",
		  (long long)(atomic_load(&a.at) - t1));
	rt_sleep(60 * MS);
	RTT_CHECK(atomic_load(&a.runs) == 1, "fn ran %ld times",
		  atomic_load(&a.runs));
}

START_TEST(test_reset_after_func_runs_fn_once_at_the_new_deadline)
{
	rtt_run(2, after_func_reset_main, NULL);
}
END_TEST

/* ---- Sleep ------------------------------------------------------------ */

static void sleep_main(void *arg)
{
	static const int64_t ds[] = {1, 1000, 1 * MS, 10 * MS, 30 * MS};

	(void)arg;
	for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		int64_t t0 = rt_nanotime(), m0 = rtt_mono_ns();

		rt_sleep(ds[i]);
		RTT_CHECK(rt_nanotime() - t0 >= ds[i] &&
			      rtt_mono_ns() - m0 >= ds[i],
			  "rt_sleep(%lld) returned after %lld ns",
			  (long long)ds[i], (long long)(rt_nanotime() - t0));
	}
}

START_TEST(test_sleep_sleeps_at_least_d)
{
	rtt_run(2, sleep_main, NULL);
}
END_TEST

static void sleep_zero_main(void *arg)
{
	uint64_t add0 = rt_probe_count("addtimer");

	(void)arg;
	for (int i = 0; i < 1000; i++) {
		rt_sleep(0);
		rt_sleep(-1);
	}
	RTT_CHECK(rt_probe_count("addtimer") == add0,
		  "rt_sleep(0) and rt_sleep(-1) added %llu timers",
		  (unsigned long long)(rt_probe_count("addtimer") - add0));
}

START_TEST(test_sleep_of_zero_or_less_returns_at_once_without_a_timer)
{
	rtt_run(1, sleep_zero_main, NULL);
}
END_TEST

enum { SLEEPERS = 1000 };

struct sleepers {
	atomic_long early, woke;
	char first_early[128];
	rtt_join j;
};

static struct sleepers sl;

static void random_sleeper(void *arg)
{
	long i = (long)(intptr_t)arg;
	int64_t d = (int64_t)((i * 7919) % 50) * MS + (i % 1000) * 1000;
	int64_t t0 = rt_nanotime(), slept;

	rt_sleep(d);
	slept = rt_nanotime() - t0;
	if (slept < d && atomic_fetch_add(&sl.early, 1) == 0)
		snprintf(sl.first_early, sizeof(sl.first_early),
			 "goroutine %ld slept %lld ns of %lld", i,
			 (long long)slept, (long long)d);
	atomic_fetch_add(&sl.woke, 1);
	rtt_join_done(&sl.j);
}

static void many_sleepers_main(void *arg)
{
	(void)arg;
	rtt_join_add(&sl.j, SLEEPERS);
	for (long i = 0; i < SLEEPERS; i++)
		rt_go(random_sleeper, (void *)(intptr_t)i);
	rtt_join_wait(&sl.j);
	RTT_CHECK(atomic_load(&sl.early) == 0, "%ld woke early (first: %s)",
		  atomic_load(&sl.early), sl.first_early);
	RTT_CHECK(atomic_load(&sl.woke) == SLEEPERS, "%ld of %d woke",
		  atomic_load(&sl.woke), SLEEPERS);
}

START_TEST(
    test_1000_goroutines_sleeping_different_durations_each_wake_no_earlier_than_asked)
{
	rtt_run(0, many_sleepers_main, NULL);
}
END_TEST

/* One P, held by a goroutine that spins without any runtime call: a
 * sleeper still wakes (sysmon preempts the spinner, the timer runs). */
struct spin_sleep {
	atomic_int stop;
	atomic_long spinning;
	int64_t deadline;
	rtt_join j;
};

static void spin_until_stopped(void *arg)
{
	struct spin_sleep *s = arg;
	long n = 0;

	atomic_store(&s->spinning, 1);
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		rtt_cpu_relax();
		if ((++n & ((1L << 20) - 1)) == 0 &&
		    rtt_mono_ns() > s->deadline) {
			RTT_CHECK(false, "the sleeper never woke while a "
					 "goroutine spun on the only P");
			break;
		}
	}
	rtt_join_done(&s->j);
}

static void spin_sleep_main(void *arg)
{
	static struct spin_sleep s;
	int64_t t0;

	(void)arg;
	s.deadline = rtt_mono_ns() + RTT_STUCK_NS;
	rtt_join_add(&s.j, 1);
	rt_go(spin_until_stopped, &s);
	t0 = rt_nanotime();
	rt_sleep(10 * MS); /* the spinner takes the P */
	RTT_CHECK(rt_nanotime() - t0 >= 10 * MS, "slept %lld ns",
		  (long long)(rt_nanotime() - t0));
	atomic_store(&s.stop, 1);
	rtt_join_wait(&s.j);
}

START_TEST(test_sleeper_wakes_while_the_only_p_runs_a_spinning_goroutine)
{
	rtt_run(1, spin_sleep_main, NULL);
}
END_TEST

/* ---- After ------------------------------------------------------------ */

static void after_main(void *arg)
{
	int64_t t0 = rt_nanotime(), v = 0;
	rt_chan *c = rt_after(15 * MS);

	(void)arg;
	RTT_CHECK(rt_chan_cap(c) == 1, "cap %zu", rt_chan_cap(c));
	RTT_CHECK(rt_chan_recv(c, &v), "receive");
	RTT_CHECK(v >= t0 + 15 * MS, "After(15 ms) delivered after %lld ns",
		  (long long)(v - t0));
}

START_TEST(test_after_delivers_the_time_no_earlier_than_asked)
{
	rtt_run(2, after_main, NULL);
}
END_TEST

/*
 * time.After in a loop: 100,000 calls of After(1 hour). Each adds a timer
 * (addtimer) that stays in its P's heap, holding its channel, until it
 * fires: none runs or is deleted, and a full collection frees none of
 * their memory (at least 64 bytes each: a timer plus a channel). With
 * RT_TIMER_GC=1 they are dropped as soon as nothing references them, as
 * in Go 1.23: the collection gets their memory back.
 */
enum { AFTERS = 100000 };

struct afters_result {
	uint64_t added, ran, deleted;
	int64_t growth; /* heap_alloc after rt_gc, minus before */
};

static __attribute__((noinline)) void make_afters(void)
{
	for (int i = 0; i < AFTERS; i++)
		(void)rt_after(3600LL * 1000 * MS);
	rtt_clobber_stack();
}

static void afters_main(void *arg)
{
	struct afters_result *r = arg;
	struct rt_memstats m0, m1;
	uint64_t add0, run0, del0;

	rtt_heap_exists();
	rt_gc();
	rt_read_memstats(&m0);
	add0 = rt_probe_count("addtimer");
	run0 = rt_probe_count("runtimer");
	del0 = rt_probe_count("deltimer");
	make_afters();
	rt_gc();
	rt_gc();
	rt_read_memstats(&m1);
	r->added = rt_probe_count("addtimer") - add0;
	r->ran = rt_probe_count("runtimer") - run0;
	r->deleted = rt_probe_count("deltimer") - del0;
	r->growth = (int64_t)m1.heap_alloc - (int64_t)m0.heap_alloc;
}

START_TEST(test_100000_afters_stay_in_the_timer_heaps_until_they_fire)
{
	static struct afters_result r;

	unsetenv("RT_TIMER_GC");
	rtt_run(1, afters_main, &r);
	ck_assert_msg(r.added == AFTERS, "addtimer moved by %llu for %d Afters",
		      (unsigned long long)r.added, AFTERS);
	ck_assert_msg(r.ran == 0 && r.deleted == 0,
		      "1-hour timers ran (%llu) or were deleted (%llu)",
		      (unsigned long long)r.ran, (unsigned long long)r.deleted);
	ck_assert_msg(r.growth >= (int64_t)AFTERS * 64,
		      "after a full GC the heap holds %lld more bytes, less "
		      "than 64 per pending After",
		      (long long)r.growth);
}
END_TEST

START_TEST(test_100000_afters_with_rt_timer_gc_are_dropped_once_unreferenced)
{
	static struct afters_result r;

	setenv("RT_TIMER_GC", "1", 1);
	rtt_run(1, afters_main, &r);
	ck_assert_msg(r.ran == 0, "%llu 1-hour timers ran",
		      (unsigned long long)r.ran);
	ck_assert_msg(r.growth < (int64_t)AFTERS * 16,
		      "with RT_TIMER_GC=1, after a full GC the heap still "
		      "holds %lld more bytes (%lld per unreferenced After)",
		      (long long)r.growth, (long long)(r.growth / AFTERS));
}
END_TEST

/* ---- Ticker ----------------------------------------------------------- */

enum { TICKS = 100 };
#define PERIOD (10 * MS)

static void ticker_main(void *arg)
{
	int64_t t0 = rt_nanotime(), v = 0, prev = 0;
	rt_ticker *tk = rt_ticker_new(PERIOD);

	(void)arg;
	RTT_CHECK(rt_chan_cap(tk->C) == 1, "cap %zu", rt_chan_cap(tk->C));
	for (int k = 1; k <= TICKS; k++) {
		RTT_CHECK(rt_chan_recv(tk->C, &v), "receive");
		/* Tick k is due at t0 + k * PERIOD at the earliest (later if
		 * a tick was dropped for a slow receiver). */
		RTT_CHECK(v >= t0 + k * PERIOD,
			  "tick %d came %lld ns after the start, before %lld",
			  k, (long long)(v - t0), (long long)(k * PERIOD));
		RTT_CHECK(v > prev, "tick %d's time did not increase", k);
		prev = v;
		if (!rtt_ok())
			break;
	}
	rt_ticker_stop(tk);
	/* No upper bound on v - t0: on a loaded machine the receiver falls
	 * behind, ticks are dropped (as Go's sendTime drops them) and the
	 * 100th received tick is a later one: a bound would test the
	 * machine's load, not the ticker. */
}

START_TEST(test_ticker_ticks_in_order_never_before_its_period)
{
	rtt_run(2, ticker_main, NULL);
}
END_TEST

static void ticker_stop_main(void *arg)
{
	rt_ticker *tk = rt_ticker_new(5 * MS);
	int64_t v;
	bool ok;

	(void)arg;
	for (int i = 0; i < 3; i++)
		RTT_CHECK(rt_chan_recv(tk->C, &v), "receive");
	rt_ticker_stop(tk);
	(void)rt_chan_tryrecv(tk->C, &v, &ok); /* one may be buffered */
	rt_sleep(60 * MS);
	RTT_CHECK(!rt_chan_tryrecv(tk->C, &v, &ok), "a stopped ticker ticked");
}

START_TEST(test_stopped_ticker_ticks_no_more)
{
	rtt_run(2, ticker_stop_main, NULL);
}
END_TEST

static void ticker_reset_main(void *arg)
{
	rt_ticker *tk = rt_ticker_new(1000000 * MS);
	int64_t t1, v = 0;

	(void)arg;
	t1 = rt_nanotime();
	rt_ticker_reset(tk, 10 * MS);
	for (int k = 1; k <= 5; k++) {
		RTT_CHECK(rt_chan_recv(tk->C, &v), "receive");
		RTT_CHECK(v >= t1 + k * 10 * MS,
			  "tick %d came %lld ns after the reset", k,
			  (long long)(v - t1));
	}
	rt_ticker_stop(tk);
}

START_TEST(test_ticker_reset_changes_the_period)
{
	rtt_run(2, ticker_reset_main, NULL);
}
END_TEST

/* A ticker nobody reads (its channel full) holds up no other timer. */
static void unread_ticker_main(void *arg)
{
	rt_ticker *tk = rt_ticker_new(1 * MS);
	rt_timer *t;
	int64_t t0, v = 0;

	(void)arg;
	rt_sleep(50 * MS);
	RTT_CHECK(rt_chan_len(tk->C) == 1, "len %zu", rt_chan_len(tk->C));
	t0 = rt_nanotime();
	t = rt_timer_new(20 * MS);
	RTT_CHECK(rt_chan_recv(t->C, &v), "receive");
	RTT_CHECK(v >= t0 + 20 * MS, "timer fired early");
	rt_ticker_stop(tk);
}

START_TEST(test_a_ticker_nobody_reads_holds_up_no_other_timer)
{
	rtt_run(2, unread_ticker_main, NULL);
}
END_TEST

/* ---- many timers ------------------------------------------------------ */

/*
 * 4 goroutines each make 2,500 AfterFunc timers (500 under TSan, whose
 * goroutines alive at once RTT_LIVE_CAP caps) with deadlines spread over
 * 100 ms, then stop a third and reset a third. Each runs exactly as often
 * as Stop and Reset say (0 if stopped while pending; 2 if reset after it
 * had fired; else 1), never before its last deadline.
 */
enum { MT_G = 4, MT_PER = RTT_LIVE_CAP(10000) / MT_G, MT_N = MT_G * MT_PER };

struct mtimer {
	rt_timer *t;
	_Atomic int64_t deadline; /* the latest deadline set */
	_Atomic int64_t last_run;
	atomic_int runs;
	int want;
};

static struct mtimer mt[MT_N];
static atomic_long mt_pending;
static rtt_note mt_done;

static void mt_fn(void *arg)
{
	struct mtimer *m = arg;
	int64_t now = rt_nanotime(), last = atomic_load(&m->last_run);

	while (last < now &&
	       !atomic_compare_exchange_weak(&m->last_run, &last, now))
		;
	atomic_fetch_add(&m->runs, 1);
	if (atomic_fetch_sub(&mt_pending, 1) == 1)
		rtt_note_signal(&mt_done);
}

/*
 * mt_pending counts the runs still due: one per timer as it is made, then
 * corrected by what Stop or Reset returned, plus one per maker until it is
 * done, so it reaches 0 only when every run has happened.
 */
static void mt_maker(void *arg)
{
	int base = (int)(intptr_t)arg * MT_PER;

	for (int i = base; i < base + MT_PER; i++) {
		int64_t d = (int64_t)((i * 7919) % 100) * MS + i % 1000;

		atomic_fetch_add(&mt_pending, 1);
		atomic_store(&mt[i].deadline, rt_nanotime() + d);
		mt[i].t = rt_after_func(d, mt_fn, &mt[i]);
	}
	for (int i = base; i < base + MT_PER; i++) {
		if (i % 3 == 0) {
			mt[i].want = rt_timer_stop(mt[i].t) ? 0 : 1;
		} else if (i % 3 == 1) {
			int64_t d = (int64_t)(i % 50) * MS;

			atomic_store(&mt[i].deadline, rt_nanotime() + d);
			mt[i].want = rt_timer_reset(mt[i].t, d) ? 1 : 2;
		} else {
			mt[i].want = 1;
		}
		atomic_fetch_add(&mt_pending, mt[i].want - 1);
	}
	if (atomic_fetch_sub(&mt_pending, 1) == 1) /* this maker's own */
		rtt_note_signal(&mt_done);
}

static void many_timers_main(void *arg)
{
	long early = 0, wrong = 0;
	char first[160] = "";

	(void)arg;
	/* one extra count per maker, dropped when it has set its wants */
	atomic_store(&mt_pending, MT_G);
	for (long g = 0; g < MT_G; g++)
		rt_go(mt_maker, (void *)(intptr_t)g);
	while (atomic_load(&mt_pending) != 0)
		rtt_note_wait(&mt_done);
	rt_sleep(150 * MS); /* any extra run would come by now */
	for (int i = 0; i < MT_N; i++) {
		int runs = atomic_load(&mt[i].runs);

		if (runs != mt[i].want && wrong++ == 0)
			snprintf(first, sizeof(first),
				 "timer %d ran %d times, want %d", i, runs,
				 mt[i].want);
		if (runs > 0 &&
		    atomic_load(&mt[i].last_run) < atomic_load(&mt[i].deadline))
			early++;
	}
	RTT_CHECK(wrong == 0, "%ld timers ran a wrong number of times (%s)",
		  wrong, first);
	RTT_CHECK(early == 0, "%ld timers last ran before their deadline",
		  early);
}

START_TEST(
    test_10000_timers_stopped_and_reset_at_random_each_run_as_often_as_stop_and_reset_say)
{
	rtt_run(0, many_timers_main, NULL);
}
END_TEST

static Suite *time_suite(void)
{
	Suite *s = suite_create("time");
	TCase *tc;

	tc = tcase_create("timer");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_timer_fires_no_earlier_than_asked);
	tcase_add_test(tc,
		       test_timer_with_zero_or_negative_duration_fires_at_once);
	tcase_add_test(tc, test_timer_channel_has_capacity_1);
	tcase_add_test(
	    tc, test_stop_of_an_active_timer_returns_true_and_nothing_arrives);
	tcase_add_test(tc, test_stop_after_the_timer_fired_returns_false);
	tcase_add_test(
	    tc,
	    test_reset_of_an_active_timer_returns_true_and_it_fires_once_at_the_new_deadline);
	tcase_add_test(
	    tc,
	    test_reset_of_a_fired_timer_returns_false_and_it_fires_once_more);
	tcase_add_test(
	    tc, test_reset_of_a_stopped_timer_returns_false_and_it_fires_once);
	tcase_add_test(
	    tc,
	    test_a_timer_pushed_later_and_a_newer_one_due_in_between_each_fire_no_earlier_than_asked);
	tcase_add_test(
	    tc,
	    test_10000_timers_stopped_and_reset_at_random_each_run_as_often_as_stop_and_reset_say);
	suite_add_tcase(s, tc);

	tc = tcase_create("after_func");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc,
	    test_after_func_runs_fn_once_in_its_own_goroutine_no_earlier_than_asked);
	tcase_add_test(
	    tc,
	    test_stop_before_an_after_func_fires_returns_true_and_fn_never_runs);
	tcase_add_test(tc,
		       test_reset_after_func_runs_fn_once_at_the_new_deadline);
	suite_add_tcase(s, tc);

	tc = tcase_create("sleep");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_sleep_sleeps_at_least_d);
	tcase_add_test(
	    tc, test_sleep_of_zero_or_less_returns_at_once_without_a_timer);
	tcase_add_test(
	    tc,
	    test_1000_goroutines_sleeping_different_durations_each_wake_no_earlier_than_asked);
	tcase_add_test(
	    tc, test_sleeper_wakes_while_the_only_p_runs_a_spinning_goroutine);
	suite_add_tcase(s, tc);

	tc = tcase_create("after");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_after_delivers_the_time_no_earlier_than_asked);
	tcase_add_test(
	    tc, test_100000_afters_stay_in_the_timer_heaps_until_they_fire);
	tcase_add_test(
	    tc,
	    test_100000_afters_with_rt_timer_gc_are_dropped_once_unreferenced);
	suite_add_tcase(s, tc);

	tc = tcase_create("ticker");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_ticker_ticks_in_order_never_before_its_period);
	tcase_add_test(tc, test_stopped_ticker_ticks_no_more);
	tcase_add_test(tc, test_ticker_reset_changes_the_period);
	tcase_add_test(tc, test_a_ticker_nobody_reads_holds_up_no_other_timer);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_suite_main(time_suite());
}

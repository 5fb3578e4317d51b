/*
 * test_proc.c — the scheduler (runtime/proc.c) as a specification:
 * goroutine creation and exit, park/ready, spreading work over the Ps,
 * Gosched, cooperative and asynchronous preemption, system calls and
 * sysmon's retake, LockOSThread.
 *
 * Every test calls rt_main exactly once (libcheck forks one child per test).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "rt_test.h"

/* ---- goroutine ids ---------------------------------------------------- */

static _Atomic uint64_t child_goid_seen;
static rtt_note child_done;

static void record_own_goid(void *arg)
{
	(void)arg;
	atomic_store(&child_goid_seen, rt_goid());
	RTT_CHECK(rt_g_id(rt_getg()) == rt_goid(),
		  "rt_g_id(rt_getg())=%llu rt_goid()=%llu",
		  (unsigned long long)rt_g_id(rt_getg()),
		  (unsigned long long)rt_goid());
	rtt_note_signal(&child_done);
}

static void main_goid_is_one(void *arg)
{
	(void)arg;
	RTT_CHECK(rt_goid() == 1, "main goroutine id is %llu",
		  (unsigned long long)rt_goid());
	RTT_CHECK(rt_getg() != NULL, "rt_getg() is NULL on main");
	RTT_CHECK(rt_g_id(rt_getg()) == 1, "rt_g_id(rt_getg()) is %llu",
		  (unsigned long long)rt_g_id(rt_getg()));
}

START_TEST(test_main_goroutine_has_id_1)
{
	rtt_run(0, main_goid_is_one, NULL);
}
END_TEST

static void go_returns_new_goid(void *arg)
{
	uint64_t id;

	(void)arg;
	id = rt_go(record_own_goid, NULL);
	rtt_note_wait(&child_done);
	RTT_CHECK(id > 1, "rt_go returned %llu", (unsigned long long)id);
	RTT_CHECK(atomic_load(&child_goid_seen) == id,
		  "rt_go returned %llu but the goroutine saw rt_goid()=%llu",
		  (unsigned long long)id,
		  (unsigned long long)atomic_load(&child_goid_seen));
}

START_TEST(test_rt_go_returns_the_new_goroutines_id)
{
	rtt_run(0, go_returns_new_goid, NULL);
}
END_TEST

static void nop_goroutine(void *arg)
{
	rtt_join_done(arg);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Ids are unique and never 0. They need not increase: like Go, librt hands
 * out goids in per-P batches of 16, so a goroutine that moves to another P
 * continues from that P's batch.
 */
static void goids_are_unique(void *arg)
{
	enum { N = 1000 };
	static uint64_t ids[N];
	rtt_join j = {0};

	(void)arg;
	rtt_join_add(&j, N);
	for (int i = 0; i < N; i++)
		ids[i] = rt_go(nop_goroutine, &j);
	rtt_join_wait(&j);
	qsort(ids, N, sizeof(ids[0]), cmp_u64);
	RTT_CHECK(ids[0] > 1, "goroutine id %llu reused main's or is 0",
		  (unsigned long long)ids[0]);
	for (int i = 1; i < N; i++)
		RTT_CHECK(ids[i] != ids[i - 1], "goroutine id %llu given twice",
			  (unsigned long long)ids[i]);
}

START_TEST(test_goroutine_ids_are_unique)
{
	rtt_run(0, goids_are_unique, NULL);
}
END_TEST

/* ---- spawn and join --------------------------------------------------- */

enum { SPAWN_N = 100000 };

static atomic_long spawn_ran;

static void spawned(void *arg)
{
	rtt_join *j = arg;

	atomic_fetch_add(&spawn_ran, 1);
	rtt_join_done(j);
}

static void spawn_and_join(void *arg)
{
	rtt_join j = {0};
	struct rt_sched_stats before, after;

	(void)arg;
	rt_read_sched_stats(&before);
	rtt_join_add(&j, SPAWN_N);
	for (long i = 0; i < SPAWN_N; i++)
		rt_go(spawned, &j);
	rtt_join_wait(&j);
	RTT_CHECK(atomic_load(&spawn_ran) == SPAWN_N,
		  "%ld of %d goroutines ran", atomic_load(&spawn_ran), SPAWN_N);
	rt_read_sched_stats(&after);
	RTT_CHECK(after.goroutines_created - before.goroutines_created ==
		      SPAWN_N,
		  "goroutines_created grew by %llu, expected %d",
		  (unsigned long long)(after.goroutines_created -
				       before.goroutines_created),
		  SPAWN_N);
}

START_TEST(test_spawn_and_join_100000_goroutines)
{
	rtt_run(0, spawn_and_join, NULL);
}
END_TEST

/* Each goroutine gets its own argument. */
enum { ARG_N = 10000 };
static atomic_int arg_hits[ARG_N];

static void mark_arg(void *arg)
{
	long i = (long)(intptr_t)arg;

	atomic_fetch_add(&arg_hits[i], 1);
}

static void args_reach_goroutines(void *arg)
{
	(void)arg;
	for (long i = 0; i < ARG_N; i++)
		rt_go(mark_arg, (void *)(intptr_t)i);
	/* Join by polling: only Gosched, no park/ready involved. */
	for (;;) {
		int done = 0;

		for (int i = 0; i < ARG_N; i++)
			done += atomic_load(&arg_hits[i]) != 0;
		if (done == ARG_N)
			break;
		rt_gosched();
	}
	for (int i = 0; i < ARG_N; i++)
		RTT_CHECK(atomic_load(&arg_hits[i]) == 1,
			  "goroutine with arg %d ran %d times", i,
			  atomic_load(&arg_hits[i]));
}

START_TEST(test_each_goroutine_runs_once_with_its_own_argument)
{
	rtt_run(0, args_reach_goroutines, NULL);
}
END_TEST

/* When main returns, the other goroutines never run again. */
static atomic_long forever_count;

static void run_forever(void *arg)
{
	(void)arg;
	for (;;) {
		atomic_fetch_add(&forever_count, 1);
		rt_gosched();
	}
}

static void start_forever_then_return(void *arg)
{
	(void)arg;
	rt_go(run_forever, NULL);
	while (atomic_load(&forever_count) < 100)
		rt_gosched();
}

START_TEST(test_other_goroutines_stop_once_main_returns)
{
	long c1, c2;

	rtt_run(2, start_forever_then_return, NULL);
	usleep(20 * 1000);
	c1 = atomic_load(&forever_count);
	usleep(100 * 1000);
	c2 = atomic_load(&forever_count);
	ck_assert_msg(c1 == c2,
		      "a goroutine kept running after rt_main returned "
		      "(%ld then %ld iterations)",
		      c1, c2);
}
END_TEST

/* ---- park / ready ----------------------------------------------------- */

enum { PINGPONG_N = 1000000 };

struct pingpong {
	rtt_note ping, pong;
	atomic_int turn; /* 0: ping's turn, 1: pong's */
	long pongs;
	rtt_join j;
};

static void ponger(void *arg)
{
	struct pingpong *pp = arg;

	for (long i = 0; i < PINGPONG_N; i++) {
		rtt_note_wait(&pp->pong);
		RTT_CHECK(atomic_load(&pp->turn) == 1,
			  "pong %ld ran before its ping", i);
		pp->pongs++;
		atomic_store(&pp->turn, 0);
		rtt_note_signal(&pp->ping);
	}
	rtt_join_done(&pp->j);
}

static void pingpong_main(void *arg)
{
	struct pingpong *pp = arg;

	rtt_join_add(&pp->j, 1);
	rt_go(ponger, pp);
	for (long i = 0; i < PINGPONG_N; i++) {
		RTT_CHECK(atomic_load(&pp->turn) == 0,
			  "ping %ld ran before the previous pong", i);
		atomic_store(&pp->turn, 1);
		rtt_note_signal(&pp->pong);
		rtt_note_wait(&pp->ping);
	}
	rtt_join_wait(&pp->j);
}

START_TEST(test_1000000_ping_pongs_through_park_and_ready)
{
	static struct pingpong pp;

	rtt_run(2, pingpong_main, &pp);
	ck_assert_int_eq(pp.pongs, PINGPONG_N);
	/* The handshake really parked, not only spun on signalled notes. */
	ck_assert_uint_gt(
	    atomic_load(&pp.ping.parks) + atomic_load(&pp.pong.parks), 0);
}
END_TEST

START_TEST(test_1000000_ping_pongs_on_one_p_park_every_unpreempted_round)
{
	static struct pingpong pp;
	struct rt_sched_stats st;
	uint64_t preempts;

	rtt_run(1, pingpong_main, &pp);
	ck_assert_int_eq(pp.pongs, PINGPONG_N);
	/*
	 * With one P the ponger runs only once the pinger is off the P, so
	 * every ping parks, unless sysmon preempted the pinger between its
	 * signal and its wait (the pair shares one time slice through
	 * runnext, as in Go, so that happens every 10 ms).
	 */
	rt_read_sched_stats(&st);
	preempts = st.preempt_coop + st.preempt_async;
	ck_assert_msg(atomic_load(&pp.ping.parks) + preempts >= PINGPONG_N,
		      "ping parked %llu times in %d rounds with %llu "
		      "preemptions",
		      (unsigned long long)atomic_load(&pp.ping.parks),
		      PINGPONG_N, (unsigned long long)preempts);
}
END_TEST

/* unlockf runs with the parking G and the lock argument. */
struct unlockf_probe {
	rt_g *self;
	rt_g *gp_seen;
	void *lock_seen;
	int calls;
};

static bool refuse_park(rt_g *gp, void *lock)
{
	struct unlockf_probe *up = lock;

	up->gp_seen = gp;
	up->lock_seen = lock;
	up->calls++;
	return false;
}

static void park_refused(void *arg)
{
	struct unlockf_probe *up = arg;

	up->self = rt_getg();
	rt_gopark(refuse_park, up, RT_WAIT_SLEEP);
	/* Reaching here without any goready is the behaviour under test. */
}

START_TEST(test_gopark_resumes_at_once_when_unlockf_returns_false)
{
	static struct unlockf_probe up;

	rtt_run(1, park_refused, &up);
	ck_assert_int_eq(up.calls, 1);
	ck_assert_ptr_eq(up.gp_seen, up.self);
	ck_assert_ptr_eq(up.lock_seen, &up);
}
END_TEST

/* A goroutine parked with a NULL unlockf stays parked until readied. */
static _Atomic(rt_g *) null_parked_g;
static atomic_int null_parked_resumed;

static void park_with_null_unlockf(void *arg)
{
	rtt_join *j = arg;

	atomic_store(&null_parked_g, rt_getg());
	rt_gopark(NULL, NULL, RT_WAIT_SLEEP);
	atomic_store(&null_parked_resumed, 1);
	rtt_join_done(j);
}

static void null_unlockf_main(void *arg)
{
	rtt_join j = {0};
	rt_g *gp;

	(void)arg;
	rtt_join_add(&j, 1);
	rt_go(park_with_null_unlockf, &j);
	/* One P: once the child has published itself it is off the P. */
	while ((gp = atomic_load(&null_parked_g)) == NULL)
		rt_gosched();
	for (int i = 0; i < 1000; i++)
		rt_gosched();
	RTT_CHECK(atomic_load(&null_parked_resumed) == 0,
		  "parked goroutine ran without rt_goready");
	rt_goready(gp);
	rtt_join_wait(&j);
	RTT_CHECK(atomic_load(&null_parked_resumed) == 1,
		  "readied goroutine did not resume");
}

START_TEST(test_parked_goroutine_runs_only_after_goready)
{
	rtt_run(1, null_unlockf_main, NULL);
}
END_TEST

/* ---- work spreads to every P ------------------------------------------ */

enum { SPREAD_G = 64, SPREAD_ROUNDS = 2000 };

static atomic_uint spread_seen; /* bit per P id */
static atomic_int spread_bad_pid;

static void spread_worker(void *arg)
{
	rtt_join *j = arg;
	unsigned all = (1u << rt_gomaxprocs()) - 1;

	for (int r = 0; r < SPREAD_ROUNDS; r++) {
		int pid = rt_procid();

		if (pid < 0 || pid >= rt_gomaxprocs()) {
			atomic_store(&spread_bad_pid, pid + 1000);
			break;
		}
		if ((atomic_fetch_or(&spread_seen, 1u << pid) | 1u << pid) ==
		    all)
			break;
		rtt_burn(20000);
		rt_gosched();
	}
	rtt_join_done(j);
}

static void spread_main(void *arg)
{
	rtt_join j = {0};

	(void)arg;
	RTT_CHECK(rt_gomaxprocs() == 2, "rt_gomaxprocs()=%d with RT_MAXPROCS=2",
		  rt_gomaxprocs());
	rtt_join_add(&j, SPREAD_G);
	for (int i = 0; i < SPREAD_G; i++)
		rt_go(spread_worker, &j);
	rtt_join_wait(&j);
}

START_TEST(test_work_spreads_to_every_p)
{
	rtt_run(2, spread_main, NULL);
	ck_assert_msg(atomic_load(&spread_bad_pid) == 0,
		      "rt_procid() out of range: %d",
		      atomic_load(&spread_bad_pid) - 1000);
	ck_assert_msg(atomic_load(&spread_seen) == 0x3,
		      "Ps that ran goroutines (bitmask): 0x%x, want 0x3",
		      atomic_load(&spread_seen));
}
END_TEST

static void maxprocs_main(void *arg)
{
	int want = *(int *)arg;

	RTT_CHECK(rt_gomaxprocs() == want, "rt_gomaxprocs()=%d, want %d",
		  rt_gomaxprocs(), want);
	RTT_CHECK(rt_procid() >= 0 && rt_procid() < want, "rt_procid()=%d",
		  rt_procid());
}

START_TEST(test_rt_maxprocs_sets_the_number_of_ps)
{
	static int want = 3;

	rtt_run(want, maxprocs_main, &want);
}
END_TEST

/* ---- Gosched ---------------------------------------------------------- */

enum { FAIR_SEEN = 1000, FAIR_ROUNDS_MAX = 10000000 };

struct fair {
	atomic_long count[2];
	atomic_int done[2];
	long seen[2];	  /* times each saw the other's counter advance */
	int64_t deadline; /* RTT_STUCK_NS after the start */
	rtt_join j;
};

struct fair_arg {
	struct fair *f;
	int me;
};

static void gosched_worker(void *arg)
{
	struct fair_arg *fa = arg;
	struct fair *f = fa->f;
	int me = fa->me, other = 1 - me;
	long last = atomic_load(&f->count[other]);

	for (long r = 0; r < FAIR_ROUNDS_MAX && f->seen[me] < FAIR_SEEN &&
			 !atomic_load(&f->done[other]);
	     r++) {
		long now;

		atomic_fetch_add(&f->count[me], 1);
		rt_gosched();
		now = atomic_load(&f->count[other]);
		if (now != last)
			f->seen[me]++;
		last = now;
	}
	atomic_store(&f->done[me], 1);
	rtt_join_done(&f->j);
}

static void gosched_main(void *arg)
{
	struct fair *f = arg;
	static struct fair_arg a[2];

	rtt_join_add(&f->j, 2);
	for (int i = 0; i < 2; i++) {
		a[i] = (struct fair_arg){f, i};
		rt_go(gosched_worker, &a[i]);
	}
	rtt_join_wait(&f->j);
}

START_TEST(test_gosched_keeps_two_cpu_bound_goroutines_on_one_p_both_moving)
{
	static struct fair f;

	rtt_run(1, gosched_main, &f);
	/* The first to finish saw the other move FAIR_SEEN times. */
	ck_assert_msg(f.seen[0] >= FAIR_SEEN || f.seen[1] >= FAIR_SEEN,
		      "neither goroutine saw the other move %d times "
		      "(saw %ld and %ld)",
		      FAIR_SEEN, f.seen[0], f.seen[1]);
	ck_assert_msg(f.seen[0] > 0 && f.seen[1] > 0,
		      "a goroutine never saw the other move (%ld, %ld)",
		      f.seen[0], f.seen[1]);
}
END_TEST

/* ---- preemption ------------------------------------------------------- */

/*
 * One P. The spinner readies main, then spins without any runtime call until
 * main sets the flag: main can run only if sysmon preempts the spinner.
 */
struct spin {
	rtt_note main_note;
	atomic_int stop;
	atomic_long spins;
	int coop;
	int64_t deadline;
	rtt_join j;
};

/* spin_stuck: every 2^20 spins, whether RTT_STUCK_NS has passed. */
static bool spin_stuck(long n, int64_t deadline)
{
	return (n & ((1L << 20) - 1)) == 0 && rtt_mono_ns() > deadline;
}

static void spinner(void *arg)
{
	struct spin *s = arg;
	long n;

	rtt_note_signal(&s->main_note);
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		n = atomic_fetch_add_explicit(&s->spins, 1,
					      memory_order_relaxed);
		if (s->coop)
			rt_preempt_check();
		else
			rtt_cpu_relax();
		if (spin_stuck(n, s->deadline)) {
			RTT_CHECK(false,
				  "main never ran while a goroutine "
				  "spun on the only P (%s)",
				  s->coop ? "calling rt_preempt_check"
					  : "without runtime calls");
			break;
		}
	}
	rtt_join_done(&s->j);
}

static void spin_main(void *arg)
{
	struct spin *s = arg;

	s->deadline = rtt_mono_ns() + RTT_STUCK_NS;
	rtt_join_add(&s->j, 1);
	rt_go(spinner, s);
	/* Parks; the spinner readies us and keeps the only P. */
	rtt_note_wait(&s->main_note);
	RTT_CHECK(atomic_load(&s->spins) > 0,
		  "main resumed before the spinner spun");
	atomic_store(&s->stop, 1);
	rtt_join_wait(&s->j);
}

START_TEST(
    test_async_preemption_runs_a_goroutine_while_another_spins_without_runtime_calls)
{
	static struct spin s;
	struct rt_sched_stats st;

	s.coop = 0;
	rtt_run(1, spin_main, &s);
	rt_read_sched_stats(&st);
	ck_assert_msg(st.preempt_async >= 1, "main ran but preempt_async=%llu",
		      (unsigned long long)st.preempt_async);
}
END_TEST

START_TEST(test_preempt_check_lets_sysmon_preempt_a_spinning_goroutine)
{
	static struct spin s;
	struct rt_sched_stats st;

	s.coop = 1;
	rtt_run(1, spin_main, &s);
	rt_read_sched_stats(&st);
	ck_assert_msg(st.preempt_coop + st.preempt_async >= 1,
		      "main ran but preempt_coop=%llu preempt_async=%llu",
		      (unsigned long long)st.preempt_coop,
		      (unsigned long long)st.preempt_async);
}
END_TEST

/* Two pure-C spinners on one P both keep moving. */
enum { SPIN_SEEN = 3 };

static void pure_spin_worker(void *arg)
{
	struct fair_arg *fa = arg;
	struct fair *f = fa->f;
	int me = fa->me, other = 1 - me;
	long last =
	    atomic_load_explicit(&f->count[other], memory_order_relaxed);

	while (f->seen[me] < SPIN_SEEN &&
	       !atomic_load_explicit(&f->done[other], memory_order_relaxed)) {
		long now, n;

		n = atomic_fetch_add_explicit(&f->count[me], 1,
					      memory_order_relaxed);
		now = atomic_load_explicit(&f->count[other],
					   memory_order_relaxed);
		if (now != last)
			f->seen[me]++;
		last = now;
		if (spin_stuck(n, f->deadline)) {
			RTT_CHECK(false,
				  "spinner %d saw the other move %ld times, "
				  "then never again",
				  me, f->seen[me]);
			break;
		}
	}
	atomic_store(&f->done[me], 1);
	rtt_join_done(&f->j);
}

static void pure_spin_main(void *arg)
{
	struct fair *f = arg;
	static struct fair_arg a[2];

	f->deadline = rtt_mono_ns() + RTT_STUCK_NS;
	rtt_join_add(&f->j, 2);
	for (int i = 0; i < 2; i++) {
		a[i] = (struct fair_arg){f, i};
		rt_go(pure_spin_worker, &a[i]);
	}
	rtt_join_wait(&f->j);
}

START_TEST(test_preemption_keeps_two_spinning_goroutines_on_one_p_both_moving)
{
	static struct fair f;

	rtt_run(1, pure_spin_main, &f);
	ck_assert_msg(f.seen[0] >= SPIN_SEEN || f.seen[1] >= SPIN_SEEN,
		      "neither spinner saw the other move %d times "
		      "(saw %ld and %ld)",
		      SPIN_SEEN, f.seen[0], f.seen[1]);
	ck_assert_msg(f.seen[0] > 0 && f.seen[1] > 0,
		      "a spinner never saw the other move (%ld, %ld)",
		      f.seen[0], f.seen[1]);
}
END_TEST

/*
 * The same, on a thread with an alternate signal stack (as ASan installs on
 * every thread, and C libraries may): the preempted goroutines' signal
 * frames must not share, and overwrite each other on, that one stack.
 */
static void altstack_spin_main(void *arg)
{
	static char altstack[64 * 1024];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};

	RTT_CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack: %s",
		  strerror(errno));
	pure_spin_main(arg);
}

START_TEST(
    test_preemption_keeps_two_spinners_moving_on_a_thread_with_a_sigaltstack)
{
	static struct fair f;

	rtt_run(1, altstack_spin_main, &f);
	ck_assert_msg(f.seen[0] > 0 && f.seen[1] > 0,
		      "a spinner never saw the other move (%ld, %ld)",
		      f.seen[0], f.seen[1]);
}
END_TEST

/* ---- system calls ----------------------------------------------------- */

/*
 * One P. Main blocks in read(2) on a pipe inside entersyscall; only a
 * goroutine can write the pipe, and it can run only if sysmon retakes the P.
 */
struct sysc {
	int fds[2];
	atomic_int wrote;
	rtt_join j;
};

static void pipe_writer(void *arg)
{
	struct sysc *sc = arg;
	char c = 'x';

	atomic_store(&sc->wrote, 1);
	RTT_CHECK(write(sc->fds[1], &c, 1) == 1, "write: %s", strerror(errno));
	rtt_join_done(&sc->j);
}

static void blocking_syscall_main(void *arg)
{
	struct sysc *sc = arg;
	struct pollfd pfd = {.fd = sc->fds[0], .events = POLLIN};
	char c = 0;
	ssize_t n;
	int r;

	rtt_join_add(&sc->j, 1);
	rt_go(pipe_writer, sc);
	rt_entersyscall();
	do {
		r = poll(&pfd, 1, (int)(RTT_STUCK_NS / 1000000));
	} while (r < 0 && errno == EINTR);
	n = r == 1 ? read(sc->fds[0], &c, 1) : -1;
	rt_exitsyscall();
	RTT_CHECK(r == 1,
		  "the writer never ran while main was blocked in a "
		  "syscall (poll returned %d)",
		  r);
	if (r == 1)
		RTT_CHECK(n == 1 && c == 'x', "read returned %zd", n);
	RTT_CHECK(atomic_load(&sc->wrote) == 1, "writer did not run");
	RTT_CHECK(rt_procid() == 0, "rt_procid()=%d with one P", rt_procid());
	rtt_join_wait(&sc->j);
}

START_TEST(test_sysmon_retakes_the_p_of_a_goroutine_blocked_in_a_syscall)
{
	static struct sysc sc;
	struct rt_sched_stats st;

	ck_assert_int_eq(pipe(sc.fds), 0);
	rtt_run(1, blocking_syscall_main, &sc);
	rt_read_sched_stats(&st);
	ck_assert_msg(st.syscall_retakes >= 1,
		      "other goroutine ran but syscall_retakes=%llu",
		      (unsigned long long)st.syscall_retakes);
}
END_TEST

/* A goroutine sleeping in a syscall does not stop the one P's progress. */
struct sleeper {
	atomic_int in_sleep;
	atomic_int slept;
	atomic_long progress_during_sleep;
	atomic_long ticks;
	rtt_join j;
};

static void ticker(void *arg)
{
	struct sleeper *s = arg;

	while (!atomic_load(&s->slept)) {
		atomic_fetch_add(&s->ticks, 1);
		rtt_burn(1000);
		rt_gosched();
	}
	rtt_join_done(&s->j);
}

static void sleeping_syscall_main(void *arg)
{
	struct sleeper *s = arg;
	long before, moved;
	int64_t deadline;

	rtt_join_add(&s->j, 1);
	rt_go(ticker, s);
	/* Let the ticker start, so it is runnable while we sleep. */
	while (atomic_load(&s->ticks) == 0)
		rt_gosched();
	/* Sleep until the ticker has moved: returns only if it ran. */
	rt_entersyscall();
	before = atomic_load(&s->ticks);
	deadline = rtt_mono_ns() + RTT_STUCK_NS;
	while (atomic_load(&s->ticks) - before < 10 && rtt_mono_ns() < deadline)
		usleep(10 * 1000);
	moved = atomic_load(&s->ticks) - before;
	rt_exitsyscall();
	RTT_CHECK(moved >= 10,
		  "the other goroutine moved %ld times while this one slept "
		  "in a syscall",
		  moved);
	atomic_store(&s->slept, 1);
	rtt_join_wait(&s->j);
}

START_TEST(test_goroutines_keep_running_while_another_sleeps_in_a_syscall)
{
	static struct sleeper s;

	rtt_run(1, sleeping_syscall_main, &s);
	ck_assert_int_gt(atomic_load(&s.ticks), 10);
}
END_TEST

/*
 * Short syscalls: exitsyscall's fast path (the old P, or an idle one)
 * keeps the goroutine on its thread. Only the slow path (no P free at that
 * moment: exitsyscall0 queues the goroutine for any M, as in Go) may move
 * it, or a preemption between syscalls; so moves never outnumber slow
 * exits and preemptions.
 */
static void quick_syscalls_main(void *arg)
{
	struct rt_sched_stats before, after;
	int moves = 0;

	(void)arg;
	rt_read_sched_stats(&before);
	for (int i = 0; i < 2000; i++) {
		int tid = rt_thread_id();

		rt_entersyscall();
		if (i % 100 == 0)
			usleep(1000);
		rt_exitsyscall();
		if (rt_thread_id() != tid)
			moves++;
		RTT_CHECK(rt_procid() >= 0 && rt_procid() < rt_gomaxprocs(),
			  "rt_procid()=%d after syscall %d", rt_procid(), i);
		if (!rtt_ok())
			break;
	}
	rt_read_sched_stats(&after);
	uint64_t slow = after.exitsyscall_slow - before.exitsyscall_slow;
	/* a preemption between two syscalls may move it too: sysmon
	 * preempts a goroutine that runs 10 ms, which the loop does when
	 * slowed down (TSan: seen once) */
	uint64_t preempted = after.preempt_async - before.preempt_async +
			     after.preempt_coop - before.preempt_coop;
	RTT_CHECK((uint64_t)moves <= slow + preempted,
		  "%d syscalls moved the goroutine but only %llu took the slow "
		  "path and it was preempted %llu times",
		  moves, (unsigned long long)slow,
		  (unsigned long long)preempted);
}

START_TEST(test_exitsyscall_with_a_free_p_continues_on_the_same_thread)
{
	rtt_run(2, quick_syscalls_main, NULL);
}
END_TEST

/* ---- LockOSThread ----------------------------------------------------- */

enum { LOCK_ROUNDS = 3000, OBSERVERS = 6 };

struct locked {
	atomic_int phase; /* 0 before lock, 1 while locked, 2 after unlock */
	atomic_int locked_tid;
	atomic_int moved; /* first tid the locked goroutine was seen on */
	atomic_int stop_partner;
	rtt_note lnote, pnote;
	rtt_tidset observed; /* tids others ran on while phase == 1 */
	rtt_join j;
};

static void observe_tid(struct locked *l)
{
	int p1 = atomic_load(&l->phase);
	int tid = rt_thread_id();
	int p2 = atomic_load(&l->phase);

	if (p1 == 1 && p2 == 1)
		rtt_tidset_add(&l->observed, tid);
}

static void observer(void *arg)
{
	struct locked *l = arg;

	while (atomic_load(&l->phase) != 2) {
		observe_tid(l);
		rtt_burn(2000);
		rt_gosched();
	}
	rtt_join_done(&l->j);
}

static void partner(void *arg)
{
	struct locked *l = arg;

	for (;;) {
		rtt_note_wait(&l->pnote);
		if (atomic_load(&l->stop_partner))
			break;
		observe_tid(l);
		rtt_note_signal(&l->lnote);
	}
	rtt_join_done(&l->j);
}

static void locked_worker(void *arg)
{
	struct locked *l = arg;
	int tid;

	rt_lock_os_thread();
	tid = rt_thread_id();
	atomic_store(&l->locked_tid, tid);
	atomic_store(&l->phase, 1);
	for (int i = 0; i < LOCK_ROUNDS; i++) {
		switch (i % 3) {
		case 0:
			rt_gosched();
			break;
		case 1: /* park, readied by the partner from another M */
			rtt_note_signal(&l->pnote);
			rtt_note_wait(&l->lnote);
			break;
		case 2:
			rt_entersyscall();
			usleep(100);
			rt_exitsyscall();
			break;
		}
		if (rt_thread_id() != tid) {
			int expect = 0;

			atomic_compare_exchange_strong(&l->moved, &expect,
						       rt_thread_id());
		}
		rtt_burn(1000);
	}
	atomic_store(&l->phase, 2);
	rt_unlock_os_thread();
	atomic_store(&l->stop_partner, 1);
	rtt_note_signal(&l->pnote);
	rtt_join_done(&l->j);
}

static void locked_main(void *arg)
{
	struct locked *l = arg;

	rtt_join_add(&l->j, 2 + OBSERVERS);
	rt_go(partner, l);
	for (int i = 0; i < OBSERVERS; i++)
		rt_go(observer, l);
	rt_go(locked_worker, l);
	rtt_join_wait(&l->j);
}

START_TEST(test_locked_goroutine_always_runs_on_the_same_thread)
{
	static struct locked l;

	rtt_run(2, locked_main, &l);
	ck_assert_msg(atomic_load(&l.moved) == 0,
		      "locked goroutine moved from thread %d to %d",
		      atomic_load(&l.locked_tid), atomic_load(&l.moved));
}
END_TEST

START_TEST(test_locked_goroutines_thread_runs_no_other_goroutine)
{
	static struct locked l;

	rtt_run(2, locked_main, &l);
	ck_assert_int_eq(atomic_load(&l.observed.overflow), 0);
	/* The others did run while the goroutine was locked... */
	ck_assert_int_gt(rtt_tidset_len(&l.observed), 0);
	/* ...but never on its thread. */
	ck_assert_msg(!rtt_tidset_has(&l.observed, atomic_load(&l.locked_tid)),
		      "another goroutine ran on locked thread %d",
		      atomic_load(&l.locked_tid));
}
END_TEST

/* Nested locks: one unlock of two leaves the goroutine locked. */
static void nested_lock_worker(void *arg)
{
	struct locked *l = arg;
	int tid;

	rt_lock_os_thread();
	rt_lock_os_thread();
	rt_unlock_os_thread();
	tid = rt_thread_id();
	atomic_store(&l->locked_tid, tid);
	atomic_store(&l->phase, 1);
	for (int i = 0; i < LOCK_ROUNDS; i++) {
		if (i % 2) {
			rtt_note_signal(&l->pnote);
			rtt_note_wait(&l->lnote);
		} else {
			rt_gosched();
		}
		if (rt_thread_id() != tid) {
			int expect = 0;

			atomic_compare_exchange_strong(&l->moved, &expect,
						       rt_thread_id());
		}
	}
	atomic_store(&l->phase, 2);
	rt_unlock_os_thread();
	atomic_store(&l->stop_partner, 1);
	rtt_note_signal(&l->pnote);
	rtt_join_done(&l->j);
}

static void nested_main(void *arg)
{
	struct locked *l = arg;

	rtt_join_add(&l->j, 2 + OBSERVERS);
	rt_go(partner, l);
	for (int i = 0; i < OBSERVERS; i++)
		rt_go(observer, l);
	rt_go(nested_lock_worker, l);
	rtt_join_wait(&l->j);
}

START_TEST(test_lock_os_thread_nests_until_as_many_unlocks)
{
	static struct locked l;

	rtt_run(2, nested_main, &l);
	ck_assert_msg(atomic_load(&l.moved) == 0,
		      "goroutine locked twice, unlocked once, moved from "
		      "thread %d to %d",
		      atomic_load(&l.locked_tid), atomic_load(&l.moved));
	ck_assert_msg(!rtt_tidset_has(&l.observed, atomic_load(&l.locked_tid)),
		      "another goroutine ran on locked thread %d",
		      atomic_load(&l.locked_tid));
}
END_TEST

/* ---- wait reasons ----------------------------------------------------- */

static void waitreason_main(void *arg)
{
	static const struct {
		enum rt_waitreason r;
		const char *s;
	} want[] = {
	    {RT_WAIT_CHAN_RECEIVE, "chan receive"},
	    {RT_WAIT_CHAN_SEND, "chan send"},
	    {RT_WAIT_CHAN_RECEIVE_NIL_CHAN, "chan receive (nil chan)"},
	    {RT_WAIT_SELECT, "select"},
	    {RT_WAIT_SELECT_NO_CASES, "select (no cases)"},
	    {RT_WAIT_SLEEP, "sleep"},
	    {RT_WAIT_SEMACQUIRE, "semacquire"},
	    {RT_WAIT_SYNC_MUTEX_LOCK, "sync.Mutex.Lock"},
	    {RT_WAIT_GC_ASSIST_WAIT, "GC assist wait"},
	    {RT_WAIT_PREEMPTED, "preempted"},
	    {RT_WAIT_STOPPING_THE_WORLD, "stopping the world"},
	};

	(void)arg;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *got = rt_waitreason_string(want[i].r);

		RTT_CHECK(got != NULL && strcmp(got, want[i].s) == 0,
			  "reason %d: got \"%s\", want \"%s\"", want[i].r,
			  got ? got : "(null)", want[i].s);
	}
	for (int r = 0; r < RT_WAIT_COUNT; r++)
		RTT_CHECK(rt_waitreason_string((enum rt_waitreason)r) != NULL,
			  "no string for wait reason %d", r);
}

START_TEST(test_wait_reasons_have_gos_strings)
{
	rtt_run(1, waitreason_main, NULL);
}
END_TEST

/* ---- dead goroutines' stacks (gfput, markrootFreeGStacks) ------------- */

/*
 * A dead G keeps its stack on the free lists, however many die at once;
 * a GC releases the stacks of those on the global list (Go's
 * markrootFreeGStacks), and only the Ps' own caches keep theirs. Observed
 * through /memory/classes/heap/stacks:bytes, which counts the stacks held.
 */
enum { GSTACK_BURST = 4000, GSTACK_FEW = 8 };
static rt_chan *gstack_gate;

static uint64_t stack_bytes(void)
{
	struct rt_metric_sample s = {.name =
					 "/memory/classes/heap/stacks:bytes"};

	rt_metrics_read(&s, 1);
	return s.value.u64;
}

static void wait_at_gate(void *arg)
{
	(void)arg;
	rt_chan_recv(gstack_gate, NULL); /* returns once the gate closes */
}

/* wait_only_main_left waits until every goroutine but main has exited
 * (gone through goexit0 and gfput), not only signalled. */
static void wait_only_main_left(void)
{
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;

	while (rt_num_goroutine() > 1 && rtt_mono_ns() < deadline)
		rt_gosched();
	RTT_CHECK(rt_num_goroutine() == 1, "%d goroutines still live",
		  rt_num_goroutine());
}

/* start_and_end starts n goroutines that wait at a closed-later gate, so
 * all n are live at once; returns the stack bytes then, after closing the
 * gate and waiting for them all to exit. */
static uint64_t start_and_end(int n)
{
	uint64_t live;

	gstack_gate = rt_chan_make(0, 0);
	for (int i = 0; i < n; i++)
		rt_go(wait_at_gate, NULL);
	live = stack_bytes();
	rt_chan_close(gstack_gate);
	wait_only_main_left();
	return live;
}

static void burst_then_gc(void *arg)
{
	uint64_t live, dead, after;

	(void)arg;
	rt_gc(); /* the collector's own goroutines exist from here on */
	live = start_and_end(GSTACK_BURST);
	dead = stack_bytes();
	RTT_CHECK(dead >= live,
		  "%d goroutines held %llu stack bytes; once dead, before any "
		  "GC, %llu: stacks were released at exit",
		  GSTACK_BURST, (unsigned long long)live,
		  (unsigned long long)dead);
	rt_gc();
	after = stack_bytes();
	/* Left: main, the collector's goroutines and the 2 Ps' caches of at
	 * most 63 dead Gs each; under a tenth of the burst. */
	RTT_CHECK(after * 10 < dead,
		  "stack bytes %llu after the GC, %llu before it: the dead "
		  "goroutines' stacks were not released",
		  (unsigned long long)after, (unsigned long long)dead);
}

START_TEST(test_dead_goroutines_keep_their_stacks_until_a_gc_releases_them)
{
	rtt_run(2, burst_then_gc, NULL);
}
END_TEST

static void few_then_gc(void *arg)
{
	uint64_t dead, after;

	(void)arg;
	rt_gc();
	start_and_end(GSTACK_FEW);
	dead = stack_bytes();
	rt_gc();
	after = stack_bytes();
	RTT_CHECK(after >= dead,
		  "%d dead goroutines cached on the only P: stack bytes %llu "
		  "before a GC, %llu after it",
		  GSTACK_FEW, (unsigned long long)dead,
		  (unsigned long long)after);
}

START_TEST(test_a_gc_leaves_the_stacks_of_dead_goroutines_cached_on_a_p)
{
	rtt_run(1, few_then_gc, NULL);
}
END_TEST

static Suite *proc_suite(void)
{
	Suite *s = suite_create("proc");
	TCase *tc;

	tc = tcase_create("goroutines");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_main_goroutine_has_id_1);
	tcase_add_test(tc, test_rt_go_returns_the_new_goroutines_id);
	tcase_add_test(tc, test_goroutine_ids_are_unique);
	tcase_add_test(tc, test_spawn_and_join_100000_goroutines);
	tcase_add_test(tc, test_each_goroutine_runs_once_with_its_own_argument);
	tcase_add_test(tc, test_other_goroutines_stop_once_main_returns);
	tcase_add_test(tc, test_wait_reasons_have_gos_strings);
	tcase_add_test(
	    tc,
	    test_dead_goroutines_keep_their_stacks_until_a_gc_releases_them);
	tcase_add_test(
	    tc, test_a_gc_leaves_the_stacks_of_dead_goroutines_cached_on_a_p);
	suite_add_tcase(s, tc);

	tc = tcase_create("park_ready");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_1000000_ping_pongs_through_park_and_ready);
	tcase_add_test(
	    tc, test_1000000_ping_pongs_on_one_p_park_every_unpreempted_round);
	tcase_add_test(tc,
		       test_gopark_resumes_at_once_when_unlockf_returns_false);
	tcase_add_test(tc, test_parked_goroutine_runs_only_after_goready);
	suite_add_tcase(s, tc);

	tc = tcase_create("scheduling");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_rt_maxprocs_sets_the_number_of_ps);
	tcase_add_test(tc, test_work_spreads_to_every_p);
	tcase_add_test(
	    tc,
	    test_gosched_keeps_two_cpu_bound_goroutines_on_one_p_both_moving);
	suite_add_tcase(s, tc);

	tc = tcase_create("preemption");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc,
	    test_async_preemption_runs_a_goroutine_while_another_spins_without_runtime_calls);
	tcase_add_test(
	    tc, test_preempt_check_lets_sysmon_preempt_a_spinning_goroutine);
	tcase_add_test(
	    tc,
	    test_preemption_keeps_two_spinning_goroutines_on_one_p_both_moving);
	tcase_add_test(
	    tc,
	    test_preemption_keeps_two_spinners_moving_on_a_thread_with_a_sigaltstack);
	suite_add_tcase(s, tc);

	tc = tcase_create("syscalls");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_sysmon_retakes_the_p_of_a_goroutine_blocked_in_a_syscall);
	tcase_add_test(
	    tc, test_goroutines_keep_running_while_another_sleeps_in_a_syscall);
	tcase_add_test(
	    tc, test_exitsyscall_with_a_free_p_continues_on_the_same_thread);
	suite_add_tcase(s, tc);

	tc = tcase_create("lock_os_thread");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc,
		       test_locked_goroutine_always_runs_on_the_same_thread);
	tcase_add_test(tc,
		       test_locked_goroutines_thread_runs_no_other_goroutine);
	tcase_add_test(tc, test_lock_os_thread_nests_until_as_many_unlocks);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_suite_main(proc_suite());
}

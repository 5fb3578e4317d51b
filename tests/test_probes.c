/*
 * test_probes.c — librt's own probe counts (runtime/probes.h) as a
 * specification: each probe site is passed exactly once per event, so
 * rt_probe_count() moves by known amounts, and RT_STATS=1 reports the same
 * totals at exit. rttrace's integration tests compare their BPF counts with
 * these numbers, so they must be exact.
 *
 * Counts are taken as deltas inside one main goroutine; tests that need an
 * exact count run on one P so no other goroutine interleaves.
 *
 * Sampling (probes.c): a tracer sets per-probe periods (RT_PROBE_SAMPLE at
 * start, or the globals rt_probe_sample_period[] and
 * rt_probe_sample_epoch), and an active site asks rt_probe_take whether
 * to fire and with what n. The probe semaphores are the kernel's to set,
 * so these tests call the decisions directly, as an active site does
 * after counting its hit: the n returned must add up to the hits, and a
 * period P must fire about once per P hits.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* first: librt's own definitions of the probe macros (probes.h), the
 * sampling decisions and struct g */
#include "runtime2.h"

#include "rt_test.h"

enum { K = 1000 };

struct counts {
	uint64_t newproc, goend, gopark, goready, gosched, lockosthread,
	    entersyscall, exitsyscall;
};

static void read_counts(struct counts *c)
{
	c->newproc = rt_probe_count("newproc");
	c->goend = rt_probe_count("goend");
	c->gopark = rt_probe_count("gopark");
	c->goready = rt_probe_count("goready");
	c->gosched = rt_probe_count("gosched");
	c->lockosthread = rt_probe_count("lockosthread");
	c->entersyscall = rt_probe_count("entersyscall");
	c->exitsyscall = rt_probe_count("exitsyscall");
}

#define CHECK_DELTA(field, want)                                    \
	RTT_CHECK(after.field - before.field == (uint64_t)(want),   \
		  "probe " #field " moved by %llu, want %llu",      \
		  (unsigned long long)(after.field - before.field), \
		  (unsigned long long)(want))

static atomic_long ended;

static void nop(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ended, 1);
}

/* Waits (Gosched only) until n more goroutines have passed goend. */
static void wait_goend(uint64_t base, uint64_t n)
{
	while (rt_probe_count("goend") - base < n)
		rt_gosched();
}

static void newproc_main(void *arg)
{
	struct counts before, after;

	(void)arg;
	read_counts(&before);
	for (int i = 0; i < K; i++)
		rt_go(nop, NULL);
	read_counts(&after);
	CHECK_DELTA(newproc, K);
	wait_goend(before.goend, K);
}

START_TEST(test_newproc_probe_counts_each_rt_go_once)
{
	rtt_run(1, newproc_main, NULL);
}
END_TEST

static void goend_main(void *arg)
{
	struct counts before, after;

	(void)arg;
	read_counts(&before);
	for (int i = 0; i < K; i++)
		rt_go(nop, NULL);
	wait_goend(before.goend, K);
	/* Let anything still in flight settle before the exact check. */
	for (int i = 0; i < 100; i++)
		rt_gosched();
	read_counts(&after);
	RTT_CHECK(atomic_load(&ended) == K, "%ld goroutines ran",
		  atomic_load(&ended));
	CHECK_DELTA(goend, K);
}

START_TEST(test_goend_probe_counts_each_goroutine_exit_once)
{
	rtt_run(1, goend_main, NULL);
}
END_TEST

/* Park/ready: a ping-pong whose rt_gopark and rt_goready calls are counted. */
enum { ROUNDS = 10000 };

struct pp {
	rtt_note ping, pong;
	rtt_join j;
};

static void pong(void *arg)
{
	struct pp *p = arg;

	for (int i = 0; i < ROUNDS; i++) {
		rtt_note_wait(&p->pong);
		rtt_note_signal(&p->ping);
	}
	rtt_join_done(&p->j);
}

static uint64_t sum_park_calls(struct pp *p)
{
	return atomic_load(&p->ping.park_calls) +
	       atomic_load(&p->pong.park_calls) +
	       atomic_load(&p->j.done.park_calls);
}

static uint64_t sum_parks(struct pp *p)
{
	return atomic_load(&p->ping.parks) + atomic_load(&p->pong.parks) +
	       atomic_load(&p->j.done.parks);
}

static uint64_t sum_ready_calls(struct pp *p)
{
	return atomic_load(&p->ping.ready_calls) +
	       atomic_load(&p->pong.ready_calls) +
	       atomic_load(&p->j.done.ready_calls);
}

static void parkready_main(void *arg)
{
	struct pp *p = arg;
	struct counts before, after;
	uint64_t parks0, committed0, readies0, goend0, refused;

	rtt_join_add(&p->j, 1);
	goend0 = rt_probe_count("goend");
	rt_go(pong, p);
	/*
	 * Let pong (and anything the runtime started) run until it parks:
	 * from here on, with one P, only this ping-pong parks and readies.
	 */
	for (int i = 0; i < 10; i++)
		rt_gosched();
	parks0 = sum_park_calls(p);
	committed0 = sum_parks(p);
	readies0 = sum_ready_calls(p);
	read_counts(&before);
	for (int i = 0; i < ROUNDS; i++) {
		rtt_note_signal(&p->pong);
		rtt_note_wait(&p->ping);
	}
	rtt_join_wait(&p->j);
	read_counts(&after);
	RTT_CHECK(sum_park_calls(p) - parks0 >= ROUNDS,
		  "only %llu parks in %d rounds",
		  (unsigned long long)(sum_park_calls(p) - parks0), ROUNDS);
	CHECK_DELTA(gopark, sum_park_calls(p) - parks0);
	/*
	 * Every gopark is matched by one goready: ours, or the runtime's own
	 * when the unlockf refused the park (as Go's tracer unparks it).
	 */
	refused = (sum_park_calls(p) - parks0) - (sum_parks(p) - committed0);
	CHECK_DELTA(goready, sum_ready_calls(p) - readies0 + refused);
	wait_goend(goend0, 1);
}

START_TEST(test_gopark_and_goready_probes_count_each_park_and_ready)
{
	static struct pp p;

	rtt_run(1, parkready_main, &p);
}
END_TEST

static void gosched_main(void *arg)
{
	struct counts before, after;

	(void)arg;
	read_counts(&before);
	for (int i = 0; i < K; i++)
		rt_gosched();
	read_counts(&after);
	CHECK_DELTA(gosched, K);
}

START_TEST(test_gosched_probe_counts_each_rt_gosched)
{
	rtt_run(1, gosched_main, NULL);
}
END_TEST

static void lockosthread_main(void *arg)
{
	struct counts before, after;

	(void)arg;
	read_counts(&before);
	rt_lock_os_thread();
	rt_unlock_os_thread();
	read_counts(&after);
	CHECK_DELTA(lockosthread, 2);
}

START_TEST(test_lockosthread_probe_fires_on_lock_and_on_unlock)
{
	rtt_run(1, lockosthread_main, NULL);
}
END_TEST

static void syscall_main(void *arg)
{
	struct counts before, after;

	(void)arg;
	read_counts(&before);
	for (int i = 0; i < K; i++) {
		rt_entersyscall();
		rt_exitsyscall();
	}
	read_counts(&after);
	CHECK_DELTA(entersyscall, K);
	CHECK_DELTA(exitsyscall, K);
}

START_TEST(test_syscall_probes_count_each_entersyscall_and_exitsyscall)
{
	rtt_run(1, syscall_main, NULL);
}
END_TEST

static void unknown_main(void *arg)
{
	(void)arg;
	RTT_CHECK(rt_probe_count("no_such_probe") == 0,
		  "unknown probe counted %llu",
		  (unsigned long long)rt_probe_count("no_such_probe"));
	RTT_CHECK(rt_probe_count("") == 0, "empty probe name counted");
}

START_TEST(test_probe_count_of_an_unknown_name_is_zero)
{
	rtt_run(1, unknown_main, NULL);
}
END_TEST

static void names_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		RTT_CHECK(rt_probe_names[i] != NULL && rt_probe_names[i][0],
			  "probe %d has no name", i);
		if (!rtt_ok())
			return;
	}
	RTT_CHECK(strcmp(rt_probe_names[RT_PROBE_ID_gopark], "gopark") == 0,
		  "rt_probe_names[RT_PROBE_ID_gopark]=\"%s\"",
		  rt_probe_names[RT_PROBE_ID_gopark]);
	RTT_CHECK(strcmp(rt_probe_names[RT_PROBE_ID_newproc], "newproc") == 0,
		  "rt_probe_names[RT_PROBE_ID_newproc]=\"%s\"",
		  rt_probe_names[RT_PROBE_ID_newproc]);
	/* newproc passed at least once: this goroutine was started. */
	rt_go(nop, NULL);
	RTT_CHECK(rt_probe_count(rt_probe_names[RT_PROBE_ID_newproc]) >= 1,
		  "newproc count is 0 after rt_go");
}

START_TEST(test_every_probe_has_its_name_in_rt_probe_names)
{
	rtt_run(1, names_main, NULL);
}
END_TEST

/* ---- RT_STATS=1 ------------------------------------------------------- */

/*
 * The program runs in a grandchild with RT_STATS=1 and stderr on a
 * pipe; it records rt_probe_count() of every probe at the end of main,
 * in shared memory, and the report printed at exit must agree.
 */
struct shared_counts {
	uint64_t at_end[RT_PROBE_NUM];
	int recorded;
};

static struct shared_counts *shc;

static void stats_main(void *arg)
{
	uint64_t goend0 = rt_probe_count("goend");

	(void)arg;
	for (int i = 0; i < K; i++)
		rt_go(nop, NULL);
	wait_goend(goend0, K);
	for (int i = 0; i < RT_PROBE_NUM; i++)
		shc->at_end[i] = rt_probe_count(rt_probe_names[i]);
	shc->recorded = 1;
}

START_TEST(test_rt_stats_prints_every_probe_count_at_exit)
{
	int fds[2], status;
	pid_t pid;
	static char out[64 * 1024];
	size_t len = 0;
	ssize_t n;
	int seen[RT_PROBE_NUM] = {0};

	shc = mmap(NULL, sizeof(*shc), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(shc, MAP_FAILED);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		setenv("RT_STATS", "1", 1);
		setenv("RT_MAXPROCS", "1", 1);
		rt_main(stats_main, NULL);
		exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = 0;
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "RT_STATS program failed (status 0x%x); stderr:\n%s",
		      status, out);
	ck_assert_int_eq(shc->recorded, 1);

	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char name[64];
		unsigned long long count;

		if (sscanf(line, "rt-stats: probe %63s %llu", name, &count) !=
		    2)
			continue;
		for (int i = 0; i < RT_PROBE_NUM; i++) {
			if (strcmp(name, rt_probe_names[i]) != 0)
				continue;
			seen[i]++;
			/* Main's own exit may pass a few more sites...
			 */
			ck_assert_msg(count >= shc->at_end[i],
				      "rt-stats %s=%llu < %llu counted at the "
				      "end of main",
				      name, count,
				      (unsigned long long)shc->at_end[i]);
			/* ...but never creates a goroutine. */
			if (i == RT_PROBE_ID_newproc)
				ck_assert_uint_eq(count, shc->at_end[i]);
		}
	}
	for (int i = 0; i < RT_PROBE_NUM; i++)
		ck_assert_msg(seen[i] == 1,
			      "rt-stats printed probe %s %d times, want once",
			      rt_probe_names[i], seen[i]);
	ck_assert_uint_ge(shc->at_end[RT_PROBE_ID_newproc], K);
}
END_TEST

START_TEST(test_no_rt_stats_output_without_rt_stats)
{
	int fds[2], status;
	pid_t pid;
	static char out[64 * 1024];
	size_t len = 0;
	ssize_t n;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		unsetenv("RT_STATS");
		setenv("RT_MAXPROCS", "1", 1);
		rt_main(gosched_main, NULL);
		exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = 0;
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "program failed (status 0x%x)", status);
	ck_assert_msg(strstr(out, "rt-stats:") == NULL,
		      "rt-stats printed without RT_STATS:\n%s", out);
}
END_TEST

/* ---- sampling ------------------------------------------------------------
 */

/* sampling tests use a probe no test program passes on its own */
#define SAMPLED_PROBE RT_PROBE_ID_gorecover

static void reset_periods(void)
{
	for (int i = 0; i < RT_PROBE_NUM; i++)
		rt_probe_sample_period[i] = 0;
}

START_TEST(test_rt_probe_sample_sets_every_probe_from_a_bare_period)
{
	reset_periods();
	rt_probe_sample_setenv("64");
	for (int i = 0; i < RT_PROBE_NUM; i++)
		ck_assert_uint_eq(rt_probe_sample_period[i], 64);
}
END_TEST

START_TEST(test_rt_probe_sample_sets_named_probes_in_order)
{
	reset_periods();
	rt_probe_sample_setenv("16,mallocgc=128,convT=1");
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_mallocgc], 128);
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_convT], 1);
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_gopark], 16);
}
END_TEST

START_TEST(test_rt_probe_sample_skips_bad_entries_and_keeps_good_ones)
{
	static const char *const bad[] = {
	    "nosuch=4", "x",	      "-3",	     "mallocgc=", "mallocgc=-1",
	    "=5",	"4294967296", "mallocgc=9x", "convT==2",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char s[64];

		reset_periods();
		snprintf(s, sizeof(s), "gopark=8,%s,chansend=32", bad[i]);
		rt_probe_sample_setenv(s);
		ck_assert_msg(
		    rt_probe_sample_period[RT_PROBE_ID_gopark] == 8 &&
			rt_probe_sample_period[RT_PROBE_ID_chansend] == 32,
		    "good entries around \"%s\" not applied", bad[i]);
		for (int id = 0; id < RT_PROBE_NUM; id++)
			if (id != RT_PROBE_ID_gopark &&
			    id != RT_PROBE_ID_chansend)
				ck_assert_msg(rt_probe_sample_period[id] == 0,
					      "\"%s\" set %s to %u", bad[i],
					      rt_probe_names[id],
					      rt_probe_sample_period[id]);
	}
}
END_TEST

START_TEST(test_rt_probe_sample_empty_or_unset_changes_nothing)
{
	reset_periods();
	rt_probe_sample_setenv(NULL);
	rt_probe_sample_setenv("");
	for (int i = 0; i < RT_PROBE_NUM; i++)
		ck_assert_uint_eq(rt_probe_sample_period[i], 0);
}
END_TEST

/* What take_main found, for the test to check. */
struct take_result {
	uint64_t hits, sum, firings, rest;
};

static struct take_result take_res;
static uint32_t take_period;

/*
 * take_main is an active site passed take_res.hits times in a row on one
 * M (locked to its thread), asking rt_probe_take each time, then once
 * more at period 1: that firing reports whatever was left.
 */
static void take_main(void *arg)
{
	(void)arg;
	rt_lock_os_thread();
	rt_probe_sample_period[SAMPLED_PROBE] = take_period;
	for (uint64_t i = 0; i < take_res.hits; i++) {
		uint64_t n;

		rt_probe_hit(SAMPLED_PROBE);
		n = rt_probe_take(SAMPLED_PROBE);
		take_res.sum += n;
		take_res.firings += n != 0;
	}
	rt_probe_sample_period[SAMPLED_PROBE] = 1;
	rt_probe_hit(SAMPLED_PROBE);
	take_res.rest = rt_probe_take(SAMPLED_PROBE);
	rt_unlock_os_thread();
}

START_TEST(test_take_at_period_1_fires_every_hit_with_n_1)
{
	take_period = 1;
	take_res = (struct take_result){.hits = 10000};
	rtt_run(1, take_main, NULL);
	ck_assert_uint_eq(take_res.firings, 10000);
	ck_assert_uint_eq(take_res.sum, 10000);
	ck_assert_uint_eq(take_res.rest, 1);
}
END_TEST

START_TEST(test_take_at_period_n_reports_every_hit_once)
{
	take_period = 64;
	take_res = (struct take_result){.hits = 100000};
	rtt_run(1, take_main, NULL);
	/* the firings' n and the last report add up to the hits */
	ck_assert_uint_eq(take_res.sum + take_res.rest, 100000 + 1);
	/* what was left is less than the longest gap, 2P-1 */
	ck_assert_uint_lt(take_res.rest, 2 * 64);
}
END_TEST

START_TEST(test_take_at_period_n_fires_about_once_per_n_hits)
{
	take_period = 64;
	take_res = (struct take_result){.hits = 640000};
	rtt_run(1, take_main, NULL);
	/* 10000 firings expected; gaps uniform in [1, 127] give a standard
	 * deviation of about 60: 10 % is many deviations away */
	ck_assert_msg(take_res.firings > 9000 && take_res.firings < 11000,
		      "%llu firings for 640000 hits at period 64, want ~10000",
		      (unsigned long long)take_res.firings);
}
END_TEST

static uint64_t epoch_n[2];

/* epoch_main: hits nobody reported (no tracer), then one reported hit,
 * with and without a bump of the epoch in between. */
static void epoch_main(void *arg)
{
	(void)arg;
	rt_lock_os_thread();
	rt_probe_sample_period[SAMPLED_PROBE] = 1;
	rt_probe_hit(SAMPLED_PROBE);
	(void)rt_probe_take(SAMPLED_PROBE);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 100; i++)
			rt_probe_hit(SAMPLED_PROBE); /* site not active */
		if (round == 1)
			rt_probe_sample_epoch++;
		rt_probe_hit(SAMPLED_PROBE);
		epoch_n[round] = rt_probe_take(SAMPLED_PROBE);
	}
	rt_unlock_os_thread();
}

START_TEST(test_epoch_bump_forgets_the_hits_before_it)
{
	rtt_run(1, epoch_main, NULL);
	/* without a bump a firing reports every hit since the last one */
	ck_assert_uint_eq(epoch_n[0], 101);
	/* after one (a tracer attaching) only its own */
	ck_assert_uint_eq(epoch_n[1], 1);
}
END_TEST

/* What g_main saw of an opener and its follower on one goroutine. */
static struct {
	uint64_t opened, followed, followed_unmarked, open_sum, follow_sum;
} gres;

/*
 * g_main plays gopark (OPEN) then goready (FOLLOW) on a goroutine 10000
 * times at period 16 for both: the follower fires exactly when its opener
 * did, and each reports all its hits.
 */
static void g_main(void *arg)
{
	struct g *gp = calloc(1, sizeof(*gp));

	(void)arg;
	rt_lock_os_thread();
	rt_probe_sample_period[RT_PROBE_ID_gopark] = 16;
	rt_probe_sample_period[RT_PROBE_ID_goready] = 16;
	for (int i = 0; i < 10000; i++) {
		uint64_t o, f;

		rt_probe_hit(RT_PROBE_ID_gopark);
		o = rt_probe_take_g(RT_PROBE_ID_gopark, gp, RT_PROBE_G_SCHED,
				    RT_PROBE_G_OPEN);
		rt_probe_hit(RT_PROBE_ID_goready);
		f = rt_probe_take_g(RT_PROBE_ID_goready, gp, RT_PROBE_G_SCHED,
				    RT_PROBE_G_CLOSE);
		gres.opened += o != 0;
		gres.followed += f != 0;
		gres.followed_unmarked += f != 0 && o == 0;
		gres.open_sum += o;
		gres.follow_sum += f;
	}
	/* period 1: every report left comes out */
	rt_probe_sample_period[RT_PROBE_ID_gopark] = 1;
	rt_probe_sample_period[RT_PROBE_ID_goready] = 1;
	rt_probe_hit(RT_PROBE_ID_gopark);
	gres.open_sum += rt_probe_take_g(RT_PROBE_ID_gopark, gp,
					 RT_PROBE_G_SCHED, RT_PROBE_G_OPEN);
	rt_probe_hit(RT_PROBE_ID_goready);
	gres.follow_sum += rt_probe_take_g(RT_PROBE_ID_goready, gp,
					   RT_PROBE_G_SCHED, RT_PROBE_G_CLOSE);
	rt_unlock_os_thread();
	free(gp);
}

START_TEST(test_a_follower_fires_exactly_when_its_opener_did)
{
	rtt_run(1, g_main, NULL);
	ck_assert_uint_eq(gres.followed, gres.opened);
	ck_assert_uint_eq(gres.followed_unmarked, 0);
	ck_assert_msg(gres.opened > 400 && gres.opened < 900,
		      "%llu openings in 10000 at period 16, want ~625",
		      (unsigned long long)gres.opened);
	ck_assert_uint_eq(gres.open_sum, 10001);
	ck_assert_uint_eq(gres.follow_sum, 10001);
}
END_TEST

/* The environment at start: rt_main reads RT_PROBE_SAMPLE. */
static uint32_t *env_seen; /* shared with the forked program */

static void env_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < RT_PROBE_NUM; i++)
		env_seen[i] = rt_probe_sample_period[i];
}

START_TEST(test_rt_main_applies_rt_probe_sample_from_the_environment)
{
	int status;
	pid_t pid;

	env_seen =
	    mmap(NULL, RT_PROBE_NUM * sizeof(*env_seen), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(env_seen, MAP_FAILED);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("RT_PROBE_SAMPLE", "32,gc_start=1", 1);
		setenv("RT_MAXPROCS", "1", 1);
		rt_main(env_main, NULL);
		exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(env_seen[RT_PROBE_ID_mallocgc], 32);
	ck_assert_uint_eq(env_seen[RT_PROBE_ID_gc_start], 1);
}
END_TEST

static Suite *probes_suite(void)
{
	Suite *s = suite_create("probes");
	TCase *tc;

	tc = tcase_create("counts");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_newproc_probe_counts_each_rt_go_once);
	tcase_add_test(tc, test_goend_probe_counts_each_goroutine_exit_once);
	tcase_add_test(
	    tc, test_gopark_and_goready_probes_count_each_park_and_ready);
	tcase_add_test(tc, test_gosched_probe_counts_each_rt_gosched);
	tcase_add_test(tc, test_lockosthread_probe_fires_on_lock_and_on_unlock);
	tcase_add_test(
	    tc, test_syscall_probes_count_each_entersyscall_and_exitsyscall);
	tcase_add_test(tc, test_probe_count_of_an_unknown_name_is_zero);
	tcase_add_test(tc, test_every_probe_has_its_name_in_rt_probe_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("rt_stats");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_rt_stats_prints_every_probe_count_at_exit);
	tcase_add_test(tc, test_no_rt_stats_output_without_rt_stats);
	suite_add_tcase(s, tc);

	tc = tcase_create("sampling");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_rt_probe_sample_sets_every_probe_from_a_bare_period);
	tcase_add_test(tc, test_rt_probe_sample_sets_named_probes_in_order);
	tcase_add_test(
	    tc, test_rt_probe_sample_skips_bad_entries_and_keeps_good_ones);
	tcase_add_test(tc, test_rt_probe_sample_empty_or_unset_changes_nothing);
	tcase_add_test(tc, test_take_at_period_1_fires_every_hit_with_n_1);
	tcase_add_test(tc, test_take_at_period_n_reports_every_hit_once);
	tcase_add_test(tc, test_take_at_period_n_fires_about_once_per_n_hits);
	tcase_add_test(tc, test_epoch_bump_forgets_the_hits_before_it);
	tcase_add_test(tc, test_a_follower_fires_exactly_when_its_opener_did);
	tcase_add_test(
	    tc, test_rt_main_applies_rt_probe_sample_from_the_environment);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_suite_main(probes_suite());
}

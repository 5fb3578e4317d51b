/*
 * test_stress.c — librt under load, at CI scale: one test per mix of
 * tests/stress_mixes.h (which says what each checks) and one with all of
 * them at once. `make soak` runs the same mixes for minutes
 * (tests/progs/soak.c).
 *
 * Each test prints its scale (and any sanitizer's reduction of it) and one
 * line of figures per mix; the checks are exact counts, never timings.
 */
#include "rt_test.h"
#include "runtime2.h"
#include "stress_mixes.h"

static struct stress_scale scale;

static void begin(const char *name)
{
	scale = stress_ci_scale();
	printf("stress: %s\n", name);
	stress_print_scale(stdout, &scale);
}

static void end(void)
{
	RTT_CHECK(stress_ok(), "%s", stress_failmsg);
}

static void run_goroutines(void *arg)
{
	struct stress_goroutines_result r;

	(void)arg;
	stress_goroutines(scale.goroutines, &r);
	stress_print_goroutines(stdout, &r);
	RTT_CHECK(r.peak >= r.base + scale.goroutines,
		  "rt_num_goroutine()=%d with %ld parked, %d before", r.peak,
		  scale.goroutines, r.base);
	/* Alone, the mix can also check that all of them are gone. */
	RTT_CHECK(stress_wait_goroutines(r.base),
		  "rt_num_goroutine()=%d, still above %d", rt_num_goroutine(),
		  r.base);
	/* and the stacks of a million dead goroutines go back at a GC */
	rt_gc();
	end();
}

START_TEST(test_a_million_goroutines_alive_at_once_each_run_once)
{
	begin("goroutines alive at once");
	rtt_run(0, run_goroutines, NULL);
}
END_TEST

/* more goroutines than vm.max_map_count leaves room for, one guard
 * mapping each when mprotect makes the guards */
#define UNGUARDED_GOROUTINES 100000

static long max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static void run_mprotect_guards(void *arg)
{
	struct stress_goroutines_result r;
	long maps = max_map_count();

	(void)arg;
	stress_goroutines(UNGUARDED_GOROUTINES, &r);
	stress_print_goroutines(stdout, &r);
	printf("stress: vm.max_map_count %ld, stacks without a guard page "
	       "%llu\n",
	       maps, (unsigned long long)stack_unguarded());
	RTT_CHECK(r.peak >= r.base + UNGUARDED_GOROUTINES,
		  "rt_num_goroutine()=%d with %d parked", r.peak,
		  UNGUARDED_GOROUTINES);
	/* each mprotect'ed guard splits the stacks' mapping in two */
	if (maps > 0 && maps < 2L * UNGUARDED_GOROUTINES)
		RTT_CHECK(stack_unguarded() > 0,
			  "no stack went unguarded past vm.max_map_count %ld",
			  maps);
	end();
}

/* Kernels before 6.13 (no MADV_GUARD_INSTALL) guard stacks with mprotect,
 * which runs out of mappings at ~32,000 goroutines; RT_STACK_GUARD=mprotect
 * takes that path here. */
START_TEST(test_goroutines_past_the_map_count_run_without_guards)
{
	setenv("RT_STACK_GUARD", "mprotect", 1);
	begin("goroutines past vm.max_map_count, mprotect guards");
	rtt_run(0, run_mprotect_guards, NULL);
}
END_TEST

static void run_channels(void *arg)
{
	struct stress_channels_result r;

	(void)arg;
	stress_channels(scale.channels, scale.chan_goroutines, scale.values,
			&r);
	stress_print_channels(stdout, &r);
	end();
}

START_TEST(test_channels_and_selects_lose_and_duplicate_no_value)
{
	begin("channels and selects");
	rtt_run(0, run_channels, NULL);
}
END_TEST

static void run_gc(void *arg)
{
	struct stress_gc_result r;

	(void)arg;
	stress_gc_churn(scale.gc_mutators, scale.gc_slots,
			scale.gc_forced_cycles, &r);
	stress_print_gc(stdout, &r);
	end();
}

START_TEST(test_gc_under_churn_keeps_every_live_checksum)
{
	begin("GC under churn");
	rtt_run(0, run_gc, NULL);
}
END_TEST

static void run_timers(void *arg)
{
	struct stress_timers_result r;
	int base = rt_num_goroutine();

	(void)arg;
	stress_timers(scale.timers, &r);
	stress_print_timers(stdout, &r);
	/* Alone, the mix can also check that no timer call is left to run:
	 * every AfterFunc goroutine has ended. */
	RTT_CHECK(stress_wait_goroutines(base),
		  "%d goroutines left after the timers, %d before",
		  rt_num_goroutine(), base);
	RTT_CHECK(rt_timer_heap_len() == 0, "%zu timers left in the heaps",
		  rt_timer_heap_len());
	end();
}

START_TEST(test_timers_fire_once_or_never_as_stop_and_reset_say)
{
	begin("timers");
	rtt_run(0, run_timers, NULL);
}
END_TEST

static void run_sched(void *arg)
{
	struct stress_sched_result r;

	(void)arg;
	stress_sched(scale.sched_locked, scale.sched_syscallers,
		     scale.sched_rounds, &r);
	stress_print_sched(stdout, &r);
	end();
}

START_TEST(test_locked_threads_syscalls_and_spinners_all_progress)
{
	begin("LockOSThread, syscalls, preemption");
	rtt_run(0, run_sched, NULL);
}
END_TEST

static void run_mixed(void *arg)
{
	struct stress_mixed *m = rt_mallocgc(sizeof(*m), 0);

	(void)arg;
	stress_mixed(m, &scale);
	stress_print_mixed(stdout, m);
	end();
}

START_TEST(test_all_mixes_at_once)
{
	begin("all mixes at once (each at 1/mixed_divisor)");
	rtt_run(0, run_mixed, NULL);
}
END_TEST

/* One tcase per mix, so CK_RUN_CASE=timers (say) runs one alone. */
static void add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

static Suite *stress_suite(void)
{
	Suite *s = suite_create("stress");

	add_case(s, "goroutines",
		 test_a_million_goroutines_alive_at_once_each_run_once);
#ifndef RT_TSAN
	/* Not under TSan: 100,000 goroutines alive at once would be as many
	 * TSan fibers, past its limit of 8,128 (tests/README.md,
	 * "Sanitizers"). */
	add_case(s, "mprotect_guards",
		 test_goroutines_past_the_map_count_run_without_guards);
#else
	(void)test_goroutines_past_the_map_count_run_without_guards;
#endif
	add_case(s, "channels",
		 test_channels_and_selects_lose_and_duplicate_no_value);
	add_case(s, "gc", test_gc_under_churn_keeps_every_live_checksum);
	add_case(s, "timers",
		 test_timers_fire_once_or_never_as_stop_and_reset_say);
	add_case(s, "sched",
		 test_locked_threads_syscalls_and_spinners_all_progress);
	add_case(s, "mixed", test_all_mixes_at_once);
	return s;
}

int main(void)
{
	return rtt_suite_main(stress_suite());
}

/*
 * test_ex06_10.c — exercises 6 to 10 (workloads/ex06..ex10): the seed's
 * correctness gaps (§16), shown to be real, and the behaviour each
 * exercise's figures rest on.
 *
 *   ex06  without rt_gc a dropped structure stays "live" until the next
 *         cycle, and the next large load peaks at old + new; with it, the
 *         heap drops first. A forced GC per request is one cycle per
 *         request; without it the heap grows to the pacer's goal.
 *   ex07  on one P a goroutine spinning without Gosched does not starve
 *         another: sysmon preempts it. The Before yields 100 times per
 *         op, the After never.
 *   ex08  a job that needs thread identity (and blocks in the kernel, on
 *         a loaded process) sees its thread change without
 *         LockOSThread, never with it.
 *   ex09  a pooled buffer that is not reset leaks the previous request's
 *         bytes into the next reply.
 *   ex10  a Close forgotten at a call site leaks the fd and the After's
 *         warning finalizer reports it after a GC; a Closed File never
 *         warns. The Before runs into EMFILE, the After keeps one fd.
 *
 * Nothing here asserts a duration. Every test calls rt_main exactly once
 * (libcheck forks one child per test).
 */
#include <fcntl.h>
#include <sys/resource.h>

#include "exercise.h"
#include "rt_test.h"

/* Helpers the exercises export for these tests. */
uint64_t ex08_thread_moves(int64_t njobs, size_t cap, bool locked,
			   int64_t block_ns, uint64_t *sum);
size_t ex09_reply_after_secret(const char *secret, bool reset, bool fresh,
			       uint8_t *reply);
void *ex10_open(const char *path);
int ex10_fd(const void *f);
int ex10_close(void *f);
int64_t ex10_leaked(int *fd);

#define MiB (1ull << 20)

static uint64_t metric(const char *name)
{
	struct rt_metric_sample s = {.name = name};

	rt_metrics_read(&s, 1);
	return s.value.u64;
}

static uint64_t live_bytes(void)
{
	return metric("/gc/heap/live:bytes");
}

static uint64_t heap_bytes(void)
{
	return metric("/memory/classes/heap/objects:bytes");
}

static uint64_t gc_cycles(void)
{
	return metric("/gc/cycles/total:gc-cycles");
}

/* run_once runs one variant of an exercise for n ops, as the harness
 * would, and returns the figure reported in unit (NAN if none). */
static double run_once(const struct exercise *ex, enum ex_variant v,
		       const struct ex_param *p, int64_t n, const char *unit)
{
	static struct bench_b b; /* not on the goroutine stack */

	memset(&b, 0, sizeof(b));
	b.n = n;
	b.name = ex->id;
	bench_start_timer(&b);
	ex->run[v](&b, p);
	bench_stop_timer(&b);
	for (int i = 0; i < b.nextra; i++)
		if (strcmp(b.extra[i].unit, unit) == 0)
			return b.extra[i].value;
	return -1;
}

/* ---- ex06: manual GC ------------------------------------------------- */

/*
 * A "large structure": BIG_CHUNKS chunks reachable only from big[] (bss).
 * Loading and dropping happen in their own frames, and the dead stack is
 * clobbered, so that no stale copy of a chunk's address keeps it alive.
 */
enum { BIG_CHUNKS = 16, CHUNK = 1 << 20 };
static void *big[BIG_CHUNKS];

static __attribute__((noinline)) uint64_t load_big(void)
{
	uint64_t peak = heap_bytes();

	for (int i = 0; i < BIG_CHUNKS; i++) {
		big[i] = rt_mallocgc(CHUNK, RT_MALLOC_NOSCAN);
		memset(big[i], 0x5a, CHUNK);
		uint64_t h = heap_bytes();
		if (h > peak)
			peak = h;
	}
	rtt_clobber_stack();
	return peak;
}

static __attribute__((noinline)) void drop_big(void)
{
	memset(big, 0, sizeof(big));
	rtt_clobber_stack();
}

static void gc_drops_main(void *arg)
{
	(void)arg;
	load_big();
	rt_gc();
	uint64_t live1 = live_bytes();
	RTT_CHECK(live1 >= BIG_CHUNKS * (uint64_t)CHUNK,
		  "live bytes after loading %d MiB and a GC: %llu", BIG_CHUNKS,
		  (unsigned long long)live1);

	uint64_t c0 = gc_cycles();
	drop_big();
	uint64_t live2 = live_bytes(), heap2 = heap_bytes();
	RTT_CHECK(gc_cycles() == c0, "a cycle ran by itself");
	RTT_CHECK(live2 == live1 && heap2 >= BIG_CHUNKS * (uint64_t)CHUNK,
		  "without rt_gc the dropped structure must still count "
		  "(live %llu -> %llu, heap objects %llu)",
		  (unsigned long long)live1, (unsigned long long)live2,
		  (unsigned long long)heap2);

	rt_gc();
	uint64_t live3 = live_bytes(), heap3 = heap_bytes();
	/* 12 of 16 MiB: a conservative scan may keep a chunk or two */
	RTT_CHECK(live3 + 12 * MiB <= live1 && heap3 + 12 * MiB <= heap2,
		  "rt_gc must drop the released heap: live %llu -> %llu, "
		  "heap objects %llu -> %llu",
		  (unsigned long long)live1, (unsigned long long)live3,
		  (unsigned long long)heap2, (unsigned long long)heap3);
}

START_TEST(test_ex06_gc_drops_released_heap)
{
	rtt_run(1, gc_drops_main, NULL);
}
END_TEST

static void gc_bounds_main(void *arg)
{
	(void)arg;
	/* An old structure, live at the last cycle, then dropped. */
	load_big();
	rt_gc();
	drop_big();
	/* The known-large operation, without rt_gc first: the old chunks
	 * are garbage no cycle has seen, so the heap holds both until it
	 * reaches the goal set when the old one was live. */
	uint64_t peak_nogc = load_big();
	drop_big();
	/* The same, with rt_gc first. */
	rt_gc();
	uint64_t peak_gc = load_big();
	drop_big();

	RTT_CHECK(peak_nogc >= 28 * MiB,
		  "without rt_gc the next 16 MiB load should peak near old + "
		  "new (32 MiB), saw %llu",
		  (unsigned long long)peak_nogc);
	RTT_CHECK(peak_gc + 8 * MiB <= peak_nogc,
		  "rt_gc before the load should bound its peak: %llu with, "
		  "%llu without",
		  (unsigned long long)peak_gc, (unsigned long long)peak_nogc);
}

START_TEST(test_ex06_gc_bounds_peak_of_next_load)
{
	rtt_run(1, gc_bounds_main, NULL);
}
END_TEST

static void forced_cycles_main(void *arg)
{
	const struct ex_param *p = &ex06.params[0]; /* live=150KB */

	(void)arg;
	double before = run_once(&ex06, EX_BEFORE, p, 20, EX_UNIT_GC_PER_OP);
	double after = run_once(&ex06, EX_AFTER, p, 20, EX_UNIT_GC_PER_OP);
	RTT_CHECK(before >= 1.0 && before < 1.5,
		  "the Before forces one cycle per request: gc/op %g", before);
	RTT_CHECK(after == 0,
		  "20 requests of ~4.6 KiB cannot reach the 4 MiB goal: "
		  "gc/op %g",
		  after);

	/* Without the forced cycle the heap grows to the pacer's goal. */
	double peak_before =
	    run_once(&ex06, EX_BEFORE, p, 50, EX_UNIT_PEAK_HEAP);
	double peak_after =
	    run_once(&ex06, EX_AFTER, p, 2000, EX_UNIT_PEAK_HEAP);
	RTT_CHECK(peak_before < 1.0 * MiB,
		  "with a GC per request the heap stays near the live 150 "
		  "KB: peak %g",
		  peak_before);
	RTT_CHECK(peak_after >= 3.0 * MiB,
		  "without it the heap grows toward the 4 MiB goal: peak %g",
		  peak_after);
}

START_TEST(test_ex06_forced_gc_is_a_cycle_per_request)
{
	rtt_run(1, forced_cycles_main, NULL);
}
END_TEST

/* ---- ex07: Gosched ---------------------------------------------------- */

static atomic_bool spin_flag;

static void set_flag(void *arg)
{
	(void)arg;
	atomic_store(&spin_flag, true);
}

static void spinner_main(void *arg)
{
	struct rt_sched_stats s0, s1;

	(void)arg;
	rt_read_sched_stats(&s0);
	rt_go(set_flag, NULL); /* runnable, but the only P is ours */
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
	/* Spin with no runtime call and no Gosched: only preemption can
	 * let set_flag run. */
	while (!atomic_load(&spin_flag) && rtt_mono_ns() < deadline) {
	}
	rt_read_sched_stats(&s1);
	RTT_CHECK(atomic_load(&spin_flag),
		  "the other goroutine never ran while we spun on one P");
	uint64_t preempts = (s1.preempt_async - s0.preempt_async) +
			    (s1.preempt_coop - s0.preempt_coop);
	RTT_CHECK(preempts > 0,
		  "it ran, so something preempted the spinner: preemptions "
		  "counted %llu",
		  (unsigned long long)preempts);
}

START_TEST(test_ex07_spinner_without_gosched_is_preempted)
{
	rtt_run(1, spinner_main, NULL);
}
END_TEST

#ifndef RT_NO_PROBES
static void yields_main(void *arg)
{
	const struct ex_param *p = &ex07.params[0]; /* others=0 */

	(void)arg;
	uint64_t g0 = rt_probe_count("gosched");
	run_once(&ex07, EX_BEFORE, p, 3, "");
	uint64_t g1 = rt_probe_count("gosched");
	run_once(&ex07, EX_AFTER, p, 3, "");
	uint64_t g2 = rt_probe_count("gosched");
	/* 100 000 values, one yield at every multiple of 1000 */
	RTT_CHECK(g1 - g0 == 300,
		  "the Before yields 100 times per op: %llu "
		  "in 3 ops",
		  (unsigned long long)(g1 - g0));
	RTT_CHECK(g2 == g1, "the After never yields: %llu",
		  (unsigned long long)(g2 - g1));
}

START_TEST(test_ex07_before_yields_every_1000_values)
{
	rtt_run(1, yields_main, NULL);
}
END_TEST
#endif

/* ---- ex08: LockOSThread ------------------------------------------------ */

/*
 * The job that needs thread identity: a call into a C library that keeps
 * per-thread state and blocks in the kernel (1 ms), on a loaded process
 * (two CPU-bound goroutines keep both Ps busy). A blocked worker's P is
 * retaken by sysmon; when its call returns there is no idle P, so an
 * unlocked worker is queued and resumed by whichever M runs it next
 * (exitsyscall0), while a locked one waits on its own M.
 */
enum {
	IDENTITY_JOBS = 200,
	IDENTITY_BLOCK_NS = 1000 * 1000,
	IDENTITY_TRIES = 5,
	IDENTITY_LOAD = 2,
};

static atomic_bool load_stop;
static rt_waitgroup load_wg;

static void load_spinner(void *arg)
{
	volatile uint64_t x = 0;

	(void)arg;
	while (!atomic_load_explicit(&load_stop, memory_order_relaxed))
		x++;
	rt_waitgroup_done(&load_wg);
}

static void identity_main(void *arg)
{
	uint64_t sum_locked = 0, sum_free = 0;

	(void)arg;
	for (int i = 0; i < IDENTITY_LOAD; i++) {
		rt_waitgroup_add(&load_wg, 1);
		rt_go(load_spinner, NULL);
	}
	uint64_t moves_locked = 0;
	for (int t = 0; t < IDENTITY_TRIES; t++)
		moves_locked += ex08_thread_moves(
		    IDENTITY_JOBS, 0, true, IDENTITY_BLOCK_NS, &sum_locked);
	RTT_CHECK(moves_locked == 0,
		  "a locked worker changed threads %llu times",
		  (unsigned long long)moves_locked);

	/* Unlocked: a change is all but certain within a few rounds. */
	uint64_t moves_free = 0;
	for (int t = 0; t < IDENTITY_TRIES && moves_free == 0; t++)
		moves_free = ex08_thread_moves(IDENTITY_JOBS, 0, false,
					       IDENTITY_BLOCK_NS, &sum_free);
	atomic_store(&load_stop, true);
	rt_waitgroup_wait(&load_wg);
	RTT_CHECK(moves_free > 0,
		  "an unlocked worker kept one thread over %d x %d jobs",
		  IDENTITY_TRIES, IDENTITY_JOBS);
	RTT_CHECK(sum_locked == sum_free,
		  "the jobs' answer depends on the lock: %llx vs %llx",
		  (unsigned long long)sum_locked, (unsigned long long)sum_free);
}

START_TEST(test_ex08_thread_identity_needs_the_lock)
{
	rtt_run(2, identity_main, NULL);
}
END_TEST

/* ---- ex09: buffer pool ------------------------------------------------- */

static const char secret[] =
    "session-token=7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a";

enum { REPLY = 256 };

static void leak_main(void *arg)
{
	static uint8_t reply[REPLY];

	(void)arg;
	/* Not reset: the second request's reply carries the first's. The
	 * secret's last 24 bytes lie past the short request's payload. */
	size_t n = ex09_reply_after_secret(secret, false, false, reply);
	RTT_CHECK(n < 64, "the second request is short: %zu", n);
	RTT_CHECK(memmem(reply + n, REPLY - n, secret + sizeof(secret) - 25,
			 24) != NULL,
		  "a pooled buffer that was not reset should leak the "
		  "previous request's secret into the padding");

	/* Reset (the After): zero padding. */
	memset(reply, 0xff, sizeof(reply));
	n = ex09_reply_after_secret(secret, true, false, reply);
	for (size_t i = n; i < REPLY; i++)
		RTT_CHECK(reply[i] == 0,
			  "reset buffer: byte %zu of the padding is %#x", i,
			  reply[i]);

	/* A fresh buffer (the Before): zero padding too. */
	memset(reply, 0xff, sizeof(reply));
	n = ex09_reply_after_secret(secret, false, true, reply);
	for (size_t i = n; i < REPLY; i++)
		RTT_CHECK(reply[i] == 0,
			  "fresh buffer: byte %zu of the padding is %#x", i,
			  reply[i]);
}

START_TEST(test_ex09_unreset_buffer_leaks_previous_request)
{
	rtt_run(1, leak_main, NULL);
}
END_TEST

static void pool_gc_main(void *arg)
{
	const struct ex_param *p = &ex09.params[0]; /* 64 KiB */

	(void)arg;
	double before = run_once(&ex09, EX_BEFORE, p, 1000, EX_UNIT_GC_PER_OP);
	double after = run_once(&ex09, EX_AFTER, p, 1000, EX_UNIT_GC_PER_OP);
	/* 1000 x 64 KiB = 62.5 MiB through a 4 MiB goal: >= 10 cycles */
	RTT_CHECK(before >= 0.01,
		  "fresh 64 KiB buffers should drive GC cycles: gc/op %g",
		  before);
	/* 1000 x 64 B messages cannot reach the goal */
	RTT_CHECK(after == 0, "pooled buffers should not: gc/op %g", after);
}

START_TEST(test_ex09_fresh_buffers_drive_gc_pooled_do_not)
{
	rtt_run(1, pool_gc_main, NULL);
}
END_TEST

/* ---- ex10: finalizer vs Close ----------------------------------------- */

static __attribute__((noinline)) int open_and_close(void)
{
	void *f = ex10_open("/dev/null");
	int fd = f != NULL ? ex10_fd(f) : -1;

	if (f != NULL)
		ex10_close(f);
	return fd;
}

/* the call site that forgot defer f.Close() */
static __attribute__((noinline)) int open_and_forget(void)
{
	void *f = ex10_open("/dev/null");
	int fd = f != NULL ? ex10_fd(f) : -1;

	rtt_clobber_stack();
	return fd;
}

static void forgotten_close_main(void *arg)
{
	int leaked_fd = -1;

	(void)arg;
	int64_t w0 = ex10_leaked(NULL);
	int closed_fd = open_and_close();
	int fd = open_and_forget();
	rtt_clobber_stack();
	RTT_CHECK(closed_fd >= 0 && fd >= 0, "open /dev/null failed");
	RTT_CHECK(fcntl(fd, F_GETFD) != -1,
		  "the forgotten File's fd should still be open");

	/* Cycles until the warning finalizer has run (the first cycle
	 * queues it; a conservative scan may need another). */
	int64_t w = w0;
	for (int i = 0; i < 50 && w == w0; i++) {
		rt_gc();
		rt_sleep(10 * 1000 * 1000);
		w = ex10_leaked(&leaked_fd);
	}
	RTT_CHECK(w == w0 + 1,
		  "the warning finalizer should report exactly the one "
		  "leaked File (and not the Closed one): %lld reports",
		  (long long)(w - w0));
	RTT_CHECK(leaked_fd == fd, "reported fd %d, leaked fd %d", leaked_fd,
		  fd);
	RTT_CHECK(fcntl(fd, F_GETFD) != -1,
		  "the warning finalizer only warns: the fd is still leaked");
	close(fd);
}

START_TEST(test_ex10_forgotten_close_is_detected)
{
	rtt_run(1, forgotten_close_main, NULL);
}
END_TEST

static void emfile_main(void *arg)
{
	static const struct ex_param none = {"", 0};
	struct rlimit r;

	(void)arg;
	getrlimit(RLIMIT_NOFILE, &r);
	double limit = r.rlim_cur < 1024 ? (double)r.rlim_cur : 1024;
	int64_t n = (int64_t)limit + 200;

	double emfile_b = run_once(&ex10, EX_BEFORE, &none, n, EX_UNIT_EMFILE);
	double emfile_a = run_once(&ex10, EX_AFTER, &none, n, EX_UNIT_EMFILE);
	double peak_a = run_once(&ex10, EX_AFTER, &none, n, EX_UNIT_PEAK_FDS);
	double peak_b = run_once(&ex10, EX_BEFORE, &none, n, EX_UNIT_PEAK_FDS);
	/* n opens under a limit of n - 200 with no GC: the finalizers
	 * cannot have closed anything (Files are 8 bytes) */
	RTT_CHECK(emfile_b == 1,
		  "%lld Opens without Close under RLIMIT_NOFILE %g should hit "
		  "EMFILE",
		  (long long)n, limit);
	RTT_CHECK(peak_b >= limit - 64,
		  "the Before's fds should pile up to the limit %g: peak %g",
		  limit, peak_b);
	RTT_CHECK(emfile_a == 0 && peak_a == 1,
		  "Close keeps one fd open at a time: emfile %g, peak %g",
		  emfile_a, peak_a);
	r.rlim_cur = 0;
	getrlimit(RLIMIT_NOFILE, &r);
	RTT_CHECK(r.rlim_cur >= (rlim_t)limit, "the run did not restore the "
					       "limit");
}

START_TEST(test_ex10_before_hits_emfile_after_keeps_one_fd)
{
	rtt_run(1, emfile_main, NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ex06_10");
	TCase *tc = tcase_create("gaps");

	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_ex06_gc_drops_released_heap);
	tcase_add_test(tc, test_ex06_gc_bounds_peak_of_next_load);
	tcase_add_test(tc, test_ex06_forced_gc_is_a_cycle_per_request);
	tcase_add_test(tc, test_ex07_spinner_without_gosched_is_preempted);
#ifndef RT_NO_PROBES
	tcase_add_test(tc, test_ex07_before_yields_every_1000_values);
#endif
	tcase_add_test(tc, test_ex08_thread_identity_needs_the_lock);
	tcase_add_test(tc, test_ex09_unreset_buffer_leaks_previous_request);
	tcase_add_test(tc, test_ex09_fresh_buffers_drive_gc_pooled_do_not);
	tcase_add_test(tc, test_ex10_forgotten_close_is_detected);
	tcase_add_test(tc, test_ex10_before_hits_emfile_after_keeps_one_fd);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_suite_main(suite());
}

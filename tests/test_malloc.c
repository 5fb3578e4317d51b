/*
 * test_malloc.c — the allocator and its accounting (runtime/malloc.c,
 * mstats.c, metrics.c, iface.c) as a specification: rt_mallocgc returns
 * zeroed, aligned, distinct objects of every size; unreachable objects are
 * reclaimed; RT_MEMLIMIT holds the heap under a limit; the counters of
 * rt_read_memstats and runtime/metrics move as Go's do; convT boxes small
 * and zero values without allocating.
 *
 * Every test calls rt_main exactly once (libcheck forks one child per test).
 * Tests that compare counters exactly run on one P, so nothing else runs.
 */
#include <unistd.h>

#include "probes.h"
#include "rt_test.h"

#define MiB (1024UL * 1024)

/* ---- basic allocation -------------------------------------------------- */

/* The sizes to try: every size up to 1 KiB, then every size class
 * boundary region up to 32 KiB, then large objects. */
static size_t next_size(size_t s)
{
	if (s < 1024)
		return s + 1;
	if (s < 32768) /* odd steps land in every class's neighbourhood */
		return s + 61 > 32768 ? 32768 : s + 61;
	if (s == 32768)
		return 32769; /* the first large size */
	return s * 3;
}

enum { MAX_SIZE = 8 * 1024 * 1024 };

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void zeroed_main(void *arg)
{
	unsigned flags = (unsigned)(uintptr_t)arg;

	for (size_t s = 1; s <= MAX_SIZE && rtt_ok(); s = next_size(s)) {
		unsigned char *p = rt_mallocgc(s, flags);

		RTT_CHECK(p != NULL, "rt_mallocgc(%zu) returned NULL", s);
		if (!p)
			return;
		RTT_CHECK(all_zero(p, s), "rt_mallocgc(%zu) not zeroed", s);
		memset(p, 0xff, s); /* dirty it for the next round */
	}
	/* Second round: the first round's objects are garbage and their
	 * memory is reused; it must come back zeroed. */
	rt_gc();
	for (size_t s = 1; s <= MAX_SIZE && rtt_ok(); s = next_size(s)) {
		unsigned char *p = rt_mallocgc(s, flags);

		RTT_CHECK(all_zero(p, s),
			  "rt_mallocgc(%zu) not zeroed after a cycle freed "
			  "dirty objects",
			  s);
		memset(p, 0xff, s);
	}
}

START_TEST(test_objects_of_every_size_are_zeroed_even_when_memory_is_reused)
{
	rtt_run(1, zeroed_main, (void *)(uintptr_t)0);
}
END_TEST

START_TEST(
    test_noscan_objects_of_every_size_are_zeroed_even_when_memory_is_reused)
{
	rtt_run(1, zeroed_main, (void *)(uintptr_t)RT_MALLOC_NOSCAN);
}
END_TEST

/*
 * Go's alignment: every object is aligned to 8 bytes, except that Go's tiny
 * allocator (NOSCAN objects under 16 bytes) may pack them to the largest
 * power of two dividing the size; objects in classes of 32 bytes and up,
 * and large ones, to 16 (every such class size is a multiple of 16, and
 * spans start on a page), as are 16-byte ones (class 16).
 */
static uintptr_t want_align(size_t s, unsigned flags)
{
	if ((flags & RT_MALLOC_NOSCAN) && s < 16) {
		uintptr_t a = (uintptr_t)(s & -s);

		return a < 8 ? a : 8;
	}
	if ((s > 8 && s <= 16) || s > 24)
		return 16;
	return 8;
}

static void align_main(void *arg)
{
	(void)arg;
	for (unsigned f = 0; f <= RT_MALLOC_NOSCAN; f += RT_MALLOC_NOSCAN)
		for (size_t s = 1; s <= MAX_SIZE && rtt_ok(); s = next_size(s))
			for (int k = 0; k < 3; k++) {
				uintptr_t p = (uintptr_t)rt_mallocgc(s, f);
				uintptr_t a = want_align(s, f);

				RTT_CHECK(p % a == 0,
					  "rt_mallocgc(%zu, %u) = %#lx, not "
					  "aligned to %lu",
					  s, f, (unsigned long)p,
					  (unsigned long)a);
			}
}

START_TEST(test_objects_are_aligned_as_gos)
{
	rtt_run(1, align_main, NULL);
}
END_TEST

/*
 * Distinct objects: allocate objects of mixed sizes, all kept alive in a
 * global array, each filled with its own pattern, through a few cycles;
 * then every pattern is intact (no two overlap) and no two ranges overlap.
 */
enum { DISTINCT_N = 20000 };
static struct {
	uint64_t *p;
	size_t size;
} distinct[DISTINCT_N];

static int cmp_range(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const typeof(distinct[0]) *)a)->p;
	uintptr_t y = (uintptr_t)((const typeof(distinct[0]) *)b)->p;

	return x < y ? -1 : x > y;
}

static void distinct_main(void *arg)
{
	static const size_t sizes[] = {8,     16,    24,     48,   64,
				       120,   256,   1000,   4096, 10240,
				       32768, 40000, 1 << 17};

	(void)arg;
	for (int i = 0; i < DISTINCT_N; i++) {
		size_t s =
		    sizes[(size_t)i * 7 % (sizeof(sizes) / sizeof(sizes[0]))];

		if (i % 100 != 0 && s > 32768)
			s = 512; /* a few large ones only */
		distinct[i].size = s;
		distinct[i].p = rt_mallocgc(s, i % 2 ? RT_MALLOC_NOSCAN : 0);
		rtt_fill(distinct[i].p, s, (uint64_t)i);
		if (i % 5000 == 0)
			rt_gc();
	}
	rt_gc();
	for (int i = 0; i < DISTINCT_N; i++) {
		size_t bad =
		    rtt_verify(distinct[i].p, distinct[i].size, (uint64_t)i);

		if (bad) {
			RTT_CHECK(false,
				  "object %d (%zu bytes) overwritten at "
				  "word %zu",
				  i, distinct[i].size, bad - 1);
			return;
		}
	}
	qsort(distinct, DISTINCT_N, sizeof(distinct[0]), cmp_range);
	for (int i = 1; i < DISTINCT_N; i++)
		if ((uintptr_t)distinct[i - 1].p + distinct[i - 1].size >
		    (uintptr_t)distinct[i].p) {
			RTT_CHECK(false,
				  "objects at %p (%zu bytes) and %p "
				  "overlap",
				  (void *)distinct[i - 1].p,
				  distinct[i - 1].size, (void *)distinct[i].p);
			return;
		}
}

START_TEST(test_live_objects_are_distinct_and_do_not_overlap)
{
	rtt_run(1, distinct_main, NULL);
}
END_TEST

static void size0_main(void *arg)
{
	struct rt_memstats a, b;
	void *p, *q;

	(void)arg;
	rtt_heap_exists(); /* rt_gc before any allocation: test_gc.c */
	rt_read_memstats(&a);
	p = rt_mallocgc(0, 0);
	q = rt_mallocgc(0, RT_MALLOC_NOSCAN);
	rt_read_memstats(&b);
	RTT_CHECK(p != NULL, "rt_mallocgc(0) returned NULL");
	RTT_CHECK(p == q, "two zero-size allocations differ: %p %p", p, q);
	RTT_CHECK(b.mallocs == a.mallocs,
		  "zero-size allocations counted in mallocs (+%llu)",
		  (unsigned long long)(b.mallocs - a.mallocs));
	rt_gc(); /* the shared zero-size object is not a heap object */
	RTT_CHECK(rt_mallocgc(0, 0) == p,
		  "zero-size object moved after a cycle");
}

START_TEST(test_size_0_returns_one_shared_object_and_allocates_nothing)
{
	rtt_run(1, size0_main, NULL);
}
END_TEST

/*
 * A pointer held only inside a NOSCAN object does not keep its target
 * alive: the collector never looks inside it. The target is 4 MiB, so its
 * fate shows in heap_alloc: held from a scan box it survives a cycle (the
 * control), moved into a NOSCAN box it is freed by the next.
 */
enum { BIG = 4 * 1024 * 1024 };

static void *volatile scan_box[1];

static __attribute__((noinline)) void big_into_scan_box(void)
{
	scan_box[0] = rt_mallocgc(BIG, 0);
	rtt_clobber_stack();
}

static __attribute__((noinline)) void **move_to_noscan_box(void)
{
	void **box = rt_mallocgc(64, RT_MALLOC_NOSCAN);

	box[0] = scan_box[0];
	scan_box[0] = NULL;
	rtt_clobber_stack();
	return box;
}

static void noscan_no_trace_main(void *arg)
{
	struct rt_memstats a, b;
	void **volatile box;

	(void)arg;
	big_into_scan_box();
	rt_gc();
	rt_read_memstats(&a);
	RTT_CHECK(a.heap_alloc >= BIG,
		  "heap_alloc %llu: the 4 MiB target held from a scan box did "
		  "not survive",
		  (unsigned long long)a.heap_alloc);
	box = move_to_noscan_box();
	rt_gc();
	rt_read_memstats(&b);
	RTT_CHECK(b.heap_alloc < BIG,
		  "heap_alloc went from %llu to %llu: the 4 MiB target held "
		  "only from a NOSCAN box was kept",
		  (unsigned long long)a.heap_alloc,
		  (unsigned long long)b.heap_alloc);
	RTT_CHECK(box[0] != NULL, "the NOSCAN box was cleared");
}

START_TEST(test_pointer_inside_a_noscan_object_does_not_keep_its_target_alive)
{
	rtt_run(1, noscan_no_trace_main, NULL);
}
END_TEST

/* ---- counters ---------------------------------------------------------- */

enum { COUNT_N = 1000, COUNT_SIZE = 64 };

static __attribute__((noinline)) void alloc_and_drop(int n, size_t size)
{
	for (int i = 0; i < n; i++)
		memset(rt_mallocgc(size, 0), 1, size);
	rtt_clobber_stack();
}

static void mallocs_main(void *arg)
{
	struct rt_memstats a, b;

	(void)arg;
	rtt_heap_exists(); /* rt_gc before any allocation: test_gc.c */
	rt_gc();
	rt_read_memstats(&a);
	alloc_and_drop(COUNT_N, COUNT_SIZE);
	rt_read_memstats(&b);
	RTT_CHECK(b.mallocs - a.mallocs == COUNT_N,
		  "%d allocations moved mallocs by %llu", COUNT_N,
		  (unsigned long long)(b.mallocs - a.mallocs));
	RTT_CHECK(b.total_alloc - a.total_alloc == COUNT_N * COUNT_SIZE,
		  "%d allocations of %d bytes moved total_alloc by %llu",
		  COUNT_N, COUNT_SIZE,
		  (unsigned long long)(b.total_alloc - a.total_alloc));
	RTT_CHECK(b.heap_objects - a.heap_objects == COUNT_N,
		  "%d live allocations moved heap_objects by %lld", COUNT_N,
		  (long long)(b.heap_objects - a.heap_objects));
}

START_TEST(test_mallocs_and_total_alloc_count_each_allocation)
{
	rtt_run(1, mallocs_main, NULL);
}
END_TEST

static void frees_main(void *arg)
{
	struct rt_memstats a, b;

	(void)arg;
	rtt_heap_exists(); /* rt_gc before any allocation: test_gc.c */
	rt_gc();
	rt_read_memstats(&a);
	alloc_and_drop(COUNT_N, COUNT_SIZE);
	rt_gc(); /* a forced cycle sweeps everything before it returns */
	rt_read_memstats(&b);
	RTT_CHECK(b.frees - a.frees >= COUNT_N,
		  "%d dropped objects: frees moved by %llu after rt_gc",
		  COUNT_N, (unsigned long long)(b.frees - a.frees));
	RTT_CHECK(b.heap_objects <= a.heap_objects,
		  "heap_objects grew from %llu to %llu over a dropped batch",
		  (unsigned long long)a.heap_objects,
		  (unsigned long long)b.heap_objects);
}

START_TEST(test_frees_count_dropped_objects_after_gc)
{
	rtt_run(1, frees_main, NULL);
}
END_TEST

static void mallocgc_probe_main(void *arg)
{
	uint64_t before, after;

	(void)arg;
	before = rt_probe_count("mallocgc");
	for (int i = 0; i < COUNT_N; i++)
		rt_mallocgc((size_t)(i % 3 ? 48 : 40000), 0);
	after = rt_probe_count("mallocgc");
	RTT_CHECK(after - before == COUNT_N,
		  "%d allocations fired mallocgc %llu times", COUNT_N,
		  (unsigned long long)(after - before));
}

START_TEST(test_mallocgc_probe_fires_once_per_allocation)
{
	rtt_run(1, mallocgc_probe_main, NULL);
}
END_TEST

/* Go's identities between MemStats fields. */
static void check_memstats_identities(const struct rt_memstats *m,
				      const char *when)
{
	RTT_CHECK(m->alloc == m->heap_alloc,
		  "%s: alloc %llu != heap_alloc %llu", when,
		  (unsigned long long)m->alloc,
		  (unsigned long long)m->heap_alloc);
	RTT_CHECK(m->heap_objects == m->mallocs - m->frees,
		  "%s: heap_objects %llu != mallocs %llu - frees %llu", when,
		  (unsigned long long)m->heap_objects,
		  (unsigned long long)m->mallocs, (unsigned long long)m->frees);
	RTT_CHECK(m->heap_sys == m->heap_inuse + m->heap_idle,
		  "%s: heap_sys %llu != heap_inuse %llu + heap_idle %llu", when,
		  (unsigned long long)m->heap_sys,
		  (unsigned long long)m->heap_inuse,
		  (unsigned long long)m->heap_idle);
	RTT_CHECK(m->heap_released <= m->heap_idle,
		  "%s: heap_released %llu > heap_idle %llu", when,
		  (unsigned long long)m->heap_released,
		  (unsigned long long)m->heap_idle);
	RTT_CHECK(m->heap_alloc <= m->heap_inuse,
		  "%s: heap_alloc %llu > heap_inuse %llu", when,
		  (unsigned long long)m->heap_alloc,
		  (unsigned long long)m->heap_inuse);
	RTT_CHECK(m->sys >= m->heap_sys, "%s: sys %llu < heap_sys %llu", when,
		  (unsigned long long)m->sys, (unsigned long long)m->heap_sys);
	RTT_CHECK(m->total_alloc >= m->heap_alloc,
		  "%s: total_alloc %llu < heap_alloc %llu", when,
		  (unsigned long long)m->total_alloc,
		  (unsigned long long)m->heap_alloc);
	RTT_CHECK(m->num_gc >= m->num_forced_gc,
		  "%s: num_gc %u < num_forced_gc %u", when, m->num_gc,
		  m->num_forced_gc);
}

static void *volatile identities_keep[1000];

static void identities_main(void *arg)
{
	struct rt_memstats m;

	(void)arg;
	rt_read_memstats(&m);
	check_memstats_identities(&m, "at start");
	for (int i = 0; i < 1000; i++)
		identities_keep[i] = rt_mallocgc((size_t)(i * 97 % 70000), 0);
	rt_read_memstats(&m);
	check_memstats_identities(&m, "after 1000 allocations");
	for (int i = 0; i < 1000; i += 2)
		identities_keep[i] = NULL;
	rt_gc();
	rt_read_memstats(&m);
	check_memstats_identities(&m, "after rt_gc");
}

START_TEST(test_memstats_fields_keep_gos_identities)
{
	rtt_run(1, identities_main, NULL);
}
END_TEST

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static void gc_memstats_main(void *arg)
{
	struct rt_memstats a, b;
	uint64_t t0, t1;

	(void)arg;
	rtt_heap_exists(); /* rt_gc before any allocation: test_gc.c */
	rt_read_memstats(&a);
	for (int i = 0; i < 10; i++) {
		t0 = wall_ns();
		rt_gc();
		t1 = wall_ns();
		rt_read_memstats(&b);
		RTT_CHECK(b.num_forced_gc == a.num_forced_gc + 1,
			  "rt_gc moved num_forced_gc from %u to %u",
			  a.num_forced_gc, b.num_forced_gc);
		RTT_CHECK(b.num_gc == a.num_gc + 1,
			  "rt_gc moved num_gc from %u to %u", a.num_gc,
			  b.num_gc);
		RTT_CHECK(b.pause_total_ns > a.pause_total_ns,
			  "pause_total_ns did not grow over a cycle");
		RTT_CHECK(b.last_gc >= t0 && b.last_gc <= t1,
			  "last_gc %llu not within the rt_gc call [%llu, "
			  "%llu]",
			  (unsigned long long)b.last_gc, (unsigned long long)t0,
			  (unsigned long long)t1);
		RTT_CHECK(b.pause_ns[(b.num_gc + 255) % 256] > 0,
			  "pause_ns of the last cycle is 0");
		RTT_CHECK(
		    b.pause_end[(b.num_gc + 255) % 256] == b.last_gc,
		    "pause_end of the last cycle %llu != last_gc %llu",
		    (unsigned long long)b.pause_end[(b.num_gc + 255) % 256],
		    (unsigned long long)b.last_gc);
		a = b;
	}
}

START_TEST(test_each_rt_gc_counts_one_forced_cycle_and_its_pause_in_memstats)
{
	rtt_run(1, gc_memstats_main, NULL);
}
END_TEST

/* ---- reclaiming -------------------------------------------------------- */

/*
 * churn allocates and drops bytes in mixed sizes (small scan and NOSCAN
 * objects, a 256 KiB large one every so often), writing each.
 */
static __attribute__((noinline)) void churn(size_t bytes)
{
	static const size_t sizes[] = {16, 64, 200, 1024, 4000, 30000};
	size_t done = 0;
	unsigned i = 0;

	while (done < bytes) {
		size_t s = ++i % 64 == 0
			       ? 256 * 1024
			       : sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
		char *p = rt_mallocgc(s, i % 2 ? RT_MALLOC_NOSCAN : 0);

		p[0] = p[s - 1] = 1;
		done += s;
	}
	rtt_clobber_stack();
}

/*
 * After 10 x 64 MiB of garbage and a forced cycle, the heap is back near
 * where it started: within 4 MiB, room for the conservative scan to keep a
 * few objects through stale words (each at most 256 KiB here) but not for
 * a leak of any fraction of the 640 MiB churned.
 */
static void reclaim_main(void *arg)
{
	struct rt_memstats a, b;

	(void)arg;
	rtt_heap_exists(); /* rt_gc before any allocation: test_gc.c */
	rt_gc();
	rt_read_memstats(&a);
	for (int i = 0; i < 10; i++)
		churn(64 * MiB);
	rt_gc();
	rt_read_memstats(&b);
	RTT_CHECK(b.heap_alloc <= a.heap_alloc + 4 * MiB,
		  "heap_alloc %llu after 640 MiB of garbage and rt_gc, %llu "
		  "before",
		  (unsigned long long)b.heap_alloc,
		  (unsigned long long)a.heap_alloc);
	RTT_CHECK(b.total_alloc - a.total_alloc >= 640 * MiB,
		  "total_alloc moved by only %llu",
		  (unsigned long long)(b.total_alloc - a.total_alloc));
}

START_TEST(test_heap_returns_near_its_start_after_churning_10x64mib_and_gc)
{
	rtt_run(1, reclaim_main, NULL);
}
END_TEST

/*
 * Without any rt_gc the heap goal triggers cycles, and memory is reused:
 * 640 MiB of garbage with nothing live needs far less than 64 MiB of heap.
 */
static void pacing_main(void *arg)
{
	struct rt_memstats a, b;

	(void)arg;
	rt_read_memstats(&a);
	churn(640 * MiB);
	rt_read_memstats(&b);
	RTT_CHECK(b.num_gc - a.num_gc >= 5,
		  "640 MiB of garbage triggered only %u cycles",
		  b.num_gc - a.num_gc);
	RTT_CHECK(b.num_forced_gc == a.num_forced_gc,
		  "cycles counted as forced without rt_gc");
	RTT_CHECK(b.heap_sys < 64 * MiB,
		  "heap_sys reached %llu MiB for 640 MiB of garbage",
		  (unsigned long long)(b.heap_sys / MiB));
}

START_TEST(test_heap_goal_triggers_cycles_and_memory_is_reused_during_churn)
{
	rtt_run(1, pacing_main, NULL);
}
END_TEST

/*
 * RT_MEMLIMIT. A live set of 40 MiB (4 KiB NOSCAN objects) is replaced at
 * random, 1 GiB in all, with large 64 KiB temporaries besides. GOGC=100
 * alone lets the heap reach about 2 x 40 = 80 MiB (the control test shows
 * it); with a 64 MiB limit the heap must stay under it. The limit is soft
 * (Go's GOMEMLIMIT, mgcpacer.c): the goal is the limit less the runtime's
 * other memory less 5%, and the trigger is tested on mallocgc's slow path,
 * so the heap can pass it by what is allocated from the P's cached spans
 * before the next test (at most a span per size class) plus one object.
 * The margin allowed over the limit is 1/16 of it, 4 MiB: well above that
 * overshoot, well below the 16 MiB GOGC alone would add. The heap is
 * sampled every 8 allocations through the lock-free metric
 * /memory/classes/heap/objects:bytes (Go's HeapAlloc). RT_GOGC=100 is set
 * so that the environment cannot turn the control into a no-op.
 */
enum { LIVE_OBJ = 4096, LIVE_N = 40 * 1024 * 1024 / LIVE_OBJ };
#define LIMIT (64 * MiB)

static uint64_t memlimit_peak;

static uint64_t heap_objects_bytes(void)
{
	struct rt_metric_sample s = {.name =
					 "/memory/classes/heap/objects:bytes"};

	rt_metrics_read(&s, 1);
	RTT_CHECK(s.kind == RT_METRIC_UINT64,
		  "/memory/classes/heap/objects:bytes has kind %d", s.kind);
	return s.value.u64;
}

static void limited_churn_main(void *arg)
{
	void **volatile live = rt_mallocgc(LIVE_N * sizeof(void *), 0);
	uint64_t x = 88172645463325252ULL, peak = 0;

	(void)arg;
	for (int i = 0; i < LIVE_N; i++)
		live[i] = rt_mallocgc(LIVE_OBJ, RT_MALLOC_NOSCAN);
	for (long i = 0; i < (long)(1024 * MiB / LIVE_OBJ); i++) {
		uint64_t h;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		live[x % LIVE_N] = rt_mallocgc(LIVE_OBJ, RT_MALLOC_NOSCAN);
		if (i % 16 == 0)
			memset(rt_mallocgc(64 * 1024, RT_MALLOC_NOSCAN), 1, 64);
		if (i % 8 == 0) {
			h = heap_objects_bytes();
			if (h > peak)
				peak = h;
		}
	}
	memlimit_peak = peak;
}

START_TEST(test_rt_memlimit_keeps_the_heap_under_the_limit_during_churn)
{
	setenv("RT_MEMLIMIT", "64MiB", 1);
	setenv("RT_GOGC", "100", 1);
	rtt_run(1, limited_churn_main, NULL);
	ck_assert_msg(memlimit_peak <= LIMIT + LIMIT / 16,
		      "heap objects peaked at %.1f MiB under RT_MEMLIMIT=64MiB",
		      (double)memlimit_peak / MiB);
}
END_TEST

START_TEST(test_rt_memlimit_in_bytes_keeps_the_heap_under_the_limit)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", LIMIT);
	setenv("RT_MEMLIMIT", buf, 1);
	setenv("RT_GOGC", "100", 1);
	rtt_run(1, limited_churn_main, NULL);
	ck_assert_msg(memlimit_peak <= LIMIT + LIMIT / 16,
		      "heap objects peaked at %.1f MiB under RT_MEMLIMIT=%s",
		      (double)memlimit_peak / MiB, buf);
}
END_TEST

/* The control: without the limit the same churn goes past 64 MiB, so the
 * test above shows the limit at work, not GOGC. */
START_TEST(test_without_rt_memlimit_the_same_churn_exceeds_64mib)
{
	unsetenv("RT_MEMLIMIT");
	setenv("RT_GOGC", "100", 1);
	rtt_run(1, limited_churn_main, NULL);
	ck_assert_msg(memlimit_peak > LIMIT,
		      "heap objects peaked at only %.1f MiB without a limit",
		      (double)memlimit_peak / MiB);
}
END_TEST

/* ---- convT ------------------------------------------------------------- */

static uint64_t mallocs_now(void)
{
	return rt_probe_count("mallocgc");
}

static void convt64_main(void *arg)
{
	(void)arg;
	for (uint64_t v = 0; v < 256; v++) {
		uint64_t m0 = mallocs_now();
		const uint64_t *p = rt_convT64(v);

		RTT_CHECK(mallocs_now() == m0, "rt_convT64(%llu) allocated",
			  (unsigned long long)v);
		RTT_CHECK(p && *p == v, "rt_convT64(%llu) boxed %llu",
			  (unsigned long long)v,
			  p ? (unsigned long long)*p : 0ULL);
	}
	static const uint64_t big[] = {256, 257, 1000, 1ULL << 40, UINT64_MAX};
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		uint64_t m0 = mallocs_now();
		const uint64_t *p = rt_convT64(big[i]);

		RTT_CHECK(mallocs_now() == m0 + 1,
			  "rt_convT64(%llu) made %llu allocations, want 1",
			  (unsigned long long)big[i],
			  (unsigned long long)(mallocs_now() - m0));
		RTT_CHECK(p && *p == big[i], "rt_convT64(%llu) boxed %llu",
			  (unsigned long long)big[i],
			  p ? (unsigned long long)*p : 0ULL);
	}
}

START_TEST(test_convt64_allocates_only_for_values_of_256_and_up)
{
	rtt_run(1, convt64_main, NULL);
}
END_TEST

static void convtstring_main(void *arg)
{
	static const char text[] = "hello, boxes";
	rt_string zero = {NULL, 0}, empty = {text, 0}, s = {text, 5};
	uint64_t m0;
	const rt_string *p;

	(void)arg;
	m0 = mallocs_now();
	p = rt_convTstring(zero);
	RTT_CHECK(mallocs_now() == m0, "boxing the zero string allocated");
	RTT_CHECK(p && p->len == 0, "boxed zero string has len %zu",
		  p ? p->len : (size_t)-1);
	m0 = mallocs_now();
	p = rt_convTstring(empty);
	RTT_CHECK(mallocs_now() == m0, "boxing an empty string allocated");
	RTT_CHECK(p && p->len == 0, "boxed empty string has len %zu",
		  p ? p->len : (size_t)-1);
	m0 = mallocs_now();
	p = rt_convTstring(s);
	RTT_CHECK(mallocs_now() == m0 + 1,
		  "boxing a string made %llu allocations, want 1",
		  (unsigned long long)(mallocs_now() - m0));
	RTT_CHECK(p && p->ptr == text && p->len == 5,
		  "boxed string is {%p, %zu}, want {%p, 5}",
		  p ? (void *)p->ptr : NULL, p ? p->len : 0, (void *)text);
}

START_TEST(test_convtstring_allocates_only_for_non_empty_strings)
{
	rtt_run(1, convtstring_main, NULL);
}
END_TEST

static void convtslice_main(void *arg)
{
	static int backing[4];
	rt_slice zero = {NULL, 0, 0}, s = {backing, 2, 4};
	uint64_t m0;
	const rt_slice *p;

	(void)arg;
	m0 = mallocs_now();
	p = rt_convTslice(zero);
	RTT_CHECK(mallocs_now() == m0, "boxing the nil slice allocated");
	RTT_CHECK(p && p->ptr == NULL && p->len == 0 && p->cap == 0,
		  "boxed nil slice is not zero");
	m0 = mallocs_now();
	p = rt_convTslice(s);
	RTT_CHECK(mallocs_now() == m0 + 1,
		  "boxing a slice made %llu allocations, want 1",
		  (unsigned long long)(mallocs_now() - m0));
	RTT_CHECK(p && p->ptr == backing && p->len == 2 && p->cap == 4,
		  "boxed slice differs from the value");
}

START_TEST(test_convtslice_allocates_only_for_non_nil_slices)
{
	rtt_run(1, convtslice_main, NULL);
}
END_TEST

static void convt_probe_main(void *arg)
{
	static const char text[] = "x";
	uint64_t c0;

	(void)arg;
	c0 = rt_probe_count("convT");
	rt_convT64(1);
	rt_convT64(1000);
	rt_convTstring((rt_string){text, 1});
	rt_convTslice((rt_slice){NULL, 0, 0});
	RTT_CHECK(rt_probe_count("convT") - c0 == 4,
		  "4 conversions fired convT %llu times",
		  (unsigned long long)(rt_probe_count("convT") - c0));
}

START_TEST(test_convt_probe_fires_once_per_conversion)
{
	rtt_run(1, convt_probe_main, NULL);
}
END_TEST

/* A boxed value is a heap object like any other: it survives cycles. */
static void convt_survives_main(void *arg)
{
	const uint64_t *volatile p;

	(void)arg;
	p = rt_convT64(0x123456789abcdefULL);
	for (int i = 0; i < 10; i++) {
		rt_gc();
		rtt_churn_find(8, 0, 1000, 0);
	}
	RTT_CHECK(*p == 0x123456789abcdefULL, "boxed value changed to %llx",
		  (unsigned long long)*p);
}

START_TEST(test_boxed_value_survives_cycles)
{
	rtt_run(1, convt_survives_main, NULL);
}
END_TEST

/* ---- metrics ----------------------------------------------------------- */

static bool metric_listed(const char *name)
{
	size_t n = 0;
	const char *const *all = rt_metrics_all(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i], name) == 0)
			return true;
	return false;
}

static void metrics_all_main(void *arg)
{
	size_t n = 0;
	const char *const *all = rt_metrics_all(&n);
	struct rt_metric_sample s[256];

	(void)arg;
	RTT_CHECK(all != NULL && n > 0, "rt_metrics_all lists %zu names", n);
	RTT_CHECK(n <= 256, "%zu metrics", n);
	if (!all || n == 0 || n > 256)
		return;
	for (size_t i = 0; i < n; i++) {
		RTT_CHECK(all[i] && all[i][0] == '/' && strchr(all[i], ':'),
			  "metric %zu is named \"%s\"", i,
			  all[i] ? all[i] : "(null)");
		for (size_t j = 0; j < i; j++)
			RTT_CHECK(strcmp(all[i], all[j]) != 0,
				  "metric \"%s\" listed twice", all[i]);
		s[i] = (struct rt_metric_sample){.name = all[i]};
	}
	rt_metrics_read(s, n);
	for (size_t i = 0; i < n; i++)
		RTT_CHECK(s[i].kind == RT_METRIC_UINT64 ||
			      s[i].kind == RT_METRIC_FLOAT64,
			  "listed metric \"%s\" read as kind %d", all[i],
			  s[i].kind);
	RTT_CHECK(metric_listed("/gc/cycles/total:gc-cycles"),
		  "/gc/cycles/total:gc-cycles not listed");
	RTT_CHECK(metric_listed("/memory/classes/heap/objects:bytes"),
		  "/memory/classes/heap/objects:bytes not listed");
}

START_TEST(test_every_listed_metric_reads_with_a_kind)
{
	rtt_run(1, metrics_all_main, NULL);
}
END_TEST

static void metrics_bad_main(void *arg)
{
	struct rt_metric_sample s[3] = {
	    {.name = "/no/such/metric:bytes"},
	    {.name = "/gc/cycles/total:gc-cycles"},
	    {.name = "/gc/cycles/total"},
	};

	(void)arg;
	s[0].kind = RT_METRIC_UINT64; /* must be overwritten */
	rt_metrics_read(s, 3);
	RTT_CHECK(s[0].kind == RT_METRIC_BAD, "unknown name read as kind %d",
		  s[0].kind);
	RTT_CHECK(s[1].kind == RT_METRIC_UINT64,
		  "/gc/cycles/total:gc-cycles beside a bad name has kind %d",
		  s[1].kind);
	RTT_CHECK(s[2].kind == RT_METRIC_BAD,
		  "a name without its unit read as kind %d", s[2].kind);
}

START_TEST(test_unknown_metric_name_reads_as_bad)
{
	rtt_run(1, metrics_bad_main, NULL);
}
END_TEST

static uint64_t metric_u64(const char *name)
{
	struct rt_metric_sample s = {.name = name};

	rt_metrics_read(&s, 1);
	RTT_CHECK(s.kind == RT_METRIC_UINT64, "%s has kind %d", name, s.kind);
	return s.value.u64;
}

static void gc_cycles_metric_main(void *arg)
{
	(void)arg;
	rtt_heap_exists(); /* rt_gc before any allocation: test_gc.c */
	for (int i = 0; i < 10; i++) {
		uint64_t a = metric_u64("/gc/cycles/total:gc-cycles");

		rt_gc();
		uint64_t b = metric_u64("/gc/cycles/total:gc-cycles");

		RTT_CHECK(b == a + 1,
			  "rt_gc moved /gc/cycles/total:gc-cycles from %llu "
			  "to %llu",
			  (unsigned long long)a, (unsigned long long)b);
	}
}

START_TEST(test_gc_cycles_metric_grows_by_one_per_rt_gc)
{
	rtt_run(1, gc_cycles_metric_main, NULL);
}
END_TEST

static bool stw_same(const struct rt_stw_stats *a, const struct rt_stw_stats *b)
{
	for (int r = 0; r < RT_STW_REASON_COUNT; r++)
		if (a->count[r] != b->count[r])
			return false;
	return true;
}

static void metrics_no_stw_main(void *arg)
{
	size_t n = 0;
	const char *const *all = rt_metrics_all(&n);
	struct rt_metric_sample s[256];
	struct rt_stw_stats a, b;

	(void)arg;
	if (n > 256)
		n = 256;
	for (size_t i = 0; i < n; i++)
		s[i] = (struct rt_metric_sample){.name = all[i]};
	rt_read_stw_stats(&a);
	for (int k = 0; k < 1000; k++)
		rt_metrics_read(s, n);
	rt_read_stw_stats(&b);
	RTT_CHECK(stw_same(&a, &b),
		  "1000 rt_metrics_read calls stopped the world");
}

START_TEST(test_metrics_read_does_not_stop_the_world)
{
	rtt_run(1, metrics_no_stw_main, NULL);
}
END_TEST

static void memstats_stw_main(void *arg)
{
	struct rt_stw_stats a, b;
	struct rt_memstats m;

	(void)arg;
	for (int k = 1; k <= 3; k++) {
		rt_read_stw_stats(&a);
		rt_read_memstats(&m);
		rt_read_stw_stats(&b);
		for (int r = 0; r < RT_STW_REASON_COUNT; r++) {
			uint64_t want = r == RT_STW_READ_MEM_STATS;

			RTT_CHECK(b.count[r] - a.count[r] == want,
				  "rt_read_memstats: \"%s\" stops moved by "
				  "%llu, want %llu",
				  rt_stw_reason_string(r),
				  (unsigned long long)(b.count[r] - a.count[r]),
				  (unsigned long long)want);
		}
	}
}

START_TEST(test_read_memstats_stops_the_world_once_per_call)
{
	rtt_run(1, memstats_stw_main, NULL);
}
END_TEST

/*
 * Go's metrics and MemStats agree at a quiet point (one P, nothing
 * allocating between the two reads; rt_read_memstats does not allocate).
 */
static void metrics_match_main(void *arg)
{
	struct rt_memstats m;
	static const struct {
		const char *name;
		size_t off;
	} pairs[] = {
	    {"/memory/classes/heap/objects:bytes",
	     offsetof(struct rt_memstats, heap_alloc)},
	    {"/gc/heap/allocs:bytes",
	     offsetof(struct rt_memstats, total_alloc)},
	    {"/gc/heap/allocs:objects", offsetof(struct rt_memstats, mallocs)},
	    {"/gc/heap/frees:objects", offsetof(struct rt_memstats, frees)},
	    {"/gc/heap/objects:objects",
	     offsetof(struct rt_memstats, heap_objects)},
	    {"/gc/heap/goal:bytes", offsetof(struct rt_memstats, next_gc)},
	    {"/memory/classes/heap/released:bytes",
	     offsetof(struct rt_memstats, heap_released)},
	};

	(void)arg;
	for (int i = 0; i < 1000; i++)
		rt_mallocgc((size_t)(i * 37 % 5000), 0);
	rt_gc();
	for (int i = 0; i < 1000; i++)
		rt_mallocgc((size_t)(i * 37 % 5000), 0);
	rt_read_memstats(&m);
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		uint64_t want =
		    *(const uint64_t *)((const char *)&m + pairs[i].off);

		if (!metric_listed(pairs[i].name))
			continue; /* not every Go metric is provided */
		uint64_t got = metric_u64(pairs[i].name);

		RTT_CHECK(got == want, "%s is %llu, MemStats says %llu",
			  pairs[i].name, (unsigned long long)got,
			  (unsigned long long)want);
	}
	struct rt_metric_sample c[2] = {
	    {.name = "/gc/cycles/total:gc-cycles"},
	    {.name = "/gc/cycles/forced:gc-cycles"}};
	rt_metrics_read(c, 2);
	RTT_CHECK(c[0].value.u64 == m.num_gc,
		  "/gc/cycles/total:gc-cycles %llu, num_gc %u",
		  (unsigned long long)c[0].value.u64, m.num_gc);
	if (c[1].kind != RT_METRIC_BAD)
		RTT_CHECK(c[1].value.u64 == m.num_forced_gc,
			  "/gc/cycles/forced:gc-cycles %llu, num_forced_gc %u",
			  (unsigned long long)c[1].value.u64, m.num_forced_gc);
}

START_TEST(test_metrics_agree_with_memstats_at_a_quiet_point)
{
	rtt_run(1, metrics_match_main, NULL);
}
END_TEST

static Suite *malloc_suite(void)
{
	Suite *s = suite_create("malloc");
	TCase *tc;

	tc = tcase_create("alloc");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc,
	    test_objects_of_every_size_are_zeroed_even_when_memory_is_reused);
	tcase_add_test(
	    tc,
	    test_noscan_objects_of_every_size_are_zeroed_even_when_memory_is_reused);
	tcase_add_test(tc, test_objects_are_aligned_as_gos);
	tcase_add_test(tc, test_live_objects_are_distinct_and_do_not_overlap);
	tcase_add_test(
	    tc, test_size_0_returns_one_shared_object_and_allocates_nothing);
	tcase_add_test(
	    tc,
	    test_pointer_inside_a_noscan_object_does_not_keep_its_target_alive);
	suite_add_tcase(s, tc);

	tc = tcase_create("counters");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_mallocs_and_total_alloc_count_each_allocation);
	tcase_add_test(tc, test_frees_count_dropped_objects_after_gc);
	tcase_add_test(tc, test_mallocgc_probe_fires_once_per_allocation);
	tcase_add_test(tc, test_memstats_fields_keep_gos_identities);
	tcase_add_test(
	    tc,
	    test_each_rt_gc_counts_one_forced_cycle_and_its_pause_in_memstats);
	suite_add_tcase(s, tc);

	tc = tcase_create("reclaim");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc,
	    test_heap_returns_near_its_start_after_churning_10x64mib_and_gc);
	tcase_add_test(
	    tc,
	    test_heap_goal_triggers_cycles_and_memory_is_reused_during_churn);
	tcase_add_test(
	    tc, test_rt_memlimit_keeps_the_heap_under_the_limit_during_churn);
	tcase_add_test(
	    tc, test_rt_memlimit_in_bytes_keeps_the_heap_under_the_limit);
	tcase_add_test(tc,
		       test_without_rt_memlimit_the_same_churn_exceeds_64mib);
	suite_add_tcase(s, tc);

	tc = tcase_create("convT");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc,
		       test_convt64_allocates_only_for_values_of_256_and_up);
	tcase_add_test(tc,
		       test_convtstring_allocates_only_for_non_empty_strings);
	tcase_add_test(tc, test_convtslice_allocates_only_for_non_nil_slices);
	tcase_add_test(tc, test_convt_probe_fires_once_per_conversion);
	tcase_add_test(tc, test_boxed_value_survives_cycles);
	suite_add_tcase(s, tc);

	tc = tcase_create("metrics");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_every_listed_metric_reads_with_a_kind);
	tcase_add_test(tc, test_unknown_metric_name_reads_as_bad);
	tcase_add_test(tc, test_gc_cycles_metric_grows_by_one_per_rt_gc);
	tcase_add_test(tc, test_metrics_read_does_not_stop_the_world);
	tcase_add_test(tc, test_read_memstats_stops_the_world_once_per_call);
	tcase_add_test(tc, test_metrics_agree_with_memstats_at_a_quiet_point);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_suite_main(malloc_suite());
}

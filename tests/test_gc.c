/*
 * test_gc.c — the collector (runtime/mgc*.c) as a specification: what is
 * reachable survives forced cycles with its contents intact, whichever root
 * holds it (a goroutine's stack, a register saved by async preemption, a
 * global, a registered root, a chain of a million heap objects); finalizers
 * run exactly once, and only once their object is unreachable; and
 * stop-the-world really stops every P.
 *
 * "Survives" is checked two ways: the object's pattern is intact, and after
 * every cycle a churn of same-size allocations never gets its memory back
 * (a freed object's is handed out again and overwritten at once: the
 * unrooted control shows it).
 *
 * Every test calls rt_main exactly once (libcheck forks one child per test).
 */
#include <unistd.h>

#include "rt_test.h"

enum { CYCLES = 100, OBJ_SIZE = 256, CHURN_N = 2000 };

/*
 * new_hidden_object allocates and fills an object and returns it hidden;
 * new_hidden_object_clean also clears the dead stack below the caller, so
 * that on return the caller's hidden value is the object's only trace.
 */
static __attribute__((noinline)) uintptr_t
new_hidden_object(size_t size, unsigned flags, uint64_t seed)
{
	void *p = rt_mallocgc(size, flags);

	rtt_fill(p, size, seed);
	return rtt_hide(p);
}

static __attribute__((noinline)) uintptr_t
new_hidden_object_clean(size_t size, unsigned flags, uint64_t seed)
{
	uintptr_t h = new_hidden_object(size, flags, seed);

	rtt_clobber_stack();
	return h;
}

/* cycle_and_churn runs one forced cycle, then a churn that would reuse the
 * object at hidden if it had been freed; returns the churn's hits. */
static long cycle_and_churn(uintptr_t hidden, size_t size, unsigned flags)
{
	rt_gc();
	return rtt_churn_find(size, flags, CHURN_N, hidden);
}

/* rt_gc with no heap yet: nothing allocated before it. */
static void gc_first_main(void *arg)
{
	struct rt_memstats m;

	(void)arg;
	for (int i = 0; i < 3; i++)
		rt_gc();
	rt_read_memstats(&m);
	RTT_CHECK(m.num_forced_gc == 3, "3 rt_gc calls, num_forced_gc %u",
		  m.num_forced_gc);
}

START_TEST(test_rt_gc_before_any_allocation_completes)
{
	rtt_run(1, gc_first_main, NULL);
}
END_TEST

/* ---- roots ------------------------------------------------------------- */

static void stack_root_main(void *arg)
{
	uintptr_t h = new_hidden_object_clean(OBJ_SIZE, 0, 1);
	uint64_t *volatile obj = rtt_unhide(h); /* the one root: a stack slot */
	long hits = 0;

	(void)arg;
	for (int i = 0; i < CYCLES; i++)
		hits += cycle_and_churn(h, OBJ_SIZE, 0);
	RTT_CHECK(hits == 0,
		  "a live object's address was allocated again %ld times",
		  hits);
	size_t bad = rtt_verify(obj, OBJ_SIZE, 1);
	RTT_CHECK(bad == 0,
		  "object reachable from the stack was overwritten "
		  "(word %zu) after %d cycles",
		  bad - 1, CYCLES);
}

START_TEST(test_object_reachable_only_from_a_stack_survives_100_cycles)
{
	rtt_run(1, stack_root_main, NULL);
}
END_TEST

/*
 * The control for the tests above: with no root at all, the object's
 * memory is handed out again by the churn after a cycle, so "never handed
 * out again" in them is evidence, not luck.
 */
static void unrooted_main(void *arg)
{
	uintptr_t h = new_hidden_object_clean(OBJ_SIZE, 0, 8);
	long hits = 0;
	int cycles = 0;

	(void)arg;
	while (hits == 0 && cycles < 10) {
		hits = cycle_and_churn(h, OBJ_SIZE, 0);
		cycles++;
	}
	RTT_CHECK(hits > 0,
		  "an unreachable object's memory was not reused in %d "
		  "cycles",
		  cycles);
}

START_TEST(test_unreachable_object_is_freed_and_its_memory_reused)
{
	rtt_run(1, unrooted_main, NULL);
}
END_TEST

/* A NOSCAN object is found through a stack root as well (only its contents
 * are not scanned). */
static void noscan_stack_root_main(void *arg)
{
	uintptr_t h = new_hidden_object_clean(OBJ_SIZE, RT_MALLOC_NOSCAN, 2);
	uint64_t *volatile obj = rtt_unhide(h);
	long hits = 0;

	(void)arg;
	for (int i = 0; i < CYCLES; i++)
		hits += cycle_and_churn(h, OBJ_SIZE, RT_MALLOC_NOSCAN);
	RTT_CHECK(hits == 0,
		  "a live NOSCAN object's address was allocated again %ld "
		  "times",
		  hits);
	size_t bad = rtt_verify(obj, OBJ_SIZE, 2);
	RTT_CHECK(bad == 0, "NOSCAN object was overwritten (word %zu)",
		  bad - 1);
}

START_TEST(test_noscan_object_reachable_from_a_stack_survives_100_cycles)
{
	rtt_run(1, noscan_stack_root_main, NULL);
}
END_TEST

/*
 * Register root. Two Ps. The spinner holds the object's only pointer in a
 * register while it spins in pure C (the asm barrier makes the compiler keep
 * it in a register each iteration; the only call in the loop, the clock read
 * of the stuck guard, makes that a callee-saved one); main forces 100
 * cycles, and each cycle's stop-the-world can stop the spinner only by
 * async preemption (SIGURG), which saves every register in the signal frame
 * on the spinner's stack. Main then checks the churn never got the
 * object's address back, and the spinner checks the pattern.
 */
struct regroot {
	atomic_int in_loop;
	atomic_int stop;
	_Atomic uintptr_t hidden;
	atomic_long spins;
	int64_t deadline; /* main's */
	rtt_join j;
};

/* reg_setup returns the object with no copy of its address left on the
 * stack: its hidden form crosses the clobber, in a global. */
static __attribute__((noinline)) uint64_t *reg_setup(struct regroot *r)
{
	atomic_store(&r->hidden, new_hidden_object(OBJ_SIZE, 0, 3));
	rtt_clobber_stack();
	return rtt_unhide(atomic_load(&r->hidden));
}

/*
 * The stuck guard reads the TSC, not the clock: a call in the loop could
 * save the pointer's register on the stack (a callee's push), leaving a
 * copy the scan would find there. tsc_deadline calibrates it against
 * CLOCK_MONOTONIC over 20 ms, before the object exists.
 */
static uint64_t tsc_deadline(int64_t ns)
{
	int64_t t0 = rtt_mono_ns(), t1;
	uint64_t c0 = __builtin_ia32_rdtsc(), c1;

	while ((t1 = rtt_mono_ns()) - t0 < 20 * 1000 * 1000)
		rtt_cpu_relax();
	c1 = __builtin_ia32_rdtsc();
	return c1 +
	       (uint64_t)((double)(c1 - c0) / (double)(t1 - t0) * (double)ns);
}

static void reg_spinner(void *arg)
{
	struct regroot *r = arg;
	uint64_t deadline = tsc_deadline(RTT_STUCK_NS);
	uint64_t *p = reg_setup(r);
	long n = 0;

	atomic_store(&r->in_loop, 1);
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		__asm__ __volatile__("" : "+r"(p));
		n++;
		if ((n & ((1L << 20) - 1)) == 0 &&
		    __builtin_ia32_rdtsc() > deadline)
			break;
	}
	atomic_store(&r->spins, n);
	RTT_CHECK(atomic_load(&r->stop),
		  "the collector never finished its cycles while a goroutine "
		  "spun");
	size_t bad = rtt_verify(p, OBJ_SIZE, 3);
	RTT_CHECK(bad == 0,
		  "object held only in a register was overwritten "
		  "(word %zu) after %d cycles",
		  bad - 1, CYCLES);
	rtt_join_done(&r->j);
}

static void register_root_main(void *arg)
{
	struct regroot *r = arg;
	struct rt_sched_stats before, after;
	long hits = 0;

	r->deadline = rtt_mono_ns() + RTT_STUCK_NS;
	rtt_join_add(&r->j, 1);
	rt_go(reg_spinner, r);
	while (!atomic_load(&r->in_loop)) {
		if (rtt_mono_ns() > r->deadline) {
			RTT_CHECK(false, "the spinner never started");
			return;
		}
		rt_gosched();
	}
	rt_read_sched_stats(&before);
	for (int i = 0; i < CYCLES && rtt_ok(); i++)
		hits += cycle_and_churn(atomic_load(&r->hidden), OBJ_SIZE, 0);
	rt_read_sched_stats(&after);
	atomic_store(&r->stop, 1);
	rtt_join_wait(&r->j);
	RTT_CHECK(hits == 0,
		  "the spinner's object was allocated again %ld times", hits);
	/* Evidence the stops took the spinner by signal, mid-loop. */
	RTT_CHECK(after.preempt_async > before.preempt_async,
		  "no async preemption during %d cycles", CYCLES);
}

START_TEST(
    test_object_held_only_in_a_register_at_async_preemption_survives_100_cycles)
{
	static struct regroot r;

	rtt_run(2, register_root_main, &r);
}
END_TEST

/* Global root. */
static uint64_t *volatile global_obj;

static void global_root_main(void *arg)
{
	uintptr_t h;
	long hits = 0;

	(void)arg;
	h = new_hidden_object_clean(OBJ_SIZE, 0, 4);
	global_obj = rtt_unhide(h);
	rtt_clobber_stack();
	for (int i = 0; i < CYCLES; i++)
		hits += cycle_and_churn(h, OBJ_SIZE, 0);
	RTT_CHECK(hits == 0, "a global's object was allocated again %ld times",
		  hits);
	size_t bad = rtt_verify(global_obj, OBJ_SIZE, 4);
	RTT_CHECK(bad == 0,
		  "object reachable from a global was overwritten "
		  "(word %zu) after %d cycles",
		  bad - 1, CYCLES);
}

START_TEST(test_object_reachable_only_from_a_global_survives_100_cycles)
{
	rtt_run(1, global_root_main, NULL);
}
END_TEST

/* A root registered with rt_gc_add_root: memory from malloc(3), which the
 * collector does not scan otherwise. */
static void added_root_main(void *arg)
{
	void *volatile *slot = malloc(64 * sizeof(void *));
	uintptr_t h;
	long hits = 0;

	(void)arg;
	memset((void *)slot, 0, 64 * sizeof(void *));
	rt_gc_add_root((void *)slot, 64 * sizeof(void *));
	h = new_hidden_object_clean(OBJ_SIZE, 0, 5);
	slot[17] = rtt_unhide(h);
	rtt_clobber_stack();
	for (int i = 0; i < CYCLES; i++)
		hits += cycle_and_churn(h, OBJ_SIZE, 0);
	RTT_CHECK(hits == 0,
		  "a registered root's object was allocated again %ld times",
		  hits);
	size_t bad = rtt_verify(slot[17], OBJ_SIZE, 5);
	RTT_CHECK(bad == 0,
		  "object reachable from a registered root was "
		  "overwritten (word %zu)",
		  bad - 1);
	rt_gc_remove_root((void *)slot);
	free((void *)slot);
}

START_TEST(test_object_reachable_only_from_an_added_root_survives_100_cycles)
{
	rtt_run(1, added_root_main, NULL);
}
END_TEST

/*
 * A chain of 1,000,000 heap objects rooted in one stack slot. The collector
 * must mark through a million levels of nesting (a recursive mark would
 * overflow its stack). CHAIN_CYCLES is 100, as the issue asks: measured
 * at about 2 s for the 100 cycles, plain and under ASan (2 CPUs).
 */
enum { CHAIN_N = 1000000, CHAIN_CYCLES = 100 };

struct node {
	struct node *next;
	uint64_t i;
};

static __attribute__((noinline)) uintptr_t build_chain(void)
{
	struct node *head = NULL;

	for (uint64_t i = 0; i < CHAIN_N; i++) {
		struct node *n = rt_mallocgc(sizeof(*n), 0);

		n->next = head;
		n->i = rtt_pattern(6, i);
		head = n;
	}
	return rtt_hide(head);
}

static void chain_main(void *arg)
{
	uintptr_t h;
	struct node *volatile head;
	uint64_t len = 0, bad = 0;

	(void)arg;
	h = build_chain();
	rtt_clobber_stack();
	head = rtt_unhide(h);
	for (int c = 0; c < CHAIN_CYCLES; c++) {
		rt_gc();
		/* Reuse and overwrite any node that was freed. */
		rtt_churn_find(sizeof(struct node), 0, 20000, 0);
	}
	for (struct node *n = head; n != NULL; n = n->next, len++)
		if (n->i != rtt_pattern(6, CHAIN_N - 1 - len) && bad++ == 0)
			RTT_CHECK(false, "node %llu of the chain overwritten",
				  (unsigned long long)len);
	RTT_CHECK(len == CHAIN_N, "the chain has %llu nodes, want %d",
		  (unsigned long long)len, CHAIN_N);
}

START_TEST(test_chain_of_1000000_heap_objects_survives_100_cycles)
{
	rtt_run(1, chain_main, NULL);
}
END_TEST

/* ---- finalizers -------------------------------------------------------- */

enum { FIN_SIZE = 128, FIN_N = 1000 };

static atomic_int fin_runs;
static _Atomic uintptr_t fin_arg_seen;
static atomic_int fin_intact = 1;

static void count_finalizer(void *obj)
{
	atomic_store(&fin_arg_seen, rtt_hide(obj));
	/* obj stays alive until its finalizer has run */
	if (rtt_verify(obj, FIN_SIZE, 7) != 0)
		atomic_store(&fin_intact, 0);
	atomic_fetch_add(&fin_runs, 1);
}

static uint64_t *volatile fin_keep; /* the object's one root, a global */

static __attribute__((noinline)) uintptr_t new_finalized(void (*fn)(void *))
{
	uintptr_t h = new_hidden_object(FIN_SIZE, 0, 7);

	rt_set_finalizer(rtt_unhide(h), fn);
	return h;
}

/* fin_setup: an object with count_finalizer, kept by fin_keep. */
static __attribute__((noinline)) uintptr_t fin_setup(void (*fn)(void *))
{
	uintptr_t h = new_finalized(fn);

	fin_keep = rtt_unhide(h);
	rtt_clobber_stack();
	return h;
}

/* fin_cycle: one forced cycle, then a chance for the finalizer goroutine
 * to run: poll, yielding, for up to 200 ms (two Ps, so it has one). */
static void fin_cycle(atomic_int *counter, int want)
{
	int64_t end;

	rt_gc();
	end = rtt_mono_ns() + 200 * 1000 * 1000;
	while (atomic_load(counter) < want && rtt_mono_ns() < end)
		rt_gosched();
}

static void fin_not_while_reachable_main(void *arg)
{
	(void)arg;
	fin_setup(count_finalizer);
	for (int i = 0; i < 10; i++)
		fin_cycle(&fin_runs, 1);
	RTT_CHECK(atomic_load(&fin_runs) == 0,
		  "finalizer ran %d times while its object was reachable from "
		  "a global",
		  atomic_load(&fin_runs));
	fin_keep = NULL;
}

START_TEST(test_finalizer_does_not_run_while_its_object_is_reachable)
{
	rtt_run(2, fin_not_while_reachable_main, NULL);
}
END_TEST

/*
 * Drop after 5 cycles, then it runs, once. Go promises no cycle count; a
 * conservative scan (librt's) may still find a stale copy of the address
 * in a register or dead stack slot for a cycle or two, and on a loaded
 * machine the finalizer goroutine may not get a CPU within one cycle's
 * 200 ms poll; so allow up to FIN_DROP_CYCLES. CI once saw it survive
 * two, and once (two CI runs at a time on 2 CPUs, ASan) ten.
 */
#define FIN_DROP_CYCLES 50
static void fin_runs_after_drop_main(void *arg)
{
	uintptr_t h;
	int cycles = 0;

	(void)arg;
	h = fin_setup(count_finalizer);
	for (int i = 0; i < 5; i++)
		fin_cycle(&fin_runs, 1);
	fin_keep = NULL;
	while (atomic_load(&fin_runs) == 0 && cycles < FIN_DROP_CYCLES) {
		fin_cycle(&fin_runs, 1);
		cycles++;
	}
	RTT_CHECK(atomic_load(&fin_runs) == 1,
		  "finalizer ran %d times in the %d cycles after its object "
		  "became unreachable, want 1",
		  atomic_load(&fin_runs), cycles);
	RTT_CHECK(atomic_load(&fin_arg_seen) == h,
		  "the finalizer was passed another address than its object");
	RTT_CHECK(atomic_load(&fin_intact),
		  "the object was overwritten before its finalizer ran");
}

START_TEST(test_finalizer_runs_once_after_its_object_drops)
{
	rtt_run(2, fin_runs_after_drop_main, NULL);
}
END_TEST

static void fin_once_main(void *arg)
{
	(void)arg;
	fin_setup(count_finalizer);
	fin_keep = NULL;
	for (int i = 0; i < 20; i++)
		fin_cycle(&fin_runs, 2); /* polls 200 ms for a second run */
	RTT_CHECK(atomic_load(&fin_runs) == 1,
		  "finalizer ran %d times in 20 cycles, want exactly 1",
		  atomic_load(&fin_runs));
}

START_TEST(test_finalizer_runs_exactly_once)
{
	rtt_run(2, fin_once_main, NULL);
}
END_TEST

static void fin_disarm_main(void *arg)
{
	(void)arg;
	fin_setup(count_finalizer);
	rt_set_finalizer(fin_keep, NULL);
	fin_keep = NULL;
	for (int i = 0; i < 10; i++)
		fin_cycle(&fin_runs, 1);
	RTT_CHECK(atomic_load(&fin_runs) == 0,
		  "disarmed finalizer ran %d times", atomic_load(&fin_runs));
}

START_TEST(test_set_finalizer_null_disarms)
{
	rtt_run(2, fin_disarm_main, NULL);
}
END_TEST

/*
 * The object is freed once its finalizer has run. It is 4 MiB, so its fate
 * shows in heap_alloc: the cycle after the finalizer ran frees it.
 */
enum { FIN_BIG = 4 * 1024 * 1024 };

static void big_finalizer(void *obj)
{
	(void)obj;
	atomic_fetch_add(&fin_runs, 1);
}

static __attribute__((noinline)) void big_fin_setup(void)
{
	fin_keep = rt_mallocgc(FIN_BIG, RT_MALLOC_NOSCAN);
	rt_set_finalizer(fin_keep, big_finalizer);
	rtt_clobber_stack();
}

static void fin_then_freed_main(void *arg)
{
	struct rt_memstats live, freed;

	(void)arg;
	big_fin_setup();
	rt_gc();
	rt_read_memstats(&live);
	fin_keep = NULL;
	for (int i = 0; i < 5 && atomic_load(&fin_runs) == 0; i++)
		fin_cycle(&fin_runs, 1);
	RTT_CHECK(atomic_load(&fin_runs) == 1, "finalizer ran %d times",
		  atomic_load(&fin_runs));
	for (int i = 0; i < 5; i++) {
		rt_gc();
		rt_read_memstats(&freed);
		if (freed.heap_alloc < FIN_BIG)
			break;
	}
	RTT_CHECK(freed.heap_alloc < FIN_BIG,
		  "heap_alloc %llu while the 4 MiB object lived, %llu five "
		  "cycles after its finalizer ran",
		  (unsigned long long)live.heap_alloc,
		  (unsigned long long)freed.heap_alloc);
}

START_TEST(test_object_is_freed_after_its_finalizer_has_run)
{
	rtt_run(2, fin_then_freed_main, NULL);
}
END_TEST

/* 1000 objects with finalizers, dropped together: each runs exactly once. */
static atomic_int many_runs[FIN_N];
static atomic_int many_total;
static uint64_t *volatile many_keep[FIN_N];

static void many_finalizer(void *obj)
{
	uint64_t *w = obj;
	uint64_t i = w[0];

	if (i < FIN_N)
		atomic_fetch_add(&many_runs[i], 1);
	atomic_fetch_add(&many_total, 1);
}

static __attribute__((noinline)) void many_setup(void)
{
	for (uint64_t i = 0; i < FIN_N; i++) {
		uint64_t *o = rt_mallocgc(FIN_SIZE, 0);

		o[0] = i;
		rt_set_finalizer(o, many_finalizer);
		many_keep[i] = o;
	}
	rtt_clobber_stack();
}

static void many_fin_main(void *arg)
{
	(void)arg;
	many_setup();
	fin_cycle(&many_total, 1);
	RTT_CHECK(atomic_load(&many_total) == 0,
		  "%d finalizers ran while their objects were reachable",
		  atomic_load(&many_total));
	for (int i = 0; i < FIN_N; i++)
		many_keep[i] = NULL;
	for (int c = 0; c < 10 && atomic_load(&many_total) < FIN_N; c++)
		fin_cycle(&many_total, FIN_N);
	for (int c = 0; c < 3; c++)
		fin_cycle(&many_total, FIN_N + 1);
	for (int i = 0; i < FIN_N; i++)
		if (atomic_load(&many_runs[i]) != 1) {
			RTT_CHECK(false,
				  "finalizer %d ran %d times (all: %d runs "
				  "for %d objects)",
				  i, atomic_load(&many_runs[i]),
				  atomic_load(&many_total), FIN_N);
			break;
		}
}

START_TEST(test_1000_finalizers_each_run_exactly_once)
{
	rtt_run(2, many_fin_main, NULL);
}
END_TEST

static void fin_probe_main(void *arg)
{
	uint64_t before;

	(void)arg;
	before = rt_probe_count("finalizer_run");
	fin_setup(count_finalizer);
	fin_keep = NULL;
	for (int i = 0; i < 5; i++)
		fin_cycle(&fin_runs, 2);
	RTT_CHECK(atomic_load(&fin_runs) == 1, "finalizer ran %d times",
		  atomic_load(&fin_runs));
	RTT_CHECK(
	    rt_probe_count("finalizer_run") - before == 1,
	    "finalizer_run probe moved by %llu for one finalizer",
	    (unsigned long long)(rt_probe_count("finalizer_run") - before));
}

START_TEST(test_finalizer_run_probe_counts_each_finalizer_once)
{
	rtt_run(2, fin_probe_main, NULL);
}
END_TEST

/* ---- stop the world ---------------------------------------------------- */

/*
 * Two Ps. A goroutine increments a counter in pure C (no runtime calls: only
 * async preemption can stop it). Main checks the counter moves while it
 * sleeps (so the spinner is running on the other P), stops the world, and
 * the counter must not move during 50 ms; after start the world it moves
 * again.
 */
struct stw_spin {
	atomic_long count;
	atomic_int stop;
	int64_t deadline;
	rtt_join j;
	long before_stop, during[2], after;
	struct rt_stw_stats s0, s1;
	uint64_t probe_start, probe_done;
};

static void stw_spinner(void *arg)
{
	struct stw_spin *s = arg;
	long n;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		n = atomic_fetch_add_explicit(&s->count, 1,
					      memory_order_relaxed);
		if ((n & ((1L << 20) - 1)) == 0 && rtt_mono_ns() > s->deadline)
			break;
	}
	rtt_join_done(&s->j);
}

/* wait_moves: poll until the counter passes from; false if stuck. */
static bool wait_moves(struct stw_spin *s, long from)
{
	while (atomic_load(&s->count) <= from) {
		if (rtt_mono_ns() > s->deadline)
			return false;
		rtt_cpu_relax();
	}
	return true;
}

static void stw_main(void *arg)
{
	struct stw_spin *s = arg;
	long c0, c1;

	s->deadline = rtt_mono_ns() + RTT_STUCK_NS;
	rtt_join_add(&s->j, 1);
	rt_go(stw_spinner, s);
	while (atomic_load(&s->count) == 0 && rtt_mono_ns() < s->deadline)
		rt_gosched();
	/*
	 * The spinner must be running on the other P when the world stops,
	 * or the check below proves nothing: main sees it move while main
	 * itself busy-waits 5 ms (no runtime calls), or yields and retries.
	 */
	for (;;) {
		int64_t until = rtt_mono_ns() + 5 * 1000 * 1000;

		c0 = atomic_load(&s->count);
		while (rtt_mono_ns() < until)
			rtt_cpu_relax();
		c1 = atomic_load(&s->count);
		if (c1 > c0)
			break;
		if (rtt_mono_ns() > s->deadline) {
			RTT_CHECK(false,
				  "the spinner never ran beside main "
				  "(stuck at %ld)",
				  c1);
			atomic_store(&s->stop, 1);
			rtt_join_wait(&s->j);
			return;
		}
		rt_gosched();
	}
	rt_read_stw_stats(&s->s0);
	s->probe_start = rt_probe_count("stw_start");
	s->probe_done = rt_probe_count("stw_done");
	rt_stop_the_world(RT_STW_FOR_TEST);
	s->during[0] = atomic_load(&s->count);
	usleep(50 * 1000); /* no runtime calls while the world is stopped */
	s->during[1] = atomic_load(&s->count);
	rt_start_the_world();
	rt_read_stw_stats(&s->s1);
	s->probe_start = rt_probe_count("stw_start") - s->probe_start;
	s->probe_done = rt_probe_count("stw_done") - s->probe_done;
	RTT_CHECK(wait_moves(s, s->during[1]),
		  "the spinner never ran again after start the world");
	atomic_store(&s->stop, 1);
	rtt_join_wait(&s->j);
}

START_TEST(test_stop_the_world_stops_a_goroutine_spinning_on_another_p)
{
	static struct stw_spin s;

	rtt_run(2, stw_main, &s);
	ck_assert_msg(s.during[0] == s.during[1],
		      "the spinner moved by %ld while the world was stopped",
		      s.during[1] - s.during[0]);
}
END_TEST

START_TEST(test_stw_stats_count_a_stop_for_test_and_its_pause)
{
	static struct stw_spin s;
	uint64_t dc, dt;

	rtt_run(2, stw_main, &s);
	dc = s.s1.count[RT_STW_FOR_TEST] - s.s0.count[RT_STW_FOR_TEST];
	dt = s.s1.total_ns[RT_STW_FOR_TEST] - s.s0.total_ns[RT_STW_FOR_TEST];
	ck_assert_msg(dc == 1, "count[RT_STW_FOR_TEST] moved by %llu, want 1",
		      (unsigned long long)dc);
	/* the world stayed stopped through a 50 ms sleep */
	ck_assert_msg(dt >= 50 * 1000 * 1000,
		      "total_ns[RT_STW_FOR_TEST] moved by %llu ns, want >= 50 "
		      "ms",
		      (unsigned long long)dt);
	ck_assert_msg(s.s1.max_ns[RT_STW_FOR_TEST] >= 50 * 1000 * 1000,
		      "max_ns[RT_STW_FOR_TEST] is %llu ns, want >= 50 ms",
		      (unsigned long long)s.s1.max_ns[RT_STW_FOR_TEST]);
}
END_TEST

START_TEST(test_stw_probes_fire_once_per_stop)
{
	static struct stw_spin s;

	rtt_run(2, stw_main, &s);
	ck_assert_msg(s.probe_start == 1 && s.probe_done == 1,
		      "one stop fired stw_start %llu and stw_done %llu times",
		      (unsigned long long)s.probe_start,
		      (unsigned long long)s.probe_done);
}
END_TEST

static void stw_names_main(void *arg)
{
	static const struct {
		enum rt_stw_reason r;
		const char *s;
	} want[] = {
	    {RT_STW_GC_MARK_TERM, "GC mark termination"},
	    {RT_STW_GC_SWEEP_TERM, "GC sweep termination"},
	    {RT_STW_WRITE_HEAP_DUMP, "write heap dump"},
	    {RT_STW_GOROUTINE_PROFILE, "goroutine profile"},
	    {RT_STW_ALL_GOROUTINES_STACK, "all goroutines stack trace"},
	    {RT_STW_READ_MEM_STATS, "read mem stats"},
	    {RT_STW_GOMAXPROCS, "GOMAXPROCS"},
	    {RT_STW_FOR_TEST, "test"},
	};

	(void)arg;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *got = rt_stw_reason_string(want[i].r);

		RTT_CHECK(got && strcmp(got, want[i].s) == 0,
			  "rt_stw_reason_string(%d) = \"%s\", want \"%s\"",
			  (int)want[i].r, got ? got : "(null)", want[i].s);
	}
}

START_TEST(test_stw_reasons_have_gos_strings)
{
	rtt_run(1, stw_names_main, NULL);
}
END_TEST

/* Each forced cycle stops the world twice: sweep and mark termination. */
static void gc_stw_main(void *arg)
{
	struct rt_stw_stats a, b;

	(void)arg;
	rtt_heap_exists(); /* the case without a heap is its own test */
	rt_gc();	   /* settle: nothing else allocates from here on */
	rt_read_stw_stats(&a);
	for (int i = 0; i < 10; i++)
		rt_gc();
	rt_read_stw_stats(&b);
	for (int r = 0; r < RT_STW_REASON_COUNT; r++) {
		uint64_t want =
		    r == RT_STW_GC_SWEEP_TERM || r == RT_STW_GC_MARK_TERM ? 10
									  : 0;

		RTT_CHECK(b.count[r] - a.count[r] == want,
			  "10 rt_gc calls: %s stops moved by %llu, want %llu",
			  rt_stw_reason_string(r),
			  (unsigned long long)(b.count[r] - a.count[r]),
			  (unsigned long long)want);
	}
}

START_TEST(test_each_gc_stops_the_world_for_sweep_and_mark_termination)
{
	rtt_run(1, gc_stw_main, NULL);
}
END_TEST

static void gc_probe_main(void *arg)
{
	uint64_t s0, d0, s1, d1;

	(void)arg;
	rtt_heap_exists(); /* the case without a heap is its own test */
	rt_gc();
	s0 = rt_probe_count("gc_start");
	d0 = rt_probe_count("gc_done");
	for (int i = 0; i < 10; i++)
		rt_gc();
	s1 = rt_probe_count("gc_start");
	d1 = rt_probe_count("gc_done");
	RTT_CHECK(s1 - s0 == 10 && d1 - d0 == 10,
		  "10 rt_gc calls fired gc_start %llu and gc_done %llu times",
		  (unsigned long long)(s1 - s0), (unsigned long long)(d1 - d0));
}

START_TEST(test_gc_start_and_gc_done_probes_fire_once_per_cycle)
{
	rtt_run(1, gc_probe_main, NULL);
}
END_TEST

static void gc_reason_names_main(void *arg)
{
	(void)arg;
	for (int r = RT_GC_HEAP_GOAL; r < RT_GC_REASON_COUNT; r++) {
		const char *got = rt_gc_reason_string(r);

		RTT_CHECK(got && *got, "rt_gc_reason_string(%d) is empty", r);
		for (int q = RT_GC_HEAP_GOAL; got && q < r; q++)
			RTT_CHECK(strcmp(got, rt_gc_reason_string(q)) != 0,
				  "reasons %d and %d are both \"%s\"", q, r,
				  got);
	}
}

START_TEST(test_gc_reasons_have_distinct_names)
{
	rtt_run(1, gc_reason_names_main, NULL);
}
END_TEST

static Suite *gc_suite(void)
{
	Suite *s = suite_create("gc");
	TCase *tc;

	tc = tcase_create("roots");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_rt_gc_before_any_allocation_completes);
	tcase_add_test(tc,
		       test_unreachable_object_is_freed_and_its_memory_reused);
	tcase_add_test(
	    tc, test_object_reachable_only_from_a_stack_survives_100_cycles);
	tcase_add_test(
	    tc, test_noscan_object_reachable_from_a_stack_survives_100_cycles);
	tcase_add_test(
	    tc,
	    test_object_held_only_in_a_register_at_async_preemption_survives_100_cycles);
	tcase_add_test(
	    tc, test_object_reachable_only_from_a_global_survives_100_cycles);
	tcase_add_test(
	    tc,
	    test_object_reachable_only_from_an_added_root_survives_100_cycles);
	tcase_add_test(tc,
		       test_chain_of_1000000_heap_objects_survives_100_cycles);
	suite_add_tcase(s, tc);

	tc = tcase_create("finalizers");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_finalizer_does_not_run_while_its_object_is_reachable);
	tcase_add_test(tc, test_finalizer_runs_once_after_its_object_drops);
	tcase_add_test(tc, test_finalizer_runs_exactly_once);
	tcase_add_test(tc, test_set_finalizer_null_disarms);
	tcase_add_test(tc, test_object_is_freed_after_its_finalizer_has_run);
	tcase_add_test(tc, test_1000_finalizers_each_run_exactly_once);
	tcase_add_test(tc, test_finalizer_run_probe_counts_each_finalizer_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("stop_the_world");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_stop_the_world_stops_a_goroutine_spinning_on_another_p);
	tcase_add_test(tc, test_stw_stats_count_a_stop_for_test_and_its_pause);
	tcase_add_test(tc, test_stw_probes_fire_once_per_stop);
	tcase_add_test(tc, test_stw_reasons_have_gos_strings);
	tcase_add_test(
	    tc, test_each_gc_stops_the_world_for_sweep_and_mark_termination);
	tcase_add_test(tc,
		       test_gc_start_and_gc_done_probes_fire_once_per_cycle);
	tcase_add_test(tc, test_gc_reasons_have_distinct_names);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_suite_main(gc_suite());
}

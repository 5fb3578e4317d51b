/*
 * churn — a librt program with a known amount of memory work, for the
 * integration tests that compare rttrace's BPF counts (memory probes, STW
 * pauses by reason) with librt's own.
 *
 *   churn [MIB]          default 256: MiB of garbage to allocate
 *
 * On two Ps, two goroutines allocate MIB MiB of garbage between them in a
 * mix of sizes (small scan and NOSCAN objects, large ones over 32 KiB),
 * which lets the heap goal start cycles. Main meanwhile calls rt_gc
 * NGC times and rt_read_memstats NMEMSTATS times, stops the world once
 * for a test, gets and puts through a pool, boxes values with convT, and
 * sets finalizers on FIN objects it then drops. Last it reads MemStats
 * once more (so memstats is NMEMSTATS + 1) for the number of forced
 * cycles: an rt_gc that finds a cycle started by the heap goal since its
 * call waits for that one instead, as runtime.GC does. It prints what it
 * did:
 *
 *   churn: bytes=N allocs=N gcs=N memstats=N stw_test=1 pool_gets=N
 *          pool_puts=N convts=N finalizers=N forced=N       (one line)
 *
 * then, from rt_read_stw_stats after its last stop, one line per reason
 * that stopped the world (numbers first: reasons hold spaces):
 *
 *   churn: stw COUNT TOTAL_NS REASON
 *
 * Run it with RT_STATS=1 to get librt's probe and STW counts on stderr at
 * exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "../rt_note.h"

enum { NGC = 5, NMEMSTATS = 4, NPOOL = 1000, NCONVT = 1000, FIN = 100 };

static size_t total_bytes = 256UL << 20;
static atomic_long allocs;
static atomic_int fin_ran;

static void churner(void *arg)
{
	static const size_t sizes[] = {8, 24, 64, 100, 512, 2048, 8000, 32768};
	size_t done = 0, share = total_bytes / 2;
	unsigned i = 0;

	while (done < share) {
		size_t s = ++i % 50 == 0
			       ? 40000 + (i % 7) * 10000
			       : sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
		char *p = rt_mallocgc(s, i % 3 ? 0 : RT_MALLOC_NOSCAN);

		p[0] = p[s - 1] = (char)i;
		done += s;
		atomic_fetch_add(&allocs, 1);
	}
	rtt_join_done(arg);
}

static void *pool_new(void)
{
	atomic_fetch_add(&allocs, 1);
	return rt_mallocgc(128, 0);
}

static rt_pool pool = {.new_fn = pool_new};

static void finalizer(void *obj)
{
	(void)obj;
	atomic_fetch_add(&fin_ran, 1);
}

static __attribute__((noinline)) void set_finalizers(void)
{
	for (int i = 0; i < FIN; i++) {
		void *o = rt_mallocgc(64, 0);

		atomic_fetch_add(&allocs, 1);
		rt_set_finalizer(o, finalizer);
	}
}

static void churn_main(void *arg)
{
	rtt_join j = {0};
	struct rt_memstats ms;
	struct rt_stw_stats stw;
	long pool_gets = 0, pool_puts = 0, convts = 0;

	(void)arg;
	rtt_join_add(&j, 2);
	rt_go(churner, &j);
	rt_go(churner, &j);

	set_finalizers();
	for (int i = 0; i < NGC; i++) {
		rt_gc();
		if (i < NMEMSTATS)
			rt_read_memstats(&ms);
		for (int k = 0; k < NPOOL / NGC; k++) {
			void *x = rt_pool_get(&pool);

			pool_gets++;
			rt_pool_put(&pool, x);
			pool_puts++;
		}
		for (int k = 0; k < NCONVT / NGC; k++, convts++)
			if (rt_convT64((uint64_t)k * 3)[0] != (uint64_t)k * 3)
				abort();
		rt_gosched();
	}
	rt_stop_the_world(RT_STW_FOR_TEST);
	rt_start_the_world();
	rtt_join_wait(&j);
	/* Give the finalizers a few cycles to run. */
	for (int i = 0; i < 50 && atomic_load(&fin_ran) < FIN; i++)
		for (int k = 0; k < 1000 && atomic_load(&fin_ran) < FIN; k++)
			rt_gosched();
	rt_read_memstats(&ms);
	printf("churn: bytes=%zu allocs=%ld gcs=%d memstats=%d stw_test=1 "
	       "pool_gets=%ld pool_puts=%ld convts=%ld finalizers=%d "
	       "forced=%u\n",
	       total_bytes, atomic_load(&allocs), NGC, NMEMSTATS + 1, pool_gets,
	       pool_puts, convts, atomic_load(&fin_ran), ms.num_forced_gc);
	rt_read_stw_stats(&stw);
	for (int r = 0; r < RT_STW_REASON_COUNT; r++)
		if (stw.count[r])
			printf("churn: stw %llu %llu %s\n",
			       (unsigned long long)stw.count[r],
			       (unsigned long long)stw.total_ns[r],
			       rt_stw_reason_string((enum rt_stw_reason)r));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		char *end;
		unsigned long mib = strtoul(argv[1], &end, 10);

		if (*end || mib == 0) {
			fprintf(stderr, "usage: churn [MIB]\n");
			return 2;
		}
		total_bytes = mib << 20;
	}
	setenv("RT_MAXPROCS", "2", 0);
	return rt_main(churn_main, NULL);
}

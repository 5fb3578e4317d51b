/*
 * soak — librt under load for minutes: `make soak` (scripts/soak.sh).
 *
 *   soak SECONDS [REPORT_SECONDS]      default 600 and 60
 *
 * Runs stress_mixed (tests/stress_mixes.h: goroutines alive at once,
 * channels and selects, GC under churn with checksums, timers with Stops
 * and Resets, LockOSThread, syscalls and preemption — all at once, each at
 * a tenth of test_stress's CI scale) again and again until SECONDS have
 * passed. After each round it forces a GC and reads VmRSS: the settled
 * RSS, free of where in a round the sample falls. Every REPORT_SECONDS a
 * reporter goroutine prints one line:
 *
 *   soak: minute 3: rounds 21, rss 640 MiB (settled 402 MiB), heap 12 MiB,
 *         goroutines 3, gc cycles 512
 *
 * and at the end soak checks that RSS is flat once warm: the settled RSS
 * of the last interval may exceed that of the first (the warm-up, which
 * fills every cache and free list) by at most SOAK_RSS_TOLERANCE_PCT.
 * Any lost or duplicated value, bad checksum or wrong timer count fails
 * the round that saw it: soak prints the failure and exits 1. A round that
 * makes no progress for SOAK_STUCK_S is reported and exits 1 too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../stress_mixes.h"

/* Settled RSS may grow by this much from the first interval to the last. */
#define SOAK_RSS_TOLERANCE_PCT 20
#define SOAK_STUCK_S	       600
#define SOAK_MAX_INTERVALS     10000

static int64_t soak_ns, report_ns;
static atomic_long rounds;
static atomic_long settled_max_kib; /* of the current interval; -1 none */
static long settled_kib[SOAK_MAX_INTERVALS];
static atomic_int nintervals;
static atomic_bool finished;

static long mib(long kib)
{
	return kib < 0 ? -1 : kib / 1024;
}

static _Noreturn void soak_fail(const char *what)
{
	fprintf(stderr, "soak: FAIL: %s\n", what);
	fflush(NULL);
	_exit(1);
}

/* reporter prints one line per interval and watches for progress. */
static void reporter(void *arg)
{
	int64_t start = stress_mono_ns();
	long last_rounds = 0;
	int64_t last_progress = start;

	(void)arg;
	for (int i = 1; !atomic_load(&finished); i++) {
		int64_t next = start + (int64_t)i * report_ns;

		while (stress_mono_ns() < next && !atomic_load(&finished))
			rt_sleep(100 * 1000 * 1000);
		if (atomic_load(&finished))
			break;

		struct rt_memstats ms;
		long settled = atomic_exchange(&settled_max_kib, -1);
		long r = atomic_load(&rounds);
		int n = atomic_load(&nintervals);

		rt_read_memstats(&ms);
		if (n < SOAK_MAX_INTERVALS) {
			settled_kib[n] = settled;
			atomic_store(&nintervals, n + 1);
		}
		printf("soak: minute %d: rounds %ld, rss %ld MiB (settled %ld "
		       "MiB), peak rss %ld MiB, heap %" PRIu64
		       " MiB, stacks %" PRIu64 " MiB, goroutines %d, gc "
		       "cycles %u\n",
		       i, r, mib(stress_status_kib("VmRSS")), mib(settled),
		       mib(stress_status_kib("VmHWM")), ms.heap_alloc >> 20,
		       ms.stack_inuse >> 20, rt_num_goroutine(), ms.num_gc);
		fflush(stdout);
		if (!stress_ok())
			soak_fail(stress_failmsg);
		if (r != last_rounds) {
			last_rounds = r;
			last_progress = stress_mono_ns();
		} else if (stress_mono_ns() - last_progress >
			   SOAK_STUCK_S * 1000000000LL) {
			soak_fail("no round completed for 10 minutes: a mix is "
				  "stuck");
		}
	}
}

static void soak_main(void *arg)
{
	struct stress_scale scale = stress_ci_scale();
	int64_t end = stress_mono_ns() + soak_ns;

	(void)arg;
	stress_print_scale(stdout, &scale);
	printf("soak: %lld s of stress_mixed (each mix at 1/%d), a line "
	       "every %lld s\n",
	       (long long)(soak_ns / 1000000000), scale.mixed_divisor,
	       (long long)(report_ns / 1000000000));
	fflush(stdout);
	atomic_store(&settled_max_kib, -1);
	rt_go(reporter, NULL);
	while (stress_mono_ns() < end) {
		struct stress_mixed *m = rt_mallocgc(sizeof(*m), 0);

		stress_mixed(m, &scale);
		if (!stress_ok()) {
			stress_print_mixed(stdout, m);
			soak_fail(stress_failmsg);
		}
		if (atomic_load(&rounds) == 0)
			stress_print_mixed(stdout, m);
		rt_gc();
		long kib = stress_status_kib("VmRSS");
		long cur = atomic_load(&settled_max_kib);
		while (kib > cur && !atomic_compare_exchange_weak(
					&settled_max_kib, &cur, kib))
			;
		atomic_fetch_add(&rounds, 1);
	}
	atomic_store(&finished, true);
}

int main(int argc, char **argv)
{
	long secs = argc > 1 ? strtol(argv[1], NULL, 10) : 600;
	long every = argc > 2 ? strtol(argv[2], NULL, 10) : 60;
	long first = -1, last = -1;
	int n, nfirst = -1, nlast = -1;

	if (argc > 3 || secs <= 0 || every <= 0) {
		fprintf(stderr, "usage: soak [SECONDS [REPORT_SECONDS]] "
				"(positive integers; make soak "
				"SOAK_TIME=10m runs it)\n");
		return 2;
	}
	soak_ns = secs * 1000000000LL;
	report_ns = every * 1000000000LL;
	rt_main(soak_main, NULL);
	if (!stress_ok())
		soak_fail(stress_failmsg);

	/* Flat once warm: the first interval with a settled sample against
	 * the last one. */
	n = atomic_load(&nintervals);
	for (int i = 0; i < n; i++)
		if (settled_kib[i] >= 0) {
			if (nfirst < 0) {
				nfirst = i;
				first = settled_kib[i];
			}
			nlast = i;
			last = settled_kib[i];
		}
	printf("soak: %ld rounds, nothing lost, duplicated or corrupted\n",
	       atomic_load(&rounds));
	if (nfirst < 0 || nlast == nfirst) {
		printf("soak: RSS not checked: fewer than two intervals with a "
		       "settled sample (run longer than 2 x %ld s)\n",
		       every);
		return 0;
	}
	printf("soak: settled RSS %ld MiB in minute %d, %ld MiB in minute "
	       "%d (%+.1f%%, tolerance +%d%%)\n",
	       mib(first), nfirst + 1, mib(last), nlast + 1,
	       100.0 * (double)(last - first) / (double)first,
	       SOAK_RSS_TOLERANCE_PCT);
	if (last > first + first * SOAK_RSS_TOLERANCE_PCT / 100) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "RSS grew from %ld MiB (minute %d) to %ld MiB (minute "
			 "%d), more than %d%%: memory is leaking under load",
			 mib(first), nfirst + 1, mib(last), nlast + 1,
			 SOAK_RSS_TOLERANCE_PCT);
		soak_fail(msg);
	}
	printf("soak: ok\n");
	return 0;
}

/*
 * bench_probe.c — what one probe site costs: a loop that passes exactly one
 * librt probe site per iteration, in `go test -bench` form, for
 * scripts/bench-probe.sh to run under each way of attaching (not at all,
 * an empty BPF program, rttrace in full and sampled mode) and in each build
 * (probes compiled out, 5-byte-nop sites, 1-byte-nop sites).
 *
 *	ProbeConvT64   rt_convT64(v) with v < 256: mirrors convT64 boxing a
 *	               small integer, which points into staticuint64s and
 *	               allocates nothing; passes rt:convT once.
 *
 * Unlike the other bench_* programs, every run happens in this process,
 * not in a forked child (bench.h's bench_main): a tracer that attaches for
 * one pid (rttrace trace) sees only that pid, and forked children would
 * run untraced. So the flags are bench.h's but there is one rt_main, and
 * -count repeats the launch inside it.
 *
 *	bench_probe [-benchtime D] [-count N]
 *
 * With one site per op, (ns/op of a traced run) - (ns/op unattached) is the
 * cost of one attached hit. Beside wall-clock ns/op each run reports
 * cpu-ns/op, the process's CPU time per op (CLOCK_PROCESS_CPUTIME_ID): a
 * hit's trap or trampoline, uprobe dispatch and BPF program all run in the
 * hitting thread and are charged to it, while time spent waiting for a CPU
 * on a busy machine is not, so it is the steadier figure to subtract.
 * GOMAXPROCS is 1 unless RT_MAXPROCS says otherwise: no idle P's M
 * spinning into the process's CPU time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "rt.h"

/* sink keeps the boxed pointer live, as an interface variable would. */
static const uint64_t *volatile sink;

static int64_t cputime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void bench_probe_convt64(struct bench_b *b)
{
	int64_t t0 = cputime();

	for (int64_t i = 0; i < b->n; i++) {
		sink = rt_convT64((uint64_t)i & 0x7f);
	}
	bench_report_metric(b, (double)(cputime() - t0) / (double)b->n,
			    "cpu-ns/op");
}

static const struct bench benches[] = {
    {"ProbeConvT64", 0, bench_probe_convt64},
};

struct probe_main {
	struct bench_opts opts;
	int width;
};

/* probe_bench_main runs every benchmark -count times in this goroutine. */
static void probe_bench_main(void *arg)
{
	struct probe_main *pm = arg;

	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		for (int k = 0; k < pm->opts.count; k++) {
			struct bench_b b = {.name = benches[i].name};
			char full[256];

			bench_launch(&b, benches[i].fn, &pm->opts);
			snprintf(full, sizeof(full), "Benchmark%s-%d",
				 benches[i].name, rt_gomaxprocs());
			bench_print_result(full, pm->width, &b);
		}
	}
}

int main(int argc, char **argv)
{
	struct probe_main pm = {
	    .opts = {.benchtime_ns = 1000000000LL, .count = 1, .pattern = "."},
	};
	const char *env = getenv("RT_BENCHTIME");
	char cpu[256];
	int64_t t0;

	if (env != NULL && *env != '\0' &&
	    !bench_parse_duration(env, &pm.opts)) {
		fprintf(stderr, "invalid RT_BENCHTIME %s\n", env);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *v;

		if (bench_flag(argc, argv, &i, "benchtime", &v)) {
			if (!bench_parse_duration(v, &pm.opts)) {
				fprintf(stderr, "invalid -benchtime %s\n", v);
				return 2;
			}
		} else if (bench_flag(argc, argv, &i, "count", &v)) {
			pm.opts.count = atoi(v);
			if (pm.opts.count < 1) {
				fprintf(stderr, "invalid -count %s\n", v);
				return 2;
			}
		} else {
			fprintf(stderr,
				"usage: %s [-benchtime 1s|Nx] [-count N]\n",
				argv[0]);
			return 2;
		}
	}
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		int w = (int)strlen("Benchmark-") +
			(int)strlen(benches[i].name) + 3;
		pm.width = w > pm.width ? w : pm.width;
	}
	bench_cpu_model(cpu, sizeof(cpu));
	printf("goos: linux\ngoarch: amd64\npkg: rttrace/workloads (librt)\n"
	       "cpu: %s\n",
	       cpu);
	fflush(stdout);
	t0 = bench_now();
	setenv("RT_MAXPROCS", "1", 0);
	rt_main(probe_bench_main, &pm);
	printf("PASS\nok  \trttrace/workloads (librt)\t%.3fs\n",
	       (double)(bench_now() - t0) / 1e9);
	return 0;
}

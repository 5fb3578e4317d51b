/*
 * bench.h — a `go test -bench`-style harness for programs linked with librt.
 *
 * A benchmark is a function that runs its operation b->n times. The harness
 * grows b->n the way testing.B's launch does in Go 1.19 (1, then a
 * prediction from the last run, +20 %, at most 100x the last, at least one
 * more, at most 1e9) until one run lasts the benchtime (default 1s), and
 * prints the last run as Go does:
 *
 *	BenchmarkName-GOMAXPROCS	       N	     X ns/op[	extra]
 *
 * Extra columns, as testing.B prints them: metrics a benchmark reports with
 * bench_report_metric (b.ReportMetric), sorted by unit, then, when the
 * program sets bench_alloc_reader (b.ReportAllocs / -benchmem), B/op and
 * allocs/op counted while the timer runs. bench_alloc_reader is a hook so
 * that programs that do not use librt's allocator need not link it.
 *
 * rt_main can run only once per process, and some benchmarks need their own
 * GOMAXPROCS, so every run of a benchmark happens in a child forked before
 * the runtime starts, with RT_MAXPROCS set from the benchmark's procs.
 *
 * Flags (Go's spelling; "-test." prefixes and "=value" are accepted):
 *	-bench REGEX      run only benchmarks whose name matches (default ".")
 *	-benchtime D      1s, 500ms, 2s, or Nx for exactly N iterations
 *	                  (environment RT_BENCHTIME when the flag is absent)
 *	-count N          run each benchmark N times (default 1)
 *	-list REGEX       print the names ("BenchmarkX", as go test's -list
 *	                  matches and prints them) that match, run nothing
 *
 * Everything is static inline: the Makefile builds every C file in
 * workloads/ as its own program, so code the benchmark programs share lives
 * in this header.
 */
#ifndef RT_BENCH_H
#define RT_BENCH_H

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

#define BENCH_MAX_EXTRA 4

/* bench_metric is one b.ReportMetric value. */
struct bench_metric {
	const char *unit; /* e.g. "pause-ns/op" */
	double value;
};

/* bench_b is testing.B: the iteration count and the timer. */
struct bench_b {
	int64_t n;	       /* iterations the benchmark must run */
	int64_t start;	       /* rt_nanotime when the timer last started */
	int64_t duration;      /* accumulated timed nanoseconds */
	bool timer_on;	       /* timer running */
	const char *name;      /* benchmark name, without "Benchmark" */
	uint64_t start_allocs; /* allocation counters when the timer started */
	uint64_t start_bytes;  /* */
	uint64_t net_allocs;   /* objects allocated while the timer ran */
	uint64_t net_bytes;    /* bytes allocated while the timer ran */
	struct bench_metric extra[BENCH_MAX_EXTRA]; /* b.ReportMetric */
	int nextra;				    /* */
};

/*
 * bench_alloc_reader, when set, reads the cumulative objects and bytes
 * allocated (runtime.MemStats Mallocs/TotalAlloc in Go); the harness then
 * reports B/op and allocs/op as -benchmem does. Set it before bench_main.
 */
#ifdef BENCH_ALLOC_READER
/* A program split over several files names one reader for all of them. */
void BENCH_ALLOC_READER(uint64_t *objects, uint64_t *bytes);
static void (*const bench_alloc_reader)(uint64_t *objects,
					uint64_t *bytes) = BENCH_ALLOC_READER;
#else
static void (*bench_alloc_reader)(uint64_t *objects, uint64_t *bytes);
#endif

typedef void (*bench_func)(struct bench_b *b);

/* bench describes one benchmark. */
struct bench {
	const char *name; /* printed as Benchmark<name>-<GOMAXPROCS> */
	int procs;	  /* RT_MAXPROCS for its process; 0 = inherit */
	bench_func fn;	  /* runs the operation b->n times */
};

/* bench_start_timer starts timing; runs start with the timer on. */
static inline void bench_start_timer(struct bench_b *b)
{
	if (!b->timer_on) {
		if (bench_alloc_reader != NULL) {
			bench_alloc_reader(&b->start_allocs, &b->start_bytes);
		}
		b->start = rt_nanotime();
		b->timer_on = true;
	}
}

/* bench_stop_timer stops timing, e.g. around setup the op should not pay. */
static inline void bench_stop_timer(struct bench_b *b)
{
	if (b->timer_on) {
		b->duration += rt_nanotime() - b->start;
		if (bench_alloc_reader != NULL) {
			uint64_t objs, bytes;
			bench_alloc_reader(&objs, &bytes);
			b->net_allocs += objs - b->start_allocs;
			b->net_bytes += bytes - b->start_bytes;
		}
		b->timer_on = false;
	}
}

/* bench_reset_timer zeroes the elapsed time (testing.B.ResetTimer). */
static inline void bench_reset_timer(struct bench_b *b)
{
	if (b->timer_on) {
		if (bench_alloc_reader != NULL) {
			bench_alloc_reader(&b->start_allocs, &b->start_bytes);
		}
		b->start = rt_nanotime();
	}
	b->duration = 0;
	b->net_allocs = 0;
	b->net_bytes = 0;
	b->nextra = 0;
}

/*
 * bench_report_metric is b.ReportMetric: value is already per op (e.g.
 * "pause-ns/op"); a second report of the same unit replaces the first.
 */
static inline void bench_report_metric(struct bench_b *b, double value,
				       const char *unit)
{
	for (int i = 0; i < b->nextra; i++) {
		if (strcmp(b->extra[i].unit, unit) == 0) {
			b->extra[i].value = value;
			return;
		}
	}
	if (b->nextra < BENCH_MAX_EXTRA) {
		b->extra[b->nextra++] = (struct bench_metric){unit, value};
	}
}

/* bench_opts holds the parsed flags. */
struct bench_opts {
	int64_t benchtime_ns; /* target duration of the last run */
	int64_t benchtime_n;  /* if > 0: run exactly this many iterations */
	int count;	      /* runs per benchmark */
	const char *pattern;  /* -bench regex */
};

/* bench_run_n is testing.B.runN: one timed run of n iterations. */
static inline void bench_run_n(struct bench_b *b, bench_func fn, int64_t n)
{
	b->n = n;
	b->timer_on = false;
	bench_reset_timer(b);
	bench_start_timer(b);
	fn(b);
	bench_stop_timer(b);
}

static inline int64_t bench_min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static inline int64_t bench_max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* bench_launch mirrors testing.B.launch (Go 1.19): grow n to the benchtime. */
static inline void bench_launch(struct bench_b *b, bench_func fn,
				const struct bench_opts *o)
{
	if (o->benchtime_n > 0) {
		bench_run_n(b, fn, o->benchtime_n);
		return;
	}
	bench_run_n(b, fn, 1);
	int64_t d = o->benchtime_ns;
	for (int64_t n = 1; b->duration < d && n < 1000000000;) {
		int64_t last = n;
		int64_t prevns = b->duration > 0 ? b->duration : 1;
		/* Predict the iterations needed, in double to avoid overflow.
		 */
		double pred = (double)d * (double)b->n / (double)prevns;
		n = pred > 1e9 ? 1000000000 : (int64_t)pred;
		n += n / 5;
		n = bench_min64(n, 100 * last);
		n = bench_max64(n, last + 1);
		n = bench_min64(n, 1000000000);
		bench_run_n(b, fn, n);
	}
}

/* bench_pretty prints x with unit the way testing's prettyPrint does. */
static inline void bench_pretty(double x, const char *unit)
{
	double y = x < 0 ? -x : x;
	if (y == 0 || y >= 999.95) {
		printf("%10.0f %s", x, unit);
	} else if (y >= 99.995) {
		printf("%12.1f %s", x, unit);
	} else if (y >= 9.9995) {
		printf("%13.2f %s", x, unit);
	} else if (y >= 0.99995) {
		printf("%14.3f %s", x, unit);
	} else if (y >= 0.099995) {
		printf("%15.4f %s", x, unit);
	} else {
		printf("%16.5f %s", x, unit);
	}
}

/* bench_child is what the forked child hands to rt_main. */
struct bench_child {
	const struct bench *bm;
	const struct bench_opts *opts;
	int name_width;
};

/*
 * bench_print_result prints b's result as one go-test line named full
 * ("BenchmarkName-GOMAXPROCS", padded to width): N, ns/op, the extra
 * metrics sorted by unit (b->extra is sorted in place), then B/op and
 * allocs/op when an alloc reader is set. Mirrors BenchmarkResult.String
 * and MemString.
 */
static inline void bench_print_result(const char *full, int width,
				      struct bench_b *b)
{
	printf("%-*s\t%8" PRId64 "\t", width, full, b->n);
	bench_pretty((double)b->duration / (double)b->n, "ns/op");
	/* extra metrics sorted by unit, as BenchmarkResult.String */
	for (int i = 1; i < b->nextra; i++) {
		for (int j = i; j > 0 && strcmp(b->extra[j - 1].unit,
						b->extra[j].unit) > 0;
		     j--) {
			struct bench_metric t = b->extra[j];
			b->extra[j] = b->extra[j - 1];
			b->extra[j - 1] = t;
		}
	}
	for (int i = 0; i < b->nextra; i++) {
		printf("\t");
		bench_pretty(b->extra[i].value, b->extra[i].unit);
	}
	if (bench_alloc_reader != NULL) {
		/* BenchmarkResult.MemString: integer division, as Go's */
		printf("\t%8" PRId64 " B/op\t%8" PRId64 " allocs/op",
		       (int64_t)b->net_bytes / b->n,
		       (int64_t)b->net_allocs / b->n);
	}
	printf("\n");
	fflush(stdout);
}

static inline void bench_child_main(void *arg)
{
	struct bench_child *c = arg;
	struct bench_b b = {.name = c->bm->name};
	bench_launch(&b, c->bm->fn, c->opts);

	char full[256];
	snprintf(full, sizeof(full), "Benchmark%s-%d", c->bm->name,
		 rt_gomaxprocs());
	bench_print_result(full, c->name_width, &b);
}

/* bench_parse_duration parses Go-style "1s", "500ms", "1.5s", "2m", "100x". */
static inline bool bench_parse_duration(const char *s, struct bench_opts *o)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || v <= 0) {
		return false;
	}
	double mult;
	if (strcmp(end, "x") == 0) {
		o->benchtime_n = (int64_t)v;
		return o->benchtime_n > 0;
	} else if (strcmp(end, "ns") == 0) {
		mult = 1;
	} else if (strcmp(end, "us") == 0 || strcmp(end, "µs") == 0) {
		mult = 1e3;
	} else if (strcmp(end, "ms") == 0) {
		mult = 1e6;
	} else if (strcmp(end, "s") == 0) {
		mult = 1e9;
	} else if (strcmp(end, "m") == 0) {
		mult = 60e9;
	} else {
		return false;
	}
	o->benchtime_n = 0;
	o->benchtime_ns = (int64_t)(v * mult);
	return o->benchtime_ns > 0;
}

static inline void bench_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-bench REGEX] [-benchtime 1s|Nx] [-count N] "
		"[-list REGEX]\n"
		"  environment: RT_BENCHTIME (default -benchtime), "
		"RT_MAXPROCS (GOMAXPROCS where a benchmark does not set it)\n",
		prog);
}

/*
 * bench_flag matches argv[*i] against -name / -test.name, with the value
 * either after '=' or in the next argument; sets *val and advances *i.
 */
static inline bool bench_flag(int argc, char **argv, int *i, const char *name,
			      const char **val)
{
	const char *a = argv[*i];
	if (a[0] != '-') {
		return false;
	}
	a++;
	if (a[0] == '-') {
		a++;
	}
	if (strncmp(a, "test.", 5) == 0) {
		a += 5;
	}
	size_t len = strlen(name);
	if (strncmp(a, name, len) != 0) {
		return false;
	}
	if (a[len] == '=') {
		*val = a + len + 1;
		return true;
	}
	if (a[len] == '\0' && *i + 1 < argc) {
		*val = argv[++*i];
		return true;
	}
	return false;
}

/* bench_now is CLOCK_MONOTONIC in ns, for use outside goroutines. */
static inline int64_t bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* bench_cpu_model copies /proc/cpuinfo's first "model name" into buf. */
static inline void bench_cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f == NULL) {
		return;
	}
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) == 0) {
			char *p = strchr(line, ':');
			if (p != NULL) {
				p++;
				while (*p == ' ' || *p == '\t') {
					p++;
				}
				p[strcspn(p, "\n")] = '\0';
				snprintf(buf, len, "%s", p);
			}
			break;
		}
	}
	fclose(f);
}

/*
 * bench_list prints the full name of every benchmark that matches the
 * regex pattern, as go test -list does. Returns the exit status.
 */
static inline int bench_list(const char *pattern, const struct bench *bms,
			     size_t nbms)
{
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		fprintf(stderr, "invalid -list regex %s\n", pattern);
		return 2;
	}
	for (size_t i = 0; i < nbms; i++) {
		char full[256];
		snprintf(full, sizeof(full), "Benchmark%s", bms[i].name);
		if (regexec(&re, full, 0, NULL, 0) == 0) {
			printf("%s\n", full);
		}
	}
	regfree(&re);
	return 0;
}

/*
 * bench_main parses the flags, then runs every matching benchmark opts.count
 * times, each run in its own child process. Returns the exit status.
 */
static inline int bench_main(int argc, char **argv, const struct bench *bms,
			     size_t nbms)
{
	struct bench_opts o = {.benchtime_ns = 1000000000LL, .count = 1};
	o.pattern = ".";
	const char *list = NULL;
	const char *env = getenv("RT_BENCHTIME");
	if (env != NULL && *env != '\0' && !bench_parse_duration(env, &o)) {
		fprintf(stderr, "invalid RT_BENCHTIME %s\n", env);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *v;
		if (bench_flag(argc, argv, &i, "benchtime", &v)) {
			if (!bench_parse_duration(v, &o)) {
				fprintf(stderr, "invalid -benchtime %s\n", v);
				return 2;
			}
		} else if (bench_flag(argc, argv, &i, "bench", &v)) {
			o.pattern = v;
		} else if (bench_flag(argc, argv, &i, "list", &v)) {
			list = v;
		} else if (bench_flag(argc, argv, &i, "count", &v)) {
			o.count = atoi(v);
			if (o.count < 1) {
				fprintf(stderr, "invalid -count %s\n", v);
				return 2;
			}
		} else {
			bench_usage(argv[0]);
			return 2;
		}
	}
	if (list != NULL) {
		return bench_list(list, bms, nbms);
	}
	regex_t re;
	if (regcomp(&re, o.pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		fprintf(stderr, "invalid -bench regex %s\n", o.pattern);
		return 2;
	}

	int width = 0;
	for (size_t i = 0; i < nbms; i++) {
		int w =
		    (int)strlen("Benchmark-") + (int)strlen(bms[i].name) + 3;
		width = w > width ? w : width;
	}
	char cpu[256];
	bench_cpu_model(cpu, sizeof(cpu));
	printf("goos: linux\ngoarch: amd64\npkg: rttrace/workloads (librt)\n"
	       "cpu: %s\n",
	       cpu);
	fflush(stdout);

	int failed = 0;
	int64_t t0 = bench_now();
	for (size_t i = 0; i < nbms; i++) {
		if (regexec(&re, bms[i].name, 0, NULL, 0) != 0) {
			continue;
		}
		for (int k = 0; k < o.count; k++) {
			fflush(stdout);
			fflush(stderr);
			pid_t pid = fork();
			if (pid < 0) {
				perror("fork");
				return 1;
			}
			if (pid == 0) {
				if (bms[i].procs > 0) {
					char p[16];
					snprintf(p, sizeof(p), "%d",
						 bms[i].procs);
					setenv("RT_MAXPROCS", p, 1);
				}
				struct bench_child c = {&bms[i], &o, width};
				rt_main(bench_child_main, &c);
				exit(0);
			}
			int st;
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
			}
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				printf("--- FAIL: Benchmark%s (%s %d)\n",
				       bms[i].name,
				       WIFSIGNALED(st) ? "signal" : "exit",
				       WIFSIGNALED(st) ? WTERMSIG(st)
						       : WEXITSTATUS(st));
				failed++;
			}
		}
	}
	regfree(&re);
	double secs = (double)(bench_now() - t0) / 1e9;
	printf("%s\n%s\trttrace/workloads (librt)\t%.3fs\n",
	       failed ? "FAIL" : "PASS", failed ? "FAIL" : "ok  ", secs);
	return failed ? 1 : 0;
}

#endif /* RT_BENCH_H */

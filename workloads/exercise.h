/*
 * exercise.h — one of the seed's fourteen exercises, as rtwork runs it.
 *
 * Each workloads/exNN_name.c defines one `const struct exercise exNN` with
 * a before and an after variant written as the seed describes them, the
 * seed's claim, the figure the exercise is about, and the parameter the
 * claim depends on (swept). rtwork (workloads/rtwork.c) lists them, runs a
 * variant under the bench.h harness (b->n iterations auto-scaled to the
 * benchtime), and for `both` puts before, after, their ratio and the seed's
 * claim side by side with a verdict. tests/test_ex*.c check that before and
 * after compute the same result, and that each correctness gap is real.
 *
 * A variant's run function is called from a goroutine (rt_main is running)
 * and does b->n operations — one "request", "message", "call" — between
 * bench_start_timer/bench_stop_timer as testing.B would (the harness
 * starts the timer before calling it; setup can stop and restart it). It
 * reports the exercise's figure with bench_report_metric(b, value, unit),
 * using the units below so rtwork, the Go peers (workloads/go/ex) and
 * rttrace agree on names.
 */
#ifndef RT_EXERCISE_H
#define RT_EXERCISE_H

#include <stdbool.h>
#include <stdint.h>

#define BENCH_ALLOC_READER ex_alloc_reader
#include "bench.h"
#include "rt.h"

enum ex_variant { EX_BEFORE = 0, EX_AFTER = 1, EX_NVARIANTS };

/*
 * Units of the exercises' own figures (b.ReportMetric units in Go). "/op"
 * units are per operation; the others describe the whole timed run.
 */
#define EX_UNIT_CPU_PCT	    "cpu-%"	      /* ex02: process CPU / wall, % */
#define EX_UNIT_IDLE_CPU    "idle-cpu-%"      /* ex02: CPU while no message */
#define EX_UNIT_TIMERS_LEFT "timers-left"     /* ex03: timers still in heaps */
#define EX_UNIT_PEAK_GS	    "peak-goroutines" /* ex05 */
#define EX_UNIT_PEAK_STACK  "peak-stack-B"    /* ex05: stack bytes at peak */
#define EX_UNIT_PEAK_HEAP   "peak-heap-B"     /* ex06, ex13, ex14 */
#define EX_UNIT_STW_PER_OP  "stw/op"	      /* stops of the world per op */
#define EX_UNIT_STW_MAX	    "max-stw-ns"      /* longest stop seen */
#define EX_UNIT_PAUSE_OP    "pause-ns/op"     /* STW pause time per op */
#define EX_UNIT_GC_PER_OP   "gc/op"	      /* ex09: GC cycles per op */
#define EX_UNIT_PEAK_FDS    "peak-fds"	      /* ex10: open fds at peak */
#define EX_UNIT_EMFILE	    "emfile"	      /* ex10: 1 if EMFILE was hit */
#define EX_UNIT_ALLGS	    "allgs"	      /* ex12: len(allgs) */
#define EX_UNIT_VICTIM_LAT                             \
	"victim-max-ns" /* ex13/14: worst delay a stop \
			   added to a running goroutine */

/* One value of the parameter an exercise sweeps. */
struct ex_param {
	const char *name; /* as printed, e.g. "producers=2", "live=8MB" */
	int64_t value;	  /* the exercise's own meaning */
};

/* How rtwork judges the after against the before. */
struct ex_verdict_rule {
	const char *metric;   /* "ns/op" or one of the EX_UNIT_ figures */
	bool higher_is_worse; /* true for costs (ns/op, cpu-%, fds…) */
};

struct exercise {
	const char *id;		     /* "ex03" */
	const char *title;	     /* "time.After in a select loop" */
	const char *seed_claim;	     /* the seed's words: "~7.7x faster" */
	double seed_ratio;	     /* before/after the seed claims; 0: none */
	struct ex_verdict_rule rule; /* what the ratio compares */
	const char *mechanism;	     /* one line: why the after wins (or not) */
	const char *param_name;	     /* "producers", "live heap"; NULL: none */
	const struct ex_param *params; /* the sweep; NULL: one run, value 0 */
	int nparams;		       /* */
	int procs;		       /* RT_MAXPROCS it needs; 0: inherit */
	/* run[v] does b->n operations of variant v with parameter p */
	void (*run[EX_NVARIANTS])(struct bench_b *b, const struct ex_param *p);
	/*
	 * result[v] computes variant v's answer on a fixed input, for the
	 * test that before and after agree (a sum, a count, a digest).
	 */
	uint64_t (*result[EX_NVARIANTS])(const struct ex_param *p);
};

/* The exercises, in order; defined by the exNN_*.c files. */
extern const struct exercise ex01, ex02, ex03, ex04, ex05, ex06, ex07, ex08,
    ex09, ex10, ex11, ex12, ex13, ex14;

#define EX_ALL                                                                 \
	{                                                                      \
		&ex01, &ex02, &ex03, &ex04, &ex05, &ex06, &ex07, &ex08, &ex09, \
		    &ex10, &ex11, &ex12, &ex13, &ex14                          \
	}
#define EX_COUNT 14

/*
 * ex_alloc_reader (bench.h's BENCH_ALLOC_READER here) reads librt's
 * cumulative objects and bytes allocated with runtime/metrics reads (no
 * stop of the world), for the harness's B/op and allocs/op. Defined in
 * rtwork.c.
 */

#endif /* RT_EXERCISE_H */

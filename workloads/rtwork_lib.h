/*
 * rtwork_lib.h — the pieces of the rtwork driver that its tests use too.
 *
 * rtwork (workloads/rtwork.c) runs the seed's exercises (exercise.h) and
 * judges them. What it needs beyond process handling lives here, in
 * rtwork_lib.c, so tests/test_exercises.c can check it:
 *
 *   1. the run wrapper: bench.h's bench_func takes only the bench_b, so
 *      rw_run_variant passes the exercise, variant and parameter through a
 *      static and calls bench_launch, as testing.B would call a closure;
 *   2. the bench-line parser: one reader for `go test -bench` output and
 *      for rtwork's own lines (the same format), so librt and Go results
 *      go through the same code;
 *   3. sample sets: every run of one (exercise, param, variant), with the
 *      median over -count runs of each unit;
 *   4. the reports: a table per exercise (before, after, their ratio, the
 *      figures, the seed's claim, a verdict from verdict.h), the JSON
 *      document rttrace consumes, and the librt-versus-Go comparison.
 *
 * Ratios are oriented as verdict.h's M: > 1 means the after is better.
 */
#ifndef RT_RTWORK_LIB_H
#define RT_RTWORK_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "exercise.h"
#include "verdict.h"

/* ---- the exercises and the run wrapper ------------------------------- */

/* rw_exercises is EX_ALL: ex01..ex14 in order. */
extern const struct exercise *const rw_exercises[EX_COUNT];

/* rw_find_exercise accepts "ex03", "Ex03", "03" or "3"; NULL if none. */
const struct exercise *rw_find_exercise(const char *id);

/* rw_nparams is how many runs the sweep makes: nparams, or 1 if none. */
int rw_nparams(const struct exercise *ex);

/*
 * rw_param is the i-th parameter, or for an exercise without a sweep a
 * parameter named "" with value 0 (exercise.h: "NULL: one run, value 0").
 */
const struct ex_param *rw_param(const struct exercise *ex, int i);

/* rw_find_param is the parameter named name; NULL if there is none. */
const struct ex_param *rw_find_param(const struct exercise *ex,
				     const char *name);

/* rw_variant_name is "before" or "after"; rw_parse_variant the reverse
 * (-1 for anything else). */
const char *rw_variant_name(enum ex_variant v);
int rw_parse_variant(const char *s);

/*
 * rw_run_variant runs ex's variant v with parameter p under bench_launch
 * (n grown to o's benchtime) and leaves the last run in *b. Call it from a
 * goroutine.
 */
void rw_run_variant(struct bench_b *b, const struct exercise *ex,
		    enum ex_variant v, const struct ex_param *p,
		    const struct bench_opts *o);

/*
 * rw_bench_name writes the go-test name of a run into buf:
 * "BenchmarkEx03/before/NAME-PROCS", without "/NAME" when p has no name.
 */
void rw_bench_name(char *buf, size_t len, const struct exercise *ex,
		   enum ex_variant v, const struct ex_param *p, int procs);

/* ---- bench lines -------------------------------------------------------- */

#define RW_NAME_MAX    160
#define RW_UNIT_MAX    32
#define RW_MAX_METRICS 12
#define RW_ID_MAX      8
#define RW_PARAM_MAX   64

struct rw_metric {
	char unit[RW_UNIT_MAX]; /* "ns/op", "B/op", "cpu-%", … */
	double value;		/* */
};

/* rw_line is one result line of `go test -bench` or rtwork. */
struct rw_line {
	char name[RW_NAME_MAX];	  /* without "Benchmark" and "-P" */
	int procs;		  /* the -P suffix; 1 when absent, as Go
				     prints no suffix at GOMAXPROCS 1 */
	char ex[RW_ID_MAX];	  /* "ex03" for Ex03/…; "" otherwise */
	int variant;		  /* EX_BEFORE/EX_AFTER; -1 otherwise */
	char param[RW_PARAM_MAX]; /* "producers=2"; "" when none */
	int64_t n;		  /* iterations */
	struct rw_metric m[RW_MAX_METRICS]; /* ns/op first, as printed */
	int nm;				    /* */
};

/*
 * rw_parse_line parses one result line: "Benchmark" NAME[-P], the
 * iteration count, then value-unit pairs, the first of them ns/op. False
 * for anything else (headers, PASS/ok, "--- FAIL", a benchmark's own
 * output, a name printed alone, a bad number, an odd pair, no ns/op).
 */
bool rw_parse_line(const char *s, struct rw_line *out);

/* rw_line_metric sets *v to the line's value of unit; false if absent. */
bool rw_line_metric(const struct rw_line *l, const char *unit, double *v);

/* ---- sample sets -------------------------------------------------------- */

/* rw_sample holds every run of one (exercise, param, variant). */
struct rw_sample {
	char ex[RW_ID_MAX];	  /* "ex03" */
	char param[RW_PARAM_MAX]; /* "" when the exercise has no sweep */
	int variant;		  /* EX_BEFORE or EX_AFTER */
	struct rw_line *runs;	  /* one per -count */
	int nruns, cap;		  /* */
	char failure[160];	  /* why its process failed; "" if it did not */
};

struct rw_set {
	struct rw_sample *s;
	int n, cap;
};

/* rw_set_find returns the sample for the key, creating it when create. */
struct rw_sample *rw_set_find(struct rw_set *set, const char *ex,
			      const char *param, int variant, bool create);

/* rw_set_add files an exercise line under its key; false (and nothing
 * added) for a line that is not ExNN/before|after[/NAME]. */
bool rw_set_add(struct rw_set *set, const struct rw_line *l);

/* rw_set_read adds every exercise line of f; returns how many. */
int rw_set_read(struct rw_set *set, FILE *f);

void rw_set_free(struct rw_set *set);

/* The pseudo-unit naming a line's iteration count, for rw_median. */
#define RW_UNIT_N "N"

/* rw_median is the median over the sample's runs of unit; NAN if no run
 * reports it (the mean of the middle two for an even count, as
 * scripts/bench.sh and benchstat do). */
double rw_median(const struct rw_sample *s, const char *unit);

/* ---- judging and reports ---------------------------------------------- */

/* rw_pair is the judgement of one exercise's before against its after. */
struct rw_pair {
	double before, after; /* medians of the rule's metric; NAN: missing */
	double ratio;	      /* verdict_ratio: > 1 when the after is better */
	enum verdict verdict; /* verdict_judge(ratio, seed_ratio) */
};

struct rw_pair rw_judge(const struct exercise *ex, const struct rw_sample *b,
			const struct rw_sample *a);

/* rw_width is s's width in characters (UTF-8: "→", "×" count as one). */
int rw_width(const char *s);

/* rw_fmt_ratio formats a ratio: "7.71x", "∞", or "-" for NAN. */
const char *rw_fmt_ratio(char *buf, size_t len, double r);

/*
 * rw_print_table prints ex's table from set: one row per parameter —
 * param | before ns/op | after ns/op | ratio | figures before → after |
 * seed's claim | verdict — then the mechanism line. Returns the number of
 * rows whose variants did not both run.
 */
int rw_print_table(FILE *out, const struct exercise *ex, struct rw_set *set);

/*
 * rw_print_json prints the results of set for the given exercises as one
 * JSON document: {"results": [{exercise, title, param, variant, n,
 * ns_per_op, bytes_per_op, allocs_per_op, figures{unit: value}, ratio,
 * seed_ratio, seed_claim, verdict, mechanism}, …], "failures": […]}.
 * ratio is null when it cannot be computed or is infinite; ratio_str
 * says which ("∞", "-").
 */
void rw_print_json(FILE *out, const struct exercise *const *exs, int nex,
		   struct rw_set *set);

/*
 * rw_print_compare prints one table over the exercises: exercise | param |
 * librt ratio | Go ratio | seed | librt/Go | librt verdict | Go verdict.
 * Returns the number of rows without both ratios.
 */
int rw_print_compare(FILE *out, const struct exercise *const *exs, int nex,
		     struct rw_set *librt, struct rw_set *go);

#endif /* RT_RTWORK_LIB_H */

/*
 * run.h — the pieces of `rttrace run` (run.c) that other commands reuse:
 * `rttrace report` (report.c) runs every exercise the way run does and
 * renders what run would print as a page, so it takes run's data and
 * steps rather than re-implementing or shelling out to them.
 *
 * The steps: run_configure once, run_load_exercises (from `rtwork
 * list`), then run_variant per variant; compare, rate_of, rate_changed
 * and stw_stats read the two variants the way run's comparison does.
 */
#ifndef RTTRACE_RUN_H
#define RTTRACE_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "../workloads/verdict.h"
#include "flamegraph.h"
#include "profile_user.h"
#include "sched_user.h"

struct tracer_opts;

#define MAX_PARAMS    8
#define MAX_METRICS   12
#define RATE_CHANGE   2.0 /* "changed": more than this factor either way */
#define EX_ID_LEN     8
#define EX_FIELD_LEN  256
#define LINE_NAME_LEN 128
#define MAX_EXERCISES 32

enum { VAR_BEFORE, VAR_AFTER, VAR_NUM };
extern const char *const variant_names[VAR_NUM];

/* One exercise, from `rtwork list`: "ex03  title  p1,p2  seed: claim". */
struct exercise {
	char id[EX_ID_LEN];
	char title[EX_FIELD_LEN];
	char params[MAX_PARAMS][64]; /* none: nparams 0 */
	int nparams;
	char claim[EX_FIELD_LEN];
};

/* One "value unit" of a benchmark line or of rtwork's "figures". */
struct metric {
	char unit[32];
	double value;
};

/* What one variant's runs gave. */
struct variant_run {
	bool ran, traced_ok, untraced_ok;
	/* traced */
	char line[512]; /* rtwork's benchmark line, as printed */
	char name[LINE_NAME_LEN];
	long long n;
	struct metric m[MAX_METRICS]; /* the line's, ns/op first */
	int nm;
	struct sched_target t; /* how the traced run ended */
	int trace_status;      /* trace_program's return */
	struct report_data *d; /* the maps at the end */
	char *text;	       /* the report's sections (text) */
	char *json;	       /* the report (JSON object) */
	bool profiled;	       /* prof holds the traced run's CPU samples */
	struct profile_result prof;
	char flame_label[96];	/* in flamegraph file names: "before" */
	struct flame_run flame; /* --flamegraph/--folded's, for the diff */
	/* untraced, from rtwork --json */
	int untraced_status;
	double ns_op;			/* untraced ns/op; NAN: none */
	struct metric fig[MAX_METRICS]; /* its "figures" */
	int nfig;
	char rule_metric[32];
	bool higher_is_worse;
	double seed_ratio; /* NAN: none given */
	char mechanism[512];
};

/*
 * run_parse_bench_line reads a benchmark line "BenchmarkEx03/before-2  N
 * X ns/op V unit…" (rtwork's stdout, traced) into v; false if s holds none.
 */
bool run_parse_bench_line(const char *s, struct variant_run *v);

/*
 * run_parse_rtwork_json reads the one result of `rtwork EX VARIANT --json`
 * (untraced): ns/op, the figures, the rule, the seed's ratio into v; false
 * if absent.
 */
bool run_parse_rtwork_json(const char *s, struct variant_run *v);

/* A comparison of the two variants of one parameter. */
struct comparison {
	double before, after; /* the rule's metric, untraced */
	double ratio;	      /* verdict.h's M */
	double seed;	      /* S; NAN none */
	enum verdict verdict;
};

/* The report sections (by the start of their title) that lead an
 * exercise's report: those that show its mechanism. */
struct lead {
	const char *ex;
	const char *sections[8];
};

/*
 * run_configure sets what run_variant runs with: rtwork's -benchtime,
 * --as-root, and the report options the traced runs take.
 */
void run_configure(const char *benchtime, bool as_root,
		   const struct tracer_opts *o);
/*
 * run_load_exercises reads `rtwork list` into exs (room for max); returns
 * how many, or -1 after printing why.
 */
int run_load_exercises(char *rtwork, struct exercise *exs, int max);
/*
 * find_exercise matches the user's EX ("ex03", "Ex3", "03", "3") among
 * exs; NULL after printing the valid ones.
 */
const struct exercise *find_exercise(const struct exercise *exs, int n,
				     const char *arg);
/* find_lead is id's lead sections; NULL if it has none. */
const struct lead *find_lead(const char *id);
/*
 * run_variant runs one variant traced, then untraced, into v (zeroed by
 * the caller). Returns false if either failed or Ctrl-C was hit; what
 * was gathered stays in v, which run_variant_free releases.
 */
bool run_variant(char *rtwork, const struct exercise *ex, int var,
		 const char *param, struct variant_run *v);
void run_variant_free(struct variant_run *v);
/* traced_ns_op is the traced run's ns/op; NAN if its line is missing. */
double traced_ns_op(const struct variant_run *v);
/* rate_of is probe id's events per second in v's traced run. */
double rate_of(const struct variant_run *v, int id);
/* rate_changed: more than RATE_CHANGE either way, or from or to zero. */
bool rate_changed(double a, double b);
/* valid_benchtime: a -benchtime rtwork takes: a Go duration with a unit
 * (1s, 500ms) or a count (100x). */
bool valid_benchtime(const char *s);

/* stw_stats sums the STW histograms: stops, and the longest pause (exact)
 * in the report's unit (µs, or ns with --nsec). */
void stw_stats(const struct variant_run *v, uint64_t *stops, double *max_pause);
/* compare judges the two variants of one parameter. */
struct comparison compare(const struct variant_run v[VAR_NUM]);

#endif /* RTTRACE_RUN_H */

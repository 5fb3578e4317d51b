/*
 * test_exercises.c — what must hold for every exercise, and for the rtwork
 * pieces that judge them.
 *
 *   - For every exercise and every value of its sweep, the before and the
 *     after compute the same answer on the fixed input (result[]): an
 *     "optimization" that changes the answer is a bug, not a speed-up.
 *   - The descriptors are complete (ids ex01..ex14 in order, the seed's
 *     words, a mechanism, a sweep with distinct names Go can spell), and
 *     the metric a verdict compares is one the variants really report:
 *     each variant runs once (b->n = 1) through rtwork's run wrapper and
 *     its figures are checked by name, and the goroutines it started
 *     must have ended when it returns.
 *   - The verdict (verdict.h) at each boundary, and the bench-line parser
 *     on Go's and librt's lines, well-formed and not.
 *
 * Each exercise's own correctness gaps live in tests/test_exAA_BB.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rt_test.h"
#include "rtwork_lib.h"

/* ---- before == after, for every exercise and parameter ------------------ */

/* pair_at maps a loop index onto (exercise, parameter). */
static int npairs(void)
{
	int n = 0;
	for (int e = 0; e < EX_COUNT; e++)
		n += rw_nparams(rw_exercises[e]);
	return n;
}

static const struct exercise *pair_at(int i, const struct ex_param **p)
{
	for (int e = 0; e < EX_COUNT; e++) {
		const struct exercise *ex = rw_exercises[e];
		if (i < rw_nparams(ex)) {
			*p = rw_param(ex, i);
			return ex;
		}
		i -= rw_nparams(ex);
	}
	*p = NULL;
	return NULL;
}

static void agree_main(void *arg)
{
	const struct ex_param *p;
	const struct exercise *ex = pair_at(*(int *)arg, &p);

	RTT_CHECK(ex->result[EX_BEFORE] != NULL && ex->result[EX_AFTER],
		  "%s has no result function", ex->id);
	if (ex->result[EX_BEFORE] == NULL || ex->result[EX_AFTER] == NULL)
		return;
	uint64_t b = ex->result[EX_BEFORE](p);
	uint64_t a = ex->result[EX_AFTER](p);
	RTT_CHECK(b == a, "%s %s: before computes %llu, after %llu", ex->id,
		  p->name, (unsigned long long)b, (unsigned long long)a);
}

START_TEST(test_before_and_after_agree)
{
	const struct ex_param *p;
	const struct exercise *ex = pair_at(_i, &p);

	ck_assert_ptr_nonnull(ex);
	rtt_run(ex->procs, agree_main, &_i);
}
END_TEST

/* ---- descriptors -----------------------------------------------------------
 */

/* The figures' units (exercise.h), which the Go peers report too. */
static const char *const known_units[] = {
    EX_UNIT_CPU_PCT,	EX_UNIT_IDLE_CPU,   EX_UNIT_TIMERS_LEFT,
    EX_UNIT_PEAK_GS,	EX_UNIT_PEAK_STACK, EX_UNIT_PEAK_HEAP,
    EX_UNIT_STW_PER_OP, EX_UNIT_STW_MAX,    EX_UNIT_PAUSE_OP,
    EX_UNIT_GC_PER_OP,	EX_UNIT_PEAK_FDS,   EX_UNIT_EMFILE,
    EX_UNIT_ALLGS,	EX_UNIT_VICTIM_LAT,
};

static bool known_unit(const char *u)
{
	for (size_t i = 0; i < sizeof(known_units) / sizeof(known_units[0]);
	     i++)
		if (strcmp(known_units[i], u) == 0)
			return true;
	return false;
}

START_TEST(test_descriptor_is_complete)
{
	const struct exercise *ex = rw_exercises[_i];
	char id[16];

	snprintf(id, sizeof(id), "ex%02d", _i + 1);
	ck_assert_str_eq(ex->id, id);
	ck_assert_ptr_eq(rw_find_exercise(id), ex);
	ck_assert_msg(ex->title != NULL && ex->title[0] != '\0', "%s: no title",
		      id);
	ck_assert_msg(ex->seed_claim != NULL && ex->seed_claim[0] != '\0',
		      "%s: no seed claim", id);
	ck_assert_msg(ex->mechanism != NULL && ex->mechanism[0] != '\0',
		      "%s: no mechanism", id);
	ck_assert_msg(ex->seed_ratio >= 0 && isfinite(ex->seed_ratio),
		      "%s: seed_ratio %g", id, ex->seed_ratio);
	ck_assert_msg(ex->rule.metric != NULL &&
			  (strcmp(ex->rule.metric, "ns/op") == 0 ||
			   known_unit(ex->rule.metric)),
		      "%s: rule metric \"%s\" is neither ns/op nor an "
		      "EX_UNIT_ figure",
		      id, ex->rule.metric ? ex->rule.metric : "(null)");
	ck_assert_int_ge(ex->procs, 0);
	for (int v = 0; v < EX_NVARIANTS; v++) {
		ck_assert_msg(ex->run[v] != NULL, "%s: no run[%d]", id, v);
		ck_assert_msg(ex->result[v] != NULL, "%s: no result[%d]", id,
			      v);
	}
	ck_assert_msg((ex->params == NULL) == (ex->nparams == 0),
		      "%s: params and nparams disagree", id);
	if (ex->params != NULL)
		ck_assert_msg(ex->param_name != NULL,
			      "%s: a sweep without "
			      "param_name",
			      id);
	for (int i = 0; i < ex->nparams; i++) {
		const char *n = ex->params[i].name;
		ck_assert_msg(n != NULL && n[0] != '\0', "%s: param %d unnamed",
			      id, i);
		/* Go rewrites spaces in sub-benchmark names, and "/" would
		 * split the name: either breaks the pairing with the peers */
		ck_assert_msg(strpbrk(n, " \t/") == NULL,
			      "%s: param name \"%s\" has a space or a slash",
			      id, n);
		ck_assert_ptr_eq(rw_find_param(ex, n), &ex->params[i]);
		ck_assert_int_lt(strlen(n), RW_PARAM_MAX);
	}
}
END_TEST

/*
 * Each variant, run once through rtwork's wrapper, reports the rule's
 * metric (when it is a figure), only known units, and sane values.
 */
static void reports_main(void *arg)
{
	const struct ex_param *p;
	const struct exercise *ex = pair_at(*(int *)arg, &p);
	struct bench_opts o = {.benchtime_n = 1, .count = 1};

	for (int v = 0; v < EX_NVARIANTS; v++) {
		struct bench_b b = {.name = ex->id};
		int g0 = rt_num_goroutine();
		rw_run_variant(&b, ex, (enum ex_variant)v, p, &o);
		/*
		 * Every goroutine the run started has ended (run is called
		 * again and again in one process). A goroutine on its way
		 * out may still be exiting: give it a generous while.
		 */
		int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS / 3;
		while (rt_num_goroutine() > g0 && rtt_mono_ns() < deadline)
			rt_sleep(1000000);
		RTT_CHECK(rt_num_goroutine() <= g0,
			  "%s %s %s: %d goroutines before the run, %d after",
			  ex->id, rw_variant_name(v), p->name, g0,
			  rt_num_goroutine());
		RTT_CHECK(b.n == 1, "%s %s: n = %lld", ex->id,
			  rw_variant_name(v), (long long)b.n);
		bool has_rule = strcmp(ex->rule.metric, "ns/op") == 0;
		for (int i = 0; i < b.nextra; i++) {
			const struct bench_metric *m = &b.extra[i];
			RTT_CHECK(known_unit(m->unit),
				  "%s %s %s: unknown unit \"%s\"", ex->id,
				  rw_variant_name(v), p->name, m->unit);
			RTT_CHECK(isfinite(m->value) && m->value >= 0,
				  "%s %s %s: %s = %g", ex->id,
				  rw_variant_name(v), p->name, m->unit,
				  m->value);
			if (strcmp(m->unit, ex->rule.metric) == 0)
				has_rule = true;
		}
		RTT_CHECK(has_rule,
			  "%s %s %s: the rule's metric %s is not "
			  "reported",
			  ex->id, rw_variant_name(v), p->name, ex->rule.metric);
	}
}

START_TEST(test_variants_report_the_rule_metric)
{
	const struct ex_param *p;
	const struct exercise *ex = pair_at(_i, &p);

	ck_assert_ptr_nonnull(ex);
	rtt_run(ex->procs, reports_main, &_i);
}
END_TEST

START_TEST(test_find_exercise_spellings)
{
	ck_assert_ptr_eq(rw_find_exercise("ex03"), rw_exercises[2]);
	ck_assert_ptr_eq(rw_find_exercise("Ex03"), rw_exercises[2]);
	ck_assert_ptr_eq(rw_find_exercise("03"), rw_exercises[2]);
	ck_assert_ptr_eq(rw_find_exercise("14"), rw_exercises[13]);
	ck_assert_ptr_null(rw_find_exercise("ex15"));
	ck_assert_ptr_null(rw_find_exercise("ex0"));
	ck_assert_ptr_null(rw_find_exercise("ex3x"));
	ck_assert_ptr_null(rw_find_exercise("list"));
	ck_assert_ptr_null(rw_find_exercise(""));
}
END_TEST

/* ---- verdict ---------------------------------------------------------------
 */

START_TEST(test_verdict_ratio_orientation)
{
	/* costs: before/after */
	ck_assert_double_eq_tol(verdict_ratio(800, 100, true), 8.0, 1e-12);
	/* lower is worse: after/before */
	ck_assert_double_eq_tol(verdict_ratio(100, 800, false), 8.0, 1e-12);
	/* an after that costs nothing: ∞; nothing on both sides: 1 */
	ck_assert(isinf(verdict_ratio(1600, 0, true)));
	ck_assert(isinf(verdict_ratio(0, 5, false)));
	ck_assert_double_eq(verdict_ratio(0, 0, true), 1.0);
	ck_assert_double_eq(verdict_ratio(5, 0, false), 0.0);
	ck_assert(isnan(verdict_ratio(NAN, 1, true)));
	ck_assert(isnan(verdict_ratio(1, -1, true)));
}
END_TEST

START_TEST(test_verdict_boundaries_with_a_seed_ratio)
{
	double s = 9;
	/* S/3 = 3, 3S = 27 */
	ck_assert_int_eq(verdict_judge(3, s), VERDICT_REPRODUCES);
	ck_assert_int_eq(verdict_judge(27, s), VERDICT_REPRODUCES);
	ck_assert_int_eq(verdict_judge(9, s), VERDICT_REPRODUCES);
	ck_assert_int_eq(verdict_judge(27.0001, s), VERDICT_STRONGER);
	ck_assert_int_eq(verdict_judge(INFINITY, s), VERDICT_STRONGER);
	ck_assert_int_eq(verdict_judge(2.9999, s), VERDICT_WEAKER);
	ck_assert_int_eq(verdict_judge(1.2, s), VERDICT_WEAKER);
	ck_assert_int_eq(verdict_judge(1.1999, s), VERDICT_DOES_NOT_REPRODUCE);
	ck_assert_int_eq(verdict_judge(0.5, s), VERDICT_DOES_NOT_REPRODUCE);
	ck_assert_int_eq(verdict_judge(NAN, s), VERDICT_NO_DATA);
}
END_TEST

START_TEST(test_verdict_noise_floor_beats_a_small_seed_ratio)
{
	/* S = 1.7: S/3 = 0.57, but an after 10 % better is within noise */
	ck_assert_int_eq(verdict_judge(1.1, 1.7), VERDICT_DOES_NOT_REPRODUCE);
	ck_assert_int_eq(verdict_judge(0.8, 1.7), VERDICT_DOES_NOT_REPRODUCE);
	ck_assert_int_eq(verdict_judge(1.2, 1.7), VERDICT_REPRODUCES);
	ck_assert_int_eq(verdict_judge(5.1, 1.7), VERDICT_REPRODUCES);
	ck_assert_int_eq(verdict_judge(5.2, 1.7), VERDICT_STRONGER);
}
END_TEST

START_TEST(test_verdict_qualitative_claim)
{
	ck_assert_int_eq(verdict_judge(1.2, 0), VERDICT_REPRODUCES);
	ck_assert_int_eq(verdict_judge(1000, 0), VERDICT_REPRODUCES);
	ck_assert_int_eq(verdict_judge(INFINITY, 0), VERDICT_REPRODUCES);
	ck_assert_int_eq(verdict_judge(1.19, 0), VERDICT_DOES_NOT_REPRODUCE);
	ck_assert_str_eq(verdict_string(VERDICT_DOES_NOT_REPRODUCE),
			 "does not reproduce");
	ck_assert_str_eq(verdict_string(VERDICT_NO_DATA), "no data");
}
END_TEST

START_TEST(test_verdict_infinite_seed_ratio)
{
	/* "1600 % → ~0 %": only an after at zero reproduces it */
	ck_assert_int_eq(verdict_judge(INFINITY, INFINITY), VERDICT_REPRODUCES);
	ck_assert_int_eq(verdict_judge(1e6, INFINITY), VERDICT_WEAKER);
}
END_TEST

/* ---- bench-line parser -----------------------------------------------------
 */

START_TEST(test_parse_go_line_with_param_and_procs)
{
	struct rw_line l;
	ck_assert(rw_parse_line("BenchmarkEx01/before/producers=2-2   \t "
				"1000000\t      1234 ns/op\t      16 B/op\t  "
				"     1 allocs/op\n",
				&l));
	ck_assert_str_eq(l.name, "Ex01/before/producers=2");
	ck_assert_int_eq(l.procs, 2);
	ck_assert_str_eq(l.ex, "ex01");
	ck_assert_int_eq(l.variant, EX_BEFORE);
	ck_assert_str_eq(l.param, "producers=2");
	ck_assert_int_eq(l.n, 1000000);
	ck_assert_int_eq(l.nm, 3);
	double v;
	ck_assert(rw_line_metric(&l, "ns/op", &v));
	ck_assert_double_eq(v, 1234);
	ck_assert(rw_line_metric(&l, "B/op", &v));
	ck_assert_double_eq(v, 16);
	ck_assert(rw_line_metric(&l, "allocs/op", &v));
	ck_assert_double_eq(v, 1);
	ck_assert(!rw_line_metric(&l, "cpu-%", &v));
}
END_TEST

START_TEST(test_parse_line_extra_metrics_without_param)
{
	struct rw_line l;
	ck_assert(rw_parse_line("BenchmarkEx02/after-4 \t 50 \t 20000 ns/op "
				"\t 0.5000 cpu-% \t 0.00012 idle-cpu-% \t 0 "
				"B/op \t 0 allocs/op",
				&l));
	ck_assert_str_eq(l.ex, "ex02");
	ck_assert_int_eq(l.variant, EX_AFTER);
	ck_assert_str_eq(l.param, "");
	ck_assert_int_eq(l.procs, 4);
	double v;
	ck_assert(rw_line_metric(&l, "cpu-%", &v));
	ck_assert_double_eq_tol(v, 0.5, 1e-12);
	ck_assert(rw_line_metric(&l, "idle-cpu-%", &v));
	ck_assert_double_eq_tol(v, 0.00012, 1e-15);
}
END_TEST

START_TEST(test_parse_line_without_procs_suffix)
{
	/* Go prints no -P at GOMAXPROCS 1 */
	struct rw_line l;
	ck_assert(rw_parse_line("BenchmarkEx07/after/work=1ms \t 10 \t 5.5 "
				"ns/op",
				&l));
	ck_assert_int_eq(l.procs, 1);
	ck_assert_str_eq(l.param, "work=1ms");
	ck_assert(rw_parse_line("BenchmarkEx12/before/allgs=100000-2 1 9 "
				"ns/op",
				&l));
	ck_assert_str_eq(l.param, "allgs=100000");
	ck_assert_int_eq(l.procs, 2);
}
END_TEST

START_TEST(test_parse_plain_benchmark_is_not_an_exercise)
{
	struct rw_line l;
	struct rw_set set = {0};
	ck_assert(rw_parse_line("BenchmarkPingPong1P-2 \t 3000000 \t 401.3 "
				"ns/op",
				&l));
	ck_assert_str_eq(l.name, "PingPong1P");
	ck_assert_str_eq(l.ex, "");
	ck_assert_int_eq(l.variant, -1);
	ck_assert(!rw_set_add(&set, &l));
	/* not a variant, or a trailing slash: not an exercise either */
	ck_assert(rw_parse_line("BenchmarkEx01/middle-2 1 1 ns/op", &l));
	ck_assert_int_eq(l.variant, -1);
	ck_assert(rw_parse_line("BenchmarkEx01/before/-2 1 1 ns/op", &l));
	ck_assert_int_eq(l.variant, -1);
	rw_set_free(&set);
}
END_TEST

START_TEST(test_parse_rejects_malformed_lines)
{
	struct rw_line l;
	const char *bad[] = {
	    "",
	    "goos: linux",
	    "PASS",
	    "ok  \trttrace/workloads/go/ex\t12.3s",
	    "--- FAIL: BenchmarkEx01/before",
	    "BenchmarkEx01/before-2",		/* name alone (-v) */
	    "BenchmarkEx01/before-2 \t 100",	/* no metrics */
	    "BenchmarkEx01/before-2 x 1 ns/op", /* N not a number */
	    "BenchmarkEx01/before-2 0 1 ns/op", /* N must be > 0 */
	    "BenchmarkEx01/before-2 100 12",	/* a value without unit */
	    "BenchmarkEx01/before-2 100 abc ns/op",
	    "BenchmarkEx01/before-2 100 12 ns/op 3", /* odd pair */
	    "BenchmarkEx01/before-2 100 12 B/op",    /* no ns/op first */
	    "BenchmarkEx01/before-2 100 12 34",	     /* unit is a number */
	    "Benchmark 100 12 ns/op",		     /* no name */
	    "  BenchmarkEx01/before-2 100 12 ns/op", /* not at line start */
	    "xBenchmarkEx01/before-2 100 12 ns/op",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!rw_parse_line(bad[i], &l), "accepted \"%s\"",
			      bad[i]);
}
END_TEST

/* rtwork's own names parse back to the exercise, variant and param. */
START_TEST(test_bench_name_round_trips)
{
	const struct exercise *ex = rw_exercises[_i];
	for (int i = 0; i < rw_nparams(ex); i++) {
		const struct ex_param *p = rw_param(ex, i);
		for (int v = 0; v < EX_NVARIANTS; v++) {
			char name[RW_NAME_MAX], line[RW_NAME_MAX + 64];
			struct rw_line l;
			rw_bench_name(name, sizeof(name), ex,
				      (enum ex_variant)v, p, 2);
			snprintf(line, sizeof(line),
				 "%s\t 10\t 123.4 ns/op\t 8 B/op\t 1 "
				 "allocs/op",
				 name);
			ck_assert_msg(rw_parse_line(line, &l), "%s", line);
			ck_assert_str_eq(l.ex, ex->id);
			ck_assert_int_eq(l.variant, v);
			ck_assert_str_eq(l.param, p->name);
			ck_assert_int_eq(l.procs, 2);
		}
	}
}
END_TEST

/* ---- sample sets and reports -------------------------------------------- */

/* A fixed `go test -bench`-style output: ex03 at count 3, noise around. */
static const char sample_out[] =
    "goos: linux\n"
    "goarch: amd64\n"
    "pkg: rttrace/workloads/go/ex\n"
    "BenchmarkEx03/before-2 \t 1000 \t 900 ns/op \t 1000 timers-left \t "
    "200 B/op \t 3 allocs/op\n"
    "BenchmarkEx03/before-2 \t 1000 \t 1000 ns/op \t 1000 timers-left \t "
    "200 B/op \t 3 allocs/op\n"
    "BenchmarkEx03/before-2 \t 1000 \t 5000 ns/op \t 1000 timers-left \t "
    "200 B/op \t 3 allocs/op\n"
    "BenchmarkEx03/after-2 \t 9000 \t 100 ns/op \t 0 timers-left \t 0 "
    "B/op \t 0 allocs/op\n"
    "BenchmarkEx03/after-2 \t 9000 \t 140 ns/op \t 0 timers-left \t 0 "
    "B/op \t 0 allocs/op\n"
    "some output a benchmark printed\n"
    "PASS\n"
    "ok  \trttrace/workloads/go/ex\t3.2s\n";

START_TEST(test_set_read_takes_medians)
{
	struct rw_set set = {0};
	FILE *f = fmemopen((void *)sample_out, strlen(sample_out), "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(rw_set_read(&set, f), 5);
	fclose(f);
	ck_assert_int_eq(set.n, 2);
	struct rw_sample *b = rw_set_find(&set, "ex03", "", EX_BEFORE, false);
	struct rw_sample *a = rw_set_find(&set, "ex03", "", EX_AFTER, false);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(b->nruns, 3);
	/* odd count: the middle value, not the mean (2300) */
	ck_assert_double_eq(rw_median(b, "ns/op"), 1000);
	/* even count: the mean of the middle two */
	ck_assert_double_eq(rw_median(a, "ns/op"), 120);
	ck_assert_double_eq(rw_median(a, RW_UNIT_N), 9000);
	ck_assert(isnan(rw_median(a, "cpu-%")));
	ck_assert(isnan(rw_median(NULL, "ns/op")));
	ck_assert_ptr_null(rw_set_find(&set, "ex03", "x", EX_AFTER, false));
	rw_set_free(&set);
}
END_TEST

/* A fake exercise for the reports, so they are tested on known numbers. */
static const struct ex_param fake_params[] = {{"size=1", 1}, {"size=2", 2}};
static const struct exercise fake = {
    .id = "ex03",
    .title = "fake",
    .seed_claim = "~7.7x faster",
    .seed_ratio = 7.7,
    .rule = {"ns/op", true},
    .mechanism = "fake mechanism",
    .param_name = "size",
    .params = fake_params,
    .nparams = 2,
};

static char *report(int (*print)(FILE *, const struct exercise *,
				 struct rw_set *),
		    struct rw_set *set, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*ret = print(f, &fake, set);
	fclose(f);
	return buf;
}

START_TEST(test_table_judges_each_param)
{
	struct rw_set set = {0};
	const char *lines[] = {
	    "BenchmarkEx03/before/size=1-2 10 800 ns/op 5 timers-left 64 B/op "
	    "2 allocs/op",
	    "BenchmarkEx03/after/size=1-2 10 100 ns/op 0 timers-left 0 B/op 0 "
	    "allocs/op",
	    "BenchmarkEx03/before/size=2-2 10 110 ns/op",
	};
	for (size_t i = 0; i < 3; i++) {
		struct rw_line l;
		ck_assert(rw_parse_line(lines[i], &l));
		ck_assert(rw_set_add(&set, &l));
	}
	struct rw_sample *s =
	    rw_set_find(&set, "ex03", "size=2", EX_AFTER, true);
	snprintf(s->failure, sizeof(s->failure),
		 "killed by signal SIGSEGV (Segmentation fault)");

	int missing;
	char *out = report(rw_print_table, &set, &missing);
	ck_assert_int_eq(missing, 1);
	ck_assert_msg(strstr(out, "8.00x") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "reproduces") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "timers-left 5 → 0") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "B/op 64 → 0") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "after: killed by signal SIGSEGV") != NULL,
		      "%s", out);
	ck_assert_msg(strstr(out, "mechanism: fake mechanism") != NULL, "%s",
		      out);
	free(out);

	/* JSON: both variants of size=1, before of size=2, one failure */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct exercise *exs[] = {&fake};
	rw_print_json(f, exs, 1, &set);
	fclose(f);
	ck_assert_msg(strstr(buf, "\"ratio\": 8,") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "\"verdict\": \"reproduces\"") != NULL, "%s",
		      buf);
	ck_assert_msg(strstr(buf, "\"figures\": {\"timers-left\": 5}") != NULL,
		      "%s", buf);
	ck_assert_msg(strstr(buf, "\"ratio\": null, \"ratio_str\": \"-\"") !=
			  NULL,
		      "%s", buf);
	ck_assert_msg(strstr(buf, "\"error\": \"killed by signal SIGSEGV") !=
			  NULL,
		      "%s", buf);
	free(buf);
	rw_set_free(&set);
}
END_TEST

START_TEST(test_compare_puts_ratios_side_by_side)
{
	struct rw_set librt = {0}, go = {0};
	struct rw_line l;
	ck_assert(
	    rw_parse_line("BenchmarkEx03/before/size=1-2 1 900 ns/op", &l));
	rw_set_add(&librt, &l);
	ck_assert(
	    rw_parse_line("BenchmarkEx03/after/size=1-2 1 100 ns/op", &l));
	rw_set_add(&librt, &l);
	ck_assert(
	    rw_parse_line("BenchmarkEx03/before/size=1-2 1 200 ns/op", &l));
	rw_set_add(&go, &l);
	ck_assert(
	    rw_parse_line("BenchmarkEx03/after/size=1-2 1 100 ns/op", &l));
	rw_set_add(&go, &l);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct exercise *exs[] = {&fake};
	int missing = rw_print_compare(f, exs, 1, &librt, &go);
	fclose(f);
	ck_assert_int_eq(missing, 1); /* size=2 has neither */
	/* librt 9x, Go 2x: ratio of ratios 4.5x; seed 7.7x: S/3 = 2.57, so
	 * librt reproduces and Go is weaker */
	ck_assert_msg(strstr(buf, "9.00x") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "2.00x") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "4.50x") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "reproduces") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "weaker") != NULL, "%s", buf);
	free(buf);
	rw_set_free(&librt);
	rw_set_free(&go);
}
END_TEST

static Suite *exercises_suite(void)
{
	Suite *s = suite_create("exercises");
	TCase *tc = tcase_create("agree");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_loop_test(tc, test_before_and_after_agree, 0, npairs());
	suite_add_tcase(s, tc);

	tc = tcase_create("descriptors");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_loop_test(tc, test_descriptor_is_complete, 0, EX_COUNT);
	tcase_add_loop_test(tc, test_variants_report_the_rule_metric, 0,
			    npairs());
	tcase_add_loop_test(tc, test_bench_name_round_trips, 0, EX_COUNT);
	tcase_add_test(tc, test_find_exercise_spellings);
	suite_add_tcase(s, tc);

	tc = tcase_create("verdict");
	tcase_add_test(tc, test_verdict_ratio_orientation);
	tcase_add_test(tc, test_verdict_boundaries_with_a_seed_ratio);
	tcase_add_test(tc, test_verdict_noise_floor_beats_a_small_seed_ratio);
	tcase_add_test(tc, test_verdict_qualitative_claim);
	tcase_add_test(tc, test_verdict_infinite_seed_ratio);
	suite_add_tcase(s, tc);

	tc = tcase_create("parser");
	tcase_add_test(tc, test_parse_go_line_with_param_and_procs);
	tcase_add_test(tc, test_parse_line_extra_metrics_without_param);
	tcase_add_test(tc, test_parse_line_without_procs_suffix);
	tcase_add_test(tc, test_parse_plain_benchmark_is_not_an_exercise);
	tcase_add_test(tc, test_parse_rejects_malformed_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("reports");
	tcase_add_test(tc, test_set_read_takes_medians);
	tcase_add_test(tc, test_table_judges_each_param);
	tcase_add_test(tc, test_compare_puts_ratios_side_by_side);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_suite_main(exercises_suite());
}

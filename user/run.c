/*
 * run.c — `rttrace run EX`: one of the seed's exercises, before and after,
 * with the runtime events that explain the difference.
 *
 * For each parameter and variant it runs `rtwork EX VARIANT [--param P]
 * -benchtime D` twice:
 *
 *   1. traced from exec, as `rttrace trace` runs a program (trace_program):
 *      the benchmark line rtwork prints, every probe that fired with its
 *      rate, and the report's sections — those that show the exercise's
 *      mechanism first (the leads table), then the rest;
 *   2. untraced, with --json, for the honest figures: ns/op and the
 *      exercise's own metric without uprobes, the verdict rule, the seed's
 *      claim and ratio. traced/untraced ns/op is the tracing overhead.
 *
 * With both variants it then compares: the ratio of the exercise's metric
 * (untraced, oriented as verdict.h's M: > 1 means the after is better)
 * beside the seed's, the verdict, and the event rates that changed by more
 * than 2x or from or to zero — the mechanism, measured — with the stops of
 * the world, GC cycles and allocations before → after.
 *
 * rtwork owns the exercises (ids, sweeps, claims, rules); rttrace reads
 * them from `rtwork list` and from rtwork's --json rather than keeping a
 * copy, and judges with the same verdict.h.
 *
 * The report of each traced run is kept as the text and the JSON that
 * `rttrace trace` would print (sched_report_text/_json on a memory
 * stream): run only orders the text's sections and nests the JSON, so the
 * two reports cannot disagree.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../workloads/verdict.h"
#include "json.h"
#include "pprof.h"
#include "privilege.h"
#include "probe_names.h"
#include "rttrace.h"
#include "run.h"
#include "tracer.h"

const char *const variant_names[VAR_NUM] = {"before", "after"};

static struct run_env {
	const char *ex_arg;
	const char *variant; /* before, after, both */
	const char *param;   /* NULL: the first; "all": every one */
	const char *benchtime;
	bool as_root;
	bool rt_stats;
	struct tracer_opts report;
} env = {.variant = "both", .benchtime = "1s"};

static const char doc[] =
    "Run one of the seed's exercises before and after its fix, traced, "
    "and show the runtime events that explain the difference.\n"
    "\n"
    "USAGE: rttrace run EXERCISE [OPTIONS]\n"
    "\n"
    "For each variant: rtwork's benchmark line, the events per second of "
    "every probe that fired, and the report's histograms, those that show "
    "the exercise's mechanism first. Each variant also runs once "
    "untraced, for the figures the comparison uses and for the tracing "
    "overhead (traced/untraced ns/op). With both variants: the ratio of "
    "the exercise's metric beside the seed's claim, the verdict "
    "(reproduces, stronger, weaker, does not reproduce), and the event "
    "rates that changed more than 2x or from or to zero.\n"
    "\n"
    "Under sudo the workload runs as the invoking user (SUDO_UID), unless "
    "--as-root. `rttrace list` names the exercises.\n"
    "\n"
    "Exit status: 0; 1 if rttrace could not trace or a workload failed "
    "(what was gathered is printed); 2 for a bad command line; 130 after "
    "Ctrl-C.\n"
    "\n"
    "EXAMPLES:\n"
    "  sudo rttrace run ex03                      # before and after\n"
    "  sudo rttrace run ex09 --param all          # every buffer size\n"
    "  sudo rttrace run ex02 --variant before --live\n"
    "  sudo rttrace run ex06 --benchtime 200ms --json > ex06.json\n"
    "\n"
    "OPTIONS:";

static const struct argp_option opts[] = {
    {"variant", OPT_VARIANT, "V", 0, "before, after or both (default both)", 0},
    {"param", OPT_PARAM, "NAME", 0,
     "One value of the exercise's sweep, or all (default: the first)", 0},
    {"benchtime", OPT_BENCHTIME, "D", 0,
     "Each run's benchmark time: 1s (default), 200ms, 100x", 0},
    {"as-root", OPT_AS_ROOT, NULL, 0,
     "Under sudo, run the workload as root, not as the invoking user", 0},
    {"rt-stats", OPT_RT_STATS, NULL, OPTION_HIDDEN,
     "RT_STATS=1 for the traced runs: librt's counts on stderr", 0},
    RT_REPORT_OPTIONS,
    RT_GLOBAL_OPTIONS,
    {},
};

/* valid_benchtime: Go's durations (parse_duration) or a count "Nx". */
bool valid_benchtime(const char *s)
{
	double sec;
	char *end;
	long n;

	if (!*s || strpbrk(s, " \t"))
		return false;
	if (s[strlen(s) - 1] == 'x') {
		errno = 0;
		n = strtol(s, &end, 10);
		return !errno && n > 0 && end == s + strlen(s) - 1;
	}
	/* rtwork takes a unit; a bare number would mean nothing to it */
	return strpbrk(s, "smunh") && parse_duration(s, &sec);
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_VARIANT:
		if (strcmp(arg, "before") && strcmp(arg, "after") &&
		    strcmp(arg, "both"))
			argp_error(state,
				   "invalid --variant: %s (write before, "
				   "after or both)",
				   arg);
		env.variant = arg;
		break;
	case OPT_PARAM:
		env.param = arg;
		break;
	case OPT_BENCHTIME:
		if (!valid_benchtime(arg))
			argp_error(state,
				   "invalid --benchtime: %s (write a duration "
				   "such as 1s or 200ms, or a count such as "
				   "100x)",
				   arg);
		env.benchtime = arg;
		break;
	case OPT_AS_ROOT:
		env.as_root = true;
		break;
	case OPT_RT_STATS:
		env.rt_stats = true;
		break;
	case ARGP_KEY_ARG:
		if (env.ex_arg)
			argp_error(state, "unexpected argument: %s", arg);
		env.ex_arg = arg;
		break;
	case ARGP_KEY_END:
		if (!env.ex_arg)
			argp_error(state, "no EXERCISE given (rttrace list "
					  "names them)");
		tracer_check_opts(state, &env.report);
		break;
	default:
		return tracer_parse_opt(key, arg, state, &env.report);
	}
	return 0;
}

static const struct argp argp = {
    .options = opts,
    .parser = parse_arg,
    .args_doc = "EXERCISE",
    .doc = doc,
};

/* ---- the exercises, from rtwork ------------------------------------------ */

/* field copies the next column of a `rtwork list` line (columns are
 * separated by two spaces or more) into buf; returns what follows. */
static const char *field(const char *p, char *buf, size_t len)
{
	const char *end = strstr(p, "  ");
	size_t n = end ? (size_t)(end - p) : strlen(p);

	snprintf(buf, len, "%.*s", (int)n, p);
	if (!end)
		return p + n;
	while (*end == ' ')
		end++;
	return end;
}

/* split_params fills ex->params from a comma-separated sweep. */
static void split_params(struct exercise *ex, const char *sweep)
{
	const char *p = sweep;

	ex->nparams = 0;
	if (strcmp(sweep, "-") == 0)
		return;
	while (*p && ex->nparams < MAX_PARAMS) {
		const char *c = strchrnul(p, ',');

		snprintf(ex->params[ex->nparams++], sizeof(ex->params[0]),
			 "%.*s", (int)(c - p), p);
		p = *c ? c + 1 : c;
	}
}

/*
 * find_exercise matches the user's EX ("ex03", "Ex3", "03", "3") among
 * rtwork's; NULL after printing the valid ones.
 */
const struct exercise *find_exercise(const struct exercise *exs, int n,
				     const char *arg)
{
	const char *digits = arg;
	char want[EX_ID_LEN], *end;
	char valid[256] = "";
	long num;

	if (strncasecmp(arg, "ex", 2) == 0)
		digits += 2;
	errno = 0;
	num = strtol(digits, &end, 10);
	if (!errno && *digits && !*end && num > 0 && num < 100) {
		snprintf(want, sizeof(want), "ex%02ld", num);
		for (int i = 0; i < n; i++)
			if (strcmp(exs[i].id, want) == 0)
				return &exs[i];
	}
	for (int i = 0; i < n; i++) {
		if (strlen(valid) + sizeof(exs[i].id) + 2 >= sizeof(valid))
			break;
		if (i)
			strcat(valid, ", ");
		strcat(valid, exs[i].id);
	}
	rt_errorf("unknown exercise '%s': valid ones are %s (rttrace list "
		  "describes them)",
		  arg, valid);
	return NULL;
}

/* ---- what leads each exercise's report ------------------------------------
 */

/*
 * The report sections (by the start of their title) that show each
 * exercise's mechanism — the seed's "why faster" — printed first; the
 * others follow in the report's order.
 */
static const struct lead leads[] = {
    /* a channel send per increment: sends, blocking, wakeups */
    {"ex01",
     {"channels:", "channels by time blocked", "park duration, reason = chan",
      "scheduler latency"}},
    /* select with default spins: selects, their outcomes, parks */
    {"ex02", {"select:", "select duration", "park duration"}},
    /* time.After: a timer and a channel allocated per iteration */
    {"ex03",
     {"timers:", "timer heap length", "timer lateness",
      "allocations (mallocgc)", "GC cycle"}},
    /* defer in a loop: deferproc records and deferreturn runs */
    {"ex04", {"defer, panic", "calls run per deferreturn"}},
    /* a goroutine per item: creation and scheduling latency */
    {"ex05", {"goroutines:", "scheduler latency", "park duration"}},
    /* runtime.GC per request: stops of the world and cycles */
    {"ex06", {"STW pause", "GC cycle", "heap:"}},
    /* Gosched: the global queue and the latency back to a P */
    {"ex07", {"scheduler latency", "park duration"}},
    /* LockOSThread: handoffs between threads show as latency */
    {"ex08", {"scheduler latency", "park duration", "channels:"}},
    /* 64 KiB buffers: the large-object path, GC cycles, the pool */
    {"ex09",
     {"allocations (mallocgc)", "allocations per size class", "GC cycle",
      "STW pause", "sync.Pool"}},
    /* finalizers: GC cycles decide when files close */
    {"ex10", {"finalizers run", "GC cycle", "allocations (mallocgc)"}},
    /* interface boxing: convT and its allocations */
    {"ex11",
     {"interface boxing", "allocations (mallocgc)",
      "allocations per size class"}},
    /* NumGoroutine: gcount's cost and result */
    {"ex12", {"NumGoroutine", "STW pause"}},
    /* ReadMemStats: a stop of the world per call */
    {"ex13", {"STW pause", "GC cycle"}},
    /* Stack(all): a stop of the world per call */
    {"ex14", {"STW pause", "scheduler latency"}},
};

const struct lead *find_lead(const char *id)
{
	for (size_t i = 0; i < sizeof(leads) / sizeof(leads[0]); i++)
		if (strcmp(leads[i].ex, id) == 0)
			return &leads[i];
	return NULL;
}

/* rule_value is the exercise's metric in v's untraced run; NAN if none. */
static double rule_value(const struct variant_run *v)
{
	if (!v->untraced_ok)
		return NAN;
	if (strcmp(v->rule_metric, "ns/op") == 0 || !v->rule_metric[0])
		return v->ns_op;
	for (int i = 0; i < v->nfig; i++)
		if (strcmp(v->fig[i].unit, v->rule_metric) == 0)
			return v->fig[i].value;
	return NAN;
}

/* traced_ns_op is the traced run's ns/op; NAN if its line is missing. */
double traced_ns_op(const struct variant_run *v)
{
	for (int i = 0; i < v->nm; i++)
		if (strcmp(v->m[i].unit, "ns/op") == 0)
			return v->m[i].value;
	return NAN;
}

/* ---- running a variant -----------------------------------------------------
 */

/* timeline_json adds --timeline's goroutine analysis, --kernel's
 * "kernel" key and --blocking's "blocking" to the JSON report; arg is the
 * tracer. */
static void timeline_json(struct json *j, void *arg)
{
	struct tracer *tr = arg;

	timeline_report_json(j, &tr->timeline);
	kernel_json_key(j, &tr->kernel);
	block_json_key(j, &tr->block);
}

/* keep_report is trace_program's report: read the maps, keep both forms. */
static int keep_report(struct tracer *tr, const struct sched_target *t,
		       void *ctx)
{
	struct variant_run *v = ctx;
	size_t len;
	FILE *f;
	int err;

	v->d = calloc(1, sizeof(*v->d));
	if (!v->d)
		return -ENOMEM;
	/* the report names the sampling periods the run ended with */
	sample_stop(&tr->sample);
	err = tracer_read(tr, v->d);
	if (err)
		return err;
	/* --timeline, --goroutines: this variant's file and analysis */
	err = timeline_finish(&tr->timeline);
	if (err)
		return err;
	f = open_memstream(&v->text, &len);
	if (!f)
		return -errno;
	sched_report_text(f, t, v->d, env.report.nsec);
	timeline_report_text(f, &tr->timeline);
	kernel_print(f, &tr->kernel); /* --kernel: "kernel: Ms off-CPU" */
	fclose(f);
	f = open_memstream(&v->json, &len);
	if (!f)
		return -errno;
	sched_report_json_with(f, t, v->d, env.report.nsec, timeline_json, tr);
	fclose(f);
	report_warnings(&tr->sched, v->d);
	block_report_warnings(&tr->block); /* --blocking's losses */
	v->t = *t;
	/* the CPU samples, for the exporters and `rttrace report` */
	if (tr->prof.skel && profile_collect(&tr->prof, &v->prof) == 0)
		v->profiled = true;
	/* --pprof: this variant's profile, FILE-before.pb.gz … */
	err = pprof_export(tr, v->profiled ? &v->prof : NULL, t, &env.report,
			   v->flame_label);
	if (err)
		return err;
	/* --flamegraph, --folded: this variant's files, kept for the diff */
	if (flame_wanted(&env.report))
		return flame_export(tr, v->profiled ? &v->prof : NULL, t,
				    &env.report, v->flame_label, &v->flame);
	return 0;
}

/*
 * rtwork_argv builds `rtwork EX VARIANT [--param P] -benchtime D
 * [--json]` in args (room for 10).
 */
static void rtwork_argv(char **args, char *rtwork, const struct exercise *ex,
			int var, const char *param, bool json)
{
	int n = 0;

	args[n++] = rtwork;
	args[n++] = (char *)ex->id;
	args[n++] = (char *)variant_names[var];
	if (param) {
		args[n++] = "--param";
		args[n++] = (char *)param;
	}
	args[n++] = "-benchtime";
	args[n++] = (char *)env.benchtime;
	if (json)
		args[n++] = "--json";
	args[n] = NULL;
}

/* describe_end says how a run ended, for an error line. */
static void describe_end(char *buf, size_t len, const struct sched_target *t,
			 int status)
{
	if (t->state == TARGET_SIGNALLED)
		snprintf(buf, len, "was killed by SIG%s (%s)",
			 sigabbrev_np(t->status) ?: "?", strsignal(t->status));
	else if (t->state == TARGET_EXITED)
		snprintf(buf, len, "exited with status %d", t->status);
	else if (t->interrupted)
		snprintf(buf, len, "was interrupted");
	else
		snprintf(buf, len, "failed (rttrace status %d)", status);
}

/*
 * run_variant runs one variant traced, then untraced. Returns false if
 * either failed or Ctrl-C was hit; what was gathered stays in v.
 */
bool run_variant(char *rtwork, const struct exercise *ex, int var,
		 const char *param, struct variant_run *v)
{
	char *args[12], *out = NULL, why[128];
	char *env_add[] = {"RT_STATS=1", NULL};
	struct launch l = {
	    .argv = args,
	    .env_add = env.rt_stats ? env_add : NULL,
	    .stderr_fd = -1,
	    .as_root = env.as_root,
	    .quiet = true,
	};
	struct sched_target ut;
	struct tracer_opts topts = env.report;
	char *timeline = NULL;
	FILE *f;
	int fd;

	v->ran = true;
	/* a sweep of every parameter names each one's flamegraphs */
	snprintf(v->flame_label, sizeof(v->flame_label), "%s%s%s",
		 variant_names[var],
		 param && env.param && !strcmp(env.param, "all") ? "-" : "",
		 param && env.param && !strcmp(env.param, "all") ? param : "");
	v->ns_op = NAN;
	v->seed_ratio = NAN;
	fd = memfd_create("rtwork-out", MFD_CLOEXEC);
	if (fd < 0) {
		rt_errorf("memfd_create: %s", strerror(errno));
		return false;
	}
	rtwork_argv(args, rtwork, ex, var, param, false);
	l.stdout_fd = fd;
	fprintf(stderr, "rttrace: %s %s%s%s: traced run, -benchtime %s...\n",
		ex->id, variant_names[var], param ? " " : "", param ?: "",
		env.benchtime);
	/* --timeline: each variant its own file, FILE-before.json … */
	if (env.report.timeline) {
		timeline =
		    timeline_variant_path(env.report.timeline, v->flame_label);
		if (!timeline) {
			rt_errorf("out of memory");
			close(fd);
			return false;
		}
		topts.timeline = timeline;
	}
	v->trace_status = trace_program(&l, &topts, keep_report, v, &v->t);
	free(timeline);
	/* rtwork's stdout: the benchmark line */
	f = fdopen(fd, "r");
	if (f) {
		long size = lseek(fd, 0, SEEK_END);

		rewind(f);
		out = calloc(1, size > 0 ? (size_t)size + 1 : 1);
		if (out && size > 0 &&
		    fread(out, 1, (size_t)size, f) != (size_t)size)
			out[0] = '\0';
		fclose(f);
	} else {
		close(fd);
	}
	v->traced_ok =
	    v->trace_status == 0 && out && run_parse_bench_line(out, v);
	if (!v->traced_ok && v->t.interrupted)
		run_parse_bench_line(out ?: "", v);
	free(out);
	if (!v->traced_ok) {
		describe_end(why, sizeof(why), &v->t, v->trace_status);
		if (!trace_exiting())
			rt_errorf("%s %s: the traced workload %s; what was "
				  "gathered is reported",
				  ex->id, variant_names[var], why);
		return false;
	}
	if (trace_exiting())
		return false;

	rtwork_argv(args, rtwork, ex, var, param, true);
	l.env_add = NULL; /* RT_STATS is for the traced run's counts */
	fprintf(stderr, "rttrace: %s %s%s%s: untraced run...\n", ex->id,
		variant_names[var], param ? " " : "", param ?: "");
	v->untraced_status = capture_output(&l, &out, &ut);
	v->untraced_ok =
	    v->untraced_status == 0 && run_parse_rtwork_json(out, v);
	free(out);
	if (!v->untraced_ok) {
		describe_end(why, sizeof(why), &ut, v->untraced_status);
		if (!trace_exiting())
			rt_errorf("%s %s: the untraced workload %s", ex->id,
				  variant_names[var], why);
		return false;
	}
	return !trace_exiting();
}

/* ---- text ------------------------------------------------------------------
 */

/* si formats v with k, M, G as people read rates. */
static const char *si(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.1fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (v == 0 || v >= 10)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.2g", v);
	return buf;
}

double rate_of(const struct variant_run *v, int id)
{
	return v->d && v->t.wall_s > 0 ? v->d->sched.counts[id] / v->t.wall_s
				       : 0;
}

static void print_rates(const struct variant_run *v)
{
	char b[32];

	printf("\nevents per second (probes that fired, %.3f s traced):\n",
	       v->t.wall_s);
	printf("    %-14s %14s %10s\n", "probe", "count", "rate/s");
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		if (!v->d->sched.counts[id])
			continue;
		printf("    %-14s %14llu %10s\n", probe_name(id),
		       (unsigned long long)v->d->sched.counts[id],
		       si(b, sizeof(b), rate_of(v, id)));
	}
}

/*
 * print_sections prints the report's sections (blocks after a blank
 * line), the exercise's leads first; the header and the full events table
 * are left out (print_rates has the probes that fired).
 */
static void print_sections(const char *text, const struct lead *lead)
{
	const char *blocks[256];
	size_t lens[256];
	bool done[256] = {false};
	int n = 0;

	for (const char *p = strstr(text, "\n\n"); p && n < 256;) {
		const char *start = p + 2, *next = strstr(start, "\n\n");

		blocks[n] = start;
		lens[n] = next ? (size_t)(next - start) : strlen(start);
		/* print_variant has these */
		if (strncmp(start, "events per probe:", 17) == 0 ||
		    strncmp(start, "sampling:", 9) == 0)
			done[n] = true;
		n++;
		p = next;
	}
	for (int i = 0; i < n; i++)
		while (lens[i] > 0 && blocks[i][lens[i] - 1] == '\n')
			lens[i]--;
	for (int k = 0; lead && k < 8 && lead->sections[k]; k++)
		for (int i = 0; i < n; i++)
			if (!done[i] &&
			    strncmp(blocks[i], lead->sections[k],
				    strlen(lead->sections[k])) == 0) {
				printf("\n%.*s\n", (int)lens[i], blocks[i]);
				done[i] = true;
			}
	for (int i = 0; i < n; i++)
		if (!done[i])
			printf("\n%.*s\n", (int)lens[i], blocks[i]);
}

static void print_variant(const struct exercise *ex, const char *param, int var,
			  const struct variant_run *v)
{
	double tr = traced_ns_op(v);

	printf("\n==== %s %s%s%s ====\n", ex->id, variant_names[var],
	       param ? " " : "", param ?: "");
	if (v->line[0])
		printf("%s\n", v->line);
	else {
		char why[128];

		describe_end(why, sizeof(why), &v->t, v->trace_status);
		printf("(no benchmark line: the workload %s)\n", why);
	}
	if (v->untraced_ok)
		printf("untraced: %.1f ns/op; traced/untraced %.2fx\n",
		       v->ns_op, tr / v->ns_op);
	if (!v->d)
		return;
	sample_print(stdout, &v->d->sample,
		     v->t.state == TARGET_EXITED ? NULL
						 : "it did not run to its end");
	print_rates(v);
	print_sections(v->text, find_lead(ex->id));
}

/* stw_stats sums the STW histograms: stops, and the longest pause (exact:
 * the BPF side keeps each histogram's max) in the report's unit. */
void stw_stats(const struct variant_run *v, uint64_t *stops, double *max_pause)
{
	uint64_t max_ns = 0;

	*stops = 0;
	*max_pause = 0;
	if (!v->d || !v->d->has_mem)
		return;
	for (int r = 0; r < MEM_STW_SLOTS; r++) {
		const struct log2_hist *h = &v->d->mem.stw[r];

		*stops += h->count;
		if (h->max > max_ns)
			max_ns = h->max;
	}
	*max_pause = env.report.nsec ? (double)max_ns : max_ns / 1000.0;
}

struct comparison compare(const struct variant_run v[VAR_NUM])
{
	struct comparison c = {.ratio = NAN, .seed = v[VAR_BEFORE].seed_ratio};

	c.before = rule_value(&v[VAR_BEFORE]);
	c.after = rule_value(&v[VAR_AFTER]);
	c.ratio =
	    verdict_ratio(c.before, c.after, v[VAR_BEFORE].higher_is_worse);
	/* rtwork gives 0 for a claim without a number (S == 0) */
	c.verdict = verdict_judge(c.ratio, isnan(c.seed) ? 0 : c.seed);
	if (isnan(c.ratio))
		c.verdict = VERDICT_NO_DATA;
	return c;
}

/* rate_changed: more than RATE_CHANGE either way, or from or to zero. */
bool rate_changed(double a, double b)
{
	if ((a == 0) != (b == 0))
		return true;
	if (a == 0)
		return false;
	return a / b > RATE_CHANGE || b / a > RATE_CHANGE;
}

static void print_comparison(const struct exercise *ex, const char *param,
			     const struct variant_run v[VAR_NUM])
{
	struct comparison c = compare(v);
	const char *unit =
	    v[VAR_BEFORE].rule_metric[0] ? v[VAR_BEFORE].rule_metric : "ns/op";
	char a[32], b[32];
	uint64_t stops[VAR_NUM];
	double maxp[VAR_NUM];
	const char *tu = env.report.nsec ? "ns" : "µs";

	printf("\n==== %s%s%s: before → after ====\n", ex->id, param ? " " : "",
	       param ?: "");
	printf("%s — %s\n", ex->id, ex->title);
	printf("  %s (untraced): %.4g → %.4g: %s%.2fx%s\n", unit, c.before,
	       c.after, "", c.ratio,
	       isinf(c.ratio) ? " (the after's is 0)" : " (> 1: after better)");
	printf("  seed: %s", ex->claim);
	if (!isnan(c.seed) && c.seed > 0)
		printf(" (%.4gx)", c.seed);
	printf("\n  verdict: %s\n", verdict_string(c.verdict));
	if (v[VAR_BEFORE].mechanism[0])
		printf("  why: %s\n", v[VAR_BEFORE].mechanism);
	printf(
	    "  overhead (traced/untraced ns/op): before %.2fx, after %.2fx\n",
	    traced_ns_op(&v[VAR_BEFORE]) / v[VAR_BEFORE].ns_op,
	    traced_ns_op(&v[VAR_AFTER]) / v[VAR_AFTER].ns_op);

	printf("\n  event rates that changed (> %.0fx, or from or to 0):\n",
	       RATE_CHANGE);
	int shown = 0;
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		double rb = rate_of(&v[VAR_BEFORE], id);
		double ra = rate_of(&v[VAR_AFTER], id);

		if (!rate_changed(rb, ra))
			continue;
		printf("    %-14s %8s/s → %s/s\n", probe_name(id),
		       si(a, sizeof(a), rb), si(b, sizeof(b), ra));
		shown++;
	}
	if (!shown)
		printf("    (none)\n");

	for (int i = 0; i < VAR_NUM; i++)
		stw_stats(&v[i], &stops[i], &maxp[i]);
	printf(
	    "\n  stops of the world: %llu (%s/s)", (unsigned long long)stops[0],
	    si(a, sizeof(a), v[0].t.wall_s > 0 ? stops[0] / v[0].t.wall_s : 0));
	if (stops[0])
		printf(", max pause %.0f %s", maxp[0], tu);
	printf(
	    " → %llu (%s/s)", (unsigned long long)stops[1],
	    si(b, sizeof(b), v[1].t.wall_s > 0 ? stops[1] / v[1].t.wall_s : 0));
	if (stops[1])
		printf(", max pause %.0f %s\n", maxp[1], tu);
	else
		printf(", max pause —\n");
	printf("  GC cycles: %llu → %llu\n",
	       (unsigned long long)v[0].d->sched.counts[RT_PROBE_ID_gc_start],
	       (unsigned long long)v[1].d->sched.counts[RT_PROBE_ID_gc_start]);
	printf("  allocations: %llu (%s/s",
	       (unsigned long long)v[0].d->sched.counts[RT_PROBE_ID_mallocgc],
	       si(a, sizeof(a), rate_of(&v[0], RT_PROBE_ID_mallocgc)));
	printf(", %s B) → %llu (%s/s",
	       si(b, sizeof(b),
		  v[0].d->has_mem ? v[0].d->mem.sums[MEM_SUM_ALLOC_BYTES] : 0),
	       (unsigned long long)v[1].d->sched.counts[RT_PROBE_ID_mallocgc],
	       si(a, sizeof(a), rate_of(&v[1], RT_PROBE_ID_mallocgc)));
	printf(", %s B)\n",
	       si(b, sizeof(b),
		  v[1].d->has_mem ? v[1].d->mem.sums[MEM_SUM_ALLOC_BYTES] : 0));
}

/* ---- JSON ------------------------------------------------------------------
 */

static void json_num_or_null(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}

static void json_variant(struct json *j, const struct variant_run *v)
{
	double tr = traced_ns_op(v);

	json_object_begin(j);
	json_key(j, "benchmark");
	json_object_begin(j);
	json_key(j, "line");
	json_string(j, v->line);
	json_key(j, "name");
	json_string(j, v->name);
	json_key(j, "n");
	json_int(j, v->n);
	json_key(j, "metrics");
	json_object_begin(j);
	for (int i = 0; i < v->nm; i++) {
		json_key(j, v->m[i].unit);
		json_double(j, v->m[i].value);
	}
	json_object_end(j);
	json_object_end(j);
	json_key(j, "ns_per_op");
	json_object_begin(j);
	json_num_or_null(j, "traced", tr);
	json_num_or_null(j, "untraced", v->untraced_ok ? v->ns_op : NAN);
	json_object_end(j);
	json_num_or_null(j, "overhead", v->untraced_ok ? tr / v->ns_op : NAN);
	json_key(j, "untraced_figures");
	json_object_begin(j);
	for (int i = 0; i < v->nfig; i++) {
		json_key(j, v->fig[i].unit);
		json_double(j, v->fig[i].value);
	}
	json_object_end(j);
	json_key(j, "ok");
	json_bool(j, v->traced_ok && v->untraced_ok);
	/* the trace report, as `rttrace trace --json` prints it */
	json_key(j, "trace");
	if (v->json)
		json_raw(j, v->json);
	else
		json_null(j);
	json_object_end(j);
}

static void json_comparison(struct json *j, const struct variant_run v[VAR_NUM])
{
	struct comparison c = compare(v);
	uint64_t stops[VAR_NUM];
	double maxp[VAR_NUM];

	json_object_begin(j);
	json_key(j, "metric");
	json_string(j, v[VAR_BEFORE].rule_metric);
	json_num_or_null(j, "before", c.before);
	json_num_or_null(j, "after", c.after);
	json_num_or_null(j, "ratio", c.ratio);
	json_num_or_null(j, "seed_ratio", c.seed);
	json_key(j, "verdict");
	json_string(j, verdict_string(c.verdict));
	json_key(j, "rates_changed");
	json_array_begin(j);
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		double rb = rate_of(&v[VAR_BEFORE], id);
		double ra = rate_of(&v[VAR_AFTER], id);

		if (!rate_changed(rb, ra))
			continue;
		json_object_begin(j);
		json_key(j, "probe");
		json_string(j, probe_name(id));
		json_num_or_null(j, "before_per_s", rb);
		json_num_or_null(j, "after_per_s", ra);
		json_object_end(j);
	}
	json_array_end(j);
	for (int i = 0; i < VAR_NUM; i++)
		stw_stats(&v[i], &stops[i], &maxp[i]);
	json_key(j, "stw");
	json_object_begin(j);
	for (int i = 0; i < VAR_NUM; i++) {
		json_key(j, variant_names[i]);
		json_object_begin(j);
		json_key(j, "stops");
		json_uint(j, stops[i]);
		json_key(j, "max_pause_below");
		json_double(j, stops[i] ? maxp[i] : NAN);
		json_key(j, "unit");
		json_string(j, env.report.nsec ? "nsecs" : "usecs");
		json_object_end(j);
	}
	json_object_end(j);
	json_object_end(j);
}

/* ---- the command -----------------------------------------------------------
 */

struct param_run {
	const char *param;
	struct variant_run v[VAR_NUM];
};

void run_variant_free(struct variant_run *v)
{
	free(v->d);
	free(v->text);
	free(v->json);
	profile_result_free(&v->prof);
	flame_run_free(&v->flame);
	v->d = NULL;
	v->text = v->json = NULL;
	v->profiled = false;
}

static void free_run(struct param_run *pr)
{
	for (int i = 0; i < VAR_NUM; i++)
		run_variant_free(&pr->v[i]);
}

void run_configure(const char *benchtime, bool as_root,
		   const struct tracer_opts *o)
{
	env.benchtime = benchtime;
	env.as_root = as_root;
	env.report = *o;
}

int run_load_exercises(char *rtwork, struct exercise *exs, int max)
{
	char *list = NULL, *list_args[3] = {rtwork, "list", NULL};
	struct launch l = {
	    .argv = list_args,
	    .stdout_fd = -1,
	    .stderr_fd = -1,
	    .as_root = env.as_root,
	};
	struct sched_target t;
	int nex = 0;

	if (capture_output(&l, &list, &t) || !list) {
		rt_errorf("`%s list` failed: rebuild rtwork with `make`",
			  rtwork);
		free(list);
		return -1;
	}
	for (char *line = strtok(list, "\n"); line && nex < max;
	     line = strtok(NULL, "\n")) {
		char sweep[512];
		const char *p = line;

		memset(&exs[nex], 0, sizeof(exs[nex]));
		p = field(p, exs[nex].id, sizeof(exs[nex].id));
		p = field(p, exs[nex].title, sizeof(exs[nex].title));
		p = field(p, sweep, sizeof(sweep));
		if (strncmp(p, "seed: ", 6) == 0)
			p += 6;
		snprintf(exs[nex].claim, sizeof(exs[nex].claim), "%s", p);
		split_params(&exs[nex], sweep);
		nex++;
	}
	free(list);
	return nex;
}

int cmd_run(int argc, char **argv)
{
	char rtwork[PATH_MAX];
	struct exercise exs[MAX_EXERCISES];
	const struct exercise *ex;
	struct param_run runs[MAX_PARAMS];
	int nex, nparams, first_var, last_var, ret = 0, nruns = 0;
	bool failed = false;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return RTTRACE_EXIT_USAGE;

	if (rtwork_path(rtwork, sizeof(rtwork)))
		return RTTRACE_EXIT_FAIL;
	nex = run_load_exercises(rtwork, exs, MAX_EXERCISES);
	if (nex < 0)
		return RTTRACE_EXIT_FAIL;
	ex = find_exercise(exs, nex, env.ex_arg);
	if (!ex)
		return RTTRACE_EXIT_USAGE;

	nparams = 1;
	runs[0].param = ex->nparams ? ex->params[0] : NULL;
	if (env.param && strcmp(env.param, "all") == 0) {
		nparams = ex->nparams ? ex->nparams : 1;
		for (int i = 0; i < ex->nparams; i++)
			runs[i].param = ex->params[i];
	} else if (env.param) {
		int i;

		for (i = 0; i < ex->nparams; i++)
			if (strcmp(ex->params[i], env.param) == 0)
				break;
		if (!ex->nparams) {
			rt_errorf("%s sweeps no parameter: drop --param %s",
				  ex->id, env.param);
			return RTTRACE_EXIT_USAGE;
		}
		if (i == ex->nparams) {
			char names[512] = "";

			for (int k = 0; k < ex->nparams; k++) {
				size_t o = strlen(names);

				snprintf(names + o, sizeof(names) - o, "%s%s",
					 k ? ", " : "", ex->params[k]);
			}
			rt_errorf("%s has no parameter '%s': write --param "
				  "with one of %s, or all",
				  ex->id, env.param, names);
			return RTTRACE_EXIT_USAGE;
		}
		runs[0].param = ex->params[i];
	}
	first_var = strcmp(env.variant, "after") == 0 ? VAR_AFTER : VAR_BEFORE;
	last_var = strcmp(env.variant, "before") == 0 ? VAR_BEFORE : VAR_AFTER;

	if (preflight_privileges() || preflight_btf())
		return RTTRACE_EXIT_FAIL;
	/* each traced run attaches; an untraced run follows the last */
	privilege_plan((unsigned int)(nparams * (last_var - first_var + 1)),
		       true);

	for (int p = 0; p < nparams && !trace_exiting(); p++) {
		struct param_run *pr = &runs[p];

		memset(pr->v, 0, sizeof(pr->v));
		nruns++;
		for (int var = first_var; var <= last_var; var++) {
			if (!run_variant(rtwork, ex, var, pr->param,
					 &pr->v[var]))
				failed = true;
			if (!env.report.json)
				print_variant(ex, pr->param, var, &pr->v[var]);
			fflush(stdout);
			if (trace_exiting())
				break;
		}
		if (!env.report.json && first_var != last_var &&
		    pr->v[VAR_BEFORE].traced_ok && pr->v[VAR_AFTER].traced_ok &&
		    pr->v[VAR_BEFORE].d && pr->v[VAR_AFTER].d)
			print_comparison(ex, pr->param, pr->v);
		fflush(stdout);
		/* the differential flamegraph of the two variants */
		if (first_var != last_var && pr->v[VAR_BEFORE].traced_ok &&
		    pr->v[VAR_AFTER].traced_ok) {
			bool all = env.param && !strcmp(env.param, "all");
			char title[256];

			snprintf(title, sizeof(title), "%s%s%s", ex->id,
				 pr->param ? " " : "", pr->param ?: "");
			if (flame_export_diff(&env.report,
					      &pr->v[VAR_BEFORE].flame,
					      &pr->v[VAR_AFTER].flame,
					      all ? pr->param : NULL, title))
				failed = true;
		}
	}

	if (env.report.json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j);
		json_key(&j, "exercise");
		json_string(&j, ex->id);
		json_key(&j, "title");
		json_string(&j, ex->title);
		json_key(&j, "seed_claim");
		json_string(&j, ex->claim);
		json_key(&j, "benchtime");
		json_string(&j, env.benchtime);
		json_key(&j, "interrupted");
		json_bool(&j, trace_exiting());
		json_key(&j, "runs");
		json_array_begin(&j);
		for (int p = 0; p < nruns; p++) {
			struct param_run *pr = &runs[p];

			json_object_begin(&j);
			json_key(&j, "param");
			if (pr->param)
				json_string(&j, pr->param);
			else
				json_null(&j);
			json_key(&j, "variants");
			json_object_begin(&j);
			for (int var = first_var; var <= last_var; var++) {
				if (!pr->v[var].ran)
					continue;
				json_key(&j, variant_names[var]);
				json_variant(&j, &pr->v[var]);
			}
			json_object_end(&j);
			json_key(&j, "comparison");
			if (first_var != last_var && pr->v[VAR_BEFORE].d &&
			    pr->v[VAR_AFTER].d)
				json_comparison(&j, pr->v);
			else
				json_null(&j);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
	}

	for (int p = 0; p < nruns; p++)
		free_run(&runs[p]);
	if (trace_exiting()) {
		rt_errorf("interrupted: what was gathered is above");
		ret = RTTRACE_EXIT_SIGNALLED + SIGINT;
	} else if (failed) {
		ret = RTTRACE_EXIT_FAIL;
	}
	return ret;
}

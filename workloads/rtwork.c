/*
 * rtwork.c — the driver of the seed's fourteen exercises (exercise.h).
 *
 * It does three things, each as `go test -bench` would, so its output
 * reads like Go's and one parser (rtwork_lib.c) reads both:
 *
 *   1. `rtwork EX before|after` runs one variant in this process: rt_main,
 *      then for each parameter of the sweep (or the one named) and each
 *      -count, bench_launch of the variant's run function, and one go-test
 *      line per run ("BenchmarkEx03/before/NAME-P  N  X ns/op  figures
 *      B/op allocs/op"). rt_main runs once per process, so everything a
 *      variant does happens inside that one runtime, as in a Go test
 *      binary; the exercise's own GOMAXPROCS (exercise.procs) is set in
 *      RT_MAXPROCS before rt_main unless the user set it.
 *   2. `rtwork EX both` and `rtwork all` run every (parameter, variant) in
 *      its own child process (this program, case 1, stdout through a
 *      pipe), so a variant that leaves its heap, timers or threads in a
 *      bad state cannot colour the next one, and a crash costs one row,
 *      not the table. The lines are parsed back, the median over -count
 *      taken, and a table printed per exercise with the ratio of the
 *      exercise's rule metric and a verdict against the seed's claim
 *      (verdict.h).
 *   3. `rtwork compare --go GO.txt` puts librt's ratios beside Go's, read
 *      from the Go peers' `go test -bench` output (workloads/go/ex).
 *
 * Errors a user can make (a bad flag, an unknown exercise or parameter)
 * print one line on stderr naming the cause and the fix, and exit 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rtwork_lib.h"

static const char doc[] =
    "rtwork: the seed's fourteen runtime exercises, before and after, in "
    "`go test -bench` form.\n"
    "\n"
    "USAGE:\n"
    "  rtwork list\n"
    "  rtwork EX before|after [-benchtime D] [-count N] [--param NAME] "
    "[--json]\n"
    "  rtwork EX both [-benchtime D] [-count N] [--param NAME] [--json]\n"
    "  rtwork all [-benchtime D] [-count N] [--json]\n"
    "  rtwork compare --go GO.txt [--librt LIBRT.txt] [-benchtime D] "
    "[-count N]\n"
    "\n"
    "  EX                ex01..ex14 (or 1..14); `rtwork list` shows them\n"
    "  before|after      run one variant in this process, one go-test line "
    "per run\n"
    "  both, all         run each parameter and variant in its own process,"
    "\n"
    "                    then a table: before, after, ratio, figures, the "
    "seed's\n"
    "                    claim and a verdict (reproduces, stronger, weaker,"
    "\n"
    "                    does not reproduce)\n"
    "  compare           librt's ratios beside the Go peers' (go test -bench"
    " output\n"
    "                    of workloads/go/ex); without --librt, runs `all` "
    "first\n"
    "  -benchtime D      1s (default), 500ms, 100x (exactly 100 ops); "
    "environment\n"
    "                    RT_BENCHTIME when absent\n"
    "  -count N          runs of each variant; tables show the median\n"
    "  --param NAME      one value of the exercise's sweep (e.g. "
    "producers=2)\n"
    "  --json            the results as one JSON document\n"
    "\n"
    "  Flags take Go's spellings too: -param, --benchtime, -test.count, "
    "-count=3.\n"
    "  RT_MAXPROCS sets GOMAXPROCS; an exercise that needs its own sets it "
    "when\n"
    "  RT_MAXPROCS is unset.\n"
    "\n"
    "VERDICT: M = before/after of the exercise's metric (after/before when "
    "lower\n"
    "  is worse), S = the seed's ratio: M < 1.2 does not reproduce; 1.2 <= M"
    " < S/3\n"
    "  weaker; S/3 <= M <= 3S reproduces; M > 3S stronger. A qualitative "
    "claim\n"
    "  (no S) reproduces when M >= 1.2.\n"
    "\n"
    "EXAMPLES:\n"
    "  rtwork list\n"
    "  rtwork ex03 both -benchtime 200ms\n"
    "  rtwork ex01 before --param producers=2 -count 5\n"
    "  rtwork all -benchtime 100ms --json > ex.json\n"
    "  rtwork compare --go build/ex-go.txt --librt build/ex-librt.txt\n";

/* env holds the parsed command line, as libbpf-tools' env struct. */
static struct env {
	const char *cmd;	     /* "list", "all", "compare", or EX */
	const struct exercise *ex;   /* for EX */
	int variant;		     /* EX_BEFORE, EX_AFTER, or -1: both */
	const char *param;	     /* --param */
	const char *benchtime;	     /* as given, passed on to children */
	const char *count_s;	     /* */
	struct bench_opts opts;	     /* parsed -benchtime, -count */
	bool json;		     /* --json */
	const char *go_file;	     /* compare --go */
	const char *librt_file;	     /* compare --librt */
	const struct ex_param *only; /* the --param, resolved */
} env;

/* usage_error prints one line naming the cause and the fix; exits 2. */
static _Noreturn __attribute__((format(printf, 1, 2))) void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rtwork: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/*
 * flag_name returns the name of a flag argument without its dashes and
 * testing's "test." prefix, with *val set after '=' (NULL if none); NULL
 * when a is not a flag.
 */
static const char *flag_name(const char *a, char *buf, size_t len,
			     const char **val)
{
	if (a[0] != '-' || a[1] == '\0')
		return NULL;
	a += a[1] == '-' ? 2 : 1;
	if (strncmp(a, "test.", 5) == 0)
		a += 5;
	const char *eq = strchr(a, '=');
	size_t n = eq != NULL ? (size_t)(eq - a) : strlen(a);
	if (n >= len)
		n = len - 1;
	memcpy(buf, a, n);
	buf[n] = '\0';
	*val = eq != NULL ? eq + 1 : NULL;
	return buf;
}

static void parse_args(int argc, char **argv)
{
	const char *pos[3] = {NULL, NULL, NULL};
	int npos = 0;

	env.benchtime = "1s";
	env.count_s = "1";
	env.variant = -1;
	const char *rtb = getenv("RT_BENCHTIME");
	if (rtb != NULL && *rtb != '\0')
		env.benchtime = rtb;

	for (int i = 1; i < argc; i++) {
		char name[32];
		const char *val;
		const char *f = flag_name(argv[i], name, sizeof(name), &val);
		if (f == NULL) {
			if (npos == 3)
				usage_error("unexpected argument \"%s\": see "
					    "rtwork --help",
					    argv[i]);
			pos[npos++] = argv[i];
			continue;
		}
		if (strcmp(f, "h") == 0 || strcmp(f, "help") == 0) {
			fputs(doc, stdout);
			exit(0);
		}
		if (strcmp(f, "json") == 0) {
			if (val != NULL)
				usage_error("--json takes no value: write "
					    "--json alone");
			env.json = true;
			continue;
		}
		const char **dst = strcmp(f, "benchtime") == 0 ? &env.benchtime
				   : strcmp(f, "count") == 0   ? &env.count_s
				   : strcmp(f, "param") == 0   ? &env.param
				   : strcmp(f, "go") == 0      ? &env.go_file
				   : strcmp(f, "librt") == 0   ? &env.librt_file
							       : NULL;
		if (dst == NULL)
			usage_error("unknown flag %s: see rtwork --help for "
				    "the flags",
				    argv[i]);
		if (val == NULL) {
			if (i + 1 >= argc)
				usage_error("flag %s needs a value, e.g. %s "
					    "%s",
					    argv[i], argv[i],
					    dst == &env.benchtime ? "500ms"
					    : dst == &env.count_s ? "3"
					    : dst == &env.param ? "producers=2"
								: "FILE");
			val = argv[++i];
		}
		*dst = val;
	}

	if (!bench_parse_duration(env.benchtime, &env.opts))
		usage_error("invalid -benchtime \"%s\"%s: write a duration "
			    "such as 1s, 500ms, or a count such as 100x",
			    env.benchtime,
			    env.benchtime == rtb ? " (from RT_BENCHTIME)" : "");
	char *end;
	errno = 0;
	long c = strtol(env.count_s, &end, 10);
	if (errno != 0 || *end != '\0' || c < 1 || c > 100)
		usage_error("invalid -count \"%s\": write a whole number "
			    "from 1 to 100",
			    env.count_s);
	env.opts.count = (int)c;

	if (npos == 0)
		usage_error("no command: write `rtwork list`, `rtwork ex03 "
			    "both`, `rtwork all` or see rtwork --help");
	env.cmd = pos[0];
	bool is_list = strcmp(env.cmd, "list") == 0;
	bool is_all = strcmp(env.cmd, "all") == 0;
	bool is_cmp = strcmp(env.cmd, "compare") == 0;
	if (is_list || is_all || is_cmp) {
		if (npos > 1)
			usage_error("`%s` takes no argument, got \"%s\": see "
				    "rtwork --help",
				    env.cmd, pos[1]);
		if (env.param != NULL)
			usage_error("--param applies to one exercise: write "
				    "`rtwork EX both --param NAME`");
		if ((is_list || is_cmp) && env.json)
			usage_error("--json applies to runs: write `rtwork "
				    "all --json` or `rtwork EX both --json`");
		if (is_cmp && env.go_file == NULL)
			usage_error("compare needs the Go peers' output: "
				    "write `rtwork compare --go GO.txt` (make "
				    "bench-go makes it)");
	} else {
		env.ex = rw_find_exercise(env.cmd);
		if (env.ex == NULL)
			usage_error("unknown command or exercise \"%s\": write "
				    "list, all, compare, or ex01..ex14 (see "
				    "`rtwork list`)",
				    env.cmd);
		if (npos < 2)
			usage_error("%s needs a variant: write `rtwork %s "
				    "before`, `after` or `both`",
				    env.ex->id, env.ex->id);
		if (npos > 2)
			usage_error("unexpected argument \"%s\": see "
				    "rtwork --help",
				    pos[2]);
		if (strcmp(pos[1], "both") != 0) {
			env.variant = rw_parse_variant(pos[1]);
			if (env.variant < 0)
				usage_error("unknown variant \"%s\": write "
					    "before, after or both",
					    pos[1]);
		}
		if (env.param != NULL) {
			env.only = rw_find_param(env.ex, env.param);
			if (env.only == NULL) {
				char names[512] = "";
				for (int i = 0; i < env.ex->nparams &&
						env.ex->params != NULL;
				     i++) {
					size_t o = strlen(names);
					snprintf(names + o, sizeof(names) - o,
						 "%s%s", i ? ", " : "",
						 env.ex->params[i].name);
				}
				if (names[0] == '\0')
					usage_error("%s sweeps no parameter: "
						    "drop --param %s",
						    env.ex->id, env.param);
				usage_error("%s has no parameter \"%s\": "
					    "write --param with one of %s",
					    env.ex->id, env.param, names);
			}
		}
	}
	if ((env.go_file != NULL || env.librt_file != NULL) && !is_cmp)
		usage_error("--go and --librt belong to compare: write "
			    "`rtwork compare --go GO.txt`");
}

/* ---- list ---------------------------------------------------------------- */

/* pad prints s and spaces up to width characters. */
static void pad(const char *s, int width)
{
	fputs(s, stdout);
	for (int w = rw_width(s); w < width; w++)
		putchar(' ');
}

/* cmd_list: id, title, the sweep, then the seed's claim (the longest, so
 * last) — one line each. */
static void cmd_list(void)
{
	int tw = 0, sw = 0;
	char sweeps[EX_COUNT][512];

	for (int e = 0; e < EX_COUNT; e++) {
		const struct exercise *ex = rw_exercises[e];
		char *sweep = sweeps[e];
		snprintf(sweep, sizeof(sweeps[e]), "-");
		for (int i = 0; ex->params != NULL && i < ex->nparams; i++) {
			size_t o = i == 0 ? 0 : strlen(sweep);
			snprintf(sweep + o, sizeof(sweeps[e]) - o, "%s%s",
				 i ? "," : "", ex->params[i].name);
		}
		tw = rw_width(ex->title) > tw ? rw_width(ex->title) : tw;
		sw = rw_width(sweep) > sw ? rw_width(sweep) : sw;
	}
	for (int e = 0; e < EX_COUNT; e++) {
		const struct exercise *ex = rw_exercises[e];
		printf("%s  ", ex->id);
		pad(ex->title, tw + 2);
		pad(sweeps[e], sw + 2);
		printf("seed: %s\n", ex->seed_claim);
	}
}

/* ---- one variant, in this process ---------------------------------------- */

/* line_from_b turns a finished run into the line bench_print_result
 * prints (for --json, which prints no line). */
static void line_from_b(struct rw_line *l, const struct bench_b *b,
			const char *full)
{
	char buf[RW_NAME_MAX + 32];

	/* the name's parts, parsed from a line with the name alone */
	memset(l, 0, sizeof(*l));
	snprintf(buf, sizeof(buf), "%s 1 1 ns/op", full);
	if (!rw_parse_line(buf, l))
		return;
	l->n = b->n;
	l->nm = 0;
	l->m[l->nm++] =
	    (struct rw_metric){"ns/op", (double)b->duration / (double)b->n};
	for (int i = 0; i < b->nextra && l->nm < RW_MAX_METRICS - 2; i++) {
		struct rw_metric *m = &l->m[l->nm++];
		snprintf(m->unit, sizeof(m->unit), "%s", b->extra[i].unit);
		m->value = b->extra[i].value;
	}
	/* integer division, as MemString */
	l->m[l->nm++] =
	    (struct rw_metric){"B/op", (double)((int64_t)b->net_bytes / b->n)};
	l->m[l->nm++] = (struct rw_metric){
	    "allocs/op", (double)((int64_t)b->net_allocs / b->n)};
}

static void single_main(void *arg)
{
	const struct exercise *ex = env.ex;
	enum ex_variant v = (enum ex_variant)env.variant;
	struct rw_set set = {0};
	int width = 0;
	char full[RW_NAME_MAX + 16];

	(void)arg;
	for (int i = 0; i < rw_nparams(ex); i++) {
		rw_bench_name(full, sizeof(full), ex, v, rw_param(ex, i),
			      rt_gomaxprocs());
		int w = (int)strlen(full);
		width = w > width ? w : width;
	}
	for (int i = 0; i < rw_nparams(ex); i++) {
		const struct ex_param *p = rw_param(ex, i);
		if (env.only != NULL && p != env.only)
			continue;
		rw_bench_name(full, sizeof(full), ex, v, p, rt_gomaxprocs());
		for (int k = 0; k < env.opts.count; k++) {
			struct bench_b b = {.name = full + strlen("Benchmark")};
			rw_run_variant(&b, ex, v, p, &env.opts);
			if (env.json) {
				struct rw_line l;
				line_from_b(&l, &b, full);
				rw_set_add(&set, &l);
			} else {
				bench_print_result(full, width, &b);
			}
		}
	}
	if (env.json)
		rw_print_json(stdout, &env.ex, 1, &set);
	rw_set_free(&set);
}

static int cmd_single(void)
{
	/*
	 * The exercise's GOMAXPROCS, unless the user chose one. rt_main reads
	 * RT_MAXPROCS when it starts, so setting it here is enough; no
	 * re-exec is needed.
	 */
	if (env.ex->procs > 0 && getenv("RT_MAXPROCS") == NULL) {
		char p[16];
		snprintf(p, sizeof(p), "%d", env.ex->procs);
		setenv("RT_MAXPROCS", p, 1);
	}
	rt_main(single_main, NULL);
	fflush(stdout);
	return 0;
}

/* ---- both, all: one child per (param, variant) --------------------------- */

/*
 * child_deadline_ns: a child still running after this is stuck and is
 * killed. bench_launch runs a variant about 2-3 times the benchtime in
 * total (it grows n up to the target), a slow op's first run of n = 1
 * adds its own time; 10x the benchtime per count plus two minutes is far
 * beyond either. An exact count (Nx) has no known duration: ten minutes.
 */
static int64_t child_deadline_ns(void)
{
	if (env.opts.benchtime_n > 0)
		return 600LL * 1000000000LL;
	return 120LL * 1000000000LL +
	       10 * env.opts.benchtime_ns * (int64_t)env.opts.count;
}

/* describe_status says how a child ended, for the table and stderr. */
static void describe_status(char *buf, size_t len, int st, bool timed_out)
{
	if (timed_out)
		snprintf(buf, len, "stuck: killed after %llds",
			 (long long)(child_deadline_ns() / 1000000000LL));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal SIG%s (%s)",
			 sigabbrev_np(WTERMSIG(st)) != NULL
			     ? sigabbrev_np(WTERMSIG(st))
			     : "?",
			 strsignal(WTERMSIG(st)));
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		snprintf(buf, len, "exit status %d", WEXITSTATUS(st));
	else
		buf[0] = '\0';
}

/*
 * run_child runs `rtwork EX VARIANT [--param NAME] -benchtime D -count N`
 * with stdout through a pipe, files its lines in set (echoing them to our
 * stdout when echo), and records a failure in the sample. Returns true if
 * the child exited 0 having printed every line it owed.
 */
static bool run_child(const struct exercise *ex, enum ex_variant v,
		      const struct ex_param *p, struct rw_set *set, bool echo)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		perror("rtwork: pipe");
		exit(1);
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		perror("rtwork: fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		const char *args[12];
		int n = 0;
		args[n++] = "rtwork";
		args[n++] = ex->id;
		args[n++] = rw_variant_name(v);
		if (p->name[0] != '\0') {
			args[n++] = "--param";
			args[n++] = p->name;
		}
		args[n++] = "-benchtime";
		args[n++] = env.benchtime;
		args[n++] = "-count";
		args[n++] = env.count_s;
		args[n] = NULL;
		/* the file's own path, not /proc/self/exe, so the child's
		 * comm is "rtwork" for ps and for rttrace's filters */
		char self[4096];
		ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (sl > 0) {
			self[sl] = '\0';
			execv(self, (char **)args);
		}
		execv("/proc/self/exe", (char **)args);
		fprintf(stderr, "rtwork: exec /proc/self/exe: %s\n",
			strerror(errno));
		_exit(127);
	}
	close(fds[1]);

	struct rw_sample *s = rw_set_find(set, ex->id, p->name, v, true);
	char buf[1024];
	size_t have = 0;
	int64_t deadline = bench_now() + child_deadline_ns();
	bool timed_out = false;
	/* Read with a deadline, splitting lines ourselves: a stuck variant
	 * must not hang the table. */
	for (;;) {
		int64_t left = deadline - bench_now();
		if (left <= 0) {
			kill(pid, SIGKILL);
			timed_out = true;
			break;
		}
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		int timeout =
		    left / 1000000 > 1000 ? 1000 : (int)(left / 1000000);
		int r = poll(&pfd, 1, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t k = read(fds[0], buf + have, sizeof(buf) - 1 - have);
		if (k < 0 && errno == EINTR)
			continue;
		bool eof = k <= 0;
		if (!eof)
			have += (size_t)k;
		buf[have] = '\0';
		char *nl;
		/* whole lines; a full buffer or the tail at EOF as one */
		while ((nl = strchr(buf, '\n')) != NULL ||
		       have == sizeof(buf) - 1 || (eof && have > 0)) {
			size_t ll = nl != NULL ? (size_t)(nl - buf) + 1 : have;
			char line[sizeof(buf)];
			memcpy(line, buf, ll);
			line[ll] = '\0';
			memmove(buf, buf + ll, have - ll + 1);
			have -= ll;
			struct rw_line l;
			if (echo)
				fputs(line, stdout);
			if (rw_parse_line(line, &l) && l.variant == (int)v &&
			    strcmp(l.ex, ex->id) == 0 &&
			    strcmp(l.param, p->name) == 0)
				rw_set_add(set, &l);
		}
		if (eof)
			break;
	}
	close(fds[0]);
	if (echo)
		fflush(stdout);

	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	describe_status(s->failure, sizeof(s->failure), st, timed_out);
	if (s->failure[0] == '\0' && s->nruns < env.opts.count)
		snprintf(s->failure, sizeof(s->failure),
			 "printed %d of %d result lines", s->nruns,
			 env.opts.count);
	if (s->failure[0] != '\0') {
		fprintf(stderr, "rtwork: %s %s%s%s: %s\n", ex->id,
			rw_variant_name(v), p->name[0] ? " --param " : "",
			p->name, s->failure);
		return false;
	}
	return true;
}

/* run_exercises runs every selected (param, variant) of exs; returns the
 * number of children that failed. Tables follow each exercise unless
 * quiet (json, compare). */
static int run_exercises(const struct exercise *const *exs, int nex,
			 struct rw_set *set, bool echo, bool tables)
{
	int failed = 0;

	for (int e = 0; e < nex; e++) {
		const struct exercise *ex = exs[e];
		for (int i = 0; i < rw_nparams(ex); i++) {
			const struct ex_param *p = rw_param(ex, i);
			if (env.only != NULL && p != env.only)
				continue;
			for (int v = EX_BEFORE; v < EX_NVARIANTS; v++)
				if (!run_child(ex, (enum ex_variant)v, p, set,
					       echo))
					failed++;
		}
		if (tables)
			rw_print_table(stdout, ex, set);
		fflush(stdout);
	}
	return failed;
}

static int cmd_runs(void)
{
	const struct exercise *const *exs = rw_exercises;
	int nex = EX_COUNT;
	struct rw_set set = {0};

	if (env.ex != NULL) {
		exs = &env.ex;
		nex = 1;
	}
	int failed = run_exercises(exs, nex, &set, !env.json, !env.json);
	if (env.json)
		rw_print_json(stdout, exs, nex, &set);
	if (failed > 0)
		fprintf(stderr,
			"rtwork: %d variant run%s failed (see above); "
			"the rest is reported\n",
			failed, failed == 1 ? "" : "s");
	rw_set_free(&set);
	return failed > 0 ? 1 : 0;
}

/* ---- compare --------------------------------------------------------------
 */

static int read_file(struct rw_set *set, const char *path, const char *what)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		usage_error("cannot open %s file %s: %s: give the path of a "
			    "file of `%s` output",
			    what, path, strerror(errno),
			    strcmp(what, "Go") == 0 ? "go test -bench"
						    : "rtwork all");
	int n = rw_set_read(set, f);
	fclose(f);
	return n;
}

static int cmd_compare(void)
{
	struct rw_set go = {0}, librt = {0};
	int failed = 0;

	if (read_file(&go, env.go_file, "Go") == 0)
		usage_error("%s holds no BenchmarkExNN/before|after line: run "
			    "the Go peers with `go test -run XXX -bench Ex "
			    "-benchmem ./ex/` in workloads/go (make bench-go "
			    "does)",
			    env.go_file);
	if (env.librt_file != NULL) {
		if (read_file(&librt, env.librt_file, "librt") == 0)
			usage_error("%s holds no BenchmarkExNN/before|after "
				    "line: make it with `rtwork all > %s`",
				    env.librt_file, env.librt_file);
	} else {
		/* run them: only the comparison goes to stdout */
		failed =
		    run_exercises(rw_exercises, EX_COUNT, &librt, false, false);
	}
	int missing =
	    rw_print_compare(stdout, rw_exercises, EX_COUNT, &librt, &go);
	if (missing > 0)
		printf("\n%d row%s without both ratios (\"-\"): a variant "
		       "missing from one side's output\n",
		       missing, missing == 1 ? "" : "s");
	rw_set_free(&go);
	rw_set_free(&librt);
	return failed > 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	if (strcmp(env.cmd, "list") == 0) {
		cmd_list();
		return 0;
	}
	if (strcmp(env.cmd, "compare") == 0)
		return cmd_compare();
	if (env.ex != NULL && env.variant >= 0)
		return cmd_single();
	return cmd_runs();
}

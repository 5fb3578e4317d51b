/*
 * test_trace_counts.c — `rttrace trace` counts exactly what librt counts.
 *
 * Runs build/rttrace (as root: it loads BPF programs) on
 * build/tests/progs/parkready with RT_STATS=1, so the same run reports each
 * probe twice: librt's own count on the program's stderr
 * ("rt-stats: probe NAME COUNT", at exit) and the BPF count in rttrace's
 * report on stdout (--json, or the text table). Every pair must be equal.
 * Also checks how rttrace fails on a missing program and on a program
 * without librt probes.
 *
 * Sampled mode (--sample N and auto, the default): librt fires a hot probe
 * once per about N events and passes how many events the firing stands
 * for, and reports what no firing did at exit (rt:probe_flush), so the
 * totals must still equal librt's, while the histograms of a hot probe
 * hold fewer samples than it had events: parkready's gopark (a million
 * parks) and ex11 before's mallocgc (boxing on every call).
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include <limits.h>
#include <signal.h>

#include "rtt_cmd.h"

#define TIMEOUT 600 /* 1,000,000 parks under uprobes on a small VM */

/*
 * text_probe_counts reads the text report's table:
 *   events per probe:
 *       probe           count         rate/s
 *       newproc        100002        12345.6
 */
static void text_probe_counts(const char *text, long long counts[RT_PROBE_NUM])
{
	const char *p = strstr(text, "events per probe:");

	for (int i = 0; i < RT_PROBE_NUM; i++)
		counts[i] = -1;
	ck_assert_msg(p != NULL, "no \"events per probe:\" table:\n%s", text);
	p = strchr(p, '\n');
	while (p && *++p) {
		char name[64];
		unsigned long long c;
		const char *eol = strchr(p, '\n');

		if (*p == '\n')
			break; /* blank line ends the table */
		if (sscanf(p, " %63s %llu", name, &c) == 2)
			for (int i = 0; i < RT_PROBE_NUM; i++)
				if (strcmp(name, probe_names[i]) == 0)
					counts[i] = (long long)c;
		p = eol;
	}
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- the checks ------------------------------------------------------- */

/*
 * parkready's last phase: 1000 each of Gosched, LockOSThread, syscalls,
 * a function with three deferred calls, a recovered panic, NumGoroutine.
 */
static void check_others(const long long bpf[RT_PROBE_NUM])
{
	static const struct {
		enum rt_probe_id id;
		long long min;
	} defers[] = {
	    {RT_PROBE_ID_deferproc, 4000}, {RT_PROBE_ID_deferreturn, 2000},
	    {RT_PROBE_ID_gopanic, 1000},   {RT_PROBE_ID_gorecover, 1000},
	    {RT_PROBE_ID_gcount, 1000},
	};

	for (size_t i = 0; i < sizeof(defers) / sizeof(defers[0]); i++)
		ck_assert_msg(bpf[defers[i].id] >= defers[i].min,
			      "%s counted %lld, want >= %lld",
			      probe_names[defers[i].id], bpf[defers[i].id],
			      defers[i].min);
	ck_assert_msg(bpf[RT_PROBE_ID_gosched] >= 1000,
		      "gosched counted %lld, want >= 1000",
		      bpf[RT_PROBE_ID_gosched]);
	ck_assert_msg(bpf[RT_PROBE_ID_lockosthread] >= 2000,
		      "lockosthread counted %lld, want >= 2000",
		      bpf[RT_PROBE_ID_lockosthread]);
	ck_assert_msg(bpf[RT_PROBE_ID_entersyscall] >= 1000,
		      "entersyscall counted %lld, want >= 1000",
		      bpf[RT_PROBE_ID_entersyscall]);
	ck_assert_msg(bpf[RT_PROBE_ID_exitsyscall] >= 1000,
		      "exitsyscall counted %lld, want >= 1000",
		      bpf[RT_PROBE_ID_exitsyscall]);
}

START_TEST(test_json_probe_counts_equal_librts_own_counts)
{
	long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM];
	unsigned long long g = 0, parks = 0, readies = 0;
	const char *line;
	struct run r;

	r = rtt_trace_json("tests/progs/parkready", bpf, own);
	check_counts_equal(&r, bpf, own);

	/* The work parkready did is in the counts. */
	line = strstr(r.out, "parkready: ");
	ck_assert_msg(line != NULL, "no parkready summary:\n%s", r.out);
	ck_assert_int_eq(sscanf(line,
				"parkready: goroutines=%llu parks=%llu "
				"readies=%llu others=",
				&g, &parks, &readies),
			 3);
	ck_assert_uint_eq(g, 100000);
	ck_assert_uint_ge(parks, 1000000);
	ck_assert_msg(bpf[RT_PROBE_ID_gopark] >= 1000000,
		      "gopark counted %lld, want >= 1000000",
		      bpf[RT_PROBE_ID_gopark]);
	ck_assert_msg(bpf[RT_PROBE_ID_goready] >= 1000000,
		      "goready counted %lld, want >= 1000000",
		      bpf[RT_PROBE_ID_goready]);
	ck_assert_msg(bpf[RT_PROBE_ID_newproc] >= 100000,
		      "newproc counted %lld, want >= 100000",
		      bpf[RT_PROBE_ID_newproc]);
	ck_assert_msg(bpf[RT_PROBE_ID_goend] >= 100000,
		      "goend counted %lld, want >= 100000",
		      bpf[RT_PROBE_ID_goend]);
	check_others(bpf);
	run_free(&r);
}
END_TEST

START_TEST(test_text_report_counts_equal_librts_own_counts)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/parkready");
	char *argv[] = {rttrace, "trace", "--", prog, "5000", "50000", NULL};
	long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM];

	require_file(rttrace);
	require_file(prog);
	struct run r = run_cmd(argv, true);

	check_exited_ok(&r);
	rt_stats_counts(r.err, own);
	text_probe_counts(r.out, bpf);
	check_counts_equal(&r, bpf, own);
	ck_assert_msg(bpf[RT_PROBE_ID_newproc] >= 5000,
		      "newproc counted %lld, want >= 5000",
		      bpf[RT_PROBE_ID_newproc]);
	ck_assert_msg(bpf[RT_PROBE_ID_gopark] >= 50000,
		      "gopark counted %lld, want >= 50000",
		      bpf[RT_PROBE_ID_gopark]);
	check_others(bpf);
	run_free(&r);
	free(rttrace);
	free(prog);
}
END_TEST

START_TEST(test_trace_exits_with_the_programs_status)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/parkready");
	/* parkready exits 2 on a bad count, before rt_main */
	char *argv[] = {rttrace, "trace", "--", prog, "not-a-number", NULL};

	require_file(rttrace);
	require_file(prog);
	struct run r = run_cmd(argv, false);

	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2,
		      "status 0x%x, want exit 2\nstderr:\n%s", r.status, r.err);
	run_free(&r);
	free(rttrace);
	free(prog);
}
END_TEST

START_TEST(test_trace_of_a_missing_program_fails_with_one_clear_line)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/no-such-program");
	char *argv[] = {rttrace, "trace", "--", prog, NULL};

	require_file(rttrace);
	struct run r = run_cmd(argv, false);

	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 127,
		      "status 0x%x, want exit 127 (not found)\nstderr:\n%s",
		      r.status, r.err);
	ck_assert_msg(count_lines(r.err) == 1 &&
			  r.err[strlen(r.err) - 1] == '\n',
		      "want one line on stderr, got:\n%s", r.err);
	ck_assert_msg(strstr(r.err, prog) != NULL,
		      "stderr does not name %s: %s", prog, r.err);
	ck_assert_msg(strstr(r.err, "rttrace") == r.err,
		      "stderr does not start with \"rttrace\": %s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	free(rttrace);
	free(prog);
}
END_TEST

START_TEST(
    test_trace_of_a_program_without_librt_probes_fails_with_one_clear_line)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace, "trace", "--", "/bin/true", NULL};

	require_file(rttrace);
	struct run r = run_cmd(argv, false);

	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) != 0,
		      "status 0x%x, want a failure\nstderr:\n%s", r.status,
		      r.err);
	ck_assert_msg(count_lines(r.err) == 1 &&
			  r.err[strlen(r.err) - 1] == '\n',
		      "want one line on stderr, got:\n%s", r.err);
	ck_assert_msg(strstr(r.err, "/bin/true") != NULL,
		      "stderr does not name /bin/true: %s", r.err);
	ck_assert_msg(strstr(r.err, "probe") != NULL,
		      "stderr does not say probes are missing: %s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	free(rttrace);
}
END_TEST

/* ---- sampled mode ---------------------------------------------------------
 */

/*
 * trace_sampled runs `rttrace trace --json --sample MODE -- PROG ARGS…`
 * (PROG relative to the build directory) with RT_STATS=1, checks it
 * exited 0 and that every probe's BPF total equals librt's own.
 */
static struct run trace_sampled(const char *mode, const char *prog_rel,
				char *const args[], long long bpf[RT_PROBE_NUM])
{
	char *rttrace = build_path("rttrace"), *prog = build_path(prog_rel);
	char *argv[16] = {rttrace,	"trace", "--json", "--sample",
			  (char *)mode, "--",	 prog};
	long long own[RT_PROBE_NUM];
	int n = 7;
	struct run r;

	for (; args && *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	require_file(rttrace);
	require_file(prog);
	r = run_cmd(argv, true);
	check_exited_ok(&r);
	rt_stats_counts(r.err, own);
	json_probe_counts(r.out, bpf);
	check_counts_equal(&r, bpf, own);
	free(rttrace);
	free(prog);
	return r;
}

/* sampling_of returns the report's "sampling" object and its end. */
static const char *sampling_of(const struct run *r, const char **send)
{
	const char *start, *end, *smp;

	start = json_report(r->out, &end);
	smp = json_object_at(start, end, "sampling", send);
	ck_assert_msg(smp != NULL, "no \"sampling\" in the report:\n%s", start);
	return smp;
}

/* probe_max_period reads "sampling": {"by_probe": {NAME: {"max_period"}}}. */
static long long probe_max_period(const struct run *r, enum rt_probe_id id)
{
	const char *send, *pend, *oend;
	const char *smp = sampling_of(r, &send);
	const char *probes = json_member_object(smp, send, "by_probe", &pend);
	const char *o;

	ck_assert_ptr_nonnull(probes);
	o = json_member_object(probes, pend, probe_names[id], &oend);
	ck_assert_msg(o != NULL, "no sampling entry for %s", probe_names[id]);
	return json_member_uint(o, oend, "max_period");
}

/* park_samples sums the park-duration histograms' counts. */
static long long park_samples(const struct run *r)
{
	const char *start, *end, *park, *pend;
	long long sum = 0;

	start = json_report(r->out, &end);
	park = json_object_at(start, end, "park_duration", &pend);
	ck_assert_ptr_nonnull(park);
	for (const char *p = park; (p = strstr(p, "\"count\"")) && p < pend;
	     p++)
		sum += json_uint_at(p, pend, "count");
	return sum;
}

/* alloc_samples is the allocation-size histogram's count and the
 * allocations counted: memory.allocs.size.count and .objects. */
static void alloc_samples(const struct run *r, long long *samples,
			  long long *objects)
{
	const char *start, *end, *mem, *mend, *allocs, *aend, *size, *send;

	start = json_report(r->out, &end);
	mem = json_member_object(start, end, "memory", &mend);
	ck_assert_ptr_nonnull(mem);
	allocs = json_member_object(mem, mend, "allocs", &aend);
	ck_assert_ptr_nonnull(allocs);
	size = json_member_object(allocs, aend, "size", &send);
	ck_assert_ptr_nonnull(size);
	*samples = json_member_uint(size, send, "count");
	*objects = json_member_uint(allocs, aend, "objects");
}

static char *parkready_args[] = {"10000", "1000000", NULL};
static char *ex11_args[] = {"ex11", "before", "-benchtime", "300ms", NULL};

START_TEST(test_sample_64_keeps_totals_exact_and_samples_parks)
{
	long long bpf[RT_PROBE_NUM], samples;
	struct run r =
	    trace_sampled("64", "tests/progs/parkready", parkready_args, bpf);

	ck_assert_int_eq(probe_max_period(&r, RT_PROBE_ID_gopark), 64);
	ck_assert_int_eq(probe_max_period(&r, RT_PROBE_ID_gc_start), 1);
	ck_assert_msg(bpf[RT_PROBE_ID_gopark] >= 1000000, "gopark counted %lld",
		      bpf[RT_PROBE_ID_gopark]);
	/* about one park in 64 timed, and some */
	samples = park_samples(&r);
	ck_assert_msg(samples > 0 && samples < bpf[RT_PROBE_ID_gopark] / 16,
		      "%lld park samples for %lld parks at 1 in 64", samples,
		      bpf[RT_PROBE_ID_gopark]);
	run_free(&r);
}
END_TEST

START_TEST(test_sample_auto_keeps_totals_exact_and_samples_parks)
{
	long long bpf[RT_PROBE_NUM], samples;
	struct run r =
	    trace_sampled("auto", "tests/progs/parkready", parkready_args, bpf);

	ck_assert_msg(probe_max_period(&r, RT_PROBE_ID_gopark) > 1,
		      "auto never sampled a million parks:\n%s", r.out);
	samples = park_samples(&r);
	ck_assert_msg(samples > 0 && samples < bpf[RT_PROBE_ID_gopark] / 2,
		      "%lld park samples for %lld parks", samples,
		      bpf[RT_PROBE_ID_gopark]);
	run_free(&r);
}
END_TEST

START_TEST(test_sample_64_on_ex11_samples_mallocgc_and_keeps_totals)
{
	long long bpf[RT_PROBE_NUM], samples, objects;
	struct run r = trace_sampled("64", "rtwork", ex11_args, bpf);

	alloc_samples(&r, &samples, &objects);
	ck_assert_int_eq(objects, bpf[RT_PROBE_ID_mallocgc]);
	ck_assert_msg(bpf[RT_PROBE_ID_convT] > 100000, "convT counted %lld",
		      bpf[RT_PROBE_ID_convT]);
	ck_assert_msg(samples > 0 && samples < objects / 16,
		      "%lld allocation samples for %lld allocations at 1 in "
		      "64",
		      samples, objects);
	run_free(&r);
}
END_TEST

START_TEST(test_sample_auto_on_ex11_samples_its_hot_probes)
{
	long long bpf[RT_PROBE_NUM], samples, objects;
	struct run r = trace_sampled("auto", "rtwork", ex11_args, bpf);

	ck_assert_msg(probe_max_period(&r, RT_PROBE_ID_mallocgc) > 1 &&
			  probe_max_period(&r, RT_PROBE_ID_convT) > 1,
		      "auto left mallocgc or convT at full:\n%s", r.out);
	alloc_samples(&r, &samples, &objects);
	ck_assert_msg(samples > 0 && samples < objects / 2,
		      "%lld allocation samples for %lld allocations", samples,
		      objects);
	run_free(&r);
}
END_TEST

START_TEST(test_sample_off_records_every_event_in_the_histograms)
{
	long long bpf[RT_PROBE_NUM], samples, objects;
	char *args[] = {"ex11", "before", "-benchtime", "2000x", NULL};
	struct run r = trace_sampled("off", "rtwork", args, bpf);

	alloc_samples(&r, &samples, &objects);
	ck_assert_int_eq(samples, objects);
	ck_assert_int_eq(probe_max_period(&r, RT_PROBE_ID_mallocgc), 1);
	run_free(&r);
}
END_TEST

START_TEST(test_text_report_says_what_is_sampled)
{
	char *rttrace = build_path("rttrace"), *rtwork = build_path("rtwork");
	char *argv[] = {rttrace, "trace",  "--sample",	 "64",	  "--", rtwork,
			"ex11",	 "before", "-benchtime", "300ms", NULL};
	struct run r;

	require_file(rttrace);
	require_file(rtwork);
	r = run_cmd(argv, false);
	check_exited_ok(&r);
	ck_assert_msg(strstr(r.out, "\nsampling: 1 in 64 — ") != NULL,
		      "no sampling line:\n%s", r.out);
	ck_assert_msg(strstr(r.out, "mallocgc 1 in 64") != NULL,
		      "mallocgc not named sampled:\n%s", r.out);
	ck_assert_msg(strstr(r.out, "per-probe totals exact") != NULL,
		      "no word on the totals:\n%s", r.out);
	ck_assert_msg(strstr(r.out, " sampled (mallocgc 1 in 64):") != NULL,
		      "the allocation histogram is not marked sampled:\n%s",
		      r.out);
	run_free(&r);
	free(rttrace);
	free(rtwork);
}
END_TEST

/*
 * test_attach_with_sample_64_says_totals_may_miss_events: `rttrace attach
 * --sample 64` on a running ex11 writes the periods into it and reports
 * them, and says that the totals of a process it detached from while it
 * ran may lack each thread's events since its last firing.
 */
START_TEST(test_attach_with_sample_64_says_totals_may_miss_events)
{
	char *rttrace = build_path("rttrace"), *rtwork = build_path("rtwork");
	char want[PATH_MAX], got[PATH_MAX], link[64], pid_s[16];
	char *argv[] = {rttrace,  "attach",   "-p", pid_s,	    "-d", "1",
			"--json", "--sample", "64", "--no-profile", NULL};
	const char *smp, *send;
	long long bpf[RT_PROBE_NUM];
	struct run r;
	pid_t pid;
	int status;

	require_file(rttrace);
	require_file(rtwork);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		unsetenv("RT_STATS");
		execl(rtwork, rtwork, "ex11", "before", "-benchtime", "20s",
		      (char *)NULL);
		_exit(125);
	}
	/* attach once it runs rtwork, not this test's fork of itself */
	ck_assert_ptr_nonnull(realpath(rtwork, want));
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	for (int i = 0; i < 1000; i++) {
		ssize_t n = readlink(link, got, sizeof(got) - 1);

		got[n > 0 ? n : 0] = 0;
		if (!strcmp(got, want))
			break;
		usleep(10000);
	}
	usleep(300000);
	snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
	r = run_cmd(argv, false);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	check_exited_ok(&r);
	json_probe_counts(r.out, bpf);
	ck_assert_msg(bpf[RT_PROBE_ID_mallocgc] > 0, "no mallocgc:\n%s", r.out);
	ck_assert_int_eq(probe_max_period(&r, RT_PROBE_ID_mallocgc), 64);
	smp = sampling_of(&r, &send);
	ck_assert_msg(
	    memmem(smp, (size_t)(send - smp), "\"totals_exact\": false", 21) ||
		memmem(smp, (size_t)(send - smp), "\"totals_exact\":false", 20),
	    "a detach while it ran called the totals exact:\n%.*s",
	    (int)(send - smp), smp);
	run_free(&r);
	free(rttrace);
	free(rtwork);
}
END_TEST

START_TEST(test_bad_sample_argument_is_a_usage_error)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace, "trace",     "--sample", "0",
			"--",	 "/bin/true", NULL};
	struct run r;

	require_file(rttrace);
	r = run_cmd(argv, false);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2,
		      "status 0x%x, want 2\nstderr:\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "invalid --sample: 0") != NULL, "%s",
		      r.err);
	run_free(&r);
	free(rttrace);
}
END_TEST

static Suite *trace_counts_suite(void)
{
	Suite *s = suite_create("trace_counts");
	TCase *tc;

	tc = tcase_create("counts");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_json_probe_counts_equal_librts_own_counts);
	tcase_add_test(tc, test_text_report_counts_equal_librts_own_counts);
	suite_add_tcase(s, tc);

	tc = tcase_create("sampled");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_sample_64_keeps_totals_exact_and_samples_parks);
	tcase_add_test(tc,
		       test_sample_auto_keeps_totals_exact_and_samples_parks);
	tcase_add_test(
	    tc, test_sample_64_on_ex11_samples_mallocgc_and_keeps_totals);
	tcase_add_test(tc, test_sample_auto_on_ex11_samples_its_hot_probes);
	tcase_add_test(tc,
		       test_sample_off_records_every_event_in_the_histograms);
	tcase_add_test(tc, test_text_report_says_what_is_sampled);
	tcase_add_test(tc,
		       test_attach_with_sample_64_says_totals_may_miss_events);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_trace_exits_with_the_programs_status);
	tcase_add_test(tc, test_bad_sample_argument_is_a_usage_error);
	tcase_add_test(
	    tc, test_trace_of_a_missing_program_fails_with_one_clear_line);
	tcase_add_test(
	    tc,
	    test_trace_of_a_program_without_librt_probes_fails_with_one_clear_line);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_main("test_trace_counts", trace_counts_suite);
}

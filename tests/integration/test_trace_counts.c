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
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
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

static Suite *trace_counts_suite(void)
{
	Suite *s = suite_create("trace_counts");
	TCase *tc;

	tc = tcase_create("counts");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_json_probe_counts_equal_librts_own_counts);
	tcase_add_test(tc, test_text_report_counts_equal_librts_own_counts);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_trace_exits_with_the_programs_status);
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

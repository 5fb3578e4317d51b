/*
 * test_profile.c — `rttrace trace` samples the CPU of the traced program
 * and prints the seed's §16 signature table after its report.
 *
 * Runs build/rttrace (as root: it loads BPF programs and opens perf
 * events) on the exercises whose pattern a signature names: ex09 before
 * (a 64 KiB make([]byte) per call: mallocgc on the hot path) and ex02
 * before (select with default in a spin loop: selectgo). What is checked
 * is what the table says, never how fast anything ran: the rows are
 * present, the CPU rows come with their sample count, and the signature
 * the exercise is about is on the stacks (ex02's spinners are in selectgo
 * far above the 2 % threshold on any machine).
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include "rtt_cmd.h"

#define TIMEOUT 600

/* The report and its "signatures" object. */
struct sigs {
	struct run r;
	const char *json, *json_end;
	const char *sig, *sig_end;
};

/* trace_ex runs `rttrace trace [opt] --json -- rtwork EX before
 * -benchtime 1s` and finds the signatures object. */
static struct sigs trace_ex(const char *ex, const char *opt)
{
	char *rttrace = build_path("rttrace");
	char *rtwork = build_path("rtwork");
	char *argv[10];
	struct sigs s = {0};
	int n = 0;

	require_file(rttrace);
	require_file(rtwork);
	argv[n++] = rttrace;
	argv[n++] = "trace";
	if (opt)
		argv[n++] = (char *)opt;
	argv[n++] = "--json";
	argv[n++] = "--";
	argv[n++] = rtwork;
	argv[n++] = (char *)ex;
	argv[n++] = "before";
	argv[n++] = "-benchtime";
	argv[n++] = "1s";
	argv[n] = NULL;
	s.r = run_cmd(argv, false);
	check_exited_ok(&s.r);
	s.json = json_report(s.r.out, &s.json_end);
	s.sig =
	    json_member_object(s.json, s.json_end, "signatures", &s.sig_end);
	ck_assert_msg(s.sig != NULL, "no \"signatures\" in the report:\n%s",
		      s.json);
	free(rttrace);
	free(rtwork);
	return s;
}

/* sig_row returns the row object whose "signature" is name. */
static const char *sig_row(const struct sigs *s, const char *name,
			   const char **end)
{
	char pat[96];
	const char *p, *open;

	snprintf(pat, sizeof(pat), "\"signature\": \"%s\"", name);
	p = memmem(s->sig, (size_t)(s->sig_end - s->sig), pat, strlen(pat));
	ck_assert_msg(p != NULL, "no row %s in:\n%.*s", name,
		      (int)(s->sig_end - s->sig), s->sig);
	for (open = p; open > s->sig && *open != '{'; open--)
		;
	*end = json_object_end(open);
	ck_assert_ptr_nonnull(*end);
	return open;
}

static double member_double(const char *obj, const char *end, const char *key)
{
	const char *v = json_member(obj, end, key);

	ck_assert_msg(v != NULL, "no %s in %.*s", key, (int)(end - obj), obj);
	return strtod(v, NULL);
}

static bool member_true(const char *obj, const char *end, const char *key)
{
	const char *v = json_member(obj, end, key);

	ck_assert_msg(v != NULL, "no %s in %.*s", key, (int)(end - obj), obj);
	return strncmp(v, "true", 4) == 0;
}

/* The rows every report has, whatever the program does. */
static const char *const always[] = {
    "mallocgc",	   "chansend",	      "chanrecv", "selectgo",
    "deferreturn", "GC mark workers", "Gosched",
};

START_TEST(test_ex09_before_shows_mallocgc_share_with_its_sample_count)
{
	struct sigs s = trace_ex("ex09", NULL);
	long long samples = json_member_uint(s.sig, s.sig_end, "samples");
	const char *row, *row_end;

	ck_assert_msg(member_true(s.sig, s.sig_end, "sampled"),
		      "not sampled:\n%s", s.sig);
	ck_assert_msg(samples > 0, "no CPU samples:\n%s", s.sig);
	ck_assert_int_eq(json_member_uint(s.sig, s.sig_end, "freq_hz"), 99);
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		sig_row(&s, always[i], &row_end);

	row = sig_row(&s, "mallocgc", &row_end);
	ck_assert_msg(json_member_uint(row, row_end, "samples") > 0,
		      "no sample in mallocgc:\n%.*s", (int)(row_end - row),
		      row);
	ck_assert_int_eq(json_member_uint(row, row_end, "total_samples"),
			 samples);
	ck_assert_msg(member_double(row, row_end, "value") > 0,
		      "mallocgc share 0:\n%.*s", (int)(row_end - row), row);
	ck_assert_double_eq_tol(
	    member_double(row, row_end, "value"),
	    100.0 * json_member_uint(row, row_end, "samples") / samples,
	    0.01); /* JSON numbers carry 6 digits */
	ck_assert_msg(strstr(row, "\"cpu_samples\"") < row_end,
		      "mallocgc does not say it is sampled");
	/* ex09 before collects: its STW rows are per reason */
	sig_row(&s, "STW (GC mark termination)", &row_end);
	run_free(&s.r);
}
END_TEST

START_TEST(test_ex02_before_shows_selectgo_crossing_its_threshold)
{
	struct sigs s = trace_ex("ex02", NULL);
	const char *row, *row_end;

	row = sig_row(&s, "selectgo", &row_end);
	ck_assert_msg(member_double(row, row_end, "value") > 2.0 &&
			  member_true(row, row_end, "crossed"),
		      "selectgo did not cross 2 %%:\n%.*s",
		      (int)(row_end - row), row);
	ck_assert_msg(strstr(row, "\"ex02\"") < row_end,
		      "selectgo row does not name ex02");
	/* the spin loop allocates nothing per poll */
	row = sig_row(&s, "mallocgc", &row_end);
	ck_assert_msg(!member_true(row, row_end, "crossed"),
		      "mallocgc crossed in ex02:\n%.*s", (int)(row_end - row),
		      row);
	run_free(&s.r);
}
END_TEST

START_TEST(test_no_profile_keeps_the_event_rows_without_cpu_figures)
{
	struct sigs s = trace_ex("ex02", "--no-profile");
	const char *row, *row_end;

	ck_assert(!member_true(s.sig, s.sig_end, "sampled"));
	ck_assert_int_eq(json_member_uint(s.sig, s.sig_end, "samples"), 0);
	row = sig_row(&s, "selectgo", &row_end);
	ck_assert_msg(
	    strncmp(json_member(row, row_end, "value"), "null", 4) == 0,
	    "sampled value without samples:\n%.*s", (int)(row_end - row), row);
	ck_assert(!member_true(row, row_end, "crossed"));
	sig_row(&s, "Gosched", &row_end);
	run_free(&s.r);
}
END_TEST

START_TEST(test_text_report_ends_with_the_signature_table)
{
	char *rttrace = build_path("rttrace");
	char *rtwork = build_path("rtwork");
	char *argv[] = {rttrace,  "trace",	"--", rtwork, "ex02",
			"before", "-benchtime", "1s", NULL};
	struct run r = run_cmd(argv, false);
	const char *t, *line;

	check_exited_ok(&r);
	t = strstr(r.out, "runtime signatures (seed §16):");
	ck_assert_msg(t != NULL, "no signature table:\n%s", r.out);
	ck_assert_msg(strstr(t, "CPU rows are samples: "), "%s", t);
	line = strstr(t, "\n    selectgo ");
	ck_assert_msg(line != NULL, "no selectgo row:\n%s", t);
	ck_assert_msg(strstr(line, "YES") < strchr(line + 1, '\n') &&
			  strstr(line, "samples") < strchr(line + 1, '\n'),
		      "selectgo row not marked, or without its samples:\n%s",
		      t);
	run_free(&r);
	free(rttrace);
	free(rtwork);
}
END_TEST

START_TEST(test_bad_freq_is_a_usage_error)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace, "trace",     "--freq", "0",
			"--",	 "/bin/true", NULL};
	struct run r = run_cmd(argv, false);

	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2,
		      "status 0x%x, stderr:\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "invalid --freq"), "%s", r.err);
	run_free(&r);
	free(rttrace);
}
END_TEST

static Suite *profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc;

	tc = tcase_create("signatures");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(
	    tc, test_ex09_before_shows_mallocgc_share_with_its_sample_count);
	tcase_add_test(tc,
		       test_ex02_before_shows_selectgo_crossing_its_threshold);
	tcase_add_test(
	    tc, test_no_profile_keeps_the_event_rows_without_cpu_figures);
	tcase_add_test(tc, test_text_report_ends_with_the_signature_table);
	tcase_add_test(tc, test_bad_freq_is_a_usage_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_main("test_profile", profile_suite);
}

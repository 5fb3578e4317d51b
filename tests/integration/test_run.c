/*
 * test_run.c — `rttrace run EX` and `rttrace list`.
 *
 * `rttrace run ex03 --json --rt-stats` runs both variants of ex03 traced
 * with RT_STATS=1 (the hidden --rt-stats), so each traced run reports
 * every probe twice: librt's own count on stderr ("rt-stats: probe NAME
 * COUNT", after rttrace's "rttrace: ex03 VARIANT: traced run" line) and
 * the BPF count in the JSON document's runs[0].variants.VARIANT.trace.
 * Every pair must be equal, and the documented keys must be there. Then
 * the error paths: each one line on stderr and its exit status.
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include <grp.h>
#include <pwd.h>

#include "rtt_cmd.h"

#define TIMEOUT 600 /* two traced and two untraced runs, each detach ~5 s */

/* count_lines is the number of '\n' in s. */
static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* check_one_line: stderr holds exactly one line, "rttrace: …". */
static void check_one_line(const struct run *r)
{
	ck_assert_msg(count_lines(r->err) == 1 &&
			  r->err[strlen(r->err) - 1] == '\n',
		      "want one line on stderr, got:\n%s", r->err);
	ck_assert_msg(strncmp(r->err, "rttrace", 7) == 0,
		      "stderr does not start with rttrace: %s", r->err);
}

static void check_status(const struct run *r, int want)
{
	ck_assert_msg(WIFEXITED(r->status) && WEXITSTATUS(r->status) == want,
		      "want exit %d, got status 0x%x\nstdout:\n%s\nstderr:\n%s",
		      want, r->status, r->out, r->err);
}

/* object_text copies [obj, end] into a string of its own. */
static char *object_text(const char *obj, const char *end)
{
	char *s = strndup(obj, (size_t)(end - obj + 1));

	ck_assert_ptr_nonnull(s);
	return s;
}

/* require_key: key is a member somewhere in [p, end). */
static void require_key(const char *p, const char *end, const char *key)
{
	ck_assert_msg(json_find_key(p, end, key) != NULL,
		      "no \"%s\" in the JSON:\n%.*s", key, (int)(end - p), p);
}

/*
 * stats_of returns the copy of librt's rt-stats lines of variant's traced
 * run: from rttrace's "ex03 VARIANT: traced run" line to the next
 * "rttrace: " line.
 */
static char *stats_of(const char *err, const char *variant)
{
	char mark[64];
	const char *p, *end;

	snprintf(mark, sizeof(mark), "rttrace: ex03 %s: traced run", variant);
	p = strstr(err, mark);
	ck_assert_msg(p != NULL, "no \"%s\" on stderr:\n%s", mark, err);
	p = strchr(p, '\n');
	ck_assert_ptr_nonnull(p);
	end = strstr(p, "rttrace: ");
	return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

START_TEST(test_run_json_has_the_documented_fields_and_librts_counts)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace, "run",	   "ex03",	 "--benchtime",
			"100ms", "--json", "--rt-stats", NULL};
	const char *doc, *end, *runs, *variants, *vend;
	struct run r;

	require_file(rttrace);
	r = run_cmd(argv, false);
	check_status(&r, 0);
	doc = json_report(r.out, &end);
	for (const char *const *k =
		 (const char *const[]){"exercise", "runs", "param", "variants",
				       "comparison", "ratio", "seed_ratio",
				       "verdict", "rates_changed", "stw", NULL};
	     *k; k++)
		require_key(doc, end, *k);
	ck_assert_msg(strstr(doc, "\"exercise\": \"ex03\"") != NULL,
		      "exercise is not ex03");
	runs = json_find_key(doc, end, "runs");
	ck_assert_ptr_nonnull(runs);
	variants = json_object_at(runs, end, "variants", &vend);
	ck_assert_msg(variants != NULL, "no variants object");

	for (int i = 0; i < 2; i++) {
		const char *name = i ? "after" : "before";
		const char *v, *v_end, *ns, *ns_end;
		long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM];
		char *vtext, *stats;

		v = json_member_object(variants, vend, name, &v_end);
		ck_assert_msg(v != NULL, "no variants.%s", name);
		for (const char *const *k =
			 (const char *const[]){"benchmark", "line", "n",
					       "metrics", "ns_per_op",
					       "overhead", "trace", "probes",
					       "park_duration", NULL};
		     *k; k++)
			require_key(v, v_end, *k);
		ns = json_member_object(v, v_end, "ns_per_op", &ns_end);
		ck_assert_ptr_nonnull(ns);
		ck_assert_msg(strtod(json_member(ns, ns_end, "traced"), NULL) >
				  0,
			      "%s: no traced ns/op", name);
		ck_assert_msg(
		    strtod(json_member(ns, ns_end, "untraced"), NULL) > 0,
		    "%s: no untraced ns/op", name);

		vtext = object_text(v, v_end);
		json_probe_counts(vtext, bpf);
		stats = stats_of(r.err, name);
		rt_stats_counts(stats, own);
		check_counts_equal(&r, bpf, own);
		/* ex03's mechanism: a timer added per iteration */
		ck_assert_msg(bpf[RT_PROBE_ID_addtimer] > 0,
			      "%s: no addtimer counted", name);
		free(vtext);
		free(stats);
	}
	run_free(&r);
	free(rttrace);
}
END_TEST

START_TEST(test_run_text_has_a_comparison_with_a_verdict)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace, "run", "ex03", "--benchtime", "50ms", NULL};
	struct run r;

	r = run_cmd(argv, false);
	check_status(&r, 0);
	ck_assert_msg(strstr(r.out, "BenchmarkEx03/before") != NULL,
		      "no before benchmark line:\n%s", r.out);
	ck_assert_msg(strstr(r.out, "BenchmarkEx03/after") != NULL,
		      "no after benchmark line:\n%s", r.out);
	ck_assert_msg(strstr(r.out, "before → after") != NULL,
		      "no comparison:\n%s", r.out);
	ck_assert_msg(strstr(r.out, "verdict: ") != NULL, "no verdict");
	ck_assert_msg(strstr(r.out, "traced/untraced") != NULL,
		      "no overhead figure");
	/* the after deletes its timer: deltimer goes from 0 to a rate */
	ck_assert_msg(strstr(r.out, "deltimer") != NULL,
		      "deltimer is not among the rates that changed:\n%s",
		      r.out);
	/* ex03's lead: the timer section precedes the park histograms */
	{
		const char *timers = strstr(r.out, "\ntimers: ");
		const char *park = strstr(r.out, "\npark duration");

		ck_assert_msg(timers && park && timers < park,
			      "the timer section does not lead:\n%s", r.out);
	}
	run_free(&r);
	free(rttrace);
}
END_TEST

START_TEST(test_run_of_an_unknown_exercise_lists_the_valid_ones)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace, "run", "ex99", NULL};
	struct run r = run_cmd(argv, false);

	check_status(&r, 2);
	check_one_line(&r);
	ck_assert_msg(strstr(r.err, "ex99") && strstr(r.err, "ex01") &&
			  strstr(r.err, "ex14"),
		      "stderr does not name ex99 and the valid ones: %s",
		      r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	free(rttrace);
}
END_TEST

START_TEST(test_run_with_a_bad_duration_fails_with_usage_status)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace,       "run",	   "ex03",
			"--benchtime", "5parsecs", NULL};
	struct run r = run_cmd(argv, false);

	check_status(&r, 2);
	ck_assert_msg(strstr(r.err, "invalid --benchtime: 5parsecs") != NULL,
		      "stderr does not name the bad duration: %s", r.err);
	run_free(&r);
	free(rttrace);
}
END_TEST

/* a size whose K/M/G shift would wrap (17179869185G = 2^64 + 2^30) is
 * too big, not 1G */
START_TEST(test_run_with_a_size_that_would_wrap_fails_with_usage_status)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace,	  "run",	  "ex03",
			"--ringbuf-size", "17179869185G", NULL};
	struct run r = run_cmd(argv, false);

	check_status(&r, 2);
	ck_assert_msg(strstr(r.err, "invalid --ringbuf-size: 17179869185G") !=
			  NULL,
		      "stderr does not name the bad size: %s", r.err);
	run_free(&r);
	free(rttrace);
}
END_TEST

START_TEST(test_run_with_a_bad_variant_or_param_fails_with_usage_status)
{
	char *rttrace = build_path("rttrace");
	char *bad_variant[] = {rttrace,	    "run",    "ex03",
			       "--variant", "during", NULL};
	char *bad_param[] = {rttrace,	"run",	   "ex09",
			     "--param", "buf=1MB", NULL};
	struct run r = run_cmd(bad_variant, false);

	check_status(&r, 2);
	ck_assert_msg(strstr(r.err, "during") != NULL, "%s", r.err);
	run_free(&r);

	r = run_cmd(bad_param, false);
	check_status(&r, 2);
	check_one_line(&r);
	ck_assert_msg(strstr(r.err, "buf=1MB") && strstr(r.err, "buf=64KiB"),
		      "stderr does not name the bad and the valid params: %s",
		      r.err);
	run_free(&r);
	free(rttrace);
}
END_TEST

START_TEST(test_run_as_an_unprivileged_user_says_to_use_sudo)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace, "run", "ex03", NULL};
	struct passwd *pw = getpwnam("nobody");
	int ofd = tmpfile_fd(), efd = tmpfile_fd(), status;
	char *err, *out;
	pid_t pid;

	ck_assert_ptr_nonnull(pw);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		if (setgroups(0, NULL) || setgid(pw->pw_gid) ||
		    setuid(pw->pw_uid))
			_exit(125);
		unsetenv("SUDO_UID");
		execv(argv[0], argv);
		_exit(125);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	out = slurp_fd(ofd);
	err = slurp_fd(efd);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		      "want exit 1, got status 0x%x: %s", status, err);
	ck_assert_msg(strstr(err, "root") && strstr(err, "sudo"),
		      "stderr does not say to run as root: %s", err);
	ck_assert_int_eq(count_lines(err), 1);
	free(out);
	free(err);
	free(rttrace);
}
END_TEST

START_TEST(test_list_prints_one_line_per_exercise)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace, "list", NULL};
	struct run r = run_cmd(argv, false);
	const char *p = r.out;

	check_status(&r, 0);
	ck_assert_int_eq(count_lines(r.out), 14);
	for (int i = 1; i <= 14; i++) {
		char id[8];

		snprintf(id, sizeof(id), "ex%02d ", i);
		ck_assert_msg(strncmp(p, id, 5) == 0, "line %d is not %s: %s",
			      i, id, p);
		p = strchr(p, '\n') + 1;
	}
	run_free(&r);
	free(rttrace);
}
END_TEST

static Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc;

	tc = tcase_create("runs");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(
	    tc, test_run_json_has_the_documented_fields_and_librts_counts);
	tcase_add_test(tc, test_run_text_has_a_comparison_with_a_verdict);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
		       test_run_of_an_unknown_exercise_lists_the_valid_ones);
	tcase_add_test(tc,
		       test_run_with_a_bad_duration_fails_with_usage_status);
	tcase_add_test(
	    tc, test_run_with_a_bad_variant_or_param_fails_with_usage_status);
	tcase_add_test(
	    tc, test_run_with_a_size_that_would_wrap_fails_with_usage_status);
	tcase_add_test(tc, test_run_as_an_unprivileged_user_says_to_use_sudo);
	tcase_add_test(tc, test_list_prints_one_line_per_exercise);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_main("test_run", run_suite);
}

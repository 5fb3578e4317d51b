/*
 * test_trace_all.c — `rttrace trace` counts exactly what librt counts, on
 * every exercise; and `--live` prints snapshots while the program runs.
 *
 * For each of the seed's 14 exercises (build/rtwork list), both variants
 * with the exercise's first parameter and a short benchtime (20 ops) run
 * under `rttrace trace --json` with RT_STATS=1: librt prints its own count
 * of every probe site it passed on stderr at exit, rttrace its BPF counts
 * on stdout, and every probe's pair must be equal. The exercises cover
 * what parkready (test_trace_counts) does not: timers, select spinning,
 * defers, STW from ReadMemStats and Stack, finalizers, NumGoroutine. So
 * that a silent trace cannot pass, each exercise's before variant must
 * also show the probe of its mechanism (ex01's chansend, ex04's
 * deferproc, …).
 *
 * The live view: `rttrace trace --live --interval 1s` on a 3 s run, with
 * stdout a file (not a terminal), prints successive snapshots, each
 * opening with "--- HH:MM:SS +Ns ---" and holding the interval's events
 * table, then the final report.
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include "rtt_cmd.h"

#define NEXERCISES 14
#define BENCHTIME  "20x"
#define TIMEOUT	   120 /* one exercise, both variants, on a busy VM */

/* Each exercise and the probe its before variant's cost shows up in. */
static const struct {
	const char *id;
	enum rt_probe_id mechanism;
} exercises[NEXERCISES] = {
    {"ex01", RT_PROBE_ID_chansend},	/* a channel send per increment */
    {"ex02", RT_PROBE_ID_selectgo},	/* select with default, spinning */
    {"ex03", RT_PROBE_ID_addtimer},	/* time.After per iteration */
    {"ex04", RT_PROBE_ID_deferproc},	/* defer per call */
    {"ex05", RT_PROBE_ID_newproc},	/* a goroutine per item */
    {"ex06", RT_PROBE_ID_gc_start},	/* runtime.GC per request */
    {"ex07", RT_PROBE_ID_gosched},	/* Gosched per iteration */
    {"ex08", RT_PROBE_ID_lockosthread}, /* LockOSThread */
    {"ex09", RT_PROBE_ID_mallocgc},	/* a 64 KiB buffer per call */
    {"ex10", RT_PROBE_ID_entersyscall}, /* open(2) per file */
    {"ex11", RT_PROBE_ID_convT},	/* boxing per call */
    {"ex12", RT_PROBE_ID_gcount},	/* NumGoroutine per poll */
    {"ex13", RT_PROBE_ID_stw_start},	/* ReadMemStats stops the world */
    {"ex14", RT_PROBE_ID_stw_start},	/* Stack(all) stops the world */
};

/*
 * list_line returns a copy of the line of `rtwork list` for exercise id:
 *   ex01  TITLE  PARAMS  seed: CLAIM
 */
static char *list_line(const char *id)
{
	char *rtwork = build_path("rtwork");
	char *argv[] = {rtwork, "list", NULL};
	struct run r;
	char *line = NULL;
	size_t idlen = strlen(id);

	require_file(rtwork);
	r = run_cmd(argv, false);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		      "rtwork list failed (status 0x%x): %s", r.status, r.err);
	for (const char *p = r.out; p && *p; p = strchr(p, '\n'), p += !!p) {
		if (strncmp(p, id, idlen) == 0 && p[idlen] == ' ') {
			line = strndup(p, strchrnul(p, '\n') - p);
			break;
		}
	}
	ck_assert_msg(line != NULL, "rtwork list has no %s:\n%s", id, r.out);
	run_free(&r);
	free(rtwork);
	return line;
}

/*
 * first_param is the first value of the exercise's sweep ("producers=1"),
 * or NULL for an exercise without one ("-"): the token before "seed:".
 */
static char *first_param(const char *id)
{
	char *line = list_line(id), *seed, *end, *start, *param = NULL;

	seed = strstr(line, " seed:");
	ck_assert_msg(seed != NULL, "no seed claim in: %s", line);
	end = seed;
	while (end > line && end[-1] == ' ')
		end--;
	start = end;
	while (start > line && start[-1] != ' ')
		start--;
	ck_assert_msg(start < end, "no parameter column in: %s", line);
	if (!(end - start == 1 && *start == '-'))
		param = strndup(start, strcspn(start, ", "));
	free(line);
	return param;
}

/* trace_variant traces one variant and checks every probe's two counts. */
static void trace_variant(int ex, const char *variant, const char *param)
{
	char *rttrace = build_path("rttrace"), *rtwork = build_path("rtwork");
	char *argv[16] = {rttrace,	  "trace", "--json",
			  "--",		  rtwork,  (char *)exercises[ex].id,
			  (char *)variant};
	long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM];
	const char *id = exercises[ex].id;
	int n = 7;
	struct run r;

	if (param) {
		argv[n++] = "--param";
		argv[n++] = (char *)param;
	}
	argv[n++] = "-benchtime";
	argv[n++] = BENCHTIME;
	argv[n] = NULL;
	require_file(rttrace);
	r = run_cmd(argv, true);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		      "%s %s: rttrace trace failed (status 0x%x)\nstdout:\n%s\n"
		      "stderr:\n%s",
		      id, variant, r.status, r.out, r.err);
	ck_assert_msg(strstr(r.out, "Benchmark") != NULL,
		      "%s %s: no benchmark line on stdout:\n%s", id, variant,
		      r.out);
	rt_stats_counts(r.err, own);
	json_probe_counts(r.out, bpf);
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		ck_assert_msg(own[i] >= 0,
			      "%s %s: no rt-stats line for %s:\n%s", id,
			      variant, probe_names[i], r.err);
		ck_assert_msg(bpf[i] >= 0, "%s %s: no count for %s:\n%s", id,
			      variant, probe_names[i], r.out);
		ck_assert_msg(bpf[i] == own[i],
			      "%s %s: probe %s: rttrace counted %lld, librt "
			      "counted %lld",
			      id, variant, probe_names[i], bpf[i], own[i]);
	}
	if (strcmp(variant, "before") == 0)
		ck_assert_msg(bpf[exercises[ex].mechanism] > 0,
			      "%s before: probe %s never fired", id,
			      probe_names[exercises[ex].mechanism]);
	run_free(&r);
	free(rttrace);
	free(rtwork);
}

/* _i: the exercise's index (tcase_add_loop_test) */
START_TEST(test_every_probe_count_equals_librts_own_on_each_exercise)
{
	char *param = first_param(exercises[_i].id);

	trace_variant(_i, "before", param);
	trace_variant(_i, "after", param);
	free(param);
}
END_TEST

START_TEST(test_rtwork_lists_the_fourteen_exercises)
{
	for (int i = 0; i < NEXERCISES; i++)
		free(list_line(exercises[i].id));
}
END_TEST

/* ---- the live view ------------------------------------------------------ */

/* A snapshot header "--- HH:MM:SS +Ns ---" at p: its N, or -1. */
static double snapshot_header(const char *p)
{
	int hh, mm, ss, used = 0;
	double n;

	if (sscanf(p, "--- %2d:%2d:%2d +%lfs ---%n", &hh, &mm, &ss, &n,
		   &used) != 4 ||
	    !used)
		return -1;
	if (hh > 23 || mm > 59 || ss > 60 || n < 0)
		return -1;
	return n;
}

/* interval_count reads the probe's interval count in the snapshot at p
 * (its events table: probe, interval count, rate/s, total); -1 if absent.
 */
static long long interval_count(const char *p, const char *end,
				const char *probe)
{
	char pat[64];
	const char *q;
	unsigned long long c;

	snprintf(pat, sizeof(pat), "\n    %s ", probe);
	q = memmem(p, end - p, pat, strlen(pat));
	if (!q || sscanf(q + strlen(pat), " %llu", &c) != 1)
		return -1;
	return (long long)c;
}

START_TEST(test_live_prints_snapshots_when_stdout_is_not_a_terminal)
{
	char *rttrace = build_path("rttrace"), *rtwork = build_path("rtwork");
	char *argv[] = {rttrace, "trace", "--live", "--interval", "1s", "--",
			rtwork,	 "ex03",  "before", "-benchtime", "3s", NULL};
	const char *snaps[64], *report;
	double last = -1;
	int nsnaps = 0;
	struct run r;

	require_file(rttrace);
	require_file(rtwork);
	r = run_cmd(argv, false);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		      "rttrace trace --live failed (status 0x%x)\nstdout:\n%s\n"
		      "stderr:\n%s",
		      r.status, r.out, r.err);
	ck_assert_msg(strstr(r.out, "\033[") == NULL,
		      "terminal escapes in output to a file:\n%s", r.out);
	for (const char *p = r.out; p && *p; p = strchr(p, '\n'), p += !!p) {
		double n = snapshot_header(p);

		if (n < 0 || nsnaps == 64)
			continue;
		ck_assert_msg(n >= last, "snapshot +%gs after +%gs", n, last);
		last = n;
		snaps[nsnaps++] = p;
	}
	ck_assert_msg(nsnaps >= 2, "%d snapshots in a 3 s run, want >= 2:\n%s",
		      nsnaps, r.out);
	report = strstr(r.out, "Traced PID");
	ck_assert_msg(report != NULL, "no final report:\n%s", r.out);
	ck_assert_msg(report > snaps[nsnaps - 1],
		      "the final report is not after the snapshots:\n%s",
		      r.out);
	/* the first two are whole intervals of the run: timers were added */
	for (int i = 0; i < 2; i++) {
		const char *end = i + 1 < nsnaps ? snaps[i + 1] : report;
		long long added = interval_count(snaps[i], end, "addtimer");

		ck_assert_msg(memmem(snaps[i], end - snaps[i],
				     "events per probe:", 17) != NULL,
			      "snapshot %d has no events table:\n%.*s", i,
			      (int)(end - snaps[i]), snaps[i]);
		ck_assert_msg(added > 0,
			      "snapshot %d: addtimer's interval count %lld, "
			      "want > 0:\n%.*s",
			      i, added, (int)(end - snaps[i]), snaps[i]);
	}
	run_free(&r);
	free(rttrace);
	free(rtwork);
}
END_TEST

static Suite *trace_all_suite(void)
{
	Suite *s = suite_create("trace_all");
	TCase *tc;

	tc = tcase_create("exercises");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_rtwork_lists_the_fourteen_exercises);
	tcase_add_loop_test(
	    tc, test_every_probe_count_equals_librts_own_on_each_exercise, 0,
	    NEXERCISES);
	suite_add_tcase(s, tc);

	tc = tcase_create("live");
	tcase_set_timeout(tc, 60);
	tcase_add_test(
	    tc, test_live_prints_snapshots_when_stdout_is_not_a_terminal);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_main("test_trace_all", trace_all_suite);
}

/*
 * test_flamegraph.c — rttrace's flamegraph exports on programs whose call
 * paths are known (tests/progs/callpaths.c):
 *
 *   - the folded CPU stacks of `callpaths cpu` put a;b;c at 80 % and a;d
 *     at 20 % of the samples under a, within sampling error (four binomial
 *     standard errors of at least 300 samples);
 *   - the SVG is well-formed (tests/xml_check.h), names the frames, and
 *     renders in headless Chromium to a screenshot with the frames'
 *     colours in it (the PNG is decoded here with zlib);
 *   - --blocking on `callpaths block` roots the blocked time at each wait
 *     reason, under the function that waited, with at least the time its
 *     sleeps guarantee;
 *   - `rttrace run --variant both` writes per-variant files and the
 *     differential.
 *
 * Nothing here depends on speed: shares and lower bounds that the code of
 * the program fixes. Not linked with librt; run as root from the
 * repository root, $RTTRACE_BUILD naming the build (default "build").
 */
#include <math.h>

#include "rtt_cmd.h"
#include "png_check.h"
#include "xml_check.h"

#define TIMEOUT 600

/* A scratch directory per test (libcheck forks each one). */
static char *scratch(void)
{
	char tmpl[] = "/tmp/rttrace-flame-XXXXXX";
	char *d = mkdtemp(tmpl);

	ck_assert_msg(d != NULL, "mkdtemp: %s", strerror(errno));
	return strdup(d);
}

/* drop_scratch removes a scratch directory and what the test wrote. */
static void drop_scratch(char *dir)
{
	char *argv[] = {"/bin/rm", "-rf", dir, NULL};
	struct run r = run_cmd(argv, false);

	run_free(&r);
	free(dir);
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	ck_assert_int_ne(asprintf(&p, "%s/%s", dir, name), -1);
	return p;
}

static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	return slurp_fd(fd);
}

/* trace_callpaths runs `rttrace trace OPTS -- callpaths MODE ARG`. */
static void trace_callpaths(char *const *opts, const char *mode,
			    const char *arg)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/callpaths");
	char *argv[24];
	struct run r;
	int n = 0;

	require_file(rttrace);
	require_file(prog);
	argv[n++] = rttrace;
	argv[n++] = "trace";
	for (; *opts; opts++)
		argv[n++] = *opts;
	argv[n++] = "--";
	argv[n++] = prog;
	argv[n++] = (char *)mode;
	argv[n++] = (char *)arg;
	argv[n] = NULL;
	r = run_cmd(argv, false);
	check_exited_ok(&r);
	run_free(&r);
	free(rttrace);
	free(prog);
}

/* has_path says whether stack (frames split by ';') has the frames of
 * path (also ';'-separated) one after another. */
static bool has_path(const char *stack, const char *path)
{
	size_t n = strlen(path);

	for (const char *p = stack; (p = strstr(p, path)); p++)
		if ((p == stack || p[-1] == ';') &&
		    (p[n] == ';' || p[n] == '\0'))
			return true;
	return false;
}

/* folded_sum adds the weights of the lines of text (folded stacks) that
 * have path, or, with root, whose first frame is root. */
static double folded_sum(const char *text, const char *path, const char *root)
{
	double sum = 0;
	char *copy = strdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');
		size_t rl = root ? strlen(root) : 0;

		ck_assert_msg(sp != NULL, "folded line without weight: %s",
			      line);
		*sp = '\0';
		if (root && (strncmp(line, root, rl) || line[rl] != ';'))
			continue;
		if (path && !has_path(line, path))
			continue;
		sum += strtod(sp + 1, NULL);
	}
	free(copy);
	return sum;
}

START_TEST(test_folded_cpu_shares_follow_the_call_paths)
{
	char *dir = scratch(), *folded = path_in(dir, "cpu.folded");
	char *opts[] = {"--freq", "499", "--folded", folded, NULL};
	double c, d, n, p, sigma;
	char *text;

	trace_callpaths(opts, "cpu", "2");
	text = slurp(folded);
	c = folded_sum(text, "a;b;c", NULL);
	d = folded_sum(text, "a;d", NULL);
	n = c + d;
	/* 2 s at 499 Hz is ~1000 samples on an idle CPU; 300 on a busy one */
	ck_assert_msg(n >= 300, "only %.0f samples under a (need 300):\n%s", n,
		      text);
	/* a frame-pointer walk that left the mappings ends there: one
	 * [unknown] frame, never a tower of them (profile.c) */
	ck_assert_msg(strstr(text, "[unknown];[unknown]") == NULL,
		      "a chain of unmapped frames:\n%s", text);
	p = c / n;
	sigma = sqrt(0.8 * 0.2 / n);
	ck_assert_msg(fabs(p - 0.8) <= 4 * sigma,
		      "a;b;c has %.1f%% of %.0f samples under a, expected "
		      "80%% +- %.1f%% (4 sigma):\n%s",
		      100 * p, n, 400 * sigma, text);
	free(text);
	free(folded);
	drop_scratch(dir);
}
END_TEST

START_TEST(test_svg_is_well_formed_and_names_the_frames)
{
	char *dir = scratch(), *svgp = path_in(dir, "cpu.svg");
	char *opts[] = {"--freq", "499", "--flamegraph", svgp, NULL};
	const char *why;
	char *svg;
	long n;

	trace_callpaths(opts, "cpu", "1");
	svg = slurp(svgp);
	why = xml_check(svg, &n);
	ck_assert_msg(why == NULL, "%s is not well-formed: %s", svgp, why);
	ck_assert_int_gt(n, 20);
	ck_assert_ptr_nonnull(strstr(svg, "<svg "));
	ck_assert_ptr_nonnull(strstr(svg, "<title>all ("));
	ck_assert_ptr_nonnull(strstr(svg, "<title>a ("));
	ck_assert_ptr_nonnull(strstr(svg, "<title>b ("));
	ck_assert_ptr_nonnull(strstr(svg, "<title>c ("));
	ck_assert_ptr_nonnull(strstr(svg, "<title>d ("));
	ck_assert_ptr_nonnull(strstr(svg, "<title>mainfn ("));
	/* interactive: the zoom and search code travels inside */
	ck_assert_ptr_nonnull(strstr(svg, "function zoom("));
	ck_assert_ptr_nonnull(strstr(svg, "function search("));
	free(svg);
	free(svgp);
	drop_scratch(dir);
}
END_TEST

/* ---- a PNG decoder: just what chromium's screenshots need ------------ */

START_TEST(test_svg_renders_in_chromium_with_its_frames)
{
	char *dir = scratch(), *svgp = path_in(dir, "cpu.svg");
	char *png = path_in(dir, "shot.png"), *shot, *url;
	char *opts[] = {"--freq", "499", "--flamegraph", svgp, NULL};
	const char *chromium = "/usr/bin/chromium";
	unsigned long warm = 0, aqua = 0;
	struct png im;
	struct run r;
	char *data;
	struct stat st;
	int fd;

	ck_assert_msg(access(chromium, X_OK) == 0,
		      "%s: %s (scripts/deps.sh installs it)", chromium,
		      strerror(errno));
	trace_callpaths(opts, "cpu", "1");
	ck_assert_int_ne(asprintf(&shot, "--screenshot=%s", png), -1);
	ck_assert_int_ne(asprintf(&url, "file://%s", svgp), -1);
	{
		char *argv[] = {(char *)chromium,
				"--headless",
				"--no-sandbox",
				"--disable-gpu",
				shot,
				"--window-size=1200,800",
				url,
				NULL};

		r = run_cmd(argv, false);
	}
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		      "chromium failed: %s", r.err);
	run_free(&r);
	fd = open(png, O_RDONLY);
	ck_assert_msg(fd >= 0, "no screenshot %s", png);
	ck_assert_int_eq(fstat(fd, &st), 0);
	data = slurp_fd(fd);
	im = png_decode((unsigned char *)data, (size_t)st.st_size);
	/*
	 * A blank page has neither colour. The program's frames (a, b, c,
	 * d, mainfn: most of the width, five rows) are warm, librt's
	 * (the goroutine entry) aqua.
	 */
	for (size_t i = 0; i < (size_t)im.w * im.h; i++) {
		const unsigned char *p = im.px + i * im.channels;

		if (p[0] > 190 && p[1] < 140 && p[2] < 90)
			warm++;
		else if (p[0] < 130 && p[1] > 150 && p[2] > 150)
			aqua++;
	}
	ck_assert_msg(warm > (unsigned long)im.w * im.h / 50,
		      "only %lu warm pixels of %u x %u: not rendered?", warm,
		      im.w, im.h);
	ck_assert_msg(aqua > (unsigned long)im.w * 5,
		      "only %lu aqua pixels: librt's frames not drawn?", aqua);
	free(im.px);
	free(data);
	free(shot);
	free(url);
	free(png);
	free(svgp);
	drop_scratch(dir);
}
END_TEST

START_TEST(test_blocking_profile_roots_time_at_wait_reasons)
{
	char *dir = scratch(), *folded = path_in(dir, "b.folded");
	char *bpath = path_in(dir, "b-blocking.folded");
	char *opts[] = {"--blocking", "--no-profile", "--folded", folded, NULL};
	double sleep_ns, recv_ns, wg_ns, all;
	char *text;

	trace_callpaths(opts, "block", "200");
	text = slurp(bpath);
	all = folded_sum(text, NULL, NULL);
	sleep_ns = folded_sum(text, NULL, "sleep");
	recv_ns = folded_sum(text, NULL, "chan receive");
	wg_ns = folded_sum(text, NULL, "sync.WaitGroup.Wait");
	/* 200 sleeps of 1 ms: a timer never fires early */
	ck_assert_msg(sleep_ns >= 0.5 * 200e6, "%.0f ns under sleep:\n%s",
		      sleep_ns, text);
	/* every sleep is the sender's, in rt_sleep */
	ck_assert_double_eq(folded_sum(text, "sender;rt_sleep", "sleep"),
			    sleep_ns);
	/* the receiver waits on the channel the sender fills */
	ck_assert_msg(recv_ns > 0, "nothing under chan receive:\n%s", text);
	ck_assert_double_eq(
	    folded_sum(text, "receiver;rt_chan_recv", "chan receive"), recv_ns);
	/* main waits for both: at least the sender's sleeps */
	ck_assert_msg(wg_ns >= sleep_ns * 0.9,
		      "%.0f ns under sync.WaitGroup.Wait, %.0f under sleep",
		      wg_ns, sleep_ns);
	ck_assert_double_eq(folded_sum(text, "mainfn", "sync.WaitGroup.Wait"),
			    wg_ns);
	/* every stack starts at one of librt's wait reasons */
	{
		static const char *const reasons[] = {
#define X(name, str) str,
		    RT_WAITREASON_LIST(X)
#undef X
		};
		double rooted = 0;

		for (size_t i = 1; i < sizeof(reasons) / sizeof(reasons[0]);
		     i++)
			rooted += folded_sum(text, NULL, reasons[i]);
		ck_assert_msg(rooted == all,
			      "%.0f of %.0f ns not under a wait reason:\n%s",
			      all - rooted, all, text);
	}
	free(text);
	free(bpath);
	free(folded);
	drop_scratch(dir);
}
END_TEST

START_TEST(test_blocking_svg_is_well_formed)
{
	char *dir = scratch(), *svgp = path_in(dir, "b.svg");
	char *bsvg = path_in(dir, "b-blocking.svg");
	char *opts[] = {"--blocking", "--no-profile", "--flamegraph", svgp,
			NULL};
	const char *why;
	char *svg;
	long n;

	trace_callpaths(opts, "block", "50");
	svg = slurp(bsvg);
	why = xml_check(svg, &n);
	ck_assert_msg(why == NULL, "%s is not well-formed: %s", bsvg, why);
	ck_assert_ptr_nonnull(strstr(svg, "<title>sleep ("));
	ck_assert_ptr_nonnull(strstr(svg, "<title>chan receive ("));
	ck_assert_ptr_nonnull(strstr(svg, "<title>receiver ("));
	ck_assert_ptr_nonnull(strstr(svg, " ms, ")); /* weights as time */
	free(svg);
	free(bsvg);
	free(svgp);
	drop_scratch(dir);
}
END_TEST

START_TEST(test_run_both_variants_writes_the_differential)
{
	char *rttrace = build_path("rttrace");
	char *dir = scratch(), *svgp = path_in(dir, "ex09.svg");
	char *names[] = {"ex09-before.svg", "ex09-after.svg", "ex09-diff.svg"};
	char *argv[] = {rttrace,	"run", "ex09",	 "--benchtime", "200ms",
			"--flamegraph", svgp,  "--freq", "199",		NULL};
	struct run r;

	require_file(rttrace);
	r = run_cmd(argv, false);
	check_exited_ok(&r);
	run_free(&r);
	for (size_t i = 0; i < 3; i++) {
		char *p = path_in(dir, names[i]), *svg = slurp(p);
		const char *why;
		long n;

		why = xml_check(svg, &n);
		ck_assert_msg(why == NULL, "%s: %s", p, why);
		ck_assert_ptr_nonnull(strstr(svg, "<title>all ("));
		if (i == 2) {
			int red = strstr(svg, "fill=\"rgb(255,") != NULL;
			int blue = strstr(svg, ",255)\" fg:fill") != NULL;

			/* ex09's variants differ: something changed */
			ck_assert_msg(red || blue,
				      "the differential shows no change");
			ck_assert_ptr_nonnull(strstr(svg, "before"));
		}
		free(svg);
		free(p);
	}
	free(svgp);
	drop_scratch(dir);
	free(rttrace);
}
END_TEST

static Suite *flamegraph_suite(void)
{
	Suite *s = suite_create("flamegraph");
	TCase *tc = tcase_create("trace");

	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_folded_cpu_shares_follow_the_call_paths);
	tcase_add_test(tc, test_svg_is_well_formed_and_names_the_frames);
	tcase_add_test(tc, test_svg_renders_in_chromium_with_its_frames);
	tcase_add_test(tc, test_blocking_profile_roots_time_at_wait_reasons);
	tcase_add_test(tc, test_blocking_svg_is_well_formed);
	tcase_add_test(tc, test_run_both_variants_writes_the_differential);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_main("test_flamegraph", flamegraph_suite);
}

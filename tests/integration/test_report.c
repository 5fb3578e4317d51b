/*
 * test_report.c — `rttrace report --html FILE`.
 *
 * One report of ex03 and ex09 (--benchtime 50ms; --freq 999 so that each
 * traced run has CPU samples to draw) is made once, before the tests, by
 * an unchecked fixture; each test then reads the page for one behaviour:
 * it was written and is well-formed (every element closed in order), it
 * holds both exercises with a verdict in the summary and in their
 * sections that agree, inline SVG histograms and the flamegraphs before,
 * after and differential, no external resource; and headless Chromium
 * renders it to a screenshot that is not blank — the PNG is decoded
 * (zlib) and its pixels counted, so an empty or unstyled page fails.
 * Then the command line's errors.
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include <stdint.h>

#include "rtt_cmd.h"
#include "png_check.h"
#include "xml_check.h"

#define TIMEOUT	 600 /* 2 exercises x 4 runs, each detach ~5 s */
#define CHROMIUM "/usr/bin/chromium"
#define SHOT_W	 1280
#define SHOT_H	 2400

static const char *const exercises[] = {"ex03", "ex09"};
static const char *const verdicts[] = {"reproduces", "stronger", "weaker",
				       "does not reproduce"};

/* What the fixture made; the forked tests inherit it. */
static char dir[] = "/tmp/rttrace-report-XXXXXX";
static char page_path[64], shot_path[64];
static struct run report, shot;
static bool made;

static void make_report(void)
{
	char *rttrace = build_path("rttrace");
	char url[128], size[32], profile[96];

	if (!mkdtemp(dir))
		return;
	snprintf(page_path, sizeof(page_path), "%s/report.html", dir);
	snprintf(shot_path, sizeof(shot_path), "%s/report.png", dir);
	char *argv[] = {rttrace,       "report",    "--html",	   page_path,
			"--exercises", "ex03,ex09", "--benchtime", "50ms",
			"--freq",      "999",	    NULL};
	report = run_cmd(argv, false);

	/* chromium's own profile in the test's directory, never ~'s */
	snprintf(url, sizeof(url), "file://%s", page_path);
	snprintf(size, sizeof(size), "--window-size=%d,%d", SHOT_W, SHOT_H);
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/chromium", dir);
	char shot_arg[96];
	snprintf(shot_arg, sizeof(shot_arg), "--screenshot=%s", shot_path);
	char *cargv[] = {"/usr/bin/timeout",
			 "120",
			 CHROMIUM,
			 "--headless",
			 "--no-sandbox",
			 "--disable-gpu",
			 "--hide-scrollbars",
			 profile,
			 size,
			 shot_arg,
			 url,
			 NULL};
	if (access(CHROMIUM, X_OK) == 0)
		shot = run_cmd(cargv, false);
	made = true;
	free(rttrace);
}

static void remove_report(void)
{
	char *argv[] = {"/bin/rm", "-rf", dir, NULL};

	if (made && strncmp(dir, "/tmp/rttrace-report-", 20) == 0 &&
	    !strstr(dir, "XXXXXX")) {
		struct run r = run_cmd(argv, false);

		run_free(&r);
	}
	run_free(&report);
	run_free(&shot);
}

/* page reads the page the fixture wrote. */
static char *page(void)
{
	FILE *f;
	long len;
	char *s;

	ck_assert_msg(made, "the fixture did not run");
	ck_assert_msg(WIFEXITED(report.status) &&
			  WEXITSTATUS(report.status) == 0,
		      "rttrace report failed (status 0x%x)\nstdout:\n%s\n"
		      "stderr:\n%s",
		      report.status, report.out, report.err);
	f = fopen(page_path, "r");
	ck_assert_msg(f != NULL, "%s: %s", page_path, strerror(errno));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	s = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(fread(s, 1, (size_t)len, f), (size_t)len);
	s[len] = '\0';
	fclose(f);
	return s;
}

/* section copies exercise id's <section> out of the page. */
static char *section(const char *doc, const char *id)
{
	char open[64];
	const char *p, *e;

	snprintf(open, sizeof(open), "<section id=\"%s\">", id);
	p = strstr(doc, open);
	ck_assert_msg(p != NULL, "no %s in the page", open);
	e = strstr(p, "</section>");
	ck_assert_msg(e != NULL, "%s never closed", open);
	return strndup(p, (size_t)(e - p));
}

/* count counts the occurrences of needle in [s, end). */
static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* verdict_in reads the first verdict badge in s; NULL if none. */
static const char *verdict_in(const char *s)
{
	const char *b = strstr(s, "class=\"badge ");

	if (!b || !(b = strchr(b, '>')))
		return NULL;
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		if (strncmp(b + 1, verdicts[i], strlen(verdicts[i])) == 0 &&
		    b[1 + strlen(verdicts[i])] == '<')
			return verdicts[i];
	return NULL;
}

START_TEST(test_report_writes_the_page_and_says_so)
{
	char want[128];
	char *doc = page();

	snprintf(want, sizeof(want), "wrote %s: 2 of 2 exercises", page_path);
	ck_assert_msg(strstr(report.out, want), "stdout lacks \"%s\":\n%s",
		      want, report.out);
	ck_assert_msg(access(page_path, F_OK) == 0 &&
			  strncmp(doc, "<!DOCTYPE html>", 15) == 0,
		      "the page does not start with a doctype");
	free(doc);
}
END_TEST

START_TEST(test_page_is_well_formed)
{
	char *doc = page();
	const char *body = doc + strlen("<!DOCTYPE html>");
	const char *why;
	long elements;

	/* report.c closes every element (<meta/> too): XML after the
	 * doctype, so mismatched or unclosed tags show */
	why = xml_check(body, &elements);
	ck_assert_msg(why == NULL, "the page is not well-formed: %s", why);
	ck_assert_int_gt(elements, 100);
	ck_assert_int_eq(count(doc, "<html"), 1);
	ck_assert_int_eq(count(doc, "<body>"), 1);
	ck_assert_int_eq(count(doc, "<main>"), 1);
	ck_assert_int_eq(count(doc, "</html>"), 1);
	free(doc);
}
END_TEST

START_TEST(test_page_has_both_exercises_with_agreeing_verdicts)
{
	char *doc = page();
	const char *summary = strstr(doc, "id=\"summary\"");

	ck_assert_msg(summary != NULL, "no summary table");
	for (size_t i = 0; i < 2; i++) {
		char link[64];
		const char *row, *vs, *vr;
		char *sec = section(doc, exercises[i]);

		snprintf(link, sizeof(link), "<a href=\"#%s\">", exercises[i]);
		row = strstr(summary, link);
		ck_assert_msg(row != NULL, "no summary row for %s",
			      exercises[i]);
		vr = verdict_in(row);
		vs = verdict_in(sec);
		ck_assert_msg(vr != NULL, "%s: no verdict in its summary row",
			      exercises[i]);
		ck_assert_msg(vs != NULL, "%s: no verdict in its section",
			      exercises[i]);
		ck_assert_msg(strcmp(vr, vs) == 0,
			      "%s: the summary says %s, the section %s",
			      exercises[i], vr, vs);
		ck_assert_msg(strstr(sec, "seed's claim") &&
				  strstr(sec, "mechanism"),
			      "%s: no claim or mechanism", exercises[i]);
		free(sec);
	}
	free(doc);
}
END_TEST

START_TEST(test_sections_have_inline_svg_histograms_and_flamegraphs)
{
	char *doc = page();

	for (size_t i = 0; i < 2; i++) {
		char *sec = section(doc, exercises[i]);
		int hists = count(sec, "<svg class=\"hist\""),
		    bars = count(sec, "class=\"bar\""),
		    flames = count(sec, "<iframe class=\"flame\"");

		ck_assert_msg(hists >= 2 && bars >= 2,
			      "%s: %d histogram SVGs, %d bars", exercises[i],
			      hists, bars);
		/* before, after and the differential, each an SVG document
		 * with its frames */
		ck_assert_msg(flames == 3, "%s: %d flamegraphs, want 3",
			      exercises[i], flames);
		ck_assert_int_eq(count(sec, "srcdoc=\""), 3);
		ck_assert_int_ge(count(sec, "&lt;svg version="), 3);
		ck_assert_msg(strstr(sec, "rt_goentry") != NULL,
			      "%s: no librt frame in the flamegraphs",
			      exercises[i]);
		ck_assert_msg(strstr(sec, "runtime signatures") &&
				  strstr(sec, "mallocgc"),
			      "%s: no signature table", exercises[i]);
		free(sec);
	}
	free(doc);
}
END_TEST

START_TEST(test_page_loads_no_external_resource)
{
	char *doc = page();

	/* the flamegraphs' scripts live escaped in srcdoc: no raw tag */
	ck_assert_ptr_null(strstr(doc, "<script"));
	ck_assert_ptr_null(strstr(doc, "<link"));
	ck_assert_ptr_null(strstr(doc, " src="));
	ck_assert_ptr_null(strstr(doc, "url("));
	ck_assert_ptr_null(strstr(doc, "@import"));
	ck_assert_ptr_null(strstr(doc, "href=\"http"));
	free(doc);
}
END_TEST

/* ---- the screenshot ------------------------------------------------------ */

/*
 * band_stats counts, in rows [y0, y1), the pixels that differ from the
 * page's white background and the distinct colours (up to 4096 kept).
 */
static void band_stats(const struct png *img, uint32_t y0, uint32_t y1,
		       double *ink, int *colours)
{
	static uint32_t seen[4096];
	uint64_t n = 0, total = 0;

	*colours = 0;
	for (uint32_t y = y0; y < y1 && y < img->h; y++)
		for (uint32_t x = 0; x < img->w; x++) {
			const uint8_t *p =
			    img->px + ((size_t)y * img->w + x) * img->channels;
			uint32_t rgb = (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
			bool known = false;

			total++;
			n += rgb != 0xffffff;
			for (int i = 0; i < *colours && !known; i++)
				known = seen[i] == rgb;
			if (!known && *colours < 4096)
				seen[(*colours)++] = rgb;
		}
	*ink = total ? (double)n / total : 0;
}

START_TEST(test_chromium_renders_a_page_that_is_not_blank)
{
	FILE *f;
	long len;
	uint8_t *buf;
	struct png img;
	free(page());

	ck_assert_msg(access(CHROMIUM, X_OK) == 0,
		      "%s missing: make deps installs chromium", CHROMIUM);
	ck_assert_msg(WIFEXITED(shot.status) && WEXITSTATUS(shot.status) == 0,
		      "chromium failed (status 0x%x):\n%s", shot.status,
		      shot.err);
	f = fopen(shot_path, "rb");
	ck_assert_msg(f != NULL, "no screenshot %s: %s\n%s", shot_path,
		      strerror(errno), shot.err);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	img = png_decode(buf, (size_t)len);
	ck_assert_uint_eq(img.w, SHOT_W);
	ck_assert_uint_eq(img.h, SHOT_H);
	/*
	 * Three bands: the summary at the top, ex03's tables and
	 * histograms, and its flamegraph. Each must hold ink (text, bars,
	 * frames: more than 2 % of its pixels off white) and many colours
	 * (anti-aliased text, the verdict badges, the flamegraph's
	 * palette); a blank or unstyled page has one or a few.
	 */
	for (int band = 0; band < 3; band++) {
		uint32_t y0 = band * (SHOT_H / 3), y1 = y0 + SHOT_H / 3;
		double ink;
		int colours;

		band_stats(&img, y0, y1, &ink, &colours);
		ck_assert_msg(ink > 0.02 && colours >= 32,
			      "screenshot rows %u-%u look blank: %.2f %% ink, "
			      "%d colours",
			      y0, y1, 100 * ink, colours);
	}
	free(img.px);
	free(buf);
}
END_TEST

/* ---- the command line ---------------------------------------------------- */

static void check_usage_error(char **argv, const char *want)
{
	struct run r = run_cmd(argv, false);

	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2,
		      "want exit 2, got status 0x%x\nstderr:\n%s", r.status,
		      r.err);
	ck_assert_msg(strstr(r.err, want), "stderr lacks \"%s\":\n%s", want,
		      r.err);
	run_free(&r);
}

START_TEST(test_report_without_html_is_a_usage_error)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace, "report", "--exercises", "ex03", NULL};

	check_usage_error(argv, "no --html FILE given");
	free(rttrace);
}
END_TEST

START_TEST(test_report_of_an_unknown_exercise_is_a_usage_error)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace,       "report",    "--html", "/tmp/never.html",
			"--exercises", "ex03,ex99", NULL};

	check_usage_error(argv, "unknown exercise 'ex99'");
	ck_assert_int_ne(access("/tmp/never.html", F_OK), 0);
	free(rttrace);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("html");

	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_unchecked_fixture(tc, make_report, remove_report);
	tcase_add_test(tc, test_report_writes_the_page_and_says_so);
	tcase_add_test(tc, test_page_is_well_formed);
	tcase_add_test(tc, test_page_has_both_exercises_with_agreeing_verdicts);
	tcase_add_test(
	    tc, test_sections_have_inline_svg_histograms_and_flamegraphs);
	tcase_add_test(tc, test_page_loads_no_external_resource);
	tcase_add_test(tc, test_chromium_renders_a_page_that_is_not_blank);
	suite_add_tcase(s, tc);

	tc = tcase_create("usage");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_report_without_html_is_a_usage_error);
	tcase_add_test(tc, test_report_of_an_unknown_exercise_is_a_usage_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_main("test_report", report_suite);
}

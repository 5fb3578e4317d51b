/*
 * test_user_flamegraph.c — folded stacks and the SVG flamegraph
 * (user/flamegraph.c) on profiles made up here: merging, the folded
 * format both ways, frame names from symbolized samples, escaping of
 * names in the SVG, the layout's widths, colours by kind and by change,
 * and the file names derived for variants.
 *
 * Linked with user/flamegraph.o and the other user objects of the
 * test_user_* rule, not with librt.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flamegraph.h"
#include "profile_user.h"
#include "xml_check.h"

/* svg_of draws fo (or the diff of before and fo) into a string. */
static char *svg_of(const struct folded *fo, const struct folded *before)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	if (before)
		ck_assert_int_eq(flamegraph_svg_diff(f, before, fo, "diff"), 0);
	else
		ck_assert_int_eq(flamegraph_svg(f, fo, "test", NULL), 0);
	fclose(f);
	return buf;
}

static void check_well_formed(const char *svg)
{
	long n;
	const char *why = xml_check(svg, &n);

	ck_assert_msg(why == NULL, "SVG not well-formed: %s", why);
	ck_assert_int_gt(n, 5);
}

static struct folded folded_of(const char *const *stacks, const double *w,
			       size_t n)
{
	struct folded fo = {.unit = "samples"};

	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(folded_add(&fo, stacks[i], w[i]), 0);
	folded_merge(&fo);
	return fo;
}

START_TEST(test_merge_adds_equal_stacks_and_sorts_frame_by_frame)
{
	/* "a;b!" sorts before "a;b;c" by bytes, after it frame by frame */
	const char *const s[] = {"a;b;c", "a;b!", "a;b;c", "a;b", "a;d"};
	const double w[] = {3, 1, 4, 2, 5};
	struct folded fo = folded_of(s, w, 5);

	ck_assert_uint_eq(fo.n, 4);
	ck_assert_str_eq(fo.v[0].stack, "a;b");
	ck_assert_str_eq(fo.v[1].stack, "a;b;c");
	ck_assert_double_eq(fo.v[1].weight, 7);
	ck_assert_str_eq(fo.v[2].stack, "a;b!");
	ck_assert_str_eq(fo.v[3].stack, "a;d");
	ck_assert_double_eq(fo.total, 15);
	folded_free(&fo);
}
END_TEST

START_TEST(test_folded_write_then_read_round_trips)
{
	const char *const s[] = {"main;a b c;x", "main;y", "z"};
	const double w[] = {10, 2.5, 1e12};
	struct folded fo = folded_of(s, w, 3), back;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(folded_write(f, &fo), 0);
	fclose(f);
	/* integers stay integers; the last space separates the weight */
	ck_assert_ptr_nonnull(strstr(buf, "main;a b c;x 10\n"));
	ck_assert_ptr_nonnull(strstr(buf, "z 1000000000000\n"));
	ck_assert_ptr_nonnull(strstr(buf, "main;y 2.5\n"));
	f = fmemopen(buf, len, "r");
	ck_assert_int_eq(folded_read(f, &back), 0);
	fclose(f);
	ck_assert_uint_eq(back.n, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(back.v[i].stack, fo.v[i].stack);
		ck_assert_double_eq(back.v[i].weight, fo.v[i].weight);
	}
	free(buf);
	folded_free(&fo);
	folded_free(&back);
}
END_TEST

START_TEST(test_folded_read_rejects_a_line_without_weight)
{
	static const char text[] = "a;b 3\nnoweight\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct folded fo;

	ck_assert_int_eq(folded_read(f, &fo), -EINVAL);
	fclose(f);
}
END_TEST

/* frame makes a profile frame; the strings are the caller's. */
static struct profile_frame frame(const char *name, const char *file,
				  bool kernel, bool inlined)
{
	return (struct profile_frame){.name = (char *)name,
				      .file = (char *)file,
				      .kernel = kernel,
				      .inlined = inlined};
}

START_TEST(test_from_profile_folds_outermost_first_with_annotations)
{
	/* innermost first: a kernel frame, an inlined call, librt, user */
	struct profile_frame f1[] = {
	    frame("do_syscall_64", NULL, true, false),
	    frame("inl;ined", "x.c", false, true),
	    frame("rt_chan_send", "/src/runtime/chan.c", false, false),
	    frame("main", "prog.c", false, false),
	};
	struct profile_frame f2[] = {
	    frame("do_syscall_64", NULL, true, false),
	    frame("inl;ined", "x.c", false, true),
	    frame("rt_chan_send", "/src/runtime/chan.c", false, false),
	    frame("main", "prog.c", false, false),
	};
	struct profile_frame f3[] = {
	    frame(NULL, NULL, false, false),
	    frame("chansend", "runtime/chan.c", false, false),
	};
	struct profile_stack st[] = {
	    {.count = 5, .nframes = 4, .frames = f1},
	    {.count = 2, .nframes = 4, .frames = f2}, /* same names */
	    {.count = 1, .nframes = 2, .frames = f3, .user_lost = false},
	    {.count = 3, .nframes = 0, .frames = NULL, .user_lost = true},
	};
	struct profile_result r = {.nstacks = 4, .stacks = st};
	struct folded fo;

	ck_assert_int_eq(folded_from_profile(&r, &fo), 0);
	ck_assert_str_eq(fo.unit, "samples");
	ck_assert_double_eq(fo.total, 11);
	ck_assert_uint_eq(fo.n, 3);
	/* frame by frame: "[stack lost]" < "chansend" < "main" */
	ck_assert_str_eq(fo.v[0].stack, "[stack lost]");
	ck_assert_double_eq(fo.v[0].weight, 3);
	ck_assert_str_eq(fo.v[1].stack, "chansend;[unknown]");
	ck_assert_str_eq(fo.v[2].stack,
			 "main;rt_chan_send;inl:ined_[i];do_syscall_64_[k]");
	ck_assert_double_eq(fo.v[2].weight, 7);
	/* kinds: librt by its source file, kernel and pseudo by name */
	ck_assert_int_eq(frame_kind_of(&fo, "chansend"), FRAME_RUNTIME);
	ck_assert_int_eq(frame_kind_of(&fo, "rt_chan_send"), FRAME_RUNTIME);
	ck_assert_int_eq(frame_kind_of(&fo, "main"), FRAME_USER);
	ck_assert_int_eq(frame_kind_of(&fo, "do_syscall_64_[k]"), FRAME_KERNEL);
	ck_assert_int_eq(frame_kind_of(&fo, "[unknown]"), FRAME_SPECIAL);
	folded_free(&fo);
}
END_TEST

START_TEST(test_svg_escapes_names)
{
	const char *const s[] = {"main;operator<<&\"'q'\"",
				 "main;a<b>;</g></svg>"};
	const double w[] = {50, 50};
	struct folded fo = folded_of(s, w, 2);
	char *svg = svg_of(&fo, NULL);

	check_well_formed(svg);
	ck_assert_ptr_nonnull(strstr(
	    svg, "<title>operator&lt;&lt;&amp;&quot;&apos;q&apos;&quot; ("));
	ck_assert_ptr_nonnull(strstr(svg, "<title>a&lt;b&gt; (50 samples"));
	ck_assert_ptr_null(strstr(svg, "a<b>"));
	ck_assert_ptr_null(strstr(svg, "operator<<"));
	free(svg);
	folded_free(&fo);
}
END_TEST

/* rect_w reads the width of the frame whose title starts with name. */
static double rect_w(const char *svg, const char *name)
{
	char pat[256];
	const char *p;
	double w = -1;

	snprintf(pat, sizeof(pat), "<title>%s (", name);
	p = strstr(svg, pat);
	ck_assert_msg(p != NULL, "no frame %s", name);
	p = strstr(p, "fg:w=\"");
	ck_assert_ptr_nonnull(p);
	sscanf(p, "fg:w=\"%lf", &w);
	return w;
}

START_TEST(test_svg_widths_are_inclusive_weights)
{
	const char *const s[] = {"a;b;c", "a;d", "a", "e"};
	const double w[] = {80, 20, 5, 15};
	struct folded fo = folded_of(s, w, 4);
	char *svg = svg_of(&fo, NULL);

	check_well_formed(svg);
	ck_assert_double_eq(rect_w(svg, "all"), 120);
	ck_assert_double_eq(rect_w(svg, "a"), 105);
	ck_assert_double_eq(rect_w(svg, "b"), 80);
	ck_assert_double_eq(rect_w(svg, "c"), 80);
	ck_assert_double_eq(rect_w(svg, "d"), 20);
	ck_assert_ptr_nonnull(strstr(svg, "<title>c (80 samples, 66.67%)"));
	/* the script zooms and searches; CDATA holds it whole */
	ck_assert_ptr_nonnull(strstr(svg, "function zoom("));
	ck_assert_ptr_nonnull(strstr(svg, "function search("));
	free(svg);
	folded_free(&fo);
}
END_TEST

START_TEST(test_svg_colours_by_kind)
{
	const char *const s[] = {"main;rt_chan_recv;gopark",
				 "main;work;do_syscall_64_[k]",
				 "chan receive;main"};
	const double w[] = {10, 10, 10};
	struct folded fo = folded_of(s, w, 3);
	int user[3], rt[3], rt2[3], kern[3], reason[3];
	char *svg;

	ck_assert_int_eq(folded_set_kind(&fo, "gopark", FRAME_RUNTIME), 0);
	ck_assert_int_eq(folded_set_kind(&fo, "chan receive", FRAME_SPECIAL),
			 0);
	folded_kinds_done(&fo);
	svg = svg_of(&fo, NULL);
	check_well_formed(svg);
	ck_assert(svg_frame_fill(svg, "work", user));
	ck_assert(svg_frame_fill(svg, "rt_chan_recv", rt));
	ck_assert(svg_frame_fill(svg, "gopark", rt2));
	ck_assert(svg_frame_fill(svg, "do_syscall_64_[k]", kern));
	ck_assert(svg_frame_fill(svg, "chan receive", reason));
	/* user warm (red dominates), librt aqua (green and blue over red),
	 * kernel orange (red over green over blue), pseudo grey */
	ck_assert_int_gt(user[0], 200);
	ck_assert_int_lt(user[2], 60);
	ck_assert_int_gt(rt[1], rt[0] + 40);
	ck_assert_int_gt(rt2[2], rt2[0] + 40);
	ck_assert_int_gt(kern[0], kern[1]);
	ck_assert_int_gt(kern[1], kern[2] + 60);
	ck_assert_int_eq(reason[0], reason[1]);
	ck_assert_int_eq(reason[1], reason[2]);
	free(svg);
	folded_free(&fo);
}
END_TEST

START_TEST(test_diff_colours_red_grew_blue_shrank)
{
	/* before has twice the samples: scaled to after's total first */
	const char *const sb[] = {"a;b", "a;c", "a;e", "gone"};
	const double wb[] = {20, 60, 20, 100};
	const char *const sa[] = {"a;b", "a;c", "a;e", "new"};
	const double wa[] = {30, 10, 5, 55};
	struct folded before = folded_of(sb, wb, 4);
	struct folded after = folded_of(sa, wa, 4);
	int b[3], c[3], e[3], n[3];
	char *svg = svg_of(&after, &before);

	check_well_formed(svg);
	/* b: 10 -> 30 of 100, the largest growth */
	ck_assert(svg_frame_fill(svg, "b", b));
	ck_assert_int_eq(b[0], 255);
	ck_assert_int_lt(b[1], 150);
	ck_assert_int_eq(b[1], b[2]);
	/* c: 30 -> 10, shrank */
	ck_assert(svg_frame_fill(svg, "c", c));
	ck_assert_int_eq(c[2], 255);
	ck_assert_int_lt(c[0], 255);
	ck_assert_int_eq(c[0], c[1]);
	/* e: 10 -> 5, shrank less: paler blue than c */
	ck_assert(svg_frame_fill(svg, "e", e));
	ck_assert_int_eq(e[2], 255);
	ck_assert_int_gt(e[0], c[0]);
	/* new: 0 -> 55, the largest change of all: deepest red */
	ck_assert(svg_frame_fill(svg, "new", n));
	ck_assert_int_eq(n[0], 255);
	ck_assert_int_eq(n[1], 0);
	/* width is after's: before-only stacks have none */
	ck_assert_ptr_null(strstr(svg, "<title>gone ("));
	ck_assert_double_eq(rect_w(svg, "b"), 30);
	free(svg);
	folded_free(&before);
	folded_free(&after);
}
END_TEST

START_TEST(test_diff_unchanged_is_white)
{
	const char *const s[] = {"a;b", "a;c"};
	const double w1[] = {10, 30}, w2[] = {20, 60};
	struct folded before = folded_of(s, w1, 2);
	struct folded after = folded_of(s, w2, 2);
	int rgb[3];
	char *svg = svg_of(&after, &before);

	/* the same shares at twice the samples: no change after scaling */
	ck_assert(svg_frame_fill(svg, "b", rgb));
	ck_assert_int_eq(rgb[0], 255);
	ck_assert_int_eq(rgb[1], 255);
	ck_assert_int_eq(rgb[2], 255);
	free(svg);
	folded_free(&before);
	folded_free(&after);
}
END_TEST

START_TEST(test_diff_folded_lists_both_weights)
{
	const char *const sb[] = {"a;b", "x"};
	const char *const sa[] = {"a;b", "a;c"};
	const double wb[] = {1, 2}, wa[] = {3, 4};
	struct folded before = folded_of(sb, wb, 2);
	struct folded after = folded_of(sa, wa, 2);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(folded_write_diff(f, &before, &after), 0);
	fclose(f);
	ck_assert_str_eq(buf, "a;b 1 3\na;c 0 4\nx 2 0\n");
	free(buf);
	folded_free(&before);
	folded_free(&after);
}
END_TEST

START_TEST(test_empty_profile_draws_a_valid_svg)
{
	struct folded fo = {.unit = "ns"};
	char *svg = svg_of(&fo, NULL);

	check_well_formed(svg);
	ck_assert_ptr_nonnull(strstr(svg, "no stacks were recorded"));
	free(svg);
}
END_TEST

START_TEST(test_ns_weights_show_as_durations)
{
	const char *const s[] = {"sleep;main"};
	const double w[] = {2500000};
	struct folded fo = folded_of(s, w, 1);
	char *svg;

	fo.unit = "ns";
	svg = svg_of(&fo, NULL);
	ck_assert_ptr_nonnull(strstr(svg, "<title>sleep (2.5 ms, 100.00%)"));
	free(svg);
	folded_free(&fo);
}
END_TEST

START_TEST(test_flame_path_puts_suffix_before_extension)
{
	struct {
		const char *base, *suffix, *want;
	} cases[] = {
	    {"out.svg", "before", "out-before.svg"},
	    {"dir.d/out", "diff", "dir.d/out-diff"},
	    {"a/b.c/x.folded", "before-blocking",
	     "a/b.c/x-before-blocking.folded"},
	    {".hidden", "offcpu", ".hidden-offcpu"},
	    {"same.svg", NULL, "same.svg"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = flame_path(cases[i].base, cases[i].suffix);

		ck_assert_str_eq(p, cases[i].want);
		free(p);
	}
}
END_TEST

static Suite *flamegraph_suite(void)
{
	Suite *s = suite_create("flamegraph");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc,
		       test_merge_adds_equal_stacks_and_sorts_frame_by_frame);
	tcase_add_test(tc, test_folded_write_then_read_round_trips);
	tcase_add_test(tc, test_folded_read_rejects_a_line_without_weight);
	tcase_add_test(
	    tc, test_from_profile_folds_outermost_first_with_annotations);
	tcase_add_test(tc, test_svg_escapes_names);
	tcase_add_test(tc, test_svg_widths_are_inclusive_weights);
	tcase_add_test(tc, test_svg_colours_by_kind);
	tcase_add_test(tc, test_diff_colours_red_grew_blue_shrank);
	tcase_add_test(tc, test_diff_unchanged_is_white);
	tcase_add_test(tc, test_diff_folded_lists_both_weights);
	tcase_add_test(tc, test_empty_profile_draws_a_valid_svg);
	tcase_add_test(tc, test_ns_weights_show_as_durations);
	tcase_add_test(tc, test_flame_path_puts_suffix_before_extension);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(flamegraph_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

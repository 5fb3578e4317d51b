/*
 * test_user_parse.c — the command line's sizes and durations
 * (user/parse.c): what --ringbuf-size and --interval take and refuse,
 * and the inputs tests/fuzz/ found wrong.
 */
#include <check.h>
#include <stdlib.h>
#include <unistd.h>

#include "parse.h"

START_TEST(test_size_suffixes_scale_and_round_to_a_power_of_two)
{
	ck_assert_uint_eq(timeline_parse_size("64M"), 64u << 20);
	ck_assert_uint_eq(timeline_parse_size("1KiB"),
			  (unsigned int)getpagesize());
	ck_assert_uint_eq(timeline_parse_size("3000000"), 4u << 20);
	ck_assert_uint_eq(timeline_parse_size("2G"), 1u << 31);
}
END_TEST

START_TEST(test_size_over_2G_or_not_a_size_is_refused)
{
	ck_assert_uint_eq(timeline_parse_size("3G"), 0);
	ck_assert_uint_eq(timeline_parse_size("0"), 0);
	ck_assert_uint_eq(timeline_parse_size("-1"), 0);
	ck_assert_uint_eq(timeline_parse_size("1T"), 0);
	ck_assert_uint_eq(timeline_parse_size(""), 0);
}
END_TEST

/* fuzz_size found it: 17179869185 << 30 wrapped to 1G, which was taken */
START_TEST(test_size_whose_suffix_would_wrap_is_refused)
{
	ck_assert_uint_eq(timeline_parse_size("17179869185G"), 0);
	ck_assert_uint_eq(timeline_parse_size("8796093022209M"), 0);
}
END_TEST

START_TEST(test_duration_units_and_bare_seconds)
{
	double s;

	ck_assert(parse_duration("250ms", &s));
	ck_assert_double_eq_tol(s, 0.25, 1e-12);
	ck_assert(parse_duration("2m", &s));
	ck_assert_double_eq_tol(s, 120, 1e-12);
	ck_assert(parse_duration("0.5", &s));
	ck_assert_double_eq_tol(s, 0.5, 1e-12);
}
END_TEST

START_TEST(test_duration_not_positive_finite_decimal_is_refused)
{
	double s;

	ck_assert(!parse_duration("0", &s));
	ck_assert(!parse_duration("-1s", &s));
	ck_assert(!parse_duration("inf", &s));
	ck_assert(!parse_duration("0x10", &s));
	ck_assert(!parse_duration("1d", &s));
	ck_assert(!parse_duration("", &s));
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc,
		       test_size_suffixes_scale_and_round_to_a_power_of_two);
	tcase_add_test(tc, test_size_over_2G_or_not_a_size_is_refused);
	tcase_add_test(tc, test_size_whose_suffix_would_wrap_is_refused);
	tcase_add_test(tc, test_duration_units_and_bare_seconds);
	tcase_add_test(tc,
		       test_duration_not_positive_finite_decimal_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

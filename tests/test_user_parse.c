/*
 * test_user_parse.c — the command line's sizes and durations
 * (user/parse.c): what --ringbuf-size and --interval take and refuse,
 * and the inputs tests/fuzz/ found wrong.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "http.h"
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

START_TEST(test_cpu_list_ranges_and_singles)
{
	int cpus[8];

	ck_assert_int_eq(parse_cpu_list("0-3,8,10-11\n", cpus, 8), 7);
	ck_assert_int_eq(cpus[0], 0);
	ck_assert_int_eq(cpus[3], 3);
	ck_assert_int_eq(cpus[4], 8);
	ck_assert_int_eq(cpus[6], 11);
	ck_assert_int_eq(parse_cpu_list("1", cpus, 8), 1);
	ck_assert_int_eq(cpus[0], 1);
}
END_TEST

/* "3000000000" was taken as CPU -1294967296, a long cast to int (found
 * while writing fuzz_cpulist, whose property now checks the range) */
START_TEST(test_cpu_list_refuses_bad_lists_and_huge_numbers)
{
	int cpus[4];

	ck_assert_int_eq(parse_cpu_list("3-1", cpus, 4), -EINVAL);
	ck_assert_int_eq(parse_cpu_list("0-4", cpus, 4), -EINVAL);
	ck_assert_int_eq(parse_cpu_list("1,,2", cpus, 4), -EINVAL);
	ck_assert_int_eq(parse_cpu_list("x", cpus, 4), -EINVAL);
	ck_assert_int_eq(parse_cpu_list("3000000000", cpus, 4), -EINVAL);
	ck_assert_int_eq(parse_cpu_list("0-4294967296", cpus, 4), -EINVAL);
}
END_TEST

START_TEST(test_http_request_get_head_and_accept)
{
	struct http_request r;

	ck_assert_int_eq(
	    http_parse_request("GET /metrics?a=1 HTTP/1.1\r\nAccept: "
			       "application/openmetrics-text;version=1.0.0,"
			       "text/plain;version=0.0.4;q=0.5\r\n\r\n",
			       &r),
	    0);
	ck_assert_str_eq(r.path, "/metrics");
	ck_assert(!r.head);
	ck_assert(r.openmetrics);
	ck_assert_int_eq(http_parse_request("HEAD / HTTP/1.0\r\n\r\n", &r), 0);
	ck_assert(r.head);
	ck_assert(!r.openmetrics);
	ck_assert_int_eq(
	    http_parse_request("GET /metrics HTTP/1.1\r\naccept: text/plain,"
			       "application/openmetrics-text;q=0.5\r\n\r\n",
			       &r),
	    0);
	ck_assert(!r.openmetrics);
}
END_TEST

START_TEST(test_http_request_bad_or_other_methods)
{
	struct http_request r;

	ck_assert_int_eq(http_parse_request("POST / HTTP/1.1\r\n\r\n", &r),
			 405);
	ck_assert_int_eq(http_parse_request("GET / HTTP/2\r\n\r\n", &r), 400);
	ck_assert_int_eq(http_parse_request("GET /\r\n\r\n", &r), 400);
	ck_assert_int_eq(http_parse_request("", &r), 400);
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
	tcase_add_test(tc, test_cpu_list_ranges_and_singles);
	tcase_add_test(tc, test_cpu_list_refuses_bad_lists_and_huge_numbers);
	tcase_add_test(tc, test_http_request_get_head_and_accept);
	tcase_add_test(tc, test_http_request_bad_or_other_methods);
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

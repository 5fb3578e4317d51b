/*
 * test_user_sample.c — sampled mode (user/sample.c) as a specification:
 * --sample's argument, the periods of --sample N, the auto policy (rates
 * in, periods out), RT_PROBE_SAMPLE's value, finding librt's sampling
 * globals in an executable and a process, writing them, and what the
 * report says.
 *
 * The globals: this test program defines rt_probe_sample_period[] and
 * rt_probe_sample_epoch itself, as librt does, so it finds and writes its
 * own through /proc/self/mem (a process may write its own memory).
 *
 * Linked with user/sample.o and the other user objects of the test_user_*
 * rule, not with librt; rt_errorf & co. are this file's, and count.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "rttrace.h"
#include "sample.h"

/* librt's, for sample_find_symbols and sample_prepare to find */
volatile uint32_t rt_probe_sample_period[RT_PROBE_NUM]
    __attribute__((used, aligned(64)));
volatile uint32_t rt_probe_sample_epoch __attribute__((used));

struct rttrace_env rttrace_env;
static int nerrors, nwarnings;
static char last_error[512];

void rt_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	nerrors++;
}

void rt_warnf(const char *fmt, ...)
{
	(void)fmt;
	nwarnings++;
}

void rt_notef(const char *fmt, ...)
{
	(void)fmt;
}

static const bool no_pins[RT_PROBE_NUM];

/*
 * firings is what periods p cost at rates r: events / period for a probe
 * on its own; a follower on (period > 1) fires with its openers' firings,
 * never more than its own events.
 */
static double firings(const double r[RT_PROBE_NUM],
		      const uint32_t p[RT_PROBE_NUM])
{
	double f = 0;

	for (int id = 0; id < RT_PROBE_NUM; id++) {
		double own = r[id] / (p[id] ? p[id] : 1), with = 0;

		if (sample_role(id) != SAMPLE_ROLE_FOLLOW || p[id] <= 1) {
			f += own;
			continue;
		}
		with = r[RT_PROBE_ID_gopark] / p[RT_PROBE_ID_gopark];
		if (id == RT_PROBE_ID_gostart)
			with += r[RT_PROBE_ID_newproc] / p[RT_PROBE_ID_newproc];
		if (id == RT_PROBE_ID_selectgo_ret)
			with =
			    r[RT_PROBE_ID_selectgo] / p[RT_PROBE_ID_selectgo];
		f += with < r[id] ? with : r[id];
	}
	return f;
}

/* ---- --sample's argument ------------------------------------------------ */

START_TEST(test_parse_takes_auto_off_and_a_period)
{
	enum sample_mode m;
	uint32_t p;

	ck_assert(sample_parse("auto", &m, &p) && m == SAMPLE_AUTO);
	ck_assert(sample_parse("off", &m, &p) && m == SAMPLE_OFF && p == 1);
	ck_assert(sample_parse("1", &m, &p) && m == SAMPLE_OFF && p == 1);
	ck_assert(sample_parse("64", &m, &p) && m == SAMPLE_FIXED && p == 64);
	ck_assert(sample_parse("16777216", &m, &p) && p == SAMPLE_MAX_PERIOD);
}
END_TEST

START_TEST(test_parse_refuses_what_is_not_a_period)
{
	static const char *const bad[] = {
	    "", "0", "-1", "64x", "x", " 8", "16777217", "Auto", "1e3", "+8"};
	enum sample_mode m;
	uint32_t p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!sample_parse(bad[i], &m, &p), "\"%s\" was taken",
			      bad[i]);
}
END_TEST

/* ---- roles and --sample N ----------------------------------------------- */

START_TEST(test_gc_and_stw_are_never_sampled)
{
	ck_assert_int_eq(sample_role(RT_PROBE_ID_gc_start), SAMPLE_ROLE_NEVER);
	ck_assert_int_eq(sample_role(RT_PROBE_ID_gc_done), SAMPLE_ROLE_NEVER);
	ck_assert_int_eq(sample_role(RT_PROBE_ID_stw_start), SAMPLE_ROLE_NEVER);
	ck_assert_int_eq(sample_role(RT_PROBE_ID_stw_done), SAMPLE_ROLE_NEVER);
	ck_assert_int_eq(sample_role(RT_PROBE_ID_probe_flush),
			 SAMPLE_ROLE_NEVER);
	ck_assert_int_eq(sample_role(RT_PROBE_ID_mallocgc), SAMPLE_ROLE_OWN);
	ck_assert_int_eq(sample_role(RT_PROBE_ID_goready), SAMPLE_ROLE_FOLLOW);
}
END_TEST

START_TEST(test_fixed_periods_sample_all_but_pinned_and_never)
{
	bool pinned[RT_PROBE_NUM] = {false};
	uint32_t p[RT_PROBE_NUM];

	pinned[RT_PROBE_ID_gopark] = true;
	sample_fixed_periods(64, pinned, p);
	ck_assert_uint_eq(p[RT_PROBE_ID_mallocgc], 64);
	ck_assert_uint_eq(p[RT_PROBE_ID_gopark], 1);
	ck_assert_uint_eq(p[RT_PROBE_ID_gc_start], 1);
	ck_assert_uint_eq(p[RT_PROBE_ID_stw_done], 1);
	/* goready follows gopark only, gostart gopark or newproc */
	ck_assert_uint_eq(p[RT_PROBE_ID_goready], 1);
	ck_assert_uint_eq(p[RT_PROBE_ID_gostart], 64);
	ck_assert_uint_eq(p[RT_PROBE_ID_selectgo_ret], 64);
}
END_TEST

START_TEST(test_a_pinned_follower_fires_every_event)
{
	bool pinned[RT_PROBE_NUM] = {false};
	uint32_t p[RT_PROBE_NUM];

	pinned[RT_PROBE_ID_gostart] = true;
	sample_fixed_periods(8, pinned, p);
	ck_assert_uint_eq(p[RT_PROBE_ID_gostart], 1);
	ck_assert_uint_eq(p[RT_PROBE_ID_gopark], 8);
}
END_TEST

/* ---- the auto policy ------------------------------------------------------
 */

/* pow2_at_least is the policy's rounding: the least power of two >= x. */
static uint32_t pow2_at_least(double x)
{
	uint32_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

START_TEST(test_auto_keeps_full_when_everything_fits_the_budget)
{
	double r[RT_PROBE_NUM] = {0};
	uint32_t cur[RT_PROBE_NUM], p[RT_PROBE_NUM];

	for (int i = 0; i < RT_PROBE_NUM; i++)
		cur[i] = 1;
	/* 90 % of the budget in all */
	r[RT_PROBE_ID_mallocgc] = 0.4 * SAMPLE_BUDGET_PER_S;
	r[RT_PROBE_ID_chansend] = 0.4 * SAMPLE_BUDGET_PER_S;
	r[RT_PROBE_ID_gopark] = 0.1 * SAMPLE_BUDGET_PER_S;
	sample_auto_periods(r, cur, no_pins, p);
	for (int i = 0; i < RT_PROBE_NUM; i++)
		ck_assert_msg(p[i] == 1, "%d sampled 1 in %u", i, p[i]);
}
END_TEST

START_TEST(test_auto_samples_one_hot_probe_down_to_the_budget)
{
	double r[RT_PROBE_NUM] = {0};
	uint32_t cur[RT_PROBE_NUM], p[RT_PROBE_NUM];

	for (int i = 0; i < RT_PROBE_NUM; i++)
		cur[i] = 1;
	r[RT_PROBE_ID_mallocgc] = 10e6;
	sample_auto_periods(r, cur, no_pins, p);
	/* 10M/s into the budget, rounded up to a power of two */
	ck_assert_uint_eq(p[RT_PROBE_ID_mallocgc],
			  pow2_at_least(10e6 / SAMPLE_BUDGET_PER_S));
	ck_assert(firings(r, p) <= SAMPLE_BUDGET_PER_S);
}
END_TEST

START_TEST(test_auto_shares_the_budget_and_spares_cold_probes)
{
	double r[RT_PROBE_NUM] = {0};
	uint32_t cur[RT_PROBE_NUM], p[RT_PROBE_NUM];

	for (int i = 0; i < RT_PROBE_NUM; i++)
		cur[i] = 1;
	r[RT_PROBE_ID_mallocgc] = 8e6;
	r[RT_PROBE_ID_convT] = 8e6;
	r[RT_PROBE_ID_deferproc] = 500; /* cold: fires every event */
	sample_auto_periods(r, cur, no_pins, p);
	ck_assert_uint_eq(p[RT_PROBE_ID_deferproc], 1);
	ck_assert_uint_eq(p[RT_PROBE_ID_mallocgc], p[RT_PROBE_ID_convT]);
	ck_assert_uint_gt(p[RT_PROBE_ID_mallocgc], 1);
	ck_assert(firings(r, p) <= SAMPLE_BUDGET_PER_S);
	/* and not much below it: the samples are wanted */
	ck_assert(firings(r, p) >= SAMPLE_BUDGET_PER_S / 4);
}
END_TEST

START_TEST(test_auto_counts_followers_in_an_openers_cost)
{
	double r[RT_PROBE_NUM] = {0};
	uint32_t cur[RT_PROBE_NUM], p[RT_PROBE_NUM];

	for (int i = 0; i < RT_PROBE_NUM; i++)
		cur[i] = 1;
	/* a park costs gopark, goready and gostart */
	r[RT_PROBE_ID_gopark] = 1e6;
	r[RT_PROBE_ID_goready] = 1e6;
	r[RT_PROBE_ID_gostart] = 1e6;
	sample_auto_periods(r, cur, no_pins, p);
	ck_assert_uint_gt(p[RT_PROBE_ID_gopark], 1);
	ck_assert_uint_eq(p[RT_PROBE_ID_goready], p[RT_PROBE_ID_gopark]);
	ck_assert_uint_eq(p[RT_PROBE_ID_gostart], p[RT_PROBE_ID_gopark]);
	ck_assert(firings(r, p) <= SAMPLE_BUDGET_PER_S);
}
END_TEST

START_TEST(test_auto_never_samples_pinned_or_gc_probes)
{
	bool pinned[RT_PROBE_NUM] = {false};
	double r[RT_PROBE_NUM] = {0};
	uint32_t cur[RT_PROBE_NUM], p[RT_PROBE_NUM];

	for (int i = 0; i < RT_PROBE_NUM; i++)
		cur[i] = 1;
	pinned[RT_PROBE_ID_gopark] = true;
	r[RT_PROBE_ID_gopark] = 5e6;
	r[RT_PROBE_ID_stw_start] = 1e6;
	r[RT_PROBE_ID_mallocgc] = 1e6;
	sample_auto_periods(r, cur, pinned, p);
	ck_assert_uint_eq(p[RT_PROBE_ID_gopark], 1);
	ck_assert_uint_eq(p[RT_PROBE_ID_stw_start], 1);
	/* the pinned probes ate the budget: the rest keep the floor */
	ck_assert_uint_eq(p[RT_PROBE_ID_mallocgc],
			  8192); /* 1e6 / 200 = 5000 -> 8192 */
}
END_TEST

START_TEST(test_auto_raises_a_period_soon_and_lowers_it_by_4x_only)
{
	double r[RT_PROBE_NUM] = {0};
	uint32_t cur[RT_PROBE_NUM], p[RT_PROBE_NUM];

	for (int i = 0; i < RT_PROBE_NUM; i++)
		cur[i] = 1;
	cur[RT_PROBE_ID_mallocgc] = 64;
	/* would be 128: up at once */
	r[RT_PROBE_ID_mallocgc] = 128 * SAMPLE_BUDGET_PER_S;
	sample_auto_periods(r, cur, no_pins, p);
	ck_assert_uint_eq(p[RT_PROBE_ID_mallocgc], 128);
	/* would be 32: kept at 64 */
	r[RT_PROBE_ID_mallocgc] = 32 * SAMPLE_BUDGET_PER_S;
	sample_auto_periods(r, cur, no_pins, p);
	ck_assert_uint_eq(p[RT_PROBE_ID_mallocgc], 64);
	/* 20 % over the level at 64: kept */
	r[RT_PROBE_ID_mallocgc] = 64 * 1.2 * SAMPLE_BUDGET_PER_S;
	sample_auto_periods(r, cur, no_pins, p);
	ck_assert_uint_eq(p[RT_PROBE_ID_mallocgc], 64);
	/* would be 16: down */
	r[RT_PROBE_ID_mallocgc] = 16 * SAMPLE_BUDGET_PER_S;
	sample_auto_periods(r, cur, no_pins, p);
	ck_assert_uint_eq(p[RT_PROBE_ID_mallocgc], 16);
	/* gone quiet: full */
	r[RT_PROBE_ID_mallocgc] = 0;
	cur[RT_PROBE_ID_mallocgc] = 2;
	sample_auto_periods(r, cur, no_pins, p);
	ck_assert_uint_eq(p[RT_PROBE_ID_mallocgc], 1);
}
END_TEST

START_TEST(test_auto_stays_within_budget_for_any_rates)
{
	unsigned int seed = 1;

	for (int round = 0; round < 1000; round++) {
		double r[RT_PROBE_NUM], fixed = 0;
		uint32_t cur[RT_PROBE_NUM], p[RT_PROBE_NUM];

		for (int i = 0; i < RT_PROBE_NUM; i++) {
			/* log-uniform from 1/s to 100M/s */
			r[i] = pow(10, 8.0 * rand_r(&seed) / RAND_MAX);
			cur[i] = 1;
			if (sample_role(i) == SAMPLE_ROLE_NEVER)
				r[i] = rand_r(&seed) % 100, fixed += r[i];
			/* a follower at most its opener's rate */
			if (i == RT_PROBE_ID_goready)
				r[i] = r[RT_PROBE_ID_gopark];
			if (i == RT_PROBE_ID_selectgo_ret)
				r[i] = r[RT_PROBE_ID_selectgo];
		}
		r[RT_PROBE_ID_gostart] =
		    r[RT_PROBE_ID_gopark] + r[RT_PROBE_ID_newproc];
		sample_auto_periods(r, cur, no_pins, p);
		/* the floor may cost more than the budget when every probe
		 * is hot: 30-odd probes at 200/s fit under it */
		ck_assert_msg(firings(r, p) <= SAMPLE_BUDGET_PER_S + fixed,
			      "round %d: %.0f firings/s", round, firings(r, p));
		for (int i = 0; i < RT_PROBE_NUM; i++)
			ck_assert(p[i] >= 1 && p[i] <= SAMPLE_MAX_PERIOD);
	}
}
END_TEST

/* ---- RT_PROBE_SAMPLE ------------------------------------------------------
 */

START_TEST(test_env_of_full_periods_is_1)
{
	uint32_t p[RT_PROBE_NUM];
	char buf[1024];

	for (int i = 0; i < RT_PROBE_NUM; i++)
		p[i] = 1;
	ck_assert(sample_env(p, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "1");
}
END_TEST

START_TEST(test_env_names_the_probes_that_differ)
{
	uint32_t p[RT_PROBE_NUM];
	char buf[1024];

	sample_fixed_periods(64, no_pins, p);
	ck_assert(sample_env(p, buf, sizeof(buf)));
	ck_assert_msg(strncmp(buf, "64,", 3) == 0, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, ",gc_start=1"));
	ck_assert_ptr_nonnull(strstr(buf, ",stw_done=1"));
	ck_assert_ptr_null(strstr(buf, "mallocgc"));
}
END_TEST

START_TEST(test_env_too_long_for_the_buffer_fails)
{
	uint32_t p[RT_PROBE_NUM];
	char buf[8];

	sample_fixed_periods(64, no_pins, p);
	ck_assert(!sample_env(p, buf, sizeof(buf)));
}
END_TEST

/* ---- the globals --------------------------------------------------------- */

START_TEST(test_find_symbols_finds_librts_globals)
{
	uint64_t period = 0, epoch = 0, first = 1;

	ck_assert_int_eq(
	    sample_find_symbols("/proc/self/exe", &period, &epoch, &first), 0);
	ck_assert_uint_ne(period, 0);
	ck_assert_uint_ne(epoch, 0);
	ck_assert_uint_eq(first % (uint64_t)sysconf(_SC_PAGESIZE), 0);
}
END_TEST

START_TEST(test_find_symbols_of_a_program_without_librt_is_enoent)
{
	uint64_t period, epoch, first;

	ck_assert_int_eq(
	    sample_find_symbols("/bin/true", &period, &epoch, &first), -ENOENT);
	ck_assert_int_eq(
	    sample_find_symbols("/no/such/file", &period, &epoch, &first),
	    -ENOENT);
}
END_TEST

START_TEST(test_locate_gives_the_globals_running_addresses)
{
	struct sample_target t;

	ck_assert_int_eq(sample_locate(getpid(), "/proc/self/exe", &t), 0);
	ck_assert_uint_eq(t.period_addr, (uintptr_t)rt_probe_sample_period);
	ck_assert_uint_eq(t.epoch_addr, (uintptr_t)&rt_probe_sample_epoch);
}
END_TEST

/* maps_of is fmemopen of text, for sample_load_base. */
static FILE *maps_of(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	ck_assert_ptr_nonnull(f);
	return f;
}

START_TEST(test_load_base_is_the_lowest_mapping_at_offset_0)
{
	/* the path's real name, as the kernel shows it */
	char real[4096], text[16384];
	uint64_t base = 0;
	FILE *f;

	ck_assert_ptr_nonnull(realpath("/proc/self/exe", real));
	snprintf(
	    text, sizeof(text),
	    "5600000a0000-5600000b0000 r-xp 00001000 00:00 0 %s\n"
	    "560000090000-5600000a0000 r--p 00000000 00:00 0 %s\n"
	    "7f0000000000-7f0000001000 r--p 00000000 00:00 0 /usr/lib/x.so\n"
	    "5600000c0000-5600000d0000 rw-p 00000000 00:00 0 %s\n",
	    real, real, real);
	f = maps_of(text);
	ck_assert_int_eq(sample_load_base(f, "/proc/self/exe", &base), 0);
	fclose(f);
	ck_assert_uint_eq(base, 0x560000090000ull);
}
END_TEST

START_TEST(test_load_base_of_an_unmapped_file_is_enoent)
{
	const char *text =
	    "7f0000000000-7f0000001000 r--p 00000000 00:00 0 /usr/lib/x.so\n"
	    "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n";
	uint64_t base;
	FILE *f = maps_of(text);

	ck_assert_int_eq(sample_load_base(f, "/proc/self/exe", &base), -ENOENT);
	fclose(f);
}
END_TEST

/* ---- a session on this process --------------------------------------------
 */

static void zero_globals(void)
{
	for (int i = 0; i < RT_PROBE_NUM; i++)
		rt_probe_sample_period[i] = 0;
	rt_probe_sample_epoch = 0;
}

START_TEST(test_prepare_of_an_attach_writes_periods_and_bumps_the_epoch)
{
	struct sample_session s;
	struct sample_state st;

	zero_globals();
	rt_probe_sample_period[RT_PROBE_ID_chansend] = 7; /* left before */
	sample_prepare(&s, getpid(), "/proc/self/exe", false, SAMPLE_FIXED, 32,
		       no_pins);
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_mallocgc], 32);
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_chansend], 32);
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_gc_start], 1);
	ck_assert_uint_eq(rt_probe_sample_epoch, 1);
	/* once attached, the epoch moves again */
	sample_start(&s, NULL, NULL);
	ck_assert_uint_eq(rt_probe_sample_epoch, 2);
	sample_snapshot(&s, &st);
	ck_assert(st.available && !st.failed);
	ck_assert(sample_sampled(&st, RT_PROBE_ID_mallocgc));
	ck_assert(!sample_sampled(&st, RT_PROBE_ID_gc_start));
	/* detached: the process gets its own periods back */
	sample_end(&s);
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_mallocgc], 0);
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_chansend], 7);
}
END_TEST

START_TEST(test_prepare_of_a_started_program_with_n_writes_nothing)
{
	struct sample_session s;
	struct sample_state st;

	zero_globals();
	sample_prepare(&s, getpid(), "/proc/self/exe", true, SAMPLE_FIXED, 32,
		       no_pins);
	/* RT_PROBE_SAMPLE carries N (trace.c) */
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_mallocgc], 0);
	ck_assert_uint_eq(rt_probe_sample_epoch, 0);
	sample_snapshot(&s, &st);
	ck_assert_uint_eq(st.period[RT_PROBE_ID_mallocgc], 32);
	sample_end(&s);
}
END_TEST

START_TEST(test_prepare_without_librts_globals_leaves_full_mode)
{
	struct sample_session s;
	struct sample_state st;

	nwarnings = nerrors = 0;
	sample_prepare(&s, getpid(), "/bin/true", false, SAMPLE_FIXED, 32,
		       no_pins);
	sample_snapshot(&s, &st);
	ck_assert(!st.available);
	ck_assert(!sample_sampled(&st, RT_PROBE_ID_mallocgc));
	ck_assert_int_eq(nwarnings, 1); /* asked for N: say why not */
	ck_assert_int_eq(nerrors, 0);
	sample_end(&s);
}
END_TEST

START_TEST(test_prepare_that_cannot_write_says_so_once_and_stays_full)
{
	struct sample_session s;
	struct sample_state st;

	nerrors = 0;
	/* pid 1's memory is not this unprivileged test's to write, and as
	 * root its maps do not map this executable: either way it fails */
	sample_prepare(&s, 1, "/proc/self/exe", false, SAMPLE_AUTO, 0, no_pins);
	sample_snapshot(&s, &st);
	ck_assert(!sample_sampled(&st, RT_PROBE_ID_mallocgc));
	ck_assert_int_eq(nerrors, 1);
	ck_assert_msg(strstr(last_error, "cannot set sampling in PID 1") &&
			  strstr(last_error, "--sample off"),
		      "%s", last_error);
	sample_end(&s);
}
END_TEST

/* fake totals for sample_tick: mallocgc at 10M events a second */
static uint64_t fake_mallocgc;
static int fake_read(void *ctx, uint64_t counts[RT_PROBE_NUM])
{
	(void)ctx;
	memset(counts, 0, RT_PROBE_NUM * sizeof(counts[0]));
	counts[RT_PROBE_ID_mallocgc] = fake_mallocgc;
	return 0;
}

START_TEST(test_tick_writes_the_periods_auto_chooses)
{
	struct sample_session s;
	struct sample_state st;

	zero_globals();
	sample_prepare(&s, getpid(), "/proc/self/exe", true, SAMPLE_AUTO, 0,
		       no_pins);
	s.read = fake_read;
	s.last_ts = 100.0;
	fake_mallocgc = 1000000; /* 0.1 s at 10M/s */
	sample_tick(&s, 100.1);
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_mallocgc],
			  pow2_at_least(10e6 / SAMPLE_BUDGET_PER_S));
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_convT], 1);
	sample_snapshot(&s, &st);
	ck_assert_uint_eq(st.period[RT_PROBE_ID_mallocgc],
			  pow2_at_least(10e6 / SAMPLE_BUDGET_PER_S));
	ck_assert_uint_eq(st.max_period[RT_PROBE_ID_mallocgc],
			  pow2_at_least(10e6 / SAMPLE_BUDGET_PER_S));
	/* quiet again: back to full; the report still knows it sampled */
	sample_tick(&s, 100.2);
	ck_assert_uint_eq(rt_probe_sample_period[RT_PROBE_ID_mallocgc], 1);
	sample_snapshot(&s, &st);
	ck_assert(sample_sampled(&st, RT_PROBE_ID_mallocgc));
	sample_end(&s);
}
END_TEST

START_TEST(test_auto_thread_samples_a_hot_probe_within_a_tick)
{
	struct sample_session s;

	zero_globals();
	sample_prepare(&s, getpid(), "/proc/self/exe", true, SAMPLE_AUTO, 0,
		       no_pins);
	fake_mallocgc = 0;
	sample_start(&s, fake_read, NULL);
	for (int i = 0; i < 50; i++) {
		fake_mallocgc += 100000; /* ~10M/s */
		usleep(10000);
	}
	sample_end(&s);
	ck_assert_uint_gt(rt_probe_sample_period[RT_PROBE_ID_mallocgc], 64);
}
END_TEST

/* ---- the report --------------------------------------------------------- */

static char *print_of(const struct sample_state *st, const char *inexact)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sample_print(f, st, inexact);
	fclose(f);
	return buf;
}

static struct sample_state sampled_state(void)
{
	struct sample_state st = {.known = true, .available = true};

	for (int i = 0; i < RT_PROBE_NUM; i++)
		st.period[i] = st.max_period[i] = 1;
	st.period[RT_PROBE_ID_mallocgc] = st.max_period[RT_PROBE_ID_mallocgc] =
	    64;
	st.period[RT_PROBE_ID_gopark] = 8;
	st.max_period[RT_PROBE_ID_gopark] = 16;
	st.period[RT_PROBE_ID_goready] = st.max_period[RT_PROBE_ID_goready] = 8;
	return st;
}

START_TEST(test_report_line_names_each_sampled_probe_and_what_is_exact)
{
	struct sample_state st = sampled_state();
	char *s = print_of(&st, NULL);

	ck_assert_msg(strstr(s, "sampling: auto — ") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "mallocgc 1 in 64") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "gopark 1 in 8 (up to 16)") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "with their openers: goready") != NULL, "%s",
		      s);
	ck_assert_msg(strstr(s, "histograms") && strstr(s, "samples"), "%s", s);
	ck_assert_msg(strstr(s, "per-probe totals exact") != NULL, "%s", s);
	free(s);
}
END_TEST

START_TEST(test_report_line_after_a_detach_says_totals_miss_events)
{
	struct sample_state st = sampled_state();
	char *s = print_of(&st, "detached while it ran");

	ck_assert_msg(strstr(s, "per-probe totals exact") == NULL, "%s", s);
	ck_assert_msg(strstr(s, "short by < 2 periods per thread") != NULL,
		      "%s", s);
	ck_assert_msg(strstr(s, "detached while it ran") != NULL, "%s", s);
	free(s);
}
END_TEST

START_TEST(test_report_line_without_librt_support_says_every_event_fired)
{
	struct sample_state st = {
	    .known = true, .mode = SAMPLE_FIXED, .fixed_period = 64};
	char *s = print_of(&st, NULL);

	ck_assert_msg(strstr(s, "sampling: 1 in 64 — librt in this program "
				"cannot sample: every event fired") != NULL,
		      "%s", s);
	free(s);
}
END_TEST

START_TEST(test_hist_note_marks_samples_and_nothing_at_full)
{
	struct sample_state st = sampled_state();
	char buf[64];

	ck_assert_str_eq(
	    sample_hist_note(&st, RT_PROBE_ID_mallocgc, buf, sizeof(buf)),
	    " sampled (mallocgc 1 in 64)");
	/* goready's park histogram is gopark's sample */
	ck_assert_str_eq(
	    sample_hist_note(&st, RT_PROBE_ID_goready, buf, sizeof(buf)),
	    " sampled (gopark 1 in 8)");
	ck_assert_str_eq(
	    sample_hist_note(&st, RT_PROBE_ID_convT, buf, sizeof(buf)), "");
	ck_assert_str_eq(
	    sample_hist_note(NULL, RT_PROBE_ID_convT, buf, sizeof(buf)), "");
}
END_TEST

START_TEST(test_json_gives_each_probes_period_and_whether_sampled)
{
	struct sample_state st = sampled_state();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	json_object_begin(&j);
	sample_json(&j, &st, NULL);
	json_object_end(&j);
	json_finish(&j);
	fclose(f);
	ck_assert_msg(strstr(buf, "\"sampling\"") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "\"mode\": \"auto\"") ||
			  strstr(buf, "\"mode\":\"auto\""),
		      "%s", buf);
	ck_assert_msg(strstr(buf, "\"totals_exact\"") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "\"mallocgc\"") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "\"histograms_sampled\"") != NULL, "%s", buf);
	free(buf);
}
END_TEST

static Suite *sample_suite(void)
{
	Suite *s = suite_create("sample");
	TCase *tc;

	tc = tcase_create("options");
	tcase_add_test(tc, test_parse_takes_auto_off_and_a_period);
	tcase_add_test(tc, test_parse_refuses_what_is_not_a_period);
	tcase_add_test(tc, test_gc_and_stw_are_never_sampled);
	tcase_add_test(tc, test_fixed_periods_sample_all_but_pinned_and_never);
	tcase_add_test(tc, test_a_pinned_follower_fires_every_event);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_test(tc,
		       test_auto_keeps_full_when_everything_fits_the_budget);
	tcase_add_test(tc, test_auto_samples_one_hot_probe_down_to_the_budget);
	tcase_add_test(tc, test_auto_shares_the_budget_and_spares_cold_probes);
	tcase_add_test(tc, test_auto_counts_followers_in_an_openers_cost);
	tcase_add_test(tc, test_auto_never_samples_pinned_or_gc_probes);
	tcase_add_test(tc,
		       test_auto_raises_a_period_soon_and_lowers_it_by_4x_only);
	tcase_add_test(tc, test_auto_stays_within_budget_for_any_rates);
	suite_add_tcase(s, tc);

	tc = tcase_create("env");
	tcase_add_test(tc, test_env_of_full_periods_is_1);
	tcase_add_test(tc, test_env_names_the_probes_that_differ);
	tcase_add_test(tc, test_env_too_long_for_the_buffer_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("globals");
	tcase_add_test(tc, test_find_symbols_finds_librts_globals);
	tcase_add_test(tc,
		       test_find_symbols_of_a_program_without_librt_is_enoent);
	tcase_add_test(tc, test_locate_gives_the_globals_running_addresses);
	tcase_add_test(tc, test_load_base_is_the_lowest_mapping_at_offset_0);
	tcase_add_test(tc, test_load_base_of_an_unmapped_file_is_enoent);
	suite_add_tcase(s, tc);

	tc = tcase_create("session");
	tcase_add_test(
	    tc, test_prepare_of_an_attach_writes_periods_and_bumps_the_epoch);
	tcase_add_test(tc,
		       test_prepare_of_a_started_program_with_n_writes_nothing);
	tcase_add_test(tc,
		       test_prepare_without_librts_globals_leaves_full_mode);
	tcase_add_test(
	    tc, test_prepare_that_cannot_write_says_so_once_and_stays_full);
	tcase_add_test(tc, test_tick_writes_the_periods_auto_chooses);
	tcase_add_test(tc, test_auto_thread_samples_a_hot_probe_within_a_tick);
	suite_add_tcase(s, tc);

	tc = tcase_create("report");
	tcase_add_test(
	    tc, test_report_line_names_each_sampled_probe_and_what_is_exact);
	tcase_add_test(tc,
		       test_report_line_after_a_detach_says_totals_miss_events);
	tcase_add_test(
	    tc, test_report_line_without_librt_support_says_every_event_fired);
	tcase_add_test(tc, test_hist_note_marks_samples_and_nothing_at_full);
	tcase_add_test(tc,
		       test_json_gives_each_probes_period_and_whether_sampled);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sample_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

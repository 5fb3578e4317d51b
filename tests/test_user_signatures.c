/*
 * test_user_signatures.c — the user-space pieces behind the CPU profile
 * and the seed's §16 table: the kallsyms parser and lookup, the libdwfl
 * symbolizer on this very process, and the signature computation from
 * stacks, park counts and STW histograms made up here, so each threshold
 * is checked on both sides.
 *
 * Linked with user/signatures.o, symbolize.o, hist.o, json.o and
 * waitreason.o, not with librt (Makefile: tests/test_user_*).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt.h" /* enums only */
#include "signatures.h"
#include "symbolize.h"

/* ---- kallsyms ------------------------------------------------------------ */

static const char kallsyms_text[] = "ffffffff81000300 T second_fn\n"
				    "ffffffff81000000 T _stext\n"
				    "ffffffff81000100 t first_local\n"
				    "ffffffff81002000 D some_data\n"
				    "ffffffff81000200 W weak_fn\n"
				    "ffffffffc0001000 t mod_fn\t[nf_tables]\n"
				    "ffffffff81000400 T last_fn\n";

static FILE *text_file(const char *s)
{
	FILE *f = fmemopen((void *)s, strlen(s), "r");

	ck_assert_ptr_nonnull(f);
	return f;
}

START_TEST(test_kallsyms_keeps_text_symbols_sorted_by_address)
{
	struct ksyms ks;
	FILE *f = text_file(kallsyms_text);

	ck_assert_int_eq(ksyms_parse(&ks, f), 0);
	fclose(f);
	/* some_data (D) is not code */
	ck_assert_uint_eq(ks.n, 6);
	for (size_t i = 1; i < ks.n; i++)
		ck_assert(ks.syms[i - 1].addr < ks.syms[i].addr);
	ck_assert_str_eq(ks.syms[0].name, "_stext");
	ck_assert_str_eq(ks.syms[5].name, "mod_fn");
	ck_assert_str_eq(ks.syms[5].module, "nf_tables");
	ck_assert_ptr_null(ks.syms[0].module);
	ksyms_free(&ks);
}
END_TEST

START_TEST(test_kallsyms_find_returns_the_symbol_at_or_below)
{
	struct ksyms ks;
	FILE *f = text_file(kallsyms_text);

	ck_assert_int_eq(ksyms_parse(&ks, f), 0);
	fclose(f);
	ck_assert_str_eq(ksyms_find(&ks, 0xffffffff81000000)->name, "_stext");
	ck_assert_str_eq(ksyms_find(&ks, 0xffffffff810000ff)->name, "_stext");
	ck_assert_str_eq(ksyms_find(&ks, 0xffffffff81000100)->name,
			 "first_local");
	ck_assert_str_eq(ksyms_find(&ks, 0xffffffff81000250)->name, "weak_fn");
	ck_assert_str_eq(ksyms_find(&ks, 0xffffffff81000fff)->name, "last_fn");
	ck_assert_str_eq(ksyms_find(&ks, 0xffffffffc0001010)->name, "mod_fn");
	ck_assert_ptr_null(ksyms_find(&ks, 0xffffffff80ffffff));
	ksyms_free(&ks);
}
END_TEST

START_TEST(test_kallsyms_with_hidden_addresses_is_enoent)
{
	struct ksyms ks;
	FILE *f = text_file("0000000000000000 T _stext\n"
			    "0000000000000000 t other\n");

	ck_assert_int_eq(ksyms_parse(&ks, f), -ENOENT);
	fclose(f);
	ck_assert_uint_eq(ks.n, 0);
	ck_assert_ptr_null(ksyms_find(&ks, 0x1000));
}
END_TEST

START_TEST(test_kallsyms_skips_malformed_lines)
{
	struct ksyms ks;
	FILE *f = text_file("garbage\n\nffffffff81000000 T ok\nzz T bad\n");

	ck_assert_int_eq(ksyms_parse(&ks, f), 0);
	fclose(f);
	ck_assert_uint_eq(ks.n, 1);
	ck_assert_str_eq(ks.syms[0].name, "ok");
	ksyms_free(&ks);
}
END_TEST

/* ---- user symbols: this process ------------------------------------------ */

__attribute__((noinline)) int symbolize_me(int x)
{
	return x * 3 + 1;
}

START_TEST(test_usyms_names_a_function_of_this_process_with_its_line)
{
	struct usyms *us = usyms_new(getpid());
	struct sym_frame f[4];
	int n;

	ck_assert_ptr_nonnull(us);
	n = usyms_lookup(us, (uint64_t)(uintptr_t)symbolize_me, true, f, 4);
	ck_assert_int_ge(n, 1);
	ck_assert_ptr_nonnull(f[n - 1].name);
	ck_assert_str_eq(f[n - 1].name, "symbolize_me");
	ck_assert_ptr_nonnull(f[n - 1].file);
	ck_assert_msg(strstr(f[n - 1].file, "test_user_signatures.c"),
		      "file %s", f[n - 1].file);
	ck_assert_int_gt(f[n - 1].line, 0);
	ck_assert(!f[n - 1].inlined);
	ck_assert_int_eq(symbolize_me(1), 4);
	usyms_free(us);
}
END_TEST

START_TEST(test_usyms_keeps_the_last_snapshot_when_the_process_is_gone)
{
	struct sym_frame f[4];
	struct usyms *us;
	pid_t child;
	int n;

	/* a child with this binary mapped, seen while it lives */
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	us = usyms_new(child);
	ck_assert_ptr_nonnull(us);
	/* it ends and is reaped, as a traced program is before the report */
	kill(child, SIGKILL);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	ck_assert_int_lt(usyms_snapshot(us), 0);
	n = usyms_lookup(us, (uint64_t)(uintptr_t)symbolize_me, true, f, 4);
	ck_assert_int_ge(n, 1);
	ck_assert_ptr_nonnull(f[n - 1].name);
	ck_assert_str_eq(f[n - 1].name, "symbolize_me");
	usyms_free(us);
}
END_TEST

START_TEST(test_usyms_return_address_is_at_sp_only_before_the_frame_is_set)
{
	struct usyms *us = usyms_new(getpid());
	uint64_t entry = (uint64_t)(uintptr_t)symbolize_me;
	bool framed_somewhere = false;

	ck_assert_ptr_nonnull(us);
	/* at the entry the call's return address is the word at %rsp */
	ck_assert(usyms_ret_at_sp(us, entry));
	/* built with frame pointers: past its prologue, it is not */
	for (int off = 1; off < 16; off++)
		framed_somewhere |= !usyms_ret_at_sp(us, entry + off);
	ck_assert(framed_somewhere);
	usyms_free(us);
}
END_TEST

START_TEST(test_usyms_of_a_process_never_seen_names_nothing)
{
	struct sym_frame f[4];
	struct usyms *us;
	pid_t child;

	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	us = usyms_new(child);
	ck_assert_ptr_nonnull(us);
	ck_assert_int_eq(
	    usyms_lookup(us, (uint64_t)(uintptr_t)symbolize_me, true, f, 4), 1);
	ck_assert_ptr_null(f[0].name);
	usyms_free(us);
}
END_TEST

/* ---- signatures ---------------------------------------------------------- */

/* A made-up profile: stacks given as names, innermost first. */
#define MAXF 8
struct fake {
	struct profile_result r;
	struct profile_stack st[16];
	struct profile_frame fr[16][MAXF];
};

static void fake_stack(struct fake *p, uint64_t count, const char **names,
		       const bool *inlined, const bool *kernel)
{
	struct profile_stack *st = &p->st[p->r.nstacks];
	int n = 0;

	while (names[n])
		n++;
	ck_assert_int_le(n, MAXF);
	for (int i = 0; i < n; i++)
		p->fr[p->r.nstacks][i] = (struct profile_frame){
		    .pc = 0x1000 + i,
		    .name = (char *)names[i],
		    .inlined = inlined && inlined[i],
		    .kernel = kernel && kernel[i],
		};
	*st = (struct profile_stack){
	    .count = count,
	    .nframes = n,
	    .frames = p->fr[p->r.nstacks],
	};
	p->r.nstacks++;
	p->r.stacks = p->st;
	p->r.samples += count;
}

static const struct sig_row *row(const struct sig_table *t, const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].name, name))
			return &t->rows[i];
	ck_abort_msg("no row %s", name);
	return NULL;
}

static void compute(struct sig_table *t, struct fake *p)
{
	struct sig_input in = {.prof = p ? &p->r : NULL, .wall_s = 1};

	if (p) {
		p->r.freq = 99;
		p->r.ncpus = 2;
	}
	sig_compute(t, &in);
}

START_TEST(test_mallocgc_share_is_samples_with_it_on_the_stack)
{
	static struct fake p;
	static struct sig_table t;
	const char *alloc[] = {"nextfree", "rt_mallocgc", "work", "main", NULL};
	const char *plain[] = {"work", "main", NULL};

	memset(&p, 0, sizeof(p));
	fake_stack(&p, 6, alloc, NULL, NULL);
	fake_stack(&p, 94, plain, NULL, NULL);
	compute(&t, &p);
	ck_assert_uint_eq(row(&t, "mallocgc")->hits, 6);
	ck_assert_uint_eq(row(&t, "mallocgc")->total, 100);
	ck_assert_double_eq_tol(row(&t, "mallocgc")->value, 6.0, 1e-9);
	ck_assert(row(&t, "mallocgc")->crossed);
	ck_assert_str_eq(row(&t, "mallocgc")->exercises, "ex09, ex11");
	ck_assert(t.sampled);
	ck_assert_uint_eq(t.samples, 100);
}
END_TEST

START_TEST(test_mallocgc_at_five_percent_does_not_cross)
{
	static struct fake p;
	static struct sig_table t;
	const char *alloc[] = {"rt_mallocgc", "work", NULL};
	const char *plain[] = {"work", NULL};

	memset(&p, 0, sizeof(p));
	fake_stack(&p, 5, alloc, NULL, NULL);
	fake_stack(&p, 95, plain, NULL, NULL);
	compute(&t, &p);
	ck_assert_double_eq_tol(row(&t, "mallocgc")->value, 5.0, 1e-9);
	ck_assert(!row(&t, "mallocgc")->crossed);
}
END_TEST

START_TEST(test_a_function_twice_on_a_stack_counts_the_sample_once)
{
	static struct fake p;
	static struct sig_table t;
	const char *rec[] = {"rt_mallocgc", "gcStart", "rt_mallocgc", "w",
			     NULL};
	const char *plain[] = {"w", NULL};

	memset(&p, 0, sizeof(p));
	fake_stack(&p, 10, rec, NULL, NULL);
	fake_stack(&p, 10, plain, NULL, NULL);
	compute(&t, &p);
	ck_assert_uint_eq(row(&t, "mallocgc")->hits, 10);
	ck_assert_double_eq_tol(row(&t, "mallocgc")->value, 50.0, 1e-9);
}
END_TEST

START_TEST(test_inlined_calls_match_and_kernel_frames_do_not)
{
	static struct fake p;
	static struct sig_table t;
	/* chansend inlined into a caller; a kernel symbol named selectgo */
	const char *inl[] = {"chansend", "producer", NULL};
	const bool inl_flags[] = {true, false};
	const char *kern[] = {"selectgo", "producer", NULL};
	const bool kern_flags[] = {true, false};

	memset(&p, 0, sizeof(p));
	fake_stack(&p, 3, inl, inl_flags, NULL);
	fake_stack(&p, 97, kern, NULL, kern_flags);
	compute(&t, &p);
	ck_assert_uint_eq(row(&t, "chansend")->hits, 3);
	ck_assert(row(&t, "chansend")->crossed);
	ck_assert_uint_eq(row(&t, "selectgo")->hits, 0);
	ck_assert(!row(&t, "selectgo")->crossed);
	ck_assert(!row(&t, "chanrecv")->crossed);
}
END_TEST

START_TEST(test_selectgo_crosses_above_two_percent)
{
	static struct fake p;
	static struct sig_table t;
	const char *sel[] = {"sellock", "rt_select", "consumer", NULL};
	const char *plain[] = {"consumer", NULL};

	memset(&p, 0, sizeof(p));
	fake_stack(&p, 2, sel, NULL, NULL);
	fake_stack(&p, 98, plain, NULL, NULL);
	compute(&t, &p);
	ck_assert(!row(&t, "selectgo")->crossed); /* exactly 2 % */
	memset(&p, 0, sizeof(p));
	fake_stack(&p, 3, sel, NULL, NULL);
	fake_stack(&p, 97, plain, NULL, NULL);
	compute(&t, &p);
	ck_assert(row(&t, "selectgo")->crossed);
	ck_assert_str_eq(row(&t, "selectgo")->exercises, "ex02");
}
END_TEST

START_TEST(test_deferreturn_crosses_when_present_at_all)
{
	static struct fake p;
	static struct sig_table t;
	const char *def[] = {"rt_deferreturn_frame", "locked_inc", NULL};
	const char *plain[] = {"locked_inc", NULL};

	memset(&p, 0, sizeof(p));
	fake_stack(&p, 1000, plain, NULL, NULL);
	compute(&t, &p);
	ck_assert(!row(&t, "deferreturn")->crossed);
	fake_stack(&p, 1, def, NULL, NULL);
	compute(&t, &p);
	ck_assert(row(&t, "deferreturn")->crossed);
	ck_assert_uint_eq(row(&t, "deferreturn")->hits, 1);
	ck_assert_str_eq(row(&t, "deferreturn")->exercises, "ex04");
}
END_TEST

START_TEST(test_mark_workers_cross_above_ten_percent)
{
	static struct fake p;
	static struct sig_table t;
	const char *helper[] = {"scanblock_w", "drain_w", "gcmarkworker", NULL};
	const char *main_w[] = {"gcdrain", "gcmark_all", "gcStart", NULL};
	const char *plain[] = {"work", NULL};

	memset(&p, 0, sizeof(p));
	fake_stack(&p, 6, helper, NULL, NULL);
	fake_stack(&p, 5, main_w, NULL, NULL);
	fake_stack(&p, 89, plain, NULL, NULL);
	compute(&t, &p);
	ck_assert_uint_eq(row(&t, "GC mark workers")->hits, 11);
	ck_assert(row(&t, "GC mark workers")->crossed);
	ck_assert_str_eq(row(&t, "GC mark workers")->exercises, "ex06");
}
END_TEST

START_TEST(test_without_samples_the_cpu_rows_are_never_crossed)
{
	static struct sig_table t;

	compute(&t, NULL);
	ck_assert(!t.sampled);
	ck_assert(!row(&t, "mallocgc")->crossed);
	ck_assert(!row(&t, "deferreturn")->crossed);
	ck_assert_uint_eq(row(&t, "mallocgc")->hits, 0);
}
END_TEST

START_TEST(test_park_rows_are_per_reason_with_a_rate)
{
	static struct sig_table t;
	uint64_t parks[SCHED_WAIT_HISTS] = {0};
	struct sig_input in = {.parks = parks, .gosched = 30000, .wall_s = 2};

	parks[RT_WAIT_CHAN_RECEIVE] = 40000; /* 20k/s */
	parks[RT_WAIT_SLEEP] = 10;
	sig_compute(&t, &in);
	ck_assert_double_eq_tol(row(&t, "gopark (chan receive)")->value, 20000,
				1e-6);
	ck_assert(row(&t, "gopark (chan receive)")->crossed);
	ck_assert_str_eq(row(&t, "gopark (chan receive)")->exercises, "ex01");
	ck_assert(!row(&t, "gopark (sleep)")->crossed);
	/* no row for a reason nobody parked with */
	for (int i = 0; i < t.n; i++)
		ck_assert(strcmp(t.rows[i].name, "gopark (select)"));
	ck_assert_double_eq_tol(row(&t, "Gosched")->value, 15000, 1e-6);
	ck_assert(row(&t, "Gosched")->crossed);
	ck_assert_str_eq(row(&t, "Gosched")->exercises, "ex07");
}
END_TEST

static const char *stw_name(unsigned int i)
{
	static const char *const n[] = {"unknown",
					"GC mark termination",
					"GC sweep termination",
					"write heap dump",
					"goroutine profile",
					"all goroutines stack trace",
					"read mem stats"};

	return i < sizeof(n) / sizeof(n[0]) ? n[i] : NULL;
}

START_TEST(test_stw_rows_count_pauses_over_100us_per_reason)
{
	static struct sig_table t;
	static struct log2_hist stw[MEM_STW_SLOTS];
	struct sig_input in = {.stw = stw, .stw_reason = stw_name, .wall_s = 1};
	const struct sig_row *r;

	memset(stw, 0, sizeof(stw));
	/* usecs: slot 3 [8,15], slot 6 [64,127] straddles 100, slot 7
	 * [128,255] is over */
	stw[RT_STW_READ_MEM_STATS].slots[3] = 10;
	stw[RT_STW_READ_MEM_STATS].slots[6] = 2;
	stw[RT_STW_READ_MEM_STATS].slots[7] = 3;
	stw[RT_STW_READ_MEM_STATS].count = 15;
	stw[RT_STW_GC_MARK_TERM].slots[6] = 4;
	stw[RT_STW_GC_MARK_TERM].count = 4;
	sig_compute(&t, &in);
	r = row(&t, "STW (read mem stats)");
	ck_assert_uint_eq(r->hits, 3);
	ck_assert_uint_eq(r->possible, 2);
	ck_assert_uint_eq(r->total, 15);
	ck_assert_uint_eq(r->max_high, 255);
	ck_assert(r->crossed);
	ck_assert_str_eq(r->exercises, "ex13");
	r = row(&t, "STW (GC mark termination)");
	ck_assert_uint_eq(r->hits, 0);
	ck_assert_uint_eq(r->possible, 4);
	ck_assert(!r->crossed);
	ck_assert_str_eq(r->exercises, "ex06");
}
END_TEST

START_TEST(test_stw_in_nanoseconds_uses_100000ns)
{
	static struct sig_table t;
	static struct log2_hist stw[MEM_STW_SLOTS];
	struct sig_input in = {
	    .stw = stw, .stw_reason = stw_name, .nsec = true, .wall_s = 1};
	const struct sig_row *r;

	memset(stw, 0, sizeof(stw));
	/* slot 16 [65536,131071] straddles 100000; slot 17 is over */
	stw[RT_STW_ALL_GOROUTINES_STACK].slots[16] = 1;
	stw[RT_STW_ALL_GOROUTINES_STACK].slots[17] = 2;
	stw[RT_STW_ALL_GOROUTINES_STACK].slots[10] = 5;
	stw[RT_STW_ALL_GOROUTINES_STACK].count = 8;
	sig_compute(&t, &in);
	r = row(&t, "STW (all goroutines stack trace)");
	ck_assert_uint_eq(r->hits, 2);
	ck_assert_uint_eq(r->possible, 1);
	ck_assert(r->crossed);
	ck_assert_str_eq(r->exercises, "ex14");
}
END_TEST

START_TEST(test_no_stw_at_all_is_one_row_not_crossed)
{
	static struct sig_table t;
	static struct log2_hist stw[MEM_STW_SLOTS];
	struct sig_input in = {.stw = stw, .stw_reason = stw_name, .wall_s = 1};

	memset(stw, 0, sizeof(stw));
	sig_compute(&t, &in);
	ck_assert(!row(&t, "STW")->crossed);
	ck_assert_uint_eq(row(&t, "STW")->total, 0);
}
END_TEST

START_TEST(test_json_has_rows_with_exercise_arrays_and_sample_counts)
{
	static struct fake p;
	static struct sig_table t;
	const char *alloc[] = {"rt_mallocgc", NULL};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	memset(&p, 0, sizeof(p));
	fake_stack(&p, 7, alloc, NULL, NULL);
	compute(&t, &p);
	json_init(&j, f);
	json_object_begin(&j);
	sig_json(&j, &t);
	json_object_end(&j);
	json_finish(&j);
	fclose(f);
	ck_assert_msg(strstr(buf, "\"signature\": \"mallocgc\""), "%s", buf);
	ck_assert_msg(strstr(buf, "\"exercises\": [\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "\"ex09\",\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "\"ex11\"\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "\"samples\": 7"), "%s", buf);
	ck_assert_msg(strstr(buf, "\"source\": \"cpu_samples\""), "%s", buf);
	ck_assert_msg(strstr(buf, "\"crossed\": true"), "%s", buf);
	free(buf);
}
END_TEST

START_TEST(test_json_cpu_value_is_null_without_samples)
{
	static struct sig_table t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	compute(&t, NULL);
	json_init(&j, f);
	json_object_begin(&j);
	sig_json(&j, &t);
	json_object_end(&j);
	json_finish(&j);
	fclose(f);
	ck_assert_msg(strstr(buf, "\"sampled\": false"), "%s", buf);
	ck_assert_msg(strstr(buf, "\"value\": null"), "%s", buf);
	free(buf);
}
END_TEST

START_TEST(test_text_table_marks_crossed_rows_and_says_they_are_samples)
{
	static struct fake p;
	static struct sig_table t;
	const char *sel[] = {"rt_select", NULL};
	char *buf = NULL, *line;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(&p, 0, sizeof(p));
	fake_stack(&p, 50, sel, NULL, NULL);
	compute(&t, &p);
	sig_print(f, &t);
	fclose(f);
	ck_assert_msg(strstr(buf, "CPU rows are samples: 50 samples"), "%s",
		      buf);
	line = strstr(buf, "    selectgo ");
	ck_assert_msg(line, "%s", buf);
	ck_assert_msg(strstr(line, "100.0 %") < strchr(line, '\n') &&
			  strstr(line, "YES") < strchr(line, '\n') &&
			  strstr(line, "50 of 50 samples") < strchr(line, '\n'),
		      "%s", line);
	free(buf);
}
END_TEST

static Suite *signatures_suite(void)
{
	Suite *s = suite_create("user_signatures");
	TCase *tc;

	tc = tcase_create("kallsyms");
	tcase_add_test(tc, test_kallsyms_keeps_text_symbols_sorted_by_address);
	tcase_add_test(tc, test_kallsyms_find_returns_the_symbol_at_or_below);
	tcase_add_test(tc, test_kallsyms_with_hidden_addresses_is_enoent);
	tcase_add_test(tc, test_kallsyms_skips_malformed_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("usyms");
	tcase_add_test(
	    tc, test_usyms_names_a_function_of_this_process_with_its_line);
	tcase_add_test(
	    tc, test_usyms_keeps_the_last_snapshot_when_the_process_is_gone);
	tcase_add_test(tc, test_usyms_of_a_process_never_seen_names_nothing);
	tcase_add_test(
	    tc,
	    test_usyms_return_address_is_at_sp_only_before_the_frame_is_set);
	suite_add_tcase(s, tc);

	tc = tcase_create("signatures");
	tcase_add_test(tc, test_mallocgc_share_is_samples_with_it_on_the_stack);
	tcase_add_test(tc, test_mallocgc_at_five_percent_does_not_cross);
	tcase_add_test(tc,
		       test_a_function_twice_on_a_stack_counts_the_sample_once);
	tcase_add_test(tc, test_inlined_calls_match_and_kernel_frames_do_not);
	tcase_add_test(tc, test_selectgo_crosses_above_two_percent);
	tcase_add_test(tc, test_deferreturn_crosses_when_present_at_all);
	tcase_add_test(tc, test_mark_workers_cross_above_ten_percent);
	tcase_add_test(tc, test_without_samples_the_cpu_rows_are_never_crossed);
	tcase_add_test(tc, test_park_rows_are_per_reason_with_a_rate);
	tcase_add_test(tc, test_stw_rows_count_pauses_over_100us_per_reason);
	tcase_add_test(tc, test_stw_in_nanoseconds_uses_100000ns);
	tcase_add_test(tc, test_no_stw_at_all_is_one_row_not_crossed);
	tcase_add_test(
	    tc, test_json_has_rows_with_exercise_arrays_and_sample_counts);
	tcase_add_test(tc, test_json_cpu_value_is_null_without_samples);
	tcase_add_test(
	    tc, test_text_table_marks_crossed_rows_and_says_they_are_samples);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(signatures_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

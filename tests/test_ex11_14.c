/*
 * test_ex11_14.c — exercises 11 to 14 (workloads/ex11..ex14) as a
 * specification: each before and after compute the same answer, each
 * variant does what its mechanism says (allocates or not, stops the world
 * or not), and each correctness gap the seed lists in §16 is real:
 *
 *   ex11  the typed-attr API turns a bool or a uint64 into a string: the
 *         consumer finds a string where the `any` logger kept the type.
 *   ex12  an in-flight counter decremented after serve() drifts by one per
 *         recovered panic; decremented in a defer it is exact.
 *   ex13  handlers sharing one metrics sample slice: rt_metrics_read
 *         writes in place, so one handler records the other's value.
 *   ex14  a dump taken in the recovering defer shows the panicking
 *         goroutine's own stack — the panic machinery over the frame that
 *         panicked — which the recovered value already pointed at.
 *
 * No timing assertions. Every test calls rt_main once (libcheck forks).
 */
#include "rt_test.h"

#include "ex11_14.h"

/* ---- before and after agree -------------------------------------------- */

struct agree {
	const struct exercise *ex;
	bool has_want;
	uint64_t want;
};

static void agree_main(void *arg)
{
	struct agree *a = arg;
	const struct exercise *ex = a->ex;
	int np = ex->nparams > 0 ? ex->nparams : 1;
	for (int i = 0; i < np; i++) {
		static const struct ex_param none = {"", 0};
		const struct ex_param *p =
		    ex->nparams > 0 ? &ex->params[i] : &none;
		uint64_t b = ex->result[EX_BEFORE](p);
		uint64_t af = ex->result[EX_AFTER](p);
		RTT_CHECK(b == af, "%s %s: before %llu, after %llu", ex->id,
			  p->name, (unsigned long long)b,
			  (unsigned long long)af);
		if (a->has_want)
			RTT_CHECK(b == a->want, "%s %s: %llu, want %llu",
				  ex->id, p->name, (unsigned long long)b,
				  (unsigned long long)a->want);
	}
}

START_TEST(test_ex11_before_and_after_log_the_same_values)
{
	struct agree a = {.ex = &ex11};
	rtt_run(0, agree_main, &a);
}
END_TEST

START_TEST(test_ex12_scrapes_count_the_same_inflight_requests)
{
	/* five requests parked in serve: NumGoroutine's rise and the
	 * counter both say 5 */
	struct agree a = {.ex = &ex12, .has_want = true, .want = 5};
	rtt_run(2, agree_main, &a);
}
END_TEST

START_TEST(test_ex13_handlers_serve_and_record_alike)
{
	struct agree a = {.ex = &ex13};
	rtt_run(2, agree_main, &a);
}
END_TEST

START_TEST(test_ex14_handlers_serve_alike)
{
	struct agree a = {.ex = &ex14};
	rtt_run(2, agree_main, &a);
}
END_TEST

/* ---- helpers -------------------------------------------------------------
 */

/* mallocs is the cumulative count of heap objects (a stop of the world,
 * exact, as testing.B's -benchmem reads it). */
static uint64_t mallocs(void)
{
	static struct rt_memstats ms;
	rt_read_memstats(&ms);
	return ms.mallocs;
}

/* metric returns b's reported figure for unit, or -1 if not reported. */
static double metric(const struct bench_b *b, const char *unit)
{
	for (int i = 0; i < b->nextra; i++)
		if (strcmp(b->extra[i].unit, unit) == 0)
			return b->extra[i].value;
	return -1;
}

/* run_variant runs n ops of ex's variant v with param i, as the harness. */
static void run_variant(const struct exercise *ex, enum ex_variant v, int i,
			int64_t n, struct bench_b *b)
{
	*b = (struct bench_b){.name = ex->id};
	b->n = n;
	bench_start_timer(b);
	ex->run[v](b, &ex->params[i]);
	bench_stop_timer(b);
}

/* ---- ex11 ----------------------------------------------------------------
 */

enum { EX11_N = 1000 };

static void ex11_allocs_main(void *arg)
{
	(void)arg;
	static const struct ex_param none = {"", 0};
	struct bench_b b = {.n = EX11_N};

	uint64_t m0 = mallocs();
	ex11.run[EX_BEFORE](&b, &none);
	uint64_t m1 = mallocs();
	ex11.run[EX_AFTER](&b, &none);
	uint64_t m2 = mallocs();
	/*
	 * Per call the before boxes the format (always allocated), i
	 * (allocated from 256 on: staticuint64s below) and the float
	 * (allocated unless 0.0): 3n - 256 - 1 objects.
	 */
	RTT_CHECK(m1 - m0 >= 3 * EX11_N - 257,
		  "before allocated %llu objects for %d calls, want >= %d",
		  (unsigned long long)(m1 - m0), EX11_N, 3 * EX11_N - 257);
	RTT_CHECK(m2 - m1 == 0, "after allocated %llu objects, want 0",
		  (unsigned long long)(m2 - m1));
}

START_TEST(test_ex11_boxing_allocates_per_call_typed_attrs_do_not)
{
	rtt_run(1, ex11_allocs_main, NULL);
}
END_TEST

struct ex11_case {
	enum ex11_kind kind;
	uint64_t bits;
	enum ex11_kind want_before, want_after;
	const char *want_text;
};

static void ex11_roundtrip_main(void *arg)
{
	const struct ex11_case *c = arg;
	char tb[64], ta[64];
	enum ex11_kind kb =
	    ex11_roundtrip(EX_BEFORE, c->kind, c->bits, tb, sizeof(tb));
	enum ex11_kind ka =
	    ex11_roundtrip(EX_AFTER, c->kind, c->bits, ta, sizeof(ta));
	RTT_CHECK(kb == c->want_before, "any logger: kind %d, want %d", kb,
		  c->want_before);
	RTT_CHECK(ka == c->want_after, "typed logger: kind %d, want %d", ka,
		  c->want_after);
	RTT_CHECK(strcmp(tb, c->want_text) == 0, "any logger: text %s", tb);
	RTT_CHECK(strcmp(ta, c->want_text) == 0, "typed logger: text %s", ta);
}

START_TEST(test_ex11_typed_attr_keeps_supported_kinds)
{
	struct ex11_case c = {EX11_INT, 300, EX11_INT, EX11_INT, "300"};
	rtt_run(1, ex11_roundtrip_main, &c);
}
END_TEST

START_TEST(test_ex11_typed_attr_stringifies_bool)
{
	/* the `any` logger keeps a bool; KV makes it the string "true" */
	struct ex11_case c = {EX11_BOOL, 1, EX11_BOOL, EX11_STRING, "true"};
	rtt_run(1, ex11_roundtrip_main, &c);
}
END_TEST

START_TEST(test_ex11_typed_attr_stringifies_uint64)
{
	/* 1<<63 does not fit KV's int64 cases: it arrives as a string, and a
	 * consumer summing the Int attrs never sees it */
	struct ex11_case c = {EX11_UINT64, 1ULL << 63, EX11_UINT64, EX11_STRING,
			      "9223372036854775808"};
	rtt_run(1, ex11_roundtrip_main, &c);
}
END_TEST

/* ---- ex12 ----------------------------------------------------------------
 */

struct ex12_case {
	bool with_defer;
	long want;
};

static void ex12_counter_main(void *arg)
{
	const struct ex12_case *c = arg;
	int panicked = 0;
	ex12_reset_inflight();
	/* ten requests, every third one panics: 3 panics */
	for (int i = 0; i < 10; i++) {
		bool p = i % 3 == 2;
		bool rec = ex12_serve_request(c->with_defer, p);
		RTT_CHECK(rec == p, "request %d: recovered %d, panicked %d", i,
			  rec, p);
		panicked += rec;
	}
	RTT_CHECK(panicked == 3, "%d panics recovered, want 3", panicked);
	RTT_CHECK(ex12_inflight() == c->want,
		  "in flight after every request ended: %ld, want %ld",
		  ex12_inflight(), c->want);
}

START_TEST(test_ex12_inflight_counter_drifts_without_defer)
{
	/* the three panicking requests never decremented */
	struct ex12_case c = {false, 3};
	rtt_run(1, ex12_counter_main, &c);
}
END_TEST

START_TEST(test_ex12_inflight_counter_exact_with_defer)
{
	struct ex12_case c = {true, 0};
	rtt_run(1, ex12_counter_main, &c);
}
END_TEST

/*
 * NumGoroutine counts live goroutines, not allgs: after the setup's burst
 * has grown allgs and ended, the scrape is back where it was, and each
 * scrape is one gcount call (the probe), never a walk.
 */
enum { EX12_BURST = 3000 };

static void ex12_allgs_main(void *arg)
{
	(void)arg;
	static const struct ex_param burst = {"allgs=3000", EX12_BURST};
	struct bench_b b = {.n = 100};
	int before = rt_num_goroutine();
	uint64_t g0 = rt_probe_count("gcount");
	ex12.run[EX_BEFORE](&b, &burst);
	uint64_t g1 = rt_probe_count("gcount");
	size_t allglen = rt_allglen();
	RTT_CHECK(allglen >= EX12_BURST, "allgs %zu after a burst of %d",
		  allglen, EX12_BURST);
	RTT_CHECK(metric(&b, EX_UNIT_ALLGS) == (double)allglen,
		  "reported allgs %g, rt_allglen %zu",
		  metric(&b, EX_UNIT_ALLGS), allglen);
	RTT_CHECK(g1 - g0 == 100, "%llu gcount calls for 100 scrapes",
		  (unsigned long long)(g1 - g0));
	/* the burst's goroutines may still be exiting: let them */
	int now = rt_num_goroutine();
	for (int i = 0; i < 100000 && now != before; i++) {
		rt_gosched();
		now = rt_num_goroutine();
	}
	RTT_CHECK(now == before,
		  "NumGoroutine %d after the burst ended, %d before", now,
		  before);
}

START_TEST(test_ex12_num_goroutine_counts_live_not_allgs)
{
	rtt_run(2, ex12_allgs_main, NULL);
}
END_TEST

/* ---- ex13 ----------------------------------------------------------------
 */

/* Each variant with the other P busy: the before stops the world once per
 * request, the after never; the victim reports its delay. */
static void ex13_stops_main(void *arg)
{
	(void)arg;
	struct bench_b b;
	run_variant(&ex13, EX_BEFORE, 1, 20, &b);
	RTT_CHECK(metric(&b, EX_UNIT_STW_PER_OP) == 1.0,
		  "before: %g stops per request, want 1",
		  metric(&b, EX_UNIT_STW_PER_OP));
	RTT_CHECK(metric(&b, EX_UNIT_PAUSE_OP) > 0, "before: pause %g",
		  metric(&b, EX_UNIT_PAUSE_OP));
	run_variant(&ex13, EX_AFTER, 1, 20, &b);
	RTT_CHECK(metric(&b, EX_UNIT_STW_PER_OP) == 0.0,
		  "after: %g stops per request, want 0",
		  metric(&b, EX_UNIT_STW_PER_OP));
	RTT_CHECK(metric(&b, EX_UNIT_PAUSE_OP) == 0.0, "after: pause %g",
		  metric(&b, EX_UNIT_PAUSE_OP));
}

START_TEST(test_ex13_read_memstats_stops_the_world_metrics_do_not)
{
	rtt_run(2, ex13_stops_main, NULL);
}
END_TEST

/*
 * The seed's gap: the handlers share one samples slice. A reads into it;
 * before A records, B (which allocated 1 MiB meanwhile) reads into the
 * same slice; A then records B's value. The interleaving is forced with
 * two unbuffered channels; GC is off (RT_GOGC=off) so nothing frees memory
 * between the two reads and the two values must differ.
 */
static struct rt_metric_sample shared[EX13_NSAMPLES];
static void *volatile ex13_keep;

struct ex13_gap {
	bool share;
	rt_chan *a_read, *b_read;
	uint64_t b_value;
	rt_waitgroup wg;
};

static void ex13_handler_b(void *arg)
{
	struct ex13_gap *g = arg;
	struct rt_metric_sample own[EX13_NSAMPLES];
	struct rt_metric_sample *s = g->share ? shared : own;
	rt_chan_recv(g->a_read, NULL);
	ex13_keep = rt_mallocgc(1 << 20, RT_MALLOC_NOSCAN);
	ex13_samples_init(s);
	ex13_read(s);
	g->b_value = ex13_heap_inuse(s);
	rt_chan_send(g->b_read, &(char){0});
	rt_waitgroup_done(&g->wg);
}

static void ex13_gap_main(void *arg)
{
	struct ex13_gap *g = arg;
	struct rt_metric_sample own[EX13_NSAMPLES];
	struct rt_metric_sample *s = g->share ? shared : own;
	g->a_read = rt_chan_make(1, 0);
	g->b_read = rt_chan_make(1, 0);
	rt_waitgroup_add(&g->wg, 1);
	rt_go(ex13_handler_b, g);

	ex13_samples_init(s);
	ex13_read(s);
	uint64_t a_value = ex13_heap_inuse(s); /* what A read */
	rt_chan_send(g->a_read, &(char){0});   /* B runs and reads */
	rt_chan_recv(g->b_read, NULL);
	uint64_t recorded = ex13_heap_inuse(s); /* what A records */
	rt_waitgroup_wait(&g->wg);

	RTT_CHECK(g->b_value >= a_value + (1 << 20),
		  "B read %llu, A %llu: B's 1 MiB is not in it",
		  (unsigned long long)g->b_value, (unsigned long long)a_value);
	if (g->share)
		RTT_CHECK(recorded == g->b_value,
			  "shared slice: A recorded %llu, B read %llu",
			  (unsigned long long)recorded,
			  (unsigned long long)g->b_value);
	else
		RTT_CHECK(recorded == a_value,
			  "own slice: A recorded %llu, read %llu",
			  (unsigned long long)recorded,
			  (unsigned long long)a_value);
}

START_TEST(test_ex13_shared_samples_return_another_goroutines_value)
{
	struct ex13_gap g = {.share = true};
	setenv("RT_GOGC", "off", 1);
	rtt_run(2, ex13_gap_main, &g);
}
END_TEST

START_TEST(test_ex13_own_samples_keep_their_value)
{
	struct ex13_gap g = {.share = false};
	setenv("RT_GOGC", "off", 1);
	rtt_run(2, ex13_gap_main, &g);
}
END_TEST

/* ---- ex14 ----------------------------------------------------------------
 */

static void ex14_stops_main(void *arg)
{
	(void)arg;
	struct bench_b b;
	run_variant(&ex14, EX_BEFORE, 0, 3, &b);
	RTT_CHECK(metric(&b, EX_UNIT_STW_PER_OP) == 1.0,
		  "before: %g stops per request, want 1",
		  metric(&b, EX_UNIT_STW_PER_OP));
	run_variant(&ex14, EX_AFTER, 0, 3, &b);
	RTT_CHECK(metric(&b, EX_UNIT_STW_PER_OP) == 0.0,
		  "after: %g stops per request, want 0",
		  metric(&b, EX_UNIT_STW_PER_OP));
}

START_TEST(test_ex14_dump_per_request_stops_the_world_dump_on_panic_does_not)
{
	rtt_run(2, ex14_stops_main, NULL);
}
END_TEST

/* find returns the first occurrence of want in [p, end), or NULL. */
static const char *find(const char *p, const char *end, const char *want)
{
	const char *q = strstr(p, want);
	return q != NULL && q < end ? q : NULL;
}

static void ex14_gap_main(void *arg)
{
	(void)arg;
	const char *recovered = NULL;
	const char *dump =
	    ex14_panicking_request("ex14: handler bug", &recovered);
	RTT_CHECK(recovered != NULL &&
		      strcmp(recovered, "ex14: handler bug") == 0,
		  "recover returned %s", recovered ? recovered : "(nil)");
	RTT_CHECK(dump != NULL, "nothing logged on the panic");
	if (dump == NULL)
		return;
	/* the first block is the dumping goroutine: the one panicking */
	const char *end = strstr(dump, "\n\n");
	if (end == NULL)
		end = dump + strlen(dump);
	const char *d = find(dump, end, "dump_on_panic(");
	const char *p = find(dump, end, "rt_panic(");
	const char *s = find(dump, end, "serve(");
	const char *h = find(dump, end, "handle_after(");
	RTT_CHECK(d != NULL && p != NULL && s != NULL && h != NULL,
		  "the panicking goroutine's frames are not all there "
		  "(dump_on_panic %d, rt_panic %d, serve %d, handle_after "
		  "%d):\n%.*s",
		  d != NULL, p != NULL, s != NULL, h != NULL, (int)(end - dump),
		  dump);
	if (d != NULL && p != NULL && s != NULL && h != NULL)
		RTT_CHECK(d < p && p < s && s < h,
			  "frames out of order (innermost first):\n%.*s",
			  (int)(end - dump), dump);
}

START_TEST(test_ex14_dump_in_recover_captures_the_panicking_stack)
{
	rtt_run(2, ex14_gap_main, NULL);
}
END_TEST

static Suite *ex11_14_suite(void)
{
	Suite *s = suite_create("ex11_14");
	TCase *tc;

	tc = tcase_create("results");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_ex11_before_and_after_log_the_same_values);
	tcase_add_test(tc, test_ex12_scrapes_count_the_same_inflight_requests);
	tcase_add_test(tc, test_ex13_handlers_serve_and_record_alike);
	tcase_add_test(tc, test_ex14_handlers_serve_alike);
	suite_add_tcase(s, tc);

	tc = tcase_create("mechanisms");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc,
		       test_ex11_boxing_allocates_per_call_typed_attrs_do_not);
	tcase_add_test(tc, test_ex12_num_goroutine_counts_live_not_allgs);
	tcase_add_test(tc,
		       test_ex13_read_memstats_stops_the_world_metrics_do_not);
	tcase_add_test(
	    tc,
	    test_ex14_dump_per_request_stops_the_world_dump_on_panic_does_not);
	suite_add_tcase(s, tc);

	tc = tcase_create("gaps");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_ex11_typed_attr_keeps_supported_kinds);
	tcase_add_test(tc, test_ex11_typed_attr_stringifies_bool);
	tcase_add_test(tc, test_ex11_typed_attr_stringifies_uint64);
	tcase_add_test(tc, test_ex12_inflight_counter_drifts_without_defer);
	tcase_add_test(tc, test_ex12_inflight_counter_exact_with_defer);
	tcase_add_test(
	    tc, test_ex13_shared_samples_return_another_goroutines_value);
	tcase_add_test(tc, test_ex13_own_samples_keep_their_value);
	tcase_add_test(tc,
		       test_ex14_dump_in_recover_captures_the_panicking_stack);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_suite_main(ex11_14_suite());
}

/*
 * test_panic.c — defer, panic and recover (runtime/panic.c) as a
 * specification: deferred calls run newest first when their function
 * returns (RT_DEFER + RT_DEFERRETURN) or their scope exits (RT_DEFER_OPEN);
 * a panic runs them all; rt_recover, called directly by a deferred call
 * the panic runs, stops it and the deferring function returns normally
 * after its remaining deferred calls; librt's own panics (channel misuse,
 * WaitGroup misuse) are recoverable; an unrecovered panic prints Go's
 * "panic: ..." and the stacks and exits with status 2; records come from
 * pools and are visible to the collector.
 *
 * Every test calls rt_main exactly once (libcheck forks one child per test);
 * the tests that expect the program to die run it in a grandchild
 * (rtt_run_dies) so they can read what it printed.
 */
#include "rt_test.h"

/* ---- a log of which deferred calls ran, in order ----------------------- */

struct dlog {
	char s[512];
	size_t n;
};

static struct dlog dlog; /* one goroutine uses it per test */

static void dlog_reset(void)
{
	memset(&dlog, 0, sizeof(dlog));
}

static void dlog_add(char c)
{
	if (dlog.n < sizeof(dlog.s) - 1)
		dlog.s[dlog.n++] = c;
}

/* deferred call: log the character its arg points to */
static void logc(void *arg)
{
	dlog_add(*(const char *)arg);
}

static const char C_A = 'a', C_B = 'b', C_C = 'c', C_D = 'd', C_E = 'e';

/* ---- deferred calls at return ------------------------------------------ */

static __attribute__((noinline)) int three_defers(void)
{
	RT_DEFER(logc, (void *)&C_A);
	RT_DEFER(logc, (void *)&C_B);
	RT_DEFER(logc, (void *)&C_C);
	dlog_add('-'); /* the body runs before any deferred call */
	RT_DEFERRETURN();
	return 42;
}

static void lifo_main(void *arg)
{
	(void)arg;
	dlog_reset();
	int r = three_defers();
	RTT_CHECK(r == 42, "returned %d", r);
	RTT_CHECK(strcmp(dlog.s, "-cba") == 0, "ran \"%s\", want \"-cba\"",
		  dlog.s);
}

START_TEST(test_deferred_calls_run_newest_first_when_the_function_returns)
{
	rtt_run(1, lifo_main, NULL);
}
END_TEST

static __attribute__((noinline)) void defer_in_loop(int n)
{
	static char digits[10];
	for (int i = 0; i < n; i++) {
		digits[i % 10] = (char)('0' + i % 10);
		RT_DEFER(logc, &digits[i % 10]);
	}
	dlog_add('|'); /* none ran inside the loop */
	RT_DEFERRETURN();
}

static void loop_main(void *arg)
{
	(void)arg;
	enum { N = 200 };
	char want[N + 2];
	dlog_reset();
	defer_in_loop(N);
	want[0] = '|';
	for (int i = 0; i < N; i++)
		want[1 + i] = (char)('0' + (N - 1 - i) % 10);
	want[N + 1] = 0;
	RTT_CHECK(strcmp(dlog.s, want) == 0, "ran \"%s\"\nwant \"%s\"", dlog.s,
		  want);
}

START_TEST(test_every_defer_made_in_a_loop_runs_at_function_exit)
{
	rtt_run(1, loop_main, NULL);
}
END_TEST

/* ---- open-coded defers ------------------------------------------------- */

static __attribute__((noinline)) void open_scopes(void)
{
	RT_DEFER_OPEN(logc, (void *)&C_A);
	{
		RT_DEFER_OPEN(logc, (void *)&C_B);
		RT_DEFER_OPEN(logc, (void *)&C_C);
		dlog_add('1');
	}
	dlog_add('2'); /* the inner block's defers ran at its exit */
	RT_DEFER_OPEN(logc, (void *)&C_D);
	dlog_add('3');
}

static void open_scope_main(void *arg)
{
	(void)arg;
	dlog_reset();
	uint64_t p0 = rt_probe_count("deferproc");
	open_scopes();
	RTT_CHECK(strcmp(dlog.s, "1cb23da") == 0,
		  "ran \"%s\", want \"1cb23da\"", dlog.s);
	RTT_CHECK(rt_probe_count("deferproc") - p0 == 4,
		  "deferproc fired %llu times for 4 open-coded defers",
		  (unsigned long long)(rt_probe_count("deferproc") - p0));
}

START_TEST(test_open_coded_defers_run_newest_first_when_their_scope_exits)
{
	rtt_run(1, open_scope_main, NULL);
}
END_TEST

/* A function mixing both forms: open first, then heap (see rt.h). */
static __attribute__((noinline)) void mixed_forms(void)
{
	RT_DEFER_OPEN(logc, (void *)&C_A);
	RT_DEFER_OPEN(logc, (void *)&C_B);
	RT_DEFER(logc, (void *)&C_C);
	RT_DEFER(logc, (void *)&C_D);
	dlog_add('-');
	RT_DEFERRETURN();
}

static void mixed_main(void *arg)
{
	(void)arg;
	dlog_reset();
	mixed_forms();
	RTT_CHECK(strcmp(dlog.s, "-dcba") == 0, "ran \"%s\", want \"-dcba\"",
		  dlog.s);
}

START_TEST(test_open_and_heap_defers_of_one_function_run_in_one_lifo_order)
{
	rtt_run(1, mixed_main, NULL);
}
END_TEST

/* An open-coded defer in a block runs at the block's exit even when a
 * newer rt_defer of the same frame waits for RT_DEFERRETURN. */
static __attribute__((noinline)) void open_block_under_heap(void)
{
	{
		RT_DEFER_OPEN(logc, (void *)&C_A);
		RT_DEFER(logc, (void *)&C_B);
		dlog_add('1');
	}
	dlog_add('2');
	RT_DEFERRETURN();
}

static void open_block_main(void *arg)
{
	(void)arg;
	dlog_reset();
	open_block_under_heap();
	RTT_CHECK(strcmp(dlog.s, "1a2b") == 0, "ran \"%s\", want \"1a2b\"",
		  dlog.s);
}

START_TEST(test_an_open_coded_defer_runs_at_its_block_exit_under_rt_defers)
{
	rtt_run(1, open_block_main, NULL);
}
END_TEST

/* ---- recover ----------------------------------------------------------- */

static rt_panic_value recovered; /* what the last recoverer got */

static void recoverer(void *arg)
{
	(void)arg;
	recovered = rt_recover();
	dlog_add('R');
}

static __attribute__((noinline)) void do_panic(const char *msg)
{
	rt_panic(msg);
}

static __attribute__((noinline)) void opens_then_panics(void)
{
	RT_DEFER_OPEN(logc, (void *)&C_A);
	RT_DEFER_OPEN(logc, (void *)&C_B);
	dlog_add('-');
	do_panic("open boom");
	dlog_add('X'); /* never */
}

static __attribute__((noinline)) int catches_open(void)
{
	int r = 7;
	RT_DEFER(recoverer, NULL);
	opens_then_panics();
	r = 99; /* never: the panic skips it */
	RT_DEFERRETURN();
	return r;
}

static void open_panic_main(void *arg)
{
	(void)arg;
	dlog_reset();
	int r = catches_open();
	RTT_CHECK(strcmp(dlog.s, "-baR") == 0, "ran \"%s\", want \"-baR\"",
		  dlog.s);
	RTT_CHECK(recovered.msg != NULL &&
		      strcmp(recovered.msg, "open boom") == 0,
		  "recovered \"%s\"", recovered.msg ? recovered.msg : "(null)");
	RTT_CHECK(r == 7, "returned %d, want 7", r);
}

START_TEST(test_a_panic_runs_open_coded_defers_of_the_frames_it_unwinds)
{
	rtt_run(1, open_panic_main, NULL);
}
END_TEST

/*
 * recovering_frame defers a, the recoverer and c, then panics in a callee:
 * c runs, the recoverer stops the panic, a still runs (the rest of the
 * frame's defers), and the function returns normally to its caller with
 * what its locals held when the panic began.
 */
static __attribute__((noinline)) long recovering_frame(long x)
{
	long local = x * 3 + 1; /* live across the panic */
	RT_DEFER(logc, (void *)&C_A);
	RT_DEFER(recoverer, NULL);
	RT_DEFER(logc, (void *)&C_C);
	dlog_add('-');
	do_panic("boom");
	local = -1; /* never */
	RT_DEFERRETURN();
	return local;
}

static void recover_main(void *arg)
{
	(void)arg;
	dlog_reset();
	recovered = (rt_panic_value){0};
	uint64_t p0 = rt_probe_count("gopanic"),
		 r0 = rt_probe_count("gorecover");
	long r = recovering_frame(5);
	dlog_add('!'); /* the caller runs on */
	RTT_CHECK(strcmp(dlog.s, "-cRa!") == 0, "ran \"%s\", want \"-cRa!\"",
		  dlog.s);
	RTT_CHECK(r == 16, "returned %ld, want 16", r);
	RTT_CHECK(recovered.msg != NULL && strcmp(recovered.msg, "boom") == 0,
		  "recovered \"%s\"", recovered.msg ? recovered.msg : "(null)");
	RTT_CHECK(!recovered.runtime_error, "rt_panic is no runtime error");
	RTT_CHECK(rt_probe_count("gopanic") - p0 == 1, "gopanic count");
	RTT_CHECK(rt_probe_count("gorecover") - r0 == 1, "gorecover count");
	/* The panic is over: nothing is left to recover. */
	rt_panic_value v = rt_recover();
	RTT_CHECK(v.msg == NULL, "recover after recovery got \"%s\"", v.msg);
	/* And the goroutine can panic and recover again. */
	dlog_reset();
	r = recovering_frame(1);
	RTT_CHECK(r == 4 && strcmp(dlog.s, "-cRa") == 0,
		  "second round: %ld \"%s\"", r, dlog.s);
}

START_TEST(test_recover_stops_the_panic_and_the_deferring_function_returns)
{
	rtt_run(1, recover_main, NULL);
}
END_TEST

/* Recovery several frames up: the frames in between are abandoned, their
 * deferred calls having run. */
static __attribute__((noinline)) void middle(int depth)
{
	RT_DEFER(logc, (void *)&C_B);
	if (depth == 0)
		do_panic("deep");
	else
		middle(depth - 1);
	dlog_add('X'); /* never */
	RT_DEFERRETURN();
}

static __attribute__((noinline)) int catches_deep(void)
{
	RT_DEFER(recoverer, NULL);
	middle(9);
	RT_DEFERRETURN();
	return 1;
}

static void deep_main(void *arg)
{
	(void)arg;
	dlog_reset();
	int r = catches_deep();
	RTT_CHECK(r == 1, "returned %d", r);
	RTT_CHECK(strcmp(dlog.s, "bbbbbbbbbbR") == 0, "ran \"%s\"", dlog.s);
	RTT_CHECK(recovered.msg && strcmp(recovered.msg, "deep") == 0,
		  "recovered \"%s\"", recovered.msg ? recovered.msg : "(null)");
}

START_TEST(test_recover_resumes_the_deferring_frame_past_unwound_callees)
{
	rtt_run(1, deep_main, NULL);
}
END_TEST

/*
 * Recovery after recovery on one goroutine leaves nothing behind. Under
 * TSan each landing pad also pops the frames it skips from the
 * goroutine's shadow call stack (runtime/panic.c, tsan_skip_frames):
 * 20,000 recoveries past 12 frames each would overrun its 65,536 entries.
 */
enum { RECOVER_ROUNDS = 20000 };

static void many_recoveries_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < RECOVER_ROUNDS; i++) {
		dlog_reset();
		int r = catches_deep();
		if (r != 1 || strcmp(dlog.s, "bbbbbbbbbbR") != 0) {
			RTT_CHECK(false, "round %d returned %d and ran \"%s\"",
				  i, r, dlog.s);
			return;
		}
	}
}

START_TEST(test_a_goroutine_recovers_20000_deep_panics_in_a_row)
{
	rtt_run(1, many_recoveries_main, NULL);
}
END_TEST

/* ---- recover returns nothing where it must ----------------------------- */

static rt_panic_value indirect_got, direct_got;

static __attribute__((noinline)) rt_panic_value helper_recovers(void)
{
	rt_panic_value v = rt_recover();
	__asm__ __volatile__("" ::: "memory"); /* no tail call */
	return v;
}

static void indirect_recoverer(void *arg)
{
	(void)arg;
	indirect_got = helper_recovers(); /* not direct: nothing */
	direct_got = rt_recover();	  /* direct: the panic */
}

static __attribute__((noinline)) void indirect_frame(void)
{
	RT_DEFER(indirect_recoverer, NULL);
	do_panic("indirect");
	RT_DEFERRETURN();
}

static rt_panic_value plain_deferred_got = {.msg = "unset"};

static void recover_in_plain_defer(void *arg)
{
	(void)arg;
	plain_deferred_got = rt_recover();
}

static __attribute__((noinline)) void no_panic_frame(void)
{
	RT_DEFER(recover_in_plain_defer, NULL);
	RT_DEFERRETURN();
}

static void no_panic_main(void *arg)
{
	(void)arg;
	rt_panic_value v = rt_recover();
	RTT_CHECK(v.msg == NULL && v.data == NULL && !v.runtime_error,
		  "recover with no panic got \"%s\"", v.msg);
	no_panic_frame();
	RTT_CHECK(plain_deferred_got.msg == NULL,
		  "recover in a deferred call at return got \"%s\"",
		  plain_deferred_got.msg);
}

START_TEST(test_recover_without_a_panic_returns_nothing)
{
	rtt_run(1, no_panic_main, NULL);
}
END_TEST

static void indirect_main(void *arg)
{
	(void)arg;
	indirect_frame();
	RTT_CHECK(indirect_got.msg == NULL,
		  "recover in a function the deferred call calls got \"%s\"",
		  indirect_got.msg);
	RTT_CHECK(direct_got.msg && strcmp(direct_got.msg, "indirect") == 0,
		  "the deferred call's own recover got \"%s\"",
		  direct_got.msg ? direct_got.msg : "(null)");
}

START_TEST(
    test_recover_not_called_directly_by_the_deferred_call_returns_nothing)
{
	rtt_run(1, indirect_main, NULL);
}
END_TEST

/* ---- re-panics ---------------------------------------------------------- */

static void repanicker(void *arg)
{
	dlog_add('P');
	rt_panic((const char *)arg);
}

static __attribute__((noinline)) int repanic_frame(void)
{
	RT_DEFER(recoverer, NULL);
	RT_DEFER(logc, (void *)&C_B);
	RT_DEFER(repanicker, (void *)"second");
	RT_DEFER(logc, (void *)&C_D);
	do_panic("first");
	RT_DEFERRETURN();
	return 3;
}

static void recover_then_repanic(void *arg)
{
	rt_panic_value v = rt_recover();
	dlog_add(v.msg != NULL && strcmp(v.msg, "first") == 0 ? 'r' : '?');
	rt_panic((const char *)arg);
}

static __attribute__((noinline)) int recover_repanic_frame(void)
{
	RT_DEFER(recoverer, NULL);
	RT_DEFER(recover_then_repanic, (void *)"again");
	do_panic("first");
	RT_DEFERRETURN();
	return 4;
}

static void repanic_main(void *arg)
{
	(void)arg;
	dlog_reset();
	int r = repanic_frame();
	RTT_CHECK(r == 3, "returned %d", r);
	RTT_CHECK(strcmp(dlog.s, "dPbR") == 0, "ran \"%s\", want \"dPbR\"",
		  dlog.s);
	RTT_CHECK(recovered.msg && strcmp(recovered.msg, "second") == 0,
		  "recovered \"%s\", want the newest panic",
		  recovered.msg ? recovered.msg : "(null)");

	dlog_reset();
	r = recover_repanic_frame();
	RTT_CHECK(r == 4, "returned %d", r);
	RTT_CHECK(strcmp(dlog.s, "rR") == 0, "ran \"%s\", want \"rR\"", dlog.s);
	RTT_CHECK(recovered.msg && strcmp(recovered.msg, "again") == 0,
		  "recovered \"%s\"", recovered.msg ? recovered.msg : "(null)");
	rt_panic_value v = rt_recover();
	RTT_CHECK(v.msg == NULL, "a panic is left over: \"%s\"", v.msg);
}

START_TEST(test_a_panic_in_a_deferred_call_supersedes_the_running_one)
{
	rtt_run(1, repanic_main, NULL);
}
END_TEST

/* A deferred call that panics and recovers inside itself leaves the first
 * panic running. */
static __attribute__((noinline)) void inner_panic_frame(void)
{
	RT_DEFER(recoverer, NULL);
	do_panic("inner");
	RT_DEFERRETURN();
}

static rt_panic_value inner_got;

static void panics_inside(void *arg)
{
	(void)arg;
	inner_panic_frame();
	inner_got = recovered;
	dlog_add('i');
}

static __attribute__((noinline)) void outer_frame(void)
{
	RT_DEFER(recoverer, NULL);
	RT_DEFER(panics_inside, NULL);
	do_panic("outer");
	RT_DEFERRETURN();
}

static void nested_main(void *arg)
{
	(void)arg;
	dlog_reset();
	outer_frame();
	RTT_CHECK(strcmp(dlog.s, "RiR") == 0, "ran \"%s\", want \"RiR\"",
		  dlog.s);
	RTT_CHECK(inner_got.msg && strcmp(inner_got.msg, "inner") == 0,
		  "inner recovered \"%s\"",
		  inner_got.msg ? inner_got.msg : "(null)");
	RTT_CHECK(recovered.msg && strcmp(recovered.msg, "outer") == 0,
		  "outer recovered \"%s\"",
		  recovered.msg ? recovered.msg : "(null)");
}

START_TEST(test_a_panic_recovered_inside_a_deferred_call_leaves_the_outer_one)
{
	rtt_run(1, nested_main, NULL);
}
END_TEST

/* ---- panic values ------------------------------------------------------ */

static __attribute__((noinline)) rt_panic_value catch_value(int which)
{
	recovered = (rt_panic_value){0};
	RT_DEFER(recoverer, NULL);
	static int payload;
	switch (which) {
	case 0:
		rt_panicf("code %d: %s", 17, "bad");
	case 1:
		rt_panicv(
		    (rt_panic_value){.msg = "with data", .data = &payload});
	case 2:
		rt_panicv((rt_panic_value){0});
	default:
		rt_panic_runtime_error("index out of range");
	}
	RT_DEFERRETURN();
	return recovered;
}

static void values_main(void *arg)
{
	(void)arg;
	rt_panic_value v = catch_value(0);
	RTT_CHECK(v.msg && strcmp(v.msg, "code 17: bad") == 0, "panicf: %s",
		  v.msg ? v.msg : "(null)");
	v = catch_value(1);
	RTT_CHECK(v.msg && strcmp(v.msg, "with data") == 0 && v.data != NULL &&
		      !v.runtime_error,
		  "panicv: %s", v.msg ? v.msg : "(null)");
	v = catch_value(2);
	RTT_CHECK(v.msg &&
		      strcmp(v.msg, "panic called with nil argument") == 0 &&
		      v.runtime_error,
		  "panic(nil): %s", v.msg ? v.msg : "(null)");
	v = catch_value(3);
	RTT_CHECK(v.msg &&
		      strcmp(v.msg, "runtime error: index out of range") == 0 &&
		      v.runtime_error,
		  "runtime error: %s", v.msg ? v.msg : "(null)");
}

START_TEST(test_panic_values_reach_recover_as_given)
{
	rtt_run(1, values_main, NULL);
}
END_TEST

/* ---- librt's own panics are recoverable -------------------------------- */

enum misuse {
	SEND_ON_CLOSED,
	TRYSEND_ON_CLOSED,
	SELECT_SEND_ON_CLOSED,
	CLOSE_OF_CLOSED,
	CLOSE_OF_NIL,
	NEGATIVE_WAITGROUP,
};

static __attribute__((noinline)) rt_panic_value misuse(enum misuse what)
{
	recovered = (rt_panic_value){0};
	RT_DEFER(recoverer, NULL);
	rt_chan *c = rt_chan_make(sizeof(int), 1);
	int v = 1;
	static rt_waitgroup wg;
	switch (what) {
	case SEND_ON_CLOSED:
		rt_chan_close(c);
		rt_chan_send(c, &v);
		break;
	case TRYSEND_ON_CLOSED:
		rt_chan_close(c);
		rt_chan_trysend(c, &v);
		break;
	case SELECT_SEND_ON_CLOSED: {
		rt_chan_close(c);
		struct rt_select_case cs[1] = {
		    {.c = c, .dir = RT_SELECT_SEND, .elem = &v}};
		rt_select(cs, 1, false);
		break;
	}
	case CLOSE_OF_CLOSED:
		rt_chan_close(c);
		rt_chan_close(c);
		break;
	case CLOSE_OF_NIL:
		rt_chan_close(NULL);
		break;
	case NEGATIVE_WAITGROUP:
		rt_waitgroup_add(&wg, 1);
		rt_waitgroup_done(&wg);
		rt_waitgroup_done(&wg);
		break;
	}
	RT_DEFERRETURN();
	return recovered;
}

/* misuse_on closes c, already closed, and recovers. */
static __attribute__((noinline)) rt_panic_value misuse_on(rt_chan *c)
{
	recovered = (rt_panic_value){0};
	RT_DEFER(recoverer, NULL);
	rt_chan_close(c);
	RT_DEFERRETURN();
	return recovered;
}

static void misuse_main(void *arg)
{
	(void)arg;
	static const struct {
		enum misuse what;
		const char *msg;
		bool runtime_error;
	} cases[] = {
	    {SEND_ON_CLOSED, "send on closed channel", true},
	    {TRYSEND_ON_CLOSED, "send on closed channel", true},
	    {SELECT_SEND_ON_CLOSED, "send on closed channel", true},
	    {CLOSE_OF_CLOSED, "close of closed channel", true},
	    {CLOSE_OF_NIL, "close of nil channel", true},
	    /* sync panics with a string, not a runtime.Error, as Go's
	     * WaitGroup.Add does */
	    {NEGATIVE_WAITGROUP, "sync: negative WaitGroup counter", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rt_panic_value v = misuse(cases[i].what);
		RTT_CHECK(v.msg && strcmp(v.msg, cases[i].msg) == 0,
			  "case %zu: recovered \"%s\", want \"%s\"", i,
			  v.msg ? v.msg : "(null)", cases[i].msg);
		RTT_CHECK(v.runtime_error == cases[i].runtime_error,
			  "case %zu (%s): runtime_error %d", i, cases[i].msg,
			  v.runtime_error);
	}
	/* The channel locks were released before panicking: a channel
	 * that panicked is still usable. */
	rt_chan *c = rt_chan_make(sizeof(int), 1);
	int x = 5, y = 0;
	rt_chan_send(c, &x);
	rt_chan_close(c);
	rt_panic_value v = misuse_on(c);
	RTT_CHECK(v.msg && strcmp(v.msg, "close of closed channel") == 0,
		  "recovered \"%s\"", v.msg ? v.msg : "(null)");
	RTT_CHECK(rt_chan_recv(c, &y) && y == 5, "buffered value lost");
	RTT_CHECK(!rt_chan_recv(c, &y), "closed channel delivered");
}

START_TEST(test_librt_panics_are_recoverable_with_gos_values)
{
	rtt_run(2, misuse_main, NULL);
}
END_TEST

/* A sender blocked on a channel that is closed under it panics on its own
 * goroutine, where its deferred call recovers. */
struct blocked_send {
	rt_chan *c;
	rtt_join done;
	rt_panic_value got;
	atomic_int parked;
};

static void record_recover(void *arg)
{
	struct blocked_send *b = arg;
	b->got = rt_recover();
}

static __attribute__((noinline)) void
blocked_sender_frame(struct blocked_send *b)
{
	int v = 1;
	RT_DEFER(record_recover, b);
	atomic_store(&b->parked, 1);
	rt_chan_send(b->c, &v); /* unbuffered, no receiver: blocks */
	RT_DEFERRETURN();
}

static void blocked_sender(void *arg)
{
	struct blocked_send *b = arg;
	blocked_sender_frame(b);
	rtt_join_done(&b->done);
}

static void blocked_send_main(void *arg)
{
	(void)arg;
	static struct blocked_send b;
	b.c = rt_chan_make(sizeof(int), 0);
	rtt_join_add(&b.done, 1);
	uint64_t parks0 = rt_probe_count("gopark");
	rt_go(blocked_sender, &b);
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
	/* wait until the sender has parked on the channel (the only park
	 * in this program) */
	while (rt_probe_count("gopark") == parks0 || !atomic_load(&b.parked)) {
		if (rtt_mono_ns() > deadline) {
			RTT_CHECK(false, "the sender never blocked");
			break;
		}
		rt_gosched();
	}
	rt_chan_close(b.c);
	rtt_join_wait(&b.done);
	RTT_CHECK(b.got.msg &&
		      strcmp(b.got.msg, "send on closed channel") == 0 &&
		      b.got.runtime_error,
		  "the blocked sender recovered \"%s\"",
		  b.got.msg ? b.got.msg : "(null)");
}

START_TEST(test_a_sender_woken_by_close_panics_on_its_own_goroutine)
{
	rtt_run(2, blocked_send_main, NULL);
}
END_TEST

/* ---- goroutines are independent ---------------------------------------- */

enum { NG = 16, ROUNDS = 200 };

struct indep {
	rtt_join done;
	atomic_long bad;
	char first_bad[128];
};

struct worker {
	struct indep *in;
	int id;
	long ran; /* deferred calls run for this worker */
	rt_panic_value got;
};

static void worker_count(void *arg)
{
	struct worker *w = arg;
	w->ran++;
	if ((w->ran & 7) == 0)
		rt_gosched(); /* let the others interleave */
}

static void worker_recover(void *arg)
{
	struct worker *w = arg;
	w->got = rt_recover();
	w->ran++;
}

static __attribute__((noinline)) void worker_round(struct worker *w, int round)
{
	RT_DEFER(worker_recover, w);
	for (int i = 0; i < 5; i++)
		RT_DEFER(worker_count, w);
	rt_gosched();
	if (round % 2 == 0)
		rt_panicf("w%d r%d", w->id, round);
	RT_DEFERRETURN();
}

static void worker(void *arg)
{
	struct worker *w = arg;
	char want[32];
	for (int round = 0; round < ROUNDS; round++) {
		long before = w->ran;
		w->got = (rt_panic_value){0};
		worker_round(w, round);
		snprintf(want, sizeof(want), "w%d r%d", w->id, round);
		bool ok = w->ran - before == 6 &&
			  (round % 2 == 0 ? w->got.msg != NULL &&
						strcmp(w->got.msg, want) == 0
					  : w->got.msg == NULL);
		if (!ok && atomic_fetch_add(&w->in->bad, 1) == 0)
			snprintf(w->in->first_bad, sizeof(w->in->first_bad),
				 "worker %d round %d: ran %ld got \"%s\"",
				 w->id, round, w->ran - before,
				 w->got.msg ? w->got.msg : "(null)");
	}
	rtt_join_done(&w->in->done);
}

static void independent_main(void *arg)
{
	(void)arg;
	static struct indep in;
	static struct worker ws[NG];
	rtt_join_add(&in.done, NG);
	for (int i = 0; i < NG; i++) {
		ws[i].in = &in;
		ws[i].id = i;
		rt_go(worker, &ws[i]);
	}
	rtt_join_wait(&in.done);
	RTT_CHECK(atomic_load(&in.bad) == 0, "%ld bad rounds; first: %s",
		  atomic_load(&in.bad), in.first_bad);
}

START_TEST(test_goroutines_defer_panic_and_recover_independently)
{
	rtt_run(2, independent_main, NULL);
}
END_TEST

/* A goroutine's pending defers are untouched by another's panic. */
struct bystander {
	rtt_note go_on;
	rtt_join done;
	long ran;
};

static void bystander_count(void *arg)
{
	((struct bystander *)arg)->ran++;
}

static __attribute__((noinline)) void bystander_frame(struct bystander *b)
{
	RT_DEFER(bystander_count, b);
	RT_DEFER(bystander_count, b);
	rtt_note_wait(&b->go_on); /* parked while main panics */
	RT_DEFERRETURN();
}

static void bystander(void *arg)
{
	struct bystander *b = arg;
	bystander_frame(b);
	rtt_join_done(&b->done);
}

static void bystander_main(void *arg)
{
	(void)arg;
	static struct bystander b;
	rtt_join_add(&b.done, 1);
	rt_go(bystander, &b);
	for (int i = 0; i < 50; i++)
		rt_gosched();
	dlog_reset();
	recovering_frame(1); /* panics and recovers on main */
	RTT_CHECK(b.ran == 0, "main's panic ran %ld of another G's defers",
		  b.ran);
	rtt_note_signal(&b.go_on);
	rtt_join_wait(&b.done);
	RTT_CHECK(b.ran == 2, "the bystander's defers ran %ld times", b.ran);
}

START_TEST(test_a_panic_never_runs_another_goroutines_defers)
{
	rtt_run(2, bystander_main, NULL);
}
END_TEST

/* ---- pools -------------------------------------------------------------- */

static void nop(void *arg)
{
	(void)arg;
}

static __attribute__((noinline)) void one_defer(void)
{
	RT_DEFER(nop, NULL);
	RT_DEFERRETURN();
}

static __attribute__((noinline)) void nested_defers(int depth)
{
	RT_DEFER(nop, NULL);
	if (depth > 1)
		nested_defers(depth - 1);
	RT_DEFERRETURN();
}

static void pool_main(void *arg)
{
	(void)arg;
	enum { N = 10000, DEPTH = 100 };
	one_defer(); /* warm up: the P's pool holds a record */
	uint64_t d0 = rt_probe_count("deferproc"),
		 m0 = rt_probe_count("mallocgc"),
		 r0 = rt_probe_count("deferreturn");
	for (int i = 0; i < N; i++)
		one_defer();
	uint64_t dn = rt_probe_count("deferproc") - d0,
		 mn = rt_probe_count("mallocgc") - m0,
		 rn = rt_probe_count("deferreturn") - r0;
	RTT_CHECK(dn == N, "deferproc fired %llu times for %d defers",
		  (unsigned long long)dn, N);
	RTT_CHECK(rn == N, "deferreturn fired %llu times",
		  (unsigned long long)rn);
	RTT_CHECK(mn == 0, "%llu allocations for %d pooled defers",
		  (unsigned long long)mn, N);

	/* Deeper than a P's pool (32): the overflow goes to the central
	 * pool and comes back from it. */
	nested_defers(DEPTH);
	m0 = rt_probe_count("mallocgc");
	for (int i = 0; i < 10; i++)
		nested_defers(DEPTH);
	mn = rt_probe_count("mallocgc") - m0;
	RTT_CHECK(mn == 0, "%llu allocations for nested defers after warm-up",
		  (unsigned long long)mn);

	/* Every GC empties the pools (clearpools): the next defer
	 * allocates. */
	rt_gc();
	m0 = rt_probe_count("mallocgc");
	one_defer();
	mn = rt_probe_count("mallocgc") - m0;
	RTT_CHECK(mn == 1, "%llu allocations for the first defer after a GC",
		  (unsigned long long)mn);
}

START_TEST(test_defer_records_are_pooled_and_the_pools_emptied_at_gc)
{
	rtt_run(1, pool_main, NULL);
}
END_TEST

/* ---- the collector sees records ----------------------------------------- */

enum { NOBJ = 8, OBJSIZE = 256 };

struct gc_chain {
	uintptr_t hidden[NOBJ]; /* the objects, out of the collector's sight */
	long bad;		/* objects found freed or overwritten */
	long checked;
	char why[128];
};

static struct gc_chain gcc;

/* verify: the object (the arg, only held by its record) is intact and was
 * never handed out again. */
static void verify_obj(void *arg)
{
	uint64_t seed = *(uint64_t *)arg; /* the first word is the seed */
	size_t bad = rtt_verify((char *)arg + 8, OBJSIZE - 8, seed);
	if (bad != 0 && gcc.bad++ == 0)
		snprintf(gcc.why, sizeof(gcc.why),
			 "object %llu overwritten at word %zu",
			 (unsigned long long)seed, bad);
	gcc.checked++;
}

/* collect: a GC, then churn through the size class; a freed object or
 * record would be handed out again. */
static void collect(void *arg)
{
	(void)arg;
	rtt_clobber_stack();
	rt_gc();
	rt_gc();
	for (int i = 0; i < NOBJ; i++) {
		long hits = rtt_churn_find(OBJSIZE, 0, 4000, gcc.hidden[i]);
		if (hits != 0 && gcc.bad++ == 0)
			snprintf(gcc.why, sizeof(gcc.why),
				 "object %d's memory was handed out again", i);
	}
	/* the records themselves: churn their size class too */
	rtt_churn_find(sizeof(struct rt_defer), 0, 20000, 0);
}

static __attribute__((noinline)) uintptr_t make_obj(uint64_t seed)
{
	char *o = rt_mallocgc(OBJSIZE, 0);
	*(uint64_t *)o = seed;
	rtt_fill(o + 8, OBJSIZE - 8, seed);
	return rtt_hide(o);
}

static __attribute__((noinline)) void *unhide_for_arg(uintptr_t h)
{
	return rtt_unhide(h);
}

/* gc_frame defers NOBJ verifications whose args are the only pointers to
 * their objects, then the collection; with a panic, the panic runs them
 * and a recoverer deferred first stops it. */
static __attribute__((noinline)) void gc_frame(bool panics)
{
	RT_DEFER(recoverer, NULL);
	for (int i = 0; i < NOBJ; i++) {
		gcc.hidden[i] = make_obj((uint64_t)i + 1000);
		RT_DEFER(verify_obj, unhide_for_arg(gcc.hidden[i]));
	}
	RT_DEFER(collect, NULL);
	rtt_clobber_stack();
	if (panics)
		do_panic("gc chain");
	RT_DEFERRETURN();
}

static void gc_chain_main(void *arg)
{
	(void)arg;
	for (int round = 0; round < 2; round++) {
		memset(&gcc, 0, sizeof(gcc));
		recovered = (rt_panic_value){0};
		gc_frame(round == 1);
		RTT_CHECK(gcc.checked == NOBJ, "round %d: %ld objects checked",
			  round, gcc.checked);
		RTT_CHECK(gcc.bad == 0, "round %d: %s", round, gcc.why);
		if (round == 1)
			RTT_CHECK(recovered.msg &&
				      strcmp(recovered.msg, "gc chain") == 0,
				  "recovered \"%s\"",
				  recovered.msg ? recovered.msg : "(null)");
	}
}

START_TEST(test_deferred_records_and_their_args_survive_a_gc_mid_chain)
{
	rtt_run(1, gc_chain_main, NULL);
}
END_TEST

/* ---- programs that must die --------------------------------------------- */

static void unrecovered_main(void *arg)
{
	(void)arg;
	do_panic("boom");
}

START_TEST(test_an_unrecovered_panic_prints_it_and_the_stacks_and_exits_2)
{
	rtt_run_dies(1, unrecovered_main, NULL,
		     "panic: boom\n\ngoroutine 1 [running]:\n");
}
END_TEST

static void unrecovered_in_goroutine(void *arg)
{
	(void)arg;
	RT_DEFER(logc, (void *)&C_E);
	rt_panic_runtime_error("integer divide by zero");
	RT_DEFERRETURN();
}

static void unrecovered_goroutine_main(void *arg)
{
	(void)arg;
	rt_go(unrecovered_in_goroutine, NULL);
	rt_chan_recv(rt_chan_make(0, 0), NULL); /* never */
}

START_TEST(test_an_unrecovered_panic_on_any_goroutine_kills_the_program)
{
	rtt_run_dies(2, unrecovered_goroutine_main, NULL,
		     "panic: runtime error: integer divide by zero\n\n"
		     "goroutine ");
}
END_TEST

static void recovers_then_repanics(void *arg)
{
	(void)rt_recover();
	rt_panic((const char *)arg);
}

static void nested_unrecovered_main(void *arg)
{
	(void)arg;
	RT_DEFER(recovers_then_repanics, (void *)"second");
	do_panic("first");
	RT_DEFERRETURN();
}

START_TEST(test_an_unrecovered_repanic_prints_the_chain_as_go_does)
{
	rtt_run_dies(1, nested_unrecovered_main, NULL,
		     "panic: first [recovered]\n\tpanic: second\n\n"
		     "goroutine 1 [running]:\n");
}
END_TEST

static void open_only_recover(void *arg)
{
	(void)arg;
	(void)rt_recover();
}

static __attribute__((noinline)) void open_only_frame(void)
{
	RT_DEFER_OPEN(open_only_recover, NULL);
	do_panic("nowhere to land");
}

static void open_only_main(void *arg)
{
	(void)arg;
	open_only_frame();
}

START_TEST(test_recover_in_a_frame_with_only_open_coded_defers_is_fatal)
{
	rtt_run_dies(1, open_only_main, NULL,
		     "fatal error: rt_recover: cannot stop panic \"nowhere to "
		     "land\"");
}
END_TEST

/* An open-coded recoverer in a frame that also has an rt_defer record
 * lands on that record's pad, even though the panic already ran it. */
static __attribute__((noinline)) int open_recover_frame(void)
{
	int r = 11;
	RT_DEFER_OPEN(recoverer, NULL);
	RT_DEFER(logc, (void *)&C_A);
	do_panic("open recover");
	RT_DEFERRETURN();
	return r;
}

static void open_recover_main(void *arg)
{
	(void)arg;
	dlog_reset();
	int r = open_recover_frame();
	RTT_CHECK(r == 11, "returned %d", r);
	RTT_CHECK(strcmp(dlog.s, "aR") == 0, "ran \"%s\", want \"aR\"", dlog.s);
	RTT_CHECK(recovered.msg && strcmp(recovered.msg, "open recover") == 0,
		  "recovered \"%s\"", recovered.msg ? recovered.msg : "(null)");
}

START_TEST(test_an_open_coded_recover_lands_on_its_frames_rt_defer_pad)
{
	rtt_run(1, open_recover_main, NULL);
}
END_TEST

static __attribute__((noinline)) void forgets_deferreturn(void)
{
	if (rt_defer(nop, NULL))
		return;
}

static void forgets_main(void *arg)
{
	(void)arg;
	forgets_deferreturn();
}

START_TEST(test_a_goroutine_exiting_with_linked_defers_is_fatal)
{
	rtt_run_dies(1, forgets_main, NULL,
		     "fatal error: goroutine exited with deferred calls still "
		     "linked");
}
END_TEST

static Suite *panic_suite(void)
{
	Suite *s = suite_create("panic");
	TCase *tc = tcase_create("defer");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_deferred_calls_run_newest_first_when_the_function_returns);
	tcase_add_test(tc,
		       test_every_defer_made_in_a_loop_runs_at_function_exit);
	tcase_add_test(
	    tc, test_open_coded_defers_run_newest_first_when_their_scope_exits);
	tcase_add_test(
	    tc,
	    test_open_and_heap_defers_of_one_function_run_in_one_lifo_order);
	tcase_add_test(
	    tc,
	    test_an_open_coded_defer_runs_at_its_block_exit_under_rt_defers);
	tcase_add_test(
	    tc, test_defer_records_are_pooled_and_the_pools_emptied_at_gc);
	tcase_add_test(
	    tc, test_deferred_records_and_their_args_survive_a_gc_mid_chain);
	suite_add_tcase(s, tc);

	tc = tcase_create("recover");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_a_panic_runs_open_coded_defers_of_the_frames_it_unwinds);
	tcase_add_test(
	    tc,
	    test_recover_stops_the_panic_and_the_deferring_function_returns);
	tcase_add_test(
	    tc, test_recover_resumes_the_deferring_frame_past_unwound_callees);
	tcase_add_test(tc,
		       test_a_goroutine_recovers_20000_deep_panics_in_a_row);
	tcase_add_test(tc, test_recover_without_a_panic_returns_nothing);
	tcase_add_test(
	    tc,
	    test_recover_not_called_directly_by_the_deferred_call_returns_nothing);
	tcase_add_test(
	    tc, test_a_panic_in_a_deferred_call_supersedes_the_running_one);
	tcase_add_test(
	    tc,
	    test_a_panic_recovered_inside_a_deferred_call_leaves_the_outer_one);
	tcase_add_test(tc, test_panic_values_reach_recover_as_given);
	tcase_add_test(tc, test_librt_panics_are_recoverable_with_gos_values);
	tcase_add_test(
	    tc, test_a_sender_woken_by_close_panics_on_its_own_goroutine);
	tcase_add_test(
	    tc, test_an_open_coded_recover_lands_on_its_frames_rt_defer_pad);
	suite_add_tcase(s, tc);

	tc = tcase_create("goroutines");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc,
		       test_goroutines_defer_panic_and_recover_independently);
	tcase_add_test(tc, test_a_panic_never_runs_another_goroutines_defers);
	suite_add_tcase(s, tc);

	tc = tcase_create("fatal");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_exit_test(
	    tc, test_an_unrecovered_panic_prints_it_and_the_stacks_and_exits_2,
	    2);
	tcase_add_exit_test(
	    tc, test_an_unrecovered_panic_on_any_goroutine_kills_the_program,
	    2);
	tcase_add_exit_test(
	    tc, test_an_unrecovered_repanic_prints_the_chain_as_go_does, 2);
	tcase_add_exit_test(
	    tc, test_recover_in_a_frame_with_only_open_coded_defers_is_fatal,
	    2);
	tcase_add_exit_test(
	    tc, test_a_goroutine_exiting_with_linked_defers_is_fatal, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_suite_main(panic_suite());
}

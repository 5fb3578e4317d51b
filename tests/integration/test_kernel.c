/*
 * test_kernel.c — `rttrace trace --kernel`: the kernel's view of the Ms,
 * joined to librt's goroutines, tells the seed's kernel-side stories.
 *
 * Each test traces rtwork's exercises with --kernel --json and reads the
 * report's "kernel" object: per thread ("threads"), its wall time, its
 * time on a CPU, its off-CPU time by reason ("off_ns": futex_idle,
 * futex_stw, futex_locked_g, futex_running_g, syscall, preempted, other)
 * and the goroutine entry functions it ran longest ("ran"); the
 * stop-the-world windows ("stw") and the futex waits per goroutine
 * ("futex_by_goroutine"). What is asserted are shares and counts with
 * generous factors, never timings: the VM is shared and noisy, and a
 * runnable thread's lost CPU shows up as "preempted", which no assertion
 * about futex waits depends on.
 *
 *   ex02 before (select with default, 2 spinners on 2 Ps): the spinners'
 *       Ms never wait in futex (measured: 0.4 % of their wall time; the
 *       bound is 10 %); they are on a CPU or preempted.
 *   ex02 after (blocking select): the consumers' Ms sleep in futex with
 *       no goroutine most of their life (measured ~88 %; bound 50 %).
 *   ex08 before (LockOSThread'd workers): the locked Ms sleep in futex
 *       while their goroutine waits (futex_locked_g, measured ~22 % of
 *       the Ms' time; bound 5 %), and the futex waits are the workers';
 *       ex08 after has no locked M at all (exactly 0).
 *   ex13 and ex06 before (ReadMemStats, runtime.GC per request): the
 *       world stops, and at least two Ms wait in futex inside the
 *       windows; ex13 after stops nothing (0 windows, 0 futex_stw).
 *   The tracepoints attach as tp_btf programs, which need no tracefs
 *   (the test cannot unmount it; -v says which programs were used); the
 *   raw_tp twins, forced with RTTRACE_KERNEL_RAW_TP=1, tell ex08's story
 *   the same.
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include "rtt_cmd.h"

#define TIMEOUT	    900 /* two traced runs, each detach ~5-30 s */
#define BENCHTIME   "0.2s"
#define MAX_THREADS 64

enum {
	R_FUTEX_IDLE,
	R_FUTEX_STW,
	R_FUTEX_LOCKED_G,
	R_FUTEX_RUNNING_G,
	R_SYSCALL,
	R_PREEMPTED,
	R_OTHER,
	R_NUM,
};

static const char *const reason_keys[R_NUM] = {
    "futex_idle", "futex_stw", "futex_locked_g", "futex_running_g",
    "syscall",	  "preempted", "other",
};

/* One thread of the report's "kernel"."threads". */
struct thread_view {
	long long tid;
	bool is_m;
	long long wall, on_cpu;
	long long off[R_NUM];
	char top[64]; /* "ran"[0].entry; "" when none */
};

/* One traced run's kernel view. */
struct kview {
	struct run r;
	const char *json, *json_end;
	const char *k, *k_end; /* the "kernel" object */
	struct thread_view th[MAX_THREADS];
	int nth;
};

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == ',')
		p++;
	return p;
}

/* string_member copies obj's own string member key into buf ("" if none). */
static void string_member(const char *obj, const char *end, const char *key,
			  char *buf, size_t len)
{
	const char *v = json_member(obj, end, key);
	size_t n = 0;

	buf[0] = '\0';
	if (!v || *v != '"')
		return;
	for (v++; v < end && *v != '"' && n + 1 < len; v++)
		buf[n++] = *v;
	buf[n] = '\0';
}

static void parse_thread(const char *obj, const char *end,
			 struct thread_view *t)
{
	const char *v, *off, *off_end;

	memset(t, 0, sizeof(*t));
	t->tid = json_member_uint(obj, end, "tid");
	v = json_member(obj, end, "is_m");
	ck_assert_ptr_nonnull(v);
	t->is_m = strncmp(v, "true", 4) == 0;
	t->wall = json_member_uint(obj, end, "wall_ns");
	t->on_cpu = json_member_uint(obj, end, "on_cpu_ns");
	ck_assert_int_ge(t->wall, 0);
	ck_assert_int_ge(t->on_cpu, 0);
	off = json_member_object(obj, end, "off_ns", &off_end);
	ck_assert_msg(off != NULL, "thread without \"off_ns\": %.*s",
		      (int)(end - obj + 1), obj);
	for (int i = 0; i < R_NUM; i++) {
		t->off[i] = json_member_uint(off, off_end, reason_keys[i]);
		ck_assert_msg(t->off[i] >= 0, "no off_ns.%s", reason_keys[i]);
	}
	v = json_member(obj, end, "ran");
	ck_assert_msg(v && *v == '[', "thread without \"ran\"");
	v = skip_ws(v + 1);
	if (*v == '{') {
		const char *e = json_object_end(v);

		ck_assert_ptr_nonnull(e);
		string_member(v, e, "entry", t->top, sizeof(t->top));
	}
}

/*
 * trace_kernel runs `rttrace [-v] trace --kernel --no-profile --json --
 * rtwork EX VARIANT [--param P] -benchtime BENCHTIME` and parses the
 * "kernel" object's threads.
 */
static void trace_kernel(struct kview *kv, const char *ex, const char *variant,
			 const char *param, bool verbose)
{
	char *rttrace = build_path("rttrace");
	char *rtwork = build_path("rtwork");
	char *argv[16];
	const char *p;
	int n = 0;

	require_file(rttrace);
	require_file(rtwork);
	argv[n++] = rttrace;
	if (verbose)
		argv[n++] = "-v";
	argv[n++] = "trace";
	argv[n++] = "--kernel";
	argv[n++] = "--no-profile";
	argv[n++] = "--json";
	argv[n++] = "--";
	argv[n++] = rtwork;
	argv[n++] = (char *)ex;
	argv[n++] = (char *)variant;
	if (param) {
		argv[n++] = "--param";
		argv[n++] = (char *)param;
	}
	argv[n++] = "-benchtime";
	argv[n++] = BENCHTIME;
	argv[n] = NULL;
	memset(kv, 0, sizeof(*kv));
	kv->r = run_cmd(argv, false);
	check_exited_ok(&kv->r);
	kv->json = json_report(kv->r.out, &kv->json_end);
	kv->k =
	    json_member_object(kv->json, kv->json_end, "kernel", &kv->k_end);
	ck_assert_msg(kv->k != NULL, "no \"kernel\" in the report:\n%s",
		      kv->json);
	p = json_member(kv->k, kv->k_end, "threads");
	ck_assert_msg(p && *p == '[', "no \"threads\" array");
	for (p = skip_ws(p + 1); *p == '{'; p = skip_ws(p + 1)) {
		const char *e = json_object_end(p);

		ck_assert_ptr_nonnull(e);
		ck_assert_int_lt(kv->nth, MAX_THREADS);
		parse_thread(p, e, &kv->th[kv->nth++]);
		p = e;
	}
	ck_assert_msg(kv->nth > 0, "no threads in the kernel view");
	free(rttrace);
	free(rtwork);
}

static long long futex_ns(const struct thread_view *t)
{
	return t->off[R_FUTEX_IDLE] + t->off[R_FUTEX_STW] +
	       t->off[R_FUTEX_LOCKED_G] + t->off[R_FUTEX_RUNNING_G];
}

static long long stw_windows(const struct kview *kv)
{
	const char *s, *e;

	s = json_member_object(kv->k, kv->k_end, "stw", &e);
	ck_assert_ptr_nonnull(s);
	return json_member_uint(s, e, "windows");
}

START_TEST(test_ex02_before_spinning_ms_stay_on_cpu_and_never_wait_in_futex)
{
	struct kview kv;
	int spinners = 0;

	trace_kernel(&kv, "ex02", "before", "spinners=2", false);
	for (int i = 0; i < kv.nth; i++) {
		const struct thread_view *t = &kv.th[i];

		if (!t->is_m || strcmp(t->top, "ex02_spin") != 0)
			continue;
		spinners++;
		ck_assert_msg(futex_ns(t) * 10 <= t->wall,
			      "spinning M %lld waited %lld ns in futex of "
			      "%lld ns: a spinner should never sleep",
			      t->tid, futex_ns(t), t->wall);
		/* it wants the CPU all along: what it is not given is
		 * the kernel's doing (preempted), not a sleep of its own */
		ck_assert_msg(
		    futex_ns(t) * 4 <= t->on_cpu + t->off[R_PREEMPTED],
		    "spinning M %lld: futex %lld ns, on CPU %lld, "
		    "preempted %lld, syscall %lld, other %lld, of "
		    "%lld ns",
		    t->tid, futex_ns(t), t->on_cpu, t->off[R_PREEMPTED],
		    t->off[R_SYSCALL], t->off[R_OTHER], t->wall);
	}
	ck_assert_msg(spinners >= 1, "no M ran ex02_spin longest:\n%.*s",
		      (int)(kv.k_end - kv.k + 1), kv.k);
	run_free(&kv.r);
}
END_TEST

START_TEST(test_ex02_after_the_consumers_ms_sleep_in_futex_most_of_their_life)
{
	long long wall = 0, idle = 0;
	bool consumer = false;
	struct kview kv;

	trace_kernel(&kv, "ex02", "after", "spinners=2", false);
	for (int i = 0; i < kv.nth; i++) {
		const struct thread_view *t = &kv.th[i];

		if (!t->is_m)
			continue;
		wall += t->wall;
		idle += t->off[R_FUTEX_IDLE];
		consumer |= strcmp(t->top, "ex02_block") == 0;
	}
	ck_assert_msg(consumer, "no M ran ex02_block longest");
	ck_assert_msg(idle * 2 >= wall,
		      "the Ms slept in futex with no goroutine %lld ns of "
		      "%lld: a blocking consumer's M should mostly sleep",
		      idle, wall);
	run_free(&kv.r);
}
END_TEST

/*
 * check_locked_ms traces ex08 before: the locked Ms sleep in futex for
 * their goroutine, and the goroutines held up are the workers. programs
 * is the set of tracepoint programs the report must say it used.
 */
static void check_locked_ms(const char *programs)
{
	long long wall = 0, locked = 0;
	char top[64], used[16];
	struct kview kv;
	const char *fg, *fg_end, *p;

	trace_kernel(&kv, "ex08", "before", "jobs=unbuffered", false);
	string_member(kv.k, kv.k_end, "programs", used, sizeof(used));
	ck_assert_str_eq(used, programs);
	for (int i = 0; i < kv.nth; i++) {
		if (!kv.th[i].is_m)
			continue;
		wall += kv.th[i].wall;
		locked += kv.th[i].off[R_FUTEX_LOCKED_G];
	}
	ck_assert_msg(locked * 20 >= wall,
		      "locked Ms slept %lld ns in futex for their goroutine, "
		      "of %lld ns of the Ms' time",
		      locked, wall);
	/* the goroutines those waits held up are the locked workers */
	fg = json_member_object(kv.k, kv.k_end, "futex_by_goroutine", &fg_end);
	ck_assert_ptr_nonnull(fg);
	p = json_member(fg, fg_end, "top");
	ck_assert_msg(p && *p == '[', "no futex_by_goroutine.top");
	p = skip_ws(p + 1);
	ck_assert_msg(*p == '{', "no goroutine waited in futex");
	string_member(p, json_object_end(p), "entry", top, sizeof(top));
	ck_assert_str_eq(top, "worker");
	run_free(&kv.r);
}

START_TEST(test_ex08_before_locked_ms_sleep_in_futex_while_their_g_waits)
{
	check_locked_ms("tp_btf");
}
END_TEST

/* The raw_tp/ twins, forced (RTTRACE_KERNEL_RAW_TP), see the same. */
START_TEST(test_raw_tp_twins_see_the_locked_ms_too)
{
	setenv("RTTRACE_KERNEL_RAW_TP", "1", 1);
	check_locked_ms("raw_tp");
}
END_TEST

START_TEST(test_ex08_after_no_m_is_locked)
{
	struct kview kv;

	trace_kernel(&kv, "ex08", "after", "jobs=unbuffered", false);
	for (int i = 0; i < kv.nth; i++)
		ck_assert_msg(kv.th[i].off[R_FUTEX_LOCKED_G] == 0,
			      "thread %lld waited for a locked goroutine "
			      "without LockOSThread",
			      kv.th[i].tid);
	run_free(&kv.r);
}
END_TEST

/* check_stw_parks_ms: the world stopped and >= 2 Ms waited inside it. */
static void check_stw_parks_ms(const char *ex)
{
	struct kview kv;
	int parked = 0;

	trace_kernel(&kv, ex, "before", NULL, false);
	ck_assert_int_gt(stw_windows(&kv), 0);
	for (int i = 0; i < kv.nth; i++)
		parked += kv.th[i].is_m && kv.th[i].off[R_FUTEX_STW] > 0;
	ck_assert_msg(parked >= 2,
		      "%s before: %d Ms waited in futex during the stops:\n"
		      "%.*s",
		      ex, parked, (int)(kv.k_end - kv.k + 1), kv.k);
	run_free(&kv.r);
}

START_TEST(test_ex13_before_stw_parks_the_ms_in_futex)
{
	check_stw_parks_ms("ex13");
}
END_TEST

START_TEST(test_ex06_before_stw_parks_the_ms_in_futex)
{
	check_stw_parks_ms("ex06");
}
END_TEST

START_TEST(test_ex13_after_stops_nothing)
{
	struct kview kv;

	trace_kernel(&kv, "ex13", "after", NULL, false);
	ck_assert_int_eq(stw_windows(&kv), 0);
	for (int i = 0; i < kv.nth; i++)
		ck_assert_int_eq(kv.th[i].off[R_FUTEX_STW], 0);
	run_free(&kv.r);
}
END_TEST

START_TEST(test_tracepoints_attach_as_tp_btf_which_need_no_tracefs)
{
	char programs[16];
	struct kview kv;

	trace_kernel(&kv, "ex07", "after", NULL, true);
	string_member(kv.k, kv.k_end, "programs", programs, sizeof(programs));
	ck_assert_str_eq(programs, "tp_btf");
	ck_assert_msg(strstr(kv.r.err, "attached as tp_btf programs (no "
				       "tracefs needed)") != NULL,
		      "-v does not say which programs:\n%s", kv.r.err);
	run_free(&kv.r);
}
END_TEST

static Suite *kernel_suite(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc;

	tc = tcase_create("stories");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(
	    tc,
	    test_ex02_before_spinning_ms_stay_on_cpu_and_never_wait_in_futex);
	tcase_add_test(
	    tc,
	    test_ex02_after_the_consumers_ms_sleep_in_futex_most_of_their_life);
	tcase_add_test(
	    tc, test_ex08_before_locked_ms_sleep_in_futex_while_their_g_waits);
	tcase_add_test(tc, test_ex08_after_no_m_is_locked);
	tcase_add_test(tc, test_raw_tp_twins_see_the_locked_ms_too);
	tcase_add_test(tc, test_ex13_before_stw_parks_the_ms_in_futex);
	tcase_add_test(tc, test_ex06_before_stw_parks_the_ms_in_futex);
	tcase_add_test(tc, test_ex13_after_stops_nothing);
	tcase_add_test(tc,
		       test_tracepoints_attach_as_tp_btf_which_need_no_tracefs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_main("test_kernel", kernel_suite);
}

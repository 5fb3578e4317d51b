/*
 * test_traceback.c — rt_callers (runtime.Callers), rt_stack (runtime.Stack)
 * and rt_num_goroutine (runtime.NumGoroutine) as a specification.
 *
 * Every test calls rt_main exactly once (libcheck forks one child per test).
 * Goroutines that must be parked in a given state are waited for by polling
 * the dump itself (with a deadline far beyond any scheduling delay), never
 * by sleeping a guessed time.
 */
#include "rt_test.h"

#define DUMP_SIZE (1 << 20)

/* dump_has_goroutine counts the headers "goroutine ID [" in dump. */
static int count_headers(const char *dump, uint64_t id)
{
	char want[64];
	int n = 0;

	snprintf(want, sizeof(want), "goroutine %llu [",
		 (unsigned long long)id);
	for (const char *p = dump; (p = strstr(p, want)) != NULL; p++)
		if (p == dump || p[-1] == '\n')
			n++;
	return n;
}

/* header_of returns the status text of goroutine id's header, or "". */
static const char *header_of(const char *dump, uint64_t id, char *out,
			     size_t len)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "goroutine %llu [",
		 (unsigned long long)id);
	out[0] = 0;
	for (p = dump; (p = strstr(p, want)) != NULL; p++)
		if (p == dump || p[-1] == '\n')
			break;
	if (p == NULL)
		return out;
	p += strlen(want);
	const char *e = strstr(p, "]:\n");
	if (e == NULL || (size_t)(e - p) >= len)
		return out;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = 0;
	return out;
}

/* section_of copies goroutine id's part of the dump (header to the blank
 * line) into out. */
static const char *section_of(const char *dump, uint64_t id, char *out,
			      size_t len)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "goroutine %llu [",
		 (unsigned long long)id);
	out[0] = 0;
	for (p = dump; (p = strstr(p, want)) != NULL; p++)
		if (p == dump || p[-1] == '\n')
			break;
	if (p == NULL)
		return out;
	const char *e = strstr(p, "\n\n");
	size_t n = e != NULL ? (size_t)(e - p) + 1 : strlen(p);
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = 0;
	return out;
}

static int count_all_headers(const char *dump)
{
	int n = 0;

	for (const char *p = dump; (p = strstr(p, "goroutine ")) != NULL; p++)
		if ((p == dump || p[-1] == '\n') &&
		    strstr(p, " [") < strstr(p, "\n"))
			n++;
	return n;
}

/* ---- rt_callers --------------------------------------------------------- */

struct callers_result {
	uintptr_t ra_a, ra_b; /* __builtin_return_address(0) of a and b */
	uintptr_t ra_c;
	uintptr_t skip0[64], skip1[64], skip2[64], skip3[64];
	int n0, n1, n2, n3;
	int n_one, n_huge;
};

static struct callers_result cr;

static __attribute__((noinline)) void callers_c(void)
{
	cr.ra_c = (uintptr_t)__builtin_return_address(0);
	cr.n0 = rt_callers(0, cr.skip0, 64);
	cr.n1 = rt_callers(1, cr.skip1, 64);
	cr.n2 = rt_callers(2, cr.skip2, 64);
	cr.n3 = rt_callers(3, cr.skip3, 64);
	uintptr_t one[1];
	cr.n_one = rt_callers(1, one, 1);
	cr.n_huge = rt_callers(100000, cr.skip3 + 32, 32);
	__asm__ volatile("" ::: "memory"); /* no tail call */
}

static __attribute__((noinline)) void callers_b(void)
{
	cr.ra_b = (uintptr_t)__builtin_return_address(0);
	callers_c();
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void callers_a(void)
{
	cr.ra_a = (uintptr_t)__builtin_return_address(0);
	callers_b();
	__asm__ volatile("" ::: "memory");
}

static void callers_main(void *arg)
{
	(void)arg;
	callers_a();
}

START_TEST(test_callers_returns_the_return_pcs_of_each_frame_with_skip)
{
	rtt_run(0, callers_main, NULL);
	/* skip 2: the frame of callers_c's caller first, as Callers. */
	ck_assert_int_ge(cr.n2, 3);
	ck_assert_uint_eq(cr.skip2[0], cr.ra_c);
	ck_assert_uint_eq(cr.skip2[1], cr.ra_b);
	ck_assert_uint_eq(cr.skip2[2], cr.ra_a);
	/* skip 1: a pc in callers_c (after its rt_callers call), then the
	 * same frames as skip 2 */
	ck_assert_int_eq(cr.n1, cr.n2 + 1);
	ck_assert_uint_gt(cr.skip1[0], (uintptr_t)callers_c);
	for (int i = 0; i < cr.n2; i++)
		ck_assert_uint_eq(cr.skip1[i + 1], cr.skip2[i]);
	/* skip 0: rt_callers itself first */
	ck_assert_int_eq(cr.n0, cr.n2 + 2);
	ck_assert_uint_ge(cr.skip0[0], (uintptr_t)rt_callers);
	ck_assert_uint_lt(cr.skip0[0], (uintptr_t)rt_callers + 4096);
	for (int i = 0; i < cr.n2; i++)
		ck_assert_uint_eq(cr.skip0[i + 2], cr.skip2[i]);
	/* skip 3 drops one more; the walk ends at the goroutine's entry */
	ck_assert_int_eq(cr.n3, cr.n2 - 1);
	ck_assert_uint_eq(cr.skip3[0], cr.ra_b);
	ck_assert_int_lt(cr.n2, 16);
	/* n caps the count; skipping past the end gives none */
	ck_assert_int_eq(cr.n_one, 1);
	ck_assert_int_eq(cr.n_huge, 0);
}
END_TEST

/* ---- rt_stack of the calling goroutine ---------------------------------- */

struct self_result {
	char dump[8192];
	size_t n;
	uint64_t goid, parent;
	int leaf_line, middle_line, go_line;
};

static struct self_result sr;
static rtt_join self_join;

static __attribute__((noinline)) void stack_self_leaf(void)
{
	sr.leaf_line = __LINE__ + 1;
	sr.n = rt_stack(sr.dump, sizeof(sr.dump) - 1, false);
	sr.dump[sr.n] = 0;
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void stack_self_middle(void *arg)
{
	(void)arg;
	sr.goid = rt_goid();
	sr.middle_line = __LINE__ + 1;
	stack_self_leaf();
	rtt_join_done(&self_join);
	__asm__ volatile("" ::: "memory");
}

static void self_main(void *arg)
{
	(void)arg;
	sr.parent = rt_goid();
	rtt_join_add(&self_join, 1);
	sr.go_line = __LINE__ + 1;
	rt_go(stack_self_middle, NULL);
	rtt_join_wait(&self_join);
}

START_TEST(test_stack_names_the_callers_frames_with_file_and_line)
{
	char want[256];

	rtt_run(0, self_main, NULL);
	ck_assert_uint_eq(sr.n, strlen(sr.dump));
	snprintf(want, sizeof(want), "goroutine %llu [running]:\n",
		 (unsigned long long)sr.goid);
	ck_assert_msg(strncmp(sr.dump, want, strlen(want)) == 0, "dump:\n%s",
		      sr.dump);
	/* the first frame is rt_stack's caller, at the line of the call */
	const char *leaf = strstr(sr.dump, "stack_self_leaf(...)\n\t");
	ck_assert_msg(leaf != NULL, "dump:\n%s", sr.dump);
	ck_assert_msg(leaf == strchr(sr.dump, '\n') + 1,
		      "leaf is not the first frame:\n%s", sr.dump);
	snprintf(want, sizeof(want), "test_traceback.c:%d +0x", sr.leaf_line);
	ck_assert_msg(strstr(leaf, want) != NULL, "no %s in:\n%s", want,
		      sr.dump);
	snprintf(want, sizeof(want), "stack_self_middle(...)\n\t");
	const char *mid = strstr(sr.dump, want);
	ck_assert_msg(mid != NULL && mid > leaf, "dump:\n%s", sr.dump);
	snprintf(want, sizeof(want), "test_traceback.c:%d +0x", sr.middle_line);
	ck_assert_msg(strstr(mid, want) != NULL, "no %s in:\n%s", want,
		      sr.dump);
	/* then who started it, as Go's "created by" */
	snprintf(want, sizeof(want), "created by self_main in goroutine %llu\n",
		 (unsigned long long)sr.parent);
	const char *cb = strstr(sr.dump, want);
	ck_assert_msg(cb != NULL && cb > mid, "no '%s' in:\n%s", want, sr.dump);
	snprintf(want, sizeof(want), "test_traceback.c:%d +0x", sr.go_line);
	ck_assert_msg(strstr(cb, want) != NULL, "no %s in:\n%s", want, sr.dump);
	/* librt's switching and entry mechanics are not shown */
	ck_assert_ptr_null(strstr(sr.dump, "rt_goentry"));
	ck_assert_ptr_null(strstr(sr.dump, "rt_gotrampoline"));
	ck_assert_ptr_null(strstr(sr.dump, "rt_stack"));
	/* only this goroutine */
	ck_assert_int_eq(count_all_headers(sr.dump), 1);
}
END_TEST

/* ---- rt_stack(all) ------------------------------------------------------ */

struct park_world {
	rt_chan *never;	 /* nobody sends */
	rt_chan *never2; /* */
	rt_mutex mu;	 /* held by main */
	rt_waitgroup wg; /* never done */
	uint64_t id_recv, id_mutex, id_sleep, id_select, id_wg, id_runnable;
	char *dump;
	int nheaders, numg;
	char hdr[6][64];
	char sect[6][2048];
	struct rt_stw_stats before, after_one, after_all;
};

static struct park_world pw;

static void park_recv(void *arg)
{
	int v;

	(void)arg;
	rt_chan_recv(pw.never, &v);
	__asm__ volatile("" ::: "memory"); /* keep the frame: no tail call */
}

static void park_mutex(void *arg)
{
	(void)arg;
	rt_mutex_lock(&pw.mu);
	rt_mutex_unlock(&pw.mu);
	__asm__ volatile("" ::: "memory");
}

static void park_sleep(void *arg)
{
	(void)arg;
	rt_sleep(3600LL * 1000000000);
	__asm__ volatile("" ::: "memory");
}

static void park_select(void *arg)
{
	int a, b;
	struct rt_select_case cases[2] = {
	    {.c = pw.never, .dir = RT_SELECT_RECV, .elem = &a},
	    {.c = pw.never2, .dir = RT_SELECT_RECV, .elem = &b},
	};

	(void)arg;
	rt_select(cases, 2, false);
	__asm__ volatile("" ::: "memory");
}

static void park_wg(void *arg)
{
	(void)arg;
	rt_waitgroup_wait(&pw.wg);
	__asm__ volatile("" ::: "memory");
}

static void all_main(void *arg)
{
	char st[64];
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
	static const char *const want[5] = {"chan receive", "sync.Mutex.Lock",
					    "sleep", "select",
					    "sync.WaitGroup.Wait"};
	uint64_t *ids[5] = {&pw.id_recv, &pw.id_mutex, &pw.id_sleep,
			    &pw.id_select, &pw.id_wg};

	(void)arg;
	pw.never = rt_chan_make(sizeof(int), 0);
	pw.never2 = rt_chan_make(sizeof(int), 0);
	rt_mutex_lock(&pw.mu);
	rt_waitgroup_add(&pw.wg, 1);
	pw.id_recv = rt_go(park_recv, NULL);
	pw.id_mutex = rt_go(park_mutex, NULL);
	pw.id_sleep = rt_go(park_sleep, NULL);
	pw.id_select = rt_go(park_select, NULL);
	pw.id_wg = rt_go(park_wg, NULL);
	rt_gc(); /* starts the runtime's system goroutines */
	pw.dump = malloc(DUMP_SIZE);
	for (;;) {
		size_t n = rt_stack(pw.dump, DUMP_SIZE - 1, true);
		bool all_parked = true;

		pw.dump[n] = 0;
		for (int i = 0; i < 5; i++)
			if (strcmp(header_of(pw.dump, *ids[i], st, sizeof(st)),
				   want[i]) != 0)
				all_parked = false;
		if (all_parked || rtt_mono_ns() > deadline)
			break;
		rt_gosched();
	}
	/* A goroutine started and never run shows as runnable with its
	 * entry function. Started last, with every P busy or idle, it may
	 * run at once; only its presence is checked. */
	rt_read_stw_stats(&pw.before);
	size_t n = rt_stack(pw.dump, DUMP_SIZE - 1, false);
	rt_read_stw_stats(&pw.after_one);
	n = rt_stack(pw.dump, DUMP_SIZE - 1, true);
	rt_read_stw_stats(&pw.after_all);
	pw.dump[n] = 0;
	pw.numg = rt_num_goroutine();
	pw.nheaders = count_all_headers(pw.dump);
	for (int i = 0; i < 5; i++) {
		header_of(pw.dump, *ids[i], pw.hdr[i], sizeof(pw.hdr[i]));
		section_of(pw.dump, *ids[i], pw.sect[i], sizeof(pw.sect[i]));
		RTT_CHECK(count_headers(pw.dump, *ids[i]) == 1,
			  "goroutine %llu listed %d times",
			  (unsigned long long)*ids[i],
			  count_headers(pw.dump, *ids[i]));
	}
	RTT_CHECK(count_headers(pw.dump, rt_goid()) == 1,
		  "the caller is listed %d times",
		  count_headers(pw.dump, rt_goid()));
	header_of(pw.dump, rt_goid(), pw.hdr[5], sizeof(pw.hdr[5]));
	rt_mutex_unlock(&pw.mu);
}

START_TEST(test_stack_all_lists_every_goroutine_once_with_its_wait_reason)
{
	static const char *const want[5] = {"chan receive", "sync.Mutex.Lock",
					    "sleep", "select",
					    "sync.WaitGroup.Wait"};
	static const char *const fn[5] = {"park_recv(...)", "park_mutex(...)",
					  "park_sleep(...)", "park_select(...)",
					  "park_wg(...)"};

	rtt_run(0, all_main, NULL);
	for (int i = 0; i < 5; i++) {
		ck_assert_msg(strcmp(pw.hdr[i], want[i]) == 0,
			      "goroutine %d: [%s], want [%s]; dump:\n%s", i,
			      pw.hdr[i], want[i], pw.dump);
		ck_assert_msg(strstr(pw.sect[i], fn[i]) != NULL,
			      "no %s in:\n%s", fn[i], pw.sect[i]);
		ck_assert_msg(strstr(pw.sect[i], "test_traceback.c:") != NULL,
			      "no file:line in:\n%s", pw.sect[i]);
		ck_assert_msg(strstr(pw.sect[i], "created by all_main in "
						 "goroutine 1\n") != NULL,
			      "no created by in:\n%s", pw.sect[i]);
	}
	ck_assert_str_eq(pw.hdr[5], "running");
	/* the caller first */
	ck_assert_msg(strncmp(pw.dump, "goroutine 1 [running]:\n", 23) == 0,
		      "dump:\n%s", pw.dump);
	/* every live user goroutine once, system goroutines never */
	ck_assert_msg(pw.nheaders == pw.numg, "%d headers, %d goroutines:\n%s",
		      pw.nheaders, pw.numg, pw.dump);
	ck_assert_int_eq(pw.numg, 6);
	/* only all stops the world */
	ck_assert_uint_eq(pw.after_one.count[RT_STW_ALL_GOROUTINES_STACK],
			  pw.before.count[RT_STW_ALL_GOROUTINES_STACK]);
	ck_assert_uint_eq(pw.after_all.count[RT_STW_ALL_GOROUTINES_STACK],
			  pw.before.count[RT_STW_ALL_GOROUTINES_STACK] + 1);
}
END_TEST

/* ---- goroutines in a system call and asynchronously preempted ---------- */

struct odd_world {
	int pipefd[2];
	atomic_int in_syscall;
	atomic_int stop;
	atomic_long spins;
	uint64_t id_sys, id_spin;
	char hdr_sys[64], hdr_spin[64];
	char sect_sys[2048], sect_spin[2048];
	char *dump;
	rtt_join j;
};

static struct odd_world ow;

static __attribute__((noinline)) void blocked_in_read(void *arg)
{
	char c;

	(void)arg;
	rt_entersyscall();
	atomic_store(&ow.in_syscall, 1);
	ssize_t r = read(ow.pipefd[0], &c, 1);
	rt_exitsyscall();
	RTT_CHECK(r == 1, "read: %zd", r);
	rtt_join_done(&ow.j);
}

/* spin_forever never calls into librt: only a signal stops it. */
static __attribute__((noinline)) void spin_forever(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&ow.stop, memory_order_relaxed))
		atomic_fetch_add_explicit(&ow.spins, 1, memory_order_relaxed);
	rtt_join_done(&ow.j);
}

static void odd_main(void *arg)
{
	char st[64];
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
	bool found = false;

	(void)arg;
	RTT_CHECK(pipe(ow.pipefd) == 0, "pipe");
	rtt_join_add(&ow.j, 2);
	ow.id_sys = rt_go(blocked_in_read, NULL);
	ow.id_spin = rt_go(spin_forever, NULL);
	ow.dump = malloc(DUMP_SIZE);
	/* with one P, main runs again only once sysmon has preempted the
	 * spinner by signal; the reader is then in the kernel */
	while (!found && rtt_mono_ns() < deadline) {
		rt_gosched();
		if (!atomic_load(&ow.in_syscall) || atomic_load(&ow.spins) == 0)
			continue;
		size_t n = rt_stack(ow.dump, DUMP_SIZE - 1, true);
		ow.dump[n] = 0;
		found = strcmp(header_of(ow.dump, ow.id_sys, st, sizeof(st)),
			       "syscall") == 0 &&
			strcmp(header_of(ow.dump, ow.id_spin, st, sizeof(st)),
			       "runnable") == 0;
	}
	header_of(ow.dump, ow.id_sys, ow.hdr_sys, sizeof(ow.hdr_sys));
	header_of(ow.dump, ow.id_spin, ow.hdr_spin, sizeof(ow.hdr_spin));
	section_of(ow.dump, ow.id_sys, ow.sect_sys, sizeof(ow.sect_sys));
	section_of(ow.dump, ow.id_spin, ow.sect_spin, sizeof(ow.sect_spin));
	atomic_store(&ow.stop, 1);
	RTT_CHECK(write(ow.pipefd[1], "x", 1) == 1, "write");
	rtt_join_wait(&ow.j);
}

START_TEST(test_stack_all_walks_syscall_and_preempted_goroutines)
{
	rtt_run(1, odd_main, NULL);
	ck_assert_msg(strcmp(ow.hdr_sys, "syscall") == 0, "[%s]; dump:\n%s",
		      ow.hdr_sys, ow.dump);
	ck_assert_msg(strstr(ow.sect_sys, "blocked_in_read(...)\n\t") != NULL,
		      "dump:\n%s", ow.dump);
	ck_assert_msg(strcmp(ow.hdr_spin, "runnable") == 0, "[%s]; dump:\n%s",
		      ow.hdr_spin, ow.dump);
	/* through the signal frame: the interrupted function itself */
	ck_assert_msg(strstr(ow.sect_spin, "spin_forever(...)\n\t") != NULL,
		      "dump:\n%s", ow.dump);
	ck_assert_msg(strstr(ow.sect_spin, "created by odd_main") != NULL,
		      "dump:\n%s", ow.dump);
}
END_TEST

/* ---- truncation --------------------------------------------------------- */

struct trunc_result {
	char full[16384];
	size_t nfull;
	int bad_len, bad_prefix;
	size_t bad_at;
};

static struct trunc_result tr;

/* dump_into: one call site, so every dump has the same offsets. */
static __attribute__((noinline)) size_t dump_into(char *buf, size_t len,
						  bool all)
{
	size_t n = rt_stack(buf, len, all);
	__asm__ volatile("" ::: "memory");
	return n;
}

/* Two dumps from one call site — a reference and one into exactly len
 * bytes (ASan reports any write past them) — so both have the same frames
 * and offsets; the trip count is volatile so the compiler cannot unroll
 * the loop into two call sites. */
static volatile int two = 2;

static void trunc_check(size_t len, bool all, int pass)
{
	char *bufs[2] = {tr.full, malloc(len ? len : 1)};
	size_t lens[2] = {sizeof(tr.full), len}, ns[2] = {0, 0};

	for (int k = 0; k < two; k++)
		ns[k] = dump_into(bufs[k], lens[k], all);
	tr.nfull = ns[0];
	size_t want = len < ns[0] ? len : ns[0];
	if (ns[1] != want && !tr.bad_len) {
		tr.bad_len = pass;
		tr.bad_at = len;
	}
	/* with all, other goroutines' states may change between the two */
	if (!all && memcmp(bufs[1], tr.full, want) != 0 && !tr.bad_prefix) {
		tr.bad_prefix = pass;
		tr.bad_at = len;
	}
	free(bufs[1]);
}

static void trunc_main(void *arg)
{
	(void)arg;
	trunc_check(sizeof(tr.full), false, 1);
	for (size_t len = 0, end = tr.nfull + 8; len <= end; len++)
		trunc_check(len, false, 1);
	/* with all, small buffers too */
	for (size_t len = 0; len < 64; len++)
		trunc_check(len, true, 2);
}

START_TEST(test_stack_truncates_at_len_without_overflow)
{
	rtt_run(0, trunc_main, NULL);
	ck_assert_uint_gt(tr.nfull, 40);
	ck_assert_uint_lt(tr.nfull, sizeof(tr.full));
	ck_assert_msg(tr.bad_len == 0, "wrong length at len %zu (pass %d)",
		      tr.bad_at, tr.bad_len);
	ck_assert_msg(tr.bad_prefix == 0, "not a prefix at len %zu", tr.bad_at);
}
END_TEST

/* ---- rt_num_goroutine --------------------------------------------------- */

enum { FEW = 100, MANY = RTT_LIVE_CAP(10000) };

struct count_result {
	int baseline, after_gc, with_few, after_few, with_many, after_many;
	size_t allglen_before, allglen_many, allglen_after;
	rt_chan *release;
	rtt_join j;
};

static struct count_result cnt;

static void wait_release(void *arg)
{
	(void)arg;
	rt_chan_recv(cnt.release, NULL);
	rtt_join_done(&cnt.j);
}

/* settle polls until rt_num_goroutine() == want: exited goroutines leave
 * the count when their G reaches a free list, just after they end. */
static int settle(int want)
{
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
	int n;

	while ((n = rt_num_goroutine()) != want && rtt_mono_ns() < deadline)
		rt_gosched();
	return n;
}

static void start_and_end(int k, int *with)
{
	cnt.release = rt_chan_make(0, 0);
	rtt_join_add(&cnt.j, k);
	for (int i = 0; i < k; i++)
		rt_go(wait_release, NULL);
	/* started goroutines count at once, parked or not yet run */
	*with = rt_num_goroutine();
	rt_chan_close(cnt.release);
	rtt_join_wait(&cnt.j);
}

static void count_main(void *arg)
{
	(void)arg;
	cnt.baseline = rt_num_goroutine();
	rt_gc(); /* starts the runtime's system goroutines */
	rt_gc();
	cnt.after_gc = rt_num_goroutine();
	cnt.allglen_before = rt_allglen();
	start_and_end(FEW, &cnt.with_few);
	cnt.after_few = settle(cnt.baseline);
	start_and_end(MANY, &cnt.with_many);
	cnt.allglen_many = rt_allglen();
	cnt.after_many = settle(cnt.baseline);
	/* reuse: the dead Gs are taken again, allgs does not grow */
	start_and_end(FEW, &cnt.with_few);
	cnt.allglen_after = rt_allglen();
	cnt.after_few = settle(cnt.baseline);
}

START_TEST(test_num_goroutine_counts_live_goroutines_only)
{
	rtt_run(0, count_main, NULL);
	ck_assert_int_eq(cnt.baseline, 1);
	ck_assert_int_eq(cnt.after_gc, 1); /* system goroutines excluded */
	ck_assert_int_eq(cnt.with_few, 1 + FEW);
	ck_assert_int_eq(cnt.with_many, 1 + MANY);
	ck_assert_int_eq(cnt.after_many, 1);
	ck_assert_int_eq(cnt.after_few, 1);
	ck_assert_uint_ge(cnt.allglen_many, cnt.allglen_before + MANY);
	ck_assert_uint_eq(cnt.allglen_after, cnt.allglen_many);
}
END_TEST

static Suite *traceback_suite(void)
{
	Suite *s = suite_create("traceback");
	TCase *tc;

	tc = tcase_create("callers");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_callers_returns_the_return_pcs_of_each_frame_with_skip);
	suite_add_tcase(s, tc);

	tc = tcase_create("stack");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc,
		       test_stack_names_the_callers_frames_with_file_and_line);
	tcase_add_test(
	    tc, test_stack_all_lists_every_goroutine_once_with_its_wait_reason);
	tcase_add_test(tc,
		       test_stack_all_walks_syscall_and_preempted_goroutines);
	tcase_add_test(tc, test_stack_truncates_at_len_without_overflow);
	suite_add_tcase(s, tc);

	tc = tcase_create("num_goroutine");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(tc, test_num_goroutine_counts_live_goroutines_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_suite_main(traceback_suite());
}

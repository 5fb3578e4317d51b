/*
 * test_select.c — select (runtime/select.c) as a specification: among ready
 * cases it picks uniformly at random; with a default it never blocks; a
 * blocked select wakes for whichever case becomes ready and leaves no
 * waiter behind on its other channels; sends and receives through select
 * lose and duplicate nothing; closed and nil channels in cases behave as in
 * Go; and a select with no cases blocks forever.
 *
 * Every test calls rt_main exactly once (libcheck forks one child per test);
 * the tests that expect the program to die run it in a grandchild
 * (rtt_run_dies) so they can read what it printed.
 */
#include "rt_chan_test.h"

static struct rt_select_case recv_case(rt_chan *c, void *elem, bool *ok)
{
	return (struct rt_select_case){c, RT_SELECT_RECV, elem, ok};
}

static struct rt_select_case send_case(rt_chan *c, void *elem)
{
	return (struct rt_select_case){c, RT_SELECT_SEND, elem, NULL};
}

/* ---- fairness --------------------------------------------------------- */

enum {
	FAIR_N = 100000,
	FAIR_MIN = FAIR_N * 45 / 100,
	FAIR_MAX = FAIR_N * 55 / 100
};

static void check_fair(const long count[2], const char *what)
{
	for (int k = 0; k < 2; k++)
		RTT_CHECK(count[k] >= FAIR_MIN && count[k] <= FAIR_MAX,
			  "%s: case 0 chosen %ld times, case 1 %ld times in "
			  "%d selects (want 45-55%% each)",
			  what, count[0], count[1], FAIR_N);
}

/* Two buffered channels, each holding a value before every select. */
static void fair_recv_main(void *arg)
{
	rt_chan *ch[2] = {rt_chan_make(sizeof(int), 1),
			  rt_chan_make(sizeof(int), 1)};
	int val[2] = {10, 20};
	long count[2] = {0, 0};

	(void)arg;
	rt_chan_send(ch[0], &val[0]);
	rt_chan_send(ch[1], &val[1]);
	for (int i = 0; i < FAIR_N; i++) {
		int got = -1;
		bool ok = false;
		struct rt_select_case cs[2] = {recv_case(ch[0], &got, &ok),
					       recv_case(ch[1], &got, &ok)};
		int k = rt_select(cs, 2, false);

		if (k != 0 && k != 1) {
			RTT_CHECK(false, "select returned %d", k);
			return;
		}
		RTT_CHECK(ok && got == val[k], "case %d received %d ok=%d", k,
			  got, ok);
		count[k]++;
		rt_chan_send(ch[k], &val[k]); /* ready again */
		if (!rtt_ok())
			return;
	}
	check_fair(count, "two ready receives");
}

START_TEST(test_select_picks_each_of_two_ready_receives_45_to_55_percent)
{
	rtt_run(1, fair_recv_main, NULL);
}
END_TEST

/* Two buffered channels, each with room before every select. */
static void fair_send_main(void *arg)
{
	rt_chan *ch[2] = {rt_chan_make(sizeof(int), 1),
			  rt_chan_make(sizeof(int), 1)};
	int val[2] = {10, 20};
	long count[2] = {0, 0};

	(void)arg;
	for (int i = 0; i < FAIR_N; i++) {
		struct rt_select_case cs[2] = {send_case(ch[0], &val[0]),
					       send_case(ch[1], &val[1])};
		int k = rt_select(cs, 2, false), got = -1;

		if (k != 0 && k != 1) {
			RTT_CHECK(false, "select returned %d", k);
			return;
		}
		count[k]++;
		RTT_CHECK(rt_chan_len(ch[1 - k]) == 0,
			  "case %d ran but channel %d got a value too", k,
			  1 - k);
		RTT_CHECK(rt_chan_recv(ch[k], &got) && got == val[k],
			  "case %d sent %d", k, got); /* room again */
		if (!rtt_ok())
			return;
	}
	check_fair(count, "two ready sends");
}

START_TEST(test_select_picks_each_of_two_ready_sends_45_to_55_percent)
{
	rtt_run(1, fair_send_main, NULL);
}
END_TEST

/* Closed channels are always ready. */
static void fair_closed_main(void *arg)
{
	rt_chan *ch[2] = {rt_chan_make(sizeof(int), 0),
			  rt_chan_make(sizeof(int), 3)};
	long count[2] = {0, 0};

	(void)arg;
	rt_chan_close(ch[0]);
	rt_chan_close(ch[1]);
	for (int i = 0; i < FAIR_N; i++) {
		int got = 7;
		bool ok = true;
		struct rt_select_case cs[2] = {recv_case(ch[0], &got, &ok),
					       recv_case(ch[1], &got, &ok)};
		int k = rt_select(cs, 2, false);

		if (k != 0 && k != 1) {
			RTT_CHECK(false, "select returned %d", k);
			return;
		}
		RTT_CHECK(!ok && got == 0, "closed case %d: got %d ok=%d", k,
			  got, ok);
		count[k]++;
		if (!rtt_ok())
			return;
	}
	check_fair(count, "two closed channels");
}

START_TEST(test_select_picks_each_of_two_closed_channels_45_to_55_percent)
{
	rtt_run(1, fair_closed_main, NULL);
}
END_TEST

/* ---- default ---------------------------------------------------------- */

static void default_main(void *arg)
{
	rt_chan *empty_buf = rt_chan_make(sizeof(int), 4);
	rt_chan *unbuf = rt_chan_make(sizeof(int), 0);
	rt_chan *full = rt_chan_make(sizeof(int), 2);
	int one = 1, sink = 0x5a5a;
	bool ok = true;

	(void)arg;
	rt_chan_send(full, &one);
	rt_chan_send(full, &one);
	for (int i = 0; i < 100000; i++) {
		struct rt_select_case cs[6] = {
		    recv_case(empty_buf, &sink, &ok),
		    recv_case(unbuf, &sink, &ok),
		    send_case(unbuf, &one),
		    send_case(full, &one),
		    recv_case(NULL, &sink, &ok),
		    send_case(NULL, &one),
		};
		int k = rt_select(cs, 6, true);

		if (k != -1) {
			RTT_CHECK(false,
				  "select %d with default chose case %d, none "
				  "was ready",
				  i, k);
			return;
		}
	}
	RTT_CHECK(sink == 0x5a5a && ok, "the default wrote a case's element");
	RTT_CHECK(rt_chan_len(full) == 2 && rt_chan_len(empty_buf) == 0,
		  "the default moved values: len(full)=%zu len(empty)=%zu",
		  rt_chan_len(full), rt_chan_len(empty_buf));
	/* No case at all: the default. */
	for (int i = 0; i < 1000; i++)
		RTT_CHECK(rt_select(NULL, 0, true) == -1,
			  "select with only a default did not return -1");
}

START_TEST(
    test_select_with_default_returns_minus_1_at_once_when_no_case_is_ready)
{
	/* Were a select to block, main would be the only goroutine and
	 * the program would die of deadlock. */
	rtt_run(1, default_main, NULL);
}
END_TEST

static void default_ready_main(void *arg)
{
	rt_chan *empty = rt_chan_make(sizeof(int), 4);
	rt_chan *ready = rt_chan_make(sizeof(int), 1);
	int v = 3, got;
	bool ok;

	(void)arg;
	for (int i = 0; i < 100000; i++) {
		rt_chan_send(ready, &v);
		struct rt_select_case cs[3] = {recv_case(empty, &got, &ok),
					       recv_case(NULL, &got, &ok),
					       recv_case(ready, &got, &ok)};
		int k = rt_select(cs, 3, true);

		if (k != 2) {
			RTT_CHECK(false,
				  "select %d chose %d, not the ready case 2", i,
				  k);
			return;
		}
	}
}

START_TEST(
    test_select_with_default_never_takes_the_default_when_a_case_is_ready)
{
	rtt_run(1, default_ready_main, NULL);
}
END_TEST

/* ---- waking a blocked select ------------------------------------------ */

enum { WAKE_ROUNDS = 5000 };

struct selround {
	rt_chan *ch[2];
	rt_chan *res; /* cap 1: the selector's (index, value, ok) */
	int dir;      /* RT_SELECT_RECV or RT_SELECT_SEND */
	long r;
};

struct selres {
	int k;
	long v;
	bool ok;
};

static void selector(void *arg)
{
	struct selround *sr = arg;
	struct selres out = {-2, -1, false};
	long got[2] = {-1, -1};
	long mine[2] = {sr->r * 10 + 0, sr->r * 10 + 1};
	struct rt_select_case cs[2];

	for (int i = 0; i < 2; i++)
		cs[i] = sr->dir == RT_SELECT_RECV
			    ? recv_case(sr->ch[i], &got[i], &out.ok)
			    : send_case(sr->ch[i], &mine[i]);
	out.k = rt_select(cs, 2, false);
	if (out.k == 0 || out.k == 1)
		out.v = got[out.k];
	rt_chan_send(sr->res, &out);
}

static void plain_recv(void *arg)
{
	struct selround *sr = arg;
	long v = -1;

	rt_chan_recv(sr->ch[1 - (int)(sr->r % 2)], &v);
	rt_chan_send(sr->res, &v);
}

static void plain_send(void *arg)
{
	struct selround *sr = arg;
	long v = sr->r * 10 + 7;

	rt_chan_send(sr->ch[1 - (int)(sr->r % 2)], &v);
}

/* poll_recv: tryrecv until a value comes; false after RTT_STUCK_NS. */
static bool poll_recv(rt_chan *c, void *elem)
{
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
	bool ok;

	while (!rt_chan_tryrecv(c, elem, &ok)) {
		if (rtt_mono_ns() > deadline)
			return false;
		rt_gosched();
	}
	return true;
}

/*
 * Round r: a selector blocks receiving from two unbuffered channels; main
 * sends on one of them (which = r % 2) once trysend shows the selector
 * waiting. The other channel must then
 * have no receiver: a trysend on it fails, and a plain receiver started
 * afterwards gets the next value sent on it.
 */
static void wake_recv_main(void *arg)
{
	static struct selround sr;
	long pruned_ok = 0;

	(void)arg;
	sr.res = rt_chan_make(sizeof(struct selres), 1);
	sr.dir = RT_SELECT_RECV;
	for (long r = 0; r < WAKE_ROUNDS && rtt_ok(); r++) {
		int which = (int)(r % 2), other = 1 - which;
		long v = r * 10 + which, pv = -1;
		int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
		struct selres out;
		rt_chan *pres = rt_chan_make(sizeof(long), 1);

		sr.r = r;
		sr.ch[0] = rt_chan_make(sizeof(long), 0);
		sr.ch[1] = rt_chan_make(sizeof(long), 0);
		rt_go(selector, &sr);
		/* trysend succeeds only once the selector waits on both */
		while (!rt_chan_trysend(sr.ch[which], &v)) {
			if (rtt_mono_ns() > deadline) {
				RTT_CHECK(false,
					  "round %ld: the selector "
					  "never waited",
					  r);
				return;
			}
			rt_gosched();
		}
		RTT_CHECK(!rt_chan_trysend(sr.ch[other], &v),
			  "round %ld: a send on the channel the select did "
			  "not choose found a waiting receiver",
			  r);
		RTT_CHECK(rt_chan_recv(sr.res, &out), "result");
		RTT_CHECK(out.k == which && out.ok && out.v == v,
			  "round %ld: select returned case %d value %ld ok=%d, "
			  "want case %d value %ld",
			  r, out.k, out.v, out.ok, which, v);
		/* Now a plain receiver on the other channel. */
		{
			struct selround *pr = rt_mallocgc(sizeof(*pr), 0);

			*pr = sr;
			pr->res = pres;
			rt_go(plain_recv, pr);
			v = r * 10 + 5;
			rt_chan_send(sr.ch[other], &v);
			if (!poll_recv(pres, &pv)) {
				RTT_CHECK(false,
					  "round %ld: a plain receiver never "
					  "got the value sent on the channel "
					  "the select left (a stale select "
					  "waiter took it)",
					  r);
				return;
			}
			RTT_CHECK(pv == v, "round %ld: plain receiver got %ld",
				  r, pv);
			pruned_ok++;
		}
	}
	RTT_CHECK(pruned_ok == WAKE_ROUNDS, "%ld of %d rounds", pruned_ok,
		  WAKE_ROUNDS);
}

START_TEST(
    test_blocked_select_wakes_for_the_ready_receive_and_leaves_no_waiter_on_the_other_channel)
{
	rtt_run(2, wake_recv_main, NULL);
}
END_TEST

/*
 * The same with send cases: main receives from one channel once the
 * selector waits; the other channel must then hold no waiting sender, and a
 * plain sender's value is what the next receive on it gets.
 */
static void wake_send_main(void *arg)
{
	static struct selround sr;

	(void)arg;
	sr.res = rt_chan_make(sizeof(struct selres), 1);
	sr.dir = RT_SELECT_SEND;
	for (long r = 0; r < WAKE_ROUNDS && rtt_ok(); r++) {
		int which = (int)(r % 2), other = 1 - which;
		long v = -1;
		bool ok;
		struct selres out;

		sr.r = r;
		sr.ch[0] = rt_chan_make(sizeof(long), 0);
		sr.ch[1] = rt_chan_make(sizeof(long), 0);
		rt_go(selector, &sr);
		if (!poll_recv(sr.ch[which], &v)) {
			RTT_CHECK(false,
				  "round %ld: the selector never "
				  "offered a value",
				  r);
			return;
		}
		RTT_CHECK(v == r * 10 + which,
			  "round %ld: received %ld from case %d", r, v, which);
		RTT_CHECK(!rt_chan_tryrecv(sr.ch[other], &v, &ok),
			  "round %ld: a receive on the channel the select did "
			  "not choose found a waiting sender (value %ld)",
			  r, v);
		RTT_CHECK(rt_chan_recv(sr.res, &out), "result");
		RTT_CHECK(out.k == which,
			  "round %ld: select returned case %d, want %d", r,
			  out.k, which);
		{
			struct selround *ps = rt_mallocgc(sizeof(*ps), 0);

			*ps = sr;
			rt_go(plain_send, ps);
			RTT_CHECK(rt_chan_recv(sr.ch[other], &v), "recv");
			RTT_CHECK(v == r * 10 + 7,
				  "round %ld: the next receive on the other "
				  "channel got %ld, not the plain sender's %ld "
				  "(a stale select waiter sent it)",
				  r, v, r * 10 + 7);
		}
	}
}

START_TEST(
    test_blocked_select_wakes_for_the_ready_send_and_leaves_no_waiter_on_the_other_channel)
{
	rtt_run(2, wake_send_main, NULL);
}
END_TEST

/* A blocked select is woken by a close of one of its channels. */
static void wake_close_main(void *arg)
{
	static struct selround sr;

	(void)arg;
	sr.res = rt_chan_make(sizeof(struct selres), 1);
	sr.dir = RT_SELECT_RECV;
	for (long r = 0; r < 1000 && rtt_ok(); r++) {
		int which = (int)(r % 2), other = 1 - which;
		uint64_t parks0 = rt_probe_count("gopark");
		int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
		long v = 1;
		struct selres out;

		sr.r = r;
		sr.ch[0] = rt_chan_make(sizeof(long), 0);
		sr.ch[1] = rt_chan_make(sizeof(long), 0);
		rt_go(selector, &sr);
		while (rt_probe_count("gopark") == parks0 &&
		       rtt_mono_ns() < deadline)
			rt_gosched();
		rt_chan_close(sr.ch[which]);
		RTT_CHECK(rt_chan_recv(sr.res, &out), "result");
		RTT_CHECK(out.k == which && !out.ok && out.v == 0,
			  "round %ld: select returned case %d value %ld ok=%d "
			  "after case %d's channel was closed",
			  r, out.k, out.v, out.ok, which);
		RTT_CHECK(!rt_chan_trysend(sr.ch[other], &v),
			  "round %ld: the select left a waiter on the other "
			  "channel",
			  r);
	}
}

START_TEST(test_blocked_select_wakes_with_ok_false_when_a_channel_is_closed)
{
	rtt_run(2, wake_close_main, NULL);
}
END_TEST

/* ---- select moves values exactly once --------------------------------- */

/*
 * Three channels; 6 senders, half sending through a select over all
 * three, half with plain sends on one; 6 receivers, half receiving
 * through a select over all three (a closed channel's case is set to nil,
 * as Go code does), half ranging over one. Every value arrives once.
 */
enum { MIX_CH = 3, MIX_SEND = 6, MIX_RECV = 6, MIX_PER = 50000 };

struct mix {
	size_t cap;
	rt_chan *ch[MIX_CH];
	atomic_uchar seen[MIX_SEND][MIX_PER];
	atomic_long received, duplicates, bad;
	rtt_join senders, receivers;
};

struct mix_arg {
	struct mix *m;
	int id;
};

static void mix_sender(void *arg)
{
	struct mix_arg *a = arg;
	struct mix *m = a->m;

	for (long seq = 0; seq < MIX_PER; seq++) {
		long v = (long)a->id << 32 | seq;

		if (a->id % 2 == 0) {
			struct rt_select_case cs[MIX_CH];

			for (int i = 0; i < MIX_CH; i++)
				cs[i] = send_case(m->ch[i], &v);
			rt_select(cs, MIX_CH, false);
		} else {
			rt_chan_send(m->ch[a->id % MIX_CH], &v);
		}
	}
	rtt_join_done(&m->senders);
}

static void mix_note(struct mix *m, long v)
{
	long s = v >> 32, seq = v & 0xffffffff;

	if (s < 0 || s >= MIX_SEND || seq >= MIX_PER) {
		atomic_fetch_add(&m->bad, 1);
		return;
	}
	if (atomic_fetch_add(&m->seen[s][seq], 1) != 0)
		atomic_fetch_add(&m->duplicates, 1);
	atomic_fetch_add(&m->received, 1);
}

static void mix_receiver(void *arg)
{
	struct mix_arg *a = arg;
	struct mix *m = a->m;
	long v;

	if (a->id % 2 == 0) {
		rt_chan *ch[MIX_CH];
		int open = MIX_CH;

		for (int i = 0; i < MIX_CH; i++)
			ch[i] = m->ch[i];
		while (open > 0) {
			bool ok = false;
			struct rt_select_case cs[MIX_CH];
			int k;

			for (int i = 0; i < MIX_CH; i++)
				cs[i] = recv_case(ch[i], &v, &ok);
			k = rt_select(cs, MIX_CH, false);
			if (k < 0 || k >= MIX_CH) {
				atomic_fetch_add(&m->bad, 1);
				break;
			}
			if (ok) {
				mix_note(m, v);
			} else {
				ch[k] = NULL; /* closed: never ready again */
				open--;
			}
		}
	} else {
		RT_CHAN_RANGE(m->ch[a->id % MIX_CH], &v)
		mix_note(m, v);
	}
	rtt_join_done(&m->receivers);
}

static void mix_main(void *arg)
{
	struct mix *m = arg;
	static struct mix_arg sa[MIX_SEND], ra[MIX_RECV];

	for (int i = 0; i < MIX_CH; i++)
		m->ch[i] = rt_chan_make(sizeof(long), m->cap);
	rtt_join_add(&m->senders, MIX_SEND);
	rtt_join_add(&m->receivers, MIX_RECV);
	for (int i = 0; i < MIX_RECV; i++) {
		ra[i] = (struct mix_arg){m, i};
		rt_go(mix_receiver, &ra[i]);
	}
	for (int i = 0; i < MIX_SEND; i++) {
		sa[i] = (struct mix_arg){m, i};
		rt_go(mix_sender, &sa[i]);
	}
	rtt_join_wait(&m->senders);
	for (int i = 0; i < MIX_CH; i++)
		rt_chan_close(m->ch[i]);
	rtt_join_wait(&m->receivers);
}

static void check_mix(struct mix *m)
{
	long lost = 0;

	for (int s = 0; s < MIX_SEND; s++)
		for (int q = 0; q < MIX_PER; q++)
			lost += atomic_load(&m->seen[s][q]) == 0;
	ck_assert_msg(atomic_load(&m->bad) == 0,
		      "%ld bad values or select results", atomic_load(&m->bad));
	ck_assert_msg(atomic_load(&m->duplicates) == 0,
		      "%ld values received twice", atomic_load(&m->duplicates));
	ck_assert_msg(lost == 0, "%ld of %d values lost", lost,
		      MIX_SEND * MIX_PER);
	ck_assert_msg(atomic_load(&m->received) == MIX_SEND * MIX_PER,
		      "%ld of %d values received", atomic_load(&m->received),
		      MIX_SEND * MIX_PER);
}

START_TEST(
    test_selects_and_plain_operations_on_unbuffered_channels_deliver_every_value_once)
{
	static struct mix m = {.cap = 0};

	rtt_run(0, mix_main, &m);
	check_mix(&m);
}
END_TEST

START_TEST(
    test_selects_and_plain_operations_on_buffered_channels_deliver_every_value_once)
{
	static struct mix m = {.cap = 8};

	rtt_run(0, mix_main, &m);
	check_mix(&m);
}
END_TEST

/* ---- send cases ------------------------------------------------------- */

static void send_room_main(void *arg)
{
	rt_chan *full = rt_chan_make(sizeof(int), 1);
	rt_chan *room = rt_chan_make(sizeof(int), 1);
	int a = 1, b = 2, got = 0;

	(void)arg;
	rt_chan_send(full, &a);
	struct rt_select_case cs[2] = {send_case(full, &b),
				       send_case(room, &b)};
	int k = rt_select(cs, 2, false);

	RTT_CHECK(k == 1, "select chose %d, only case 1 had room", k);
	RTT_CHECK(rt_chan_len(room) == 1 && rt_chan_recv(room, &got) &&
		      got == 2,
		  "the send case put %d in the channel", got);
	RTT_CHECK(rt_chan_len(full) == 1 && rt_chan_recv(full, &got) &&
		      got == 1,
		  "the full channel now holds %d", got);
}

START_TEST(test_select_send_case_puts_the_value_in_a_buffered_channel_with_room)
{
	rtt_run(1, send_room_main, NULL);
}
END_TEST

struct handoff {
	rt_chan *c;
	atomic_long started;
	long got;
	rtt_join j;
};

static void handoff_recv(void *arg)
{
	struct handoff *h = arg;

	atomic_store(&h->started, 1);
	RTT_CHECK(rt_chan_recv(h->c, &h->got), "receive");
	rtt_join_done(&h->j);
}

static void send_to_waiter_main(void *arg)
{
	static struct handoff h;
	long v = 1234;
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;

	(void)arg;
	h.c = rt_chan_make(sizeof(long), 0);
	rtt_join_add(&h.j, 1);
	rt_go(handoff_recv, &h);
	wait_for(&h.started, 1, "receiver started");
	/* select with default: succeeds once the receiver waits */
	for (;;) {
		struct rt_select_case cs[2] = {send_case(h.c, &v),
					       recv_case(NULL, NULL, NULL)};
		int k = rt_select(cs, 2, true);

		if (k == 0)
			break;
		RTT_CHECK(k == -1, "select returned %d", k);
		if (rtt_mono_ns() > deadline || !rtt_ok()) {
			RTT_CHECK(false, "the send case never found the "
					 "receiver");
			return;
		}
		rt_gosched();
	}
	rtt_join_wait(&h.j);
	RTT_CHECK(h.got == 1234, "receiver got %ld", h.got);
}

START_TEST(test_select_send_case_hands_the_value_to_a_waiting_receiver)
{
	rtt_run(2, send_to_waiter_main, NULL);
}
END_TEST

static void select_send_closed_main(void *arg)
{
	rt_chan *c = rt_chan_make(sizeof(int), 4);
	rt_chan *never = rt_chan_make(sizeof(int), 0);
	int v = 1;
	bool ok;

	(void)arg;
	rt_chan_close(c);
	struct rt_select_case cs[2] = {recv_case(never, &v, &ok),
				       send_case(c, &v)};
	rt_select(cs, 2, false);
}

START_TEST(test_select_send_case_on_a_closed_channel_panics)
{
	rtt_run_dies(1, select_send_closed_main, NULL,
		     "panic: send on closed channel");
}
END_TEST

/* ---- closed and nil channels in cases --------------------------------- */

static void closed_ready_main(void *arg)
{
	rt_chan *never = rt_chan_make(sizeof(long), 0);
	rt_chan *closed = rt_chan_make(sizeof(long), 2);
	long v = 5;

	(void)arg;
	rt_chan_send(closed, &v);
	rt_chan_close(closed);
	for (int i = 0; i < 1000; i++) {
		long got = -1;
		bool ok = false;
		struct rt_select_case cs[3] = {recv_case(never, &got, &ok),
					       recv_case(NULL, &got, &ok),
					       recv_case(closed, &got, &ok)};
		int k = rt_select(cs, 3, false);

		RTT_CHECK(k == 2, "select %d chose case %d", i, k);
		if (i == 0)
			RTT_CHECK(ok && got == 5,
				  "the buffered value first: got %ld ok=%d",
				  got, ok);
		else
			RTT_CHECK(!ok && got == 0,
				  "closed and drained: got %ld ok=%d", got, ok);
		if (!rtt_ok())
			return;
	}
}

START_TEST(test_closed_channel_in_a_receive_case_is_ready_with_ok_false)
{
	/* Only main runs: a select that blocked would be a deadlock. */
	rtt_run(1, closed_ready_main, NULL);
}
END_TEST

struct forever {
	atomic_long started, resumed;
	int with_nil_cases;
};

static void select_forever(void *arg)
{
	struct forever *f = arg;
	long v;
	bool ok;

	atomic_store(&f->started, 1);
	if (f->with_nil_cases) {
		struct rt_select_case cs[2] = {recv_case(NULL, &v, &ok),
					       send_case(NULL, &v)};

		rt_select(cs, 2, false);
	} else {
		rt_select(NULL, 0, false);
	}
	atomic_store(&f->resumed, 1);
}

static void forever_main(void *arg)
{
	static struct forever f;

	f.with_nil_cases = *(int *)arg;
	RTT_CHECK(rtt_still_blocked(select_forever, &f, &f.started, &f.resumed),
		  "a goroutine in a select with %s ran again",
		  f.with_nil_cases ? "only nil channels" : "no cases");
}

START_TEST(test_a_goroutine_in_a_select_with_no_cases_never_runs_again)
{
	static int nil_cases = 0;

	rtt_run(2, forever_main, &nil_cases);
}
END_TEST

START_TEST(test_a_goroutine_in_a_select_on_nil_channels_never_runs_again)
{
	static int nil_cases = 1;

	rtt_run(2, forever_main, &nil_cases);
}
END_TEST

static void main_select_nothing(void *arg)
{
	(void)arg;
	rt_select(NULL, 0, false);
}

START_TEST(test_main_in_a_select_with_no_cases_alone_dies_of_deadlock)
{
	rtt_run_dies(2, main_select_nothing, NULL,
		     "fatal error: all goroutines are asleep - deadlock!");
}
END_TEST

/* ---- probes ----------------------------------------------------------- */

/* selectgo and selectgo_ret fire once per select; the channel operation
 * a select performs fires no chansend or chanrecv. */
static void select_probes_main(void *arg)
{
	enum { N = 1000 };
	rt_chan *empty = rt_chan_make(sizeof(int), 1);
	rt_chan *full = rt_chan_make(sizeof(int), N);
	rt_chan *room = rt_chan_make(sizeof(int), N);
	uint64_t g0, r0, s0, c0;
	int v = 1;
	bool ok;

	(void)arg;
	for (int i = 0; i < N; i++)
		rt_chan_send(full, &v);
	g0 = rt_probe_count("selectgo");
	r0 = rt_probe_count("selectgo_ret");
	s0 = rt_probe_count("chansend");
	c0 = rt_probe_count("chanrecv");
	for (int i = 0; i < N; i++) {
		struct rt_select_case d[1] = {recv_case(empty, &v, &ok)};
		struct rt_select_case r[2] = {recv_case(full, &v, &ok),
					      recv_case(NULL, &v, &ok)};
		struct rt_select_case w[1] = {send_case(room, &v)};

		RTT_CHECK(rt_select(d, 1, true) == -1, "default");
		RTT_CHECK(rt_select(r, 2, false) == 0, "receive case");
		RTT_CHECK(rt_select(w, 1, false) == 0, "send case");
	}
	RTT_CHECK(rt_probe_count("selectgo") - g0 == 3 * N &&
		      rt_probe_count("selectgo_ret") - r0 == 3 * N,
		  "%d selects: selectgo moved by %llu, selectgo_ret by %llu",
		  3 * N, (unsigned long long)(rt_probe_count("selectgo") - g0),
		  (unsigned long long)(rt_probe_count("selectgo_ret") - r0));
	RTT_CHECK(rt_probe_count("chansend") == s0 &&
		      rt_probe_count("chanrecv") == c0,
		  "selects fired chansend %llu and chanrecv %llu times",
		  (unsigned long long)(rt_probe_count("chansend") - s0),
		  (unsigned long long)(rt_probe_count("chanrecv") - c0));
}

START_TEST(test_select_probes_fire_once_per_select_and_no_chan_probes)
{
	rtt_run(1, select_probes_main, NULL);
}
END_TEST

static Suite *select_suite(void)
{
	Suite *s = suite_create("select");
	TCase *tc;

	tc = tcase_create("fairness");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_select_picks_each_of_two_ready_receives_45_to_55_percent);
	tcase_add_test(
	    tc, test_select_picks_each_of_two_ready_sends_45_to_55_percent);
	tcase_add_test(
	    tc, test_select_picks_each_of_two_closed_channels_45_to_55_percent);
	suite_add_tcase(s, tc);

	tc = tcase_create("default");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc,
	    test_select_with_default_returns_minus_1_at_once_when_no_case_is_ready);
	tcase_add_test(
	    tc,
	    test_select_with_default_never_takes_the_default_when_a_case_is_ready);
	suite_add_tcase(s, tc);

	tc = tcase_create("blocking");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc,
	    test_blocked_select_wakes_for_the_ready_receive_and_leaves_no_waiter_on_the_other_channel);
	tcase_add_test(
	    tc,
	    test_blocked_select_wakes_for_the_ready_send_and_leaves_no_waiter_on_the_other_channel);
	tcase_add_test(
	    tc,
	    test_blocked_select_wakes_with_ok_false_when_a_channel_is_closed);
	tcase_add_test(
	    tc,
	    test_selects_and_plain_operations_on_unbuffered_channels_deliver_every_value_once);
	tcase_add_test(
	    tc,
	    test_selects_and_plain_operations_on_buffered_channels_deliver_every_value_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("cases");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc,
	    test_select_send_case_puts_the_value_in_a_buffered_channel_with_room);
	tcase_add_test(
	    tc, test_select_send_case_hands_the_value_to_a_waiting_receiver);
	tcase_add_exit_test(
	    tc, test_select_send_case_on_a_closed_channel_panics, 2);
	tcase_add_test(
	    tc, test_closed_channel_in_a_receive_case_is_ready_with_ok_false);
	tcase_add_test(
	    tc, test_select_probes_fire_once_per_select_and_no_chan_probes);
	suite_add_tcase(s, tc);

	tc = tcase_create("forever");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_a_goroutine_in_a_select_with_no_cases_never_runs_again);
	tcase_add_test(
	    tc, test_a_goroutine_in_a_select_on_nil_channels_never_runs_again);
	tcase_add_exit_test(
	    tc, test_main_in_a_select_with_no_cases_alone_dies_of_deadlock, 2);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_suite_main(select_suite());
}

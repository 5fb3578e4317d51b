/*
 * chanprog — a librt program with a known number of channel, select and
 * timer operations, for the integration test that compares rttrace's BPF
 * counts with librt's own and with what the program did.
 *
 *   chanprog
 *
 * On two Ps it runs, in order:
 *
 *   channels  NVAL values through an unbuffered and through a buffered
 *             channel, each from a sender goroutine that then closes it,
 *             received with RT_CHAN_RANGE (NVAL receives and one that sees
 *             the close, per channel); NTRY + NTRY/2 trysends on a channel
 *             of capacity NTRY (NTRY succeed), as many tryrecvs (NTRY
 *             succeed), a close and one more tryrecv that sees it;
 *   select    NSEL selects with a default on empty channels (all take the
 *             default); NSEL over two ready buffered channels, each
 *             refilled by a plain send; NSEL blocking selects over two
 *             unbuffered channels fed by a goroutine's plain sends;
 *   timers    NTIMER timers received from, NSLEEP sleeps, NSTOP 1-hour
 *             timers stopped, NRESET 1-hour timers reset to 1 ms and
 *             received from, NAFTER Afters received from, NAFTERFUNC
 *             AfterFuncs whose functions each send once on a channel main
 *             receives from.
 *
 * What each probe must count follows from runtime/chan.c, select.c and
 * time.c: chansend / chanrecv once per plain or try operation that moved a
 * value or (receive) saw the channel closed, including the send a firing
 * timer makes on its channel; a select fires selectgo and selectgo_ret and
 * no chansend/chanrecv for its own case; addtimer per timer started (new,
 * sleep, After, AfterFunc), deltimer per Stop of a pending timer, modtimer
 * per Reset of a pending one, runtimer per timer run. The program prints
 * its tallies, then the count each probe must show:
 *
 *   chanprog: sends=N recvs=N closed_recvs=N closes=N selects=N
 *             select_defaults=N timers=N                       (one line)
 *   chanprog: probe NAME COUNT                       (one line per probe)
 *
 * Run it with RT_STATS=1 to get librt's probe counts on stderr at exit.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rt.h"
#include "../rt_note.h"

enum {
	NVAL = 10000,
	NTRY = 100,
	NSEL = 5000,
	NTIMER = 100,
	NSLEEP = 100,
	NSTOP = 50,
	NRESET = 50,
	NAFTER = 20,
	NAFTERFUNC = 20,
};

#define MS   (1000LL * 1000)
#define HOUR (3600LL * 1000 * MS)

/* What the program did, as the probes must count it. */
static long sends, recvs, closed_recvs, closes;
static long selects, select_defaults;
static long timers_added, timers_deleted, timers_modified, timers_run;
static rtt_join others; /* goroutines that send; main waits for them */
static int failures;

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "chanprog: %s\n", what);
		failures++;
	}
}

/* ---- channels ---------------------------------------------------------- */

static void send_and_close(void *arg)
{
	rt_chan *c = arg;

	for (long i = 0; i < NVAL; i++)
		rt_chan_send(c, &i);
	rt_chan_close(c);
	rtt_join_done(&others);
}

static void plain_ops(size_t cap)
{
	rt_chan *c = rt_chan_make(sizeof(long), cap);
	long v, want = 0;

	rtt_join_add(&others, 1);
	rt_go(send_and_close, c);
	sends += NVAL; /* the sender's */
	closes++;
	RT_CHAN_RANGE(c, &v)
	{
		check(v == want, "a value came out of order");
		want++;
		recvs++;
	}
	closed_recvs++;
	recvs++; /* the receive that saw the close */
	check(want == NVAL, "values lost");
}

static void try_ops(void)
{
	rt_chan *c = rt_chan_make(sizeof(long), NTRY);
	long v = 1;
	bool ok;

	for (int i = 0; i < NTRY + NTRY / 2; i++)
		if (rt_chan_trysend(c, &v))
			sends++;
	for (int i = 0; i < NTRY + NTRY / 2; i++)
		if (rt_chan_tryrecv(c, &v, &ok))
			recvs++;
	rt_chan_close(c);
	closes++;
	check(rt_chan_tryrecv(c, &v, &ok) && !ok, "tryrecv on closed");
	recvs++;
	closed_recvs++;
}

/* ---- select ------------------------------------------------------------ */

static void feed_two(void *arg)
{
	rt_chan **ch = arg;

	for (long i = 0; i < NSEL; i++)
		rt_chan_send(ch[i % 2], &i);
	rtt_join_done(&others);
}

static void select_ops(void)
{
	rt_chan *empty = rt_chan_make(sizeof(long), 4);
	static rt_chan *ch[2], *un[2];
	long v = 0;
	bool ok;

	for (int i = 0; i < NSEL; i++) {
		struct rt_select_case cs[2] = {
		    {empty, RT_SELECT_RECV, &v, &ok},
		    {NULL, RT_SELECT_SEND, &v, NULL},
		};

		selects++;
		if (rt_select(cs, 2, true) == -1)
			select_defaults++;
	}
	check(select_defaults == NSEL, "a select with default took a case");

	ch[0] = rt_chan_make(sizeof(long), 1);
	ch[1] = rt_chan_make(sizeof(long), 1);
	rt_chan_send(ch[0], &v);
	rt_chan_send(ch[1], &v);
	sends += 2;
	for (int i = 0; i < NSEL; i++) {
		struct rt_select_case cs[2] = {
		    {ch[0], RT_SELECT_RECV, &v, &ok},
		    {ch[1], RT_SELECT_RECV, &v, &ok},
		};
		int k = rt_select(cs, 2, false);

		selects++;
		check(k == 0 || k == 1, "select returned no case");
		rt_chan_send(ch[k & 1], &v);
		sends++;
	}

	un[0] = rt_chan_make(sizeof(long), 0);
	un[1] = rt_chan_make(sizeof(long), 0);
	rtt_join_add(&others, 1);
	rt_go(feed_two, un);
	sends += NSEL; /* feed_two's */
	for (int i = 0; i < NSEL; i++) {
		struct rt_select_case cs[2] = {
		    {un[0], RT_SELECT_RECV, &v, &ok},
		    {un[1], RT_SELECT_RECV, &v, &ok},
		};
		int k = rt_select(cs, 2, false);

		selects++;
		check(k == i % 2 && v == i,
		      "blocking select got a wrong value");
	}
}

/* ---- timers ------------------------------------------------------------ */

static rt_chan *af_done;

static void af_fn(void *arg)
{
	long v = (long)(intptr_t)arg;

	rt_chan_send(af_done, &v);
	rtt_join_done(&others);
}

static void timer_ops(void)
{
	int64_t v;
	rt_timer *t;

	for (int i = 0; i < NTIMER; i++) {
		t = rt_timer_new(1 * MS);
		timers_added++;
		check(rt_chan_recv(t->C, &v), "timer receive");
		timers_run++;
		sends++; /* the timer's own send on C */
		recvs++;
	}
	for (int i = 0; i < NSLEEP; i++) {
		rt_sleep(100 * 1000);
		timers_added++;
		timers_run++;
	}
	for (int i = 0; i < NSTOP; i++) {
		t = rt_timer_new(HOUR);
		timers_added++;
		check(rt_timer_stop(t), "stop of a pending timer");
		timers_deleted++;
	}
	for (int i = 0; i < NRESET; i++) {
		t = rt_timer_new(HOUR);
		timers_added++;
		check(rt_timer_reset(t, 1 * MS), "reset of a pending timer");
		timers_modified++;
		check(rt_chan_recv(t->C, &v), "reset timer receive");
		timers_run++;
		sends++;
		recvs++;
	}
	for (int i = 0; i < NAFTER; i++) {
		check(rt_chan_recv(rt_after(1 * MS), &v), "After receive");
		timers_added++;
		timers_run++;
		sends++;
		recvs++;
	}
	af_done = rt_chan_make(sizeof(long), NAFTERFUNC);
	rtt_join_add(&others, NAFTERFUNC);
	sends += NAFTERFUNC; /* one per function */
	for (long i = 0; i < NAFTERFUNC; i++) {
		rt_after_func(1 * MS, af_fn, (void *)(intptr_t)i);
		timers_added++;
		timers_run++;
	}
	for (int i = 0; i < NAFTERFUNC; i++) {
		long x;

		check(rt_chan_recv(af_done, &x), "AfterFunc receive");
		recvs++;
	}
}

static void chanprog_main(void *arg)
{
	(void)arg;
	plain_ops(0);
	plain_ops(16);
	try_ops();
	select_ops();
	timer_ops();
	/* every probe of the other goroutines has fired before the counts
	 * are printed, and before librt's at exit */
	rtt_join_wait(&others);

	printf("chanprog: sends=%ld recvs=%ld closed_recvs=%ld closes=%ld "
	       "selects=%ld select_defaults=%ld timers=%ld\n",
	       sends, recvs, closed_recvs, closes, selects, select_defaults,
	       timers_added);
	printf("chanprog: probe chansend %ld\n", sends);
	printf("chanprog: probe chanrecv %ld\n", recvs);
	printf("chanprog: probe chanclose %ld\n", closes);
	printf("chanprog: probe selectgo %ld\n", selects);
	printf("chanprog: probe selectgo_ret %ld\n", selects);
	printf("chanprog: probe addtimer %ld\n", timers_added);
	printf("chanprog: probe deltimer %ld\n", timers_deleted);
	printf("chanprog: probe modtimer %ld\n", timers_modified);
	printf("chanprog: probe runtimer %ld\n", timers_run);
	fflush(stdout);
}

int main(void)
{
	setenv("RT_MAXPROCS", "2", 0);
	rt_main(chanprog_main, NULL);
	return failures ? 1 : 0;
}

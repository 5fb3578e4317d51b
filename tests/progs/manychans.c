/*
 * manychans — many goroutines parked at once, each on a channel of its
 * own, for tests/integration/test_limits.c: more goroutines parked than
 * --blocking's parked map holds (--max-goroutines) and more channels
 * blocked on than chan.bpf.c's channel map holds (CHAN_MAX_CHANNELS).
 *
 *   manychans N
 *
 * It makes N unbuffered channels, starts N goroutines that each receive
 * one value from its own channel, then sends one value on each channel in
 * order and waits for the receivers (rtt_join). Each channel sees one
 * blocked operation: the receive, which parked before its value came, or
 * the send, when main got there first. Every receiver is started before
 * the first send, so while main sends, all receivers that have run are
 * parked at once. Prints
 *
 *   manychans: channels=N received=N
 *
 * The channels stay reachable from chans[] (bss, which the collector
 * scans), so no address is freed and reused for another channel.
 * Run it with RT_STATS=1 for librt's own counts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rt.h"
#include "../rt_note.h"

#define MAX_CHANS 200000

static rt_chan *chans[MAX_CHANS];
static long nchans;
static atomic_long received;
static rtt_join receivers;

static void receiver(void *arg)
{
	long i = (long)(intptr_t)arg, v = -1;

	rt_chan_recv(chans[i], &v);
	if (v == i)
		atomic_fetch_add(&received, 1);
	rtt_join_done(&receivers);
}

static void mainfn(void *arg)
{
	(void)arg;
	for (long i = 0; i < nchans; i++)
		chans[i] = rt_chan_make(sizeof(long), 0);
	rtt_join_add(&receivers, nchans);
	for (long i = 0; i < nchans; i++)
		rt_go(receiver, (void *)(intptr_t)i);
	for (long i = 0; i < nchans; i++)
		rt_chan_send(chans[i], &i);
	rtt_join_wait(&receivers);
	printf("manychans: channels=%ld received=%ld\n", nchans,
	       atomic_load(&received));
}

int main(int argc, char **argv)
{
	char *end;

	nchans = argc > 1 ? strtol(argv[1], &end, 10) : 20000;
	if (argc > 2 || nchans <= 0 || nchans > MAX_CHANS ||
	    (argc > 1 && *end)) {
		fprintf(stderr, "usage: manychans [N] (1 to %d channels)\n",
			MAX_CHANS);
		return 2;
	}
	return rt_main(mainfn, NULL);
}

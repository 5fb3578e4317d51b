/*
 * callpaths — a librt program with known call paths, for the flamegraph
 * tests: what its folded stacks must show is fixed by its code.
 *
 *   callpaths cpu [SECONDS]   default 2
 *	The main goroutine calls a() until SECONDS have passed; a() calls
 *	b() -> c(), which does 4 units of work, then d(), which does 1 unit
 *	of the same work. So of the CPU time under a, 80 % is on a;b;c and
 *	20 % on a;d, whatever the machine: the units are the same loop.
 *
 *   callpaths block [ROUNDS]  default 200
 *	A receiver goroutine waits on an unbuffered channel ("chan
 *	receive") that a sender fills after sleeping 1 ms each round
 *	("sleep"); main waits for both on a WaitGroup. Each wait reason has
 *	its own function on the stack: receiver() for chan receive,
 *	sender() for sleep, main's mainfn() for sync.WaitGroup.Wait.
 *
 * The functions are noinline and noipa (no inlining, no identical-code
 * folding of c and d, no sibling calls that would drop b's frame), so the
 * stacks are the call paths as written. It prints what it did on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

#define UNIT_ITERS 200000L /* one unit of work: ~0.1-0.3 ms */
#define SLEEP_NS   1000000L

#define PATH_FN __attribute__((noinline, noipa))

static volatile uint64_t sink;
static long rounds;

/* work runs n dependent multiply-adds seeded by k: a fixed cost per
 * iteration. c and d call it with different k so that they stay distinct
 * functions. */
static inline uint64_t work(long n, uint64_t k)
{
	uint64_t x = k;

	for (long i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + (uint64_t)i;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

/* consume keeps c and d from being leaves: gcc 12 gives a leaf function
 * no frame even with -mno-omit-leaf-frame-pointer, and a frame-pointer
 * walk from inside a frameless leaf skips its caller. */
PATH_FN static uint64_t consume(uint64_t x)
{
	return x ^ 1;
}

PATH_FN static uint64_t c(void)
{
	return consume(work(4 * UNIT_ITERS, 3)) + 1;
}

PATH_FN static uint64_t b(void)
{
	uint64_t r = c();

	__asm__ volatile("" ::: "memory"); /* not a sibling call */
	return r + 1;
}

PATH_FN static uint64_t d(void)
{
	return consume(work(UNIT_ITERS, 5)) + 1;
}

PATH_FN static void a(void)
{
	uint64_t r = b();

	r += d();
	sink += r;
}

static void cpu_main(double seconds)
{
	int64_t end = rt_nanotime() + (int64_t)(seconds * 1e9);

	while (rt_nanotime() < end) {
		a();
		rounds++;
	}
	printf("callpaths: cpu rounds=%ld\n", rounds);
}

struct blocker {
	rt_chan *ch;
	rt_waitgroup wg;
	long rounds, received;
};

PATH_FN static void receiver(void *arg)
{
	struct blocker *bl = arg;
	long v;

	while (rt_chan_recv(bl->ch, &v))
		bl->received++;
	rt_waitgroup_done(&bl->wg);
}

PATH_FN static void sender(void *arg)
{
	struct blocker *bl = arg;

	for (long i = 0; i < bl->rounds; i++) {
		rt_sleep(SLEEP_NS);
		rt_chan_send(bl->ch, &i);
	}
	rt_chan_close(bl->ch);
	rt_waitgroup_done(&bl->wg);
}

static void block_main(long n)
{
	static struct blocker bl; /* in bss: the GC sees bl.ch */

	bl.ch = rt_chan_make(sizeof(long), 0);
	bl.rounds = n;
	rt_waitgroup_add(&bl.wg, 2);
	rt_go(receiver, &bl);
	rt_go(sender, &bl);
	rt_waitgroup_wait(&bl.wg);
	printf("callpaths: block rounds=%ld received=%ld\n", bl.rounds,
	       bl.received);
}

static const char *mode;
static const char *arg;

PATH_FN static void mainfn(void *unused)
{
	(void)unused;
	if (strcmp(mode, "cpu") == 0)
		cpu_main(arg ? atof(arg) : 2.0);
	else
		block_main(arg ? atol(arg) : 200);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 ||
	    (strcmp(argv[1], "cpu") && strcmp(argv[1], "block"))) {
		fprintf(stderr, "usage: callpaths cpu [SECONDS] | block "
				"[ROUNDS]\n");
		return 2;
	}
	mode = argv[1];
	arg = argc > 2 ? argv[2] : NULL;
	if (arg && atof(arg) <= 0) {
		fprintf(stderr, "callpaths: bad count \"%s\"\n", arg);
		return 2;
	}
	return rt_main(mainfn, NULL);
}

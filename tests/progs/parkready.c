/*
 * parkready — a librt program with a known amount of scheduling work, for
 * the integration tests that compare rttrace's BPF counts with librt's own.
 *
 *   parkready [GOROUTINES [PARKS]]     defaults: 100000 and 1000000
 *
 * It starts GOROUTINES goroutines and joins them, then ping-pongs two
 * goroutines through rt_gopark/rt_goready until at least PARKS waits really
 * parked (each one matched by a goready). Last, so that every other probe
 * has something to count too, it makes OTHERS (1000) rt_gosched calls,
 * lock/unlock pairs of its thread, entersyscall/exitsyscall pairs, calls
 * of a function with three deferred calls (one open-coded, two from
 * rt_defer), panics recovered by a deferred call (every other one a
 * runtime error) and rt_num_goroutine calls. It prints what it did on
 * stdout:
 *
 *   parkready: goroutines=N parks=N readies=N others=N deferred=N
 *   recovered=N
 *
 * Run it with RT_STATS=1 to get librt's probe counts on stderr at exit.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rt.h"
#include "../rt_note.h"

static long ngoroutines = 100000;
static long nparks = 1000000;
static const long nothers = 1000;

static atomic_long ran;

static void child(void *arg)
{
	atomic_fetch_add(&ran, 1);
	rtt_join_done(arg);
}

struct pingpong {
	rtt_note ping, pong;
	atomic_int stop;
	rtt_join j;
};

static uint64_t parks(struct pingpong *pp)
{
	return atomic_load(&pp->ping.parks) + atomic_load(&pp->pong.parks);
}

static uint64_t readies(struct pingpong *pp)
{
	return atomic_load(&pp->ping.ready_calls) +
	       atomic_load(&pp->pong.ready_calls);
}

static void ponger(void *arg)
{
	struct pingpong *pp = arg;

	for (;;) {
		rtt_note_wait(&pp->pong);
		if (atomic_load(&pp->stop))
			break;
		rtt_note_signal(&pp->ping);
	}
	rtt_join_done(&pp->j);
}

static atomic_long deferred;  /* deferred calls that ran */
static atomic_long recovered; /* panics stopped by rt_recover */

static void count_call(void *arg)
{
	atomic_fetch_add((atomic_long *)arg, 1);
}

/* three_defers: deferproc kinds 2, 0 or 1, 0 or 1; one deferreturn. */
static __attribute__((noinline)) void three_defers(void)
{
	RT_DEFER_OPEN(count_call, &deferred);
	RT_DEFER(count_call, &deferred);
	RT_DEFER(count_call, &deferred);
	RT_DEFERRETURN();
}

static void recoverer(void *arg)
{
	(void)arg;
	if (rt_recover().msg)
		atomic_fetch_add(&recovered, 1);
}

/* panics_and_recovers: a gopanic, a gorecover, then the frame's
 * deferreturn (with no call left to run) at its landing pad. */
static __attribute__((noinline)) void panics_and_recovers(bool runtime_error)
{
	RT_DEFER(recoverer, NULL);
	if (runtime_error)
		rt_panic_runtime_error("parkready: a runtime error");
	rt_panic("parkready: a panic");
	RT_DEFERRETURN();
}

static void mainfn(void *arg)
{
	static struct pingpong pp;
	rtt_join j = {0};

	(void)arg;
	rtt_join_add(&j, ngoroutines);
	for (long i = 0; i < ngoroutines; i++)
		rt_go(child, &j);
	rtt_join_wait(&j);

	rtt_join_add(&pp.j, 1);
	rt_go(ponger, &pp);
	while (parks(&pp) < (uint64_t)nparks) {
		rtt_note_signal(&pp.pong);
		rtt_note_wait(&pp.ping);
	}
	atomic_store(&pp.stop, 1);
	rtt_note_signal(&pp.pong);
	rtt_join_wait(&pp.j);

	for (long i = 0; i < nothers; i++) {
		rt_gosched();
		rt_lock_os_thread();
		rt_unlock_os_thread();
		rt_entersyscall();
		rt_exitsyscall();
		three_defers();
		panics_and_recovers(i & 1);
		if (rt_num_goroutine() < 1)
			abort(); /* the caller runs, at least */
	}

	printf("parkready: goroutines=%ld parks=%llu readies=%llu others=%ld "
	       "deferred=%ld recovered=%ld\n",
	       atomic_load(&ran), (unsigned long long)parks(&pp),
	       (unsigned long long)readies(&pp), nothers,
	       atomic_load(&deferred), atomic_load(&recovered));
	fflush(stdout);
}

static long arg_or(const char *s, long def)
{
	char *end;
	long v;

	if (!s)
		return def;
	v = strtol(s, &end, 10);
	if (*s == 0 || *end != 0 || v < 0) {
		fprintf(stderr, "parkready: bad count \"%s\"\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc > 3) {
		fprintf(stderr, "usage: parkready [GOROUTINES [PARKS]]\n");
		return 2;
	}
	ngoroutines = arg_or(argc > 1 ? argv[1] : NULL, ngoroutines);
	nparks = arg_or(argc > 2 ? argv[2] : NULL, nparks);
	return rt_main(mainfn, NULL);
}

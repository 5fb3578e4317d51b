/*
 * waitfile — a librt program that waits, traced, until told to go on, for
 * tests/integration/test_cli.c: while it waits the test reads rttrace's
 * capabilities (/proc/PID/task/TID/status), which rttrace drops once
 * every program is attached.
 *
 *   waitfile N FILE
 *
 * It calls rt_num_goroutine N times (the gcount probe: one firing each),
 * prints "waitfile: waiting" on stdout and flushes it, then sleeps in
 * 10 ms steps (rt_sleep: timers and parks, probes that fire meanwhile)
 * until FILE exists, then calls rt_num_goroutine N more times, spins on
 * the CPU for 300 ms of its own CPU time in waitfile_spin (a frame the
 * CPU profile must name) and prints "waitfile: done gcount=2N". Run it
 * with RT_STATS=1 for librt's counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

struct args {
	long n;
	const char *file;
};

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* waitfile_spin burns 300 ms of this thread's CPU time */
__attribute__((noinline)) static unsigned long waitfile_spin(void)
{
	double end = cpu_s() + 0.3;
	volatile unsigned long x = 0;

	while (cpu_s() < end)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
	return x;
}

static void mainfn(void *arg)
{
	const struct args *a = arg;

	for (long i = 0; i < a->n; i++)
		rt_num_goroutine();
	printf("waitfile: waiting\n");
	fflush(stdout);
	while (access(a->file, F_OK) != 0)
		rt_sleep(10 * 1000 * 1000);
	for (long i = 0; i < a->n; i++)
		rt_num_goroutine();
	waitfile_spin();
	printf("waitfile: done gcount=%ld\n", 2 * a->n);
}

int main(int argc, char **argv)
{
	struct args a;

	if (argc != 3) {
		fprintf(stderr, "usage: waitfile N FILE\n");
		return 2;
	}
	a.n = strtol(argv[1], NULL, 10);
	a.file = argv[2];
	return rt_main(mainfn, &a);
}

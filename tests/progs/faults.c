/*
 * faults — a librt program that ends badly on purpose, for
 * tests/integration/test_faults.c: what rttrace reports, and keeps, when
 * the program it traces crashes, exits early, forks or execs.
 *
 *   faults MODE N [ARGS...]
 *
 * Every mode first calls rt_num_goroutine N times (the gcount probe: one
 * firing each, a count the test knows) with an rt_gosched between calls,
 * prints "faults: gcount=N" on stdout and flushes it, then:
 *
 *   abort       abort()s: SIGABRT
 *   segv        stores through a null pointer: SIGSEGV (librt has no
 *               handler for it)
 *   exit        exit(3) from a goroutine while the main one still waits
 *   fork M      forks; the child calls rt_num_goroutine M times (the same
 *               probed text) and _exits 0 without librt's exit path; the
 *               parent waits for it, prints "faults: child=M status=S",
 *               then calls rt_num_goroutine N more times and returns
 *   exec P A..  execs P with arguments A..: a program that is not this one
 *   threads M   starts M goroutines, THREADS_AT_ONCE at a time, each of
 *               which locks its thread (rt_lock_os_thread), calls
 *               rt_num_goroutine THREAD_GCOUNTS times and returns still
 *               locked, which ends its thread (goexit0 + mexit in Go): M
 *               threads started and ended fast; prints "faults: threads=M
 *               gcount=G" (G the calls on those threads) and returns 0
 *
 * Run it with RT_STATS=1 for librt's own counts (fork: the parent's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt.h"
#include "../rt_note.h"

/* threads: goroutines locked at once, and each one's gcount calls */
#define THREADS_AT_ONCE 8
#define THREAD_GCOUNTS	10

struct args {
	int argc;
	char **argv;
	long n;
	rtt_join j;
};

/* gcount_calls calls rt_num_goroutine n times: n gcount firings. */
static void gcount_calls(long n)
{
	for (long i = 0; i < n; i++) {
		rt_num_goroutine();
		rt_gosched();
	}
}

static void early_exit(void *arg)
{
	(void)arg;
	exit(3);
}

/* locked_and_gone ends its thread: it returns while locked to it. */
static void locked_and_gone(void *arg)
{
	rtt_join *j = arg;

	rt_lock_os_thread();
	for (int i = 0; i < THREAD_GCOUNTS; i++)
		rt_num_goroutine();
	rtt_join_done(j);
}

static void do_threads(struct args *a)
{
	long m = a->argc > 3 ? strtol(a->argv[3], NULL, 10) : 1000;

	for (long started = 0; started < m;) {
		long batch = m - started < THREADS_AT_ONCE ? m - started
							   : THREADS_AT_ONCE;

		rtt_join_add(&a->j, batch);
		for (long i = 0; i < batch; i++)
			rt_go(locked_and_gone, &a->j);
		rtt_join_wait(&a->j);
		started += batch;
	}
	printf("faults: threads=%ld gcount=%ld\n", m, m * THREAD_GCOUNTS);
}

static void do_fork(struct args *a)
{
	long m = a->argc > 3 ? strtol(a->argv[3], NULL, 10) : 1000;
	int status = -1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("faults: fork");
		exit(1);
	}
	if (pid == 0) {
		/* one thread left: the probe sites, not the scheduler */
		for (long i = 0; i < m; i++)
			rt_num_goroutine();
		_exit(0);
	}
	rt_entersyscall();
	while (waitpid(pid, &status, 0) < 0)
		;
	rt_exitsyscall();
	printf("faults: child=%ld status=%d\n", m, status);
	gcount_calls(a->n);
}

static void mainfn(void *arg)
{
	struct args *a = arg;
	const char *mode = a->argv[1];

	gcount_calls(a->n);
	printf("faults: gcount=%ld\n", a->n);
	fflush(stdout);
	if (strcmp(mode, "abort") == 0) {
		abort();
	} else if (strcmp(mode, "segv") == 0) {
		*(volatile int *)(uintptr_t)a->n = 1; /* n is small: unmapped */
	} else if (strcmp(mode, "exit") == 0) {
		rtt_join_add(&a->j, 1);
		rt_go(early_exit, NULL);
		rtt_join_wait(&a->j); /* never done: exit(3) comes first */
	} else if (strcmp(mode, "fork") == 0) {
		do_fork(a);
	} else if (strcmp(mode, "threads") == 0) {
		do_threads(a);
	} else if (strcmp(mode, "exec") == 0 && a->argc > 3) {
		execv(a->argv[3], a->argv + 3);
		perror("faults: exec");
		exit(126);
	} else {
		fprintf(stderr, "faults: bad mode %s\n", mode);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct args a = {.argc = argc, .argv = argv};

	if (argc < 3) {
		fprintf(stderr, "usage: faults MODE N [ARGS...]\n");
		return 2;
	}
	a.n = strtol(argv[2], NULL, 10);
	return rt_main(mainfn, &a);
}

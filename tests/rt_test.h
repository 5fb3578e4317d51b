/*
 * rt_test.h — helpers shared by the librt unit tests.
 *
 * libcheck runs every test in a forked child, and rt_main may be called only
 * once per process, so each test calls rtt_run() (rt_main) exactly once.
 *
 * Assertions inside goroutines do not call ck_assert (it would exit the
 * process from a runtime thread, or longjmp across goroutine stacks under
 * CK_NOFORK). They go through RTT_CHECK, which records the first failure;
 * rtt_run() turns it into a libcheck failure after rt_main returns.
 *
 * The park/ready helpers (rtt_note, rtt_join) live in rt_note.h, which the
 * traced programs in tests/progs use too.
 */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"
#include "rt_note.h"

/* Generous: the VM is small and noisy and ASan is several times slower. */
#define RTT_TIMEOUT 180

/*
 * RTT_LIVE_CAP(n): n goroutines alive at once, or 2,000 under TSan. There
 * each G is a TSan fiber (runtime/race.h), ~1 MiB of TSan's memory apiece,
 * and gcc 12's TSan dies past 8,128 threads and fibers together ("Thread
 * limit exceeded").
 */
#ifdef RT_TSAN
#define RTT_LIVE_CAP(n) ((n) < 2000 ? (n) : 2000)
#else
#define RTT_LIVE_CAP(n) (n)
#endif

/*
 * A test whose progress hangs on the scheduler (a spinner that only
 * preemption can stop, a P that only sysmon can retake) gives up after
 * RTT_STUCK_NS and fails with a message, rather than hang until libcheck's
 * timeout (tripled under ASan, that could outlast run-tests.sh's budget for
 * the whole suite). Far beyond any scheduling delay: not a timing assertion.
 */
#define RTT_STUCK_NS (30LL * 1000 * 1000 * 1000)

/* rtt_mono_ns reads CLOCK_MONOTONIC without calling into librt. */
static inline int64_t rtt_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- failures recorded from goroutines -------------------------------- */

static atomic_int rtt_failed;
static char rtt_failmsg[1024];

static inline void rtt_fail(const char *file, int line, const char *cond,
			    const char *fmt, ...)
{
	int expect = 0;
	va_list ap;
	int n;

	if (!atomic_compare_exchange_strong(&rtt_failed, &expect, 1))
		return;
	n = snprintf(rtt_failmsg, sizeof(rtt_failmsg), "%s:%d: %s: ", file,
		     line, cond);
	if (n < 0 || (size_t)n >= sizeof(rtt_failmsg))
		return;
	va_start(ap, fmt);
	vsnprintf(rtt_failmsg + n, sizeof(rtt_failmsg) - (size_t)n, fmt, ap);
	va_end(ap);
	atomic_store(&rtt_failed, 2); /* message complete */
}

/* RTT_CHECK(cond, fmt, ...) — usable on any goroutine. */
#define RTT_CHECK(cond, ...)                                              \
	do {                                                              \
		if (!(cond))                                              \
			rtt_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

static inline bool rtt_ok(void)
{
	return atomic_load(&rtt_failed) == 0;
}

/*
 * rtt_run sets GOMAXPROCS (RT_MAXPROCS) to maxprocs if it is > 0 (0 leaves
 * it to the environment: the CPUs, or RT_MAXPROCS as the caller set it),
 * runs fn(arg) as the main goroutine and fails the test with the first
 * RTT_CHECK failure. The test's child process is forked: setenv is local.
 */
static inline void rtt_run(int maxprocs, rt_func fn, void *arg)
{
	char buf[16];
	int rc;

	if (maxprocs > 0) {
		snprintf(buf, sizeof(buf), "%d", maxprocs);
		setenv("RT_MAXPROCS", buf, 1);
	}
	rc = rt_main(fn, arg);
	ck_assert_msg(rtt_ok(), "%s", rtt_failmsg);
	ck_assert_int_eq(rc, 0);
}

/*
 * rtt_tidset: a small lock-free set of thread ids.
 */
#define RTT_TIDSET_CAP 256
typedef struct rtt_tidset {
	atomic_int tid[RTT_TIDSET_CAP];
	atomic_int overflow;
} rtt_tidset;

static inline void rtt_tidset_add(rtt_tidset *s, int tid)
{
	for (int i = 0; i < RTT_TIDSET_CAP; i++) {
		int cur = atomic_load(&s->tid[i]);

		if (cur == tid)
			return;
		if (cur == 0) {
			int expect = 0;

			if (atomic_compare_exchange_strong(&s->tid[i], &expect,
							   tid) ||
			    expect == tid)
				return;
		}
	}
	atomic_store(&s->overflow, 1);
}

static inline bool rtt_tidset_has(rtt_tidset *s, int tid)
{
	for (int i = 0; i < RTT_TIDSET_CAP; i++)
		if (atomic_load(&s->tid[i]) == tid)
			return true;
	return false;
}

static inline int rtt_tidset_len(rtt_tidset *s)
{
	int n = 0;

	for (int i = 0; i < RTT_TIDSET_CAP; i++)
		if (atomic_load(&s->tid[i]) != 0)
			n++;
	return n;
}

/* ---- GC helpers --------------------------------------------------------- */

/*
 * The collector scans stacks and registers conservatively, so a test that
 * needs an object to be reachable from exactly one place keeps every other
 * copy of its address out of sight: rtt_hide turns a pointer into a value
 * that cannot point into the heap (the high bits make it non-canonical), and
 * rtt_clobber_stack overwrites dead stack below the caller, where earlier
 * calls (rt_mallocgc's own frames) left copies behind.
 */
#define RTT_HIDE_MASK ((uintptr_t)0xa5a5a5a5a5a5a5a5ULL)

static inline uintptr_t rtt_hide(const void *p)
{
	return (uintptr_t)p ^ RTT_HIDE_MASK;
}

static inline void *rtt_unhide(uintptr_t h)
{
	return (void *)(h ^ RTT_HIDE_MASK);
}

static __attribute__((noinline, unused)) void rtt_clobber_stack(void)
{
	volatile char buf[8192];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
	__asm__ __volatile__("" ::: "memory");
}

/* rtt_heap_exists makes sure the GC heap has memory (one small object,
 * dropped), for tests about something other than the empty heap. */
static inline void rtt_heap_exists(void)
{
	memset(rt_mallocgc(8, 0), 0, 8);
}

/* rtt_pattern: the word at index i of a block filled with seed. */
static inline uint64_t rtt_pattern(uint64_t seed, size_t i)
{
	return (seed + i + 1) * 0x9E3779B97F4A7C15ULL;
}

/* rtt_fill writes the pattern over n bytes (a multiple of 8). */
static inline void rtt_fill(void *p, size_t n, uint64_t seed)
{
	uint64_t *w = p;

	for (size_t i = 0; i < n / 8; i++)
		w[i] = rtt_pattern(seed, i);
}

/* rtt_verify returns 0 if the pattern is intact, else 1 + the first bad
 * word's index. */
static inline size_t rtt_verify(const void *p, size_t n, uint64_t seed)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < n / 8; i++)
		if (w[i] != rtt_pattern(seed, i))
			return i + 1;
	return 0;
}

/* rtt_holds tells whether [q, q + size) holds the hidden address. */
static inline bool rtt_holds(const void *q, size_t size, uintptr_t hidden)
{
	/*
	 * target - q, computed in one asm block: were the target's address
	 * formed in C, the compiler could hoist it out of the caller's loop
	 * into a callee-saved register, a root that keeps the object alive.
	 */
	uintptr_t d = hidden;

	__asm__ __volatile__("xor %[m], %[d]\n\tsub %[q], %[d]"
			     : [d] "+r"(d)
			     : [m] "r"(RTT_HIDE_MASK), [q] "r"(q));
	return d < (size ? size : 1);
}

/*
 * rtt_churn_find allocates n objects of size bytes, each filled with a
 * pattern and all kept alive (in a heap array rooted here) until the end,
 * so no slot is handed out twice within one churn, and returns how many
 * of them (the array included) came back holding the address
 * hidden_target: a live object's memory must never be handed out again.
 * It also makes a freed object's memory likely to be reused and
 * overwritten, so a pattern check after it tells whether the object was
 * freed. (A freed object's whole span may go back to the page heap and
 * return as another size, hence the range check, not an equality.)
 */
static inline long rtt_churn_find(size_t size, unsigned flags, long n,
				  uintptr_t hidden_target)
{
	size_t ksize = (size_t)n * sizeof(void *);
	void **volatile keep = rt_mallocgc(ksize, 0);
	long hits = rtt_holds(keep, ksize, hidden_target);

	for (long i = 0; i < n; i++) {
		void *q = rt_mallocgc(size, flags);

		if (rtt_holds(q, size, hidden_target))
			hits++;
		memset(q, 0x5a, size);
		keep[i] = q;
	}
	return hits;
}

/* ---- programs that must die ------------------------------------------- */

/*
 * rtt_run_dies runs fn(arg) under rt_main (GOMAXPROCS maxprocs, as rtt_run)
 * in a child process with its stderr in a temporary file, fails unless the
 * child exited (not killed by a signal) having printed want on stderr, and
 * then exits with the child's status. Add the test with
 * tcase_add_exit_test(tc, test, 2): libcheck then checks the status, Go's
 * for a panic or a fatal error. A child still running after RTT_STUCK_NS
 * blocked instead of dying: it is killed and the test fails.
 */
static inline void rtt_run_dies(int maxprocs, rt_func fn, void *arg,
				const char *want)
{
	static char err[64 * 1024];
	char name[] = "/tmp/rtt-stderr-XXXXXX";
	int fd = mkstemp(name), status = 0;
	int64_t deadline = rtt_mono_ns() + RTT_STUCK_NS;
	bool stuck = false;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(name);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char buf[16];

		dup2(fd, 2);
		if (maxprocs > 0) {
			snprintf(buf, sizeof(buf), "%d", maxprocs);
			setenv("RT_MAXPROCS", buf, 1);
		}
		rt_main(fn, arg);
		/* Returned: it did not die. */
		fprintf(stderr, "rtt_run_dies: rt_main returned%s%s\n",
			rtt_ok() ? "" : "; ", rtt_ok() ? "" : rtt_failmsg);
		fflush(stderr);
		_exit(0);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		ck_assert_int_ge(r, 0);
		if (r == pid)
			break;
		if (rtt_mono_ns() > deadline) {
			kill(pid, SIGKILL);
			ck_assert_int_eq(waitpid(pid, &status, 0), pid);
			stuck = true;
			break;
		}
		usleep(5 * 1000);
	}
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	while (len < sizeof(err) - 1 &&
	       (n = read(fd, err + len, sizeof(err) - 1 - len)) > 0)
		len += (size_t)n;
	err[len] = 0;
	close(fd);
	ck_assert_msg(!stuck,
		      "the program was still running after %lld s instead of "
		      "dying with \"%s\"; stderr:\n%s",
		      RTT_STUCK_NS / 1000000000, want, err);
	ck_assert_msg(WIFEXITED(status),
		      "the program was killed by signal %d instead of dying "
		      "with \"%s\"; stderr:\n%s",
		      WIFSIGNALED(status) ? WTERMSIG(status) : -1, want, err);
	ck_assert_msg(strstr(err, want) != NULL,
		      "the program exited with status %d without \"%s\" on "
		      "stderr:\n%s",
		      WEXITSTATUS(status), want, err);
	exit(WEXITSTATUS(status));
}

/* rtt_suite_main runs a suite and returns non-zero if anything failed. */
static inline int rtt_suite_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* RT_TEST_H */

/*
 * ex10_finalizer_close.c — Exercise 10: runtime.SetFinalizer to close
 * resources.
 *
 * Seed. Before: Open wraps the fd in a File and sets a finalizer that
 * closes it "for safety"; callers never Close. After: an explicit Close
 * (defer f.Close() at the call site); the finalizer, if kept, only warns
 * about a File that was leaked without Close, and Close disarms it. The
 * seed gives no ratio: "Benchmark not the right tool; check FD count under
 * sustained Open without Close."
 *
 * Mechanism. rt_set_finalizer mirrors SetFinalizer: a special on the
 * object's span; the object is found unreachable only by a GC cycle, its
 * finalizer queued (mfinal.c, queuefinalizer) and run later by the
 * finalizer goroutine (runfinq). Nothing links the fd to GC pacing: a File
 * is 8 bytes here (16 in Go), so with the 4 MiB minimum heap goal a
 * program could open some 250 000 to 500 000 files between two cycles
 * (were nothing else allocating), and the kernel's RLIMIT_NOFILE
 * (1024 by default) runs out long before — "too many open files" (EMFILE)
 * while the heap looks idle. An explicit Close returns each fd at once;
 * rt_set_finalizer(f, NULL) disarms the warning, as SetFinalizer(f, nil).
 *
 * One op: Open("/dev/null"), one read, and in the After, Close; the
 * system calls are bracketed by rt_entersyscall/rt_exitsyscall, as Go's
 * syscall package does. For the run, the variant lowers its soft
 * RLIMIT_NOFILE to a realistic 1024 (restored after). The Before never
 * calls rt_gc — that is the point — so once the limit is hit, Opens fail
 * with EMFILE; they are counted and the loop goes on (as a server would
 * fail requests). Figures: peak-fds, the largest number of this
 * exercise's fds open at once (its own opens minus closes, counted as they
 * happen), and emfile, 1 if EMFILE was hit. The verdict compares peak-fds.
 * After the timed loop the Before's leftovers are collected (rt_gc, then
 * waiting for the finalizers) so the next run starts with no fd open.
 *
 * When NOT: the seed keeps the finalizer only as a debugging belt and
 * braces. The correctness gap (§16: "explicit Close at call sites that
 * forgot defer") is tests/test_ex06_10.c:
 * test_ex10_forgotten_close_is_detected — a File opened without Close
 * keeps its fd open (a leak) and the After's warning finalizer reports it
 * after a GC, while a Closed File never warns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <unistd.h>

#include "exercise.h"

struct file {
	int fd;
	bool closed;
};

enum {
	NOFILE_LIMIT = 1024,	      /* the soft limit during a run */
	READ_BYTES = 64,	      /* the one read */
	RESULT_OPENS = 64,	      /* the fixed input of result */
	DRAIN_WAIT_NS = 2000000000LL, /* cleanup: give the finalizers 2 s */
};

static const char path_null[] = "/dev/null";

/* fds of this exercise: opened, closed (by Close or a finalizer). */
static _Atomic int64_t nopened, nclosed, peak_open;
static atomic_bool emfile_hit;
/* the After's warnings: Files finalized without Close */
static _Atomic int64_t nleaked;
static _Atomic int last_leaked_fd;

static struct file *volatile sink_file;
static volatile int64_t sink_bytes;

static void note_open(void)
{
	int64_t cur = atomic_fetch_add(&nopened, 1) + 1 - atomic_load(&nclosed);
	int64_t p = atomic_load(&peak_open);
	while (cur > p && !atomic_compare_exchange_weak(&peak_open, &p, cur)) {
	}
}

/* sys_open / sys_read / sys_close are syscall.Open/Read/Close: the call
 * inside entersyscall/exitsyscall, errno saved before librt runs again. */
static int sys_open(const char *path, int *err)
{
	rt_entersyscall();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int e = errno;
	rt_exitsyscall();
	*err = fd < 0 ? e : 0;
	return fd;
}

static ssize_t sys_read(int fd, void *buf, size_t n)
{
	rt_entersyscall();
	ssize_t r = read(fd, buf, n);
	rt_exitsyscall();
	return r;
}

static int sys_close(int fd)
{
	rt_entersyscall();
	int r = close(fd);
	rt_exitsyscall();
	return r;
}

/* The Before's finalizer: (*File).close. Runs on the finalizer
 * goroutine. */
static void file_finalize_close(void *obj)
{
	struct file *f = obj;
	sys_close(f->fd);
	atomic_fetch_add(&nclosed, 1);
}

/* open_before is the seed's Before Open. NULL and *err on failure. */
static struct file *open_before(const char *path, int *err)
{
	int fd = sys_open(path, err);
	if (fd < 0)
		return NULL;
	struct file *f = rt_mallocgc(sizeof(*f), RT_MALLOC_NOSCAN);
	f->fd = fd;
	note_open();
	rt_set_finalizer(f, file_finalize_close);
	return f;
}

/* The After's finalizer only warns: the File was leaked without Close.
 * It records the leak (the seed's dev-only panic, made observable). */
static void file_finalize_warn(void *obj)
{
	struct file *f = obj;
	if (!f->closed) {
		atomic_store(&last_leaked_fd, f->fd);
		atomic_fetch_add(&nleaked, 1);
	}
}

/* open_after is the seed's After Open. */
static struct file *open_after(const char *path, int *err)
{
	int fd = sys_open(path, err);
	if (fd < 0)
		return NULL;
	struct file *f = rt_mallocgc(sizeof(*f), RT_MALLOC_NOSCAN);
	f->fd = fd;
	note_open();
	rt_set_finalizer(f, file_finalize_warn);
	return f;
}

/* file_close is the seed's (*File).Close: idempotent, disarms the
 * warning. */
static int file_close(struct file *f)
{
	if (f->closed)
		return 0;
	f->closed = true;
	rt_set_finalizer(f, NULL); /* disarm */
	int r = sys_close(f->fd);
	atomic_fetch_add(&nclosed, 1);
	return r;
}

/* The After's API, for tests/test_ex06_10.c. */
void *ex10_open(const char *path)
{
	int err;
	return open_after(path, &err);
}

int ex10_fd(const void *f)
{
	return ((const struct file *)f)->fd;
}

int ex10_close(void *f)
{
	return file_close(f);
}

/* ex10_leaked returns the warnings so far; *fd the last leaked fd. */
int64_t ex10_leaked(int *fd)
{
	if (fd != NULL)
		*fd = atomic_load(&last_leaked_fd);
	return atomic_load(&nleaked);
}

/* The rlimit of a run. */
static struct rlimit saved_nofile;

static void lower_nofile(void)
{
	getrlimit(RLIMIT_NOFILE, &saved_nofile);
	struct rlimit r = saved_nofile;
	if (r.rlim_cur > NOFILE_LIMIT)
		r.rlim_cur = NOFILE_LIMIT;
	setrlimit(RLIMIT_NOFILE, &r);
}

static void restore_nofile(void)
{
	setrlimit(RLIMIT_NOFILE, &saved_nofile);
}

/*
 * drain collects the Before's leftovers: cycles until the finalizers have
 * closed every File, or until three cycles in a row closed nothing (a
 * conservative scan may keep a File or two alive a little longer), or
 * DRAIN_WAIT_NS has passed.
 */
static void drain(void)
{
	sink_file = NULL;
	int64_t deadline = rt_nanotime() + DRAIN_WAIT_NS;
	int64_t left = atomic_load(&nopened) - atomic_load(&nclosed);
	for (int stalled = 0;
	     left > 0 && stalled < 3 && rt_nanotime() < deadline;) {
		rt_gc();
		rt_sleep(1000000); /* the finalizer goroutine runs */
		int64_t now = atomic_load(&nopened) - atomic_load(&nclosed);
		stalled = now < left ? 0 : stalled + 1;
		left = now;
	}
}

static void start_run(void)
{
	drain();
	atomic_store(&peak_open, atomic_load(&nopened) - atomic_load(&nclosed));
	atomic_store(&emfile_hit, false);
	lower_nofile();
}

static void end_run(struct bench_b *b)
{
	bench_report_metric(b, (double)atomic_load(&peak_open),
			    EX_UNIT_PEAK_FDS);
	bench_report_metric(b, atomic_load(&emfile_hit) ? 1 : 0,
			    EX_UNIT_EMFILE);
	drain();
	restore_nofile();
}

static void run_before(struct bench_b *b, const struct ex_param *p)
{
	(void)p;
	char buf[READ_BYTES];
	int64_t bytes = 0;
	bench_stop_timer(b);
	start_run();
	bench_start_timer(b);
	for (int64_t i = 0; i < b->n; i++) {
		int err;
		struct file *f = open_before(path_null, &err);
		if (f == NULL) {
			if (err == EMFILE)
				atomic_store(&emfile_hit, true);
			continue;
		}
		bytes += sys_read(f->fd, buf, sizeof(buf));
		sink_file = f; /* and forgotten: the finalizer will close */
	}
	bench_stop_timer(b);
	sink_bytes = bytes;
	end_run(b);
}

static void run_after(struct bench_b *b, const struct ex_param *p)
{
	(void)p;
	char buf[READ_BYTES];
	int64_t bytes = 0;
	bench_stop_timer(b);
	start_run();
	bench_start_timer(b);
	for (int64_t i = 0; i < b->n; i++) {
		int err;
		struct file *f = open_after(path_null, &err);
		if (f == NULL) {
			if (err == EMFILE)
				atomic_store(&emfile_hit, true);
			continue;
		}
		/* defer f.Close() */
		bytes += sys_read(f->fd, buf, sizeof(buf));
		sink_file = f;
		file_close(f);
	}
	bench_stop_timer(b);
	sink_bytes = bytes;
	end_run(b);
}

/*
 * The answer on a fixed input: RESULT_OPENS Open+read of /dev/null, as
 * 1000 × the opens that succeeded + the bytes read (0 at EOF), under the
 * run's lowered limit; the Before's fds are then collected.
 */
static uint64_t result_common(bool closes)
{
	char buf[READ_BYTES];
	uint64_t ok = 0, bytes = 0;
	start_run();
	for (int i = 0; i < RESULT_OPENS; i++) {
		int err;
		struct file *f = closes ? open_after(path_null, &err)
					: open_before(path_null, &err);
		if (f == NULL)
			continue;
		ssize_t r = sys_read(f->fd, buf, sizeof(buf));
		if (r >= 0) {
			ok++;
			bytes += (uint64_t)r;
		}
		if (closes)
			file_close(f);
	}
	drain();
	restore_nofile();
	return ok * 1000 + bytes;
}

static uint64_t result_before(const struct ex_param *p)
{
	(void)p;
	return result_common(false);
}

static uint64_t result_after(const struct ex_param *p)
{
	(void)p;
	return result_common(true);
}

const struct exercise ex10 = {
    .id = "ex10",
    .title = "runtime.SetFinalizer to close files",
    .seed_claim = "check FD count under sustained Open without Close",
    .seed_ratio = 0,
    .rule = {EX_UNIT_PEAK_FDS, true},
    .mechanism = "a finalizer runs only after a GC cycle finds the File "
		 "unreachable; 8-byte Files do not drive GC pacing, so "
		 "fds pile up to EMFILE; Close returns each at once",
    .param_name = NULL,
    .params = NULL,
    .nparams = 0,
    .procs = 0,
    .run = {run_before, run_after},
    .result = {result_before, result_after},
};

/*
 * stress_mixes.h — librt under load: the mixes of issue 9, one copy shared
 * by tests/test_stress.c (a libcheck suite at CI scale, built plain, under
 * ASan and under TSan) and tests/progs/soak.c (`make soak`, the same mixes
 * for minutes). No libcheck here: failures are recorded with STRESS_CHECK
 * (the first one wins, as RTT_CHECK in rt_test.h) and each caller turns
 * stress_ok() into its own verdict.
 *
 * Each mix takes its size from a struct stress_scale and checks exact
 * results — nothing timed:
 *
 *   stress_goroutines  N goroutines alive at once, all parked together (a
 *                      third on a channel, a third on a WaitGroup, a third
 *                      in rt_gopark), then released: each ran exactly once,
 *                      rt_num_goroutine saw the peak and falls back.
 *   stress_channels    C channels (unbuffered and buffered) between S
 *                      senders and R receivers (S + R goroutines) moving V
 *                      values through selects and plain sends; every value
 *                      is unique and carries its own check word, receivers
 *                      set its bit in a bitmap: a duplicate finds the bit
 *                      set, a loss leaves one clear, a corrupt value fails
 *                      its check word.
 *   stress_gc_churn    mutators allocate and drop linked structures of
 *                      mixed size classes (scanned nodes with inline
 *                      payload, NOSCAN blobs, large objects); each node
 *                      carries a checksum of its payload and blob. After
 *                      every forced cycle each mutator walks its whole
 *                      live set and verifies every checksum (and after
 *                      every automatic cycle it notices): an object freed
 *                      or reused while reachable shows as a bad checksum.
 *   stress_timers      N AfterFunc timers pending at once, then random
 *                      Stops and Resets (some racing with the fire): per
 *                      timer, fires = arms - (Stops and Resets that
 *                      returned true), as time.Timer's contract says.
 *   stress_sched       goroutines that LockOSThread (and must stay on
 *                      their thread), blocking system calls bracketed by
 *                      rt_entersyscall/rt_exitsyscall (a pipe whose reader
 *                      blocks in read(2) until another goroutine writes),
 *                      alongside GOMAXPROCS spinners that never call the
 *                      runtime, so only asynchronous preemption lets the
 *                      rest run.
 *   stress_mixed       all of the above at once, each in its own goroutine.
 *
 * GC visibility: the mixes keep every pointer into the GC heap in the GC
 * heap itself, on goroutine stacks or in goroutine arguments; side tables
 * without pointers (bitmaps, counters) are plain calloc.
 */
#ifndef STRESS_MIXES_H
#define STRESS_MIXES_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"
#include "rt_note.h"

/* ---- failures ----------------------------------------------------------- */

static atomic_int stress_failed;
static char stress_failmsg[1024];

static inline __attribute__((format(printf, 4, 5))) void
stress_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	int expect = 0;
	va_list ap;
	int n;

	if (!atomic_compare_exchange_strong(&stress_failed, &expect, 1))
		return;
	n = snprintf(stress_failmsg, sizeof(stress_failmsg),
		     "%s:%d: %s: ", file, line, cond);
	if (n < 0 || (size_t)n >= sizeof(stress_failmsg))
		return;
	va_start(ap, fmt);
	vsnprintf(stress_failmsg + n, sizeof(stress_failmsg) - (size_t)n, fmt,
		  ap);
	va_end(ap);
	atomic_store(&stress_failed, 2);
}

/* STRESS_CHECK(cond, fmt, ...) — usable on any goroutine. */
#define STRESS_CHECK(cond, ...)                                              \
	do {                                                                 \
		if (!(cond))                                                 \
			stress_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

static inline bool stress_ok(void)
{
	return atomic_load(&stress_failed) == 0;
}

/*
 * A mix waiting for something that only the scheduler can bring (a
 * goroutine that must run, a timer that must fire) gives up after
 * STRESS_STUCK_NS and fails with a message instead of hanging: a hang
 * guard far beyond any delay on a loaded machine, not a timing assertion.
 */
#define STRESS_STUCK_NS (120LL * 1000 * 1000 * 1000)

/* ---- scale -------------------------------------------------------------- */

struct stress_scale {
	long goroutines;       /* stress_goroutines: alive at once */
	int channels;	       /* stress_channels: channels */
	int chan_goroutines;   /* senders + receivers */
	long values;	       /* values moved */
	int gc_mutators;       /* stress_gc_churn: mutator goroutines */
	int gc_slots;	       /* live structures per mutator */
	int gc_forced_cycles;  /* forced cycles, each verified by all */
	long timers;	       /* stress_timers: pending at once */
	int sched_locked;      /* stress_sched: LockOSThread goroutines */
	int sched_syscallers;  /* goroutines in blocking syscalls */
	int sched_rounds;      /* rounds of each */
	int mixed_divisor;     /* stress_mixed runs each mix at 1/divisor */
	const char *exclusion; /* why the scale is lower, or NULL */
};

/*
 * The CI scale is issue 9's: 1,000,000 goroutines, 10,000 channels across
 * 1,000 goroutines moving 10,000,000 values, 1,000,000 timers. ASan runs it
 * whole (its 256 KiB goroutine stacks and their shadow: ~7 GiB RSS at the
 * goroutines' peak). Under TSan some counts are lower, openly
 * (stress_print_scale says so in the output):
 *
 *   TSan  every memory access is recorded with its history, ~5-15x slower
 *         and ~5-10x the memory; each count is a tenth, but for the
 *         goroutines alive at once: each is a TSan fiber
 *         (runtime/race.h), ~1 MiB apiece, and gcc 12's TSan dies past
 *         8,128 threads and fibers, so the goroutines mix keeps 2,000
 *         and the timers mix, whose AfterFunc calls are goroutines, has
 *         2,000 timers (RTT_LIVE_CAP in rt_test.h is the same cap).
 */
static inline struct stress_scale stress_ci_scale(void)
{
	struct stress_scale s = {
	    .goroutines = 1000000,
	    .channels = 10000,
	    .chan_goroutines = 1000,
	    .values = 10000000,
	    .gc_mutators = 8,
	    .gc_slots = 512,
	    .gc_forced_cycles = 40,
	    .timers = 1000000,
	    .sched_locked = 8,
	    .sched_syscallers = 8,
	    .sched_rounds = 200,
	    .mixed_divisor = 10,
	    .exclusion = NULL,
	};
#if defined(RT_TSAN)
	s.goroutines = 2000;
	s.channels /= 10;
	s.chan_goroutines /= 10;
	s.values /= 10;
	s.gc_forced_cycles /= 4;
	s.timers = 2000;
	s.sched_rounds /= 4;
	s.exclusion = "TSan: channels and values at 1/10, forced GC cycles "
		      "and scheduler rounds at 1/4 (TSan's time and memory "
		      "per access); 2,000 goroutines and 2,000 timers (each "
		      "goroutine alive at once is a TSan fiber, ~1 MiB, and "
		      "TSan dies past 8,128 threads and fibers)";
#endif
	return s;
}

/* stress_scale_div is s with every count divided by d (at least 1). */
static inline struct stress_scale stress_scale_div(struct stress_scale s, int d)
{
#define STRESS_DIV(f)            \
	do {                     \
		s.f /= d;        \
		if (s.f < 1)     \
			s.f = 1; \
	} while (0)
	STRESS_DIV(goroutines);
	STRESS_DIV(channels);
	STRESS_DIV(chan_goroutines);
	STRESS_DIV(values);
	STRESS_DIV(timers);
	STRESS_DIV(gc_forced_cycles);
	STRESS_DIV(sched_rounds);
#undef STRESS_DIV
	if (s.chan_goroutines < 2)
		s.chan_goroutines = 2;
	return s;
}

static inline void stress_print_scale(FILE *f, const struct stress_scale *s)
{
	fprintf(f,
		"stress: scale: goroutines=%ld channels=%d chan_goroutines=%d "
		"values=%ld gc_mutators=%d gc_slots=%d gc_forced_cycles=%d "
		"timers=%ld sched_locked=%d sched_syscallers=%d "
		"sched_rounds=%d\n",
		s->goroutines, s->channels, s->chan_goroutines, s->values,
		s->gc_mutators, s->gc_slots, s->gc_forced_cycles, s->timers,
		s->sched_locked, s->sched_syscallers, s->sched_rounds);
	if (s->exclusion != NULL)
		fprintf(f, "stress: reduced scale: %s\n", s->exclusion);
	fflush(f);
}

/* ---- small helpers ------------------------------------------------------ */

/* stress_mono_ns reads CLOCK_MONOTONIC without calling into librt. */
static inline int64_t stress_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* splitmix64: a bijective mix, the payload and check words' source. */
static inline uint64_t stress_mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* stress_rand: xorshift64*, one state per goroutine. */
static inline uint64_t stress_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t stress_randn(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)stress_rand(s) * n) >> 64);
}

/* stress_gc_cycles: completed GC cycles, read lock-free (runtime/metrics). */
static inline uint64_t stress_gc_cycles(void)
{
	struct rt_metric_sample s = {.name = "/gc/cycles/total:gc-cycles"};

	rt_metrics_read(&s, 1);
	return s.value.u64;
}

/* stress_rss_kib reads VmRSS (or VmHWM, the peak) of /proc/self/status. */
static inline long stress_status_kib(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			kib = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

/*
 * stress_wait_goroutines waits until rt_num_goroutine() is at most want
 * (the goroutines a mix started have exited), yielding meanwhile; false
 * if that took longer than the hang guard.
 */
static inline bool stress_wait_goroutines(int want)
{
	int64_t deadline = stress_mono_ns() + STRESS_STUCK_NS;

	while (rt_num_goroutine() > want) {
		if (stress_mono_ns() > deadline)
			return false;
		rt_sleep(1000 * 1000);
	}
	return true;
}

/* stress_join: a WaitGroup for the goroutines a mix starts. */
static inline void stress_go(rt_waitgroup *wg, rt_func fn, void *arg)
{
	rt_waitgroup_add(wg, 1);
	rt_go(fn, arg);
}

/* ======================================================================== */
/* 1. goroutines alive at once                                              */
/* ======================================================================== */

struct stress_goroutines_result {
	long started;	   /* goroutines started */
	int base;	   /* rt_num_goroutine before */
	int peak;	   /* rt_num_goroutine with all of them parked */
	long gopark_kind;  /* of which parked in rt_gopark directly */
	long peak_rss_kib; /* VmRSS with all of them parked */
	int64_t ns;	   /* wall time */
};

struct stress_goroutines_state {
	rt_chan *start;	       /* closed to release the channel third */
	rt_waitgroup gate;     /* Done once to release the WaitGroup third */
	rt_waitgroup arrived;  /* each goroutine, before it blocks */
	rt_waitgroup finished; /* each goroutine, after it ran */
	_Atomic uintptr_t *gs; /* rt_gopark third: the parked G, by index */
	atomic_long parked;    /* rt_gopark third: unlockf committed */
	atomic_long ran_total; /* */
	unsigned char *ran;    /* times each goroutine ran past its block */
};

/* stress_park_commit publishes the parked G (the unlockf runs once it is
 * off its stack, so main may ready it from then on). */
static inline bool stress_park_commit(rt_g *gp, void *slot)
{
	atomic_store((_Atomic uintptr_t *)slot, (uintptr_t)gp);
	return true;
}

/*
 * Each goroutine's argument is its index; the state reaches it through
 * stress_gst (one stress_goroutines at a time per process), which also
 * keeps the state, a GC heap object, reachable from the data segment.
 */
static struct stress_goroutines_state *_Atomic stress_gst;

static void stress_goroutine(void *arg)
{
	long i = (long)(intptr_t)arg;
	struct stress_goroutines_state *st = atomic_load(&stress_gst);

	rt_waitgroup_done(&st->arrived);
	switch (i % 3) {
	case 0:
		RT_CHAN_RANGE(st->start, NULL);
		break;
	case 1:
		rt_waitgroup_wait(&st->gate);
		break;
	default:
		atomic_fetch_add(&st->parked, 1);
		rt_gopark(stress_park_commit, (void *)&st->gs[i / 3],
			  RT_WAIT_SEMACQUIRE);
		break;
	}
	st->ran[i]++;
	atomic_fetch_add(&st->ran_total, 1);
	rt_waitgroup_done(&st->finished);
}

/*
 * stress_goroutines: n goroutines alive and parked at once, then released;
 * each runs exactly once past its block and rt_num_goroutine sees all of
 * them at the peak (that it falls back is for a caller running it alone
 * to check: other mixes' goroutines come and go). One at a time per
 * process (the state is shared through stress_gst).
 */
static inline void stress_goroutines(long n, struct stress_goroutines_result *r)
{
	static rt_mutex one_at_a_time;
	int64_t t0 = stress_mono_ns(), deadline;
	long ngopark = n / 3, missing = 0, twice = 0;
	struct stress_goroutines_state *st;

	rt_mutex_lock(&one_at_a_time);
	memset(r, 0, sizeof(*r));
	st = rt_mallocgc(sizeof(*st), 0);
	st->start = rt_chan_make(0, 0);
	st->gs = calloc((size_t)ngopark + 1, sizeof(*st->gs));
	st->ran = calloc((size_t)n, 1);
	STRESS_CHECK(st->gs != NULL && st->ran != NULL, "out of memory for %ld",
		     n);
	if (st->gs == NULL || st->ran == NULL)
		goto out;
	atomic_store(&stress_gst, st);
	rt_waitgroup_add(&st->gate, 1);
	rt_waitgroup_add(&st->arrived, (int)n);
	rt_waitgroup_add(&st->finished, (int)n);
	r->base = rt_num_goroutine();
	for (long i = 0; i < n; i++)
		rt_go(stress_goroutine, (void *)(intptr_t)i);
	r->started = n;
	rt_waitgroup_wait(&st->arrived);
	/* Every goroutine is past its Done and none can have passed its
	 * block: all n are alive. The rt_gopark third is known parked once
	 * its unlockf ran; wait for that. */
	deadline = stress_mono_ns() + STRESS_STUCK_NS;
	for (long i = 0; i < ngopark; i++)
		while (atomic_load(&st->gs[i]) == 0) {
			if (stress_mono_ns() > deadline) {
				STRESS_CHECK(false,
					     "goroutine %ld of the rt_gopark "
					     "third never parked",
					     i * 3 + 2);
				goto out;
			}
			rt_sleep(1000 * 1000);
		}
	r->peak = rt_num_goroutine();
	r->peak_rss_kib = stress_status_kib("VmRSS");
	r->gopark_kind = ngopark;
	/* n parked and the caller; other mixes' goroutines come and go */
	STRESS_CHECK(r->peak >= n + 1,
		     "rt_num_goroutine()=%d with %ld goroutines parked (%d "
		     "before)",
		     r->peak, n, r->base);
	STRESS_CHECK(atomic_load(&st->ran_total) == 0,
		     "%ld goroutines ran past their block before release",
		     atomic_load(&st->ran_total));
	rt_chan_close(st->start);
	rt_waitgroup_done(&st->gate);
	for (long i = 0; i < ngopark; i++)
		rt_goready((rt_g *)atomic_load(&st->gs[i]));
	rt_waitgroup_wait(&st->finished);
	for (long i = 0; i < n; i++) {
		missing += st->ran[i] == 0;
		twice += st->ran[i] > 1;
	}
	STRESS_CHECK(missing == 0 && twice == 0,
		     "of %ld goroutines %ld never ran past their block and %ld "
		     "ran more than once",
		     n, missing, twice);
out:
	atomic_store(&stress_gst, NULL);
	free(st->gs);
	free(st->ran);
	r->ns = stress_mono_ns() - t0;
	rt_mutex_unlock(&one_at_a_time);
}

/* ======================================================================== */
/* 2. channels and selects                                                  */
/* ======================================================================== */

struct stress_channels_result {
	long sent;	       /* values sent */
	long received;	       /* values received */
	long select_sends;     /* of the sends, through a select */
	long plain_sends;      /* through rt_chan_send */
	long blocking_selects; /* receivers' blocking selects over all */
	int64_t ns;
};

struct stress_chan_state {
	rt_chan **chans;	      /* GC heap array of nchan channels */
	int nchan;		      /* */
	int nsend, nrecv;	      /* */
	long values;		      /* */
	long per_sender;	      /* */
	_Atomic uint64_t *seen;	      /* bitmap of received values (calloc) */
	atomic_long received;	      /* */
	atomic_long dup;	      /* duplicates found */
	atomic_long corrupt;	      /* values failing their check word */
	atomic_long select_sends;     /* */
	atomic_long plain_sends;      /* */
	atomic_long blocking_selects; /* receivers' selects over all theirs */
	atomic_int next_sender;	      /* ids, taken as each starts */
	atomic_int next_receiver;     /* */
	rt_waitgroup senders;	      /* */
	rt_waitgroup receivers;	      /* */
};

/* A value: the index in the low 32 bits, a check word of it above. */
static inline uint64_t stress_chan_value(uint64_t idx)
{
	return idx | (stress_mix(idx) & 0xffffffff00000000ULL);
}

static inline uint32_t stress_chan_receiver(const struct stress_chan_state *st,
					    uint64_t idx)
{
	return (uint32_t)(stress_mix(idx ^ 0x5555) % (uint64_t)st->nrecv);
}

/* Channel j belongs to receiver j % nrecv; k picks one of its channels. */
static inline rt_chan *stress_chan_of(const struct stress_chan_state *st,
				      uint32_t r, uint64_t k)
{
	int per = st->nchan / st->nrecv;
	return st->chans[r + (uint64_t)st->nrecv * (k % (uint64_t)per)];
}

#define STRESS_CHAN_GROUP 4

static void stress_chan_sender(void *arg)
{
	struct stress_chan_state *st = arg;
	int s = atomic_fetch_add(&st->next_sender, 1);
	uint64_t rng = stress_mix((uint64_t)s + 1), nsel = 0, nplain = 0;

	for (long k = 0; k < st->per_sender; k++) {
		uint64_t idx = (uint64_t)s + (uint64_t)k * (uint64_t)st->nsend;
		uint64_t v = stress_chan_value(idx);
		uint32_t r = stress_chan_receiver(st, idx);
		uint64_t pick = stress_rand(&rng);

		if ((pick & 3) == 3) {
			rt_chan_send(stress_chan_of(st, r, pick >> 8), &v);
			nplain++;
		} else {
			struct rt_select_case cases[2] = {
			    {stress_chan_of(st, r, pick >> 8), RT_SELECT_SEND,
			     &v, NULL},
			    {stress_chan_of(st, r, pick >> 32), RT_SELECT_SEND,
			     &v, NULL},
			};
			int i = rt_select(cases, 2, false);
			STRESS_CHECK(i == 0 || i == 1, "select returned %d", i);
			nsel++;
		}
	}
	atomic_fetch_add(&st->select_sends, (long)nsel);
	atomic_fetch_add(&st->plain_sends, (long)nplain);
	rt_waitgroup_done(&st->senders);
}

static void stress_chan_receiver_g(void *arg)
{
	struct stress_chan_state *st = arg;
	int r = atomic_fetch_add(&st->next_receiver, 1);
	int per = st->nchan / st->nrecv, open = per;
	uint64_t v;
	bool ok;
	long got = 0, blocking = 0;
	struct rt_select_case *cases =
	    rt_mallocgc((size_t)per * sizeof(*cases), 0);

	for (int k = 0; k < per; k++)
		cases[k] = (struct rt_select_case){st->chans[r + st->nrecv * k],
						   RT_SELECT_RECV, &v, &ok};
	/*
	 * Poll one group of (up to) STRESS_CHAN_GROUP channels at a time
	 * with a non-blocking select, moving on when it has nothing; after a
	 * round of groups with nothing, block in a select over all of them.
	 * The groups are slices of cases, so a closed channel's nil case is
	 * seen by both.
	 */
	int group = 0, misses = 0,
	    ngroups = (per + STRESS_CHAN_GROUP - 1) / STRESS_CHAN_GROUP;
	while (open > 0) {
		int lo = group * STRESS_CHAN_GROUP, i;
		int n =
		    per - lo < STRESS_CHAN_GROUP ? per - lo : STRESS_CHAN_GROUP;

		if (misses < ngroups) {
			i = rt_select(cases + lo, n, true);
			if (i < 0) {
				group = (group + 1) % ngroups;
				misses++;
				continue;
			}
			i += lo;
		} else {
			i = rt_select(cases, per, false);
			blocking++;
		}
		misses = 0;
		if (i < 0 || i >= per) {
			STRESS_CHECK(false, "select returned %d", i);
			break;
		}
		if (!ok) {
			/* closed and drained: a nil case, never ready */
			cases[i].c = NULL;
			open--;
			continue;
		}
		uint64_t idx = v & 0xffffffffULL;
		if (idx >= (uint64_t)st->values ||
		    v != stress_chan_value(idx) ||
		    stress_chan_receiver(st, idx) != (uint32_t)r) {
			if (atomic_fetch_add(&st->corrupt, 1) == 0)
				STRESS_CHECK(false,
					     "receiver %d got 0x%016" PRIx64
					     ": not a value sent to it",
					     r, v);
			continue;
		}
		uint64_t bit = 1ULL << (idx & 63);
		if (atomic_fetch_or(&st->seen[idx / 64], bit) & bit) {
			if (atomic_fetch_add(&st->dup, 1) == 0)
				STRESS_CHECK(false,
					     "value %" PRIu64
					     " received twice (receiver %d)",
					     idx, r);
		}
		got++;
	}
	atomic_fetch_add(&st->received, got);
	atomic_fetch_add(&st->blocking_selects, blocking);
	rt_waitgroup_done(&st->receivers);
}

/*
 * stress_channels: nchan channels (one in 16 unbuffered, the rest with 1
 * to 15 slots), ngor goroutines (half senders, half receivers), values
 * values. Receiver r owns channels r, r + R, r + 2R…, and selects over
 * them (see the receiver); a value goes to the receiver its index hashes to,
 * through a select of two of that receiver's channels (three in four) or a
 * plain send. Once the senders are done every channel is closed; a receiver
 * drains each (a closed channel delivers what it buffered first) and
 * stops when all of its are closed and empty.
 */
static inline void stress_channels(int nchan, int ngor, long values,
				   struct stress_channels_result *r)
{
	int64_t t0 = stress_mono_ns();
	struct stress_chan_state *st = rt_mallocgc(sizeof(*st), 0);
	long lost = 0;

	memset(r, 0, sizeof(*r));
	st->nsend = ngor / 2;
	st->nrecv = ngor - st->nsend;
	if (nchan < st->nrecv)
		nchan = st->nrecv;
	nchan -= nchan % st->nrecv;
	st->nchan = nchan;
	st->per_sender = values / st->nsend;
	st->values = st->per_sender * st->nsend;
	st->chans = rt_mallocgc((size_t)nchan * sizeof(rt_chan *), 0);
	st->seen = calloc((size_t)(st->values + 63) / 64, sizeof(uint64_t));
	STRESS_CHECK(st->seen != NULL, "out of memory for the bitmap");
	if (st->seen == NULL)
		return;
	for (int j = 0; j < nchan; j++)
		st->chans[j] = rt_chan_make(
		    sizeof(uint64_t), j % 16 == 0 ? 0 : (size_t)(j % 15) + 1);
	rt_waitgroup_add(&st->senders, st->nsend);
	rt_waitgroup_add(&st->receivers, st->nrecv);
	for (int i = 0; i < st->nrecv; i++)
		rt_go(stress_chan_receiver_g, st);
	for (int i = 0; i < st->nsend; i++)
		rt_go(stress_chan_sender, st);
	rt_waitgroup_wait(&st->senders);
	for (int j = 0; j < nchan; j++)
		rt_chan_close(st->chans[j]);
	rt_waitgroup_wait(&st->receivers);
	for (long w = 0; w < (st->values + 63) / 64; w++) {
		uint64_t want = w < st->values / 64
				    ? ~0ULL
				    : (1ULL << (st->values % 64)) - 1;
		lost += __builtin_popcountll(want & ~atomic_load(&st->seen[w]));
	}
	r->sent = st->values;
	r->received = atomic_load(&st->received);
	r->select_sends = atomic_load(&st->select_sends);
	r->plain_sends = atomic_load(&st->plain_sends);
	r->blocking_selects = atomic_load(&st->blocking_selects);
	STRESS_CHECK(lost == 0 && r->received == st->values,
		     "%ld values sent, %ld received, %ld never received, %ld "
		     "received twice, %ld corrupt",
		     st->values, r->received, lost, atomic_load(&st->dup),
		     atomic_load(&st->corrupt));
	STRESS_CHECK(r->select_sends + r->plain_sends == st->values,
		     "senders report %ld + %ld sends for %ld values",
		     r->select_sends, r->plain_sends, st->values);
	free((void *)st->seen);
	r->ns = stress_mono_ns() - t0;
}

/* ======================================================================== */
/* 3. GC under churn, every live object's checksum verified after cycles    */
/* ======================================================================== */

/*
 * A node: a scanned object of mixed size (header + 0 to ~4 KiB of inline
 * payload) linking the next node of its structure and, usually, a NOSCAN
 * blob (8 bytes to 32 KiB, or a large object over 32 KiB). hcheck guards
 * the header (a stray write to it would send the walk astray); sum is a
 * checksum of the inline payload and the blob, computed from what was
 * written.
 */
struct stress_node {
	struct stress_node *next; /* same structure, or NULL */
	uint64_t *blob;		  /* NOSCAN, blob_words words, or NULL */
	uint32_t inline_words;	  /* payload[] length */
	uint32_t blob_words;	  /* */
	uint64_t seed;		  /* the payload's source */
	uint64_t hcheck;	  /* check of the four fields above */
	uint64_t sum;		  /* checksum of payload[] and blob */
	uint64_t payload[];	  /* */
};

static inline uint64_t stress_node_hcheck(const struct stress_node *nd)
{
	return stress_mix(nd->seed ^ ((uint64_t)nd->inline_words << 32) ^
			  nd->blob_words ^ (uint64_t)(uintptr_t)nd->blob);
}

static inline uint64_t stress_sum(uint64_t h, const uint64_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ w[i]) * 0x100000001B3ULL + (h >> 29);
	return h;
}

static inline uint64_t stress_node_sum(const struct stress_node *nd)
{
	uint64_t h =
	    stress_sum(0xCBF29CE484222325ULL, nd->payload, nd->inline_words);
	return nd->blob != NULL ? stress_sum(h, nd->blob, nd->blob_words) : h;
}

/* stress_blob_words picks a blob size: none, small, up to 32 KiB, or a
 * large object (32 KiB to 128 KiB), so every size class is churned. */
static inline uint32_t stress_blob_words(uint64_t *rng)
{
	uint64_t k = stress_randn(rng, 100);

	if (k < 20)
		return 0;
	if (k < 70)
		return 1 + (uint32_t)stress_randn(rng, 128);
	if (k < 97)
		return 1 + (uint32_t)stress_randn(rng, 4096);
	return 4097 + (uint32_t)stress_randn(rng, 12288);
}

static inline struct stress_node *stress_node_new(uint64_t *rng,
						  struct stress_node *next)
{
	uint32_t inl = stress_randn(rng, 4) == 0
			   ? (uint32_t)stress_randn(rng, 512)
			   : (uint32_t)stress_randn(rng, 32);
	uint32_t bw = stress_blob_words(rng);
	struct stress_node *nd =
	    rt_mallocgc(sizeof(*nd) + (size_t)inl * sizeof(uint64_t), 0);
	uint64_t seed = stress_rand(rng);

	nd->next = next;
	nd->inline_words = inl;
	nd->blob_words = bw;
	nd->seed = seed;
	for (uint32_t i = 0; i < inl; i++)
		nd->payload[i] = stress_mix(seed + i);
	if (bw != 0) {
		nd->blob = rt_mallocgc((size_t)bw * sizeof(uint64_t),
				       RT_MALLOC_NOSCAN);
		for (uint32_t i = 0; i < bw; i++)
			nd->blob[i] = stress_mix(~seed + i);
	}
	nd->hcheck = stress_node_hcheck(nd);
	nd->sum = stress_node_sum(nd);
	return nd;
}

struct stress_gc_state {
	struct stress_node ***slots; /* per mutator, gc_slots structures */
	int mutators;		     /* */
	int nslots;		     /* */
	_Atomic uint64_t *verified;  /* per mutator: last cycle verified */
	atomic_long verifications;   /* live-set walks */
	atomic_long objects;	     /* nodes verified */
	atomic_long bytes;	     /* payload bytes verified */
	atomic_long allocated;	     /* nodes allocated */
	atomic_bool stop;	     /* */
	atomic_int next_id;	     /* */
	rt_waitgroup done;	     /* */
};

/* stress_gc_verify walks mutator m's live set; false on a bad object. */
static inline bool stress_gc_verify(struct stress_gc_state *st, int m,
				    uint64_t cycle)
{
	struct stress_node **slots = st->slots[m];
	long objects = 0, bytes = 0;

	for (int s = 0; s < st->nslots; s++) {
		int depth = 0;

		for (struct stress_node *nd = slots[s]; nd != NULL;
		     nd = nd->next, depth++) {
			if (nd->hcheck != stress_node_hcheck(nd)) {
				STRESS_CHECK(false,
					     "after GC cycle %" PRIu64
					     ": mutator %d slot %d node %d at "
					     "%p: header overwritten (freed "
					     "and reused while reachable?)",
					     cycle, m, s, depth, (void *)nd);
				return false;
			}
			uint64_t sum = stress_node_sum(nd);
			if (sum != nd->sum) {
				STRESS_CHECK(false,
					     "after GC cycle %" PRIu64
					     ": mutator %d slot %d node %d at "
					     "%p (blob %p, %u words): checksum "
					     "0x%016" PRIx64
					     ", stored 0x%016" PRIx64
					     " (freed and reused while "
					     "reachable?)",
					     cycle, m, s, depth, (void *)nd,
					     (void *)nd->blob, nd->blob_words,
					     sum, nd->sum);
				return false;
			}
			objects += 1 + (nd->blob != NULL);
			bytes += (long)(nd->inline_words + nd->blob_words) * 8;
		}
	}
	atomic_fetch_add(&st->verifications, 1);
	atomic_fetch_add(&st->objects, objects);
	atomic_fetch_add(&st->bytes, bytes);
	return true;
}

static void stress_gc_mutator(void *arg)
{
	struct stress_gc_state *st = arg;
	int m = atomic_fetch_add(&st->next_id, 1);
	uint64_t rng = stress_mix((uint64_t)m + 77);
	struct stress_node **slots = st->slots[m];
	long allocated = 0;
	bool good = true;

	while (good && !atomic_load(&st->stop)) {
		uint64_t cycle = stress_gc_cycles();

		if (cycle != atomic_load(&st->verified[m])) {
			good = stress_gc_verify(st, m, cycle);
			atomic_store(&st->verified[m], cycle);
		}
		int s = (int)stress_randn(&rng, (uint64_t)st->nslots);
		if (stress_randn(&rng, 8) == 0) {
			slots[s] = NULL; /* dropped: garbage */
			continue;
		}
		struct stress_node *head = NULL;
		int len = 1 + (int)stress_randn(&rng, 8);
		for (int i = 0; i < len; i++)
			head = stress_node_new(&rng, head);
		allocated += len;
		slots[s] = head; /* the old structure becomes garbage */
	}
	if (good)
		stress_gc_verify(st, m, stress_gc_cycles());
	atomic_fetch_add(&st->allocated, allocated);
	rt_waitgroup_done(&st->done);
}

struct stress_gc_result {
	uint64_t cycles;    /* GC cycles completed during the mix */
	int forced;	    /* of which forced, each verified by all */
	long verifications; /* live-set walks */
	long objects;	    /* objects verified, summed over walks */
	long bytes;	    /* payload bytes verified */
	long allocated;	    /* nodes allocated */
	int64_t ns;
};

/*
 * stress_gc_churn: mutators churn their live sets while main forces
 * forced cycles (heap-goal cycles come on their own); after each forced
 * cycle main waits until every mutator has walked its live set, so every
 * forced cycle is verified by all of them.
 */
static inline void stress_gc_churn(int mutators, int nslots, int forced,
				   struct stress_gc_result *r)
{
	int64_t t0 = stress_mono_ns();
	uint64_t c0 = stress_gc_cycles();
	struct stress_gc_state *st = rt_mallocgc(sizeof(*st), 0);

	memset(r, 0, sizeof(*r));
	st->mutators = mutators;
	st->nslots = nslots;
	st->slots = rt_mallocgc((size_t)mutators * sizeof(*st->slots), 0);
	st->verified = calloc((size_t)mutators, sizeof(*st->verified));
	STRESS_CHECK(st->verified != NULL, "out of memory");
	if (st->verified == NULL)
		return;
	for (int m = 0; m < mutators; m++) {
		st->slots[m] =
		    rt_mallocgc((size_t)nslots * sizeof(**st->slots), 0);
		atomic_store(&st->verified[m], c0);
	}
	rt_waitgroup_add(&st->done, mutators);
	for (int m = 0; m < mutators; m++)
		rt_go(stress_gc_mutator, st);
	for (int f = 0; f < forced && stress_ok(); f++) {
		rt_sleep(5 * 1000 * 1000);
		rt_gc();
		uint64_t c = stress_gc_cycles();
		int64_t deadline = stress_mono_ns() + STRESS_STUCK_NS;
		for (int m = 0; m < mutators && stress_ok(); m++)
			while (atomic_load(&st->verified[m]) < c &&
			       stress_ok()) {
				if (stress_mono_ns() > deadline) {
					STRESS_CHECK(
					    false,
					    "mutator %d never verified "
					    "cycle %" PRIu64,
					    m, c);
					break;
				}
				rt_sleep(200 * 1000);
			}
		r->forced++;
	}
	atomic_store(&st->stop, true);
	rt_waitgroup_wait(&st->done);
	/* one more cycle with the mutators gone, verified from here */
	rt_gc();
	for (int m = 0; m < mutators && stress_ok(); m++)
		stress_gc_verify(st, m, stress_gc_cycles());
	r->cycles = stress_gc_cycles() - c0;
	r->verifications = atomic_load(&st->verifications);
	r->objects = atomic_load(&st->objects);
	r->bytes = atomic_load(&st->bytes);
	r->allocated = atomic_load(&st->allocated);
	STRESS_CHECK(r->cycles >= (uint64_t)forced,
		     "%" PRIu64 " GC cycles for %d forced", r->cycles, forced);
	free((void *)st->verified);
	r->ns = stress_mono_ns() - t0;
}

/* ======================================================================== */
/* 4. timers: pending at once, random stops and resets                      */
/* ======================================================================== */

/*
 * time.Timer's contract, for an AfterFunc timer: each arm (creation or
 * Reset) makes one call of its function, unless a later Stop or Reset
 * returns true — it took the timer out before it fired, so the call never
 * happens. So per timer: fires = arms - (Stops and Resets that returned
 * true). Stop on a timer just created with a long duration must return
 * true; a second Stop must return false.
 */
enum {
	STRESS_TIMER_STOP,	/* Stop at once (true), Stop again (false) */
	STRESS_TIMER_RESET,	/* Reset to 0-20 ms (true) */
	STRESS_TIMER_RESET_NOW, /* Reset to 0: due at once (true) */
	STRESS_TIMER_KEEP,	/* stays pending, stopped at the end (true) */
	STRESS_TIMER_RACE,	/* Reset short, then Stop/Reset as it fires */
};

#define STRESS_TIMER_LONG_NS (3600LL * 1000 * 1000 * 1000)

struct stress_timer_state {
	rt_timer **timers;	 /* GC heap array */
	long n;			 /* */
	int owners;		 /* each owns i % owners == its id */
	_Atomic uint8_t *fires;	 /* calls of the timer's function */
	uint8_t *arms;		 /* creation + Resets (owner only) */
	uint8_t *prevented;	 /* Stops/Resets that returned true */
	atomic_long fires_total; /* */
	atomic_long stops_true;	 /* */
	atomic_long resets;	 /* */
	atomic_long races_won;	 /* racing Stops/Resets that returned true */
	atomic_long races;	 /* */
	atomic_int next_id;	 /* */
	rt_chan *gate;		 /* closed once all are pending */
	rt_waitgroup created;	 /* */
	rt_waitgroup done;	 /* */
};

static struct stress_timer_state *_Atomic stress_tst;

static void stress_timer_fire(void *arg)
{
	struct stress_timer_state *st = atomic_load(&stress_tst);
	long i = (long)(intptr_t)arg;

	if (st == NULL) {
		STRESS_CHECK(st != NULL, "timer %ld fired after its mix ended",
			     i);
		return;
	}
	atomic_fetch_add(&st->fires[i], 1);
	atomic_fetch_add(&st->fires_total, 1);
}

static inline int64_t stress_timer_short(uint64_t *rng)
{
	return (int64_t)stress_randn(rng, 20 * 1000 * 1000);
}

static void stress_timer_owner(void *arg)
{
	struct stress_timer_state *st = arg;
	int o = atomic_fetch_add(&st->next_id, 1);
	uint64_t rng = stress_mix((uint64_t)o + 991);
	long stops = 0, resets = 0, races = 0, won = 0;

	for (long i = o; i < st->n; i += st->owners) {
		st->timers[i] =
		    rt_after_func(STRESS_TIMER_LONG_NS, stress_timer_fire,
				  (void *)(intptr_t)i);
		st->arms[i] = 1;
	}
	rt_waitgroup_done(&st->created);
	RT_CHAN_RANGE(st->gate, NULL);
	for (long i = o; i < st->n; i += st->owners) {
		rt_timer *t = st->timers[i];
		switch (stress_mix((uint64_t)i) % 5) {
		case STRESS_TIMER_STOP:
			STRESS_CHECK(rt_timer_stop(t),
				     "Stop of pending timer %ld returned false",
				     i);
			STRESS_CHECK(!rt_timer_stop(t),
				     "second Stop of timer %ld returned true",
				     i);
			st->prevented[i]++;
			stops++;
			break;
		case STRESS_TIMER_RESET:
		case STRESS_TIMER_RACE:
			STRESS_CHECK(
			    rt_timer_reset(t, stress_timer_short(&rng)),
			    "Reset of pending timer %ld returned "
			    "false",
			    i);
			st->prevented[i]++;
			st->arms[i]++;
			resets++;
			break;
		case STRESS_TIMER_RESET_NOW:
			STRESS_CHECK(rt_timer_reset(t, 0),
				     "Reset of pending timer %ld returned "
				     "false",
				     i);
			st->prevented[i]++;
			st->arms[i]++;
			resets++;
			break;
		default:
			break;
		}
	}
	/* Race: Stop or Reset the RACE timers while they come due. */
	rt_sleep(stress_timer_short(&rng) / 2);
	for (long i = o; i < st->n; i += st->owners) {
		rt_timer *t = st->timers[i];
		bool was;

		if (stress_mix((uint64_t)i) % 5 != STRESS_TIMER_RACE)
			continue;
		if (stress_randn(&rng, 2) == 0) {
			was = rt_timer_stop(t);
		} else {
			was = rt_timer_reset(t, stress_timer_short(&rng));
			st->arms[i]++;
			resets++;
		}
		st->prevented[i] += was;
		won += was;
		races++;
	}
	for (long i = o; i < st->n; i += st->owners)
		if (stress_mix((uint64_t)i) % 5 == STRESS_TIMER_KEEP) {
			STRESS_CHECK(rt_timer_stop(st->timers[i]),
				     "Stop of timer %ld, pending for an hour, "
				     "returned false",
				     i);
			st->prevented[i]++;
			stops++;
		}
	atomic_fetch_add(&st->stops_true, stops);
	atomic_fetch_add(&st->resets, resets);
	atomic_fetch_add(&st->races, races);
	atomic_fetch_add(&st->races_won, won);
	rt_waitgroup_done(&st->done);
}

struct stress_timers_result {
	long timers;	  /* created */
	size_t peak_heap; /* rt_timer_heap_len with all of them pending */
	long fired;	  /* calls of timer functions */
	long expected;	  /* arms - prevented, summed */
	long stopped;	  /* Stops that returned true (not racing) */
	long resets;	  /* Resets */
	long races;	  /* Stop/Reset racing the fire */
	long races_won;	  /* of which returned true */
	int64_t ns;
};

/*
 * stress_timers: n AfterFunc timers, all pending at once (an hour away),
 * then per timer one of: Stop, Reset to 0-20 ms, Reset to 0, left pending
 * (stopped at the end), or Reset then a Stop or Reset racing its fire.
 * Once every timer has fired or been stopped — each Stop now returns
 * false — each timer's calls must equal its arms minus the Stops and
 * Resets that returned true. One at a time per process.
 */
static inline void stress_timers(long n, struct stress_timers_result *r)
{
	static rt_mutex one_at_a_time;
	int64_t t0 = stress_mono_ns(), deadline;
	int owners = n >= 64 * 64 ? 64 : 1;
	struct stress_timer_state *st;
	long expected = 0, wrong = 0, first_wrong = -1;

	rt_mutex_lock(&one_at_a_time);
	memset(r, 0, sizeof(*r));
	st = rt_mallocgc(sizeof(*st), 0);
	st->n = n;
	st->owners = owners;
	st->timers = rt_mallocgc((size_t)n * sizeof(rt_timer *), 0);
	st->fires = calloc((size_t)n, 1);
	st->arms = calloc((size_t)n, 1);
	st->prevented = calloc((size_t)n, 1);
	st->gate = rt_chan_make(0, 0);
	STRESS_CHECK(st->fires && st->arms && st->prevented, "out of memory");
	if (!st->fires || !st->arms || !st->prevented)
		goto out;
	atomic_store(&stress_tst, st);
	rt_waitgroup_add(&st->created, owners);
	rt_waitgroup_add(&st->done, owners);
	for (int o = 0; o < owners; o++)
		rt_go(stress_timer_owner, st);
	rt_waitgroup_wait(&st->created);
	r->peak_heap = rt_timer_heap_len();
	r->timers = n;
	STRESS_CHECK(r->peak_heap >= (size_t)n,
		     "%zu timers in the heaps with %ld pending", r->peak_heap,
		     n);
	rt_chan_close(st->gate);
	rt_waitgroup_wait(&st->done);
	for (long i = 0; i < n; i++)
		expected += (long)st->arms[i] - (long)st->prevented[i];
	deadline = stress_mono_ns() + STRESS_STUCK_NS;
	while (atomic_load(&st->fires_total) < expected) {
		if (stress_mono_ns() > deadline) {
			STRESS_CHECK(false,
				     "%ld timer calls of %ld expected after "
				     "the hang guard",
				     atomic_load(&st->fires_total), expected);
			goto out;
		}
		rt_sleep(1000 * 1000);
	}
	/* Nothing is pending any more: every Stop returns false. */
	for (long i = 0; i < n; i++)
		STRESS_CHECK(!rt_timer_stop(st->timers[i]),
			     "timer %ld still pending after all fired", i);
	/* Give a wrongly fired call, already started, time to show. */
	rt_sleep(20 * 1000 * 1000);
	for (long i = 0; i < n; i++) {
		long want = (long)st->arms[i] - (long)st->prevented[i];
		if (atomic_load(&st->fires[i]) != want) {
			if (first_wrong < 0)
				first_wrong = i;
			wrong++;
		}
	}
	STRESS_CHECK(
	    wrong == 0,
	    "%ld timers fired a wrong number of times; timer %ld: "
	    "%d calls, %d arms, %d Stops/Resets returned true",
	    wrong, first_wrong,
	    first_wrong < 0 ? 0 : (int)atomic_load(&st->fires[first_wrong]),
	    first_wrong < 0 ? 0 : st->arms[first_wrong],
	    first_wrong < 0 ? 0 : st->prevented[first_wrong]);
	r->fired = atomic_load(&st->fires_total);
	r->expected = expected;
	r->stopped = atomic_load(&st->stops_true);
	r->resets = atomic_load(&st->resets);
	r->races = atomic_load(&st->races);
	r->races_won = atomic_load(&st->races_won);
	STRESS_CHECK(r->fired == expected, "%ld timer calls, %ld expected",
		     r->fired, expected);
out:
	atomic_store(&stress_tst, NULL);
	free((void *)st->fires);
	free(st->arms);
	free(st->prevented);
	r->ns = stress_mono_ns() - t0;
	rt_mutex_unlock(&one_at_a_time);
}

/* ======================================================================== */
/* 5. LockOSThread, system calls and preemption                             */
/* ======================================================================== */

struct stress_sched_state {
	int rounds;		    /* */
	atomic_bool stop_spin;	    /* */
	atomic_long spin_iters;	    /* summed over spinners once stopped */
	atomic_long locked_rounds;  /* */
	atomic_long syscall_rounds; /* */
	atomic_long pipe_bytes;	    /* read back in order */
	atomic_int locked_exits;    /* lockers that exited while locked */
	int pipefd[2];		    /* */
	rt_waitgroup spinners;	    /* */
	rt_waitgroup workers;	    /* */
};

/*
 * stress_spinner never calls the runtime: on the Ps it holds, only
 * sysmon's SIGURG (asynchronous preemption) lets anything else run.
 */
static void stress_spinner(void *arg)
{
	struct stress_sched_state *st = arg;
	uint64_t x = 0;

	while (!atomic_load_explicit(&st->stop_spin, memory_order_relaxed)) {
		rtt_burn(1000);
		x++;
	}
	atomic_fetch_add(&st->spin_iters, (long)x);
	rt_waitgroup_done(&st->spinners);
}

struct stress_echo {
	rt_chan *in, *out;
};

/* stress_echo_g sends back what it receives until in is closed. */
static void stress_echo_g(void *arg)
{
	struct stress_echo *e = arg;
	uint64_t v;

	RT_CHAN_RANGE(e->in, &v)
	{
		v++;
		rt_chan_send(e->out, &v);
	}
}

/*
 * stress_locker: LockOSThread (twice, nested), then rounds of sleeping,
 * yielding, a blocking syscall and a channel round trip with an unlocked
 * goroutine; after each the goroutine must still be on its thread. Odd
 * lockers end while locked, which takes their thread with them.
 */
static void stress_locker(void *arg)
{
	struct stress_sched_state *st = arg;
	static atomic_int next;
	int id = atomic_fetch_add(&next, 1);
	struct stress_echo *e = rt_mallocgc(sizeof(*e), 0);
	uint64_t v = 0;
	int tid;

	e->in = rt_chan_make(sizeof(uint64_t), 0);
	e->out = rt_chan_make(sizeof(uint64_t), 0);
	rt_go(stress_echo_g, e);
	rt_lock_os_thread();
	rt_lock_os_thread();
	tid = rt_thread_id();
	for (int i = 0; i < st->rounds; i++) {
		rt_sleep(100 * 1000);
		STRESS_CHECK(rt_thread_id() == tid,
			     "locked goroutine moved from thread %d to %d "
			     "after a sleep",
			     tid, rt_thread_id());
		rt_gosched();
		STRESS_CHECK(rt_thread_id() == tid,
			     "locked goroutine moved from thread %d to %d "
			     "after Gosched",
			     tid, rt_thread_id());
		rt_entersyscall();
		usleep(50);
		rt_exitsyscall();
		STRESS_CHECK(rt_thread_id() == tid,
			     "locked goroutine moved from thread %d to %d "
			     "after a syscall",
			     tid, rt_thread_id());
		uint64_t sent = v;
		rt_chan_send(e->in, &v);
		rt_chan_recv(e->out, &v);
		STRESS_CHECK(v == sent + 1 && rt_thread_id() == tid,
			     "round trip: sent %" PRIu64 " got %" PRIu64
			     ", thread %d then %d",
			     sent, v, tid, rt_thread_id());
		atomic_fetch_add(&st->locked_rounds, 1);
	}
	rt_chan_close(e->in);
	rt_unlock_os_thread();
	if (id % 2 == 0)
		rt_unlock_os_thread();
	else
		atomic_fetch_add(&st->locked_exits, 1);
	rt_waitgroup_done(&st->workers);
}

/* stress_syscaller: rounds of nanosleep inside entersyscall/exitsyscall. */
static void stress_syscaller(void *arg)
{
	struct stress_sched_state *st = arg;

	for (int i = 0; i < st->rounds; i++) {
		struct timespec ts = {0, 200 * 1000};

		rt_entersyscall();
		nanosleep(&ts, NULL);
		rt_exitsyscall();
		atomic_fetch_add(&st->syscall_rounds, 1);
	}
	rt_waitgroup_done(&st->workers);
}

/* The pipe's reader blocks in read(2) until the writer, another
 * goroutine, gets a P to run on: only a P handed off or retaken from the
 * reader's syscall, or a preempted spinner, gives it one. */
static void stress_pipe_reader(void *arg)
{
	struct stress_sched_state *st = arg;
	long n = (long)st->rounds * 16;

	for (long i = 0; i < n; i++) {
		unsigned char b;
		ssize_t got;

		rt_entersyscall();
		do
			got = read(st->pipefd[0], &b, 1);
		while (got < 0 && errno == EINTR);
		rt_exitsyscall();
		if (got != 1 || b != (unsigned char)i) {
			STRESS_CHECK(false,
				     "pipe byte %ld: read returned %zd, byte "
				     "%u",
				     i, got, got == 1 ? b : 0);
			break;
		}
		atomic_fetch_add(&st->pipe_bytes, 1);
	}
	rt_waitgroup_done(&st->workers);
}

static void stress_pipe_writer(void *arg)
{
	struct stress_sched_state *st = arg;
	long n = (long)st->rounds * 16;

	for (long i = 0; i < n; i++) {
		unsigned char b = (unsigned char)i;
		ssize_t put;

		if (i % 16 == 0)
			rt_sleep(50 * 1000);
		rt_entersyscall();
		do
			put = write(st->pipefd[1], &b, 1);
		while (put < 0 && errno == EINTR);
		rt_exitsyscall();
		if (put != 1) {
			STRESS_CHECK(false, "pipe write: %s", strerror(errno));
			break;
		}
	}
	rt_waitgroup_done(&st->workers);
}

struct stress_sched_result {
	int spinners;		/* */
	long spin_iters;	/* */
	long locked_rounds;	/* */
	int locked_exits;	/* lockers that ended locked */
	long syscall_rounds;	/* */
	long pipe_bytes;	/* */
	uint64_t preempt_async; /* signal preemptions during the mix */
	uint64_t retakes;	/* Ps retaken from syscalls */
	int64_t ns;
};

/*
 * stress_sched: GOMAXPROCS spinners hold the Ps while locked goroutines,
 * syscallers and a pipe pair do their rounds; every round must complete
 * (a hang is caught by libcheck's timeout or soak's watchdog), locked
 * goroutines must stay on their thread, the pipe's bytes come in order,
 * and the spinners must have been preempted by signal.
 */
static inline void stress_sched(int locked, int syscallers, int rounds,
				struct stress_sched_result *r)
{
	int64_t t0 = stress_mono_ns();
	struct stress_sched_state *st = rt_mallocgc(sizeof(*st), 0);
	struct rt_sched_stats before, after;
	int nspin = rt_gomaxprocs();

	memset(r, 0, sizeof(*r));
	st->rounds = rounds;
	if (pipe(st->pipefd) != 0) {
		STRESS_CHECK(false, "pipe: %s", strerror(errno));
		return;
	}
	rt_read_sched_stats(&before);
	rt_waitgroup_add(&st->spinners, nspin);
	for (int i = 0; i < nspin; i++)
		rt_go(stress_spinner, st);
	rt_waitgroup_add(&st->workers, locked + syscallers + 2);
	for (int i = 0; i < locked; i++)
		rt_go(stress_locker, st);
	for (int i = 0; i < syscallers; i++)
		rt_go(stress_syscaller, st);
	rt_go(stress_pipe_reader, st);
	rt_go(stress_pipe_writer, st);
	rt_waitgroup_wait(&st->workers);
	atomic_store(&st->stop_spin, true);
	rt_waitgroup_wait(&st->spinners);
	rt_read_sched_stats(&after);
	close(st->pipefd[0]);
	close(st->pipefd[1]);
	r->spinners = nspin;
	r->spin_iters = atomic_load(&st->spin_iters);
	r->locked_rounds = atomic_load(&st->locked_rounds);
	r->locked_exits = atomic_load(&st->locked_exits);
	r->syscall_rounds = atomic_load(&st->syscall_rounds);
	r->pipe_bytes = atomic_load(&st->pipe_bytes);
	r->preempt_async = after.preempt_async - before.preempt_async;
	r->retakes = after.syscall_retakes - before.syscall_retakes;
	STRESS_CHECK(r->locked_rounds == (long)locked * rounds,
		     "%ld locked rounds of %ld", r->locked_rounds,
		     (long)locked * rounds);
	STRESS_CHECK(r->syscall_rounds == (long)syscallers * rounds,
		     "%ld syscall rounds of %ld", r->syscall_rounds,
		     (long)syscallers * rounds);
	STRESS_CHECK(r->pipe_bytes == (long)rounds * 16,
		     "%ld pipe bytes of %ld", r->pipe_bytes, (long)rounds * 16);
	STRESS_CHECK(r->spin_iters > 0, "the spinners never ran");
	STRESS_CHECK(r->preempt_async > 0,
		     "no asynchronous preemption while %d spinners held the "
		     "Ps",
		     nspin);
	r->ns = stress_mono_ns() - t0;
}

/* ======================================================================== */
/* reports and the mixed case                                               */
/* ======================================================================== */

static inline double stress_s(int64_t ns)
{
	return (double)ns / 1e9;
}

static inline void
stress_print_goroutines(FILE *f, const struct stress_goroutines_result *r)
{
	fprintf(f,
		"stress: goroutines: %ld alive at once (rt_num_goroutine "
		"%d -> %d, %ld in rt_gopark), each ran once; RSS %ld MiB at "
		"the peak; %.2f s\n",
		r->started, r->base, r->peak, r->gopark_kind,
		r->peak_rss_kib / 1024, stress_s(r->ns));
	fflush(f);
}

static inline void stress_print_channels(FILE *f,
					 const struct stress_channels_result *r)
{
	fprintf(f,
		"stress: channels: %ld values sent (%ld by select, %ld by "
		"send), %ld received (%ld blocking selects), none lost or "
		"duplicated; %.2f s\n",
		r->sent, r->select_sends, r->plain_sends, r->received,
		r->blocking_selects, stress_s(r->ns));
	fflush(f);
}

static inline void stress_print_gc(FILE *f, const struct stress_gc_result *r)
{
	fprintf(f,
		"stress: gc: %" PRIu64 " cycles (%d forced, each verified by "
		"every mutator), %ld live-set walks, %ld objects / %ld MiB "
		"verified, %ld nodes allocated; %.2f s\n",
		r->cycles, r->forced, r->verifications, r->objects,
		r->bytes >> 20, r->allocated, stress_s(r->ns));
	fflush(f);
}

static inline void stress_print_timers(FILE *f,
				       const struct stress_timers_result *r)
{
	fprintf(f,
		"stress: timers: %ld pending at once (heap %zu), %ld fired "
		"= %ld expected, %ld stopped, %ld resets, %ld racing "
		"Stop/Reset (%ld returned true); %.2f s\n",
		r->timers, r->peak_heap, r->fired, r->expected, r->stopped,
		r->resets, r->races, r->races_won, stress_s(r->ns));
	fflush(f);
}

static inline void stress_print_sched(FILE *f,
				      const struct stress_sched_result *r)
{
	fprintf(f,
		"stress: sched: %d spinners preempted %" PRIu64
		" times by signal, %ld locked rounds (%d lockers ended "
		"locked), %ld syscall rounds, %ld pipe bytes, %" PRIu64
		" Ps retaken from syscalls; %.2f s\n",
		r->spinners, r->preempt_async, r->locked_rounds,
		r->locked_exits, r->syscall_rounds, r->pipe_bytes, r->retakes,
		stress_s(r->ns));
	fflush(f);
}

struct stress_mixed {
	struct stress_scale scale;	     /* already divided */
	struct stress_goroutines_result gor; /* */
	struct stress_channels_result chan;  /* */
	struct stress_gc_result gc;	     /* */
	struct stress_timers_result timers;  /* */
	struct stress_sched_result sched;    /* */
	rt_waitgroup wg;		     /* */
};

static void stress_mixed_goroutines(void *arg)
{
	struct stress_mixed *m = arg;
	stress_goroutines(m->scale.goroutines, &m->gor);
	rt_waitgroup_done(&m->wg);
}

static void stress_mixed_channels(void *arg)
{
	struct stress_mixed *m = arg;
	stress_channels(m->scale.channels, m->scale.chan_goroutines,
			m->scale.values, &m->chan);
	rt_waitgroup_done(&m->wg);
}

static void stress_mixed_gc(void *arg)
{
	struct stress_mixed *m = arg;
	stress_gc_churn(m->scale.gc_mutators, m->scale.gc_slots,
			m->scale.gc_forced_cycles, &m->gc);
	rt_waitgroup_done(&m->wg);
}

static void stress_mixed_timers(void *arg)
{
	struct stress_mixed *m = arg;
	stress_timers(m->scale.timers, &m->timers);
	rt_waitgroup_done(&m->wg);
}

static void stress_mixed_sched(void *arg)
{
	struct stress_mixed *m = arg;
	stress_sched(m->scale.sched_locked, m->scale.sched_syscallers,
		     m->scale.sched_rounds, &m->sched);
	rt_waitgroup_done(&m->wg);
}

/*
 * stress_mixed runs every mix at once, each at 1/scale.mixed_divisor of
 * its count, and fills m (a GC heap object: rt_mallocgc it). The
 * goroutines mix's peak then includes the other mixes' goroutines, and
 * the scheduler mix's spinners slow everyone down: that is the point.
 */
static inline void stress_mixed(struct stress_mixed *m,
				const struct stress_scale *s)
{
	m->scale = stress_scale_div(*s, s->mixed_divisor);
	rt_waitgroup_add(&m->wg, 5);
	rt_go(stress_mixed_sched, m);
	rt_go(stress_mixed_goroutines, m);
	rt_go(stress_mixed_channels, m);
	rt_go(stress_mixed_gc, m);
	rt_go(stress_mixed_timers, m);
	rt_waitgroup_wait(&m->wg);
}

static inline void stress_print_mixed(FILE *f, const struct stress_mixed *m)
{
	stress_print_goroutines(f, &m->gor);
	stress_print_channels(f, &m->chan);
	stress_print_gc(f, &m->gc);
	stress_print_timers(f, &m->timers);
	stress_print_sched(f, &m->sched);
}

#endif /* STRESS_MIXES_H */

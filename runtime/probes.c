/*
 * probes.c — the USDT semaphores and librt's own count of every probe
 * site passed (see probes.h).
 *
 * Counts live in each M (a plain increment on memory no other thread
 * writes) and are summed over allm when read, so counting costs no atomic
 * read-modify-write on the hot path.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime2.h"

#define RT_PROBE_SEMA_DEF(name, nargs, doc)           \
	volatile unsigned short rt_##name##_semaphore \
	    __attribute__((section(".probes"), used));
RT_PROBE_LIST(RT_PROBE_SEMA_DEF)
#undef RT_PROBE_SEMA_DEF

const char *const rt_probe_names[RT_PROBE_NUM] = {
#define RT_PROBE_NAME(name, nargs, doc) #name,
    RT_PROBE_LIST(RT_PROBE_NAME)
#undef RT_PROBE_NAME
};

void rt_probe_hit(enum rt_probe_id id)
{
	RT_PROBE_HIT(id);
	(void)rt_pc_;
}

/* ---- sampling (see probes.h) -------------------------------------------
 *
 * A tracer writes these into the running process (by their symbols), or
 * RT_PROBE_SAMPLE sets the periods at start. A period of 0 or 1 fires
 * every hit. Bumping the epoch tells every M to forget what it counted
 * before: a tracer attaching to a running process does it, so its first
 * firings do not report the events of the time nobody was attached.
 */
volatile uint32_t rt_probe_sample_period[RT_PROBE_NUM]
    __attribute__((used, aligned(64)));
volatile uint32_t rt_probe_sample_epoch __attribute__((used));

#ifndef RT_NO_PROBES
static volatile unsigned short *const probe_semaphores[RT_PROBE_NUM] = {
#define RT_PROBE_SEMA_PTR(name, nargs, doc) &rt_##name##_semaphore,
    RT_PROBE_LIST(RT_PROBE_SEMA_PTR)
#undef RT_PROBE_SEMA_PTR
};

/*
 * probes_atfork_child lowers every semaphore in a forked child, so that it
 * passes no probe site. The child's semaphores are a copy of the parent's,
 * raised for uprobes that do not follow it (rttrace attaches for one pid),
 * and on Linux 6.18 a 5-byte site the kernel has already rewritten into a
 * call to the parent's [uprobes-trampoline] kills the child with SIGSEGV:
 * fork does not copy that mapping (tests/integration/test_faults.c). A
 * tracer that wants the child attaches to it.
 */
static void probes_atfork_child(void)
{
	for (int id = 0; id < RT_PROBE_NUM; id++)
		*probe_semaphores[id] = 0;
}

__attribute__((constructor)) static void probes_atfork_init(void)
{
	pthread_atfork(NULL, NULL, probes_atfork_child);
}
#endif

/* probe_sync_epoch makes mp's reports start now when a tracer has bumped
 * the epoch since mp last looked; the event being counted (id) stays. */
static void probe_sync_epoch(struct m *mp, unsigned int id)
{
	uint32_t e = __atomic_load_n(&rt_probe_sample_epoch, __ATOMIC_RELAXED);

	if (mp->probe_epoch == e)
		return;
	mp->probe_epoch = e;
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		mp->probe[i].reported = mp->probe[i].count;
		mp->probe[i].next = 0;
	}
	mp->probe[id].reported--;
}

/* probe_report returns the events of probe id on mp since its last
 * firing, this one included, and starts the next count. */
static uint64_t probe_report(struct m *mp, unsigned int id)
{
	uint64_t c = mp->probe[id].count, n = c - mp->probe[id].reported;

	mp->probe[id].reported = c;
	return n;
}

static uint32_t probe_period(unsigned int id)
{
	return __atomic_load_n(&rt_probe_sample_period[id], __ATOMIC_RELAXED);
}

/*
 * rt_probe_take fires every hit, or with a period N the hit after a
 * uniformly random gap in [1, 2N-1] (mean N), as Go's heap profiler
 * randomizes MemProfileRate: a fixed stride would alias with a loop that
 * makes the same few calls in turn (ex11 boxes three kinds per op).
 */
uint64_t rt_probe_take(unsigned int id)
{
	struct m *mp = getm();
	uint32_t period = probe_period(id);

	probe_sync_epoch(mp, id);
	if (period > 1) {
		uint64_t c = mp->probe[id].count;

		if (c < mp->probe[id].next)
			return 0;
		mp->probe[id].next = c + 1 + fastrand() % (2 * period - 1);
	} else {
		mp->probe[id].next = 0; /* every hit comes here */
	}
	return probe_report(mp, id);
}

/*
 * probe_g_time keeps a scheduling episode's clock on the goroutine while a
 * tracer follows it: the firing gopark or newproc starts it, goready ends
 * the park (probe_span = parked time) and starts the runnable time,
 * gostart ends that. The probes pass the spans, so a tracer needs no
 * per-goroutine map, as Go's execution tracer timestamps its own events.
 * 0 means not timed (the episode began before the tracer came).
 */
static void probe_g_time(struct g *gp, int mode)
{
	int64_t now = nanotime();

	gp->probe_span = 0;
	if (mode != RT_PROBE_G_OPEN && gp->probe_ts != 0)
		gp->probe_span = now - gp->probe_ts;
	gp->probe_ts = mode == RT_PROBE_G_CLOSE ? 0 : now;
}

uint64_t rt_probe_take_g(unsigned int id, struct g *gp, unsigned int bit,
			 int mode)
{
	struct m *mp;
	uint64_t n;
	bool marked;

	if (mode == RT_PROBE_G_OPEN) {
		n = rt_probe_take(id);
		if (gp != NULL)
			gp->probe_marks =
			    n ? gp->probe_marks | bit : gp->probe_marks & ~bit;
	} else {
		marked = gp != NULL && (gp->probe_marks & bit);
		if (mode == RT_PROBE_G_CLOSE && gp != NULL)
			gp->probe_marks &= ~bit;
		if (probe_period(id) > 1 && !marked) {
			n = 0;
		} else {
			mp = getm();
			probe_sync_epoch(mp, id);
			n = probe_report(mp, id);
		}
	}
	if (gp != NULL && bit == RT_PROBE_G_SCHED) {
		if (n)
			probe_g_time(gp, mode);
		else if (mode != RT_PROBE_G_FOLLOW)
			gp->probe_ts = 0; /* an episode nobody times */
	}
	return n;
}

/*
 * rt_probe_flush reports, through rt:probe_flush, the events of every
 * attached probe that no firing has reported yet, on every M. rt_main
 * calls it once the program's goroutines have stopped, so a tracer's
 * totals equal librt's counts. An M still of an older epoch has seen no
 * attached hit since the tracer bumped it: nothing of it is reported.
 */
void rt_probe_flush(void)
{
#ifndef RT_NO_PROBES
	uint32_t e = __atomic_load_n(&rt_probe_sample_epoch, __ATOMIC_RELAXED);

	if (!RT_PROBE_ACTIVE(probe_flush))
		return;
	for (struct m *mp = atomic_load(&allm); mp != NULL; mp = mp->alllink) {
		if (mp->probe_epoch != e)
			continue;
		for (int id = 0; id < RT_PROBE_NUM; id++) {
			uint64_t v[2];

			if (!*probe_semaphores[id] ||
			    mp->probe[id].count == mp->probe[id].reported)
				continue;
			v[0] = (uint64_t)id;
			v[1] = probe_report(mp, id);
			RT_PROBE_EMIT2(probe_flush, v);
		}
	}
#endif
}

/*
 * probe_sample_setenv applies RT_PROBE_SAMPLE: "N" (every probe 1 in N)
 * or "name=N,name=N". A bad entry is reported and skipped.
 */
void rt_probe_sample_setenv(const char *s)
{
	while (s != NULL && *s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		const char *eq = memchr(s, '=', len);
		const char *num = eq ? eq + 1 : s;
		size_t nlen = len - (size_t)(num - s);
		char buf[16];
		char *end;
		unsigned long v;
		int id = -1;

		if (nlen == 0 || nlen >= sizeof(buf))
			goto bad;
		memcpy(buf, num, nlen);
		buf[nlen] = '\0';
		errno = 0;
		v = strtoul(buf, &end, 10);
		if (errno || *end || buf[0] == '-' || v > UINT32_MAX)
			goto bad;
		if (eq) {
			for (int i = 0; i < RT_PROBE_NUM; i++)
				if (strlen(rt_probe_names[i]) ==
					(size_t)(eq - s) &&
				    !memcmp(rt_probe_names[i], s,
					    (size_t)(eq - s)))
					id = i;
			if (id < 0)
				goto bad;
			rt_probe_sample_period[id] = (uint32_t)v;
		} else {
			for (int i = 0; i < RT_PROBE_NUM; i++)
				rt_probe_sample_period[i] = (uint32_t)v;
		}
		goto next;
	bad:
		fprintf(stderr,
			"runtime: RT_PROBE_SAMPLE: bad entry \"%.*s\" "
			"(want N or probe=N), ignored\n",
			(int)len, s);
	next:
		s = comma ? comma + 1 : NULL;
	}
}

static uint64_t probe_sum(int id)
{
	uint64_t n = 0;
	for (struct m *mp = atomic_load(&allm); mp != NULL; mp = mp->alllink)
		n += __atomic_load_n(&mp->probe[id].count, __ATOMIC_RELAXED);
	return n;
}

uint64_t rt_probe_count(const char *name)
{
	for (int i = 0; i < RT_PROBE_NUM; i++)
		if (strcmp(rt_probe_names[i], name) == 0)
			return probe_sum(i);
	return 0;
}

/* rt_print_stats prints one line per probe; RT_STATS=1 calls it at exit. */
void rt_print_stats(FILE *f)
{
	for (int i = 0; i < RT_PROBE_NUM; i++)
		fprintf(f, "rt-stats: probe %s %llu\n", rt_probe_names[i],
			(unsigned long long)probe_sum(i));
	struct rt_sched_stats st;
	rt_read_sched_stats(&st);
	fprintf(f,
		"rt-stats: sched gomaxprocs=%d threads=%u steals=%llu "
		"preempt_coop=%llu preempt_async=%llu syscall_retakes=%llu "
		"handoffs=%llu\n",
		gomaxprocs, st.threads, (unsigned long long)st.steals,
		(unsigned long long)st.preempt_coop,
		(unsigned long long)st.preempt_async,
		(unsigned long long)st.syscall_retakes,
		(unsigned long long)st.handoffs);
	/* one line per stop-the-world reason seen; the count is last
	 * because reasons contain spaces */
	struct rt_stw_stats stw;
	rt_read_stw_stats(&stw);
	for (int i = 0; i < RT_STW_REASON_COUNT; i++)
		if (stw.count[i] != 0)
			fprintf(f, "rt-stats: stw %s %llu\n",
				rt_stw_reason_string((enum rt_stw_reason)i),
				(unsigned long long)stw.count[i]);
	fflush(f);
}

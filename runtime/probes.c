/*
 * probes.c — the USDT semaphores and librt's own count of every probe
 * site passed (see probes.h).
 *
 * Counts live in each M (a plain increment on memory no other thread
 * writes) and are summed over allm when read, so counting costs no atomic
 * read-modify-write on the hot path.
 */
#include <stdio.h>
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
}

static uint64_t probe_sum(int id)
{
	uint64_t n = 0;
	for (struct m *mp = atomic_load(&allm); mp != NULL; mp = mp->alllink)
		n += __atomic_load_n(&mp->probe_counts[id], __ATOMIC_RELAXED);
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

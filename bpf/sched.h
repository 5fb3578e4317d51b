/*
 * sched.h — what sched.bpf.c and the rttrace user side share: the per-probe
 * count indices, the histogram layout and the per-goroutine state.
 *
 * The BPF side cannot include runtime/probes.h (it pulls in <stdint.h> and
 * declares the runtime's externs), so the scheduler probe indices are
 * restated here in the order of RT_PROBE_LIST, where they come first;
 * user/sched.c static-asserts that they match enum rt_probe_id, so a
 * scheduler probe added to probes.h without a matching line here fails the
 * build instead of mislabelling a count. The probes after them belong to
 * other concerns (bpf/mem.h, bpf/chan.h).
 */
#ifndef RTTRACE_SCHED_H
#define RTTRACE_SCHED_H

/* BPF programs get __u32 and friends from vmlinux.h, user space from here. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Indices into the counts map; mirror the start of enum rt_probe_id. */
enum sched_probe {
	SCHED_PROBE_NEWPROC,
	SCHED_PROBE_GOSTART,
	SCHED_PROBE_GOEND,
	SCHED_PROBE_GOPARK,
	SCHED_PROBE_GOREADY,
	SCHED_PROBE_GOSCHED,
	SCHED_PROBE_GOPREEMPT,
	SCHED_PROBE_LOCKOSTHREAD,
	SCHED_PROBE_ENTERSYSCALL,
	SCHED_PROBE_EXITSYSCALL,
	SCHED_PROBE_NUM,
};

/*
 * Number of wait reasons; mirrors RT_WAIT_COUNT in runtime/rt.h (checked in
 * user/sched.c). The park histograms have one more entry, SCHED_WAIT_BAD,
 * for a reason outside the enum, so a runtime bug shows up instead of
 * vanishing.
 */
#define SCHED_WAIT_COUNT 33
#define SCHED_WAIT_BAD	 SCHED_WAIT_COUNT
#define SCHED_WAIT_HISTS (SCHED_WAIT_COUNT + 1)

/*
 * Log2 histograms, as libbpf-tools' runqlat keeps them: slot i counts values
 * v with log2(v) == i, that is [2^i, 2^(i+1)) (slot 0 also holds 0). 40
 * slots of nanoseconds reach 2^40 ns, about 18 minutes; longer values land
 * in the last slot. total_ns is the exact sum, for the mean.
 */
#define MAX_SLOTS 40

struct hist {
	__u32 slots[MAX_SLOTS];
	__u64 count;	/* values recorded */
	__u64 total_ns; /* their sum, in nanoseconds whatever the slot unit */
	__u64 max;	/* the largest value recorded, same unit as total_ns */
};

/*
 * Things the BPF side could not record, per CPU. Each is reported by user
 * space when non-zero: nothing is lost silently.
 */
enum sched_error {
	/* goready of a park not timed: it began before the tracer came */
	SCHED_ERR_READY_UNPARKED,
	SCHED_ERR_NUM,
};

/*
 * Everything sched.bpf.c counts, in one per-CPU struct looked up once per
 * hit (rt.bpf.h's RT_STATS_PROG): user space sums it over the CPUs.
 */
struct sched_stats {
	__u64 counts[SCHED_PROBE_NUM];
	__u64 errors[SCHED_ERR_NUM];
	struct hist park[SCHED_WAIT_HISTS]; /* gopark -> goready, by reason */
	struct hist sched;		    /* runnable -> running */
};

#endif /* RTTRACE_SCHED_H */

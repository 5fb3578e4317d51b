// SPDX-License-Identifier: GPL-2.0
/*
 * sched.bpf.c — librt's scheduler, seen from its USDT probes.
 *
 * One program per probe of runtime/probes.h (provider "rt"). Everything is
 * aggregated here, in the kernel, so user space only reads maps at the end:
 *
 *   counts       events per probe; must equal librt's own RT_STATS counts.
 *   park         per wait reason, log2 histogram of gopark -> goready.
 *   sched        log2 histogram of runnable -> running: goready -> gostart,
 *                and newproc -> first gostart (a new G is runnable at once,
 *                as Go's tracer counts GoCreate -> GoStart).
 *   errors       what could not be recorded (see enum sched_error).
 *
 * The durations come with the probes: librt times a traced goroutine's
 * episode itself (runtime/probes.c, probe_g_time) and goready passes the
 * park's length, gostart the runnable wait, as Go's execution tracer
 * timestamps its own events. So no program keeps per-goroutine state: no
 * hash map on the hot path, nothing to fill up, and a sampled episode
 * (--sample) is whole, since librt fires goready and gostart for exactly
 * the goroutines whose gopark or newproc fired.
 *
 * Everything goes to one per-CPU struct (stats) under
 * bpf_preempt_disable, so the adds are plain (rt.bpf.h, RT_STATS_PROG).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.bpf.h"
#include "bits.bpf.h"
#include "sched.h"
#include "rt.bpf.h"

/*
 * RT_PROBE_PROG hands every program ctx and all of the probe's arguments; the
 * argument names are kept to document each probe even where a program only
 * counts it.
 */
#pragma clang diagnostic ignored "-Wunused-parameter"

PERCPU_ARRAY(stats, 1, struct sched_stats);

RT_STATS_PROG(newproc, stats, __u64 goid, __u64 creator_goid, __u64 entry_pc,
	      __u64 n)
{
	pc_add(&st->counts[SCHED_PROBE_NEWPROC], n, excl);
}

RT_STATS_PROG(gostart, stats, __u64 goid, __u64 p, __u64 tid, __u64 runnable_ns,
	      __u64 n)
{
	pc_add(&st->counts[SCHED_PROBE_GOSTART], n, excl);
	/* 0: not timed — made runnable by gosched or preemption, or
	 * before the tracer came */
	if (runnable_ns)
		pc_hist_time(&st->sched, runnable_ns, excl);
}

RT_STATS_PROG(goend, stats, __u64 goid, __u64 n)
{
	pc_add(&st->counts[SCHED_PROBE_GOEND], n, excl);
}

RT_STATS_PROG(gopark, stats, __u64 goid, __u64 reason, __u64 n)
{
	pc_add(&st->counts[SCHED_PROBE_GOPARK], n, excl);
}

RT_STATS_PROG(goready, stats, __u64 goid, __u64 by_goid, __u64 reason,
	      __u64 parked_ns, __u64 n)
{
	__u32 r = reason < SCHED_WAIT_COUNT ? (__u32)reason : SCHED_WAIT_BAD;

	barrier_var(r); /* keep the bound where the verifier sees it */
	pc_add(&st->counts[SCHED_PROBE_GOREADY], n, excl);
	if (parked_ns)
		pc_hist_time(&st->park[r], parked_ns, excl);
	else
		pc_add(&st->errors[SCHED_ERR_READY_UNPARKED], 1, excl);
}

RT_STATS_PROG(gosched, stats, __u64 goid, __u64 n)
{
	pc_add(&st->counts[SCHED_PROBE_GOSCHED], n, excl);
}

RT_STATS_PROG(gopreempt, stats, __u64 goid, __u64 kind, __u64 n)
{
	pc_add(&st->counts[SCHED_PROBE_GOPREEMPT], n, excl);
}

RT_STATS_PROG(lockosthread, stats, __u64 goid, __u64 locked, __u64 n)
{
	pc_add(&st->counts[SCHED_PROBE_LOCKOSTHREAD], n, excl);
}

RT_STATS_PROG(entersyscall, stats, __u64 goid, __u64 p, __u64 n)
{
	pc_add(&st->counts[SCHED_PROBE_ENTERSYSCALL], n, excl);
}

RT_STATS_PROG(exitsyscall, stats, __u64 goid, __u64 fast, __u64 n)
{
	pc_add(&st->counts[SCHED_PROBE_EXITSYSCALL], n, excl);
}

RT_STATS_FLUSH_PROG(stats, SCHED_PROBE_NUM)

char LICENSE[] SEC("license") = "GPL";

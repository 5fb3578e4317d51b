// SPDX-License-Identifier: GPL-2.0
/*
 * sched.bpf.c — librt's scheduler, seen from its USDT probes.
 *
 * One program per probe of runtime/probes.h (provider "rt"). Everything is
 * aggregated here, in the kernel, so user space only reads maps at the end:
 *
 *   counts       events per probe; must equal librt's own RT_STATS counts.
 *   park_hists   per wait reason, log2 histogram of gopark -> goready.
 *   sched_hist   log2 histogram of runnable -> running: goready -> gostart,
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
 * Why atomics on per-CPU maps: uprobe BPF programs run with migration
 * disabled but, on a preemptible kernel, not with preemption disabled, so
 * two traced threads can interleave on one CPU; a plain ++ could then lose
 * an increment and the counts would no longer equal librt's. A locked add
 * on a CPU-local line is uncontended and cheap.
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCHED_PROBE_NUM);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCHED_ERR_NUM);
	__type(key, __u32);
	__type(value, __u64);
} errors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCHED_WAIT_HISTS);
	__type(key, __u32);
	__type(value, struct hist);
} park_hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist);
} sched_hist SEC(".maps");

RT_PROBE_PROG(newproc, __u64 goid, __u64 creator_goid, __u64 entry_pc, __u64 n)
{
	if (traced())
		add(&counts, SCHED_PROBE_NEWPROC, n);
	return 0;
}

RT_PROBE_PROG(gostart, __u64 goid, __u64 p, __u64 tid, __u64 runnable_ns,
	      __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, SCHED_PROBE_GOSTART, n);
	/* 0: not timed — made runnable by gosched or preemption, or
	 * before the tracer came */
	if (runnable_ns)
		hist_time(&sched_hist, 0, runnable_ns);
	return 0;
}

RT_PROBE_PROG(goend, __u64 goid, __u64 n)
{
	if (traced())
		add(&counts, SCHED_PROBE_GOEND, n);
	return 0;
}

RT_PROBE_PROG(gopark, __u64 goid, __u64 reason, __u64 n)
{
	if (traced())
		add(&counts, SCHED_PROBE_GOPARK, n);
	return 0;
}

RT_PROBE_PROG(goready, __u64 goid, __u64 by_goid, __u64 reason,
	      __u64 parked_ns, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, SCHED_PROBE_GOREADY, n);
	if (parked_ns)
		hist_time(&park_hists,
			  reason < SCHED_WAIT_COUNT ? reason : SCHED_WAIT_BAD,
			  parked_ns);
	else
		inc(&errors, SCHED_ERR_READY_UNPARKED);
	return 0;
}

RT_PROBE_PROG(gosched, __u64 goid, __u64 n)
{
	if (traced())
		add(&counts, SCHED_PROBE_GOSCHED, n);
	return 0;
}

RT_PROBE_PROG(gopreempt, __u64 goid, __u64 kind, __u64 n)
{
	if (traced())
		add(&counts, SCHED_PROBE_GOPREEMPT, n);
	return 0;
}

RT_PROBE_PROG(lockosthread, __u64 goid, __u64 locked, __u64 n)
{
	if (traced())
		add(&counts, SCHED_PROBE_LOCKOSTHREAD, n);
	return 0;
}

RT_PROBE_PROG(entersyscall, __u64 goid, __u64 p, __u64 n)
{
	if (traced())
		add(&counts, SCHED_PROBE_ENTERSYSCALL, n);
	return 0;
}

RT_PROBE_PROG(exitsyscall, __u64 goid, __u64 fast, __u64 n)
{
	if (traced())
		add(&counts, SCHED_PROBE_EXITSYSCALL, n);
	return 0;
}

RT_PROBE_FLUSH_PROG(counts, SCHED_PROBE_NUM)

char LICENSE[] SEC("license") = "GPL";

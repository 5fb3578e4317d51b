// SPDX-License-Identifier: GPL-2.0
/*
 * defer.bpf.c — librt's defer, panic and recover, and NumGoroutine, seen
 * from their USDT probes.
 *
 * One program per probe of runtime/probes.h (provider "rt") from deferproc
 * to gcount, named as the probe. All aggregated here:
 *
 *   counts          events per probe; must equal librt's RT_STATS counts.
 *   kinds           deferproc records by where they came from: the P's
 *                   pool, the GC heap (an allocation per defer: the cost
 *                   the seed's Ex4 is about), or the frame (open-coded).
 *   sums            calls run by deferreturn, deferreturns that ran none,
 *                   panics that were runtime errors, gcount results.
 *   hists           log2 histograms of calls run per deferreturn (a
 *                   defer in a loop makes one deferreturn run many) and
 *                   of gcount's result.
 *
 * No state between probes: each event stands alone, so there is nothing
 * to pair and nothing to lose when a map fills. Adds on per-CPU maps are
 * atomic for the reason sched.bpf.c gives.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "bits.bpf.h"
#include "defer.h"
#include "rt.bpf.h"

#pragma clang diagnostic ignored "-Wunused-parameter"

PERCPU_ARRAY(counts, DEFER_PROBE_NUM, __u64);
PERCPU_ARRAY(kinds, DEFER_KIND_SLOTS, __u64);
PERCPU_ARRAY(sums, DEFER_SUM_NUM, __u64);
PERCPU_ARRAY(hists, DEFER_HIST_NUM, struct hist);

SEC("usdt")
int BPF_USDT(deferproc, __u64 goid, __u64 kind)
{
	if (!traced())
		return 0;
	inc(&counts, DEFER_PROBE_DEFERPROC);
	inc(&kinds, kind < DEFER_KINDS ? (__u32)kind : DEFER_KIND_BAD);
	return 0;
}

SEC("usdt")
int BPF_USDT(deferreturn, __u64 goid, __u64 calls_run)
{
	if (!traced())
		return 0;
	inc(&counts, DEFER_PROBE_DEFERRETURN);
	add(&sums, DEFER_SUM_CALLS_RUN, calls_run);
	if (!calls_run)
		inc(&sums, DEFER_SUM_RETURN_EMPTY);
	hist_value(&hists, DEFER_HIST_CALLS, calls_run, calls_run);
	return 0;
}

SEC("usdt")
int BPF_USDT(gopanic, __u64 goid, __u64 runtime_error)
{
	if (!traced())
		return 0;
	inc(&counts, DEFER_PROBE_GOPANIC);
	if (runtime_error)
		inc(&sums, DEFER_SUM_RUNTIME_ERRORS);
	return 0;
}

SEC("usdt")
int BPF_USDT(gorecover, __u64 goid)
{
	if (traced())
		inc(&counts, DEFER_PROBE_GORECOVER);
	return 0;
}

SEC("usdt")
int BPF_USDT(gcount, __u64 result)
{
	if (!traced())
		return 0;
	inc(&counts, DEFER_PROBE_GCOUNT);
	add(&sums, DEFER_SUM_GCOUNT_RESULT, result);
	hist_value(&hists, DEFER_HIST_GCOUNT, result, result);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

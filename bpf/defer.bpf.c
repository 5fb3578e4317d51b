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
#include "probe.bpf.h"
#include "bits.bpf.h"
#include "defer.h"
#include "rt.bpf.h"

#pragma clang diagnostic ignored "-Wunused-parameter"

PERCPU_ARRAY(counts, DEFER_PROBE_NUM, __u64);
PERCPU_ARRAY(kinds, DEFER_KIND_SLOTS, __u64);
PERCPU_ARRAY(sums, DEFER_SUM_NUM, __u64);
PERCPU_ARRAY(hists, DEFER_HIST_NUM, struct hist);

RT_PROBE_PROG(deferproc, __u64 goid, __u64 kind, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, DEFER_PROBE_DEFERPROC, n);
	add(&kinds, kind < DEFER_KINDS ? (__u32)kind : DEFER_KIND_BAD, n);
	return 0;
}

RT_PROBE_PROG(deferreturn, __u64 goid, __u64 calls_run, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, DEFER_PROBE_DEFERRETURN, n);
	add(&sums, DEFER_SUM_CALLS_RUN, calls_run * n);
	if (!calls_run)
		add(&sums, DEFER_SUM_RETURN_EMPTY, n);
	hist_value(&hists, DEFER_HIST_CALLS, calls_run, calls_run);
	return 0;
}

RT_PROBE_PROG(gopanic, __u64 goid, __u64 runtime_error, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, DEFER_PROBE_GOPANIC, n);
	if (runtime_error)
		add(&sums, DEFER_SUM_RUNTIME_ERRORS, n);
	return 0;
}

RT_PROBE_PROG(gorecover, __u64 goid, __u64 n)
{
	if (traced())
		add(&counts, DEFER_PROBE_GORECOVER, n);
	return 0;
}

RT_PROBE_PROG(gcount, __u64 result, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, DEFER_PROBE_GCOUNT, n);
	add(&sums, DEFER_SUM_GCOUNT_RESULT, result * n);
	hist_value(&hists, DEFER_HIST_GCOUNT, result, result);
	return 0;
}

RT_PROBE_FLUSH_PROG(counts, DEFER_PROBE_NUM)

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * defer.bpf.c — librt's defer, panic and recover, and NumGoroutine, seen
 * from their USDT probes.
 *
 * One program per probe of runtime/probes.h (provider "rt") from deferproc
 * to gcount, named as the probe. Everything is in one struct defer_stats
 * (defer.h), the single entry of the per-CPU stats map, so a hit makes
 * one map lookup and, with preemption disabled, plain adds (rt.bpf.h's
 * RT_STATS_PROG):
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
 * to pair and nothing to lose when a map fills.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.bpf.h"
#include "bits.bpf.h"
#include "defer.h"
#include "rt.bpf.h"

#pragma clang diagnostic ignored "-Wunused-parameter"

PERCPU_ARRAY(stats, 1, struct defer_stats);

RT_STATS_PROG(deferproc, stats, __u64 goid, __u64 kind, __u64 n)
{
	__u32 k = kind < DEFER_KINDS ? (__u32)kind : DEFER_KIND_BAD;

	barrier_var(k); /* keep the bound where the verifier sees it */
	pc_add(&st->counts[DEFER_PROBE_DEFERPROC], n, excl);
	pc_add(&st->kinds[k], n, excl);
}

RT_STATS_PROG(deferreturn, stats, __u64 goid, __u64 calls_run, __u64 n)
{
	pc_add(&st->counts[DEFER_PROBE_DEFERRETURN], n, excl);
	pc_add(&st->sums[DEFER_SUM_CALLS_RUN], calls_run * n, excl);
	pc_add(&st->sums[DEFER_SUM_RETURN_EVENTS], n, excl);
	if (!calls_run)
		pc_add(&st->sums[DEFER_SUM_RETURN_EMPTY], n, excl);
	pc_hist(&st->hists[DEFER_HIST_CALLS], calls_run, calls_run, excl);
}

RT_STATS_PROG(gopanic, stats, __u64 goid, __u64 runtime_error, __u64 n)
{
	pc_add(&st->counts[DEFER_PROBE_GOPANIC], n, excl);
	if (runtime_error)
		pc_add(&st->sums[DEFER_SUM_RUNTIME_ERRORS], n, excl);
}

RT_STATS_PROG(gorecover, stats, __u64 goid, __u64 n)
{
	pc_add(&st->counts[DEFER_PROBE_GORECOVER], n, excl);
}

RT_STATS_PROG(gcount, stats, __u64 result, __u64 n)
{
	pc_add(&st->counts[DEFER_PROBE_GCOUNT], n, excl);
	pc_add(&st->sums[DEFER_SUM_GCOUNT_RESULT], result * n, excl);
	pc_add(&st->sums[DEFER_SUM_GCOUNT_EVENTS], n, excl);
	pc_hist(&st->hists[DEFER_HIST_GCOUNT], result, result, excl);
}

RT_STATS_FLUSH_PROG(stats, DEFER_PROBE_NUM)

char LICENSE[] SEC("license") = "GPL";

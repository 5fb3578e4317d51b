/*
 * defer.h — what defer.bpf.c and the rttrace user side share: the defer,
 * panic and NumGoroutine probes' count indices and the layout of their
 * maps.
 *
 * As in sched.h, mem.h and chan.h, the BPF side cannot include
 * runtime/probes.h, so these probes are restated here in the order of
 * RT_PROBE_LIST, from deferproc on; user/defer.c static-asserts that
 * DEFER_PROBE_x is RT_PROBE_ID_x - RT_PROBE_ID_deferproc for each, so a
 * probe added to or moved in probes.h without a matching line here fails
 * the build.
 */
#ifndef RTTRACE_DEFER_H
#define RTTRACE_DEFER_H

#include "sched.h" /* struct hist, MAX_SLOTS */

/* Indices into defer_stats.counts; mirror enum rt_probe_id from deferproc. */
enum defer_probe {
	DEFER_PROBE_DEFERPROC,
	DEFER_PROBE_DEFERRETURN,
	DEFER_PROBE_GOPANIC,
	DEFER_PROBE_GORECOVER,
	DEFER_PROBE_GCOUNT,
	DEFER_PROBE_NUM,
};

/*
 * deferproc's kind argument (probes.h): where the record came from, as
 * newdefer decides — the P's pool, the GC heap, or the deferring frame
 * itself (open-coded, RT_DEFER_OPEN). One more slot, DEFER_KIND_BAD,
 * counts a kind out of range.
 */
enum defer_kind {
	DEFER_KIND_POOLED,
	DEFER_KIND_ALLOCATED,
	DEFER_KIND_OPEN_CODED,
	DEFER_KINDS,
};
#define DEFER_KIND_BAD	 DEFER_KINDS
#define DEFER_KIND_SLOTS (DEFER_KINDS + 1)

/* Sums of probe arguments, for the report's totals. */
enum defer_sum {
	DEFER_SUM_CALLS_RUN,	  /* deferreturn calls_run */
	DEFER_SUM_RETURN_EMPTY,	  /* deferreturns that ran no call */
	DEFER_SUM_RUNTIME_ERRORS, /* gopanic with runtime_error set */
	DEFER_SUM_GCOUNT_RESULT,  /* gcount result */
	/* the events whose argument is in the sum above it: the count less
	 * the events librt reports only at exit (probe_flush), which carry
	 * none — the mean's divisor */
	DEFER_SUM_RETURN_EVENTS,
	DEFER_SUM_GCOUNT_EVENTS,
	DEFER_SUM_NUM,
};

/*
 * Histograms, one entry each: calls run per deferreturn, and gcount's
 * result (the goroutines NumGoroutine saw). Values, not times: slot i
 * counts values in [2^i, 2^(i+1)), slot 0 also 0; total_ns holds their
 * plain sum.
 */
enum defer_hist {
	DEFER_HIST_CALLS,
	DEFER_HIST_GCOUNT,
	DEFER_HIST_NUM,
};

/*
 * Everything defer.bpf.c counts per CPU, in the one entry of its per-CPU
 * stats map: each program makes one lookup per hit (rt.bpf.h's
 * RT_STATS_PROG).
 */
struct defer_stats {
	__u64 counts[DEFER_PROBE_NUM];	   /* events per probe */
	__u64 kinds[DEFER_KIND_SLOTS];	   /* deferproc records by kind */
	__u64 sums[DEFER_SUM_NUM];	   /* enum defer_sum */
	struct hist hists[DEFER_HIST_NUM]; /* enum defer_hist */
};

#endif /* RTTRACE_DEFER_H */

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
 *   goids        per-goroutine timestamps between those probe pairs.
 *
 * Why atomics on per-CPU maps: uprobe BPF programs run with migration
 * disabled but, on a preemptible kernel, not with preemption disabled, so
 * two traced threads can interleave on one CPU; a plain ++ could then lose
 * an increment and the counts would no longer equal librt's. A locked add
 * on a CPU-local line is uncontended and cheap.
 *
 * Ordering the pairs relies on: a G's gopark probe fires on its own thread
 * before anyone can ready it, and goready fires before the G is put on a
 * run queue, so the earlier probe's program has always finished.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.bpf.h"
#include "bits.bpf.h"
#include "maps.bpf.h"
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

/*
 * Not preallocated: 100,000+ goroutines may be alive at once, but most
 * programs have a few, and memory then follows the live count. An insert
 * that fails (full, or no memory) is counted in SCHED_ERR_GOID_MAP_FULL.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCHED_MAX_GOROUTINES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct gstate);
} goids SEC(".maps");

static const struct gstate zero_gstate;

/* gstate_of returns goid's state, creating it; counts a failed insert. */
static __always_inline struct gstate *gstate_of(__u64 goid)
{
	struct gstate *gs;

	gs = bpf_map_lookup_or_try_init(&goids, &goid, &zero_gstate);
	if (!gs)
		inc(&errors, SCHED_ERR_GOID_MAP_FULL);
	return gs;
}

RT_PROBE_PROG(newproc, __u64 goid, __u64 creator_goid, __u64 entry_pc, __u64 n)
{
	struct gstate *gs;

	if (!traced())
		return 0;
	add(&counts, SCHED_PROBE_NEWPROC, n);
	gs = gstate_of(goid);
	if (gs)
		gs->ready_ts = bpf_ktime_get_ns();
	return 0;
}

RT_PROBE_PROG(gostart, __u64 goid, __u64 p, __u64 tid, __u64 n)
{
	struct gstate *gs;
	__u64 ts;

	if (!traced())
		return 0;
	add(&counts, SCHED_PROBE_GOSTART, n);
	gs = bpf_map_lookup_elem(&goids, &goid);
	if (!gs || !gs->ready_ts)
		return 0;
	ts = bpf_ktime_get_ns();
	hist_time(&sched_hist, 0, ts - gs->ready_ts);
	gs->ready_ts = 0;
	return 0;
}

RT_PROBE_PROG(goend, __u64 goid, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, SCHED_PROBE_GOEND, n);
	bpf_map_delete_elem(&goids, &goid);
	return 0;
}

RT_PROBE_PROG(gopark, __u64 goid, __u64 reason, __u64 n)
{
	struct gstate *gs;

	if (!traced())
		return 0;
	add(&counts, SCHED_PROBE_GOPARK, n);
	gs = gstate_of(goid);
	if (!gs)
		return 0;
	gs->park_ts = bpf_ktime_get_ns();
	gs->reason = reason < SCHED_WAIT_COUNT ? reason : SCHED_WAIT_BAD;
	return 0;
}

RT_PROBE_PROG(goready, __u64 goid, __u64 by_goid, __u64 n)
{
	struct gstate *gs;
	__u64 ts;

	if (!traced())
		return 0;
	add(&counts, SCHED_PROBE_GOREADY, n);
	gs = gstate_of(goid);
	if (!gs)
		return 0;
	ts = bpf_ktime_get_ns();
	if (gs->park_ts) {
		hist_time(&park_hists, gs->reason, ts - gs->park_ts);
		gs->park_ts = 0;
	} else {
		inc(&errors, SCHED_ERR_READY_UNPARKED);
	}
	gs->ready_ts = ts;
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

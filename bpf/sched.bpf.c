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
/*
 * libbpf keeps one spec per distinct argument layout of a probe site; a
 * runtime with many inlined sites could exceed the default 256.
 */
#define BPF_USDT_MAX_SPEC_CNT 1024
#include <bpf/usdt.bpf.h>
#include "bits.bpf.h"
#include "maps.bpf.h"
#include "sched.h"
#include "rt.bpf.h"

/*
 * BPF_USDT hands every program ctx and all of the probe's arguments; the
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

SEC("usdt")
int BPF_USDT(newproc, __u64 goid, __u64 creator_goid, __u64 entry_pc)
{
	struct gstate *gs;

	if (!traced())
		return 0;
	inc(&counts, SCHED_PROBE_NEWPROC);
	gs = gstate_of(goid);
	if (gs)
		gs->ready_ts = bpf_ktime_get_ns();
	return 0;
}

SEC("usdt")
int BPF_USDT(gostart, __u64 goid, __u64 p, __u64 tid)
{
	struct gstate *gs;
	__u64 ts;

	if (!traced())
		return 0;
	inc(&counts, SCHED_PROBE_GOSTART);
	gs = bpf_map_lookup_elem(&goids, &goid);
	if (!gs || !gs->ready_ts)
		return 0;
	ts = bpf_ktime_get_ns();
	hist_time(&sched_hist, 0, ts - gs->ready_ts);
	gs->ready_ts = 0;
	return 0;
}

SEC("usdt")
int BPF_USDT(goend, __u64 goid)
{
	if (!traced())
		return 0;
	inc(&counts, SCHED_PROBE_GOEND);
	bpf_map_delete_elem(&goids, &goid);
	return 0;
}

SEC("usdt")
int BPF_USDT(gopark, __u64 goid, __u64 reason)
{
	struct gstate *gs;

	if (!traced())
		return 0;
	inc(&counts, SCHED_PROBE_GOPARK);
	gs = gstate_of(goid);
	if (!gs)
		return 0;
	gs->park_ts = bpf_ktime_get_ns();
	gs->reason = reason < SCHED_WAIT_COUNT ? reason : SCHED_WAIT_BAD;
	return 0;
}

SEC("usdt")
int BPF_USDT(goready, __u64 goid, __u64 by_goid)
{
	struct gstate *gs;
	__u64 ts;

	if (!traced())
		return 0;
	inc(&counts, SCHED_PROBE_GOREADY);
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

SEC("usdt")
int BPF_USDT(gosched, __u64 goid)
{
	if (traced())
		inc(&counts, SCHED_PROBE_GOSCHED);
	return 0;
}

SEC("usdt")
int BPF_USDT(gopreempt, __u64 goid, __u64 kind)
{
	if (traced())
		inc(&counts, SCHED_PROBE_GOPREEMPT);
	return 0;
}

SEC("usdt")
int BPF_USDT(lockosthread, __u64 goid, __u64 locked)
{
	if (traced())
		inc(&counts, SCHED_PROBE_LOCKOSTHREAD);
	return 0;
}

SEC("usdt")
int BPF_USDT(entersyscall, __u64 goid, __u64 p)
{
	if (traced())
		inc(&counts, SCHED_PROBE_ENTERSYSCALL);
	return 0;
}

SEC("usdt")
int BPF_USDT(exitsyscall, __u64 goid, __u64 fast)
{
	if (traced())
		inc(&counts, SCHED_PROBE_EXITSYSCALL);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

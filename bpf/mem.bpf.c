// SPDX-License-Identifier: GPL-2.0
/*
 * mem.bpf.c — librt's allocator, collector, stop-the-world, interface
 * boxing and sync.Pool, seen from their USDT probes.
 *
 * One program per memory probe of runtime/probes.h (provider "rt", from
 * mallocgc on), named as the probe. All aggregated here:
 *
 *   counts          events per probe; must equal librt's RT_STATS counts.
 *   alloc_size      log2 histogram of mallocgc sizes, in bytes.
 *   sizeclasses     objects and bytes per size class (0 = large).
 *   stw_hists       per STW reason, log2 histogram of stw_done's pause_ns.
 *   gc_hists        per GC reason, log2 histogram of gc_start -> gc_done.
 *   gc_reasons      cycles started, per reason.
 *   pool_gets       pool_get results (private, shared, stolen, victim,
 *                   miss); pool_puts where Put went.
 *   convts          convT calls per kind, allocated or not.
 *   sums            sums of probe arguments (bytes allocated, grown,
 *                   scavenged, marked; pages and objects swept).
 *   gc_state        the cycle in progress and the last heap figures.
 *   errors          what could not be recorded (enum mem_error).
 *
 * Adds on per-CPU maps are atomic for the reason sched.bpf.c gives: uprobe
 * programs can be preempted, and a lost increment would break the exact
 * counts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.bpf.h"
#include "bits.bpf.h"
#include "mem.h"
#include "rt.bpf.h"

#pragma clang diagnostic ignored "-Wunused-parameter"

PERCPU_ARRAY(counts, MEM_PROBE_NUM, __u64);
PERCPU_ARRAY(errors, MEM_ERR_NUM, __u64);
PERCPU_ARRAY(alloc_size, 1, struct hist);
PERCPU_ARRAY(sizeclasses, MEM_SIZECLASS_SLOTS, struct mem_class);
PERCPU_ARRAY(stw_hists, MEM_STW_SLOTS, struct hist);
PERCPU_ARRAY(gc_hists, MEM_GC_SLOTS, struct hist);
PERCPU_ARRAY(gc_reasons, MEM_GC_SLOTS, __u64);
PERCPU_ARRAY(pool_gets, MEM_POOL_GET_SLOTS, __u64);
PERCPU_ARRAY(pool_puts, MEM_POOL_PUT_SLOTS, __u64);
PERCPU_ARRAY(convts, MEM_CONVT_SLOTS, __u64);
PERCPU_ARRAY(sums, MEM_SUM_NUM, __u64);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mem_gc_state);
} gc_state SEC(".maps");

/* clamp maps v to [0, bad), bad itself for anything out of range. */
static __always_inline __u32 clamp(__u64 v, __u32 bad)
{
	return v < bad ? (__u32)v : bad;
}

static __always_inline struct mem_gc_state *gcstate(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&gc_state, &zero);
}

RT_PROBE_PROG(mallocgc, __u64 size, __u64 sizeclass, __u64 noscan, __u64 goid, __u64 n)
{
	__u32 cls = clamp(sizeclass, MEM_SIZECLASS_BAD);
	struct mem_class *c;

	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_MALLOCGC, n);
	hist_value(&alloc_size, 0, size, size);
	c = bpf_map_lookup_elem(&sizeclasses, &cls);
	if (c) {
		__sync_fetch_and_add(&c->count, n);
		__sync_fetch_and_add(&c->bytes, size * n);
	}
	add(&sums, MEM_SUM_ALLOC_BYTES, size * n);
	if (noscan)
		add(&sums, MEM_SUM_ALLOC_NOSCAN, n);
	return 0;
}

RT_PROBE_PROG(heap_grow, __u64 bytes, __u64 heap_sys, __u64 n)
{
	struct mem_gc_state *st;

	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_HEAP_GROW, n);
	add(&sums, MEM_SUM_HEAP_GROW_BYTES, bytes * n);
	st = gcstate();
	if (st)
		st->last_heap_sys = heap_sys;
	return 0;
}

RT_PROBE_PROG(scavenge, __u64 bytes_released, __u64 heap_released, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_SCAVENGE, n);
	add(&sums, MEM_SUM_SCAVENGED_BYTES, bytes_released * n);
	return 0;
}

RT_PROBE_PROG(gc_start, __u64 cycle, __u64 reason, __u64 heap_live, __u64 n)
{
	__u32 r = clamp(reason, MEM_GC_BAD);
	struct mem_gc_state *st;

	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_GC_START, n);
	add(&gc_reasons, r, n);
	st = gcstate();
	if (st) {
		st->cycle = cycle;
		st->reason = r;
		st->start_ts = bpf_ktime_get_ns();
	}
	return 0;
}

RT_PROBE_PROG(gc_mark_done, __u64 cycle, __u64 marked_bytes, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_GC_MARK_DONE, n);
	add(&sums, MEM_SUM_MARKED_BYTES, marked_bytes * n);
	return 0;
}

RT_PROBE_PROG(gc_done, __u64 cycle, __u64 heap_live, __u64 next_gc, __u64 n)
{
	struct mem_gc_state *st;

	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_GC_DONE, n);
	st = gcstate();
	if (!st)
		return 0;
	st->last_heap_live = heap_live;
	st->last_next_gc = next_gc;
	if (st->start_ts && st->cycle == cycle) {
		hist_time(&gc_hists, st->reason,
			  bpf_ktime_get_ns() - st->start_ts);
		st->start_ts = 0;
	} else {
		inc(&errors, MEM_ERR_GC_UNPAIRED);
	}
	return 0;
}

RT_PROBE_PROG(sweep, __u64 npages, __u64 objects_freed, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_SWEEP, n);
	add(&sums, MEM_SUM_SWEPT_PAGES, npages * n);
	add(&sums, MEM_SUM_SWEPT_OBJECTS, objects_freed * n);
	return 0;
}

RT_PROBE_PROG(stw_start, __u64 reason, __u64 n)
{
	if (traced())
		add(&counts, MEM_PROBE_STW_START, n);
	return 0;
}

RT_PROBE_PROG(stw_done, __u64 reason, __u64 pause_ns, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_STW_DONE, n);
	/* librt measured the pause itself: no pairing needed */
	hist_time(&stw_hists, clamp(reason, MEM_STW_BAD), pause_ns);
	return 0;
}

RT_PROBE_PROG(convT, __u64 kind, __u64 allocated, __u64 n)
{
	__u32 k = kind < MEM_CONVT_KINDS ? (__u32)kind : 0;

	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_CONVT, n);
	add(&convts, k * 2 + (allocated ? 1 : 0), n);
	return 0;
}

RT_PROBE_PROG(pool_get, __u64 result, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_POOL_GET, n);
	add(&pool_gets, clamp(result, MEM_POOL_GET_SLOTS - 1), n);
	return 0;
}

RT_PROBE_PROG(pool_put, __u64 where, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, MEM_PROBE_POOL_PUT, n);
	add(&pool_puts, clamp(where, MEM_POOL_PUT_SLOTS - 1), n);
	return 0;
}

RT_PROBE_PROG(finalizer_run, __u64 obj, __u64 n)
{
	if (traced())
		add(&counts, MEM_PROBE_FINALIZER_RUN, n);
	return 0;
}

RT_PROBE_FLUSH_PROG(counts, MEM_PROBE_NUM)

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * mem.bpf.c — librt's allocator, collector, stop-the-world, interface
 * boxing and sync.Pool, seen from their USDT probes.
 *
 * One program per memory probe of runtime/probes.h (provider "rt", from
 * mallocgc on), named as the probe. Everything counted per CPU is in one
 * struct mem_stats (mem.h), the single entry of the per-CPU stats map, so
 * a hit makes one map lookup and, with preemption disabled, plain adds
 * (rt.bpf.h's RT_STATS_PROG):
 *
 *   counts          events per probe; must equal librt's RT_STATS counts.
 *   sums            sums of probe arguments (bytes allocated, grown,
 *                   scavenged, marked; pages and objects swept).
 *   alloc_size      log2 histogram of mallocgc sizes, in bytes.
 *   classes         objects and bytes per size class (0 = large).
 *   convts          convT calls per kind, allocated or not.
 *   pool_gets       pool_get results (private, shared, stolen, victim,
 *                   miss); pool_puts where Put went.
 *   gc_reasons      cycles started, per reason.
 *   stw             per STW reason, log2 histogram of stw_done's pause_ns.
 *   gc              per GC reason, log2 histogram of gc_start -> gc_done.
 *   errors          what could not be recorded (enum mem_error).
 *
 * and, shared by all CPUs, gc_state: the cycle in progress and the last
 * heap figures (a second lookup, in GC probes only: they are rare).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.bpf.h"
#include "bits.bpf.h"
#include "mem.h"
#include "rt.bpf.h"

#pragma clang diagnostic ignored "-Wunused-parameter"

PERCPU_ARRAY(stats, 1, struct mem_stats);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mem_gc_state);
} gc_state SEC(".maps");

/*
 * clamp maps v to [0, bad), bad itself for anything out of range: an
 * index into one of mem_stats' arrays. The barrier keeps clang from
 * computing with v before the test, where the verifier would not see the
 * bound.
 */
static __always_inline __u32 clamp(__u64 v, __u32 bad)
{
	__u32 i = v < bad ? (__u32)v : bad;

	barrier_var(i);
	return i;
}

static __always_inline struct mem_gc_state *gcstate(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&gc_state, &zero);
}

RT_STATS_PROG(mallocgc, stats, __u64 size, __u64 sizeclass, __u64 noscan,
	      __u64 goid, __u64 n)
{
	struct mem_class *c = &st->classes[clamp(sizeclass, MEM_SIZECLASS_BAD)];

	pc_add(&st->counts[MEM_PROBE_MALLOCGC], n, excl);
	pc_add(&st->sums[MEM_SUM_ALLOC_BYTES], size * n, excl);
	if (noscan)
		pc_add(&st->sums[MEM_SUM_ALLOC_NOSCAN], n, excl);
	pc_add(&c->count, n, excl);
	pc_add(&c->bytes, size * n, excl);
	pc_hist(&st->alloc_size, size, size, excl);
}

RT_STATS_PROG(heap_grow, stats, __u64 bytes, __u64 heap_sys, __u64 n)
{
	struct mem_gc_state *g = gcstate();

	pc_add(&st->counts[MEM_PROBE_HEAP_GROW], n, excl);
	pc_add(&st->sums[MEM_SUM_HEAP_GROW_BYTES], bytes * n, excl);
	if (g)
		g->last_heap_sys = heap_sys;
}

RT_STATS_PROG(scavenge, stats, __u64 bytes_released, __u64 heap_released,
	      __u64 n)
{
	pc_add(&st->counts[MEM_PROBE_SCAVENGE], n, excl);
	pc_add(&st->sums[MEM_SUM_SCAVENGED_BYTES], bytes_released * n, excl);
}

RT_STATS_PROG(gc_start, stats, __u64 cycle, __u64 reason, __u64 heap_live,
	      __u64 n)
{
	__u32 r = clamp(reason, MEM_GC_BAD);
	struct mem_gc_state *g = gcstate();

	pc_add(&st->counts[MEM_PROBE_GC_START], n, excl);
	pc_add(&st->gc_reasons[r], n, excl);
	if (g) {
		g->cycle = cycle;
		g->reason = r;
		g->start_ts = bpf_ktime_get_ns();
	}
}

RT_STATS_PROG(gc_mark_done, stats, __u64 cycle, __u64 marked_bytes, __u64 n)
{
	pc_add(&st->counts[MEM_PROBE_GC_MARK_DONE], n, excl);
	pc_add(&st->sums[MEM_SUM_MARKED_BYTES], marked_bytes * n, excl);
}

RT_STATS_PROG(gc_done, stats, __u64 cycle, __u64 heap_live, __u64 next_gc,
	      __u64 n)
{
	struct mem_gc_state *g = gcstate();

	pc_add(&st->counts[MEM_PROBE_GC_DONE], n, excl);
	if (!g)
		return;
	g->last_heap_live = heap_live;
	g->last_next_gc = next_gc;
	if (g->start_ts && g->cycle == cycle) {
		pc_hist_time(&st->gc[clamp(g->reason, MEM_GC_BAD)],
			     bpf_ktime_get_ns() - g->start_ts, excl);
		g->start_ts = 0;
	} else {
		pc_add(&st->errors[MEM_ERR_GC_UNPAIRED], 1, excl);
	}
}

RT_STATS_PROG(sweep, stats, __u64 npages, __u64 objects_freed, __u64 n)
{
	pc_add(&st->counts[MEM_PROBE_SWEEP], n, excl);
	pc_add(&st->sums[MEM_SUM_SWEPT_PAGES], npages * n, excl);
	pc_add(&st->sums[MEM_SUM_SWEPT_OBJECTS], objects_freed * n, excl);
}

RT_STATS_PROG(stw_start, stats, __u64 reason, __u64 n)
{
	pc_add(&st->counts[MEM_PROBE_STW_START], n, excl);
}

RT_STATS_PROG(stw_done, stats, __u64 reason, __u64 pause_ns, __u64 n)
{
	pc_add(&st->counts[MEM_PROBE_STW_DONE], n, excl);
	/* librt measured the pause itself: no pairing needed */
	pc_hist_time(&st->stw[clamp(reason, MEM_STW_BAD)], pause_ns, excl);
}

RT_STATS_PROG(convT, stats, __u64 kind, __u64 allocated, __u64 n)
{
	__u32 k = kind < MEM_CONVT_KINDS ? (__u32)kind : 0; /* as clamp */

	barrier_var(k);
	pc_add(&st->counts[MEM_PROBE_CONVT], n, excl);
	pc_add(&st->convts[k * 2 + (allocated ? 1 : 0)], n, excl);
}

RT_STATS_PROG(pool_get, stats, __u64 result, __u64 n)
{
	pc_add(&st->counts[MEM_PROBE_POOL_GET], n, excl);
	pc_add(&st->pool_gets[clamp(result, MEM_POOL_GET_SLOTS - 1)], n, excl);
}

RT_STATS_PROG(pool_put, stats, __u64 where, __u64 n)
{
	pc_add(&st->counts[MEM_PROBE_POOL_PUT], n, excl);
	pc_add(&st->pool_puts[clamp(where, MEM_POOL_PUT_SLOTS - 1)], n, excl);
}

RT_STATS_PROG(finalizer_run, stats, __u64 obj, __u64 n)
{
	pc_add(&st->counts[MEM_PROBE_FINALIZER_RUN], n, excl);
}

RT_STATS_FLUSH_PROG(stats, MEM_PROBE_NUM)

char LICENSE[] SEC("license") = "GPL";

/*
 * mem.h — what mem.bpf.c and the rttrace user side share: the memory
 * probes' count indices and the layout of the memory histograms.
 *
 * As in sched.h, the BPF side cannot include runtime/probes.h, so the
 * memory probes are restated here in the order of RT_PROBE_LIST, from
 * mallocgc on; user/mem.c static-asserts that MEM_PROBE_x is
 * RT_PROBE_ID_x - RT_PROBE_ID_mallocgc for each, and that the range fits
 * in the list (the channel and timer probes of bpf/chan.h follow it).
 */
#ifndef RTTRACE_MEM_H
#define RTTRACE_MEM_H

#include "sched.h" /* struct hist, MAX_SLOTS */

/* Indices into mem_stats.counts; mirror enum rt_probe_id from mallocgc. */
enum mem_probe {
	MEM_PROBE_MALLOCGC,
	MEM_PROBE_HEAP_GROW,
	MEM_PROBE_SCAVENGE,
	MEM_PROBE_GC_START,
	MEM_PROBE_GC_MARK_DONE,
	MEM_PROBE_GC_DONE,
	MEM_PROBE_SWEEP,
	MEM_PROBE_STW_START,
	MEM_PROBE_STW_DONE,
	MEM_PROBE_CONVT,
	MEM_PROBE_POOL_GET,
	MEM_PROBE_POOL_PUT,
	MEM_PROBE_FINALIZER_RUN,
	MEM_PROBE_NUM,
};

/*
 * Size classes, as Go's (_NumSizeClasses = 68): class 0 is a large object
 * (> 32 KiB, its own span), 1..67 the small classes. One more slot,
 * MEM_SIZECLASS_BAD, counts a class outside that range.
 */
#define MEM_SIZECLASSES	    68
#define MEM_SIZECLASS_BAD   MEM_SIZECLASSES
#define MEM_SIZECLASS_SLOTS (MEM_SIZECLASSES + 1)

/* Objects and bytes allocated in one size class. */
struct mem_class {
	__u64 count;
	__u64 bytes;
};

/*
 * STW reasons mirror enum rt_stw_reason in runtime/rt.h (0 = unknown);
 * GC reasons mirror enum rt_gc_reason (1 = heap goal … 4 = periodic, 0
 * unused). Checked in user/mem.c. The last slot of each counts values
 * out of range.
 */
#define MEM_STW_REASONS 9
#define MEM_STW_BAD	MEM_STW_REASONS
#define MEM_STW_SLOTS	(MEM_STW_REASONS + 1)
#define MEM_GC_REASONS	5
#define MEM_GC_BAD	MEM_GC_REASONS
#define MEM_GC_SLOTS	(MEM_GC_REASONS + 1)

/* pool_get results 0..4 (probes.h) and pool_put places 0..1, + bad. */
#define MEM_POOL_GET_SLOTS 6
#define MEM_POOL_PUT_SLOTS 3

/* convT counts at kind * 2 + allocated; kind 1..3, 0 for out of range. */
#define MEM_CONVT_KINDS 4
#define MEM_CONVT_SLOTS (MEM_CONVT_KINDS * 2)

/* Sums of probe arguments, for the report's totals. */
enum mem_sum {
	MEM_SUM_ALLOC_BYTES,	 /* mallocgc size */
	MEM_SUM_ALLOC_NOSCAN,	 /* mallocgc calls with noscan set */
	MEM_SUM_HEAP_GROW_BYTES, /* heap_grow bytes */
	MEM_SUM_SCAVENGED_BYTES, /* scavenge bytes_released */
	MEM_SUM_MARKED_BYTES,	 /* gc_mark_done marked_bytes */
	MEM_SUM_SWEPT_PAGES,	 /* sweep npages */
	MEM_SUM_SWEPT_OBJECTS,	 /* sweep objects_freed */
	MEM_SUM_NUM,
};

/*
 * The cycle in progress, between gc_start and gc_done (a single entry, not
 * per CPU: the start and the end of a cycle may run on different CPUs),
 * and what the last gc_done and heap_grow said.
 */
struct mem_gc_state {
	__u64 cycle;	/* gc_start's cycle; valid while start_ts != 0 */
	__u64 start_ts; /* gc_start time, 0: no cycle in progress */
	__u32 reason;	/* its reason, clamped to MEM_GC_BAD */
	__u32 pad;
	__u64 last_heap_live; /* gc_done heap_live */
	__u64 last_next_gc;   /* gc_done next_gc */
	__u64 last_heap_sys;  /* heap_grow heap_sys */
};

/* Things mem.bpf.c could not record, per CPU; reported when non-zero. */
enum mem_error {
	/* gc_done whose gc_start was not seen (or of another cycle) */
	MEM_ERR_GC_UNPAIRED,
	MEM_ERR_NUM,
};

/*
 * Everything mem.bpf.c counts per CPU, in the one entry of its per-CPU
 * stats map: each program makes one lookup per hit (rt.bpf.h's
 * RT_STATS_PROG). The hot probe's fields come first.
 */
struct mem_stats {
	__u64 counts[MEM_PROBE_NUM]; /* events per probe */
	__u64 sums[MEM_SUM_NUM];     /* enum mem_sum */
	struct hist alloc_size;	     /* mallocgc sizes, bytes */
	struct mem_class classes[MEM_SIZECLASS_SLOTS]; /* 0: large */
	__u64 convts[MEM_CONVT_SLOTS];	     /* kind * 2 + allocated */
	__u64 pool_gets[MEM_POOL_GET_SLOTS]; /* by result */
	__u64 pool_puts[MEM_POOL_PUT_SLOTS]; /* by place */
	__u64 gc_reasons[MEM_GC_SLOTS];	     /* cycles started */
	__u64 errors[MEM_ERR_NUM];	     /* enum mem_error */
	struct hist stw[MEM_STW_SLOTS];	     /* pause_ns by reason */
	struct hist gc[MEM_GC_SLOTS];	     /* gc_start -> gc_done by reason */
};

#endif /* RTTRACE_MEM_H */

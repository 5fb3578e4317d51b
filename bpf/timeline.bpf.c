// SPDX-License-Identifier: GPL-2.0
/*
 * timeline.bpf.c — librt's scheduler, GC and stop-the-world, event by
 * event, for `rttrace … --timeline FILE.json` and `--goroutines`.
 *
 * Every other concern aggregates in the kernel; a timeline cannot: a slice
 * per goroutine run needs each gostart and each event that ends the run,
 * in order. So each probe here writes one fixed-size struct tl_event
 * (bpf/timeline.h) into a BPF ring buffer, and user space (user/timeline.c)
 * builds the trace from them at the end.
 *
 * Two choices keep that cheap enough to leave on for a benchmark:
 *
 *   - submit with BPF_RB_NO_WAKEUP: a wake-up per event would cost an
 *     interrupt-time irq_work and a wake of the reader per probe hit. The
 *     reader drains on its own timer instead (every 50 ms), so the buffer
 *     must hold 50 ms of events: --ringbuf-size.
 *   - mallocgc, the hottest probe, is not traced. The heap counter comes
 *     from gc_start / gc_done (heap_live) and heap_grow (heap_sys); the
 *     timer heaps are not events either: addtimer … runtimer store their
 *     P's heap length in timer_heaps, which the reader samples with its
 *     timer.
 *
 * A reserve that fails (the buffer is full because the reader fell
 * behind) is counted in errors[TL_ERR_DROPPED] and reported with the fix;
 * events are never lost silently.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.bpf.h"
#include "bits.bpf.h"
#include "sched.h"
#include "timeline.h"
#include "rt.bpf.h"

#pragma clang diagnostic ignored "-Wunused-parameter"

/* sized by user space from --ringbuf-size before load */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TL_RINGBUF_DEFAULT);
} events SEC(".maps");

PERCPU_ARRAY(errors, TL_ERR_NUM, __u64);

/* the latest timer-heap length of each P; sampled by user space */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TL_MAX_PS);
	__type(key, __u32);
	__type(value, __u64);
} timer_heaps SEC(".maps");

/* emit sends one event; a full buffer is counted, never silent. */
static __always_inline void emit(__u16 kind, __u64 a, __u64 b, __u64 c)
{
	struct tl_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		inc(&errors, TL_ERR_DROPPED);
		return;
	}
	e->ts = bpf_ktime_get_ns();
	e->a = a;
	e->b = b;
	e->c = c;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->kind = kind;
	e->cpu = (__u16)bpf_get_smp_processor_id();
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

RT_PROBE_PROG(newproc, __u64 goid, __u64 creator_goid, __u64 entry_pc, __u64 n)
{
	if (traced())
		emit(TL_NEWPROC, goid, creator_goid, entry_pc);
	return 0;
}

RT_PROBE_PROG(gostart, __u64 goid, __u64 p, __u64 tid, __u64 runnable_ns,
	      __u64 n)
{
	if (traced())
		emit(TL_GOSTART, goid, p, tid);
	return 0;
}

RT_PROBE_PROG(goend, __u64 goid, __u64 n)
{
	if (traced())
		emit(TL_GOEND, goid, 0, 0);
	return 0;
}

RT_PROBE_PROG(gopark, __u64 goid, __u64 reason, __u64 n)
{
	if (traced())
		emit(TL_GOPARK, goid, reason, 0);
	return 0;
}

RT_PROBE_PROG(goready, __u64 goid, __u64 by_goid, __u64 reason, __u64 parked_ns,
	      __u64 n)
{
	if (traced())
		emit(TL_GOREADY, goid, by_goid, 0);
	return 0;
}

RT_PROBE_PROG(gosched, __u64 goid, __u64 n)
{
	if (traced())
		emit(TL_GOSCHED, goid, 0, 0);
	return 0;
}

RT_PROBE_PROG(gopreempt, __u64 goid, __u64 kind, __u64 n)
{
	if (traced())
		emit(TL_GOPREEMPT, goid, kind, 0);
	return 0;
}

RT_PROBE_PROG(lockosthread, __u64 goid, __u64 locked, __u64 n)
{
	if (traced())
		emit(TL_LOCKOSTHREAD, goid, locked, 0);
	return 0;
}

RT_PROBE_PROG(entersyscall, __u64 goid, __u64 p, __u64 n)
{
	if (traced())
		emit(TL_ENTERSYSCALL, goid, p, 0);
	return 0;
}

RT_PROBE_PROG(exitsyscall, __u64 goid, __u64 fast, __u64 n)
{
	if (traced())
		emit(TL_EXITSYSCALL, goid, fast, 0);
	return 0;
}

RT_PROBE_PROG(heap_grow, __u64 bytes, __u64 heap_sys, __u64 n)
{
	if (traced())
		emit(TL_HEAP_GROW, bytes, heap_sys, 0);
	return 0;
}

RT_PROBE_PROG(gc_start, __u64 cycle, __u64 reason, __u64 heap_live, __u64 n)
{
	if (traced())
		emit(TL_GC_START, cycle, reason, heap_live);
	return 0;
}

RT_PROBE_PROG(gc_mark_done, __u64 cycle, __u64 marked_bytes, __u64 n)
{
	if (traced())
		emit(TL_GC_MARK_DONE, cycle, marked_bytes, 0);
	return 0;
}

RT_PROBE_PROG(gc_done, __u64 cycle, __u64 heap_live, __u64 next_gc, __u64 n)
{
	if (traced())
		emit(TL_GC_DONE, cycle, heap_live, next_gc);
	return 0;
}

RT_PROBE_PROG(stw_start, __u64 reason, __u64 n)
{
	if (traced())
		emit(TL_STW_START, reason, 0, 0);
	return 0;
}

RT_PROBE_PROG(stw_done, __u64 reason, __u64 pause_ns, __u64 n)
{
	if (traced())
		emit(TL_STW_DONE, reason, pause_ns, 0);
	return 0;
}

/* timer_heap keeps P p's heap length for the reader's periodic sample. */
static __always_inline void timer_heap(__u64 heaplen, __u64 p)
{
	__u32 idx = (__u32)p;
	__u64 *v;

	/* runtimer from a P-less M passes p = -1 */
	if (!traced() || p >= TL_MAX_PS)
		return;
	v = bpf_map_lookup_elem(&timer_heaps, &idx);
	if (v)
		*v = heaplen;
}

RT_PROBE_PROG(addtimer, __u64 when, __u64 heaplen, __u64 p, __u64 n)
{
	timer_heap(heaplen, p);
	return 0;
}

RT_PROBE_PROG(deltimer, __u64 when, __u64 heaplen, __u64 p, __u64 n)
{
	timer_heap(heaplen, p);
	return 0;
}

RT_PROBE_PROG(modtimer, __u64 when, __u64 heaplen, __u64 p, __u64 n)
{
	timer_heap(heaplen, p);
	return 0;
}

RT_PROBE_PROG(runtimer, __u64 lateness_ns, __u64 heaplen, __u64 p, __u64 n)
{
	timer_heap(heaplen, p);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

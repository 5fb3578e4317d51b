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
#define BPF_USDT_MAX_SPEC_CNT 1024
#include <bpf/usdt.bpf.h>
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

SEC("usdt")
int BPF_USDT(newproc, __u64 goid, __u64 creator_goid, __u64 entry_pc)
{
	if (traced())
		emit(TL_NEWPROC, goid, creator_goid, entry_pc);
	return 0;
}

SEC("usdt")
int BPF_USDT(gostart, __u64 goid, __u64 p, __u64 tid)
{
	if (traced())
		emit(TL_GOSTART, goid, p, tid);
	return 0;
}

SEC("usdt")
int BPF_USDT(goend, __u64 goid)
{
	if (traced())
		emit(TL_GOEND, goid, 0, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(gopark, __u64 goid, __u64 reason)
{
	if (traced())
		emit(TL_GOPARK, goid, reason, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(goready, __u64 goid, __u64 by_goid)
{
	if (traced())
		emit(TL_GOREADY, goid, by_goid, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(gosched, __u64 goid)
{
	if (traced())
		emit(TL_GOSCHED, goid, 0, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(gopreempt, __u64 goid, __u64 kind)
{
	if (traced())
		emit(TL_GOPREEMPT, goid, kind, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(lockosthread, __u64 goid, __u64 locked)
{
	if (traced())
		emit(TL_LOCKOSTHREAD, goid, locked, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(entersyscall, __u64 goid, __u64 p)
{
	if (traced())
		emit(TL_ENTERSYSCALL, goid, p, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(exitsyscall, __u64 goid, __u64 fast)
{
	if (traced())
		emit(TL_EXITSYSCALL, goid, fast, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(heap_grow, __u64 bytes, __u64 heap_sys)
{
	if (traced())
		emit(TL_HEAP_GROW, bytes, heap_sys, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(gc_start, __u64 cycle, __u64 reason, __u64 heap_live)
{
	if (traced())
		emit(TL_GC_START, cycle, reason, heap_live);
	return 0;
}

SEC("usdt")
int BPF_USDT(gc_mark_done, __u64 cycle, __u64 marked_bytes)
{
	if (traced())
		emit(TL_GC_MARK_DONE, cycle, marked_bytes, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(gc_done, __u64 cycle, __u64 heap_live, __u64 next_gc)
{
	if (traced())
		emit(TL_GC_DONE, cycle, heap_live, next_gc);
	return 0;
}

SEC("usdt")
int BPF_USDT(stw_start, __u64 reason)
{
	if (traced())
		emit(TL_STW_START, reason, 0, 0);
	return 0;
}

SEC("usdt")
int BPF_USDT(stw_done, __u64 reason, __u64 pause_ns)
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

SEC("usdt")
int BPF_USDT(addtimer, __u64 when, __u64 heaplen, __u64 p)
{
	timer_heap(heaplen, p);
	return 0;
}

SEC("usdt")
int BPF_USDT(deltimer, __u64 when, __u64 heaplen, __u64 p)
{
	timer_heap(heaplen, p);
	return 0;
}

SEC("usdt")
int BPF_USDT(modtimer, __u64 when, __u64 heaplen, __u64 p)
{
	timer_heap(heaplen, p);
	return 0;
}

SEC("usdt")
int BPF_USDT(runtimer, __u64 lateness_ns, __u64 heaplen, __u64 p)
{
	timer_heap(heaplen, p);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

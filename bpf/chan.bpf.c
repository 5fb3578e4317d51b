// SPDX-License-Identifier: GPL-2.0
/*
 * chan.bpf.c — librt's channels, select and timers, seen from their USDT
 * probes.
 *
 * One program per probe of runtime/probes.h (provider "rt") from chansend
 * to runtimer, named as the probe. All aggregated here:
 *
 *   counts          events per probe; must equal librt's RT_STATS counts.
 *   sums            sends and receives buffered, blocked (and their
 *                   blocked_ns), receives of a closed channel, selects
 *                   with a default, their cases.
 *   chans           per channel address, blocked sends and receives and
 *                   their total blocked_ns (only operations that blocked).
 *   selects         select outcomes: a case without blocking, a case
 *                   after blocking, default.
 *   select_starts   per goid, the selectgo time until selectgo_ret: a
 *                   blocked select resumes on whatever thread runs the
 *                   goroutine next, so the pair is keyed by goroutine.
 *   select_hist     log2 histogram of selectgo -> selectgo_ret.
 *   heaplen_hist    log2 histogram of the timer heap's length at addtimer.
 *   lateness_hist   log2 histogram of runtimer's lateness_ns.
 *   timer_heaps     per P, the last and the largest heap length seen.
 *   errors          what could not be recorded (enum chan_error).
 *
 * Adds on per-CPU maps are atomic for the reason sched.bpf.c gives; the
 * largest heap length is kept with compare-and-swap (BPF atomics, -mcpu=v3
 * in the Makefile), since timers of one P are added from any CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.bpf.h"
#include "bits.bpf.h"
#include "maps.bpf.h"
#include "chan.h"
#include "rt.bpf.h"

#pragma clang diagnostic ignored "-Wunused-parameter"

PERCPU_ARRAY(counts, CHAN_PROBE_NUM, __u64);
PERCPU_ARRAY(errors, CHAN_ERR_NUM, __u64);
PERCPU_ARRAY(sums, CHAN_SUM_NUM, __u64);
PERCPU_ARRAY(selects, CHAN_SEL_NUM, __u64);
PERCPU_ARRAY(select_hist, 1, struct hist);
PERCPU_ARRAY(heaplen_hist, 1, struct hist);
PERCPU_ARRAY(lateness_hist, 1, struct hist);

/* Shared by all CPUs: a P's timers are touched from any thread. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CHAN_P_SLOTS);
	__type(key, __u32);
	__type(value, struct chan_timer_heap);
} timer_heaps SEC(".maps");

/* An insert that fails (map full) is counted in CHAN_ERR_CHAN_MAP_FULL. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CHAN_MAX_CHANNELS);
	__type(key, __u64);
	__type(value, struct chan_block);
} chans SEC(".maps");

/*
 * Not preallocated, as sched.bpf.c's goids: user space sizes it with
 * --max-goroutines; a failed insert counts CHAN_ERR_SELECT_MAP_FULL.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCHED_MAX_GOROUTINES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u64);
} select_starts SEC(".maps");

static const struct chan_block zero_block;

/* nonneg turns a signed nanosecond argument negative by a librt bug
 * into 0, counting it in errors at err. */
static __always_inline __u64 nonneg(__u64 ns, __u32 err)
{
	if ((__s64)ns >= 0)
		return ns;
	inc(&errors, err);
	return 0;
}

/* block_add adds n blocked operations on chan to the chans map (one
 * sampled, standing for n). */
static __always_inline void block_add(__u64 chan, __u64 elemsize, __u64 ns,
				      bool send, __u64 n)
{
	struct chan_block *b;

	b = bpf_map_lookup_or_try_init(&chans, &chan, &zero_block);
	if (!b) {
		inc(&errors, CHAN_ERR_CHAN_MAP_FULL);
		return;
	}
	if (send) {
		__sync_fetch_and_add(&b->send_ns, ns * n);
		__sync_fetch_and_add(&b->send_count, n);
	} else {
		__sync_fetch_and_add(&b->recv_ns, ns * n);
		__sync_fetch_and_add(&b->recv_count, n);
	}
	b->elemsize = elemsize;
}

/*
 * heap_seen records a timer probe's heaplen on P p: the last value, and
 * the largest with compare-and-swap (a bounded number of tries: the
 * verifier wants no unbounded loop, and each failed try means another CPU
 * raised max meanwhile).
 */
static __always_inline void heap_seen(__u64 p, __u64 heaplen)
{
	__u32 idx = p < CHAN_MAX_PS ? (__u32)p : CHAN_P_BAD;
	struct chan_timer_heap *h = bpf_map_lookup_elem(&timer_heaps, &idx);
	__u64 old;

	if (!h)
		return;
	h->last = heaplen;
	__sync_fetch_and_add(&h->events, 1);
	for (int i = 0; i < 8; i++) {
		old = h->max;
		if (heaplen <= old)
			break;
		if (__sync_val_compare_and_swap(&h->max, old, heaplen) == old)
			break;
	}
}

RT_PROBE_PROG(chansend, __u64 chan, __u64 elemsize, __u64 buffered,
	     __u64 blocked_ns, __u64 goid, __u64 n)
{
	__u64 ns;

	if (!traced())
		return 0;
	add(&counts, CHAN_PROBE_CHANSEND, n);
	if (buffered)
		add(&sums, CHAN_SUM_SEND_BUFFERED, n);
	ns = nonneg(blocked_ns, CHAN_ERR_NEGATIVE_BLOCKED);
	if (!ns)
		return 0;
	add(&sums, CHAN_SUM_SEND_BLOCKED, n);
	add(&sums, CHAN_SUM_SEND_BLOCKED_NS, ns * n);
	block_add(chan, elemsize, ns, true, n);
	return 0;
}

RT_PROBE_PROG(chanrecv, __u64 chan, __u64 elemsize, __u64 flags,
	     __u64 blocked_ns, __u64 goid, __u64 n)
{
	__u64 ns;

	if (!traced())
		return 0;
	add(&counts, CHAN_PROBE_CHANRECV, n);
	if (flags & CHAN_RECV_BUFFERED)
		add(&sums, CHAN_SUM_RECV_BUFFERED, n);
	if (flags & CHAN_RECV_CLOSED)
		add(&sums, CHAN_SUM_RECV_CLOSED, n);
	ns = nonneg(blocked_ns, CHAN_ERR_NEGATIVE_BLOCKED);
	if (!ns)
		return 0;
	add(&sums, CHAN_SUM_RECV_BLOCKED, n);
	add(&sums, CHAN_SUM_RECV_BLOCKED_NS, ns * n);
	block_add(chan, elemsize, ns, false, n);
	return 0;
}

RT_PROBE_PROG(chanclose, __u64 chan, __u64 goid, __u64 n)
{
	if (traced())
		add(&counts, CHAN_PROBE_CHANCLOSE, n);
	return 0;
}

RT_PROBE_PROG(selectgo, __u64 ncases, __u64 has_default, __u64 goid, __u64 n)
{
	__u64 ts;

	if (!traced())
		return 0;
	add(&counts, CHAN_PROBE_SELECTGO, n);
	add(&sums, CHAN_SUM_SELECT_CASES, ncases * n);
	if (has_default)
		add(&sums, CHAN_SUM_SELECT_DEFAULT, n);
	ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&select_starts, &goid, &ts, BPF_ANY))
		inc(&errors, CHAN_ERR_SELECT_MAP_FULL);
	return 0;
}

RT_PROBE_PROG(selectgo_ret, __u64 chosen, __u64 blocked_ns, __u64 goid, __u64 n)
{
	__u64 *start, ns;

	if (!traced())
		return 0;
	add(&counts, CHAN_PROBE_SELECTGO_RET, n);
	ns = nonneg(blocked_ns, CHAN_ERR_NEGATIVE_BLOCKED);
	add(&sums, CHAN_SUM_SELECT_BLOCKED_NS, ns * n);
	if ((__s64)chosen < 0)
		add(&selects, CHAN_SEL_DEFAULT, n);
	else
		add(&selects, ns ? CHAN_SEL_BLOCKED : CHAN_SEL_READY, n);
	start = bpf_map_lookup_elem(&select_starts, &goid);
	if (!start) {
		inc(&errors, CHAN_ERR_SELECT_UNPAIRED);
		return 0;
	}
	hist_time(&select_hist, 0, bpf_ktime_get_ns() - *start);
	bpf_map_delete_elem(&select_starts, &goid);
	return 0;
}

RT_PROBE_PROG(addtimer, __u64 when, __u64 heaplen, __u64 p, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, CHAN_PROBE_ADDTIMER, n);
	hist_value(&heaplen_hist, 0, heaplen, heaplen);
	heap_seen(p, heaplen);
	return 0;
}

RT_PROBE_PROG(deltimer, __u64 when, __u64 heaplen, __u64 p, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, CHAN_PROBE_DELTIMER, n);
	heap_seen(p, heaplen);
	return 0;
}

RT_PROBE_PROG(modtimer, __u64 when, __u64 heaplen, __u64 p, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, CHAN_PROBE_MODTIMER, n);
	heap_seen(p, heaplen);
	return 0;
}

RT_PROBE_PROG(runtimer, __u64 lateness_ns, __u64 heaplen, __u64 p, __u64 n)
{
	if (!traced())
		return 0;
	add(&counts, CHAN_PROBE_RUNTIMER, n);
	hist_time(&lateness_hist, 0,
		  nonneg(lateness_ns, CHAN_ERR_NEGATIVE_LATENESS));
	heap_seen(p, heaplen);
	return 0;
}

RT_PROBE_FLUSH_PROG(counts, CHAN_PROBE_NUM)

char LICENSE[] SEC("license") = "GPL";

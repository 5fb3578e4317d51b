// SPDX-License-Identifier: GPL-2.0
/*
 * chan.bpf.c — librt's channels, select and timers, seen from their USDT
 * probes.
 *
 * One program per probe of runtime/probes.h (provider "rt") from chansend
 * to runtimer, named as the probe. Everything counted per CPU is in one
 * struct chan_stats (chan.h), the single entry of the per-CPU stats map,
 * so a hit makes one lookup of it and, with preemption disabled, plain
 * adds (rt.bpf.h's RT_STATS_PROG):
 *
 *   counts          events per probe; must equal librt's RT_STATS counts.
 *   sums            sends and receives buffered, blocked (and their
 *                   blocked_ns), receives of a closed channel, selects
 *                   with a default, their cases.
 *   selects         select outcomes: a case without blocking, a case
 *                   after blocking, default.
 *   select          log2 histogram of the time selects blocked: librt
 *                   measures it (selectgo_ret's blocked_ns), so nothing
 *                   pairs selectgo with its return here.
 *   heaplen         log2 histogram of the timer heap's length at addtimer.
 *   lateness        log2 histogram of runtimer's lateness_ns.
 *   ps              per P, timer probes and the largest heap length.
 *   errors          what could not be recorded (enum chan_error).
 *
 * Shared by all CPUs, and touched only where a per-CPU figure cannot do:
 *
 *   chans           per channel address, blocked sends and receives and
 *                   their total blocked_ns: only operations that blocked,
 *                   which cost a park and a wakeup anyway. Atomic adds.
 *   timer_last      per P, the heap length the last timer probe reported.
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

PERCPU_ARRAY(stats, 1, struct chan_stats);

/* A P's timers are touched from any thread: one slot per P for all CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CHAN_P_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} timer_last SEC(".maps");

/* An insert that fails (map full) is counted in CHAN_ERR_CHAN_MAP_FULL. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CHAN_MAX_CHANNELS);
	__type(key, __u64);
	__type(value, struct chan_block);
} chans SEC(".maps");

static const struct chan_block zero_block;

/* nonneg turns a signed nanosecond argument negative by a librt bug
 * into 0, counting it in st->errors[err]. */
static __always_inline __u64 nonneg(struct chan_stats *st, bool excl, __u64 ns,
				    __u32 err)
{
	if ((__s64)ns >= 0)
		return ns;
	pc_add(&st->errors[err], 1, excl);
	return 0;
}

/* block_add adds n blocked operations on chan to the chans map (one
 * sampled, standing for n). The entry is shared by all CPUs: atomic. */
static __always_inline void block_add(struct chan_stats *st, bool excl,
				      __u64 chan, __u64 elemsize, __u64 ns,
				      bool send, __u64 n)
{
	struct chan_block *b;

	b = bpf_map_lookup_or_try_init(&chans, &chan, &zero_block);
	if (!b) {
		pc_add(&st->errors[CHAN_ERR_CHAN_MAP_FULL], 1, excl);
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
 * heap_seen records a timer probe's heaplen on P p: the probes and the
 * largest length per CPU, the last length in timer_last (a plain store:
 * the last writer wins, as the last probe should).
 */
static __always_inline void heap_seen(struct chan_stats *st, bool excl, __u64 p,
				      __u64 heaplen)
{
	__u32 idx = p < CHAN_MAX_PS ? (__u32)p : CHAN_P_BAD;
	struct chan_p_timers *pt;
	__u64 *last;

	barrier_var(idx); /* keep the bound where the verifier sees it */
	pt = &st->ps[idx];
	pc_add(&pt->events, 1, excl);
	pc_max(&pt->max, heaplen);
	last = bpf_map_lookup_elem(&timer_last, &idx);
	if (last)
		*last = heaplen;
}

RT_STATS_PROG(chansend, stats, __u64 chan, __u64 elemsize, __u64 buffered,
	      __u64 blocked_ns, __u64 goid, __u64 n)
{
	__u64 ns;

	pc_add(&st->counts[CHAN_PROBE_CHANSEND], n, excl);
	if (buffered)
		pc_add(&st->sums[CHAN_SUM_SEND_BUFFERED], n, excl);
	if (!blocked_ns)
		return;
	ns = nonneg(st, excl, blocked_ns, CHAN_ERR_NEGATIVE_BLOCKED);
	if (!ns)
		return;
	pc_add(&st->sums[CHAN_SUM_SEND_BLOCKED], n, excl);
	pc_add(&st->sums[CHAN_SUM_SEND_BLOCKED_NS], ns * n, excl);
	block_add(st, excl, chan, elemsize, ns, true, n);
}

RT_STATS_PROG(chanrecv, stats, __u64 chan, __u64 elemsize, __u64 flags,
	      __u64 blocked_ns, __u64 goid, __u64 n)
{
	__u64 ns;

	pc_add(&st->counts[CHAN_PROBE_CHANRECV], n, excl);
	if (flags & CHAN_RECV_BUFFERED)
		pc_add(&st->sums[CHAN_SUM_RECV_BUFFERED], n, excl);
	if (flags & CHAN_RECV_CLOSED)
		pc_add(&st->sums[CHAN_SUM_RECV_CLOSED], n, excl);
	if (!blocked_ns)
		return;
	ns = nonneg(st, excl, blocked_ns, CHAN_ERR_NEGATIVE_BLOCKED);
	if (!ns)
		return;
	pc_add(&st->sums[CHAN_SUM_RECV_BLOCKED], n, excl);
	pc_add(&st->sums[CHAN_SUM_RECV_BLOCKED_NS], ns * n, excl);
	block_add(st, excl, chan, elemsize, ns, false, n);
}

RT_STATS_PROG(chanclose, stats, __u64 chan, __u64 goid, __u64 n)
{
	pc_add(&st->counts[CHAN_PROBE_CHANCLOSE], n, excl);
}

RT_STATS_PROG(selectgo, stats, __u64 ncases, __u64 has_default, __u64 goid,
	      __u64 n)
{
	pc_add(&st->counts[CHAN_PROBE_SELECTGO], n, excl);
	pc_add(&st->sums[CHAN_SUM_SELECT_CASES], ncases * n, excl);
	if (has_default)
		pc_add(&st->sums[CHAN_SUM_SELECT_DEFAULT], n, excl);
}

RT_STATS_PROG(selectgo_ret, stats, __u64 chosen, __u64 blocked_ns, __u64 goid,
	      __u64 n)
{
	__u64 ns = nonneg(st, excl, blocked_ns, CHAN_ERR_NEGATIVE_BLOCKED);
	__u32 outcome;

	if ((__s64)chosen < 0)
		outcome = CHAN_SEL_DEFAULT;
	else
		outcome = ns ? CHAN_SEL_BLOCKED : CHAN_SEL_READY;
	pc_add(&st->counts[CHAN_PROBE_SELECTGO_RET], n, excl);
	pc_add(&st->sums[CHAN_SUM_SELECT_BLOCKED_NS], ns * n, excl);
	pc_add(&st->selects[outcome], n, excl);
	pc_hist_time(&st->select, ns, excl);
}

RT_STATS_PROG(addtimer, stats, __u64 when, __u64 heaplen, __u64 p, __u64 n)
{
	pc_add(&st->counts[CHAN_PROBE_ADDTIMER], n, excl);
	pc_hist(&st->heaplen, heaplen, heaplen, excl);
	heap_seen(st, excl, p, heaplen);
}

RT_STATS_PROG(deltimer, stats, __u64 when, __u64 heaplen, __u64 p, __u64 n)
{
	pc_add(&st->counts[CHAN_PROBE_DELTIMER], n, excl);
	heap_seen(st, excl, p, heaplen);
}

RT_STATS_PROG(modtimer, stats, __u64 when, __u64 heaplen, __u64 p, __u64 n)
{
	pc_add(&st->counts[CHAN_PROBE_MODTIMER], n, excl);
	heap_seen(st, excl, p, heaplen);
}

RT_STATS_PROG(runtimer, stats, __u64 lateness_ns, __u64 heaplen, __u64 p,
	      __u64 n)
{
	pc_add(&st->counts[CHAN_PROBE_RUNTIMER], n, excl);
	pc_hist_time(&st->lateness,
		     nonneg(st, excl, lateness_ns, CHAN_ERR_NEGATIVE_LATENESS),
		     excl);
	heap_seen(st, excl, p, heaplen);
}

RT_STATS_FLUSH_PROG(stats, CHAN_PROBE_NUM)

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * block.bpf.c — the blocking profile: where goroutines wait, for how long,
 * and why; Go's block profile and go tool trace's "sync/select blocking
 * profile", built from librt's gopark and goready probes.
 *
 * At gopark the goroutine's user stack is taken (bpf_get_stackid with
 * BPF_F_USER_STACK: a frame-pointer walk from the probe site in rt_gopark
 * up through the channel, select, sleep or mutex call to the code that
 * made it, ending at the goroutine's entry) and kept with the time and the
 * wait reason under its goid. At goready the time since is added to
 * blocked[{stack, reason}].
 *
 * Why goready and not the goroutine's next gostart: the blocking profile
 * measures how long a goroutine waited for someone else — a sender, a
 * timer, an unlock — as Go's blockevent does with the releasetime the
 * waker stamps. The time from goready to running is the scheduler's
 * latency, measured by sched.bpf.c's runnable -> running histogram; adding
 * it here would blame a channel for a busy CPU. A park that unlockf
 * cancels fires goready at once, so it counts (near) zero, as it should.
 *
 * Cost: a stack walk per park. Loaded only with --blocking.
 *
 * Maps:
 *   stacks   BPF_MAP_TYPE_STACK_TRACE: stack id -> user return addresses.
 *            Stacks are compared in full (no BPF_F_FAST_STACK_CMP, no
 *            BPF_F_REUSE_STACKID), so a bucket collision is an error that
 *            is counted, never one stack standing for another.
 *   parked   goid -> struct block_park, from gopark to goready (or goend).
 *   blocked  struct block_key -> struct block_val.
 *   stats    per CPU, enum block_stat.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.bpf.h"
#include <asm-generic/errno.h>
#include "bits.bpf.h"
#include "block.h"
#include "sched.h"
#include "rt.bpf.h"

#pragma clang diagnostic ignored "-Wunused-parameter"

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, BLOCK_MAX_DEPTH * sizeof(__u64));
	__uint(max_entries, BLOCK_MAX_STACKS);
} stacks SEC(".maps");

/* Not preallocated: memory follows the goroutines parked at once. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BLOCK_MAX_GOROUTINES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct block_park);
} parked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BLOCK_MAX_STACKS);
	__type(key, struct block_key);
	__type(value, struct block_val);
} blocked SEC(".maps");

PERCPU_ARRAY(stats, BLOCK_STAT_NUM, __u64);

RT_PROBE_PROG(gopark, __u64 goid, __u64 reason, __u64 n)
{
	struct block_park p = {};
	long id;

	if (!traced())
		return 0;
	inc(&stats, BLOCK_PARKS);
	p.ts = bpf_ktime_get_ns();
	p.reason = reason < SCHED_WAIT_COUNT ? reason : BLOCK_WAIT_BAD;
	id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	p.stackid = id;
	if (id == -EEXIST)
		inc(&stats, BLOCK_STACK_COLLISION);
	else if (id == -ENOMEM)
		inc(&stats, BLOCK_STACK_FULL);
	else if (id < 0)
		inc(&stats, BLOCK_STACK_OTHER);
	if (bpf_map_update_elem(&parked, &goid, &p, BPF_ANY))
		inc(&stats, BLOCK_PARKED_FULL);
	return 0;
}

RT_PROBE_PROG(goready, __u64 goid, __u64 by_goid, __u64 reason, __u64 parked_ns,
	      __u64 n)
{
	struct block_val *v, init = {};
	struct block_park *p;
	struct block_key k;
	__u64 ns;

	if (!traced())
		return 0;
	p = bpf_map_lookup_elem(&parked, &goid);
	if (!p) {
		inc(&stats, BLOCK_READY_UNPARKED);
		return 0;
	}
	ns = bpf_ktime_get_ns() - p->ts;
	k.stackid = p->stackid;
	k.reason = p->reason;
	bpf_map_delete_elem(&parked, &goid);
	inc(&stats, BLOCK_READIES);

	v = bpf_map_lookup_elem(&blocked, &k);
	if (!v) {
		/* another CPU may insert the same key first: then add to it */
		bpf_map_update_elem(&blocked, &k, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&blocked, &k);
	}
	if (!v) {
		inc(&stats, BLOCK_BLOCKED_FULL);
		add(&stats, BLOCK_BLOCKED_LOST_NS, ns);
		return 0;
	}
	__sync_fetch_and_add(&v->ns, ns);
	__sync_fetch_and_add(&v->count, 1);
	return 0;
}

/* goend drops a park never readied (a goroutine cannot end parked, but a
 * stale entry of a reused goid must not be timed). */
RT_PROBE_PROG(goend, __u64 goid, __u64 n)
{
	if (traced())
		bpf_map_delete_elem(&parked, &goid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rt.bpf.h — what every rttrace BPF concern shares: the read-only knobs
 * user space sets before load, the target filter, counters and log2
 * histograms on per-CPU maps. Include after vmlinux.h, bpf_helpers.h,
 * bits.bpf.h and sched.h (struct hist).
 *
 * Adds on per-CPU maps are atomic: uprobe BPF programs run with migration
 * disabled but, on a preemptible kernel, not with preemption disabled, so
 * two traced threads can interleave on one CPU and a plain ++ could lose
 * an update — and the counts must equal librt's own.
 */
#ifndef RT_BPF_H
#define RT_BPF_H

/* Set by user space before load. */
const volatile __u32 targ_tgid = 0;    /* 0: any process */
const volatile bool targ_nsec = false; /* time slots in ns, else us */

#define PERCPU_ARRAY(_name, _n, _type)                   \
	struct {                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, _n);                 \
		__type(key, __u32);                      \
		__type(value, _type);                    \
	} _name SEC(".maps")

/* traced filters on the target process: uprobes are per inode, not pid. */
static __always_inline bool traced(void)
{
	return !targ_tgid || (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

static __always_inline void add(void *map, __u32 idx, __u64 v)
{
	__u64 *cnt = bpf_map_lookup_elem(map, &idx);

	if (cnt)
		__sync_fetch_and_add(cnt, v);
}

static __always_inline void inc(void *map, __u32 idx)
{
	add(map, idx, 1);
}

/* hist_value records v (slot log2(slot_v)) into the histogram at idx of
 * map; total_ns holds the plain sum of v, whatever its unit, and max the
 * largest v. */
static __always_inline void hist_value(void *map, __u32 idx, __u64 slot_v,
				       __u64 v)
{
	struct hist *h = bpf_map_lookup_elem(map, &idx);
	__u64 slot;

	if (!h)
		return;
	slot = log2l(slot_v);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->total_ns, v);
	/* the map is per-CPU: only a program nested on this CPU could race,
	 * and it would record its own value a moment later */
	if (v > h->max)
		h->max = v;
}

/* hist_time records a duration, slotted in the unit targ_nsec chose. */
static __always_inline void hist_time(void *map, __u32 idx, __u64 ns)
{
	hist_value(map, idx, targ_nsec ? ns : ns / 1000, ns);
}

/*
 * RT_PROBE_FLUSH_PROG defines the program for rt:probe_flush(probe, n) of a
 * concern whose per-probe counts map (map, nprobes entries) starts at
 * probe id targ_first_probe: at exit librt reports there the events no
 * sampled firing reported (runtime/probes.h), and they complete the
 * totals. Include probe.bpf.h first.
 */
const volatile __u32 targ_first_probe = 0;

#define RT_PROBE_FLUSH_PROG(map, nprobes)                             \
	RT_PROBE_PROG(probe_flush, __u64 probe, __u64 n)              \
	{                                                             \
		__u64 i = probe - targ_first_probe;                   \
                                                                      \
		if (traced() && probe >= targ_first_probe && i < (nprobes)) \
			add(&map, (__u32)i, n);                       \
		return 0;                                             \
	}

#endif /* RT_BPF_H */

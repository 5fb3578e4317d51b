/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rt.bpf.h — what every rttrace BPF concern shares: the read-only knobs
 * user space sets before load, the target filter, counters and log2
 * histograms on per-CPU maps. Include after vmlinux.h, bpf_helpers.h,
 * probe.bpf.h, bits.bpf.h and sched.h (struct hist).
 *
 * The counts must equal librt's own, so no update may be lost. A uprobe
 * BPF program runs with migration disabled but, on a preemptible kernel,
 * not with preemption disabled: two traced threads can interleave on one
 * CPU, and a plain ++ on a per-CPU value could lose an update. Two ways
 * to keep it exact:
 *
 *  - RT_STATS_PROG (mem, chan, defer): all of a program's per-CPU updates
 *    go to one struct, looked up once per hit, under bpf_preempt_disable
 *    (a kfunc since Linux 6.10), so they are plain adds. Where the kernel
 *    lacks the kfunc, the same body is compiled with atomic adds and the
 *    verifier keeps that copy instead (see RT_STATS_PROG).
 *  - add, inc, hist_value: an atomic add on one map entry per call.
 *
 * Measured on 6.18 (x86-64, bpf_stats): a lock-prefixed add costs about
 * 6-7 ns even on a CPU-local line, the preempt_disable/enable pair about
 * 2-4 ns in all, a plain add well under 1 ns; an inlined per-CPU array
 * lookup about 1-2 ns, bpf_get_current_pid_tgid about 3 ns.
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

/*
 * traced filters on the target process. The attach filters on the pid
 * already (probe_attach.c), but a uprobe lives on the file: this keeps a
 * fork sharing the probed text, or an attach by path, out. One helper
 * call.
 */
static __always_inline bool traced(void)
{
	return !targ_tgid || (bpf_get_current_pid_tgid() >> 32) == targ_tgid;
}

/*
 * pc_add adds v to the per-CPU counter *p: a plain add when the program
 * has its CPU to itself (excl, preemption disabled), else an atomic one.
 */
static __always_inline void pc_add(__u64 *p, __u64 v, const bool excl)
{
	if (excl)
		*p += v;
	else
		__sync_fetch_and_add(p, v);
}

/*
 * pc_max raises the per-CPU maximum *p to v. Exact when excl; otherwise a
 * program preempting this one between the test and the store could have
 * its larger value overwritten (max is a figure for people, not a count).
 */
static __always_inline void pc_max(__u64 *p, __u64 v)
{
	if (v > *p)
		*p = v;
}

/*
 * pc_hist records v (slot log2(slot_v)) into the per-CPU histogram h;
 * total_ns holds the plain sum of v, whatever its unit, and max the
 * largest v. excl as for pc_add.
 */
static __always_inline void pc_hist(struct hist *h, __u64 slot_v, __u64 v,
				    const bool excl)
{
	__u64 slot = log2l(slot_v);

	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	if (excl) {
		h->slots[slot]++;
		h->count++;
		h->total_ns += v;
	} else {
		__sync_fetch_and_add(&h->slots[slot], 1);
		__sync_fetch_and_add(&h->count, 1);
		__sync_fetch_and_add(&h->total_ns, v);
	}
	pc_max(&h->max, v);
}

/* pc_hist_time records a duration, slotted in the unit targ_nsec chose. */
static __always_inline void pc_hist_time(struct hist *h, __u64 ns,
					 const bool excl)
{
	pc_hist(h, targ_nsec ? ns : ns / 1000, ns, excl);
}

/* add adds v to entry idx of a per-CPU __u64 map, atomically. */
static __always_inline void add(void *map, __u32 idx, __u64 v)
{
	__u64 *cnt = bpf_map_lookup_elem(map, &idx);

	if (cnt)
		pc_add(cnt, v, false);
}

static __always_inline void inc(void *map, __u32 idx)
{
	add(map, idx, 1);
}

/* hist_value is pc_hist on entry idx of a per-CPU struct hist map,
 * atomically. */
static __always_inline void hist_value(void *map, __u32 idx, __u64 slot_v,
				       __u64 v)
{
	struct hist *h = bpf_map_lookup_elem(map, &idx);

	if (h)
		pc_hist(h, slot_v, v, false);
}

/* hist_time records a duration, slotted in the unit targ_nsec chose. */
static __always_inline void hist_time(void *map, __u32 idx, __u64 ns)
{
	hist_value(map, idx, targ_nsec ? ns : ns / 1000, ns);
}

/*
 * The preemption kfuncs. Weak: on a kernel without them libbpf resolves
 * both to 0, `if (bpf_preempt_disable)` is then known false at load, and
 * the verifier drops the branch that calls them (a kfunc call left
 * unresolved is accepted when it is dead code).
 */
extern void bpf_preempt_disable(void) __ksym __weak;
extern void bpf_preempt_enable(void) __ksym __weak;

/*
 * RT_STATS_PROG(name, map, args...) defines the program for librt probe
 * name (as RT_PROBE_PROG, whose argument list it takes) for a concern
 * that keeps all its per-CPU figures in one struct, the single entry of
 * the per-CPU array map. The program filters on the target, looks the
 * struct up (the hit's one map lookup), and runs the body with
 *
 *	st	this CPU's struct;
 *	excl	true when the body runs with preemption disabled, so
 *		pc_add and pc_hist on st are plain adds; false on a kernel
 *		without bpf_preempt_disable, where they are atomic;
 *	ctx	and the probe's arguments.
 *
 * The body is inlined twice, once per value of excl, and the verifier
 * keeps the copy this kernel can run (see above): no branch on excl is
 * left at run time. The body returns nothing, and may return early; it
 * must not call anything that sleeps. Updates to maps shared by all CPUs
 * stay atomic whatever excl says.
 *
 *	RT_STATS_PROG(convT, stats, __u64 kind, __u64 allocated, __u64 n)
 *	{
 *		pc_add(&st->counts[MEM_PROBE_CONVT], n, excl);
 *	}
 */
#define RT_STATS_PROG(name, map, args...)                                    \
	static __always_inline void ____##name(__typeof__(*(map).value) *st, \
					       const bool excl,              \
					       struct pt_regs *ctx, ##args); \
	int name(struct pt_regs *ctx);                                       \
	SEC("uprobe") int name(struct pt_regs *ctx)                          \
	{                                                                    \
		__typeof__(*(map).value) *st;                                \
		__u32 zero = 0;                                              \
                                                                             \
		if (!traced())                                               \
			return 0;                                            \
		st = bpf_map_lookup_elem(&(map), &zero);                     \
		if (!st)                                                     \
			return 0;                                            \
		if (bpf_preempt_disable) {                                   \
			bpf_preempt_disable();                               \
			____##name(st, true, ___rt_regs(args));              \
			bpf_preempt_enable();                                \
		} else {                                                     \
			____##name(st, false, ___rt_regs(args));             \
		}                                                            \
		return 0;                                                    \
	}                                                                    \
	static __always_inline void ____##name(__typeof__(*(map).value) *st, \
					       const bool excl,              \
					       struct pt_regs *ctx, ##args)

/*
 * RT_STATS_FLUSH_PROG defines the program for rt:probe_flush(probe, n) of
 * an RT_STATS_PROG concern whose struct has its per-probe counts in
 * counts[nprobes], starting at probe id targ_first_probe: at exit librt
 * reports there the events no sampled firing reported (runtime/probes.h),
 * and they complete the totals.
 */
const volatile __u32 targ_first_probe = 0;

#define RT_STATS_FLUSH_PROG(map, nprobes)                       \
	RT_STATS_PROG(probe_flush, map, __u64 probe, __u64 n)   \
	{                                                       \
		__u64 i = probe - targ_first_probe;             \
                                                                \
		if (probe >= targ_first_probe && i < (nprobes)) \
			pc_add(&st->counts[i], n, excl);        \
	}

#endif /* RT_BPF_H */

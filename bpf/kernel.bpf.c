// SPDX-License-Identifier: GPL-2.0
/*
 * kernel.bpf.c — the kernel's view of the traced process, joined to
 * librt's goroutines.
 *
 * The scheduler sees threads; librt's probes say which goroutine each
 * thread (an M) runs. This concern keeps both on one record per thread
 * (struct kernel_m in the ms map, keyed by tid):
 *
 *   from librt's probes   gostart sets the M's running goroutine;
 *                         gopark, goend, gosched, gopreempt and a slow
 *                         exitsyscall clear it; lockosthread keeps the
 *                         goroutine the M is locked to; entersyscall ..
 *                         exitsyscall is a blocking-syscall window;
 *                         stw_start .. stw_done is a stop-the-world
 *                         window; newproc gives each goroutine's entry
 *                         function.
 *   from the kernel       raw_syscalls sys_enter/sys_exit: which system
 *                         call the thread is in, and whether it is a
 *                         futex wait; sched_switch: off-CPU and on-CPU
 *                         periods; sched_wakeup(_new): when a sleeping
 *                         thread became runnable; sched_process_exit.
 *
 * At switch-out the thread's off-CPU reason is decided (kernel.h, enum
 * kernel_reason) and its user stack taken; at switch-in the period is
 * added to the thread's totals, to the per-reason and per-M log2
 * histograms and to the off-CPU stack's weight. A futex wait that began
 * during a stop-the-world window gives the part of it that overlaps the
 * windows to FUTEX_STW: the overlap is the difference of a stop-the-world
 * clock (the sum of the windows so far plus the open one) between
 * switch-out and switch-in, exact because windows never overlap.
 *
 * Run-queue latency is wake-up (or an involuntary switch-out, which
 * leaves the thread runnable) to switch-in, as libbpf-tools' runqlat.
 *
 * Programs come in tp_btf/ and raw_tp/ twins on the same handlers; user
 * space loads one set (bpf_program__set_autoload), tp_btf first. Neither
 * needs tracefs. Only threads of targ_tgid are recorded; it must be set.
 *
 * The syscall numbers are x86-64's (kernel.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.bpf.h"
#include <asm-generic/errno.h>
#include "bits.bpf.h"
#include "maps.bpf.h"
#include "sched.h"
#include "kernel.h"
#include "rt.bpf.h"

#pragma clang diagnostic ignored "-Wunused-parameter"

#define TASK_RUNNING 0

PERCPU_ARRAY(errors, KERR_NUM, __u64);
PERCPU_ARRAY(offcpu_hists, KREASON_NUM, struct hist);
PERCPU_ARRAY(runq_hist, 1, struct hist);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KERNEL_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct kernel_m);
} ms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KERNEL_MAX_THREADS *KREASON_NUM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct kernel_mhist_key);
	__type(value, struct hist);
} mhists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KERNEL_MAX_RUN);
	__type(key, struct kernel_run_key);
	__type(value, __u64);
} run_ns SEC(".maps");

/* goid -> entry_pc, from newproc to goend */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KERNEL_MAX_GOROUTINES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u64);
} gentry SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KERNEL_MAX_GFUTEX);
	__type(key, __u64);
	__type(value, struct kernel_gfutex);
} gfutex SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, KERNEL_MAX_DEPTH * sizeof(__u64));
	__uint(max_entries, KERNEL_MAX_STACKS);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KERNEL_MAX_STACK_KEYS);
	__type(key, struct kernel_stack_key);
	__type(value, struct kernel_stack_val);
} offstacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kernel_stw);
} stw SEC(".maps");

static const struct kernel_m zero_m;

/* Kernels before 5.14 name the task state "state" (libbpf-tools'
 * core_fixes.bpf.h). */
struct task_struct___o {
	volatile long int state;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___o *)t, state);
}

static __always_inline struct kernel_stw *stw_of(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stw, &zero);
}

/* stw_clock is the stop-the-world time so far, the open window included. */
static __always_inline __u64 stw_clock(struct kernel_stw *s, __u64 now)
{
	__u64 start = s->start_ts;

	return s->total_ns + (start && now > start ? now - start : 0);
}

/*
 * m_of returns thread tid's record, creating it (first_ts, comm from
 * task) on first sight; counts a failed insert.
 */
static __always_inline struct kernel_m *m_of(__u32 tid,
					     struct task_struct *task)
{
	struct kernel_m *m;

	m = bpf_map_lookup_or_try_init(&ms, &tid, &zero_m);
	if (!m) {
		inc(&errors, KERR_MS_FULL);
		return NULL;
	}
	if (!m->first_ts) {
		m->first_ts = bpf_ktime_get_ns();
		m->off_stackid = -1;
		bpf_probe_read_kernel_str(m->comm, sizeof(m->comm), task->comm);
	}
	return m;
}

static __always_inline struct kernel_m *m_current(void)
{
	return m_of((__u32)bpf_get_current_pid_tgid(),
		    bpf_get_current_task_btf());
}

static __always_inline bool task_traced(struct task_struct *t)
{
	return (__u32)BPF_CORE_READ(t, tgid) == targ_tgid;
}

/* add_run adds ns to tid's time running goroutines of entry function. */
static __always_inline void add_run(__u32 tid, __u64 entry, __u64 ns)
{
	struct kernel_run_key key = {.tid = tid, .entry = entry};
	static const __u64 zero;
	__u64 *v;

	v = bpf_map_lookup_or_try_init(&run_ns, &key, &zero);
	if (v)
		__sync_fetch_and_add(v, ns);
	else
		inc(&errors, KERR_RUN_FULL);
}

/* flush_run closes the running goroutine's slice of CPU at now. */
static __always_inline void flush_run(struct kernel_m *m, __u32 tid, __u64 now)
{
	if (m->cur_goid && m->run_since && now > m->run_since) {
		m->run_g_ns += now - m->run_since;
		add_run(tid, m->cur_entry, now - m->run_since);
	}
	m->run_since = 0;
}

/* stop_g: the M's goroutine stopped running on it (parked, ended,
 * yielded, preempted, or queued by a slow exitsyscall). */
static __always_inline void stop_g(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kernel_m *m = m_current();

	if (!m)
		return;
	flush_run(m, tid, bpf_ktime_get_ns());
	m->cur_goid = 0;
	m->cur_entry = 0;
}

/* ---- librt's probes ------------------------------------------------------ */

RT_PROBE_PROG(newproc, __u64 goid, __u64 creator_goid, __u64 entry_pc, __u64 n)
{
	if (!traced())
		return 0;
	if (bpf_map_update_elem(&gentry, &goid, &entry_pc, BPF_ANY))
		inc(&errors, KERR_ENTRY_FULL);
	return 0;
}

RT_PROBE_PROG(gostart, __u64 goid, __u64 p, __u64 tid, __u64 runnable_ns,
	      __u64 n)
{
	struct kernel_m *m;
	__u64 *entry;

	if (!traced())
		return 0;
	m = m_current();
	if (!m)
		return 0;
	entry = bpf_map_lookup_elem(&gentry, &goid);
	m->cur_goid = goid;
	m->cur_entry = entry ? *entry : 0;
	m->run_since = bpf_ktime_get_ns();
	m->gostarts++;
	return 0;
}

RT_PROBE_PROG(goend, __u64 goid, __u64 n)
{
	struct kernel_m *m;

	if (!traced())
		return 0;
	stop_g();
	bpf_map_delete_elem(&gentry, &goid);
	m = m_current();
	/* a goroutine that ends locked takes its M with it (goexit0) */
	if (m && m->locked_goid == goid) {
		m->locked_goid = 0;
		m->lock_depth = 0;
	}
	return 0;
}

RT_PROBE_PROG(gopark, __u64 goid, __u64 reason, __u64 n)
{
	if (traced())
		stop_g();
	return 0;
}

RT_PROBE_PROG(gosched, __u64 goid, __u64 n)
{
	if (traced())
		stop_g();
	return 0;
}

RT_PROBE_PROG(gopreempt, __u64 goid, __u64 kind, __u64 n)
{
	if (traced())
		stop_g();
	return 0;
}

RT_PROBE_PROG(lockosthread, __u64 goid, __u64 locked, __u64 n)
{
	struct kernel_m *m;

	if (!traced())
		return 0;
	m = m_current();
	if (!m)
		return 0;
	/* nested, as rt_lock_os_thread counts them (lockedext) */
	if (locked) {
		m->lock_depth++;
		m->locked_goid = goid;
	} else if (m->lock_depth && --m->lock_depth == 0) {
		m->locked_goid = 0;
	}
	return 0;
}

RT_PROBE_PROG(entersyscall, __u64 goid, __u64 p, __u64 n)
{
	struct kernel_m *m;

	if (!traced())
		return 0;
	m = m_current();
	if (m)
		m->in_syscall = 1;
	return 0;
}

RT_PROBE_PROG(exitsyscall, __u64 goid, __u64 fast, __u64 n)
{
	struct kernel_m *m;

	if (!traced())
		return 0;
	m = m_current();
	if (m)
		m->in_syscall = 0;
	/* no P free: the goroutine is queued and this M stops */
	if (!fast)
		stop_g();
	return 0;
}

RT_PROBE_PROG(stw_start, __u64 reason, __u64 n)
{
	struct kernel_stw *s;

	if (!traced())
		return 0;
	s = stw_of();
	if (!s)
		return 0;
	s->start_ts = bpf_ktime_get_ns();
	s->windows++;
	return 0;
}

RT_PROBE_PROG(stw_done, __u64 reason, __u64 pause_ns, __u64 n)
{
	struct kernel_stw *s;
	__u64 now;

	if (!traced())
		return 0;
	s = stw_of();
	if (!s || !s->start_ts)
		return 0;
	now = bpf_ktime_get_ns();
	/* total first: a reader between the two sees the window once */
	__sync_fetch_and_add(&s->total_ns, now - s->start_ts);
	s->start_ts = 0;
	return 0;
}

/* ---- the kernel's view ----------------------------------------------------
 */

static __always_inline bool futex_wait_op(__u64 op)
{
	/* FUTEX_CMD_MASK: without FUTEX_PRIVATE_FLAG and CLOCK_REALTIME */
	switch (op & ~(__u64)(128 | 256)) {
	case 0:	 /* FUTEX_WAIT */
	case 6:	 /* FUTEX_LOCK_PI */
	case 9:	 /* FUTEX_WAIT_BITSET */
	case 11: /* FUTEX_WAIT_REQUEUE_PI */
	case 13: /* FUTEX_LOCK_PI2 */
		return true;
	}
	return false;
}

static __always_inline int on_sys_enter(struct pt_regs *regs, long id)
{
	struct kernel_m *m;

	if (!traced())
		return 0;
	m = m_current();
	if (!m)
		return 0;
	m->sys_nr = (__u32)id + 1;
	if (id == KERNEL_NR_FUTEX_WAITV ||
	    (id == KERNEL_NR_FUTEX && futex_wait_op(BPF_CORE_READ(regs, si)))) {
		m->in_futex_wait = 1;
		m->futex_ts = bpf_ktime_get_ns();
		/* the goroutine this wait holds up: the running one, or the
		 * one the M is locked to and waits for */
		m->futex_goid = m->cur_goid ? m->cur_goid : m->locked_goid;
	}
	return 0;
}

static __always_inline int on_sys_exit(void)
{
	struct kernel_gfutex zero = {}, *g;
	struct kernel_m *m;
	__u64 ns, *entry;

	if (!traced())
		return 0;
	m = m_current();
	if (!m)
		return 0;
	m->sys_nr = 0;
	if (!m->in_futex_wait)
		return 0;
	m->in_futex_wait = 0;
	ns = bpf_ktime_get_ns() - m->futex_ts;
	m->futex_waits++;
	m->futex_wait_ns += ns;
	if (!m->futex_goid)
		return 0;
	entry = bpf_map_lookup_elem(&gentry, &m->futex_goid);
	zero.entry = entry ? *entry : 0;
	g = bpf_map_lookup_or_try_init(&gfutex, &m->futex_goid, &zero);
	if (!g) {
		inc(&errors, KERR_GFUTEX_FULL);
		return 0;
	}
	__sync_fetch_and_add(&g->count, 1);
	__sync_fetch_and_add(&g->ns, ns);
	return 0;
}

/* classify names a voluntary switch-out from what the thread was doing. */
static __always_inline __u32 classify(struct kernel_m *m)
{
	if (m->in_syscall)
		return KREASON_SYSCALL;
	if (m->in_futex_wait) {
		if (m->cur_goid)
			return KREASON_FUTEX_RUNNING_G;
		if (m->lock_depth)
			return KREASON_FUTEX_LOCKED_G;
		return KREASON_FUTEX_IDLE;
	}
	return KREASON_OTHER;
}

/* leaf_ret reads the word at the user stack pointer (bpf/profile.h); user
 * space keeps it only where the pc's CFI says it is a return address. */
static __always_inline __u64 leaf_ret(void)
{
	struct pt_regs *regs;
	__u64 ret = 0;

	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs || bpf_probe_read_user(&ret, sizeof(ret), (void *)regs->sp))
		return 0;
	return ret;
}

/* hist_add records a duration into h, as rt.bpf.h's hist_time does into
 * an array's entry: here h is a hash map's value. */
static __always_inline void hist_add(struct hist *h, __u64 ns)
{
	__u64 slot = log2l(targ_nsec ? ns : ns / 1000);

	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->total_ns, ns);
}

/* record adds one off-CPU period (or the STW part of one) of thread tid. */
static __always_inline void record(struct kernel_m *m, __u32 tid, __u32 reason,
				   __u64 ns)
{
	struct kernel_mhist_key hk = {.tid = tid, .reason = reason};
	struct kernel_stack_key sk = {
	    .user_stackid = m->off_stackid,
	    .reason = reason,
	    .leaf_ret = m->off_leaf,
	};
	static const struct hist zero_hist;
	static const struct kernel_stack_val zero_val;
	struct kernel_stack_val *sv;
	struct hist *h;

	if (reason >= KREASON_NUM)
		return;
	m->off_ns[reason] += ns;
	m->off_count[reason]++;
	hist_time(&offcpu_hists, reason, ns);
	h = bpf_map_lookup_or_try_init(&mhists, &hk, &zero_hist);
	if (h)
		hist_add(h, ns);
	else
		inc(&errors, KERR_MHIST_FULL);
	sv = bpf_map_lookup_or_try_init(&offstacks, &sk, &zero_val);
	if (sv) {
		__sync_fetch_and_add(&sv->ns, ns);
		__sync_fetch_and_add(&sv->count, 1);
	} else {
		inc(&errors, KERR_OFFSTACK_FULL);
	}
}

static __always_inline void switch_out(void *ctx, bool preempt,
				       struct task_struct *prev, __u64 now)
{
	__u32 tid = BPF_CORE_READ(prev, pid);
	struct kernel_m *m = m_of(tid, prev);
	struct kernel_stw *s = stw_of();
	long id;

	if (!m)
		return;
	if (m->on_ts && now > m->on_ts)
		m->on_cpu_ns += now - m->on_ts;
	m->on_ts = 0;
	flush_run(m, tid, now);
	/* a preempted switch passes TASK_RUNNING whatever __state holds */
	if (preempt || task_state(prev) == TASK_RUNNING) {
		m->involuntary++;
		m->off_reason = KREASON_PREEMPTED;
		/* still runnable: on the run queue from now */
		m->wake_ts = now;
	} else {
		m->voluntary++;
		m->off_reason = classify(m);
	}
	m->off_ts = now;
	m->off_in_stw = s && s->start_ts;
	m->off_stw_clock = s ? stw_clock(s, now) : 0;
	id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (id < 0 && id != -EFAULT)
		inc(&errors, KERR_STACK_LOST);
	m->off_stackid = id;
	m->off_leaf = id >= 0 ? leaf_ret() : 0;
}

static __always_inline void switch_in(struct task_struct *next, __u64 now)
{
	__u32 tid = BPF_CORE_READ(next, pid);
	struct kernel_m *m = m_of(tid, next);
	struct kernel_stw *s;
	__u32 reason;
	__u64 dt, part;

	if (!m)
		return;
	m->on_ts = now;
	if (m->cur_goid)
		m->run_since = now;
	bpf_probe_read_kernel_str(m->comm, sizeof(m->comm), next->comm);
	if (m->wake_ts && now > m->wake_ts) {
		hist_time(&runq_hist, 0, now - m->wake_ts);
		m->runq_ns += now - m->wake_ts;
		m->runq_count++;
	}
	m->wake_ts = 0;
	if (!m->off_ts || now <= m->off_ts)
		return;
	dt = now - m->off_ts;
	m->off_ts = 0;
	reason = m->off_reason;
	part = 0;
	if (m->off_in_stw && reason <= KREASON_FUTEX_RUNNING_G &&
	    (s = stw_of())) {
		__u64 clk = stw_clock(s, now);

		part = clk > m->off_stw_clock ? clk - m->off_stw_clock : 0;
		if (part > dt)
			part = dt;
	}
	if (part)
		record(m, tid, KREASON_FUTEX_STW, part);
	if (dt > part)
		record(m, tid, reason, dt - part);
}

static __always_inline int on_switch(void *ctx, bool preempt,
				     struct task_struct *prev,
				     struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();

	if (task_traced(prev))
		switch_out(ctx, preempt, prev, now);
	if (task_traced(next))
		switch_in(next, now);
	return 0;
}

static __always_inline int on_wakeup(struct task_struct *p)
{
	struct kernel_m *m;

	if (!task_traced(p))
		return 0;
	m = m_of(BPF_CORE_READ(p, pid), p);
	/* a wake-up of a thread on its CPU is no run-queue wait */
	if (m && m->off_ts && !m->wake_ts)
		m->wake_ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int on_exit(struct task_struct *p)
{
	struct kernel_m *m;

	if (!task_traced(p))
		return 0;
	m = m_of(BPF_CORE_READ(p, pid), p);
	if (m)
		m->exit_ts = bpf_ktime_get_ns();
	return 0;
}

/* ---- tp_btf/ programs ------------------------------------------------------
 */

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	return on_switch(ctx, preempt, prev, next);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_btf, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_btf, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit_btf, struct task_struct *p)
{
	return on_exit(p);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	return on_sys_enter(regs, id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	return on_sys_exit();
}

/* ---- raw_tp/ twins, for kernels where tp_btf does not attach --------------
 */

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	return on_switch(ctx, preempt, prev, next);
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(sched_wakeup_raw, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_raw, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(sched_process_exit_raw, struct task_struct *p)
{
	return on_exit(p);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	return on_sys_enter(regs, id);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	return on_sys_exit();
}

char LICENSE[] SEC("license") = "GPL";

/*
 * kernel.h — what kernel.bpf.c and the rttrace user side share: the
 * off-CPU reasons, the per-thread (per-M) state and totals, and the keys
 * of the off-CPU stacks, the per-M on-CPU time by goroutine entry and the
 * per-goroutine futex waits.
 *
 * Every thread of the traced process is an entry of the ms map, keyed by
 * its kernel tid: librt's Ms, and the threads that are not Ms (sysmon,
 * the GC's mark workers, the main thread while it waits in rt_main), told
 * apart by whether a goroutine ever started on them (gostarts).
 */
#ifndef RTTRACE_KERNEL_H
#define RTTRACE_KERNEL_H

/* BPF programs get __u32 and friends from vmlinux.h, user space from here. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Why a thread of the traced process was off its CPU, decided when the
 * kernel switches it out (sched_switch) from what the thread was doing:
 *
 *   FUTEX_IDLE       in a futex wait with no goroutine: an M parked in the
 *                    scheduler (stopm), or a helper thread with no work.
 *   FUTEX_STW        the share of a futex wait that began while the world
 *                    was stopped (stw_start .. stw_done) and lay inside
 *                    stop-the-world windows: the Ms the stop parked
 *                    (gcstopm) and the stopping M waiting for them.
 *   FUTEX_LOCKED_G   in a futex wait with no goroutine running, on an M
 *                    locked to a goroutine (LockOSThread) that is parked
 *                    or runnable elsewhere: the M sleeps because its
 *                    goroutine waits (stoplockedm).
 *   FUTEX_RUNNING_G  in a futex wait while a goroutine runs on the M: a
 *                    contended runtime lock, a note, the world being
 *                    stopped by this goroutine.
 *   SYSCALL          inside an rt_entersyscall .. rt_exitsyscall window: a
 *                    system call the runtime knows may block.
 *   PREEMPTED        switched out still runnable (prev_state is
 *                    TASK_RUNNING): the kernel took the CPU away.
 *   OTHER            any other sleep: a system call outside a syscall
 *                    window (sysmon's usleep, a read), a page fault.
 *
 * The order is the report's.
 */
enum kernel_reason {
	KREASON_FUTEX_IDLE,
	KREASON_FUTEX_STW,
	KREASON_FUTEX_LOCKED_G,
	KREASON_FUTEX_RUNNING_G,
	KREASON_SYSCALL,
	KREASON_PREEMPTED,
	KREASON_OTHER,
	KREASON_NUM,
};

/*
 * One thread of the traced process. Timestamps are bpf_ktime_get_ns
 * (CLOCK_MONOTONIC); 0 means "not in that state". The state fields are
 * written only from the thread's own events (its system calls, its
 * probes, its switch-out and switch-in), so they need no lock; wake_ts is
 * also set by a waker on another CPU, at most once per sleep.
 */
struct kernel_m {
	/* lifetime */
	__u64 first_ts; /* first event seen (creation when traced from exec) */
	__u64 exit_ts;	/* sched_process_exit; 0 while it lives */
	/* CPU */
	__u64 on_ts;	  /* switched in at, while on a CPU */
	__u64 off_ts;	  /* switched out at, while off */
	__u64 wake_ts;	  /* woken (or preempted, still runnable) at */
	__u64 on_cpu_ns;  /* total time on a CPU */
	__u64 run_g_ns;	  /* of which with a goroutine running */
	__u64 runq_ns;	  /* total wake -> switch-in */
	__u64 runq_count; /* wake-ups (and preemptions) that got a CPU back */
	__u64 involuntary;
	__u64 voluntary;
	__u64 off_ns[KREASON_NUM];    /* off-CPU time by reason */
	__u64 off_count[KREASON_NUM]; /* off-CPU periods by reason */
	/* what the switch-out saw, until the switch-in */
	__u64 off_stw_clock; /* stop-the-world clock at switch-out */
	__u64 off_leaf;	     /* word at the user sp (profile.h's leaf_ret) */
	__s32 off_stackid;   /* user stack at switch-out, < 0: none */
	__u32 off_reason;    /* enum kernel_reason */
	/* the runtime's view, from librt's probes */
	__u64 cur_goid;	   /* goroutine running on this M, 0: none */
	__u64 cur_entry;   /* its entry function (newproc), 0: unknown */
	__u64 run_since;   /* cur_goid on a CPU since */
	__u64 locked_goid; /* LockOSThread'd goroutine, 0: none */
	__u64 gostarts;	   /* goroutines started here: an M if non-zero */
	/* system calls */
	__u64 futex_ts;	     /* futex wait entered at */
	__u64 futex_goid;    /* goroutine the wait is for (see kernel.bpf.c) */
	__u64 futex_waits;   /* futex wait calls */
	__u64 futex_wait_ns; /* their time, syscall entry to exit */
	__u32 lock_depth;    /* LockOSThread nesting */
	__u32 sys_nr;	     /* system call in progress + 1; 0: none */
	__u8 in_futex_wait;
	__u8 in_syscall; /* between entersyscall and exitsyscall */
	__u8 off_in_stw; /* switched out during stop-the-world */
	__u8 pad[5];
	char comm[16];
};

/* Key of the per-M histograms of off-CPU time. */
struct kernel_mhist_key {
	__u32 tid;
	__u32 reason;
};

/* Key of the per-M on-CPU time of each goroutine entry function. */
struct kernel_run_key {
	__u32 tid;
	__u32 pad;
	__u64 entry; /* newproc's entry_pc; 0: unknown (started before) */
};

/* Key of the off-CPU stacks: the user stack at switch-out and why. */
struct kernel_stack_key {
	__s32 user_stackid; /* < 0: not recorded */
	__u32 reason;	    /* enum kernel_reason */
	__u64 leaf_ret;	    /* as profile.h: the caller a fp walk skips */
};

struct kernel_stack_val {
	__u64 ns;
	__u64 count;
};

/* Futex waits of one goroutine (its own, or its locked M's). */
struct kernel_gfutex {
	__u64 entry;
	__u64 count;
	__u64 ns;
};

/* The stop-the-world clock: stw_start .. stw_done windows so far. */
struct kernel_stw {
	__u64 start_ts; /* the window in progress; 0: the world runs */
	__u64 total_ns; /* closed windows */
	__u64 windows;
};

/* What could not be recorded, per CPU; reported when non-zero. */
enum kernel_error {
	KERR_MS_FULL,	    /* a thread's state: the ms map is full */
	KERR_ENTRY_FULL,    /* a goroutine's entry: the gentry map is full */
	KERR_RUN_FULL,	    /* a (thread, entry) time: run_ns is full */
	KERR_GFUTEX_FULL,   /* a goroutine's futex waits: gfutex is full */
	KERR_STACK_LOST,    /* a user stack at switch-out (stack map full...) */
	KERR_OFFSTACK_FULL, /* an off-CPU stack's time: offstacks is full */
	KERR_MHIST_FULL,    /* a per-M histogram: mhists is full */
	KERR_NUM,
};

#define KERNEL_MAX_THREADS    4096
#define KERNEL_MAX_RUN	      16384
#define KERNEL_MAX_GFUTEX     10240
#define KERNEL_MAX_STACKS     8192
#define KERNEL_MAX_STACK_KEYS 16384
#define KERNEL_MAX_DEPTH      127
/* gentry's default size; rttrace --max-goroutines sets it */
#define KERNEL_MAX_GOROUTINES (1 << 20)

/* x86-64 system call numbers (raw_syscalls' id) */
#define KERNEL_NR_FUTEX	      202
#define KERNEL_NR_FUTEX_WAITV 449

#endif /* RTTRACE_KERNEL_H */

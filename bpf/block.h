/*
 * block.h — what block.bpf.c and rttrace's user side (block.c) share: the
 * key and value of the blocking profile, a parked goroutine's record and
 * the counters of what could not be recorded.
 */
#ifndef RTTRACE_BLOCK_H
#define RTTRACE_BLOCK_H

/* BPF programs get __u32 and friends from vmlinux.h, user space from here. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The deepest user stack kept per park; the kernel's PERF_MAX_STACK_DEPTH. */
#define BLOCK_MAX_DEPTH 127

/* Entries of the stack map and of the blocked hash (--stack-map-size). */
#define BLOCK_MAX_STACKS 16384

/* Default size of the parked map (--max-goroutines, which sizes
 * kernel.bpf.c's gentry map too). */
#define BLOCK_MAX_GOROUTINES (1 << 20)

/* A reason outside librt's enum (a runtime bug) is kept under this one. */
#define BLOCK_WAIT_BAD 255

/* A goroutine's park, from gopark to goready: the parked map's value. */
struct block_park {
	__u64 ts;      /* gopark's bpf_ktime_get_ns */
	__s32 stackid; /* its user stack, or -errno from bpf_get_stackid */
	__u32 reason;  /* enum rt_waitreason */
};

/*
 * The blocked hash's key: where a goroutine parked and why. A stack that
 * could not be recorded keeps its -errno here, so its time still counts
 * (under "[stack lost]").
 */
struct block_key {
	__s32 stackid;
	__u32 reason;
};

/* The blocked hash's value. */
struct block_val {
	__u64 ns;    /* sum of gopark -> goready */
	__u64 count; /* parks ended */
};

/*
 * What block.bpf.c counts per CPU, every way something could not be
 * recorded among them, so nothing is lost silently:
 *   PARKS            gopark seen;
 *   READIES          goready that ended a park seen here;
 *   STACK_COLLISION  the stack's bucket held another stack (-EEXIST);
 *   STACK_FULL       the stack map had no free entry (-ENOMEM);
 *   STACK_OTHER      any other error from bpf_get_stackid;
 *   PARKED_FULL      the parked map was full: that park is not timed;
 *   BLOCKED_FULL     the blocked hash was full: that park's time is lost;
 *   BLOCKED_LOST_NS  the nanoseconds lost so;
 *   READY_UNPARKED   goready of a goroutine whose gopark was not
 *                    recorded (parked before rttrace attached, or
 *                    PARKED_FULL).
 */
enum block_stat {
	BLOCK_PARKS,
	BLOCK_READIES,
	BLOCK_STACK_COLLISION,
	BLOCK_STACK_FULL,
	BLOCK_STACK_OTHER,
	BLOCK_PARKED_FULL,
	BLOCK_BLOCKED_FULL,
	BLOCK_BLOCKED_LOST_NS,
	BLOCK_READY_UNPARKED,
	BLOCK_STAT_NUM,
};

#endif /* RTTRACE_BLOCK_H */

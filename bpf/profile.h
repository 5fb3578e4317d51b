/*
 * profile.h — what profile.bpf.c and the rttrace user side share: the key
 * of a sampled stack pair, the stack depth and the counters of samples
 * that could not be recorded.
 */
#ifndef RTTRACE_PROFILE_H
#define RTTRACE_PROFILE_H

/* BPF programs get __u32 and friends from vmlinux.h, user space from here. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The deepest stack bpf_get_stackid keeps; the kernel's PERF_MAX_STACK_DEPTH.
 */
#define PROFILE_MAX_DEPTH 127

/* Entries of the stack map and of the counts hash (--stack-map-size). */
#define PROFILE_MAX_STACKS 16384

/*
 * One sampled (user stack, kernel stack) pair of one process: the key of
 * the counts hash. A stack id below zero says why that half is missing:
 * PROFILE_NO_STACK when there was none to take (a sample in user mode has
 * no kernel stack), else the -errno bpf_get_stackid returned, counted in
 * the errors map too.
 *
 * leaf_ret is the word at the user stack pointer when it holds an address
 * in the executable's code (targ_text_lo..hi): a frame-pointer walk skips
 * the caller of a function that has not set up its frame — libc's memset
 * and memcpy never do, so a sample in memset called by rt_mallocgc would
 * read as one in rt_mallocgc's caller. When the function at the sampled pc
 * has its return address at the stack pointer (its CFI says so), user
 * space puts leaf_ret back as the missing frame; otherwise it is ignored.
 */
struct profile_key {
	__u32 pid; /* tgid */
	__s32 user_stackid;
	__s32 kern_stackid;
	__u32 pad;
	__u64 leaf_ret; /* see below; 0 when none */
};

#define PROFILE_NO_STACK (-1)

/*
 * What profile.bpf.c counts per CPU besides the stacks. PROFILE_SAMPLES is
 * every sample of the traced process, recorded or not; the others count
 * what could not be recorded, never silently:
 *   USTACK_COLLISION / KSTACK_COLLISION  the stack hashed to a stack map
 *       bucket holding another stack (-EEXIST): the sample is kept,
 *       without that stack;
 *   USTACK_FULL / KSTACK_FULL  the stack map had no free entry (-ENOMEM);
 *   USTACK_OTHER / KSTACK_OTHER  any other error from bpf_get_stackid;
 *   COUNTS_FULL  the counts hash was full: the sample is lost entirely.
 */
enum profile_stat {
	PROFILE_SAMPLES,
	PROFILE_USTACK_COLLISION,
	PROFILE_USTACK_FULL,
	PROFILE_USTACK_OTHER,
	PROFILE_KSTACK_COLLISION,
	PROFILE_KSTACK_FULL,
	PROFILE_KSTACK_OTHER,
	PROFILE_COUNTS_FULL,
	PROFILE_STAT_NUM,
};

#endif /* RTTRACE_PROFILE_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * profile.bpf.c — CPU samples of the traced process with their user and
 * kernel stacks, as libbpf-tools' profile does.
 *
 * User space opens one software cpu-clock perf event per online CPU in
 * frequency mode (99 Hz by default) and attaches do_sample to each; the
 * event fires on whatever runs on that CPU, so the program keeps only the
 * samples of targ_tgid (idle CPUs run pid 0 and are dropped the same way).
 * Maps:
 *
 *   stacks   BPF_MAP_TYPE_STACK_TRACE: stack id -> up to PROFILE_MAX_DEPTH
 *            return addresses, innermost first. Walked with frame
 *            pointers: librt keeps them, and a goroutine's chain ends at
 *            its entry function.
 *   counts   struct profile_key {tgid, user stack id, kernel stack id} ->
 *            samples.
 *   stats    per CPU, enum profile_stat: samples taken and every way one
 *            could not be recorded.
 *
 * Stacks are compared in full, not by hash alone (no BPF_F_FAST_STACK_CMP,
 * no BPF_F_REUSE_STACKID): two stacks that share a bucket give -EEXIST for
 * the second, which is counted, rather than one silently standing for the
 * other or replacing it under an id already in counts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <asm-generic/errno.h>
#include "profile.h"

const volatile __u32 targ_tgid = 0; /* 0: any process */
/* the executable's code, for leaf_ret (profile.h); 0, 0: not taken */
const volatile __u64 targ_text_lo = 0;
const volatile __u64 targ_text_hi = 0;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PROFILE_MAX_DEPTH * sizeof(__u64));
	__uint(max_entries, PROFILE_MAX_STACKS);
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct profile_key);
	__type(value, __u64);
	__uint(max_entries, PROFILE_MAX_STACKS);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROFILE_STAT_NUM);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* stat counts one event; the array is per CPU and a perf_event program
 * does not nest on its CPU, so a plain add is exact. */
static __always_inline void stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/* stackid takes one half of the sample's stack and counts a failure:
 * base is the half's PROFILE_xSTACK_COLLISION. -EFAULT means there is no
 * such stack (no kernel stack in user mode), not a failure. */
static __always_inline __s32 stackid(struct bpf_perf_event_data *ctx,
				     __u64 flags, __u32 base)
{
	long id = bpf_get_stackid(ctx, &stacks, flags);

	if (id >= 0)
		return id;
	if (id == -EFAULT)
		return PROFILE_NO_STACK;
	if (id == -EEXIST)
		stat(base);
	else if (id == -ENOMEM)
		stat(base + 1);
	else
		stat(base + 2);
	return id;
}

/* leaf_ret reads the word at the user stack pointer (profile.h). The user
 * registers are the ones saved on kernel entry, whether the sample hit in
 * user mode (the timer interrupt) or in a system call. */
static __always_inline __u64 leaf_ret(void)
{
	struct pt_regs *regs;
	__u64 ret = 0;

	if (!targ_text_hi)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (!regs || bpf_probe_read_user(&ret, sizeof(ret), (void *)regs->sp))
		return 0;
	return ret >= targ_text_lo && ret < targ_text_hi ? ret : 0;
}

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct profile_key key = {.pid = tgid};
	static const __u64 one = 1;
	__u64 *cnt;

	if (!tgid || (targ_tgid && tgid != targ_tgid))
		return 0;
	stat(PROFILE_SAMPLES);
	key.user_stackid =
	    stackid(ctx, BPF_F_USER_STACK, PROFILE_USTACK_COLLISION);
	key.kern_stackid = stackid(ctx, 0, PROFILE_KSTACK_COLLISION);
	if (key.user_stackid >= 0)
		key.leaf_ret = leaf_ret();

	cnt = bpf_map_lookup_elem(&counts, &key);
	if (cnt) {
		__sync_fetch_and_add(cnt, 1);
		return 0;
	}
	/* another CPU may insert the same key first: then add to its entry */
	if (bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST) == 0)
		return 0;
	cnt = bpf_map_lookup_elem(&counts, &key);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		stat(PROFILE_COUNTS_FULL);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * bare.bpf.c — the empty program: attached to a probe site it does
 * nothing, so a hit costs what the kernel charges to get there and back
 * (trap or trampoline, uprobe dispatch, running a BPF program) and no
 * more. bench/bare.c attaches it to every librt probe site of a program;
 * scripts/bench-probe.sh compares rttrace's programs against this floor.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("uprobe")
int bare(struct pt_regs *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe.bpf.h — RT_PROBE_PROG, a BPF program for one librt probe.
 *
 * librt puts a probe's arguments in fixed registers, the SysV argument
 * registers in order (runtime/probes.h), and its last argument is n, the
 * events the firing stands for. So a program reads them straight from
 * pt_regs: no per-site argument spec, no attach cookie, no helper call per
 * argument as libbpf's BPF_USDT needs for any USDT site. The program is a
 * plain uprobe program that user space attaches to every site of its
 * probe (user/probe_attach.c), with the probe's semaphore raised.
 *
 *	RT_PROBE_PROG(mallocgc, __u64 size, __u64 sizeclass, __u64 noscan,
 *		      __u64 goid, __u64 n)
 *	{ ... }
 *
 * declares the arguments in the order of the probe's X-list entry; they
 * are all 64-bit.
 */
#ifndef RTTRACE_PROBE_BPF_H
#define RTTRACE_PROBE_BPF_H

#define ___rt_nth(_, _1, _2, _3, _4, _5, _6, N, ...) N
#define ___rt_narg(...)				     ___rt_nth(_, ##__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define ___rt_concat(a, b)			     a##b
#define ___rt_apply(fn, n)			     ___rt_concat(fn, n)

#define ___rt_regs0()		ctx
#define ___rt_regs1(x)		___rt_regs0(), ctx->di
#define ___rt_regs2(x, args...) ___rt_regs1(args), ctx->si
#define ___rt_regs3(x, args...) ___rt_regs2(args), ctx->dx
#define ___rt_regs4(x, args...) ___rt_regs3(args), ctx->cx
#define ___rt_regs5(x, args...) ___rt_regs4(args), ctx->r8
#define ___rt_regs6(x, args...) ___rt_regs5(args), ctx->r9
#define ___rt_regs(args...)	___rt_apply(___rt_regs, ___rt_narg(args))(args)

#define RT_PROBE_PROG(name, args...)                                        \
	int name(struct pt_regs *ctx);                                      \
	static __always_inline int ____##name(struct pt_regs *ctx, ##args); \
	SEC("uprobe") int name(struct pt_regs *ctx)                         \
	{                                                                   \
		return ____##name(___rt_regs(args));                        \
	}                                                                   \
	static __always_inline int ____##name(struct pt_regs *ctx, ##args)

#endif /* RTTRACE_PROBE_BPF_H */

/*
 * uprobe_multi.c — BPF_LINK_CREATE for uprobe_multi by hand (see
 * uprobe_multi.h), and the kernel feature probe libbpf >= 1.3 runs for it
 * (features.c: probe_uprobe_multi_link), mirrored.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "uprobe_multi.h"

/*
 * The head of union bpf_attr's link_create as include/uapi/linux/bpf.h
 * has it since 6.6, checked against this kernel's BTF (bpftool btf dump
 * file /sys/kernel/btf/vmlinux): four u32, then the per-type union,
 * 8-aligned, whose uprobe_multi member this is. Bytes past it are zero,
 * as the kernel requires of the attr's unused tail.
 */
struct link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;	       /* const char * */
	__u64 offsets;	       /* const __u64 *, cnt of them */
	__u64 ref_ctr_offsets; /* const __u64 *, or 0 */
	__u64 cookies;	       /* const __u64 *, or 0 */
	__u32 cnt;
	__u32 uprobe_flags; /* BPF_F_UPROBE_MULTI_RETURN: a uretprobe */
	__u32 pid;	    /* 0: every process */
};

_Static_assert(offsetof(struct link_create_uprobe_multi, path) == 16,
	       "link_create.uprobe_multi starts after four u32");
_Static_assert(offsetof(struct link_create_uprobe_multi, cnt) == 48,
	       "link_create.uprobe_multi.cnt");
_Static_assert(offsetof(struct link_create_uprobe_multi, pid) == 56,
	       "link_create.uprobe_multi.pid");
_Static_assert(sizeof(struct link_create_uprobe_multi) <=
		   sizeof(union bpf_attr),
	       "bpf_attr holds link_create");

static int link_create(struct link_create_uprobe_multi *attr)
{
	long fd = syscall(__NR_bpf, BPF_LINK_CREATE, attr, sizeof(*attr));

	return fd < 0 ? -errno : (int)fd;
}

int uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offsets,
			const uint64_t *ref_ctr_offsets, unsigned int cnt,
			pid_t pid)
{
	struct link_create_uprobe_multi attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (__u32)prog_fd;
	attr.attach_type = UPROBE_MULTI_ATTACH_TYPE;
	attr.path = (__u64)(unsigned long)path;
	attr.offsets = (__u64)(unsigned long)offsets;
	attr.ref_ctr_offsets = (__u64)(unsigned long)ref_ctr_offsets;
	attr.cnt = cnt;
	attr.pid = pid > 0 ? (__u32)pid : 0;
	return link_create(&attr);
}

/*
 * probe_kernel loads "r0 = 0; exit" as a uprobe_multi program and asks
 * for a link on "/", which no kernel can attach to:
 *  - EBADF ("/" is not a regular file) means the link type exists; a
 *    kernel without it fails earlier, with EINVAL or EOPNOTSUPP;
 *  - then pid -1 on "/" again: kernels whose pid filter is per process
 *    reject the pid first (EINVAL), the first 6.6 releases, which
 *    filtered by thread, look the pid up and fail with ESRCH or EBADF.
 *    A thread filter would miss librt's other threads: treat it as none.
 */
static int probe_kernel(void)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type =
			(enum bpf_attach_type)UPROBE_MULTI_ATTACH_TYPE);
	struct link_create_uprobe_multi attr;
	__u64 offset = 0;
	int prog_fd, fd, ret;

	prog_fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns,
				sizeof(insns) / sizeof(insns[0]), &opts);
	if (prog_fd < 0)
		return -errno;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (__u32)prog_fd;
	attr.attach_type = UPROBE_MULTI_ATTACH_TYPE;
	attr.path = (__u64)(unsigned long)"/";
	attr.offsets = (__u64)(unsigned long)&offset;
	attr.cnt = 1;
	fd = link_create(&attr);
	ret = fd == -EBADF;
	if (ret) {
		attr.pid = (__u32)-1;
		fd = link_create(&attr);
		ret = fd == -EINVAL;
	}
	if (fd >= 0)
		close(fd);
	close(prog_fd);
	return ret;
}

int uprobe_multi_probe(void)
{
	static bool asked;
	static int cached;

	if (!asked) {
		cached = probe_kernel();
		asked = true;
	}
	return cached;
}

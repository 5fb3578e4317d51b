/*
 * preflight.c — checks run before rttrace touches the target, so that the
 * common failures give one clear line instead of a libbpf error trail.
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rttrace.h"

/* Older headers lack them; numbers are fixed by the kernel ABI. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* has_cap reports whether cap is in the effective set of this process. */
static bool has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

/*
 * preflight_privileges: loading BPF programs needs CAP_BPF and creating
 * uprobe perf events needs CAP_PERFMON (since 5.8; CAP_SYS_ADMIN covers both
 * on every kernel). A euid of 0 is not enough on its own: a container's root
 * may lack them, so the effective set is what is checked.
 */
int preflight_privileges(void)
{
	struct __user_cap_header_struct hdr = {
	    .version = _LINUX_CAPABILITY_VERSION_3,
	    .pid = 0,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == 0) {
		if (has_cap(data, CAP_SYS_ADMIN) ||
		    (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON)))
			return 0;
	} else if (geteuid() == 0) {
		return 0; /* no capget: trust root, let the load tell */
	}
	rt_errorf("need root or CAP_BPF and CAP_PERFMON: run with sudo");
	return -EPERM;
}

/* preflight_btf: the BPF objects are CO-RE and relocate against it. */
int preflight_btf(void)
{
	if (access(VMLINUX_BTF, R_OK) == 0)
		return 0;
	rt_errorf("no kernel BTF at %s (%s): need a kernel built with "
		  "CONFIG_DEBUG_INFO_BTF=y",
		  VMLINUX_BTF, strerror(errno));
	return -ENOENT;
}

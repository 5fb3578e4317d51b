/*
 * preflight.c — checks run before rttrace touches the target, so that the
 * common failures give one clear line instead of a libbpf error trail;
 * and the options every BPF object is opened with (--btf).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

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

/* the mount namespace rttrace started in, once btf_expose left it */
static int start_mnt_ns = -1;

/*
 * btf_expose puts path where libbpf looks for the kernel's BTF when
 * /sys/kernel/btf/vmlinux is missing: /boot/vmlinux-RELEASE, in a
 * private mount namespace (a tmpfs over /boot holding it, bound to path),
 * so nothing changes outside rttrace. libbpf takes btf_custom_path for
 * the CO-RE relocations only; the weak kfunc externs of rt.bpf.h
 * (bpf_preempt_disable) are resolved against the kernel's BTF, which
 * libbpf 1.x reads only from those fixed paths. The traced program goes
 * back to the namespace rttrace started in (preflight_child).
 */
static int btf_expose(const char *path)
{
	struct utsname u;
	char boot[sizeof(u.release) + 32];
	int fd;

	if (uname(&u))
		return -errno;
	snprintf(boot, sizeof(boot), "/boot/vmlinux-%s", u.release);
	if (access(boot, R_OK) == 0)
		return 0; /* libbpf finds an ELF vmlinux there already */
	start_mnt_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (start_mnt_ns < 0 || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("rttrace-btf", "/boot", "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755,size=64k"))
		goto fail;
	fd = open(boot, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
	if (fd < 0)
		goto fail;
	close(fd);
	if (mount(path, boot, NULL, MS_BIND, NULL))
		goto fail;
	rt_notef("--btf: %s is the kernel's BTF, as %s in rttrace's own "
		 "mount namespace",
		 path, boot);
	return 0;
fail:
	rt_errorf("--btf %s: cannot show it to libbpf as %s: %s", path, boot,
		  strerror(errno));
	return -errno;
}

int preflight_child(void)
{
	char cwd[PATH_MAX];

	if (start_mnt_ns < 0)
		return 0;
	/* setns moves to the namespace's root: come back to the same path */
	if (!getcwd(cwd, sizeof(cwd)) || setns(start_mnt_ns, CLONE_NEWNS) ||
	    chdir(cwd))
		return -errno;
	return 0;
}

/*
 * preflight_btf: the BPF objects are CO-RE and relocate against the
 * kernel's BTF, the kernel's own or --btf's (checked when parsed).
 */
int preflight_btf(void)
{
	if (access(VMLINUX_BTF, R_OK) == 0)
		return 0;
	if (rttrace_env.btf_path)
		return start_mnt_ns >= 0 ? 0 : btf_expose(rttrace_env.btf_path);
	rt_errorf("no kernel BTF at %s (%s): the kernel was built without "
		  "CONFIG_DEBUG_INFO_BTF=y; pass --btf FILE, this kernel's "
		  "BTF (raw, e.g. from BTFHub, or a vmlinux ELF with .BTF)",
		  VMLINUX_BTF, strerror(errno));
	return -ENOENT;
}

int preflight_btf_file(const char *path, char *why, size_t len)
{
	struct stat st;
	struct btf *btf;
	int err;

	if (stat(path, &st)) {
		err = -errno;
		snprintf(why, len, "%s", strerror(errno));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "not a regular file");
		return -EINVAL;
	}
	/* btf__parse takes raw BTF and ELF files with a .BTF section */
	btf = btf__parse(path, NULL);
	err = libbpf_get_error(btf);
	if (err) {
		snprintf(why, len,
			 "neither raw BTF nor an ELF file with a .BTF section");
		return err;
	}
	if (btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT) < 0) {
		snprintf(why, len,
			 "BTF without struct task_struct: not a kernel's");
		err = -EINVAL;
	}
	btf__free(btf);
	return err;
}

const struct bpf_object_open_opts *bpf_open_opts(void)
{
	static struct bpf_object_open_opts opts = {.sz = sizeof(opts)};

	opts.btf_custom_path = rttrace_env.btf_path;
	return &opts;
}

/*
 * privilege.c — the user behind sudo, and the capabilities rttrace gives
 * up once its BPF programs are loaded and attached.
 *
 * rttrace needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN on older
 * kernels) to load BPF programs, create their maps, attach uprobes and open
 * perf events. Once the session's last program is attached it holds file
 * descriptors for all of them, and reading a map, polling a ring buffer or
 * closing a link through a descriptor needs no capability (on 6.x kernels;
 * bpf_fd_needs_cap checks this kernel). What it still does after that, and
 * the capability each needs, is listed once, in main_keep and helper_keep.
 * Everything else goes: from the effective and permitted sets (gone for
 * good), the inheritable and ambient sets, and the bounding set (so no
 * exec, even of a set-user-ID program, gets it back), with no_new_privs set.
 *
 * Capabilities are per thread on Linux (capset(2) changes the caller only),
 * and rttrace's helper threads (profile.c's, block.c's and kernel.c's
 * snappers, sample.c's sampler, timeline.c's reader, serve.c's server) are
 * started while it attaches. Rather than signal each thread to change its
 * own set (glibc's setxid broadcast, which capset has no equivalent of),
 * each helper thread gives up its own as its first step
 * (privilege_drop_helper), keeping only what reading the traced program's
 * /proc files needs; the main thread drops at the last attach
 * (privilege_attached).
 *
 * What this does not do: rttrace stays uid 0, so a file root owns stays
 * writable to it by its mode bits; changing its uid as well (with
 * SECBIT_KEEP_CAPS for what it keeps) is left for later.
 */
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privilege.h"

#define CAPBIT(c) (UINT64_C(1) << (c))

/*
 * main_keep: what the main thread does after the last attach.
 *   CAP_SYS_PTRACE    read the traced program's /proc/PID/maps and ELF
 *                     mappings to name user frames (the program runs as
 *                     the invoking user, another uid than rttrace's)
 *   CAP_DAC_OVERRIDE  read the program's files and debug information in
 *                     the user's directories, and create the output files
 *                     (output.c) in a directory the user named
 *   CAP_CHOWN         give each output file to the invoking user
 *   CAP_KILL          end the traced program (the invoking user's) when
 *                     rttrace cannot release it after attaching
 *   CAP_SYSLOG        read kernel symbol addresses from /proc/kallsyms,
 *                     which profile.c loads when it names kernel frames
 *                     (perf_event_paranoid > 1 hides them otherwise)
 * and, when programs are started after the last attach (run's untraced
 * runs; privilege_plan's spawns_after):
 *   CAP_SETUID, CAP_SETGID  start them as the invoking user (trace.c's
 *                     child_setup: initgroups, setgid, setuid)
 */
static const uint64_t main_keep = CAPBIT(CAP_SYS_PTRACE) |
				  CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_CHOWN) |
				  CAPBIT(CAP_KILL) | CAPBIT(CAP_SYSLOG);
static const uint64_t spawn_keep = CAPBIT(CAP_SETUID) | CAPBIT(CAP_SETGID);

/*
 * helper_keep: what a helper thread does, all of it through descriptors
 * it was given, except re-reading the traced program's /proc/PID/maps
 * (symbolize.c's usyms_snapshot) and the files mapped there.
 *   CAP_SYS_PTRACE       /proc/PID/maps of another uid's process
 *   CAP_DAC_READ_SEARCH  the program's files in the user's directories
 */
static const uint64_t helper_keep =
    CAPBIT(CAP_SYS_PTRACE) | CAPBIT(CAP_DAC_READ_SEARCH);

/*
 * bpf_keep: on kernels where every bpf(2) command, lookups through a
 * descriptor included, needs bpf_capable() (before 5.19, with
 * kernel.unprivileged_bpf_disabled set), reading the maps needs these.
 */
#ifndef CAP_BPF
#define CAP_BPF 39 /* Linux 5.8 */
#endif
static const uint64_t bpf_keep = CAPBIT(CAP_SYS_ADMIN) | CAPBIT(CAP_BPF);

static struct {
	unsigned int attaches_left; /* tracer_starts before the drop */
	bool spawns_after;	    /* programs started after it */
	bool dropped;
} plan = {.attaches_left = 1};

bool sudo_invoker(uid_t *uid, gid_t *gid)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	char *end;
	long u, g;

	if (geteuid() != 0 || !su || !sg)
		return false;
	errno = 0;
	u = strtol(su, &end, 10);
	if (errno || end == su || *end || u <= 0 || u > INT_MAX)
		return false;
	g = strtol(sg, &end, 10);
	if (errno || end == sg || *end || g < 0 || g > INT_MAX)
		return false;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return true;
}

void privilege_plan(unsigned int attaches, bool spawns_after)
{
	plan.attaches_left = attaches ? attaches : 1;
	plan.spawns_after = spawns_after;
}

/* ---- the calling thread's sets -------------------------------------- */

static int caps_get(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

/* caps_set sets effective and permitted to keep, inheritable to none. */
static int caps_set(uint64_t keep)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
	    {.effective = (uint32_t)keep, .permitted = (uint32_t)keep},
	    {.effective = (uint32_t)(keep >> 32),
	     .permitted = (uint32_t)(keep >> 32)},
	};

	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* cap_last is the kernel's highest capability number. */
static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

/*
 * drop_thread keeps only keep (of what the thread has) in the calling
 * thread: the bounding set first, while CAP_SETPCAP is still effective,
 * then the ambient set, then effective, permitted and inheritable.
 */
static int drop_thread(uint64_t keep, bool no_new_privs)
{
	uint64_t eff, prm;
	int err = caps_get(&eff, &prm), last = cap_last();

	if (err)
		return err;
	keep &= prm;
	if (eff & CAPBIT(CAP_SETPCAP))
		for (int c = 0; c <= last; c++)
			if (!(keep & CAPBIT(c)) &&
			    prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 &&
			    prctl(PR_CAPBSET_DROP, c, 0, 0, 0))
				return -errno;
	/* EINVAL: a kernel without ambient capabilities (before 4.3) */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		return -errno;
	err = caps_set(keep);
	if (!err && no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		err = -errno;
	return err;
}

/* ---- does this kernel let a map be read without a capability? -------- */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static void *probe_lookup(void *arg)
{
	int *fd = arg;
	union bpf_attr attr;
	uint32_t key = 0, value;

	/* this thread only: the caller keeps its own set */
	if (caps_set(0)) {
		*fd = -1;
		return NULL;
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)*fd;
	attr.key = (uint64_t)(uintptr_t)&key;
	attr.value = (uint64_t)(uintptr_t)&value;
	*fd = sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr) == 0 ? 0 : -1;
	return NULL;
}

static bool fd_needs_cap;
static pthread_once_t fd_probe_once = PTHREAD_ONCE_INIT;

/*
 * probe_fd_needs_cap creates a one-entry array and has a thread without
 * capabilities look it up: the kernel's own answer to whether rttrace
 * still needs CAP_BPF to read its maps. When it cannot tell (no map can
 * be made), it answers yes, so nothing rttrace relies on is dropped.
 */
static void probe_fd_needs_cap(void)
{
	union bpf_attr attr;
	pthread_t th;
	int fd, arg;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = sys_bpf(BPF_MAP_CREATE, &attr);
	fd_needs_cap = true;
	if (fd < 0)
		return;
	arg = fd;
	if (pthread_create(&th, NULL, probe_lookup, &arg) == 0) {
		pthread_join(th, NULL);
		fd_needs_cap = arg != 0;
	}
	close(fd);
}

static uint64_t bpf_extra(void)
{
	pthread_once(&fd_probe_once, probe_fd_needs_cap);
	return fd_needs_cap ? bpf_keep : 0;
}

/* ---- the drops ------------------------------------------------------- */

int privilege_drop(void)
{
	uint64_t eff, prm, keep = main_keep;

	if (caps_get(&eff, &prm))
		return -errno;
	plan.dropped = true;
	if (!prm)
		return 0; /* nothing to give up */
	if (plan.spawns_after)
		keep |= spawn_keep;
	keep |= bpf_extra();
	return drop_thread(keep, true);
}

void privilege_attached(bool ok)
{
	int err;

	if (plan.attaches_left)
		plan.attaches_left--;
	if (plan.attaches_left || !ok || plan.dropped)
		return;
	/* best effort: rttrace works on with what it has; the test reads
	 * /proc/PID/status (tests/integration/test_cli.c) */
	err = privilege_drop();
	if (err)
		fprintf(stderr,
			"rttrace: warning: cannot drop capabilities after "
			"attaching: %s\n",
			strerror(-err));
}

void privilege_drop_helper(void)
{
	uint64_t eff, prm;

	if (caps_get(&eff, &prm) || !prm)
		return;
	/* a helper never execs: its bounding set does not matter, but
	 * dropping it too keeps /proc/PID/task/TID/status honest */
	drop_thread(helper_keep | bpf_extra(), false);
}

/*
 * uprobe_multi.h — the kernel's uprobe_multi link (Linux >= 6.6): one
 * BPF_LINK_CREATE attaches a program to many offsets of one file, with a
 * semaphore (ref_ctr_offset) per offset and a process filter, and one
 * close() detaches them all behind a single synchronization.
 *
 * libbpf 1.1 has no API for it and Debian 12's linux/bpf.h (6.1) lacks
 * the attach type and the attr fields, so they are restated here.
 */
#ifndef RTTRACE_UPROBE_MULTI_H
#define RTTRACE_UPROBE_MULTI_H

#include <stdint.h>
#include <sys/types.h>

/* enum bpf_attach_type's BPF_TRACE_UPROBE_MULTI, since 6.6 */
#define UPROBE_MULTI_ATTACH_TYPE 48

/*
 * uprobe_multi_probe says whether this kernel has uprobe_multi links with
 * process (not thread) pid filtering: 1 yes, 0 no, -errno when it could
 * not tell (say, no permission to load a program). Asked once, then
 * cached. A program attached through a uprobe_multi link must have been
 * loaded with expected_attach_type UPROBE_MULTI_ATTACH_TYPE, and such a
 * program cannot be attached as a classic uprobe: ask before loading.
 */
int uprobe_multi_probe(void);

/*
 * uprobe_multi_attach attaches prog_fd to the cnt offsets of path, each
 * with the semaphore at ref_ctr_offsets[i] (NULL: none; 0 also none),
 * for process pid (0: every process). Offsets are file offsets. Returns
 * the link's fd, which close() detaches, or -errno.
 */
int uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offsets,
			const uint64_t *ref_ctr_offsets, unsigned int cnt,
			pid_t pid);

#endif /* RTTRACE_UPROBE_MULTI_H */

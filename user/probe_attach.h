/*
 * probe_attach.h — attaching one concern's probe programs to the librt
 * probe sites a binary carries, and the steps around its skeleton.
 */
#ifndef RTTRACE_PROBE_ATTACH_H
#define RTTRACE_PROBE_ATTACH_H

#include <sys/types.h>

#include "usdt_check.h"

struct bpf_object;
struct bpf_map;

/*
 * probe_link — one program attached to every site of its probe in one
 * binary: a uprobe_multi link (one fd), or, where the kernel has none, a
 * classic uprobe per site. probe_link_destroy detaches either.
 */
struct probe_link;

/*
 * probe_prepare readies obj's probe programs (SEC("uprobe") programs
 * named as a probe of probes.h, bpf/probe.bpf.h's RT_PROBE_PROG) for
 * probe_attach's way of attaching; call it between X_bpf__open and
 * X_bpf__load. With uprobe_multi (Linux >= 6.6, unless
 * RTTRACE_NO_UPROBE_MULTI=1 is in the environment) they are loaded as
 * uprobe_multi programs, which only a uprobe_multi link can attach.
 */
void probe_prepare(struct bpf_object *obj);

/*
 * probe_attach attaches, for each probe id in [first, last), obj's program
 * named as the probe to all its sites in path for process pid, into
 * links[id]: one uprobe_multi link if obj was prepared for it, else one
 * uprobe per site; either way with the probe's semaphore raised while
 * attached. A probe without sites in path is skipped (links[id] stays
 * NULL: librt cannot pass it either). probes is usdt_check's of path.
 * Returns 0 or -errno after printing why.
 */
int probe_attach(struct bpf_object *obj, struct probe_link **links, int first,
		 int last, pid_t pid, const char *path,
		 const struct usdt_probes *probes);

/*
 * probe_attach_counted is probe_attach of [first, last) for a concern that
 * counts its probes, then of its probe_flush program to rt:probe_flush,
 * where librt reports at exit the events its sampled firings left out
 * (bpf/rt.bpf.h's RT_STATS_FLUSH_PROG; set targ_first_probe to first
 * before load). Returns 0 or -errno after printing why.
 */
int probe_attach_counted(struct bpf_object *obj, struct probe_link **links,
			 int first, int last, pid_t pid, const char *path,
			 const struct usdt_probes *probes);

/* probe_sites_in counts probes of [first, last) that have sites. */
int probe_sites_in(const struct usdt_probes *probes, int first, int last);

/* probe_link_destroy detaches and frees l; NULL is a no-op. */
void probe_link_destroy(struct probe_link *l);

/* probe_detach destroys links[0 .. RT_PROBE_NUM) and clears them. */
void probe_detach(struct probe_link **links);
/*
 * probe_detach_sets is probe_detach on nsets link arrays at once (NULL
 * entries skipped): every close shares the kernel's grace periods, so
 * detaching all of a session's concerns costs about what one does.
 */
void probe_detach_sets(struct probe_link **const *sets, int nsets);

/*
 * The steps each concern (sched.c, mem.c, chan.c) takes around its own
 * skeleton, in libbpf-tools' order open -> set knobs -> prepare -> load
 * -> attach. The skeletons' types differ, so the concerns keep the calls
 * into them and share the checks and the one-line messages here.
 */

/* probe_ncpus returns the possible CPUs, or -errno after printing why. */
int probe_ncpus(void);

/* probe_open_failed prints why X_bpf__open failed and returns -errno. */
int probe_open_failed(void);

/*
 * probe_size_map sets map's max_entries to max; what names the map in the
 * message printed on failure. Returns 0 or -errno.
 */
int probe_size_map(struct bpf_map *map, unsigned int max, const char *what);

/* probe_load_result prints why X_bpf__load failed, if err; returns err. */
int probe_load_result(int err);

#endif /* RTTRACE_PROBE_ATTACH_H */

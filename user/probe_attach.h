/*
 * probe_attach.h — attaching one concern's USDT programs to the librt
 * probes a binary carries.
 */
#ifndef RTTRACE_PROBE_ATTACH_H
#define RTTRACE_PROBE_ATTACH_H

#include <sys/types.h>

#include "usdt_check.h"

struct bpf_object;
struct bpf_link;
struct bpf_map;

/*
 * probe_attach attaches, for each probe id in [first, last), obj's program
 * named as the probe to its sites in path for process pid, into
 * links[id]. A probe without sites in path is skipped (links[id] stays
 * NULL: librt cannot pass it either). Returns 0 or -errno after printing
 * why.
 */
int probe_attach(struct bpf_object *obj, struct bpf_link **links, int first,
		 int last, pid_t pid, const char *path,
		 const struct usdt_probes *probes);

/* probe_sites_in counts probes of [first, last) that have sites. */
int probe_sites_in(const struct usdt_probes *probes, int first, int last);

/*
 * The steps each concern (sched.c, mem.c, chan.c) takes around its own
 * skeleton, in libbpf-tools' order open -> set knobs -> load -> attach.
 * The skeletons' types differ, so the concerns keep the calls into them
 * and share the checks and the one-line messages here.
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

/* probe_detach destroys links[0 .. RT_PROBE_NUM) and clears them. */
void probe_detach(struct bpf_link **links);

#endif /* RTTRACE_PROBE_ATTACH_H */

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

#endif /* RTTRACE_PROBE_ATTACH_H */

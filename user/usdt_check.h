/*
 * usdt_check.h — which librt probes an executable carries, read from its
 * .note.stapsdt notes before anything is attached.
 */
#ifndef RTTRACE_USDT_CHECK_H
#define RTTRACE_USDT_CHECK_H

#include "probes.h"

#define USDT_PROVIDER "rt"

struct usdt_probes {
	unsigned int sites[RT_PROBE_NUM]; /* probe sites (notes) per probe */
	unsigned int total;		  /* notes of provider "rt" */
	unsigned int unknown;		  /* of those, names not in probes.h */
};

/*
 * usdt_check reads path's stapsdt notes into out. Returns 0 (out->total may
 * be 0: no librt probes), -ENOEXEC if path is not an ELF file, or another
 * -errno if it cannot be read.
 */
int usdt_check(const char *path, struct usdt_probes *out);

#endif /* RTTRACE_USDT_CHECK_H */

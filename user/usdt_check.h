/*
 * usdt_check.h — which librt probes an executable carries, and where, read
 * from its .note.stapsdt notes before anything is attached.
 *
 * The sites are what user/probe_attach.c hands the kernel: a uprobe takes
 * file offsets, of the instruction and of the semaphore the kernel raises
 * while it is attached (ref_ctr_offset), not the addresses in the notes.
 */
#ifndef RTTRACE_USDT_CHECK_H
#define RTTRACE_USDT_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "probes.h"

#define USDT_PROVIDER "rt"

/* What rttrace says of a binary usdt_check refused with -EPROTO. */
#define USDT_ERR_ABI "built with an older librt probe ABI: rebuild it"

/*
 * usdt_probes — the probe sites of one executable. The known sites are
 * grouped by probe id, in note order within a probe: probe id's are
 * offset[first[id]] .. offset[first[id] + sites[id] - 1], and the same
 * slice of ref_ctr, so a probe's slice goes to the kernel as it is (two
 * arrays, not an array of structs, as BPF_LINK_CREATE's uprobe_multi
 * takes them).
 */
struct usdt_probes {
	unsigned int sites[RT_PROBE_NUM]; /* probe sites (notes) per probe */
	unsigned int first[RT_PROBE_NUM]; /* index of probe id's first site */
	unsigned int total;		  /* notes of provider "rt" */
	unsigned int unknown;		  /* of those, names not in probes.h */
	unsigned int nsite;		  /* known sites: total - unknown */
	uint64_t *offset;  /* file offset of each site's 5-byte nop */
	uint64_t *ref_ctr; /* file offset of each site's semaphore */
	char why[192];	   /* on -EPROTO/-EBADMSG: the first bad note */
};

/*
 * usdt_check reads path's stapsdt notes into out, and checks that every
 * known site has the argument spec runtime/probes.h gives its probe
 * (nargs "8@%<reg>" in the SysV argument registers, in order) and a
 * semaphore. Returns 0 (out->total may be 0: no librt probes), -ENOEXEC if
 * path is not an ELF file, -EPROTO if a site's spec differs (an older
 * librt: print USDT_ERR_ABI), -EBADMSG if a site or semaphore lies in no
 * loadable segment, or another -errno. out->why then says which note. On
 * success the caller frees out with usdt_free; on failure there is nothing
 * to free.
 */
int usdt_check(const char *path, struct usdt_probes *out);

/* usdt_free frees what usdt_check allocated in p; p stays readable. */
void usdt_free(struct usdt_probes *p);

/*
 * usdt_spec writes into buf the argument spec probes.h gives every site
 * of a probe with nargs arguments ("8@%rdi 8@%rsi"). Returns buf, or NULL
 * if nargs is not 1..6.
 */
const char *usdt_spec(int nargs, char *buf, size_t size);

#endif /* RTTRACE_USDT_CHECK_H */

/* maps.bpf.h — map helpers for BPF programs, as libbpf-tools has them. */
#ifndef RTTRACE_MAPS_BPF_H
#define RTTRACE_MAPS_BPF_H

#include <bpf/bpf_helpers.h>
#include <asm-generic/errno.h>

/*
 * bpf_map_lookup_or_try_init returns the value for key, inserting init first
 * if the key is absent. It returns NULL only when the insert failed for a
 * reason other than a concurrent insert of the same key (map full, or no
 * memory for a BPF_F_NO_PREALLOC map); callers count that.
 */
static __always_inline void *
bpf_map_lookup_or_try_init(void *map, const void *key, const void *init)
{
	void *val;
	long err;

	val = bpf_map_lookup_elem(map, key);
	if (val)
		return val;

	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return NULL;

	return bpf_map_lookup_elem(map, key);
}

#endif /* RTTRACE_MAPS_BPF_H */

/*
 * map_helpers.h — reading per-CPU BPF maps back, summed over CPUs; shared
 * by every concern's user side (as libbpf-tools' map_helpers.c).
 */
#ifndef RTTRACE_MAP_HELPERS_H
#define RTTRACE_MAP_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"

struct bpf_map;

/*
 * map_sum_u64 sums entries [0, n) of a per-CPU array map whose values are
 * width u64 words (a __u64, or a struct of __u64 fields) into out, n *
 * width words. ncpus is libbpf_num_possible_cpus(). Returns 0 or -errno.
 */
int map_sum_u64(struct bpf_map *map, int ncpus, uint64_t *out, int n,
		int width);

/*
 * map_lookup_percpu returns entry key of a per-CPU map on every CPU: an
 * array of ncpus values, each of the map's value size rounded up to 8
 * bytes (as libbpf lays them out), that the caller frees; NULL with errno
 * set on failure. For a concern's one stats struct (rt.bpf.h's
 * RT_STATS_PROG), whose size is a multiple of 8.
 */
void *map_lookup_percpu(struct bpf_map *map, uint32_t key, int ncpus);

/*
 * map_sum_stats_counts sums, over the CPUs, the n counters at byte offset
 * counts_off of a concern's one per-CPU stats struct into out: its
 * per-probe totals, without the rest. 0 or -errno.
 */
int map_sum_stats_counts(struct bpf_map *map, int ncpus, size_t counts_off,
			 uint64_t *out, int n);

/* u64_add adds the n counters at src into dst: one CPU's into the sum. */
void u64_add(uint64_t *dst, const __u64 *src, int n);

/* map_sum_hists sums entries [0, n) of a per-CPU struct hist array map. */
int map_sum_hists(struct bpf_map *map, int ncpus, struct log2_hist *out, int n);

/*
 * map_dump reads every entry of a hash map (not per-CPU) into *keys and
 * *values, malloc'ed arrays of the map's key and value sizes, and their
 * number into *n; the caller frees both. Returns 0 or -errno.
 */
int map_dump(struct bpf_map *map, void **keys, void **values, size_t *n);

#endif /* RTTRACE_MAP_HELPERS_H */

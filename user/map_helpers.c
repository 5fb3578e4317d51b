/*
 * map_helpers.c — per-CPU array maps summed over CPUs. libbpf hands a
 * per-CPU lookup one value per possible CPU, each rounded up to 8 bytes;
 * the value types here are multiples of 8 bytes already.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "map_helpers.h"

int map_sum_u64(struct bpf_map *map, int ncpus, uint64_t *out, int n, int width)
{
	uint64_t *vals = calloc((size_t)ncpus * width, sizeof(*vals));
	int fd = bpf_map__fd(map), err = 0;

	if (!vals)
		return -ENOMEM;
	for (__u32 key = 0; key < (__u32)n; key++) {
		uint64_t *o = out + (size_t)key * width;

		if (bpf_map_lookup_elem(fd, &key, vals)) {
			err = -errno;
			break;
		}
		memset(o, 0, width * sizeof(*o));
		for (int cpu = 0; cpu < ncpus; cpu++)
			for (int w = 0; w < width; w++)
				o[w] += vals[(size_t)cpu * width + w];
	}
	free(vals);
	return err;
}

void *map_lookup_percpu(struct bpf_map *map, uint32_t key, int ncpus)
{
	size_t vsz = (bpf_map__value_size(map) + 7) & ~(size_t)7;
	void *vals = calloc(ncpus, vsz);
	int err;

	if (!vals)
		return NULL;
	if (bpf_map_lookup_elem(bpf_map__fd(map), &key, vals)) {
		err = errno;
		free(vals);
		errno = err;
		return NULL;
	}
	return vals;
}

int map_sum_stats_counts(struct bpf_map *map, int ncpus, size_t counts_off,
			 uint64_t *out, int n)
{
	size_t vsz = (bpf_map__value_size(map) + 7) & ~(size_t)7;
	char *st = map_lookup_percpu(map, 0, ncpus);

	if (!st)
		return -errno;
	memset(out, 0, n * sizeof(*out));
	for (int cpu = 0; cpu < ncpus; cpu++)
		u64_add(out, (const __u64 *)(st + cpu * vsz + counts_off), n);
	free(st);
	return 0;
}

void u64_add(uint64_t *dst, const __u64 *src, int n)
{
	for (int i = 0; i < n; i++)
		dst[i] += src[i];
}

int map_sum_hists(struct bpf_map *map, int ncpus, struct log2_hist *out, int n)
{
	struct hist *vals = calloc(ncpus, sizeof(*vals));
	int fd = bpf_map__fd(map), err = 0;

	if (!vals)
		return -ENOMEM;
	for (__u32 key = 0; key < (__u32)n; key++) {
		if (bpf_map_lookup_elem(fd, &key, vals)) {
			err = -errno;
			break;
		}
		memset(&out[key], 0, sizeof(out[key]));
		for (int cpu = 0; cpu < ncpus; cpu++)
			hist_add_percpu(&out[key], &vals[cpu]);
	}
	free(vals);
	return err;
}

int map_dump(struct bpf_map *map, void **keys, void **values, size_t *n)
{
	size_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map);
	size_t max = bpf_map__max_entries(map), cnt = 0;
	int fd = bpf_map__fd(map), err = 0;
	char *k = calloc(max ? max : 1, ksz), *v = calloc(max ? max : 1, vsz);
	const void *prev = NULL;

	*keys = *values = NULL;
	*n = 0;
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	/* usually read after the target stopped; an entry deleted during
	 * the walk is skipped */
	while (cnt < max) {
		if (bpf_map_get_next_key(fd, prev, k + cnt * ksz)) {
			if (errno != ENOENT)
				err = -errno;
			break;
		}
		if (bpf_map_lookup_elem(fd, k + cnt * ksz, v + cnt * vsz)) {
			if (errno == ENOENT)
				continue;
			err = -errno;
			break;
		}
		prev = k + cnt * ksz;
		cnt++;
	}
	if (err) {
		free(k);
		free(v);
		return err;
	}
	*keys = k;
	*values = v;
	*n = cnt;
	return 0;
}

/*
 * hist.h — log2 histograms read out of the BPF maps (bpf/sched.h's struct
 * hist, summed over CPUs) and printed the way libbpf-tools prints them.
 */
#ifndef RTTRACE_HIST_H
#define RTTRACE_HIST_H

#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "sched.h"

/* log2_hist is struct hist summed over CPUs: slot i holds [2^i, 2^(i+1)). */
struct log2_hist {
	uint64_t slots[MAX_SLOTS];
	uint64_t count;	   /* values recorded */
	uint64_t total_ns; /* their sum in nanoseconds */
	uint64_t max;	   /* the largest value, exact (not a slot bound) */
};

/* hist_add_percpu adds one CPU's struct hist into h. */
void hist_add_percpu(struct log2_hist *h, const struct hist *cpu);

/* hist_sub sets d to now - prev, slot by slot: what an interval added;
 * d->max stays the largest since the start (an interval's own is not
 * kept). */
void hist_sub(struct log2_hist *d, const struct log2_hist *now,
	      const struct log2_hist *prev);

/*
 * hist_print prints h as
 *      usecs               : count    distribution
 *          0 -> 1          : 12       |**** | with val_type ("usecs", "nsecs")
 * naming the slot unit; nothing for an empty histogram.
 */
void hist_print(FILE *f, const struct log2_hist *h, const char *val_type);

/*
 * hist_json writes h as {"count", "total_ns", "mean_ns", "unit",
 * "buckets": [{"low", "high", "count"}…]}, buckets up to the last non-empty
 * one, bounds inclusive in val_type units.
 */
void hist_json(struct json *j, const struct log2_hist *h, const char *val_type);

#endif /* RTTRACE_HIST_H */

/*
 * mem_user.h — the user side of bpf/mem.bpf.c: load it, attach it to a
 * process's memory probes (mallocgc … finalizer_run), read what it
 * aggregated, and report that beside the scheduler report.
 */
#ifndef RTTRACE_MEM_USER_H
#define RTTRACE_MEM_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "hist.h"
#include "json.h"
#include "mem.h"
#include "probes.h"
#include "usdt_check.h"

struct probe_link; /* probe_attach.h */

/* The memory probes: [MEM_PROBE_FIRST, MEM_PROBE_LAST) of RT_PROBE_LIST. */
#define MEM_PROBE_FIRST RT_PROBE_ID_mallocgc
#define MEM_PROBE_LAST	(MEM_PROBE_FIRST + MEM_PROBE_NUM)

/* Read-only knobs of mem.bpf.c, set before load. */
struct mem_opts {
	pid_t tgid; /* process to count */
	bool nsec;  /* time slots in ns rather than us */
};

struct mem_session {
	struct mem_bpf *skel;
	struct probe_link *links[RT_PROBE_NUM]; /* NULL: not attached */
	int ncpus;				/* possible CPUs */
};

/* What the BPF maps hold, summed over CPUs. */
struct mem_result {
	uint64_t counts[MEM_PROBE_NUM];
	uint64_t errors[MEM_ERR_NUM];
	struct log2_hist alloc_size;		       /* bytes */
	struct mem_class classes[MEM_SIZECLASS_SLOTS]; /* 0: large */
	struct log2_hist stw[MEM_STW_SLOTS];	       /* by STW reason */
	struct log2_hist gc[MEM_GC_SLOTS];	       /* by GC reason */
	uint64_t gc_reasons[MEM_GC_SLOTS];	       /* cycles started */
	uint64_t pool_gets[MEM_POOL_GET_SLOTS];
	uint64_t pool_puts[MEM_POOL_PUT_SLOTS];
	uint64_t convts[MEM_CONVT_SLOTS]; /* kind * 2 + allocated */
	uint64_t sums[MEM_SUM_NUM];
	struct mem_gc_state gc_state;
};

/* mem_wanted says whether path has any memory probe site worth loading
 * mem.bpf.c for. */
bool mem_wanted(const struct usdt_probes *probes);
/* mem_load opens and loads mem.bpf.c with opts. Returns 0 or -errno. */
int mem_load(struct mem_session *s, const struct mem_opts *opts);
/* mem_attach attaches a program to each memory probe with sites. */
int mem_attach(struct mem_session *s, pid_t pid, const char *path,
	       const struct usdt_probes *probes);
/* mem_read sums the maps into out. Returns 0 or -errno. */
int mem_read(struct mem_session *s, struct mem_result *out);
/* mem_read_counts sums only the per-probe counts, as mem_read would.
 * Returns 0 or -errno. */
int mem_read_counts(struct mem_session *s, uint64_t counts[MEM_PROBE_NUM]);
/* mem_merge_counts copies the memory probes' counts into the per-probe
 * table counts[RT_PROBE_NUM] that the report prints. */
void mem_merge_counts(const struct mem_result *r,
		      uint64_t counts[RT_PROBE_NUM]);
/* mem_result_sub sets d to now - prev, what happened in between; the
 * state of gc_state (the last cycle's figures) is now's. */
void mem_result_sub(struct mem_result *d, const struct mem_result *now,
		    const struct mem_result *prev);
/* mem_destroy detaches and frees everything; s may be half set up. */
void mem_destroy(struct mem_session *s);

/* mem_report_text prints the memory sections whose probes fired; smp
 * says which histograms are samples (sample.h). */
struct sample_state;
void mem_report_text(FILE *f, const struct mem_result *r, bool nsec,
		     const struct sample_state *smp);
/* mem_report_json writes "memory": {…} into the report object. */
void mem_report_json(struct json *j, const struct mem_result *r, bool nsec);
/* mem_report_warnings prints on stderr what mem.bpf.c could not record. */
void mem_report_warnings(const struct mem_result *r);

/* Labels, shared by text and JSON: NULL index out of range. */
const char *mem_stw_reason_str(unsigned int idx);
const char *mem_gc_reason_str(unsigned int idx);

#endif /* RTTRACE_MEM_USER_H */

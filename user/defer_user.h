/*
 * defer_user.h — the user side of bpf/defer.bpf.c: load it, attach it to
 * a process's defer, panic and NumGoroutine probes (deferproc … gcount),
 * read what it aggregated, and report that beside the scheduler report.
 */
#ifndef RTTRACE_DEFER_USER_H
#define RTTRACE_DEFER_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "defer.h"
#include "hist.h"
#include "json.h"
#include "probes.h"
#include "usdt_check.h"

struct probe_link; /* probe_attach.h */

/* The defer, panic and gcount probes: [DEFER_PROBE_FIRST, DEFER_PROBE_LAST). */
#define DEFER_PROBE_FIRST RT_PROBE_ID_deferproc
#define DEFER_PROBE_LAST  (DEFER_PROBE_FIRST + DEFER_PROBE_NUM)

/* Read-only knobs of defer.bpf.c, set before load. */
struct defer_opts {
	pid_t tgid; /* process to count */
};

struct defer_session {
	struct defer_bpf *skel;
	struct probe_link *links[RT_PROBE_NUM]; /* NULL: not attached */
	int ncpus;				/* possible CPUs */
};

/* What the BPF maps hold, summed over CPUs. Every field is cumulative. */
struct defer_result {
	uint64_t counts[DEFER_PROBE_NUM];
	uint64_t kinds[DEFER_KIND_SLOTS]; /* deferproc by enum defer_kind */
	uint64_t sums[DEFER_SUM_NUM];
	struct log2_hist calls;	 /* calls run per deferreturn */
	struct log2_hist gcount; /* gcount's result, goroutines */
};

/* defer_wanted says whether path has any defer, panic or gcount probe
 * site worth loading defer.bpf.c for. */
bool defer_wanted(const struct usdt_probes *probes);
/* defer_load opens and loads defer.bpf.c with opts. Returns 0 or -errno. */
int defer_load(struct defer_session *s, const struct defer_opts *opts);
/* defer_attach attaches a program to each of these probes with sites. */
int defer_attach(struct defer_session *s, pid_t pid, const char *path,
		 const struct usdt_probes *probes);
/* defer_read sums the maps into out. Returns 0 or -errno. */
int defer_read(struct defer_session *s, struct defer_result *out);
/* defer_read_counts sums only the per-probe counts, as defer_read would.
 * Returns 0 or -errno. */
int defer_read_counts(struct defer_session *s,
		      uint64_t counts[DEFER_PROBE_NUM]);
/* defer_merge_counts copies these probes' counts into the per-probe
 * table counts[RT_PROBE_NUM] that the report prints. */
void defer_merge_counts(const struct defer_result *r,
			uint64_t counts[RT_PROBE_NUM]);
/* defer_result_sub sets d to now - prev: what happened in between. */
void defer_result_sub(struct defer_result *d, const struct defer_result *now,
		      const struct defer_result *prev);
/* defer_destroy detaches and frees everything; s may be half set up. */
void defer_destroy(struct defer_session *s);

/* defer_report_text prints the "defer, panic" section when its probes
 * fired; wall_s is the traced time, for rates; smp says which
 * histograms are samples (sample.h). */
struct sample_state;
void defer_report_text(FILE *f, const struct defer_result *r, double wall_s,
		       const struct sample_state *smp);
/* defer_report_json writes "defer", "panic" and "gcount" into the report
 * object. */
void defer_report_json(struct json *j, const struct defer_result *r,
		       double wall_s);

#endif /* RTTRACE_DEFER_USER_H */

/*
 * chan_user.h — the user side of bpf/chan.bpf.c: load it, attach it to a
 * process's channel, select and timer probes (chansend … runtimer), read
 * what it aggregated, and report that beside the scheduler report.
 */
#ifndef RTTRACE_CHAN_USER_H
#define RTTRACE_CHAN_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "chan.h"
#include "hist.h"
#include "json.h"
#include "probes.h"
#include "usdt_check.h"

struct probe_link; /* probe_attach.h */

/* The channel and timer probes: [CHAN_PROBE_FIRST, CHAN_PROBE_LAST). */
#define CHAN_PROBE_FIRST RT_PROBE_ID_chansend
#define CHAN_PROBE_LAST	 (CHAN_PROBE_FIRST + CHAN_PROBE_NUM)

/* Channels the report lists, by total blocked time. */
#define CHAN_TOP 10

/* Read-only knobs of chan.bpf.c, set before load. */
struct chan_opts {
	pid_t tgid; /* process to count */
	bool nsec;  /* time slots in ns rather than us */
};

struct chan_session {
	struct chan_bpf *skel;
	struct probe_link *links[RT_PROBE_NUM]; /* NULL: not attached */
	int ncpus;				/* possible CPUs */
};

/* One channel of the chans map. */
struct chan_blocked {
	uint64_t chan; /* its address */
	struct chan_block b;
};

/* What the BPF maps hold, summed over CPUs. */
struct chan_result {
	uint64_t counts[CHAN_PROBE_NUM];
	uint64_t errors[CHAN_ERR_NUM];
	uint64_t sums[CHAN_SUM_NUM];
	uint64_t selects[CHAN_SEL_NUM];		    /* by outcome */
	struct log2_hist select;		    /* selectgo -> return */
	struct log2_hist heaplen;		    /* at addtimer, timers */
	struct log2_hist lateness;		    /* runtimer lateness */
	struct chan_timer_heap heaps[CHAN_P_SLOTS]; /* per P */
	struct chan_blocked top[CHAN_TOP]; /* most blocked time first */
	unsigned int ntop;		   /* entries of top used */
	unsigned int nchans;		   /* channels that blocked */
};

/* chan_wanted says whether path has any channel or timer probe site
 * worth loading chan.bpf.c for. */
bool chan_wanted(const struct usdt_probes *probes);
/* chan_load opens and loads chan.bpf.c with opts. Returns 0 or -errno. */
int chan_load(struct chan_session *s, const struct chan_opts *opts);
/* chan_attach attaches a program to each channel/timer probe with sites. */
int chan_attach(struct chan_session *s, pid_t pid, const char *path,
		const struct usdt_probes *probes);
/* chan_read sums the maps into out. Returns 0 or -errno. */
int chan_read(struct chan_session *s, struct chan_result *out);
/* chan_read_counts sums only the per-probe counts, as chan_read would.
 * Returns 0 or -errno. */
int chan_read_counts(struct chan_session *s, uint64_t counts[CHAN_PROBE_NUM]);
/* chan_merge_counts copies the channel/timer probes' counts into the
 * per-probe table counts[RT_PROBE_NUM] that the report prints. */
void chan_merge_counts(const struct chan_result *r,
		       uint64_t counts[RT_PROBE_NUM]);
/*
 * chan_result_sub sets d to now - prev, what happened in between. The
 * timer heaps' last and largest lengths are now's; the per-channel table
 * is cumulative, so d has none (ntop and nchans 0).
 */
void chan_result_sub(struct chan_result *d, const struct chan_result *now,
		     const struct chan_result *prev);
/* chan_destroy detaches and frees everything; s may be half set up. */
void chan_destroy(struct chan_session *s);

/* chan_report_text prints the channel, select and timer sections whose
 * probes fired; wall_s is the traced time, for rates; smp says which
 * histograms are samples (sample.h). */
struct sample_state;
void chan_report_text(FILE *f, const struct chan_result *r, double wall_s,
		      bool nsec, const struct sample_state *smp);
/* chan_report_json writes "channels", "select" and "timers" into the
 * report object. */
void chan_report_json(struct json *j, const struct chan_result *r,
		      double wall_s, bool nsec);
/* chan_report_warnings prints on stderr what chan.bpf.c could not
 * record. */
void chan_report_warnings(const struct chan_result *r);

#endif /* RTTRACE_CHAN_USER_H */

/*
 * sched_user.h — the user side of bpf/sched.bpf.c: load it, attach it to a
 * process's librt probes, read what it aggregated, and report that.
 */
#ifndef RTTRACE_SCHED_USER_H
#define RTTRACE_SCHED_USER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "chan_user.h"
#include "defer_user.h"
#include "hist.h"
#include "mem_user.h"
#include "probes.h"
#include "sample.h"
#include "sched.h"
#include "usdt_check.h"

struct probe_link; /* probe_attach.h */

/* Read-only knobs of sched.bpf.c, set before load. */
struct sched_opts {
	pid_t tgid; /* process to count */
	bool nsec;  /* histogram slots in ns rather than us */
};

struct sched_session {
	struct sched_bpf *skel;
	struct probe_link *links[RT_PROBE_NUM]; /* NULL: probe not in binary */
	int ncpus; /* possible CPUs, per-CPU maps */
};

/* What the BPF maps hold, summed over CPUs. */
struct sched_result {
	uint64_t counts[RT_PROBE_NUM];
	uint64_t errors[SCHED_ERR_NUM];
	struct log2_hist park[SCHED_WAIT_HISTS]; /* by wait reason */
	struct log2_hist sched;			 /* runnable -> running */
};

/* sched_load opens and loads sched.bpf.c with opts. Returns 0 or -errno. */
int sched_load(struct sched_session *s, const struct sched_opts *opts);
/*
 * sched_attach attaches a program to every probe that has sites in probes
 * (from usdt_check of path), for process pid. Returns 0 or -errno.
 */
int sched_attach(struct sched_session *s, pid_t pid, const char *path,
		 const struct usdt_probes *probes);
/* sched_read sums the maps into out. Returns 0 or -errno. */
int sched_read(struct sched_session *s, struct sched_result *out);
/* sched_read_counts sums only the per-probe counts (for --sample auto's
 * rates and --live); 0 or -errno. */
int sched_read_counts(struct sched_session *s,
		      uint64_t counts[SCHED_PROBE_NUM]);
/* sched_destroy detaches and frees everything; s may be half set up. */
void sched_destroy(struct sched_session *s);

/* What was traced, for the report header. */
enum target_state {
	TARGET_EXITED,	  /* status is the exit code */
	TARGET_SIGNALLED, /* status is the signal */
	TARGET_RUNNING,	  /* detached while it still ran */
	TARGET_ENDED,	  /* gone; not rttrace's child, so status unknown */
};

struct sched_target {
	pid_t pid;
	const char *path;  /* the executable probes were attached in */
	char *const *argv; /* command line as given; NULL when attached */
	bool from_start;   /* traced from exec: counts are complete */
	bool interrupted;  /* ended by Ctrl-C (or SIGTERM) */
	double wall_s;	   /* from attach to exit or detach */
	enum target_state state;
	int status;
};

/*
 * One reading of every loaded concern's maps, for a report: sched.counts
 * holds every probe of RT_PROBE_LIST, the other concerns' counts merged
 * in; a concern not loaded (its probes not in the program) has has_x
 * false and its counts 0, as librt's own RT_STATS has them.
 */
struct report_data {
	struct sched_result sched;
	struct mem_result mem;	    /* if has_mem */
	struct chan_result chan;    /* if has_chan */
	struct defer_result defers; /* if has_defer */
	bool has_mem, has_chan, has_defer;
	struct sample_state sample; /* what was sampled (tracer_read) */
};

/*
 * report_read reads s's maps, and ms's, cs's and ds's if they are loaded
 * (each may be NULL or never loaded), into out, merging the per-probe
 * counts. Returns 0 or -errno after printing why.
 */
int report_read(struct sched_session *s, struct mem_session *ms,
		struct chan_session *cs, struct defer_session *ds,
		struct report_data *out);

/*
 * report_sub sets d to now - prev: the events, histograms and sums of the
 * interval between two readings (states such as the last GC's heap
 * figures are now's).
 */
void report_sub(struct report_data *d, const struct report_data *now,
		const struct report_data *prev);

/*
 * sched_report_text prints the report to f, for a person: the target, the
 * events per probe, the scheduler sections, then the memory, channel,
 * select, timer and defer sections of the concerns d has.
 */
void sched_report_text(FILE *f, const struct sched_target *t,
		       const struct report_data *d, bool nsec);
/* sched_report_json prints the same data as one JSON object to f. */
void sched_report_json(FILE *f, const struct sched_target *t,
		       const struct report_data *d, bool nsec);
/*
 * sched_report_json_with is sched_report_json with extra(j, arg) writing
 * more keys at the end of the report object (tracer.c: "signatures").
 */
void sched_report_json_with(FILE *f, const struct sched_target *t,
			    const struct report_data *d, bool nsec,
			    void (*extra)(struct json *j, void *arg),
			    void *arg);

/*
 * report_interval_text prints one interval of a live view to f: events
 * per probe over the interval (count and rate) beside the totals so far,
 * for every probe that has fired, then the histograms and sections of
 * the interval alone. iv is report_sub of two readings interval_s apart,
 * total the later reading.
 */
void report_interval_text(FILE *f, const struct report_data *iv,
			  const struct report_data *total, double interval_s,
			  bool nsec);
/*
 * report_interval_json prints the interval as one JSON object: "time"
 * (clock, HH:MM:SS), "elapsed_s", "interval_s", "probes" {NAME: {"count",
 * "rate_per_s", "total"}} and the report's sections for the interval.
 */
void report_interval_json(FILE *f, const char *clock, double elapsed_s,
			  const struct report_data *iv,
			  const struct report_data *total, double interval_s,
			  bool nsec);

/*
 * sched_report reads the concerns (report_read) and prints the report
 * (JSON if json) on stdout, then the warnings on stderr. Returns 0 or
 * -errno.
 */
int sched_report(struct sched_session *s, struct mem_session *ms,
		 struct chan_session *cs, struct defer_session *ds,
		 const struct sched_target *t, bool json, bool nsec);
/*
 * report_park_counts sets parks[reason] to the parks per wait reason, for
 * the signature table: the park histograms' counts, scaled to gopark's
 * exact total when gopark was sampled.
 */
void report_park_counts(const struct report_data *d,
			uint64_t parks[SCHED_WAIT_HISTS]);
/*
 * report_warnings prints on stderr what the BPF side could not record
 * (full maps) and, with --verbose, unmatched events.
 */
void report_warnings(const struct sched_session *s,
		     const struct report_data *d);

#endif /* RTTRACE_SCHED_USER_H */

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

#include "hist.h"
#include "probes.h"
#include "sched.h"
#include "usdt_check.h"

/* Read-only knobs of sched.bpf.c, set before load. */
struct sched_opts {
	pid_t tgid; /* process to count */
	bool nsec;  /* histogram slots in ns rather than us */
	unsigned int
	    max_goroutines; /* goid map size; 0: SCHED_MAX_GOROUTINES */
};

struct sched_session {
	struct sched_bpf *skel;
	struct bpf_link *links[RT_PROBE_NUM]; /* NULL: probe not in binary */
	int ncpus;			      /* possible CPUs, per-CPU maps */
	unsigned int max_goroutines;
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

struct mem_result;
struct mem_session;
struct chan_result;
struct chan_session;

/*
 * sched_report_text prints the report to f, for a person; with mem and
 * chan (each may be NULL) the memory sections and the channel, select and
 * timer sections too.
 */
void sched_report_text(FILE *f, const struct sched_target *t,
		       const struct sched_result *r,
		       const struct mem_result *mem,
		       const struct chan_result *chan, bool nsec);
/* sched_report_json prints the same data as one JSON object to f. */
void sched_report_json(FILE *f, const struct sched_target *t,
		       const struct sched_result *r,
		       const struct mem_result *mem,
		       const struct chan_result *chan, bool nsec);
/*
 * sched_report reads s's maps, and ms's and cs's if they are loaded (each
 * may be NULL or never loaded: a program without memory, or without
 * channel and timer probes), merges the per-probe counts and prints the
 * report (JSON if json) on stdout, then the warnings on stderr. Returns 0
 * or -errno.
 */
int sched_report(struct sched_session *s, struct mem_session *ms,
		 struct chan_session *cs, const struct sched_target *t,
		 bool json, bool nsec);
/*
 * sched_report_warnings prints on stderr what the BPF side could not record
 * (full goid map) and, with --verbose, unmatched events.
 */
void sched_report_warnings(const struct sched_session *s,
			   const struct sched_result *r);

#endif /* RTTRACE_SCHED_USER_H */

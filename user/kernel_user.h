/*
 * kernel_user.h — the user side of bpf/kernel.bpf.c (`--kernel`): the
 * kernel's scheduler and futex view of the traced process's threads,
 * joined to librt's goroutines; load and attach it, read what it
 * aggregated, report it, and fold its off-CPU stacks for the --offcpu
 * flamegraph.
 */
#ifndef RTTRACE_KERNEL_USER_H
#define RTTRACE_KERNEL_USER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "hist.h"
#include "json.h"
#include "kernel.h"
#include "probes.h"
#include "usdt_check.h"

struct folded;
struct probe_link; /* probe_attach.h */
struct usyms;

struct kernel_opts {
	pid_t tgid; /* the process; required (the tracepoints see all) */
	bool nsec;  /* histogram slots in ns rather than us */
	unsigned int max_goroutines; /* gentry; 0: KERNEL_MAX_GOROUTINES */
};

struct kernel_session {
	struct kernel_bpf *skel;
	struct probe_link *links[RT_PROBE_NUM]; /* librt's probes */
	struct bpf_link *tp_links[6];		/* the tracepoints */
	bool raw_tp;				/* raw_tp/ twins, not tp_btf/ */
	int ncpus;
	pid_t pid;
	bool nsec;
	struct usyms *usyms; /* names the stacks and goroutine entries */
	pthread_t snapper;   /* refreshes usyms' maps while pid runs */
	bool snapper_started;
	atomic_bool snapper_stop;
	bool warned; /* kernel_print or kernel_json_key printed the warnings */
};

/* An entry function and the time an M ran goroutines started with it. */
struct kernel_entry_time {
	uint64_t entry; /* pc; 0: goroutines started before tracing */
	char *name;	/* symbolized; NULL when unknown */
	uint64_t ns;
};

#define KERNEL_TOP_ENTRIES 3

/* One thread of the process, as the report shows it. */
struct kernel_thread {
	uint32_t tid;
	struct kernel_m m; /* the BPF record; open periods closed at read */
	uint64_t wall_ns;  /* first seen -> exit (or the reading) */
	uint64_t off_ns;   /* sum of m.off_ns */
	struct log2_hist hists[KREASON_NUM];
	/* the entry functions it ran longest, most first */
	struct kernel_entry_time top[KERNEL_TOP_ENTRIES];
	int ntop;
};

/* A goroutine's futex waits (its own, or its locked M's for it). */
struct kernel_gwait {
	uint64_t goid, entry, count, ns;
	char *name; /* entry's name; NULL when unknown */
};

#define KERNEL_TOP_GOROUTINES 10

struct kernel_result {
	bool raw_tp;
	struct kernel_thread *threads; /* Ms first (by tid), then others */
	size_t nthreads;
	struct log2_hist off[KREASON_NUM]; /* every thread's, by reason */
	struct log2_hist runq;		   /* wake -> switch-in */
	struct kernel_stw stw;
	uint64_t errors[KERR_NUM];
	/* futex waits per goroutine: the top by time, and all of them */
	struct kernel_gwait gwaits[KERNEL_TOP_GOROUTINES];
	size_t ngwaits;
	uint64_t gwait_goroutines, gwait_count, gwait_ns;
};

/*
 * kernel_start loads kernel.bpf.c filtered on o->tgid, attaches its
 * tp_btf/ programs (the raw_tp/ twins when those do not load or attach,
 * said with -v) and its programs on path's librt probes. Returns 0, or
 * -errno after printing why; kernel_destroy undoes what was done.
 */
/* kernel_pin_probes marks the probes the kernel concern attaches: it needs
 * every event of them, so --sample leaves them at period 1. */
void kernel_pin_probes(bool pinned[RT_PROBE_NUM]);
int kernel_start(struct kernel_session *k, const struct kernel_opts *o,
		 const char *path, const struct usdt_probes *probes);
/* kernel_read reads and symbolizes the maps into out (kernel_result_free
 * releases it). Returns 0 or -errno after printing why. */
int kernel_read(const struct kernel_session *k, struct kernel_result *out);
void kernel_result_free(struct kernel_result *r);

/* reason names: JSON keys ("futex_idle") and labels for people */
const char *kernel_reason_key(unsigned int reason);
const char *kernel_reason_label(unsigned int reason);

/* kernel_report_text prints the "kernel: Ms off-CPU" section. */
void kernel_report_text(FILE *f, const struct kernel_result *r, bool nsec);
/* kernel_report_json writes the section as one JSON object (the value of
 * the report's "kernel" key). */
void kernel_report_json(struct json *j, const struct kernel_result *r,
			bool nsec);
/* kernel_report_warnings prints on stderr what could not be recorded. */
void kernel_report_warnings(const struct kernel_result *r);

/*
 * kernel_print and kernel_json_key are what a report calls: read k (as
 * loaded, with its nsec), print the text section or write the "kernel"
 * key and its object, then the warnings on stderr (once per session: run
 * writes both forms); nothing when k is not loaded (no --kernel).
 * kernel_print returns 0 or -errno.
 */
int kernel_print(FILE *f, struct kernel_session *k);
void kernel_json_key(struct json *j, struct kernel_session *k);

/*
 * kernel_offcpu_folded folds the off-CPU stacks: "[reason];outer;...;inner"
 * (the user stack at switch-out, the off-CPU reason as the root frame),
 * weighted by off-CPU ns; unit "ns". Returns 0 or -errno.
 */
int kernel_offcpu_folded(struct kernel_session *k, struct folded *out);

/* kernel_destroy detaches and frees everything; k may be zeroed or half
 * set up. */
void kernel_destroy(struct kernel_session *k);

#endif /* RTTRACE_KERNEL_USER_H */

/*
 * timeline_user.h — the user side of bpf/timeline.bpf.c: drain its ring
 * buffer while the program runs, then write the Chrome/Perfetto trace-event
 * JSON of `--timeline FILE.json` (go tool trace's "View trace by proc") and
 * compute the goroutine analysis (go tool trace's "Goroutine analysis")
 * printed after the report and under "goroutine_analysis" in --json.
 *
 * Loaded only with --timeline or --goroutines (tracer.c).
 */
#ifndef RTTRACE_TIMELINE_USER_H
#define RTTRACE_TIMELINE_USER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "json.h"
#include "output.h"
#include "parse.h"
#include "probes.h"
#include "sched.h"
#include "timeline.h"
#include "usdt_check.h"

struct probe_link; /* probe_attach.h */

/* How often the reader drains the ring buffer and samples the timer heaps. */
#define TL_DRAIN_MS 50

/* Events kept in memory at most (40 bytes each); beyond, counted as lost. */
#define TL_MAX_EVENTS (16u << 20)

struct timeline_opts {
	pid_t tgid;		   /* process to trace */
	const char *path;	   /* --timeline FILE; NULL: analysis only */
	unsigned int ringbuf_size; /* bytes; 0: TL_RINGBUF_DEFAULT */
};

/* One creation site's totals (newproc's entry pc): the analysis' row. */
struct tl_site {
	uint64_t entry_pc;   /* 0: goroutines created before the trace began */
	char *name;	     /* symbolized entry, or "0x…" */
	uint64_t count;	     /* goroutines created (seen alive) */
	uint64_t ended;	     /* of which ended during the trace */
	uint64_t run_ns;     /* running on a P */
	uint64_t sched_ns;   /* runnable, waiting for a P (scheduler wait) */
	uint64_t syscall_ns; /* in a system call */
	uint64_t block_ns[SCHED_WAIT_HISTS]; /* parked, by wait reason */
	uint64_t gc_ns;			     /* alive while a GC ran */
	uint64_t stw_ns; /* alive while the world was stopped */
};

/* The goroutine analysis, rows sorted by run + block time, most first. */
struct tl_analysis {
	struct tl_site *sites;
	size_t nsites;
	uint64_t goroutines; /* every goroutine seen */
	uint64_t span_ns;    /* first to last event */
	uint64_t events;     /* events received */
	uint64_t dropped;    /* lost in the kernel: the ring buffer was full */
	uint64_t overflow;   /* lost in rttrace: over TL_MAX_EVENTS */
	uint64_t stw_spans;  /* stop-the-world spans written */
	uint64_t gc_spans;   /* GC spans written */
};

struct timeline_session {
	struct timeline_bpf *skel;
	struct probe_link *links[RT_PROBE_NUM]; /* NULL: not attached */
	struct ring_buffer *rb;
	int ncpus;
	pid_t pid;
	char *path;	   /* --timeline FILE, or NULL */
	struct output out; /* path's temporary, opened at start */
	unsigned int ringbuf_size;
	struct tl_event *ev; /* what the reader drained, in arrival order */
	size_t nev, cap;
	uint64_t overflow;
	unsigned int nps; /* Ps seen (gostart), for the timer sample */
	bool sampled;	  /* last_sample holds the last sample */
	struct tl_event last_sample; /* to skip samples that did not change */
	struct usyms *usyms;
	pthread_t reader;
	bool reader_started;
	atomic_bool reader_stop;
	bool finished;
	struct tl_analysis an;
};

/* timeline_parse_size: parse.h */

/*
 * timeline_start loads timeline.bpf.c filtered on o->tgid, attaches it to
 * path's probes and starts the reader thread. Returns 0 or -errno after
 * printing why; timeline_destroy undoes it.
 */
/* timeline_pin_probes marks the probes the timeline attaches: it needs
 * every event of them, so --sample leaves them at period 1. */
void timeline_pin_probes(bool pinned[RT_PROBE_NUM]);
int timeline_start(struct timeline_session *s, const char *path,
		   const struct usdt_probes *probes,
		   const struct timeline_opts *o);

/*
 * timeline_finish stops the reader, drains what is left, writes the trace
 * file (if a path was given) and computes the analysis in s->an; once,
 * later calls return at once. Warns about lost events with the fix.
 * Returns 0, or -errno when the file could not be written.
 */
int timeline_finish(struct timeline_session *s);

/* timeline_report_text prints the goroutine analysis table, if finished. */
void timeline_report_text(FILE *f, const struct timeline_session *s);
/* timeline_report_json writes "goroutine_analysis" into the report object,
 * if s was started and finished. */
void timeline_report_json(struct json *j, const struct timeline_session *s);

/* timeline_destroy stops the reader, detaches and frees; s may be zeroed. */
void timeline_destroy(struct timeline_session *s);

/*
 * timeline_variant_path makes `run --variant both`'s per-variant file
 * name: "x.json" and "before" give "x-before.json" (the suffix goes
 * before the extension, or at the end when there is none). Free it.
 */
char *timeline_variant_path(const char *path, const char *variant);

#endif /* RTTRACE_TIMELINE_USER_H */

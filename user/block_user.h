/*
 * block_user.h — the user side of bpf/block.bpf.c, the blocking profile:
 * load it with --blocking, attach it to a process's gopark, goready and
 * goend probes, and hand back the blocked time per (wait reason, stack)
 * as folded stacks for the flamegraph, pprof and HTML exports.
 */
#ifndef RTTRACE_BLOCK_USER_H
#define RTTRACE_BLOCK_USER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "block.h"
#include "probes.h"
#include "usdt_check.h"

struct folded;
struct json;
struct probe_link; /* probe_attach.h */

struct block_opts {
	pid_t tgid;		     /* process to profile */
	unsigned int max_goroutines; /* parked map; 0: BLOCK_MAX_GOROUTINES */
	unsigned int max_stacks;     /* stack map; 0: BLOCK_MAX_STACKS */
};

/* One (reason, stack) of the profile, symbolized. */
struct block_entry {
	unsigned int reason; /* enum rt_waitreason, or BLOCK_WAIT_BAD */
	char *stack;	     /* "outer;...;inner", without the reason */
	uint64_t ns, count;
};

struct block_session {
	struct block_bpf *skel;
	struct probe_link *links[RT_PROBE_NUM];
	int ncpus;
	unsigned int max_goroutines; /* the parked map's size */
	unsigned int max_stacks;     /* the stack and blocked maps' */
	struct usyms *usyms;
	pthread_t snapper; /* refreshes usyms' snapshot while the pid runs */
	bool snapper_started;
	atomic_bool snapper_stop;
	/* stats and still_parked: read once, by block_read_stats */
	bool stats_read;
	bool warned; /* block_report_warnings printed them */
	/* read once, by the first block_folded or block_collect */
	bool collected;
	struct block_entry *entries;
	size_t nentries;
	char **runtime_names; /* librt frames seen, for the SVG colours */
	size_t nruntime;
	uint64_t stats[BLOCK_STAT_NUM];
	uint64_t still_parked; /* goroutines parked when read */
};

/* block_wanted says whether path has the probes the profile needs. */
/* block_pin_probes marks the probes --blocking attaches: it needs every
 * event of them, so --sample leaves them at period 1. */
void block_pin_probes(bool pinned[RT_PROBE_NUM]);
bool block_wanted(const struct usdt_probes *probes);

/*
 * block_start loads block.bpf.c filtered on o->tgid, attaches it to
 * path's gopark, goready and goend sites and starts keeping a snapshot of
 * the process's mappings. Returns 0 or -errno after printing why;
 * block_stop undoes what was done.
 */
int block_start(struct block_session *b, const struct block_opts *o,
		const char *path, const struct usdt_probes *probes);

/*
 * block_collect reads and symbolizes the profile (once: later calls
 * return what the first read). The process may have exited. Returns 0
 * or -errno.
 */
int block_collect(struct block_session *b);

/*
 * block_folded gives the blocking profile as folded stacks weighted by
 * blocked ns (unit "ns"), each rooted at its wait reason (Go's text:
 * "chan receive;main;worker;rt_chan_recv;...;rt_gopark"); with reason
 * (Go's text), only that reason's stacks. Collects first if needed.
 * Returns 0 or -errno; out is folded_free'd by the caller.
 */
int block_folded(struct block_session *b, const char *reason,
		 struct folded *out);

/*
 * block_read_stats reads what block.bpf.c counted (stats, and the
 * goroutines still parked) once: later calls, and block_collect, keep
 * that reading. Returns 0 or -errno.
 */
int block_read_stats(struct block_session *b);

/*
 * block_json_key writes "blocking": the parks seen and, under "errors",
 * every count of what could not be recorded (block.h's enum block_stat);
 * nothing when --blocking was not loaded. Reads the stats if not yet.
 */
void block_json_key(struct json *j, struct block_session *b);

/* block_report_warnings prints on stderr what could not be recorded,
 * once per session (later calls print nothing). */
void block_report_warnings(struct block_session *b);

/* block_stop detaches and frees everything; b may be zeroed. */
void block_stop(struct block_session *b);

#endif /* RTTRACE_BLOCK_USER_H */

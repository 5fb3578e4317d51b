/*
 * sample.h — sampled mode: how often librt fires each probe while rttrace
 * is attached (--sample N|auto|off), and what the report says about it.
 *
 * librt fires a probe with a period P > 1 once per about P events and
 * passes n, the events the firing stands for (runtime/probes.h); the BPF
 * programs add n, so per-probe totals stay exact while histograms become
 * 1-in-P samples. rttrace sets the periods: through RT_PROBE_SAMPLE in the
 * environment of a program it starts, and by writing librt's globals
 * rt_probe_sample_period[] and rt_probe_sample_epoch in the running
 * process (/proc/PID/mem at their symbols' addresses).
 *
 * --sample auto (the default) starts every probe at full and re-decides
 * every SAMPLE_TICK_S from the probes' measured event rates
 * (sample_auto_periods, a pure function): a total firing budget is shared
 * out so that no probe fires more than its share, and probes under their
 * share fire on every event.
 */
#ifndef RTTRACE_SAMPLE_H
#define RTTRACE_SAMPLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "probes.h"

struct json;

enum sample_mode {
	SAMPLE_AUTO = 0, /* the default: periods from the measured rates */
	SAMPLE_OFF,	 /* every event fires (--sample off, --sample 1) */
	SAMPLE_FIXED,	 /* every sampleable probe at one period */
};

/*
 * The auto policy's defaults. A firing costs about 0.35-0.45 µs here on a
 * quiet machine (the 5-byte-nop trampoline, ~330 ns, plus ~50 ns of BPF
 * work: make bench's probe table) and over 1 µs on a loaded one; at
 * SAMPLE_BUDGET_PER_S firings a second that is 2-6 ms of CPU per second,
 * under 1 % of one CPU, Go's runtime/trace overhead, and still thousands
 * of histogram samples a second. A sampled probe keeps at least
 * SAMPLE_FLOOR_PER_S firings a second, whatever the probes that must fire on
 * every event (--kernel,
 * --timeline, --blocking) take of the budget: a few hundred samples a
 * second give a log2 histogram's shape.
 */
#define SAMPLE_BUDGET_PER_S 5000.0
#define SAMPLE_FLOOR_PER_S  200.0
#define SAMPLE_MAX_PERIOD   (1u << 24)
/* the auto policy's tick; the first ticks come sooner (sample.c) so a
 * hot program does not run its first 100 ms at full cost */
#define SAMPLE_TICK_S 0.1

/*
 * What librt lets a probe's period be (probes.h):
 *   SAMPLE_ROLE_OWN     sampled on its own, at its own period;
 *   SAMPLE_ROLE_FOLLOW  fires with its goroutine's opener (goready and
 *                       gostart after a fired gopark or newproc,
 *                       selectgo_ret after a fired selectgo): its period
 *                       is only on (> 1) or off, set to its openers';
 *   SAMPLE_ROLE_NEVER   rare pairs whose every event is wanted (GC, STW)
 *                       and rt:probe_flush itself.
 */
enum sample_role {
	SAMPLE_ROLE_OWN,
	SAMPLE_ROLE_FOLLOW,
	SAMPLE_ROLE_NEVER,
};

/* sample_role is what librt lets probe id's period be. */
enum sample_role sample_role(int id);

/*
 * sample_parse reads --sample's argument: "off" (or 1), "auto", or a
 * period N (2 .. SAMPLE_MAX_PERIOD). Returns false if s is none.
 */
bool sample_parse(const char *s, enum sample_mode *mode, uint32_t *period);

/*
 * sample_fixed_periods sets out to --sample N's periods: N for every
 * probe that is neither pinned (a loaded concern needs its every event)
 * nor SAMPLE_ROLE_NEVER, 1 for those; a follower is on when an opener
 * is.
 */
void sample_fixed_periods(uint32_t period, const bool pinned[RT_PROBE_NUM],
			  uint32_t out[RT_PROBE_NUM]);

/*
 * sample_auto_periods is --sample auto's policy: from each probe's event
 * rate (events per second, exact: the BPF totals) and its current period
 * cur, the periods to run with next.
 *
 * Every probe that must fire on every event (pinned, SAMPLE_ROLE_NEVER)
 * costs its rate. What is left of SAMPLE_BUDGET_PER_S (at least
 * SAMPLE_FLOOR_PER_S per sampled probe) is shared out max-min fair
 * ("water-filling") among the SAMPLE_ROLE_OWN probes, an opener weighing
 * 1 + its followers, which fire with it: a level T such that the probes
 * under T fire on every event and the others T times a second. A probe
 * above T gets the period rate / T rounded up to a power of two (so a
 * rate's jitter does not rewrite it every tick). Hysteresis: a period
 * rises as soon as the probe would fire 25 % over T (overhead first) but
 * falls only when the new one is 4x smaller. Followers get their
 * openers' largest period.
 */
void sample_auto_periods(const double rates[RT_PROBE_NUM],
			 const uint32_t cur[RT_PROBE_NUM],
			 const bool pinned[RT_PROBE_NUM],
			 uint32_t out[RT_PROBE_NUM]);

/*
 * sample_env writes RT_PROBE_SAMPLE's value for periods into buf: "1"
 * when all are 1, else the most common period, then "name=P" for each
 * probe that differs (librt applies entries in order). Returns false if
 * buf is too small.
 */
bool sample_env(const uint32_t periods[RT_PROBE_NUM], char *buf, size_t len);

/* ---- the process's globals --------------------------------------------- */

/* Where librt's sampling globals are in a process. */
struct sample_target {
	uint64_t period_addr; /* rt_probe_sample_period[RT_PROBE_NUM] */
	uint64_t epoch_addr;  /* rt_probe_sample_epoch */
};

/*
 * sample_find_symbols finds rt_probe_sample_period and
 * rt_probe_sample_epoch in the ELF file path (.symtab, else .dynsym): their
 * link-time addresses, and in *first_vaddr the page-aligned address of the
 * first PT_LOAD segment. Returns 0, -ENOENT if path has no such symbols
 * (an older librt), -EPROTO if the period array's size is not
 * RT_PROBE_NUM (another librt's probe list), or -errno.
 */
int sample_find_symbols(const char *path, uint64_t *period_vaddr,
			uint64_t *epoch_vaddr, uint64_t *first_vaddr);

/*
 * sample_load_base reads /proc/PID/maps (maps) for where path is mapped:
 * the start of the mapping of path's file (the same inode, or the same
 * path) at file offset 0 with the lowest address. Returns 0, -ENOENT.
 */
int sample_load_base(FILE *maps, const char *path, uint64_t *base);

/*
 * sample_locate finds the globals in process pid running path: symbols
 * plus the load bias (base of the mapping minus the first PT_LOAD's
 * address, 0 for a non-PIE executable). Returns 0, sample_find_symbols'
 * errors, or -ESRCH when pid does not map path.
 */
int sample_locate(pid_t pid, const char *path, struct sample_target *t);

/* ---- a tracing session ------------------------------------------------- */

/*
 * sample_read_fn reads the BPF per-probe totals (events, n-weighted) into
 * counts, every probe of RT_PROBE_LIST; 0 or -errno.
 */
typedef int (*sample_read_fn)(void *ctx, uint64_t counts[RT_PROBE_NUM]);

/* What the report says about sampling (a copy, safe to keep). */
struct sample_state {
	bool known; /* filled in by a session; else the report says nothing */
	enum sample_mode mode;
	uint32_t fixed_period; /* SAMPLE_FIXED's N */
	bool available;	       /* librt in the target can sample */
	bool failed;	       /* the target's periods could not be written */
	uint32_t period[RT_PROBE_NUM];	   /* in force at the end */
	uint32_t max_period[RT_PROBE_NUM]; /* the largest in force */
	unsigned int changes;		   /* auto: period writes */
};

/* A session: the target, its periods, and auto's ticking thread. */
struct sample_session {
	struct sample_state st; /* under lock while the thread runs */
	bool pinned[RT_PROBE_NUM];
	bool from_exec; /* started by rttrace: periods from the environment */
	pid_t pid;
	int memfd;     /* /proc/PID/mem, if have_mem */
	bool have_mem; /* periods can be written */
	struct sample_target addr;
	bool restore; /* attach: write saved back at the end */
	uint32_t saved[RT_PROBE_NUM];
	/* auto */
	sample_read_fn read;
	void *read_ctx;
	uint64_t last[RT_PROBE_NUM];
	double last_ts;
	pthread_t thread;
	pthread_mutex_t lock; /* st, stopping */
	pthread_cond_t wake;
	bool prepared; /* lock and wake exist (sample_prepare) */
	bool running, stopping;
};

/*
 * sample_prepare readies sampling for process pid (path: its executable)
 * before any probe is attached: finds librt's globals; for a process
 * rttrace did not start (from_exec false) writes the starting periods
 * and bumps the epoch, so the first firings report no event from before
 * the attach. Never fails: without the globals (an older librt) or when
 * the process's memory cannot be written, it prints why and leaves
 * every probe firing on every event. mode and period are --sample's;
 * pinned the probes a loaded concern needs every event of.
 */
void sample_prepare(struct sample_session *s, pid_t pid, const char *path,
		    bool from_exec, enum sample_mode mode, uint32_t period,
		    const bool pinned[RT_PROBE_NUM]);

/*
 * sample_start runs once every probe is attached: for a process rttrace
 * did not start it bumps the epoch again (a concern attached later does
 * not report what happened before it was), and with auto it starts the
 * thread that reads the totals through readfn(ctx) every SAMPLE_TICK_S and
 * writes the periods sample_auto_periods chooses.
 */
void sample_start(struct sample_session *s, sample_read_fn readfn, void *ctx);

/* sample_tick is one step of auto: read the totals, decide, write; now
 * is CLOCK_MONOTONIC seconds. The thread calls it; tests may. */
void sample_tick(struct sample_session *s, double now);

/* sample_snapshot copies the session's state for a report. */
void sample_snapshot(struct sample_session *s, struct sample_state *out);

/* sample_stop stops auto's thread; the periods in force stay. Before a
 * report, so that it names the periods the run ended with. */
void sample_stop(struct sample_session *s);

/*
 * sample_end stops auto's thread and gives an attached process back the
 * periods it had (it goes on running); a zeroed session is fine.
 */
void sample_end(struct sample_session *s);

/* ---- the report -------------------------------------------------------- */

/* sample_sampled is whether probe id's histograms are samples. */
bool sample_sampled(const struct sample_state *st, int id);

/*
 * sample_hist_note writes into buf what a histogram of probe id's firings
 * is: "" at full, else " sampled (mallocgc 1 in 64)"; returns buf.
 */
const char *sample_hist_note(const struct sample_state *st, int id, char *buf,
			     size_t len);

/*
 * sample_hist_line prints, before a histogram of probe id's firings whose
 * title has no count, "    1234 samples (mallocgc 1 in 64):" when they
 * are samples; nothing at full.
 */
void sample_hist_line(FILE *f, const struct sample_state *st, int id,
		      uint64_t samples);

/*
 * sample_print prints the report's "sampling:" line: the mode, the
 * sampled probes and their periods, and what is exact. inexact is NULL
 * when the program ended through rt_main while traced (rt:probe_flush
 * reported every event), else why not ("detached while it ran"): events
 * since each thread's last firing of a sampled probe were not reported.
 */
void sample_print(FILE *f, const struct sample_state *st, const char *inexact);

/* sample_json writes "sampling": {"mode", "period" (fixed), "available",
 * "totals_exact", "period_changes" (auto), "by_probe": {NAME: {"period",
 * "max_period", "histograms_sampled"}}}. */
void sample_json(struct json *j, const struct sample_state *st,
		 const char *inexact);

#endif /* RTTRACE_SAMPLE_H */

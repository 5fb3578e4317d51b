/*
 * chan.h — what chan.bpf.c and the rttrace user side share: the channel,
 * select and timer probes' count indices and the layout of their maps.
 *
 * As in sched.h and mem.h, the BPF side cannot include runtime/probes.h,
 * so these probes are restated here in the order of RT_PROBE_LIST, from
 * chansend on; user/chan.c static-asserts that CHAN_PROBE_x is
 * RT_PROBE_ID_x - RT_PROBE_ID_chansend for each, so a probe added to or
 * moved in probes.h without a matching line here fails the build.
 */
#ifndef RTTRACE_CHAN_H
#define RTTRACE_CHAN_H

#include "sched.h" /* struct hist, MAX_SLOTS */

/* Indices into chan_stats.counts; mirror enum rt_probe_id from chansend. */
enum chan_probe {
	CHAN_PROBE_CHANSEND,
	CHAN_PROBE_CHANRECV,
	CHAN_PROBE_CHANCLOSE,
	CHAN_PROBE_SELECTGO,
	CHAN_PROBE_SELECTGO_RET,
	CHAN_PROBE_ADDTIMER,
	CHAN_PROBE_DELTIMER,
	CHAN_PROBE_MODTIMER,
	CHAN_PROBE_RUNTIMER,
	CHAN_PROBE_NUM,
};

/* chanrecv's flags argument (probes.h). */
#define CHAN_RECV_BUFFERED 1
#define CHAN_RECV_CLOSED   2

/* How a select ended, from selectgo_ret. */
enum chan_select_outcome {
	CHAN_SEL_READY,	  /* a case ran without blocking */
	CHAN_SEL_BLOCKED, /* a case ran after the goroutine blocked */
	CHAN_SEL_DEFAULT, /* no case was ready: default ran (chosen -1) */
	CHAN_SEL_NUM,
};

/* Sums of probe arguments, for the report's totals. */
enum chan_sum {
	CHAN_SUM_SEND_BUFFERED,	    /* chansend into the buffer */
	CHAN_SUM_SEND_BLOCKED,	    /* chansend with blocked_ns > 0 */
	CHAN_SUM_SEND_BLOCKED_NS,   /* their blocked_ns */
	CHAN_SUM_RECV_BUFFERED,	    /* chanrecv from the buffer */
	CHAN_SUM_RECV_CLOSED,	    /* chanrecv of a closed channel's zero */
	CHAN_SUM_RECV_BLOCKED,	    /* chanrecv with blocked_ns > 0 */
	CHAN_SUM_RECV_BLOCKED_NS,   /* their blocked_ns */
	CHAN_SUM_SELECT_DEFAULT,    /* selectgo with has_default */
	CHAN_SUM_SELECT_CASES,	    /* selectgo ncases */
	CHAN_SUM_SELECT_BLOCKED_NS, /* selectgo_ret blocked_ns */
	CHAN_SUM_NUM,
};

/*
 * Blocking per channel, keyed by the channel's address: only operations
 * that blocked (blocked_ns > 0) are recorded, so the map holds the
 * channels that made someone wait. A channel freed by the GC and another
 * made at the same address share an entry.
 */
struct chan_block {
	__u64 send_ns;	  /* total blocked_ns of blocked sends */
	__u64 send_count; /* blocked sends */
	__u64 recv_ns;	  /* total blocked_ns of blocked receives */
	__u64 recv_count; /* blocked receives */
	__u64 elemsize;	  /* as the last blocked operation gave it */
};

/* Default size of the channel map. */
#define CHAN_MAX_CHANNELS 16384

/*
 * Timer heaps are per P (the probes' p argument): for each, the heaplen
 * the last timer probe on that P reported, the largest seen and the
 * probes seen. P ids from CHAN_MAX_PS on share the last slot, CHAN_P_BAD.
 * The BPF side keeps the largest and the probes per CPU (chan_p_timers,
 * in chan_stats) and the last in a map shared by all CPUs (a P's timers
 * are touched from any thread); user space joins them into
 * chan_timer_heap.
 */
#define CHAN_MAX_PS  256
#define CHAN_P_BAD   CHAN_MAX_PS
#define CHAN_P_SLOTS (CHAN_MAX_PS + 1)

struct chan_timer_heap {
	__u64 last;   /* heaplen of the last timer probe on this P */
	__u64 max;    /* largest heaplen seen on this P */
	__u64 events; /* timer probes seen on this P */
};

struct chan_p_timers {
	__u64 events; /* timer probes seen on this P, on this CPU */
	__u64 max;    /* largest heaplen they reported */
};

/* Things chan.bpf.c could not record, per CPU; reported when non-zero. */
enum chan_error {
	/* a blocked operation's channel could not be inserted: map full */
	CHAN_ERR_CHAN_MAP_FULL,
	/* a negative blocked_ns (chansend, chanrecv, selectgo_ret) or
	 * lateness_ns (runtimer), recorded as 0 */
	CHAN_ERR_NEGATIVE_BLOCKED,
	CHAN_ERR_NEGATIVE_LATENESS,
	CHAN_ERR_NUM,
};

/*
 * Everything chan.bpf.c counts per CPU, in the one entry of its per-CPU
 * stats map: each program makes one lookup of it per hit (rt.bpf.h's
 * RT_STATS_PROG).
 */
struct chan_stats {
	__u64 counts[CHAN_PROBE_NUM]; /* events per probe */
	__u64 sums[CHAN_SUM_NUM];     /* enum chan_sum */
	__u64 selects[CHAN_SEL_NUM];  /* by outcome */
	__u64 errors[CHAN_ERR_NUM];   /* enum chan_error */
	struct hist select;	      /* selectgo_ret's blocked_ns */
	struct hist heaplen;	      /* timer heap length at addtimer */
	struct hist lateness;	      /* runtimer's lateness_ns */
	struct chan_p_timers ps[CHAN_P_SLOTS]; /* per P */
};

#endif /* RTTRACE_CHAN_H */

/*
 * serve.c — `rttrace attach|trace|run --serve ADDR`: a Prometheus endpoint.
 *
 * The in-kernel aggregates are already what a Prometheus client library
 * keeps: monotonic counters and cumulative histograms. So a scrape is one
 * reading of every loaded concern's maps (report_read, as --live reads
 * them) written out as an exposition; nothing is kept or reset between
 * scrapes, and two scrapers see the same series.
 *
 * Formats. The Prometheus text format 0.0.4 by default; OpenMetrics 1.0.0
 * when the Accept header prefers application/openmetrics-text (Prometheus
 * itself asks for it first). The two differ only in the framing: an
 * OpenMetrics counter family is named without its "_total" suffix, info
 * metrics have a type of their own, families with a unit carry a UNIT
 * line, and the exposition ends with "# EOF".
 *
 * The series.
 *   rt_target_info{pid,exe} 1          the traced process (an info metric)
 *   rt_trace_start_time_seconds         when the server started (Unix time)
 *   rt_probe_events_total{probe}        every probe the program has sites
 *                                       for: the report's per-probe counts
 *   rt_trace_errors_total{concern,error} what the BPF side could not record
 *   histograms, from the log2 histograms of the BPF maps:
 *     rt_park_duration_seconds{reason}  gopark -> goready, by wait reason
 *     rt_sched_latency_seconds          goready (or newproc) -> gostart
 *     rt_select_duration_seconds        time blocked in select (0: ready)
 *     rt_timer_lateness_seconds         runtimer's lateness
 *     rt_stw_pause_seconds{reason}      stop-the-world pauses, by reason
 *     rt_gc_cycle_duration_seconds{reason} gc_start -> gc_done, by trigger
 *     rt_alloc_size_bytes, rt_timer_heap_length, rt_deferreturn_calls,
 *     rt_num_goroutine_result
 *   GC and heap: rt_gc_cycles_total{reason}, rt_alloc_bytes_total,
 *     rt_heap_grow_bytes_total, rt_heap_scavenged_bytes_total,
 *     rt_gc_marked_bytes_total, rt_gc_swept_objects_total, and the gauges
 *     rt_heap_live_bytes, rt_gc_goal_bytes, rt_heap_sys_bytes (as the last
 *     gc_done and heap_grow said) and rt_gc_in_progress;
 *   channels, select, pools, boxing, defer: rt_chan_blocked_*_total{op},
 *     rt_select_total{outcome}, rt_sync_pool_gets_total{result},
 *     rt_sync_pool_puts_total{place}, rt_convt_total{kind,allocated},
 *     rt_defer_total{kind}.
 * A concern not loaded (the program lacks its probes) exports nothing;
 * a labelled series appears once it is non-zero, so thirty-odd wait
 * reasons that never happen do not each cost forty-one series.
 *
 * Buckets. Slot i of a log2 histogram holds the integers [2^i, 2^(i+1))
 * of its slot unit (slot 0 also 0); a time slotted in microseconds is the
 * nanoseconds divided by 1000, rounded down. So every value in slots 0..i
 * is at most 2^(i+1) * unit - 1 nanoseconds (or bytes, or items), and that
 * is the bucket's "le": exact, if not round (le="0.000511999" in us).
 * The last slot also takes everything beyond it, so it has only the
 * "+Inf" bucket. _count and the +Inf bucket are the slots' sum — a slot
 * and the count are separate per-CPU adds, and a reading between the two
 * must not give Prometheus a histogram whose count disagrees with its
 * buckets. _sum is exact: the BPF side keeps the sum of the nanoseconds
 * (or the values) themselves, whatever the slot unit.
 *
 * The server. One thread, one connection at a time (Connection: close):
 * a scrape is a few map reads and some kilobytes, and each connection has
 * a deadline (SERVE_IO_TIMEOUT_S), so a stuck client delays the next
 * scrape by at most that and never the trace, which runs on the main
 * thread. The thread blocks every signal, so Ctrl-C still interrupts the
 * main thread's wait. serve_stop wakes it through a pipe and joins it
 * before tracer_stop destroys the maps it reads.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flamegraph.h"
#include "http.h"
#include "mem_user.h"
#include "privilege.h"
#include "probe_names.h"
#include "rttrace.h"
#include "sched_user.h"
#include "serve.h"
#include "tracer.h"
#include "waitreason.h"

#define SERVE_BACKLOG	   16
#define SERVE_REQUEST_MAX  8192 /* request line and headers */
#define SERVE_IO_TIMEOUT_S 5
#define SERVE_LABELS_MAX   1024

#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define CT_OPENMETRICS \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

struct serve {
	int lfd;     /* listening socket */
	int wake[2]; /* serve_stop writes wake[1] */
	pthread_t thread;
	struct tracer *tr;
	struct serve_target t;
	struct usdt_probes probes;
	char exe[PATH_MAX];
	char where[INET6_ADDRSTRLEN + 16]; /* "127.0.0.1:9464", for people */
};

/* ---- labels of the enums the BPF side counts by ---------------------- */

static const char *const sched_errors[SCHED_ERR_NUM] = {
    "ready_unparked",
};
static_assert(SCHED_ERR_NUM == 1, "sched.h: name the new error here");

static const char *const mem_errors[MEM_ERR_NUM] = {"gc_unpaired"};
static_assert(MEM_ERR_NUM == 1, "mem.h: name the new error here");

static const char *const chan_errors[CHAN_ERR_NUM] = {
    "chan_map_full",
    "negative_blocked",
    "negative_lateness",
};
static_assert(CHAN_ERR_NUM == 3, "chan.h: name the new error here");

/* as mem_report.c's tables, in the order of probes.h's arguments */
static const char *const pool_get_results[MEM_POOL_GET_SLOTS] = {
    "private", "shared", "stolen", "victim", "miss", "(out of range)",
};
static_assert(MEM_POOL_GET_SLOTS == 6, "mem.h: pool_get results");
static const char *const pool_put_places[MEM_POOL_PUT_SLOTS] = {
    "private", "shared", "(out of range)"};
static_assert(MEM_POOL_PUT_SLOTS == 3, "mem.h: pool_put places");
static const char *const convt_kinds[MEM_CONVT_KINDS] = {
    "(out of range)", "T64", "Tstring", "Tslice"};
static_assert(MEM_CONVT_KINDS == 4, "mem.h: convT kinds");

static const char *const defer_kinds[DEFER_KIND_SLOTS] = {
    "pooled", "allocated", "open_coded", "(out of range)"};
static_assert(DEFER_KIND_SLOTS == 4, "defer.h: defer kinds");

static const char *const select_outcomes[CHAN_SEL_NUM] = {"ready", "blocked",
							  "default"};
static_assert(CHAN_SEL_NUM == 3, "chan.h: select outcomes");

/* ---- the exposition ---------------------------------------------------- */

enum fam_type { FAM_COUNTER, FAM_GAUGE, FAM_HISTOGRAM, FAM_INFO };

/*
 * One metric family: name is the OpenMetrics family name (a counter's
 * without "_total", an info's without "_info"); unit, if any, ends it.
 * The header is written before the family's first sample, so a family
 * without samples leaves no trace.
 */
struct family {
	const char *name;
	enum fam_type type;
	const char *unit; /* "seconds", "bytes" or NULL */
	const char *help;
	bool started;
};

struct expo {
	FILE *f;
	bool om; /* OpenMetrics, else Prometheus text 0.0.4 */
};

/* A label set being built: {k="v",…} without the braces. */
struct labels {
	char buf[SERVE_LABELS_MAX];
	size_t len;
};

/*
 * labels_add appends key="value", value escaped as both formats want it
 * (backslash, double quote, line feed).
 */
static void labels_add(struct labels *l, const char *key, const char *value)
{
	char tmp[SERVE_LABELS_MAX];
	size_t n = 0;

	for (const char *p = value; *p && n + 2 < sizeof(tmp); p++) {
		if (*p == '\\' || *p == '"') {
			tmp[n++] = '\\';
			tmp[n++] = *p;
		} else if (*p == '\n') {
			tmp[n++] = '\\';
			tmp[n++] = 'n';
		} else {
			tmp[n++] = *p;
		}
	}
	tmp[n] = 0;
	if (l->len < sizeof(l->buf))
		l->len += snprintf(l->buf + l->len, sizeof(l->buf) - l->len,
				   "%s%s=\"%s\"", l->len ? "," : "", key, tmp);
	if (l->len >= sizeof(l->buf))
		l->len = sizeof(l->buf) - 1;
}

/*
 * fmt_float writes v in the fewest digits that read back as v (what Go's
 * strconv.FormatFloat(v, 'g', -1, 64) gives, and so client_golang), with
 * the formats' spellings of the infinities.
 */
static void fmt_float(char *buf, size_t len, double v)
{
	if (isinf(v)) {
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* fam_header writes the family's HELP, TYPE (and UNIT) lines once. */
static void fam_header(struct expo *e, struct family *fm)
{
	static const char *const types[] = {
	    [FAM_COUNTER] = "counter",
	    [FAM_GAUGE] = "gauge",
	    [FAM_HISTOGRAM] = "histogram",
	    [FAM_INFO] = "info",
	};
	char name[128];

	if (fm->started)
		return;
	fm->started = true;
	/* 0.0.4 names the family by its samples' name and has no info type */
	if (e->om || (fm->type != FAM_COUNTER && fm->type != FAM_INFO))
		snprintf(name, sizeof(name), "%s", fm->name);
	else
		snprintf(name, sizeof(name), "%s_%s", fm->name,
			 fm->type == FAM_COUNTER ? "total" : "info");
	fprintf(e->f, "# HELP %s %s\n", name, fm->help);
	fprintf(e->f, "# TYPE %s %s\n", name,
		!e->om && fm->type == FAM_INFO ? "gauge" : types[fm->type]);
	if (e->om && fm->unit)
		fprintf(e->f, "# UNIT %s %s\n", name, fm->unit);
}

/* sample_line writes NAME[SUFFIX]{LABELS[,extra]} VALUE. */
static void sample_line(struct expo *e, const struct family *fm,
			const char *suffix, const struct labels *l,
			const char *extra, const char *value)
{
	bool any = (l && l->len) || extra;

	fprintf(e->f, "%s%s%s%s%s%s%s %s\n", fm->name, suffix, any ? "{" : "",
		l && l->len ? l->buf : "", l && l->len && extra ? "," : "",
		extra ? extra : "", any ? "}" : "", value);
}

static void counter(struct expo *e, struct family *fm, const struct labels *l,
		    uint64_t v)
{
	char val[32];

	fam_header(e, fm);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
	sample_line(e, fm, "_total", l, NULL, val);
}

static void gauge(struct expo *e, struct family *fm, const struct labels *l,
		  double v)
{
	char val[40];

	fam_header(e, fm);
	fmt_float(val, sizeof(val), v);
	sample_line(e, fm, "", l, NULL, val);
}

/* counter1 is counter with one label, or none when key is NULL. */
static void counter1(struct expo *e, struct family *fm, const char *key,
		     const char *value, uint64_t v)
{
	struct labels l = {0};

	if (key)
		labels_add(&l, key, value);
	counter(e, fm, &l, v);
}

/*
 * histogram writes h as one histogram series with labels l: the buckets
 * of slots 0..MAX_SLOTS-2, +Inf, _count and _sum. A slot unit is slot_q
 * quanta (1000 ns for us slots), a base unit div quanta (1e9 ns per
 * second; 1 for bytes and plain values); le is (2^(i+1) * slot_q - 1)
 * quanta, see the head of the file. Dividing by div, rather than
 * multiplying by its inverse, makes 1999 ns read 1.999e-06 s.
 */
static void histogram(struct expo *e, struct family *fm, const struct labels *l,
		      const struct log2_hist *h, double slot_q, double div)
{
	char le[64], val[40];
	uint64_t cum = 0;

	fam_header(e, fm);
	for (int i = 0; i < MAX_SLOTS - 1; i++) {
		cum += h->slots[i];
		strcpy(le, "le=\"");
		fmt_float(le + 4, sizeof(le) - 5,
			  (ldexp(slot_q, i + 1) - 1) / div);
		strcat(le, "\"");
		snprintf(val, sizeof(val), "%llu", (unsigned long long)cum);
		sample_line(e, fm, "_bucket", l, le, val);
	}
	cum += h->slots[MAX_SLOTS - 1];
	snprintf(val, sizeof(val), "%llu", (unsigned long long)cum);
	sample_line(e, fm, "_bucket", l, "le=\"+Inf\"", val);
	sample_line(e, fm, "_count", l, NULL, val);
	fmt_float(val, sizeof(val), (double)h->total_ns / div);
	sample_line(e, fm, "_sum", l, NULL, val);
}

static uint64_t slots_total(const struct log2_hist *h)
{
	uint64_t n = 0;

	for (int i = 0; i < MAX_SLOTS; i++)
		n += h->slots[i];
	return n;
}

/* time_hist writes a histogram of durations, in seconds. */
static void time_hist(struct expo *e, struct family *fm, const struct labels *l,
		      const struct log2_hist *h, bool nsec)
{
	histogram(e, fm, l, h, nsec ? 1 : 1000, 1e9);
}

/* time_hist1 writes one labelled duration series, if it has values. */
static void time_hist1(struct expo *e, struct family *fm, const char *key,
		       const char *value, const struct log2_hist *h, bool nsec)
{
	struct labels l = {0};

	if (!slots_total(h))
		return;
	labels_add(&l, key, value);
	time_hist(e, fm, &l, h, nsec);
}

/* label_or says what a NULL or empty label value stands for. */
static const char *label_or(const char *s)
{
	if (!s)
		return "(out of range)";
	return *s ? s : "(none)";
}

static void write_target(struct expo *e, const struct serve_target *t)
{
	struct family info = {
	    .name = "rt_target",
	    .type = FAM_INFO,
	    .help = "The traced process: its pid and executable.",
	};
	struct family start = {
	    .name = "rt_trace_start_time_seconds",
	    .type = FAM_GAUGE,
	    .unit = "seconds",
	    .help = "When rttrace began serving, in seconds since the Unix "
		    "epoch; counters start at attach.",
	};
	struct labels l = {0};
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)t->pid);
	labels_add(&l, "pid", pid);
	labels_add(&l, "exe", t->exe);
	fam_header(e, &info);
	sample_line(e, &info, "_info", &l, NULL, "1");
	gauge(e, &start, NULL, t->start_time);
}

static void write_probes(struct expo *e, const struct serve_target *t,
			 const struct report_data *d)
{
	struct family fm = {
	    .name = "rt_probe_events",
	    .type = FAM_COUNTER,
	    .help = "Times each librt USDT probe fired since attach, counted "
		    "in the kernel.",
	};

	for (int i = 0; i < RT_PROBE_NUM; i++)
		if (t->probes->sites[i])
			counter1(e, &fm, "probe", probe_name(i),
				 d->sched.counts[i]);
}

static void errors1(struct expo *e, struct family *fm, const char *concern,
		    const char *const *names, const uint64_t *v, int n)
{
	for (int i = 0; i < n; i++) {
		struct labels l = {0};

		labels_add(&l, "concern", concern);
		labels_add(&l, "error", names[i]);
		counter(e, fm, &l, v[i]);
	}
}

static void write_errors(struct expo *e, const struct report_data *d)
{
	struct family fm = {
	    .name = "rt_trace_errors",
	    .type = FAM_COUNTER,
	    .help = "Events the BPF programs could not record (full maps, "
		    "unpaired probes): non-zero means some figures are short.",
	};

	errors1(e, &fm, "sched", sched_errors, d->sched.errors, SCHED_ERR_NUM);
	if (d->has_mem)
		errors1(e, &fm, "mem", mem_errors, d->mem.errors, MEM_ERR_NUM);
	if (d->has_chan)
		errors1(e, &fm, "chan", chan_errors, d->chan.errors,
			CHAN_ERR_NUM);
}

static void write_sched(struct expo *e, const struct report_data *d, bool nsec)
{
	struct family park = {
	    .name = "rt_park_duration_seconds",
	    .type = FAM_HISTOGRAM,
	    .unit = "seconds",
	    .help = "Time goroutines stayed parked, gopark to goready, by "
		    "wait reason (parks before attach are not timed).",
	};
	struct family lat = {
	    .name = "rt_sched_latency_seconds",
	    .type = FAM_HISTOGRAM,
	    .unit = "seconds",
	    .help = "Time runnable goroutines waited for a P, goready (or "
		    "newproc) to gostart.",
	};

	for (unsigned int i = 0; i < SCHED_WAIT_HISTS; i++)
		time_hist1(e, &park, "reason", label_or(waitreason_str(i)),
			   &d->sched.park[i], nsec);
	time_hist(e, &lat, NULL, &d->sched.sched, nsec);
}

static void write_mem(struct expo *e, const struct report_data *d, bool nsec)
{
	const struct mem_result *m = &d->mem;
	struct family stw = {
	    .name = "rt_stw_pause_seconds",
	    .type = FAM_HISTOGRAM,
	    .unit = "seconds",
	    .help = "Stop-the-world pauses, stw_start to stw_done, by reason.",
	};
	struct family gc = {
	    .name = "rt_gc_cycle_duration_seconds",
	    .type = FAM_HISTOGRAM,
	    .unit = "seconds",
	    .help = "GC cycles, gc_start to gc_done, by trigger.",
	};
	struct family cycles = {
	    .name = "rt_gc_cycles",
	    .type = FAM_COUNTER,
	    .help = "GC cycles started, by trigger.",
	};
	struct family alloc = {
	    .name = "rt_alloc_size_bytes",
	    .type = FAM_HISTOGRAM,
	    .unit = "bytes",
	    .help = "Sizes asked of mallocgc.",
	};
	struct family sums[] = {
	    {"rt_alloc_bytes", FAM_COUNTER, "bytes", "Bytes asked of mallocgc.",
	     false},
	    {"rt_heap_grow_bytes", FAM_COUNTER, "bytes",
	     "Bytes the heap grew by (heap_grow).", false},
	    {"rt_heap_scavenged_bytes", FAM_COUNTER, "bytes",
	     "Bytes the scavenger returned to the OS.", false},
	    {"rt_gc_marked_bytes", FAM_COUNTER, "bytes",
	     "Bytes marked live, summed over GC cycles.", false},
	    {"rt_gc_swept_objects", FAM_COUNTER, NULL,
	     "Objects freed by the sweeper.", false},
	};
	static const int sum_idx[] = {
	    MEM_SUM_ALLOC_BYTES,     MEM_SUM_HEAP_GROW_BYTES,
	    MEM_SUM_SCAVENGED_BYTES, MEM_SUM_MARKED_BYTES,
	    MEM_SUM_SWEPT_OBJECTS,
	};
	struct family live = {
	    .name = "rt_heap_live_bytes",
	    .type = FAM_GAUGE,
	    .unit = "bytes",
	    .help = "Live heap at the end of the last GC cycle seen.",
	};
	struct family goal = {
	    .name = "rt_gc_goal_bytes",
	    .type = FAM_GAUGE,
	    .unit = "bytes",
	    .help = "Heap size that triggers the next GC, as the last cycle "
		    "set it.",
	};
	struct family sys = {
	    .name = "rt_heap_sys_bytes",
	    .type = FAM_GAUGE,
	    .unit = "bytes",
	    .help = "Heap memory obtained from the OS, at the last heap_grow.",
	};
	struct family inprog = {
	    .name = "rt_gc_in_progress",
	    .type = FAM_GAUGE,
	    .help = "1 while a GC cycle runs (between gc_start and gc_done).",
	};
	struct family pget = {
	    .name = "rt_sync_pool_gets",
	    .type = FAM_COUNTER,
	    .help = "sync.Pool Gets, by where the object came from.",
	};
	struct family pput = {
	    .name = "rt_sync_pool_puts",
	    .type = FAM_COUNTER,
	    .help = "sync.Pool Puts, by where the object went.",
	};
	struct family convt = {
	    .name = "rt_convt",
	    .type = FAM_COUNTER,
	    .help = "Interface conversions (convT), by kind and whether they "
		    "allocated.",
	};

	for (unsigned int i = 0; i < MEM_STW_SLOTS; i++)
		time_hist1(e, &stw, "reason", label_or(mem_stw_reason_str(i)),
			   &m->stw[i], nsec);
	for (unsigned int i = 0; i < MEM_GC_SLOTS; i++)
		time_hist1(e, &gc, "reason", label_or(mem_gc_reason_str(i)),
			   &m->gc[i], nsec);
	for (unsigned int i = 0; i < MEM_GC_SLOTS; i++)
		if (m->gc_reasons[i])
			counter1(e, &cycles, "reason",
				 label_or(mem_gc_reason_str(i)),
				 m->gc_reasons[i]);
	histogram(e, &alloc, NULL, &m->alloc_size, 1, 1);
	for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
		counter1(e, &sums[i], NULL, NULL, m->sums[sum_idx[i]]);
	/* 0 means no gc_done (heap_grow) seen since attach: unknown */
	if (m->gc_state.last_heap_live)
		gauge(e, &live, NULL, (double)m->gc_state.last_heap_live);
	if (m->gc_state.last_next_gc)
		gauge(e, &goal, NULL, (double)m->gc_state.last_next_gc);
	if (m->gc_state.last_heap_sys)
		gauge(e, &sys, NULL, (double)m->gc_state.last_heap_sys);
	gauge(e, &inprog, NULL, m->gc_state.start_ts ? 1 : 0);
	for (int i = 0; i < MEM_POOL_GET_SLOTS; i++)
		if (m->pool_gets[i])
			counter1(e, &pget, "result", pool_get_results[i],
				 m->pool_gets[i]);
	for (int i = 0; i < MEM_POOL_PUT_SLOTS; i++)
		if (m->pool_puts[i])
			counter1(e, &pput, "place", pool_put_places[i],
				 m->pool_puts[i]);
	for (int i = 0; i < MEM_CONVT_SLOTS; i++) {
		struct labels l = {0};

		if (!m->convts[i])
			continue;
		labels_add(&l, "kind", convt_kinds[i / 2]);
		labels_add(&l, "allocated", i % 2 ? "true" : "false");
		counter(e, &convt, &l, m->convts[i]);
	}
}

static void write_chan(struct expo *e, const struct report_data *d, bool nsec)
{
	const struct chan_result *c = &d->chan;
	struct family sel = {
	    .name = "rt_select_duration_seconds",
	    .type = FAM_HISTOGRAM,
	    .unit = "seconds",
	    .help = "Time blocked in select, 0 when a case was ready.",
	};
	struct family late = {
	    .name = "rt_timer_lateness_seconds",
	    .type = FAM_HISTOGRAM,
	    .unit = "seconds",
	    .help = "How late timers ran after their deadline (runtimer).",
	};
	struct family heap = {
	    .name = "rt_timer_heap_length",
	    .type = FAM_HISTOGRAM,
	    .help = "Timers in the P's timer heap at each addtimer.",
	};
	struct family outcomes = {
	    .name = "rt_select",
	    .type = FAM_COUNTER,
	    .help = "Selects by outcome: a case ready at once, a case after "
		    "blocking, or default.",
	};
	struct family blocked = {
	    .name = "rt_chan_blocked_operations",
	    .type = FAM_COUNTER,
	    .help = "Channel sends and receives that blocked.",
	};
	struct family blocked_s = {
	    .name = "rt_chan_blocked_seconds",
	    .type = FAM_COUNTER,
	    .unit = "seconds",
	    .help = "Time channel sends and receives spent blocked.",
	};

	time_hist(e, &sel, NULL, &c->select, nsec);
	time_hist(e, &late, NULL, &c->lateness, nsec);
	histogram(e, &heap, NULL, &c->heaplen, 1, 1);
	for (int i = 0; i < CHAN_SEL_NUM; i++)
		counter1(e, &outcomes, "outcome", select_outcomes[i],
			 c->selects[i]);
	counter1(e, &blocked, "op", "send", c->sums[CHAN_SUM_SEND_BLOCKED]);
	counter1(e, &blocked, "op", "recv", c->sums[CHAN_SUM_RECV_BLOCKED]);
	/* a counter in seconds: written as a float, like a gauge */
	fam_header(e, &blocked_s);
	for (int op = 0; op < 2; op++) {
		struct labels l = {0};
		char val[40];
		uint64_t ns = c->sums[op ? CHAN_SUM_RECV_BLOCKED_NS
					 : CHAN_SUM_SEND_BLOCKED_NS];

		labels_add(&l, "op", op ? "recv" : "send");
		fmt_float(val, sizeof(val), (double)ns / 1e9);
		sample_line(e, &blocked_s, "_total", &l, NULL, val);
	}
}

static void write_defer(struct expo *e, const struct report_data *d)
{
	const struct defer_result *r = &d->defers;
	struct family kinds = {
	    .name = "rt_defer",
	    .type = FAM_COUNTER,
	    .help = "Defer records made (deferproc), by where they came from.",
	};
	struct family calls = {
	    .name = "rt_deferreturn_calls",
	    .type = FAM_HISTOGRAM,
	    .help = "Deferred calls run per deferreturn.",
	};
	struct family gcount = {
	    .name = "rt_num_goroutine_result",
	    .type = FAM_HISTOGRAM,
	    .help = "Goroutines NumGoroutine (gcount) reported, per call.",
	};

	for (int i = 0; i < DEFER_KIND_SLOTS; i++)
		if (r->kinds[i] || i < DEFER_KINDS)
			counter1(e, &kinds, "kind", defer_kinds[i],
				 r->kinds[i]);
	histogram(e, &calls, NULL, &r->calls, 1, 1);
	histogram(e, &gcount, NULL, &r->gcount, 1, 1);
}

void serve_write_metrics(FILE *f, const struct serve_target *t,
			 const struct report_data *d, bool openmetrics)
{
	struct expo e = {.f = f, .om = openmetrics};

	write_target(&e, t);
	write_probes(&e, t, d);
	write_errors(&e, d);
	write_sched(&e, d, t->nsec);
	if (d->has_mem)
		write_mem(&e, d, t->nsec);
	if (d->has_chan)
		write_chan(&e, d, t->nsec);
	if (d->has_defer)
		write_defer(&e, d);
	if (openmetrics)
		fputs("# EOF\n", f);
}

/* ---- HTTP ------------------------------------------------------------- */

/* send_all writes n bytes of buf to fd (SO_SNDTIMEO bounds each write). */
static void send_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

static void respond(int fd, int status, const char *reason, const char *ctype,
		    const char *extra_headers, const char *body, size_t len,
		    bool head)
{
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "%s"
			 "Connection: close\r\n"
			 "\r\n",
			 status, reason, ctype, len,
			 extra_headers ? extra_headers : "");

	send_all(fd, hdr, (size_t)n);
	if (!head)
		send_all(fd, body, len);
}

static void respond_text(int fd, int status, const char *reason,
			 const char *extra_headers, const char *body, bool head)
{
	respond(fd, status, reason, "text/plain; charset=utf-8", extra_headers,
		body, strlen(body), head);
}

/*
 * read_request reads the request line and headers into buf (NUL-ended)
 * until the blank line, within SERVE_IO_TIMEOUT_S; false if the client
 * went away, was too slow, or sent more than fits.
 */
static bool read_request(int fd, char *buf, size_t len)
{
	double deadline = now_s() + SERVE_IO_TIMEOUT_S;
	size_t n = 0;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		double left = deadline - now_s();
		ssize_t r;

		if (left <= 0 || n + 1 >= len)
			return false;
		if (poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		r = recv(fd, buf + n, len - 1 - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		n += (size_t)r;
		buf[n] = 0;
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return true;
	}
}

static void serve_index(struct serve *s, int fd, bool head)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);

	if (!f) {
		respond_text(fd, 500, "Internal Server Error", NULL,
			     "out of memory\n", head);
		return;
	}
	fprintf(f,
		"<!DOCTYPE html>\n<html><head><title>rttrace</title>"
		"</head><body>\n<h1>rttrace</h1>\n<p>Tracing PID %d (",
		(int)s->t.pid);
	markup_escape(f, s->exe, strlen(s->exe));
	fputs(")</p>\n<p><a href=\"/metrics\">/metrics</a>: its librt "
	      "probes' counters and histograms, in the Prometheus text "
	      "format or OpenMetrics.</p>\n</body></html>\n",
	      f);
	fclose(f);
	respond(fd, 200, "OK", "text/html; charset=utf-8", NULL, body, len,
		head);
	free(body);
}

static void serve_metrics(struct serve *s, int fd, bool om, bool head)
{
	struct report_data *d = malloc(sizeof(*d));
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (!d) {
		respond_text(fd, 500, "Internal Server Error", NULL,
			     "out of memory\n", head);
		return;
	}
	err = report_read(&s->tr->sched, &s->tr->mem, &s->tr->chan,
			  &s->tr->defers, d);
	if (err) {
		char msg[128];

		snprintf(msg, sizeof(msg), "cannot read the BPF maps: %s\n",
			 strerror(-err));
		respond_text(fd, 500, "Internal Server Error", NULL, msg, head);
		free(d);
		return;
	}
	f = open_memstream(&body, &len);
	if (f) {
		serve_write_metrics(f, &s->t, d, om);
		fclose(f);
	}
	if (!f || !body)
		respond_text(fd, 500, "Internal Server Error", NULL,
			     "out of memory\n", head);
	else
		respond(fd, 200, "OK", om ? CT_OPENMETRICS : CT_TEXT, NULL,
			body, len, head);
	free(body);
	free(d);
}

/* handle answers one connection's request. */
static void handle(struct serve *s, int fd)
{
	char req[SERVE_REQUEST_MAX];
	struct http_request r;

	if (!read_request(fd, req, sizeof(req)))
		return;
	switch (http_parse_request(req, &r)) {
	case 0:
		break;
	case 405:
		respond_text(fd, 405, "Method Not Allowed",
			     "Allow: GET, HEAD\r\n",
			     "only GET and HEAD are served\n", false);
		return;
	default:
		respond_text(fd, 400, "Bad Request", NULL, "bad request\n",
			     false);
		return;
	}
	if (strcmp(r.path, "/metrics") == 0)
		serve_metrics(s, fd, r.openmetrics, r.head);
	else if (strcmp(r.path, "/") == 0)
		serve_index(s, fd, r.head);
	else
		respond_text(fd, 404, "Not Found", NULL,
			     "not found: try /metrics\n", r.head);
}

static void *serve_thread(void *arg)
{
	struct serve *s = arg;

	/* a helper: only what reading /proc needs (privilege.h) */
	privilege_drop_helper();
	for (;;) {
		struct pollfd pfd[2] = {
		    {.fd = s->lfd, .events = POLLIN},
		    {.fd = s->wake[0], .events = POLLIN},
		};
		struct timeval tv = {.tv_sec = SERVE_IO_TIMEOUT_S};
		int fd;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rt_errorf("--serve: poll: %s", strerror(errno));
			return NULL;
		}
		if (pfd[1].revents)
			return NULL;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue; /* the client gave up, or EMFILE: next */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		handle(s, fd);
		/* say we are done before closing, so the client reads all */
		shutdown(fd, SHUT_WR);
		close(fd);
	}
}

/* ---- setup ------------------------------------------------------------ */

/* listen_on binds a listening socket to host:port (host "": every
 * interface, IPv6 and IPv4 where the system allows). */
static int listen_on(const char *host, const char *port, char *where,
		     size_t wlen)
{
	struct addrinfo hints =
			    {
				.ai_family = AF_UNSPEC,
				.ai_socktype = SOCK_STREAM,
				.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
			    },
			*res, *ai;
	int fd = -1, err, one = 1, zero = 0;

	err = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (err) {
		rt_errorf("--serve %s:%s: %s", host, port, gai_strerror(err));
		return -EINVAL;
	}
	err = -EADDRNOTAVAIL;
	/* every interface: prefer the IPv6 wildcard, which takes IPv4 too */
	for (int pass = 0; pass < 2 && fd < 0; pass++)
		for (ai = res; ai && fd < 0; ai = ai->ai_next) {
			if ((ai->ai_family == AF_INET6) != (pass == 0))
				continue;
			fd = socket(ai->ai_family,
				    ai->ai_socktype | SOCK_CLOEXEC,
				    ai->ai_protocol);
			if (fd < 0) {
				err = -errno;
				continue;
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				   sizeof(one));
			if (ai->ai_family == AF_INET6 && !*host)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
					   sizeof(zero));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) ||
			    listen(fd, SERVE_BACKLOG)) {
				err = -errno;
				close(fd);
				fd = -1;
			}
		}
	freeaddrinfo(res);
	if (fd < 0) {
		rt_errorf("--serve %s:%s: %s", host, port, strerror(-err));
		return err;
	}
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char ip[INET6_ADDRSTRLEN] = "?";
		int bound = 0;

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
			if (ss.ss_family == AF_INET6) {
				struct sockaddr_in6 *s6 = (void *)&ss;

				inet_ntop(AF_INET6, &s6->sin6_addr, ip,
					  sizeof(ip));
				bound = ntohs(s6->sin6_port);
			} else {
				struct sockaddr_in *s4 = (void *)&ss;

				inet_ntop(AF_INET, &s4->sin_addr, ip,
					  sizeof(ip));
				bound = ntohs(s4->sin_port);
			}
		}
		snprintf(where, wlen,
			 ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip,
			 bound);
	}
	return fd;
}

int serve_start(struct serve **out, const char *addr, struct tracer *tr,
		pid_t pid, const struct usdt_probes *probes, bool nsec)
{
	char host[256], port[8], link[64];
	struct serve *s;
	sigset_t all, old;
	ssize_t n;
	int err;

	*out = NULL;
	if (serve_parse_addr(addr, host, sizeof(host), port, sizeof(port))) {
		rt_errorf("--serve %s: not an address (write HOST:PORT, "
			  "[IPV6]:PORT, :PORT or HOST)",
			  addr);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->tr = tr;
	s->probes = *probes;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, s->exe, sizeof(s->exe) - 1);
	s->exe[n > 0 ? n : 0] = 0;
	s->t = (struct serve_target){
	    .pid = pid,
	    .exe = s->exe,
	    .probes = &s->probes,
	    .nsec = nsec,
	};
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		s->t.start_time = ts.tv_sec + ts.tv_nsec / 1e9;
	}
	s->lfd = listen_on(host, port, s->where, sizeof(s->where));
	if (s->lfd < 0) {
		err = s->lfd;
		free(s);
		return err;
	}
	if (pipe2(s->wake, O_CLOEXEC)) {
		err = -errno;
		close(s->lfd);
		free(s);
		return err;
	}
	/* the thread inherits a full mask: signals are the main thread's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = -pthread_create(&s->thread, NULL, serve_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		rt_errorf("--serve: cannot start its thread: %s",
			  strerror(-err));
		close(s->wake[0]);
		close(s->wake[1]);
		close(s->lfd);
		free(s);
		return err;
	}
	fprintf(stderr, "rttrace: serving metrics on http://%s/metrics\n",
		s->where);
	*out = s;
	return 0;
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	if (write(s->wake[1], "x", 1) < 0)
		rt_warnf("--serve: cannot wake the server: %s",
			 strerror(errno));
	pthread_join(s->thread, NULL);
	close(s->wake[0]);
	close(s->wake[1]);
	close(s->lfd);
	free(s);
}

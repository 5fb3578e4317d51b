/*
 * serve.h — `--serve ADDR`: the traced process's counters and histograms
 * served over HTTP in the Prometheus text format (0.0.4) or OpenMetrics
 * 1.0.0, read from the BPF maps on each scrape.
 */
#ifndef RTTRACE_SERVE_H
#define RTTRACE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "http.h"
#include "usdt_check.h"

struct serve;
struct tracer;
struct report_data;

/*
 * serve_start listens on addr and serves tr's maps from a thread of its
 * own: GET /metrics reads every loaded concern (report_read) and writes
 * the exposition, GET / a small index. pid is the traced process (its
 * exe is read from /proc, for the labels), probes the probe sites it
 * has (the probes whose counters are exported), nsec the slot unit the
 * concerns were loaded with. The server holds pointers into tr: stop it
 * (serve_stop) before the concerns are destroyed. Returns 0 with *out
 * set, or -errno after printing why.
 */
int serve_start(struct serve **out, const char *addr, struct tracer *tr,
		pid_t pid, const struct usdt_probes *probes, bool nsec);

/* serve_stop ends the thread, closes the socket and frees s; NULL is
 * fine. A scrape in progress is finished first. */
void serve_stop(struct serve *s);

/* What one exposition is about, besides the maps' reading. */
struct serve_target {
	pid_t pid;
	const char *exe;		  /* the target's executable */
	const struct usdt_probes *probes; /* counters for probes with sites */
	bool nsec;			  /* time slots in ns, else us */
	double start_time;		  /* Unix time the server started */
};

/*
 * serve_write_metrics writes d as an exposition to f: OpenMetrics 1.0.0
 * (ending "# EOF") if openmetrics, else the Prometheus text format 0.0.4.
 */
void serve_write_metrics(FILE *f, const struct serve_target *t,
			 const struct report_data *d, bool openmetrics);

#endif /* RTTRACE_SERVE_H */

/*
 * sched_report.c — what `rttrace trace` prints when the program ends: the
 * events per probe, the park-duration histogram of every wait reason that
 * occurred, the scheduler-latency histogram and the goroutine totals, then
 * the memory sections (mem_report.c) when the memory probes were traced
 * and the channel, select and timer sections (chan_report.c) when those
 * were; as text, or as one JSON object with the same content.
 *
 * The events table lists every probe of RT_PROBE_LIST: the scheduler
 * probes' counts come from sched.bpf.c, the memory probes' from mem.bpf.c
 * (mem_merge_counts), the channel and timer probes' from chan.bpf.c
 * (chan_merge_counts); a probe without sites in the program counts 0, as
 * librt's own RT_STATS does.
 */
#include <signal.h>
#include <string.h>

#include "chan_user.h"
#include "mem_user.h"
#include "probe_names.h"
#include "rttrace.h"
#include "sched_user.h"
#include "waitreason.h"

/* unit_name is the histogram slot unit sched.bpf.c was loaded with. */
static const char *unit_name(bool nsec)
{
	return nsec ? "nsecs" : "usecs";
}

/* reason_label names park histogram idx for people. */
static const char *reason_label(unsigned int idx)
{
	const char *s = waitreason_str(idx);

	if (!s)
		return "(out of range)";
	return *s ? s : "(none)";
}

static const char *signal_name(int sig)
{
	static char buf[32];
	const char *abbrev = sigabbrev_np(sig);

	if (!abbrev)
		return "unknown signal";
	snprintf(buf, sizeof(buf), "SIG%s", abbrev);
	return buf;
}

static void print_target(FILE *f, const struct sched_target *t)
{
	fprintf(f, "Traced PID %d: %s", (int)t->pid, t->path);
	if (t->argv)
		for (char *const *a = t->argv + 1; *a; a++)
			fprintf(f, " %s", *a);
	fprintf(f, "\n  %s, %.3f s, ",
		t->from_start ? "from exec" : "attached while running",
		t->wall_s);
	switch (t->state) {
	case TARGET_EXITED:
		fprintf(f, "exited with status %d", t->status);
		break;
	case TARGET_SIGNALLED:
		fprintf(f, "killed by %s", signal_name(t->status));
		break;
	case TARGET_RUNNING:
		fprintf(f, "still running, detached");
		break;
	case TARGET_ENDED:
		fprintf(f, "ended");
		break;
	}
	fprintf(f, "%s\n", t->interrupted ? " (interrupted)" : "");
}

static void print_counts(FILE *f, const struct sched_target *t,
			 const struct sched_result *r)
{
	fprintf(f, "\nevents per probe:\n");
	fprintf(f, "    %-14s %14s %14s\n", "probe", "count", "rate/s");
	for (int id = 0; id < RT_PROBE_NUM; id++)
		fprintf(f, "    %-14s %14llu %14.1f\n", probe_name(id),
			(unsigned long long)r->counts[id],
			t->wall_s > 0 ? r->counts[id] / t->wall_s : 0.0);
}

/* print_hist prints one titled histogram, with its count and mean. */
static void print_hist(FILE *f, const char *title, const char *what,
		       const struct log2_hist *h, bool nsec)
{
	double mean = h->count ? (double)h->total_ns / h->count : 0;

	fprintf(f, "\n%s: %llu %s, mean %.3f %s\n", title,
		(unsigned long long)h->count, what, nsec ? mean : mean / 1000,
		unit_name(nsec));
	hist_print(f, h, unit_name(nsec));
}

void sched_report_text(FILE *f, const struct sched_target *t,
		       const struct sched_result *r,
		       const struct mem_result *mem,
		       const struct chan_result *chan, bool nsec)
{
	char title[96];

	print_target(f, t);
	print_counts(f, t, r);
	for (unsigned int i = 0; i < SCHED_WAIT_HISTS; i++) {
		if (!r->park[i].count)
			continue;
		snprintf(title, sizeof(title), "park duration, reason = %s",
			 reason_label(i));
		print_hist(f, title, "parks", &r->park[i], nsec);
	}
	if (r->sched.count)
		print_hist(f, "scheduler latency (goready → running)", "runs",
			   &r->sched, nsec);
	fprintf(f, "\ngoroutines: created %llu, ended %llu\n",
		(unsigned long long)r->counts[RT_PROBE_ID_newproc],
		(unsigned long long)r->counts[RT_PROBE_ID_goend]);
	if (mem)
		mem_report_text(f, mem, nsec);
	if (chan)
		chan_report_text(f, chan, t->wall_s, nsec);
}

static void json_target(struct json *j, const struct sched_target *t)
{
	json_key(j, "target");
	json_object_begin(j);
	json_key(j, "pid");
	json_int(j, t->pid);
	json_key(j, "program");
	json_string(j, t->path);
	json_key(j, "argv");
	if (t->argv) {
		json_array_begin(j);
		for (char *const *a = t->argv; *a; a++)
			json_string(j, *a);
		json_array_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "from_start");
	json_bool(j, t->from_start);
	json_key(j, "interrupted");
	json_bool(j, t->interrupted);
	json_key(j, "duration_s");
	json_double(j, t->wall_s);
	json_key(j, "exit");
	json_object_begin(j);
	switch (t->state) {
	case TARGET_EXITED:
		json_key(j, "status");
		json_int(j, t->status);
		break;
	case TARGET_SIGNALLED:
		json_key(j, "signal");
		json_int(j, t->status);
		json_key(j, "signal_name");
		json_string(j, signal_name(t->status));
		break;
	case TARGET_RUNNING:
		json_key(j, "running");
		json_bool(j, true);
		break;
	case TARGET_ENDED:
		json_key(j, "ended");
		json_bool(j, true);
		break;
	}
	json_object_end(j);
	json_object_end(j);
}

void sched_report_json(FILE *f, const struct sched_target *t,
		       const struct sched_result *r,
		       const struct mem_result *mem,
		       const struct chan_result *chan, bool nsec)
{
	struct json j;

	json_init(&j, f);
	json_object_begin(&j);
	json_target(&j, t);

	json_key(&j, "probes");
	json_object_begin(&j);
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		json_key(&j, probe_name(id));
		json_object_begin(&j);
		json_key(&j, "count");
		json_uint(&j, r->counts[id]);
		json_key(&j, "rate_per_s");
		json_double(&j, t->wall_s > 0 ? r->counts[id] / t->wall_s : 0);
		json_object_end(&j);
	}
	json_object_end(&j);

	/* keyed by Go's reason string; the zero reason is "" as in Go */
	json_key(&j, "park_duration");
	json_object_begin(&j);
	for (unsigned int i = 0; i < SCHED_WAIT_HISTS; i++) {
		const char *s = waitreason_str(i);

		if (!r->park[i].count)
			continue;
		json_key(&j, s ? s : "(out of range)");
		hist_json(&j, &r->park[i], unit_name(nsec));
	}
	json_object_end(&j);

	json_key(&j, "sched_latency");
	hist_json(&j, &r->sched, unit_name(nsec));

	json_key(&j, "goroutines");
	json_object_begin(&j);
	json_key(&j, "created");
	json_uint(&j, r->counts[RT_PROBE_ID_newproc]);
	json_key(&j, "ended");
	json_uint(&j, r->counts[RT_PROBE_ID_goend]);
	json_object_end(&j);

	json_key(&j, "errors");
	json_object_begin(&j);
	json_key(&j, "goid_map_full");
	json_uint(&j, r->errors[SCHED_ERR_GOID_MAP_FULL]);
	json_key(&j, "ready_unparked");
	json_uint(&j, r->errors[SCHED_ERR_READY_UNPARKED]);
	json_object_end(&j);

	if (mem)
		mem_report_json(&j, mem, nsec);
	if (chan)
		chan_report_json(&j, chan, t->wall_s, nsec);

	json_object_end(&j);
	json_finish(&j);
}

void sched_report_warnings(const struct sched_session *s,
			   const struct sched_result *r)
{
	uint64_t full = r->errors[SCHED_ERR_GOID_MAP_FULL];
	uint64_t unparked = r->errors[SCHED_ERR_READY_UNPARKED];

	if (full)
		rt_warnf("%llu park/ready events not timed: goid map full "
			 "(%u goroutines); counts are exact, histograms miss "
			 "them; raise --max-goroutines",
			 (unsigned long long)full, s->max_goroutines);
	if (unparked)
		rt_notef("%llu goready events had no traced gopark (parked "
			 "before attach, or by a path without the probe)",
			 (unsigned long long)unparked);
}

int sched_report(struct sched_session *s, struct mem_session *ms,
		 struct chan_session *cs, const struct sched_target *t,
		 bool json, bool nsec)
{
	struct sched_result r;
	struct mem_result mr, *mem = NULL;
	struct chan_result cr, *chan = NULL;
	int err;

	err = sched_read(s, &r);
	if (err)
		return err;
	if (ms && ms->skel) {
		err = mem_read(ms, &mr);
		if (err)
			return err;
		mem_merge_counts(&mr, r.counts);
		mem = &mr;
	}
	if (cs && cs->skel) {
		err = chan_read(cs, &cr);
		if (err)
			return err;
		chan_merge_counts(&cr, r.counts);
		chan = &cr;
	}
	if (json)
		sched_report_json(stdout, t, &r, mem, chan, nsec);
	else
		sched_report_text(stdout, t, &r, mem, chan, nsec);
	fflush(stdout);
	sched_report_warnings(s, &r);
	if (mem)
		mem_report_warnings(mem);
	if (chan)
		chan_report_warnings(chan);
	return 0;
}

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
 * (chan_merge_counts), the defer, panic and gcount probes' from
 * defer.bpf.c (defer_merge_counts); a probe without sites in the program
 * counts 0, as librt's own RT_STATS does.
 *
 * The live view (live.c) prints the same sections for one interval: each
 * concern subtracts two readings of its maps (report_sub), and the
 * events table shows the interval's count and rate beside the total.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

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

/* print_hist prints one titled histogram, with its count and mean; probe
 * is the one whose firings it records, to say when they are samples. */
static void print_hist(FILE *f, const char *title, const char *what,
		       const struct log2_hist *h, bool nsec,
		       const struct sample_state *smp, int probe)
{
	double mean = h->count ? (double)h->total_ns / h->count : 0;
	char note[64];

	fprintf(f, "\n%s: %llu %s%s, mean %.3f %s\n", title,
		(unsigned long long)h->count, what,
		sample_hist_note(smp, probe, note, sizeof(note)),
		nsec ? mean : mean / 1000, unit_name(nsec));
	hist_print(f, h, unit_name(nsec));
}

/*
 * inexact_why says why events may be missing from the totals of sampled
 * probes (sample_print): none reported them before the tracer left. NULL
 * when the program ended while traced, rt:probe_flush reporting the rest.
 */
static const char *inexact_why(const struct sched_target *t)
{
	switch (t->state) {
	case TARGET_RUNNING:
		return "detached while it ran";
	case TARGET_SIGNALLED:
		return "it was killed by a signal";
	default:
		return NULL;
	}
}

/*
 * print_sections prints everything below the events table: park
 * durations, scheduler latency, goroutines, then each concern's sections;
 * wall_s is the time d covers, for rates.
 */
static void print_sections(FILE *f, const struct report_data *d, double wall_s,
			   bool nsec)
{
	const struct sched_result *r = &d->sched;
	char title[96];

	for (unsigned int i = 0; i < SCHED_WAIT_HISTS; i++) {
		if (!r->park[i].count)
			continue;
		snprintf(title, sizeof(title), "park duration, reason = %s",
			 reason_label(i));
		print_hist(f, title, "parks", &r->park[i], nsec, &d->sample,
			   RT_PROBE_ID_gopark);
	}
	if (r->sched.count)
		print_hist(f, "scheduler latency (goready → running)", "runs",
			   &r->sched, nsec, &d->sample, RT_PROBE_ID_gostart);
	fprintf(f, "\ngoroutines: created %llu, ended %llu\n",
		(unsigned long long)r->counts[RT_PROBE_ID_newproc],
		(unsigned long long)r->counts[RT_PROBE_ID_goend]);
	if (d->has_mem)
		mem_report_text(f, &d->mem, nsec, &d->sample);
	if (d->has_chan)
		chan_report_text(f, &d->chan, wall_s, nsec, &d->sample);
	if (d->has_defer)
		defer_report_text(f, &d->defers, wall_s, &d->sample);
}

void sched_report_text(FILE *f, const struct sched_target *t,
		       const struct report_data *d, bool nsec)
{
	print_target(f, t);
	sample_print(f, &d->sample, inexact_why(t));
	print_counts(f, t, &d->sched);
	print_sections(f, d, t->wall_s, nsec);
}

void report_interval_text(FILE *f, const struct report_data *iv,
			  const struct report_data *total, double interval_s,
			  bool nsec)
{
	char hdr[32];
	int silent = 0;

	snprintf(hdr, sizeof(hdr), "last %.1fs", interval_s);
	if (iv->sample.known) {
		sample_print(f, &iv->sample, "still running");
		fprintf(f, "\n");
	}
	fprintf(f, "events per probe:\n");
	fprintf(f, "    %-14s %14s %14s %14s\n", "probe", hdr, "rate/s",
		"total");
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		/* a probe that never fired would be a line of zeros */
		if (!total->sched.counts[id]) {
			silent++;
			continue;
		}
		fprintf(f, "    %-14s %14llu %14.1f %14llu\n", probe_name(id),
			(unsigned long long)iv->sched.counts[id],
			interval_s > 0 ? iv->sched.counts[id] / interval_s
				       : 0.0,
			(unsigned long long)total->sched.counts[id]);
	}
	if (silent)
		fprintf(f, "    (%d probes have not fired)\n", silent);
	print_sections(f, iv, interval_s, nsec);
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

/*
 * json_probes writes "probes": {NAME: {"count", "rate_per_s"}} over wall_s
 * for every probe, with "total" from total when it is not NULL.
 */
static void json_probes(struct json *j, const struct sched_result *r,
			const struct sched_result *total, double wall_s)
{
	json_key(j, "probes");
	json_object_begin(j);
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		json_key(j, probe_name(id));
		json_object_begin(j);
		json_key(j, "count");
		json_uint(j, r->counts[id]);
		json_key(j, "rate_per_s");
		json_double(j, wall_s > 0 ? r->counts[id] / wall_s : 0);
		if (total) {
			json_key(j, "total");
			json_uint(j, total->counts[id]);
		}
		json_object_end(j);
	}
	json_object_end(j);
}

/* json_sections writes every member after "probes" (print_sections'). */
static void json_sections(struct json *j, const struct report_data *d,
			  double wall_s, bool nsec)
{
	const struct sched_result *r = &d->sched;

	/* keyed by Go's reason string; the zero reason is "" as in Go */
	json_key(j, "park_duration");
	json_object_begin(j);
	for (unsigned int i = 0; i < SCHED_WAIT_HISTS; i++) {
		const char *s = waitreason_str(i);

		if (!r->park[i].count)
			continue;
		json_key(j, s ? s : "(out of range)");
		hist_json(j, &r->park[i], unit_name(nsec));
	}
	json_object_end(j);

	json_key(j, "sched_latency");
	hist_json(j, &r->sched, unit_name(nsec));

	json_key(j, "goroutines");
	json_object_begin(j);
	json_key(j, "created");
	json_uint(j, r->counts[RT_PROBE_ID_newproc]);
	json_key(j, "ended");
	json_uint(j, r->counts[RT_PROBE_ID_goend]);
	json_object_end(j);

	json_key(j, "errors");
	json_object_begin(j);
	json_key(j, "ready_unparked");
	json_uint(j, r->errors[SCHED_ERR_READY_UNPARKED]);
	json_object_end(j);

	if (d->has_mem)
		mem_report_json(j, &d->mem, nsec);
	if (d->has_chan)
		chan_report_json(j, &d->chan, wall_s, nsec);
	if (d->has_defer)
		defer_report_json(j, &d->defers, wall_s);
}

void sched_report_json_with(FILE *f, const struct sched_target *t,
			    const struct report_data *d, bool nsec,
			    void (*extra)(struct json *j, void *arg), void *arg)
{
	struct json j;

	json_init(&j, f);
	json_object_begin(&j);
	json_target(&j, t);
	json_probes(&j, &d->sched, NULL, t->wall_s);
	sample_json(&j, &d->sample, inexact_why(t));
	json_sections(&j, d, t->wall_s, nsec);
	if (extra)
		extra(&j, arg);
	json_object_end(&j);
	json_finish(&j);
}

void sched_report_json(FILE *f, const struct sched_target *t,
		       const struct report_data *d, bool nsec)
{
	sched_report_json_with(f, t, d, nsec, NULL, NULL);
}

void report_interval_json(FILE *f, const char *clock, double elapsed_s,
			  const struct report_data *iv,
			  const struct report_data *total, double interval_s,
			  bool nsec)
{
	struct json j;

	json_init(&j, f);
	json_object_begin(&j);
	json_key(&j, "time");
	json_string(&j, clock);
	json_key(&j, "elapsed_s");
	json_double(&j, elapsed_s);
	json_key(&j, "interval_s");
	json_double(&j, interval_s);
	json_probes(&j, &iv->sched, &total->sched, interval_s);
	sample_json(&j, &iv->sample, "still running");
	json_sections(&j, iv, interval_s, nsec);
	json_object_end(&j);
	json_finish(&j);
}

static void sched_report_warnings(const struct sched_session *s,
				  const struct sched_result *r)
{
	uint64_t unparked = r->errors[SCHED_ERR_READY_UNPARKED];

	(void)s;
	if (unparked)
		rt_notef("%llu goready events had no traced gopark (parked "
			 "before attach, or by a path without the probe)",
			 (unsigned long long)unparked);
}

/*
 * report_park_counts: the histograms of sampled parks hold 1-in-N
 * samples, and the ratio to gopark's exact total keeps each reason's
 * share.
 */
void report_park_counts(const struct report_data *d,
			uint64_t parks[SCHED_WAIT_HISTS])
{
	uint64_t samples = 0, total = d->sched.counts[RT_PROBE_ID_gopark];

	for (unsigned int i = 0; i < SCHED_WAIT_HISTS; i++) {
		parks[i] = d->sched.park[i].count;
		samples += parks[i];
	}
	if (!sample_sampled(&d->sample, RT_PROBE_ID_gopark) || !samples)
		return;
	for (unsigned int i = 0; i < SCHED_WAIT_HISTS; i++)
		parks[i] = (uint64_t)((double)parks[i] * total / samples + 0.5);
}

void report_warnings(const struct sched_session *s, const struct report_data *d)
{
	sched_report_warnings(s, &d->sched);
	if (d->has_mem)
		mem_report_warnings(&d->mem);
	if (d->has_chan)
		chan_report_warnings(&d->chan);
}

int report_read(struct sched_session *s, struct mem_session *ms,
		struct chan_session *cs, struct defer_session *ds,
		struct report_data *out)
{
	int err;

	out->has_mem = out->has_chan = out->has_defer = false;
	/* the tracer's part (tracer_read); a bare reading says nothing */
	memset(&out->sample, 0, sizeof(out->sample));
	err = sched_read(s, &out->sched);
	if (err)
		return err;
	if (ms && ms->skel) {
		err = mem_read(ms, &out->mem);
		if (err)
			return err;
		mem_merge_counts(&out->mem, out->sched.counts);
		out->has_mem = true;
	}
	if (cs && cs->skel) {
		err = chan_read(cs, &out->chan);
		if (err)
			return err;
		chan_merge_counts(&out->chan, out->sched.counts);
		out->has_chan = true;
	}
	if (ds && ds->skel) {
		err = defer_read(ds, &out->defers);
		if (err)
			return err;
		defer_merge_counts(&out->defers, out->sched.counts);
		out->has_defer = true;
	}
	return 0;
}

static void sub_u64(uint64_t *d, const uint64_t *now, const uint64_t *prev,
		    int n)
{
	for (int i = 0; i < n; i++)
		d[i] = now[i] - prev[i];
}

void report_sub(struct report_data *d, const struct report_data *now,
		const struct report_data *prev)
{
	const struct sched_result *a = &now->sched, *b = &prev->sched;

	/* counts: every probe, the other concerns' merged in */
	sub_u64(d->sched.counts, a->counts, b->counts, RT_PROBE_NUM);
	sub_u64(d->sched.errors, a->errors, b->errors, SCHED_ERR_NUM);
	for (int i = 0; i < SCHED_WAIT_HISTS; i++)
		hist_sub(&d->sched.park[i], &a->park[i], &b->park[i]);
	hist_sub(&d->sched.sched, &a->sched, &b->sched);
	d->has_mem = now->has_mem;
	d->has_chan = now->has_chan;
	d->has_defer = now->has_defer;
	d->sample = now->sample;
	if (d->has_mem)
		mem_result_sub(&d->mem, &now->mem, &prev->mem);
	if (d->has_chan)
		chan_result_sub(&d->chan, &now->chan, &prev->chan);
	if (d->has_defer)
		defer_result_sub(&d->defers, &now->defers, &prev->defers);
}

int sched_report(struct sched_session *s, struct mem_session *ms,
		 struct chan_session *cs, struct defer_session *ds,
		 const struct sched_target *t, bool json, bool nsec)
{
	struct report_data *d = malloc(sizeof(*d));
	int err;

	if (!d)
		return -ENOMEM;
	err = report_read(s, ms, cs, ds, d);
	if (!err) {
		if (json)
			sched_report_json(stdout, t, d, nsec);
		else
			sched_report_text(stdout, t, d, nsec);
		fflush(stdout);
		report_warnings(s, d);
	}
	free(d);
	return err;
}

/*
 * chan_report.c — the channel, select and timer sections of the `rttrace
 * trace` report, each printed only when its probes fired: channel
 * operations (buffered, blocked, of a closed channel), the channels that
 * blocked longest, select outcomes with the time selects blocked, timers
 * added per second with the timer heap's length and the lateness of the
 * timers run; as text, or as the "channels", "select" and "timers"
 * objects of the JSON report.
 */
#include <inttypes.h>
#include <string.h>

#include "chan_user.h"
#include "rttrace.h"
#include "sample.h"

static const char *const select_outcomes[CHAN_SEL_NUM] = {
    "case_ready",
    "case_blocked",
    "default",
};

static const char *unit_name(bool nsec)
{
	return nsec ? "nsecs" : "usecs";
}

/* in_unit converts ns to the report's time unit. */
static double in_unit(uint64_t ns, bool nsec)
{
	return nsec ? (double)ns : ns / 1000.0;
}

static uint64_t cnt(const struct chan_result *r, enum chan_probe id)
{
	return r->counts[id];
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

static double rate(uint64_t n, double wall_s)
{
	return wall_s > 0 ? n / wall_s : 0.0;
}

/* heap_max is the largest timer heap length on any P, and that P. */
static uint64_t heap_max(const struct chan_result *r, int *p)
{
	uint64_t max = 0;

	*p = -1;
	for (int i = 0; i < CHAN_P_SLOTS; i++)
		if (r->heaps[i].events && (*p < 0 || r->heaps[i].max > max)) {
			max = r->heaps[i].max;
			*p = i;
		}
	return max;
}

/* heap_last is the sum over Ps of the last heap length each reported. */
static uint64_t heap_last(const struct chan_result *r)
{
	uint64_t sum = 0;

	for (int i = 0; i < CHAN_P_SLOTS; i++)
		sum += r->heaps[i].last;
	return sum;
}

static void p_label(char *buf, size_t len, int p)
{
	if (p == CHAN_P_BAD)
		snprintf(buf, len, "P>=%d", CHAN_MAX_PS);
	else
		snprintf(buf, len, "P%d", p);
}

/* print_time_hist prints a titled histogram of durations, of probe's
 * firings (smp: whether they are samples). */
static void print_time_hist(FILE *f, const char *title, const char *what,
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

static void print_ops(FILE *f, const struct chan_result *r, bool nsec)
{
	uint64_t sends = cnt(r, CHAN_PROBE_CHANSEND);
	uint64_t recvs = cnt(r, CHAN_PROBE_CHANRECV);
	char hdr[32];

	fprintf(f, "\nchannels: %llu sends, %llu receives, %llu closes\n",
		(unsigned long long)sends, (unsigned long long)recvs,
		(unsigned long long)cnt(r, CHAN_PROBE_CHANCLOSE));
	snprintf(hdr, sizeof(hdr), "blocked %s", unit_name(nsec));
	fprintf(f, "    %-6s %14s %14s %14s %14s %18s\n", "op", "count",
		"buffered", "closed", "blocked", hdr);
	fprintf(f, "    %-6s %14llu %14llu %14s %14llu %18.3f\n", "send",
		(unsigned long long)sends,
		(unsigned long long)r->sums[CHAN_SUM_SEND_BUFFERED], "-",
		(unsigned long long)r->sums[CHAN_SUM_SEND_BLOCKED],
		in_unit(r->sums[CHAN_SUM_SEND_BLOCKED_NS], nsec));
	fprintf(f, "    %-6s %14llu %14llu %14llu %14llu %18.3f\n", "recv",
		(unsigned long long)recvs,
		(unsigned long long)r->sums[CHAN_SUM_RECV_BUFFERED],
		(unsigned long long)r->sums[CHAN_SUM_RECV_CLOSED],
		(unsigned long long)r->sums[CHAN_SUM_RECV_BLOCKED],
		in_unit(r->sums[CHAN_SUM_RECV_BLOCKED_NS], nsec));
}

static void print_top(FILE *f, const struct chan_result *r, bool nsec)
{
	const char *u = unit_name(nsec);

	fprintf(f, "\nchannels by time blocked (top %u of %u that blocked):\n",
		r->ntop, r->nchans);
	fprintf(f, "    %-18s %6s %16s %10s %16s %10s %16s\n", "channel",
		"elem", u, "sends", "send", "recvs", "recv");
	fprintf(f, "    %-18s %6s %16s %10s %16s %10s %16s\n", "", "bytes",
		"blocked", "blocked", u, "blocked", u);
	for (unsigned int i = 0; i < r->ntop; i++) {
		const struct chan_blocked *c = &r->top[i];

		fprintf(f,
			"    0x%016" PRIx64 " %6llu %16.3f %10llu %16.3f "
			"%10llu %16.3f\n",
			c->chan, (unsigned long long)c->b.elemsize,
			in_unit(c->b.send_ns + c->b.recv_ns, nsec),
			(unsigned long long)c->b.send_count,
			in_unit(c->b.send_ns, nsec),
			(unsigned long long)c->b.recv_count,
			in_unit(c->b.recv_ns, nsec));
	}
}

static void print_select(FILE *f, const struct chan_result *r, bool nsec,
			 const struct sample_state *smp)
{
	uint64_t n = cnt(r, CHAN_PROBE_SELECTGO);
	uint64_t done = cnt(r, CHAN_PROBE_SELECTGO_RET);

	fprintf(f,
		"\nselect: %llu selects (%llu with a default, mean %.1f "
		"cases), %llu returned\n",
		(unsigned long long)n,
		(unsigned long long)r->sums[CHAN_SUM_SELECT_DEFAULT],
		n ? (double)r->sums[CHAN_SUM_SELECT_CASES] / n : 0.0,
		(unsigned long long)done);
	fprintf(f, "    %-26s %14llu %6.1f%%\n", "a case, without blocking",
		(unsigned long long)r->selects[CHAN_SEL_READY],
		pct(r->selects[CHAN_SEL_READY], done));
	fprintf(f, "    %-26s %14llu %6.1f%%\n", "a case, after blocking",
		(unsigned long long)r->selects[CHAN_SEL_BLOCKED],
		pct(r->selects[CHAN_SEL_BLOCKED], done));
	fprintf(f, "    %-26s %14llu %6.1f%%\n", "default",
		(unsigned long long)r->selects[CHAN_SEL_DEFAULT],
		pct(r->selects[CHAN_SEL_DEFAULT], done));
	if (r->select.count)
		print_time_hist(f, "select duration (time blocked, 0 if not)",
				"selects", &r->select, nsec, smp,
				RT_PROBE_ID_selectgo_ret);
}

static void print_timers(FILE *f, const struct chan_result *r, double wall_s,
			 bool nsec, const struct sample_state *smp)
{
	char note[64];
	uint64_t added = cnt(r, CHAN_PROBE_ADDTIMER);
	const struct log2_hist *h = &r->heaplen;
	char name[16];
	int p, first = 1;
	uint64_t max = heap_max(r, &p);

	fprintf(f,
		"\ntimers: %llu added (%.1f/s), %llu deleted, %llu "
		"modified, %llu run\n",
		(unsigned long long)added, rate(added, wall_s),
		(unsigned long long)cnt(r, CHAN_PROBE_DELTIMER),
		(unsigned long long)cnt(r, CHAN_PROBE_MODTIMER),
		(unsigned long long)cnt(r, CHAN_PROBE_RUNTIMER));
	if (p >= 0) {
		p_label(name, sizeof(name), p);
		fprintf(f,
			"  timer heap: at most %llu timers (%s); at the end "
			"%llu in all (",
			(unsigned long long)max, name,
			(unsigned long long)heap_last(r));
		for (int i = 0; i < CHAN_P_SLOTS; i++) {
			if (!r->heaps[i].events)
				continue;
			p_label(name, sizeof(name), i);
			fprintf(f, "%s%s %llu", first ? "" : ", ", name,
				(unsigned long long)r->heaps[i].last);
			first = 0;
		}
		fprintf(f, ")\n");
	}
	if (h->count) {
		fprintf(f,
			"\ntimer heap length at addtimer: %llu adds%s, mean "
			"%.1f timers\n",
			(unsigned long long)h->count,
			sample_hist_note(smp, RT_PROBE_ID_addtimer, note,
					 sizeof(note)),
			(double)h->total_ns / h->count);
		hist_print(f, h, "timers");
	}
	if (r->lateness.count)
		print_time_hist(f, "timer lateness (when → runtimer)", "timers",
				&r->lateness, nsec, smp, RT_PROBE_ID_runtimer);
}

void chan_report_text(FILE *f, const struct chan_result *r, double wall_s,
		      bool nsec, const struct sample_state *smp)
{
	if (cnt(r, CHAN_PROBE_CHANSEND) || cnt(r, CHAN_PROBE_CHANRECV) ||
	    cnt(r, CHAN_PROBE_CHANCLOSE))
		print_ops(f, r, nsec);
	if (r->nchans)
		print_top(f, r, nsec);
	if (cnt(r, CHAN_PROBE_SELECTGO) || cnt(r, CHAN_PROBE_SELECTGO_RET))
		print_select(f, r, nsec, smp);
	if (cnt(r, CHAN_PROBE_ADDTIMER) || cnt(r, CHAN_PROBE_DELTIMER) ||
	    cnt(r, CHAN_PROBE_MODTIMER) || cnt(r, CHAN_PROBE_RUNTIMER))
		print_timers(f, r, wall_s, nsec, smp);
}

static void sub_u64(uint64_t *d, const uint64_t *now, const uint64_t *prev,
		    int n)
{
	for (int i = 0; i < n; i++)
		d[i] = now[i] - prev[i];
}

void chan_result_sub(struct chan_result *d, const struct chan_result *now,
		     const struct chan_result *prev)
{
	sub_u64(d->counts, now->counts, prev->counts, CHAN_PROBE_NUM);
	sub_u64(d->errors, now->errors, prev->errors, CHAN_ERR_NUM);
	sub_u64(d->sums, now->sums, prev->sums, CHAN_SUM_NUM);
	sub_u64(d->selects, now->selects, prev->selects, CHAN_SEL_NUM);
	hist_sub(&d->select, &now->select, &prev->select);
	hist_sub(&d->heaplen, &now->heaplen, &prev->heaplen);
	hist_sub(&d->lateness, &now->lateness, &prev->lateness);
	for (int i = 0; i < CHAN_P_SLOTS; i++) {
		d->heaps[i] = now->heaps[i];
		d->heaps[i].events =
		    now->heaps[i].events - prev->heaps[i].events;
	}
	d->ntop = 0;
	d->nchans = 0;
}

static void json_kv(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

static void json_channels(struct json *j, const struct chan_result *r)
{
	char addr[24];

	json_key(j, "channels");
	json_object_begin(j);

	json_key(j, "sends");
	json_object_begin(j);
	json_kv(j, "count", cnt(r, CHAN_PROBE_CHANSEND));
	json_kv(j, "buffered", r->sums[CHAN_SUM_SEND_BUFFERED]);
	json_kv(j, "blocked", r->sums[CHAN_SUM_SEND_BLOCKED]);
	json_kv(j, "blocked_ns", r->sums[CHAN_SUM_SEND_BLOCKED_NS]);
	json_object_end(j);

	json_key(j, "receives");
	json_object_begin(j);
	json_kv(j, "count", cnt(r, CHAN_PROBE_CHANRECV));
	json_kv(j, "buffered", r->sums[CHAN_SUM_RECV_BUFFERED]);
	json_kv(j, "closed", r->sums[CHAN_SUM_RECV_CLOSED]);
	json_kv(j, "blocked", r->sums[CHAN_SUM_RECV_BLOCKED]);
	json_kv(j, "blocked_ns", r->sums[CHAN_SUM_RECV_BLOCKED_NS]);
	json_object_end(j);

	json_kv(j, "closes", cnt(r, CHAN_PROBE_CHANCLOSE));
	json_kv(j, "blocked_channels", r->nchans);

	/* the CHAN_TOP channels with the most blocked time, most first */
	json_key(j, "top_blocked");
	json_array_begin(j);
	for (unsigned int i = 0; i < r->ntop; i++) {
		const struct chan_blocked *c = &r->top[i];

		json_object_begin(j);
		snprintf(addr, sizeof(addr), "0x%" PRIx64, c->chan);
		json_key(j, "chan");
		json_string(j, addr);
		json_kv(j, "elemsize", c->b.elemsize);
		json_kv(j, "blocked_ns", c->b.send_ns + c->b.recv_ns);
		json_kv(j, "sends_blocked", c->b.send_count);
		json_kv(j, "send_blocked_ns", c->b.send_ns);
		json_kv(j, "receives_blocked", c->b.recv_count);
		json_kv(j, "receive_blocked_ns", c->b.recv_ns);
		json_object_end(j);
	}
	json_array_end(j);

	json_key(j, "errors");
	json_object_begin(j);
	json_kv(j, "chan_map_full", r->errors[CHAN_ERR_CHAN_MAP_FULL]);
	json_kv(j, "negative_blocked_ns", r->errors[CHAN_ERR_NEGATIVE_BLOCKED]);
	json_object_end(j);

	json_object_end(j);
}

static void json_select(struct json *j, const struct chan_result *r, bool nsec)
{
	json_key(j, "select");
	json_object_begin(j);
	json_kv(j, "count", cnt(r, CHAN_PROBE_SELECTGO));
	json_kv(j, "returned", cnt(r, CHAN_PROBE_SELECTGO_RET));
	json_kv(j, "with_default", r->sums[CHAN_SUM_SELECT_DEFAULT]);
	json_kv(j, "cases", r->sums[CHAN_SUM_SELECT_CASES]);
	json_key(j, "outcomes");
	json_object_begin(j);
	for (int i = 0; i < CHAN_SEL_NUM; i++)
		json_kv(j, select_outcomes[i], r->selects[i]);
	json_object_end(j);
	json_kv(j, "blocked_ns", r->sums[CHAN_SUM_SELECT_BLOCKED_NS]);
	/* the time blocked, librt's blocked_ns (0 when a case was ready) */
	json_key(j, "duration");
	hist_json(j, &r->select, unit_name(nsec));
	json_object_end(j);
}

static void json_timers(struct json *j, const struct chan_result *r,
			double wall_s, bool nsec)
{
	uint64_t added = cnt(r, CHAN_PROBE_ADDTIMER);
	char name[16];
	int p;

	json_key(j, "timers");
	json_object_begin(j);
	json_kv(j, "added", added);
	json_key(j, "added_per_s");
	json_double(j, rate(added, wall_s));
	json_kv(j, "deleted", cnt(r, CHAN_PROBE_DELTIMER));
	json_kv(j, "modified", cnt(r, CHAN_PROBE_MODTIMER));
	json_kv(j, "run", cnt(r, CHAN_PROBE_RUNTIMER));

	json_key(j, "heap");
	json_object_begin(j);
	json_kv(j, "max", heap_max(r, &p));
	json_kv(j, "last_total", heap_last(r));
	/* keyed by P id ("256" collects ids out of range); only Ps seen */
	json_key(j, "per_p");
	json_object_begin(j);
	for (int i = 0; i < CHAN_P_SLOTS; i++) {
		if (!r->heaps[i].events)
			continue;
		snprintf(name, sizeof(name), "%d", i);
		json_key(j, name);
		json_object_begin(j);
		json_kv(j, "last", r->heaps[i].last);
		json_kv(j, "max", r->heaps[i].max);
		json_kv(j, "events", r->heaps[i].events);
		json_object_end(j);
	}
	json_object_end(j);
	json_key(j, "len_at_add");
	hist_json(j, &r->heaplen, "timers");
	json_object_end(j);

	json_key(j, "lateness");
	hist_json(j, &r->lateness, unit_name(nsec));
	json_key(j, "errors");
	json_object_begin(j);
	json_kv(j, "negative_lateness_ns",
		r->errors[CHAN_ERR_NEGATIVE_LATENESS]);
	json_object_end(j);
	json_object_end(j);
}

void chan_report_json(struct json *j, const struct chan_result *r,
		      double wall_s, bool nsec)
{
	json_channels(j, r);
	json_select(j, r, nsec);
	json_timers(j, r, wall_s, nsec);
}

void chan_report_warnings(const struct chan_result *r)
{
	uint64_t e;

	e = r->errors[CHAN_ERR_CHAN_MAP_FULL];
	if (e)
		rt_warnf("%llu blocked channel operations not attributed to "
			 "their channel: channel map full (%d channels); "
			 "counts and totals are exact",
			 (unsigned long long)e, CHAN_MAX_CHANNELS);
	e = r->errors[CHAN_ERR_NEGATIVE_BLOCKED] +
	    r->errors[CHAN_ERR_NEGATIVE_LATENESS];
	if (e)
		rt_warnf("%llu negative blocked_ns or lateness_ns values from "
			 "librt, recorded as 0",
			 (unsigned long long)e);
}

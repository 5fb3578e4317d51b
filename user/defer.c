/*
 * defer.c — loads bpf/defer.bpf.c, attaches one program per defer, panic
 * and NumGoroutine probe of librt (deferproc … gcount), reads the
 * aggregated maps back, and prints the report's "defer, panic" section, in
 * the order sched.c, mem.c and chan.c do: open → set the const volatile
 * knobs → load → attach; defer_read at any time; defer_destroy detaches.
 *
 * What the section shows is the seed's Ex4 and Ex12 mechanism: where each
 * deferred call's record came from (the P's pool, the GC heap, or the
 * frame when open-coded), how many calls one deferreturn ran (a defer in
 * a loop piles records up until the function returns), panics and
 * recoveries, and how often NumGoroutine (gcount) was called and what it
 * returned.
 *
 * A program linked without librt's panic.c and NumGoroutine has none of
 * these probe sites; tracer.c then does not load this concern
 * (defer_wanted).
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "defer.skel.h"
#include "defer_user.h"
#include "map_helpers.h"
#include "probe_attach.h"
#include "rttrace.h"
#include "sample.h"

/* bpf/defer.h restates these probes' order; keep them equal. */
#define DEFER_ASSERT(ID, name)                                              \
	static_assert((int)DEFER_PROBE_##ID ==                              \
			  (int)RT_PROBE_ID_##name - (int)DEFER_PROBE_FIRST, \
		      "defer.h: " #name)
DEFER_ASSERT(DEFERPROC, deferproc);
DEFER_ASSERT(DEFERRETURN, deferreturn);
DEFER_ASSERT(GOPANIC, gopanic);
DEFER_ASSERT(GORECOVER, gorecover);
DEFER_ASSERT(GCOUNT, gcount);
static_assert((int)DEFER_PROBE_LAST == (int)RT_PROBE_ID_gcount + 1,
	      "defer.h: the defer probes end at gcount");
static_assert((int)DEFER_PROBE_LAST <= (int)RT_PROBE_NUM,
	      "defer.h: the defer probes are within RT_PROBE_LIST");

/* per-CPU values come back packed only when their size is a multiple of 8 */
static_assert(sizeof(struct defer_stats) % 8 == 0, "defer_stats size");

/* deferproc's kinds, as runtime/panic.c passes them (probes.h) */
static_assert(DEFER_KIND_POOLED == 0 && DEFER_KIND_ALLOCATED == 1 &&
		  DEFER_KIND_OPEN_CODED == 2,
	      "defer.h: deferproc kinds 0=pooled,1=allocated,2=open-coded");

bool defer_wanted(const struct usdt_probes *probes)
{
	return probe_sites_in(probes, DEFER_PROBE_FIRST, DEFER_PROBE_LAST) > 0;
}

int defer_load(struct defer_session *s, const struct defer_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->ncpus = probe_ncpus();
	if (s->ncpus < 0)
		return s->ncpus;
	s->skel = defer_bpf__open_opts(bpf_open_opts());
	if (!s->skel)
		return probe_open_failed();
	s->skel->rodata->targ_tgid = opts->tgid;
	s->skel->rodata->targ_first_probe = DEFER_PROBE_FIRST;
	probe_prepare(s->skel->obj);
	return probe_load_result(defer_bpf__load(s->skel));
}

int defer_attach(struct defer_session *s, pid_t pid, const char *path,
		 const struct usdt_probes *probes)
{
	return probe_attach_counted(s->skel->obj, s->links, DEFER_PROBE_FIRST,
				    DEFER_PROBE_LAST, pid, path, probes);
}

int defer_read(struct defer_session *s, struct defer_result *out)
{
	struct defer_stats *st =
	    map_lookup_percpu(s->skel->maps.stats, 0, s->ncpus);

	memset(out, 0, sizeof(*out));
	if (!st) {
		int err = -errno;

		rt_errorf("cannot read BPF maps: %s", strerror(-err));
		return err;
	}
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		u64_add(out->counts, st[cpu].counts, DEFER_PROBE_NUM);
		u64_add(out->kinds, st[cpu].kinds, DEFER_KIND_SLOTS);
		u64_add(out->sums, st[cpu].sums, DEFER_SUM_NUM);
		hist_add_percpu(&out->calls, &st[cpu].hists[DEFER_HIST_CALLS]);
		hist_add_percpu(&out->gcount,
				&st[cpu].hists[DEFER_HIST_GCOUNT]);
	}
	free(st);
	return 0;
}

int defer_read_counts(struct defer_session *s, uint64_t counts[DEFER_PROBE_NUM])
{
	return map_sum_stats_counts(s->skel->maps.stats, s->ncpus,
				    offsetof(struct defer_stats, counts),
				    counts, DEFER_PROBE_NUM);
}

void defer_merge_counts(const struct defer_result *r,
			uint64_t counts[RT_PROBE_NUM])
{
	for (int i = 0; i < DEFER_PROBE_NUM; i++)
		counts[DEFER_PROBE_FIRST + i] = r->counts[i];
}

static void sub_u64(uint64_t *d, const uint64_t *now, const uint64_t *prev,
		    int n)
{
	for (int i = 0; i < n; i++)
		d[i] = now[i] - prev[i];
}

void defer_result_sub(struct defer_result *d, const struct defer_result *now,
		      const struct defer_result *prev)
{
	sub_u64(d->counts, now->counts, prev->counts, DEFER_PROBE_NUM);
	sub_u64(d->kinds, now->kinds, prev->kinds, DEFER_KIND_SLOTS);
	sub_u64(d->sums, now->sums, prev->sums, DEFER_SUM_NUM);
	hist_sub(&d->calls, &now->calls, &prev->calls);
	hist_sub(&d->gcount, &now->gcount, &prev->gcount);
}

void defer_destroy(struct defer_session *s)
{
	probe_detach(s->links);
	defer_bpf__destroy(s->skel);
	s->skel = NULL;
}

/* ---- the report's section ------------------------------------------- */

/* Where a deferproc record came from, by enum defer_kind; + out of range */
static const char *const kind_names[DEFER_KIND_SLOTS] = {
    "pool",
    "GC heap (allocated)",
    "frame (open-coded)",
    "(out of range)",
};

static const char *const kind_keys[DEFER_KIND_SLOTS] = {
    "pooled",
    "allocated",
    "open_coded",
    "out_of_range",
};

static uint64_t cnt(const struct defer_result *r, enum defer_probe id)
{
	return r->counts[id];
}

static double rate(uint64_t n, double wall_s)
{
	return wall_s > 0 ? n / wall_s : 0.0;
}

static double ratio(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / whole : 0.0;
}

static bool defer_fired(const struct defer_result *r)
{
	return cnt(r, DEFER_PROBE_DEFERPROC) ||
	       cnt(r, DEFER_PROBE_DEFERRETURN) || cnt(r, DEFER_PROBE_GOPANIC) ||
	       cnt(r, DEFER_PROBE_GORECOVER);
}

static void print_defers(FILE *f, const struct defer_result *r, double wall_s,
			 const struct sample_state *smp)
{
	uint64_t procs = cnt(r, DEFER_PROBE_DEFERPROC);
	uint64_t rets = cnt(r, DEFER_PROBE_DEFERRETURN);
	uint64_t panics = cnt(r, DEFER_PROBE_GOPANIC);

	fprintf(f,
		"\ndefer, panic: %llu deferred calls (%.1f/s), %llu "
		"deferreturns, %llu panics, %llu recovered\n",
		(unsigned long long)procs, rate(procs, wall_s),
		(unsigned long long)rets, (unsigned long long)panics,
		(unsigned long long)cnt(r, DEFER_PROBE_GORECOVER));
	if (procs) {
		fprintf(f, "    %-22s %14s %7s\n", "record from", "count",
			"share");
		for (int k = 0; k < DEFER_KIND_SLOTS; k++) {
			if (k == DEFER_KIND_BAD && !r->kinds[k])
				continue;
			fprintf(f, "    %-22s %14llu %6.1f%%\n", kind_names[k],
				(unsigned long long)r->kinds[k],
				100 * ratio(r->kinds[k], procs));
		}
	}
	if (rets) {
		fprintf(f,
			"\ncalls run per deferreturn: %llu deferreturns ran "
			"%llu calls, mean %.1f; %llu ran none\n",
			(unsigned long long)rets,
			(unsigned long long)r->sums[DEFER_SUM_CALLS_RUN],
			ratio(r->sums[DEFER_SUM_CALLS_RUN],
			      r->sums[DEFER_SUM_RETURN_EVENTS]),
			(unsigned long long)r->sums[DEFER_SUM_RETURN_EMPTY]);
		sample_hist_line(f, smp, RT_PROBE_ID_deferreturn,
				 r->calls.count);
		hist_print(f, &r->calls, "calls");
	}
	if (panics)
		fprintf(f,
			"\npanics: %llu (%llu runtime errors), %llu "
			"recovered\n",
			(unsigned long long)panics,
			(unsigned long long)r->sums[DEFER_SUM_RUNTIME_ERRORS],
			(unsigned long long)cnt(r, DEFER_PROBE_GORECOVER));
}

static void print_gcount(FILE *f, const struct defer_result *r, double wall_s,
			 const struct sample_state *smp)
{
	uint64_t n = cnt(r, DEFER_PROBE_GCOUNT);

	fprintf(f,
		"\nNumGoroutine (gcount): %llu calls (%.1f/s), mean result "
		"%.1f goroutines\n",
		(unsigned long long)n, rate(n, wall_s),
		ratio(r->sums[DEFER_SUM_GCOUNT_RESULT],
		      r->sums[DEFER_SUM_GCOUNT_EVENTS]));
	sample_hist_line(f, smp, RT_PROBE_ID_gcount, r->gcount.count);
	hist_print(f, &r->gcount, "goroutines");
}

void defer_report_text(FILE *f, const struct defer_result *r, double wall_s,
		       const struct sample_state *smp)
{
	if (defer_fired(r))
		print_defers(f, r, wall_s, smp);
	if (cnt(r, DEFER_PROBE_GCOUNT))
		print_gcount(f, r, wall_s, smp);
}

static void json_kv(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void defer_report_json(struct json *j, const struct defer_result *r,
		       double wall_s)
{
	uint64_t procs = cnt(r, DEFER_PROBE_DEFERPROC);
	uint64_t n = cnt(r, DEFER_PROBE_GCOUNT);

	json_key(j, "defer");
	json_object_begin(j);
	json_kv(j, "count", procs);
	json_key(j, "per_s");
	json_double(j, rate(procs, wall_s));
	/* where the records came from, by deferproc's kind */
	json_key(j, "records");
	json_object_begin(j);
	for (int k = 0; k < DEFER_KIND_SLOTS; k++)
		json_kv(j, kind_keys[k], r->kinds[k]);
	json_object_end(j);
	json_key(j, "deferreturn");
	json_object_begin(j);
	json_kv(j, "count", cnt(r, DEFER_PROBE_DEFERRETURN));
	json_kv(j, "calls_run", r->sums[DEFER_SUM_CALLS_RUN]);
	json_kv(j, "ran_none", r->sums[DEFER_SUM_RETURN_EMPTY]);
	json_key(j, "calls_per_return");
	hist_json(j, &r->calls, "calls");
	json_object_end(j);
	json_object_end(j);

	json_key(j, "panic");
	json_object_begin(j);
	json_kv(j, "count", cnt(r, DEFER_PROBE_GOPANIC));
	json_kv(j, "runtime_errors", r->sums[DEFER_SUM_RUNTIME_ERRORS]);
	json_kv(j, "recovered", cnt(r, DEFER_PROBE_GORECOVER));
	json_object_end(j);

	json_key(j, "gcount");
	json_object_begin(j);
	json_kv(j, "count", n);
	json_key(j, "per_s");
	json_double(j, rate(n, wall_s));
	json_key(j, "mean_result");
	json_double(j, ratio(r->sums[DEFER_SUM_GCOUNT_RESULT],
			     r->sums[DEFER_SUM_GCOUNT_EVENTS]));
	json_key(j, "result");
	hist_json(j, &r->gcount, "goroutines");
	json_object_end(j);
}

/*
 * mem_report.c — the memory sections of the `rttrace trace` report, each
 * printed only when its probes fired: allocations (size histogram and size
 * classes), heap growth, GC cycles (by reason, with their durations),
 * stop-the-world pauses per reason, sync.Pool results, interface boxing
 * and finalizers; as text, or as the "memory" object of the JSON report.
 */
#include <string.h>

#include "mem_user.h"
#include "rttrace.h"
#include "sample.h"

/* Go's stwReason strings, indexed by enum rt_stw_reason (runtime/rt.h). */
static const char *const stw_reasons[MEM_STW_REASONS] = {
    "unknown",	       "GC mark termination", "GC sweep termination",
    "write heap dump", "goroutine profile",   "all goroutines stack trace",
    "read mem stats",  "GOMAXPROCS",	      "test",
};

/* enum rt_gc_reason, as gcTriggerKind; 0 is not a reason. The last slot
 * counts reasons out of range. */
static const char *const gc_reasons[MEM_GC_SLOTS] = {
    "(none)",	    "heap goal", "forced",
    "memory limit", "periodic",	 "(out of range)",
};

static const char *const pool_get_results[MEM_POOL_GET_SLOTS] = {
    "private", "shared", "stolen", "victim", "miss", "(out of range)",
};

static const char *const pool_put_places[MEM_POOL_PUT_SLOTS] = {
    "private",
    "shared",
    "(out of range)",
};

static const char *const convt_kinds[MEM_CONVT_KINDS] = {
    "(out of range)",
    "T64",
    "Tstring",
    "Tslice",
};

const char *mem_stw_reason_str(unsigned int idx)
{
	return idx < MEM_STW_REASONS ? stw_reasons[idx] : NULL;
}

const char *mem_gc_reason_str(unsigned int idx)
{
	return idx < MEM_GC_REASONS ? gc_reasons[idx] : NULL;
}

static const char *label(const char *s)
{
	return s ? s : "(out of range)";
}

static const char *unit_name(bool nsec)
{
	return nsec ? "nsecs" : "usecs";
}

static uint64_t cnt(const struct mem_result *r, enum mem_probe id)
{
	return r->counts[id];
}

static uint64_t sum_of(const uint64_t *v, int n)
{
	uint64_t s = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}

/* pool_hits is Gets served from the pool: all but misses and bad. */
static uint64_t pool_hits(const struct mem_result *r)
{
	return sum_of(r->pool_gets, 4);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

/* print_time_hist prints a titled histogram of durations. */
static void print_time_hist(FILE *f, const char *title, const char *what,
			    const struct log2_hist *h, bool nsec)
{
	double mean = h->count ? (double)h->total_ns / h->count : 0;

	fprintf(f, "\n%s: %llu %s, mean %.3f %s\n", title,
		(unsigned long long)h->count, what, nsec ? mean : mean / 1000,
		unit_name(nsec));
	hist_print(f, h, unit_name(nsec));
}

static void print_allocs(FILE *f, const struct mem_result *r,
			 const struct sample_state *smp)
{
	const struct log2_hist *h = &r->alloc_size;
	uint64_t n = cnt(r, MEM_PROBE_MALLOCGC);

	fprintf(f,
		"\nallocations (mallocgc): %llu objects, %llu bytes, mean "
		"%.1f B, %.1f%% noscan\n",
		(unsigned long long)n,
		(unsigned long long)r->sums[MEM_SUM_ALLOC_BYTES],
		n ? (double)r->sums[MEM_SUM_ALLOC_BYTES] / n : 0.0,
		pct(r->sums[MEM_SUM_ALLOC_NOSCAN], n));
	sample_hist_line(f, smp, RT_PROBE_ID_mallocgc, h->count);
	hist_print(f, h, "bytes");

	fprintf(f, "\nallocations per size class:\n");
	fprintf(f, "    %-8s %14s %16s %10s\n", "class", "objects", "bytes",
		"mean B");
	for (int i = 0; i < MEM_SIZECLASS_SLOTS; i++) {
		const struct mem_class *c = &r->classes[i];
		char name[16];

		if (!c->count)
			continue;
		if (i == 0)
			snprintf(name, sizeof(name), "large");
		else if (i == MEM_SIZECLASS_BAD)
			snprintf(name, sizeof(name), "(bad)");
		else
			snprintf(name, sizeof(name), "%d", i);
		fprintf(f, "    %-8s %14llu %16llu %10.1f\n", name,
			(unsigned long long)c->count,
			(unsigned long long)c->bytes,
			(double)c->bytes / c->count);
	}
}

static void print_gc(FILE *f, const struct mem_result *r, bool nsec)
{
	const struct mem_gc_state *st = &r->gc_state;
	char title[96];

	fprintf(f, "\nGC cycles: %llu started (",
		(unsigned long long)cnt(r, MEM_PROBE_GC_START));
	for (int i = 1, first = 1; i < MEM_GC_SLOTS; i++) {
		if (!r->gc_reasons[i])
			continue;
		fprintf(f, "%s%s %llu", first ? "" : ", ",
			label(mem_gc_reason_str(i)),
			(unsigned long long)r->gc_reasons[i]);
		first = 0;
	}
	fprintf(f, "), %llu marked, %llu done\n",
		(unsigned long long)cnt(r, MEM_PROBE_GC_MARK_DONE),
		(unsigned long long)cnt(r, MEM_PROBE_GC_DONE));
	fprintf(f,
		"  marked %llu bytes in all; swept %llu pages, %llu objects "
		"freed (%llu sweeps)\n",
		(unsigned long long)r->sums[MEM_SUM_MARKED_BYTES],
		(unsigned long long)r->sums[MEM_SUM_SWEPT_PAGES],
		(unsigned long long)r->sums[MEM_SUM_SWEPT_OBJECTS],
		(unsigned long long)cnt(r, MEM_PROBE_SWEEP));
	if (cnt(r, MEM_PROBE_GC_DONE))
		fprintf(f,
			"  after the last cycle: heap live %llu B, next "
			"GC at %llu B\n",
			(unsigned long long)st->last_heap_live,
			(unsigned long long)st->last_next_gc);
	for (int i = 0; i < MEM_GC_SLOTS; i++) {
		if (!r->gc[i].count)
			continue;
		snprintf(title, sizeof(title),
			 "GC cycle (gc_start → gc_done), reason = %s",
			 label(mem_gc_reason_str(i)));
		print_time_hist(f, title, "cycles", &r->gc[i], nsec);
	}
}

static void print_stw(FILE *f, const struct mem_result *r, bool nsec)
{
	char title[96];

	for (int i = 0; i < MEM_STW_SLOTS; i++) {
		if (!r->stw[i].count)
			continue;
		snprintf(title, sizeof(title), "STW pause, reason = %s",
			 label(mem_stw_reason_str(i)));
		print_time_hist(f, title, "stops", &r->stw[i], nsec);
	}
}

static void print_pool(FILE *f, const struct mem_result *r)
{
	uint64_t gets = sum_of(r->pool_gets, MEM_POOL_GET_SLOTS);
	uint64_t puts = sum_of(r->pool_puts, MEM_POOL_PUT_SLOTS);

	fprintf(f, "\nsync.Pool: %llu gets, hit rate %.1f%%; %llu puts\n",
		(unsigned long long)gets, pct(pool_hits(r), gets),
		(unsigned long long)puts);
	for (int i = 0; i < MEM_POOL_GET_SLOTS; i++)
		if (r->pool_gets[i] || i < MEM_POOL_GET_SLOTS - 1)
			fprintf(f, "    get %-14s %14llu %6.1f%%\n",
				pool_get_results[i],
				(unsigned long long)r->pool_gets[i],
				pct(r->pool_gets[i], gets));
	for (int i = 0; i < MEM_POOL_PUT_SLOTS; i++)
		if (r->pool_puts[i] || i < MEM_POOL_PUT_SLOTS - 1)
			fprintf(f, "    put %-14s %14llu %6.1f%%\n",
				pool_put_places[i],
				(unsigned long long)r->pool_puts[i],
				pct(r->pool_puts[i], puts));
}

static void print_convt(FILE *f, const struct mem_result *r)
{
	fprintf(f, "\ninterface boxing (convT): %llu calls\n",
		(unsigned long long)cnt(r, MEM_PROBE_CONVT));
	fprintf(f, "    %-16s %14s %14s\n", "kind", "allocated",
		"not allocated");
	for (int k = 0; k < MEM_CONVT_KINDS; k++) {
		uint64_t yes = r->convts[k * 2 + 1], no = r->convts[k * 2];

		if (!yes && !no)
			continue;
		fprintf(f, "    %-16s %14llu %14llu\n", convt_kinds[k],
			(unsigned long long)yes, (unsigned long long)no);
	}
}

void mem_report_text(FILE *f, const struct mem_result *r, bool nsec,
		     const struct sample_state *smp)
{
	if (cnt(r, MEM_PROBE_MALLOCGC))
		print_allocs(f, r, smp);
	if (cnt(r, MEM_PROBE_HEAP_GROW) || cnt(r, MEM_PROBE_SCAVENGE))
		fprintf(f,
			"\nheap: grown %llu times, %llu bytes (heap_sys %llu "
			"B at the last growth); scavenged %llu times, %llu "
			"bytes\n",
			(unsigned long long)cnt(r, MEM_PROBE_HEAP_GROW),
			(unsigned long long)r->sums[MEM_SUM_HEAP_GROW_BYTES],
			(unsigned long long)r->gc_state.last_heap_sys,
			(unsigned long long)cnt(r, MEM_PROBE_SCAVENGE),
			(unsigned long long)r->sums[MEM_SUM_SCAVENGED_BYTES]);
	if (cnt(r, MEM_PROBE_GC_START) || cnt(r, MEM_PROBE_GC_DONE) ||
	    cnt(r, MEM_PROBE_SWEEP))
		print_gc(f, r, nsec);
	if (cnt(r, MEM_PROBE_STW_DONE))
		print_stw(f, r, nsec);
	if (cnt(r, MEM_PROBE_POOL_GET) || cnt(r, MEM_PROBE_POOL_PUT))
		print_pool(f, r);
	if (cnt(r, MEM_PROBE_CONVT))
		print_convt(f, r);
	if (cnt(r, MEM_PROBE_FINALIZER_RUN))
		fprintf(f, "\nfinalizers run: %llu\n",
			(unsigned long long)cnt(r, MEM_PROBE_FINALIZER_RUN));
}

static void sub_u64(uint64_t *d, const uint64_t *now, const uint64_t *prev,
		    int n)
{
	for (int i = 0; i < n; i++)
		d[i] = now[i] - prev[i];
}

void mem_result_sub(struct mem_result *d, const struct mem_result *now,
		    const struct mem_result *prev)
{
	sub_u64(d->counts, now->counts, prev->counts, MEM_PROBE_NUM);
	sub_u64(d->errors, now->errors, prev->errors, MEM_ERR_NUM);
	hist_sub(&d->alloc_size, &now->alloc_size, &prev->alloc_size);
	sub_u64((uint64_t *)d->classes, (const uint64_t *)now->classes,
		(const uint64_t *)prev->classes, MEM_SIZECLASS_SLOTS * 2);
	for (int i = 0; i < MEM_STW_SLOTS; i++)
		hist_sub(&d->stw[i], &now->stw[i], &prev->stw[i]);
	for (int i = 0; i < MEM_GC_SLOTS; i++)
		hist_sub(&d->gc[i], &now->gc[i], &prev->gc[i]);
	sub_u64(d->gc_reasons, now->gc_reasons, prev->gc_reasons, MEM_GC_SLOTS);
	sub_u64(d->pool_gets, now->pool_gets, prev->pool_gets,
		MEM_POOL_GET_SLOTS);
	sub_u64(d->pool_puts, now->pool_puts, prev->pool_puts,
		MEM_POOL_PUT_SLOTS);
	sub_u64(d->convts, now->convts, prev->convts, MEM_CONVT_SLOTS);
	sub_u64(d->sums, now->sums, prev->sums, MEM_SUM_NUM);
	d->gc_state = now->gc_state;
}

static void json_counts(struct json *j, const char *const *names,
			const uint64_t *v, int n)
{
	json_object_begin(j);
	for (int i = 0; i < n; i++) {
		if (!v[i] && strchr(names[i], '('))
			continue; /* "(out of range)" only when it happened */
		json_key(j, names[i]);
		json_uint(j, v[i]);
	}
	json_object_end(j);
}

void mem_report_json(struct json *j, const struct mem_result *r, bool nsec)
{
	const char *unit = unit_name(nsec);
	uint64_t gets = sum_of(r->pool_gets, MEM_POOL_GET_SLOTS);

	json_key(j, "memory");
	json_object_begin(j);

	json_key(j, "allocs");
	json_object_begin(j);
	json_key(j, "objects");
	json_uint(j, cnt(r, MEM_PROBE_MALLOCGC));
	json_key(j, "bytes");
	json_uint(j, r->sums[MEM_SUM_ALLOC_BYTES]);
	json_key(j, "noscan_objects");
	json_uint(j, r->sums[MEM_SUM_ALLOC_NOSCAN]);
	json_key(j, "size");
	hist_json(j, &r->alloc_size, "bytes");
	/* "0" is large objects; only classes that were used */
	json_key(j, "size_classes");
	json_object_begin(j);
	for (int i = 0; i < MEM_SIZECLASS_SLOTS; i++) {
		char name[16];

		if (!r->classes[i].count)
			continue;
		snprintf(name, sizeof(name), "%s",
			 i == 0			  ? "large"
			 : i == MEM_SIZECLASS_BAD ? "(out of range)"
						  : "");
		if (!*name)
			snprintf(name, sizeof(name), "%d", i);
		json_key(j, name);
		json_object_begin(j);
		json_key(j, "objects");
		json_uint(j, r->classes[i].count);
		json_key(j, "bytes");
		json_uint(j, r->classes[i].bytes);
		json_object_end(j);
	}
	json_object_end(j);
	json_object_end(j);

	json_key(j, "heap");
	json_object_begin(j);
	json_key(j, "grow_bytes");
	json_uint(j, r->sums[MEM_SUM_HEAP_GROW_BYTES]);
	json_key(j, "last_heap_sys");
	json_uint(j, r->gc_state.last_heap_sys);
	json_key(j, "scavenged_bytes");
	json_uint(j, r->sums[MEM_SUM_SCAVENGED_BYTES]);
	json_object_end(j);

	json_key(j, "gc");
	json_object_begin(j);
	json_key(j, "started");
	json_uint(j, cnt(r, MEM_PROBE_GC_START));
	json_key(j, "done");
	json_uint(j, cnt(r, MEM_PROBE_GC_DONE));
	json_key(j, "by_reason");
	json_counts(j, gc_reasons, r->gc_reasons, MEM_GC_SLOTS);
	json_key(j, "marked_bytes");
	json_uint(j, r->sums[MEM_SUM_MARKED_BYTES]);
	json_key(j, "swept_pages");
	json_uint(j, r->sums[MEM_SUM_SWEPT_PAGES]);
	json_key(j, "swept_objects");
	json_uint(j, r->sums[MEM_SUM_SWEPT_OBJECTS]);
	json_key(j, "last_heap_live");
	json_uint(j, r->gc_state.last_heap_live);
	json_key(j, "last_next_gc");
	json_uint(j, r->gc_state.last_next_gc);
	json_key(j, "duration");
	json_object_begin(j);
	for (int i = 0; i < MEM_GC_SLOTS; i++) {
		if (!r->gc[i].count)
			continue;
		json_key(j, label(mem_gc_reason_str(i)));
		hist_json(j, &r->gc[i], unit);
	}
	json_object_end(j);
	json_object_end(j);

	/* keyed by Go's stwReason string */
	json_key(j, "stw_pause");
	json_object_begin(j);
	for (int i = 0; i < MEM_STW_SLOTS; i++) {
		if (!r->stw[i].count)
			continue;
		json_key(j, label(mem_stw_reason_str(i)));
		hist_json(j, &r->stw[i], unit);
	}
	json_object_end(j);

	json_key(j, "pool");
	json_object_begin(j);
	json_key(j, "gets");
	json_counts(j, pool_get_results, r->pool_gets, MEM_POOL_GET_SLOTS);
	json_key(j, "puts");
	json_counts(j, pool_put_places, r->pool_puts, MEM_POOL_PUT_SLOTS);
	json_key(j, "hit_rate");
	json_double(j, gets ? (double)pool_hits(r) / gets : 0.0);
	json_object_end(j);

	json_key(j, "convT");
	json_object_begin(j);
	for (int k = 1; k < MEM_CONVT_KINDS; k++) {
		json_key(j, convt_kinds[k]);
		json_object_begin(j);
		json_key(j, "allocated");
		json_uint(j, r->convts[k * 2 + 1]);
		json_key(j, "not_allocated");
		json_uint(j, r->convts[k * 2]);
		json_object_end(j);
	}
	json_object_end(j);

	json_key(j, "finalizers_run");
	json_uint(j, cnt(r, MEM_PROBE_FINALIZER_RUN));

	json_key(j, "errors");
	json_object_begin(j);
	json_key(j, "gc_unpaired");
	json_uint(j, r->errors[MEM_ERR_GC_UNPAIRED]);
	json_object_end(j);

	json_object_end(j);
}

void mem_report_warnings(const struct mem_result *r)
{
	uint64_t unpaired = r->errors[MEM_ERR_GC_UNPAIRED];

	if (unpaired)
		rt_notef("%llu gc_done events had no traced gc_start of the "
			 "same cycle (started before attach?); not timed",
			 (unsigned long long)unpaired);
}

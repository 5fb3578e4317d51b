/*
 * test_trace_mem.c — `rttrace trace` counts the memory events exactly as
 * librt counts them.
 *
 * Runs build/rttrace (as root: it loads BPF programs) on
 * build/tests/progs/churn with RT_STATS=1, so the same run reports each
 * probe twice, librt's own count on the program's stderr ("rt-stats: probe
 * NAME COUNT") and the BPF count in rttrace's JSON report on stdout, and
 * each stop-the-world reason twice, librt's "rt-stats: stw REASON COUNT"
 * and the "memory"/"stw_pause"/REASON histogram's count. Every pair must
 * be equal, every probe included. The memory report's own sections (the
 * allocations, GC, pool and finalizer counts) must agree with the probes,
 * with --sample off (sampled, their sums are estimates, the probe totals
 * exact: test_trace_counts).
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include "rtt_cmd.h"

#define TIMEOUT 600

struct traced {
	struct run r;
	long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM];
	long long own_stw[RTT_STW_REASONS];
	/* churn's "churn: stw COUNT TOTAL_NS REASON" lines */
	long long prog_stw[RTT_STW_REASONS], prog_stw_ns[RTT_STW_REASONS];
	const char *json, *json_end; /* the report */
	const char *mem, *mem_end;   /* its "memory" object */
	unsigned long long bytes, allocs, memstats, pool_gets, convts;
	int gcs, stw_test, fins;
	unsigned forced;
	long pool_puts;
};

/* churn_stw parses churn's "churn: stw COUNT TOTAL_NS REASON" lines. */
static void churn_stw(const char *text, long long count[RTT_STW_REASONS],
		      long long ns[RTT_STW_REASONS])
{
	const char *p = text;

	for (int i = 0; i < RTT_STW_REASONS; i++)
		count[i] = ns[i] = 0;
	while ((p = strstr(p, "churn: stw "))) {
		long long c, t;
		int off = 0, found = -1;
		const char *eol;

		ck_assert_msg(
		    sscanf(p, "churn: stw %lld %lld %n", &c, &t, &off) == 2 &&
			off > 0,
		    "bad line: %.60s", p);
		eol = strchrnul(p + off, '\n');
		for (int i = 0; i < RTT_STW_REASONS; i++)
			if ((size_t)(eol - (p + off)) ==
				strlen(stw_reason_names[i]) &&
			    strncmp(p + off, stw_reason_names[i],
				    (size_t)(eol - (p + off))) == 0)
				found = i;
		ck_assert_msg(found >= 0, "unknown reason: %.60s", p);
		count[found] = c;
		ns[found] = t;
		p = eol;
	}
}

/* trace_churn runs rttrace trace --json on churn and parses both sides. */
static void trace_churn(struct traced *t)
{
	const char *line;

	/* every event: the sections' sums (bytes, pool results, boxing
	 * kinds) are exact only then; sampled they are estimates */
	t->r =
	    rtt_trace_json_sample("tests/progs/churn", "off", t->bpf, t->own);
	rt_stats_stw(t->r.err, t->own_stw);
	churn_stw(t->r.out, t->prog_stw, t->prog_stw_ns);
	t->json = json_report(t->r.out, &t->json_end);
	t->mem = json_object_at(t->json, t->json_end, "memory", &t->mem_end);
	ck_assert_msg(t->mem != NULL, "no \"memory\" object in the JSON:\n%s",
		      t->json);
	line = strstr(t->r.out, "churn: ");
	ck_assert_msg(line != NULL, "no churn summary:\n%s", t->r.out);
	ck_assert_int_eq(sscanf(line,
				"churn: bytes=%llu allocs=%llu gcs=%d "
				"memstats=%llu stw_test=%d pool_gets=%llu "
				"pool_puts=%ld convts=%llu finalizers=%d "
				"forced=%u",
				&t->bytes, &t->allocs, &t->gcs, &t->memstats,
				&t->stw_test, &t->pool_gets, &t->pool_puts,
				&t->convts, &t->fins, &t->forced),
			 10);
}

START_TEST(test_every_probe_count_equals_librts_own_count)
{
	static struct traced t;

	trace_churn(&t);
	check_counts_equal(&t.r, t.bpf, t.own);
	/* churn's work is in the counts */
	ck_assert_msg(t.bpf[RT_PROBE_ID_mallocgc] >= (long long)t.allocs,
		      "mallocgc counted %lld, churn made %llu allocations",
		      t.bpf[RT_PROBE_ID_mallocgc], t.allocs);
	ck_assert_msg(t.bpf[RT_PROBE_ID_gc_start] >= t.gcs,
		      "gc_start counted %lld, churn called rt_gc %d times",
		      t.bpf[RT_PROBE_ID_gc_start], t.gcs);
	ck_assert_msg(t.bpf[RT_PROBE_ID_pool_get] >= (long long)t.pool_gets,
		      "pool_get counted %lld, churn made %llu gets",
		      t.bpf[RT_PROBE_ID_pool_get], t.pool_gets);
	ck_assert_msg(t.bpf[RT_PROBE_ID_convT] >= (long long)t.convts,
		      "convT counted %lld, churn made %llu conversions",
		      t.bpf[RT_PROBE_ID_convT], t.convts);
	ck_assert_msg(t.bpf[RT_PROBE_ID_finalizer_run] == t.fins,
		      "finalizer_run counted %lld, churn's finalizers ran %d "
		      "times",
		      t.bpf[RT_PROBE_ID_finalizer_run], t.fins);
	run_free(&t.r);
}
END_TEST

START_TEST(test_every_stw_by_reason_equals_librts_record)
{
	static struct traced t;
	const char *stw, *stw_end;
	long long total = 0;

	trace_churn(&t);
	stw = json_object_at(t.mem, t.mem_end, "stw_pause", &stw_end);
	ck_assert_msg(stw != NULL, "no memory.stw_pause object:\n%s", t.json);
	for (int i = 0; i < RTT_STW_REASONS; i++) {
		const char *h, *h_end;
		long long bpf = 0;

		long long bpf_ns = 0;

		h = json_object_at(stw, stw_end, stw_reason_names[i], &h_end);
		if (h) {
			bpf = json_uint_at(h, h_end, "count");
			bpf_ns = json_uint_at(h, h_end, "total_ns");
		}
		ck_assert_msg(bpf == t.own_stw[i],
			      "STW \"%s\": rttrace counted %lld, librt "
			      "recorded %lld\nrt-stats:\n%s",
			      stw_reason_names[i], bpf, t.own_stw[i], t.r.err);
		/* churn read librt's record after its last stop: the same
		 * stops, and the same pauses (stw_done carries librt's
		 * pause_ns, which BPF sums) */
		ck_assert_msg(
		    t.prog_stw[i] == t.own_stw[i],
		    "STW \"%s\": churn's rt_read_stw_stats says %lld, "
		    "rt-stats at exit %lld",
		    stw_reason_names[i], t.prog_stw[i], t.own_stw[i]);
		ck_assert_msg(bpf_ns == t.prog_stw_ns[i],
			      "STW \"%s\": rttrace summed %lld ns of pause, "
			      "librt recorded %lld ns",
			      stw_reason_names[i], bpf_ns, t.prog_stw_ns[i]);
		total += bpf;
	}
	/* nothing else in stw_pause: an unknown reason would be counted
	 * under "(out of range)" */
	ck_assert_msg(json_find_key(stw, stw_end, "(out of range)") == NULL,
		      "STW with an out-of-range reason:\n%.*s",
		      (int)(stw_end - stw + 1), stw);
	ck_assert_msg(total == t.bpf[RT_PROBE_ID_stw_done],
		      "stw_pause holds %lld stops, stw_done fired %lld times",
		      total, t.bpf[RT_PROBE_ID_stw_done]);
	/* churn's own stops are there */
	ck_assert_msg(t.own_stw[RT_STW_FOR_TEST] == t.stw_test,
		      "librt recorded %lld \"test\" stops, churn made %d",
		      t.own_stw[RT_STW_FOR_TEST], t.stw_test);
	ck_assert_msg(t.own_stw[RT_STW_READ_MEM_STATS] == (long long)t.memstats,
		      "librt recorded %lld \"read mem stats\" stops, churn "
		      "called rt_read_memstats %llu times",
		      t.own_stw[RT_STW_READ_MEM_STATS], t.memstats);
	ck_assert_msg(t.own_stw[RT_STW_GC_MARK_TERM] >= t.gcs,
		      "librt recorded %lld \"GC mark termination\" stops for "
		      "at least %d cycles",
		      t.own_stw[RT_STW_GC_MARK_TERM], t.gcs);
	run_free(&t.r);
}
END_TEST

START_TEST(test_memory_report_sections_agree_with_the_probe_counts)
{
	static struct traced t;
	const char *o, *o_end;
	long long started, done, gets = 0, puts = 0;

	trace_churn(&t);
	o = json_object_at(t.mem, t.mem_end, "allocs", &o_end);
	ck_assert_msg(o != NULL, "no memory.allocs:\n%s", t.json);
	ck_assert_msg(
	    json_uint_at(o, o_end, "objects") == t.own[RT_PROBE_ID_mallocgc],
	    "memory.allocs.objects %lld, librt's mallocgc %lld",
	    json_uint_at(o, o_end, "objects"), t.own[RT_PROBE_ID_mallocgc]);
	ck_assert_msg(json_uint_at(o, o_end, "bytes") >= (long long)t.bytes,
		      "memory.allocs.bytes %lld, churn allocated %llu",
		      json_uint_at(o, o_end, "bytes"), t.bytes);

	o = json_object_at(t.mem, t.mem_end, "gc", &o_end);
	ck_assert_msg(o != NULL, "no memory.gc:\n%s", t.json);
	started = json_uint_at(o, o_end, "started");
	done = json_uint_at(o, o_end, "done");
	ck_assert_msg(started == t.own[RT_PROBE_ID_gc_start] &&
			  done == t.own[RT_PROBE_ID_gc_done],
		      "memory.gc started %lld done %lld; librt gc_start %lld "
		      "gc_done %lld",
		      started, done, t.own[RT_PROBE_ID_gc_start],
		      t.own[RT_PROBE_ID_gc_done]);
	{
		static const char *const reasons[] = {"(none)", "heap goal",
						      "forced", "memory limit",
						      "periodic"};
		const char *r, *r_end;
		long long forced, sum = 0;

		r = json_object_at(o, o_end, "by_reason", &r_end);
		ck_assert_msg(r != NULL, "no memory.gc.by_reason");
		for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]);
		     i++) {
			long long v = json_uint_at(r, r_end, reasons[i]);

			sum += v > 0 ? v : 0;
		}
		ck_assert_msg(sum == started,
			      "memory.gc.by_reason sums to %lld, %lld started",
			      sum, started);
		/* librt's num_forced_gc, read by churn at its end */
		forced = json_uint_at(r, r_end, "forced");
		ck_assert_msg(forced == (long long)t.forced,
			      "memory.gc.by_reason.forced %lld, librt's "
			      "num_forced_gc %u",
			      forced, t.forced);
	}

	o = json_object_at(t.mem, t.mem_end, "pool", &o_end);
	ck_assert_msg(o != NULL, "no memory.pool:\n%s", t.json);
	{
		const char *g, *g_end, *p, *p_end;
		static const char *const res[] = {"private", "shared",
						  "stolen",  "victim",
						  "miss",    "(out of range)"};

		g = json_object_at(o, o_end, "gets", &g_end);
		p = json_object_at(o, o_end, "puts", &p_end);
		ck_assert_msg(g && p, "no memory.pool.gets/puts");
		for (size_t i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
			long long v = json_uint_at(g, g_end, res[i]);

			gets += v > 0 ? v : 0;
			v = json_uint_at(p, p_end, res[i]);
			puts += v > 0 ? v : 0;
		}
	}
	ck_assert_msg(gets == t.own[RT_PROBE_ID_pool_get] &&
			  puts == t.own[RT_PROBE_ID_pool_put],
		      "memory.pool gets %lld puts %lld; librt pool_get %lld "
		      "pool_put %lld",
		      gets, puts, t.own[RT_PROBE_ID_pool_get],
		      t.own[RT_PROBE_ID_pool_put]);

	ck_assert_msg(json_uint_at(t.mem, t.mem_end, "finalizers_run") ==
			  t.own[RT_PROBE_ID_finalizer_run],
		      "memory.finalizers_run %lld, librt finalizer_run %lld",
		      json_uint_at(t.mem, t.mem_end, "finalizers_run"),
		      t.own[RT_PROBE_ID_finalizer_run]);
	run_free(&t.r);
}
END_TEST

static Suite *trace_mem_suite(void)
{
	Suite *s = suite_create("trace_mem");
	TCase *tc;

	tc = tcase_create("memory");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_every_probe_count_equals_librts_own_count);
	tcase_add_test(tc, test_every_stw_by_reason_equals_librts_record);
	tcase_add_test(tc,
		       test_memory_report_sections_agree_with_the_probe_counts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_main("test_trace_mem", trace_mem_suite);
}

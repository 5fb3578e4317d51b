/*
 * test_trace_chan.c — `rttrace trace` counts the channel, select and timer
 * events exactly as librt counts them, and as the program made them.
 *
 * Runs build/rttrace (as root: it loads BPF programs) on
 * build/tests/progs/chanprog with RT_STATS=1, so one run gives each probe's
 * count three times: librt's own on the program's stderr ("rt-stats: probe
 * NAME COUNT"), the BPF count in rttrace's JSON report on stdout, and the
 * count chanprog says its operations must produce ("chanprog: probe NAME
 * COUNT" on stdout). All three must be equal; every other probe's BPF and
 * librt counts too. The report's "channels", "select" and "timers"
 * sections must agree with the probe counts and with chanprog's tallies;
 * they are exact with --sample off (sampled, their breakdowns are
 * estimates, the probe totals exact: test_trace_counts).
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include "rtt_cmd.h"

#define TIMEOUT 600

/* The probes chanprog accounts for. */
static const enum rt_probe_id chan_probes[] = {
    RT_PROBE_ID_chansend, RT_PROBE_ID_chanrecv,	    RT_PROBE_ID_chanclose,
    RT_PROBE_ID_selectgo, RT_PROBE_ID_selectgo_ret, RT_PROBE_ID_addtimer,
    RT_PROBE_ID_deltimer, RT_PROBE_ID_modtimer,	    RT_PROBE_ID_runtimer,
};
#define NCHAN_PROBES (sizeof(chan_probes) / sizeof(chan_probes[0]))

struct traced {
	struct run r;
	long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM], prog[RT_PROBE_NUM];
	const char *json, *json_end; /* the report */
	long long sends, recvs, closed_recvs, closes, selects, select_defaults,
	    timers;
};

/* prog_counts parses chanprog's "chanprog: probe NAME COUNT" lines. */
static void prog_counts(const char *text, long long counts[RT_PROBE_NUM])
{
	const char *p = text;

	for (int i = 0; i < RT_PROBE_NUM; i++)
		counts[i] = -1;
	while ((p = strstr(p, "chanprog: probe "))) {
		char name[64];
		long long c;

		ck_assert_msg(
		    sscanf(p, "chanprog: probe %63s %lld", name, &c) == 2,
		    "bad line: %.60s", p);
		for (int i = 0; i < RT_PROBE_NUM; i++)
			if (strcmp(name, probe_names[i]) == 0)
				counts[i] = c;
		p++;
	}
}

/* trace_chanprog runs rttrace trace --json on chanprog, parses all sides. */
static void trace_chanprog(struct traced *t)
{
	const char *line;

	/* every event: the sections' breakdowns (buffered, closed,
	 * outcomes) are exact only then; sampled they are estimates */
	t->r = rtt_trace_json_sample("tests/progs/chanprog", "off", t->bpf,
				     t->own);
	prog_counts(t->r.out, t->prog);
	t->json = json_report(t->r.out, &t->json_end);
	line = strstr(t->r.out, "chanprog: sends=");
	ck_assert_msg(line != NULL, "no chanprog summary:\n%s", t->r.out);
	ck_assert_int_eq(sscanf(line,
				"chanprog: sends=%lld recvs=%lld "
				"closed_recvs=%lld closes=%lld selects=%lld "
				"select_defaults=%lld timers=%lld",
				&t->sends, &t->recvs, &t->closed_recvs,
				&t->closes, &t->selects, &t->select_defaults,
				&t->timers),
			 7);
}

START_TEST(test_every_probe_count_equals_librts_own_count)
{
	static struct traced t;

	trace_chanprog(&t);
	check_counts_equal(&t.r, t.bpf, t.own);
	run_free(&t.r);
}
END_TEST

START_TEST(test_channel_select_and_timer_probes_count_exactly_what_chanprog_did)
{
	static struct traced t;

	trace_chanprog(&t);
	for (size_t k = 0; k < NCHAN_PROBES; k++) {
		int i = chan_probes[k];

		ck_assert_msg(t.prog[i] > 0,
			      "chanprog printed no count for probe %s:\n%s",
			      probe_names[i], t.r.out);
		ck_assert_msg(t.own[i] == t.prog[i],
			      "probe %s: librt counted %lld, chanprog's "
			      "operations make %lld",
			      probe_names[i], t.own[i], t.prog[i]);
		ck_assert_msg(t.bpf[i] == t.prog[i],
			      "probe %s: rttrace counted %lld, chanprog's "
			      "operations make %lld",
			      probe_names[i], t.bpf[i], t.prog[i]);
	}
	/* the tallies are the probe counts they claim to be */
	ck_assert_int_eq(t.prog[RT_PROBE_ID_chansend], t.sends);
	ck_assert_int_eq(t.prog[RT_PROBE_ID_chanrecv], t.recvs);
	ck_assert_int_eq(t.prog[RT_PROBE_ID_chanclose], t.closes);
	ck_assert_int_eq(t.prog[RT_PROBE_ID_selectgo], t.selects);
	ck_assert_int_eq(t.prog[RT_PROBE_ID_addtimer], t.timers);
	run_free(&t.r);
}
END_TEST

START_TEST(test_channel_select_and_timer_report_sections_agree_with_the_counts)
{
	static struct traced t;
	const char *ch, *ch_end, *o, *o_end, *sel, *sel_end, *tm, *tm_end;
	long long sum = 0;

	trace_chanprog(&t);

	ch = json_member_object(t.json, t.json_end, "channels", &ch_end);
	ck_assert_msg(ch != NULL, "no \"channels\" object in the JSON:\n%s",
		      t.json);
	o = json_member_object(ch, ch_end, "sends", &o_end);
	ck_assert_msg(o != NULL, "no channels.sends");
	ck_assert_msg(json_member_uint(o, o_end, "count") == t.sends,
		      "channels.sends.count %lld, chanprog sent %lld",
		      json_member_uint(o, o_end, "count"), t.sends);
	o = json_member_object(ch, ch_end, "receives", &o_end);
	ck_assert_msg(o != NULL, "no channels.receives");
	ck_assert_msg(json_member_uint(o, o_end, "count") == t.recvs,
		      "channels.receives.count %lld, chanprog received %lld",
		      json_member_uint(o, o_end, "count"), t.recvs);
	ck_assert_msg(json_member_uint(o, o_end, "closed") == t.closed_recvs,
		      "channels.receives.closed %lld, chanprog's receives "
		      "that saw a close: %lld",
		      json_member_uint(o, o_end, "closed"), t.closed_recvs);
	ck_assert_msg(json_member_uint(ch, ch_end, "closes") == t.closes,
		      "channels.closes %lld, chanprog closed %lld",
		      json_member_uint(ch, ch_end, "closes"), t.closes);

	sel = json_member_object(t.json, t.json_end, "select", &sel_end);
	ck_assert_msg(sel != NULL, "no top-level \"select\" object:\n%s",
		      t.json);
	ck_assert_msg(json_member_uint(sel, sel_end, "count") == t.selects &&
			  json_member_uint(sel, sel_end, "returned") ==
			      t.selects,
		      "select.count %lld returned %lld, chanprog made %lld",
		      json_member_uint(sel, sel_end, "count"),
		      json_member_uint(sel, sel_end, "returned"), t.selects);
	ck_assert_msg(
	    json_member_uint(sel, sel_end, "with_default") == t.select_defaults,
	    "select.with_default %lld, chanprog made %lld",
	    json_member_uint(sel, sel_end, "with_default"), t.select_defaults);
	o = json_member_object(sel, sel_end, "outcomes", &o_end);
	ck_assert_msg(o != NULL, "no select.outcomes");
	ck_assert_msg(json_member_uint(o, o_end, "default") ==
			  t.select_defaults,
		      "select.outcomes.default %lld, chanprog's selects "
		      "that took the default %lld",
		      json_member_uint(o, o_end, "default"), t.select_defaults);
	{
		static const char *const outcomes[] = {
		    "case_ready", "case_blocked", "default"};

		for (size_t i = 0; i < 3; i++) {
			long long v = json_member_uint(o, o_end, outcomes[i]);

			ck_assert_msg(v >= 0, "no select.outcomes.%s",
				      outcomes[i]);
			sum += v;
		}
	}
	ck_assert_msg(sum == t.selects,
		      "select.outcomes sum to %lld, %lld selects returned", sum,
		      t.selects);

	tm = json_member_object(t.json, t.json_end, "timers", &tm_end);
	ck_assert_msg(tm != NULL, "no top-level \"timers\" object:\n%s",
		      t.json);
	ck_assert_msg(
	    json_member_uint(tm, tm_end, "added") ==
		    t.prog[RT_PROBE_ID_addtimer] &&
		json_member_uint(tm, tm_end, "deleted") ==
		    t.prog[RT_PROBE_ID_deltimer] &&
		json_member_uint(tm, tm_end, "modified") ==
		    t.prog[RT_PROBE_ID_modtimer] &&
		json_member_uint(tm, tm_end, "run") ==
		    t.prog[RT_PROBE_ID_runtimer],
	    "timers added %lld deleted %lld modified %lld run %lld; "
	    "chanprog made %lld, %lld, %lld, %lld",
	    json_member_uint(tm, tm_end, "added"),
	    json_member_uint(tm, tm_end, "deleted"),
	    json_member_uint(tm, tm_end, "modified"),
	    json_member_uint(tm, tm_end, "run"), t.prog[RT_PROBE_ID_addtimer],
	    t.prog[RT_PROBE_ID_deltimer], t.prog[RT_PROBE_ID_modtimer],
	    t.prog[RT_PROBE_ID_runtimer]);
	/* the heap lengths the probes carried: some timer was in a heap,
	 * and never more than chanprog ever added */
	o = json_member_object(tm, tm_end, "heap", &o_end);
	ck_assert_msg(o != NULL, "no timers.heap");
	ck_assert_msg(json_member_uint(o, o_end, "max") >= 1,
		      "timers.heap.max %lld with %lld timers added",
		      json_member_uint(o, o_end, "max"), t.timers);
	ck_assert_msg(json_member_uint(o, o_end, "max") <= t.timers,
		      "timers.heap.max %lld, more than the %lld timers added",
		      json_member_uint(o, o_end, "max"), t.timers);
	run_free(&t.r);
}
END_TEST

static Suite *trace_chan_suite(void)
{
	Suite *s = suite_create("trace_chan");
	TCase *tc;

	tc = tcase_create("channels");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_every_probe_count_equals_librts_own_count);
	tcase_add_test(
	    tc,
	    test_channel_select_and_timer_probes_count_exactly_what_chanprog_did);
	tcase_add_test(
	    tc,
	    test_channel_select_and_timer_report_sections_agree_with_the_counts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_main("test_trace_chan", trace_chan_suite);
}

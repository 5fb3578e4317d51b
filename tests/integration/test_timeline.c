/*
 * test_timeline.c — `rttrace trace --timeline FILE.json` writes a
 * Chrome/Perfetto trace that parses, nests and counts what librt did.
 *
 * Each test traces a librt program from exec with RT_STATS=1 and reads
 * the trace back with the small JSON parser below (no python, no library:
 * the test checks the file is JSON by parsing all of it), then checks:
 *
 *   - it is one JSON object with "traceEvents", every event has ph, pid,
 *     tid; the process is named "rttrace PID"; tracks P0.. and M tid are
 *     named;
 *   - per track, timestamps never go back, every B has its E (a stack per
 *     track, empty at the end), X events have dur >= 0;
 *   - every flow finish ("f") has its start ("s") earlier, same id;
 *   - goroutine slices are named "G<goid> <entry function>", and every
 *     goroutine librt created (newproc's count) shows up in the analysis;
 *   - the number of "STW (reason)" spans per reason equals librt's own
 *     count of stops (RT_STATS=1's "rt-stats: stw REASON COUNT"), and the
 *     GC spans equal its GC cycles (gc_done's count);
 *   - events lost in the ring buffer are counted in the file and warned
 *     about with the fix (--ringbuf-size), never silent: a run with a
 *     one-page buffer must lose events and say so, and its file must
 *     still nest.
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include <ctype.h>
#include <math.h>

#include "rtt_cmd.h"

#define TIMEOUT 600

/* ---- a small JSON parser ------------------------------------------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype t;
	double num;
	bool b;
	char *str;	    /* J_STR */
	size_t n;	    /* J_ARR, J_OBJ: items */
	struct jval *items; /* J_ARR, J_OBJ */
	char **keys;	    /* J_OBJ */
};

struct jparser {
	const char *p, *end;
	const char *err;
};

static void jskip(struct jparser *j)
{
	while (j->p < j->end && isspace((unsigned char)*j->p))
		j->p++;
}

static bool jfail(struct jparser *j, const char *why)
{
	if (!j->err)
		j->err = why;
	return false;
}

static bool jvalue(struct jparser *j, struct jval *v);

static bool jstring(struct jparser *j, char **out)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap);

	if (*j->p != '"')
		return jfail(j, "expected a string");
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		char c = *j->p++;

		if ((unsigned char)c < 0x20) {
			free(s);
			return jfail(j, "control character in a string");
		}
		if (c == '\\') {
			if (j->p >= j->end) {
				free(s);
				return jfail(j, "bad escape");
			}
			c = *j->p++;
			switch (c) {
			case '"':
			case '\\':
			case '/':
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'u':
				for (int i = 0; i < 4; i++)
					if (j->p >= j->end ||
					    !isxdigit((unsigned char)*j->p++)) {
						free(s);
						return jfail(j, "bad \\u");
					}
				c = '?';
				break;
			default:
				free(s);
				return jfail(j, "bad escape");
			}
		}
		if (n + 2 > cap)
			s = realloc(s, cap *= 2);
		s[n++] = c;
	}
	if (j->p >= j->end) {
		free(s);
		return jfail(j, "unterminated string");
	}
	j->p++;
	s[n] = 0;
	*out = s;
	return true;
}

static bool jnumber(struct jparser *j, struct jval *v)
{
	const char *s = j->p;
	char *end;

	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return jfail(j, "bad number");
	v->t = J_NUM;
	v->num = strtod(j->p, &end);
	j->p = end;
	return true;
}

static bool jlist(struct jparser *j, struct jval *v, bool obj)
{
	size_t cap = 8;

	v->t = obj ? J_OBJ : J_ARR;
	v->items = calloc(cap, sizeof(*v->items));
	v->keys = obj ? calloc(cap, sizeof(*v->keys)) : NULL;
	j->p++;
	jskip(j);
	if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
		j->p++;
		return true;
	}
	for (;;) {
		if (v->n == cap) {
			cap *= 2;
			v->items = realloc(v->items, cap * sizeof(*v->items));
			if (obj)
				v->keys =
				    realloc(v->keys, cap * sizeof(*v->keys));
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		jskip(j);
		if (obj) {
			if (j->p >= j->end || !jstring(j, &v->keys[v->n]))
				return jfail(j, "expected a key");
			jskip(j);
			if (j->p >= j->end || *j->p != ':')
				return jfail(j, "expected ':'");
			j->p++;
		}
		if (!jvalue(j, &v->items[v->n]))
			return false;
		v->n++;
		jskip(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
			j->p++;
			return true;
		}
		return jfail(j, obj ? "expected ',' or '}'"
				    : "expected ',' or ']'");
	}
}

static bool jvalue(struct jparser *j, struct jval *v)
{
	jskip(j);
	if (j->p >= j->end)
		return jfail(j, "unexpected end");
	switch (*j->p) {
	case '{':
		return jlist(j, v, true);
	case '[':
		return jlist(j, v, false);
	case '"':
		v->t = J_STR;
		return jstring(j, &v->str);
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = {"true", "false", "null"};

		for (int i = 0; i < 3; i++) {
			size_t l = strlen(lit[i]);

			if ((size_t)(j->end - j->p) >= l &&
			    strncmp(j->p, lit[i], l) == 0) {
				j->p += l;
				v->t = i == 2 ? J_NULL : J_BOOL;
				v->b = i == 0;
				return true;
			}
		}
		return jfail(j, "bad literal");
	}
	default:
		return jnumber(j, v);
	}
}

static void jfree(struct jval *v)
{
	free(v->str);
	for (size_t i = 0; i < v->n; i++) {
		jfree(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
}

/* jparse parses all of text (nothing but blanks may follow the value). */
static struct jval jparse(const char *text, size_t len)
{
	struct jparser j = {.p = text, .end = text + len};
	struct jval v = {0};
	bool ok = jvalue(&j, &v);

	jskip(&j);
	ck_assert_msg(ok && j.p == j.end,
		      "the timeline is not JSON: %s at byte %zu of %zu",
		      j.err ? j.err : "trailing text", (size_t)(j.p - text),
		      len);
	return v;
}

static const struct jval *jget(const struct jval *o, const char *key)
{
	if (!o || o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->items[i];
	return NULL;
}

static const char *jstr(const struct jval *o, const char *key)
{
	const struct jval *v = jget(o, key);

	return v && v->t == J_STR ? v->str : NULL;
}

static double jnum(const struct jval *o, const char *key)
{
	const struct jval *v = jget(o, key);

	return v && v->t == J_NUM ? v->num : NAN;
}

/* ---- running rttrace --------------------------------------------------- */

static char *slurp_path(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	char *s;

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	s = slurp_fd(fd);
	*len = strlen(s);
	return s;
}

/*
 * trace_timeline runs `rttrace trace --json --timeline FILE [extra] --
 * PROG ARGS` with RT_STATS=1 and returns the run; *file gets FILE's path
 * (unlink and free it).
 */
static struct run trace_timeline(const char *prog_rel, char *const pargs[],
				 const char *extra, char **file)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path(prog_rel);
	char name[] = "/tmp/rttrace-timeline-XXXXXX.json";
	char *argv[16];
	int n = 0, fd;
	struct run r;

	fd = mkstemps(name, 5);
	ck_assert_msg(fd >= 0, "mkstemps: %s", strerror(errno));
	close(fd);
	require_file(rttrace);
	require_file(prog);
	argv[n++] = rttrace;
	argv[n++] = "trace";
	argv[n++] = "--json";
	argv[n++] = "--no-profile";
	argv[n++] = "--timeline";
	argv[n++] = name;
	if (extra) {
		argv[n++] = "--ringbuf-size";
		argv[n++] = (char *)extra;
	}
	argv[n++] = "--";
	argv[n++] = prog;
	for (int i = 0; pargs && pargs[i]; i++)
		argv[n++] = pargs[i];
	argv[n] = NULL;
	r = run_cmd(argv, true);
	check_exited_ok(&r);
	*file = strdup(name);
	free(rttrace);
	free(prog);
	return r;
}

/* ---- what a trace must be ---------------------------------------------- */

#define MAX_TRACKS 4096
#define MAX_DEPTH  16

struct track {
	double tid;
	double last_ts;
	int depth;
	const char *open[MAX_DEPTH]; /* names of the open B slices */
	long long slices;
};

struct summary {
	long long stw[RTT_STW_REASONS]; /* STW spans per reason */
	long long gc;			/* GC spans */
	long long slices;		/* B events on P tracks */
	long long flows_s, flows_f;
	long long parks, unparks;
	long long dropped;
	int ps, ms; /* named P and M tracks */
	bool goroutine_counter, heap_counter;
};

static struct track *track_of(struct track *t, int *nt, double tid)
{
	for (int i = 0; i < *nt; i++)
		if (t[i].tid == tid)
			return &t[i];
	ck_assert_int_lt(*nt, MAX_TRACKS);
	memset(&t[*nt], 0, sizeof(t[0]));
	t[*nt].tid = tid;
	t[*nt].last_ts = -INFINITY;
	return &t[(*nt)++];
}

static int stw_reason_of(const char *name)
{
	for (int i = 0; i < RTT_STW_REASONS; i++) {
		char want[80];

		snprintf(want, sizeof(want), "STW (%s)", stw_reason_names[i]);
		if (strcmp(name, want) == 0)
			return i;
	}
	return -1;
}

/* is_p_track says whether tid is named "P<n>" in names (tid, name). */
static bool named(const struct jval *evs, double tid, const char *prefix)
{
	for (size_t i = 0; i < evs->n; i++) {
		const struct jval *e = &evs->items[i];
		const char *ph = jstr(e, "ph"), *nm = jstr(e, "name");
		const char *tn = jstr(jget(e, "args"), "name");

		if (ph && strcmp(ph, "M") == 0 && nm &&
		    strcmp(nm, "thread_name") == 0 && jnum(e, "tid") == tid &&
		    tn && strncmp(tn, prefix, strlen(prefix)) == 0)
			return true;
	}
	return false;
}

/*
 * check_trace parses the file and checks everything that holds whatever
 * the program did; it fills s for the checks that depend on the program.
 */
static void check_trace(const char *path, long pid, struct summary *s)
{
	static struct track tracks[MAX_TRACKS];
	size_t len, nflows = 0, flowcap = 1024;
	double *flow_ids = malloc(flowcap * sizeof(double));
	char *text = slurp_path(path, &len);
	struct jval root = jparse(text, len);
	const struct jval *evs = jget(&root, "traceEvents");
	const struct jval *other = jget(&root, "otherData");
	char pname[64];
	bool process_named = false;
	int nt = 0;

	memset(s, 0, sizeof(*s));
	ck_assert_msg(root.t == J_OBJ, "the timeline is not a JSON object");
	ck_assert_msg(evs && evs->t == J_ARR && evs->n > 0,
		      "no traceEvents array in %s", path);
	ck_assert_msg(other && !isnan(jnum(other, "dropped")),
		      "otherData.dropped missing");
	s->dropped = (long long)jnum(other, "dropped");
	snprintf(pname, sizeof(pname), "rttrace %ld", pid);

	for (size_t i = 0; i < evs->n; i++) {
		const struct jval *e = &evs->items[i];
		const char *ph = jstr(e, "ph"), *name = jstr(e, "name");
		double tid = jnum(e, "tid"), ts = jnum(e, "ts");
		struct track *t;

		ck_assert_msg(e->t == J_OBJ && ph && strlen(ph) == 1,
			      "event %zu: no ph", i);
		ck_assert_msg(jnum(e, "pid") == pid,
			      "event %zu: pid %g, want %ld", i, jnum(e, "pid"),
			      pid);
		ck_assert_msg(!isnan(tid), "event %zu: no tid", i);
		if (*ph == 'M') {
			const char *an = jstr(jget(e, "args"), "name");

			ck_assert_ptr_nonnull(name);
			if (strcmp(name, "process_name") == 0)
				process_named = an && strcmp(an, pname) == 0;
			if (strcmp(name, "thread_name") == 0 && an) {
				s->ps += an[0] == 'P' && isdigit(an[1]);
				s->ms += strncmp(an, "M tid ", 6) == 0;
			}
			continue;
		}
		ck_assert_msg(!isnan(ts) && ts >= 0, "event %zu: bad ts", i);
		if (*ph == 'C') {
			ck_assert_ptr_nonnull(name);
			s->goroutine_counter |= strcmp(name, "Goroutines") == 0;
			s->heap_counter |= strcmp(name, "Heap") == 0;
			continue;
		}
		t = track_of(tracks, &nt, tid);
		ck_assert_msg(ts >= t->last_ts,
			      "track %g: ts %.3f after %.3f (event %zu)", tid,
			      ts, t->last_ts, i);
		t->last_ts = ts;
		switch (*ph) {
		case 'B':
			ck_assert_msg(name != NULL, "event %zu: B without name",
				      i);
			ck_assert_msg(t->depth < MAX_DEPTH,
				      "track %g: slices nest too deep", tid);
			t->open[t->depth++] = name;
			t->slices++;
			if (strcmp(name, "GC") == 0)
				s->gc++;
			else if (strncmp(name, "STW (", 5) == 0) {
				int r = stw_reason_of(name);

				ck_assert_msg(r >= 0, "unknown STW span %s",
					      name);
				s->stw[r]++;
			} else if (name[0] == 'G' && isdigit(name[1]) &&
				   strchr(name, ' ')) {
				s->slices++;
			}
			break;
		case 'E':
			ck_assert_msg(t->depth > 0,
				      "track %g: E at %.3f with no open B", tid,
				      ts);
			t->depth--;
			break;
		case 'X':
			ck_assert_msg(jnum(e, "dur") >= 0,
				      "event %zu: X with dur < 0", i);
			break;
		case 'i':
			ck_assert_ptr_nonnull(name);
			s->parks += strcmp(name, "park") == 0;
			s->unparks += strncmp(name, "unpark G", 8) == 0;
			if (strcmp(name, "park") == 0)
				ck_assert_msg(jstr(jget(e, "args"), "reason"),
					      "park without a reason");
			break;
		case 's':
			if (nflows == flowcap)
				flow_ids = realloc(
				    flow_ids, (flowcap *= 2) * sizeof(double));
			flow_ids[nflows++] = jnum(e, "id");
			s->flows_s++;
			ck_assert_msg(t->depth > 0,
				      "flow start outside any slice");
			break;
		case 'f': {
			double id = jnum(e, "id");
			bool found = false;

			/* the most recent starts are the likely ones */
			for (size_t k = nflows; k-- > 0 && !found;)
				found = flow_ids[k] == id;
			ck_assert_msg(found, "flow finish %g without a start",
				      id);
			ck_assert_msg(t->depth > 0,
				      "flow finish outside any slice");
			s->flows_f++;
			break;
		}
		default:
			ck_abort_msg("event %zu: unexpected ph %s", i, ph);
		}
	}
	ck_assert_msg(process_named, "no process_name \"%s\"", pname);
	for (int i = 0; i < nt; i++) {
		ck_assert_msg(tracks[i].depth == 0,
			      "track %g ends with %d slices open (%s)",
			      tracks[i].tid, tracks[i].depth,
			      tracks[i].open[tracks[i].depth - 1]);
		ck_assert_msg(named(evs, tracks[i].tid, ""),
			      "track %g has no thread_name", tracks[i].tid);
	}
	free(flow_ids);
	jfree(&root);
	free(text);
}

/* report_analysis returns the report's goroutine_analysis object. */
static const char *report_analysis(const char *out, const char **aend)
{
	const char *start, *end, *a;

	start = json_report(out, &end);
	a = json_object_at(start, end, "goroutine_analysis", aend);
	ck_assert_msg(a != NULL, "no goroutine_analysis in the report:\n%s",
		      start);
	return a;
}

/* ---- the tests ----------------------------------------------------------- */

/*
 * chanprog: goroutines that park on channels, selects and timers. Every
 * goroutine librt created is in the analysis, the slices nest, every
 * park has a reason, unparks draw arrows to the next start.
 */
START_TEST(timeline_chanprog_nests_and_counts)
{
	long long own[RT_PROBE_NUM];
	struct summary s;
	const char *a, *aend;
	char *file;
	struct run r =
	    trace_timeline("tests/progs/chanprog", NULL, NULL, &file);
	const char *start, *end;
	long pid;

	rt_stats_counts(r.err, own);
	start = json_report(r.out, &end);
	pid = (long)json_uint_at(start, end, "pid");
	ck_assert_msg(pid > 0, "no pid in the report");
	check_trace(file, pid, &s);

	if (s.dropped) {
		ck_assert_msg(strstr(r.err, "--ringbuf-size"),
			      "%lld events dropped without the warning:\n%s",
			      s.dropped, r.err);
		goto out;
	}
	ck_assert_int_ge(s.ps, 2); /* chanprog runs on two Ps */
	ck_assert_int_ge(s.ms, 2);
	ck_assert_msg(s.slices >= own[RT_PROBE_ID_gopark],
		      "%lld goroutine slices for %lld parks", s.slices,
		      own[RT_PROBE_ID_gopark]);
	ck_assert_msg(s.parks > 0 && s.parks <= own[RT_PROBE_ID_gopark],
		      "%lld park instants, librt parked %lld times", s.parks,
		      own[RT_PROBE_ID_gopark]);
	ck_assert_msg(s.unparks > 0 && s.flows_s > 0 && s.flows_f > 0,
		      "no unpark arrows (unparks %lld, s %lld, f %lld)",
		      s.unparks, s.flows_s, s.flows_f);
	ck_assert(s.goroutine_counter);

	a = report_analysis(r.out, &aend);
	ck_assert_int_eq(json_uint_at(a, aend, "goroutines"),
			 own[RT_PROBE_ID_newproc]);
	ck_assert_int_eq(json_uint_at(a, aend, "dropped"), 0);
	/* creation sites are chanprog's own functions, symbolized */
	ck_assert_msg(memmem(a, (size_t)(aend - a), "\"send_and_close\"", 16),
		      "send_and_close is not a creation site:\n%.*s",
		      (int)(aend - a), a);
	ck_assert_msg(memmem(a, (size_t)(aend - a), "\"feed_two\"", 10),
		      "feed_two is not a creation site");
	ck_assert_msg(memmem(a, (size_t)(aend - a), "\"chan receive\"", 14),
		      "no chan receive block time in the analysis");
out:
	unlink(file);
	free(file);
	run_free(&r);
}
END_TEST

/*
 * churn: GCs by heap goal and forced, read-memstats and test stops. The
 * STW spans per reason equal librt's own count of stops, and the GC
 * spans its cycles.
 */
START_TEST(timeline_stw_spans_equal_librt_stops)
{
	long long own[RT_PROBE_NUM], stw[RTT_STW_REASONS];
	char *pargs[] = {"64", NULL};
	struct summary s;
	char *file;
	struct run r = trace_timeline("tests/progs/churn", pargs, NULL, &file);
	const char *start, *end;
	long long total = 0;

	rt_stats_counts(r.err, own);
	rt_stats_stw(r.err, stw);
	start = json_report(r.out, &end);
	check_trace(file, (long)json_uint_at(start, end, "pid"), &s);
	ck_assert_msg(s.dropped == 0 || strstr(r.err, "--ringbuf-size"),
		      "%lld events dropped without the warning", s.dropped);
	if (s.dropped)
		goto out;
	for (int i = 0; i < RTT_STW_REASONS; i++) {
		ck_assert_msg(s.stw[i] == stw[i],
			      "STW (%s): %lld spans, librt stopped %lld times",
			      stw_reason_names[i], s.stw[i], stw[i]);
		total += stw[i];
	}
	ck_assert_msg(total > 0, "churn stopped the world 0 times");
	ck_assert_msg(s.gc == own[RT_PROBE_ID_gc_done],
		      "%lld GC spans, librt ran %lld cycles", s.gc,
		      own[RT_PROBE_ID_gc_done]);
	ck_assert(s.heap_counter);
out:
	unlink(file);
	free(file);
	run_free(&r);
}
END_TEST

/*
 * A one-page ring buffer cannot hold 50 ms of chanprog: events are lost,
 * and rttrace must count them in the file and the report and say how to
 * fix it; the file it writes must still nest.
 */
START_TEST(timeline_drops_are_reported)
{
	struct summary s;
	const char *a, *aend, *start, *end;
	char *file;
	struct run r =
	    trace_timeline("tests/progs/chanprog", NULL, "4096", &file);

	start = json_report(r.out, &end);
	check_trace(file, (long)json_uint_at(start, end, "pid"), &s);
	ck_assert_msg(s.dropped > 0, "a 4 KiB ring buffer lost nothing");
	ck_assert_msg(strstr(r.err, "events lost") &&
			  strstr(r.err, "--ringbuf-size"),
		      "no warning with the fix:\n%s", r.err);
	a = report_analysis(r.out, &aend);
	ck_assert_int_eq(json_uint_at(a, aend, "dropped"), s.dropped);
	unlink(file);
	free(file);
	run_free(&r);
}
END_TEST

/* --goroutines alone: the analysis in the text report, no file. */
START_TEST(goroutines_flag_prints_the_analysis)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/chanprog");
	char *argv[] = {rttrace, "trace", "--no-profile", "--goroutines", "--",
			prog,	 NULL};
	struct run r;

	require_file(rttrace);
	r = run_cmd(argv, false);
	check_exited_ok(&r);
	ck_assert_msg(strstr(r.out, "goroutine analysis:") &&
			  strstr(r.out, "send_and_close") &&
			  strstr(r.out, "blocked by reason:"),
		      "no goroutine analysis table:\n%s", r.out);
	ck_assert_msg(!strstr(r.err, "written to"),
		      "--goroutines wrote a file:\n%s", r.err);
	run_free(&r);
	free(rttrace);
	free(prog);
}
END_TEST

static Suite *timeline_suite(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("trace");

	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, timeline_chanprog_nests_and_counts);
	tcase_add_test(tc, timeline_stw_spans_equal_librt_stops);
	tcase_add_test(tc, timeline_drops_are_reported);
	tcase_add_test(tc, goroutines_flag_prints_the_analysis);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_main("test_timeline", timeline_suite);
}

/*
 * signatures.c — the seed's §16 signatures, computed from what rttrace
 * gathered:
 *
 *   from CPU samples (share of samples whose stack holds the function, as
 *   pprof's "cum" column; a sample counts once however often it appears):
 *     mallocgc > 5 %          ex09, ex11   rt_mallocgc (malloc.c)
 *     chansend > 2 %          ex01         rt_chan_send, chansend (chan.c)
 *     chanrecv > 2 %          ex01         rt_chan_recv, chanrecv
 *     selectgo > 2 %          ex02         rt_select, selectgo (select.c)
 *     deferreturn on a stack  ex04         rt_deferreturn_frame (panic.c)
 *     GC mark workers > 10 %  ex06         gcdrain, gcmarkworker (mgcmark.c)
 *   from probe events (exact):
 *     gopark per wait reason, and Gosched, by rate  ex01, ex02, ex07 …
 *   from the STW histogram of mem.bpf.c:
 *     STW pauses > 100 us per reason   ex06, ex13, ex14
 *
 * The names are librt's, with Go's where librt keeps a static function of
 * that name: the symbolizer names inlined calls too, so chansend inlined
 * into rt_chan_send is seen either way.
 *
 * librt's GC marks with the world stopped (mgcmark.c), unlike Go's
 * concurrent gcBgMarkWorker: its mark-worker share is time every
 * goroutine spent stopped, and shows in the STW rows as well.
 *
 * The seed names no threshold for "gopark with the wrong reason at the
 * wrong frequency"; rttrace marks a wait reason (and Gosched) above
 * SIG_PARK_PER_S: at ~1 us of park and ready per event that is 1 % of a
 * CPU.
 *
 * The STW histogram has log2 slots, so "over 100 us" is exact except for
 * the slot holding 100 us itself: its pauses are reported as possibly
 * over, and the row is marked only for pauses certainly over.
 */
#include <string.h>

#include "rt.h"
#include "signatures.h"
#include "waitreason.h"

static const char *const mallocgc_fns[] = {"rt_mallocgc", "mallocgc", NULL};
static const char *const chansend_fns[] = {
    "rt_chan_send", "rt_chan_trysend", "chan_send_nb_from_runtime", "chansend",
    NULL,
};
static const char *const chanrecv_fns[] = {"rt_chan_recv", "rt_chan_tryrecv",
					   "chanrecv", NULL};
static const char *const selectgo_fns[] = {"rt_select", "selectgo", NULL};
static const char *const deferreturn_fns[] = {
    "rt_deferreturn_frame", "rt_deferreturn_open", "deferreturn", NULL};
static const char *const mark_fns[] = {
    "gcmarkworker", "gcdrain",	  "drain_w",	"scanblock",
    "scanblock_w",  "gcmark_all", "greyobject", NULL,
};

struct sample_sig {
	const char *name;
	const char *const *fns;
	double threshold;
	const char *threshold_text;
	bool present_is_enough;
	const char *exercises;
};

static const struct sample_sig sample_sigs[] = {
    {"mallocgc", mallocgc_fns, SIG_MALLOCGC_PCT, "> 5 %", false, "ex09, ex11"},
    {"chansend", chansend_fns, SIG_CHAN_PCT, "> 2 %", false, "ex01"},
    {"chanrecv", chanrecv_fns, SIG_CHAN_PCT, "> 2 %", false, "ex01"},
    {"selectgo", selectgo_fns, SIG_SELECTGO_PCT, "> 2 %", false, "ex02"},
    {"deferreturn", deferreturn_fns, 0, "on a stack", true, "ex04"},
    {"GC mark workers", mark_fns, SIG_MARK_PCT, "> 10 %", false, "ex06"},
};

bool stack_has(const struct profile_stack *st, const char *const *names)
{
	for (size_t i = 0; i < st->nframes; i++) {
		const char *fn = st->frames[i].name;

		if (!fn || st->frames[i].kernel)
			continue;
		for (const char *const *n = names; *n; n++)
			if (!strcmp(fn, *n))
				return true;
	}
	return false;
}

static struct sig_row *add_row(struct sig_table *t)
{
	if (t->n == SIG_MAX_ROWS)
		return NULL;
	memset(&t->rows[t->n], 0, sizeof(t->rows[0]));
	return &t->rows[t->n++];
}

static void sample_rows(struct sig_table *t, const struct profile_result *p)
{
	for (size_t i = 0; i < sizeof(sample_sigs) / sizeof(sample_sigs[0]);
	     i++) {
		const struct sample_sig *sg = &sample_sigs[i];
		struct sig_row *r = add_row(t);

		if (!r)
			return;
		snprintf(r->name, sizeof(r->name), "%s", sg->name);
		r->source = SIG_SAMPLES;
		r->threshold = sg->threshold;
		r->threshold_text = sg->threshold_text;
		r->present_is_enough = sg->present_is_enough;
		r->exercises = sg->exercises;
		if (!p)
			continue;
		r->total = p->samples;
		for (size_t s = 0; s < p->nstacks; s++)
			if (stack_has(&p->stacks[s], sg->fns))
				r->hits += p->stacks[s].count;
		r->value = p->samples ? 100.0 * r->hits / p->samples : 0;
		r->crossed = sg->present_is_enough ? r->hits > 0
						   : r->value > sg->threshold;
	}
}

/* park_exercises names the exercise a wait reason's pattern matches. */
static const char *park_exercises(unsigned int reason)
{
	switch (reason) {
	case RT_WAIT_CHAN_SEND:
	case RT_WAIT_CHAN_RECEIVE:
		return "ex01";
	case RT_WAIT_SELECT:
		return "ex02, ex03";
	case RT_WAIT_PREEMPTED:
		return "ex07";
	case RT_WAIT_SYNC_WAITGROUP_WAIT:
		return "ex05";
	case RT_WAIT_GARBAGE_COLLECTION:
	case RT_WAIT_WAIT_FOR_GC_CYCLE:
	case RT_WAIT_FORCE_GC_IDLE:
		return "ex06";
	case RT_WAIT_FINALIZER_WAIT:
		return "ex10";
	default:
		return "";
	}
}

static void event_rows(struct sig_table *t, const struct sig_input *in)
{
	struct sig_row *r;

	if (in->parks) {
		for (unsigned int i = 0; i < SCHED_WAIT_HISTS; i++) {
			const char *s = waitreason_str(i);

			if (!in->parks[i])
				continue;
			r = add_row(t);
			if (!r)
				return;
			snprintf(r->name, sizeof(r->name), "gopark (%s)",
				 s ? (*s ? s : "no reason") : "bad reason");
			r->source = SIG_EVENTS;
			r->hits = in->parks[i];
			r->value = in->wall_s > 0 ? r->hits / in->wall_s : 0;
			r->threshold = SIG_PARK_PER_S;
			r->threshold_text = "> 10k/s";
			r->crossed = r->value > r->threshold;
			r->exercises = park_exercises(i);
		}
	}
	r = add_row(t);
	if (!r)
		return;
	snprintf(r->name, sizeof(r->name), "Gosched");
	r->source = SIG_EVENTS;
	r->hits = in->gosched;
	r->value = in->wall_s > 0 ? r->hits / in->wall_s : 0;
	r->threshold = SIG_GOSCHED_PER_S;
	r->threshold_text = "> 10k/s";
	r->crossed = r->value > r->threshold;
	r->exercises = "ex07";
}

static const char *stw_exercises(unsigned int reason)
{
	switch (reason) {
	case RT_STW_GC_MARK_TERM:
	case RT_STW_GC_SWEEP_TERM:
		return "ex06";
	case RT_STW_READ_MEM_STATS:
		return "ex13";
	case RT_STW_ALL_GOROUTINES_STACK:
	case RT_STW_GOROUTINE_PROFILE:
		return "ex14";
	default:
		return "";
	}
}

/*
 * stw_over counts h's pauses over limit (in slot units): slot 0 holds
 * [0, 1], slot i >= 1 holds [2^i, 2^(i+1) - 1]. Pauses in the slot that
 * holds limit are only possibly over.
 */
static void stw_over(const struct log2_hist *h, uint64_t limit,
		     struct sig_row *r)
{
	for (int i = 0; i < MAX_SLOTS; i++) {
		uint64_t lo = i ? 1ull << i : 0, hi = (2ull << i) - 1;

		if (!h->slots[i])
			continue;
		r->max_high = hi;
		if (lo > limit)
			r->hits += h->slots[i];
		else if (hi > limit)
			r->possible += h->slots[i];
	}
}

static void stw_rows(struct sig_table *t, const struct sig_input *in)
{
	uint64_t limit = in->nsec ? SIG_STW_US * 1000ull : SIG_STW_US;
	bool any = false;
	struct sig_row *r;

	for (unsigned int i = 0; in->stw && i < MEM_STW_SLOTS; i++) {
		const char *s = in->stw_reason ? in->stw_reason(i) : NULL;

		if (!in->stw[i].count)
			continue;
		r = add_row(t);
		if (!r)
			return;
		any = true;
		snprintf(r->name, sizeof(r->name), "STW (%s)",
			 s ? s : "bad reason");
		r->source = SIG_STW;
		r->total = in->stw[i].count;
		stw_over(&in->stw[i], limit, r);
		r->value = r->hits;
		r->threshold = SIG_STW_US;
		r->threshold_text = in->nsec ? "> 100000 ns" : "> 100 us";
		r->crossed = r->hits > 0;
		r->exercises = stw_exercises(i);
	}
	if (any)
		return;
	r = add_row(t);
	if (!r)
		return;
	snprintf(r->name, sizeof(r->name), "STW");
	r->source = SIG_STW;
	r->threshold = SIG_STW_US;
	r->threshold_text = in->nsec ? "> 100000 ns" : "> 100 us";
	r->exercises = "ex06, ex13, ex14";
}

void sig_compute(struct sig_table *t, const struct sig_input *in)
{
	memset(t, 0, sizeof(*t));
	if (in->prof) {
		t->sampled = true;
		t->samples = in->prof->samples;
		t->lost = in->prof->lost;
		t->freq = in->prof->freq;
		t->ncpus = in->prof->ncpus;
		t->duration_s = in->prof->duration_s;
	}
	sample_rows(t, in->prof);
	event_rows(t, in);
	stw_rows(t, in);
}

/* fmt_rate writes a rate as 12.3k/s. */
static void fmt_rate(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.2fM/s", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk/s", v / 1e3);
	else
		snprintf(buf, len, "%.1f/s", v);
}

void sig_print(FILE *f, const struct sig_table *t)
{
	char val[48], detail[96];

	fprintf(f, "\nruntime signatures (seed §16):\n");
	if (t->sampled)
		fprintf(f,
			"  CPU rows are samples: %llu samples at %u Hz on %d "
			"CPUs over %.2f s, %llu lost\n",
			(unsigned long long)t->samples, t->freq, t->ncpus,
			t->duration_s, (unsigned long long)t->lost);
	else
		fprintf(f, "  CPU not sampled (--no-profile)\n");
	fprintf(f, "    %-32s %10s  %-11s %-7s %-16s %s\n", "signature",
		"value", "threshold", "crossed", "pattern", "from");
	for (int i = 0; i < t->n; i++) {
		const struct sig_row *r = &t->rows[i];

		switch (r->source) {
		case SIG_SAMPLES:
			if (!t->sampled) {
				snprintf(val, sizeof(val), "-");
				snprintf(detail, sizeof(detail), "not sampled");
				break;
			}
			snprintf(val, sizeof(val), "%.1f %%", r->value);
			snprintf(detail, sizeof(detail), "%llu of %llu samples",
				 (unsigned long long)r->hits,
				 (unsigned long long)r->total);
			break;
		case SIG_EVENTS:
			fmt_rate(val, sizeof(val), r->value);
			snprintf(detail, sizeof(detail), "%llu events",
				 (unsigned long long)r->hits);
			break;
		case SIG_STW:
			snprintf(val, sizeof(val), "%llu",
				 (unsigned long long)r->hits);
			if (r->possible)
				snprintf(detail, sizeof(detail),
					 "pauses over, of %llu (+%llu maybe); "
					 "longest <= %llu %s",
					 (unsigned long long)r->total,
					 (unsigned long long)r->possible,
					 (unsigned long long)r->max_high,
					 strstr(r->threshold_text, "ns")
					     ? "ns"
					     : "us");
			else if (r->total)
				snprintf(detail, sizeof(detail),
					 "pauses over, of %llu; longest <= "
					 "%llu %s",
					 (unsigned long long)r->total,
					 (unsigned long long)r->max_high,
					 strstr(r->threshold_text, "ns")
					     ? "ns"
					     : "us");
			else
				snprintf(detail, sizeof(detail), "no pauses");
			break;
		}
		fprintf(f, "    %-32s %10s  %-11s %-7s %-16s %s\n", r->name,
			val, r->threshold_text, r->crossed ? "YES" : "-",
			*r->exercises ? r->exercises : "-", detail);
	}
	fprintf(f, "  GC mark workers: librt marks with the world stopped, "
		   "so their share is also stop-the-world time.\n");
}

static const char *source_str(enum sig_source s)
{
	switch (s) {
	case SIG_SAMPLES:
		return "cpu_samples";
	case SIG_EVENTS:
		return "probe_events";
	default:
		return "stw_histogram";
	}
}

void sig_json(struct json *j, const struct sig_table *t)
{
	json_key(j, "signatures");
	json_object_begin(j);
	json_key(j, "sampled");
	json_bool(j, t->sampled);
	json_key(j, "samples");
	json_uint(j, t->samples);
	json_key(j, "lost");
	json_uint(j, t->lost);
	json_key(j, "freq_hz");
	json_uint(j, t->freq);
	json_key(j, "cpus");
	json_int(j, t->ncpus);
	json_key(j, "duration_s");
	json_double(j, t->duration_s);
	json_key(j, "rows");
	json_array_begin(j);
	for (int i = 0; i < t->n; i++) {
		const struct sig_row *r = &t->rows[i];
		const char *ex = r->exercises;

		json_object_begin(j);
		json_key(j, "signature");
		json_string(j, r->name);
		json_key(j, "source");
		json_string(j, source_str(r->source));
		json_key(j, "unit");
		json_string(j, r->source == SIG_SAMPLES	 ? "percent"
			       : r->source == SIG_EVENTS ? "per_s"
							 : "pauses");
		json_key(j, "value");
		if (r->source == SIG_SAMPLES && !t->sampled)
			json_null(j);
		else
			json_double(j, r->value);
		json_key(j, r->source == SIG_SAMPLES  ? "samples"
			    : r->source == SIG_EVENTS ? "events"
						      : "pauses_over");
		json_uint(j, r->hits);
		if (r->source != SIG_EVENTS) {
			json_key(j, r->source == SIG_SAMPLES ? "total_samples"
							     : "pauses");
			json_uint(j, r->total);
		}
		if (r->source == SIG_STW) {
			json_key(j, "pauses_maybe_over");
			json_uint(j, r->possible);
			json_key(j, "longest_at_most");
			json_uint(j, r->max_high);
		}
		json_key(j, "threshold");
		json_double(j, r->threshold);
		json_key(j, "threshold_text");
		json_string(j, r->threshold_text);
		json_key(j, "crossed");
		json_bool(j, r->crossed);
		json_key(j, "exercises");
		json_array_begin(j);
		/* "ex09, ex11" -> ["ex09", "ex11"] */
		while (*ex) {
			char one[16];
			size_t n = strcspn(ex, ",");

			snprintf(one, sizeof(one), "%.*s", (int)n, ex);
			json_string(j, one);
			ex += n;
			while (*ex == ',' || *ex == ' ')
				ex++;
		}
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

/*
 * report.c — `rttrace report --html FILE`: the seed's exercises, each run
 * before and after the way `rttrace run EX --variant both` runs it, on one
 * self-contained page.
 *
 * The page is the evidence of every exercise at once: a summary table of
 * all of them (ns/op before and after, the exercise's metric and its
 * ratio beside the seed's claim, the verdict, the tracing overhead), then
 * one section per exercise: the before/after table, the claim and the
 * verdict, rtwork's mechanism, the event rates that changed, the report
 * sections that show the mechanism (run.c's leads; log2 histograms drawn
 * as SVG bars), the seed's §16 signature table of both variants, and the
 * CPU flamegraphs before, after and the differential.
 *
 * Running: report takes run.c's steps (run.h) in process rather than
 * shelling out to `rttrace run --json`: run's JSON carries neither the CPU
 * samples the flamegraphs are drawn from nor the signature table, and
 * reading it back would need a JSON parser rttrace does not have. Each
 * exercise's section is rendered to memory as soon as its two variants
 * ran, and their maps and samples are freed, so memory stays one exercise
 * deep however many run. The page is written last, to a temporary
 * (opened before the first run, so a bad path fails at once) renamed over
 * FILE (output.h), so a reader never sees half a page; after Ctrl-C it
 * still holds the exercises that finished, and says it was interrupted.
 *
 * Self-contained: inline CSS, the histograms as inline <svg> drawn here,
 * no external resource and no script library. The flamegraphs are
 * flamegraph.c's SVGs, each with its own script (hover, zoom, search) and
 * element ids: inlined side by side in one document the ids would collide
 * and one script would drive another's frames, so each is its own
 * document, inline in an <iframe srcdoc>. Everything that came from
 * outside — benchmark lines, claims, symbol names, report text — is
 * escaped (html_escape) on its way in.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "flamegraph.h"
#include "output.h"
#include "privilege.h"
#include "probe_names.h"
#include "rttrace.h"
#include "run.h"
#include "signatures.h"
#include "tracer.h"

#define REPORT_BENCHTIME "200ms"
#define MAX_LEAD_BLOCKS	 10 /* lead sections shown per exercise */
#define HIST_ROW_PX	 15
#define HIST_W_PX	 460

static struct report_env {
	const char *html;
	const char *exercises; /* comma-separated; NULL: all */
	const char *benchtime;
	bool as_root;
	struct tracer_opts report;
} env = {.benchtime = REPORT_BENCHTIME};

static const char doc[] =
    "Run the seed's exercises before and after, traced, and write one "
    "self-contained HTML page of the evidence.\n"
    "\n"
    "USAGE: rttrace report --html FILE [OPTIONS]\n"
    "\n"
    "Each exercise runs as `rttrace run EX --variant both` runs it (its "
    "first parameter), with a short benchmark time. The page: a summary "
    "table of every exercise (ns/op before and after, the exercise's "
    "metric and ratio beside the seed's claim, the verdict, the tracing "
    "overhead), then per exercise the before/after table, the mechanism, "
    "the event rates that changed, the histograms that show it, the "
    "seed's §16 signature table and the CPU flamegraphs before, after "
    "and differential. No external resources: inline CSS and SVG.\n"
    "\n"
    "Exit status: 0; 1 if rttrace could not trace or a workload failed "
    "(the page is written with what was gathered); 2 for a bad command "
    "line; 130 after Ctrl-C (the page holds the exercises that "
    "finished).\n"
    "\n"
    "EXAMPLES:\n"
    "  sudo rttrace report --html report.html\n"
    "  sudo rttrace report --html r.html --exercises ex03,ex09 "
    "--benchtime 50ms\n"
    "\n"
    "OPTIONS:";

static const struct argp_option opts[] = {
    {"html", OPT_HTML, "FILE", 0, "Write the page to FILE (required)", 0},
    {"exercises", OPT_EXERCISES, "LIST", 0,
     "Only these exercises: ex01,ex03 (default: all)", 0},
    {"benchtime", OPT_BENCHTIME, "D", 0,
     "Each run's benchmark time: 200ms (default), 1s, 100x", 0},
    {"as-root", OPT_AS_ROOT, NULL, 0,
     "Under sudo, run the workloads as root, not as the invoking user", 0},
    {"nsec", OPT_NSEC, NULL, 0, "Histograms in nanoseconds (default usecs)", 0},
    {"freq", OPT_FREQ, "HZ", 0, "CPU samples per second per CPU (default 99)",
     0},
    {"stack-map-size", OPT_STACK_MAP_SIZE, "N", 0,
     "Distinct sampled stacks kept (default 16384)", 0},
    RT_GLOBAL_OPTIONS,
    {},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_HTML: {
		const char *why;

		if (!*arg)
			argp_error(state, "--html needs a file name");
		if (output_check(arg, &why))
			argp_error(state, "--html %s: %s", arg, why);
		env.html = arg;
		break;
	}
	case OPT_EXERCISES:
		env.exercises = arg;
		break;
	case OPT_BENCHTIME:
		if (!valid_benchtime(arg))
			argp_error(state,
				   "invalid --benchtime: %s (write a duration "
				   "such as 200ms or 1s, or a count such as "
				   "100x)",
				   arg);
		env.benchtime = arg;
		break;
	case OPT_AS_ROOT:
		env.as_root = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	case ARGP_KEY_END:
		if (!env.html)
			argp_error(state, "no --html FILE given");
		break;
	default:
		return tracer_parse_opt(key, arg, state, &env.report);
	}
	return 0;
}

static const struct argp argp = {
    .options = opts,
    .parser = parse_arg,
    .doc = doc,
};

/* ---- escaping and formatting ----------------------------------------------
 */

static void html_escape(FILE *f, const char *s)
{
	markup_escape(f, s ? s : "", SIZE_MAX);
}

/* eprintf formats like fprintf, then writes the result escaped. */
static void eprintf(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void eprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	html_escape(f, s);
	free(s);
}

/* fmt_num is v with 4 significant digits; "—" for none. */
static const char *fmt_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "—");
	else if (isinf(v))
		snprintf(buf, len, "∞");
	else if (fabs(v) >= 1e4 && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v); /* no exponent for ns/op */
	else
		snprintf(buf, len, "%.4g", v);
	return buf;
}

/* fmt_si is v with k, M, G, as people read rates. */
static const char *fmt_si(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.1fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (v == 0 || v >= 10)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.2g", v);
	return buf;
}

/* verdict_class is the CSS class of a verdict's badge. */
static const char *verdict_class(enum verdict v)
{
	switch (v) {
	case VERDICT_REPRODUCES:
		return "v-rep";
	case VERDICT_STRONGER:
		return "v-str";
	case VERDICT_WEAKER:
		return "v-weak";
	case VERDICT_DOES_NOT_REPRODUCE:
		return "v-not";
	default:
		return "v-none";
	}
}

/* ---- one exercise ---------------------------------------------------------
 */

/* What the summary table keeps of an exercise once its section is drawn. */
struct ex_result {
	const struct exercise *ex;
	const char *param;
	bool ran[VAR_NUM], ok[VAR_NUM];
	double ns_op[VAR_NUM];	  /* untraced */
	double overhead[VAR_NUM]; /* traced / untraced ns/op */
	bool compared;
	struct comparison c;
	char unit[32]; /* the rule's metric */
	char *html;    /* its section */
	size_t html_len;
};

static double overhead_of(const struct variant_run *v)
{
	return v->untraced_ok ? traced_ns_op(v) / v->ns_op : NAN;
}

static void variant_table(FILE *f, const struct variant_run v[VAR_NUM])
{
	char a[32], b[32], c[32];

	fputs("<table class=\"num\"><tr><th>variant</th><th>ns/op "
	      "(untraced)</th><th>ns/op (traced)</th><th>overhead</th>"
	      "<th>figures (untraced)</th><th>benchmark line (traced)</th>"
	      "</tr>\n",
	      f);
	for (int var = 0; var < VAR_NUM; var++) {
		const struct variant_run *vr = &v[var];

		fprintf(f, "<tr><td>%s</td>", variant_names[var]);
		if (!vr->ran) {
			fputs("<td colspan=\"5\">not run</td></tr>\n", f);
			continue;
		}
		fprintf(
		    f, "<td>%s</td><td>%s</td><td>%s×</td><td>",
		    fmt_num(a, sizeof(a), vr->untraced_ok ? vr->ns_op : NAN),
		    fmt_num(b, sizeof(b), traced_ns_op(vr)),
		    fmt_num(c, sizeof(c), overhead_of(vr)));
		for (int i = 0; i < vr->nfig; i++)
			eprintf(f, "%s%.4g %s", i ? ", " : "", vr->fig[i].value,
				vr->fig[i].unit);
		fputs("</td><td><code>", f);
		html_escape(f, vr->line[0] ? vr->line : "(none)");
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void claim_block(FILE *f, const struct exercise *ex,
			const struct variant_run v[VAR_NUM],
			const struct ex_result *r)
{
	char a[32], b[32], c[32], s[32];

	fputs("<dl class=\"claim\">\n<dt>seed's claim</dt><dd>", f);
	html_escape(f, ex->claim);
	if (!isnan(r->c.seed) && r->c.seed > 0)
		eprintf(f, " (%.4g×)", r->c.seed);
	fputs("</dd>\n<dt>measured</dt><dd>", f);
	if (r->compared) {
		eprintf(f, "%s (untraced): %s → %s: ", r->unit,
			fmt_num(a, sizeof(a), r->c.before),
			fmt_num(b, sizeof(b), r->c.after));
		fprintf(f, "<b>%s×</b>", fmt_num(c, sizeof(c), r->c.ratio));
		fputs(isinf(r->c.ratio) ? " (the after's is 0)"
					: " (&gt; 1: the after is better)",
		      f);
		if (!isnan(r->c.seed) && r->c.seed > 0)
			fprintf(f, "; the seed says %s×",
				fmt_num(s, sizeof(s), r->c.seed));
	} else {
		fputs("no comparison: a variant failed", f);
	}
	fprintf(f, "</dd>\n<dt>verdict</dt><dd><span class=\"badge %s\">",
		verdict_class(r->c.verdict));
	html_escape(f, r->compared ? verdict_string(r->c.verdict) : "no data");
	fputs("</span></dd>\n", f);
	if (v[VAR_BEFORE].mechanism[0]) {
		fputs("<dt>mechanism</dt><dd>", f);
		html_escape(f, v[VAR_BEFORE].mechanism);
		fputs("</dd>\n", f);
	}
	fputs("</dl>\n", f);
}

static void rates_block(FILE *f, const struct variant_run v[VAR_NUM])
{
	char a[32], b[32];
	uint64_t stops[VAR_NUM];
	double maxp[VAR_NUM];
	const char *tu = env.report.nsec ? "ns" : "µs";
	int shown = 0;

	fputs("<h4>", f);
	eprintf(f, "event rates that changed (> %.0f×, or from or to 0)",
		RATE_CHANGE);
	fputs("</h4>\n", f);
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		double rb = rate_of(&v[VAR_BEFORE], id);
		double ra = rate_of(&v[VAR_AFTER], id);

		if (!rate_changed(rb, ra))
			continue;
		if (!shown++)
			fputs("<table class=\"num\"><tr><th>probe</th>"
			      "<th>before /s</th><th>after /s</th>"
			      "<th>after / before</th></tr>\n",
			      f);
		fputs("<tr><td>", f);
		html_escape(f, probe_name(id));
		fprintf(f, "</td><td>%s</td>", fmt_si(a, sizeof(a), rb));
		fprintf(f, "<td>%s</td>", fmt_si(b, sizeof(b), ra));
		if (rb > 0 && ra > 0)
			fprintf(f, "<td>%.3g×</td></tr>\n", ra / rb);
		else
			fprintf(f, "<td>%s</td></tr>\n",
				rb > 0 ? "gone" : "new");
	}
	fputs(shown ? "</table>\n" : "<p>(none)</p>\n", f);

	for (int i = 0; i < VAR_NUM; i++)
		stw_stats(&v[i], &stops[i], &maxp[i]);
	fputs("<ul class=\"facts\">\n", f);
	fputs("<li>", f);
	eprintf(f, "stops of the world: %llu", (unsigned long long)stops[0]);
	if (stops[0])
		eprintf(f, ", max pause %.0f %s", maxp[0], tu);
	eprintf(f, " → %llu", (unsigned long long)stops[1]);
	if (stops[1])
		eprintf(f, ", max pause %.0f %s", maxp[1], tu);
	fputs("</li>\n", f);
	fputs("<li>", f);
	eprintf(f, "GC cycles: %llu → %llu",
		(unsigned long long)v[0].d->sched.counts[RT_PROBE_ID_gc_start],
		(unsigned long long)v[1].d->sched.counts[RT_PROBE_ID_gc_start]);
	fputs("</li>\n<li>", f);
	eprintf(
	    f, "allocations: %llu (%s B) → %llu (%s B)",
	    (unsigned long long)v[0].d->sched.counts[RT_PROBE_ID_mallocgc],
	    fmt_si(a, sizeof(a),
		   v[0].d->has_mem ? v[0].d->mem.sums[MEM_SUM_ALLOC_BYTES] : 0),
	    (unsigned long long)v[1].d->sched.counts[RT_PROBE_ID_mallocgc],
	    fmt_si(b, sizeof(b),
		   v[1].d->has_mem ? v[1].d->mem.sums[MEM_SUM_ALLOC_BYTES]
				   : 0));
	fputs("</li>\n</ul>\n", f);
}

/* ---- the report's sections and their histograms ----------------------------
 */

/* One section of a traced run's text report (a block after a blank line). */
struct block {
	const char *s;
	size_t len;
};

/*
 * split_blocks cuts the text report into its sections, as run.c's
 * print_sections does; the header and the events table are left out.
 */
static int split_blocks(const char *text, struct block *b, int max)
{
	int n = 0;

	for (const char *p = text ? strstr(text, "\n\n") : NULL;
	     p && n < max;) {
		const char *start = p + 2, *next = strstr(start, "\n\n");
		size_t len = next ? (size_t)(next - start) : strlen(start);

		while (len > 0 && start[len - 1] == '\n')
			len--;
		if (len && strncmp(start, "events per probe:", 17) != 0) {
			b[n].s = start;
			b[n].len = len;
			n++;
		}
		p = next;
	}
	return n;
}

/* block_key is a block's title up to its first ':' — the same section of
 * the before's and the after's reports share it. */
static size_t block_key(const struct block *b)
{
	const char *eol = memchr(b->s, '\n', b->len);
	size_t n = eol ? (size_t)(eol - b->s) : b->len;
	const char *colon = memchr(b->s, ':', n);

	return colon ? (size_t)(colon - b->s) : n;
}

static bool same_key(const struct block *a, const struct block *b)
{
	size_t ka = block_key(a), kb = block_key(b);

	return ka == kb && memcmp(a->s, b->s, ka) == 0;
}

/* A log2 histogram read back from the text hist_print wrote. */
struct text_hist {
	char unit[32];
	int n;
	unsigned long long low[64], high[64], count[64];
};

/*
 * parse_hist reads hist_print's "low -> high : count |***|" lines of b
 * (and its "unit : count distribution" header); false if it has none.
 * The text is what run's report prints, so the page and the terminal
 * cannot disagree.
 */
static bool parse_hist(const struct block *b, struct text_hist *h)
{
	const char *p = b->s, *end = b->s + b->len;

	h->n = 0;
	snprintf(h->unit, sizeof(h->unit), "value");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		char line[256], unit[32];
		unsigned long long lo, hi, c;

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (sscanf(line, " %llu -> %llu : %llu", &lo, &hi, &c) == 3 &&
		    h->n < 64) {
			h->low[h->n] = lo;
			h->high[h->n] = hi;
			h->count[h->n] = c;
			h->n++;
		} else if (strstr(line, "distribution") &&
			   sscanf(line, " %31s : count", unit) == 1) {
			snprintf(h->unit, sizeof(h->unit), "%s", unit);
		}
		p += len + 1;
	}
	return h->n > 0;
}

/* hist_svg draws h as horizontal bars, one row per log2 slot. */
static void hist_svg(FILE *f, const struct text_hist *h)
{
	const int label_w = 150, count_w = 80;
	const int bar_w = HIST_W_PX - label_w - count_w;
	unsigned long long max = 1;
	int height = (h->n + 1) * HIST_ROW_PX + 4;

	for (int i = 0; i < h->n; i++)
		if (h->count[i] > max)
			max = h->count[i];
	fprintf(f,
		"<svg class=\"hist\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"role=\"img\">\n",
		HIST_W_PX, height, HIST_W_PX, height);
	fprintf(f,
		"<text x=\"%d\" y=\"11\" text-anchor=\"end\" "
		"class=\"hu\">",
		label_w - 6);
	html_escape(f, h->unit);
	fprintf(f, "</text><text x=\"%d\" y=\"11\" class=\"hu\">count</text>\n",
		label_w + bar_w + 4);
	for (int i = 0; i < h->n; i++) {
		int y = (i + 1) * HIST_ROW_PX;
		double w = (double)bar_w * h->count[i] / max;

		fprintf(f, "<g><title>%llu to %llu ", h->low[i], h->high[i]);
		html_escape(f, h->unit);
		fprintf(f, ": %llu</title>", h->count[i]);
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%llu → "
			"%llu</text>",
			label_w - 6, y + 11, h->low[i], h->high[i]);
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
			"class=\"bar\"/>",
			label_w, y + 2, h->count[i] ? (w < 1 ? 1 : w) : 0,
			HIST_ROW_PX - 3);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%llu</text></g>\n",
			label_w + bar_w + 4, y + 11, h->count[i]);
	}
	fputs("</svg>\n", f);
}

/*
 * block_html draws one section: its title and text lines, and its
 * histogram as SVG bars when it holds one (the bars replace the
 * text's star lines).
 */
static void block_html(FILE *f, const struct block *b)
{
	struct text_hist h;
	const char *eol = memchr(b->s, '\n', b->len);
	size_t tlen = eol ? (size_t)(eol - b->s) : b->len;

	fputs("<div class=\"block\"><div class=\"bt\">", f);
	markup_escape(f, b->s, tlen);
	fputs("</div>\n", f);
	if (parse_hist(b, &h)) {
		hist_svg(f, &h);
	} else if (eol) {
		fputs("<pre>", f);
		markup_escape(f, eol + 1, b->len - tlen - 1);
		fputs("</pre>\n", f);
	}
	fputs("</div>\n", f);
}

/*
 * leads_block shows the sections that lead the exercise's report (run.c's
 * leads), the before's beside the after's, paired by title.
 */
static void leads_block(FILE *f, const struct exercise *ex,
			const struct variant_run v[VAR_NUM])
{
	static struct block blocks[VAR_NUM][256];
	int n[VAR_NUM];
	bool used[VAR_NUM][256];
	const struct lead *lead = find_lead(ex->id);
	int rows = 0;

	fputs("<h4>what shows the mechanism (the report's leading sections)"
	      "</h4>\n",
	      f);
	for (int var = 0; var < VAR_NUM; var++) {
		n[var] = split_blocks(v[var].text, blocks[var], 256);
		memset(used[var], 0, sizeof(used[var]));
	}
	for (int k = 0; lead && k < 8 && lead->sections[k]; k++) {
		const char *want = lead->sections[k];

		for (int var = 0; var < VAR_NUM; var++)
			for (int i = 0; i < n[var] && rows < MAX_LEAD_BLOCKS;
			     i++) {
				const struct block *b = &blocks[var][i];
				const struct block *pair[VAR_NUM] = {NULL};

				if (used[var][i] ||
				    strncmp(b->s, want, strlen(want)) != 0)
					continue;
				pair[var] = b;
				used[var][i] = true;
				/* its twin in the other variant's report */
				for (int o = 0; o < n[!var]; o++)
					if (!used[!var][o] &&
					    same_key(b, &blocks[!var][o])) {
						pair[!var] = &blocks[!var][o];
						used[!var][o] = true;
						break;
					}
				if (!rows++)
					fputs("<div class=\"pair head\"><div>"
					      "before</div><div>after</div>"
					      "</div>\n",
					      f);
				fputs("<div class=\"pair\">", f);
				for (int w = 0; w < VAR_NUM; w++) {
					if (pair[w]) {
						block_html(f, pair[w]);
					} else {
						fputs("<div class=\"block "
						      "none\">(no such "
						      "events)</div>\n",
						      f);
					}
				}
				fputs("</div>\n", f);
			}
	}
	if (!rows)
		fputs("<p>(no leading section had events)</p>\n", f);
	for (int var = 0; var < VAR_NUM; var++) {
		if (!v[var].text)
			continue;
		fprintf(f,
			"<details><summary>the whole traced report, "
			"%s</summary><pre>",
			variant_names[var]);
		html_escape(f, v[var].text);
		fputs("</pre></details>\n", f);
	}
}

/* ---- the signature table ----------------------------------------------------
 */

/* sig_of computes v's signature table as tracer_report does. */
static void sig_of(const struct variant_run *v, struct sig_table *t)
{
	uint64_t parks[SCHED_WAIT_HISTS];
	struct sig_input in = {
	    .stw_reason = mem_stw_reason_str,
	    .nsec = env.report.nsec,
	    .wall_s = v->t.wall_s,
	    .prof = v->profiled ? &v->prof : NULL,
	};

	report_park_counts(v->d, parks); /* scaled when sampled */
	in.parks = parks;
	in.gosched = v->d->sched.counts[RT_PROBE_ID_gosched];
	in.stw = v->d->has_mem ? v->d->mem.stw : NULL;
	sig_compute(t, &in);
}

static const struct sig_row *find_row(const struct sig_table *t,
				      const char *name)
{
	for (int i = 0; i < t->n; i++)
		if (strcmp(t->rows[i].name, name) == 0)
			return &t->rows[i];
	return NULL;
}

static void sig_cell(FILE *f, const struct sig_row *r, bool sampled)
{
	char a[32];

	if (!r) {
		fputs("<td>—</td>", f);
		return;
	}
	fprintf(f, "<td class=\"%s\">", r->crossed ? "crossed" : "");
	switch (r->source) {
	case SIG_SAMPLES:
		if (sampled)
			eprintf(f, "%.1f %%", r->value);
		else
			fputs("not sampled", f);
		break;
	case SIG_EVENTS:
		eprintf(f, "%s/s", fmt_si(a, sizeof(a), r->value));
		break;
	case SIG_STW:
		eprintf(f, "%llu of %llu over", (unsigned long long)r->hits,
			(unsigned long long)r->total);
		if (r->possible)
			eprintf(f, " (+%llu maybe)",
				(unsigned long long)r->possible);
		break;
	}
	fputs(r->crossed ? " ✔</td>" : "</td>", f);
}

static void signatures_block(FILE *f, const struct variant_run v[VAR_NUM])
{
	static struct sig_table t[VAR_NUM];
	const char *names[2 * SIG_MAX_ROWS];
	int nn = 0;

	for (int var = 0; var < VAR_NUM; var++)
		sig_of(&v[var], &t[var]);
	/* the rows of both, the before's order first */
	for (int var = 0; var < VAR_NUM; var++)
		for (int i = 0; i < t[var].n; i++) {
			bool seen = false;

			for (int k = 0; k < nn && !seen; k++)
				seen =
				    strcmp(names[k], t[var].rows[i].name) == 0;
			if (!seen)
				names[nn++] = t[var].rows[i].name;
		}
	fputs("<h4>runtime signatures (seed §16)</h4>\n", f);
	for (int var = 0; var < VAR_NUM; var++)
		if (t[var].sampled) {
			fputs("<p class=\"note\">", f);
			eprintf(f,
				"%s: CPU rows are shares of %llu samples at "
				"%u Hz on %d CPUs over %.2f s%s",
				variant_names[var],
				(unsigned long long)t[var].samples, t[var].freq,
				t[var].ncpus, t[var].duration_s,
				t[var].lost ? " (some lost)" : "");
			fputs("</p>\n", f);
		}
	fputs("<table class=\"num sig\"><tr><th>signature</th><th>before"
	      "</th><th>after</th><th>threshold</th><th>pattern of</th>"
	      "</tr>\n",
	      f);
	for (int k = 0; k < nn; k++) {
		const struct sig_row *rb = find_row(&t[VAR_BEFORE], names[k]);
		const struct sig_row *ra = find_row(&t[VAR_AFTER], names[k]);
		const struct sig_row *r = rb ? rb : ra;

		fputs("<tr><td>", f);
		html_escape(f, names[k]);
		fputs("</td>", f);
		sig_cell(f, rb, t[VAR_BEFORE].sampled);
		sig_cell(f, ra, t[VAR_AFTER].sampled);
		fputs("<td>", f);
		html_escape(f, r->threshold_text);
		fputs("</td><td>", f);
		html_escape(f, r->exercises);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* ---- flamegraphs
 * --------------------------------------------------------------
 */

/* svg_size reads the root <svg>'s width and height attributes (0: none). */
static void svg_size(const char *svg, int *w, int *h)
{
	const char *root = strstr(svg, "<svg");
	const char *close = root ? strchr(root, '>') : NULL;

	*w = *h = 0;
	for (const char *p = root; close && p && p < close; p++) {
		if (p[-1] != ' ' && p[-1] != '\n' && p[-1] != '\t')
			continue;
		if (strncmp(p, "width=\"", 7) == 0)
			*w = atoi(p + 7);
		else if (strncmp(p, "height=\"", 8) == 0)
			*h = atoi(p + 8);
	}
}

/*
 * embed_svg puts one flamegraph on the page as its own document, an
 * iframe's srcdoc (escaped), so that its script and ids stay its own. The
 * HTML parser reads SVG in HTML as the SVG document's own parser would
 * for what flamegraph.c writes (CDATA in the script, onload on the root);
 * the XML declaration, a comment to it, is dropped.
 */
static void embed_svg(FILE *f, const char *svg, size_t len, const char *label)
{
	const char *root = strstr(svg, "<svg");
	int w, h;

	if (!root)
		root = svg;
	svg_size(root, &w, &h);
	fputs("<iframe class=\"flame\" sandbox=\"allow-scripts\" style=\"", f);
	if (w > 0 && w < 20000)
		fprintf(f, "max-width:%dpx;", w + 2);
	fprintf(f, "height:%dpx\" title=\"", h > 0 && h < 20000 ? h + 2 : 600);
	html_escape(f, label);
	fputs("\" srcdoc=\"", f);
	html_escape(f, "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
		       "<style>body{margin:0}svg{display:block}</style></head>"
		       "<body>");
	markup_escape(f, root, len - (size_t)(root - svg));
	html_escape(f, "</body></html>");
	fputs("\"></iframe>\n", f);
}

/* An SVG written into memory by one of flamegraph.h's writers. */
struct svg_buf {
	char *s;
	size_t len;
};

static void flame_one(FILE *f, const struct exercise *ex, int var,
		      const struct variant_run *v, struct folded *fo,
		      bool *have)
{
	struct svg_buf b = {0};
	char title[128], sub[256];
	FILE *m;

	*have = false;
	fprintf(f, "<div class=\"fg\"><div class=\"bt\">CPU, %s</div>\n",
		variant_names[var]);
	if (!v->profiled || !v->prof.samples) {
		fputs("<p>(no CPU samples)</p></div>\n", f);
		return;
	}
	if (folded_from_profile(&v->prof, fo)) {
		fputs("<p>(the samples could not be folded)</p></div>\n", f);
		return;
	}
	*have = true;
	snprintf(title, sizeof(title), "%s %s: CPU", ex->id,
		 variant_names[var]);
	snprintf(sub, sizeof(sub), "%llu samples at %u Hz, %.2f s traced",
		 (unsigned long long)v->prof.samples, v->prof.freq,
		 v->prof.duration_s);
	m = open_memstream(&b.s, &b.len);
	if (!m || flamegraph_svg(m, fo, title, sub)) {
		if (m)
			fclose(m);
		free(b.s);
		fputs("<p>(the flamegraph could not be drawn)</p></div>\n", f);
		return;
	}
	fclose(m);
	embed_svg(f, b.s, b.len, title);
	free(b.s);
	fputs("</div>\n", f);
}

static void flames_block(FILE *f, const struct exercise *ex,
			 const struct variant_run v[VAR_NUM])
{
	struct folded fo[VAR_NUM];
	bool have[VAR_NUM];
	struct svg_buf b = {0};
	char title[128];
	FILE *m;

	memset(fo, 0, sizeof(fo));
	fputs("<h4>CPU flamegraphs (hover for details, click to zoom)</h4>\n",
	      f);
	for (int var = 0; var < VAR_NUM; var++)
		flame_one(f, ex, var, &v[var], &fo[var], &have[var]);
	if (have[VAR_BEFORE] && have[VAR_AFTER]) {
		snprintf(title, sizeof(title),
			 "%s: after against before (red: grew, blue: shrank)",
			 ex->id);
		fprintf(f, "<div class=\"fg\"><div class=\"bt\">differential"
			   "</div>\n");
		m = open_memstream(&b.s, &b.len);
		if (m && !flamegraph_svg_diff(m, &fo[VAR_BEFORE],
					      &fo[VAR_AFTER], title)) {
			fclose(m);
			embed_svg(f, b.s, b.len, title);
		} else {
			if (m)
				fclose(m);
			fputs("<p>(the differential could not be drawn)</p>\n",
			      f);
		}
		free(b.s);
		fputs("</div>\n", f);
	}
	for (int var = 0; var < VAR_NUM; var++)
		if (have[var])
			folded_free(&fo[var]);
}

/*
 * exercise_html renders ex's section into r->html and keeps the
 * summary's figures in r.
 */
static int exercise_html(struct ex_result *r,
			 const struct variant_run v[VAR_NUM])
{
	const struct exercise *ex = r->ex;
	FILE *f = open_memstream(&r->html, &r->html_len);

	if (!f)
		return -errno;
	for (int var = 0; var < VAR_NUM; var++) {
		r->ran[var] = v[var].ran;
		r->ok[var] = v[var].traced_ok && v[var].untraced_ok;
		r->ns_op[var] = v[var].untraced_ok ? v[var].ns_op : NAN;
		r->overhead[var] = overhead_of(&v[var]);
	}
	r->compared = v[VAR_BEFORE].d && v[VAR_AFTER].d &&
		      v[VAR_BEFORE].traced_ok && v[VAR_AFTER].traced_ok;
	r->c = compare(v);
	if (!r->compared)
		r->c.verdict = VERDICT_NO_DATA;
	snprintf(r->unit, sizeof(r->unit), "%s",
		 v[VAR_BEFORE].rule_metric[0] ? v[VAR_BEFORE].rule_metric
					      : "ns/op");

	fprintf(f, "<section id=\"%s\">\n<h2>", ex->id);
	eprintf(f, "%s — %s", ex->id, ex->title);
	if (r->param)
		eprintf(f, " (%s)", r->param);
	fputs("</h2>\n", f);
	for (int var = 0; var < VAR_NUM; var++)
		if (v[var].ran && !r->ok[var])
			fprintf(f,
				"<p class=\"fail\">the %s variant failed: "
				"its figures are missing or partial</p>\n",
				variant_names[var]);
	variant_table(f, v);
	claim_block(f, ex, v, r);
	if (r->compared) {
		rates_block(f, v);
		leads_block(f, ex, v);
		signatures_block(f, v);
		flames_block(f, ex, v);
	}
	fputs("<p class=\"top\"><a href=\"#summary\">↑ summary</a></p>\n"
	      "</section>\n",
	      f);
	if (fclose(f))
		return -errno;
	return 0;
}

/* ---- the page
 * ----------------------------------------------------------------
 */

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:"
    "1240px;padding:0 16px 40px;color:#1d232a;background:#fff}\n"
    "h1{font-size:24px;margin:18px 0 4px}h2{font-size:19px;margin:0 0 "
    "10px;padding-top:8px}h4{margin:16px 0 6px;font-size:14px}\n"
    "section{border-top:3px solid #36596f;margin-top:28px;padding-top:4px}"
    "\n"
    "table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid "
    "#c9d1d9;padding:3px 7px;vertical-align:top}th{background:#eef2f5;"
    "text-align:left}\n"
    "table.num td{font-variant-numeric:tabular-nums}table.summary "
    "td:nth-child(n+3):nth-child(-n+6),table.summary "
    "td:nth-child(9){white-space:nowrap}\n"
    "td.crossed{background:#fde2d8;font-weight:600}\n"
    "code,pre{font:12px/1.3 ui-monospace,monospace}pre{background:#f6f8fa;"
    "padding:6px;overflow-x:auto;margin:4px 0}\n"
    ".badge{display:inline-block;padding:1px 8px;border-radius:9px;"
    "font-weight:600;white-space:nowrap}\n"
    ".v-rep{background:#d3f2da;color:#135a24}.v-str{background:#cfe6fb;"
    "color:#0b4a7d}.v-weak{background:#fff0c2;color:#6b4e00}.v-not{"
    "background:#fbd5d5;color:#7d1010}.v-none{background:#e3e3e3;"
    "color:#444}\n"
    "dl.claim{display:grid;grid-template-columns:130px 1fr;gap:3px 10px;"
    "margin:10px 0}dl.claim dt{font-weight:600;color:#36596f}dl.claim dd{"
    "margin:0}\n"
    ".pair{display:grid;grid-template-columns:1fr 1fr;gap:14px;margin:6px 0}"
    ".pair.head{font-weight:700;color:#36596f;margin-bottom:0}\n"
    ".block{border:1px solid #e1e6eb;padding:4px 6px;overflow-x:auto}"
    ".block.none{color:#888}.bt{font-weight:600;margin-bottom:2px}\n"
    "svg.hist{display:block;font:11px ui-monospace,monospace}"
    "svg.hist .bar{fill:#4f8fc0}svg.hist .hu{font-weight:700}\n"
    ".fg{margin:8px 0}iframe.flame{width:100%;border:1px solid #e1e6eb;"
    "display:block}\n"
    ".fail{color:#a00;font-weight:600}.note{color:#555;margin:2px 0}"
    "ul.facts{margin:6px 0}.top{font-size:12px}\n"
    "details{margin:6px 0}summary{cursor:pointer;color:#36596f}\n";

static void page_head(FILE *f, int n)
{
	struct utsname u;
	char when[64];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	/* every element closed, <meta/> too: the page is well-formed XML
	 * after its doctype, which a test can check without an HTML parser */
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	      "charset=\"utf-8\"/>\n<title>rttrace report: the seed's "
	      "exercises</title>\n<style>\n",
	      f);
	fputs(css, f);
	fputs("</style>\n</head>\n<body>\n<main>\n<h1>rttrace report: the "
	      "seed's exercises, before and after</h1>\n<p class=\"note\">",
	      f);
	eprintf(f,
		"%d exercise%s, -benchtime %s, each variant traced (for the "
		"events, histograms and CPU samples) and untraced (for the "
		"figures and the tracing overhead); %s, %s %s, %ld CPUs; %s.",
		n, n == 1 ? "" : "s", env.benchtime, u.nodename, u.sysname,
		u.release, sysconf(_SC_NPROCESSORS_ONLN), when);
	fputs("</p>\n", f);
}

static void summary_table(FILE *f, const struct ex_result *rs, int n)
{
	char a[32], b[32], c[32], d[32], e[32], g[32];

	fputs("<h2 id=\"summary\">summary</h2>\n<table class=\"num "
	      "summary\"><tr><th>exercise</th><th>param</th><th>ns/op "
	      "before</th><th>ns/op after</th><th>judged "
	      "on</th><th>ratio</th><th>the seed's claim</th><th>verdict</th>"
	      "<th>overhead (traced/untraced)</th></tr>\n",
	      f);
	for (int i = 0; i < n; i++) {
		const struct ex_result *r = &rs[i];

		fprintf(f, "<tr><td><a href=\"#%s\">", r->ex->id);
		html_escape(f, r->ex->id);
		fputs("</a> ", f);
		html_escape(f, r->ex->title);
		fputs("</td><td>", f);
		html_escape(f, r->param ? r->param : "—");
		fprintf(f, "</td><td>%s</td><td>%s</td><td>",
			fmt_num(a, sizeof(a), r->ns_op[VAR_BEFORE]),
			fmt_num(b, sizeof(b), r->ns_op[VAR_AFTER]));
		/* the exercise's own metric, when it is not ns/op */
		if (r->compared && strcmp(r->unit, "ns/op") != 0) {
			html_escape(f, r->unit);
			eprintf(f, ": %s → %s",
				fmt_num(c, sizeof(c), r->c.before),
				fmt_num(d, sizeof(d), r->c.after));
		} else {
			fputs(r->compared ? "ns/op" : "—", f);
		}
		fprintf(f, "</td><td>%s×</td><td>",
			fmt_num(e, sizeof(e), r->compared ? r->c.ratio : NAN));
		html_escape(f, r->ex->claim);
		fprintf(f, "</td><td><span class=\"badge %s\">",
			verdict_class(r->c.verdict));
		html_escape(f, r->compared ? verdict_string(r->c.verdict)
					   : "no data");
		fprintf(f, "</span></td><td>%s× / %s×</td></tr>\n",
			fmt_num(g, sizeof(g), r->overhead[VAR_BEFORE]),
			fmt_num(a, sizeof(a), r->overhead[VAR_AFTER]));
	}
	fputs("</table>\n", f);
}

/*
 * write_page writes the page through out (output.h: a temporary opened at
 * the start, renamed over FILE once complete); 0 or -errno after printing
 * why.
 */
static int write_page(struct output *out, const struct ex_result *rs, int n,
		      bool interrupted)
{
	FILE *f = output_stream(out);

	if (!f) {
		output_abort(out);
		return -ENOMEM;
	}
	page_head(f, n);
	if (interrupted)
		fputs("<p class=\"fail\">interrupted (Ctrl-C): the page holds "
		      "the exercises that finished</p>\n",
		      f);
	summary_table(f, rs, n);
	fputs("<p class=\"note\">ratio: the exercise's metric before / after "
	      "(untraced; &gt; 1: the after is better), judged against the "
	      "seed's figure: reproduces (within 3× of it), stronger, weaker, "
	      "does not reproduce (&lt; 1.2×). overhead: ns/op traced over "
	      "untraced, the uprobes' cost on each variant.</p>\n",
	      f);
	for (int i = 0; i < n; i++)
		if (rs[i].html)
			fwrite(rs[i].html, 1, rs[i].html_len, f);
	fputs("</main>\n</body>\n</html>\n", f);
	/* a write error shows in the flush output_commit does */
	return output_commit(out);
}

/*
 * choose fills chosen with the exercises of --exercises (each as
 * find_exercise reads it), or all; returns how many, -1 after printing
 * why.
 */
static int choose(const struct exercise *exs, int nex,
		  const struct exercise **chosen)
{
	char *list, *save = NULL;
	int n = 0;

	if (!env.exercises) {
		for (int i = 0; i < nex; i++)
			chosen[n++] = &exs[i];
		return n;
	}
	list = strdup(env.exercises);
	if (!list)
		return -1;
	for (char *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct exercise *ex;
		bool dup = false;

		tok += strspn(tok, " "); /* "ex03, ex09" */
		ex = find_exercise(exs, nex, tok);
		if (!ex) {
			free(list);
			return -1;
		}
		for (int k = 0; k < n; k++)
			dup |= chosen[k] == ex;
		if (!dup && n < MAX_EXERCISES)
			chosen[n++] = ex;
	}
	free(list);
	if (!n)
		rt_errorf("--exercises names none (rttrace list names them)");
	return n ? n : -1;
}

int cmd_report(int argc, char **argv)
{
	char rtwork[PATH_MAX];
	static struct exercise exs[MAX_EXERCISES];
	const struct exercise *chosen[MAX_EXERCISES];
	static struct ex_result rs[MAX_EXERCISES];
	struct output page;
	int nex, n, done = 0, ret = 0;
	bool failed = false;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return RTTRACE_EXIT_USAGE;
	if (rtwork_path(rtwork, sizeof(rtwork)))
		return RTTRACE_EXIT_FAIL;
	run_configure(env.benchtime, env.as_root, &env.report);
	nex = run_load_exercises(rtwork, exs, MAX_EXERCISES);
	if (nex < 0)
		return RTTRACE_EXIT_FAIL;
	n = choose(exs, nex, chosen);
	if (n < 0)
		return RTTRACE_EXIT_USAGE;
	if (preflight_privileges() || preflight_btf())
		return RTTRACE_EXIT_FAIL;
	/* the page's file now: a bad path fails before minutes of runs */
	if (output_open(&page, env.html))
		return RTTRACE_EXIT_FAIL;
	/* each exercise's two variants attach; their untraced runs follow */
	privilege_plan((unsigned int)n * VAR_NUM, true);

	for (int i = 0; i < n && !trace_exiting(); i++) {
		struct variant_run v[VAR_NUM];
		struct ex_result *r = &rs[done];

		memset(v, 0, sizeof(v));
		memset(r, 0, sizeof(*r));
		r->ex = chosen[i];
		r->param = r->ex->nparams ? r->ex->params[0] : NULL;
		for (int var = 0; var < VAR_NUM && !trace_exiting(); var++)
			if (!run_variant(rtwork, r->ex, var, r->param, &v[var]))
				failed = true;
		if (!trace_exiting() || (v[VAR_BEFORE].d && v[VAR_AFTER].d)) {
			int err = exercise_html(r, v);

			if (err) {
				rt_errorf("%s: cannot render: %s", r->ex->id,
					  strerror(-err));
				failed = true;
			} else {
				done++;
			}
		}
		for (int var = 0; var < VAR_NUM; var++)
			run_variant_free(&v[var]);
	}
	if (write_page(&page, rs, done, trace_exiting()))
		failed = true;
	else
		printf("wrote %s: %d of %d exercises\n", env.html, done, n);
	for (int i = 0; i < done; i++)
		free(rs[i].html);
	if (trace_exiting()) {
		rt_errorf("interrupted: the page holds the exercises that "
			  "finished");
		ret = RTTRACE_EXIT_SIGNALLED + SIGINT;
	} else if (failed) {
		ret = RTTRACE_EXIT_FAIL;
	}
	return ret;
}

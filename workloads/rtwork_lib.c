/*
 * rtwork_lib.c — rtwork's run wrapper, bench-line parser, sample sets and
 * reports (see rtwork_lib.h for the parts and why they live apart from
 * rtwork.c).
 *
 * The parser is deliberately one function for both sides: a librt line
 * and a `go test -bench` line have the same grammar (testing's
 * BenchmarkResult.String), so a figure rtwork prints and the same figure Go
 * prints are read by the same code, and a change to one format that the
 * other does not follow shows up as a parse failure in the tests rather
 * than as a silently wrong comparison.
 *
 * Medians, not means: the machine is shared and noisy, and one run stalled
 * by a neighbour would drag a mean; the median of -count runs is what
 * scripts/bench.sh and benchstat report.
 */
#include "rtwork_lib.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const struct exercise *const rw_exercises[EX_COUNT] = EX_ALL;

/*
 * ex_alloc_reader is the harness's alloc reader for every program made of
 * exercises (exercise.h sets BENCH_ALLOC_READER to it): cumulative objects
 * and bytes from runtime/metrics, read with atomic loads. Not from
 * rt_read_memstats, as bench_mem.c does: that stops the world at every
 * timer start and stop, and ex13/ex14 count stops of the world and the
 * delay they add; the harness must not add its own. Weak, so that a test
 * file linked with the exercises may define its own reader.
 */
__attribute__((weak)) void ex_alloc_reader(uint64_t *objects, uint64_t *bytes)
{
	struct rt_metric_sample s[2] = {{.name = "/gc/heap/allocs:objects"},
					{.name = "/gc/heap/allocs:bytes"}};

	rt_metrics_read(s, 2);
	*objects = s[0].value.u64;
	*bytes = s[1].value.u64;
}

/* ---- the exercises and the run wrapper ------------------------------- */

const struct exercise *rw_find_exercise(const char *id)
{
	const char *p = id;
	char *end;

	if ((p[0] == 'e' || p[0] == 'E') && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (!isdigit((unsigned char)*p))
		return NULL;
	errno = 0;
	long n = strtol(p, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > EX_COUNT)
		return NULL;
	return rw_exercises[n - 1];
}

int rw_nparams(const struct exercise *ex)
{
	return ex->params != NULL && ex->nparams > 0 ? ex->nparams : 1;
}

/* The parameter of an exercise that sweeps nothing. */
static const struct ex_param rw_noparam = {"", 0};

const struct ex_param *rw_param(const struct exercise *ex, int i)
{
	if (ex->params == NULL || ex->nparams <= 0)
		return &rw_noparam;
	return &ex->params[i];
}

const struct ex_param *rw_find_param(const struct exercise *ex,
				     const char *name)
{
	for (int i = 0; ex->params != NULL && i < ex->nparams; i++)
		if (strcmp(ex->params[i].name, name) == 0)
			return &ex->params[i];
	return NULL;
}

const char *rw_variant_name(enum ex_variant v)
{
	return v == EX_BEFORE ? "before" : v == EX_AFTER ? "after" : "?";
}

int rw_parse_variant(const char *s)
{
	if (strcmp(s, "before") == 0)
		return EX_BEFORE;
	if (strcmp(s, "after") == 0)
		return EX_AFTER;
	return -1;
}

/*
 * What rw_bench_fn runs: bench_func takes only the bench_b, as a Go
 * benchmark is a closure over its parameter. One benchmark runs at a time
 * per process (bench_launch is sequential), so a static suffices.
 */
static struct {
	const struct exercise *ex;
	enum ex_variant v;
	const struct ex_param *p;
} rw_cur;

static void rw_bench_fn(struct bench_b *b)
{
	rw_cur.ex->run[rw_cur.v](b, rw_cur.p);
}

void rw_run_variant(struct bench_b *b, const struct exercise *ex,
		    enum ex_variant v, const struct ex_param *p,
		    const struct bench_opts *o)
{
	rw_cur.ex = ex;
	rw_cur.v = v;
	rw_cur.p = p;
	bench_launch(b, rw_bench_fn, o);
	rw_cur.ex = NULL;
}

void rw_bench_name(char *buf, size_t len, const struct exercise *ex,
		   enum ex_variant v, const struct ex_param *p, int procs)
{
	/* "ex03" -> "Ex03": Go benchmark names are exported identifiers */
	char id[RW_ID_MAX];
	snprintf(id, sizeof(id), "%s", ex->id);
	id[0] = (char)toupper((unsigned char)id[0]);
	if (p != NULL && p->name != NULL && p->name[0] != '\0')
		snprintf(buf, len, "Benchmark%s/%s/%s-%d", id,
			 rw_variant_name(v), p->name, procs);
	else
		snprintf(buf, len, "Benchmark%s/%s-%d", id, rw_variant_name(v),
			 procs);
}

/* ---- bench lines -------------------------------------------------------- */

/* rw_copy copies a field of len bytes into dst; false if it does not fit. */
static bool rw_copy(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

/* rw_field returns the next whitespace-separated field of *s. */
static const char *rw_field(const char **s, size_t *len)
{
	const char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *start = p;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' &&
	       *p != '\r')
		p++;
	*len = (size_t)(p - start);
	*s = p;
	return *len > 0 ? start : NULL;
}

/*
 * rw_split_name fills ex, variant and param from a name such as
 * "Ex03/before/buffered=0": the seed's exercises as rtwork and the Go peers
 * name them. Other names are left as plain benchmarks.
 */
static void rw_split_name(struct rw_line *l)
{
	const char *s = l->name;

	l->ex[0] = '\0';
	l->variant = -1;
	l->param[0] = '\0';
	if (!(s[0] == 'E' && s[1] == 'x' && isdigit((unsigned char)s[2]) &&
	      isdigit((unsigned char)s[3]) && s[4] == '/'))
		return;
	const char *v = s + 5;
	size_t vlen = strcspn(v, "/");
	int variant = -1;
	if (vlen == 6 && strncmp(v, "before", 6) == 0)
		variant = EX_BEFORE;
	else if (vlen == 5 && strncmp(v, "after", 5) == 0)
		variant = EX_AFTER;
	if (variant < 0)
		return;
	const char *param = v[vlen] == '/' ? v + vlen + 1 : "";
	if (v[vlen] == '/' && *param == '\0')
		return;
	if (!rw_copy(l->param, sizeof(l->param), param, strlen(param)))
		return;
	snprintf(l->ex, sizeof(l->ex), "ex%c%c", s[2], s[3]);
	l->variant = variant;
}

bool rw_parse_line(const char *s, struct rw_line *out)
{
	struct rw_line l;
	size_t len;
	const char *f;

	memset(&l, 0, sizeof(l));
	if (strncmp(s, "Benchmark", 9) != 0)
		return false;
	f = rw_field(&s, &len);
	if (f == NULL || len <= 9)
		return false;
	f += 9;
	len -= 9;
	/*
	 * The -P suffix: testing appends "-GOMAXPROCS" unless it is 1. A
	 * trailing "-digits" after a non-empty name is taken as one, as
	 * benchstat does.
	 */
	l.procs = 1;
	size_t d = len;
	while (d > 0 && isdigit((unsigned char)f[d - 1]))
		d--;
	if (d < len && d >= 2 && f[d - 1] == '-') {
		l.procs = atoi(f + d);
		len = d - 1;
	}
	if (!rw_copy(l.name, sizeof(l.name), f, len))
		return false;

	/* N */
	f = rw_field(&s, &len);
	if (f == NULL)
		return false;
	char num[32];
	char *end;
	if (!rw_copy(num, sizeof(num), f, len))
		return false;
	errno = 0;
	long long n = strtoll(num, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return false;
	l.n = n;

	/* value unit pairs */
	for (;;) {
		f = rw_field(&s, &len);
		if (f == NULL)
			break;
		if (!rw_copy(num, sizeof(num), f, len))
			return false;
		errno = 0;
		double v = strtod(num, &end);
		if (errno != 0 || *end != '\0' || isnan(v))
			return false;
		f = rw_field(&s, &len);
		if (f == NULL || l.nm == RW_MAX_METRICS)
			return false;
		struct rw_metric *m = &l.m[l.nm];
		if (!rw_copy(m->unit, sizeof(m->unit), f, len))
			return false;
		/* a number where a unit belongs: the line is not a result */
		strtod(m->unit, &end);
		if (*end == '\0')
			return false;
		m->value = v;
		l.nm++;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s != '\0' || l.nm == 0 || strcmp(l.m[0].unit, "ns/op") != 0)
		return false;
	rw_split_name(&l);
	*out = l;
	return true;
}

bool rw_line_metric(const struct rw_line *l, const char *unit, double *v)
{
	for (int i = 0; i < l->nm; i++) {
		if (strcmp(l->m[i].unit, unit) == 0) {
			*v = l->m[i].value;
			return true;
		}
	}
	return false;
}

/* ---- sample sets -------------------------------------------------------- */

struct rw_sample *rw_set_find(struct rw_set *set, const char *ex,
			      const char *param, int variant, bool create)
{
	for (int i = 0; i < set->n; i++) {
		struct rw_sample *s = &set->s[i];
		if (s->variant == variant && strcmp(s->ex, ex) == 0 &&
		    strcmp(s->param, param) == 0)
			return s;
	}
	if (!create)
		return NULL;
	if (set->n == set->cap) {
		int cap = set->cap ? 2 * set->cap : 16;
		struct rw_sample *ns =
		    realloc(set->s, (size_t)cap * sizeof(*ns));
		if (ns == NULL) {
			perror("rtwork: realloc");
			exit(1);
		}
		set->s = ns;
		set->cap = cap;
	}
	struct rw_sample *s = &set->s[set->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->ex, sizeof(s->ex), "%s", ex);
	snprintf(s->param, sizeof(s->param), "%s", param);
	s->variant = variant;
	return s;
}

bool rw_set_add(struct rw_set *set, const struct rw_line *l)
{
	if (l->ex[0] == '\0' || l->variant < 0)
		return false;
	struct rw_sample *s =
	    rw_set_find(set, l->ex, l->param, l->variant, true);
	if (s->nruns == s->cap) {
		int cap = s->cap ? 2 * s->cap : 4;
		struct rw_line *nr =
		    realloc(s->runs, (size_t)cap * sizeof(*nr));
		if (nr == NULL) {
			perror("rtwork: realloc");
			exit(1);
		}
		s->runs = nr;
		s->cap = cap;
	}
	s->runs[s->nruns++] = *l;
	return true;
}

int rw_set_read(struct rw_set *set, FILE *f)
{
	char buf[1024];
	struct rw_line l;
	int n = 0;

	while (fgets(buf, sizeof(buf), f) != NULL) {
		if (rw_parse_line(buf, &l) && rw_set_add(set, &l))
			n++;
	}
	return n;
}

void rw_set_free(struct rw_set *set)
{
	for (int i = 0; i < set->n; i++)
		free(set->s[i].runs);
	free(set->s);
	memset(set, 0, sizeof(*set));
}

static int rw_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double rw_median(const struct rw_sample *s, const char *unit)
{
	double v[256];
	int k = 0;

	if (s == NULL)
		return NAN;
	for (int i = 0; i < s->nruns && k < 256; i++) {
		if (strcmp(unit, RW_UNIT_N) == 0)
			v[k++] = (double)s->runs[i].n;
		else if (rw_line_metric(&s->runs[i], unit, &v[k]))
			k++;
	}
	if (k == 0)
		return NAN;
	qsort(v, (size_t)k, sizeof(v[0]), rw_cmp_double);
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

/* ---- judging and reports ---------------------------------------------- */

struct rw_pair rw_judge(const struct exercise *ex, const struct rw_sample *b,
			const struct rw_sample *a)
{
	struct rw_pair p;

	p.before = rw_median(b, ex->rule.metric);
	p.after = rw_median(a, ex->rule.metric);
	p.ratio = verdict_ratio(p.before, p.after, ex->rule.higher_is_worse);
	p.verdict = verdict_judge(p.ratio, ex->seed_ratio);
	return p;
}

const char *rw_fmt_ratio(char *buf, size_t len, double r)
{
	if (isnan(r))
		snprintf(buf, len, "-");
	else if (isinf(r))
		snprintf(buf, len, "∞");
	else if (r >= 100)
		snprintf(buf, len, "%.0fx", r);
	else
		snprintf(buf, len, "%.2fx", r);
	return buf;
}

/* rw_fmt_num formats a figure: whole numbers as such, others with about
 * four significant digits. */
static const char *rw_fmt_num(char *buf, size_t len, double x)
{
	double y = fabs(x);
	if (isnan(x))
		snprintf(buf, len, "-");
	else if (y == 0 || y >= 999.95 || (x == floor(x) && y < 1e15))
		snprintf(buf, len, "%.0f", x);
	else if (y >= 99.995)
		snprintf(buf, len, "%.1f", x);
	else if (y >= 9.9995)
		snprintf(buf, len, "%.2f", x);
	else
		snprintf(buf, len, "%.3g", x);
	return buf;
}

/*
 * A small table printer: cells are strings, columns as wide as their
 * widest cell, counted in characters (UTF-8: "→", "∞"), two spaces apart.
 */
#define RW_COLS 8
#define RW_CELL 512

struct rw_table {
	int ncols;
	int nrows, cap;
	char (*cells)[RW_COLS][RW_CELL];
};

static void rw_table_row(struct rw_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		int cap = t->cap ? 2 * t->cap : 8;
		void *nc = realloc(t->cells, (size_t)cap * sizeof(*t->cells));
		if (nc == NULL) {
			perror("rtwork: realloc");
			exit(1);
		}
		t->cells = nc;
		t->cap = cap;
	}
	for (int c = 0; c < t->ncols; c++)
		snprintf(t->cells[t->nrows][c], RW_CELL, "%s",
			 cells[c] != NULL ? cells[c] : "");
	t->nrows++;
}

int rw_width(const char *s)
{
	int w = 0;
	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void rw_table_print(FILE *out, struct rw_table *t)
{
	int w[RW_COLS] = {0};
	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++) {
			int x = rw_width(t->cells[r][c]);
			w[c] = x > w[c] ? x : w[c];
		}
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r][c];
			bool last = c == t->ncols - 1;
			fprintf(out, "%s", s);
			for (int k = rw_width(s); !last && k < w[c] + 2; k++)
				fputc(' ', out);
		}
		fputc('\n', out);
	}
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

/* rw_trunc copies at most max characters of src (UTF-8) into dst, with
 * "…" in place of the rest: the seed's longer claims would otherwise
 * widen every row; the table's heading has them whole. */
static const char *rw_trunc(char *dst, size_t len, const char *src, int max)
{
	int w = 0;
	size_t i = 0;

	for (; src[i] != '\0'; i++) {
		if (((unsigned char)src[i] & 0xc0) != 0x80 && ++w > max)
			break;
	}
	if (src[i] == '\0')
		snprintf(dst, len, "%s", src);
	else
		snprintf(dst, len, "%.*s…", (int)i, src);
	return dst;
}

/* The standard units, which the figures column shows after the extras. */
static bool rw_std_unit(const char *u)
{
	return strcmp(u, "ns/op") == 0 || strcmp(u, "B/op") == 0 ||
	       strcmp(u, "allocs/op") == 0;
}

/* rw_units collects the units the runs of b and a report, extras sorted
 * by name first, then B/op and allocs/op; ns/op is left out. */
static int rw_units(const struct rw_sample *b, const struct rw_sample *a,
		    const char *units[], int max)
{
	int n = 0;
	const struct rw_sample *ss[2] = {b, a};
	for (int k = 0; k < 2; k++) {
		for (int i = 0; ss[k] != NULL && i < ss[k]->nruns; i++) {
			const struct rw_line *l = &ss[k]->runs[i];
			for (int j = 0; j < l->nm; j++) {
				const char *u = l->m[j].unit;
				bool seen = rw_std_unit(u);
				for (int x = 0; !seen && x < n; x++)
					seen = strcmp(units[x], u) == 0;
				if (!seen && n < max - 2)
					units[n++] = u;
			}
		}
	}
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strcmp(units[j - 1], units[j]) > 0;
		     j--) {
			const char *t = units[j];
			units[j] = units[j - 1];
			units[j - 1] = t;
		}
	units[n++] = "B/op";
	units[n++] = "allocs/op";
	return n;
}

/* rw_figures writes "unit before → after, …" for the non-ns/op units. */
static void rw_figures(char *buf, size_t len, const struct rw_sample *b,
		       const struct rw_sample *a)
{
	const char *units[2 * RW_MAX_METRICS + 2];
	int n = rw_units(b, a, units, (int)(sizeof(units) / sizeof(units[0])));
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		double vb = rw_median(b, units[i]), va = rw_median(a, units[i]);
		char sb[32], sa[32];
		if (isnan(vb) && isnan(va))
			continue;
		int w = snprintf(buf + off, len - off, "%s%s %s → %s",
				 off ? ", " : "", units[i],
				 rw_fmt_num(sb, sizeof(sb), vb),
				 rw_fmt_num(sa, sizeof(sa), va));
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

int rw_print_table(FILE *out, const struct exercise *ex, struct rw_set *set)
{
	struct rw_table t = {.ncols = 7};
	int missing = 0;
	char hb[64], ha[64];

	fprintf(out, "\n%s  %s  (ratio of %s, %s is better; seed: %s)\n",
		ex->id, ex->title, ex->rule.metric,
		ex->rule.higher_is_worse ? "lower" : "higher", ex->seed_claim);
	snprintf(hb, sizeof(hb), "before ns/op");
	snprintf(ha, sizeof(ha), "after ns/op");
	const char *head[] = {ex->param_name != NULL ? ex->param_name : "param",
			      hb,
			      ha,
			      "ratio",
			      "figures (before → after)",
			      "seed's claim",
			      "verdict"};
	rw_table_row(&t, head);
	for (int i = 0; i < rw_nparams(ex); i++) {
		const struct ex_param *p = rw_param(ex, i);
		const struct rw_sample *b =
		    rw_set_find(set, ex->id, p->name, EX_BEFORE, false);
		const struct rw_sample *a =
		    rw_set_find(set, ex->id, p->name, EX_AFTER, false);
		struct rw_pair j = rw_judge(ex, b, a);
		char nb[32], na[32], r[32], fig[RW_CELL], v[RW_CELL];

		rw_fmt_num(nb, sizeof(nb), rw_median(b, "ns/op"));
		rw_fmt_num(na, sizeof(na), rw_median(a, "ns/op"));
		rw_fmt_ratio(r, sizeof(r), j.ratio);
		rw_figures(fig, sizeof(fig), b, a);
		snprintf(v, sizeof(v), "%s", verdict_string(j.verdict));
		const struct rw_sample *fs[2] = {b, a};
		bool failed = false;
		for (int k = 0; k < 2; k++) {
			const char *why = fs[k] == NULL ? "did not run"
					  : fs[k]->failure[0] != '\0'
					      ? fs[k]->failure
					  : fs[k]->nruns == 0 ? "no result"
							      : NULL;
			if (why == NULL)
				continue;
			size_t o = strlen(v);
			snprintf(v + o, sizeof(v) - o, "%s%s: %s",
				 failed ? "; " : " (", rw_variant_name(k), why);
			failed = true;
		}
		if (failed) {
			size_t o = strlen(v);
			snprintf(v + o, sizeof(v) - o, ")");
			missing++;
		}
		char claim[RW_CELL];
		const char *row[] = {
		    p->name[0] != '\0' ? p->name : "-",
		    nb,
		    na,
		    r,
		    fig,
		    i == 0 ? rw_trunc(claim, sizeof(claim), ex->seed_claim, 40)
			   : "",
		    v};
		rw_table_row(&t, row);
	}
	rw_table_print(out, &t);
	fprintf(out, "mechanism: %s\n", ex->mechanism);
	return missing;
}

/* ---- JSON ---------------------------------------------------------------- */

static void rw_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* rw_json_num prints a finite number, or null. */
static void rw_json_num(FILE *out, double x)
{
	if (isnan(x) || isinf(x))
		fputs("null", out);
	else if (x == floor(x) && fabs(x) < 1e15)
		fprintf(out, "%.0f", x);
	else
		fprintf(out, "%.6g", x);
}

void rw_print_json(FILE *out, const struct exercise *const *exs, int nex,
		   struct rw_set *set)
{
	bool first = true;

	fputs("{\"results\": [", out);
	for (int e = 0; e < nex; e++) {
		const struct exercise *ex = exs[e];
		for (int i = 0; i < rw_nparams(ex); i++) {
			const struct ex_param *p = rw_param(ex, i);
			const struct rw_sample *s[2] = {
			    rw_set_find(set, ex->id, p->name, EX_BEFORE, false),
			    rw_set_find(set, ex->id, p->name, EX_AFTER, false)};
			struct rw_pair j = rw_judge(ex, s[0], s[1]);
			bool both = s[0] != NULL && s[0]->nruns > 0 &&
				    s[1] != NULL && s[1]->nruns > 0;
			for (int v = 0; v < 2; v++) {
				if (s[v] == NULL || s[v]->nruns == 0)
					continue;
				char r[32];
				fputs(first ? "\n  {" : ",\n  {", out);
				first = false;
				fputs("\"exercise\": ", out);
				rw_json_str(out, ex->id);
				fputs(", \"title\": ", out);
				rw_json_str(out, ex->title);
				fputs(", \"param\": ", out);
				if (p->name[0] != '\0')
					rw_json_str(out, p->name);
				else
					fputs("null", out);
				fputs(", \"variant\": ", out);
				rw_json_str(out, rw_variant_name(v));
				fprintf(out, ", \"runs\": %d", s[v]->nruns);
				fputs(", \"n\": ", out);
				rw_json_num(out, rw_median(s[v], RW_UNIT_N));
				fputs(", \"ns_per_op\": ", out);
				rw_json_num(out, rw_median(s[v], "ns/op"));
				fputs(", \"bytes_per_op\": ", out);
				rw_json_num(out, rw_median(s[v], "B/op"));
				fputs(", \"allocs_per_op\": ", out);
				rw_json_num(out, rw_median(s[v], "allocs/op"));
				fputs(", \"figures\": {", out);
				const char *units[2 * RW_MAX_METRICS + 2];
				int nu = rw_units(
				    s[v], NULL, units,
				    (int)(sizeof(units) / sizeof(units[0])));
				for (int u = 0, k = 0; u < nu; u++) {
					if (rw_std_unit(units[u]))
						continue;
					fputs(k++ ? ", " : "", out);
					rw_json_str(out, units[u]);
					fputs(": ", out);
					rw_json_num(out,
						    rw_median(s[v], units[u]));
				}
				fputs("}, \"rule\": {\"metric\": ", out);
				rw_json_str(out, ex->rule.metric);
				fprintf(out, ", \"higher_is_worse\": %s}",
					ex->rule.higher_is_worse ? "true"
								 : "false");
				fputs(", \"ratio\": ", out);
				rw_json_num(out, both ? j.ratio : NAN);
				fputs(", \"ratio_str\": ", out);
				rw_json_str(out,
					    rw_fmt_ratio(r, sizeof(r),
							 both ? j.ratio : NAN));
				fputs(", \"seed_ratio\": ", out);
				rw_json_num(out, ex->seed_ratio);
				fputs(", \"seed_claim\": ", out);
				rw_json_str(out, ex->seed_claim);
				fputs(", \"verdict\": ", out);
				if (both)
					rw_json_str(out,
						    verdict_string(j.verdict));
				else
					fputs("null", out);
				fputs(", \"mechanism\": ", out);
				rw_json_str(out, ex->mechanism);
				fputs("}", out);
			}
		}
	}
	fputs("\n], \"failures\": [", out);
	first = true;
	for (int i = 0; i < set->n; i++) {
		const struct rw_sample *s = &set->s[i];
		if (s->failure[0] == '\0')
			continue;
		fputs(first ? "\n  {" : ",\n  {", out);
		first = false;
		fputs("\"exercise\": ", out);
		rw_json_str(out, s->ex);
		fputs(", \"param\": ", out);
		if (s->param[0] != '\0')
			rw_json_str(out, s->param);
		else
			fputs("null", out);
		fputs(", \"variant\": ", out);
		rw_json_str(out, rw_variant_name(s->variant));
		fputs(", \"error\": ", out);
		rw_json_str(out, s->failure);
		fputs("}", out);
	}
	fputs(first ? "]}\n" : "\n]}\n", out);
	fflush(out);
}

/* ---- librt beside Go ----------------------------------------------------- */

int rw_print_compare(FILE *out, const struct exercise *const *exs, int nex,
		     struct rw_set *librt, struct rw_set *go)
{
	struct rw_table t = {.ncols = 8};
	int missing = 0;
	const char *head[] = {"exercise",      "param",	       "librt ratio",
			      "Go ratio",      "seed's claim", "librt/Go",
			      "librt verdict", "Go verdict"};

	fprintf(out, "ratios are the rule's metric, before/after (after/"
		     "before where lower is worse): > 1 means the after is "
		     "better\n\n");
	rw_table_row(&t, head);
	for (int e = 0; e < nex; e++) {
		const struct exercise *ex = exs[e];
		for (int i = 0; i < rw_nparams(ex); i++) {
			const struct ex_param *p = rw_param(ex, i);
			struct rw_pair l =
			    rw_judge(ex,
				     rw_set_find(librt, ex->id, p->name,
						 EX_BEFORE, false),
				     rw_set_find(librt, ex->id, p->name,
						 EX_AFTER, false));
			struct rw_pair g = rw_judge(
			    ex,
			    rw_set_find(go, ex->id, p->name, EX_BEFORE, false),
			    rw_set_find(go, ex->id, p->name, EX_AFTER, false));
			char lr[32], gr[32], rr[32], ex_col[160],
			    claim[RW_CELL];
			double rofr = NAN;
			if (isfinite(l.ratio) && isfinite(g.ratio) &&
			    g.ratio > 0)
				rofr = l.ratio / g.ratio;
			if (isnan(l.ratio) || isnan(g.ratio))
				missing++;
			snprintf(ex_col, sizeof(ex_col), "%s %s", ex->id,
				 ex->title);
			const char *row[] = {
			    i == 0 ? ex_col : "",
			    p->name[0] != '\0' ? p->name : "-",
			    rw_fmt_ratio(lr, sizeof(lr), l.ratio),
			    rw_fmt_ratio(gr, sizeof(gr), g.ratio),
			    i == 0 ? rw_trunc(claim, sizeof(claim),
					      ex->seed_claim, 40)
				   : "",
			    rw_fmt_ratio(rr, sizeof(rr), rofr),
			    verdict_string(l.verdict),
			    verdict_string(g.verdict)};
			rw_table_row(&t, row);
		}
	}
	rw_table_print(out, &t);
	return missing;
}

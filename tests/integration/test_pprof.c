/*
 * test_pprof.c — `--pprof FILE` writes a profile that pprof reads and that
 * says what rttrace's own reports say.
 *
 * The traced program is rtwork's ex09 before (a 64 KiB make([]byte) per
 * call: mallocgc on the hot path, the seed's §16 "mallocgc > 5 %"). One
 * traced run writes three views of the same samples: the report's
 * signature table (--json), the folded stacks (--folded, flamegraph.c)
 * and the pprof profile. The tests check that they agree exactly —
 * totals, the mallocgc share, every function's flat count, hence the top
 * function — whatever the machine's speed; never a timing.
 *
 * Two readers of the file: Debian's `go tool pprof` (Go 1.19, run offline
 * with HOME and GOCACHE in a temporary directory), and protobuf-c with the
 * code generated from user/profile.proto, to check the structure pprof
 * forgives (ids resolve, string 0 is "", the period is 1e9/freq).
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include <ctype.h>
#include <dirent.h>
#include <math.h>

#include <zlib.h>

#include "profile.pb-c.h"
#include "rtt_cmd.h"

#define TIMEOUT	 600
#define GO	 "/usr/lib/go-1.19/bin/go"
#define MAX_FNS	 4096
#define FREQ_HZ	 99
#define NS_PER_S 1000000000.0

/* ---- temporary directory ---------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/rttrace-pprof-XXXXXX");
	ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp: %s", strerror(errno));
}

static char *tmp_path(const char *name)
{
	char *p;

	ck_assert_int_ne(asprintf(&p, "%s/%s", tmpdir, name), -1);
	return p;
}

/* remove_tmpdir removes the test's files (the directory is flat, except
 * pprof's HOME). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *p;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		ck_assert_int_ne(asprintf(&p, "%s/%s", dir, e->d_name), -1);
		if (e->d_type == DT_DIR)
			remove_tree(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

/* ---- reading the files ------------------------------------------------ */

/* read_text returns a text file's contents, NUL-terminated. */
static char *read_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	return slurp_fd(fd);
}

/* gunzip_file reads a gzip file whole, decompressed. */
static unsigned char *gunzip_file(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0;
	int n;

	ck_assert_msg(gz != NULL, "gzopen %s: %s", path, strerror(errno));
	*len = 0;
	do {
		if (*len + 65536 > cap) {
			cap = (cap + 65536) * 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		n = gzread(gz, buf + *len, 65536);
		ck_assert_msg(n >= 0, "gzread %s failed", path);
		*len += (size_t)n;
	} while (n > 0);
	ck_assert_int_eq(gzclose(gz), Z_OK);
	return buf;
}

/* is_gzip checks the file starts with gzip's magic number (1f 8b). */
static bool is_gzip(const char *path)
{
	unsigned char magic[2] = {0};
	FILE *f = fopen(path, "rb");
	bool ok;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ok = fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	fclose(f);
	return ok;
}

static Perftools__Profiles__Profile *decode(const char *path)
{
	Perftools__Profiles__Profile *p;
	unsigned char *buf;
	size_t len;

	ck_assert_msg(is_gzip(path), "%s is not gzip", path);
	buf = gunzip_file(path, &len);
	p = perftools__profiles__profile__unpack(NULL, len, buf);
	ck_assert_msg(p != NULL, "%s does not decode as a Profile", path);
	free(buf);
	return p;
}

static const char *pstr(const Perftools__Profiles__Profile *p, int64_t i)
{
	ck_assert_msg(i >= 0 && (size_t)i < p->n_string_table,
		      "string index %lld out of the table (%zu)", (long long)i,
		      p->n_string_table);
	return p->string_table[i];
}

/*
 * check_structure checks what a reader relies on: string 0 is "", every
 * sample has one value per type and only locations that exist, every
 * location's mapping and every line's function exist. Returns the sum
 * of each sample's value[idx].
 */
static int64_t check_structure(const Perftools__Profiles__Profile *p,
			       size_t idx)
{
	int64_t sum = 0;

	ck_assert_uint_ge(p->n_string_table, 1);
	ck_assert_str_eq(p->string_table[0], "");
	ck_assert_uint_gt(p->n_sample, 0);
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];

		ck_assert_uint_eq(s->n_value, p->n_sample_type);
		ck_assert_uint_gt(s->n_location_id, 0);
		for (size_t j = 0; j < s->n_location_id; j++)
			ck_assert_msg(
			    s->location_id[j] >= 1 &&
				s->location_id[j] <= p->n_location &&
				p->location[s->location_id[j] - 1]->id ==
				    s->location_id[j],
			    "sample %zu: no location %llu", i,
			    (unsigned long long)s->location_id[j]);
		sum += s->value[idx];
	}
	for (size_t i = 0; i < p->n_location; i++) {
		const Perftools__Profiles__Location *l = p->location[i];
		bool found = l->mapping_id == 0;

		for (size_t m = 0; m < p->n_mapping; m++)
			found |= p->mapping[m]->id == l->mapping_id;
		ck_assert_msg(found, "location %llu: no mapping %llu",
			      (unsigned long long)l->id,
			      (unsigned long long)l->mapping_id);
		ck_assert_uint_gt(l->n_line, 0);
		for (size_t j = 0; j < l->n_line; j++) {
			uint64_t f = l->line[j]->function_id;

			ck_assert_msg(f >= 1 && f <= p->n_function &&
					  p->function[f - 1]->id == f,
				      "location %llu: no function %llu",
				      (unsigned long long)l->id,
				      (unsigned long long)f);
			ck_assert_str_ne(pstr(p, p->function[f - 1]->name), "");
		}
	}
	return sum;
}

/* ---- the tables to compare -------------------------------------------- */

/* A function and its flat and cumulative counts. */
struct fn_count {
	char name[256];
	long long flat, cum;
};

struct fn_table {
	struct fn_count v[MAX_FNS];
	size_t n;
	long long total;
};

static struct fn_count *fn_get(struct fn_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	ck_assert_uint_lt(t->n, MAX_FNS);
	snprintf(t->v[t->n].name, sizeof(t->v[t->n].name), "%s", name);
	return &t->v[t->n++];
}

/* top_flat returns the function with the most flat samples, and whether
 * another has as many in *tie. */
static const struct fn_count *top_flat(const struct fn_table *t, bool *tie)
{
	const struct fn_count *top = NULL;

	*tie = false;
	for (size_t i = 0; i < t->n; i++) {
		if (!top || t->v[i].flat > top->flat) {
			top = &t->v[i];
			*tie = false;
		} else if (t->v[i].flat == top->flat) {
			*tie = true;
		}
	}
	ck_assert_ptr_nonnull(top);
	return top;
}

/*
 * strip_annotation drops what folded stacks add to a frame's name —
 * FlameGraph's "_[k]" (kernel) and "_[i]" (inlined) — and what pprof adds
 * — " (inline)", or " (partial-inline)" for a function some samples see
 * inlined and others not (CI once saw "schedule (partial-inline)") — so
 * that both name a function alike.
 */
static void strip_annotation(char *name)
{
	static const char *const sfx[] = {"_[k]", "_[i]", " (inline)",
					  " (partial-inline)"};
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t sl = strlen(sfx[i]);

		if (len > sl && !strcmp(name + len - sl, sfx[i])) {
			name[len - sl] = '\0';
			return;
		}
	}
}

/* pseudo says whether name is a stand-in ("[stack lost]", "[libc.so.6]")
 * rather than a function: the two writers need not word those alike. */
static bool pseudo(const char *name)
{
	return name[0] == '[' || name[0] == '<';
}

/*
 * folded_flat reads folded stacks ("a;b;c 12") into t: each stack's weight
 * is its leaf's flat count.
 */
static void folded_flat(const char *path, struct fn_table *t)
{
	char *text = read_text(path), *save = NULL;

	memset(t, 0, sizeof(*t));
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' '), *leaf;
		long long w;

		ck_assert_msg(sp != NULL, "bad folded line: %s", line);
		*sp = '\0';
		w = strtoll(sp + 1, NULL, 10);
		leaf = strrchr(line, ';');
		leaf = leaf ? leaf + 1 : line;
		strip_annotation(leaf);
		fn_get(t, leaf)->flat += w;
		t->total += w;
	}
	free(text);
}

/*
 * pprof_top parses `go tool pprof -top -sample_index=samples` output:
 * "Showing nodes accounting for N, P% of TOTAL total", then rows
 * "flat flat% sum% cum cum% name". Rows of one name (static functions of
 * different files) add up.
 */
static void pprof_top(const char *out, struct fn_table *t)
{
	const char *p = strstr(out, " total\n"), *line;

	memset(t, 0, sizeof(*t));
	ck_assert_msg(p != NULL, "no total in pprof's output:\n%s", out);
	while (p > out && p[-1] != ' ')
		p--;
	t->total = strtoll(p, NULL, 10);
	line = strstr(out, "      flat  flat%   sum%        cum   cum%\n");
	ck_assert_msg(line != NULL, "no table in pprof's output:\n%s", out);
	line = strchr(line, '\n') + 1;
	while (*line) {
		const char *eol = strchrnul(line, '\n');
		char row[512], name[300];
		long long flat, cum;
		int off = 0;

		snprintf(row, sizeof(row), "%.*s", (int)(eol - line), line);
		ck_assert_msg(sscanf(row, " %lld %*f%% %*f%% %lld %*f%% %n",
				     &flat, &cum, &off) == 2 &&
				  off > 0,
			      "bad pprof row: %s", row);
		snprintf(name, sizeof(name), "%s", row + off);
		strip_annotation(name);
		fn_get(t, name)->flat += flat;
		fn_get(t, name)->cum += cum;
		line = *eol ? eol + 1 : eol;
	}
}

/* run_pprof runs `go tool pprof -top` on file, every node shown, values
 * of sample type index, offline, its caches in the test's directory; it
 * returns pprof's stdout. */
static char *run_pprof(const char *index, const char *file)
{
	char *home = tmp_path("gohome"), *cache = tmp_path("gohome/cache");
	char *sample_index, *out;
	struct run r;

	ck_assert_int_ne(asprintf(&sample_index, "-sample_index=%s", index),
			 -1);
	char *argv[] = {GO,
			"tool",
			"pprof",
			"-top",
			sample_index,
			"-nodecount=100000",
			"-nodefraction=0",
			"-edgefraction=0",
			(char *)file,
			NULL};

	require_file(GO);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	setenv("GOCACHE", cache, 1);
	setenv("GOPROXY", "off", 1);
	setenv("PPROF_TMPDIR", home, 1);
	r = run_cmd(argv, false);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		      "go tool pprof -top %s failed (status 0x%x):\n%s\n%s",
		      file, r.status, r.out, r.err);
	out = r.out;
	free(r.err);
	free(sample_index);
	free(home);
	free(cache);
	return out;
}

/* ---- running rttrace -------------------------------------------------- */

/*
 * trace_ex runs `rttrace trace --json OPTS… -- rtwork EX before
 * -benchtime 1s` and checks it exited 0.
 */
static struct run trace_ex(const char *ex, char *const *opts)
{
	char *rttrace = build_path("rttrace");
	char *rtwork = build_path("rtwork");
	char *argv[24];
	struct run r;
	int n = 0;

	require_file(rttrace);
	require_file(rtwork);
	argv[n++] = rttrace;
	argv[n++] = "trace";
	argv[n++] = "--json";
	for (; *opts; opts++)
		argv[n++] = *opts;
	argv[n++] = "--";
	argv[n++] = rtwork;
	argv[n++] = (char *)ex;
	argv[n++] = "before";
	argv[n++] = "-benchtime";
	argv[n++] = "1s";
	argv[n] = NULL;
	r = run_cmd(argv, false);
	check_exited_ok(&r);
	free(rttrace);
	free(rtwork);
	return r;
}

/* The report's signature table: its sample count and mallocgc's row. */
struct sig {
	long long samples, mallocgc;
	double mallocgc_pct;
};

static struct sig read_sig(const struct run *r)
{
	const char *json, *json_end, *s, *s_end, *row, *row_end;
	const char *pat = "\"signature\": \"mallocgc\"";
	struct sig g;
	const char *v;

	json = json_report(r->out, &json_end);
	s = json_member_object(json, json_end, "signatures", &s_end);
	ck_assert_msg(s != NULL, "no signatures in:\n%s", json);
	g.samples = json_member_uint(s, s_end, "samples");
	row = memmem(s, (size_t)(s_end - s), pat, strlen(pat));
	ck_assert_msg(row != NULL, "no mallocgc row");
	while (*row != '{')
		row--;
	row_end = json_object_end(row);
	ck_assert_ptr_nonnull(row_end);
	g.mallocgc = json_member_uint(row, row_end, "samples");
	v = json_member(row, row_end, "value");
	ck_assert_ptr_nonnull(v);
	g.mallocgc_pct = strtod(v, NULL);
	return g;
}

/* folded_has_root says whether a line of the folded text starts with the
 * frame root ("root;…" or "root N"). */
static bool folded_has_root(const char *text, const char *root)
{
	size_t n = strlen(root);

	for (const char *l = text; *l; l = strchrnul(l, '\n'), l += !!*l)
		if (!strncmp(l, root, n) && (l[n] == ';' || l[n] == ' '))
			return true;
	return false;
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_go_tool_pprof_reads_it_and_agrees_with_rttrace)
{
	char *pb, *folded, *out;
	struct fn_table *pt = calloc(1, sizeof(*pt));
	struct fn_table *ft = calloc(1, sizeof(*ft));
	const struct fn_count *ptop, *ftop, *malloc_row;
	struct run r;
	struct sig g;
	bool ptie, ftie;

	ck_assert(pt && ft);
	make_tmpdir();
	pb = tmp_path("ex09.pb.gz");
	folded = tmp_path("ex09.folded");
	r = trace_ex("ex09",
		     (char *[]){"--pprof", pb, "--folded", folded, NULL});
	g = read_sig(&r);
	ck_assert_msg(g.samples > 0, "no CPU samples:\n%s", r.out);

	out = run_pprof("samples", pb);
	pprof_top(out, pt);
	/* every sample is in the profile, the unrecorded ones too */
	ck_assert_msg(pt->total == g.samples,
		      "pprof's total %lld, rttrace's table %lld samples:\n%s",
		      pt->total, g.samples, out);
	ck_assert_msg(strstr(out, "Type: samples"), "%s", out);

	/* the §16 row: samples with mallocgc on the stack, both ways */
	malloc_row = fn_get(pt, "rt_mallocgc");
	ck_assert_msg(malloc_row->cum == g.mallocgc,
		      "rt_mallocgc: pprof cum %lld, rttrace's mallocgc row "
		      "%lld samples:\n%s",
		      malloc_row->cum, g.mallocgc, out);
	/* ex09 before: mallocgc dominates, over the seed's 5 % */
	ck_assert_msg(
	    g.mallocgc_pct > 5.0 && 100.0 * malloc_row->cum / pt->total > 5.0,
	    "mallocgc %.1f %% of the samples:\n%s", g.mallocgc_pct, out);

	/* every named function's flat count is the folded stacks' */
	folded_flat(folded, ft);
	for (size_t i = 0; i < pt->n; i++) {
		const struct fn_count *c = &pt->v[i];

		if (pseudo(c->name))
			continue;
		ck_assert_msg(fn_get(ft, c->name)->flat == c->flat,
			      "%s: flat %lld in pprof, %lld in the folded "
			      "stacks",
			      c->name, c->flat, fn_get(ft, c->name)->flat);
	}
	ck_assert_msg(ft->total <= pt->total, "folded %lld > pprof %lld",
		      ft->total, pt->total);

	/* hence the same top function, ties aside */
	ptop = top_flat(pt, &ptie);
	ftop = top_flat(ft, &ftie);
	ck_assert_msg(!strcmp(ptop->name, ftop->name) ||
			  (ptie && ftie && ptop->flat == ftop->flat),
		      "top function: pprof %s (%lld), rttrace %s (%lld)\n%s",
		      ptop->name, ptop->flat, ftop->name, ftop->flat, out);

	free(out);
	run_free(&r);
	free(pb);
	free(folded);
	free(pt);
	free(ft);
	remove_tree(tmpdir);
}
END_TEST

START_TEST(test_file_is_gzip_and_decodes_to_the_sample_count)
{
	Perftools__Profiles__Profile *p;
	char *pb;
	struct run r;
	struct sig g;
	int64_t samples, cpu_ns, period;
	bool exe_first;

	make_tmpdir();
	pb = tmp_path("ex09.pb.gz");
	r = trace_ex("ex09", (char *[]){"--pprof", pb, NULL});
	g = read_sig(&r);
	p = decode(pb);

	/* Go's CPU profile's types and period */
	ck_assert_uint_eq(p->n_sample_type, 2);
	ck_assert_str_eq(pstr(p, p->sample_type[0]->type), "samples");
	ck_assert_str_eq(pstr(p, p->sample_type[0]->unit), "count");
	ck_assert_str_eq(pstr(p, p->sample_type[1]->type), "cpu");
	ck_assert_str_eq(pstr(p, p->sample_type[1]->unit), "nanoseconds");
	ck_assert_ptr_nonnull(p->period_type);
	ck_assert_str_eq(pstr(p, p->period_type->type), "cpu");
	ck_assert_str_eq(pstr(p, p->period_type->unit), "nanoseconds");
	period = (int64_t)llround(NS_PER_S / FREQ_HZ);
	ck_assert_int_eq(p->period, period);
	ck_assert_int_gt(p->duration_nanos, 0);
	ck_assert_int_gt(p->time_nanos, 0);

	samples = check_structure(p, 0);
	cpu_ns = check_structure(p, 1);
	ck_assert_int_eq(samples, g.samples);
	ck_assert_int_eq(cpu_ns, samples * period);

	/* mapping 0 is the main binary, as pprof reads it */
	ck_assert_uint_gt(p->n_mapping, 0);
	exe_first = strlen(pstr(p, p->mapping[0]->filename)) >= 7 &&
		    !strcmp(pstr(p, p->mapping[0]->filename) +
				strlen(pstr(p, p->mapping[0]->filename)) - 7,
			    "/rtwork");
	ck_assert_msg(exe_first, "mapping 0 is %s",
		      pstr(p, p->mapping[0]->filename));
	/* inlined calls are lines of their caller's location */
	{
		bool inlined = false;

		for (size_t i = 0; i < p->n_location; i++)
			inlined |= p->location[i]->n_line > 1;
		ck_assert_msg(inlined, "no location with an inlined call");
	}

	perftools__profiles__profile__free_unpacked(p, NULL);
	run_free(&r);
	free(pb);
	remove_tree(tmpdir);
}
END_TEST

/*
 * With --blocking, FILE-blocking.pb.gz is the blocking profile: one
 * sample type, delay in nanoseconds, each stack rooted at its wait
 * reason, and the same total as the folded blocking stacks (each weight
 * rounded to a nanosecond).
 */
START_TEST(test_blocking_goes_to_a_second_file_weighted_by_delay)
{
	Perftools__Profiles__Profile *p;
	char *pb, *folded, *pb_blk, *folded_blk, *out;
	struct fn_table *ft = calloc(1, sizeof(*ft));
	char *roots;
	bool chan_root = false;
	struct run r;
	int64_t total;

	ck_assert_ptr_nonnull(ft);
	make_tmpdir();
	pb = tmp_path("ex01.pb.gz");
	folded = tmp_path("ex01.folded");
	pb_blk = tmp_path("ex01-blocking.pb.gz");
	folded_blk = tmp_path("ex01-blocking.folded");
	r = trace_ex("ex01", (char *[]){"--pprof", pb, "--folded", folded,
					"--blocking", NULL});
	p = decode(pb_blk);
	ck_assert_uint_eq(p->n_sample_type, 1);
	ck_assert_str_eq(pstr(p, p->sample_type[0]->type), "delay");
	ck_assert_str_eq(pstr(p, p->sample_type[0]->unit), "nanoseconds");
	total = check_structure(p, 0);
	folded_flat(folded_blk, ft);
	ck_assert_msg(total > 0, "nothing blocked in ex01 before");
	ck_assert_msg(llabs(total - ft->total) <= (long long)p->n_sample,
		      "blocking: pprof %lld ns, folded %lld ns",
		      (long long)total, ft->total);
	/* the root of every stack is a folded stack's root: its wait
	 * reason; ex01's reducer waits on its channel */
	roots = read_text(folded_blk);
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		const Perftools__Profiles__Location *root =
		    p->location[s->location_id[s->n_location_id - 1] - 1];
		const char *fn =
		    pstr(p, p->function[root->line[0]->function_id - 1]->name);

		ck_assert_msg(folded_has_root(roots, fn),
			      "sample %zu's root %s roots no folded stack", i,
			      fn);
		chan_root |= strncmp(fn, "chan ", 5) == 0;
	}
	ck_assert_msg(chan_root, "no stack rooted at a channel wait:\n%s",
		      roots);
	free(roots);
	/* and pprof reads it */
	out = run_pprof("delay", pb_blk);
	ck_assert_msg(strstr(out, "Type: delay"), "%s", out);
	free(out);

	perftools__profiles__profile__free_unpacked(p, NULL);
	run_free(&r);
	free(pb);
	free(folded);
	free(pb_blk);
	free(folded_blk);
	free(ft);
	remove_tree(tmpdir);
}
END_TEST

START_TEST(test_run_both_variants_write_before_and_after_files)
{
	char *rttrace = build_path("rttrace"), *pb;
	const char *names[] = {"ex09-before.pb.gz", "ex09-after.pb.gz"};
	char *argv[] = {rttrace, "run",	    "ex09", "--benchtime",
			"200ms", "--pprof", NULL,   NULL};
	struct run r;

	require_file(rttrace);
	make_tmpdir();
	pb = tmp_path("ex09.pb.gz");
	argv[6] = pb;
	r = run_cmd(argv, false);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		      "rttrace run failed (0x%x):\n%s\n%s", r.status, r.out,
		      r.err);
	ck_assert_msg(access(pb, F_OK) != 0, "%s written besides", pb);
	for (int i = 0; i < 2; i++) {
		char *path = tmp_path(names[i]);
		Perftools__Profiles__Profile *p = decode(path);

		ck_assert_int_gt(check_structure(p, 0), 0);
		perftools__profiles__profile__free_unpacked(p, NULL);
		free(path);
	}
	run_free(&r);
	free(pb);
	free(rttrace);
	remove_tree(tmpdir);
}
END_TEST

START_TEST(test_pprof_without_the_cpu_samples_is_refused)
{
	char *rttrace = build_path("rttrace"), *rtwork = build_path("rtwork");
	char *pb;
	char *argv[] = {rttrace,  "trace",	"--no-profile", "--pprof",
			NULL,	  "--",		rtwork,		"ex09",
			"before", "-benchtime", "100ms",	NULL};
	struct run r;

	require_file(rttrace);
	make_tmpdir();
	pb = tmp_path("x.pb.gz");
	argv[4] = pb;
	r = run_cmd(argv, false);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) != 0,
		      "rttrace accepted --pprof with --no-profile:\n%s", r.err);
	ck_assert_msg(strstr(r.err, "--no-profile"), "%s", r.err);
	ck_assert_msg(access(pb, F_OK) != 0, "%s written", pb);
	run_free(&r);
	free(pb);
	free(rttrace);
	free(rtwork);
	remove_tree(tmpdir);
}
END_TEST

static Suite *pprof_suite(void)
{
	Suite *s = suite_create("pprof");
	TCase *tc = tcase_create("pprof");

	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_go_tool_pprof_reads_it_and_agrees_with_rttrace);
	tcase_add_test(tc, test_file_is_gzip_and_decodes_to_the_sample_count);
	tcase_add_test(tc,
		       test_blocking_goes_to_a_second_file_weighted_by_delay);
	tcase_add_test(tc, test_run_both_variants_write_before_and_after_files);
	tcase_add_test(tc, test_pprof_without_the_cpu_samples_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_main("test_pprof", pprof_suite);
}

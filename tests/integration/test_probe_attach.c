/*
 * test_probe_attach.c — how rttrace attaches to librt's probe sites
 * (user/probe_attach.c), both ways: one uprobe_multi link per program
 * (the default on Linux >= 6.6) and one uprobe per site
 * (RTTRACE_NO_UPROBE_MULTI=1, the fallback for older kernels). Each way
 * must attach every site of every probe and count exactly what librt
 * counts; every concern's links detach in one go; and a binary
 * built with another probe ABI is refused before anything is loaded.
 *
 * Runs build/rttrace -v on build/tests/progs/parkready (as root). Not
 * linked with librt. Exits 77 (skipped) when not root.
 */
#include "rtt_cmd.h"

#define TIMEOUT 600

enum way { MULTI, PER_SITE };

/*
 * trace_verbose runs `rttrace -v trace --json -- parkready 5000 50000`
 * attaching the given way, with RT_STATS=1, checks it exited 0 and that
 * every probe's count equals librt's own.
 */
static struct run trace_verbose(enum way way)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/parkready");
	char *argv[] = {rttrace, "-v",	 "trace", "--json", "--",
			prog,	 "5000", "50000", NULL};
	long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM];
	struct run r;

	require_file(rttrace);
	require_file(prog);
	if (way == PER_SITE)
		setenv("RTTRACE_NO_UPROBE_MULTI", "1", 1);
	else
		unsetenv("RTTRACE_NO_UPROBE_MULTI");
	r = run_cmd(argv, true);
	check_exited_ok(&r);
	rt_stats_counts(r.err, own);
	json_probe_counts(r.out, bpf);
	check_counts_equal(&r, bpf, own);
	free(rttrace);
	free(prog);
	return r;
}

/* readelf_sites counts parkready's sites per probe, as readelf -n lists. */
static void readelf_sites(unsigned int sites[RT_PROBE_NUM])
{
	char *prog = build_path("tests/progs/parkready"), *cmd, line[512];
	int rt = 0;
	FILE *f;

	memset(sites, 0, RT_PROBE_NUM * sizeof(sites[0]));
	ck_assert_int_ne(asprintf(&cmd, "readelf -n '%s'", prog), -1);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		const char *prov = strstr(line, "Provider: ");
		const char *name = strstr(line, "Name: ");
		char word[128];

		if (prov && sscanf(prov, "Provider: %127s", word) == 1) {
			rt = strcmp(word, "rt") == 0;
		} else if (rt && name &&
			   sscanf(name, "Name: %127s", word) == 1) {
			for (int i = 0; i < RT_PROBE_NUM; i++)
				if (strcmp(word, probe_names[i]) == 0)
					sites[i]++;
			rt = 0;
		}
	}
	ck_assert_int_eq(pclose(f), 0);
	free(cmd);
	free(prog);
}

/*
 * check_every_site_attached: for every probe parkready carries, -v says
 * "attached rt:NAME (N sites, HOW)" with N its readelf count, and HOW
 * the way asked.
 */
static void check_every_site_attached(const struct run *r, const char *how)
{
	unsigned int sites[RT_PROBE_NUM];

	readelf_sites(sites);
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		char want[128];

		if (!sites[i])
			continue;
		snprintf(want, sizeof(want), "attached rt:%s (%u sites, %s)",
			 probe_names[i], sites[i], how);
		ck_assert_msg(strstr(r->err, want) != NULL,
			      "no \"%s\" in rttrace -v's notes:\n%s", want,
			      r->err);
	}
}

/* count_attached counts rttrace -v's "attached rt:" notes: one per
 * program attached, of every concern. */
static unsigned count_attached(const struct run *r)
{
	unsigned n = 0;

	for (const char *p = r->err; (p = strstr(p, "rttrace: attached rt:"));
	     p++)
		n++;
	return n;
}

/*
 * check_one_detach checks that rttrace detached everything it attached in
 * one go (tracer_stop's probe_detach_sets: every close shares the kernel's
 * grace periods): exactly one "detached N probes" note, N the programs
 * attached, by links (uprobe_multi) or per-site uprobes as want_multi.
 */
static void check_one_detach(const struct run *r, bool want_multi)
{
	const char *p = strstr(r->err, "rttrace: detached ");
	unsigned probes, links, sites;
	double ms;

	ck_assert_msg(p != NULL, "no detach note:\n%s", r->err);
	ck_assert_msg(strstr(p + 1, "rttrace: detached ") == NULL,
		      "more than one detach note:\n%s", r->err);
	ck_assert_int_eq(sscanf(p,
				"rttrace: detached %u probes (%u "
				"uprobe_multi links, %u per-site "
				"uprobes) in %lf ms",
				&probes, &links, &sites, &ms),
			 4);
	ck_assert_uint_eq(probes, count_attached(r));
	if (want_multi) {
		ck_assert_uint_eq(links, probes);
		ck_assert_uint_eq(sites, 0);
	} else {
		ck_assert_uint_eq(links, 0);
		ck_assert_uint_ge(sites, probes);
	}
}

START_TEST(test_uprobe_multi_attaches_every_site_and_counts_exactly)
{
	struct run r = trace_verbose(MULTI);

	if (strstr(r.err, "no uprobe_multi in this kernel")) {
		/* a kernel before 6.6: the fallback is all there is */
		check_every_site_attached(&r, "uprobe per site");
	} else {
		ck_assert_msg(strstr(r.err, "attaching with uprobe_multi "
					    "links") != NULL,
			      "no uprobe_multi note:\n%s", r.err);
		check_every_site_attached(&r, "uprobe_multi");
	}
	run_free(&r);
}
END_TEST

START_TEST(test_uprobe_per_site_attaches_every_site_and_counts_exactly)
{
	struct run r = trace_verbose(PER_SITE);

	ck_assert_msg(strstr(r.err, "RTTRACE_NO_UPROBE_MULTI set: one uprobe "
				    "per probe site") != NULL,
		      "no per-site note:\n%s", r.err);
	check_every_site_attached(&r, "uprobe per site");
	run_free(&r);
}
END_TEST

START_TEST(test_uprobe_multi_links_detach_in_one_synchronization)
{
	struct run r = trace_verbose(MULTI);

	if (strstr(r.err, "no uprobe_multi in this kernel")) {
		run_free(&r);
		return; /* the per-site test covers it */
	}
	check_one_detach(&r, true);
	run_free(&r);
}
END_TEST

START_TEST(test_per_site_uprobes_all_detach)
{
	struct run r = trace_verbose(PER_SITE);

	check_one_detach(&r, false);
	run_free(&r);
}
END_TEST

/*
 * A binary whose notes give a probe another argument spec than
 * runtime/probes.h (here: a copy of parkready with one spec's first
 * register changed, as a librt before fixed registers had it) is refused
 * with one line, before any BPF is loaded.
 */
START_TEST(test_binary_with_an_older_probe_abi_is_refused_with_one_line)
{
	static const char from[] = "8@%rdi 8@%rsi"; /* NUL included */
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/parkready");
	char copy[] = "/tmp/rttrace-old-abi-XXXXXX";
	char *argv[] = {rttrace, "trace", "--", copy, NULL};
	int in, out;
	struct stat st;
	char *buf, *hit;
	struct run r;

	require_file(rttrace);
	require_file(prog);
	in = open(prog, O_RDONLY);
	ck_assert_int_ge(in, 0);
	ck_assert_int_eq(fstat(in, &st), 0);
	buf = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(read(in, buf, (size_t)st.st_size), st.st_size);
	close(in);
	hit = memmem(buf, (size_t)st.st_size, from, sizeof(from));
	ck_assert_msg(hit != NULL, "no note with arguments \"%s\"", from);
	memcpy(hit, "8@%rax", 6);
	out = mkstemp(copy);
	ck_assert_int_ge(out, 0);
	ck_assert_int_eq(write(out, buf, (size_t)st.st_size), st.st_size);
	ck_assert_int_eq(fchmod(out, 0755), 0);
	close(out);
	free(buf);

	unsetenv("RTTRACE_NO_UPROBE_MULTI");
	r = run_cmd(argv, false);
	unlink(copy);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1,
		      "status 0x%x, want exit 1\nstderr:\n%s", r.status, r.err);
	ck_assert_msg(strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
		      "want one line on stderr, got:\n%s", r.err);
	ck_assert_msg(strstr(r.err, "built with an older librt probe ABI: "
				    "rebuild it") != NULL,
		      "stderr: %s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	free(rttrace);
	free(prog);
}
END_TEST

static Suite *probe_attach_suite(void)
{
	Suite *s = suite_create("probe_attach");
	TCase *tc = tcase_create("attach");

	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(
	    tc, test_uprobe_multi_attaches_every_site_and_counts_exactly);
	tcase_add_test(
	    tc, test_uprobe_per_site_attaches_every_site_and_counts_exactly);
	tcase_add_test(tc,
		       test_uprobe_multi_links_detach_in_one_synchronization);
	tcase_add_test(tc, test_per_site_uprobes_all_detach);
	tcase_add_test(
	    tc, test_binary_with_an_older_probe_abi_is_refused_with_one_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rtt_main("test_probe_attach", probe_attach_suite);
}

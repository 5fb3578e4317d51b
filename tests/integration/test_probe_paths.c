/*
 * test_probe_paths.c — both ways the kernel can reach an attached librt
 * probe site work, and count exactly:
 *
 *  - the trampoline path: librt's 5-byte-nop site becomes, at its first
 *    attached hit, a call into the [uprobes-trampoline] mapping (Linux
 *    6.18 here), whose call pushes below %rsp;
 *  - the int3 path, as on kernels without that optimization: the same
 *    programs built with 1-byte-nop sites (the $(OUT)/nop1 tree,
 *    RT_PROBE_SITE_NOP1 in runtime/probes.h) trap with int3 at every hit.
 *
 * On each path `rttrace trace --sample off` (every hit fires) of
 * tests/progs/probesite must report every probe's count equal to librt's
 * own (RT_STATS=1), and the program, reading its own sites through
 * /proc/self/mem while traced, must find the bytes the path implies.
 * tests/progs/leafprobe checks that probes in leaf functions do not
 * corrupt their locals when attached (librt's files are built with
 * -mno-red-zone), and its red-zone build shows that the check would see
 * it if they did.
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include <sys/utsname.h>

#include "rtt_cmd.h"

#define TIMEOUT 300

/* what probesite printed */
struct sites {
	int attached;
	long long conversions;
	int n, nop, int3, call, trampoline;
};

/* what leafprobe printed */
struct leaf {
	int attached;
	unsigned long long hits, checksum, mismatches;
	int nsites, calls;
};

/*
 * kernel_optimizes_uprobes: the 5-byte-nop trampoline is in this kernel's
 * line (6.18 and later); an older kernel keeps int3 at every site, which
 * the tests then accept.
 */
static bool kernel_optimizes_uprobes(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	ck_assert_int_eq(uname(&u), 0);
	sscanf(u.release, "%d.%d", &major, &minor);
	return major > 6 || (major == 6 && minor >= 18);
}

/*
 * trace runs `rttrace trace --json --sample off -- PROG [ARG]` (PROG
 * relative to the build directory) with RT_STATS=1.
 */
static struct run trace(const char *prog_rel, const char *arg)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path(prog_rel);
	char *argv[] = {rttrace, "trace", "--json",    "--sample", "off",
			"--",	 prog,	  (char *)arg, NULL};
	struct run r;

	require_file(rttrace);
	require_file(prog);
	r = run_cmd(argv, true);
	free(rttrace);
	free(prog);
	return r;
}

/* run_plain runs PROG [ARG] (relative to the build directory) untraced. */
static struct run run_plain(const char *prog_rel, const char *arg)
{
	char *prog = build_path(prog_rel);
	char *argv[] = {prog, (char *)arg, NULL};
	struct run r;

	require_file(prog);
	r = run_cmd(argv, false);
	free(prog);
	return r;
}

static struct sites parse_sites(const struct run *r)
{
	struct sites s = {0};
	const char *a = strstr(r->out, "probesite: attached=");
	const char *b = strstr(r->out, "probesite: sites=");

	ck_assert_msg(a && b, "no probesite summary:\nstdout:\n%s\nstderr:\n%s",
		      r->out, r->err);
	ck_assert_int_eq(sscanf(a,
				"probesite: attached=%d rounds=%*d "
				"conversions=%lld",
				&s.attached, &s.conversions),
			 2);
	ck_assert_int_eq(sscanf(b,
				"probesite: sites=%d nop=%d int3=%d call=%d "
				"trampoline=%d",
				&s.n, &s.nop, &s.int3, &s.call, &s.trampoline),
			 5);
	ck_assert_msg(s.n > 0, "probesite found no rt:convT site:\n%s", r->out);
	return s;
}

static struct leaf parse_leaf(const struct run *r)
{
	struct leaf l = {0};
	const char *p = strstr(r->out, "leafprobe: attached=");

	ck_assert_msg(p, "no leafprobe summary:\nstdout:\n%s\nstderr:\n%s",
		      r->out, r->err);
	ck_assert_int_eq(sscanf(p,
				"leafprobe: attached=%d rounds=%*d hits=%llu "
				"checksum=%llx mismatches=%llu sites=%d "
				"calls=%d",
				&l.attached, &l.hits, &l.checksum,
				&l.mismatches, &l.nsites, &l.calls),
			 6);
	return l;
}

/*
 * check_traced_probesite: rttrace traced prog_rel to a clean exit, counted
 * what librt counted, saw every conversion, and the program ran attached.
 */
static struct sites check_traced_probesite(const char *prog_rel, struct run *r)
{
	long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM];
	struct sites s;

	*r = trace(prog_rel, NULL);
	check_exited_ok(r);
	rt_stats_counts(r->err, own);
	json_probe_counts(r->out, bpf);
	check_counts_equal(r, bpf, own);
	s = parse_sites(r);
	ck_assert_msg(s.attached == 1, "rt:convT's semaphore was not raised");
	ck_assert_msg(bpf[RT_PROBE_ID_convT] == s.conversions,
		      "rttrace counted %lld convT, probesite made %lld",
		      bpf[RT_PROBE_ID_convT], s.conversions);
	return s;
}

/* ---- the checks ------------------------------------------------------- */

START_TEST(test_unattached_sites_are_the_nops_probes_h_emits)
{
	struct run r = run_plain("tests/progs/probesite", "1000");
	struct run r1 = run_plain("nop1/tests/progs/probesite", "1000");
	struct sites s, s1;

	check_exited_ok(&r);
	check_exited_ok(&r1);
	s = parse_sites(&r);
	s1 = parse_sites(&r1);
	ck_assert_int_eq(s.attached, 0);
	ck_assert_int_eq(s1.attached, 0);
	ck_assert_msg(s.nop == s.n, "5-byte build, not all nops:\n%s", r.out);
	ck_assert_msg(strstr(r.out, " 0f 1f 44 00 00 nop ") != NULL,
		      "no 5-byte nop (0f 1f 44 00 00):\n%s", r.out);
	ck_assert_msg(s1.nop == s1.n, "1-byte build, not all nops:\n%s",
		      r1.out);
	ck_assert_msg(strstr(r1.out, " 0f 1f 44 00 00 ") == NULL,
		      "the nop1 build has 5-byte sites:\n%s", r1.out);
	run_free(&r);
	run_free(&r1);
}
END_TEST

START_TEST(test_int3_path_counts_equal_librts_own_counts)
{
	struct run r;
	struct sites s =
	    check_traced_probesite("nop1/tests/progs/probesite", &r);

	/* 1-byte sites: the kernel can only trap, at every hit */
	ck_assert_msg(s.int3 == s.n,
		      "want every 1-byte site int3 (cc) while attached:\n%s",
		      r.out);
	run_free(&r);
}
END_TEST

START_TEST(test_trampoline_path_counts_equal_librts_own_counts)
{
	struct run r;
	struct sites s = check_traced_probesite("tests/progs/probesite", &r);

	if (kernel_optimizes_uprobes())
		ck_assert_msg(s.call == s.n && s.trampoline == s.n,
			      "want every 5-byte site rewritten into a call "
			      "(e8) into [uprobes-trampoline] after its "
			      "first hit:\n%s",
			      r.out);
	else
		ck_assert_msg(s.int3 + s.call == s.n,
			      "want int3 or call at every attached site:\n%s",
			      r.out);
	run_free(&r);
}
END_TEST

START_TEST(test_leaf_probes_leave_their_locals_intact_when_attached)
{
	struct run plain = run_plain("tests/progs/leafprobe", NULL);
	long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM];
	struct leaf u, t;
	struct run r;

	check_exited_ok(&plain);
	u = parse_leaf(&plain);
	ck_assert_int_eq(u.attached, 0);
	ck_assert_msg(u.mismatches == 0, "wrong results untraced:\n%s",
		      plain.out);

	r = trace("tests/progs/leafprobe", NULL);
	check_exited_ok(&r);
	t = parse_leaf(&r);
	ck_assert_int_eq(t.attached, 1);
	ck_assert_msg(t.mismatches == 0 && t.checksum == u.checksum,
		      "leaf results differ when attached: untraced %s, "
		      "traced %s",
		      plain.out, r.out);
	ck_assert_uint_ge(t.hits, 4000000);
	if (kernel_optimizes_uprobes())
		ck_assert_msg(t.calls >= 8,
			      "the leaves' sites were not rewritten into "
			      "trampoline calls: the stack was never at "
			      "risk:\n%s",
			      r.out);
	/* every hit reached BPF: the leaves' plus librt's own */
	rt_stats_counts(r.err, own);
	json_probe_counts(r.out, bpf);
	ck_assert_msg(bpf[RT_PROBE_ID_gcount] ==
			  (long long)t.hits + own[RT_PROBE_ID_gcount],
		      "rttrace counted %lld gcount, want %llu + %lld",
		      bpf[RT_PROBE_ID_gcount], t.hits, own[RT_PROBE_ID_gcount]);
	run_free(&plain);
	run_free(&r);
}
END_TEST

/*
 * The control: the same leaves built with the red zone. On the trampoline
 * path the call at the site overwrites their locals, and leafprobe sees
 * it; so the test above would too, were librt's -mno-red-zone lost.
 */
START_TEST(test_a_red_zone_build_is_corrupted_on_the_trampoline_path)
{
	struct run r;
	struct leaf t;

	if (!kernel_optimizes_uprobes())
		return; /* int3 writes nothing to the user stack */
	r = trace("tests/progs/leafprobe-redzone", "100000");
	t = parse_leaf(&r);
	ck_assert_int_eq(t.attached, 1);
	ck_assert_msg(t.calls >= 8, "no trampoline calls:\n%s", r.out);
	ck_assert_msg(t.mismatches > 0,
		      "red-zone leaves kept their locals under the "
		      "trampoline's call: is the site still a call?\n%s",
		      r.out);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1,
		      "status 0x%x, want leafprobe's exit 1", r.status);
	run_free(&r);
}
END_TEST

static Suite *probe_paths_suite(void)
{
	Suite *s = suite_create("probe_paths");
	TCase *tc;

	tc = tcase_create("sites");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unattached_sites_are_the_nops_probes_h_emits);
	suite_add_tcase(s, tc);

	tc = tcase_create("paths");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_int3_path_counts_equal_librts_own_counts);
	tcase_add_test(tc, test_trampoline_path_counts_equal_librts_own_counts);
	suite_add_tcase(s, tc);

	tc = tcase_create("red_zone");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(
	    tc, test_leaf_probes_leave_their_locals_intact_when_attached);
	tcase_add_test(
	    tc, test_a_red_zone_build_is_corrupted_on_the_trampoline_path);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return rtt_main("test_probe_paths", probe_paths_suite);
}

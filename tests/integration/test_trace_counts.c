/*
 * test_trace_counts.c — `rttrace trace` counts exactly what librt counts.
 *
 * Runs build/rttrace (as root: it loads BPF programs) on
 * build/tests/progs/parkready with RT_STATS=1, so the same run reports each
 * probe twice: librt's own count on the program's stderr
 * ("rt-stats: probe NAME COUNT", at exit) and the BPF count in rttrace's
 * report on stdout (--json, or the text table). Every pair must be equal.
 * Also checks how rttrace fails on a missing program and on a program
 * without librt probes.
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probes.h"

#define TIMEOUT 600 /* 1,000,000 parks under uprobes on a small VM */

static const char *const probe_names[RT_PROBE_NUM] = {
#define X(name, nargs, doc) [RT_PROBE_ID_##name] = #name,
    RT_PROBE_LIST(X)
#undef X
};

/* ---- running a command ------------------------------------------------ */

struct run {
	int status; /* as waitpid gives it */
	char *out;  /* stdout, NUL-terminated */
	char *err;  /* stderr, NUL-terminated */
};

static const char *build_dir(void)
{
	const char *b = getenv("RTTRACE_BUILD");

	return b && *b ? b : "build";
}

static char *build_path(const char *rel)
{
	char *p;

	ck_assert_int_ne(asprintf(&p, "%s/%s", build_dir(), rel), -1);
	return p;
}

static char *slurp_fd(int fd)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;

	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	while (len < (size_t)st.st_size &&
	       (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	close(fd);
	return buf;
}

static int tmpfile_fd(void)
{
	char name[] = "/tmp/rttrace-test-XXXXXX";
	int fd = mkstemp(name);

	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	unlink(name);
	return fd;
}

/*
 * run_cmd runs argv with RT_STATS set as asked, stdout and stderr each into
 * its own temporary file, and returns what it printed and how it ended.
 */
static struct run run_cmd(char *const argv[], bool rt_stats)
{
	struct run r = {0};
	int ofd = tmpfile_fd(), efd = tmpfile_fd();
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(ofd, 1);
		dup2(efd, 2);
		if (rt_stats)
			setenv("RT_STATS", "1", 1);
		else
			unsetenv("RT_STATS");
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(125);
	}
	ck_assert_int_eq(waitpid(pid, &r.status, 0), pid);
	r.out = slurp_fd(ofd);
	r.err = slurp_fd(efd);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void require_file(const char *path)
{
	ck_assert_msg(access(path, X_OK) == 0, "%s: %s (build it first)", path,
		      strerror(errno));
}

/* ---- parsing ---------------------------------------------------------- */

/* rt_stats_counts parses librt's "rt-stats: probe NAME COUNT" lines. */
static void rt_stats_counts(const char *text, long long counts[RT_PROBE_NUM])
{
	const char *p = text;

	for (int i = 0; i < RT_PROBE_NUM; i++)
		counts[i] = -1;
	while ((p = strstr(p, "rt-stats: probe "))) {
		char name[64];
		unsigned long long c;

		if (sscanf(p, "rt-stats: probe %63s %llu", name, &c) == 2)
			for (int i = 0; i < RT_PROBE_NUM; i++)
				if (strcmp(name, probe_names[i]) == 0) {
					ck_assert_msg(counts[i] == -1,
						      "rt-stats printed %s "
						      "twice",
						      name);
					counts[i] = (long long)c;
				}
		p++;
	}
}

/*
 * json_object_end returns the '}' closing the object that opens at p ('{'),
 * skipping strings; NULL if unbalanced.
 */
static const char *json_object_end(const char *p)
{
	int depth = 0;
	bool in_str = false;

	for (; *p; p++) {
		if (in_str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		if (*p == '"')
			in_str = true;
		else if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p;
	}
	return NULL;
}

/* json_find_key finds "key" followed by ':' within [p, end). */
static const char *json_find_key(const char *p, const char *end,
				 const char *key)
{
	char pat[80];
	size_t n = (size_t)snprintf(pat, sizeof(pat), "\"%s\"", key);

	for (const char *q = p; q && q + n <= end; q++) {
		q = memmem(q, (size_t)(end - q), pat, n);
		if (!q)
			return NULL;
		const char *c = q + n;

		while (c < end && (*c == ' ' || *c == '\n' || *c == '\t'))
			c++;
		if (c < end && *c == ':')
			return c + 1;
	}
	return NULL;
}

/*
 * json_probe_counts reads rttrace --json's "probes": {NAME: {"count": N}}.
 * The report is the JSON object that starts on a line of its own (the
 * traced program's own stdout comes before it).
 */
static void json_probe_counts(const char *text, long long counts[RT_PROBE_NUM])
{
	const char *start, *end, *probes, *probes_end;

	for (int i = 0; i < RT_PROBE_NUM; i++)
		counts[i] = -1;
	start = text[0] == '{' ? text : strstr(text, "\n{");
	ck_assert_msg(start != NULL, "no JSON object on stdout:\n%s", text);
	if (*start == '\n')
		start++;
	end = json_object_end(start);
	ck_assert_msg(end != NULL, "unterminated JSON on stdout:\n%s", start);
	probes = json_find_key(start, end, "probes");
	ck_assert_msg(probes != NULL, "no \"probes\" in the JSON:\n%s", start);
	while (*probes == ' ' || *probes == '\n' || *probes == '\t')
		probes++;
	ck_assert_msg(*probes == '{', "\"probes\" is not an object");
	probes_end = json_object_end(probes);
	ck_assert_ptr_nonnull(probes_end);
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		const char *obj =
		    json_find_key(probes, probes_end, probe_names[i]);
		const char *obj_end, *c;

		if (!obj)
			continue;
		while (*obj == ' ' || *obj == '\n' || *obj == '\t')
			obj++;
		if (*obj != '{')
			continue;
		obj_end = json_object_end(obj);
		ck_assert_ptr_nonnull(obj_end);
		c = json_find_key(obj, obj_end, "count");
		if (c)
			counts[i] = strtoll(c, NULL, 10);
	}
}

/*
 * text_probe_counts reads the text report's table:
 *   events per probe:
 *       probe           count         rate/s
 *       newproc        100002        12345.6
 */
static void text_probe_counts(const char *text, long long counts[RT_PROBE_NUM])
{
	const char *p = strstr(text, "events per probe:");

	for (int i = 0; i < RT_PROBE_NUM; i++)
		counts[i] = -1;
	ck_assert_msg(p != NULL, "no \"events per probe:\" table:\n%s", text);
	p = strchr(p, '\n');
	while (p && *++p) {
		char name[64];
		unsigned long long c;
		const char *eol = strchr(p, '\n');

		if (*p == '\n')
			break; /* blank line ends the table */
		if (sscanf(p, " %63s %llu", name, &c) == 2)
			for (int i = 0; i < RT_PROBE_NUM; i++)
				if (strcmp(name, probe_names[i]) == 0)
					counts[i] = (long long)c;
		p = eol;
	}
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- the checks ------------------------------------------------------- */

static void check_counts_equal(const struct run *r,
			       const long long bpf[RT_PROBE_NUM],
			       const long long own[RT_PROBE_NUM])
{
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		ck_assert_msg(own[i] >= 0,
			      "no rt-stats line for probe %s in the "
			      "program's stderr:\n%s",
			      probe_names[i], r->err);
		ck_assert_msg(bpf[i] >= 0,
			      "no count for probe %s in rttrace's "
			      "report:\n%s",
			      probe_names[i], r->out);
		ck_assert_msg(bpf[i] == own[i],
			      "probe %s: rttrace counted %lld, librt "
			      "counted %lld",
			      probe_names[i], bpf[i], own[i]);
	}
}

/* parkready's last phase: 1000 each of Gosched, LockOSThread, syscalls. */
static void check_others(const long long bpf[RT_PROBE_NUM])
{
	ck_assert_msg(bpf[RT_PROBE_ID_gosched] >= 1000,
		      "gosched counted %lld, want >= 1000",
		      bpf[RT_PROBE_ID_gosched]);
	ck_assert_msg(bpf[RT_PROBE_ID_lockosthread] >= 2000,
		      "lockosthread counted %lld, want >= 2000",
		      bpf[RT_PROBE_ID_lockosthread]);
	ck_assert_msg(bpf[RT_PROBE_ID_entersyscall] >= 1000,
		      "entersyscall counted %lld, want >= 1000",
		      bpf[RT_PROBE_ID_entersyscall]);
	ck_assert_msg(bpf[RT_PROBE_ID_exitsyscall] >= 1000,
		      "exitsyscall counted %lld, want >= 1000",
		      bpf[RT_PROBE_ID_exitsyscall]);
}

static void check_exited_ok(const struct run *r)
{
	ck_assert_msg(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
		      "rttrace trace failed (status 0x%x)\nstdout:\n%s\n"
		      "stderr:\n%s",
		      r->status, r->out, r->err);
}

START_TEST(test_json_probe_counts_equal_librts_own_counts)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/parkready");
	char *argv[] = {rttrace, "trace", "--json", "--", prog, NULL};
	long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM];
	unsigned long long g = 0, parks = 0, readies = 0;
	const char *line;
	struct run r;

	require_file(rttrace);
	require_file(prog);
	r = run_cmd(argv, true);
	check_exited_ok(&r);
	rt_stats_counts(r.err, own);
	json_probe_counts(r.out, bpf);
	check_counts_equal(&r, bpf, own);

	/* The work parkready did is in the counts. */
	line = strstr(r.out, "parkready: ");
	ck_assert_msg(line != NULL, "no parkready summary:\n%s", r.out);
	ck_assert_int_eq(sscanf(line,
				"parkready: goroutines=%llu parks=%llu "
				"readies=%llu others=",
				&g, &parks, &readies),
			 3);
	ck_assert_uint_eq(g, 100000);
	ck_assert_uint_ge(parks, 1000000);
	ck_assert_msg(bpf[RT_PROBE_ID_gopark] >= 1000000,
		      "gopark counted %lld, want >= 1000000",
		      bpf[RT_PROBE_ID_gopark]);
	ck_assert_msg(bpf[RT_PROBE_ID_goready] >= 1000000,
		      "goready counted %lld, want >= 1000000",
		      bpf[RT_PROBE_ID_goready]);
	ck_assert_msg(bpf[RT_PROBE_ID_newproc] >= 100000,
		      "newproc counted %lld, want >= 100000",
		      bpf[RT_PROBE_ID_newproc]);
	ck_assert_msg(bpf[RT_PROBE_ID_goend] >= 100000,
		      "goend counted %lld, want >= 100000",
		      bpf[RT_PROBE_ID_goend]);
	check_others(bpf);
	run_free(&r);
	free(rttrace);
	free(prog);
}
END_TEST

START_TEST(test_text_report_counts_equal_librts_own_counts)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/parkready");
	char *argv[] = {rttrace, "trace", "--", prog, "5000", "50000", NULL};
	long long bpf[RT_PROBE_NUM], own[RT_PROBE_NUM];

	require_file(rttrace);
	require_file(prog);
	struct run r = run_cmd(argv, true);

	check_exited_ok(&r);
	rt_stats_counts(r.err, own);
	text_probe_counts(r.out, bpf);
	check_counts_equal(&r, bpf, own);
	ck_assert_msg(bpf[RT_PROBE_ID_newproc] >= 5000,
		      "newproc counted %lld, want >= 5000",
		      bpf[RT_PROBE_ID_newproc]);
	ck_assert_msg(bpf[RT_PROBE_ID_gopark] >= 50000,
		      "gopark counted %lld, want >= 50000",
		      bpf[RT_PROBE_ID_gopark]);
	check_others(bpf);
	run_free(&r);
	free(rttrace);
	free(prog);
}
END_TEST

START_TEST(test_trace_exits_with_the_programs_status)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/parkready");
	/* parkready exits 2 on a bad count, before rt_main */
	char *argv[] = {rttrace, "trace", "--", prog, "not-a-number", NULL};

	require_file(rttrace);
	require_file(prog);
	struct run r = run_cmd(argv, false);

	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2,
		      "status 0x%x, want exit 2\nstderr:\n%s", r.status, r.err);
	run_free(&r);
	free(rttrace);
	free(prog);
}
END_TEST

START_TEST(test_trace_of_a_missing_program_fails_with_one_clear_line)
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path("tests/progs/no-such-program");
	char *argv[] = {rttrace, "trace", "--", prog, NULL};

	require_file(rttrace);
	struct run r = run_cmd(argv, false);

	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 127,
		      "status 0x%x, want exit 127 (not found)\nstderr:\n%s",
		      r.status, r.err);
	ck_assert_msg(count_lines(r.err) == 1 &&
			  r.err[strlen(r.err) - 1] == '\n',
		      "want one line on stderr, got:\n%s", r.err);
	ck_assert_msg(strstr(r.err, prog) != NULL,
		      "stderr does not name %s: %s", prog, r.err);
	ck_assert_msg(strstr(r.err, "rttrace") == r.err,
		      "stderr does not start with \"rttrace\": %s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	free(rttrace);
	free(prog);
}
END_TEST

START_TEST(
    test_trace_of_a_program_without_librt_probes_fails_with_one_clear_line)
{
	char *rttrace = build_path("rttrace");
	char *argv[] = {rttrace, "trace", "--", "/bin/true", NULL};

	require_file(rttrace);
	struct run r = run_cmd(argv, false);

	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) != 0,
		      "status 0x%x, want a failure\nstderr:\n%s", r.status,
		      r.err);
	ck_assert_msg(count_lines(r.err) == 1 &&
			  r.err[strlen(r.err) - 1] == '\n',
		      "want one line on stderr, got:\n%s", r.err);
	ck_assert_msg(strstr(r.err, "/bin/true") != NULL,
		      "stderr does not name /bin/true: %s", r.err);
	ck_assert_msg(strstr(r.err, "probe") != NULL,
		      "stderr does not say probes are missing: %s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	free(rttrace);
}
END_TEST

static Suite *trace_counts_suite(void)
{
	Suite *s = suite_create("trace_counts");
	TCase *tc;

	tc = tcase_create("counts");
	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_test(tc, test_json_probe_counts_equal_librts_own_counts);
	tcase_add_test(tc, test_text_report_counts_equal_librts_own_counts);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_trace_exits_with_the_programs_status);
	tcase_add_test(
	    tc, test_trace_of_a_missing_program_fails_with_one_clear_line);
	tcase_add_test(
	    tc,
	    test_trace_of_a_program_without_librt_probes_fails_with_one_clear_line);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		printf("test_trace_counts: skipped: needs root (loads BPF "
		       "programs)\n");
		return 77;
	}
	sr = srunner_create(trace_counts_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * rtt_cmd.h — helpers for the root integration tests (tests/integration):
 * run a command with its stdout and stderr captured, and read what librt
 * (RT_STATS=1: "rt-stats: probe NAME COUNT", "rt-stats: stw REASON COUNT")
 * and rttrace --json report, and the checks and main() the suites share;
 * no librt here (integration tests are not linked with it).
 */
#ifndef RTT_CMD_H
#define RTT_CMD_H

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
#include "rt.h" /* enums only: not linked with librt */

static const char *const probe_names[RT_PROBE_NUM] __attribute__((unused)) = {
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

static inline const char *build_dir(void)
{
	const char *b = getenv("RTTRACE_BUILD");

	return b && *b ? b : "build";
}

static inline char *build_path(const char *rel)
{
	char *p;

	ck_assert_int_ne(asprintf(&p, "%s/%s", build_dir(), rel), -1);
	return p;
}

static inline char *slurp_fd(int fd)
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

static inline int tmpfile_fd(void)
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
static inline struct run run_cmd(char *const argv[], bool rt_stats)
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

static inline void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static inline void require_file(const char *path)
{
	ck_assert_msg(access(path, X_OK) == 0, "%s: %s (build it first)", path,
		      strerror(errno));
}

/* ---- parsing ---------------------------------------------------------- */

/* rt_stats_counts parses librt's "rt-stats: probe NAME COUNT" lines. */
static inline void rt_stats_counts(const char *text,
				   long long counts[RT_PROBE_NUM])
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
static inline const char *json_object_end(const char *p)
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
static inline const char *json_find_key(const char *p, const char *end,
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

/* json_report returns the report object on stdout ('{' .. its '}'). */
static inline const char *json_report(const char *text, const char **end)
{
	const char *start = text[0] == '{' ? text : strstr(text, "\n{");

	ck_assert_msg(start != NULL, "no JSON object on stdout:\n%s", text);
	if (*start == '\n')
		start++;
	*end = json_object_end(start);
	ck_assert_msg(*end != NULL, "unterminated JSON on stdout:\n%s", start);
	return start;
}

/*
 * json_probe_counts reads rttrace --json's "probes": {NAME: {"count": N}}.
 * The report is the JSON object that starts on a line of its own (the
 * traced program's own stdout comes before it).
 */
static inline void json_probe_counts(const char *text,
				     long long counts[RT_PROBE_NUM])
{
	const char *start, *end, *probes, *probes_end;

	for (int i = 0; i < RT_PROBE_NUM; i++)
		counts[i] = -1;
	start = json_report(text, &end);
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

/* json_object_at returns the object value of key within [p, end) and its
 * end in *oend, or NULL if key is missing or not an object. */
static inline const char *json_object_at(const char *p, const char *end,
					 const char *key, const char **oend)
{
	const char *v = json_find_key(p, end, key);

	if (!v)
		return NULL;
	while (v < end && (*v == ' ' || *v == '\n' || *v == '\t'))
		v++;
	if (v >= end || *v != '{')
		return NULL;
	*oend = json_object_end(v);
	ck_assert_ptr_nonnull(*oend);
	return v;
}

/* json_uint_at reads the number value of key within [p, end); -1 if
 * missing. */
static inline long long json_uint_at(const char *p, const char *end,
				     const char *key)
{
	const char *v = json_find_key(p, end, key);

	return v ? strtoll(v, NULL, 10) : -1;
}

/*
 * json_member returns the value of the object's own member key — not a
 * member of an object nested in it — within [obj, end), obj at its '{';
 * NULL if there is none. (The report's wait-reason histograms use keys such
 * as "select" that its top-level sections use too.)
 */
static inline const char *json_member(const char *obj, const char *end,
				      const char *key)
{
	size_t klen = strlen(key);
	int depth = 0;

	for (const char *p = obj + 1; p < end; p++) {
		if (*p == '"') {
			const char *s = p + 1, *q = s, *c;

			while (q < end && *q != '"')
				q += *q == '\\' ? 2 : 1;
			c = q + 1;
			while (c < end &&
			       (*c == ' ' || *c == '\n' || *c == '\t'))
				c++;
			if (depth == 0 && c < end && *c == ':' &&
			    (size_t)(q - s) == klen &&
			    strncmp(s, key, klen) == 0) {
				c++;
				while (c < end &&
				       (*c == ' ' || *c == '\n' || *c == '\t'))
					c++;
				return c;
			}
			p = q;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
	}
	return NULL;
}

/* json_member_object returns the object value of obj's own member key and
 * its end in *oend, or NULL. */
static inline const char *json_member_object(const char *obj, const char *end,
					     const char *key, const char **oend)
{
	const char *v = json_member(obj, end, key);

	if (!v || *v != '{')
		return NULL;
	*oend = json_object_end(v);
	ck_assert_ptr_nonnull(*oend);
	return v;
}

/* json_member_uint reads the number value of obj's own member key; -1 if
 * missing. */
static inline long long json_member_uint(const char *obj, const char *end,
					 const char *key)
{
	const char *v = json_member(obj, end, key);

	return v ? strtoll(v, NULL, 10) : -1;
}

/* Go's stwReason strings, indexed by enum rt_stw_reason (runtime/rt.h). */
#define RTT_STW_REASONS RT_STW_REASON_COUNT
_Static_assert(RT_STW_REASON_COUNT == 9, "update stw_reason_names");
static const char *const stw_reason_names[RTT_STW_REASONS]
    __attribute__((unused)) = {
	"unknown",	   "GC mark termination", "GC sweep termination",
	"write heap dump", "goroutine profile",	  "all goroutines stack trace",
	"read mem stats",  "GOMAXPROCS",	  "test",
};

/*
 * rt_stats_stw parses librt's "rt-stats: stw REASON COUNT" lines (one per
 * reason that stopped the world; the count is last, reasons hold spaces)
 * into counts[reason]; reasons without a line count 0. Fails on a reason
 * it does not know.
 */
static inline void rt_stats_stw(const char *text,
				long long counts[RTT_STW_REASONS])
{
	const char *p = text;

	for (int i = 0; i < RTT_STW_REASONS; i++)
		counts[i] = 0;
	while ((p = strstr(p, "rt-stats: stw "))) {
		const char *r = p + strlen("rt-stats: stw ");
		const char *eol = strchrnul(r, '\n');
		const char *sp = eol;
		int found = -1;

		while (sp > r && sp[-1] != ' ')
			sp--;
		ck_assert_msg(sp > r, "bad rt-stats stw line: %.*s",
			      (int)(eol - p), p);
		for (int i = 0; i < RTT_STW_REASONS; i++)
			if ((size_t)(sp - 1 - r) ==
				strlen(stw_reason_names[i]) &&
			    strncmp(r, stw_reason_names[i],
				    (size_t)(sp - 1 - r)) == 0)
				found = i;
		ck_assert_msg(found >= 0, "unknown reason in: %.*s",
			      (int)(eol - p), p);
		counts[found] = strtoll(sp, NULL, 10);
		p = eol;
	}
}

/* ---- shared checks and main ------------------------------------------ */

static inline void check_exited_ok(const struct run *r)
{
	ck_assert_msg(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
		      "rttrace trace failed (status 0x%x)\nstdout:\n%s\n"
		      "stderr:\n%s",
		      r->status, r->out, r->err);
}

/*
 * check_counts_equal checks that every probe has a librt count (own, from
 * r's stderr) and a BPF count (bpf, from r's stdout), and that they agree.
 */
static inline void check_counts_equal(const struct run *r,
				      const long long bpf[RT_PROBE_NUM],
				      const long long own[RT_PROBE_NUM])
{
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		ck_assert_msg(own[i] >= 0,
			      "no rt-stats line for probe %s in the "
			      "program's stderr:\n%s",
			      probe_names[i], r->err);
		ck_assert_msg(bpf[i] >= 0,
			      "no count for probe %s in rttrace's report:\n%s",
			      probe_names[i], r->out);
		ck_assert_msg(bpf[i] == own[i],
			      "probe %s: rttrace counted %lld, librt counted "
			      "%lld",
			      probe_names[i], bpf[i], own[i]);
	}
}

/*
 * rtt_trace_json_sample runs `rttrace trace --json --sample SAMPLE -- PROG`
 * (PROG relative to the build directory) with RT_STATS=1, checks that it
 * exited 0, and parses librt's own probe counts (own, from stderr) and
 * rttrace's (bpf, from the JSON report on stdout). The caller run_free()s
 * what it returns. rtt_trace_json is the same with --sample's default.
 */
static inline struct run rtt_trace_json_sample(const char *prog_rel,
					       const char *sample,
					       long long bpf[RT_PROBE_NUM],
					       long long own[RT_PROBE_NUM])
{
	char *rttrace = build_path("rttrace");
	char *prog = build_path(prog_rel);
	char *argv[] = {rttrace,	"trace", "--json", "--sample",
			(char *)sample, "--",	 prog,	   NULL};
	struct run r;

	require_file(rttrace);
	require_file(prog);
	r = run_cmd(argv, true);
	check_exited_ok(&r);
	rt_stats_counts(r.err, own);
	json_probe_counts(r.out, bpf);
	free(rttrace);
	free(prog);
	return r;
}

static inline struct run rtt_trace_json(const char *prog_rel,
					long long bpf[RT_PROBE_NUM],
					long long own[RT_PROBE_NUM])
{
	return rtt_trace_json_sample(prog_rel, "auto", bpf, own);
}

/*
 * rtt_main runs the suite make() builds, or skips (exit 77) when not root;
 * name is the test program's, for the skip message.
 */
static inline int rtt_main(const char *name, Suite *(*make)(void))
{
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		printf("%s: skipped: needs root (loads BPF programs)\n", name);
		return 77;
	}
	sr = srunner_create(make());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* RTT_CMD_H */

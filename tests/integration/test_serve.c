/*
 * test_serve.c — `rttrace attach -p PID --serve ADDR` serves the traced
 * program's counters and histograms to Prometheus.
 *
 * One traced program for the whole suite (an unchecked fixture, set up
 * once in the runner): build/rtwork ex03 before (a select loop with a
 * timer per call: gopark, selectgo and addtimer fire all the time),
 * `rttrace attach -p PID --serve 127.0.0.1:PORT` on a free port, and a
 * real Prometheus, started here on another free loopback port with its own
 * config and a temporary storage directory, scraping the endpoint every
 * second. The tests fetch /metrics over a plain socket and check what a
 * scraper relies on: promtool's parser and linter accept it, histograms
 * are cumulative and their +Inf bucket equals _count, OpenMetrics is
 * served when asked for and ends with "# EOF", unknown paths are 404 — and
 * Prometheus itself scraped it and answers a query on the gopark counter.
 * Nothing here depends on timings beyond generous deadlines for things to
 * come up. The teardown ends every process it started, by pid, and removes
 * the temporary directory; it never touches a system Prometheus.
 *
 * Not linked with librt. Run from the repository root; the build directory
 * is $RTTRACE_BUILD (default "build"). Exits 77 (skipped) when not root or
 * when promtool or prometheus is not installed.
 */
#include <arpa/inet.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include "rtt_cmd.h"

#define TIMEOUT		180
#define UP_DEADLINE_S	60 /* for rttrace to attach and serve */
#define PROM_DEADLINE_S 90 /* for Prometheus to start, scrape and answer */
#define STOP_DEADLINE_S 90 /* rttrace's detach takes ~0.1 s per probe site */

/* What the fixture started. */
static struct {
	pid_t work, rttrace, prom;
	int port, prom_port;
	char dir[64]; /* temporary directory: config, storage, logs */
	pid_t owner;  /* the runner, whose children these are */
	char *rttrace_err;
} fx;

/* ---- helpers ------------------------------------------------------------ */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* in_path finds name in $PATH, as the shell would. */
static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *c = strchrnul(p, ':');

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(c - p), p, name);
		if (access(buf, X_OK) == 0)
			return true;
		p = *c ? c + 1 : c;
	}
	return false;
}

/* free_port asks the kernel for a loopback port nobody listens on. */
static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* spawn starts argv with stdout and stderr into the file at log (or
 * /dev/null) and returns its pid. */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(log ? log : "/dev/null",
			      O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		unsetenv("RT_STATS");
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(125);
	}
	return pid;
}

/* stop ends pid with sig, waits up to deadline_s, then SIGKILLs it. */
static void stop(pid_t pid, int sig, double deadline_s)
{
	double end = mono_s() + deadline_s;

	if (pid <= 0)
		return;
	kill(pid, sig);
	while (mono_s() < end) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * alive says whether pid runs (and is no zombie). The fixture's processes
 * are the runner's children, not the forked test's: it cannot wait for
 * them, so it reads their state.
 */
static bool alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* log_tail returns the end of the fixture's log NAME (static). */
static const char *log_tail(const char *name)
{
	static char buf[4096];
	char path[128];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	f = fopen(path, "r");
	if (f) {
		fseek(f, 0, SEEK_END);
		if (ftell(f) > (long)sizeof(buf) - 1)
			fseek(f, -(long)sizeof(buf) + 1, SEEK_END);
		else
			fseek(f, 0, SEEK_SET);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return buf;
}

/* An HTTP response. */
struct http {
	int status; /* 0: no connection */
	char *head; /* status line and headers */
	char *body;
};

static void http_free(struct http *h)
{
	free(h->head);
	free(h->body);
}

/*
 * http_req sends METHOD target to 127.0.0.1:port with an Accept header
 * (if given) and reads the answer until the server closes.
 */
static struct http http_req(int port, const char *method, const char *target,
			    const char *accept)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	struct http h = {0};
	char *req, *buf = NULL, *sep;
	size_t len = 0, cap = 0;
	int fd, n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return h;
	}
	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%s"
		     "User-Agent: test_serve\r\nConnection: close\r\n\r\n",
		     method, target, port, accept ? "Accept: " : "",
		     accept ? accept : "", accept ? "\r\n" : "");
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
	free(req);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;

		ck_assert_msg(poll(&pfd, 1, 30000) > 0,
			      "no answer within 30 s to %s %s", method, target);
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		r = recv(fd, buf + len, cap - len - 1, 0);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!buf)
		return h;
	buf[len] = 0;
	sep = strstr(buf, "\r\n\r\n");
	ck_assert_msg(sep != NULL, "no end of headers in:\n%s", buf);
	h.head = strndup(buf, (size_t)(sep - buf));
	h.body = strdup(sep + 4);
	ck_assert_msg(sscanf(buf, "HTTP/1.%*d %d", &h.status) == 1,
		      "bad status line: %s", buf);
	free(buf);
	return h;
}

static struct http get_metrics(const char *accept)
{
	struct http h = http_req(fx.port, "GET", "/metrics", accept);

	ck_assert_msg(h.status == 200, "GET /metrics: status %d\n%s", h.status,
		      h.head ? h.head : "(no connection)");
	return h;
}

/* sample_value reads the value of the sample line that starts with
 * series ("name{labels}" exactly); NAN if there is none. */
static double sample_value(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return NAN;
}

/*
 * wait_exec waits until pid runs path: attaching to a child that has not
 * exec'd yet would find this test's binary, which has no probes.
 */
static void wait_exec(pid_t pid, const char *path)
{
	char link[64], want[PATH_MAX], got[PATH_MAX];
	double end = mono_s() + UP_DEADLINE_S;
	ssize_t n;

	ck_assert_ptr_nonnull(realpath(path, want));
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	for (;;) {
		n = readlink(link, got, sizeof(got) - 1);
		got[n > 0 ? n : 0] = 0;
		if (strcmp(got, want) == 0)
			return;
		ck_assert_msg(mono_s() < end, "%s did not start", path);
		sleep_ms(10);
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* ---- the fixture -------------------------------------------------------- */

static void write_prom_config(const char *path)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f,
		"global:\n"
		"  scrape_interval: 1s\n"
		"  scrape_timeout: 1s\n"
		"  evaluation_interval: 1s\n"
		"scrape_configs:\n"
		"  - job_name: rttrace\n"
		"    static_configs:\n"
		"      - targets: ['127.0.0.1:%d']\n",
		fx.port);
	fclose(f);
}

static void teardown(void);

static void setup(void)
{
	char *rttrace = build_path("rttrace"), *rtwork = build_path("rtwork");
	char pid[16], addr[32], cfg[128], data[128], log[128], web[64];
	char cfg_opt[160], data_opt[160], web_opt[96];
	double end;

	require_file(rttrace);
	require_file(rtwork);
	fx.owner = getpid();
	atexit(teardown);
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/rttrace-serve-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));

	{
		char *argv[] = {rtwork,	      "ex03", "before",
				"-benchtime", "60s",  NULL};

		fx.work = spawn(argv, NULL);
	}
	wait_exec(fx.work, rtwork);
	fx.port = free_port();
	snprintf(pid, sizeof(pid), "%d", (int)fx.work);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", fx.port);
	snprintf(log, sizeof(log), "%s/rttrace.log", fx.dir);
	{
		char *argv[] = {rttrace,   "attach", "-p", pid,
				"--serve", addr,     NULL};

		fx.rttrace = spawn(argv, log);
	}

	/* up once /metrics answers: the concerns are attached by then */
	end = mono_s() + UP_DEADLINE_S;
	for (;;) {
		struct http h = http_req(fx.port, "GET", "/", NULL);
		int st = h.status;

		http_free(&h);
		if (st == 200)
			break;
		ck_assert_msg(
		    waitpid(fx.rttrace, NULL, WNOHANG) == 0,
		    "rttrace attach --serve ended before serving:\n%s",
		    log_tail("rttrace.log"));
		ck_assert_msg(mono_s() < end,
			      "rttrace attach --serve %s: nothing after %d s",
			      addr, UP_DEADLINE_S);
		sleep_ms(200);
	}

	fx.prom_port = free_port();
	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", fx.dir);
	snprintf(data, sizeof(data), "%s/data", fx.dir);
	snprintf(web, sizeof(web), "127.0.0.1:%d", fx.prom_port);
	snprintf(log, sizeof(log), "%s/prometheus.log", fx.dir);
	snprintf(cfg_opt, sizeof(cfg_opt), "--config.file=%s", cfg);
	snprintf(data_opt, sizeof(data_opt), "--storage.tsdb.path=%s", data);
	snprintf(web_opt, sizeof(web_opt), "--web.listen-address=%s", web);
	write_prom_config(cfg);
	{
		char *argv[] = {"prometheus", cfg_opt, data_opt, web_opt, NULL};

		fx.prom = spawn(argv, log);
	}
	free(rttrace);
	free(rtwork);
}

/*
 * teardown ends what setup started and removes the directory; once, and
 * only in the runner (it is also setup's atexit handler, for a setup that
 * fails half-way, and the forked tests inherit that).
 */
static void teardown(void)
{
	if (fx.owner != getpid())
		return;
	fx.owner = 0;
	stop(fx.prom, SIGTERM, 30);
	stop(fx.rttrace, SIGINT, STOP_DEADLINE_S);
	stop(fx.work, SIGKILL, 10);
	if (fx.dir[0])
		nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the tests ---------------------------------------------------------- */

START_TEST(test_metrics_pass_promtool)
{
	struct http h = get_metrics(NULL);
	char path[128], *cmd;
	struct run r;
	FILE *f;

	ck_assert_msg(strstr(h.head, "Content-Type: text/plain; version=0.0.4"),
		      "not the text format 0.0.4:\n%s", h.head);
	snprintf(path, sizeof(path), "%s/metrics.txt", fx.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(h.body, f);
	fclose(f);
	ck_assert_int_gt(asprintf(&cmd, "promtool check metrics < %s", path),
			 0);
	{
		char *argv[] = {"/bin/sh", "-c", cmd, NULL};

		r = run_cmd(argv, false);
	}
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		      "promtool check metrics failed (status 0x%x):\n%s%s",
		      r.status, r.out, r.err);
	ck_assert_msg(!*r.out && !*r.err,
		      "promtool has something to say:\n%s%s", r.out, r.err);
	run_free(&r);
	free(cmd);
	http_free(&h);
}
END_TEST

START_TEST(test_gopark_counter_counts_and_grows)
{
	const char *series = "rt_probe_events_total{probe=\"gopark\"}";
	struct http a = get_metrics(NULL), b;
	double first, second;
	char info[64];

	first = sample_value(a.body, series);
	ck_assert_msg(first > 0, "%s: %g in:\n%s", series, first, a.body);
	snprintf(info, sizeof(info), "rt_target_info{pid=\"%d\",",
		 (int)fx.work);
	ck_assert_msg(strstr(a.body, info), "no %s in:\n%s", info, a.body);
	/* ex03 parks on every call; the next scrape has seen more */
	for (double end = mono_s() + 30;;) {
		sleep_ms(200);
		b = get_metrics(NULL);
		second = sample_value(b.body, series);
		if (second > first || mono_s() > end)
			break;
		http_free(&b);
	}
	ck_assert_msg(second > first, "gopark did not grow: %g then %g", first,
		      second);
	http_free(&a);
	http_free(&b);
}
END_TEST

/*
 * check_histograms: every _bucket series is cumulative in le, with le
 * rising, and its +Inf bucket equals the _count of the same labels.
 * Returns how many histogram series it checked.
 */
static int check_histograms(const char *text)
{
	char key[512] = "", *line, *save, *copy = strdup(text);
	double prev_le = -INFINITY, prev_v = -1, inf_v = -1;
	int series = 0;

	ck_assert_ptr_nonnull(copy);
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *b = strstr(line, "_bucket{"), *le, *sp, *c;

		if (line[0] == '#')
			continue;
		if (b && (le = strstr(b, "le=\"")) &&
		    (sp = strrchr(line, ' '))) {
			char k[512];
			double lev = strncmp(le + 4, "+Inf", 4) == 0
					 ? INFINITY
					 : strtod(le + 4, NULL);
			double v = strtod(sp + 1, NULL);
			size_t kl = (size_t)(le - line);

			/* the series: name and labels up to le */
			snprintf(k, sizeof(k), "%.*s", (int)kl, line);
			if (strcmp(k, key)) {
				snprintf(key, sizeof(key), "%s", k);
				prev_le = -INFINITY;
				prev_v = -1;
				series++;
			}
			ck_assert_msg(lev > prev_le, "le not rising at: %s",
				      line);
			ck_assert_msg(v >= prev_v,
				      "bucket not cumulative at: %s", line);
			prev_le = lev;
			prev_v = v;
			if (isinf(lev))
				inf_v = v;
		} else if ((sp = strchr(line, ' ')) &&
			   (c = strpbrk(line, "{ ")) && c - line > 6 &&
			   strncmp(c - 6, "_count", 6) == 0) {
			/* NAME_count[{labels}] V follows its buckets */
			char want[512];
			const char *close = strchr(c, '}');

			snprintf(want, sizeof(want), "%.*s_bucket{%.*s%s",
				 (int)(c - 6 - line), line,
				 *c == '{' && close ? (int)(close - c - 1) : 0,
				 c + 1, *c == '{' ? "," : "");
			sp = strrchr(line, ' ');
			ck_assert_msg(strcmp(key, want) == 0,
				      "%s does not follow its buckets (%s)",
				      line, key);
			ck_assert_msg(strtod(sp + 1, NULL) == inf_v,
				      "+Inf bucket %g != %s", inf_v, line);
		}
	}
	free(copy);
	return series;
}

START_TEST(test_histograms_are_cumulative_and_count_matches_inf)
{
	struct http h = get_metrics(NULL);
	int n = check_histograms(h.body);

	/* park by reason, scheduler latency, select, timers, alloc sizes… */
	ck_assert_msg(n >= 5, "only %d histogram series in:\n%s", n, h.body);
	ck_assert_msg(sample_value(h.body, "rt_park_duration_seconds_count{"
					   "reason=\"select\"}") > 0,
		      "no select parks timed in:\n%s", h.body);
	ck_assert_msg(sample_value(h.body, "rt_select_duration_seconds_count") >
			  0,
		      "no select timed in:\n%s", h.body);
	http_free(&h);
}
END_TEST

START_TEST(test_openmetrics_when_asked)
{
	/* what Prometheus 2.x sends */
	struct http h = get_metrics(
	    "application/openmetrics-text;version=1.0.0,application/"
	    "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
	    "q=0.5,*/*;q=0.1");
	size_t n = strlen(h.body);

	ck_assert_msg(strstr(h.head, "Content-Type: application/"
				     "openmetrics-text; version=1.0.0"),
		      "not OpenMetrics:\n%s", h.head);
	ck_assert_msg(n > 6 && strcmp(h.body + n - 6, "# EOF\n") == 0,
		      "does not end with # EOF:\n%s",
		      h.body + (n > 200 ? n - 200 : 0));
	ck_assert_msg(strstr(h.body, "# TYPE rt_probe_events counter\n"),
		      "counter family not named without _total");
	ck_assert_msg(strstr(h.body, "# TYPE rt_target info\n"),
		      "no info metric");
	ck_assert_msg(
	    sample_value(h.body, "rt_probe_events_total{probe=\"gopark\"}") > 0,
	    "no gopark count");
	check_histograms(h.body);
	http_free(&h);
}
END_TEST

START_TEST(test_text_format_when_openmetrics_ranks_lower)
{
	struct http h = get_metrics(
	    "text/plain;version=0.0.4,application/openmetrics-text;q=0.5");

	ck_assert_msg(strstr(h.head, "Content-Type: text/plain; version=0.0.4"),
		      "not the text format:\n%s", h.head);
	ck_assert_msg(!strstr(h.body, "# EOF"), "# EOF in the text format");
	http_free(&h);
}
END_TEST

START_TEST(test_unknown_path_is_404_and_post_is_405)
{
	struct http h = http_req(fx.port, "GET", "/nope", NULL);

	ck_assert_int_eq(h.status, 404);
	http_free(&h);
	h = http_req(fx.port, "POST", "/metrics", NULL);
	ck_assert_int_eq(h.status, 405);
	http_free(&h);
	h = http_req(fx.port, "GET", "/", NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_msg(strstr(h.body, "/metrics"), "index without a link:\n%s",
		      h.body);
	http_free(&h);
}
END_TEST

/*
 * prom_query asks the fixture's Prometheus for query (URL-encoded) and
 * returns the JSON answer, or NULL if it does not answer (yet).
 */
static char *prom_query(const char *query)
{
	char target[512];
	struct http h;

	snprintf(target, sizeof(target), "/api/v1/query?query=%s", query);
	h = http_req(fx.prom_port, "GET", target, NULL);
	if (h.status != 200) {
		http_free(&h);
		return NULL;
	}
	free(h.head);
	return h.body;
}

/* first_value reads the first "value":[T,"V"] of a query answer. */
static double first_value(const char *json)
{
	const char *v = strstr(json, "\"value\":[");
	const char *q;

	if (!v || !(q = strchr(v, ',')) || q[1] != '"')
		return NAN;
	return strtod(q + 2, NULL);
}

START_TEST(test_prometheus_scrapes_and_answers)
{
	/* rt_probe_events_total{probe="gopark"} */
	const char *q = "rt_probe_events_total%7Bprobe%3D%22gopark%22%7D";
	char *ans = NULL;
	double v = NAN;

	for (double end = mono_s() + PROM_DEADLINE_S; mono_s() < end;) {
		ck_assert_msg(alive(fx.prom), "prometheus exited:\n%s",
			      log_tail("prometheus.log"));
		free(ans);
		ans = prom_query(q);
		if (ans && strstr(ans, "\"probe\":\"gopark\"") &&
		    (v = first_value(ans)) > 0)
			break;
		sleep_ms(500);
	}
	ck_assert_msg(ans && strstr(ans, "\"status\":\"success\""),
		      "Prometheus did not answer within %d s; its log:\n%s",
		      PROM_DEADLINE_S, log_tail("prometheus.log"));
	ck_assert_msg(strstr(ans, "\"probe\":\"gopark\""),
		      "no gopark series in Prometheus's answer:\n%s", ans);
	ck_assert_msg(v > 0, "gopark is %g in:\n%s", v, ans);
	free(ans);

	/* the buckets too: a quantile needs well-formed le labels */
	ans = prom_query("histogram_quantile(0.5%2Crt_sched_latency_seconds_"
			 "bucket)");
	ck_assert_msg(ans && strstr(ans, "\"status\":\"success\""),
		      "quantile query failed: %s", ans ? ans : "(none)");
	v = first_value(ans);
	ck_assert_msg(isfinite(v) && v > 0, "median scheduler latency %g:\n%s",
		      v, ans);
	free(ans);
}
END_TEST

static Suite *serve_suite(void)
{
	Suite *s = suite_create("serve");
	TCase *tc = tcase_create("metrics");

	tcase_set_timeout(tc, TIMEOUT);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_metrics_pass_promtool);
	tcase_add_test(tc, test_gopark_counter_counts_and_grows);
	tcase_add_test(tc,
		       test_histograms_are_cumulative_and_count_matches_inf);
	tcase_add_test(tc, test_openmetrics_when_asked);
	tcase_add_test(tc, test_text_format_when_openmetrics_ranks_lower);
	tcase_add_test(tc, test_unknown_path_is_404_and_post_is_405);
	tcase_add_test(tc, test_prometheus_scrapes_and_answers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (!in_path("promtool") || !in_path("prometheus")) {
		printf("test_serve: skipped: promtool or prometheus not "
		       "installed (Debian: prometheus; make deps)\n");
		return 77;
	}
	return rtt_main("test_serve", serve_suite);
}

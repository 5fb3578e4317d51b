/*
 * test_cli.c — rttrace's command line and privileges, as root:
 *
 *  - every misuse (tests/README.md's table) exits non-zero with the
 *    status `rttrace trace --help` documents (2: a bad command line, 1:
 *    cannot trace, 126/127: PROGRAM cannot be executed / not found),
 *    prints exactly one line on stderr (no argp "Try" line, no libbpf
 *    noise) and nothing on stdout, dies of no signal, and leaves nothing
 *    in the directory it ran in (no output file, no temporary);
 *  - under sudo (SUDO_UID/SUDO_GID, set here as sudo sets them) every
 *    file rttrace writes belongs to the invoking user, and a symlink
 *    planted at an output path is replaced, its target untouched;
 *  - once attached, rttrace holds no capability it does not need: each
 *    of its threads' sets read from /proc while the traced program
 *    waits; and the trace still counts what librt counts;
 *  - kill -9 of rttrace mid-trace leaves no output file nor temporary.
 */
#include <dirent.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <time.h>

#include "rtt_cmd.h"
#include "rtt_dir.h"

/* capability numbers (linux/capability.h), kept here to read /proc */
enum {
	CAP_CHOWN_ = 0,
	CAP_DAC_OVERRIDE_ = 1,
	CAP_DAC_READ_SEARCH_ = 2,
	CAP_FOWNER_ = 3,
	CAP_KILL_ = 5,
	CAP_SETGID_ = 6,
	CAP_SETUID_ = 7,
	CAP_SETPCAP_ = 8,
	CAP_NET_ADMIN_ = 12,
	CAP_NET_RAW_ = 13,
	CAP_IPC_LOCK_ = 14,
	CAP_SYS_MODULE_ = 16,
	CAP_SYS_RAWIO_ = 17,
	CAP_SYS_PTRACE_ = 19,
	CAP_SYS_ADMIN_ = 21,
	CAP_SYS_RESOURCE_ = 24,
	CAP_MKNOD_ = 27,
	CAP_SETFCAP_ = 31,
	CAP_SYSLOG_ = 34,
	CAP_PERFMON_ = 38,
	CAP_BPF_ = 39,
};
#define BIT(c) (UINT64_C(1) << (c))

/* what user/privilege.c keeps: the main thread, and each helper thread */
static const uint64_t main_allowed = BIT(CAP_SYS_PTRACE_) |
				     BIT(CAP_DAC_OVERRIDE_) | BIT(CAP_CHOWN_) |
				     BIT(CAP_KILL_) | BIT(CAP_SYSLOG_);
static const uint64_t helper_allowed =
    BIT(CAP_SYS_PTRACE_) | BIT(CAP_DAC_READ_SEARCH_);
/* what loading and attaching needed, and must be gone */
static const uint64_t must_be_gone =
    BIT(CAP_SYS_ADMIN_) | BIT(CAP_BPF_) | BIT(CAP_PERFMON_) |
    BIT(CAP_NET_ADMIN_) | BIT(CAP_NET_RAW_) | BIT(CAP_SYS_MODULE_) |
    BIT(CAP_SYS_RAWIO_) | BIT(CAP_SETPCAP_) | BIT(CAP_SETFCAP_) |
    BIT(CAP_SYS_RESOURCE_) | BIT(CAP_IPC_LOCK_) | BIT(CAP_MKNOD_) |
    BIT(CAP_FOWNER_) | BIT(CAP_SETUID_) | BIT(CAP_SETGID_);

/* ---- helpers ----------------------------------------------------------- */

/* abs_path is build_path made absolute: the cases run in their own
 * directory. */
static char *abs_path(const char *rel)
{
	char *p = build_path(rel), *a = realpath(p, NULL);

	ck_assert_msg(a != NULL, "%s: %s (build it first)", p, strerror(errno));
	free(p);
	return a;
}

static char *fresh_dir(mode_t mode)
{
	char *d = strdup("/tmp/rttrace-cli-XXXXXX");

	ck_assert_ptr_nonnull(d);
	ck_assert_msg(mkdtemp(d) != NULL, "mkdtemp: %s", strerror(errno));
	ck_assert_int_eq(chmod(d, mode), 0);
	return d;
}

static void remove_dir(const char *d)
{
	rtt_remove_tree(d);
}

/*
 * spawn_in starts argv in dir with "NAME=VALUE" env (NULL-terminated,
 * may be NULL), its stdout and stderr into *ofd and *efd.
 */
static pid_t spawn_in(const char *dir, char *const argv[], char *const env[],
		      int *ofd, int *efd)
{
	pid_t pid;

	*ofd = tmpfile_fd();
	*efd = tmpfile_fd();
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(*ofd, 1);
		dup2(*efd, 2);
		if (dir && chdir(dir))
			_exit(124);
		unsetenv("RT_STATS");
		unsetenv("SUDO_UID");
		unsetenv("SUDO_GID");
		for (char *const *e = env; e && *e; e++)
			putenv(*e);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(125);
	}
	return pid;
}

static struct run wait_run(pid_t pid, int ofd, int efd)
{
	struct run r = {0};

	ck_assert_int_eq(waitpid(pid, &r.status, 0), pid);
	r.out = slurp_fd(ofd);
	r.err = slurp_fd(efd);
	return r;
}

static struct run run_in(const char *dir, char *const argv[], char *const env[])
{
	int ofd, efd;
	pid_t pid = spawn_in(dir, argv, env, &ofd, &efd);

	return wait_run(pid, ofd, efd);
}

/* ---- misuse: one line, a documented status, nothing left -------------- */

#define MAXARGS 12

struct misuse {
	const char *what;	   /* the table's "case" column */
	const char *args[MAXARGS]; /* after "rttrace"; $-words below */
	int status;		   /* the exit status it must give */
};

/*
 * $P a librt program (parkready), $D the directory the case runs in,
 * $F a regular file, $X a file without execute permission, $S a shell
 * script, $N a pid that is no process, $L a running process without librt.
 */
static const struct misuse misuses[] = {
    {"no command", {NULL}, 2},
    {"unknown command", {"bogus"}, 2},
    {"unknown global option", {"--bogus"}, 2},
    {"trace: unknown option", {"trace", "--bogus", "--", "$P"}, 2},
    {"trace: no PROGRAM", {"trace"}, 2},
    {"trace: option without its argument", {"trace", "--freq"}, 2},
    {"trace --freq=0", {"trace", "--freq=0", "--", "$P"}, 2},
    {"trace --freq=-1", {"trace", "--freq=-1", "--", "$P"}, 2},
    {"trace --freq=abc", {"trace", "--freq=abc", "--", "$P"}, 2},
    {"trace --freq=1e30 (huge)",
     {"trace", "--freq=100000000000000000000000000000", "--", "$P"},
     2},
    {"trace --interval=abc", {"trace", "--interval=abc", "--", "$P"}, 2},
    {"trace --interval=0", {"trace", "--interval=0", "--", "$P"}, 2},
    {"trace --interval=-1s", {"trace", "--interval=-1s", "--", "$P"}, 2},
    {"trace --sample=x", {"trace", "--sample=x", "--", "$P"}, 2},
    {"trace --sample=0", {"trace", "--sample=0", "--", "$P"}, 2},
    {"trace --sample=99999999999",
     {"trace", "--sample=99999999999", "--", "$P"},
     2},
    {"trace --ringbuf-size=0", {"trace", "--ringbuf-size=0", "--", "$P"}, 2},
    {"trace --ringbuf-size=3G", {"trace", "--ringbuf-size=3G", "--", "$P"}, 2},
    {"trace --ringbuf-size=abc",
     {"trace", "--ringbuf-size=abc", "--", "$P"},
     2},
    {"trace --max-goroutines=-1",
     {"trace", "--max-goroutines=-1", "--", "$P"},
     2},
    {"trace --max-goroutines=abc",
     {"trace", "--max-goroutines=abc", "--", "$P"},
     2},
    {"trace --max-goroutines=99999999999",
     {"trace", "--max-goroutines=99999999999", "--", "$P"},
     2},
    {"trace --stack-map-size=0",
     {"trace", "--stack-map-size=0", "--", "$P"},
     2},
    {"trace --stack-map-size=abc",
     {"trace", "--stack-map-size=abc", "--", "$P"},
     2},
    {"trace --stack-map-size=999999999",
     {"trace", "--stack-map-size=999999999", "--", "$P"},
     2},
    {"trace --serve=:99999", {"trace", "--serve=:99999", "--", "$P"}, 2},
    {"trace --serve= (empty)", {"trace", "--serve=", "--", "$P"}, 2},
    {"trace --btf=missing file",
     {"trace", "--btf=/nonexistent-rttrace/btf", "--", "$P"},
     2},
    {"trace --flamegraph in a missing directory",
     {"trace", "--flamegraph", "/nonexistent-rttrace/a.svg", "--", "$P"},
     2},
    {"trace --folded under a regular file",
     {"trace", "--folded", "$F/x.folded", "--", "$P"},
     2},
    {"trace --timeline naming a directory",
     {"trace", "--timeline", "$D", "--", "$P"},
     2},
    {"trace --pprof= (empty)", {"trace", "--pprof=", "--", "$P"}, 2},
    {"trace --pprof with --no-profile",
     {"trace", "--pprof", "x.pb.gz", "--no-profile", "--", "$P"},
     2},
    {"trace --flamegraph with --no-profile",
     {"trace", "--flamegraph", "x.svg", "--no-profile", "--", "$P"},
     2},
    {"trace --no-profile with --folded",
     {"trace", "--no-profile", "--folded", "x.folded", "--", "$P"},
     2},
    {"attach --flamegraph with --no-profile",
     {"attach", "-p", "$L", "--flamegraph", "x.svg", "--no-profile"},
     2},
    {"run --flamegraph with --no-profile",
     {"run", "ex02", "--no-profile", "--flamegraph", "x.svg"},
     2},
    {"trace --flamegraph and --folded, one file",
     {"trace", "--flamegraph", "x", "--folded", "x", "--", "$P"},
     2},
    {"trace: PROGRAM not found",
     {"trace", "--flamegraph", "x.svg", "--", "/nonexistent-rttrace/prog"},
     127},
    {"trace: PROGRAM not executable", {"trace", "--", "$X"}, 126},
    {"trace: PROGRAM without librt", {"trace", "--", "/bin/true"}, 1},
    {"trace: PROGRAM a script", {"trace", "--", "$S"}, 1},
    {"attach: no -p", {"attach"}, 2},
    {"attach -p abc", {"attach", "-p", "abc"}, 2},
    {"attach -p 0", {"attach", "-p", "0"}, 2},
    {"attach -p -5", {"attach", "-p", "-5"}, 2},
    {"attach: an extra argument", {"attach", "-p", "$L", "extra"}, 2},
    {"attach -p: no such process", {"attach", "-p", "$N"}, 1},
    {"attach -p: a process without librt", {"attach", "-p", "$L"}, 1},
    {"run: no EXERCISE", {"run"}, 2},
    {"run: unknown exercise", {"run", "ex99"}, 2},
    {"run --variant=x", {"run", "ex02", "--variant=x"}, 2},
    {"run --benchtime=abc", {"run", "ex02", "--benchtime=abc"}, 2},
    {"run --benchtime=0x", {"run", "ex02", "--benchtime=0x"}, 2},
    {"run --param unknown", {"run", "ex02", "--param", "bogus"}, 2},
    {"run: an extra argument", {"run", "ex02", "extra"}, 2},
    {"run --flamegraph in a missing directory",
     {"run", "ex02", "--flamegraph", "/nonexistent-rttrace/a.svg"},
     2},
    {"report: no --html", {"report"}, 2},
    {"report --html in a missing directory",
     {"report", "--html", "/nonexistent-rttrace/r.html"},
     2},
    {"report --html naming a directory", {"report", "--html", "$D"}, 2},
    {"report --exercises unknown",
     {"report", "--html", "r.html", "--exercises", "ex99"},
     2},
    {"report: an extra argument", {"report", "--html", "r.html", "extra"}, 2},
    {"list: an extra argument", {"list", "extra"}, 2},
    {"list --bogus", {"list", "--bogus"}, 2},
};

/* what the $-words of the table stand for, for one case */
struct words {
	char *P, *D, *F, *X, *S, N[16], L[16];
};

static const char *expand(const struct words *w, const char *a, char *buf,
			  size_t len)
{
	if (a[0] != '$')
		return a;
	switch (a[1]) {
	case 'P':
		return w->P;
	case 'D':
		return w->D;
	case 'N':
		return w->N;
	case 'L':
		return w->L;
	case 'X':
		return w->X;
	case 'S':
		return w->S;
	case 'F':
		snprintf(buf, len, "%s%s", w->F, a + 2);
		return buf;
	}
	return a;
}

/* gone_pid is a pid that was a child of ours and is reaped. */
static pid_t gone_pid(void)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return pid;
}

START_TEST(test_misuse_gives_one_line_and_leaves_nothing)
{
	const struct misuse *m = &misuses[_i];
	char *rttrace = abs_path("rttrace"), *argv[MAXARGS + 2];
	char bufs[MAXARGS][PATH_MAX], names[1024];
	char *aside = fresh_dir(0755);
	struct words w = {
	    .P = abs_path("tests/progs/parkready"),
	    .D = fresh_dir(0755),
	    .F = rtt_join(aside, "file"),
	    .X = rtt_join(aside, "noexec"),
	    .S = rtt_join(aside, "script.sh"),
	};
	const char *nl;
	struct run r;
	pid_t live;
	int n = 0, argc = 0;
	FILE *f;

	require_file(rttrace);
	require_file(w.P);
	f = fopen(w.F, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	f = fopen(w.X, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(chmod(w.X, 0644), 0);
	f = fopen(w.S, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\nexec true\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(w.S, 0755), 0);
	snprintf(w.N, sizeof(w.N), "%d", (int)gone_pid());
	live = fork();
	ck_assert_int_ge(live, 0);
	if (live == 0) {
		pause();
		_exit(0);
	}
	snprintf(w.L, sizeof(w.L), "%d", (int)live);

	argv[argc++] = rttrace;
	for (int i = 0; i < MAXARGS && m->args[i]; i++, argc++)
		argv[argc] =
		    (char *)expand(&w, m->args[i], bufs[i], sizeof(bufs[i]));
	argv[argc] = NULL;
	r = run_in(w.D, argv, NULL);
	kill(live, SIGKILL);
	waitpid(live, NULL, 0);

	ck_assert_msg(WIFEXITED(r.status),
		      "%s: rttrace died of signal %d\nstderr:\n%s", m->what,
		      WIFSIGNALED(r.status) ? WTERMSIG(r.status) : -1, r.err);
	ck_assert_msg(WEXITSTATUS(r.status) == m->status,
		      "%s: exit status %d, want %d\nstderr:\n%s", m->what,
		      WEXITSTATUS(r.status), m->status, r.err);
	for (nl = r.err; (nl = strchr(nl, '\n')); nl++)
		n++;
	ck_assert_msg(n == 1 && r.err[strlen(r.err) - 1] == '\n',
		      "%s: stderr is %d lines, want one:\n%s", m->what, n,
		      r.err);
	ck_assert_msg(strncmp(r.err, "rttrace", 7) == 0,
		      "%s: the line is not rttrace's:\n%s", m->what, r.err);
	ck_assert_msg(!strstr(r.err, "libbpf"), "%s: libbpf noise:\n%s",
		      m->what, r.err);
	ck_assert_msg(r.out[0] == 0, "%s: stdout not empty:\n%s", m->what,
		      r.out);
	ck_assert_msg(rtt_dir_entries(w.D, names, sizeof(names)) == 0,
		      "%s: left in its directory: %s", m->what, names);
	run_free(&r);
	remove_dir(w.D);
	remove_dir(aside);
}
END_TEST

/* ---- under sudo: the files are the user's, planted links replaced ------ */

static void check_owned(const char *path, uid_t uid)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0, "%s: %s", path, strerror(errno));
	ck_assert_msg(S_ISREG(st.st_mode), "%s is not a regular file", path);
	ck_assert_msg(st.st_uid == uid && st.st_gid == (gid_t)uid,
		      "%s belongs to %d:%d, want %d:%d", path, (int)st.st_uid,
		      (int)st.st_gid, (int)uid, (int)uid);
	ck_assert_msg(st.st_size > 0, "%s is empty", path);
}

START_TEST(test_sudo_outputs_belong_to_the_user_and_links_are_replaced)
{
	char *rttrace = abs_path("rttrace");
	char *prog = abs_path("tests/progs/parkready");
	char *dir = fresh_dir(0777), *aside = fresh_dir(0755);
	char *svg = rtt_join(dir, "cpu.svg"),
	     *folded = rtt_join(dir, "cpu.folded");
	char *pb = rtt_join(dir, "cpu.pb.gz"), *tl = rtt_join(dir, "t.json");
	char *victim = rtt_join(aside, "victim"), names[1024];
	char *argv[] = {rttrace,   "trace",    "--flamegraph",
			svg,	   "--folded", folded,
			"--pprof", pb,	       "--timeline",
			tl,	   "--",       prog,
			"2000",	   "20000",    NULL};
	char *env[] = {"SUDO_UID=65534", "SUDO_GID=65534", NULL};
	struct stat st;
	struct run r;
	FILE *f;

	require_file(rttrace);
	require_file(prog);
	f = fopen(victim, "w");
	ck_assert_ptr_nonnull(f);
	fputs("victim\n", f);
	fclose(f);
	/* planted by someone who can write the directory */
	ck_assert_int_eq(symlink(victim, folded), 0);
	ck_assert_int_eq(lchown(folded, 12345, 12345), 0);

	r = run_in(dir, argv, env);
	check_exited_ok(&r);
	check_owned(svg, 65534);
	check_owned(folded, 65534);
	check_owned(pb, 65534);
	check_owned(tl, 65534);
	ck_assert_int_eq(stat(victim, &st), 0);
	ck_assert_int_eq(st.st_uid, 0);
	ck_assert_int_eq(st.st_size, strlen("victim\n"));
	ck_assert_msg(rtt_dir_entries(dir, names, sizeof(names)) == 4,
		      "want the 4 files alone: %s", names);
	run_free(&r);
	remove_dir(dir);
	remove_dir(aside);
}
END_TEST

START_TEST(test_sudo_report_page_belongs_to_the_user)
{
	char *rttrace = abs_path("rttrace");
	char *dir = fresh_dir(0777), *page = rtt_join(dir, "r.html"),
	     names[1024];
	char *argv[] = {rttrace, "report",	"--html", page, "--exercises",
			"ex04",	 "--benchtime", "1x",	  NULL};
	char *env[] = {"SUDO_UID=65534", "SUDO_GID=65534", NULL};
	struct run r;

	require_file(rttrace);
	r = run_in(dir, argv, env);
	check_exited_ok(&r);
	check_owned(page, 65534);
	ck_assert_msg(rtt_dir_entries(dir, names, sizeof(names)) == 1,
		      "want the page alone: %s", names);
	run_free(&r);
	remove_dir(dir);
}
END_TEST

/* ---- capabilities after attach ----------------------------------------- */

/* wait_for waits (hang guard: 60 s) until fd's file holds text. */
static void wait_for(int fd, const char *text, pid_t pid)
{
	char buf[4096];

	for (int i = 0; i < 6000; i++) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		int status;

		if (n > 0) {
			buf[n] = 0;
			if (strstr(buf, text))
				return;
		}
		ck_assert_msg(waitpid(pid, &status, WNOHANG) == 0,
			      "rttrace ended (status %#x) before \"%s\"",
			      status, text);
		usleep(10 * 1000);
	}
	ck_abort_msg("no \"%s\" within 60 s", text);
}

struct task_caps {
	uint64_t eff, prm, bnd;
	int no_new_privs;
};

static struct task_caps read_caps(pid_t pid, const char *tid)
{
	struct task_caps c = {.no_new_privs = -1};
	char path[320], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, tid);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "CapEff: %" SCNx64, &c.eff);
		sscanf(line, "CapPrm: %" SCNx64, &c.prm);
		sscanf(line, "CapBnd: %" SCNx64, &c.bnd);
		sscanf(line, "NoNewPrivs: %d", &c.no_new_privs);
	}
	fclose(f);
	return c;
}

START_TEST(test_attached_rttrace_keeps_only_the_capabilities_it_needs)
{
	char *rttrace = abs_path("rttrace");
	char *prog = abs_path("tests/progs/waitfile");
	char *dir = fresh_dir(0777), *go = rtt_join(dir, "go");
	char *svg = rtt_join(dir, "cpu.svg"), task_dir[64];
	char *argv[] = {rttrace, "trace", "--json", "--flamegraph",
			svg,	 "--",	  prog,	    "1000",
			go,	 NULL};
	char *env[] = {"SUDO_UID=65534", "SUDO_GID=65534", "RT_STATS=1", NULL};
	long long own[RT_PROBE_NUM], bpf[RT_PROBE_NUM];
	int ofd, efd, tasks = 0, compared = 0;
	struct dirent *de;
	struct run r;
	DIR *d;
	pid_t pid;

	require_file(rttrace);
	require_file(prog);
	pid = spawn_in(dir, argv, env, &ofd, &efd);
	/* the program printed it after its first 1000 probes: attached */
	wait_for(ofd, "waitfile: waiting", pid);

	snprintf(task_dir, sizeof(task_dir), "/proc/%d/task", (int)pid);
	d = opendir(task_dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		struct task_caps c;
		bool main_thread = atoi(de->d_name) == pid;
		uint64_t allowed = main_thread ? main_allowed : helper_allowed;

		if (de->d_name[0] == '.')
			continue;
		c = read_caps(pid, de->d_name);
		tasks++;
		ck_assert_msg(
		    !(c.eff & must_be_gone) && !(c.prm & must_be_gone),
		    "task %s still holds CapEff %#" PRIx64 " CapPrm %#" PRIx64,
		    de->d_name, c.eff, c.prm);
		ck_assert_msg((c.eff & ~allowed) == 0 &&
				  (c.prm & ~allowed) == 0,
			      "task %s (%s) holds more than %#" PRIx64
			      ": CapEff %#" PRIx64 " CapPrm %#" PRIx64,
			      de->d_name, main_thread ? "main" : "helper",
			      allowed, c.eff, c.prm);
		if (main_thread) {
			ck_assert_msg((c.bnd & ~allowed) == 0,
				      "bounding set %#" PRIx64, c.bnd);
			ck_assert_int_eq(c.no_new_privs, 1);
			/* what it kept, it kept: symbolizing and writing
			 * the flamegraph below depend on them */
			ck_assert_msg(
			    (c.eff & main_allowed) == main_allowed,
			    "main thread lost what it needs: %#" PRIx64, c.eff);
		}
	}
	closedir(d);
	/* the main thread and its helpers (the sampler, the CPU profile's
	 * snapper) */
	ck_assert_int_ge(tasks, 2);

	/* let the program finish: the trace still counts what librt does */
	fclose(fopen(go, "w"));
	r = wait_run(pid, ofd, efd);
	check_exited_ok(&r);
	ck_assert_msg(strstr(r.out, "waitfile: done gcount=2000"), "%s", r.out);
	rt_stats_counts(r.err, own);
	json_probe_counts(r.out, bpf);
	ck_assert_int_eq(own[RT_PROBE_ID_gcount], 2000);
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		if (own[i] < 0 || bpf[i] < 0)
			continue;
		ck_assert_msg(bpf[i] == own[i],
			      "probe %s: rttrace counted %lld, librt %lld",
			      probe_names[i], bpf[i], own[i]);
		compared++;
	}
	ck_assert_int_ge(compared, 5);
	/* written after the drop: the user's, with named frames */
	check_owned(svg, 65534);
	{
		FILE *f = fopen(svg, "r");
		char buf[1 << 16];
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);

		buf[n] = 0;
		fclose(f);
		/* the traced program runs as 65534: its maps are read with
		 * the CAP_SYS_PTRACE rttrace kept */
		ck_assert_msg(strstr(buf, "waitfile_spin"),
			      "waitfile_spin is not named in the flamegraph");
	}
	run_free(&r);
	remove_dir(dir);
}
END_TEST

/* ---- kill -9 mid-trace -------------------------------------------------- */

START_TEST(test_kill_9_mid_trace_leaves_no_output)
{
	char *rttrace = abs_path("rttrace");
	char *prog = abs_path("tests/progs/waitfile");
	char *dir = fresh_dir(0777), *out = fresh_dir(0755);
	char *go = rtt_join(dir, "go"), *tl = rtt_join(out, "t.json");
	char *svg = rtt_join(out, "cpu.svg"), names[1024];
	char *argv[] = {rttrace,	"trace", "--timeline", tl,
			"--flamegraph", svg,	 "--",	       prog,
			"10",		go,	 NULL};
	int ofd, efd;
	struct run r;
	pid_t pid;

	require_file(rttrace);
	require_file(prog);
	pid = spawn_in(dir, argv, NULL, &ofd, &efd);
	wait_for(ofd, "waitfile: waiting", pid);
	/* the timeline's file is open (its temporary) while it traces */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	r = wait_run(pid, ofd, efd);
	ck_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
	ck_assert_msg(rtt_dir_entries(out, names, sizeof(names)) == 0,
		      "left after kill -9: %s", names);
	/* the program, orphaned, runs on and ends */
	fclose(fopen(go, "w"));
	run_free(&r);
	usleep(100 * 1000);
	remove_dir(dir);
	remove_dir(out);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *misuse = tcase_create("misuse");
	TCase *priv = tcase_create("privilege");

	tcase_set_timeout(misuse, 60);
	tcase_add_loop_test(misuse,
			    test_misuse_gives_one_line_and_leaves_nothing, 0,
			    sizeof(misuses) / sizeof(misuses[0]));
	suite_add_tcase(s, misuse);
	tcase_set_timeout(priv, 300);
	tcase_add_test(
	    priv, test_sudo_outputs_belong_to_the_user_and_links_are_replaced);
	tcase_add_test(priv, test_sudo_report_page_belongs_to_the_user);
	tcase_add_test(
	    priv, test_attached_rttrace_keeps_only_the_capabilities_it_needs);
	tcase_add_test(priv, test_kill_9_mid_trace_leaves_no_output);
	suite_add_tcase(s, priv);
	return s;
}

int main(void)
{
	return rtt_main("test_cli", cli_suite);
}

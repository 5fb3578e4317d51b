/*
 * trace.c — `rttrace trace -- PROGRAM [ARGS...]`: run PROGRAM with the
 * scheduler programs attached from before its first instruction, and report
 * when it exits.
 *
 * Holding PROGRAM before main is ptrace's exec stop: the child asks to be
 * traced (PTRACE_TRACEME) and execs; the kernel stops it with SIGTRAP once
 * the new image is mapped and before the dynamic loader or any constructor
 * runs. rttrace then loads the BPF programs with the child's pid as filter,
 * attaches them to its USDT probes (the kernel sets the probe semaphores in
 * the already-mapped image) and detaches ptrace, releasing the child. So
 * every probe site librt passes is seen, and librt's RT_STATS counts match.
 *
 * Exec failures travel back through a close-on-exec pipe: EOF means the
 * exec succeeded, an errno means it did not.
 *
 * Under sudo the program runs as the user who typed the command
 * (SUDO_UID/SUDO_GID), not as root, unless --as-root: rttrace needs root
 * for the BPF side only, and a workload run as root could write where its
 * user cannot. Uprobes attach by path and inode, so the credentials of the
 * process do not matter to them, and root may ptrace any child.
 *
 * trace_program (rttrace.h) is the whole sequence — resolve, check for
 * probes, spawn held, attach, release, wait (with Ctrl-C), report, detach
 * — so that `rttrace run` traces each variant of an exercise the way
 * `trace` traces one program; launch_untraced runs the same command
 * without BPF, for the overhead figure.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live.h"
#include "privilege.h"
#include "rttrace.h"
#include "tracer.h"
#include "usdt_check.h"

/* how long a Ctrl-C waits for PROGRAM, which got the SIGINT too, to exit */
#define EXIT_GRACE_MS 500

static struct trace_env {
	struct tracer_opts report;
	char **cmd;   /* PROGRAM and its arguments */
	bool as_root; /* --as-root: keep root under sudo */
} env;

static volatile bool exiting;
static volatile sig_atomic_t exit_signal; /* what set exiting */

static const char doc[] =
    "Run PROGRAM (linked with librt) traced from before main, and report "
    "its scheduler when it exits.\n"
    "\n"
    "USAGE: rttrace trace [OPTIONS] [--] PROGRAM [ARGS...]\n"
    "\n"
    "The report: events per probe (count and rate), a log2 histogram of "
    "park duration (gopark -> goready) per wait reason, a log2 histogram "
    "of scheduler latency (goready -> gostart; a new goroutine's newproc "
    "-> first gostart counts too, as in Go's tracer), goroutines created "
    "and ended; and, when the program allocates: allocation sizes and size "
    "classes, GC cycles by reason and duration, stop-the-world pauses per "
    "reason, sync.Pool hit rate, interface boxing; and, when it uses "
    "channels and timers: channel operations (buffered, blocked), the 10 "
    "channels with the most blocked time, select outcomes and a log2 "
    "histogram of select duration, timers added per second, the timer "
    "heap's length and a log2 histogram of timer lateness; and, when it "
    "defers, panics or calls rt_num_goroutine: deferproc by kind, calls "
    "run per deferreturn, panics, recovers and gcount calls. Then the "
    "seed's signature table from CPU samples (--freq, --no-profile). "
    "Exports: --flamegraph, --folded, --blocking, --offcpu, --pprof, "
    "--timeline, --kernel, --serve. Per-probe "
    "counts are exact: they equal what librt "
    "prints with RT_STATS=1, also when --sample (default auto) has librt "
    "fire a hot probe once per N events, each firing carrying the events "
    "it stands for; the histograms of sampled probes are then samples, "
    "and the report says which. Ctrl-C detaches and prints what was "
    "gathered.\n"
    "\n"
    "Exit status: PROGRAM's own (128+N if it was killed by signal N, or "
    "if rttrace got signal N while it still ran); 127 if PROGRAM is "
    "not found, 126 if it cannot be executed; 1 if rttrace could not "
    "trace it (privileges, kernel BTF, no librt probes, BPF load); 2 for "
    "a bad command line.\n"
    "\n"
    "EXAMPLES:\n"
    "  sudo rttrace trace -- ./build/demo          # report on stdout\n"
    "  sudo rttrace trace --nsec -- ./prog 1000    # histograms in ns\n"
    "  sudo rttrace trace --json -- ./prog > r.json\n"
    "  sudo rttrace trace --live -- ./prog        # redraw every second\n"
    "  sudo rttrace trace --sample off -- ./prog  # every event fires\n"
    "\n"
    "OPTIONS:";

static const struct argp_option opts[] = {
    {"as-root", OPT_AS_ROOT, NULL, 0,
     "Under sudo, run PROGRAM as root, not as the invoking user", 0},
    RT_REPORT_OPTIONS,
    RT_GLOBAL_OPTIONS,
    {},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_AS_ROOT:
		env.as_root = true;
		break;
	case ARGP_KEY_ARGS:
		/* PROGRAM's own options are not ours, even without "--" */
		env.cmd = state->argv + state->next;
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!env.cmd) {
			fprintf(
			    stderr,
			    "rttrace trace: no PROGRAM given (usage: "
			    "rttrace trace [OPTIONS] -- PROGRAM [ARGS...])\n");
			exit(RTTRACE_EXIT_USAGE);
		}
		tracer_check_opts(state, &env.report);
		break;
	default:
		return tracer_parse_opt(key, arg, state, &env.report);
	}
	return 0;
}

static const struct argp argp = {
    .options = opts,
    .parser = parse_arg,
    .args_doc = "[--] PROGRAM [ARGS...]",
    .doc = doc,
};

static void sig_handler(int sig)
{
	exit_signal = sig;
	exiting = true;
}

void trace_catch_signals(void)
{
	struct sigaction sa = {.sa_handler = sig_handler};

	/* no SA_RESTART: Ctrl-C must interrupt waitpid */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool trace_exiting(void)
{
	return exiting;
}

/*
 * resolve_program finds cmd as execvp would (a name with a slash is a path,
 * else each $PATH entry) so the binary can be checked for probes before
 * anything runs. found gets the path to exec. Returns 0, -ENOENT, or
 * -EACCES when a match exists but cannot be executed.
 */
static int resolve_program(const char *cmd, char *found, size_t len)
{
	const char *path, *p, *colon;
	struct stat st;
	int err = -ENOENT;

	if (strchr(cmd, '/')) {
		if (stat(cmd, &st))
			return -errno;
		if (!S_ISREG(st.st_mode) || access(cmd, X_OK))
			return -EACCES;
		snprintf(found, len, "%s", cmd);
		return 0;
	}
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = colon + 1) {
		int dirlen;

		colon = strchrnul(p, ':');
		dirlen = colon - p;
		/* an empty entry is the current directory */
		snprintf(found, len, "%.*s%s%s", dirlen, p, dirlen ? "/" : "",
			 cmd);
		if (stat(found, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(found, X_OK) == 0)
				return 0;
			err = -EACCES;
		}
		if (!*colon)
			break;
	}
	return err;
}

/*
 * sudo_user finds whom to run the program as: the user behind sudo
 * (sudo_invoker: SUDO_UID, SUDO_GID), when rttrace is root through sudo
 * and --as-root was not given. Returns false when the program keeps
 * rttrace's own credentials.
 */
static bool sudo_user(const struct launch *l, uid_t *uid, gid_t *gid)
{
	return !l->as_root && sudo_invoker(uid, gid);
}

/*
 * child_setup runs in the forked child before exec: the stdio redirects,
 * the extra environment, and the drop to the sudo user (groups first,
 * then gid, then uid: after setuid the others are no longer allowed).
 * Returns 0 or an errno for the parent.
 */
static int child_setup(const struct launch *l)
{
	uid_t uid;
	gid_t gid;

	if (preflight_child())
		return errno;
	if (l->stdout_fd >= 0 && dup2(l->stdout_fd, STDOUT_FILENO) < 0)
		return errno;
	if (l->stderr_fd >= 0 && dup2(l->stderr_fd, STDERR_FILENO) < 0)
		return errno;
	for (char *const *e = l->env_add; e && *e; e++)
		if (putenv(*e))
			return errno;
	if (sudo_user(l, &uid, &gid)) {
		struct passwd *pw = getpwuid(uid);

		if (pw) {
			if (initgroups(pw->pw_name, gid))
				return errno;
			setenv("HOME", pw->pw_dir, 1);
			setenv("USER", pw->pw_name, 1);
			setenv("LOGNAME", pw->pw_name, 1);
		} else if (setgroups(1, &gid)) {
			return errno;
		}
		if (setgid(gid) || setuid(uid))
			return errno;
	}
	return 0;
}

/*
 * spawn forks and execs path with l's argv and setup; held, it stops at
 * its exec SIGTRAP for the tracer. Returns the child's pid, or a negative
 * rttrace exit status after printing why.
 */
static pid_t spawn(const struct launch *l, const char *path, bool held)
{
	int pfd[2], child_err, status;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC)) {
		rt_errorf("pipe: %s", strerror(errno));
		return -RTTRACE_EXIT_FAIL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rt_errorf("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -RTTRACE_EXIT_FAIL;
	}
	if (pid == 0) {
		close(pfd[0]);
		/* rttrace's handlers are no business of the program's */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		child_err = child_setup(l);
		if (!child_err &&
		    (!held || ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0))
			execv(path, l->argv);
		if (!child_err)
			child_err = errno;
		if (write(pfd[1], &child_err, sizeof(child_err)) < 0)
			_exit(RTTRACE_EXIT_FAIL);
		_exit(RTTRACE_EXIT_NOEXEC);
	}
	close(pfd[1]);
	do {
		n = read(pfd[0], &child_err, sizeof(child_err));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == sizeof(child_err)) {
		waitpid(pid, NULL, 0);
		rt_errorf("%s: cannot execute: %s", l->argv[0],
			  strerror(child_err));
		return child_err == ENOENT ? -RTTRACE_EXIT_NOTFOUND
					   : -RTTRACE_EXIT_NOEXEC;
	}
	if (!held)
		return pid;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rt_errorf("waitpid: %s", strerror(errno));
			return -RTTRACE_EXIT_FAIL;
		}
	}
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		rt_errorf("%s: did not stop at exec (status %#x)", l->argv[0],
			  status);
		if (!WIFEXITED(status) && !WIFSIGNALED(status)) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		return -RTTRACE_EXIT_FAIL;
	}
	/* should rttrace die while holding it, take the child along */
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_EXITKILL);
	return pid;
}

/* set_ended records how the child ended from its wait status. */
static void set_ended(struct sched_target *t, int status)
{
	if (WIFEXITED(status)) {
		t->state = TARGET_EXITED;
		t->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		t->state = TARGET_SIGNALLED;
		t->status = WTERMSIG(status);
	}
}

/*
 * wait_child waits for pid to end, or for Ctrl-C; after Ctrl-C it gives
 * the child EXIT_GRACE_MS to die of the same SIGINT, so its end is
 * reported too.
 */
static void wait_child(pid_t pid, struct sched_target *t)
{
	int status, r;

	t->state = TARGET_RUNNING;
	for (;;) {
		r = waitpid(pid, &status, exiting ? WNOHANG : 0);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			rt_errorf("waitpid: %s", strerror(errno));
			return;
		}
		if (exiting) {
			t->interrupted = true;
			for (int ms = 0; ms < EXIT_GRACE_MS; ms += 10) {
				r = waitpid(pid, &status, WNOHANG);
				if (r == pid)
					goto ended;
				usleep(10 * 1000);
			}
			return;
		}
	}
ended:
	set_ended(t, status);
}

/* What tracer_live polls: the child, reaped here once it ends. */
struct child_watch {
	pid_t pid;
	struct sched_target *t;
	bool ended;
};

/* child_running is tracer_live's running(): false once the child ended. */
static bool child_running(void *ctx)
{
	struct child_watch *w = ctx;
	int status;

	if (!w->ended && waitpid(w->pid, &status, WNOHANG) == w->pid) {
		set_ended(w->t, status);
		w->ended = true;
	}
	return !w->ended;
}

/* exit_status is rttrace's status for how the traced program ended. */
static int exit_status(const struct sched_target *t)
{
	switch (t->state) {
	case TARGET_EXITED:
		return t->status;
	case TARGET_SIGNALLED:
		return RTTRACE_EXIT_SIGNALLED + t->status;
	default:
		/* detached on Ctrl-C or SIGTERM while the program still ran */
		return RTTRACE_EXIT_SIGNALLED +
		       (exit_signal ? (int)exit_signal : SIGINT);
	}
}

/*
 * check_program resolves argv0 as execvp would into found (to exec) and
 * real (its canonical path, where the probes are attached), and checks it
 * has librt probes. Returns 0, or an rttrace exit status after printing
 * why.
 */
static int check_program(const char *argv0, char *found, char *real,
			 struct usdt_probes *probes)
{
	int err = resolve_program(argv0, found, PATH_MAX);

	if (err == -ENOENT) {
		rt_errorf("%s: command not found", argv0);
		return RTTRACE_EXIT_NOTFOUND;
	}
	if (err) {
		rt_errorf("%s: %s", argv0, strerror(-err));
		return RTTRACE_EXIT_NOEXEC;
	}
	if (!realpath(found, real)) {
		rt_errorf("%s: %s", found, strerror(errno));
		return RTTRACE_EXIT_NOEXEC;
	}
	if (!probes)
		return 0;
	err = usdt_check(real, probes);
	if (err == -EPROTO) {
		rt_errorf("%s: " USDT_ERR_ABI, argv0);
		rt_notef("%s", probes->why);
		return RTTRACE_EXIT_FAIL;
	}
	if (err == -ENOEXEC) {
		rt_errorf("%s is not an ELF executable: trace the librt "
			  "program itself, not a script that runs it",
			  argv0);
		return RTTRACE_EXIT_FAIL;
	}
	if (err) {
		rt_errorf("%s: %s", real, strerror(-err));
		return RTTRACE_EXIT_FAIL;
	}
	if (!probes->total) {
		rt_errorf("%s has no librt probes (not linked with librt?)",
			  argv0);
		usdt_free(probes);
		return RTTRACE_EXIT_FAIL;
	}
	if (probes->unknown)
		rt_notef("%u rt probe sites not known to this rttrace, ignored",
			 probes->unknown);
	return 0;
}

int trace_program(const struct launch *l, const struct tracer_opts *o,
		  trace_report_fn report, void *ctx, struct sched_target *t)
{
	struct tracer tr = {.from_exec = true};
	char found[PATH_MAX], real[PATH_MAX], sample_var[1024];
	char *env_add[16];
	struct launch held = *l;
	struct usdt_probes probes;
	int err, ret, n = 0;
	double start;
	pid_t pid;

	memset(t, 0, sizeof(*t));
	ret = check_program(l->argv[0], found, real, &probes);
	if (ret)
		return ret;
	ret = RTTRACE_EXIT_FAIL;

	/* --sample N from the program's first instruction (sample.h) */
	if (tracer_sample_env(o, sample_var, sizeof(sample_var))) {
		for (char *const *e = l->env_add; e && *e && n < 14; e++)
			env_add[n++] = *e;
		env_add[n++] = sample_var;
		env_add[n] = NULL;
		held.env_add = env_add;
	}

	trace_catch_signals();
	pid = spawn(&held, found, true);
	if (pid < 0) {
		usdt_free(&probes);
		return -pid;
	}

	if (tracer_start(&tr, pid, real, &probes, o))
		goto kill_child;
	if (exiting) {
		rt_errorf("interrupted before %s started", l->argv[0]);
		goto kill_child;
	}

	if (!o->json && !l->quiet)
		fprintf(stderr, "Tracing PID %d (%s)... Hit Ctrl-C to end.\n",
			(int)pid, real);
	start = now_s();
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL)) {
		rt_errorf("cannot release %s: ptrace detach: %s", l->argv[0],
			  strerror(errno));
		goto kill_child;
	}

	t->pid = pid;
	t->path = real;
	t->argv = l->argv;
	t->from_start = true;
	t->state = TARGET_RUNNING;
	if (o->live) {
		struct child_watch w = {.pid = pid, .t = t};

		tracer_live(&tr, t, o,
			    o->interval_s > 0 ? o->interval_s
					      : TRACER_INTERVAL_S,
			    child_running, &w, &exiting);
		if (!w.ended)
			wait_child(pid, t);
	} else {
		wait_child(pid, t);
	}
	t->wall_s = now_s() - start;

	err = report ? report(&tr, t, ctx) : tracer_report(&tr, t, o);
	if (err == 0)
		ret = exit_status(t);
	goto cleanup;

kill_child:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
cleanup:
	tracer_stop(&tr);
	usdt_free(&probes);
	/* real is ours: the caller has the outcome, not the path */
	t->path = NULL;
	return ret;
}

int launch_untraced(const struct launch *l, struct sched_target *t)
{
	char found[PATH_MAX], real[PATH_MAX];
	double start;
	pid_t pid;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = check_program(l->argv[0], found, real, NULL);
	if (ret)
		return ret;
	trace_catch_signals();
	start = now_s();
	pid = spawn(l, found, false);
	if (pid < 0)
		return -pid;
	t->pid = pid;
	t->argv = l->argv;
	wait_child(pid, t);
	t->wall_s = now_s() - start;
	/* not tracing: nothing to keep a second Ctrl-C from ending rttrace */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	return exit_status(t);
}

int cmd_trace(int argc, char **argv)
{
	struct sched_target target;
	struct launch l = {
	    .stdout_fd = -1,
	    .stderr_fd = -1,
	};
	int err;

	err = argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, NULL);
	if (err)
		return RTTRACE_EXIT_USAGE;

	if (preflight_privileges() || preflight_btf())
		return RTTRACE_EXIT_FAIL;

	l.argv = env.cmd;
	l.as_root = env.as_root;
	return trace_program(&l, &env.report, NULL, NULL, &target);
}

/*
 * attach.c — `rttrace attach -p PID`: the trace report for a librt program
 * that is already running, from attach until it exits, --duration passes,
 * or Ctrl-C.
 *
 * Unlike `trace`, the counts start at attach, so they are less than
 * librt's RT_STATS totals, and goroutines parked before attach have no
 * park start: their goready is counted but not timed.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "live.h"
#include "rttrace.h"
#include "tracer.h"
#include "usdt_check.h"

static struct attach_env {
	pid_t pid;
	double duration; /* seconds; 0: until exit or Ctrl-C */
	struct tracer_opts report;
} env;

static volatile bool exiting;
/* the tracer, for tracer_live in wait_target */
static struct tracer trace_tr;

static const char doc[] =
    "Trace a running program linked with librt, and report its scheduler "
    "when it exits, after --duration, or on Ctrl-C.\n"
    "\n"
    "USAGE: rttrace attach -p PID [OPTIONS]\n"
    "\n"
    "The report is the one `rttrace trace` prints, counted from attach: "
    "librt's own totals include what ran before. With --sample (default "
    "auto) rttrace writes librt's sampling periods into the process "
    "before attaching and gives the old ones back at detach; a process "
    "detached while it runs has not reported each thread's events since "
    "its last firing of a sampled probe (fewer than 2 periods per "
    "probe).\n"
    "\n"
    "Exit status: 0 once the report is printed; 1 if rttrace could not "
    "attach; 2 for a bad command line.\n"
    "\n"
    "EXAMPLES:\n"
    "  sudo rttrace attach -p 4242             # until it exits or Ctrl-C\n"
    "  sudo rttrace attach -p 4242 -d 5 --json # five seconds, as JSON\n"
    "  sudo rttrace attach -p 4242 --live      # redraw every second\n"
    "  sudo rttrace attach -p 4242 --serve 127.0.0.1:9464 # Prometheus\n"
    "\n"
    "OPTIONS:";

static const struct argp_option opts[] = {
    {"pid", 'p', "PID", 0, "Process to trace (required)", 0},
    {"duration", 'd', "SECONDS", 0, "Stop after SECONDS", 0},
    RT_REPORT_OPTIONS,
    RT_GLOBAL_OPTIONS,
    {},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char *end;
	long n;

	switch (key) {
	case 'p':
		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || *end || n <= 0 || n > INT_MAX)
			argp_error(state, "invalid PID: %s", arg);
		env.pid = n;
		break;
	case 'd':
		errno = 0;
		env.duration = strtod(arg, &end);
		if (errno || *end || env.duration <= 0)
			argp_error(state, "invalid --duration: %s", arg);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	case ARGP_KEY_END:
		if (!env.pid)
			argp_error(state, "-p PID is required");
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
    .args_doc = NULL,
    .doc = doc,
};

static void sig_handler(int sig)
{
	(void)sig;
	exiting = true;
}

/* What tracer_live polls: the target, and the --duration deadline. */
struct target_watch {
	int pidfd;
	double start;
	struct sched_target *t;
};

/*
 * target_running is tracer_live's running(): false once the process
 * behind pidfd exited (it becomes readable) or the duration passed.
 */
static bool target_running(void *ctx)
{
	struct target_watch *w = ctx;
	struct pollfd pfd = {.fd = w->pidfd, .events = POLLIN};

	if (w->t->state == TARGET_ENDED)
		return false;
	if (poll(&pfd, 1, 0) > 0) {
		w->t->state = TARGET_ENDED;
		return false;
	}
	return !(env.duration > 0 && now_s() - w->start >= env.duration);
}

/*
 * wait_target waits until the process behind pidfd exits (it becomes
 * readable), the duration passes, or a signal sets exiting; with --live,
 * tracer_live redraws the report meanwhile.
 */
static void wait_target(int pidfd, double start, struct sched_target *t)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

	t->state = TARGET_RUNNING;
	if (env.report.live) {
		struct target_watch w = {
		    .pidfd = pidfd, .start = start, .t = t};

		tracer_live(&trace_tr, t, &env.report,
			    env.report.interval_s > 0 ? env.report.interval_s
						      : TRACER_INTERVAL_S,
			    target_running, &w, &exiting);
		if (exiting)
			t->interrupted = true;
		return;
	}
	while (!exiting) {
		int timeout = -1;

		if (env.duration > 0) {
			double left = start + env.duration - now_s();

			if (left <= 0)
				return;
			timeout = (int)(left * 1000) + 1;
		}
		if (poll(&pfd, 1, timeout) > 0) {
			t->state = TARGET_ENDED;
			return;
		}
	}
	t->interrupted = true;
}

int cmd_attach(int argc, char **argv)
{
	struct tracer *tr = &trace_tr;
	struct sched_target target = {0};
	struct sigaction sa = {.sa_handler = sig_handler};
	char exe[64], real[PATH_MAX];
	struct usdt_probes probes = {0};
	int err, pidfd, ret = RTTRACE_EXIT_FAIL;
	double start;

	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return RTTRACE_EXIT_USAGE;
	if (preflight_privileges() || preflight_btf())
		return RTTRACE_EXIT_FAIL;

	/* a pidfd pins the process: its pid cannot be reused under us */
	pidfd = syscall(SYS_pidfd_open, env.pid, 0);
	if (pidfd < 0) {
		rt_errorf("PID %d: %s", (int)env.pid, strerror(errno));
		return RTTRACE_EXIT_FAIL;
	}
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)env.pid);
	if (!realpath(exe, real)) {
		rt_errorf("PID %d: cannot read its executable: %s",
			  (int)env.pid, strerror(errno));
		goto close_pidfd;
	}
	err = usdt_check(exe, &probes);
	if (err == -EPROTO) {
		rt_errorf("PID %d (%s): " USDT_ERR_ABI, (int)env.pid, real);
		rt_notef("%s", probes.why);
		goto close_pidfd;
	}
	if (err || !probes.total) {
		rt_errorf("PID %d (%s) has no librt probes (not linked with "
			  "librt?)",
			  (int)env.pid, real);
		goto close_pidfd;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* /proc/PID/exe reaches the inode even if the file was replaced */
	if (tracer_start(tr, env.pid, exe, &probes, &env.report))
		goto cleanup;

	if (!env.report.json)
		fprintf(stderr, "Tracing PID %d (%s)... Hit Ctrl-C to end.\n",
			(int)env.pid, real);
	start = now_s();
	target.pid = env.pid;
	target.path = real;
	wait_target(pidfd, start, &target);
	target.wall_s = now_s() - start;

	err = tracer_report(tr, &target, &env.report);
	if (err == 0)
		ret = 0;
cleanup:
	tracer_stop(tr);
close_pidfd:
	close(pidfd);
	usdt_free(&probes);
	return ret;
}

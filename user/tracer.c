/*
 * tracer.c — the steps `rttrace trace` and `rttrace attach` take alike
 * once the process is known: the report's options, loading and attaching
 * the concerns in one order, and detaching them.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rttrace.h"
#include "tracer.h"

error_t rt_parse_global(int key, struct argp_state *state)
{
	switch (key) {
	case 'v':
		rttrace_env.verbose = true;
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

error_t tracer_parse_opt(int key, char *arg, struct argp_state *state,
			 struct tracer_opts *o)
{
	char *end;
	long n;

	switch (key) {
	case 'j':
		o->json = true;
		break;
	case OPT_NSEC:
		o->nsec = true;
		break;
	case OPT_MAX_GOROUTINES:
		errno = 0;
		/* strtol, not strtoul: strtoul takes "-N" and wraps it */
		n = strtol(arg, &end, 0);
		if (errno || *end || n <= 0 || n > UINT_MAX)
			argp_error(state, "invalid --max-goroutines: %s", arg);
		o->max_goroutines = n;
		break;
	default:
		return rt_parse_global(key, state);
	}
	return 0;
}

int tracer_start(struct tracer *tr, pid_t pid, const char *path,
		 const struct usdt_probes *probes, const struct tracer_opts *o)
{
	struct sched_opts sopts = {
	    .tgid = pid,
	    .nsec = o->nsec,
	    .max_goroutines = o->max_goroutines,
	};
	struct mem_opts mopts = {.tgid = pid, .nsec = o->nsec};
	struct chan_opts copts = {
	    .tgid = pid,
	    .nsec = o->nsec,
	    .max_goroutines = o->max_goroutines,
	};
	int err;

	err = sched_load(&tr->sched, &sopts);
	if (!err)
		err = sched_attach(&tr->sched, pid, path, probes);
	/* the memory concern only when librt's allocator is linked in */
	if (!err && mem_wanted(probes)) {
		err = mem_load(&tr->mem, &mopts);
		if (!err)
			err = mem_attach(&tr->mem, pid, path, probes);
	}
	/* channels, select and timers only when librt's are linked in */
	if (!err && chan_wanted(probes)) {
		err = chan_load(&tr->chan, &copts);
		if (!err)
			err = chan_attach(&tr->chan, pid, path, probes);
	}
	return err;
}

int tracer_report(struct tracer *tr, const struct sched_target *t,
		  const struct tracer_opts *o)
{
	return sched_report(&tr->sched, &tr->mem, &tr->chan, t, o->json,
			    o->nsec);
}

void tracer_stop(struct tracer *tr)
{
	/*
	 * Unregistering uprobes takes the kernel ~0.1 s per probe site; let
	 * a second Ctrl-C end rttrace at once: exit closes the links too.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	chan_destroy(&tr->chan);
	mem_destroy(&tr->mem);
	sched_destroy(&tr->sched);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

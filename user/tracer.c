/*
 * tracer.c — the steps `rttrace trace` and `rttrace attach` take alike
 * once the process is known: the report's options, loading and attaching
 * the concerns in one order, and detaching them.
 *
 * The CPU sampler (profile.c) starts last, once every probe is attached,
 * so that the samples cover the traced run and not rttrace's own set-up;
 * the report ends with the seed's §16 signature table (signatures.c),
 * built from the samples and from the concerns' counts: parks by wait
 * reason and Gosched from sched.bpf.c, STW pauses from mem.bpf.c.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flamegraph.h"
#include "pprof.h"
#include "rttrace.h"
#include "serve.h"
#include "signatures.h"
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
	case OPT_LIVE:
		o->live = true;
		break;
	case OPT_FREQ:
		errno = 0;
		n = strtol(arg, &end, 0);
		if (errno || *end || n <= 0 || n > 100000)
			argp_error(state,
				   "invalid --freq: %s (samples per second, "
				   "1 to 100000)",
				   arg);
		o->freq = n;
		break;
	case OPT_NO_PROFILE:
		o->no_profile = true;
		break;
	case OPT_KERNEL:
		o->kernel = true;
		break;
	case OPT_TIMELINE:
		if (!*arg)
			argp_error(state, "--timeline needs a file name");
		o->timeline = arg;
		break;
	case OPT_GOROUTINES:
		o->goroutines = true;
		break;
	case OPT_RINGBUF_SIZE:
		o->ringbuf_size = timeline_parse_size(arg);
		if (!o->ringbuf_size)
			argp_error(state,
				   "invalid --ringbuf-size: %s (bytes, or "
				   "with K, M or G; at most 2G)",
				   arg);
		break;
	case OPT_FLAMEGRAPH:
	case OPT_FOLDED:
		if (!*arg)
			argp_error(state, "--%s needs a file name",
				   key == OPT_FOLDED ? "folded" : "flamegraph");
		*(key == OPT_FOLDED ? &o->folded : &o->flamegraph) = arg;
		break;
	case OPT_BLOCKING:
		o->blocking = true;
		break;
	case OPT_OFFCPU:
		o->offcpu = true; /* the kernel view is loaded for it */
		break;
	case OPT_PPROF:
		if (!*arg)
			argp_error(state, "--pprof needs a file name");
		o->pprof = arg;
		break;
	case OPT_STACK_MAP_SIZE:
		errno = 0;
		n = strtol(arg, &end, 0);
		if (errno || *end || n <= 0 || n > (1L << 24))
			argp_error(state, "invalid --stack-map-size: %s", arg);
		o->stack_map_size = n;
		break;
	case OPT_SERVE: {
		char host[256], port[8];

		if (serve_parse_addr(arg, host, sizeof(host), port,
				     sizeof(port)))
			argp_error(state,
				   "invalid --serve: %s (write HOST:PORT, "
				   "[IPV6]:PORT, :PORT or HOST)",
				   arg);
		o->serve = arg;
		break;
	}
	case OPT_INTERVAL:
		if (!parse_duration(arg, &o->interval_s))
			argp_error(state,
				   "invalid --interval: %s (write 1s, 500ms "
				   "or seconds)",
				   arg);
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
	struct defer_opts dopts = {.tgid = pid};
	int err;

	if (o->pprof && o->no_profile) {
		rt_errorf("--pprof writes the CPU samples: drop --no-profile");
		return -EINVAL;
	}
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
	/* defer, panic and NumGoroutine only when librt's are linked in */
	if (!err && defer_wanted(probes)) {
		err = defer_load(&tr->defers, &dopts);
		if (!err)
			err = defer_attach(&tr->defers, pid, path, probes);
	}
	if (!err && !o->no_profile) {
		struct profile_opts popts = {
		    .tgid = pid,
		    .freq = o->freq,
		    .max_stacks = o->stack_map_size,
		};

		err = profile_start(&tr->prof, &popts);
	}
	/* the blocking profile: a stack walk per park, only when asked */
	if (!err && o->blocking) {
		struct block_opts bopts = {
		    .tgid = pid,
		    .max_goroutines = o->max_goroutines,
		    .max_stacks = o->stack_map_size,
		};

		if (block_wanted(probes))
			err = block_start(&tr->block, &bopts, path, probes);
		else
			rt_warnf("--blocking: %s has no gopark/goready probes",
				 path);
	}
	/* the timeline's ring buffer only when asked: it costs per event */
	if (!err && (o->timeline || o->goroutines)) {
		struct timeline_opts topts = {
		    .tgid = pid,
		    .path = o->timeline,
		    .ringbuf_size = o->ringbuf_size,
		};

		err = timeline_start(&tr->timeline, path, probes, &topts);
	}
	/* the kernel's view: tracepoints joined to the goroutines */
	if (!err && (o->kernel || o->offcpu)) {
		struct kernel_opts kopts = {.tgid = pid, .nsec = o->nsec};

		err = kernel_start(&tr->kernel, &kopts, path, probes);
	}
	/* last: a scrape must find every concern attached */
	if (!err && o->serve)
		err =
		    serve_start(&tr->serve, o->serve, tr, pid, probes, o->nsec);
	return err;
}

/* What the report's JSON adds after its sections. */
struct report_extra {
	struct sig_table *sig;
	struct tracer *tr;
};

static void signatures_json(struct json *j, void *arg)
{
	const struct report_extra *x = arg;

	sig_json(j, x->sig);
	timeline_report_json(j, &x->tr->timeline);
	kernel_json_key(j, &x->tr->kernel);
}

/* note_top_stacks shows the hottest sampled stacks with --verbose, so the
 * table's shares can be checked against the stacks they came from. */
static void note_top_stacks(const struct profile_result *p, size_t top)
{
	for (size_t i = 0; i < p->nstacks && i < top; i++) {
		const struct profile_stack *st = &p->stacks[i];

		rt_notef("stack %zu: %llu samples%s%s", i + 1,
			 (unsigned long long)st->count,
			 st->user_lost ? " (user stack lost)" : "",
			 st->kernel_lost ? " (kernel stack lost)" : "");
		for (size_t f = 0; f < st->nframes; f++) {
			const struct profile_frame *fr = &st->frames[f];

			rt_notef("    %#llx %s%s%s %s:%d",
				 (unsigned long long)fr->pc,
				 fr->name ? fr->name : "[unknown]",
				 fr->kernel ? " [k]" : "",
				 fr->inlined ? " (inlined)" : "",
				 fr->file ? fr->file
					  : (fr->module ? fr->module : "?"),
				 fr->line);
		}
	}
}

/*
 * tracer_report reads the concerns as sched_report does and prints the
 * report with the signature table after it. The samples are read first:
 * while they are symbolized the process may still run (attach), and its
 * counts are read after, so that no rate has fewer events than the
 * samples show.
 */
int tracer_report(struct tracer *tr, const struct sched_target *t,
		  const struct tracer_opts *o)
{
	struct profile_result prof = {0};
	struct report_data *d;
	struct sig_table *sig;
	struct sig_input in = {
	    .stw_reason = mem_stw_reason_str,
	    .nsec = o->nsec,
	    .wall_s = t->wall_s,
	};
	uint64_t parks[SCHED_WAIT_HISTS];
	bool profiled = false;
	int err, tl_err;

	if (tr->prof.skel) {
		err = profile_collect(&tr->prof, &prof);
		if (err)
			rt_warnf("cannot read the CPU samples: %s",
				 strerror(-err));
		else
			profiled = true;
	}
	/* --timeline: write the file, sum the goroutine analysis */
	tl_err = timeline_finish(&tr->timeline);
	d = malloc(sizeof(*d));
	sig = malloc(sizeof(*sig));
	if (!d || !sig) {
		err = -ENOMEM;
		goto out;
	}
	err = report_read(&tr->sched, &tr->mem, &tr->chan, &tr->defers, d);
	if (err)
		goto out;

	for (unsigned int i = 0; i < SCHED_WAIT_HISTS; i++)
		parks[i] = d->sched.park[i].count;
	in.parks = parks;
	in.gosched = d->sched.counts[RT_PROBE_ID_gosched];
	in.stw = d->has_mem ? d->mem.stw : NULL;
	in.prof = profiled ? &prof : NULL;
	sig_compute(sig, &in);

	if (o->json) {
		struct report_extra x = {.sig = sig, .tr = tr};

		sched_report_json_with(stdout, t, d, o->nsec, signatures_json,
				       &x);
	} else {
		sched_report_text(stdout, t, d, o->nsec);
		sig_print(stdout, sig);
		timeline_report_text(stdout, &tr->timeline);
		kernel_print(stdout, &tr->kernel);
	}
	fflush(stdout);
	report_warnings(&tr->sched, d);
	if (profiled) {
		profile_report_warnings(&tr->prof, &prof);
		if (rttrace_env.verbose)
			note_top_stacks(&prof, 5);
	}
	if (o->pprof)
		err = pprof_export(tr, profiled ? &prof : NULL, t, o, NULL);
	if (flame_wanted(o)) {
		int ferr =
		    flame_export(tr, profiled ? &prof : NULL, t, o, NULL, NULL);

		err = err ? err : ferr;
	}
out:
	profile_result_free(&prof);
	free(sig);
	free(d);
	return err ? err : tl_err;
}

void tracer_stop(struct tracer *tr)
{
	/*
	 * Unregistering uprobes takes the kernel ~0.1 s per probe site; let
	 * a second Ctrl-C end rttrace at once: exit closes the links too.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* first: its thread reads the maps destroyed below */
	serve_stop(tr->serve);
	tr->serve = NULL;
	timeline_destroy(&tr->timeline);
	profile_stop(&tr->prof);
	kernel_destroy(&tr->kernel);
	block_stop(&tr->block);
	defer_destroy(&tr->defers);
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

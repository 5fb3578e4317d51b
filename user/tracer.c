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
 *
 * Sampling (sample.c) brackets the attach: sample_prepare before the
 * first concern attaches (for an attached process it writes the periods
 * and bumps librt's epoch), sample_start once all are (auto's thread
 * reads the concerns' per-probe totals, tracer_read_counts, every tick).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "flamegraph.h"
#include "map_helpers.h"
#include "pprof.h"
#include "output.h"
#include "privilege.h"
#include "probe_attach.h"
#include "rttrace.h"
#include "sched.skel.h"
#include "serve.h"
#include "signatures.h"
#include "tracer.h"

/*
 * --self-stats: rttrace's own cost, one line on stderr at exit, for
 * scripts/bench-trace.sh. getrusage(RUSAGE_SELF) counts every rttrace
 * thread and never the traced program (a child only enters
 * RUSAGE_CHILDREN). attach runs from before main (the constructor) to the
 * return of the first successful tracer_start: ELF and probe parsing, BPF
 * loads and verification, every uprobe attached; cpu-attach is the CPU
 * spent by then, so that (cpu - cpu-attach) / (wall - attach) is the cost
 * of tracing alone. bpf-memlock, taken at each attach, is the kernel
 * memory of rttrace's maps and programs (fdinfo's memlock), which the RSS
 * does not include. sym-hits and sym-misses are the user symbol cache's
 * (symbolize.c): a miss asks libdwfl, a hit costs a hash.
 */
static struct {
	double start;	   /* now_s() before main */
	double attached;   /* now_s() at the first attach; 0: none yet */
	double cpu_attach; /* user+sys CPU seconds at the first attach */
	long long memlock; /* bytes, the most seen at an attach */
} self_stats;

static double self_stats_cpu(const struct rusage *ru)
{
	return ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
	       ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

__attribute__((constructor)) static void self_stats_init(void)
{
	self_stats.start = now_s();
}

/* self_stats_memlock sums the memlock: lines of rttrace's BPF fds. */
static long long self_stats_memlock(void)
{
	DIR *dir = opendir("/proc/self/fdinfo");
	struct dirent *de;
	long long sum = 0, v;
	char path[288], line[128];
	FILE *f;

	while (dir && (de = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%s",
			 de->d_name);
		if (de->d_name[0] == '.' || !(f = fopen(path, "r")))
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "memlock: %lld", &v) == 1)
				sum += v;
		fclose(f);
	}
	if (dir)
		closedir(dir);
	return sum;
}

static void self_stats_attached(void)
{
	long long m = self_stats_memlock();
	struct rusage ru;

	if (!self_stats.attached) {
		self_stats.attached = now_s();
		getrusage(RUSAGE_SELF, &ru);
		self_stats.cpu_attach = self_stats_cpu(&ru);
	}
	if (m > self_stats.memlock)
		self_stats.memlock = m;
}

static void self_stats_print(void)
{
	struct usyms_cache_stats sc;
	struct rusage ru;
	char attach[32] = "-";

	getrusage(RUSAGE_SELF, &ru);
	usyms_cache_stats(&sc);
	if (self_stats.attached)
		snprintf(attach, sizeof(attach), "%.1f",
			 (self_stats.attached - self_stats.start) * 1e3);
	fprintf(stderr,
		"rttrace: self: max-rss=%ld KiB cpu-user=%.3f s "
		"cpu-sys=%.3f s wall=%.3f s attach=%s ms cpu-attach=%.3f s "
		"bpf-memlock=%lld KiB sym-hits=%llu sym-misses=%llu\n",
		ru.ru_maxrss, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
		now_s() - self_stats.start, attach, self_stats.cpu_attach,
		self_stats.memlock / 1024, (unsigned long long)sc.hits,
		(unsigned long long)sc.misses);
}

error_t rt_parse_global(int key, char *arg, struct argp_state *state)
{
	static bool self_stats_on;
	char why[160];

	switch (key) {
	case ARGP_KEY_INIT:
		/* every parser's unknown keys end here: errors in one line */
		rt_argp_one_line(state);
		return ARGP_ERR_UNKNOWN;
	case OPT_BTF:
		if (preflight_btf_file(arg, why, sizeof(why)))
			argp_error(state, "invalid --btf %s: %s", arg, why);
		rttrace_env.btf_path = arg;
		break;
	case OPT_SELF_STATS:
		if (!self_stats_on)
			atexit(self_stats_print);
		self_stats_on = true;
		break;
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

/*
 * check_output_opt refuses, as a bad command line, an output file option
 * (--NAME FILE) whose FILE cannot be written (output_check: a missing
 * directory, a directory) or that another option writes already, before
 * any tracing is done.
 */
static void check_output_opt(struct argp_state *state, const char *name,
			     const char *arg, const struct tracer_opts *o)
{
	const char *const others[][2] = {
	    {"timeline", o->timeline},
	    {"flamegraph", o->flamegraph},
	    {"folded", o->folded},
	    {"pprof", o->pprof},
	};
	const char *why;

	if (!*arg)
		argp_error(state, "--%s needs a file name", name);
	if (output_check(arg, &why))
		argp_error(state, "--%s %s: %s", name, arg, why);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (others[i][1] && strcmp(others[i][0], name) != 0 &&
		    strcmp(others[i][1], arg) == 0)
			argp_error(state, "--%s %s: --%s writes that file",
				   name, arg, others[i][0]);
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
		if (o->pprof)
			argp_error(state,
				   "--pprof writes the CPU samples: drop "
				   "--no-profile");
		o->no_profile = true;
		break;
	case OPT_KERNEL:
		o->kernel = true;
		break;
	case OPT_TIMELINE:
		check_output_opt(state, "timeline", arg, o);
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
		check_output_opt(
		    state, key == OPT_FOLDED ? "folded" : "flamegraph", arg, o);
		*(key == OPT_FOLDED ? &o->folded : &o->flamegraph) = arg;
		break;
	case OPT_BLOCKING:
		o->blocking = true;
		break;
	case OPT_OFFCPU:
		o->offcpu = true; /* the kernel view is loaded for it */
		break;
	case OPT_PPROF:
		check_output_opt(state, "pprof", arg, o);
		if (o->no_profile)
			argp_error(state,
				   "--pprof writes the CPU samples: drop "
				   "--no-profile");
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

		/* "" would serve every interface: ask for ":PORT" */
		if (!*arg)
			argp_error(state, "--serve needs an address (write "
					  "HOST:PORT, [IPV6]:PORT, :PORT or "
					  "HOST)");

		if (serve_parse_addr(arg, host, sizeof(host), port,
				     sizeof(port)))
			argp_error(state,
				   "invalid --serve: %s (write HOST:PORT, "
				   "[IPV6]:PORT, :PORT or HOST)",
				   arg);
		o->serve = arg;
		break;
	}
	case OPT_SAMPLE:
		if (!sample_parse(arg, &o->sample, &o->sample_period))
			argp_error(state,
				   "invalid --sample: %s (write auto, off, or "
				   "a period N from 1 to %u: 1 in N events "
				   "fires)",
				   arg, SAMPLE_MAX_PERIOD);
		break;
	case OPT_INTERVAL:
		if (!parse_duration(arg, &o->interval_s))
			argp_error(state,
				   "invalid --interval: %s (write 1s, 500ms "
				   "or seconds)",
				   arg);
		break;
	default:
		return rt_parse_global(key, arg, state);
	}
	return 0;
}

void tracer_check_opts(struct argp_state *state, const struct tracer_opts *o)
{
	/* with neither --blocking nor --offcpu, the CPU flamegraph is all
	 * --flamegraph and --folded would write: no samples, no file */
	if (o->no_profile && flame_wanted(o) && !o->blocking && !o->offcpu)
		argp_error(state,
			   "--%s needs the CPU samples: drop --no-profile, or "
			   "add --blocking or --offcpu",
			   o->flamegraph ? "flamegraph" : "folded");
}

void tracer_pinned(const struct tracer_opts *o, bool pinned[RT_PROBE_NUM])
{
	memset(pinned, 0, RT_PROBE_NUM * sizeof(pinned[0]));
	/* the concerns that need every event say which probes they attach */
	if (o->kernel || o->offcpu)
		kernel_pin_probes(pinned);
	if (o->timeline || o->goroutines)
		timeline_pin_probes(pinned);
	if (o->blocking)
		block_pin_probes(pinned);
}

bool tracer_sample_env(const struct tracer_opts *o, char *buf, size_t len)
{
	static const char var[] = "RT_PROBE_SAMPLE=";
	bool pinned[RT_PROBE_NUM];
	uint32_t p[RT_PROBE_NUM];

	if (o->sample != SAMPLE_FIXED) {
		/* auto writes the periods itself, off wants none */
		if (!getenv("RT_PROBE_SAMPLE"))
			return false;
		snprintf(buf, len, "%s", var);
		return true;
	}
	tracer_pinned(o, pinned);
	sample_fixed_periods(o->sample_period, pinned, p);
	if (len <= sizeof(var))
		return false;
	memcpy(buf, var, sizeof(var));
	return sample_env(p, buf + sizeof(var) - 1, len - (sizeof(var) - 1));
}

/*
 * tracer_read_counts is auto's reading (sample_read_fn): the per-probe
 * totals of every loaded concern, as report_read merges them, without
 * the histograms.
 */
static int tracer_read_counts(void *ctx, uint64_t counts[RT_PROBE_NUM])
{
	struct tracer *tr = ctx;
	int err = 0;

	memset(counts, 0, RT_PROBE_NUM * sizeof(counts[0]));
	if (tr->sched.skel)
		err = sched_read_counts(&tr->sched, counts);
	if (!err && tr->mem.skel)
		err = mem_read_counts(&tr->mem, counts + MEM_PROBE_FIRST);
	if (!err && tr->chan.skel)
		err = chan_read_counts(&tr->chan, counts + CHAN_PROBE_FIRST);
	if (!err && tr->defers.skel)
		err =
		    defer_read_counts(&tr->defers, counts + DEFER_PROBE_FIRST);
	return err;
}

int tracer_read(struct tracer *tr, struct report_data *d)
{
	int err = report_read(&tr->sched, &tr->mem, &tr->chan, &tr->defers, d);

	sample_snapshot(&tr->sample, &d->sample);
	return err;
}

int tracer_start(struct tracer *tr, pid_t pid, const char *path,
		 const struct usdt_probes *probes, const struct tracer_opts *o)
{
	bool pinned[RT_PROBE_NUM];
	struct sched_opts sopts = {
	    .tgid = pid,
	    .nsec = o->nsec,
	};
	struct mem_opts mopts = {.tgid = pid, .nsec = o->nsec};
	struct chan_opts copts = {
	    .tgid = pid,
	    .nsec = o->nsec,
	};
	struct defer_opts dopts = {.tgid = pid};
	int err;

	if (o->pprof && o->no_profile) {
		rt_errorf("--pprof writes the CPU samples: drop --no-profile");
		return -EINVAL;
	}
	/* before any probe is attached: an attach's first firings must not
	 * report what happened before it */
	tracer_pinned(o, pinned);
	sample_prepare(&tr->sample, pid, path, tr->from_exec, o->sample,
		       o->sample_period, pinned);
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
		if (err == -EACCES && !o->pprof && !flame_wanted(o)) {
			/* the rest needs no perf event: trace it */
			rt_warnf("CPU profile off: perf_event_open refused "
				 "(%s: %s); the rest is traced; --no-profile "
				 "skips it",
				 strerror(EACCES), PERF_REFUSED_WHY);
			profile_stop(&tr->prof);
			err = 0;
		} else if (err == -EACCES) {
			rt_errorf("cannot sample the CPU for --pprof, "
				  "--flamegraph or --folded: perf_event_open "
				  "refused (%s: %s)",
				  strerror(EACCES), PERF_REFUSED_WHY);
		}
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
		struct kernel_opts kopts = {
		    .tgid = pid,
		    .nsec = o->nsec,
		    .max_goroutines = o->max_goroutines,
		};

		err = kernel_start(&tr->kernel, &kopts, path, probes);
	}
	/* last: a scrape must find every concern attached */
	if (!err && o->serve)
		err =
		    serve_start(&tr->serve, o->serve, tr, pid, probes, o->nsec);
	/* every probe attached: auto may start sampling the hot ones */
	if (!err)
		sample_start(&tr->sample, tracer_read_counts, tr);
	if (!err)
		self_stats_attached(); /* --self-stats */
	/* the session's last attach: give up what is no longer needed */
	privilege_attached(!err);
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
	block_json_key(j, &x->tr->block);
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

	/* the report names the periods the run ended with */
	sample_stop(&tr->sample);
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
	err = tracer_read(tr, d);
	if (err)
		goto out;

	report_park_counts(d, parks);
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
	block_report_warnings(&tr->block); /* --blocking's losses */
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
	/* first: their threads read the maps destroyed below */
	sample_end(&tr->sample);
	serve_stop(tr->serve);
	tr->serve = NULL;
	{
		/* every concern's probes in one go (probe_detach_sets) */
		struct probe_link **const sets[] = {
		    tr->timeline.skel ? tr->timeline.links : NULL,
		    tr->kernel.skel ? tr->kernel.links : NULL,
		    tr->block.skel ? tr->block.links : NULL,
		    tr->defers.skel ? tr->defers.links : NULL,
		    tr->chan.skel ? tr->chan.links : NULL,
		    tr->mem.skel ? tr->mem.links : NULL,
		    tr->sched.skel ? tr->sched.links : NULL,
		};

		probe_detach_sets(sets, sizeof(sets) / sizeof(sets[0]));
	}
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

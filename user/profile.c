/*
 * profile.c — loads bpf/profile.bpf.c, opens one software cpu-clock perf
 * event per online CPU in frequency mode and attaches the program to each,
 * as libbpf-tools' profile does; reads the sampled stacks back and
 * symbolizes them (symbolize.c).
 *
 * Order: open -> set targ_tgid and the map sizes -> load -> perf events
 * and attach. The software clock needs no hardware PMU (this machine has
 * none). A sample lands on whatever runs on the CPU; the program keeps
 * only the traced process's.
 *
 * While the process runs a helper thread re-reads /proc/PID/maps every
 * SNAP_INTERVAL_MS, so that the mappings are known after the process
 * exits and is reaped — `rttrace trace` reads the maps only then. It is
 * a snapshot: a library mapped and unmapped between two snapshots, or
 * less than SNAP_INTERVAL_MS before the exit, stays unnamed ("[unknown]").
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>

#include "map_helpers.h"
#include "parse.h"
#include "privilege.h"
#include "probe_attach.h"
#include "profile.skel.h"
#include "profile_user.h"
#include "rttrace.h"

#define SNAP_INTERVAL_MS 100
#define MAX_CPUS	 4096

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* online_cpus reads the online CPU list; returns how many or -errno. */
static int online_cpus(int *cpus, int max)
{
	char buf[4096];
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	int n;

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	n = parse_cpu_list(buf, cpus, max);
	return n == 0 ? -EINVAL : n;
}

static int perf_open_clock(int cpu, unsigned int freq)
{
	struct perf_event_attr attr = {
	    .type = PERF_TYPE_SOFTWARE,
	    .config = PERF_COUNT_SW_CPU_CLOCK,
	    .size = sizeof(attr),
	    .freq = 1,
	    .sample_freq = freq,
	};

	return syscall(__NR_perf_event_open, &attr, -1, cpu, -1,
		       PERF_FLAG_FD_CLOEXEC);
}

/* max_sample_rate is kernel.perf_event_max_sample_rate, 0 if unknown. */
static unsigned long max_sample_rate(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "re");
	unsigned long v = 0;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/*
 * exe_text finds the executable's code in pid's mappings (mapped at exec,
 * before the loader runs): [lo, hi) over its executable mappings. Returns
 * 0, or -errno; lo = hi = 0 then, and leaf_ret is not taken.
 */
static int exe_text(pid_t pid, uint64_t *lo, uint64_t *hi)
{
	char path[64], exe[4096], line[4096 + 128];
	ssize_t n;
	FILE *f;

	*lo = *hi = 0;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char perms[8];
		int off = 0;

		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &start, &end,
			   perms, &off) != 3 ||
		    !off || perms[2] != 'x')
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line + off, exe))
			continue;
		if (!*lo || start < *lo)
			*lo = start;
		if (end > *hi)
			*hi = end;
	}
	fclose(f);
	return 0;
}

static void *snapper_main(void *arg)
{
	struct profile_session *s = arg;

	/* a helper: only what reading /proc needs (privilege.h) */
	privilege_drop_helper();
	while (!atomic_load(&s->snapper_stop)) {
		struct timespec ts = {0, SNAP_INTERVAL_MS * 1000000L};

		/* the process is gone: the last snapshot stays */
		if (usyms_snapshot(s->usyms) < 0)
			break;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void snapper_join(struct profile_session *s)
{
	if (!s->snapper_started)
		return;
	atomic_store(&s->snapper_stop, true);
	pthread_join(s->snapper, NULL);
	s->snapper_started = false;
}

int profile_start(struct profile_session *s, const struct profile_opts *o)
{
	static int cpus[MAX_CPUS];
	struct bpf_program *prog;
	sigset_t all, old;
	unsigned long maxrate;
	uint64_t text_lo, text_hi;
	int ncpu, err;

	memset(s, 0, sizeof(*s));
	s->pid = o->tgid;
	s->freq = o->freq ? o->freq : PROFILE_DEFAULT_FREQ;
	s->max_stacks = o->max_stacks ? o->max_stacks : PROFILE_MAX_STACKS;
	maxrate = max_sample_rate();
	if (maxrate && s->freq > maxrate) {
		rt_errorf(
		    "--freq %u is above kernel.perf_event_max_sample_rate "
		    "(%lu)",
		    s->freq, maxrate);
		return -EINVAL;
	}
	ncpu = online_cpus(cpus, MAX_CPUS);
	if (ncpu < 0) {
		rt_errorf("cannot read the online CPUs: %s", strerror(-ncpu));
		return ncpu;
	}

	s->skel = profile_bpf__open_opts(bpf_open_opts());
	if (!s->skel)
		return probe_open_failed();
	s->skel->rodata->targ_tgid = o->tgid;
	if (exe_text(o->tgid, &text_lo, &text_hi))
		rt_notef("no executable mapping found for PID %d: frames "
			 "called from frameless leaf functions are skipped",
			 (int)o->tgid);
	s->skel->rodata->targ_text_lo = text_lo;
	s->skel->rodata->targ_text_hi = text_hi;
	err = probe_size_map(s->skel->maps.stacks, s->max_stacks, "stack");
	if (!err)
		err = probe_size_map(s->skel->maps.counts, s->max_stacks,
				     "sampled stacks");
	if (err)
		return err;
	err = probe_load_result(profile_bpf__load(s->skel));
	if (err)
		return err;

	s->links = calloc(ncpu, sizeof(*s->links));
	if (!s->links)
		return -ENOMEM;
	prog = s->skel->progs.do_sample;
	for (int i = 0; i < ncpu; i++) {
		int fd = perf_open_clock(cpus[i], s->freq);

		if (fd < 0) {
			err = -errno;
			/* refused: tracer_start goes on without, or says why */
			if (err == -EACCES || err == -EPERM)
				return -EACCES;
			rt_errorf("cannot sample CPU %d (perf_event_open, "
				  "software cpu-clock at %u Hz): %s",
				  cpus[i], s->freq, strerror(errno));
			return err;
		}
		s->links[i] = bpf_program__attach_perf_event(prog, fd);
		if (!s->links[i]) {
			err = -errno;
			close(fd);
			rt_errorf("cannot attach the CPU sampler to CPU %d: %s",
				  cpus[i], strerror(-err));
			return err;
		}
		s->nlinks = i + 1;
	}

	s->usyms = usyms_new(o->tgid);
	if (!s->usyms)
		return -ENOMEM;
	/* the thread must not take rttrace's SIGINT, nor a sigwait's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&s->snapper, NULL, snapper_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		rt_errorf("cannot start the mappings thread: %s",
			  strerror(err));
		return -err;
	}
	s->snapper_started = true;
	s->start_s = mono_s();
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* frames_add appends one frame; the stack's array has room (sized for
 * the worst case by the caller). */
static void frame_add(struct profile_stack *st, uint64_t pc, const char *name,
		      const char *file, int line, const char *module,
		      bool kernel, bool inlined)
{
	st->frames[st->nframes++] = (struct profile_frame){
	    .pc = pc,
	    .name = dup_or_null(name),
	    .file = dup_or_null(file),
	    .line = line,
	    .module = dup_or_null(module),
	    .kernel = kernel,
	    .inlined = inlined,
	};
}

#define SYM_FRAMES_MAX 9 /* a function and up to 8 inlined calls */

/* read_stack reads stack id's addresses; returns how many, 0 if none. */
static int read_stack(int fd, int32_t id, uint64_t *ips)
{
	uint32_t key = id;
	int n;

	if (id < 0)
		return 0;
	memset(ips, 0, PROFILE_MAX_DEPTH * sizeof(*ips));
	if (bpf_map_lookup_elem(fd, &key, ips))
		return 0;
	for (n = 0; n < PROFILE_MAX_DEPTH && ips[n]; n++)
		;
	return n;
}

static int symbolize_stack(struct profile_session *s, int fd,
			   const struct profile_key *k,
			   struct profile_stack *st)
{
	uint64_t kips[PROFILE_MAX_DEPTH], uips[PROFILE_MAX_DEPTH];
	struct sym_frame sf[SYM_FRAMES_MAX];
	int nk = read_stack(fd, k->kern_stackid, kips);
	int nu = read_stack(fd, k->user_stackid, uips);

	st->pid = k->pid;
	st->kernel_lost =
	    k->kern_stackid < 0 && k->kern_stackid != PROFILE_NO_STACK;
	st->user_lost =
	    k->user_stackid < 0 && k->user_stackid != PROFILE_NO_STACK;
	st->frames =
	    calloc(nk + ((size_t)nu + 1) * SYM_FRAMES_MAX, sizeof(*st->frames));
	if (!st->frames)
		return -ENOMEM;
	for (int i = 0; i < nk; i++) {
		/* above the innermost, a return address: name its call */
		uint64_t addr = i ? kips[i] - 1 : kips[i];
		const struct ksym *ks =
		    s->ksyms_loaded ? ksyms_find(&s->ksyms, addr) : NULL;

		frame_add(st, kips[i], ks ? ks->name : NULL, NULL, 0,
			  ks ? ks->module : NULL, true, false);
	}
	for (int i = 0; i < nu; i++) {
		int n =
		    usyms_lookup(s->usyms, uips[i], i == 0, sf, SYM_FRAMES_MAX);

		for (int j = 0; j < n; j++)
			frame_add(st, uips[i], sf[j].name, sf[j].file,
				  sf[j].line, sf[j].module, false,
				  sf[j].inlined);
		/* A return address in no mapping is no return address: the
		 * frame-pointer chain went through a frame that keeps no
		 * frame pointer (libc's thread start), and what it walks
		 * beyond is garbage — once a 126-frame tower of [unknown]
		 * that pushed the real flamegraph off the screen. One
		 * [unknown] frame stands for it. */
		if (i > 0 && n == 1 && !sf[0].name && !sf[0].module)
			break;
		/* the caller the frame-pointer walk skipped (profile.h) */
		if (i == 0 && k->leaf_ret &&
		    usyms_ret_at_sp(s->usyms, uips[0])) {
			n = usyms_lookup(s->usyms, k->leaf_ret, false, sf,
					 SYM_FRAMES_MAX);
			for (int j = 0; j < n; j++)
				frame_add(st, k->leaf_ret, sf[j].name,
					  sf[j].file, sf[j].line, sf[j].module,
					  false, sf[j].inlined);
		}
	}
	return 0;
}

static int by_count_desc(const void *a, const void *b)
{
	const struct profile_stack *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return 0;
}

int profile_collect(struct profile_session *s, struct profile_result *out)
{
	struct profile_key *keys = NULL;
	uint64_t *vals = NULL;
	size_t n = 0;
	int err, fd;

	memset(out, 0, sizeof(*out));
	out->freq = s->freq;
	out->ncpus = s->nlinks;
	out->duration_s = mono_s() - s->start_s;
	err = map_sum_u64(s->skel->maps.stats, libbpf_num_possible_cpus(),
			  out->stats, PROFILE_STAT_NUM, 1);
	if (err)
		return err;
	out->samples = out->stats[PROFILE_SAMPLES];
	out->lost = out->stats[PROFILE_COUNTS_FULL];

	/* the freshest mappings while the process lives */
	usyms_snapshot(s->usyms);
	if (!s->ksyms_loaded && !s->ksyms_err) {
		s->ksyms_err = ksyms_load(&s->ksyms);
		s->ksyms_loaded = !s->ksyms_err;
	}

	err =
	    map_dump(s->skel->maps.counts, (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	out->stacks = calloc(n ? n : 1, sizeof(*out->stacks));
	if (!out->stacks) {
		err = -ENOMEM;
		goto out;
	}
	fd = bpf_map__fd(s->skel->maps.stacks);
	for (size_t i = 0; i < n; i++) {
		struct profile_stack *st = &out->stacks[out->nstacks++];

		st->count = vals[i];
		err = symbolize_stack(s, fd, &keys[i], st);
		if (err)
			goto out;
		if (st->user_lost || st->kernel_lost)
			out->lost += st->count;
	}
	qsort(out->stacks, out->nstacks, sizeof(*out->stacks), by_count_desc);
out:
	free(keys);
	free(vals);
	if (err)
		profile_result_free(out);
	return err;
}

void profile_result_free(struct profile_result *r)
{
	for (size_t i = 0; i < r->nstacks; i++) {
		struct profile_stack *st = &r->stacks[i];

		for (size_t j = 0; j < st->nframes; j++) {
			free(st->frames[j].name);
			free(st->frames[j].file);
			free(st->frames[j].module);
		}
		free(st->frames);
	}
	free(r->stacks);
	memset(r, 0, sizeof(*r));
}

void profile_report_warnings(const struct profile_session *s,
			     const struct profile_result *r)
{
	const uint64_t *st = r->stats;
	uint64_t full = st[PROFILE_USTACK_FULL] + st[PROFILE_KSTACK_FULL];
	uint64_t coll =
	    st[PROFILE_USTACK_COLLISION] + st[PROFILE_KSTACK_COLLISION];
	uint64_t other = st[PROFILE_USTACK_OTHER] + st[PROFILE_KSTACK_OTHER];

	if (st[PROFILE_COUNTS_FULL])
		rt_warnf("%llu of %llu CPU samples lost: the sampled-stacks "
			 "map was full (%u entries); raise --stack-map-size",
			 (unsigned long long)st[PROFILE_COUNTS_FULL],
			 (unsigned long long)r->samples, s->max_stacks);
	if (full || coll)
		rt_warnf("%llu stacks of CPU samples not recorded (stack map "
			 "full: %llu, hash bucket taken: %llu; %u entries): "
			 "those samples count without their stack; raise "
			 "--stack-map-size",
			 (unsigned long long)(full + coll),
			 (unsigned long long)full, (unsigned long long)coll,
			 s->max_stacks);
	if (other)
		rt_warnf("%llu stacks of CPU samples could not be taken",
			 (unsigned long long)other);
	if (s->ksyms_err)
		rt_warnf("kernel frames unnamed: /proc/kallsyms: %s",
			 s->ksyms_err == -ENOENT
			     ? "addresses hidden (kptr_restrict)"
			     : strerror(-s->ksyms_err));
}

void profile_stop(struct profile_session *s)
{
	snapper_join(s);
	for (int i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	free(s->links);
	s->links = NULL;
	s->nlinks = 0;
	profile_bpf__destroy(s->skel);
	s->skel = NULL;
	usyms_free(s->usyms);
	s->usyms = NULL;
	if (s->ksyms_loaded)
		ksyms_free(&s->ksyms);
	s->ksyms_loaded = false;
}

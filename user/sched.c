/*
 * sched.c — loads bpf/sched.bpf.c, attaches one program per librt probe and
 * reads the aggregated maps back. The order is libbpf-tools': open → set
 * the const volatile knobs → load → attach; sched_read can run at any time
 * and sched_destroy detaches.
 *
 * USDT programs are attached by hand, not by the skeleton: libbpf 1.1 can
 * auto-attach SEC("usdt") only with the full binary:provider:name spec, and
 * rttrace learns the binary at run time.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probe_names.h"
#include "rttrace.h"
#include "sched.skel.h"
#include "sched_user.h"

/* bpf/sched.h restates the probe order for the BPF side; keep them equal. */
static_assert((int)SCHED_PROBE_NUM == (int)RT_PROBE_NUM,
	      "sched.h: probe count");
static_assert((int)SCHED_PROBE_NEWPROC == (int)RT_PROBE_ID_newproc,
	      "sched.h: newproc");
static_assert((int)SCHED_PROBE_GOSTART == (int)RT_PROBE_ID_gostart,
	      "sched.h: gostart");
static_assert((int)SCHED_PROBE_GOEND == (int)RT_PROBE_ID_goend,
	      "sched.h: goend");
static_assert((int)SCHED_PROBE_GOPARK == (int)RT_PROBE_ID_gopark,
	      "sched.h: gopark");
static_assert((int)SCHED_PROBE_GOREADY == (int)RT_PROBE_ID_goready,
	      "sched.h: goready");
static_assert((int)SCHED_PROBE_GOSCHED == (int)RT_PROBE_ID_gosched,
	      "sched.h: gosched");
static_assert((int)SCHED_PROBE_GOPREEMPT == (int)RT_PROBE_ID_gopreempt,
	      "sched.h: gopreempt");
static_assert((int)SCHED_PROBE_LOCKOSTHREAD == (int)RT_PROBE_ID_lockosthread,
	      "sched.h: lockosthread");
static_assert((int)SCHED_PROBE_ENTERSYSCALL == (int)RT_PROBE_ID_entersyscall,
	      "sched.h: entersyscall");
static_assert((int)SCHED_PROBE_EXITSYSCALL == (int)RT_PROBE_ID_exitsyscall,
	      "sched.h: exitsyscall");
/* per-CPU values are laid out at 8-byte strides */
static_assert(sizeof(struct hist) % 8 == 0, "struct hist size");

int sched_load(struct sched_session *s, const struct sched_opts *opts)
{
	unsigned int max_g =
	    opts->max_goroutines ? opts->max_goroutines : SCHED_MAX_GOROUTINES;
	int err;

	memset(s, 0, sizeof(*s));
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		rt_errorf("cannot count possible CPUs: %s",
			  strerror(-s->ncpus));
		return s->ncpus ? s->ncpus : -EINVAL;
	}
	s->skel = sched_bpf__open();
	if (!s->skel) {
		err = -errno;
		rt_errorf("cannot open BPF object: %s", strerror(errno));
		return err;
	}
	s->skel->rodata->targ_tgid = opts->tgid;
	s->skel->rodata->targ_nsec = opts->nsec;
	err = bpf_map__set_max_entries(s->skel->maps.goids, max_g);
	if (err) {
		rt_errorf("cannot size the goid map: %s", strerror(-err));
		return err;
	}
	s->max_goroutines = max_g;

	err = sched_bpf__load(s->skel);
	if (err) {
		rt_errorf("cannot load BPF programs: %s (rerun with -v for "
			  "libbpf's log)",
			  strerror(-err));
		return err;
	}
	return 0;
}

int sched_attach(struct sched_session *s, pid_t pid, const char *path,
		 const struct usdt_probes *probes)
{
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		const char *name = probe_name(id);
		struct bpf_program *prog;
		int err;

		if (!probes->sites[id]) {
			/* no site linked in: librt cannot count it either */
			rt_notef("probe rt:%s not in %s, not attached", name,
				 path);
			continue;
		}
		prog = bpf_object__find_program_by_name(s->skel->obj, name);
		if (!prog) {
			rt_errorf("no BPF program for probe rt:%s", name);
			return -ENOENT;
		}
		s->links[id] = bpf_program__attach_usdt(
		    prog, pid, path, USDT_PROVIDER, name, NULL);
		if (!s->links[id]) {
			err = -errno;
			rt_errorf("cannot attach to probe rt:%s in %s: %s",
				  name, path, strerror(errno));
			return err;
		}
		rt_notef("attached rt:%s (%u sites)", name, probes->sites[id]);
	}
	return 0;
}

/* read_u64_sums sums a per-CPU u64 array map of n entries into out. */
static int read_u64_sums(struct sched_session *s, struct bpf_map *map,
			 uint64_t *out, int n)
{
	uint64_t *vals = calloc(s->ncpus, sizeof(*vals));
	int fd = bpf_map__fd(map), err = 0;

	if (!vals)
		return -ENOMEM;
	for (__u32 key = 0; key < (__u32)n; key++) {
		if (bpf_map_lookup_elem(fd, &key, vals)) {
			err = -errno;
			break;
		}
		out[key] = 0;
		for (int cpu = 0; cpu < s->ncpus; cpu++)
			out[key] += vals[cpu];
	}
	free(vals);
	return err;
}

/* read_hists sums a per-CPU struct hist array map of n entries into out. */
static int read_hists(struct sched_session *s, struct bpf_map *map,
		      struct log2_hist *out, int n)
{
	struct hist *vals = calloc(s->ncpus, sizeof(*vals));
	int fd = bpf_map__fd(map), err = 0;

	if (!vals)
		return -ENOMEM;
	for (__u32 key = 0; key < (__u32)n; key++) {
		if (bpf_map_lookup_elem(fd, &key, vals)) {
			err = -errno;
			break;
		}
		memset(&out[key], 0, sizeof(out[key]));
		for (int cpu = 0; cpu < s->ncpus; cpu++)
			hist_add_percpu(&out[key], &vals[cpu]);
	}
	free(vals);
	return err;
}

int sched_read(struct sched_session *s, struct sched_result *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = read_u64_sums(s, s->skel->maps.counts, out->counts, RT_PROBE_NUM);
	if (!err)
		err = read_u64_sums(s, s->skel->maps.errors, out->errors,
				    SCHED_ERR_NUM);
	if (!err)
		err = read_hists(s, s->skel->maps.park_hists, out->park,
				 SCHED_WAIT_HISTS);
	if (!err)
		err = read_hists(s, s->skel->maps.sched_hist, &out->sched, 1);
	if (err)
		rt_errorf("cannot read BPF maps: %s", strerror(-err));
	return err;
}

void sched_destroy(struct sched_session *s)
{
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		bpf_link__destroy(s->links[id]);
		s->links[id] = NULL;
	}
	sched_bpf__destroy(s->skel);
	s->skel = NULL;
}

/*
 * sched.c — loads bpf/sched.bpf.c, attaches one program per librt probe and
 * reads the aggregated maps back. The order is libbpf-tools': open → set
 * the const volatile knobs → load → attach; sched_read can run at any time
 * and sched_destroy detaches.
 *
 * The scheduler probes are the first SCHED_PROBE_NUM of RT_PROBE_LIST;
 * the probes after them belong to other concerns (mem.c, chan.c), each
 * attaching its own programs (probe_attach.c).
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "map_helpers.h"
#include "probe_attach.h"
#include "rttrace.h"
#include "sched.skel.h"
#include "sched_user.h"

/*
 * bpf/sched.h restates the scheduler probes' order for the BPF side; keep
 * them equal. They come first in RT_PROBE_LIST, other concerns' after.
 */
static_assert((int)SCHED_PROBE_NUM == (int)RT_PROBE_ID_mallocgc,
	      "sched.h: the scheduler probes end where mallocgc starts");
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
	memset(s, 0, sizeof(*s));
	s->ncpus = probe_ncpus();
	if (s->ncpus < 0)
		return s->ncpus;
	s->skel = sched_bpf__open_opts(bpf_open_opts());
	if (!s->skel)
		return probe_open_failed();
	s->skel->rodata->targ_tgid = opts->tgid;
	s->skel->rodata->targ_nsec = opts->nsec;
	s->skel->rodata->targ_first_probe = 0;
	probe_prepare(s->skel->obj);
	return probe_load_result(sched_bpf__load(s->skel));
}

int sched_attach(struct sched_session *s, pid_t pid, const char *path,
		 const struct usdt_probes *probes)
{
	return probe_attach_counted(s->skel->obj, s->links, 0, SCHED_PROBE_NUM,
				    pid, path, probes);
}

int sched_read(struct sched_session *s, struct sched_result *out)
{
	struct sched_stats *st =
	    map_lookup_percpu(s->skel->maps.stats, 0, s->ncpus);

	memset(out, 0, sizeof(*out));
	if (!st) {
		int err = -errno;

		rt_errorf("cannot read BPF maps: %s", strerror(-err));
		return err;
	}
	/* counts of the other concerns' probes are filled in by them */
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		u64_add(out->counts, st[cpu].counts, SCHED_PROBE_NUM);
		u64_add(out->errors, st[cpu].errors, SCHED_ERR_NUM);
		for (int i = 0; i < SCHED_WAIT_HISTS; i++)
			hist_add_percpu(&out->park[i], &st[cpu].park[i]);
		hist_add_percpu(&out->sched, &st[cpu].sched);
	}
	free(st);
	return 0;
}

int sched_read_counts(struct sched_session *s, uint64_t counts[SCHED_PROBE_NUM])
{
	return map_sum_stats_counts(s->skel->maps.stats, s->ncpus,
				    offsetof(struct sched_stats, counts),
				    counts, SCHED_PROBE_NUM);
}

void sched_destroy(struct sched_session *s)
{
	probe_detach(s->links);
	sched_bpf__destroy(s->skel);
	s->skel = NULL;
}

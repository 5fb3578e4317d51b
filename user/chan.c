/*
 * chan.c — loads bpf/chan.bpf.c, attaches one program per channel, select
 * and timer probe of librt (chansend … runtimer) and reads the aggregated
 * maps back, in the order sched.c and mem.c do: open → set the const
 * volatile knobs → load → attach; chan_read at any time; chan_destroy
 * detaches.
 *
 * A program linked without librt's channels and timers has none of these
 * probe sites; trace.c then does not load this concern (chan_wanted).
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "chan.skel.h"
#include "chan_user.h"
#include "map_helpers.h"
#include "probe_attach.h"
#include "rttrace.h"

/* bpf/chan.h restates these probes' order; keep them equal. */
#define CHAN_ASSERT(ID, name)                                              \
	static_assert((int)CHAN_PROBE_##ID ==                              \
			  (int)RT_PROBE_ID_##name - (int)CHAN_PROBE_FIRST, \
		      "chan.h: " #name)
CHAN_ASSERT(CHANSEND, chansend);
CHAN_ASSERT(CHANRECV, chanrecv);
CHAN_ASSERT(CHANCLOSE, chanclose);
CHAN_ASSERT(SELECTGO, selectgo);
CHAN_ASSERT(SELECTGO_RET, selectgo_ret);
CHAN_ASSERT(ADDTIMER, addtimer);
CHAN_ASSERT(DELTIMER, deltimer);
CHAN_ASSERT(MODTIMER, modtimer);
CHAN_ASSERT(RUNTIMER, runtimer);
static_assert((int)CHAN_PROBE_LAST == (int)RT_PROBE_ID_runtimer + 1,
	      "chan.h: the channel and timer probes end at runtimer");
static_assert((int)CHAN_PROBE_LAST <= (int)RT_PROBE_NUM,
	      "chan.h: the channel and timer probes are within RT_PROBE_LIST");
static_assert(sizeof(struct chan_block) == 5 * sizeof(uint64_t),
	      "struct chan_block is five u64");
static_assert(sizeof(struct chan_timer_heap) == 3 * sizeof(uint64_t),
	      "struct chan_timer_heap is three u64");
/* per-CPU values come back packed only when their size is a multiple of 8 */
static_assert(sizeof(struct chan_stats) % 8 == 0, "chan_stats size");

bool chan_wanted(const struct usdt_probes *probes)
{
	return probe_sites_in(probes, CHAN_PROBE_FIRST, CHAN_PROBE_LAST) > 0;
}

int chan_load(struct chan_session *s, const struct chan_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->ncpus = probe_ncpus();
	if (s->ncpus < 0)
		return s->ncpus;
	s->skel = chan_bpf__open_opts(bpf_open_opts());
	if (!s->skel)
		return probe_open_failed();
	s->skel->rodata->targ_tgid = opts->tgid;
	s->skel->rodata->targ_nsec = opts->nsec;
	s->skel->rodata->targ_first_probe = CHAN_PROBE_FIRST;
	probe_prepare(s->skel->obj);
	return probe_load_result(chan_bpf__load(s->skel));
}

int chan_attach(struct chan_session *s, pid_t pid, const char *path,
		const struct usdt_probes *probes)
{
	return probe_attach_counted(s->skel->obj, s->links, CHAN_PROBE_FIRST,
				    CHAN_PROBE_LAST, pid, path, probes);
}

static uint64_t blocked_ns(const struct chan_blocked *c)
{
	return c->b.send_ns + c->b.recv_ns;
}

/* by_blocked_desc orders channels by total blocked time, most first;
 * ties by address, so the report is stable. */
static int by_blocked_desc(const void *a, const void *b)
{
	const struct chan_blocked *x = a, *y = b;
	uint64_t nx = blocked_ns(x), ny = blocked_ns(y);

	if (nx != ny)
		return nx < ny ? 1 : -1;
	return x->chan < y->chan ? -1 : x->chan > y->chan;
}

/* read_top fills out->top with the CHAN_TOP channels that blocked longest. */
static int read_top(struct chan_session *s, struct chan_result *out)
{
	struct chan_blocked *all;
	struct chan_block *vals;
	uint64_t *keys;
	size_t n;
	int err;

	err = map_dump(s->skel->maps.chans, (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	all = calloc(n ? n : 1, sizeof(*all));
	if (!all) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		all[i] = (struct chan_blocked){.chan = keys[i], .b = vals[i]};
	qsort(all, n, sizeof(*all), by_blocked_desc);
	out->nchans = n;
	out->ntop = n < CHAN_TOP ? n : CHAN_TOP;
	memcpy(out->top, all, out->ntop * sizeof(*all));
	free(all);
	free(keys);
	free(vals);
	return 0;
}

/* chan_add_cpu adds one CPU's struct chan_stats into out. */
static void chan_add_cpu(struct chan_result *out, const struct chan_stats *st)
{
	u64_add(out->counts, st->counts, CHAN_PROBE_NUM);
	u64_add(out->sums, st->sums, CHAN_SUM_NUM);
	u64_add(out->selects, st->selects, CHAN_SEL_NUM);
	u64_add(out->errors, st->errors, CHAN_ERR_NUM);
	hist_add_percpu(&out->select, &st->select);
	hist_add_percpu(&out->heaplen, &st->heaplen);
	hist_add_percpu(&out->lateness, &st->lateness);
	for (int p = 0; p < CHAN_P_SLOTS; p++) {
		out->heaps[p].events += st->ps[p].events;
		if (st->ps[p].max > out->heaps[p].max)
			out->heaps[p].max = st->ps[p].max;
	}
}

int chan_read(struct chan_session *s, struct chan_result *out)
{
	__typeof__(s->skel->maps) *m = &s->skel->maps;
	struct chan_stats *st;
	int err = 0;

	memset(out, 0, sizeof(*out));
	st = map_lookup_percpu(m->stats, 0, s->ncpus);
	if (!st)
		err = -errno;
	for (int cpu = 0; st && cpu < s->ncpus; cpu++)
		chan_add_cpu(out, &st[cpu]);
	free(st);
	for (__u32 p = 0; !err && p < CHAN_P_SLOTS; p++)
		if (bpf_map_lookup_elem(bpf_map__fd(m->timer_last), &p,
					&out->heaps[p].last))
			err = -errno;
	if (!err)
		err = read_top(s, out);
	if (err)
		rt_errorf("cannot read BPF maps: %s", strerror(-err));
	return err;
}

int chan_read_counts(struct chan_session *s, uint64_t counts[CHAN_PROBE_NUM])
{
	return map_sum_stats_counts(s->skel->maps.stats, s->ncpus,
				    offsetof(struct chan_stats, counts), counts,
				    CHAN_PROBE_NUM);
}

void chan_merge_counts(const struct chan_result *r,
		       uint64_t counts[RT_PROBE_NUM])
{
	for (int i = 0; i < CHAN_PROBE_NUM; i++)
		counts[CHAN_PROBE_FIRST + i] = r->counts[i];
}

void chan_destroy(struct chan_session *s)
{
	probe_detach(s->links);
	chan_bpf__destroy(s->skel);
	s->skel = NULL;
}

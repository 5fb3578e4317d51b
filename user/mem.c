/*
 * mem.c — loads bpf/mem.bpf.c, attaches one program per memory probe of
 * librt (mallocgc … finalizer_run) and reads the aggregated maps back, in
 * the order sched.c does: open → set the const volatile knobs → load →
 * attach; mem_read at any time; mem_destroy detaches.
 *
 * A program linked without librt's allocator has no memory probe sites;
 * trace.c then does not load this concern at all (mem_wanted).
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "map_helpers.h"
#include "mem.skel.h"
#include "mem_user.h"
#include "probe_attach.h"
#include "rt.h"
#include "rttrace.h"

/* bpf/mem.h restates the memory probes' order; keep them equal. */
#define MEM_ASSERT(ID, name)                                              \
	static_assert((int)MEM_PROBE_##ID ==                              \
			  (int)RT_PROBE_ID_##name - (int)MEM_PROBE_FIRST, \
		      "mem.h: " #name)
MEM_ASSERT(MALLOCGC, mallocgc);
MEM_ASSERT(HEAP_GROW, heap_grow);
MEM_ASSERT(SCAVENGE, scavenge);
MEM_ASSERT(GC_START, gc_start);
MEM_ASSERT(GC_MARK_DONE, gc_mark_done);
MEM_ASSERT(GC_DONE, gc_done);
MEM_ASSERT(SWEEP, sweep);
MEM_ASSERT(STW_START, stw_start);
MEM_ASSERT(STW_DONE, stw_done);
MEM_ASSERT(CONVT, convT);
MEM_ASSERT(POOL_GET, pool_get);
MEM_ASSERT(POOL_PUT, pool_put);
MEM_ASSERT(FINALIZER_RUN, finalizer_run);
/* the range ends where finalizer_run does; other concerns' probes follow */
static_assert((int)MEM_PROBE_LAST == (int)RT_PROBE_ID_finalizer_run + 1,
	      "mem.h: the memory probes end at finalizer_run");
static_assert((int)MEM_PROBE_LAST <= (int)RT_PROBE_NUM,
	      "mem.h: the memory probes are within RT_PROBE_LIST");
static_assert(MEM_STW_REASONS == RT_STW_REASON_COUNT, "mem.h: STW reasons");
static_assert(MEM_GC_REASONS == RT_GC_REASON_COUNT, "mem.h: GC reasons");
static_assert(sizeof(struct mem_class) == 2 * sizeof(uint64_t),
	      "struct mem_class is two u64");
static_assert(sizeof(struct mem_gc_state) % 8 == 0, "mem_gc_state size");
/* per-CPU values come back packed only when their size is a multiple of 8 */
static_assert(sizeof(struct mem_stats) % 8 == 0, "mem_stats size");

bool mem_wanted(const struct usdt_probes *probes)
{
	return probe_sites_in(probes, MEM_PROBE_FIRST, MEM_PROBE_LAST) > 0;
}

int mem_load(struct mem_session *s, const struct mem_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->ncpus = probe_ncpus();
	if (s->ncpus < 0)
		return s->ncpus;
	s->skel = mem_bpf__open_opts(bpf_open_opts());
	if (!s->skel)
		return probe_open_failed();
	s->skel->rodata->targ_tgid = opts->tgid;
	s->skel->rodata->targ_nsec = opts->nsec;
	s->skel->rodata->targ_first_probe = MEM_PROBE_FIRST;
	probe_prepare(s->skel->obj);
	return probe_load_result(mem_bpf__load(s->skel));
}

int mem_attach(struct mem_session *s, pid_t pid, const char *path,
	       const struct usdt_probes *probes)
{
	return probe_attach_counted(s->skel->obj, s->links, MEM_PROBE_FIRST,
				    MEM_PROBE_LAST, pid, path, probes);
}

/* mem_add_cpu adds one CPU's struct mem_stats into out. */
static void mem_add_cpu(struct mem_result *out, const struct mem_stats *st)
{
	u64_add(out->counts, st->counts, MEM_PROBE_NUM);
	u64_add(out->sums, st->sums, MEM_SUM_NUM);
	hist_add_percpu(&out->alloc_size, &st->alloc_size);
	u64_add((uint64_t *)out->classes, (const __u64 *)st->classes,
		2 * MEM_SIZECLASS_SLOTS);
	u64_add(out->convts, st->convts, MEM_CONVT_SLOTS);
	u64_add(out->pool_gets, st->pool_gets, MEM_POOL_GET_SLOTS);
	u64_add(out->pool_puts, st->pool_puts, MEM_POOL_PUT_SLOTS);
	u64_add(out->gc_reasons, st->gc_reasons, MEM_GC_SLOTS);
	u64_add(out->errors, st->errors, MEM_ERR_NUM);
	for (int i = 0; i < MEM_STW_SLOTS; i++)
		hist_add_percpu(&out->stw[i], &st->stw[i]);
	for (int i = 0; i < MEM_GC_SLOTS; i++)
		hist_add_percpu(&out->gc[i], &st->gc[i]);
}

int mem_read(struct mem_session *s, struct mem_result *out)
{
	__typeof__(s->skel->maps) *m = &s->skel->maps;
	struct mem_stats *st;
	__u32 zero = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	st = map_lookup_percpu(m->stats, 0, s->ncpus);
	if (!st)
		err = -errno;
	for (int cpu = 0; st && cpu < s->ncpus; cpu++)
		mem_add_cpu(out, &st[cpu]);
	free(st);
	if (!err && bpf_map_lookup_elem(bpf_map__fd(m->gc_state), &zero,
					&out->gc_state))
		err = -errno;
	if (err)
		rt_errorf("cannot read BPF maps: %s", strerror(-err));
	return err;
}

int mem_read_counts(struct mem_session *s, uint64_t counts[MEM_PROBE_NUM])
{
	return map_sum_stats_counts(s->skel->maps.stats, s->ncpus,
				    offsetof(struct mem_stats, counts), counts,
				    MEM_PROBE_NUM);
}

void mem_merge_counts(const struct mem_result *r, uint64_t counts[RT_PROBE_NUM])
{
	for (int i = 0; i < MEM_PROBE_NUM; i++)
		counts[MEM_PROBE_FIRST + i] = r->counts[i];
}

void mem_destroy(struct mem_session *s)
{
	probe_detach(s->links);
	mem_bpf__destroy(s->skel);
	s->skel = NULL;
}

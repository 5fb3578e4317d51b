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
	s->skel = mem_bpf__open();
	if (!s->skel)
		return probe_open_failed();
	s->skel->rodata->targ_tgid = opts->tgid;
	s->skel->rodata->targ_nsec = opts->nsec;
	return probe_load_result(mem_bpf__load(s->skel));
}

int mem_attach(struct mem_session *s, pid_t pid, const char *path,
	       const struct usdt_probes *probes)
{
	return probe_attach(s->skel->obj, s->links, MEM_PROBE_FIRST,
			    MEM_PROBE_LAST, pid, path, probes);
}

int mem_read(struct mem_session *s, struct mem_result *out)
{
	__typeof__(s->skel->maps) *m = &s->skel->maps;
	int n = s->ncpus, err;
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	err = map_sum_u64(m->counts, n, out->counts, MEM_PROBE_NUM, 1);
	if (!err)
		err = map_sum_u64(m->errors, n, out->errors, MEM_ERR_NUM, 1);
	if (!err)
		err = map_sum_hists(m->alloc_size, n, &out->alloc_size, 1);
	if (!err)
		err = map_sum_u64(m->sizeclasses, n, (uint64_t *)out->classes,
				  MEM_SIZECLASS_SLOTS, 2);
	if (!err)
		err = map_sum_hists(m->stw_hists, n, out->stw, MEM_STW_SLOTS);
	if (!err)
		err = map_sum_hists(m->gc_hists, n, out->gc, MEM_GC_SLOTS);
	if (!err)
		err = map_sum_u64(m->gc_reasons, n, out->gc_reasons,
				  MEM_GC_SLOTS, 1);
	if (!err)
		err = map_sum_u64(m->pool_gets, n, out->pool_gets,
				  MEM_POOL_GET_SLOTS, 1);
	if (!err)
		err = map_sum_u64(m->pool_puts, n, out->pool_puts,
				  MEM_POOL_PUT_SLOTS, 1);
	if (!err)
		err =
		    map_sum_u64(m->convts, n, out->convts, MEM_CONVT_SLOTS, 1);
	if (!err)
		err = map_sum_u64(m->sums, n, out->sums, MEM_SUM_NUM, 1);
	if (!err && bpf_map_lookup_elem(bpf_map__fd(m->gc_state), &zero,
					&out->gc_state))
		err = -errno;
	if (err)
		rt_errorf("cannot read BPF maps: %s", strerror(-err));
	return err;
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

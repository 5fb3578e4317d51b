/*
 * metrics.c — runtime/metrics; mirrors runtime/metrics.go.
 *
 * Each supported metric has Go's name and a reader that computes it from
 * atomic loads of librt's counters: no lock, no stop-the-world, so
 * rt_metrics_read can be called at any rate. Values are "consistent
 * enough" as in Go: allocation counts are summed over the Ps' mcaches
 * (O(GOMAXPROCS)), each read on its own, and /sched/goroutines:goroutines is
 * the difference of the newproc and goend probe counts, summed over Ms
 * (O(number of Ms), as Go's gcount is O(GOMAXPROCS)).
 */
#include <string.h>

#include "malloc.h"

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static uint64_t heap_objects_bytes(void)
{
	uint64_t objs, bytes;
	alloc_totals(&objs, &bytes);
	return bytes - LOAD(memstats.total_free);
}

static void m_cycles_total(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.num_gc);
}
static void m_cycles_forced(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.num_forced_gc);
}
static void m_cycles_automatic(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.num_gc) - LOAD(memstats.num_forced_gc);
}
static void m_allocs_bytes(struct rt_metric_sample *s)
{
	uint64_t objs;
	alloc_totals(&objs, &s->value.u64);
}
static void m_allocs_objects(struct rt_metric_sample *s)
{
	uint64_t bytes;
	alloc_totals(&s->value.u64, &bytes);
}
static void m_frees_bytes(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.total_free);
}
static void m_frees_objects(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.nfree);
}
static void m_heap_goal(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.next_gc);
}
static void m_heap_objects(struct rt_metric_sample *s)
{
	uint64_t objs, bytes;
	alloc_totals(&objs, &bytes);
	s->value.u64 = objs - LOAD(memstats.nfree);
}
static void m_heap_live(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.heap_marked);
}
static void m_gogc(struct rt_metric_sample *s)
{
	s->value.u64 = gcpercent < 0 ? 0 : (uint64_t)gcpercent;
}
static void m_memlimit(struct rt_metric_sample *s)
{
	s->value.u64 = memlimit == UINT64_MAX ? (uint64_t)INT64_MAX : memlimit;
}
static void m_class_objects(struct rt_metric_sample *s)
{
	s->value.u64 = heap_objects_bytes();
}
static void m_class_free(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.heap_sys) - LOAD(memstats.heap_inuse) -
		       LOAD(memstats.heap_released);
}
static void m_class_released(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.heap_released);
}
static void m_class_unused(struct rt_metric_sample *s)
{
	uint64_t inuse = LOAD(memstats.heap_inuse);
	uint64_t obj = heap_objects_bytes();
	s->value.u64 = inuse > obj ? inuse - obj : 0;
}
static void m_class_metadata(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.other_sys);
}
static void m_class_total(struct rt_metric_sample *s)
{
	s->value.u64 = LOAD(memstats.heap_sys) + LOAD(memstats.other_sys) +
		       stack_inuse_bytes();
}
static void m_class_stacks(struct rt_metric_sample *s)
{
	s->value.u64 = stack_inuse_bytes();
}
static void m_goroutines(struct rt_metric_sample *s)
{
	uint64_t created = rt_probe_count("newproc");
	uint64_t ended = rt_probe_count("goend");
	uint64_t sys = atomic_load(&nsysgoroutines);
	s->value.u64 = created > ended + sys ? created - ended - sys : 0;
}
static void m_gomaxprocs(struct rt_metric_sample *s)
{
	s->value.u64 = (uint64_t)gomaxprocs;
}
static void m_pause_total(struct rt_metric_sample *s)
{
	s->value.f64 = (double)LOAD(memstats.pause_total_ns) / 1e9;
}

struct metric {
	const char *name;
	enum rt_metric_kind kind;
	void (*read)(struct rt_metric_sample *s);
};

/* sorted by name, as metrics.All() is */
static const struct metric metrics[] = {
    {"/gc/cycles/automatic:gc-cycles", RT_METRIC_UINT64, m_cycles_automatic},
    {"/gc/cycles/forced:gc-cycles", RT_METRIC_UINT64, m_cycles_forced},
    {"/gc/cycles/total:gc-cycles", RT_METRIC_UINT64, m_cycles_total},
    {"/gc/gogc:percent", RT_METRIC_UINT64, m_gogc},
    {"/gc/gomemlimit:bytes", RT_METRIC_UINT64, m_memlimit},
    {"/gc/heap/allocs:bytes", RT_METRIC_UINT64, m_allocs_bytes},
    {"/gc/heap/allocs:objects", RT_METRIC_UINT64, m_allocs_objects},
    {"/gc/heap/frees:bytes", RT_METRIC_UINT64, m_frees_bytes},
    {"/gc/heap/frees:objects", RT_METRIC_UINT64, m_frees_objects},
    {"/gc/heap/goal:bytes", RT_METRIC_UINT64, m_heap_goal},
    {"/gc/heap/live:bytes", RT_METRIC_UINT64, m_heap_live},
    {"/gc/heap/objects:objects", RT_METRIC_UINT64, m_heap_objects},
    {"/gc/pauses/total:seconds", RT_METRIC_FLOAT64, m_pause_total},
    {"/memory/classes/heap/free:bytes", RT_METRIC_UINT64, m_class_free},
    {"/memory/classes/heap/objects:bytes", RT_METRIC_UINT64, m_class_objects},
    {"/memory/classes/heap/released:bytes", RT_METRIC_UINT64, m_class_released},
    {"/memory/classes/heap/stacks:bytes", RT_METRIC_UINT64, m_class_stacks},
    {"/memory/classes/heap/unused:bytes", RT_METRIC_UINT64, m_class_unused},
    {"/memory/classes/metadata/other:bytes", RT_METRIC_UINT64,
     m_class_metadata},
    {"/memory/classes/total:bytes", RT_METRIC_UINT64, m_class_total},
    {"/sched/gomaxprocs:threads", RT_METRIC_UINT64, m_gomaxprocs},
    {"/sched/goroutines:goroutines", RT_METRIC_UINT64, m_goroutines},
};
#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

/* the names again, as the array rt_metrics_all returns */
static const char *const metric_names[NMETRICS + 1] = {
    "/gc/cycles/automatic:gc-cycles",
    "/gc/cycles/forced:gc-cycles",
    "/gc/cycles/total:gc-cycles",
    "/gc/gogc:percent",
    "/gc/gomemlimit:bytes",
    "/gc/heap/allocs:bytes",
    "/gc/heap/allocs:objects",
    "/gc/heap/frees:bytes",
    "/gc/heap/frees:objects",
    "/gc/heap/goal:bytes",
    "/gc/heap/live:bytes",
    "/gc/heap/objects:objects",
    "/gc/pauses/total:seconds",
    "/memory/classes/heap/free:bytes",
    "/memory/classes/heap/objects:bytes",
    "/memory/classes/heap/released:bytes",
    "/memory/classes/heap/stacks:bytes",
    "/memory/classes/heap/unused:bytes",
    "/memory/classes/metadata/other:bytes",
    "/memory/classes/total:bytes",
    "/sched/gomaxprocs:threads",
    "/sched/goroutines:goroutines",
    NULL,
};

/* lookup finds a metric by binary search over the sorted table. */
static const struct metric *lookup(const char *name)
{
	size_t lo = 0, hi = NMETRICS;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, metrics[mid].name);
		if (c == 0)
			return &metrics[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void rt_metrics_read(struct rt_metric_sample *samples, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct metric *m =
		    samples[i].name != NULL ? lookup(samples[i].name) : NULL;
		if (m == NULL) {
			samples[i].kind = RT_METRIC_BAD;
			samples[i].value.u64 = 0;
			continue;
		}
		samples[i].kind = m->kind;
		m->read(&samples[i]);
	}
}

const char *const *rt_metrics_all(size_t *n)
{
	if (n != NULL)
		*n = NMETRICS;
	return metric_names;
}

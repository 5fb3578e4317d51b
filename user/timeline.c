/*
 * timeline.c — `--timeline FILE.json` and `--goroutines`: the events of
 * bpf/timeline.bpf.c turned into go tool trace's two views of a run.
 *
 * 1. The trace (--timeline): Chrome/Perfetto trace-event JSON ("Trace
 *    Event Format", the JSON object form), readable by ui.perfetto.dev and
 *    chrome://tracing. It is go tool trace's "View trace by proc":
 *
 *      process "rttrace PID", with these tracks (threads), in this order:
 *        GC      a "GC" slice per cycle, from its sweep-termination stop
 *                to gc_done, holding a "STW (reason)" slice per
 *                stop-the-world (stops outside a GC stand alone);
 *        P0…Pn   a slice "G<goid> <entry function>" per goroutine run:
 *                gostart to the event that ended the run, whose reason
 *                (the wait reason of a park, Gosched, preempted, goexit,
 *                syscall without a P…) is the slice's "end" argument;
 *                instants for a park (with its reason) and an unpark;
 *        M <tid> per OS thread, which goroutine it ran, with a nested
 *                "syscall" slice per system call.
 *      flow arrows from each goready (and newproc) to the readied
 *      goroutine's next gostart; counters for the heap (live bytes at
 *      each GC start and end, the next GC goal, heap_sys as it grows),
 *      the number of goroutines (newproc - goend), the timer heaps' total
 *      length and the RSS, the last two sampled every TL_DRAIN_MS.
 *
 *    Events are written in time order and every B has its E on the same
 *    track (slices still open at the end are closed at the last event's
 *    time), so the file reads as a well-nested stream.
 *
 * 2. The goroutine analysis (go tool trace's "Goroutine analysis"): per
 *    creation site (newproc's entry pc, symbolized), how many goroutines,
 *    and their total time running, waiting for a P (scheduler wait:
 *    runnable -> running, including newproc -> first start as Go counts
 *    it), in system calls, parked by wait reason, and alive while a GC or
 *    a stop-the-world ran (the overlap of their lifetime with those spans,
 *    as Go's GCTime). Printed after the report and under
 *    "goroutine_analysis" in --json.
 *
 * The kernel sends events into a ring buffer without waking anyone
 * (BPF_RB_NO_WAKEUP); a reader thread drains it every TL_DRAIN_MS and
 * keeps the events, then timeline_finish sorts them by time (the ring
 * buffer orders them by reservation, which interleaves CPUs by a few
 * nanoseconds) and replays them through one state machine that writes
 * the trace and sums the analysis.
 *
 * What the probes cannot tell: a goroutine that yields with goyield (a
 * semaphore hand-off) has no probe, nor does one whose P sysmon retook
 * during a system call; its slice ends at the next gostart on that P
 * ("descheduled"). exitsyscall does not say which P the goroutine came
 * back to; the slice reopens on its old P when that P is free, else the
 * goroutine shows on its M only until its next stop.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "privilege.h"
#include "probe_attach.h"
#include "rt.h"
#include "rttrace.h"
#include "symbolize.h"
#include "timeline.skel.h"
#include "timeline_user.h"
#include "waitreason.h"

/* The probes timeline.bpf.c has a program for, named as the probe. */
static const int tl_probes[] = {
    RT_PROBE_ID_newproc,      RT_PROBE_ID_gostart,
    RT_PROBE_ID_goend,	      RT_PROBE_ID_gopark,
    RT_PROBE_ID_goready,      RT_PROBE_ID_gosched,
    RT_PROBE_ID_gopreempt,    RT_PROBE_ID_lockosthread,
    RT_PROBE_ID_entersyscall, RT_PROBE_ID_exitsyscall,
    RT_PROBE_ID_heap_grow,    RT_PROBE_ID_gc_start,
    RT_PROBE_ID_gc_mark_done, RT_PROBE_ID_gc_done,
    RT_PROBE_ID_stw_start,    RT_PROBE_ID_stw_done,
    RT_PROBE_ID_addtimer,     RT_PROBE_ID_deltimer,
    RT_PROBE_ID_modtimer,     RT_PROBE_ID_runtimer,
};

void timeline_pin_probes(bool pinned[RT_PROBE_NUM])
{
	for (size_t i = 0; i < sizeof(tl_probes) / sizeof(tl_probes[0]); i++)
		pinned[tl_probes[i]] = true;
}

/* Go's stwReason strings, by enum rt_stw_reason. */
static const char *const stw_reasons[RT_STW_REASON_COUNT] = {
    "unknown",	       "GC mark termination", "GC sweep termination",
    "write heap dump", "goroutine profile",   "all goroutines stack trace",
    "read mem stats",  "GOMAXPROCS",	      "test",
};

static const char *stw_reason_str(uint64_t r)
{
	return r < RT_STW_REASON_COUNT ? stw_reasons[r] : "(out of range)";
}

static const char *gc_reason_str(uint64_t r)
{
	static const char *const names[RT_GC_REASON_COUNT] = {
	    "(none)", "heap goal", "forced", "memory limit", "periodic"};

	return r < RT_GC_REASON_COUNT ? names[r] : "(out of range)";
}

static const char *reason_str(unsigned int r)
{
	const char *s = waitreason_str(r);

	if (!s)
		return "(bad wait reason)";
	return *s ? s : "(none)";
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

char *timeline_variant_path(const char *path, const char *variant)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(path, '.');
	char *out;

	if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : path))
		dot = path + strlen(path);
	if (asprintf(&out, "%.*s-%s%s", (int)(dot - path), path, variant, dot) <
	    0)
		return NULL;
	return out;
}

/* ---- draining ------------------------------------------------------------ */

/* push keeps one event; past TL_MAX_EVENTS it is counted, not kept. */
static int push(struct timeline_session *s, const struct tl_event *e)
{
	if (s->nev == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		struct tl_event *v;

		if (cap > TL_MAX_EVENTS)
			cap = TL_MAX_EVENTS;
		if (s->nev >= cap) {
			s->overflow++;
			return 0;
		}
		v = realloc(s->ev, cap * sizeof(*v));
		if (!v) {
			s->overflow++;
			return 0;
		}
		s->ev = v;
		s->cap = cap;
	}
	s->ev[s->nev++] = *e;
	return 0;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct timeline_session *s = ctx;
	const struct tl_event *e = data;

	if (len < sizeof(*e))
		return 0;
	if (e->kind == TL_GOSTART && e->b < TL_MAX_PS && e->b + 1 > s->nps)
		s->nps = (unsigned int)e->b + 1;
	return push(s, e);
}

/* rss_bytes reads the process's resident set; 0 once it is gone. */
static uint64_t rss_bytes(pid_t pid)
{
	char path[64];
	unsigned long long size, rss;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &rss);
	fclose(f);
	return n == 2 ? rss * (uint64_t)getpagesize() : 0;
}

/*
 * sample adds a TL_SAMPLE event: the timer heaps' total length (the
 * latest heaplen each P's timer probes stored) and the RSS, when either
 * changed since the last one.
 */
static void sample(struct timeline_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.timer_heaps);
	struct tl_event e = {.kind = TL_SAMPLE};
	uint64_t total = 0;

	for (unsigned int p = 0; p < s->nps; p++) {
		uint64_t v = 0;

		if (bpf_map_lookup_elem(fd, &p, &v) == 0)
			total += v;
	}
	e.a = total;
	e.b = rss_bytes(s->pid);
	if (s->sampled && e.a == s->last_sample.a && e.b == s->last_sample.b)
		return;
	e.ts = mono_ns();
	e.tid = (uint32_t)s->pid;
	s->sampled = true;
	s->last_sample = e;
	push(s, &e);
}

/*
 * reader drains the ring buffer every TL_DRAIN_MS (the kernel never wakes
 * it: BPF_RB_NO_WAKEUP), samples the timer heaps, and refreshes the
 * symbolizer's view of the mappings every second while the process runs,
 * so that entry pcs in libraries loaded late still get a name.
 */
static void *reader(void *arg)
{
	struct timeline_session *s = arg;
	struct timespec d = {0, TL_DRAIN_MS * 1000000L};
	unsigned int ticks = 0;

	/* a helper: only what reading /proc needs (privilege.h) */
	privilege_drop_helper();
	while (!atomic_load(&s->reader_stop)) {
		nanosleep(&d, NULL);
		ring_buffer__consume(s->rb);
		sample(s);
		if (++ticks % (1000 / TL_DRAIN_MS) == 0 && s->usyms)
			usyms_snapshot(s->usyms);
	}
	return NULL;
}

int timeline_start(struct timeline_session *s, const char *path,
		   const struct usdt_probes *probes,
		   const struct timeline_opts *o)
{
	unsigned int size =
	    o->ringbuf_size ? o->ringbuf_size : TL_RINGBUF_DEFAULT;
	int err;

	memset(s, 0, sizeof(*s));
	s->pid = o->tgid;
	s->ringbuf_size = size;
	if (o->path) {
		s->path = strdup(o->path);
		if (!s->path)
			return -ENOMEM;
		/*
		 * now, so that a bad path fails before the run, not after; a
		 * temporary renamed over path by timeline_finish (output.h),
		 * so a run that fails or is killed leaves no partial trace
		 */
		err = output_open(&s->out, o->path);
		if (err)
			return err;
		if (!output_stream(&s->out))
			return -ENOMEM;
	}
	s->ncpus = probe_ncpus();
	if (s->ncpus < 0)
		return s->ncpus;
	s->skel = timeline_bpf__open_opts(bpf_open_opts());
	if (!s->skel)
		return probe_open_failed();
	s->skel->rodata->targ_tgid = o->tgid;
	err = bpf_map__set_max_entries(s->skel->maps.events, size);
	if (err) {
		rt_errorf(
		    "cannot size the timeline ring buffer to %u bytes: %s",
		    size, strerror(-err));
		return err;
	}
	probe_prepare(s->skel->obj);
	err = probe_load_result(timeline_bpf__load(s->skel));
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(tl_probes) / sizeof(tl_probes[0]); i++) {
		err = probe_attach(s->skel->obj, s->links, tl_probes[i],
				   tl_probes[i] + 1, o->tgid, path, probes);
		if (err)
			return err;
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_event, s,
				 NULL);
	if (!s->rb) {
		err = -errno;
		rt_errorf("cannot open the timeline ring buffer: %s",
			  strerror(-err));
		return err;
	}
	/* the mappings now, while the process is held at exec or runs */
	s->usyms = usyms_new(o->tgid);
	atomic_store(&s->reader_stop, false);
	err = pthread_create(&s->reader, NULL, reader, s);
	if (err) {
		rt_errorf("cannot start the timeline reader: %s",
			  strerror(err));
		return -err;
	}
	s->reader_started = true;
	return 0;
}

static void stop_reader(struct timeline_session *s)
{
	if (!s->reader_started)
		return;
	atomic_store(&s->reader_stop, true);
	pthread_join(s->reader, NULL);
	s->reader_started = false;
}

static uint64_t read_dropped(struct timeline_session *s)
{
	uint64_t *v = calloc((size_t)s->ncpus, sizeof(*v)), sum = 0;
	__u32 key = TL_ERR_DROPPED;

	if (!v)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.errors), &key, v) ==
	    0)
		for (int i = 0; i < s->ncpus; i++)
			sum += v[i];
	free(v);
	return sum;
}

/* ---- a small map of u64 keys to indices -----------------------------------
 */

/* Open addressing, linear probing; keys are stored + 1 so 0 means empty. */
struct u64map {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
};

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static int map_grow(struct u64map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	uint64_t *keys = calloc(cap, sizeof(*keys));
	uint32_t *vals = calloc(cap, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		for (j = mix(m->keys[i]) & (cap - 1); keys[j];
		     j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

/* map_find returns key's value, or -1. */
static int64_t map_find(const struct u64map *m, uint64_t key)
{
	if (!m->cap)
		return -1;
	for (size_t j = mix(key + 1) & (m->cap - 1); m->keys[j];
	     j = (j + 1) & (m->cap - 1))
		if (m->keys[j] == key + 1)
			return m->vals[j];
	return -1;
}

static int map_put(struct u64map *m, uint64_t key, uint32_t val)
{
	size_t j;

	if ((m->n + 1) * 2 > m->cap && map_grow(m))
		return -ENOMEM;
	for (j = mix(key + 1) & (m->cap - 1); m->keys[j];
	     j = (j + 1) & (m->cap - 1))
		if (m->keys[j] == key + 1)
			break;
	if (!m->keys[j])
		m->n++;
	m->keys[j] = key + 1;
	m->vals[j] = val;
	return 0;
}

static void map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- the replay: one state machine writes the trace and sums the analysis */

enum gstate_kind {
	GS_UNKNOWN, /* seen mid-life (created before the trace) */
	GS_RUNNABLE,
	GS_RUNNING,
	GS_SYSCALL,
	GS_WAITING,
	GS_DEAD,
};

/* One goroutine as the replay knows it. */
struct tl_g {
	uint64_t goid;
	uint64_t since; /* when it entered state */
	uint64_t flow;	/* flow arrow to close at its next gostart; 0 none */
	uint64_t gc0;	/* gc_cum when first seen */
	uint64_t stw0;	/* stw_cum when first seen */
	uint32_t site;	/* index into sites */
	uint32_t tid;	/* M of the open M slice */
	int32_t p;	/* P of the open P slice, else the last one; -1 */
	uint8_t state;	/* enum gstate_kind */
	uint8_t reason; /* wait reason of the current park */
	bool pslice;	/* a slice is open on P p's track */
	bool mslice;	/* a slice is open on M tid's track */
	const char *flow_name;
};

/* One OS thread (M). */
struct tl_m {
	uint32_t tid;
	uint64_t cur;	   /* goroutine whose slice is open here; 0 none */
	bool syscall_open; /* a nested "syscall" slice is open */
};

/* Track ids in the trace: they must not collide with each other. */
#define TID_GC	   1
#define TID_P(p)   (100 + (p))
#define TID_M(tid) (1000000 + (uint64_t)(tid))
#define SORT_GC	   0
#define SORT_P(p)  (1 + (p))
#define SORT_M(i)  (1000 + (i))

struct replay {
	struct timeline_session *s;
	FILE *f; /* the trace; NULL for the analysis only */
	uint64_t t0, tend;
	struct u64map gmap, mmap, smap;
	struct tl_g *gs;
	size_t ng, gcap;
	struct tl_m *ms;
	size_t nm, mcap;
	struct tl_site *sites;
	size_t nsites, scap;
	uint64_t pcur[TL_MAX_PS]; /* goid open on each P; 0 none */
	bool pseen[TL_MAX_PS];
	bool gc_open, stw_open;
	uint64_t gc_since, stw_since, gc_acc, stw_acc;
	uint64_t gc_cycle, gc_reason;
	uint64_t next_gc, heap_live;
	uint64_t alive;	     /* goroutines: newproc - goend */
	uint64_t last_alive; /* the last goroutine count written */
	bool alive_written;
	uint64_t flows; /* flow ids handed out */
	int err;
};

/* ts writes a timestamp in microseconds with nanosecond digits. */
static void put_ts(struct replay *r, uint64_t ts)
{
	uint64_t d = ts >= r->t0 ? ts - r->t0 : 0;

	fprintf(r->f, "%" PRIu64 ".%03u", d / 1000, (unsigned int)(d % 1000));
}

/* put_chars writes s escaped for the inside of a JSON string. */
static void put_chars(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
}

/* put_str writes s as a JSON string. */
static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	put_chars(f, s);
	fputc('"', f);
}

/*
 * ev_head starts one trace event: `{"ph":"X","pid":P,"tid":T,"ts":…`;
 * the caller adds the rest and ev_tail closes it.
 */
static void ev_head(struct replay *r, char ph, uint64_t tid, uint64_t ts)
{
	fprintf(r->f,
		",\n{\"ph\":\"%c\",\"pid\":%d,\"tid\":%" PRIu64 ",\"ts\":", ph,
		(int)r->s->pid, tid);
	put_ts(r, ts);
}

static void ev_tail(struct replay *r)
{
	fputc('}', r->f);
}

static void meta_thread(struct replay *r, uint64_t tid, const char *name,
			int sort)
{
	fprintf(r->f,
		",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%" PRIu64
		",\"name\":\"thread_name\",\"args\":{\"name\":",
		(int)r->s->pid, tid);
	put_str(r->f, name);
	fprintf(r->f,
		"}},\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%" PRIu64
		",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%d}}",
		(int)r->s->pid, tid, sort);
}

static void counter(struct replay *r, uint64_t ts, const char *name,
		    const char *key, uint64_t v)
{
	if (!r->f)
		return;
	ev_head(r, 'C', TID_GC, ts);
	fprintf(r->f, ",\"name\":\"%s\",\"args\":{\"%s\":%" PRIu64 "}", name,
		key, v);
	ev_tail(r);
}

static void instant(struct replay *r, uint64_t tid, uint64_t ts,
		    const char *name, const char *argkey, const char *argval,
		    uint64_t goid)
{
	if (!r->f)
		return;
	ev_head(r, 'i', tid, ts);
	fputs(",\"s\":\"t\",\"name\":", r->f);
	put_str(r->f, name);
	fprintf(r->f, ",\"args\":{\"goid\":%" PRIu64, goid);
	if (argkey) {
		fprintf(r->f, ",\"%s\":", argkey);
		put_str(r->f, argval);
	}
	fputs("}", r->f);
	ev_tail(r);
}

static struct tl_site *site_at(struct replay *r, uint32_t i)
{
	return &r->sites[i];
}

/* site_of returns the index of pc's site, adding it (named later). */
static uint32_t site_of(struct replay *r, uint64_t pc)
{
	int64_t i = map_find(&r->smap, pc);

	if (i >= 0)
		return (uint32_t)i;
	if (r->nsites == r->scap) {
		size_t cap = r->scap ? r->scap * 2 : 16;
		struct tl_site *v = realloc(r->sites, cap * sizeof(*v));

		if (!v) {
			r->err = -ENOMEM;
			return 0;
		}
		r->sites = v;
		r->scap = cap;
	}
	memset(&r->sites[r->nsites], 0, sizeof(r->sites[0]));
	r->sites[r->nsites].entry_pc = pc;
	if (map_put(&r->smap, pc, (uint32_t)r->nsites)) {
		r->err = -ENOMEM;
		return 0;
	}
	return (uint32_t)r->nsites++;
}

static uint64_t gc_cum(const struct replay *r, uint64_t ts)
{
	return r->gc_acc +
	       (r->gc_open && ts > r->gc_since ? ts - r->gc_since : 0);
}

static uint64_t stw_cum(const struct replay *r, uint64_t ts)
{
	return r->stw_acc +
	       (r->stw_open && ts > r->stw_since ? ts - r->stw_since : 0);
}

static void alive_counter(struct replay *r, uint64_t ts)
{
	if (r->alive_written && r->alive == r->last_alive)
		return;
	counter(r, ts, "Goroutines", "alive", r->alive);
	r->alive_written = true;
	r->last_alive = r->alive;
}

/*
 * g_new adds goid, first seen at ts: created by newproc at pc, or (known)
 * found mid-life, when it goes to site 0's "(created before the trace)".
 */
static struct tl_g *g_new(struct replay *r, uint64_t goid, uint64_t ts,
			  bool created, uint64_t pc)
{
	struct tl_g *g;

	if (r->ng == r->gcap) {
		size_t cap = r->gcap ? r->gcap * 2 : 1024;
		struct tl_g *v = realloc(r->gs, cap * sizeof(*v));

		if (!v) {
			r->err = -ENOMEM;
			return NULL;
		}
		r->gs = v;
		r->gcap = cap;
	}
	if (map_put(&r->gmap, goid, (uint32_t)r->ng)) {
		r->err = -ENOMEM;
		return NULL;
	}
	g = &r->gs[r->ng++];
	memset(g, 0, sizeof(*g));
	g->goid = goid;
	g->p = -1;
	g->site = site_of(r, created ? pc : 0);
	g->state = created ? GS_RUNNABLE : GS_UNKNOWN;
	g->since = ts;
	g->gc0 = gc_cum(r, ts);
	g->stw0 = stw_cum(r, ts);
	site_at(r, g->site)->count++;
	r->alive++;
	alive_counter(r, ts);
	return g;
}

/* g_of returns goid's state, adding it as found mid-life if unknown. */
static struct tl_g *g_of(struct replay *r, uint64_t goid, uint64_t ts)
{
	int64_t i = map_find(&r->gmap, goid);

	if (i >= 0)
		return &r->gs[i];
	return g_new(r, goid, ts, false, 0);
}

static struct tl_m *m_of(struct replay *r, uint32_t tid)
{
	int64_t i = map_find(&r->mmap, tid);

	if (i >= 0)
		return &r->ms[i];
	if (r->nm == r->mcap) {
		size_t cap = r->mcap ? r->mcap * 2 : 16;
		struct tl_m *v = realloc(r->ms, cap * sizeof(*v));

		if (!v) {
			r->err = -ENOMEM;
			return NULL;
		}
		r->ms = v;
		r->mcap = cap;
	}
	if (map_put(&r->mmap, tid, (uint32_t)r->nm)) {
		r->err = -ENOMEM;
		return NULL;
	}
	memset(&r->ms[r->nm], 0, sizeof(r->ms[0]));
	r->ms[r->nm].tid = tid;
	return &r->ms[r->nm++];
}

/* account adds the time g spent in its state up to ts to its site. */
static void account(struct replay *r, struct tl_g *g, uint64_t ts)
{
	struct tl_site *st = site_at(r, g->site);
	uint64_t d = ts > g->since ? ts - g->since : 0;

	switch (g->state) {
	case GS_RUNNABLE:
		st->sched_ns += d;
		break;
	case GS_RUNNING:
		st->run_ns += d;
		break;
	case GS_SYSCALL:
		st->syscall_ns += d;
		break;
	case GS_WAITING:
		st->block_ns[g->reason] += d;
		break;
	default:
		break;
	}
	g->since = ts;
}

static void open_pslice(struct replay *r, struct tl_g *g, int p, uint64_t ts)
{
	g->p = p;
	if (p < 0 || p >= TL_MAX_PS)
		return;
	r->pcur[p] = g->goid;
	g->pslice = true;
	if (!r->f)
		return;
	ev_head(r, 'B', TID_P(p), ts);
	fprintf(r->f, ",\"name\":\"G%" PRIu64 " ", g->goid);
	put_chars(r->f, site_at(r, g->site)->name);
	fprintf(r->f,
		"\",\"cat\":\"goroutine\",\"args\":{\"goid\":%" PRIu64
		",\"site\":",
		g->goid);
	put_str(r->f, site_at(r, g->site)->name);
	fputs("}", r->f);
	ev_tail(r);
}

static void close_pslice(struct replay *r, struct tl_g *g, uint64_t ts,
			 const char *end)
{
	if (!g->pslice)
		return;
	g->pslice = false;
	r->pcur[g->p] = 0;
	if (!r->f)
		return;
	ev_head(r, 'E', TID_P(g->p), ts);
	fputs(",\"args\":{\"end\":", r->f);
	put_str(r->f, end);
	fputs("}", r->f);
	ev_tail(r);
}

static void open_mslice(struct replay *r, struct tl_g *g, struct tl_m *m,
			uint64_t ts)
{
	g->tid = m->tid;
	g->mslice = true;
	m->cur = g->goid;
	if (!r->f)
		return;
	ev_head(r, 'B', TID_M(m->tid), ts);
	fprintf(r->f,
		",\"name\":\"G%" PRIu64 "\",\"cat\":\"goroutine\","
		"\"args\":{\"goid\":%" PRIu64 "}",
		g->goid, g->goid);
	ev_tail(r);
}

static void close_syscall(struct replay *r, struct tl_m *m, uint64_t ts)
{
	if (!m->syscall_open)
		return;
	m->syscall_open = false;
	if (r->f) {
		ev_head(r, 'E', TID_M(m->tid), ts);
		ev_tail(r);
	}
}

static void close_mslice(struct replay *r, struct tl_g *g, uint64_t ts,
			 const char *end)
{
	struct tl_m *m;

	if (!g->mslice)
		return;
	g->mslice = false;
	m = m_of(r, g->tid);
	if (!m)
		return;
	close_syscall(r, m, ts);
	m->cur = 0;
	if (!r->f)
		return;
	ev_head(r, 'E', TID_M(m->tid), ts);
	fputs(",\"args\":{\"end\":", r->f);
	put_str(r->f, end);
	fputs("}", r->f);
	ev_tail(r);
}

/* stop ends g's run at ts: its slices close with end, it moves to state. */
static void stop(struct replay *r, struct tl_g *g, uint64_t ts, const char *end,
		 enum gstate_kind state)
{
	account(r, g, ts);
	close_pslice(r, g, ts, end);
	close_mslice(r, g, ts, end);
	g->state = state;
}

/* die folds g's overlap with GC and STW into its site; g ends at ts. */
static void die(struct replay *r, struct tl_g *g, uint64_t ts)
{
	struct tl_site *st = site_at(r, g->site);

	st->gc_ns += gc_cum(r, ts) - g->gc0;
	st->stw_ns += stw_cum(r, ts) - g->stw0;
}

/* flow_start starts an arrow on tid's track at ts, to g's next gostart. */
static void flow_start(struct replay *r, struct tl_g *g, uint64_t tid,
		       uint64_t ts, const char *name)
{
	g->flow = ++r->flows;
	g->flow_name = name;
	if (!r->f)
		return;
	ev_head(r, 's', tid, ts);
	fprintf(r->f, ",\"name\":\"%s\",\"cat\":\"flow\",\"id\":%" PRIu64, name,
		g->flow);
	ev_tail(r);
}

/* running_track returns the P track of the goroutine running on M tid,
 * where an unpark it makes belongs; 0 when it runs none (g0, sysmon). */
static uint64_t running_track(struct replay *r, uint32_t tid, uint64_t *goid)
{
	struct tl_m *m = m_of(r, tid);
	int64_t i;

	*goid = 0;
	if (!m || !m->cur)
		return 0;
	i = map_find(&r->gmap, m->cur);
	if (i < 0 || !r->gs[i].pslice)
		return 0;
	*goid = m->cur;
	return TID_P(r->gs[i].p);
}

static void on_newproc(struct replay *r, const struct tl_event *e)
{
	uint64_t by, track = running_track(r, e->tid, &by);
	struct tl_g *g = g_new(r, e->a, e->ts, true, e->c);

	if (g && track)
		flow_start(r, g, track, e->ts, "newproc");
}

static void on_gostart(struct replay *r, const struct tl_event *e)
{
	uint64_t ts = e->ts;
	int p = e->b < TL_MAX_PS ? (int)e->b : -1;
	struct tl_m *m = m_of(r, e->tid);
	struct tl_g *g = g_of(r, e->a, ts);

	if (!g || !m)
		return;
	/* whoever the P or M still showed ran off without a probe */
	if (p >= 0 && r->pcur[p] && r->pcur[p] != g->goid) {
		struct tl_g *o = g_of(r, r->pcur[p], ts);

		if (o && o->state == GS_SYSCALL) {
			/* sysmon retook the P: the G stays in its syscall */
			close_pslice(r, o, ts, "P retaken in syscall");
		} else if (o) {
			stop(r, o, ts, "descheduled", GS_RUNNABLE);
		}
	}
	if (m->cur && m->cur != g->goid) {
		struct tl_g *o = g_of(r, m->cur, ts);

		if (o)
			stop(r, o, ts, "descheduled", GS_RUNNABLE);
	}
	if (g->pslice || g->mslice)
		stop(r, g, ts, "descheduled", GS_RUNNABLE);
	account(r, g, ts);
	if (p >= 0)
		r->pseen[p] = true;
	open_pslice(r, g, p, ts);
	open_mslice(r, g, m, ts);
	if (g->flow && r->f && p >= 0) {
		ev_head(r, 'f', TID_P(p), ts);
		fprintf(r->f,
			",\"bp\":\"e\",\"name\":\"%s\",\"cat\":\"flow\","
			"\"id\":%" PRIu64,
			g->flow_name, g->flow);
		ev_tail(r);
	}
	g->flow = 0;
	g->state = GS_RUNNING;
}

static void on_gopark(struct replay *r, const struct tl_event *e)
{
	struct tl_g *g = g_of(r, e->a, e->ts);
	unsigned int reason =
	    e->b < SCHED_WAIT_COUNT ? (unsigned int)e->b : SCHED_WAIT_BAD;
	const char *why = reason_str(reason);

	if (!g)
		return;
	if (g->pslice)
		instant(r, TID_P(g->p), e->ts, "park", "reason", why, g->goid);
	stop(r, g, e->ts, why, GS_WAITING);
	g->reason = (uint8_t)reason;
}

static void on_goready(struct replay *r, const struct tl_event *e)
{
	struct tl_g *g = g_of(r, e->a, e->ts);
	uint64_t by, track;
	char name[48];

	if (!g)
		return;
	account(r, g, e->ts);
	if (g->pslice || g->mslice) /* readied while shown running */
		stop(r, g, e->ts, "descheduled", GS_RUNNABLE);
	g->state = GS_RUNNABLE;
	track = running_track(r, e->tid, &by);
	snprintf(name, sizeof(name), "unpark G%" PRIu64, g->goid);
	if (track) {
		instant(r, track, e->ts, name, NULL, NULL, by);
		flow_start(r, g, track, e->ts, "unpark");
	} else {
		/* readied from the scheduler itself (timers, g0): on the M */
		instant(r, TID_M(e->tid), e->ts, name, NULL, NULL, 0);
	}
}

static void on_goend(struct replay *r, const struct tl_event *e)
{
	struct tl_g *g = g_of(r, e->a, e->ts);

	if (!g || g->state == GS_DEAD)
		return;
	stop(r, g, e->ts, "goexit", GS_DEAD);
	site_at(r, g->site)->ended++;
	die(r, g, e->ts);
	if (r->alive)
		r->alive--;
	alive_counter(r, e->ts);
}

static void on_entersyscall(struct replay *r, const struct tl_event *e)
{
	struct tl_g *g = g_of(r, e->a, e->ts);
	struct tl_m *m = m_of(r, e->tid);

	if (!g || !m)
		return;
	account(r, g, e->ts);
	g->state = GS_SYSCALL;
	if (g->mslice && g->tid == m->tid && !m->syscall_open) {
		m->syscall_open = true;
		if (r->f) {
			ev_head(r, 'B', TID_M(m->tid), e->ts);
			fputs(",\"name\":\"syscall\",\"cat\":\"syscall\"",
			      r->f);
			ev_tail(r);
		}
	}
}

static void on_exitsyscall(struct replay *r, const struct tl_event *e)
{
	struct tl_g *g = g_of(r, e->a, e->ts);
	struct tl_m *m = m_of(r, e->tid);

	if (!g || !m)
		return;
	account(r, g, e->ts);
	close_syscall(r, m, e->ts);
	g->state = GS_RUNNING;
	if (!e->b) {
		/* no P free: queued, this M stops (exitsyscall0) */
		stop(r, g, e->ts, "syscall: no P", GS_RUNNABLE);
		return;
	}
	/* back with a P; if its old one was taken it is another one */
	if (!g->pslice && g->p >= 0 && !r->pcur[g->p])
		open_pslice(r, g, g->p, e->ts);
	if (!g->mslice)
		open_mslice(r, g, m, e->ts);
}

static void gc_open(struct replay *r, uint64_t ts)
{
	r->gc_open = true;
	r->gc_since = ts;
	if (r->f) {
		ev_head(r, 'B', TID_GC, ts);
		fputs(",\"name\":\"GC\",\"cat\":\"gc\"", r->f);
		ev_tail(r);
	}
}

static void gc_close(struct replay *r, uint64_t ts, bool done)
{
	r->gc_acc += ts - r->gc_since;
	r->gc_open = false;
	r->s->an.gc_spans++;
	if (!r->f)
		return;
	ev_head(r, 'E', TID_GC, ts);
	fprintf(r->f,
		",\"args\":{\"cycle\":%" PRIu64 ",\"reason\":\"%s\","
		"\"heap_live\":%" PRIu64 ",\"next_gc\":%" PRIu64
		",\"complete\":%s}",
		r->gc_cycle, gc_reason_str(r->gc_reason), r->heap_live,
		r->next_gc, done ? "true" : "false");
	ev_tail(r);
}

static void stw_close(struct replay *r, uint64_t ts, uint64_t pause, bool done)
{
	r->stw_acc += ts - r->stw_since;
	r->stw_open = false;
	r->s->an.stw_spans++;
	if (!r->f)
		return;
	ev_head(r, 'E', TID_GC, ts);
	if (done)
		fprintf(r->f, ",\"args\":{\"pause_ns\":%" PRIu64 "}", pause);
	ev_tail(r);
}

static void on_stw_start(struct replay *r, const struct tl_event *e)
{
	if (r->stw_open)
		return;
	/* a GC begins with its sweep-termination stop (gc_cycle) */
	if (e->a == RT_STW_GC_SWEEP_TERM && !r->gc_open)
		gc_open(r, e->ts);
	r->stw_open = true;
	r->stw_since = e->ts;
	if (r->f) {
		char name[64];

		snprintf(name, sizeof(name), "STW (%s)", stw_reason_str(e->a));
		ev_head(r, 'B', TID_GC, e->ts);
		fputs(",\"name\":", r->f);
		put_str(r->f, name);
		fprintf(r->f, ",\"cat\":\"stw\",\"args\":{\"reason\":\"%s\"}",
			stw_reason_str(e->a));
		ev_tail(r);
	}
}

static void on_stw_done(struct replay *r, const struct tl_event *e)
{
	/* a stop that began before the trace did has no start: skipped */
	if (r->stw_open)
		stw_close(r, e->ts, e->b, true);
}

static void heap_counter(struct replay *r, uint64_t ts)
{
	if (!r->f)
		return;
	ev_head(r, 'C', TID_GC, ts);
	fprintf(r->f,
		",\"name\":\"Heap\",\"args\":{\"live\":%" PRIu64
		",\"next_gc\":%" PRIu64 "}",
		r->heap_live, r->next_gc);
	ev_tail(r);
}

static void on_gc_start(struct replay *r, const struct tl_event *e)
{
	/* inside a stop that began before the trace: the GC has no start */
	if (!r->gc_open && !r->stw_open)
		gc_open(r, e->ts);
	r->gc_cycle = e->a;
	r->gc_reason = e->b;
	r->heap_live = e->c;
	heap_counter(r, e->ts);
}

static void on_gc_done(struct replay *r, const struct tl_event *e)
{
	r->gc_cycle = e->a;
	r->heap_live = e->b;
	r->next_gc = e->c;
	if (r->gc_open) {
		if (r->stw_open)
			stw_close(r, e->ts, 0, false);
		gc_close(r, e->ts, true);
	}
	heap_counter(r, e->ts);
}

static void replay_event(struct replay *r, const struct tl_event *e)
{
	switch (e->kind) {
	case TL_NEWPROC:
		on_newproc(r, e);
		break;
	case TL_GOSTART:
		on_gostart(r, e);
		break;
	case TL_GOEND:
		on_goend(r, e);
		break;
	case TL_GOPARK:
		on_gopark(r, e);
		break;
	case TL_GOREADY:
		on_goready(r, e);
		break;
	case TL_GOSCHED: {
		struct tl_g *g = g_of(r, e->a, e->ts);

		if (g)
			stop(r, g, e->ts, "Gosched", GS_RUNNABLE);
		break;
	}
	case TL_GOPREEMPT: {
		struct tl_g *g = g_of(r, e->a, e->ts);

		if (g)
			stop(r, g, e->ts,
			     e->b == 2 ? "preempted (signal)" : "preempted",
			     GS_RUNNABLE);
		break;
	}
	case TL_LOCKOSTHREAD:
		instant(r, TID_M(e->tid), e->ts,
			e->b ? "LockOSThread" : "UnlockOSThread", NULL, NULL,
			e->a);
		break;
	case TL_ENTERSYSCALL:
		on_entersyscall(r, e);
		break;
	case TL_EXITSYSCALL:
		on_exitsyscall(r, e);
		break;
	case TL_HEAP_GROW:
		counter(r, e->ts, "Heap sys", "bytes", e->b);
		break;
	case TL_GC_START:
		on_gc_start(r, e);
		break;
	case TL_GC_MARK_DONE:
		if (r->f) {
			ev_head(r, 'i', TID_GC, e->ts);
			fprintf(r->f,
				",\"s\":\"t\",\"name\":\"mark done\","
				"\"args\":{\"cycle\":%" PRIu64
				",\"marked\":%" PRIu64 "}",
				(uint64_t)e->a, (uint64_t)e->b);
			ev_tail(r);
		}
		break;
	case TL_GC_DONE:
		on_gc_done(r, e);
		break;
	case TL_STW_START:
		on_stw_start(r, e);
		break;
	case TL_STW_DONE:
		on_stw_done(r, e);
		break;
	case TL_SAMPLE:
		if (e->ts < r->t0 || e->ts > r->tend)
			break;
		counter(r, e->ts, "Timer heap", "timers", e->a);
		if (e->b)
			counter(r, e->ts, "RSS", "bytes", e->b);
		break;
	}
}

/* replay_end closes whatever is still open at the trace's end. */
static void replay_end(struct replay *r)
{
	uint64_t ts = r->tend;

	for (size_t i = 0; i < r->ng; i++) {
		struct tl_g *g = &r->gs[i];

		if (g->state == GS_DEAD)
			continue;
		account(r, g, ts);
		close_pslice(r, g, ts, "trace end");
		close_mslice(r, g, ts, "trace end");
		die(r, g, ts);
	}
	if (r->stw_open)
		stw_close(r, ts, 0, false);
	if (r->gc_open)
		gc_close(r, ts, false);
}

/* ---- names ----------------------------------------------------------------
 */

/* name_sites symbolizes every site's entry pc. */
static int name_sites(struct timeline_session *s, struct replay *r)
{
	if (s->usyms)
		usyms_snapshot(s->usyms);
	for (size_t i = 0; i < r->nsites; i++) {
		struct tl_site *st = &r->sites[i];
		struct sym_frame sf[8];
		const char *name = NULL;
		int n;

		if (!st->entry_pc) {
			st->name = strdup("(created before the trace)");
		} else {
			if (s->usyms) {
				n = usyms_lookup(s->usyms, st->entry_pc, true,
						 sf, 8);
				/* the function holding pc comes last */
				if (n > 0)
					name = sf[n - 1].name;
			}
			if (name)
				st->name = strdup(name);
			else if (asprintf(&st->name, "%#" PRIx64,
					  st->entry_pc) < 0)
				st->name = NULL;
		}
		if (!st->name)
			return -ENOMEM;
	}
	return 0;
}

/* ---- finishing -------------------------------------------------------- */

static const struct tl_event *sort_ev;

/* by time, then by arrival: the sort is stable */
static int cmp_idx(const void *a, const void *b)
{
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	uint64_t ti = sort_ev[i].ts, tj = sort_ev[j].ts;

	if (ti != tj)
		return ti < tj ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int cmp_site(const void *a, const void *b)
{
	const struct tl_site *x = a, *y = b;

	if (x->run_ns != y->run_ns)
		return x->run_ns < y->run_ns ? 1 : -1;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* header writes the trace's opening and its track names. */
static void header(struct replay *r, const uint32_t *tids, size_t ntids)
{
	char name[64];

	fprintf(r->f,
		"{\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"tool\":"
		"\"rttrace\",\"pid\":%d,\"events\":%zu,\"dropped\":%" PRIu64
		",\"overflow\":%" PRIu64 ",\"ringbuf_size\":%u},\n"
		"\"traceEvents\":[\n"
		"{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"process_name\","
		"\"args\":{\"name\":\"rttrace %d\"}}",
		(int)r->s->pid, r->s->nev, r->s->an.dropped, r->s->an.overflow,
		r->s->ringbuf_size, (int)r->s->pid, TID_GC, (int)r->s->pid);
	meta_thread(r, TID_GC, "GC", SORT_GC);
	for (int p = 0; p < TL_MAX_PS; p++) {
		if (!r->pseen[p])
			continue;
		snprintf(name, sizeof(name), "P%d", p);
		meta_thread(r, TID_P(p), name, SORT_P(p));
	}
	for (size_t i = 0; i < ntids; i++) {
		snprintf(name, sizeof(name), "M tid %u", tids[i]);
		meta_thread(r, TID_M(tids[i]), name, SORT_M((int)i));
	}
}

/*
 * replay_all runs the events in order through the state machine, writing
 * the trace to r->f when set. A first pass finds the Ps, Ms and creation
 * sites, so that the tracks are named up front and slices carry names.
 */
static int replay_all(struct timeline_session *s, struct replay *r,
		      const uint32_t *order)
{
	uint32_t *tids = NULL;
	size_t ntids = 0, tcap = 0;
	struct u64map seen = {0};
	int err = 0;

	for (size_t k = 0; k < s->nev; k++) {
		const struct tl_event *e = &s->ev[order[k]];

		if (e->kind == TL_NEWPROC)
			site_of(r, e->c);
		if (e->kind == TL_GOSTART && e->b < TL_MAX_PS)
			r->pseen[e->b] = true;
		if (e->kind != TL_SAMPLE && map_find(&seen, e->tid) < 0) {
			if (ntids == tcap) {
				size_t cap = tcap ? tcap * 2 : 16;
				uint32_t *v = realloc(tids, cap * sizeof(*v));

				if (!v) {
					err = -ENOMEM;
					goto out;
				}
				tids = v;
				tcap = cap;
			}
			tids[ntids++] = e->tid;
			if (map_put(&seen, e->tid, 0)) {
				err = -ENOMEM;
				goto out;
			}
		}
	}
	site_of(r, 0);
	if (r->err) {
		err = r->err;
		goto out;
	}
	err = name_sites(s, r);
	if (err)
		goto out;
	if (r->f)
		header(r, tids, ntids);
	for (size_t k = 0; k < s->nev && !r->err; k++)
		replay_event(r, &s->ev[order[k]]);
	replay_end(r);
	if (r->f)
		fputs("\n]}\n", r->f);
	err = r->err;
out:
	map_free(&seen);
	free(tids);
	return err;
}

static void warn_lost(const struct timeline_session *s)
{
	if (s->an.dropped)
		rt_warnf("timeline: %" PRIu64
			 " events lost: the %u-byte ring buffer filled "
			 "between two drains (every %d ms); rerun with "
			 "--ringbuf-size %uM or more",
			 s->an.dropped, s->ringbuf_size, TL_DRAIN_MS,
			 (s->ringbuf_size >> 20) ? (s->ringbuf_size >> 19)
						 : 32);
	if (s->an.overflow)
		rt_warnf("timeline: %" PRIu64
			 " events not kept: rttrace keeps at most %u; "
			 "trace a shorter run",
			 s->an.overflow, TL_MAX_EVENTS);
	if (s->an.dropped || s->an.overflow)
		rt_warnf("timeline: with events lost, slices may end at the "
			 "wrong place and the goroutine analysis undercounts");
}

int timeline_finish(struct timeline_session *s)
{
	struct replay *r = NULL;
	uint32_t *order = NULL;
	int err = 0;

	if (!s->skel || s->finished)
		return 0;
	s->finished = true;
	stop_reader(s);
	ring_buffer__consume(s->rb);
	sample(s);
	s->an.dropped = read_dropped(s);
	s->an.overflow = s->overflow;
	s->an.events = s->nev;

	r = calloc(1, sizeof(*r));
	order = malloc((s->nev ? s->nev : 1) * sizeof(*order));
	if (!r || !order) {
		err = -ENOMEM;
		goto out;
	}
	r->s = s;
	for (size_t i = 0; i < s->nev; i++)
		order[i] = (uint32_t)i;
	sort_ev = s->ev;
	qsort(order, s->nev, sizeof(*order), cmp_idx);
	/*
	 * The trace spans the program's events; the reader's samples from
	 * before them (the program held at exec) or after (it exited) are
	 * left out.
	 */
	r->t0 = UINT64_MAX;
	for (size_t i = 0; i < s->nev; i++) {
		const struct tl_event *e = &s->ev[order[i]];

		if (e->kind == TL_SAMPLE)
			continue;
		if (r->t0 == UINT64_MAX)
			r->t0 = e->ts;
		r->tend = e->ts;
	}
	if (r->t0 == UINT64_MAX)
		r->t0 = 0;
	r->f = s->out.open ? s->out.f : NULL;
	if (!err)
		err = replay_all(s, r, order);
	if (r->f && !err) {
		err = output_commit(&s->out); /* says why itself */
	} else {
		if (r->f)
			rt_errorf("cannot write %s: %s", s->path,
				  strerror(-err));
		output_abort(&s->out);
	}
	r->f = NULL;
	if (err)
		goto out;

	for (size_t i = 0; i < r->ng; i++)
		s->an.goroutines++;
	s->an.span_ns = r->tend - r->t0;
	qsort(r->sites, r->nsites, sizeof(*r->sites), cmp_site);
	/* drop the "(created before the trace)" row when nothing was */
	for (size_t i = 0; i < r->nsites; i++) {
		if (r->sites[i].count || r->sites[i].entry_pc) {
			r->sites[s->an.nsites++] = r->sites[i];
		} else {
			free(r->sites[i].name);
		}
	}
	s->an.sites = r->sites;
	r->sites = NULL;
	if (s->path)
		fprintf(stderr,
			"rttrace: timeline: %zu events, %" PRIu64
			" goroutines, %" PRIu64 " GC and %" PRIu64
			" stop-the-world spans written to %s\n",
			s->nev, s->an.goroutines, s->an.gc_spans,
			s->an.stw_spans, s->path);
out:
	warn_lost(s);
	if (r) {
		for (size_t i = 0; r->sites && i < r->nsites; i++)
			free(r->sites[i].name);
		free(r->sites);
		free(r->gs);
		free(r->ms);
		map_free(&r->gmap);
		map_free(&r->mmap);
		map_free(&r->smap);
		free(r);
	}
	free(order);
	return err;
}

/* ---- the analysis, as text and JSON ---------------------------------------
 */

/* dur formats ns for the table: 0, 850ns, 12.3us, 4.56ms, 1.23s */
static const char *dur(char *buf, size_t len, uint64_t ns)
{
	if (ns == 0)
		snprintf(buf, len, "0");
	else if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

static uint64_t block_total(const struct tl_site *st)
{
	uint64_t t = 0;

	for (int i = 0; i < SCHED_WAIT_HISTS; i++)
		t += st->block_ns[i];
	return t;
}

void timeline_report_text(FILE *f, const struct timeline_session *s)
{
	const struct tl_analysis *an = &s->an;
	char b[7][24];

	if (!s->finished || !s->skel)
		return;
	fprintf(f,
		"\ngoroutine analysis: %" PRIu64
		" goroutines from %zu creation sites over %s (totals per "
		"site)\n",
		an->goroutines, an->nsites,
		dur(b[0], sizeof(b[0]), an->span_ns));
	fprintf(f, "    %-28s %8s %8s %10s %10s %10s %10s %10s %10s\n",
		"creation site", "count", "ended", "running", "sched wait",
		"syscall", "blocked", "GC", "STW");
	for (size_t i = 0; i < an->nsites; i++) {
		const struct tl_site *st = &an->sites[i];

		fprintf(f,
			"    %-28.28s %8" PRIu64 " %8" PRIu64
			" %10s %10s %10s %10s %10s %10s\n",
			st->name, st->count, st->ended,
			dur(b[0], sizeof(b[0]), st->run_ns),
			dur(b[1], sizeof(b[1]), st->sched_ns),
			dur(b[2], sizeof(b[2]), st->syscall_ns),
			dur(b[3], sizeof(b[3]), block_total(st)),
			dur(b[4], sizeof(b[4]), st->gc_ns),
			dur(b[5], sizeof(b[5]), st->stw_ns));
		if (!block_total(st))
			continue;
		fprintf(f, "        blocked by reason:");
		for (int w = 0, first = 1; w < SCHED_WAIT_HISTS; w++) {
			if (!st->block_ns[w])
				continue;
			fprintf(f, "%s %s %s", first ? "" : ",",
				reason_str((unsigned int)w),
				dur(b[6], sizeof(b[6]), st->block_ns[w]));
			first = 0;
		}
		fputc('\n', f);
	}
	if (an->dropped || an->overflow)
		fprintf(f,
			"    (incomplete: %" PRIu64
			" events lost in the kernel, "
			"%" PRIu64 " in rttrace)\n",
			an->dropped, an->overflow);
}

static void kv(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void timeline_report_json(struct json *j, const struct timeline_session *s)
{
	const struct tl_analysis *an = &s->an;
	char pc[32];

	if (!s->finished || !s->skel)
		return;
	json_key(j, "goroutine_analysis");
	json_object_begin(j);
	kv(j, "goroutines", an->goroutines);
	kv(j, "span_ns", an->span_ns);
	kv(j, "events", an->events);
	kv(j, "dropped", an->dropped);
	kv(j, "overflow", an->overflow);
	kv(j, "gc_spans", an->gc_spans);
	kv(j, "stw_spans", an->stw_spans);
	json_key(j, "timeline");
	if (s->path)
		json_string(j, s->path);
	else
		json_null(j);
	json_key(j, "sites");
	json_array_begin(j);
	for (size_t i = 0; i < an->nsites; i++) {
		const struct tl_site *st = &an->sites[i];

		json_object_begin(j);
		json_key(j, "site");
		json_string(j, st->name);
		snprintf(pc, sizeof(pc), "%#" PRIx64, st->entry_pc);
		json_key(j, "entry_pc");
		json_string(j, pc);
		kv(j, "count", st->count);
		kv(j, "ended", st->ended);
		kv(j, "run_ns", st->run_ns);
		kv(j, "sched_wait_ns", st->sched_ns);
		kv(j, "syscall_ns", st->syscall_ns);
		kv(j, "blocked_ns", block_total(st));
		json_key(j, "blocked_by_reason_ns");
		json_object_begin(j);
		for (int w = 0; w < SCHED_WAIT_HISTS; w++)
			if (st->block_ns[w])
				kv(j, reason_str((unsigned int)w),
				   st->block_ns[w]);
		json_object_end(j);
		kv(j, "gc_ns", st->gc_ns);
		kv(j, "stw_ns", st->stw_ns);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

void timeline_destroy(struct timeline_session *s)
{
	stop_reader(s);
	ring_buffer__free(s->rb);
	s->rb = NULL;
	probe_detach(s->links);
	timeline_bpf__destroy(s->skel);
	s->skel = NULL;
	usyms_free(s->usyms);
	s->usyms = NULL;
	for (size_t i = 0; i < s->an.nsites; i++)
		free(s->an.sites[i].name);
	free(s->an.sites);
	s->an.sites = NULL;
	s->an.nsites = 0;
	free(s->ev);
	s->ev = NULL;
	s->nev = s->cap = 0;
	free(s->path);
	s->path = NULL;
	/* not finished (an error, or no report): no partial trace left */
	output_abort(&s->out);
}

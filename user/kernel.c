/*
 * kernel.c — `--kernel`: loads bpf/kernel.bpf.c, attaches it to the
 * scheduler and system-call tracepoints and to the librt probes that say
 * which goroutine each thread runs, and reports each M's off-CPU time by
 * reason, its involuntary switches and run-queue latency, and the futex
 * waits of each goroutine; kernel_offcpu_folded folds the off-CPU stacks
 * for the --offcpu flamegraph (flamegraph.h).
 *
 * Order, as every concern: open -> set the const volatile knobs -> load
 * -> attach. The tracepoint programs come in tp_btf/ and raw_tp/ twins
 * (libbpf-tools' way of handling kernels, chosen at run time, not by
 * #ifdef): only one set is autoloaded. tp_btf/ is tried first — BTF-typed
 * arguments, the cheaper call — and when its load or attach fails the
 * object is reopened with the raw_tp/ twins; -v says which set is in use.
 * Neither needs tracefs: both attach through bpf(BPF_RAW_TRACEPOINT_OPEN)
 * by tracepoint name, so a system without /sys/kernel/tracing mounted
 * traces the same. RTTRACE_KERNEL_RAW_TP=1 in the environment skips
 * the tp_btf/ attempt, so that the twins can be tested here.
 *
 * The stacks and the goroutines' entry functions are named with a
 * snapshot of the process's mappings, refreshed by a helper thread while
 * it runs, as profile.c does: `rttrace trace` reads the maps after the
 * process exited. A mutex keeps the snapshots and the lookups apart.
 *
 * What the report says (the seed's kernel-side stories):
 *   - a spinning goroutine's M (ex02 before) is on its CPU nearly all its
 *     life, where a blocking consumer's M (ex02 after) sleeps in futex
 *     with no goroutine ("futex, idle M");
 *   - an M locked to a goroutine (ex08 before) sleeps in futex while its
 *     goroutine waits ("futex, locked G waits"), where unlocked Ms idle;
 *   - a stop-the-world (ex06, ex13 before) parks the Ms in futex for the
 *     window ("futex, stop-the-world").
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flamegraph.h"
#include "kernel.skel.h"
#include "kernel_user.h"
#include "map_helpers.h"
#include "privilege.h"
#include "probe_attach.h"
#include "rttrace.h"
#include "symbolize.h"

#define SNAP_INTERVAL_MS 100
#define SYM_FRAMES_MAX	 9 /* a function and up to 8 inlined calls */

/* every access to a session's usyms, from the snapper or a reader */
static pthread_mutex_t usyms_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const reason_keys[KREASON_NUM] = {
    [KREASON_FUTEX_IDLE] = "futex_idle",
    [KREASON_FUTEX_STW] = "futex_stw",
    [KREASON_FUTEX_LOCKED_G] = "futex_locked_g",
    [KREASON_FUTEX_RUNNING_G] = "futex_running_g",
    [KREASON_SYSCALL] = "syscall",
    [KREASON_PREEMPTED] = "preempted",
    [KREASON_OTHER] = "other",
};

static const char *const reason_labels[KREASON_NUM] = {
    [KREASON_FUTEX_IDLE] = "futex, idle M (no goroutine)",
    [KREASON_FUTEX_STW] = "futex, stop-the-world",
    [KREASON_FUTEX_LOCKED_G] = "futex, locked M waits for its goroutine",
    [KREASON_FUTEX_RUNNING_G] = "futex while running a goroutine",
    [KREASON_SYSCALL] = "blocking syscall (entersyscall window)",
    [KREASON_PREEMPTED] = "preempted by the kernel (involuntary)",
    [KREASON_OTHER] = "other sleep (syscall outside a window, fault)",
};

/* the report's column headings, in enum order */
static const char *const reason_cols[KREASON_NUM] = {
    "IDLE", "STW", "LOCKED", "RUN-G", "SYSCALL", "PREEMPT", "OTHER",
};

static const char *const error_text[KERR_NUM] = {
    /* counted per event: a thread past the map's 4096 misses many */
    [KERR_MS_FULL] = "events of threads not recorded: the thread map "
		     "(4096 threads, alive or ended) is full",
    [KERR_ENTRY_FULL] = "goroutine entry functions not recorded: the "
			"goroutines map is full; raise --max-goroutines",
    [KERR_RUN_FULL] = "on-CPU slices not attributed to an entry function",
    [KERR_GFUTEX_FULL] = "futex waits not attributed to a goroutine",
    [KERR_STACK_LOST] = "off-CPU periods without their user stack",
    [KERR_OFFSTACK_FULL] = "off-CPU periods missing from the stacks",
    [KERR_MHIST_FULL] = "off-CPU periods missing from per-M histograms",
};

const char *kernel_reason_key(unsigned int reason)
{
	return reason < KREASON_NUM ? reason_keys[reason] : "bad";
}

const char *kernel_reason_label(unsigned int reason)
{
	return reason < KREASON_NUM ? reason_labels[reason] : "(bad reason)";
}

/* ---- load and attach ------------------------------------------------------
 */

/* The tracepoint programs, tp_btf/ and raw_tp/ twins in the same order. */
#define TP_PROGS(skel, kind)                                 \
	{                                                    \
		(skel)->progs.sched_switch_##kind,           \
		    (skel)->progs.sched_wakeup_##kind,       \
		    (skel)->progs.sched_wakeup_new_##kind,   \
		    (skel)->progs.sched_process_exit_##kind, \
		    (skel)->progs.sys_enter_##kind,          \
		    (skel)->progs.sys_exit_##kind,           \
	}

/* the librt probes kernel.bpf.c has a program for */
static const enum rt_probe_id kernel_probes[] = {
    RT_PROBE_ID_newproc,      RT_PROBE_ID_gostart,	RT_PROBE_ID_goend,
    RT_PROBE_ID_gopark,	      RT_PROBE_ID_gosched,	RT_PROBE_ID_gopreempt,
    RT_PROBE_ID_lockosthread, RT_PROBE_ID_entersyscall, RT_PROBE_ID_exitsyscall,
    RT_PROBE_ID_stw_start,    RT_PROBE_ID_stw_done,
};

void kernel_pin_probes(bool pinned[RT_PROBE_NUM])
{
	for (size_t i = 0; i < sizeof(kernel_probes) / sizeof(kernel_probes[0]);
	     i++)
		pinned[kernel_probes[i]] = true;
}

static void detach_tps(struct kernel_session *k)
{
	for (size_t i = 0; i < sizeof(k->tp_links) / sizeof(k->tp_links[0]);
	     i++) {
		bpf_link__destroy(k->tp_links[i]);
		k->tp_links[i] = NULL;
	}
}

/*
 * load_attach opens, loads and attaches the tracepoint programs of one
 * kind (raw: raw_tp/, else tp_btf/). Returns 0, or -errno with *what
 * saying which step failed; the skeleton is left for the caller.
 */
static int load_attach(struct kernel_session *k, const struct kernel_opts *o,
		       bool raw, const char **what)
{
	struct bpf_program *use[6], *skip[6];
	int err;

	k->skel = kernel_bpf__open_opts(bpf_open_opts());
	if (!k->skel) {
		*what = "open";
		return -errno;
	}
	k->skel->rodata->targ_tgid = o->tgid;
	k->skel->rodata->targ_nsec = o->nsec;
	{
		struct bpf_program *btf[6] = TP_PROGS(k->skel, btf);
		struct bpf_program *rawp[6] = TP_PROGS(k->skel, raw);

		memcpy(use, raw ? rawp : btf, sizeof(use));
		memcpy(skip, raw ? btf : rawp, sizeof(skip));
	}
	for (int i = 0; i < 6; i++)
		bpf_program__set_autoload(skip[i], false);
	/* goroutine-keyed, not preallocated: --max-goroutines */
	err = probe_size_map(k->skel->maps.gentry,
			     o->max_goroutines ? o->max_goroutines
					       : KERNEL_MAX_GOROUTINES,
			     "goroutine entries");
	if (err) {
		*what = "size the gentry map for";
		return err;
	}
	probe_prepare(k->skel->obj);
	err = kernel_bpf__load(k->skel);
	if (err) {
		*what = "load";
		return err;
	}
	for (int i = 0; i < 6; i++) {
		k->tp_links[i] = bpf_program__attach(use[i]);
		if (!k->tp_links[i]) {
			err = -errno;
			*what = bpf_program__section_name(use[i]);
			return err;
		}
	}
	return 0;
}

static void *snapper_main(void *arg)
{
	struct kernel_session *k = arg;

	/* a helper: only what reading /proc needs (privilege.h) */
	privilege_drop_helper();
	while (!atomic_load(&k->snapper_stop)) {
		struct timespec ts = {0, SNAP_INTERVAL_MS * 1000000L};
		int r;

		pthread_mutex_lock(&usyms_lock);
		r = usyms_snapshot(k->usyms);
		pthread_mutex_unlock(&usyms_lock);
		/* the process is gone: the last snapshot stays */
		if (r < 0)
			break;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int kernel_start(struct kernel_session *k, const struct kernel_opts *o,
		 const char *path, const struct usdt_probes *probes)
{
	const char *what = NULL;
	sigset_t all, old;
	int err;

	memset(k, 0, sizeof(*k));
	if (o->tgid <= 0) {
		rt_errorf("--kernel needs the process: the tracepoints see "
			  "every thread of the system");
		return -EINVAL;
	}
	k->pid = o->tgid;
	k->nsec = o->nsec;
	k->ncpus = probe_ncpus();
	if (k->ncpus < 0)
		return k->ncpus;

	/* RTTRACE_KERNEL_RAW_TP=1 takes the fallback at once: how the
	 * twins are tested on a kernel where tp_btf works */
	if (getenv("RTTRACE_KERNEL_RAW_TP")) {
		err = -ENOTSUP;
		what = "be used (RTTRACE_KERNEL_RAW_TP is set)";
	} else {
		err = load_attach(k, o, false, &what);
	}
	if (err) {
		rt_notef("kernel: tp_btf programs failed to %s (%s); falling "
			 "back to their raw_tp twins",
			 what, strerror(-err));
		detach_tps(k);
		kernel_bpf__destroy(k->skel);
		k->skel = NULL;
		err = load_attach(k, o, true, &what);
		if (err) {
			rt_errorf("--kernel: cannot %s the scheduler "
				  "tracepoint programs (tp_btf, nor raw_tp): "
				  "%s (rerun with -v for libbpf's log)",
				  what, strerror(-err));
			return err;
		}
		k->raw_tp = true;
	}
	rt_notef("kernel: sched_switch, sched_wakeup(_new), "
		 "sched_process_exit, sys_enter/sys_exit attached as %s "
		 "programs (no tracefs needed)",
		 k->raw_tp ? "raw_tp" : "tp_btf");

	for (size_t i = 0; i < sizeof(kernel_probes) / sizeof(kernel_probes[0]);
	     i++) {
		int id = kernel_probes[i];

		err = probe_attach(k->skel->obj, k->links, id, id + 1, o->tgid,
				   path, probes);
		if (err)
			return err;
	}
	if (!probes->sites[RT_PROBE_ID_gostart])
		rt_warnf("--kernel: %s has no rt:gostart probe: threads are "
			 "not joined to goroutines",
			 path);

	k->usyms = usyms_new(o->tgid);
	if (!k->usyms)
		return -ENOMEM;
	/* the thread must not take rttrace's SIGINT, nor a sigwait's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&k->snapper, NULL, snapper_main, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		rt_errorf("cannot start the mappings thread: %s",
			  strerror(err));
		return -err;
	}
	k->snapper_started = true;
	return 0;
}

void kernel_destroy(struct kernel_session *k)
{
	if (k->snapper_started) {
		atomic_store(&k->snapper_stop, true);
		pthread_join(k->snapper, NULL);
		k->snapper_started = false;
	}
	probe_detach(k->links);
	detach_tps(k);
	kernel_bpf__destroy(k->skel);
	k->skel = NULL;
	usyms_free(k->usyms);
	k->usyms = NULL;
}

/* ---- reading --------------------------------------------------------------
 */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* func_name names the function at pc (exact: an entry, not a return
 * address); a malloc'ed string or NULL. Call with usyms_lock held. */
static char *func_name(struct usyms *us, uint64_t pc, bool exact)
{
	struct sym_frame sf[SYM_FRAMES_MAX];
	int n;

	if (!us || !pc)
		return NULL;
	n = usyms_lookup(us, pc, exact, sf, SYM_FRAMES_MAX);
	/* the function holding pc ends the list */
	if (n <= 0 || !sf[n - 1].name)
		return NULL;
	return strdup(sf[n - 1].name);
}

static int by_tid(const void *a, const void *b)
{
	const struct kernel_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Ms (a goroutine started on them) first, each group by tid */
static int by_role_tid(const void *a, const void *b)
{
	const struct kernel_thread *x = a, *y = b;
	bool mx = x->m.gostarts != 0, my = y->m.gostarts != 0;

	if (mx != my)
		return mx ? -1 : 1;
	return by_tid(a, b);
}

static struct kernel_thread *thread_of(struct kernel_result *r, uint32_t tid)
{
	struct kernel_thread key = {.tid = tid};

	return bsearch(&key, r->threads, r->nthreads, sizeof(key), by_tid);
}

/* close_open adds the period a live thread is in to its totals. */
static void close_open(struct kernel_thread *t, uint64_t now)
{
	struct kernel_m *m = &t->m;
	uint64_t end = m->exit_ts ? m->exit_ts : now;

	if (!m->exit_ts) {
		if (m->off_ts && now > m->off_ts && m->off_reason < KREASON_NUM)
			m->off_ns[m->off_reason] += now - m->off_ts;
		if (m->on_ts && now > m->on_ts)
			m->on_cpu_ns += now - m->on_ts;
		if (m->cur_goid && m->run_since && now > m->run_since)
			m->run_g_ns += now - m->run_since;
	}
	t->wall_ns = end > m->first_ts ? end - m->first_ts : 0;
	t->off_ns = 0;
	for (int i = 0; i < KREASON_NUM; i++)
		t->off_ns += m->off_ns[i];
}

static int read_threads(const struct kernel_session *k, struct kernel_result *r,
			uint64_t now)
{
	uint32_t *tids = NULL;
	struct kernel_m *ms = NULL;
	size_t n = 0;
	int err;

	err = map_dump(k->skel->maps.ms, (void **)&tids, (void **)&ms, &n);
	if (err)
		return err;
	r->threads = calloc(n ? n : 1, sizeof(*r->threads));
	if (!r->threads) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct kernel_thread *t = &r->threads[r->nthreads++];

		t->tid = tids[i];
		t->m = ms[i];
		t->m.comm[sizeof(t->m.comm) - 1] = '\0';
		close_open(t, now);
	}
	qsort(r->threads, r->nthreads, sizeof(*r->threads), by_tid);
out:
	free(tids);
	free(ms);
	return err;
}

static int read_mhists(const struct kernel_session *k, struct kernel_result *r)
{
	struct kernel_mhist_key *keys = NULL;
	struct hist *vals = NULL;
	size_t n = 0;
	int err;

	err =
	    map_dump(k->skel->maps.mhists, (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		struct kernel_thread *t = thread_of(r, keys[i].tid);

		if (t && keys[i].reason < KREASON_NUM)
			hist_add_percpu(&t->hists[keys[i].reason], &vals[i]);
	}
	free(keys);
	free(vals);
	return 0;
}

/* top_insert keeps t's KERNEL_TOP_ENTRIES longest entries, most first;
 * each (thread, entry) pair comes once from the map. */
static void top_insert(struct kernel_thread *t, uint64_t entry, uint64_t ns)
{
	int i;

	if (t->ntop < KERNEL_TOP_ENTRIES)
		i = t->ntop++;
	else if (ns > t->top[KERNEL_TOP_ENTRIES - 1].ns)
		i = KERNEL_TOP_ENTRIES - 1;
	else
		return;
	t->top[i] = (struct kernel_entry_time){.entry = entry, .ns = ns};
	for (; i > 0 && t->top[i - 1].ns < t->top[i].ns; i--) {
		struct kernel_entry_time tmp = t->top[i - 1];

		t->top[i - 1] = t->top[i];
		t->top[i] = tmp;
	}
}

static int read_runs(const struct kernel_session *k, struct kernel_result *r)
{
	struct kernel_run_key *keys = NULL;
	uint64_t *vals = NULL;
	size_t n = 0;
	int err;

	err =
	    map_dump(k->skel->maps.run_ns, (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		struct kernel_thread *t = thread_of(r, keys[i].tid);

		if (t)
			top_insert(t, keys[i].entry, vals[i]);
	}
	free(keys);
	free(vals);
	pthread_mutex_lock(&usyms_lock);
	for (size_t i = 0; i < r->nthreads; i++)
		for (int j = 0; j < r->threads[i].ntop; j++)
			r->threads[i].top[j].name = func_name(
			    k->usyms, r->threads[i].top[j].entry, true);
	pthread_mutex_unlock(&usyms_lock);
	return 0;
}

/* a goroutine's futex waits and its goid, sorted by time */
struct gwait_pair {
	struct kernel_gfutex g;
	uint64_t goid;
};

static int by_wait_ns_desc(const void *a, const void *b)
{
	const struct gwait_pair *x = a, *y = b;

	return x->g.ns < y->g.ns ? 1 : x->g.ns > y->g.ns ? -1 : 0;
}

static int read_gwaits(const struct kernel_session *k, struct kernel_result *r)
{
	uint64_t *goids = NULL;
	struct kernel_gfutex *vals = NULL;
	struct gwait_pair *p;
	size_t n = 0;
	int err;

	err =
	    map_dump(k->skel->maps.gfutex, (void **)&goids, (void **)&vals, &n);
	if (err)
		return err;
	p = calloc(n ? n : 1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		p[i].g = vals[i];
		p[i].goid = goids[i];
		r->gwait_count += vals[i].count;
		r->gwait_ns += vals[i].ns;
	}
	qsort(p, n, sizeof(*p), by_wait_ns_desc);
	r->gwait_goroutines = n;
	pthread_mutex_lock(&usyms_lock);
	for (size_t i = 0; i < n && i < KERNEL_TOP_GOROUTINES; i++) {
		struct kernel_gwait *w = &r->gwaits[r->ngwaits++];

		w->goid = p[i].goid;
		w->entry = p[i].g.entry;
		w->count = p[i].g.count;
		w->ns = p[i].g.ns;
		w->name = func_name(k->usyms, w->entry, true);
	}
	pthread_mutex_unlock(&usyms_lock);
	free(p);
out:
	free(goids);
	free(vals);
	return err;
}

int kernel_read(const struct kernel_session *k, struct kernel_result *out)
{
	__u32 zero = 0;
	uint64_t now;
	int err;

	memset(out, 0, sizeof(*out));
	if (!k->skel)
		return -ENODEV;
	out->raw_tp = k->raw_tp;
	now = mono_ns();
	pthread_mutex_lock(&usyms_lock);
	/* the freshest mappings while the process lives */
	usyms_snapshot(k->usyms);
	pthread_mutex_unlock(&usyms_lock);
	err = map_sum_u64(k->skel->maps.errors, k->ncpus, out->errors, KERR_NUM,
			  1);
	if (!err)
		err = map_sum_hists(k->skel->maps.offcpu_hists, k->ncpus,
				    out->off, KREASON_NUM);
	if (!err)
		err = map_sum_hists(k->skel->maps.runq_hist, k->ncpus,
				    &out->runq, 1);
	if (!err && bpf_map_lookup_elem(bpf_map__fd(k->skel->maps.stw), &zero,
					&out->stw))
		err = -errno;
	if (!err)
		err = read_threads(k, out, now);
	if (!err)
		err = read_mhists(k, out);
	if (!err)
		err = read_runs(k, out);
	if (!err)
		err = read_gwaits(k, out);
	if (err) {
		rt_errorf("--kernel: cannot read BPF maps: %s", strerror(-err));
		kernel_result_free(out);
		return err;
	}
	qsort(out->threads, out->nthreads, sizeof(*out->threads), by_role_tid);
	return 0;
}

void kernel_result_free(struct kernel_result *r)
{
	for (size_t i = 0; i < r->nthreads; i++)
		for (int j = 0; j < r->threads[i].ntop; j++)
			free(r->threads[i].top[j].name);
	free(r->threads);
	for (size_t i = 0; i < r->ngwaits; i++)
		free(r->gwaits[i].name);
	memset(r, 0, sizeof(*r));
}

/* ---- the report ------------------------------------------------------------
 */

static const char *unit_name(bool nsec)
{
	return nsec ? "nsecs" : "usecs";
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static const char *entry_label(const struct kernel_entry_time *e)
{
	if (e->name)
		return e->name;
	return e->entry ? "[unknown]" : "[started before tracing]";
}

void kernel_report_text(FILE *f, const struct kernel_result *r, bool nsec)
{
	const char *unit = unit_name(nsec);
	char title[128];

	fprintf(f,
		"\nkernel: Ms off-CPU (sched_switch and futex, joined to "
		"goroutines; %s programs)\n",
		r->raw_tp ? "raw_tp" : "tp_btf");
	fprintf(f, "  stop-the-world: %llu windows, %.3f ms in all\n",
		(unsigned long long)r->stw.windows, r->stw.total_ns / 1e6);
	fprintf(f,
		"  per thread, %% of its wall time: on a CPU, then off it by "
		"reason;\n  INVOL: involuntary switches; RUNQ: mean run-queue "
		"wait; Gs: goroutines started on it (0: not an M)\n");
	fprintf(f, "  %7s %-15s %7s %9s %6s", "TID", "COMM", "Gs", "WALL ms",
		"ON%");
	for (int i = 0; i < KREASON_NUM; i++)
		fprintf(f, " %7s", reason_cols[i]);
	fprintf(f, " %7s %8s  %s\n", "INVOL", "RUNQ us", "RAN MOST");
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct kernel_thread *t = &r->threads[i];
		const struct kernel_m *m = &t->m;

		fprintf(f, "  %7u %-15.15s %7llu %9.1f %5.1f%%", t->tid,
			m->comm, (unsigned long long)m->gostarts,
			t->wall_ns / 1e6, pct(m->on_cpu_ns, t->wall_ns));
		for (int j = 0; j < KREASON_NUM; j++)
			fprintf(f, " %6.1f%%", pct(m->off_ns[j], t->wall_ns));
		fprintf(f, " %7llu %8.1f  ", (unsigned long long)m->involuntary,
			m->runq_count ? m->runq_ns / 1e3 / m->runq_count : 0.0);
		if (t->ntop)
			fprintf(f, "%s (%.1f%%)", entry_label(&t->top[0]),
				pct(t->top[0].ns, t->wall_ns));
		else
			fprintf(f, "-");
		fprintf(f, "%s\n", m->exit_ts ? "" : " [live]");
	}
	for (int i = 0; i < KREASON_NUM; i++) {
		const struct log2_hist *h = &r->off[i];

		if (!h->count)
			continue;
		snprintf(title, sizeof(title), "off-CPU, %s",
			 kernel_reason_label(i));
		fprintf(f, "\n%s: %llu periods, %.3f ms, mean %.3f %s\n", title,
			(unsigned long long)h->count, h->total_ns / 1e6,
			(double)h->total_ns / h->count / (nsec ? 1 : 1000),
			unit);
		hist_print(f, h, unit);
	}
	if (r->runq.count) {
		fprintf(f,
			"\nrun-queue latency of Ms (woken or preempted -> on "
			"a CPU): %llu waits, mean %.3f %s\n",
			(unsigned long long)r->runq.count,
			(double)r->runq.total_ns / r->runq.count /
			    (nsec ? 1 : 1000),
			unit);
		hist_print(f, &r->runq, unit);
	}
	fprintf(f,
		"\nfutex waits per goroutine (top %d of %llu goroutines, %llu "
		"waits, %.3f ms):\n",
		KERNEL_TOP_GOROUTINES, (unsigned long long)r->gwait_goroutines,
		(unsigned long long)r->gwait_count, r->gwait_ns / 1e6);
	if (r->ngwaits)
		fprintf(f, "    %10s %10s %12s %10s  %s\n", "GOID", "WAITS",
			"TOTAL ms", "MEAN us", "ENTRY");
	for (size_t i = 0; i < r->ngwaits; i++) {
		const struct kernel_gwait *w = &r->gwaits[i];

		fprintf(f, "    %10llu %10llu %12.3f %10.1f  %s\n",
			(unsigned long long)w->goid,
			(unsigned long long)w->count, w->ns / 1e6,
			w->count ? w->ns / 1e3 / w->count : 0.0,
			w->name ? w->name
				: (w->entry ? "[unknown]"
					    : "[started before tracing]"));
	}
}

static void json_reason_u64s(struct json *j, const char *key, const __u64 *v)
{
	json_key(j, key);
	json_object_begin(j);
	for (int i = 0; i < KREASON_NUM; i++) {
		json_key(j, reason_keys[i]);
		json_uint(j, v[i]);
	}
	json_object_end(j);
}

static void json_thread(struct json *j, const struct kernel_thread *t,
			const char *unit)
{
	const struct kernel_m *m = &t->m;

	json_object_begin(j);
	json_key(j, "tid");
	json_uint(j, t->tid);
	json_key(j, "comm");
	json_string(j, m->comm);
	json_key(j, "is_m");
	json_bool(j, m->gostarts != 0);
	json_key(j, "goroutines_started");
	json_uint(j, m->gostarts);
	json_key(j, "exited");
	json_bool(j, m->exit_ts != 0);
	json_key(j, "wall_ns");
	json_uint(j, t->wall_ns);
	json_key(j, "on_cpu_ns");
	json_uint(j, m->on_cpu_ns);
	json_key(j, "running_g_ns");
	json_uint(j, m->run_g_ns);
	json_key(j, "off_cpu_ns");
	json_uint(j, t->off_ns);
	json_reason_u64s(j, "off_ns", m->off_ns);
	json_reason_u64s(j, "off_count", m->off_count);
	json_key(j, "involuntary");
	json_uint(j, m->involuntary);
	json_key(j, "voluntary");
	json_uint(j, m->voluntary);
	json_key(j, "runq_waits");
	json_uint(j, m->runq_count);
	json_key(j, "runq_ns");
	json_uint(j, m->runq_ns);
	json_key(j, "futex_waits");
	json_uint(j, m->futex_waits);
	json_key(j, "futex_wait_ns");
	json_uint(j, m->futex_wait_ns);
	json_key(j, "ran");
	json_array_begin(j);
	for (int i = 0; i < t->ntop; i++) {
		json_object_begin(j);
		json_key(j, "entry");
		if (t->top[i].name)
			json_string(j, t->top[i].name);
		else
			json_null(j);
		json_key(j, "entry_pc");
		json_uint(j, t->top[i].entry);
		json_key(j, "on_cpu_ns");
		json_uint(j, t->top[i].ns);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "hists");
	json_object_begin(j);
	for (int i = 0; i < KREASON_NUM; i++) {
		if (!t->hists[i].count)
			continue;
		json_key(j, reason_keys[i]);
		hist_json(j, &t->hists[i], unit);
	}
	json_object_end(j);
	json_object_end(j);
}

void kernel_report_json(struct json *j, const struct kernel_result *r,
			bool nsec)
{
	const char *unit = unit_name(nsec);

	json_object_begin(j);
	json_key(j, "programs");
	json_string(j, r->raw_tp ? "raw_tp" : "tp_btf");
	json_key(j, "stw");
	json_object_begin(j);
	json_key(j, "windows");
	json_uint(j, r->stw.windows);
	json_key(j, "total_ns");
	json_uint(j, r->stw.total_ns);
	json_object_end(j);
	json_key(j, "threads");
	json_array_begin(j);
	for (size_t i = 0; i < r->nthreads; i++)
		json_thread(j, &r->threads[i], unit);
	json_array_end(j);
	json_key(j, "off_cpu");
	json_object_begin(j);
	for (int i = 0; i < KREASON_NUM; i++) {
		json_key(j, reason_keys[i]);
		hist_json(j, &r->off[i], unit);
	}
	json_object_end(j);
	json_key(j, "runq");
	hist_json(j, &r->runq, unit);
	json_key(j, "futex_by_goroutine");
	json_object_begin(j);
	json_key(j, "goroutines");
	json_uint(j, r->gwait_goroutines);
	json_key(j, "waits");
	json_uint(j, r->gwait_count);
	json_key(j, "total_ns");
	json_uint(j, r->gwait_ns);
	json_key(j, "top");
	json_array_begin(j);
	for (size_t i = 0; i < r->ngwaits; i++) {
		const struct kernel_gwait *w = &r->gwaits[i];

		json_object_begin(j);
		json_key(j, "goid");
		json_uint(j, w->goid);
		json_key(j, "entry");
		if (w->name)
			json_string(j, w->name);
		else
			json_null(j);
		json_key(j, "waits");
		json_uint(j, w->count);
		json_key(j, "total_ns");
		json_uint(j, w->ns);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
	json_key(j, "errors");
	json_object_begin(j);
	for (int i = 0; i < KERR_NUM; i++) {
		static const char *const keys[KERR_NUM] = {
		    "threads_map_full", "entry_map_full", "run_map_full",
		    "gfutex_map_full",	"stack_lost",	  "offstack_map_full",
		    "mhist_map_full",
		};

		json_key(j, keys[i]);
		json_uint(j, r->errors[i]);
	}
	json_object_end(j);
	json_object_end(j);
}

void kernel_report_warnings(const struct kernel_result *r)
{
	for (int i = 0; i < KERR_NUM; i++)
		if (r->errors[i])
			rt_warnf("--kernel: %llu %s",
				 (unsigned long long)r->errors[i],
				 error_text[i]);
}

/* warn_once prints r's warnings the first time a report of k asks. */
static void warn_once(struct kernel_session *k, const struct kernel_result *r)
{
	if (k->warned)
		return;
	k->warned = true;
	kernel_report_warnings(r);
}

int kernel_print(FILE *f, struct kernel_session *k)
{
	struct kernel_result r;
	int err;

	if (!k->skel)
		return 0;
	err = kernel_read(k, &r);
	if (err)
		return err;
	kernel_report_text(f, &r, k->nsec);
	fflush(f);
	warn_once(k, &r);
	kernel_result_free(&r);
	return 0;
}

void kernel_json_key(struct json *j, struct kernel_session *k)
{
	struct kernel_result r;

	if (!k->skel || kernel_read(k, &r))
		return;
	json_key(j, "kernel");
	kernel_report_json(j, &r, k->nsec);
	warn_once(k, &r);
	kernel_result_free(&r);
}

/* ---- off-CPU stacks, folded -----------------------------------------------
 */

/* A growing string for one folded stack. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_frame(struct sbuf *b, const char *name)
{
	size_t n = strlen(name);

	if (b->oom)
		return;
	if (b->len + n + 2 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	if (b->len)
		b->s[b->len++] = ';';
	/* ';' separates frames (flamegraph.h) */
	for (size_t i = 0; i < n; i++)
		b->s[b->len++] = name[i] == ';' ? ':' : name[i];
	b->s[b->len] = '\0';
}

/* one user frame's names, outermost first, into frames[] (max each) */
struct frames {
	const char *name[KERNEL_MAX_DEPTH * 2 * SYM_FRAMES_MAX];
	bool runtime[KERNEL_MAX_DEPTH * 2 * SYM_FRAMES_MAX];
	int n;
};

/* push_pc adds pc's function and inlined calls, innermost first. */
static void push_pc(struct usyms *us, struct frames *fr, uint64_t pc,
		    bool exact)
{
	struct sym_frame sf[SYM_FRAMES_MAX];
	int n = usyms_lookup(us, pc, exact, sf, SYM_FRAMES_MAX);

	for (int i = 0; i < n; i++) {
		if (fr->n == (int)(sizeof(fr->name) / sizeof(fr->name[0])))
			return;
		fr->name[fr->n] = sf[i].name ? sf[i].name : "[unknown]";
		fr->runtime[fr->n] =
		    sf[i].file && strstr(sf[i].file, "runtime/") != NULL;
		fr->n++;
	}
}

int kernel_offcpu_folded(struct kernel_session *k, struct folded *out)
{
	struct kernel_stack_key *keys = NULL;
	struct kernel_stack_val *vals = NULL;
	static struct frames fr;
	uint64_t ips[KERNEL_MAX_DEPTH];
	struct sbuf b = {0};
	size_t n = 0;
	int err, fd;

	memset(out, 0, sizeof(*out));
	out->unit = "ns";
	if (!k->skel)
		return -ENODEV;
	err = map_dump(k->skel->maps.offstacks, (void **)&keys, (void **)&vals,
		       &n);
	if (err)
		return err;
	fd = bpf_map__fd(k->skel->maps.stacks);
	pthread_mutex_lock(&usyms_lock);
	usyms_snapshot(k->usyms);
	for (size_t i = 0; i < n && !err; i++) {
		__u32 id = keys[i].user_stackid;
		char root[96];
		int nips = 0;

		snprintf(root, sizeof(root), "[%s]",
			 kernel_reason_label(keys[i].reason));
		b.len = 0;
		sb_frame(&b, root);
		fr.n = 0;
		if (keys[i].user_stackid >= 0) {
			memset(ips, 0, sizeof(ips));
			if (!bpf_map_lookup_elem(fd, &id, ips))
				while (nips < KERNEL_MAX_DEPTH && ips[nips])
					nips++;
		}
		for (int f = 0; f < nips; f++) {
			push_pc(k->usyms, &fr, ips[f], f == 0);
			/* the caller a frame-pointer walk skips (profile.h) */
			if (f == 0 && keys[i].leaf_ret &&
			    usyms_ret_at_sp(k->usyms, ips[0]))
				push_pc(k->usyms, &fr, keys[i].leaf_ret, false);
		}
		if (!nips)
			sb_frame(&b, "[stack lost]");
		/* fr is innermost first; the folded line outermost first.
		 * A run of unnamed frames (a chain walked through a frame
		 * that is no frame, at a preemption in a context switch)
		 * folds into one. */
		for (int f = fr.n - 1; f >= 0; f--)
			if (f == fr.n - 1 || strcmp(fr.name[f], "[unknown]") ||
			    strcmp(fr.name[f + 1], "[unknown]"))
				sb_frame(&b, fr.name[f]);
		for (int f = 0; f < fr.n && !err; f++)
			if (fr.runtime[f])
				err = folded_set_kind(out, fr.name[f],
						      FRAME_RUNTIME);
		if (!err)
			err = folded_set_kind(out, root, FRAME_SPECIAL);
		if (b.oom)
			err = -ENOMEM;
		if (!err && vals[i].ns)
			err = folded_add(out, b.s, (double)vals[i].ns);
	}
	pthread_mutex_unlock(&usyms_lock);
	free(b.s);
	free(keys);
	free(vals);
	if (err) {
		folded_free(out);
		return err;
	}
	folded_kinds_done(out);
	folded_merge(out);
	out->unit = "ns";
	return 0;
}

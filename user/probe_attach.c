/*
 * probe_attach.c — one program per probe, attached by hand to every site
 * of the probe that usdt_check found.
 *
 * librt's probe sites need none of libbpf's USDT machinery: every site
 * of a probe passes the same arguments in the same registers
 * (runtime/probes.h), so the program reads pt_regs and needs no spec
 * map, no cookie, no per-site lookup. What is left is a uprobe at each
 * site with the probe's semaphore raised, which the kernel gives two
 * ways:
 *
 *  - a uprobe_multi link (Linux >= 6.6, uprobe_multi.c): one
 *    BPF_LINK_CREATE per program with all its sites, their semaphores
 *    and the pid, and one close() to detach, behind one synchronization.
 *    The program must be loaded for it (probe_prepare).
 *  - otherwise, or with RTTRACE_NO_UPROBE_MULTI=1 (the tests use it to
 *    keep this path alive), a classic uprobe per site through libbpf:
 *    a perf event each, and detaching pays a synchronization per site.
 *
 * Either way the kernel filters on the pid and the programs filter on it
 * again (rt.bpf.h's traced), which is cheap and covers attach by path;
 * and probe_detach closes the links from several threads at once, so
 * that the kernel's waits for a grace period overlap.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "probe_attach.h"
#include "probe_names.h"
#include "rttrace.h"
#include "uprobe_multi.h"

#define NO_MULTI_ENV "RTTRACE_NO_UPROBE_MULTI"

/* links are detached from at most this many threads (probe_detach) */
#define DETACH_THREADS 64

struct probe_link {
	int fd;			 /* the uprobe_multi link; -1: per site */
	unsigned int n;		 /* uprobes in site[] */
	struct bpf_link *site[]; /* one classic uprobe per site */
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * use_multi says whether to attach with uprobe_multi links, and says why
 * once with --verbose.
 */
static bool use_multi(void)
{
	static bool told;
	const char *env = getenv(NO_MULTI_ENV);
	bool off = env && *env && strcmp(env, "0") != 0;
	int ok = off ? 0 : uprobe_multi_probe();

	if (!told) {
		told = true;
		if (off)
			rt_notef("%s set: one uprobe per probe site",
				 NO_MULTI_ENV);
		else if (ok > 0)
			rt_notef("attaching with uprobe_multi links");
		else if (ok == 0)
			rt_notef("no uprobe_multi in this kernel: one uprobe "
				 "per probe site");
		else
			rt_notef("cannot probe for uprobe_multi (%s): one "
				 "uprobe per probe site",
				 strerror(-ok));
	}
	return ok > 0;
}

/* is_probe_prog: a program RT_PROBE_PROG defines, named as its probe. */
static bool is_probe_prog(const struct bpf_program *prog)
{
	return bpf_program__type(prog) == BPF_PROG_TYPE_KPROBE &&
	       probe_lookup(bpf_program__name(prog)) >= 0;
}

void probe_prepare(struct bpf_object *obj)
{
	struct bpf_program *prog;

	if (!use_multi())
		return;
	bpf_object__for_each_program(prog, obj)
	{
		if (is_probe_prog(prog))
			bpf_program__set_expected_attach_type(
			    prog,
			    (enum bpf_attach_type)UPROBE_MULTI_ATTACH_TYPE);
	}
}

/* attach_multi attaches prog to the n sites from site i of probes. */
static struct probe_link *attach_multi(const struct bpf_program *prog,
				       pid_t pid, const char *path,
				       const struct usdt_probes *probes,
				       unsigned int i, unsigned int n)
{
	struct probe_link *l = calloc(1, sizeof(*l));
	int fd;

	if (!l)
		return NULL;
	fd =
	    uprobe_multi_attach(bpf_program__fd(prog), path, &probes->offset[i],
				&probes->ref_ctr[i], n, pid);
	if (fd < 0) {
		free(l);
		errno = -fd;
		return NULL;
	}
	l->fd = fd;
	return l;
}

/* attach_sites attaches prog to each of the n sites from site i. */
static struct probe_link *attach_sites(const struct bpf_program *prog,
				       pid_t pid, const char *path,
				       const struct usdt_probes *probes,
				       unsigned int i, unsigned int n)
{
	struct probe_link *l = calloc(1, sizeof(*l) + n * sizeof(l->site[0]));
	int err;

	if (!l)
		return NULL;
	l->fd = -1;
	for (; l->n < n; l->n++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts,
			    .ref_ctr_offset = probes->ref_ctr[i + l->n]);

		l->site[l->n] = bpf_program__attach_uprobe_opts(
		    prog, pid > 0 ? pid : -1, path,
		    (size_t)probes->offset[i + l->n], &opts);
		if (!l->site[l->n]) {
			err = errno;
			probe_link_destroy(l);
			errno = err;
			return NULL;
		}
	}
	return l;
}

int probe_attach(struct bpf_object *obj, struct probe_link **links, int first,
		 int last, pid_t pid, const char *path,
		 const struct usdt_probes *probes)
{
	for (int id = first; id < last; id++) {
		const char *name = probe_name(id);
		unsigned int n = probes->sites[id];
		struct bpf_program *prog;
		bool multi;
		double t0;
		int err;

		if (!n) {
			/* no site linked in: librt cannot count it either */
			rt_notef("probe rt:%s not in %s, not attached", name,
				 path);
			continue;
		}
		prog = bpf_object__find_program_by_name(obj, name);
		if (!prog) {
			rt_errorf("no BPF program for probe rt:%s", name);
			return -ENOENT;
		}
		/* how it was loaded decides: a multi program attaches only
		 * through a multi link, any other only as a classic uprobe */
		multi = bpf_program__expected_attach_type(prog) ==
			(enum bpf_attach_type)UPROBE_MULTI_ATTACH_TYPE;
		t0 = now_ms();
		links[id] = (multi ? attach_multi : attach_sites)(
		    prog, pid, path, probes, probes->first[id], n);
		if (!links[id]) {
			err = -errno;
			/* per-site uprobes are perf events; multi links not */
			if (!multi && (err == -EACCES || err == -EPERM))
				rt_errorf("cannot attach to probe rt:%s in %s: "
					  "perf_event_open refused (%s: %s)",
					  name, path, strerror(-err),
					  PERF_REFUSED_WHY);
			else
				rt_errorf("cannot attach to probe rt:%s in %s: "
					  "%s",
					  name, path, strerror(-err));
			return err;
		}
		rt_notef("attached rt:%s (%u sites, %s) in %.1f ms", name, n,
			 multi ? "uprobe_multi" : "uprobe per site",
			 now_ms() - t0);
	}
	return 0;
}

int probe_attach_counted(struct bpf_object *obj, struct probe_link **links,
			 int first, int last, pid_t pid, const char *path,
			 const struct usdt_probes *probes)
{
	int err = probe_attach(obj, links, first, last, pid, path, probes);

	if (!err)
		err = probe_attach(obj, links, RT_PROBE_ID_probe_flush,
				   RT_PROBE_ID_probe_flush + 1, pid, path,
				   probes);
	return err;
}

int probe_sites_in(const struct usdt_probes *probes, int first, int last)
{
	int n = 0;

	for (int id = first; id < last; id++)
		n += probes->sites[id] != 0;
	return n;
}

void probe_link_destroy(struct probe_link *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	for (unsigned int i = 0; i < l->n; i++)
		bpf_link__destroy(l->site[i]);
	free(l);
}

/*
 * Detaching waits for the kernel to synchronize (uprobe_unregister_sync:
 * an RCU tasks-trace grace period), once per uprobe_multi link and once
 * per per-site uprobe, and a grace period lasts long while the traced
 * process runs hot. Closing from several threads at once lets the waits
 * overlap: callers of synchronize_rcu_tasks_trace() share grace periods.
 */
struct detach_work {
	int *fds; /* uprobe_multi links */
	size_t nfds;
	struct bpf_link **sites; /* per-site uprobes */
	size_t nsites;
	atomic_size_t next; /* next item: fds, then sites */
};

static void *detach_worker(void *arg)
{
	struct detach_work *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->next, 1)) < w->nfds + w->nsites) {
		if (i < w->nfds)
			close(w->fds[i]);
		else
			bpf_link__destroy(w->sites[i - w->nfds]);
	}
	return NULL;
}

/* detach_all runs w from up to DETACH_THREADS threads, this one too. */
static void detach_all(struct detach_work *w)
{
	pthread_t th[DETACH_THREADS - 1];
	size_t n = w->nfds + w->nsites, want, started = 0;
	sigset_t all, old;

	want = n < DETACH_THREADS ? n : DETACH_THREADS;
	atomic_init(&w->next, 0);
	/* the helpers must not take rttrace's SIGINT, nor a sigwait's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	while (started + 1 < want &&
	       pthread_create(&th[started], NULL, detach_worker, w) == 0)
		started++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	detach_worker(w);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

void probe_detach_sets(struct probe_link **const *sets, int nsets)
{
	struct detach_work w = {0};
	size_t nlinks = 0, nsites = 0;
	double t0 = now_ms();

	for (int s = 0; s < nsets; s++)
		for (int id = 0; sets[s] && id < RT_PROBE_NUM; id++)
			if (sets[s][id]) {
				nlinks++;
				nsites += sets[s][id]->n;
			}
	if (!nlinks)
		return;
	w.fds = calloc(nlinks, sizeof(*w.fds));
	w.sites = nsites ? calloc(nsites, sizeof(*w.sites)) : NULL;
	for (int s = 0; s < nsets; s++) {
		for (int id = 0; sets[s] && id < RT_PROBE_NUM; id++) {
			struct probe_link *l = sets[s][id];

			if (!l)
				continue;
			sets[s][id] = NULL;
			if (!w.fds || (nsites && !w.sites)) {
				probe_link_destroy(
				    l); /* no memory: one by one */
				continue;
			}
			if (l->fd >= 0)
				w.fds[w.nfds++] = l->fd;
			if (l->n)
				memcpy(w.sites + w.nsites, l->site,
				       l->n * sizeof(*w.sites));
			w.nsites += l->n;
			free(l);
		}
	}
	detach_all(&w);
	free(w.fds);
	free(w.sites);
	rt_notef("detached %zu probes (%zu uprobe_multi links, %zu per-site "
		 "uprobes) in %.1f ms",
		 nlinks, w.nfds, w.nsites, now_ms() - t0);
}

void probe_detach(struct probe_link **links)
{
	probe_detach_sets(&links, 1);
}

int probe_ncpus(void)
{
	int ncpus = libbpf_num_possible_cpus();

	if (ncpus <= 0) {
		rt_errorf("cannot count possible CPUs: %s", strerror(-ncpus));
		return ncpus ? ncpus : -EINVAL;
	}
	return ncpus;
}

int probe_open_failed(void)
{
	/* read errno before rt_errorf's stdio can change it */
	int err = -errno;

	rt_errorf("cannot open BPF object: %s", strerror(-err));
	return err;
}

int probe_size_map(struct bpf_map *map, unsigned int max, const char *what)
{
	int err = bpf_map__set_max_entries(map, max);

	if (err)
		rt_errorf("cannot size the %s map: %s", what, strerror(-err));
	return err;
}

int probe_load_result(int err)
{
	struct rlimit rl;

	/*
	 * Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK; libbpf
	 * raises the soft limit itself, up to the hard one. Past it, map
	 * creation fails with EPERM.
	 */
	if (err == -EPERM && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		rt_errorf(
		    "cannot load BPF programs: %s; RLIMIT_MEMLOCK is %llu "
		    "KiB, and kernels before 5.11 charge BPF maps to it: "
		    "run `ulimit -l unlimited` (or `prlimit --memlock="
		    "unlimited`) first",
		    strerror(-err), (unsigned long long)rl.rlim_cur / 1024);
		return err;
	}
	if (err)
		rt_errorf("cannot load BPF programs: %s (rerun with -v for "
			  "libbpf's log)",
			  strerror(-err));
	return err;
}

/*
 * bare.c — run a program with an empty BPF program (bpf/bare.bpf.c)
 * attached to its librt probe sites: the bare attached-probe floor that
 * scripts/bench-probe.sh measures rttrace's per-hit work against.
 *
 * It attaches the way rttrace does (user/probe_attach.c), with the same
 * pieces: the sites and semaphores from usdt_check, one uprobe_multi link
 * per probe when the kernel has them (uprobe_multi.c) or one classic
 * uprobe per site through libbpf's bpf_program__attach_uprobe_opts with
 * ref_ctr_offset (RTTRACE_NO_UPROBE_MULTI=1, or --classic), every
 * semaphore raised so librt takes its active path, and the kernel's filter
 * on the program's pid. So the difference between a hit under rttrace and
 * a hit under bare is what rttrace's programs do.
 *
 * The program is forked first and waits on a pipe until the probes are
 * attached for its pid; it then execs, and bare exits with its status.
 */
#include <argp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bare.skel.h"
#include "probe_names.h"
#include "uprobe_multi.h"
#include "usdt_check.h"

static struct env {
	bool probe[RT_PROBE_NUM]; /* -p: only these; none given: all */
	bool some;		  /* some -p given */
	bool classic;		  /* one classic uprobe per site */
	bool verbose;		  /* libbpf's debug output */
	char **argv;		  /* the program and its arguments */
} env;

static const char doc[] =
    "Run PROG with an empty BPF program attached to every librt probe "
    "site it carries (or to those of the probes -p names), as rttrace "
    "attaches its own: the bare attached-probe cost.\n"
    "\n"
    "USAGE: bare [-p PROBE]... [--classic] [-v] -- PROG [ARG...]\n"
    "\n"
    "EXAMPLES:\n"
    "  sudo bare -- build/bench_probe -benchtime 1s\n"
    "  sudo bare -p convT -- build/nop1/bench_probe   # the int3 path\n"
    "  sudo RTTRACE_NO_UPROBE_MULTI=1 bare -- build/bench_probe\n"
    "\n"
    "OPTIONS:";

static const struct argp_option opts[] = {
    {"probe", 'p', "NAME", 0, "Attach to this probe's sites only (repeat)", 0},
    {"classic", 'c', NULL, 0,
     "One classic uprobe per site, not uprobe_multi links", 0},
    {"verbose", 'v', NULL, 0, "libbpf's debug output", 0},
    {},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	int id;

	switch (key) {
	case 'p':
		id = probe_lookup(arg);
		if (id < 0)
			argp_error(state, "no probe rt:%s in runtime/probes.h",
				   arg);
		env.probe[id] = env.some = true;
		break;
	case 'c':
		env.classic = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case ARGP_KEY_ARG:
		env.argv = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!env.argv)
			argp_error(state, "no program to run");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* use_multi mirrors probe_attach.c's choice of link type. */
static bool use_multi(void)
{
	const char *no = getenv("RTTRACE_NO_UPROBE_MULTI");

	if (env.classic || (no && *no && strcmp(no, "0") != 0))
		return false;
	return uprobe_multi_probe() > 0;
}

/*
 * attach_all attaches prog to the sites of every chosen probe in path for
 * pid: one uprobe_multi link per probe (its fd in fds[]) or one classic
 * uprobe per site (in links[]). Returns the sites attached or -errno.
 */
static int attach_all(struct bpf_program *prog, bool multi, pid_t pid,
		      const char *path, const struct usdt_probes *pr, int *fds,
		      struct bpf_link **links)
{
	int nsites = 0;

	for (int id = 0; id < RT_PROBE_NUM; id++) {
		unsigned int i = pr->first[id], n = pr->sites[id];

		if (!n || (env.some && !env.probe[id]))
			continue;
		if (multi) {
			fds[id] = uprobe_multi_attach(bpf_program__fd(prog),
						      path, &pr->offset[i],
						      &pr->ref_ctr[i], n, pid);
			if (fds[id] < 0)
				return fds[id];
			nsites += (int)n;
			continue;
		}
		for (unsigned int k = i; k < i + n; k++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo,
				    .ref_ctr_offset = pr->ref_ctr[k]);

			links[k] = bpf_program__attach_uprobe_opts(
			    prog, pid, path, (size_t)pr->offset[k], &uo);
			if (!links[k])
				return -errno;
			nsites++;
		}
	}
	return nsites;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {.options = opts,
					 .parser = parse_arg,
					 .args_doc = "-- PROG [ARG...]",
					 .doc = doc};
	struct usdt_probes pr;
	struct bare_bpf *obj = NULL;
	struct bpf_link **links = NULL;
	int fds[RT_PROBE_NUM];
	int go[2] = {-1, -1}, status = 0, nsites, err;
	pid_t pid = -1;
	bool multi;
	char c = 0;

	err = argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, NULL);
	if (err)
		return 2;
	libbpf_set_print(libbpf_print);
	for (int id = 0; id < RT_PROBE_NUM; id++)
		fds[id] = -1;

	memset(&pr, 0, sizeof(pr));
	err = usdt_check(env.argv[0], &pr);
	if (err) {
		fprintf(stderr, "bare: %s: %s%s%s\n", env.argv[0],
			strerror(-err), pr.why[0] ? ": " : "", pr.why);
		return 1;
	}
	if (!pr.nsite) {
		fprintf(stderr, "bare: %s: no librt probe sites\n",
			env.argv[0]);
		usdt_free(&pr);
		return 1;
	}
	links = calloc(pr.nsite, sizeof(*links));
	if (!links || pipe(go) < 0) {
		perror("bare");
		err = 1;
		goto cleanup;
	}

	/* the program, held before exec until its probes are attached */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("bare: fork");
		err = 1;
		goto cleanup;
	}
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(126); /* bare gave up */
		close(go[0]);
		execv(env.argv[0], env.argv);
		fprintf(stderr, "bare: exec %s: %s\n", env.argv[0],
			strerror(errno));
		_exit(127);
	}
	close(go[0]);
	go[0] = -1;

	obj = bare_bpf__open();
	if (!obj) {
		fprintf(stderr, "bare: cannot open the BPF object: %s\n",
			strerror(errno));
		err = 1;
		goto cleanup;
	}
	multi = use_multi();
	if (multi)
		bpf_program__set_expected_attach_type(
		    obj->progs.bare,
		    (enum bpf_attach_type)UPROBE_MULTI_ATTACH_TYPE);
	err = bare_bpf__load(obj);
	if (err) {
		fprintf(stderr, "bare: cannot load the BPF program: %s\n",
			strerror(-err));
		err = 1;
		goto cleanup;
	}
	nsites = attach_all(obj->progs.bare, multi, pid, env.argv[0], &pr, fds,
			    links);
	if (nsites < 0) {
		fprintf(stderr, "bare: cannot attach to %s: %s\n", env.argv[0],
			strerror(-nsites));
		err = 1;
		goto cleanup;
	}
	fprintf(stderr, "bare: empty program on %d probe sites of %s (%s)\n",
		nsites, env.argv[0],
		multi ? "uprobe_multi" : "uprobe per site");

	if (write(go[1], "g", 1) != 1) {
		perror("bare: release");
		err = 1;
		goto cleanup;
	}
	close(go[1]);
	go[1] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	pid = -1;
	err = WIFEXITED(status)	    ? WEXITSTATUS(status)
	      : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
				    : 1;

cleanup:
	if (go[1] >= 0)
		close(go[1]); /* a child still held reads EOF and exits */
	if (go[0] >= 0)
		close(go[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	for (int id = 0; id < RT_PROBE_NUM; id++)
		if (fds[id] >= 0)
			close(fds[id]);
	for (unsigned int k = 0; links && k < pr.nsite; k++)
		bpf_link__destroy(links[k]);
	free(links);
	bare_bpf__destroy(obj);
	usdt_free(&pr);
	return err;
}

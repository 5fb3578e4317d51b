/*
 * probe_attach.c — one program per probe, attached by hand: libbpf 1.1 can
 * auto-attach SEC("usdt") only with the full binary:provider:name spec,
 * and rttrace learns the binary at run time.
 */
#include <errno.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "probe_attach.h"
#include "probe_names.h"
#include "rttrace.h"

int probe_attach(struct bpf_object *obj, struct bpf_link **links, int first,
		 int last, pid_t pid, const char *path,
		 const struct usdt_probes *probes)
{
	for (int id = first; id < last; id++) {
		const char *name = probe_name(id);
		struct bpf_program *prog;
		int err;

		if (!probes->sites[id]) {
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
		links[id] = bpf_program__attach_usdt(prog, pid, path,
						     USDT_PROVIDER, name, NULL);
		if (!links[id]) {
			err = -errno;
			rt_errorf("cannot attach to probe rt:%s in %s: %s",
				  name, path, strerror(errno));
			return err;
		}
		rt_notef("attached rt:%s (%u sites)", name, probes->sites[id]);
	}
	return 0;
}

int probe_sites_in(const struct usdt_probes *probes, int first, int last)
{
	int n = 0;

	for (int id = first; id < last; id++)
		n += probes->sites[id] != 0;
	return n;
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
	if (err)
		rt_errorf("cannot load BPF programs: %s (rerun with -v for "
			  "libbpf's log)",
			  strerror(-err));
	return err;
}

void probe_detach(struct bpf_link **links)
{
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		bpf_link__destroy(links[id]);
		links[id] = NULL;
	}
}

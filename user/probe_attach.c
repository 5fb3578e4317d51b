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

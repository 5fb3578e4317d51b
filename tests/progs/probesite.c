/*
 * probesite — passes every rt:convT site of librt (all six in iface.c)
 * many times, then reports what its sites hold now, for
 * tests/integration/test_probe_paths.c: which path the kernel took at an
 * attached site (int3, or a call to the uprobe trampoline) and whether
 * rttrace's counts still equal librt's on that path. The Makefile builds it
 * twice: build/tests/progs/probesite with librt's 5-byte-nop sites and
 * build/nop1/tests/progs/probesite with 1-byte ones (the int3 path).
 *
 *   probesite [ROUNDS]     default 200000; six conversions per round
 *
 * Each round boxes a small and a large integer (rt_convT64), an empty and
 * a non-empty string (rt_convTstring), a nil and a non-nil slice
 * (rt_convTslice): one hit of each site. After the last round, when every
 * site has been hit (a 5-byte site becomes a call at its first attached
 * hit), it prints on stdout:
 *
 *   probesite: attached=A rounds=R conversions=C
 *   probesite: site ADDR BYTES KIND [TARGET_MAPPING]   (one per site)
 *   probesite: sites=S nop=N int3=I call=K trampoline=T
 *
 * A is 1 when rt:convT's semaphore was raised (a tracer attached); KIND
 * is nop, int3 or call (tests/rt_sites.h); T counts the calls into the
 * [uprobes-trampoline] mapping. Run with RT_STATS=1 for librt's counts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes.h"
#include "rt.h"
#include "../rt_sites.h"

struct run {
	long rounds;
	uint64_t conversions;
	int attached;
	int nsites; /* sites[] read, or -1 */
	struct rt_site sites[RT_SITES_MAX];
};

/* sink keeps the boxed values reachable, as an interface variable does. */
static const void *volatile sink;

static void probesite(void *arg)
{
	struct run *r = arg;
	static char bytes[8] = "payload";
	rt_string empty = {NULL, 0}, str = {bytes, sizeof(bytes) - 1};
	rt_slice nil = {NULL, 0, 0}, sl = {bytes, sizeof(bytes), sizeof(bytes)};

	r->attached = rt_convT_semaphore != 0;
	for (long k = 0; k < r->rounds; k++) {
		sink = rt_convT64((uint64_t)k & 0xff);
		sink = rt_convT64(1000 + (uint64_t)k);
		sink = rt_convTstring(empty);
		sink = rt_convTstring(str);
		sink = rt_convTslice(nil);
		sink = rt_convTslice(sl);
		r->conversions += 6;
	}
	/* still in the traced run: rt_main's return ends it */
	r->nsites = rt_sites_read("convT", r->sites, RT_SITES_MAX);
}

int main(int argc, char **argv)
{
	static struct run r = {.rounds = 200000};
	struct rt_site *sites = r.sites;
	int nop = 0, int3 = 0, call = 0, tramp = 0;

	if (argc > 2 || (argc == 2 && (r.rounds = atol(argv[1])) <= 0)) {
		fprintf(stderr, "usage: probesite [ROUNDS]\n");
		return 2;
	}
	rt_main(probesite, &r);
	printf("probesite: attached=%d rounds=%ld conversions=%" PRIu64 "\n",
	       r.attached, r.rounds, r.conversions);

	if (r.nsites < 0) {
		fprintf(stderr, "probesite: cannot read its own probe sites\n");
		return 1;
	}
	for (int i = 0; i < r.nsites; i++) {
		const char *kind = rt_site_kind(&sites[i]);

		nop += !strcmp(kind, "nop");
		int3 += !strcmp(kind, "int3");
		call += !strcmp(kind, "call");
		tramp += !strcmp(sites[i].target_map, "[uprobes-trampoline]");
		printf("probesite: site %#" PRIxPTR
		       " %02x %02x %02x %02x %02x %s %s\n",
		       sites[i].addr, sites[i].bytes[0], sites[i].bytes[1],
		       sites[i].bytes[2], sites[i].bytes[3], sites[i].bytes[4],
		       kind,
		       sites[i].target_map[0] ? sites[i].target_map : "-");
	}
	printf("probesite: sites=%d nop=%d int3=%d call=%d trampoline=%d\n",
	       r.nsites, nop, int3, call, tramp);
	return 0;
}

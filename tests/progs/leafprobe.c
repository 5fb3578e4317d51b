/*
 * leafprobe — probe sites in leaf functions whose locals live below the
 * stack pointer, hammered while a tracer is attached, checked by checksum
 * (tests/integration/test_probe_paths.c).
 *
 *   leafprobe [ROUNDS]        default 500000; NLEAF hits per round
 *
 * Why -mno-red-zone matters. The SysV x86-64 ABI lets a leaf function (one
 * that calls nothing) use the 128 bytes below %rsp, the red zone, without
 * moving %rsp: gcc keeps a leaf's locals at -8(%rsp), -16(%rsp), ... A
 * probe site is inline asm, not a call, so a function with one stays a
 * leaf. When a uprobe is attached to a 5-byte-nop site, a kernel that
 * optimizes uprobes (6.18 here) rewrites the nop at its first hit into
 * `call <[uprobes-trampoline]>`, and that call stores its return address
 * at -8(%rsp) (as does anything the trampoline pushes, further down). In a
 * red-zone leaf those bytes are the function's live locals, so every
 * attached hit would corrupt them. (The int3 path writes nothing to the
 * user stack: the trap saves registers on the kernel stack.)
 * -mno-red-zone, which the Makefile passes to every file with probe sites
 * (RTFLAGS, this one included), makes gcc allocate a leaf's locals with
 * `sub $N, %rsp`, so nothing live is below %rsp when the call pushes.
 *
 * Each leaf_N below keeps N words in a volatile array (forced into memory,
 * re-read after the probe), passes rt:gcount with them in flight, then
 * folds them into a checksum; built with the red zone they would sit at
 * -8(%rsp) .. -8N(%rsp). Each round checks every leaf's result against
 * leaf_ref, the same arithmetic without locals or probes, and counts
 * mismatches. It prints, on stdout:
 *
 *   leafprobe: attached=A rounds=R hits=H checksum=C mismatches=M
 *              sites=S calls=K                             (one line)
 *
 * A is 1 when rt:gcount's semaphore was raised (a tracer attached), H the
 * probe sites passed (rttrace's gcount count is H plus librt's own),
 * C the checksum over all results: the same attached or not. S counts the
 * rt:gcount sites (the leaves' and librt's), K those the kernel had turned
 * into trampoline calls at the end (tests/rt_sites.h). Exits 1 if M > 0.
 *
 * The Makefile also builds it with the red zone (leafprobe-redzone,
 * -mred-zone after RTFLAGS): the control that shows the hazard is real
 * and that this check sees it. Attached on the trampoline path its
 * results are wrong at nearly every hit.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sites count into a plain global, not through rt_probe_hit: a call
 * would make the functions non-leaf, and only leaves use a red zone. */
static uint64_t leaf_hits;
#define RT_PROBE_HIT(id) ((void)(id), leaf_hits++)

#include "probes.h"
#include "rt.h"
#include "../rt_sites.h"

#define NLEAF 8
#define LEAF  __attribute__((noinline, noipa)) static uint64_t

/* mix is one step of the checksum's arithmetic. */
#define MIX(h, v) ((h)*0x100000001b3ULL ^ (v))

/*
 * LEAF_FN(n) defines leaf_n(x): n words stored below the frame's top,
 * a probe site with one of them as argument, then the words read back and
 * folded. Without -mno-red-zone this is all in the red zone.
 */
#define LEAF_FN(n)                                                      \
	LEAF leaf_##n(uint64_t x)                                       \
	{                                                               \
		volatile uint64_t w[n];                                 \
		uint64_t h = 0xcbf29ce484222325ULL;                     \
		for (int i = 0; i < (n); i++)                           \
			w[i] = x + (uint64_t)i * 0x9e3779b97f4a7c15ULL; \
		RT_PROBE1(gcount, w[0]);                                \
		for (int i = 0; i < (n); i++)                           \
			h = MIX(h, w[i]);                               \
		return h;                                               \
	}
LEAF_FN(1)
LEAF_FN(2)
LEAF_FN(3)
LEAF_FN(4)
LEAF_FN(6)
LEAF_FN(8)
LEAF_FN(12)
LEAF_FN(16)

static uint64_t (*const leaves[NLEAF])(uint64_t) = {
    leaf_1, leaf_2, leaf_3, leaf_4, leaf_6, leaf_8, leaf_12, leaf_16,
};
static const int leaf_words[NLEAF] = {1, 2, 3, 4, 6, 8, 12, 16};

/* leaf_ref is leaf_n's arithmetic in registers, with no probe. */
static uint64_t leaf_ref(int n, uint64_t x)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < n; i++)
		h = MIX(h, x + (uint64_t)i * 0x9e3779b97f4a7c15ULL);
	return h;
}

struct run {
	long rounds;
	uint64_t checksum;
	uint64_t mismatches;
	int attached;
	int nsites; /* rt:gcount sites, librt's included; -1: unread */
	int calls;  /* of them, rewritten into a trampoline call */
	struct rt_site sites[RT_SITES_MAX];
};

static void leafprobe(void *arg)
{
	struct run *r = arg;

	r->attached = rt_gcount_semaphore != 0;
	for (long k = 0; k < r->rounds; k++) {
		for (int j = 0; j < NLEAF; j++) {
			uint64_t x = (uint64_t)k * NLEAF + (uint64_t)j;
			uint64_t h = leaves[j](x);

			r->mismatches += h != leaf_ref(leaf_words[j], x);
			r->checksum = MIX(r->checksum, h);
		}
	}
	/* while still traced: did the kernel take the trampoline path? */
	r->nsites = rt_sites_read("gcount", r->sites, RT_SITES_MAX);
	for (int i = 0; i < r->nsites; i++)
		r->calls += !strcmp(rt_site_kind(&r->sites[i]), "call");
}

int main(int argc, char **argv)
{
	static struct run r = {.rounds = 500000};

	if (argc > 2 || (argc == 2 && (r.rounds = atol(argv[1])) <= 0)) {
		fprintf(stderr, "usage: leafprobe [ROUNDS]\n");
		return 2;
	}
	rt_main(leafprobe, &r);
	printf("leafprobe: attached=%d rounds=%ld hits=%" PRIu64
	       " checksum=%016" PRIx64 " mismatches=%" PRIu64
	       " sites=%d calls=%d\n",
	       r.attached, r.rounds, leaf_hits, r.checksum, r.mismatches,
	       r.nsites, r.calls);
	return r.mismatches ? 1 : 0;
}

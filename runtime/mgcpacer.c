/*
 * mgcpacer.c — when to collect; mirrors runtime/mgcpacer.go.
 *
 * GOGC (environment RT_GOGC, default 100, "off" or a negative value turns
 * goal-based collection off) sets the heap goal of the next cycle from the
 * heap marked live by this one:
 *
 *	goal = marked * (1 + GOGC/100), at least 4 MiB * GOGC/100
 *
 * (Go's heapMinimum). The soft memory limit (RT_MEMLIMIT, bytes with an
 * optional B/KiB/MiB/GiB/TiB suffix, as GOMEMLIMIT; "off" or unset means
 * none) lowers the goal so the heap, plus the runtime's other memory
 * (stacks, metadata) and 5% headroom, stays under it (Go's
 * memoryLimitHeapGoal). A cycle whose goal came from the limit reports
 * reason RT_GC_MEMORY_LIMIT. The goal never drops below marked + 1/32 +
 * 512 KiB: when the live heap itself exceeds the limit, collecting on
 * every allocation would not help (Go bounds this with its 50% GC CPU
 * cap instead).
 *
 * Marking is stop-the-world in this version, so the trigger is the goal
 * itself (Go triggers a concurrent cycle earlier, so that marking ends
 * near the goal).
 *
 * The scavenger's retained goal (pacer_retained_goal) is Go's: 10% above
 * the heap goal, and under the memory limit minus the non-heap memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "malloc.h"

#define HEAP_MINIMUM ((uint64_t)4 << 20)

int32_t gcpercent = 100;
uint64_t memlimit = UINT64_MAX;
_Atomic uint64_t gc_trigger;
static _Atomic bool limited;	       /* the goal came from memlimit */
static _Atomic uint64_t nonheap_bytes; /* stacks + metadata at last GC */

/* parse_gogc mirrors readGOGC. */
int32_t parse_gogc(const char *v)
{
	if (v == NULL || *v == '\0')
		return 100;
	if (strcmp(v, "off") == 0)
		return -1;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n > INT32_MAX / 2) {
		fprintf(stderr,
			"runtime: RT_GOGC=\"%s\" is invalid (want an integer "
			"or \"off\"); using 100\n",
			v);
		return 100;
	}
	return n < 0 ? -1 : (int32_t)n;
}

/* parse_memlimit mirrors readGOMEMLIMIT / parseByteCount. */
uint64_t parse_memlimit(const char *v)
{
	if (v == NULL || *v == '\0' || strcmp(v, "off") == 0)
		return UINT64_MAX;
	static const struct {
		const char *suffix;
		uint64_t mul;
	} units[] = {{"TiB", 1ull << 40},
		     {"GiB", 1ull << 30},
		     {"MiB", 1ull << 20},
		     {"KiB", 1ull << 10},
		     {"B", 1},
		     {"", 1}};
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno == 0 && end != v && v[0] != '-') {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strcmp(end, units[i].suffix) != 0)
				continue;
			if (n > UINT64_MAX / units[i].mul)
				break;
			return n * units[i].mul;
		}
	}
	fprintf(stderr,
		"runtime: RT_MEMLIMIT=\"%s\" is invalid (want bytes with an "
		"optional KiB/MiB/GiB/TiB suffix, or \"off\"); using no "
		"limit\n",
		v);
	return UINT64_MAX;
}

/* heapgoal computes the goal for a live heap of marked bytes. */
static uint64_t heapgoal(uint64_t marked, bool *bylimit)
{
	uint64_t goal = UINT64_MAX;
	*bylimit = false;
	if (gcpercent >= 0) {
		goal = marked + marked / 100 * (uint64_t)gcpercent;
		uint64_t min = HEAP_MINIMUM / 100 * (uint64_t)gcpercent;
		if (goal < min)
			goal = min;
	}
	if (memlimit != UINT64_MAX) {
		uint64_t nonheap = atomic_load(&nonheap_bytes);
		uint64_t lg = memlimit > nonheap ? memlimit - nonheap : 0;
		lg -= lg / 20;
		uint64_t floor = marked + marked / 32 + (512 << 10);
		if (lg < floor)
			lg = floor;
		if (lg < goal) {
			goal = lg;
			*bylimit = true;
		}
	}
	return goal;
}

void pacer_init(void)
{
	gcpercent = parse_gogc(getenv("RT_GOGC"));
	memlimit = parse_memlimit(getenv("RT_MEMLIMIT"));
	atomic_store(&nonheap_bytes, atomic_load(&memstats.other_sys));
	pacer_commit(0);
}

/* pacer_commit sets the next goal and trigger from the marked heap;
 * called at mark termination. Mirrors gcControllerState.commit. */
void pacer_commit(uint64_t marked)
{
	bool bylimit;
	uint64_t goal = heapgoal(marked, &bylimit);
	atomic_store(&limited, bylimit);
	atomic_store(&memstats.next_gc, goal);
	atomic_store(&gc_trigger, goal);
}

/* pacer_set_nonheap records the runtime's non-heap memory for the limit;
 * called with the world stopped, before pacer_commit. */
void pacer_set_nonheap(uint64_t bytes)
{
	atomic_store(&nonheap_bytes, bytes);
}

enum rt_gc_reason pacer_trigger_reason(void)
{
	return atomic_load(&limited) ? RT_GC_MEMORY_LIMIT : RT_GC_HEAP_GOAL;
}

/* pacer_retained_goal mirrors gcPaceScavenger's two goals. */
uint64_t pacer_retained_goal(void)
{
	uint64_t goal = UINT64_MAX;
	uint64_t next = atomic_load(&memstats.next_gc);
	if (gcpercent >= 0 && next != UINT64_MAX)
		goal = next + next / 10;
	if (memlimit != UINT64_MAX) {
		uint64_t nonheap = atomic_load(&nonheap_bytes);
		uint64_t lg = memlimit > nonheap ? memlimit - nonheap : 0;
		lg -= lg / 20;
		if (lg < goal)
			goal = lg;
	}
	return goal;
}

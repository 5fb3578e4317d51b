/*
 * stack.c — goroutine stacks and the switch between G and g0; mirrors the
 * parts of runtime/stack.go and runtime/proc.go that librt needs.
 *
 * Go grows stacks by copying; C cannot move a stack (pointers into it are
 * everywhere), so librt gives each G a fixed-size stack (RT_STACK_SIZE, 64
 * KiB; 256 KiB under ASan, whose redzones are large, and TSan) with a guard
 * page below it, so an overflow faults instead of corrupting a neighbour.
 * Stacks are carved from chunks of RT_STACKS_PER_CHUNK to keep the number
 * of mmap calls low. Guard pages use MADV_GUARD_INSTALL (Linux >= 6.13),
 * which does not split the mapping: with mprotect each guard page costs
 * two VMAs and vm.max_map_count (65530) would cap us near 32,000 live
 * goroutines. On older kernels we fall back to mprotect.
 *
 * Stacks live with their G: a dead G keeps its stack on the free lists and
 * the next rt_go reuses both, its pages still mapped, as gfput/gfget do.
 * However many Gs die, none gives its stack back at exit: once per GC
 * cycle, markrootFreeGStacks (proc.c, as Go's in mgcmark.go) releases
 * the stacks of the Gs on the global free list — stackfree: their memory
 * goes back to the OS (MADV_DONTNEED) and their address range onto
 * stackpool here, for stackalloc to hand out again — while the Gs cached
 * on each P keep theirs. So a burst of goroutines pays the page faults
 * of first touch only on stacks new or released by a GC since, and its
 * stacks stay held until the next GC. (Go's stackfree does not return
 * the memory to the OS: the stack's span goes back to the heap, still
 * mapped, and the scavenger releases it later, paced; so in Go a burst
 * after a GC reuses warm pages, here it faults them in again.)
 *
 * stack_inuse_bytes counts every stack handed out by stackalloc and not
 * yet freed: those of live Gs and those dead Gs still hold, as Go's
 * StackInuse counts the stack spans of both; stackpool's released
 * ranges are not counted.
 *
 * A new stack is laid out so that the first switch to it "returns" into
 * rt_gotrampoline with the G pointer in r12 and rbp = 0: the frame-pointer
 * chain of every goroutine ends at its entry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime2.h"

#ifdef RT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define RT_STACK_SIZE (256 * 1024)
#elif defined(RT_TSAN)
/* TSan's interceptors and its report printer (symbolizing) run on the
 * goroutine's stack */
#define RT_STACK_SIZE (256 * 1024)
#else
#define RT_STACK_SIZE (64 * 1024)
#endif
#define RT_STACKS_PER_CHUNK 64

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static size_t pagesize;
static bool guard_by_madvise = true;
/* mprotect'ed guards made, allowed (stackinit), and stacks without one;
 * under stackpool.lock (install_guard) */
static uint64_t guarded, guard_budget, unguarded;

static _Atomic uint64_t nstacks; /* stacks handed out and not freed */

uint64_t stack_inuse_bytes(void)
{
	return atomic_load(&nstacks) * RT_STACK_SIZE;
}

static struct {
	rt_lock lock;
	uintptr_t *free; /* array of free stack bases (lo) */
	size_t nfree;
	size_t cap;
} stackpool;

void stackinit(void)
{
	const char *guard = getenv("RT_STACK_GUARD");

	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	unsigned long long maps = 65530; /* the kernel's default */

	pagesize = (size_t)sysconf(_SC_PAGESIZE);
	if (f) {
		if (fscanf(f, "%llu", &maps) != 1)
			maps = 65530;
		fclose(f);
	}
	/* two mappings per guarded stack, half the count in all */
	guard_budget = maps / 4;
	/* RT_STACK_GUARD=mprotect: the path of kernels before 6.13, for
	 * tests on newer ones */
	if (guard && strcmp(guard, "mprotect") == 0)
		guard_by_madvise = false;
}

/*
 * install_guard makes page fault on access. With mprotect (kernels before
 * 6.13) each guard splits the stacks' mapping: two mappings per stack, and
 * past vm.max_map_count (65530 by default: ~32,000 goroutines) every mmap
 * of the process fails, the heap's too. Go has no guard pages at all (its
 * prologues check the stack bound), so librt guards stacks with mprotect
 * only while they use at most half the map count, leaving the rest to the
 * heap and the libraries; stacks mapped past that have no guard, which is
 * said once and counted (stack_unguarded), rather than failing at a
 * goroutine count a Go program reaches easily.
 */
static void install_guard(void *page)
{
	if (guard_by_madvise) {
		if (madvise(page, pagesize, MADV_GUARD_INSTALL) == 0)
			return;
		if (errno != EINVAL)
			fatal("runtime: madvise(MADV_GUARD_INSTALL): %s",
			      strerror(errno));
		guard_by_madvise = false; /* kernel older than 6.13 */
	}
	if (guarded < guard_budget) {
		if (mprotect(page, pagesize, PROT_NONE) == 0) {
			guarded++;
			return;
		}
		if (errno != ENOMEM)
			fatal("runtime: cannot protect stack guard page: %s",
			      strerror(errno));
		guard_budget = guarded; /* the map count ran out sooner */
	}
	if (unguarded++ == 0)
		fprintf(stderr,
			"runtime: %llu goroutine stacks guarded with mprotect, "
			"half of vm.max_map_count: the next have no guard page "
			"(raise vm.max_map_count, or use Linux >= 6.13)\n",
			(unsigned long long)guarded);
}

uint64_t stack_unguarded(void)
{
	return unguarded;
}

/* stackpool_refill maps a chunk of stacks and adds them to the pool. */
static void stackpool_refill(void)
{
	size_t span = pagesize + RT_STACK_SIZE;
	size_t len = span * RT_STACKS_PER_CHUNK;
	char *base = mmap(
	    NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		fatal("runtime: cannot allocate goroutine stack (%zu bytes): "
		      "%s",
		      len, strerror(errno));
	if (stackpool.nfree + RT_STACKS_PER_CHUNK > stackpool.cap) {
		size_t ncap = stackpool.cap ? stackpool.cap * 2 : 1024;
		while (ncap < stackpool.nfree + RT_STACKS_PER_CHUNK)
			ncap *= 2;
		uintptr_t *n = realloc(stackpool.free, ncap * sizeof(*n));
		if (n == NULL)
			fatal("runtime: out of memory for the stack pool");
		stackpool.free = n;
		stackpool.cap = ncap;
	}
	/* push in reverse so stacks are handed out in address order */
	for (int i = RT_STACKS_PER_CHUNK - 1; i >= 0; i--) {
		char *guard = base + (size_t)i * span;
		install_guard(guard);
		stackpool.free[stackpool.nfree++] =
		    (uintptr_t)(guard + pagesize);
	}
}

/* stackalloc gives gp a stack from the pool; mirrors stackalloc. */
bool stackalloc(struct g *gp)
{
	lock(&stackpool.lock);
	if (stackpool.nfree == 0)
		stackpool_refill();
	uintptr_t lo = stackpool.free[--stackpool.nfree];
	unlock(&stackpool.lock);
	gp->stack_lo = lo;
	gp->stack_hi = lo + RT_STACK_SIZE;
	atomic_fetch_add(&nstacks, 1);
#ifdef RT_TSAN
	/* a G's fiber lives as long as the G (race.h); stackfree keeps it */
	if (gp->tsan_fiber == NULL)
		gp->tsan_fiber = __tsan_create_fiber(0);
#endif
	return true;
}

/* stackfree returns gp's stack to the pool and its memory to the OS;
 * called for dead Gs by markrootFreeGStacks only. */
void stackfree(struct g *gp)
{
	if (gp->stack_lo == 0)
		return;
	stack_unpoison(gp);
	madvise((void *)gp->stack_lo, RT_STACK_SIZE, MADV_DONTNEED);
	lock(&stackpool.lock);
	if (stackpool.nfree == stackpool.cap) {
		size_t ncap = stackpool.cap ? stackpool.cap * 2 : 1024;
		uintptr_t *n = realloc(stackpool.free, ncap * sizeof(*n));
		if (n == NULL)
			fatal("runtime: out of memory for the stack pool");
		stackpool.free = n;
		stackpool.cap = ncap;
	}
	stackpool.free[stackpool.nfree++] = gp->stack_lo;
	unlock(&stackpool.lock);
	gp->stack_lo = gp->stack_hi = 0;
	atomic_fetch_sub(&nstacks, 1);
}

/*
 * gostartcall prepares gp's stack so that switching to it enters
 * rt_gotrampoline; mirrors gostartcallfn. The frame rt_swapcontext pops:
 *   sp+0  mxcsr, x87 cw   sp+8 r15  sp+16 r14  sp+24 r13  sp+32 r12 = gp
 *   sp+40 rbx             sp+48 rbp = 0         sp+56 return = trampoline
 * and above it 16 zero bytes, so after the ret %rsp is 16-byte aligned as
 * the trampoline's call requires.
 */
void gostartcall(struct g *gp)
{
	uintptr_t top = gp->stack_hi & ~(uintptr_t)15;
	uint64_t *sp = (uint64_t *)(top - 80);
	uint32_t mxcsr;
	uint16_t fpucw;
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(fpucw));
	sp[0] = (uint64_t)mxcsr | ((uint64_t)fpucw << 32);
	sp[1] = 0;			 /* r15 */
	sp[2] = 0;			 /* r14 */
	sp[3] = 0;			 /* r13 */
	sp[4] = (uint64_t)(uintptr_t)gp; /* r12 */
	sp[5] = 0;			 /* rbx */
	sp[6] = 0;			 /* rbp: ends the frame chain */
	sp[7] = (uint64_t)(uintptr_t)rt_gotrampoline;
	sp[8] = 0;
	sp[9] = 0;
	gp->sched.sp = sp;
}

/*
 * The ASan fiber protocol: announce the stack we are about to run on
 * before a switch, confirm after arriving. A G that exits passes NULL so
 * ASan frees its fake stack.
 */
#ifdef RT_ASAN
void switch_to_g(struct m *mp, struct g *gp)
{
	__sanitizer_start_switch_fiber(&mp->asan_fake_stack,
				       (const void *)gp->stack_lo,
				       gp->stack_hi - gp->stack_lo);
	rt_swapcontext(&mp->g0buf, &gp->sched);
	__sanitizer_finish_switch_fiber(mp->asan_fake_stack, NULL, NULL);
}

void switch_to_g0(struct m *mp, struct g *gp, bool exiting)
{
	__sanitizer_start_switch_fiber(exiting ? NULL : &gp->asan_fake_stack,
				       mp->g0_stack_lo, mp->g0_stack_size);
	rt_swapcontext(&gp->sched, &mp->g0buf);
	/* resumed, possibly on another M */
	__sanitizer_finish_switch_fiber(gp->asan_fake_stack, NULL, NULL);
}

void fiber_entered(struct g *gp)
{
	__sanitizer_finish_switch_fiber(gp->asan_fake_stack, NULL, NULL);
}

/*
 * shadow_clear_if_set unpoisons [lo, hi) unless its shadow is already all
 * zero: reading untouched shadow maps the zero page, writing it would not.
 * Not instrumented: the shadow of the shadow is ASan's unmapped gap.
 */
__attribute__((no_sanitize_address)) static void
shadow_clear_if_set(uintptr_t lo, uintptr_t hi, size_t scale, size_t offset)
{
	const unsigned char *s =
	    (const unsigned char *)((lo >> scale) + offset);
	const unsigned char *e =
	    (const unsigned char *)((hi >> scale) + offset);
	for (; s < e; s++)
		if (*s != 0) {
			ASAN_UNPOISON_MEMORY_REGION((void *)lo, hi - lo);
			return;
		}
}

/*
 * stack_unpoison clears the ASan shadow of gp's stack (the redzones of
 * frames that ran on it) before the stack is reused or released.
 * ASAN_UNPOISON_MEMORY_REGION writes every shadow byte: 32 KiB of shadow
 * per 256 KiB stack, touched even where no frame ever ran, so releasing
 * the stacks of 1,000,000 dead goroutines (markrootFreeGStacks) faulted in
 * 32 GiB of shadow and the OOM killer ended the process (test_stress's
 * goroutines case under ASan). Instead the shadow pages wholly inside the
 * stack's shadow are dropped (MADV_DONTNEED: zero shadow, addressable —
 * as ASan's own ClearShadowMemoryForContextStack does), and the partial
 * pages at either end are only written if some byte is set.
 */
void stack_unpoison(struct g *gp)
{
	size_t scale, offset;
	uintptr_t lo = gp->stack_lo, hi = gp->stack_hi;

	if (lo == 0)
		return;
	__asan_get_shadow_mapping(&scale, &offset);
	uintptr_t slo = (lo >> scale) + offset, shi = (hi >> scale) + offset;
	uintptr_t plo = (slo + pagesize - 1) & ~(uintptr_t)(pagesize - 1);
	uintptr_t phi = shi & ~(uintptr_t)(pagesize - 1);
	if (plo >= phi) {
		shadow_clear_if_set(lo, hi, scale, offset);
		return;
	}
	if (madvise((void *)plo, phi - plo, MADV_DONTNEED) != 0)
		fatal("runtime: madvise(MADV_DONTNEED) of stack shadow: %s",
		      strerror(errno));
	shadow_clear_if_set(lo, ((plo - offset) << scale), scale, offset);
	shadow_clear_if_set(((phi - offset) << scale), hi, scale, offset);
}
#elif defined(RT_TSAN)
/*
 * The TSan fiber protocol (race.h): name the fiber about to run right
 * before the switch. Flags 0: the switch synchronizes the two fibers.
 * Neither function is instrumented, so the exiting G's last switch_to_g0
 * (and its caller mcall) leaves nothing on the G's shadow call stack.
 */
RT_NO_TSAN void switch_to_g(struct m *mp, struct g *gp)
{
	__tsan_switch_to_fiber(gp->tsan_fiber, 0);
	rt_swapcontext(&mp->g0buf, &gp->sched);
}

RT_NO_TSAN void switch_to_g0(struct m *mp, struct g *gp, bool exiting)
{
	(void)exiting;
	__tsan_switch_to_fiber(mp->tsan_fiber, 0);
	rt_swapcontext(&gp->sched, &mp->g0buf);
}

void fiber_entered(struct g *gp)
{
	(void)gp;
}

void stack_unpoison(struct g *gp)
{
	(void)gp;
}
#else
void switch_to_g(struct m *mp, struct g *gp)
{
	rt_swapcontext(&mp->g0buf, &gp->sched);
}

void switch_to_g0(struct m *mp, struct g *gp, bool exiting)
{
	(void)exiting;
	rt_swapcontext(&gp->sched, &mp->g0buf);
}

void fiber_entered(struct g *gp)
{
	(void)gp;
}

void stack_unpoison(struct g *gp)
{
	(void)gp;
}
#endif

/* fiber_m_init records mp's g0 fiber: the thread's own (TSan only). */
void fiber_m_init(struct m *mp)
{
#ifdef RT_TSAN
	mp->tsan_fiber = __tsan_get_current_fiber();
#else
	(void)mp;
#endif
}

/* fiber_named names gp's fiber after its goid, for TSan's reports. */
void fiber_named(struct g *gp)
{
#ifdef RT_TSAN
	char name[32];
	snprintf(name, sizeof(name), "goroutine %" PRIu64, gp->goid);
	__tsan_set_fiber_name(gp->tsan_fiber, name);
#else
	(void)gp;
#endif
}

/*
 * stack.c — goroutine stacks and the switch between G and g0; mirrors the
 * parts of runtime/stack.go and runtime/proc.go that librt needs.
 *
 * Go grows stacks by copying; C cannot move a stack (pointers into it are
 * everywhere), so librt gives each G a fixed-size stack (RT_STACK_SIZE, 64
 * KiB; 256 KiB under ASan, whose redzones are large) with a guard page
 * below it, so an overflow faults instead of corrupting a neighbour.
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
#else
#define RT_STACK_SIZE (64 * 1024)
#endif
#define RT_STACKS_PER_CHUNK 64

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static size_t pagesize;
static bool guard_by_madvise = true;

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
	pagesize = (size_t)sysconf(_SC_PAGESIZE);
}

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
	if (mprotect(page, pagesize, PROT_NONE) != 0)
		fatal("runtime: cannot protect stack guard page: %s",
		      strerror(errno));
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

void stack_unpoison(struct g *gp)
{
	if (gp->stack_lo)
		ASAN_UNPOISON_MEMORY_REGION((void *)gp->stack_lo,
					    gp->stack_hi - gp->stack_lo);
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

/*
 * preempt.c — asynchronous preemption by signal; mirrors runtime/preempt.go
 * and the SIGURG half of runtime/signal_unix.go.
 *
 * sysmon marks a goroutine that has run for 10 ms (gp->preempt) and sends
 * its thread a SIGURG, as Go does. A goroutine that reaches a runtime entry
 * first yields there (cooperative preemption, rt_preempt_check). One that
 * spins in a loop that never calls the runtime is stopped by the signal
 * handler, which switches to the scheduler straight from the signal frame;
 * when the goroutine is resumed — perhaps on another thread — the handler
 * returns and sigreturn restores every register.
 *
 * Go knows which instructions are safe points from compiler metadata. C has
 * none, so the safe region is decided by where the thread was interrupted:
 *
 *   - the program counter is in the main executable's text and outside
 *     librt's own code (section rt_text: the Makefile moves all of librt's
 *     .text there). Code in shared libraries is never preempted: libc may
 *     hold an internal lock (malloc's arena lock, stdio's FILE lock) that
 *     another goroutine on the same thread would then deadlock on;
 *   - the stack pointer is on the goroutine's own stack (not on g0, and
 *     not inside a callback the scheduler runs there);
 *   - the M holds a P and no runtime lock (m->locks == 0) and the G is
 *     _Grunning (not in a system call).
 *
 * Everything else is left to cooperative preemption; sysmon asks again on
 * its next tick. errno is saved by the handler and restored after the
 * goroutine resumes, so it follows the goroutine to its new thread. Code
 * running on goroutines must not hold the address of a thread-local
 * variable across a preemption point (any instruction, here) — the same
 * rule as for any goroutine switch, since the goroutine may move threads.
 */
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime2.h"

extern char __start_rt_text[];
extern char __stop_rt_text[];

static uintptr_t exe_text_lo, exe_text_hi;

/* find_exe_text records the executable segment of the main program. */
static int find_exe_text(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		uintptr_t hi = lo + ph->p_memsz;
		if ((uintptr_t)__start_rt_text >= lo &&
		    (uintptr_t)__start_rt_text < hi) {
			exe_text_lo = lo;
			exe_text_hi = hi;
			return 1;
		}
	}
	return 0;
}

/* is_async_safe_point mirrors isAsyncSafePoint for C code. */
static bool is_async_safe_point(struct m *mp, struct g *gp, uintptr_t pc,
				uintptr_t sp)
{
	if (mp->p == NULL || mp->locks != 0 || mp->mcall_fn != NULL)
		return false;
	if (readgstatus(gp) != G_RUNNING)
		return false;
	/* on gp's own stack, with room for the switch */
	if (sp < gp->stack_lo + 4096 || sp >= gp->stack_hi)
		return false;
	if (pc < exe_text_lo || pc >= exe_text_hi)
		return false;
	if (pc >= (uintptr_t)__start_rt_text && pc < (uintptr_t)__stop_rt_text)
		return false;
	return true;
}

static void sigurg_handler(int sig, siginfo_t *info, void *ctx)
{
	(void)sig;
	(void)info;
	int saved_errno = errno;
	struct m *mp = getm();
	if (mp == NULL || mp->curg == NULL)
		goto out;
	struct g *gp = mp->curg;
	if (!atomic_load_explicit(&gp->preempt, memory_order_relaxed))
		goto out;
	ucontext_t *uc = ctx;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	if (!is_async_safe_point(mp, gp, pc, sp))
		goto out;
	atomic_store_explicit(&gp->preempt, false, memory_order_relaxed);
	atomic_fetch_add(&rt_counters.preempt_async, 1);
	RT_PROBE2(gopreempt, gp->goid, 2);
	/* The scheduler must not run with SIGURG blocked (the kernel blocks
	 * it during its handler); sigreturn restores the interrupted mask
	 * when this goroutine resumes, wherever that is. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGURG);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	mcall(gopreempt_m);
out:
	errno = saved_errno;
}

void preemptinit(void)
{
	dl_iterate_phdr(find_exe_text, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigurg_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGURG, &sa, NULL) != 0)
		fatal("runtime: cannot install the SIGURG handler: %s",
		      strerror(errno));
}

/* preemptM asks mp to preempt its current G asynchronously. */
void preemptM(struct m *mp)
{
	pid_t tid = __atomic_load_n(&mp->procid, __ATOMIC_RELAXED);
	if (tid > 0)
		syscall(SYS_tgkill, getpid(), tid, SIGURG);
}

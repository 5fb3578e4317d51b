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
 *   - the program counter is in the main executable's .text section, which
 *     excludes librt's own code (the Makefile moves all of it to section
 *     rt_text) and the PLT stubs librt calls out through. Code in shared
 *     libraries is never preempted: libc may hold an internal lock
 *     (malloc's arena lock, stdio's FILE lock) that another goroutine on
 *     the same thread would then deadlock on;
 *   - the stack pointer is on the goroutine's own stack (not on g0, and
 *     not inside a callback the scheduler runs there);
 *   - the M holds a P and no runtime lock (m->locks == 0) and the G is
 *     _Grunning (not in a system call).
 *
 * The handler runs on the interrupted stack (no SA_ONSTACK), so the
 * signal frame belongs to the goroutine and travels with it.
 *
 * Everything else is left to cooperative preemption; sysmon asks again on
 * its next tick. errno is saved by the handler and restored after the
 * goroutine resumes, so it follows the goroutine to its new thread. Code
 * running on goroutines must not hold the address of a thread-local
 * variable across a preemption point (any instruction, here) — the same
 * rule as for any goroutine switch, since the goroutine may move threads.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime2.h"

extern char __start_rt_text[];
extern char __stop_rt_text[];

/* The main executable's .text section; empty until preemptinit. */
static uintptr_t exe_text_lo, exe_text_hi;

/* find_load_bias finds the load address of the object holding librt. */
static int find_load_bias(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if ((uintptr_t)__start_rt_text >= lo &&
		    (uintptr_t)__start_rt_text < lo + ph->p_memsz) {
			*(uintptr_t *)data = info->dlpi_addr;
			return 1;
		}
	}
	return 0;
}

static bool read_at(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len;
}

/*
 * find_text_section reads the executable's section headers for the bounds
 * of .text. The whole executable segment is not enough: it also holds the
 * PLT stubs through which librt calls libc and ASan, and .init/.fini;
 * stopping a goroutine in a PLT stub called from the middle of a goroutine
 * switch would switch again inside the switch.
 */
static bool find_text_section(uintptr_t bias)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool found = false;
	ElfW(Ehdr) eh;
	if (!read_at(fd, &eh, sizeof(eh), 0) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_shentsize != sizeof(ElfW(Shdr)) || eh.e_shstrndx >= eh.e_shnum)
		goto out;
	ElfW(Shdr) strsh;
	if (!read_at(fd, &strsh, sizeof(strsh),
		     (off_t)(eh.e_shoff + eh.e_shstrndx * sizeof(ElfW(Shdr)))))
		goto out;
	for (int i = 0; i < eh.e_shnum && !found; i++) {
		ElfW(Shdr) sh;
		char name[8];
		if (!read_at(fd, &sh, sizeof(sh),
			     (off_t)(eh.e_shoff + i * sizeof(ElfW(Shdr)))) ||
		    sh.sh_name >= strsh.sh_size ||
		    !read_at(fd, name, sizeof(name),
			     (off_t)(strsh.sh_offset + sh.sh_name)))
			continue;
		if (memcmp(name, ".text", 6) != 0)
			continue;
		exe_text_lo = bias + sh.sh_addr;
		exe_text_hi = exe_text_lo + sh.sh_size;
		found = true;
	}
out:
	close(fd);
	return found;
}

/* is_async_safe_point mirrors isAsyncSafePoint for C code. */
static RT_NO_TSAN bool is_async_safe_point(struct m *mp, struct g *gp,
					   uintptr_t pc, uintptr_t sp)
{
	if (mp->p == NULL || mp->locks != 0 || mp->preemptoff != 0 ||
	    mp->mcall_fn != NULL)
		return false;
	if (readgstatus(gp) != G_RUNNING)
		return false;
	/* on gp's own stack, with room for the switch */
	if (sp < gp->stack_lo + 4096 || sp >= gp->stack_hi)
		return false;
	if (pc < exe_text_lo || pc >= exe_text_hi)
		return false;
	return true;
}

/*
 * sigurg_handler stops the interrupted goroutine if it is at a safe point.
 * Not instrumented by TSan: under TSan it is called by the kernel straight
 * (see install_sigurg_handler), possibly in the middle of TSan's own code,
 * which must not be re-entered. Once the safe-point check has put us in
 * the program's .text, between two of TSan's calls, the instrumented
 * functions it calls (pthread_sigmask's interceptor, mcall's callees) are
 * safe to run.
 */
static RT_NO_TSAN void sigurg_handler(int sig, siginfo_t *info, void *ctx)
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

/*
 * install_sigurg_handler installs sa for SIGURG. Under TSan it goes past
 * TSan's sigaction interceptor, to libc's own: TSan runs the handlers it
 * knows of late — an asynchronous signal is held until the thread's next
 * intercepted call, and the handler gets a copy of the ucontext from when
 * the signal came. Its pc is then no longer where the thread is, and a
 * goroutine judged at a safe point would be stopped inside the runtime
 * (say in a lock's futex call), and a loop that never calls libc would
 * never be stopped at all.
 */
static int install_sigurg_handler(const struct sigaction *sa)
{
#ifdef RT_TSAN
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	int (*libc_sigaction)(int, const struct sigaction *,
			      struct sigaction *) =
	    libc != NULL ? dlsym(libc, "sigaction") : NULL;
	if (libc_sigaction == NULL)
		fatal("runtime: cannot find libc's sigaction to install the "
		      "SIGURG handler under TSan: %s",
		      dlerror());
	return libc_sigaction(SIGURG, sa, NULL);
#else
	return sigaction(SIGURG, sa, NULL);
#endif
}

void preemptinit(void)
{
	uintptr_t bias = 0;
	if (dl_iterate_phdr(find_load_bias, &bias) == 0 ||
	    !find_text_section(bias)) {
		fprintf(stderr, "runtime: cannot find the program's .text in "
				"/proc/self/exe; asynchronous preemption is "
				"off (cooperative preemption still works)\n");
	} else if ((uintptr_t)__start_rt_text < exe_text_hi &&
		   (uintptr_t)__stop_rt_text > exe_text_lo) {
		/* librt was built without moving its code to rt_text */
		exe_text_lo = exe_text_hi = 0;
		fprintf(stderr, "runtime: librt's code is inside .text (built "
				"without the rt_text rename?); asynchronous "
				"preemption is off\n");
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigurg_handler;
	/* No SA_ONSTACK: the frame must land on the goroutine's own stack,
	 * which the goroutine takes with it when it is switched out inside
	 * the handler. On a thread's alternate signal stack (ASan installs
	 * one on every thread) a second preemption on that thread would
	 * overwrite the first goroutine's frame. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (install_sigurg_handler(&sa) != 0)
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

/*
 * probes.h — every USDT probe of librt, declared once.
 *
 * A probe site is a standard SystemTap SDT note (section .note.stapsdt,
 * provider "rt") so libbpf, bpftrace, perf and bcc find it, over a 5-byte
 * nop emitted as raw bytes 0f 1f 44 00 00: the assembler would shrink the
 * mnemonic, and Linux >= 6.16 turns a 5-byte nop into a call to a uprobe
 * trampoline instead of an int3 trap, about half the cost. That call pushes
 * a return address below %rsp, so every file that includes this header is
 * built with -mno-red-zone (the Makefile does it for runtime/).
 *
 * Each probe has a semaphore in section .probes that the kernel increments
 * while a uprobe is attached, so an unattached site costs one load and a
 * predictable branch, and its arguments are not even computed.
 *
 * librt also counts every probe site it passes, attached or not, in a
 * per-M array; rt_probe_count() sums them and RT_STATS=1 prints them at
 * exit. Tools check their totals against these.
 *
 * Every argument is passed as an unsigned 64-bit value ("8@%reg").
 */
#ifndef RT_PROBES_H
#define RT_PROBES_H

#include <stdint.h>

/*
 * X(name, nargs, "argument names") — the argument names document the probe
 * and are what `rttrace` prints; keep them in sync with the RT_PROBEn calls.
 */
#define RT_PROBE_LIST(X)                                                   \
	X(newproc, 4, "goid creator_goid entry_pc n")                      \
	X(gostart, 5, "goid p tid runnable_ns(0=untimed) n")               \
	X(goend, 2, "goid n")                                              \
	X(gopark, 3, "goid wait_reason n")                                 \
	X(goready, 5, "goid by_goid wait_reason parked_ns(0=untimed) n")   \
	X(gosched, 2, "goid n")                                            \
	X(gopreempt, 3, "goid kind(1=cooperative,2=async) n")              \
	X(lockosthread, 3, "goid locked(1=lock,0=unlock) n")               \
	X(entersyscall, 3, "goid p n")                                     \
	X(exitsyscall, 3, "goid fast(1=kept or reacquired a P at once) n") \
	X(mallocgc, 5, "size sizeclass(0=large) noscan goid n")            \
	X(heap_grow, 3, "bytes heap_sys n")                                \
	X(scavenge, 3, "bytes_released heap_released n")                   \
	X(gc_start, 4, "cycle reason(enum rt_gc_reason) heap_live n")      \
	X(gc_mark_done, 3, "cycle marked_bytes n")                         \
	X(gc_done, 4, "cycle heap_live next_gc n")                         \
	X(sweep, 3, "npages objects_freed n")                              \
	X(stw_start, 2, "reason(enum rt_stw_reason) n")                    \
	X(stw_done, 3, "reason pause_ns n")                                \
	X(convT, 3, "kind(1=T64,2=Tstring,3=Tslice) allocated(0/1) n")     \
	X(pool_get, 2,                                                     \
	  "result(0=private,1=shared,2=stolen,3=victim,4=miss/new) n")     \
	X(pool_put, 2, "where(0=private,1=shared) n")                      \
	X(finalizer_run, 2, "obj n")                                       \
	X(chansend, 6, "chan elemsize buffered blocked_ns goid n")         \
	X(chanrecv, 6,                                                     \
	  "chan elemsize flags(1=buffered,2=closed) blocked_ns goid n")    \
	X(chanclose, 3, "chan goid n")                                     \
	X(selectgo, 4, "ncases has_default goid n")                        \
	X(selectgo_ret, 4, "chosen(-1=default) blocked_ns goid n")         \
	X(addtimer, 4, "when heaplen p n")                                 \
	X(deltimer, 4, "when heaplen p n")                                 \
	X(modtimer, 4, "when heaplen p n")                                 \
	X(runtimer, 4, "lateness_ns heaplen p n")                          \
	X(deferproc, 3, "goid kind(0=pooled,1=allocated,2=open-coded) n")  \
	X(deferreturn, 3, "goid calls_run n")                              \
	X(gopanic, 3, "goid runtime_error(0/1) n")                         \
	X(gorecover, 2, "goid n")                                          \
	X(gcount, 2, "result n")                                           \
	X(probe_flush, 2, "probe(enum rt_probe_id) n")

enum rt_probe_id {
#define RT_PROBE_ENUM(name, nargs, doc) RT_PROBE_ID_##name,
	RT_PROBE_LIST(RT_PROBE_ENUM)
#undef RT_PROBE_ENUM
	    RT_PROBE_NUM
};

#define RT_PROBE_SEMA_DECL(name, nargs, doc) \
	extern volatile unsigned short rt_##name##_semaphore;
RT_PROBE_LIST(RT_PROBE_SEMA_DECL)
#undef RT_PROBE_SEMA_DECL

extern const char *const rt_probe_names[RT_PROBE_NUM];

/* Increments this M's count for a probe site; defined in proc.c. */
void rt_probe_hit(enum rt_probe_id id);
#ifndef RT_PROBE_HIT
#define RT_PROBE_HIT(id) rt_probe_hit(id)
#endif

/*
 * The site's nop. RT_PROBE_SITE_NOP1 (-D, a build of its own: make's
 * $(OUT)/nop1 tree) makes it the 1-byte nop of sys/sdt.h, which the kernel
 * can only trap with int3 and single-step or emulate, as on kernels without
 * the trampoline: tests/integration/test_probe_paths.c and
 * scripts/bench-probe.sh keep that path working and measured.
 */
#ifdef RT_PROBE_SITE_NOP1
#define RT_PROBE_NOP "990: .byte 0x90\n"
#else
#define RT_PROBE_NOP "990: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
#endif

/*
 * The note, as sys/sdt.h lays it out: pc of the site, the link-time address
 * of _.stapsdt.base (for prelink adjustment), the semaphore, provider, name,
 * argument string.
 */
#define RT_PROBE_NOTE(name, args)                                           \
	RT_PROBE_NOP                                                        \
	".pushsection .note.stapsdt, \"?\", \"note\"\n"                     \
	".balign 4\n"                                                       \
	".4byte 992f-991f, 994f-993f, 3\n"                                  \
	"991: .asciz \"stapsdt\"\n"                                         \
	"992: .balign 4\n"                                                  \
	"993: .8byte 990b\n"                                                \
	".8byte _.stapsdt.base\n"                                           \
	".8byte rt_" #name "_semaphore\n"                                   \
	".asciz \"rt\"\n"                                                   \
	".asciz \"" #name "\"\n"                                            \
	".asciz \"" args "\"\n"                                             \
	"994: .balign 4\n"                                                  \
	".popsection\n"                                                     \
	".ifndef _.stapsdt.base\n"                                          \
	".pushsection .stapsdt.base, \"aG\", \"progbits\", .stapsdt.base, " \
	"comdat\n"                                                          \
	".weak _.stapsdt.base\n"                                            \
	".hidden _.stapsdt.base\n"                                          \
	"_.stapsdt.base: .space 1\n"                                        \
	".size _.stapsdt.base, 1\n"                                         \
	".popsection\n"                                                     \
	".endif\n"

#define RT_PROBE_ACTIVE(name) __builtin_expect(rt_##name##_semaphore != 0, 0)

/*
 * Sampling. Every probe's last argument, n, is the number of events its
 * firing stands for: 1 when every hit fires, more when librt fires a
 * high-frequency probe once per about rt_probe_sample_period[id] events
 * (a tracer writes the periods into the process). A tracer adding n keeps
 * exact totals while the rest of what it records becomes a 1-in-N sample.
 * Events not yet reported by a firing are reported by rt:probe_flush when
 * the program ends (rt_main's return), so a trace from start to exit adds
 * up to librt's own counts.
 *
 * RT_PROBE_TAKE(id) is librt's decision for an active site: 0 to stay
 * silent, else n. Paired probes follow a decision made earlier for the
 * same goroutine (RT_PROBE_TAKE_G, modes below): a sampled gopark makes
 * its goready and gostart fire, so a tracer that pairs them still sees
 * whole episodes. Code that includes this header outside librt fires
 * every hit with n = 1.
 */
enum rt_probe_g_mode {
	RT_PROBE_G_OPEN,   /* decide, and mark gp with bit when firing */
	RT_PROBE_G_FOLLOW, /* fire when gp is marked (or not sampling) */
	RT_PROBE_G_CLOSE,  /* FOLLOW, then clear the mark */
};
/* the marks on a goroutine, one per kind of episode */
#define RT_PROBE_G_SCHED  1u /* gopark/newproc -> goready -> gostart */
#define RT_PROBE_G_SELECT 2u /* selectgo -> selectgo_ret */

#ifndef RT_PROBE_TAKE
#define RT_PROBE_TAKE(id) ((uint64_t)1)
#endif
#ifndef RT_PROBE_TAKE_G
#define RT_PROBE_TAKE_G(id, gp, bit, mode) ((void)(gp), (uint64_t)1)
#endif

#ifdef RT_NO_PROBES
/*
 * make PROBES=0: no probe sites and no semaphore checks; librt still counts
 * the sites it passes, so RT_STATS and the tests work the same. This is the
 * baseline for "what do unattached probes cost".
 */
#define RT_PROBE_SITE(name, take, nargs, ...)                                 \
	do {                                                                  \
		RT_PROBE_HIT(RT_PROBE_ID_##name);                             \
		if (0) { /* uses, never evaluates, the arguments */           \
			const uint64_t rt_pv_[nargs] = {__VA_ARGS__, (take)}; \
			(void)rt_pv_;                                         \
		}                                                             \
	} while (0)
#else
/*
 * The arguments sit in fixed registers, the SysV argument registers in
 * order (rdi, rsi, rdx, rcx, r8, r9), so every site of a probe has the
 * same argument spec and a BPF program reads them straight from pt_regs
 * (PT_REGS_PARM1...), with no per-site spec lookup. The values are
 * computed first and only then bound to registers: a call while binding
 * would clobber them. The binding happens inside the semaphore's branch,
 * so an unattached site pays nothing for it.
 */
#define RT_PROBE_REG0 "rdi"
#define RT_PROBE_REG1 "rsi"
#define RT_PROBE_REG2 "rdx"
#define RT_PROBE_REG3 "rcx"
#define RT_PROBE_REG4 "r8"
#define RT_PROBE_REG5 "r9"
#define RT_PROBE_BIND(i, v) \
	register uint64_t rt_pr##i##_ __asm__(RT_PROBE_REG##i) = (v)

#define RT_PROBE_EMIT2(name, v)                                             \
	do {                                                                \
		RT_PROBE_BIND(0, v[0]);                                     \
		RT_PROBE_BIND(1, v[1]);                                     \
		__asm__ __volatile__(RT_PROBE_NOTE(name, "8@%%rdi 8@%%rsi") \
				     :                                      \
				     : "r"(rt_pr0_), "r"(rt_pr1_));         \
	} while (0)
#define RT_PROBE_EMIT3(name, v)                                    \
	do {                                                       \
		RT_PROBE_BIND(0, v[0]);                            \
		RT_PROBE_BIND(1, v[1]);                            \
		RT_PROBE_BIND(2, v[2]);                            \
		__asm__ __volatile__(                              \
		    RT_PROBE_NOTE(name, "8@%%rdi 8@%%rsi 8@%%rdx") \
		    :                                              \
		    : "r"(rt_pr0_), "r"(rt_pr1_), "r"(rt_pr2_));   \
	} while (0)
#define RT_PROBE_EMIT4(name, v)                                                \
	do {                                                                   \
		RT_PROBE_BIND(0, v[0]);                                        \
		RT_PROBE_BIND(1, v[1]);                                        \
		RT_PROBE_BIND(2, v[2]);                                        \
		RT_PROBE_BIND(3, v[3]);                                        \
		__asm__ __volatile__(                                          \
		    RT_PROBE_NOTE(name, "8@%%rdi 8@%%rsi 8@%%rdx 8@%%rcx")     \
		    :                                                          \
		    : "r"(rt_pr0_), "r"(rt_pr1_), "r"(rt_pr2_), "r"(rt_pr3_)); \
	} while (0)
#define RT_PROBE_EMIT5(name, v)                                               \
	do {                                                                  \
		RT_PROBE_BIND(0, v[0]);                                       \
		RT_PROBE_BIND(1, v[1]);                                       \
		RT_PROBE_BIND(2, v[2]);                                       \
		RT_PROBE_BIND(3, v[3]);                                       \
		RT_PROBE_BIND(4, v[4]);                                       \
		__asm__ __volatile__(                                         \
		    RT_PROBE_NOTE(name,                                       \
				  "8@%%rdi 8@%%rsi 8@%%rdx 8@%%rcx 8@%%r8")   \
		    :                                                         \
		    : "r"(rt_pr0_), "r"(rt_pr1_), "r"(rt_pr2_), "r"(rt_pr3_), \
		      "r"(rt_pr4_));                                          \
	} while (0)
#define RT_PROBE_EMIT6(name, v)                                               \
	do {                                                                  \
		RT_PROBE_BIND(0, v[0]);                                       \
		RT_PROBE_BIND(1, v[1]);                                       \
		RT_PROBE_BIND(2, v[2]);                                       \
		RT_PROBE_BIND(3, v[3]);                                       \
		RT_PROBE_BIND(4, v[4]);                                       \
		RT_PROBE_BIND(5, v[5]);                                       \
		__asm__ __volatile__(                                         \
		    RT_PROBE_NOTE(name, "8@%%rdi 8@%%rsi 8@%%rdx 8@%%rcx "    \
					"8@%%r8 8@%%r9")                      \
		    :                                                         \
		    : "r"(rt_pr0_), "r"(rt_pr1_), "r"(rt_pr2_), "r"(rt_pr3_), \
		      "r"(rt_pr4_), "r"(rt_pr5_));                            \
	} while (0)

/*
 * RT_PROBE_SITE counts the site, and when a tracer is attached asks take
 * whether to fire; the values (the probe's arguments, then n) are
 * computed only then. nargs counts n.
 */
#define RT_PROBE_SITE(name, take, nargs, ...)                                \
	do {                                                                 \
		RT_PROBE_HIT(RT_PROBE_ID_##name);                            \
		if (RT_PROBE_ACTIVE(name)) {                                 \
			uint64_t rt_pn_ = (take);                            \
			if (rt_pn_) {                                        \
				const uint64_t rt_pv_[nargs] = {__VA_ARGS__, \
								rt_pn_};     \
				RT_PROBE_EMIT##nargs(name, rt_pv_);          \
			}                                                    \
		}                                                            \
	} while (0)
#endif /* RT_NO_PROBES */

/* RT_PROBEk(name, k arguments): the probe fires with them and n. */
#define RT_PROBE1(name, x0)                                       \
	RT_PROBE_SITE(name, RT_PROBE_TAKE(RT_PROBE_ID_##name), 2, \
		      (uint64_t)(x0))
#define RT_PROBE2(name, x0, x1)                                   \
	RT_PROBE_SITE(name, RT_PROBE_TAKE(RT_PROBE_ID_##name), 3, \
		      (uint64_t)(x0), (uint64_t)(x1))
#define RT_PROBE3(name, x0, x1, x2)                               \
	RT_PROBE_SITE(name, RT_PROBE_TAKE(RT_PROBE_ID_##name), 4, \
		      (uint64_t)(x0), (uint64_t)(x1), (uint64_t)(x2))
#define RT_PROBE4(name, x0, x1, x2, x3)                               \
	RT_PROBE_SITE(name, RT_PROBE_TAKE(RT_PROBE_ID_##name), 5,     \
		      (uint64_t)(x0), (uint64_t)(x1), (uint64_t)(x2), \
		      (uint64_t)(x3))
#define RT_PROBE5(name, x0, x1, x2, x3, x4)                           \
	RT_PROBE_SITE(name, RT_PROBE_TAKE(RT_PROBE_ID_##name), 6,     \
		      (uint64_t)(x0), (uint64_t)(x1), (uint64_t)(x2), \
		      (uint64_t)(x3), (uint64_t)(x4))

/* RT_PROBEk_G(name, MODE, bit, gp, k arguments): a paired probe, whose
 * firing follows the decision marked on goroutine gp (rt_probe_g_mode). */
#define RT_PROBE_TAKE_GM(name, mode, bit, gp) \
	RT_PROBE_TAKE_G(RT_PROBE_ID_##name, gp, bit, RT_PROBE_G_##mode)
#define RT_PROBE2_G(name, mode, bit, gp, x0, x1)                      \
	RT_PROBE_SITE(name, RT_PROBE_TAKE_GM(name, mode, bit, gp), 3, \
		      (uint64_t)(x0), (uint64_t)(x1))
#define RT_PROBE3_G(name, mode, bit, gp, x0, x1, x2)                  \
	RT_PROBE_SITE(name, RT_PROBE_TAKE_GM(name, mode, bit, gp), 4, \
		      (uint64_t)(x0), (uint64_t)(x1), (uint64_t)(x2))
#define RT_PROBE4_G(name, mode, bit, gp, x0, x1, x2, x3)              \
	RT_PROBE_SITE(name, RT_PROBE_TAKE_GM(name, mode, bit, gp), 5, \
		      (uint64_t)(x0), (uint64_t)(x1), (uint64_t)(x2), \
		      (uint64_t)(x3))

#endif /* RT_PROBES_H */

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
#define RT_PROBE_LIST(X)                                                 \
	X(newproc, 3, "goid creator_goid entry_pc")                      \
	X(gostart, 3, "goid p tid")                                      \
	X(goend, 1, "goid")                                              \
	X(gopark, 2, "goid wait_reason")                                 \
	X(goready, 2, "goid by_goid")                                    \
	X(gosched, 1, "goid")                                            \
	X(gopreempt, 2, "goid kind(1=cooperative,2=async)")              \
	X(lockosthread, 2, "goid locked(1=lock,0=unlock)")               \
	X(entersyscall, 2, "goid p")                                     \
	X(exitsyscall, 2, "goid fast(1=kept or reacquired a P at once)") \
	X(mallocgc, 4, "size sizeclass(0=large) noscan goid")            \
	X(heap_grow, 2, "bytes heap_sys")                                \
	X(scavenge, 2, "bytes_released heap_released")                   \
	X(gc_start, 3, "cycle reason(enum rt_gc_reason) heap_live")      \
	X(gc_mark_done, 2, "cycle marked_bytes")                         \
	X(gc_done, 3, "cycle heap_live next_gc")                         \
	X(sweep, 2, "npages objects_freed")                              \
	X(stw_start, 1, "reason(enum rt_stw_reason)")                    \
	X(stw_done, 2, "reason pause_ns")                                \
	X(convT, 2, "kind(1=T64,2=Tstring,3=Tslice) allocated(0/1)")     \
	X(pool_get, 1,                                                   \
	  "result(0=private,1=shared,2=stolen,3=victim,4=miss/new)")     \
	X(pool_put, 1, "where(0=private,1=shared)")                      \
	X(finalizer_run, 1, "obj")                                       \
	X(chansend, 5, "chan elemsize buffered blocked_ns goid")         \
	X(chanrecv, 5,                                                   \
	  "chan elemsize flags(1=buffered,2=closed) blocked_ns goid")    \
	X(chanclose, 2, "chan goid")                                     \
	X(selectgo, 3, "ncases has_default goid")                        \
	X(selectgo_ret, 3, "chosen(-1=default) blocked_ns goid")         \
	X(addtimer, 3, "when heaplen p")                                 \
	X(deltimer, 3, "when heaplen p")                                 \
	X(modtimer, 3, "when heaplen p")                                 \
	X(runtimer, 3, "lateness_ns heaplen p")                          \
	X(deferproc, 2, "goid kind(0=pooled,1=allocated,2=open-coded)")  \
	X(deferreturn, 2, "goid calls_run")                              \
	X(gopanic, 2, "goid runtime_error(0/1)")                         \
	X(gorecover, 1, "goid")                                          \
	X(gcount, 1, "result")

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
 * The note, as sys/sdt.h lays it out: pc of the site, the link-time address
 * of _.stapsdt.base (for prelink adjustment), the semaphore, provider, name,
 * argument string.
 */
#define RT_PROBE_NOTE(name, args)                                           \
	"990: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"                         \
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

#ifdef RT_NO_PROBES
/*
 * make PROBES=0: no probe sites and no semaphore checks; librt still counts
 * the sites it passes, so RT_STATS and the tests work the same. This is the
 * baseline for "what do unattached probes cost".
 */
#define RT_PROBE1(name, x0)                       \
	do {                                      \
		RT_PROBE_HIT(RT_PROBE_ID_##name); \
		(void)(x0);                       \
	} while (0)
#define RT_PROBE2(name, x0, x1)                   \
	do {                                      \
		RT_PROBE_HIT(RT_PROBE_ID_##name); \
		(void)(x0);                       \
		(void)(x1);                       \
	} while (0)
#define RT_PROBE3(name, x0, x1, x2)               \
	do {                                      \
		RT_PROBE_HIT(RT_PROBE_ID_##name); \
		(void)(x0);                       \
		(void)(x1);                       \
		(void)(x2);                       \
	} while (0)
#define RT_PROBE4(name, x0, x1, x2, x3)           \
	do {                                      \
		RT_PROBE_HIT(RT_PROBE_ID_##name); \
		(void)(x0);                       \
		(void)(x1);                       \
		(void)(x2);                       \
		(void)(x3);                       \
	} while (0)
#define RT_PROBE5(name, x0, x1, x2, x3, x4)       \
	do {                                      \
		RT_PROBE_HIT(RT_PROBE_ID_##name); \
		(void)(x0);                       \
		(void)(x1);                       \
		(void)(x2);                       \
		(void)(x3);                       \
		(void)(x4);                       \
	} while (0)
#else
#define RT_PROBE1(name, x0)                                                 \
	do {                                                                \
		RT_PROBE_HIT(RT_PROBE_ID_##name);                           \
		if (RT_PROBE_ACTIVE(name)) {                                \
			uint64_t rt_pa0_ = (uint64_t)(x0);                  \
			__asm__ __volatile__(RT_PROBE_NOTE(name, "8@%[a0]") \
					     :                              \
					     : [a0] "r"(rt_pa0_));          \
		}                                                           \
	} while (0)

#define RT_PROBE2(name, x0, x1)                                      \
	do {                                                         \
		RT_PROBE_HIT(RT_PROBE_ID_##name);                    \
		if (RT_PROBE_ACTIVE(name)) {                         \
			uint64_t rt_pa0_ = (uint64_t)(x0);           \
			uint64_t rt_pa1_ = (uint64_t)(x1);           \
			__asm__ __volatile__(                        \
			    RT_PROBE_NOTE(name, "8@%[a0] 8@%[a1]")   \
			    :                                        \
			    : [a0] "r"(rt_pa0_), [a1] "r"(rt_pa1_)); \
		}                                                    \
	} while (0)

#define RT_PROBE3(name, x0, x1, x2)                                        \
	do {                                                               \
		RT_PROBE_HIT(RT_PROBE_ID_##name);                          \
		if (RT_PROBE_ACTIVE(name)) {                               \
			uint64_t rt_pa0_ = (uint64_t)(x0);                 \
			uint64_t rt_pa1_ = (uint64_t)(x1);                 \
			uint64_t rt_pa2_ = (uint64_t)(x2);                 \
			__asm__ __volatile__(                              \
			    RT_PROBE_NOTE(name, "8@%[a0] 8@%[a1] 8@%[a2]") \
			    :                                              \
			    : [a0] "r"(rt_pa0_), [a1] "r"(rt_pa1_),        \
			      [a2] "r"(rt_pa2_));                          \
		}                                                          \
	} while (0)

#define RT_PROBE4(name, x0, x1, x2, x3)                                      \
	do {                                                                 \
		RT_PROBE_HIT(RT_PROBE_ID_##name);                            \
		if (RT_PROBE_ACTIVE(name)) {                                 \
			uint64_t rt_pa0_ = (uint64_t)(x0);                   \
			uint64_t rt_pa1_ = (uint64_t)(x1);                   \
			uint64_t rt_pa2_ = (uint64_t)(x2);                   \
			uint64_t rt_pa3_ = (uint64_t)(x3);                   \
			__asm__ __volatile__(                                \
			    RT_PROBE_NOTE(name,                              \
					  "8@%[a0] 8@%[a1] 8@%[a2] 8@%[a3]") \
			    :                                                \
			    : [a0] "r"(rt_pa0_), [a1] "r"(rt_pa1_),          \
			      [a2] "r"(rt_pa2_), [a3] "r"(rt_pa3_));         \
		}                                                            \
	} while (0)

#define RT_PROBE5(name, x0, x1, x2, x3, x4)                                \
	do {                                                               \
		RT_PROBE_HIT(RT_PROBE_ID_##name);                          \
		if (RT_PROBE_ACTIVE(name)) {                               \
			uint64_t rt_pa0_ = (uint64_t)(x0);                 \
			uint64_t rt_pa1_ = (uint64_t)(x1);                 \
			uint64_t rt_pa2_ = (uint64_t)(x2);                 \
			uint64_t rt_pa3_ = (uint64_t)(x3);                 \
			uint64_t rt_pa4_ = (uint64_t)(x4);                 \
			__asm__ __volatile__(                              \
			    RT_PROBE_NOTE(name, "8@%[a0] 8@%[a1] 8@%[a2] " \
						"8@%[a3] 8@%[a4]")         \
			    :                                              \
			    : [a0] "r"(rt_pa0_), [a1] "r"(rt_pa1_),        \
			      [a2] "r"(rt_pa2_), [a3] "r"(rt_pa3_),        \
			      [a4] "r"(rt_pa4_));                          \
		}                                                          \
	} while (0)

#endif /* RT_NO_PROBES */

#endif /* RT_PROBES_H */

/*
 * timeline.h — what timeline.bpf.c and the rttrace user side share: the
 * one fixed-size event every probe of the timeline sends through the ring
 * buffer, its kinds, and the counters of what could not be sent.
 *
 * The timeline is the one concern that needs events one by one (a slice
 * per goroutine run, in order), so it is the one that pays for a ring
 * buffer; everything else rttrace shows is aggregated in the kernel.
 */
#ifndef RTTRACE_TIMELINE_H
#define RTTRACE_TIMELINE_H

/* BPF programs get __u32 and friends from vmlinux.h, user space from here. */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * What an event is; the probe it came from, and the meaning of a, b, c.
 * TL_SAMPLE is user space's own (the drain timer's periodic sample of the
 * timer heaps and the RSS) and never comes from the kernel.
 */
enum tl_kind {
	TL_NEWPROC = 1,	 /* a=goid b=creator goid c=entry pc */
	TL_GOSTART,	 /* a=goid b=p c=tid (the M) */
	TL_GOEND,	 /* a=goid */
	TL_GOPARK,	 /* a=goid b=wait reason */
	TL_GOREADY,	 /* a=goid b=readied by goid (0: not by a G) */
	TL_GOSCHED,	 /* a=goid */
	TL_GOPREEMPT,	 /* a=goid b=kind (1 cooperative, 2 async) */
	TL_LOCKOSTHREAD, /* a=goid b=1 lock, 0 unlock */
	TL_ENTERSYSCALL, /* a=goid b=p */
	TL_EXITSYSCALL,	 /* a=goid b=1 kept or got a P at once */
	TL_HEAP_GROW,	 /* a=bytes b=heap_sys */
	TL_GC_START,	 /* a=cycle b=reason c=heap_live */
	TL_GC_MARK_DONE, /* a=cycle b=marked bytes */
	TL_GC_DONE,	 /* a=cycle b=heap_live c=next_gc */
	TL_STW_START,	 /* a=reason */
	TL_STW_DONE,	 /* a=reason b=pause ns */
	TL_SAMPLE,	 /* user space: a=timer heap total b=RSS bytes */
};

/*
 * One event: 40 bytes. ts is bpf_ktime_get_ns (CLOCK_MONOTONIC), tid the
 * Linux thread (the M) the probe fired on.
 */
struct tl_event {
	__u64 ts;
	__u64 a, b, c;
	__u32 tid;
	__u16 kind; /* enum tl_kind */
	__u16 cpu;
};

/* Things the BPF side could not send, per CPU; reported when non-zero. */
enum tl_error {
	TL_ERR_DROPPED, /* the ring buffer was full: events lost */
	TL_ERR_NUM,
};

/* Ps whose timer-heap length is kept (addtimer … runtimer's heaplen). */
#define TL_MAX_PS 256

/* The ring buffer's default size (--ringbuf-size); a power of 2. */
#define TL_RINGBUF_DEFAULT (16u << 20)

#endif /* RTTRACE_TIMELINE_H */

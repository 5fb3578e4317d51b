/*
 * profile_user.h — the user side of bpf/profile.bpf.c: sample one process's CPU
 * at a fixed frequency with user and kernel stacks, and hand the stacks
 * back symbolized, for the signature table (signatures.h) and for the
 * exporters (folded stacks, pprof), which read struct profile_result.
 */
#ifndef RTTRACE_PROFILE_USER_H
#define RTTRACE_PROFILE_USER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile.h"
#include "symbolize.h"

#define PROFILE_DEFAULT_FREQ                            \
	99 /* Hz per CPU; off the beat of 100 Hz timers \
	    */

struct profile_opts {
	pid_t tgid;		 /* process to sample */
	unsigned int freq;	 /* Hz per CPU; 0: PROFILE_DEFAULT_FREQ */
	unsigned int max_stacks; /* stack map size; 0: PROFILE_MAX_STACKS */
};

struct profile_session {
	struct profile_bpf *skel;
	struct bpf_link **links; /* one per online CPU; NULL when not */
	int nlinks;
	pid_t pid;
	unsigned int freq, max_stacks;
	double start_s; /* CLOCK_MONOTONIC at start */
	struct usyms *usyms;
	struct ksyms ksyms;
	bool ksyms_loaded;
	int ksyms_err;	   /* why kernel frames are unnamed, 0 if they are */
	pthread_t snapper; /* refreshes usyms' maps snapshot while pid runs */
	bool snapper_started;
	atomic_bool snapper_stop;
};

/* One frame of a sampled stack. Strings are the result's own (NULL when
 * unknown); pc is the address sampled, a return address above frame 0. */
struct profile_frame {
	uint64_t pc;
	char *name;   /* function, or inlined call */
	char *file;   /* source file (user frames with DWARF) */
	int line;     /* 0 when unknown */
	char *module; /* ELF file, or kernel module; NULL: kernel image */
	bool kernel;  /* a kernel frame */
	bool inlined; /* a call inlined into the next frame out */
};

/*
 * One distinct stack and how many samples had it. frames are innermost
 * first: the kernel frames (a sample taken in a system call or fault),
 * then the user frames. user_lost and kernel_lost: that half could not be
 * recorded (stack map full or a bucket collision) — the samples count,
 * their stack is incomplete.
 */
struct profile_stack {
	uint64_t count;
	uint32_t pid;
	bool user_lost, kernel_lost;
	size_t nframes;
	struct profile_frame *frames;
};

/* What the sampling gathered. samples is every sample of the process;
 * lost those not recorded (counts hash full) or recorded without a stack
 * half. stacks are sorted by count, most first. */
struct profile_result {
	uint64_t samples, lost;
	unsigned int freq; /* Hz per CPU */
	int ncpus;	   /* CPUs sampled */
	double duration_s; /* from start to collect */
	uint64_t stats[PROFILE_STAT_NUM];
	size_t nstacks;
	struct profile_stack *stacks;
};

/*
 * profile_start loads profile.bpf.c filtered on o->tgid, opens a
 * cpu-clock perf event at o->freq on every online CPU and attaches to
 * them, and starts keeping a snapshot of the process's mappings. Returns
 * 0, or -errno after printing why; profile_stop undoes what was done.
 */
int profile_start(struct profile_session *s, const struct profile_opts *o);
/*
 * profile_collect reads and symbolizes what was sampled so far into out,
 * which profile_result_free releases. The process may have exited since:
 * the last snapshot of its mappings names its frames. Returns 0 or
 * -errno.
 */
int profile_collect(struct profile_session *s, struct profile_result *out);
void profile_result_free(struct profile_result *r);
/*
 * profile_report_warnings prints on stderr what the sampling could not
 * record, and the fix; nothing when all was recorded.
 */
void profile_report_warnings(const struct profile_session *s,
			     const struct profile_result *r);
/* profile_stop detaches and frees everything; s may be zeroed or half set
 * up. */
void profile_stop(struct profile_session *s);

#endif /* RTTRACE_PROFILE_USER_H */

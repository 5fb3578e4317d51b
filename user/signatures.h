/*
 * signatures.h — the seed's §16 table: the profile signatures that say
 * "look at the runtime", each measured, set against the seed's threshold,
 * and tied to the exercise whose pattern it matches.
 */
#ifndef RTTRACE_SIGNATURES_H
#define RTTRACE_SIGNATURES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"
#include "json.h"
#include "mem.h"
#include "profile_user.h"

/* Where a row's figure comes from. */
enum sig_source {
	SIG_SAMPLES, /* share of CPU samples with a function on the stack */
	SIG_EVENTS,  /* rate of probe events (exact counts) */
	SIG_STW,     /* stop-the-world pauses (log2 histogram) */
};

#define SIG_MAX_ROWS 64

struct sig_row {
	char name[64]; /* "mallocgc", "gopark (chan receive)" */
	enum sig_source source;
	double value;		    /* percent, events/s, or pauses over */
	uint64_t hits;		    /* samples with it; events; pauses over */
	uint64_t possible;	    /* SIG_STW: pauses in the slot holding the
				       threshold, maybe over */
	uint64_t total;		    /* samples; -; pauses */
	double threshold;	    /* in value's unit */
	const char *threshold_text; /* "> 5 %" */
	bool present_is_enough; /* crossed when hits > 0 ("on a hot stack") */
	bool crossed;
	const char *exercises; /* "ex09, ex11"; "" when none */
	uint64_t max_high;     /* SIG_STW: upper bound of the longest pause */
};

/* What the table is computed from; any part may be missing. */
struct sig_input {
	const struct profile_result *prof; /* NULL: not sampled */
	const uint64_t *parks;	     /* per wait reason, SCHED_WAIT_HISTS */
	uint64_t gosched;	     /* Gosched calls */
	const struct log2_hist *stw; /* MEM_STW_SLOTS, or NULL */
	const char *(*stw_reason)(unsigned int idx); /* STW reason names */
	bool nsec;     /* stw slots in ns, else us */
	double wall_s; /* for rates */
};

struct sig_table {
	bool sampled; /* prof was given */
	uint64_t samples, lost;
	unsigned int freq;
	int ncpus;
	double duration_s;
	int n;
	struct sig_row rows[SIG_MAX_ROWS];
};

/* The thresholds: the seed's, and rttrace's where the seed gives none. */
#define SIG_MALLOCGC_PCT 5.0
#define SIG_CHAN_PCT	 2.0
#define SIG_SELECTGO_PCT 2.0
#define SIG_MARK_PCT	 10.0
#define SIG_STW_US	 100
#define SIG_PARK_PER_S                             \
	10000.0 /* rttrace's: the seed says "wrong \
		       frequency" without a number */
#define SIG_GOSCHED_PER_S 10000.0

/*
 * stack_has reports whether any user frame of st (inlined calls included)
 * is one of the NULL-ended names.
 */
bool stack_has(const struct profile_stack *st, const char *const *names);

/* sig_compute fills t from in. */
void sig_compute(struct sig_table *t, const struct sig_input *in);
/* sig_print prints t as a table, for people. */
void sig_print(FILE *f, const struct sig_table *t);
/* sig_json writes "signatures": {…} into the open JSON object j. */
void sig_json(struct json *j, const struct sig_table *t);

#endif /* RTTRACE_SIGNATURES_H */

/*
 * tracer.h — what `rttrace trace` and `rttrace attach` share once they know
 * the process: the report options, and the concerns (sched, mem, chan,
 * defer) and the CPU sampler (profile) loaded, attached and torn down
 * together.
 */
#ifndef RTTRACE_TRACER_H
#define RTTRACE_TRACER_H

#include <argp.h>
#include <stdbool.h>
#include <sys/types.h>

#include "block_user.h"
#include "chan_user.h"
#include "defer_user.h"
#include "kernel_user.h"
#include "mem_user.h"
#include "profile_user.h"
#include "sample.h"
#include "sched_user.h"
#include "timeline_user.h"
#include "usdt_check.h"

/* argp keys of the long-only options; above the ASCII short options */
enum {
	OPT_NSEC = 0x100,
	OPT_MAX_GOROUTINES,
	OPT_LIVE,
	OPT_INTERVAL,
	OPT_FREQ,
	OPT_NO_PROFILE,
	OPT_STACK_MAP_SIZE,
	OPT_PPROF,	/* pprof.c */
	OPT_FLAMEGRAPH, /* flamegraph_export.c */
	OPT_FOLDED,
	OPT_BLOCKING,
	OPT_OFFCPU,
	OPT_SERVE,	  /* serve.c */
	OPT_TIMELINE,	  /* timeline.c */
	OPT_RINGBUF_SIZE, /* timeline.c */
	OPT_GOROUTINES,	  /* timeline.c */
	OPT_KERNEL,	  /* kernel.c */
	OPT_SAMPLE,	  /* sample.c */
};

/*
 * --self-stats (hidden, any command): at exit, one line on stderr of
 * rttrace's own cost, for scripts/bench-trace.sh (docs/performance.md);
 * self_stats_* in tracer.c. Its key sits apart from the enum above.
 */
enum { OPT_SELF_STATS = 0x1ff, OPT_BTF = 0x1fe };

/*
 * RT_GLOBAL_OPTIONS are the argp options every command line level takes
 * (rttrace -v, rttrace trace -v); rt_parse_global handles them.
 * RT_REPORT_OPTIONS are the report's, the same for every command that
 * prints one; tracer_parse_opt handles them. Macros, so that each command
 * lists them in its own table where its --help shows them.
 */
/* clang-format cannot lay out initializers inside a macro */
/* clang-format off */
#define RT_GLOBAL_OPTIONS						\
	{"verbose", 'v', NULL, 0, "libbpf debug output and rttrace's notes", 0}, \
	{NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0},	\
	{"btf", OPT_BTF, "FILE", 0,					\
	 "The kernel's BTF, for a kernel without /sys/kernel/btf/vmlinux: " \
	 "raw BTF or a vmlinux ELF with .BTF", 0},			\
	{"self-stats", OPT_SELF_STATS, NULL, OPTION_HIDDEN,		\
	 "At exit, rttrace's own RSS, CPU, wall and attach time", 0}
#define RT_REPORT_OPTIONS						\
	{"json", 'j', NULL, 0, "Print the report as JSON", 0},		\
	{"nsec", OPT_NSEC, NULL, 0, "Histograms in nanoseconds (default usecs)", 0}, \
	{"max-goroutines", OPT_MAX_GOROUTINES, "N", 0,			\
	 "Goroutines tracked at once: parked ones (--blocking), and "	\
	 "live ones' entry functions (--kernel) (default 1048576)", 0}, \
	{"live", OPT_LIVE, NULL, 0,					\
	 "Redraw the report every --interval while it runs", 0},	\
	{"interval", OPT_INTERVAL, "D", 0,				\
	 "--live's period: 1s, 250ms, 0.5 (seconds; default 1s)", 0},	\
	{"freq", OPT_FREQ, "HZ", 0,					\
	 "CPU samples per second per CPU (default 99)", 0},		\
	{"kernel", OPT_KERNEL, NULL, 0,					\
	 "The kernel's view: each M's off-CPU time by reason (futex idle, " \
	 "STW, locked G, syscall, preempted), run-queue latency, futex " \
	 "waits per goroutine", 0},					\
	{"no-profile", OPT_NO_PROFILE, NULL, 0,				\
	 "Do not sample the CPU (no CPU rows in the signatures)", 0},	\
	{"timeline", OPT_TIMELINE, "FILE", 0,				\
	 "Write a Chrome/Perfetto trace (JSON) of every goroutine run, "	\
	 "GC and STW, and print the goroutine analysis (with run "	\
	 "--variant both: FILE-before, FILE-after)", 0},		\
	{"goroutines", OPT_GOROUTINES, NULL, 0,				\
	 "Print the goroutine analysis (per creation site) without "	\
	 "writing a --timeline file", 0},				\
	{"ringbuf-size", OPT_RINGBUF_SIZE, "N", 0,			\
	 "--timeline's ring buffer: bytes or 64M (default 16M)", 0},	\
	{"flamegraph", OPT_FLAMEGRAPH, "FILE.svg", 0,			\
	 "Write the CPU flamegraph (interactive SVG)", 0},		\
	{"folded", OPT_FOLDED, "FILE", 0,				\
	 "Write the CPU samples as folded stacks (FlameGraph, "	\
	 "inferno, speedscope)", 0},					\
	{"blocking", OPT_BLOCKING, NULL, 0,				\
	 "Profile where goroutines block, by wait reason, weighted by "	\
	 "blocked time (FILE-blocking.svg / folded)", 0},		\
	{"offcpu", OPT_OFFCPU, NULL, 0,					\
	 "Add the off-CPU flamegraph of the kernel's view "		\
	 "(FILE-offcpu.svg / folded; implies --kernel)", 0},		\
	{"pprof", OPT_PPROF, "FILE", 0,					\
	 "Write the CPU samples as a gzipped pprof profile (with "	\
	 "--blocking, FILE-blocking.pb.gz too)", 0},			\
	{"stack-map-size", OPT_STACK_MAP_SIZE, "N", 0,			\
	 "Distinct sampled stacks kept (default 16384)", 0},		\
	{"serve", OPT_SERVE, "ADDR", 0,					\
	 "Serve Prometheus/OpenMetrics /metrics on ADDR while tracing: "	\
	 "127.0.0.1:9464, [::1]:9464, :9464 (default port 9464)", 0},	\
	{"sample", OPT_SAMPLE, "N|auto|off", 0,				\
	 "How often librt fires a probe while traced: auto (default) "	\
	 "samples the probes above a rate so that all fire about 5000 " \
	 "times a second, N fires each 1 in N events, off every event. " \
	 "Each firing carries the events it stands for: per-probe "	\
	 "totals stay exact, histograms become samples", 0}
/* clang-format on */

/* The report's options (RT_REPORT_OPTIONS). */
struct tracer_opts {
	bool json;
	bool nsec;
	unsigned int max_goroutines; /* 0: the concerns' default */
	bool live;		     /* redraw every interval_s (tracer_live) */
	double interval_s;	     /* --interval; 0: TRACER_INTERVAL_S */
	unsigned int freq;	     /* --freq; 0: PROFILE_DEFAULT_FREQ */
	bool no_profile;	     /* --no-profile */
	bool kernel;		     /* --kernel (--offcpu implies it) */
	unsigned int stack_map_size; /* 0: PROFILE_MAX_STACKS */
	const char *timeline;	     /* --timeline FILE; NULL: none */
	bool goroutines;	     /* --goroutines: the analysis, no file */
	unsigned int ringbuf_size;   /* --ringbuf-size; 0: TL_RINGBUF_DEFAULT */
	const char *pprof;	     /* --pprof FILE; NULL: none (pprof.h) */
	const char *flamegraph;	     /* --flamegraph FILE.svg; NULL: none */
	const char *folded;	     /* --folded FILE; NULL: none */
	bool blocking;		     /* --blocking: load block.bpf.c */
	bool offcpu;		     /* --offcpu: the kernel's off-CPU stacks */
	const char *serve;	 /* --serve ADDR; NULL: no endpoint (serve.h) */
	enum sample_mode sample; /* --sample; 0: auto */
	uint32_t sample_period;	 /* --sample N's N */
};

/* --live's period when --interval is not given */
#define TRACER_INTERVAL_S 1.0

/* The concerns, each loaded only when the binary has its probes. */
struct tracer {
	struct sched_session sched;
	struct mem_session mem;
	struct chan_session chan;
	struct defer_session defers;
	struct profile_session prof; /* CPU samples; unused with --no-profile */
	struct kernel_session kernel;	  /* --kernel; skel NULL without */
	struct timeline_session timeline; /* --timeline, --goroutines */
	struct block_session block;	  /* --blocking's profile */
	struct serve *serve;		  /* --serve's endpoint, or NULL */
	struct sample_session sample;	  /* --sample's periods (sample.h) */
	bool from_exec; /* trace_program started the process held at exec */
};

/*
 * rt_parse_global handles RT_GLOBAL_OPTIONS' keys for an argp parser;
 * ARGP_ERR_UNKNOWN for any other key.
 */
error_t rt_parse_global(int key, char *arg, struct argp_state *state);

/*
 * tracer_parse_opt handles RT_REPORT_OPTIONS' and RT_GLOBAL_OPTIONS' keys
 * into o; ARGP_ERR_UNKNOWN for any other key.
 */
error_t tracer_parse_opt(int key, char *arg, struct argp_state *state,
			 struct tracer_opts *o);

/*
 * tracer_check_opts refuses (argp_error: exit 2, one line) the option
 * combinations that tracer_parse_opt cannot see one option at a time;
 * the parsers call it at ARGP_KEY_END.
 */
void tracer_check_opts(struct argp_state *state, const struct tracer_opts *o);

/*
 * tracer_start loads every concern whose probes the binary at path has,
 * filtered on process pid, and attaches it to path's probe sites, then
 * starts sampling pid's CPU (unless --no-profile). Returns 0, or -errno
 * after printing why; tracer_stop undoes what was done.
 */
int tracer_start(struct tracer *tr, pid_t pid, const char *path,
		 const struct usdt_probes *probes, const struct tracer_opts *o);

/*
 * tracer_pinned sets pinned[id] for the probes whose every event a
 * concern o loads needs: --kernel's and --offcpu's, --timeline's and
 * --goroutines', --blocking's. librt fires those on every hit.
 */
void tracer_pinned(const struct tracer_opts *o, bool pinned[RT_PROBE_NUM]);

/*
 * tracer_sample_env writes into buf the "RT_PROBE_SAMPLE=…" a program
 * started for tracing with o gets, so --sample N holds from its first
 * instruction; or "RT_PROBE_SAMPLE=" to clear one inherited from
 * rttrace's environment; false when the program needs none.
 */
bool tracer_sample_env(const struct tracer_opts *o, char *buf, size_t len);

/*
 * tracer_read reads every loaded concern (report_read) and the sampling
 * state into d. Returns 0 or -errno after printing why.
 */
int tracer_read(struct tracer *tr, struct report_data *d);

/*
 * tracer_report prints the report on the target t, and after it the
 * seed's §16 signature table (signatures.h; in JSON, its "signatures"
 * key); 0 once it is printed.
 */
int tracer_report(struct tracer *tr, const struct sched_target *t,
		  const struct tracer_opts *o);

/*
 * tracer_stop restores SIGINT and SIGTERM and detaches every concern; a
 * zeroed tracer, or one tracer_start failed on, is fine.
 */
void tracer_stop(struct tracer *tr);

/* now_s is CLOCK_MONOTONIC in seconds, for wall times. */
double now_s(void);

#endif /* RTTRACE_TRACER_H */

/*
 * rttrace.h — what the rttrace subcommands share: global options, exit
 * statuses, the subcommand entry points and the preflight checks.
 */
#ifndef RTTRACE_H
#define RTTRACE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "parse.h"

/* Options that apply to every subcommand (rttrace -v trace …). */
struct rttrace_env {
	bool verbose; /* libbpf's debug output, and rttrace's own notes */
	const char *btf_path; /* --btf: the kernel's BTF; NULL: the kernel's */
};
extern struct rttrace_env rttrace_env;

/*
 * Exit statuses of rttrace's own failures. Otherwise `trace` exits with the
 * traced program's status, as time(1) and strace(1) do; the shell's 126/127
 * are kept for "cannot execute" and "not found" so wrappers read the same.
 */
#define RTTRACE_EXIT_FAIL      1   /* rttrace could not trace */
#define RTTRACE_EXIT_USAGE     2   /* bad command line */
#define RTTRACE_EXIT_NOEXEC    126 /* PROGRAM is not executable */
#define RTTRACE_EXIT_NOTFOUND  127 /* PROGRAM is not found */
#define RTTRACE_EXIT_SIGNALLED 128 /* + signal number, as the shell does */

/* argp keys of the subcommands' own long options; above tracer.h's */
enum {
	OPT_AS_ROOT = 0x200, /* trace, run: keep root under sudo */
	OPT_VARIANT,	     /* run */
	OPT_PARAM,	     /* run */
	OPT_BENCHTIME,	     /* run */
	OPT_RT_STATS,	     /* run, hidden: RT_STATS=1 for the workload */
	OPT_HTML,	     /* report */
	OPT_EXERCISES,	     /* report */
};

/* Subcommands; each parses its own argv, argv[0] being "rttrace NAME". */
int cmd_trace(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_report(int argc, char **argv);

struct tracer;
struct tracer_opts;
struct sched_target;

/* How trace_program and launch_untraced start a program. */
struct launch {
	char **argv;	      /* PROGRAM (as execvp finds it) and arguments */
	char *const *env_add; /* "NAME=VALUE"s for the program; may be NULL */
	int stdout_fd;	      /* the program's stdout; -1: rttrace's */
	int stderr_fd;	      /* the program's stderr; -1: rttrace's */
	bool as_root;	      /* under sudo, keep root (--as-root) */
	bool quiet;	      /* no "Tracing PID …" line */
};

/*
 * trace_report_fn prints (or keeps) the report once the program ended or
 * Ctrl-C was hit, before the tracer detaches; 0 once it did.
 */
typedef int (*trace_report_fn)(struct tracer *tr, const struct sched_target *t,
			       void *ctx);

/*
 * trace_program runs l's program traced from exec, as `rttrace trace`
 * does: resolve it, check it has librt probes, start it held at exec,
 * attach the tracer with o, release it, wait for it (redrawing with
 * --live; Ctrl-C ends the wait), then report (report, or tracer_report
 * when NULL) and detach. t gets how it ended (t->path is only valid
 * during report). Returns what `rttrace trace` exits with: the program's
 * status, 128+N for signal N, 126/127, or RTTRACE_EXIT_FAIL.
 */
int trace_program(const struct launch *l, const struct tracer_opts *o,
		  trace_report_fn report, void *ctx, struct sched_target *t);
/*
 * launch_untraced runs l's program without BPF and waits for it (Ctrl-C
 * ends the wait); same t and return value as trace_program.
 */
int launch_untraced(const struct launch *l, struct sched_target *t);
/*
 * capture_output runs l's program untraced (launch_untraced) with its
 * stdout into memory; *out gets it NUL-terminated (free it; NULL if out
 * of memory). Same t and return value as launch_untraced.
 */
int capture_output(const struct launch *l, char **out, struct sched_target *t);
/*
 * rtwork_path puts the rtwork driver's path in buf: $RTWORK, or rtwork
 * beside the rttrace binary. Returns 0, or -1 after printing the fix.
 */
int rtwork_path(char *buf, size_t len);
/* trace_catch_signals makes SIGINT and SIGTERM set trace_exiting(). */
void trace_catch_signals(void);
/* trace_exiting is true once SIGINT or SIGTERM arrived. */
bool trace_exiting(void);

/*
 * rt_argp_one_line makes argp's errors one line each (no "Try `… --help'"
 * line after them); rt_parse_global calls it at ARGP_KEY_INIT.
 */
struct argp_state;
void rt_argp_one_line(struct argp_state *state);

/* rt_errorf prints "rttrace: …" and a newline on stderr. */
void rt_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* rt_warnf prints "rttrace: warning: …" and a newline on stderr. */
void rt_warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* rt_notef prints "rttrace: …" on stderr only with --verbose. */
void rt_notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* parse_duration: parse.h */

/* libbpf_setup routes libbpf's messages: debug chatter only with -v. */
void libbpf_setup(void);

/*
 * preflight_privileges and preflight_btf check what loading and attaching
 * the BPF programs need, and print the one line that says how to fix it.
 * They return 0 when tracing can proceed.
 */
int preflight_privileges(void);
/* PERF_REFUSED_WHY says why perf_event_open fails with EACCES or EPERM,
 * and the fix, for the line that reports it. */
#define PERF_REFUSED_WHY                                                  \
	"kernel.perf_event_paranoid, a missing CAP_PERFMON or a seccomp " \
	"filter forbids it; run as root, or `sysctl "                     \
	"kernel.perf_event_paranoid=-1`, or lift the filter"
int preflight_btf(void);
/*
 * preflight_btf_file checks that path is a kernel BTF libbpf can read (raw
 * BTF or an ELF file with a .BTF section, holding struct task_struct);
 * 0, or -errno with why (a phrase) filled in.
 */
int preflight_btf_file(const char *path, char *why, size_t len);
/*
 * preflight_child, in a child rttrace forked before it execs the traced
 * program, undoes what preflight did to rttrace alone (--btf's mount
 * namespace); 0, or -errno.
 */
int preflight_child(void);

/*
 * bpf_open_opts are the options every skeleton is opened with
 * (X_bpf__open_opts): --btf's file as the target of the CO-RE relocations.
 */
struct bpf_object_open_opts;
const struct bpf_object_open_opts *bpf_open_opts(void);

#endif /* RTTRACE_H */

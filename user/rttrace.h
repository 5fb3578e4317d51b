/*
 * rttrace.h — what the rttrace subcommands share: global options, exit
 * statuses, the subcommand entry points and the preflight checks.
 */
#ifndef RTTRACE_H
#define RTTRACE_H

#include <stdarg.h>
#include <stdbool.h>

/* Options that apply to every subcommand (rttrace -v trace …). */
struct rttrace_env {
	bool verbose; /* libbpf's debug output, and rttrace's own notes */
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

/* Subcommands; each parses its own argv, argv[0] being "rttrace NAME". */
int cmd_trace(int argc, char **argv);
int cmd_attach(int argc, char **argv);

/* rt_errorf prints "rttrace: …" and a newline on stderr. */
void rt_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* rt_warnf prints "rttrace: warning: …" and a newline on stderr. */
void rt_warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* rt_notef prints "rttrace: …" on stderr only with --verbose. */
void rt_notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* libbpf_setup routes libbpf's messages: debug chatter only with -v. */
void libbpf_setup(void);

/*
 * preflight_privileges and preflight_btf check what loading and attaching
 * the BPF programs need, and print the one line that says how to fix it.
 * They return 0 when tracing can proceed.
 */
int preflight_privileges(void);
int preflight_btf(void);

#endif /* RTTRACE_H */

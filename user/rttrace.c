/*
 * rttrace.c — the rttrace command: global options, subcommand dispatch,
 * help, and the message helpers every subcommand uses.
 *
 * Each subcommand lives in its own file (trace.c, attach.c) and parses its
 * own options with argp, as the libbpf-tools each do; here only what comes
 * before the subcommand's name is parsed.
 */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "rttrace.h"
#include "tracer.h"

struct rttrace_env rttrace_env;

const char *argp_program_version = "rttrace 0.1";
const char *argp_program_bug_address = NULL;

static const char doc[] =
    "Make a Go-style runtime's costs visible: eBPF on librt's USDT "
    "probes.\n"
    "\n"
    "USAGE: rttrace [-v] COMMAND [ARGS...]\n"
    "\n"
    "COMMANDS:\n"
    "  trace [OPTIONS] -- PROGRAM [ARGS...]\n"
    "                 run PROGRAM, traced from before main; report when it "
    "exits\n"
    "  attach -p PID  trace a running librt program until it exits or "
    "Ctrl-C\n"
    "  run EXERCISE   run an exercise before and after, traced, and "
    "compare\n"
    "  list           list the exercises, one line each\n"
    "  report --html FILE\n"
    "                 run every exercise before and after; one HTML "
    "page\n"
    "\n"
    "`rttrace COMMAND --help` describes a command's options.\n"
    "\n"
    "EXAMPLES:\n"
    "  sudo rttrace trace -- ./build/demo      # scheduler report of demo\n"
    "  sudo rttrace trace --json -- ./prog a b # the same report as JSON\n"
    "  sudo rttrace attach -p 4242             # a program already running\n"
    "  sudo rttrace run ex03                   # an exercise, before/after\n"
    "  rttrace list                            # the exercises\n"
    "\n"
    "GLOBAL OPTIONS:";

static const struct argp_option opts[] = {
    RT_GLOBAL_OPTIONS,
    {},
};

struct cmdline {
	int cmd_index; /* argv index of the subcommand name; 0: none */
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	struct cmdline *cl = state->input;

	switch (key) {
	case ARGP_KEY_ARGS:
		/* the subcommand and everything after it are its own */
		cl->cmd_index = state->next;
		state->next = state->argc;
		break;
	default:
		return rt_parse_global(key, arg, state);
	}
	return 0;
}

static const struct argp argp = {
    .options = opts,
    .parser = parse_arg,
    .args_doc = "COMMAND [ARGS...]",
    .doc = doc,
};

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct subcommand subcommands[] = {
    {"trace", cmd_trace}, {"attach", cmd_attach}, {"run", cmd_run},
    {"list", cmd_list},	  {"report", cmd_report},
};

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "rttrace: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/*
 * argp follows each of its errors (an unknown option, a missing argument,
 * an argp_error) with a second line, "Try `rttrace trace --help' or ...".
 * rttrace says each failure in one line, so the error stream argp writes
 * to drops that line and passes everything else to stderr as it comes.
 */
struct one_line {
	char line[1024]; /* the line being written, until its '\n' */
	size_t len;
};

static void one_line_emit(struct one_line *ol)
{
	static const char see[] = "Try `";

	if (ol->len && strncmp(ol->line, see, strlen(see)) != 0)
		fwrite(ol->line, 1, ol->len, stderr);
	ol->len = 0;
}

static ssize_t one_line_write(void *cookie, const char *buf, size_t size)
{
	struct one_line *ol = cookie;

	for (size_t i = 0; i < size; i++) {
		ol->line[ol->len++] = buf[i];
		if (buf[i] == '\n' || ol->len == sizeof(ol->line))
			one_line_emit(ol);
	}
	return (ssize_t)size;
}

static int one_line_close(void *cookie)
{
	one_line_emit(cookie);
	return 0;
}

void rt_argp_one_line(struct argp_state *state)
{
	static struct one_line ol;
	static FILE *stream;

	if (!stream) {
		stream = fopencookie(&ol, "w",
				     (cookie_io_functions_t){
					 .write = one_line_write,
					 .close = one_line_close,
				     });
		if (stream)
			setvbuf(stream, NULL, _IONBF, 0);
	}
	if (stream)
		state->err_stream = stream;
}

void rt_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void rt_warnf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void rt_notef(const char *fmt, ...)
{
	va_list ap;

	if (!rttrace_env.verbose)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *format,
			   va_list args)
{
	/*
	 * Without -v, libbpf stays quiet: rttrace reports every failure
	 * itself in one line, and that line points at -v for the detail.
	 */
	if (!rttrace_env.verbose)
		return 0;
	(void)level;
	return vfprintf(stderr, format, args);
}

void libbpf_setup(void)
{
	libbpf_set_print(libbpf_print_fn);
}

int main(int argc, char **argv)
{
	struct cmdline cl = {0};
	char name[64];
	int err;

	/* argp's own messages ("unrecognized option") exit with this */
	argp_err_exit_status = RTTRACE_EXIT_USAGE;
	argv[0] = "rttrace";
	/* before parsing: --btf reads a file with libbpf */
	libbpf_setup();
	err = argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &cl);
	if (err)
		return RTTRACE_EXIT_USAGE;
	if (!cl.cmd_index) {
		rt_errorf("no command given (try rttrace --help)");
		return RTTRACE_EXIT_USAGE;
	}

	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]);
	     i++) {
		const struct subcommand *sc = &subcommands[i];

		if (strcmp(argv[cl.cmd_index], sc->name) != 0)
			continue;
		if (!sc->fn) {
			rt_errorf("%s: not yet implemented", sc->name);
			return RTTRACE_EXIT_FAIL;
		}
		/* the subcommand's argp names itself "rttrace NAME" */
		snprintf(name, sizeof(name), "rttrace %s", sc->name);
		argv[cl.cmd_index] = name;
		return sc->fn(argc - cl.cmd_index, argv + cl.cmd_index);
	}
	rt_errorf("unknown command '%s' (try rttrace --help)",
		  argv[cl.cmd_index]);
	return RTTRACE_EXIT_USAGE;
}

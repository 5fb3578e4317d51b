/*
 * list.c — `rttrace list`: the seed's exercises, one line each, as rtwork
 * lists them; and finding rtwork, which `rttrace run` needs too.
 *
 * rtwork (workloads/rtwork.c) owns the exercises: their ids, titles,
 * sweeps and the seed's claims are compiled into it, so rttrace asks it
 * rather than keeping a second copy that could drift. rtwork is looked
 * for beside the rttrace binary (make builds both into one directory), or
 * at $RTWORK.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rttrace.h"
#include "tracer.h"

static const char doc[] =
    "List the seed's exercises that `rttrace run` runs, one line each: id, "
    "title, the parameter it sweeps, and the seed's claim.\n"
    "\n"
    "USAGE: rttrace list\n"
    "\n"
    "rtwork is looked for beside rttrace, or at $RTWORK.\n"
    "\n"
    "EXAMPLES:\n"
    "  rttrace list\n"
    "  sudo rttrace run ex03         # then run one\n"
    "\n"
    "OPTIONS:";

static const struct argp_option opts[] = {
    RT_GLOBAL_OPTIONS,
    {},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument: %s", arg);
		break;
	default:
		return rt_parse_global(key, arg, state);
	}
	return 0;
}

static const struct argp argp = {
    .options = opts,
    .parser = parse_arg,
    .args_doc = NULL,
    .doc = doc,
};

int rtwork_path(char *buf, size_t len)
{
	const char *env = getenv("RTWORK");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0) {
			rt_errorf("cannot find rtwork: /proc/self/exe: %s",
				  strerror(errno));
			return -1;
		}
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(buf, len, "%s/rtwork", self);
	}
	if (access(buf, X_OK)) {
		rt_errorf("rtwork not found at %s (%s): build it with `make`%s",
			  buf, strerror(errno),
			  env && *env ? ", or fix $RTWORK"
				      : " (or set $RTWORK)");
		return -1;
	}
	return 0;
}

int capture_output(const struct launch *l, char **out, struct sched_target *t)
{
	struct launch c = *l;
	FILE *f;
	long size;
	int fd, ret;

	*out = NULL;
	fd = memfd_create("rttrace-out", MFD_CLOEXEC);
	if (fd < 0) {
		rt_errorf("memfd_create: %s", strerror(errno));
		return RTTRACE_EXIT_FAIL;
	}
	c.stdout_fd = fd;
	ret = launch_untraced(&c, t);
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return RTTRACE_EXIT_FAIL;
	}
	size = lseek(fd, 0, SEEK_END);
	rewind(f);
	*out = calloc(1, size > 0 ? (size_t)size + 1 : 1);
	if (*out && size > 0 && fread(*out, 1, (size_t)size, f) != (size_t)size)
		(*out)[0] = '\0';
	fclose(f);
	return ret;
}

int cmd_list(int argc, char **argv)
{
	char rtwork[PATH_MAX];
	char *args[] = {rtwork, "list", NULL};
	struct launch l = {.argv = args, .stdout_fd = -1, .stderr_fd = -1};
	struct sched_target t;
	char *out;
	int ret;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return RTTRACE_EXIT_USAGE;
	if (rtwork_path(rtwork, sizeof(rtwork)))
		return RTTRACE_EXIT_FAIL;
	ret = capture_output(&l, &out, &t);
	if (ret == 0 && out && *out)
		fputs(out, stdout);
	else if (ret == 0)
		ret = RTTRACE_EXIT_FAIL;
	if (ret)
		rt_errorf("`%s list` failed (status %d): rebuild it with "
			  "`make`",
			  rtwork, ret);
	free(out);
	return ret;
}

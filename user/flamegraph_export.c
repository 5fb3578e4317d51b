/*
 * flamegraph_export.c — the files --flamegraph, --folded, --blocking and
 * --offcpu ask for, written once a traced run ends, for `rttrace trace`,
 * `attach` (tracer_report) and `run` (one set per variant, then the
 * differential).
 *
 * One name per option, the others derived from it by a suffix before the
 * extension, so a user who asked for ex09.svg finds ex09-blocking.svg,
 * ex09-before.svg and ex09-diff.svg beside it:
 *
 *   --flamegraph F.svg   CPU           F.svg
 *   --blocking           blocked time  F-blocking.svg
 *   --offcpu             off-CPU time  F-offcpu.svg
 *   run --variant both   per variant   F-before.svg, F-after.svg (and
 *                                      F-before-blocking.svg, ...)
 *                        differential  F-diff.svg (F-blocking-diff.svg)
 *
 * --folded FILE takes the same suffixes; its differential is FILE-diff in
 * difffolded.pl's "stack before after" format. This lives apart from
 * flamegraph.c so that the formats stay free of the BPF sessions (the unit
 * tests link flamegraph.o alone).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flamegraph.h"
#include "kernel_user.h"
#include "output.h"
#include "rttrace.h"
#include "tracer.h"

bool flame_wanted(const struct tracer_opts *o)
{
	return o->flamegraph || o->folded;
}

/* join makes "a-b" of the parts that are set ("" when none). */
static void join(char *buf, size_t len, const char *a, const char *b)
{
	snprintf(buf, len, "%s%s%s", a ? a : "", a && b ? "-" : "", b ? b : "");
}

/* open_out opens base+suffix for writing (output.h: a temporary renamed
 * over it by close_out); NULL after printing why. */
static FILE *open_out(const char *base, const char *suffix, struct output *out)
{
	char *path = flame_path(base, suffix);
	FILE *f;

	if (!path) {
		rt_errorf("out of memory");
		return NULL;
	}
	f = output_open(out, path) ? NULL : output_stream(out);
	if (!f)
		output_abort(out);
	free(path);
	return f;
}

/* close_out commits out when err is 0, else removes it; 0 or -errno. */
static int close_out(struct output *out, int err)
{
	char *path = strdup(out->path);

	if (err) {
		rt_errorf("cannot write %s: %s", out->path, strerror(-err));
		output_abort(out);
	} else {
		err = output_commit(out);
		if (!err)
			fprintf(stderr, "rttrace: wrote %s\n",
				path ? path : "(out of memory)");
	}
	free(path);
	return err;
}

/*
 * write_one writes fo as o asks: the SVG under --flamegraph's name and
 * the folded stacks under --folded's, each with suffix. Returns 0 or
 * -errno after printing why.
 */
static int write_one(const struct tracer_opts *o, const char *suffix,
		     const struct folded *fo, const char *title,
		     const char *subtitle)
{
	struct output out;
	FILE *f;
	int err = 0;

	if (o->flamegraph) {
		f = open_out(o->flamegraph, suffix, &out);
		if (!f)
			return -EIO;
		err = close_out(&out, flamegraph_svg(f, fo, title, subtitle));
	}
	if (!err && o->folded) {
		f = open_out(o->folded, suffix, &out);
		if (!f)
			return -EIO;
		err = close_out(&out, folded_write(f, fo));
	}
	return err;
}

/* prog_name is the traced program's name for titles. */
static const char *prog_name(const struct sched_target *t)
{
	const char *p = t->argv && t->argv[0] ? t->argv[0] : t->path;
	const char *s = p ? strrchr(p, '/') : NULL;

	return s ? s + 1 : p ? p : "?";
}

/* what_of names the traced run: the program and, under run, its
 * arguments (rtwork EX VARIANT). */
static void what_of(char *buf, size_t len, const struct sched_target *t)
{
	size_t o = (size_t)snprintf(buf, len, "%s", prog_name(t));

	for (int i = 1; t->argv && t->argv[i] && i < 4 && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, " %s", t->argv[i]);
	if (!t->argv && o < len)
		snprintf(buf + o, len - o, " (PID %d)", (int)t->pid);
}

/*
 * flame_export_offcpu writes the kernel view's off-CPU stacks (KERNEL's
 * kernel_offcpu_folded, weighted by ns off the CPU). Returns 0 or -errno.
 */
static int flame_export_offcpu(struct tracer *tr, const struct tracer_opts *o,
			       const char *what, const char *variant)
{
	struct folded off = {0};
	char title[512], suffix[128];
	int err;

	if (!tr->kernel.skel) {
		rt_warnf("--offcpu: the kernel view was not loaded");
		return 0;
	}
	err = kernel_offcpu_folded(&tr->kernel, &off);
	if (err) {
		rt_errorf("cannot read the off-CPU stacks: %s", strerror(-err));
		return err;
	}
	snprintf(title, sizeof(title), "Off-CPU: %s", what);
	join(suffix, sizeof(suffix), variant, "offcpu");
	err = write_one(o, suffix, &off, title,
			"time its threads spent off the CPU, by reason");
	folded_free(&off);
	return err;
}

int flame_export(struct tracer *tr, const struct profile_result *prof,
		 const struct sched_target *t, const struct tracer_opts *o,
		 const char *variant, struct flame_run *keep)
{
	struct profile_result own = {0};
	struct folded cpu = {0}, blk = {0};
	char what[256], title[512], sub[512], suffix[128];
	bool has_cpu = false, has_blk = false;
	int err = 0;

	if (!flame_wanted(o))
		return 0;
	what_of(what, sizeof(what), t);
	if (!prof && tr->prof.skel) {
		err = profile_collect(&tr->prof, &own);
		if (err)
			rt_warnf("cannot read the CPU samples: %s",
				 strerror(-err));
		else
			prof = &own;
		err = 0;
	}
	if (prof) {
		err = folded_from_profile(prof, &cpu);
		has_cpu = !err;
		snprintf(title, sizeof(title), "CPU: %s", what);
		snprintf(sub, sizeof(sub),
			 "%llu samples at %u Hz on %d CPUs over %.2f s%s",
			 (unsigned long long)prof->samples, prof->freq,
			 prof->ncpus, prof->duration_s,
			 prof->lost ? "; some without a stack: [stack lost]"
				    : "");
		join(suffix, sizeof(suffix), variant, NULL);
		if (!err)
			err = write_one(o, suffix, &cpu, title, sub);
	} else {
		rt_warnf("no CPU samples (--no-profile?): no CPU flamegraph");
	}

	if (!err && o->blocking && tr->block.skel) {
		err = block_folded(&tr->block, NULL, &blk);
		has_blk = !err;
		if (!err) {
			const uint64_t *st = tr->block.stats;

			snprintf(title, sizeof(title), "Blocking: %s", what);
			snprintf(sub, sizeof(sub),
				 "time parked (gopark -> goready) by wait "
				 "reason: %llu parks, %.3f s in all",
				 (unsigned long long)st[BLOCK_PARKS],
				 blk.total / 1e9);
			join(suffix, sizeof(suffix), variant, "blocking");
			err = write_one(o, suffix, &blk, title, sub);
		} else {
			rt_errorf("cannot read the blocking profile: %s",
				  strerror(-err));
		}
		block_report_warnings(&tr->block);
	} else if (!err && o->blocking) {
		rt_warnf("--blocking: no blocking profile was taken");
	}

	if (!err && o->offcpu)
		err = flame_export_offcpu(tr, o, what, variant);

	if (keep && !err) {
		keep->cpu = cpu;
		keep->has_cpu = has_cpu;
		keep->blocking = blk;
		keep->has_blocking = has_blk;
	} else {
		folded_free(&cpu);
		folded_free(&blk);
	}
	profile_result_free(&own);
	return err;
}

static int write_diff(const struct tracer_opts *o, const char *suffix,
		      const struct folded *b, const struct folded *a,
		      const char *title)
{
	struct output out;
	FILE *f;
	int err = 0;

	if (o->flamegraph) {
		f = open_out(o->flamegraph, suffix, &out);
		if (!f)
			return -EIO;
		err = close_out(&out, flamegraph_svg_diff(f, b, a, title));
	}
	if (!err && o->folded) {
		f = open_out(o->folded, suffix, &out);
		if (!f)
			return -EIO;
		err = close_out(&out, folded_write_diff(f, b, a));
	}
	return err;
}

int flame_export_diff(const struct tracer_opts *o, const struct flame_run *b,
		      const struct flame_run *a, const char *label,
		      const char *title)
{
	char t[512], suffix[128];
	int err = 0;

	if (!flame_wanted(o))
		return 0;
	if (b->has_cpu && a->has_cpu) {
		snprintf(t, sizeof(t), "CPU, before -> after: %s", title);
		join(suffix, sizeof(suffix), label, "diff");
		err = write_diff(o, suffix, &b->cpu, &a->cpu, t);
	}
	if (!err && b->has_blocking && a->has_blocking) {
		snprintf(t, sizeof(t), "Blocking, before -> after: %s", title);
		join(suffix, sizeof(suffix), label, "blocking-diff");
		err = write_diff(o, suffix, &b->blocking, &a->blocking, t);
	}
	return err;
}

void flame_run_free(struct flame_run *r)
{
	folded_free(&r->cpu);
	folded_free(&r->blocking);
	r->has_cpu = r->has_blocking = false;
}

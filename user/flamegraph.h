/*
 * flamegraph.h — folded stacks and flamegraphs, the exports people already
 * know how to read.
 *
 * A struct folded is a profile reduced to what a flamegraph shows: each
 * distinct stack as one "outer;...;inner" string and its weight (samples
 * for the CPU profile, blocked ns for the blocking profile, off-CPU ns for
 * the kernel's view). folded_write prints it in the format FlameGraph's
 * flamegraph.pl, inferno and speedscope read ("a;b;c 123"); flamegraph_svg
 * draws it as a self-contained interactive SVG; flamegraph_svg_diff draws
 * the change between two profiles (width: after; red grew, blue shrank).
 *
 * Frame names follow FlameGraph's annotations: "_[k]" ends a kernel frame,
 * "_[i]" a call inlined into its caller; a name in brackets ("[unknown]",
 * "[libc.so.6]", "[stack lost]") stands for what could not be named.
 * Producers replace ';' in a name (it separates frames) by ':'.
 *
 * The export glue at the end writes the files the report options ask for
 * (--flamegraph, --folded, --blocking, --offcpu) for `rttrace trace`,
 * `attach` and `run` (flamegraph_export.c).
 */
#ifndef RTTRACE_FLAMEGRAPH_H
#define RTTRACE_FLAMEGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct profile_result;

/* How a frame is coloured: by who runs it. */
enum frame_kind {
	FRAME_USER,    /* the program's own code and its libraries */
	FRAME_RUNTIME, /* librt (runtime/) */
	FRAME_KERNEL,  /* a kernel function ("_[k]") */
	FRAME_SPECIAL, /* a pseudo frame: "all", a wait reason, "[unknown]" */
};

/* A frame name's kind when the producer knew it from more than the name
 * (librt frames are known by their source file). */
struct folded_kind {
	char *name;
	enum frame_kind kind;
};

struct folded {
	size_t n;
	struct folded_stack {
		char *stack;   /* "outer;...;inner" */
		double weight; /* in unit */
	} * v;
	double total;	  /* sum of the weights */
	const char *unit; /* "samples", "ns" (static string) */
	/* FLAME's own, optional (zero: kinds are guessed from names):
	 * names sorted by strcmp, unique */
	struct folded_kind *kinds;
	size_t nkinds;
};

/*
 * folded_from_profile folds the CPU samples of r: one stack per distinct
 * symbolized stack, outermost frame first, weighted by samples; a stack
 * half that could not be recorded is a "[stack lost]" frame, so the
 * samples still count. unit "samples". Returns 0 or -ENOMEM.
 */
int folded_from_profile(const struct profile_result *r, struct folded *out);

/*
 * folded_add appends stack (copied) with weight w; folded_merge sorts the
 * stacks frame by frame and adds up equal ones, and sets total. A folded
 * built with folded_add must be merged before it is written or drawn.
 * folded_add returns 0 or -ENOMEM.
 */
int folded_add(struct folded *fo, const char *stack, double w);
void folded_merge(struct folded *fo);

/*
 * folded_set_kind records name's kind (copied) for the SVG's colours.
 * Call folded_kinds_done once after the last one. Returns 0 or -ENOMEM.
 */
int folded_set_kind(struct folded *fo, const char *name, enum frame_kind kind);
void folded_kinds_done(struct folded *fo);

/* frame_kind_of is name's kind: recorded in fo, else guessed from it. */
enum frame_kind frame_kind_of(const struct folded *fo, const char *name);

/* folded_write prints "stack weight" lines; 0 or -errno. */
int folded_write(FILE *f, const struct folded *fo);

/*
 * folded_write_diff prints the union of two merged profiles as "stack
 * before after" lines (difffolded.pl's output, flamegraph.pl's diff
 * input; no scaling). Returns 0 or -errno.
 */
int folded_write_diff(FILE *f, const struct folded *before,
		      const struct folded *after);

/*
 * folded_read parses what folded_write prints (and FlameGraph's
 * stackcollapse output) from f into out, merged; unit is "samples".
 * Returns 0, -EINVAL on a malformed line, or -errno.
 */
int folded_read(FILE *f, struct folded *out);

/*
 * markup_escape writes s[0..len) (or up to a NUL) as XML/HTML text or
 * attribute value: & < > " ' as entities, control characters other than
 * tab and newlines as '?'. The SVG, the HTML report and --serve's index
 * page all escape through it.
 */
void markup_escape(FILE *f, const char *s, size_t len);

/*
 * flamegraph_svg draws fo as an interactive SVG: frames as boxes whose
 * width is their share of the total, callers below callees; hover shows
 * name, weight and share, a click zooms into a frame, Search (or Ctrl-F)
 * highlights frames matching a regular expression and shows the share
 * they cover. Colour by kind: user warm, librt aqua, kernel orange.
 * subtitle may be NULL. Returns 0 or -errno.
 */
int flamegraph_svg(FILE *f, const struct folded *fo, const char *title,
		   const char *subtitle);

/*
 * flamegraph_svg_diff draws after's stacks (width: after's weight) coloured
 * by the change of each frame's total from before, as FlameGraph's
 * difffolded.pl -n feeding flamegraph.pl: before is first scaled to
 * after's total, so the colour shows a change of share, not of run
 * length; red grew, blue shrank, white unchanged, the deeper the larger.
 * Returns 0 or -errno.
 */
int flamegraph_svg_diff(FILE *f, const struct folded *before,
			const struct folded *after, const char *title);

void folded_free(struct folded *fo);

/*
 * flame_path builds base with "-suffix" put before its extension
 * ("out.svg", "before" -> "out-before.svg"); suffix NULL or "" gives base.
 * Returns a malloc'ed string, NULL on failure.
 */
char *flame_path(const char *base, const char *suffix);

/* ---- the report's exports (flamegraph_export.c) ------------------------ */

struct tracer;
struct tracer_opts;
struct sched_target;

/* What one traced run's exports keep for a differential. */
struct flame_run {
	struct folded cpu;
	struct folded blocking;
	bool has_cpu, has_blocking;
};

/* flame_wanted says whether o asks for any flamegraph or folded file. */
bool flame_wanted(const struct tracer_opts *o);

/*
 * flame_export writes the files o asks for from the traced run in tr:
 * CPU (from prof; NULL: collected here if tr samples), blocking (tr's
 * block profile) and off-CPU (tr's kernel view); variant ("before",
 * "after"; NULL: none) is put into every name. With keep, the folded
 * stacks are kept there for flame_export_diff. Returns 0 or -errno after
 * printing why.
 */
int flame_export(struct tracer *tr, const struct profile_result *prof,
		 const struct sched_target *t, const struct tracer_opts *o,
		 const char *variant, struct flame_run *keep);

/*
 * flame_export_diff writes FILE-diff.svg (and FILE-blocking-diff.svg)
 * from two kept runs, and the folded files' diff as "stack before after"
 * lines (difffolded.pl's format) to FOLDED-diff; label (NULL: none) goes
 * before "diff" (a swept parameter). Returns 0 or -errno.
 */
int flame_export_diff(const struct tracer_opts *o, const struct flame_run *b,
		      const struct flame_run *a, const char *label,
		      const char *title);

void flame_run_free(struct flame_run *r);

#endif /* RTTRACE_FLAMEGRAPH_H */

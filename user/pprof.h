/*
 * pprof.h — profiles in pprof's format: a perftools.profiles.Profile
 * (user/profile.proto, google/pprof's published schema) packed with
 * protobuf-c and gzipped, which `go tool pprof`, Pyroscope and Parca
 * read. --pprof FILE writes the CPU samples there; with --blocking the
 * blocking profile goes to a second file, FILE-blocking.pb.gz.
 */
#ifndef RTTRACE_PPROF_H
#define RTTRACE_PPROF_H

#include "profile_user.h"

struct folded; /* flamegraph.h */

/*
 * pprof_write_cpu writes the CPU samples r to path as a gzipped profile:
 * sample types [samples/count, cpu/nanoseconds], one period of
 * 1e9/r->freq ns per sample, a location per (module, pc) whose lines are
 * the calls inlined there then the function, a mapping per module (exe,
 * when not NULL, first: pprof takes mapping 0 for the main binary).
 * Samples recorded without a stack, or with half of it lost, keep their
 * weight under a "[…]" frame that says so, so that the totals are
 * rttrace's. Returns 0, or -errno after printing why.
 */
int pprof_write_cpu(const char *path, const struct profile_result *r,
		    const char *exe);

/*
 * pprof_write_folded writes folded stacks ("outer;…;inner", weighted) to
 * path as a gzipped profile of one sample type [sample_type, unit] — for
 * the blocking profile, "delay"/"nanoseconds" as Go's block profile has
 * it. A location per distinct frame, with no address and no mapping: a
 * folded stack keeps names only. Returns 0, or -errno after printing why.
 */
int pprof_write_folded(const char *path, const struct folded *fo,
		       const char *sample_type, const char *unit);

struct tracer;
struct tracer_opts;
struct sched_target;

/*
 * pprof_export writes what --pprof FILE asks for from the traced run in
 * tr: the CPU profile (from prof; NULL: collected here) to FILE, and with
 * --blocking the blocking profile to FILE-blocking.pb.gz; variant
 * ("before", "after"; NULL: none) is put into every name. Returns 0 (at
 * once without --pprof), or -errno after printing why.
 */
int pprof_export(struct tracer *tr, const struct profile_result *prof,
		 const struct sched_target *t, const struct tracer_opts *o,
		 const char *variant);

/*
 * pprof_path names a file derived from file: suffix put before its
 * extension (".pb.gz", ".pb" or ".gz"), joined with a '-', or after it
 * when it has none ("ex09.pb.gz", "before" -> "ex09-before.pb.gz").
 * suffix NULL or "" gives a copy of file. malloc'ed; NULL when out of
 * memory.
 */
char *pprof_path(const char *file, const char *suffix);

#endif /* RTTRACE_PPROF_H */

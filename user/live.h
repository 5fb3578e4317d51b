/*
 * live.h — `--live`: the report redrawn every interval while the traced
 * program runs, with the rates of the last interval beside the totals.
 */
#ifndef RTTRACE_LIVE_H
#define RTTRACE_LIVE_H

#include <stdbool.h>

#include "tracer.h"

/*
 * tracer_live reads tr's maps every interval_s seconds (TRACER_INTERVAL_S
 * if interval_s <= 0) and prints the interval on stdout: events per probe
 * over the interval and in total, and the interval's histograms and
 * sections. On a terminal each frame replaces the last in place; otherwise
 * (or with o->json) the frames follow one another, each text frame
 * opening with a line "--- HH:MM:SS +Ns ---" (N: seconds since
 * tracer_live began), each JSON frame one object.
 *
 * It returns when running(ctx) is false (the caller's test that the
 * program still runs; checked every 50 ms, so a program that ends between
 * two frames ends the view at once) or *exiting is set (Ctrl-C): 0, or
 * -errno if the maps could not be read. The caller prints the final
 * report after it.
 */
int tracer_live(struct tracer *tr, const struct sched_target *t,
		const struct tracer_opts *o, double interval_s,
		bool (*running)(void *ctx), void *ctx, volatile bool *exiting);

#endif /* RTTRACE_LIVE_H */

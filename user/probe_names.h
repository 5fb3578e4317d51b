/*
 * probe_names.h — librt's probe names and argument docs, from the one list
 * in runtime/probes.h (RT_PROBE_LIST), without linking librt.
 */
#ifndef RTTRACE_PROBE_NAMES_H
#define RTTRACE_PROBE_NAMES_H

#include "probes.h"

/* probe_name returns the probe's name in probes.h ("gopark"). */
const char *probe_name(enum rt_probe_id id);
/* probe_args returns the probe's argument names ("goid wait_reason"). */
const char *probe_args(enum rt_probe_id id);
/* probe_lookup returns the id of the probe called name, or -1. */
int probe_lookup(const char *name);

#endif /* RTTRACE_PROBE_NAMES_H */

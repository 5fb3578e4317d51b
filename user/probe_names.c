/* probe_names.c — the name table of runtime/probes.h's RT_PROBE_LIST. */
#include <string.h>

#include "probe_names.h"

static const char *const names[RT_PROBE_NUM] = {
#define X(name, nargs, doc) [RT_PROBE_ID_##name] = #name,
    RT_PROBE_LIST(X)
#undef X
};

static const char *const args[RT_PROBE_NUM] = {
#define X(name, nargs, doc) [RT_PROBE_ID_##name] = doc,
    RT_PROBE_LIST(X)
#undef X
};

const char *probe_name(enum rt_probe_id id)
{
	return (unsigned int)id < RT_PROBE_NUM ? names[id] : "?";
}

const char *probe_args(enum rt_probe_id id)
{
	return (unsigned int)id < RT_PROBE_NUM ? args[id] : "";
}

int probe_lookup(const char *name)
{
	for (int i = 0; i < RT_PROBE_NUM; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

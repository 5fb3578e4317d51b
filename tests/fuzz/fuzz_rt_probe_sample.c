/* fuzz_rt_probe_sample: rt_probe_sample_setenv, RT_PROBE_SAMPLE
 * (runtime/probes.c): "N" or "name=N,…", bad entries skipped. */
#include "fuzz.h"
#include "runtime2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);

	rt_probe_sample_setenv(s);
	for (int i = 0; i < RT_PROBE_NUM; i++)
		rt_probe_sample_period[i] = 1;
	free(s);
	return 0;
}

/* fuzz_rt_memlimit: parse_memlimit, RT_MEMLIMIT (runtime/mgcpacer.c).
 * "off", empty and anything invalid give no limit (UINT64_MAX). */
#include "fuzz.h"
#include "runtime2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);

	(void)parse_memlimit(s);
	free(s);
	return 0;
}

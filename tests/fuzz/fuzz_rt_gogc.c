/* fuzz_rt_gogc: parse_gogc, RT_GOGC (runtime/mgcpacer.c). The result is
 * -1 (off) or a percentage the pacer's arithmetic takes. */
#include <assert.h>

#include "fuzz.h"
#include "runtime2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	int32_t n = parse_gogc(s);

	assert(n >= -1 && n <= INT32_MAX / 2);
	free(s);
	return 0;
}

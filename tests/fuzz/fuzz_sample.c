/* fuzz_sample: sample_parse, --sample (user/sample.c). A fixed period it
 * takes is 2 .. SAMPLE_MAX_PERIOD. */
#include <assert.h>

#include "fuzz.h"
#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	enum sample_mode mode = SAMPLE_AUTO;
	uint32_t period = 0;

	if (sample_parse(s, &mode, &period) && mode == SAMPLE_FIXED)
		assert(period >= 2 && period <= SAMPLE_MAX_PERIOD);
	free(s);
	return 0;
}

/* fuzz_duration: parse_duration, --benchtime/--interval/--duration
 * (user/parse.c). A duration it takes is positive and finite. */
#include <assert.h>
#include <math.h>

#include "fuzz.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	double sec = -1;

	if (parse_duration(s, &sec))
		assert(isfinite(sec) && sec > 0);
	free(s);
	return 0;
}

/* fuzz_rt_maxprocs: parse_maxprocs, RT_MAXPROCS (runtime/proc.c). What it
 * takes is 1 .. RT_MAX_PROCS; anything else gives the default. */
#include <assert.h>

#include "fuzz.h"
#include "runtime2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	int32_t n;

	setenv("RT_MAXPROCS", s, 1);
	n = parse_maxprocs(7);
	assert(n >= 1 && n <= RT_MAX_PROCS);
	free(s);
	return 0;
}

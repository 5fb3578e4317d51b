/* fuzz_cpulist: parse_cpu_list, the kernel's CPU lists
 * (/sys/devices/system/cpu/online; user/parse.c). A list it takes gives
 * at most max CPUs, each a number in 0..2^20 written in the list, and
 * ranges ascend. */
#include <assert.h>
#include <errno.h>

#include "fuzz.h"
#include "parse.h"

#define MAX_CPUS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	int cpus[MAX_CPUS + 1];
	int n;

	cpus[MAX_CPUS] = -12345; /* a write past max shows here */
	n = parse_cpu_list(s, cpus, MAX_CPUS);
	assert(n == -EINVAL || (n >= 0 && n <= MAX_CPUS));
	assert(cpus[MAX_CPUS] == -12345);
	for (int i = 0; i < n; i++)
		assert(cpus[i] >= 0 && cpus[i] <= 1 << 20);
	free(s);
	return 0;
}

/* fuzz_maps: sample_load_base, /proc/PID/maps's lines for where an
 * executable is mapped (user/sample.c). The input is the maps file;
 * the path looked for is /proc/self/exe, which a line may name. */
#include "fuzz.h"
#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t base;
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	(void)sample_load_base(f, "/proc/self/exe", &base);
	fclose(f);
	return 0;
}

/* fuzz_elfsyms: sample_find_symbols, rt_probe_sample_period's and
 * rt_probe_sample_epoch's symbols in another program's ELF file
 * (user/sample.c), fed the input as a file. */
#include "fuzz.h"
#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t period, epoch, first;
	char path[256];

	fuzz_file(data, size, path, sizeof(path));
	(void)sample_find_symbols(path, &period, &epoch, &first);
	unlink(path);
	return 0;
}

/* fuzz_usdt: usdt_check, the .note.stapsdt notes of another program's
 * ELF file (user/usdt_check.c), fed the input as a file. */
#include "fuzz.h"
#include "usdt_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usdt_probes p;
	char path[256];

	fuzz_file(data, size, path, sizeof(path));
	if (usdt_check(path, &p) == 0)
		usdt_free(&p);
	unlink(path);
	return 0;
}

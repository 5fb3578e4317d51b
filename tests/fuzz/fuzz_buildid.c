/* fuzz_buildid: usyms_module_key, the build-ID note of another program's
 * ELF file or its file key (user/symbolize.c), fed the input as a file. */
#include <assert.h>

#include "fuzz.h"
#include "symbolize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[256], key[1024];

	fuzz_file(data, size, path, sizeof(path));
	if (usyms_module_key(path, key, sizeof(key)) == 0)
		assert(!strncmp(key, "build-id:", 9) ||
		       !strncmp(key, "file:", 5));
	unlink(path);
	return 0;
}

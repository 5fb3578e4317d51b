/* fuzz_folded: folded_read, a folded-stacks file rttrace reads back for a
 * differential flamegraph (user/flamegraph.c), then written out again. */
#include "flamegraph.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct folded fo;
	FILE *f, *out;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (folded_read(f, &fo) == 0) {
		out = fopen("/dev/null", "w");
		if (out) {
			(void)folded_write(out, &fo);
			fclose(out);
		}
		folded_free(&fo);
	}
	fclose(f);
	return 0;
}

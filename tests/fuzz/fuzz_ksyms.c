/* fuzz_ksyms: ksyms_parse, /proc/kallsyms's lines (user/symbolize.c). */
#include "fuzz.h"
#include "symbolize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ksyms ks = {0};
	FILE *f = fmemopen((void *)data, size, "r");

	if (!size || !f)
		return f ? fclose(f), 0 : 0;
	if (ksyms_parse(&ks, f) == 0) {
		(void)ksyms_find(&ks, 0);
		(void)ksyms_find(&ks, ~0ull);
	}
	ksyms_free(&ks);
	fclose(f);
	return 0;
}

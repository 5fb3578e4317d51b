/* fuzz_usyms_maps: parse_mods, /proc/PID/maps cut into modules by the
 * user-space symbolizer (user/symbolize.c). parse_mods is static: this
 * target includes symbolize.c (and links without symbolize.o). */
#include "../../user/symbolize.c"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usyms us = {.view = (char *)data, .view_len = size};

	parse_mods(&us);
	for (size_t i = 1; i < us.nmods; i++)
		if (strcmp(us.mods[i].path, us.mods[i - 1].path) == 0)
			abort(); /* consecutive mappings of a path are one */
	free(us.mods);
	return 0;
}

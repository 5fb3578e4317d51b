/* fuzz_size: timeline_parse_size, --ringbuf-size (user/parse.c). A size
 * it takes is a power of two, at least a page, at most 2G, and at least
 * the bytes written (the number times its suffix, without wrapping). */
#include <assert.h>

#include "fuzz.h"
#include "parse.h"

/* at_least is whether v holds the bytes s writes, counted apart. */
static int at_least(const char *s, unsigned int v)
{
	unsigned long long n, bytes, unit = 1;
	char *end;

	n = strtoull(s, &end, 0);
	switch (*end) {
	case 'k':
	case 'K':
		unit = 1ull << 10;
		break;
	case 'm':
	case 'M':
		unit = 1ull << 20;
		break;
	case 'g':
	case 'G':
		unit = 1ull << 30;
		break;
	}
	return !__builtin_mul_overflow(n, unit, &bytes) && bytes <= v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	unsigned int v = timeline_parse_size(s);

	if (v) {
		assert((v & (v - 1)) == 0);
		assert(v >= (unsigned int)getpagesize());
		assert(v <= 1u << 31);
		assert(at_least(s, v));
	}
	free(s);
	return 0;
}

/*
 * sizeclasses.c — the size class table; mirrors runtime/sizeclasses.go
 * (Go 1.19: 68 classes, objects up to 32 KiB, 8 KiB pages).
 *
 * class_to_size and class_to_allocnpages are Go's data, copied as is. The
 * lookup tables size_to_class8 (sizes up to 1024 in steps of 8) and
 * size_to_class128 (up to 32 KiB in steps of 128) and the division
 * multipliers are derived from them at start-up, the way mksizeclasses.go
 * derives them: a derived table cannot drift from its source.
 *
 * class  bytes/obj  bytes/span  objects  tail waste  (as sizeclasses.go)
 *     1          8        8192     1024           0
 *     2         16        8192      512           0
 *     3         24        8192      341           8
 *   ...
 *    67      32768       32768        1           0
 */
#include "malloc.h"

const uint16_t class_to_size[NUM_SIZE_CLASSES] = {
    0,	   8,	  16,	 24,	32,    48,    64,    80,    96,	   112,
    128,   144,	  160,	 176,	192,   208,   224,   240,   256,   288,
    320,   352,	  384,	 416,	448,   480,   512,   576,   640,   704,
    768,   896,	  1024,	 1152,	1280,  1408,  1536,  1792,  2048,  2304,
    2688,  3072,  3200,	 3456,	4096,  4864,  5376,  6144,  6528,  6784,
    6912,  8192,  9472,	 9728,	10240, 10880, 12288, 13568, 14336, 16384,
    18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};

const uint8_t class_to_allocnpages[NUM_SIZE_CLASSES] = {
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 1, 2, 1, 3, 2,	 3, 1, 3,
    2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8, 3, 10, 7, 4};

uint32_t class_to_divmul[NUM_SIZE_CLASSES];
uint8_t size_to_class8[SMALL_SIZE_MAX / SMALL_SIZE_DIV + 1];
uint8_t
    size_to_class128[(MAX_SMALL_SIZE - SMALL_SIZE_MAX) / LARGE_SIZE_DIV + 1];

/* sizeclass_init fills the derived tables; mirrors mksizeclasses.go's
 * computeDivMagic and the size_to_class loops. */
void sizeclass_init(void)
{
	int c = 0;
	for (int i = 0; i <= SMALL_SIZE_MAX / SMALL_SIZE_DIV; i++) {
		while (class_to_size[c] < i * SMALL_SIZE_DIV)
			c++;
		size_to_class8[i] = (uint8_t)c;
	}
	for (int i = 0; i <= (MAX_SMALL_SIZE - SMALL_SIZE_MAX) / LARGE_SIZE_DIV;
	     i++) {
		while (class_to_size[c] < SMALL_SIZE_MAX + i * LARGE_SIZE_DIV)
			c++;
		size_to_class128[i] = (uint8_t)c;
	}
	for (int i = 1; i < NUM_SIZE_CLASSES; i++)
		class_to_divmul[i] =
		    (uint32_t)(UINT32_MAX / class_to_size[i] + 1);
	if (size_to_class(64) != 6 || size_to_class(32768) != 67 ||
	    size_to_class(1025) != 33)
		throw("sizeclass_init: bad table");
}

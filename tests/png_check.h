/*
 * png_check.h — a PNG decoder for the tests that look at Chromium's
 * screenshots (test_flamegraph, test_report): 8-bit RGB or RGBA,
 * non-interlaced, which is what headless Chromium writes. Failures are
 * libcheck assertions.
 */
#ifndef RTT_PNG_CHECK_H
#define RTT_PNG_CHECK_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct png {
	uint32_t w, h;
	int channels; /* 3 RGB, 4 RGBA */
	uint8_t *px;  /* w * h * channels */
};

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/*
 * png_decode reads an 8-bit RGB or RGBA, non-interlaced PNG (what
 * chromium writes): IDAT chunks inflated, each row unfiltered.
 */
static inline struct png png_decode(const uint8_t *buf, size_t len)
{
	struct png img = {0};
	uint8_t *idat = NULL, *raw;
	size_t nidat = 0, stride;
	uLongf rawlen;
	size_t off = 8;

	ck_assert_msg(len > 8 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0,
		      "not a PNG");
	while (off + 12 <= len) {
		uint32_t n = be32(buf + off);
		const uint8_t *type = buf + off + 4, *data = buf + off + 8;

		ck_assert(off + 12 + n <= len);
		if (memcmp(type, "IHDR", 4) == 0) {
			img.w = be32(data);
			img.h = be32(data + 4);
			ck_assert_msg(data[8] == 8 && data[12] == 0,
				      "PNG depth %d interlace %d", data[8],
				      data[12]);
			ck_assert_msg(data[9] == 2 || data[9] == 6,
				      "PNG colour type %d", data[9]);
			img.channels = data[9] == 6 ? 4 : 3;
		} else if (memcmp(type, "IDAT", 4) == 0) {
			idat = realloc(idat, nidat + n);
			ck_assert_ptr_nonnull(idat);
			memcpy(idat + nidat, data, n);
			nidat += n;
		}
		off += 12 + n;
	}
	ck_assert(img.w > 0 && img.h > 0 && idat);
	stride = (size_t)img.w * img.channels;
	rawlen = (uLongf)((stride + 1) * img.h);
	raw = malloc(rawlen);
	img.px = malloc(stride * img.h);
	ck_assert(raw && img.px);
	ck_assert_int_eq(uncompress(raw, &rawlen, idat, nidat), Z_OK);
	ck_assert_uint_eq(rawlen, (stride + 1) * img.h);
	for (uint32_t y = 0; y < img.h; y++) {
		const uint8_t *in = raw + y * (stride + 1) + 1;
		uint8_t *out = img.px + y * stride;
		const uint8_t *up = y ? out - stride : NULL;
		int ft = in[-1], bpp = img.channels;

		for (size_t x = 0; x < stride; x++) {
			int a = x >= (size_t)bpp ? out[x - bpp] : 0;
			int b = up ? up[x] : 0;
			int c = up && x >= (size_t)bpp ? up[x - bpp] : 0;

			switch (ft) {
			case 0:
				out[x] = in[x];
				break;
			case 1:
				out[x] = in[x] + a;
				break;
			case 2:
				out[x] = in[x] + b;
				break;
			case 3:
				out[x] = in[x] + (a + b) / 2;
				break;
			case 4:
				out[x] = in[x] + paeth(a, b, c);
				break;
			default:
				ck_abort_msg("PNG filter %d", ft);
			}
		}
	}
	free(raw);
	free(idat);
	return img;
}

#endif /* RTT_PNG_CHECK_H */

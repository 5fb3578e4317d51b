/*
 * iface.c — boxing values into interfaces; mirrors convT64, convTstring
 * and convTslice in runtime/iface.go.
 *
 * Storing a non-pointer value in an interface needs a pointer to a copy of
 * it, so the compiler calls convT*: each copies the value into a fresh GC
 * heap object, except where a shared read-only copy serves every caller:
 *
 *   convT64      values below 256 point into staticuint64s, one 8-byte
 *                slot per value; others take an 8-byte pointer-free
 *                object (the tiny/8-byte size class in Go).
 *   convTstring  the empty string points to zeroval; others take a 16-byte
 *                object that is scanned (it holds the data pointer).
 *   convTslice   a slice with a nil array points to zeroval; others take
 *                a 24-byte scanned object.
 *
 * So boxing small integers and empty values is free, and anything else is
 * one mallocgc per conversion, which is what the convT probe shows:
 * convT(kind, allocated) fires on every call.
 */
#include "runtime2.h"

enum { CONVT_64 = 1, CONVT_STRING = 2, CONVT_SLICE = 3 };

/* staticuint64s mirrors runtime.staticuint64s: staticuint64s[i] == i. */
#define U64S_4(n)  (n), (n) + 1, (n) + 2, (n) + 3
#define U64S_16(n) U64S_4(n), U64S_4((n) + 4), U64S_4((n) + 8), U64S_4((n) + 12)
#define U64S_64(n) \
	U64S_16(n), U64S_16((n) + 16), U64S_16((n) + 32), U64S_16((n) + 48)
static const uint64_t staticuint64s[256] = {
    U64S_64(0),
    U64S_64(64),
    U64S_64(128),
    U64S_64(192),
};

/* zeroval mirrors runtime.zeroVal: the shared zero value of any type, here
 * of every type convT boxes (an empty rt_string, a nil rt_slice). */
static const uint64_t zeroval[128];

_Static_assert(sizeof(rt_string) == 16, "rt_string is a Go string header");
_Static_assert(sizeof(rt_slice) == 24, "rt_slice is a Go slice header");
_Static_assert(sizeof(zeroval) >= sizeof(rt_slice), "zeroval too small");

/* rt_convT64 mirrors convT64. */
const uint64_t *rt_convT64(uint64_t v)
{
	if (v < sizeof(staticuint64s) / sizeof(staticuint64s[0])) {
		RT_PROBE2(convT, CONVT_64, 0);
		return &staticuint64s[v];
	}
	uint64_t *x = rt_mallocgc(sizeof(v), RT_MALLOC_NOSCAN);
	*x = v;
	RT_PROBE2(convT, CONVT_64, 1);
	return x;
}

/* rt_convTstring mirrors convTstring: "" (len 0) is not allocated. */
const rt_string *rt_convTstring(rt_string s)
{
	if (s.len == 0) {
		RT_PROBE2(convT, CONVT_STRING, 0);
		return (const rt_string *)zeroval;
	}
	rt_string *x = rt_mallocgc(sizeof(s), 0);
	*x = s;
	RT_PROBE2(convT, CONVT_STRING, 1);
	return x;
}

/* rt_convTslice mirrors convTslice: a nil array is not allocated. */
const rt_slice *rt_convTslice(rt_slice s)
{
	if (s.ptr == NULL) {
		RT_PROBE2(convT, CONVT_SLICE, 0);
		return (const rt_slice *)zeroval;
	}
	rt_slice *x = rt_mallocgc(sizeof(s), 0);
	*x = s;
	RT_PROBE2(convT, CONVT_SLICE, 1);
	return x;
}

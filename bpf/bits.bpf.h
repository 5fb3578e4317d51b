/* bits.bpf.h — bit arithmetic for BPF programs, as libbpf-tools has it. */
#ifndef RTTRACE_BITS_BPF_H
#define RTTRACE_BITS_BPF_H

/*
 * log2 returns floor(log2(v)) for a 32-bit v, 0 for v == 0, without loops
 * (the verifier counts every iteration): a binary search on the highest set
 * bit.
 */
static __always_inline __u64 log2(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4;
	v >>= r;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

/*
 * log2l is log2 for 64-bit values: the same search with one more step,
 * rather than log2 of either half, which clang inlines as two copies of
 * log2 and a branch between them on every histogram update.
 */
static __always_inline __u64 log2l(__u64 v)
{
	__u64 shift, r;

	r = (__u64)(v > 0xFFFFFFFF) << 5;
	v >>= r;
	shift = (__u64)(v > 0xFFFF) << 4;
	v >>= shift;
	r |= shift;
	shift = (__u64)(v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (__u64)(v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (__u64)(v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

#endif /* RTTRACE_BITS_BPF_H */

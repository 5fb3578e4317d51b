/*
 * ex09_buffer_pool.c — Exercise 9: make([]byte, 64 KiB) per call.
 *
 * Seed. Before: decode(data) allocates a 64 KiB scratch buffer per call,
 * unpacks the input into it and parses the message out of it. After: a
 * sync.Pool of buffers keyed on size; Get, use, reset, Put back. Claim:
 * "~8× faster, ~2700× less GC pressure" (2700 ≈ 65 536 B/op against the
 * 24 B/op of the *[]byte header Go's pool boxes: a B/op ratio).
 *
 * Mechanism. rt_mallocgc(64 KiB) is mallocgc's large-object path
 * (> 32 KiB: mcache.allocLarge → mheap_alloc under the heap lock, a span
 * of its own, zeroed), and every 64 KiB brings the next GC cycle closer:
 * with a small live heap the pacer's 4 MiB goal means a cycle every ~64
 * calls, each stopping the world. rt_pool_get / rt_pool_put mirror
 * sync.Pool: the P's private slot, no lock, no allocation; the buffer
 * survives cycles through the victim cache. In C the pool holds the
 * buffer's pointer itself, so the After allocates only the decoded message
 * (Go's would add the 24 B slice header when it boxes a []byte).
 *
 * One op is one decode of a protobuf-like request: a length-prefixed,
 * masked frame (unpack copies and unmasks it into the buffer, as a framing
 * layer does) holding a message {1: id varint, 2: name bytes, 3: packed
 * varints} (parse walks the wire format into a 64-byte Message, allocated
 * as Unmarshal's result is). The swept parameter is the buffer size:
 * "buf=64KiB" is the seed's (a ~1 KiB message in a worst-case-sized
 * buffer), "buf=512B" the seed's premature case, "sync.Pool on buffers
 * smaller than 1 KB" (a 384 B message), where mallocgc's small-object
 * fast path is already cheap.
 *
 * Figures: gc/op ("/gc/cycles/total:gc-cycles" delta per op); B/op and
 * allocs/op come from the harness.
 *
 * When NOT (the seed): buffers of widely varying size, allocations off the
 * hot path, buffers whose lifetime crosses goroutines unclearly. The
 * correctness gap (§16: "sync.Pool holding buffers that weren't reset,
 * leaking data across requests") is tests/test_ex06_10.c:
 * test_ex09_unreset_buffer_leaks_previous_request — a fixed-size reply
 * record built from a pooled buffer that was not reset carries the
 * previous request's secret; with the reset (or a fresh buffer) it is
 * zero padding.
 */
#include <string.h>

#include "exercise.h"

/* Message is what parse returns (Unmarshal's *Message). */
struct message {
	uint64_t id;
	char name[32];
	uint32_t nvalues;
	uint32_t flags;
	uint64_t sum; /* of the packed values */
	uint64_t digest;
};

enum {
	NINPUTS = 16,	      /* distinct requests, cycled through */
	FRAME_HDR = 8,	      /* 4-byte length, 4-byte mask */
	REPLY_RECORD = 256,   /* fixed-size reply record (the gap test) */
	RESULT_REQUESTS = 64, /* the fixed input of result */
};

/* The inputs, built once per size, kept reachable from here. */
static uint8_t *inputs[NINPUTS];
static size_t inputs_len[NINPUTS];
static int64_t inputs_for; /* buffer size they were built for */

/* The escaping result. */
static struct message *volatile sink_msg;

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* get_varint reads a varint at *pos < end; false if truncated. */
static inline bool get_varint(const uint8_t *b, size_t end, size_t *pos,
			      uint64_t *v)
{
	uint64_t x = 0;
	for (int shift = 0; shift < 64 && *pos < end; shift += 7) {
		uint8_t c = b[(*pos)++];
		x |= (uint64_t)(c & 0x7f) << shift;
		if (c < 0x80) {
			*v = x;
			return true;
		}
	}
	return false;
}

/*
 * encode_request builds the frame of request k whose payload is about
 * size bytes: a name (the request's "user"), then packed values.
 */
static size_t encode_request(uint8_t *out, size_t size, uint64_t k,
			     const char *name)
{
	uint8_t *pl = out + FRAME_HDR;
	size_t n = 0;
	pl[n++] = (1 << 3) | 0; /* id, varint */
	n += put_varint(pl + n, 1000 + k);
	size_t nl = strlen(name);
	pl[n++] = (2 << 3) | 2; /* name, bytes */
	n += put_varint(pl + n, nl);
	memcpy(pl + n, name, nl);
	n += nl;
	/* packed values fill the rest: a length of up to 2 bytes */
	size_t room = size > n + 3 ? size - n - 3 : 0;
	uint8_t vals[2048];
	size_t vn = 0;
	for (uint64_t i = 0; vn + 3 <= room; i++)
		vn += put_varint(vals + vn, (k * 131 + i * 37) % 20000);
	pl[n++] = (3 << 3) | 2; /* values, packed */
	n += put_varint(pl + n, vn);
	memcpy(pl + n, vals, vn);
	n += vn;
	/* the frame: length, mask, masked payload */
	uint32_t mask = 0x5bd1e995u ^ (uint32_t)k;
	memcpy(out, &(uint32_t){(uint32_t)n}, 4);
	memcpy(out + 4, &mask, 4);
	for (size_t i = 0; i < n; i++)
		pl[i] ^= (uint8_t)(mask >> (8 * (i % 4)));
	return FRAME_HDR + n;
}

/* input_size: ~1 KiB messages, or 3/4 of a small buffer. */
static size_t input_size(int64_t bufsize)
{
	size_t s = (size_t)bufsize * 3 / 4;
	return s < 1024 ? s : 1024;
}

static void build_inputs(int64_t bufsize)
{
	if (inputs_for == bufsize)
		return;
	for (int k = 0; k < NINPUTS; k++) {
		uint8_t *b = rt_mallocgc(2048, RT_MALLOC_NOSCAN);
		inputs_len[k] =
		    encode_request(b, input_size(bufsize) - FRAME_HDR,
				   (uint64_t)k, "user-0042");
		inputs[k] = b;
	}
	inputs_for = bufsize;
}

/*
 * unpack checks the frame and copies its payload, unmasked, into buf;
 * returns the payload length, or -1 if it is malformed or does not fit.
 */
static ptrdiff_t unpack(const uint8_t *data, size_t len, uint8_t *buf,
			size_t cap)
{
	uint32_t n, mask;
	if (len < FRAME_HDR)
		return -1;
	memcpy(&n, data, 4);
	memcpy(&mask, data + 4, 4);
	if (n > len - FRAME_HDR || n > cap)
		return -1;
	const uint8_t *pl = data + FRAME_HDR;
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		uint32_t w;
		memcpy(&w, pl + i, 4);
		w ^= mask;
		memcpy(buf + i, &w, 4);
	}
	for (; i < n; i++)
		buf[i] = pl[i] ^ (uint8_t)(mask >> (8 * (i % 4)));
	return (ptrdiff_t)n;
}

/* parse decodes the message in buf[:n] into a new Message; NULL if bad. */
static struct message *parse(const uint8_t *buf, size_t n)
{
	struct message *m = rt_mallocgc(sizeof(*m), RT_MALLOC_NOSCAN);
	size_t pos = 0;
	uint64_t d = 0xcbf29ce484222325ULL;
	while (pos < n) {
		uint64_t key, v, l;
		if (!get_varint(buf, n, &pos, &key))
			return NULL;
		switch (key) {
		case (1 << 3) | 0:
			if (!get_varint(buf, n, &pos, &m->id))
				return NULL;
			break;
		case (2 << 3) | 2:
			if (!get_varint(buf, n, &pos, &l) || l > n - pos)
				return NULL;
			memcpy(m->name, buf + pos,
			       l < sizeof(m->name) - 1 ? l
						       : sizeof(m->name) - 1);
			pos += l;
			break;
		case (3 << 3) | 2: {
			if (!get_varint(buf, n, &pos, &l) || l > n - pos)
				return NULL;
			size_t end = pos + l;
			while (pos < end) {
				if (!get_varint(buf, end, &pos, &v))
					return NULL;
				m->sum += v;
				m->nvalues++;
				d = (d ^ v) * 0x100000001b3ULL;
			}
			break;
		}
		default:
			return NULL;
		}
	}
	m->digest = d;
	return m;
}

/* decode_before is the seed's Before: a fresh buffer per call. */
static __attribute__((noinline)) struct message *
decode_before(const uint8_t *data, size_t len, size_t bufsize)
{
	uint8_t *buf = rt_mallocgc(bufsize, RT_MALLOC_NOSCAN);
	ptrdiff_t n = unpack(data, len, buf, bufsize);
	if (n < 0)
		return NULL;
	return parse(buf, (size_t)n);
}

static void *new_64k(void)
{
	return rt_mallocgc(64 << 10, RT_MALLOC_NOSCAN);
}

static void *new_512(void)
{
	return rt_mallocgc(512, RT_MALLOC_NOSCAN);
}

/* One pool per buffer size ("keyed on buffer size"). Static: rt.h. */
static rt_pool pool_64k = {.new_fn = new_64k};
static rt_pool pool_512 = {.new_fn = new_512};

static rt_pool *pool_for(size_t bufsize)
{
	return bufsize == 512 ? &pool_512 : &pool_64k;
}

/*
 * decode_pooled is the seed's After: Get, unpack, parse, reset, Put. The
 * reset clears the bytes the request wrote (Go's callers clear or
 * truncate); with reset false it is the gap's forgetful version. If reply
 * is non-NULL it receives the buffer's first REPLY_RECORD bytes while the
 * buffer is checked out: a fixed-size record built "in place".
 */
static __attribute__((noinline)) struct message *
decode_pooled(const uint8_t *data, size_t len, size_t bufsize, bool reset,
	      uint8_t *reply)
{
	rt_pool *pool = pool_for(bufsize);
	uint8_t *buf = rt_pool_get(pool);
	ptrdiff_t n = unpack(data, len, buf, bufsize);
	struct message *m = n < 0 ? NULL : parse(buf, (size_t)n);
	if (reply != NULL)
		memcpy(reply, buf, REPLY_RECORD);
	if (reset && n > 0)
		memset(buf, 0, (size_t)n);
	rt_pool_put(pool, buf);
	return m;
}

/*
 * ex09_reply_after_secret decodes a request carrying secret through the
 * pooled path (reset or not), then a short request, and copies that
 * second request's fixed-size reply record (REPLY_RECORD bytes) into
 * reply; returns the second payload's length. With fresh=true both go
 * through the Before (a new buffer each). For tests/test_ex06_10.c.
 */
size_t ex09_reply_after_secret(const char *secret, bool reset, bool fresh,
			       uint8_t *reply)
{
	static uint8_t a[2048], b[2048]; /* not on the goroutine stack */
	size_t la = encode_request(a, 200, 1, secret);
	size_t lb = encode_request(b, 16, 2, "bob");
	if (fresh) {
		/* the Before: a zeroed buffer for each request */
		sink_msg = decode_before(a, la, 512);
		uint8_t *buf = rt_mallocgc(512, RT_MALLOC_NOSCAN);
		ptrdiff_t n = unpack(b, lb, buf, 512);
		sink_msg = n < 0 ? NULL : parse(buf, (size_t)n);
		memcpy(reply, buf, REPLY_RECORD);
		return n < 0 ? 0 : (size_t)n;
	}
	sink_msg = decode_pooled(a, la, 512, reset, NULL);
	sink_msg = decode_pooled(b, lb, 512, reset, reply);
	return lb - FRAME_HDR;
}

static uint64_t metric_cycles(void)
{
	struct rt_metric_sample s = {.name = "/gc/cycles/total:gc-cycles"};
	rt_metrics_read(&s, 1);
	return s.value.u64;
}

static void run_variant(struct bench_b *b, const struct ex_param *p,
			bool pooled)
{
	size_t bufsize = (size_t)p->value;
	bench_stop_timer(b);
	build_inputs(p->value);
	rt_gc(); /* a clean heap, as testing.B's runN */
	uint64_t c0 = metric_cycles();
	bench_start_timer(b);
	if (pooled) {
		for (int64_t i = 0; i < b->n; i++) {
			int k = (int)(i % NINPUTS);
			sink_msg = decode_pooled(inputs[k], inputs_len[k],
						 bufsize, true, NULL);
		}
	} else {
		for (int64_t i = 0; i < b->n; i++) {
			int k = (int)(i % NINPUTS);
			sink_msg =
			    decode_before(inputs[k], inputs_len[k], bufsize);
		}
	}
	bench_stop_timer(b);
	bench_report_metric(b, (double)(metric_cycles() - c0) / (double)b->n,
			    EX_UNIT_GC_PER_OP);
}

static void run_before(struct bench_b *b, const struct ex_param *p)
{
	run_variant(b, p, false);
}

static void run_after(struct bench_b *b, const struct ex_param *p)
{
	run_variant(b, p, true);
}

/* The answer: a digest of RESULT_REQUESTS decoded messages. */
static uint64_t result_common(const struct ex_param *p, bool pooled)
{
	size_t bufsize = (size_t)p->value;
	build_inputs(p->value);
	uint64_t d = 0;
	for (int i = 0; i < RESULT_REQUESTS; i++) {
		int k = i % NINPUTS;
		struct message *m =
		    pooled ? decode_pooled(inputs[k], inputs_len[k], bufsize,
					   true, NULL)
			   : decode_before(inputs[k], inputs_len[k], bufsize);
		if (m == NULL) /* a decode error: each variant answers
				  differently, so the agreement test fails */
			return UINT64_MAX - (uint64_t)pooled;
		d = d * 31 + m->id + m->sum + m->nvalues + m->digest +
		    (uint64_t)strlen(m->name);
	}
	return d;
}

static uint64_t result_before(const struct ex_param *p)
{
	return result_common(p, false);
}

static uint64_t result_after(const struct ex_param *p)
{
	return result_common(p, true);
}

static const struct ex_param params[] = {
    {"buf=64KiB", 64 << 10},
    {"buf=512B", 512},
};

const struct exercise ex09 = {
    .id = "ex09",
    .title = "make([]byte, 64 KiB) per call vs sync.Pool",
    .seed_claim = "~8x faster, ~2700x less GC pressure",
    .seed_ratio = 8,
    .rule = {"ns/op", true},
    .mechanism = "a 64 KiB buffer takes mallocgc's large-object path "
		 "(heap lock, zeroing) and a GC cycle every ~64 calls; "
		 "the pool's private slot takes neither",
    .param_name = "buffer",
    .params = params,
    .nparams = (int)(sizeof(params) / sizeof(params[0])),
    .procs = 0,
    .run = {run_before, run_after},
    .result = {result_before, result_after},
};

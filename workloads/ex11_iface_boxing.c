/*
 * ex11_iface_boxing.c — Exercise 11: interface{} boxing in a hot path.
 *
 * Before (the seed): a Logger{buf []any} whose Logf(format, args ...any)
 * appends the boxed arguments to a buffer; the caller logs
 * ("iter=%d val=%f", i, float64(i)*1.5) in a loop. After: a typed API, as
 * slog's Attr: Log(msg, Int("i", i), Float("val", f)) stores Attrs with a
 * Kind tag and the value inline, nothing boxed.
 *
 * Mechanism. Storing a non-pointer value in an interface needs a pointer
 * to a copy of it: the Go compiler calls convT64 for 8-byte pointer-free
 * values (int, and float64 too: it only looks at size and alignment) and
 * convTstring for strings, each one mallocgc of the copy (runtime/iface.go)
 * — except values below 256 and zero values, which point into the static
 * staticuint64s/zeroVal and allocate nothing. librt's rt_convT64 and
 * rt_convTstring (runtime/iface.c) do the same, and the `convT` probe
 * fires on every call with whether it allocated. So one Logf here costs
 * three boxes: the format (16-byte scanned object), i (8 bytes once
 * i >= 256) and the float (8 bytes unless 0.0): two or three mallocgc per
 * call, and the GC work that follows them. The typed API copies a 56-byte
 * Attr by value into a ring of Attrs: no allocation at all.
 *
 * Both loggers keep a bounded ring (4096 slots, the last ~1365 calls),
 * as a debug ring logger does, so memory does not grow with b->n; the ring
 * is a global, scanned by the GC, so boxed values escape as in Go and stay
 * live while the ring holds them.
 *
 * When NOT (the seed): a typed-attr API on a logger called twice per
 * request — the boxing is invisible next to the request's own work.
 *
 * Correctness gap (seed §16): "typed-attr API (Ex. 11) that silently drops
 * attrs of unsupported kinds". The seed's KV falls back to
 * Str(fmt.Sprint(v)) for anything but int/int64/float64/string, so a bool
 * or a uint64 reaches the ring as a string: a consumer that sums the Int
 * attrs, or alerts on a bool, silently misses it, where the `any` logger
 * kept its type. tests/test_ex11_14.c: typed_attr_stringifies_bool and
 * typed_attr_stringifies_uint64 show it through ex11_roundtrip.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ex11_14.h"

/* ---- the `any` side: _type tags and boxing ---------------------------- */

/* ex11_type is the part of Go's _type a consumer of `any` looks at. */
struct ex11_type {
	const char *name;    /* Go's type name */
	enum ex11_kind kind; /* */
};

static const struct ex11_type type_int = {"int", EX11_INT};
static const struct ex11_type type_float64 = {"float64", EX11_FLOAT};
static const struct ex11_type type_string = {"string", EX11_STRING};
static const struct ex11_type type_bool = {"bool", EX11_BOOL};
static const struct ex11_type type_uint64 = {"uint64", EX11_UINT64};

/* eface is Go's empty interface: a type and a pointer to the value. */
struct eface {
	const struct ex11_type *type;
	const void *data;
};

static rt_string cstr(const char *s)
{
	return (rt_string){s, strlen(s)};
}

/* box_* are what the compiler emits for `any(v)`: convT64/convTstring. */
static inline struct eface box_int(int64_t v)
{
	return (struct eface){&type_int, rt_convT64((uint64_t)v)};
}

static inline struct eface box_float64(double f)
{
	uint64_t bits;
	memcpy(&bits, &f, sizeof(bits));
	return (struct eface){&type_float64, rt_convT64(bits)};
}

static inline struct eface box_string(rt_string s)
{
	return (struct eface){&type_string, rt_convTstring(s)};
}

/* A bool is one byte: Go points it into staticuint64s, never allocating;
 * rt_convT64 of 0 or 1 does the same (little-endian: byte 0 is b). */
static inline struct eface box_bool(bool b)
{
	return (struct eface){&type_bool, rt_convT64(b)};
}

static inline struct eface box_uint64(uint64_t v)
{
	return (struct eface){&type_uint64, rt_convT64(v)};
}

static struct eface box_kind(enum ex11_kind k, uint64_t bits)
{
	double f;
	switch (k) {
	case EX11_INT:
		return box_int((int64_t)bits);
	case EX11_FLOAT:
		memcpy(&f, &bits, sizeof(f));
		return box_float64(f);
	case EX11_STRING:
		return box_string(cstr((const char *)(uintptr_t)bits));
	case EX11_BOOL:
		return box_bool(bits != 0);
	case EX11_UINT64:
		return box_uint64(bits);
	}
	rt_panic("ex11: unknown kind");
}

/* ---- before: Logger{buf []any} ------------------------------------------ */

/* 4096 slots: a debug ring logger's size; 64 KiB of interfaces. */
#define LOG_RING 4096

/* any_logger is the seed's Logger, its buf bounded to a ring. */
struct any_logger {
	struct eface buf[LOG_RING];
	uint64_t next; /* entries ever appended */
};

/* In bss: the GC scans it, so what the ring holds stays live. */
static struct any_logger alog;

static inline void any_put(struct any_logger *l, struct eface e)
{
	l->buf[l->next++ % LOG_RING] = e;
}

/*
 * any_logf is Logf(format string, args ...any): the record is the format
 * and the arguments, each an `any` — the format boxed here (convTstring),
 * the arguments by the caller, as Go's compiler boxes a variadic ...any.
 */
static __attribute__((noinline)) void any_logf(struct any_logger *l,
					       const char *format,
					       const struct eface *args,
					       int nargs)
{
	any_put(l, box_string(cstr(format)));
	for (int i = 0; i < nargs; i++)
		any_put(l, args[i]);
}

/* ---- after: typed Attrs ------------------------------------------------- */

enum attr_kind {
	KIND_INT = 1,
	KIND_FLOAT,
	KIND_STR,
};

/* attr is the seed's Attr: a key, a kind and the value inline. */
struct attr {
	rt_string key;	     /* */
	enum attr_kind kind; /* which of the fields below holds the value */
	int64_t i;	     /* */
	double f;	     /* */
	rt_string s;	     /* */
};

static inline struct attr attr_int(const char *key, int64_t v)
{
	return (struct attr){.key = cstr(key), .kind = KIND_INT, .i = v};
}

static inline struct attr attr_float(const char *key, double v)
{
	return (struct attr){.key = cstr(key), .kind = KIND_FLOAT, .f = v};
}

static inline struct attr attr_str(const char *key, rt_string v)
{
	return (struct attr){.key = cstr(key), .kind = KIND_STR, .s = v};
}

/*
 * sprint is fmt.Sprint for the types KV does not know: the value's %v
 * text, in a fresh GC heap string as Sprint returns one.
 */
static rt_string sprint(struct eface v)
{
	char tmp[64];
	int n;
	switch (v.type->kind) {
	case EX11_BOOL:
		n = snprintf(tmp, sizeof(tmp), "%s",
			     *(const uint8_t *)v.data ? "true" : "false");
		break;
	case EX11_UINT64:
		n = snprintf(tmp, sizeof(tmp), "%" PRIu64,
			     *(const uint64_t *)v.data);
		break;
	default:
		n = snprintf(tmp, sizeof(tmp), "%%!v(%s)", v.type->name);
		break;
	}
	char *s = rt_mallocgc((size_t)n, RT_MALLOC_NOSCAN);
	memcpy(s, tmp, (size_t)n);
	return (rt_string){s, (size_t)n};
}

/* attr_kv is the seed's KV(key, v any): a type switch onto the three
 * kinds, and fmt.Sprint for everything else. */
static struct attr attr_kv(const char *key, struct eface v)
{
	double f;
	switch (v.type->kind) {
	case EX11_INT:
		return attr_int(key, *(const int64_t *)v.data);
	case EX11_FLOAT:
		memcpy(&f, v.data, sizeof(f));
		return attr_float(key, f);
	case EX11_STRING:
		return attr_str(key, *(const rt_string *)v.data);
	default:
		return attr_str(key, sprint(v));
	}
}

/* attr_logger keeps Attrs by value: 56 bytes a slot, nothing boxed. */
struct attr_logger {
	struct attr buf[LOG_RING];
	uint64_t next;
};

static struct attr_logger tlog;

/*
 * attr_log is Log(msg string, attrs ...Attr): the message as an Attr, then
 * each attr, serialized by kind into the ring without boxing. Like the
 * seed's it knows three kinds; anything else was made a string by KV.
 */
static __attribute__((noinline)) void attr_log(struct attr_logger *l,
					       const char *msg,
					       const struct attr *attrs,
					       int nattrs)
{
	l->buf[l->next++ % LOG_RING] = attr_str("msg", cstr(msg));
	for (int i = 0; i < nattrs; i++) {
		switch (attrs[i].kind) {
		case KIND_INT:
		case KIND_FLOAT:
		case KIND_STR:
			l->buf[l->next++ % LOG_RING] = attrs[i];
			break;
		}
	}
}

/* ---- the benchmark ------------------------------------------------------ */

/* log_before is one iteration of the seed's loop. */
static inline void log_before(int64_t i)
{
	any_logf(
	    &alog, "iter=%d val=%f",
	    (const struct eface[]){box_int(i), box_float64((double)i * 1.5)},
	    2);
}

static inline void log_after(int64_t i)
{
	attr_log(&tlog, "iter",
		 (const struct attr[]){attr_int("i", i),
				       attr_float("val", (double)i * 1.5)},
		 2);
}

static void run_before(struct bench_b *b, const struct ex_param *p)
{
	(void)p;
	for (int64_t i = 0; i < b->n; i++)
		log_before(i);
}

static void run_after(struct bench_b *b, const struct ex_param *p)
{
	(void)p;
	for (int64_t i = 0; i < b->n; i++)
		log_after(i);
}

/* mix folds one value into an FNV-1a-style digest. */
static uint64_t mix(uint64_t h, uint64_t kind, uint64_t v)
{
	h = (h ^ kind) * 0x100000001b3ULL;
	h = (h ^ v) * 0x100000001b3ULL;
	return h;
}

/*
 * The result: log 1000 iterations (3000 entries, inside the ring), then
 * read the ring back as a consumer: a digest of every number with its kind
 * in order, plus the number of records (strings: the format before, the
 * msg attr after; the two APIs word the message differently by design).
 */
enum { RESULT_CALLS = 1000 };

static uint64_t result_before(const struct ex_param *p)
{
	(void)p;
	memset(&alog, 0, sizeof(alog));
	for (int64_t i = 0; i < RESULT_CALLS; i++)
		log_before(i);
	uint64_t h = 0xcbf29ce484222325ULL, records = 0;
	for (uint64_t k = 0; k < alog.next; k++) {
		struct eface e = alog.buf[k];
		switch (e.type->kind) {
		case EX11_INT:
		case EX11_FLOAT:
			h = mix(h, e.type->kind, *(const uint64_t *)e.data);
			break;
		case EX11_STRING:
			records++;
			break;
		default:
			h = mix(h, 0, 0);
			break;
		}
	}
	return h + records;
}

static uint64_t result_after(const struct ex_param *p)
{
	(void)p;
	memset(&tlog, 0, sizeof(tlog));
	for (int64_t i = 0; i < RESULT_CALLS; i++)
		log_after(i);
	uint64_t h = 0xcbf29ce484222325ULL, records = 0;
	for (uint64_t k = 0; k < tlog.next; k++) {
		const struct attr *a = &tlog.buf[k];
		uint64_t bits;
		switch (a->kind) {
		case KIND_INT:
			h = mix(h, EX11_INT, (uint64_t)a->i);
			break;
		case KIND_FLOAT:
			memcpy(&bits, &a->f, sizeof(bits));
			h = mix(h, EX11_FLOAT, bits);
			break;
		case KIND_STR:
			records++;
			break;
		}
	}
	return h + records;
}

/* ---- the gap hook ------------------------------------------------------- */

static void text_of(char *text, size_t len, enum ex11_kind k, const void *data)
{
	double f;
	switch (k) {
	case EX11_INT:
		snprintf(text, len, "%" PRId64, *(const int64_t *)data);
		break;
	case EX11_FLOAT:
		memcpy(&f, data, sizeof(f));
		snprintf(text, len, "%g", f);
		break;
	case EX11_STRING: {
		const rt_string *s = data;
		snprintf(text, len, "%.*s", (int)s->len, s->ptr);
		break;
	}
	case EX11_BOOL:
		snprintf(text, len, "%s",
			 *(const uint8_t *)data ? "true" : "false");
		break;
	case EX11_UINT64:
		snprintf(text, len, "%" PRIu64, *(const uint64_t *)data);
		break;
	}
}

enum ex11_kind ex11_roundtrip(enum ex_variant v, enum ex11_kind k,
			      uint64_t bits, char *text, size_t len)
{
	struct eface val = box_kind(k, bits);
	if (v == EX_BEFORE) {
		any_logf(&alog, "value", &val, 1);
		struct eface e = alog.buf[(alog.next - 1) % LOG_RING];
		text_of(text, len, e.type->kind, e.data);
		return e.type->kind;
	}
	struct attr a = attr_kv("value", val);
	uint64_t before = tlog.next;
	attr_log(&tlog, "value", &a, 1);
	if (tlog.next - before < 2) {
		snprintf(text, len, "(dropped)");
		return 0;
	}
	const struct attr *got = &tlog.buf[(tlog.next - 1) % LOG_RING];
	switch (got->kind) {
	case KIND_INT:
		text_of(text, len, EX11_INT, &got->i);
		return EX11_INT;
	case KIND_FLOAT:
		text_of(text, len, EX11_FLOAT, &got->f);
		return EX11_FLOAT;
	case KIND_STR:
		text_of(text, len, EX11_STRING, &got->s);
		return EX11_STRING;
	}
	return 0;
}

const struct exercise ex11 = {
    .id = "ex11",
    .title = "interface{} boxing in a hot path",
    .seed_claim = "allocating an _type-tagged heap object per call",
    .seed_ratio = 0,
    .rule = {"ns/op", true},
    .mechanism = "Logf(...any) boxes each arg: convT64/convTstring mallocgc "
		 "a copy (values < 256 excepted); typed Attrs store it inline",
    .param_name = NULL,
    .params = NULL,
    .nparams = 0,
    .procs = 0,
    .run = {run_before, run_after},
    .result = {result_before, result_after},
};

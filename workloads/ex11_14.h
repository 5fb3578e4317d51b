/*
 * ex11_14.h — the hooks that tests/test_ex11_14.c drives in exercises 11 to
 * 14, beyond the struct exercise each file defines: the pieces of each
 * variant that a correctness-gap test needs to call one at a time.
 */
#ifndef RT_EX11_14_H
#define RT_EX11_14_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exercise.h"
#include "rt.h"

/* ---- ex11: what a value's type becomes on its way through the logger */

/* The Go kinds ex11's callers log. */
enum ex11_kind {
	EX11_INT = 1, /* int, int64 */
	EX11_FLOAT,   /* float64 */
	EX11_STRING,  /* string */
	EX11_BOOL,    /* bool: not one of the typed API's kinds */
	EX11_UINT64,  /* uint64: neither */
};

/*
 * ex11_roundtrip logs one value of kind k under key through variant v's
 * logger (before: Logf with the value boxed as `any`; after: Log with
 * KV(key, value)), then reads the ring's newest entry back as a consumer
 * would. bits is the value (an int64, a float64's bits, a bool, a uint64;
 * for EX11_STRING a const char *). Returns the kind the consumer finds and
 * writes the value's text (Go's fmt %v) into text.
 */
enum ex11_kind ex11_roundtrip(enum ex_variant v, enum ex11_kind k,
			      uint64_t bits, char *text, size_t len);

/* ---- ex12: the app-level in-flight counter ------------------------- */

/* ex12_inflight is the counter's value; ex12_reset_inflight zeroes it. */
long ex12_inflight(void);
void ex12_reset_inflight(void);

/*
 * ex12_serve_request runs one request through a caller that recovers
 * panics (as net/http's conn.serve does) and a handler that counts itself
 * in flight: with_defer false decrements after serve returns (skipped by a
 * panic); true decrements in a deferred call. panics makes serve panic.
 * Returns whether a panic was recovered.
 */
bool ex12_serve_request(bool with_defer, bool panics);

/* ---- ex13: the samples slice of the metrics.Read variant ------------ */

/* The two samples whose sum is MemStats.HeapInuse. */
#define EX13_NSAMPLES 2
/* ex13_samples_init names the samples; ex13_read reads them into s
 * (rt_metrics_read: it writes kind and value into s); ex13_heap_inuse
 * computes the gauge the tracer records from s. */
void ex13_samples_init(struct rt_metric_sample s[EX13_NSAMPLES]);
void ex13_read(struct rt_metric_sample s[EX13_NSAMPLES]);
uint64_t ex13_heap_inuse(const struct rt_metric_sample s[EX13_NSAMPLES]);

/* ---- ex14: the dump-on-panic handler ------------------------------- */

/*
 * ex14_panicking_request runs the after handler on a request whose serve
 * panics with msg. Its deferred call recovers and dumps the stacks (all
 * goroutines, as the seed's); returns the dump it logged (GC heap,
 * NUL-terminated; NULL if nothing was logged) and sets *recovered to the
 * message recover returned.
 */
const char *ex14_panicking_request(const char *msg, const char **recovered);

#endif /* RT_EX11_14_H */

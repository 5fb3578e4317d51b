/*
 * mcentral.c — central free lists, one per span class; mirrors
 * runtime/mcentral.go.
 *
 * An mcache takes a span with free objects from its mcentral
 * (cacheSpan) and gives it back when it is full or flushed
 * (uncacheSpan). Each mcentral keeps four lists (see malloc.h): swept and
 * unswept spans, each partial (with free objects) or full. After a GC the
 * whole heap is unswept; cacheSpan then sweeps lazily, as Go's does:
 *   1. a swept partial span, if there is one;
 *   2. an unswept partial span, swept now;
 *   3. an unswept full span, swept now, in case it freed something
 *      (up to 100 spans, Go's spanBudget);
 *   4. a new span from the mheap.
 * The lock is held only while lists change; a span is swept with the
 * lock dropped (it is then owned by the sweeping goroutine: sweepgen is
 * sg-1). Go's mcentral uses lock-free spanSets here.
 */
#include "malloc.h"

static inline uint32_t sgidx(uint32_t sg, bool swept)
{
	return ((sg / 2) & 1) ^ (swept ? 0 : 1);
}

static struct mspan *pop(struct mspan **l)
{
	struct mspan *s = *l;
	if (s != NULL) {
		*l = s->next;
		s->next = NULL;
	}
	return s;
}

static void push(struct mspan **l, struct mspan *s)
{
	s->next = *l;
	*l = s;
}

/* mcentral_pushswept puts a swept span back on the right list. */
void mcentral_pushswept(struct mcentral *c, struct mspan *s)
{
	uint32_t sg = atomic_load(&mheap_.sweepgen);
	lock(&c->lock);
	if (s->allocCount == s->nelems)
		push(&c->full[sgidx(sg, true)], s);
	else
		push(&c->partial[sgidx(sg, true)], s);
	unlock(&c->lock);
}

/* mcentral_popunswept takes an unswept span, partial ones first, and
 * claims it for sweeping (sweepgen sg-2 -> sg-1); NULL if none. */
struct mspan *mcentral_popunswept(struct mcentral *c)
{
	uint32_t sg = atomic_load(&mheap_.sweepgen);
	lock(&c->lock);
	struct mspan *s = pop(&c->partial[sgidx(sg, false)]);
	if (s == NULL)
		s = pop(&c->full[sgidx(sg, false)]);
	unlock(&c->lock);
	if (s != NULL) {
		uint32_t old = sg - 2;
		if (!atomic_compare_exchange_strong(&s->sweepgen, &old, sg - 1))
			throw("mcentral: unswept span has bad sweepgen");
		atomic_fetch_add(&mheap_.sweepers, 1);
	}
	return s;
}

/* mcentral_grow allocates a new span for this class; mirrors grow. */
static struct mspan *mcentral_grow(struct mcentral *c)
{
	uint8_t sc = c->spanclass >> 1;
	return mheap_alloc(class_to_allocnpages[sc], c->spanclass);
}

/*
 * mcentral_cachespan returns a swept span with at least one free object
 * for an mcache; mirrors cacheSpan. Must not hold any runtime lock.
 */
struct mspan *mcentral_cachespan(struct mcentral *c)
{
	uint32_t sg = atomic_load(&mheap_.sweepgen);
	int budget = 100;
	struct mspan *s;

	lock(&c->lock);
	s = pop(&c->partial[sgidx(sg, true)]);
	unlock(&c->lock);
	if (s != NULL)
		goto havespan;

	while (budget-- > 0) {
		lock(&c->lock);
		s = pop(&c->partial[sgidx(sg, false)]);
		if (s == NULL)
			s = pop(&c->full[sgidx(sg, false)]);
		unlock(&c->lock);
		if (s == NULL)
			break;
		uint32_t old = sg - 2;
		if (!atomic_compare_exchange_strong(&s->sweepgen, &old, sg - 1))
			throw("cacheSpan: unswept span has bad sweepgen");
		atomic_fetch_add(&mheap_.sweepers, 1);
		/* preserve: we keep the span even if it is now empty */
		mspan_sweep(s, true);
		atomic_fetch_sub(&mheap_.sweepers, 1);
		if (s->allocCount < s->nelems)
			goto havespan;
		lock(&c->lock);
		push(&c->full[sgidx(sg, true)], s);
		unlock(&c->lock);
	}
	s = mcentral_grow(c);

havespan:
	if (s->allocCount == s->nelems)
		throw("cacheSpan: span has no free objects");
	s->allocCountBeforeCache = s->allocCount;
	/* refill the allocCache from freeindex, as Go's refillAllocCache */
	uint32_t fi = s->freeindex & ~63u;
	s->allocCache = ~allocbits(s)[fi / 64] >> (s->freeindex & 63);
	return s;
}

/* mcentral_uncachespan returns a span from an mcache; mirrors
 * uncacheSpan. */
void mcentral_uncachespan(struct mcentral *c, struct mspan *s)
{
	mcentral_pushswept(c, s);
}

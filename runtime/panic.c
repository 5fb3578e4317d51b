/*
 * panic.c — defer, panic and recover; mirrors runtime/panic.go.
 *
 * A deferred call is a _defer record (struct rt_defer) linked off its
 * goroutine, newest first: gp._defer is the innermost. There are two
 * kinds, as in Go:
 *
 *   heap records (rt_defer / RT_DEFER), made by deferproc. newdefer takes
 *   one from the P's pool (p.deferpool), refilled in batches from a central
 *   pool under a lock (sched.deferpool), else allocates it from the GC heap
 *   (new(_defer)); freedefer clears it and returns it to the pools. Each
 *   carries a __builtin_setjmp buffer set at its rt_defer call site: the
 *   frame's landing pad for a recovered panic (the pre-1.22 deferproc
 *   return-value protocol: rt_defer evaluates to 1 a second time and the
 *   function jumps to its RT_DEFERRETURN).
 *
 *   open-coded records (RT_DEFER_OPEN), which live in the deferring frame
 *   and run from a cleanup attribute at scope exit: no pool, no allocation,
 *   no deferreturn. C has no funcdata for a panic to find them with, so
 *   deferprocstack links them to the goroutine like any other record (as
 *   Go 1.13's deferprocStack did) and the panic runs them in order.
 *
 * Phases of a deferred call:
 *
 *   1. deferproc links the record (probe deferproc: 0 pooled, 1 allocated,
 *      2 open-coded).
 *   2. At return, deferreturn(frame) unlinks and runs every record of that
 *      frame, newest first, open-coded ones included (their fn is set to
 *      NULL so their cleanup does nothing); the open form's cleanup runs
 *      just its own record. A record is unlinked and freed before its call,
 *      so a panic in the call never sees it again (Go 1.17's deferreturn).
 *   3. gopanic instead runs them from the top of the chain, each marked
 *      started and pointing at the panic (d.panic), and unlinks each when
 *      its call returns. A started record found at the top belongs to an
 *      earlier panic that a deferred call superseded by panicking: that
 *      panic is marked aborted and the record dropped.
 *
 * Recovery. rt_recover() stops the newest panic only when called directly
 * by the deferred call the panic loop invoked — Go's argp check: the
 * caller's frame pointer saved by the deferred function's prologue must be
 * the frame of calldeferred, the one function that makes those calls.
 * Once the deferred call returns, gopanic pops the panic (and the aborted
 * ones under it), and __builtin_longjmp's into the landing pad of the
 * frame that deferred the call: rt_defer returns 1 there, the frame runs
 * its remaining deferred calls in RT_DEFERRETURN and returns normally.
 *
 * An open-coded record has no landing pad of its own (its frame cannot be
 * told to return generically: C has no common return path for it). A
 * panic recovered by an open-coded call resumes at a landing pad of the
 * same frame instead, as every deferproc of a Go frame lands at the same
 * deferreturn: an rt_defer record of that frame still linked, or one this
 * panic already ran (its buffer is kept in the _panic). A frame with only
 * open-coded defers cannot be resumed: rt_recover there is a fatal error,
 * reported at the rt_recover call, before the deferred call can act on a
 * recovery that cannot happen. Put a recovering call in RT_DEFER.
 *
 * An unrecovered panic (fatalpanic) prints the chain of panics as Go's
 * printpanics ("panic: first [recovered]" / "\tpanic: second"), every
 * goroutine's stack (rt_stack), and exits with status 2.
 *
 * Invariants:
 *   - The records of one frame are contiguous on the chain, and those of
 *     deeper frames are newer: a frame's records are all run or dropped
 *     before it returns (goexit throws on a G that exits with records).
 *   - gp._panic is the newest panic; an aborted panic stays linked until
 *     a recovery pops it or the program dies printing it.
 *   - A panic never starts while the M holds runtime locks (throw).
 *
 * Memory: heap records are GC heap objects reachable from gp._defer
 * (reported by for_each_stack_root), from older records, or from the
 * pools. struct p is malloc'ed, which the collector does not scan, so
 * each P's deferpool array is registered as a GC root the first time the
 * P frees a record; the central pool is in this file's bss. Like Go's
 * clearpools, every GC cycle empties both pools at its first stop
 * (clear_deferpools) so idle records can be collected. The roots matter
 * even so: mark runs in a later stop, and records freed in between sit
 * only in the pools.
 *
 * Probes: deferproc per record linked (kind 0 pooled, 1 allocated, 2
 * open-coded); deferreturn per rt_deferreturn, with the calls it ran (an
 * open-coded cleanup fires none, as Go's open-coded exits never call
 * deferreturn); gopanic per panic; gorecover per rt_recover that stopped
 * a panic.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime2.h"

#ifdef RT_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define DEFERPOOL_CAP                                   \
	((int32_t)(sizeof(((struct p *)0)->deferpool) / \
		   sizeof(struct rt_defer *)))

/*
 * _panic mirrors _panic: one active panic, on the panicking goroutine's
 * stack, linked to the panics it interrupted.
 */
struct _panic {
	rt_panic_value value; /* what rt_panic was called with */
	struct _panic *link;  /* the older panic, if a deferred call panicked */
	void *argp;	      /* calldeferred's frame while it runs a call */
	struct rt_defer *d;   /* the record being run */
	bool recovered;	      /* rt_recover stopped this panic */
	bool aborted;	      /* a newer panic superseded this one */
	/* the landing pad of the last heap record this panic ran, for a
	 * recovery by an open-coded call of the same frame */
	void *padfp;	/* its frame, or NULL */
	void *padjb[5]; /* its __builtin_setjmp buffer */
};

/* the central pool; mirrors sched.deferlock / sched.deferpool. head is
 * written under lock, atomically: newdefer peeks at it without the lock
 * (plain stores were a data race with that peek, found by TSan). */
static struct {
	rt_lock lock;
	struct rt_defer *head; /* linked through link */
} sched_defer;

/* whether each P's deferpool array is registered as a GC root */
static bool deferpool_rooted[RT_MAX_PROCS];

/* set by the first goroutine to die of a panic; the others wait */
static _Atomic bool panicking;

/* ---- the pools: newdefer / freedefer ------------------------------------ */

/*
 * newdefer returns a cleared heap record; mirrors newdefer. kind is 0 if
 * it came from a pool, 1 if it was allocated.
 */
static struct rt_defer *newdefer(int *kind)
{
	struct m *mp = getm();
	mp->locks++; /* acquirem: stay on this P */
	struct p *pp = mp->p;
	if (pp->ndeferpool == 0 &&
	    __atomic_load_n(&sched_defer.head, __ATOMIC_RELAXED) != NULL) {
		/* Take half a pool from the central one. */
		lock(&sched_defer.lock);
		while (pp->ndeferpool < DEFERPOOL_CAP / 2 &&
		       sched_defer.head != NULL) {
			struct rt_defer *d = sched_defer.head;
			__atomic_store_n(&sched_defer.head, d->link,
					 __ATOMIC_RELAXED);
			d->link = NULL;
			pp->deferpool[pp->ndeferpool++] = d;
		}
		unlock(&sched_defer.lock);
	}
	struct rt_defer *d = NULL;
	if (pp->ndeferpool > 0) {
		d = pp->deferpool[--pp->ndeferpool];
		pp->deferpool[pp->ndeferpool] = NULL;
	}
	mp->locks--;
	*kind = 0;
	if (d == NULL) {
		/* Allocate outside acquirem: mallocgc may start a GC. */
		d = rt_mallocgc(sizeof(*d), 0);
		*kind = 1;
	}
	d->heap = true;
	return d;
}

/* freedefer clears a heap record and returns it to the P's pool, moving
 * half of a full pool to the central one; mirrors freedefer. */
static void freedefer(struct rt_defer *d)
{
	/* Drop every pointer (fn/arg/link: keep nothing alive from a pool).
	 * Field stores, not memset: rep stos costs more than the rest of a
	 * defer. jb holds only stack and code addresses. */
	d->fn = NULL;
	d->arg = NULL;
	d->fp = NULL;
	d->link = NULL;
	d->heap = false;
	d->started = false;
	d->panic = NULL;
	struct m *mp = getm();
	mp->locks++;
	struct p *pp = mp->p;
	if (!deferpool_rooted[pp->id]) {
		rt_gc_add_root(pp->deferpool, sizeof(pp->deferpool));
		deferpool_rooted[pp->id] = true;
	}
	if (pp->ndeferpool == DEFERPOOL_CAP) {
		struct rt_defer *first = NULL, *last = NULL;
		while (pp->ndeferpool > DEFERPOOL_CAP / 2) {
			struct rt_defer *e = pp->deferpool[--pp->ndeferpool];
			pp->deferpool[pp->ndeferpool] = NULL;
			if (first == NULL)
				first = e;
			else
				last->link = e;
			last = e;
		}
		lock(&sched_defer.lock);
		last->link = sched_defer.head;
		__atomic_store_n(&sched_defer.head, first, __ATOMIC_RELAXED);
		unlock(&sched_defer.lock);
	}
	pp->deferpool[pp->ndeferpool++] = d;
	mp->locks--;
}

/* clear_deferpools empties every pool; called with the world stopped at
 * the start of each GC cycle, as clearpools empties sched.deferpool and
 * each p.deferpool. */
void clear_deferpools(void)
{
	lock(&sched_defer.lock);
	__atomic_store_n(&sched_defer.head, NULL, __ATOMIC_RELAXED);
	unlock(&sched_defer.lock);
	for (int32_t i = 0; i < gomaxprocs; i++) {
		struct p *pp = allp[i];
		if (pp == NULL)
			continue;
		memset(pp->deferpool, 0, sizeof(pp->deferpool));
		pp->ndeferpool = 0;
	}
}

/* ---- deferproc / deferreturn -------------------------------------------- */

/* rt_deferproc links a heap record for fn(arg) deferred by frame fp;
 * mirrors deferproc. The caller's rt_defer macro then sets its jb. */
struct rt_defer *rt_deferproc(rt_func fn, void *arg, void *fp)
{
	struct g *gp = getg();
	int kind;
	struct rt_defer *d = newdefer(&kind);
	d->fn = fn;
	d->arg = arg;
	d->fp = fp;
	d->link = gp->_defer;
	gp->_defer = d;
	RT_PROBE2(deferproc, gp->goid, kind);
	return d;
}

/* rt_deferreturn_frame runs the deferred calls of frame fp, newest first;
 * mirrors deferreturn. Each record is unlinked (and a heap one freed)
 * before its call, so the call may defer, panic or recover freely. */
void rt_deferreturn_frame(void *fp)
{
	struct g *gp = getg();
	uint64_t n = 0;
	for (;;) {
		struct rt_defer *d = gp->_defer;
		if (d == NULL || d->fp != fp)
			break;
		rt_func fn = d->fn;
		void *arg = d->arg;
		gp->_defer = d->link;
		if (d->heap)
			freedefer(d);
		else
			d->fn = NULL; /* its cleanup has nothing left to do */
		if (fn != NULL) {
			fn(arg);
			n++;
		}
		gp = getg();
	}
	RT_PROBE2(deferreturn, gp->goid, n);
}

/* rt_deferprocstack links an open-coded record (in the caller's frame);
 * mirrors deferprocStack. */
void rt_deferprocstack(struct rt_defer *d)
{
	struct g *gp = getg();
	d->heap = false;
	d->started = false;
	d->panic = NULL;
	d->link = gp->_defer;
	gp->_defer = d;
	RT_PROBE2(deferproc, gp->goid, 2);
}

/*
 * rt_deferreturn_open is an open-coded record's cleanup: if its call has
 * not run (deferreturn or a panic sets fn to NULL), unlink and run it.
 * The record is normally the newest. Newer ones can only be rt_defer
 * records the same frame made in the block and left to its
 * RT_DEFERRETURN: they stay pending and this one runs now, at its scope's
 * exit. A newer record of another frame was leaked by a callee: throw.
 */
void rt_deferreturn_open(struct rt_defer *d)
{
	if (d->fn == NULL)
		return;
	struct g *gp = getg();
	struct rt_defer **pd = &gp->_defer;
	while (*pd != d) {
		if (*pd == NULL || (*pd)->fp != d->fp)
			throw("rt_deferreturn_open: an open-coded defer's "
			      "scope exits under a newer record of another "
			      "frame (rt_defer without RT_DEFERRETURN?)");
		pd = &(*pd)->link;
	}
	rt_func fn = d->fn;
	*pd = d->link;
	d->fn = NULL;
	fn(d->arg);
}

/* ---- panic -------------------------------------------------------------- */

/*
 * calldeferred runs d's call for panic p, recording its own frame as
 * p.argp: the frame a direct caller of rt_recover finds saved in its
 * caller's frame pointer slot. Never inlined, and the call is not a tail
 * call (the barrier after it), so that frame is really there.
 */
static __attribute__((noinline)) void calldeferred(struct _panic *p,
						   struct rt_defer *d)
{
	p->argp = __builtin_frame_address(0);
	d->fn(d->arg);
	__asm__ __volatile__("" ::: "memory");
}

/* recovery resumes the deferring frame at its landing pad, where rt_defer
 * returns 1; mirrors recovery. jb may be a local of the caller:
 * __builtin_longjmp reads the whole buffer before switching frames. */
#ifdef RT_TSAN
/*
 * tsan_skip_frames pops from TSan's shadow call stack the frames a
 * recovery's __builtin_longjmp leaves without returning: TSan fixes up
 * its stack only for libc's longjmp, which it intercepts. Those frames
 * are the frame-pointer chain from recovery's caller (gopanic) up to,
 * not including, the landing pad's frame (jb[0], the frame pointer
 * __builtin_setjmp saved); each was pushed by an instrumented prologue,
 * since everything between rt_defer and rt_panic in a TSan build is
 * compiled with -fsanitize=thread, and neither this function nor
 * recovery is instrumented.
 */
static __attribute__((noinline)) RT_NO_TSAN void
tsan_skip_frames(void **jb, void **recovery_fp)
{
	void **target = jb[0];
	void **fp;
	int n = 0;
	for (fp = *recovery_fp; fp != NULL && fp != target; fp = *fp)
		n++;
	if (fp == NULL)
		throw("recovery: landing pad's frame not on the stack");
	while (n-- > 0)
		__tsan_func_exit(NULL);
}
#endif

static __attribute__((noinline, noreturn)) RT_NO_TSAN void recovery(void **jb)
{
#ifdef RT_ASAN
	__asan_handle_no_return();
#endif
#ifdef RT_TSAN
	tsan_skip_frames(jb, __builtin_frame_address(0));
#endif
	__builtin_longjmp(jb, 1);
}

/* findpad returns the landing pad for a recovery by d's call during p, or
 * NULL if d's frame has none (see the essay). */
static void **findpad(struct _panic *p, struct rt_defer *d)
{
	if (d->heap)
		return d->jb;
	for (struct rt_defer *e = d->link; e != NULL && e->fp == d->fp;
	     e = e->link)
		if (e->heap)
			return e->jb;
	if (p->padfp == d->fp)
		return p->padjb;
	return NULL;
}

static void printpanicval(const struct _panic *p)
{
	fputs("panic: ", stderr);
	fputs(p->value.msg, stderr);
	if (p->recovered)
		fputs(" [recovered]", stderr);
	fputc('\n', stderr);
}

/* printpanics prints the chain, oldest first; mirrors printpanics. */
static void printpanics(const struct _panic *p)
{
	if (p->link != NULL) {
		printpanics(p->link);
		fputc('\t', stderr);
	}
	printpanicval(p);
}

/*
 * fatalpanic reports an unrecovered panic and exits with status 2;
 * mirrors fatalpanic. Only the first goroutine to get here reports; any
 * other waits ("panicwait") for the process to exit.
 */
static _Noreturn void fatalpanic(struct _panic *p)
{
	if (atomic_exchange(&panicking, true)) {
		for (;;)
			rt_gopark(NULL, NULL, RT_WAIT_PANIC_WAIT);
	}
	fflush(stdout);
	printpanics(p);
	fputc('\n', stderr);
	size_t len = 1 << 20;
	char *buf = malloc(len);
	if (buf != NULL) {
		size_t n = rt_stack(buf, len, true);
		fwrite(buf, 1, n, stderr);
	}
	fflush(stdout);
	fflush(stderr);
	_exit(2);
}

/*
 * gopanic runs the goroutine's deferred calls for panic value v until one
 * recovers, then resumes the frame that deferred it; else fatalpanic.
 * Mirrors gopanic.
 */
/*
 * retiredefer disposes of a record the panic has unlinked: a heap record
 * goes back to the pools, its landing pad kept in the panic first (a later
 * open-coded call of the same frame may recover into it); an open-coded
 * record is marked run, so its cleanup does nothing.
 */
static void retiredefer(struct _panic *p, struct rt_defer *d)
{
	if (d->heap) {
		p->padfp = d->fp;
		memcpy(p->padjb, d->jb, sizeof(p->padjb));
		freedefer(d);
	} else {
		d->fn = NULL;
	}
}

static _Noreturn __attribute__((noinline)) void gopanic(rt_panic_value v)
{
	struct m *mp = getm();
	struct g *gp = mp->curg;
	if (gp == NULL) {
		fprintf(stderr, "panic: %s\n", v.msg);
		throw("panic on system stack");
	}
	if (mp->locks != 0) {
		fprintf(stderr, "panic: %s\n", v.msg);
		throw("panic holding locks");
	}
	RT_PROBE2(gopanic, gp->goid, v.runtime_error);

	struct _panic p = {.value = v, .link = gp->_panic};
	gp->_panic = &p;

	for (;;) {
		struct rt_defer *d = gp->_defer;
		if (d == NULL)
			break;

		/* A started record at the top is an earlier panic's (records
		 * deferreturn runs are unlinked first): that panic's deferred
		 * call panicked, so the earlier panic is superseded. */
		if (d->started) {
			if (d->panic != NULL)
				((struct _panic *)d->panic)->aborted = true;
			d->panic = NULL;
			gp->_defer = d->link;
			retiredefer(&p, d);
			continue;
		}

		d->started = true;
		d->panic = &p;
		p.d = d;
		calldeferred(&p, d);
		gp = getg();
		if (gp->_defer != d)
			throw("bad defer entry in panic");
		p.d = NULL;
		p.argp = NULL;
		d->panic = NULL;
		gp->_defer = d->link;

		if (!p.recovered) {
			retiredefer(&p, d);
			continue;
		}

		/* Recovered: pop this panic and the aborted ones it
		 * superseded, then resume the deferring frame. */
		gp->_panic = p.link;
		while (gp->_panic != NULL && gp->_panic->aborted)
			gp->_panic = gp->_panic->link;
		void *jb[5];
		void **pad = findpad(&p, d);
		if (pad == NULL)
			throw("recovered panic without a landing pad");
		memcpy(jb, pad, sizeof(jb));
		if (d->heap)
			freedefer(d);
		else
			d->fn = NULL;
		recovery(jb);
	}
	fatalpanic(&p);
}

_Noreturn void rt_panicv(rt_panic_value v)
{
	if (v.msg == NULL) {
		/* panic(nil) is a *runtime.PanicNilError since Go 1.21, so
		 * that recover's result still tells that a panic happened. */
		v.msg = "panic called with nil argument";
		v.data = NULL;
		v.runtime_error = true;
	}
	gopanic(v);
}

_Noreturn void rt_panic(const char *msg)
{
	rt_panicv((rt_panic_value){.msg = msg});
}

_Noreturn void rt_panicf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		rt_panic(fmt);
	char *s = rt_mallocgc((size_t)n + 1, RT_MALLOC_NOSCAN);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rt_panic(s);
}

/* rt_panic_runtime_error mirrors panic(errorString(msg)): its Error() is
 * "runtime error: " + msg. */
_Noreturn void rt_panic_runtime_error(const char *msg)
{
	size_t n = strlen(msg);
	static const char prefix[] = "runtime error: ";
	char *s = rt_mallocgc(sizeof(prefix) + n, RT_MALLOC_NOSCAN);
	memcpy(s, prefix, sizeof(prefix) - 1);
	memcpy(s + sizeof(prefix) - 1, msg, n + 1);
	rt_panicv((rt_panic_value){.msg = s, .runtime_error = true});
}

/* panic_plainerror mirrors panic(plainError(msg)): a runtime.Error whose
 * Error() is msg itself (channel misuse). */
_Noreturn void panic_plainerror(const char *msg)
{
	rt_panicv((rt_panic_value){.msg = msg, .runtime_error = true});
}

/* ---- recover ------------------------------------------------------------ */

/*
 * rt_gorecover mirrors gorecover: fp is the frame of rt_recover's caller,
 * whose saved caller frame must be calldeferred's for the newest panic
 * (the argp check).
 */
rt_panic_value rt_gorecover(void *fp)
{
	struct g *gp = getg();
	struct _panic *p = gp->_panic;
	if (p == NULL || p->recovered || p->argp == NULL ||
	    *(void **)fp != p->argp)
		return (rt_panic_value){0};
	if (findpad(p, p->d) == NULL)
		fatal("rt_recover: cannot stop panic \"%s\": the recovering "
		      "call was deferred with RT_DEFER_OPEN in a frame that "
		      "has no rt_defer landing pad; defer it with RT_DEFER",
		      p->value.msg);
	p->recovered = true;
	RT_PROBE1(gorecover, gp->goid);
	return p->value;
}

/* ---- goroutine exit ----------------------------------------------------- */

/*
 * goexit_defers_throw is called by a goroutine that returned from its
 * entry function with deferred calls still linked: some function made
 * rt_defer records and returned without its RT_DEFERRETURN. The records
 * name frames that no longer exist, so this is fatal.
 */
_Noreturn void goexit_defers_throw(struct g *gp)
{
	int n = 0;
	for (struct rt_defer *d = gp->_defer; d != NULL; d = d->link)
		n++;
	struct rt_defer *d = gp->_defer;
	Dl_info info;
	const char *name = NULL;
	if (d->fn != NULL && dladdr((void *)d->fn, &info) != 0)
		name = info.dli_sname;
	fprintf(stderr,
		"runtime: goroutine %" PRIu64 " exited with %d deferred "
		"call(s) still linked; newest fn=%p (%s) arg=%p\n",
		gp->goid, n, (void *)d->fn, name != NULL ? name : "?", d->arg);
	throw("goroutine exited with deferred calls still linked (rt_defer "
	      "without rt_deferreturn / RT_DEFERRETURN)");
}

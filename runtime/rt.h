/*
 * rt.h — the public API of librt, a Go-style M:N runtime in C.
 *
 * A program hands its main function to rt_main(); from then on it can start
 * goroutines (rt_go), park and ready them, yield (rt_gosched), lock a
 * goroutine to its thread, bracket blocking system calls, and synchronize
 * with rt_mutex and rt_waitgroup. Names follow src/runtime with an rt_
 * prefix; each function's comment says which Go function it mirrors.
 *
 * Rule for callers: every rt_ function except rt_main must be called from a
 * goroutine (that is, from code reached through rt_main or rt_go).
 */
#ifndef RT_H
#define RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*rt_func)(void *arg);

/* Opaque runtime objects. */
typedef struct g rt_g;

/*
 * Wait reasons, as in runtime/runtime2.go's waitReason. Every park names one;
 * rt_waitreason_string() gives Go's text for it ("chan receive", …).
 */
/*
 * X(name, Go's string) for every wait reason, in Go's order; one list so
 * librt and rttrace (which does not link librt) share the strings.
 */
#define RT_WAITREASON_LIST(X)                                         \
	X(RT_WAIT_ZERO, "")                                           \
	X(RT_WAIT_GC_ASSIST_MARKING, "GC assist marking")             \
	X(RT_WAIT_IO_WAIT, "IO wait")                                 \
	X(RT_WAIT_CHAN_RECEIVE_NIL_CHAN, "chan receive (nil chan)")   \
	X(RT_WAIT_CHAN_SEND_NIL_CHAN, "chan send (nil chan)")         \
	X(RT_WAIT_DUMPING_HEAP, "dumping heap")                       \
	X(RT_WAIT_GARBAGE_COLLECTION, "garbage collection")           \
	X(RT_WAIT_GARBAGE_COLLECTION_SCAN, "garbage collection scan") \
	X(RT_WAIT_PANIC_WAIT, "panicwait")                            \
	X(RT_WAIT_SELECT, "select")                                   \
	X(RT_WAIT_SELECT_NO_CASES, "select (no cases)")               \
	X(RT_WAIT_GC_ASSIST_WAIT, "GC assist wait")                   \
	X(RT_WAIT_GC_SWEEP_WAIT, "GC sweep wait")                     \
	X(RT_WAIT_GC_SCAVENGE_WAIT, "GC scavenge wait")               \
	X(RT_WAIT_CHAN_RECEIVE, "chan receive")                       \
	X(RT_WAIT_CHAN_SEND, "chan send")                             \
	X(RT_WAIT_FINALIZER_WAIT, "finalizer wait")                   \
	X(RT_WAIT_FORCE_GC_IDLE, "force gc (idle)")                   \
	X(RT_WAIT_SEMACQUIRE, "semacquire")                           \
	X(RT_WAIT_SLEEP, "sleep")                                     \
	X(RT_WAIT_SYNC_COND_WAIT, "sync.Cond.Wait")                   \
	X(RT_WAIT_SYNC_MUTEX_LOCK, "sync.Mutex.Lock")                 \
	X(RT_WAIT_SYNC_RWMUTEX_RLOCK, "sync.RWMutex.RLock")           \
	X(RT_WAIT_SYNC_RWMUTEX_LOCK, "sync.RWMutex.Lock")             \
	X(RT_WAIT_SYNC_WAITGROUP_WAIT, "sync.WaitGroup.Wait")         \
	X(RT_WAIT_TRACE_READER_BLOCKING, "trace reader (blocking)")   \
	X(RT_WAIT_WAIT_FOR_GC_CYCLE, "wait for GC cycle")             \
	X(RT_WAIT_GC_WORKER_IDLE, "GC worker (idle)")                 \
	X(RT_WAIT_GC_WORKER_ACTIVE, "GC worker (active)")             \
	X(RT_WAIT_PREEMPTED, "preempted")                             \
	X(RT_WAIT_DEBUG_CALL, "debug call")                           \
	X(RT_WAIT_GC_MARK_TERMINATION, "GC mark termination")         \
	X(RT_WAIT_STOPPING_THE_WORLD, "stopping the world")

enum rt_waitreason {
#define RT_WAITREASON_ENUM(name, str) name,
	RT_WAITREASON_LIST(RT_WAITREASON_ENUM)
#undef RT_WAITREASON_ENUM
	    RT_WAIT_COUNT
};

const char *rt_waitreason_string(enum rt_waitreason reason);

/*
 * rt_main starts the runtime with GOMAXPROCS Ps (environment RT_MAXPROCS,
 * default the number of online CPUs), runs fn(arg) as the main goroutine and
 * returns when fn returns. Other goroutines stop at their next scheduling
 * point and never run again, as when Go's main returns. Call it once per
 * process. Returns 0.
 */
int rt_main(rt_func fn, void *arg);

/* rt_go starts fn(arg) in a new goroutine; mirrors newproc. Returns its id. */
uint64_t rt_go(rt_func fn, void *arg);

/* rt_gosched yields; the goroutine goes to the global run queue (gosched_m). */
void rt_gosched(void);

/* rt_getg returns the running goroutine; rt_goid its id (main is 1). */
rt_g *rt_getg(void);
uint64_t rt_goid(void);
uint64_t rt_g_id(const rt_g *gp);

/* rt_gomaxprocs is the number of Ps; rt_procid the id of the current P. */
int rt_gomaxprocs(void);
int rt_procid(void);

/* rt_nanotime is CLOCK_MONOTONIC in nanoseconds. */
int64_t rt_nanotime(void);

/*
 * rt_gopark parks the running goroutine with the given wait reason; mirrors
 * gopark. After the goroutine is off its stack, unlockf(gp, lock) runs on the
 * scheduler's stack; if it returns false the goroutine is resumed at once.
 * unlockf may be NULL. Another goroutine resumes it with rt_goready.
 */
typedef bool (*rt_unlockf)(rt_g *gp, void *lock);
void rt_gopark(rt_unlockf unlockf, void *lock, enum rt_waitreason reason);

/* rt_goready makes a parked goroutine runnable on the current P's runnext. */
void rt_goready(rt_g *gp);

/*
 * rt_lock_os_thread wires the goroutine to its thread (M): it runs only on
 * that M and the M runs nothing else until as many rt_unlock_os_thread
 * calls; mirrors LockOSThread/UnlockOSThread.
 */
void rt_lock_os_thread(void);
void rt_unlock_os_thread(void);

/* rt_thread_id is the Linux tid of the M running the caller. */
int rt_thread_id(void);

/*
 * rt_entersyscall / rt_exitsyscall bracket a call that may block in the
 * kernel; mirror entersyscall/exitsyscall. While inside, sysmon may hand the
 * P to another M. Between the two the caller must not call into librt.
 */
void rt_entersyscall(void);
void rt_exitsyscall(void);

/* rt_preempt_check is a cooperative preemption point (a "runtime entry"). */
void rt_preempt_check(void);

/* Semaphores; mirror semacquire/semrelease in runtime/sema.go. */
void rt_semacquire(uint32_t *addr, enum rt_waitreason reason);
void rt_semrelease(uint32_t *addr, bool handoff);

/*
 * rt_mutex mirrors sync.Mutex: a brief spin, then park on a semaphore, and
 * starvation mode after a waiter has waited more than 1 ms. Zero value is
 * unlocked.
 */
typedef struct rt_mutex {
	int32_t state;
	uint32_t sema;
} rt_mutex;
bool rt_mutex_trylock(rt_mutex *m);
void rt_mutex_lock_slow(rt_mutex *m);
void rt_mutex_unlock_slow(rt_mutex *m, int32_t newstate);

/*
 * The fast paths are inline, as Go's compiler inlines (*Mutex).Lock and
 * Unlock: one CAS to lock, one atomic add to unlock, no call.
 */
static inline void rt_mutex_lock(rt_mutex *m)
{
	int32_t unlocked = 0;
	if (__atomic_compare_exchange_n(&m->state, &unlocked, 1, false,
					__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return;
	rt_mutex_lock_slow(m);
}

static inline void rt_mutex_unlock(rt_mutex *m)
{
	int32_t newstate = __atomic_sub_fetch(&m->state, 1, __ATOMIC_SEQ_CST);
	if (newstate != 0)
		rt_mutex_unlock_slow(m, newstate);
}

/* rt_waitgroup mirrors sync.WaitGroup. Zero value is ready to use. */
typedef struct rt_waitgroup {
	uint64_t state; /* high 32 bits: counter; low 32 bits: waiters */
	uint32_t sema;
} rt_waitgroup;
void rt_waitgroup_add(rt_waitgroup *wg, int delta);
void rt_waitgroup_done(rt_waitgroup *wg);
void rt_waitgroup_wait(rt_waitgroup *wg);

/* ---- memory: allocator, collector, finalizers (malloc.c, mgc*.c) ---- */

/*
 * Rule for user code (as for cgo): the collector finds pointers into the GC
 * heap conservatively in goroutine stacks and saved registers, the data and
 * bss of the program (librt included), registered roots, and the GC heap
 * itself. A pointer kept only in malloc'ed memory, a shared library's
 * globals, or thread-local storage is invisible to it: the object may be
 * freed. Register such places with rt_gc_add_root.
 */
enum rt_malloc_flags {
	RT_MALLOC_NOSCAN = 1, /* the object holds no pointers; never scanned */
};

/* rt_mallocgc returns size zeroed bytes from the GC heap; mirrors
 * mallocgc. size 0 returns the address of a shared zero-size object. */
void *rt_mallocgc(size_t size, unsigned flags);

/* Why a GC cycle started; mirrors gcTriggerKind. */
enum rt_gc_reason {
	RT_GC_HEAP_GOAL = 1,	/* heap reached live * (1 + GOGC/100) */
	RT_GC_FORCED = 2,	/* rt_gc(), as runtime.GC() */
	RT_GC_MEMORY_LIMIT = 3, /* heap reached the RT_MEMLIMIT goal */
	RT_GC_PERIODIC = 4,	/* forced by sysmon after 2 min without GC */
	RT_GC_REASON_COUNT
};
const char *rt_gc_reason_string(enum rt_gc_reason reason);

/* rt_gc runs a full, blocking collection, as runtime.GC(). */
void rt_gc(void);

/* rt_gc_add_root / rt_gc_remove_root register memory outside the GC heap
 * that holds pointers into it. */
void rt_gc_add_root(void *addr, size_t len);
void rt_gc_remove_root(void *addr);

/*
 * rt_set_finalizer arranges for fn(obj) to run on the finalizer goroutine
 * once obj (the start of a GC heap object) is unreachable; obj stays alive
 * until fn has run. fn == NULL disarms. Mirrors runtime.SetFinalizer.
 */
void rt_set_finalizer(void *obj, void (*fn)(void *obj));

/* Why the world was stopped; mirrors stwReason (Go's strings). */
enum rt_stw_reason {
	RT_STW_UNKNOWN = 0,
	RT_STW_GC_MARK_TERM,	     /* "GC mark termination" */
	RT_STW_GC_SWEEP_TERM,	     /* "GC sweep termination" */
	RT_STW_WRITE_HEAP_DUMP,	     /* "write heap dump" */
	RT_STW_GOROUTINE_PROFILE,    /* "goroutine profile" */
	RT_STW_ALL_GOROUTINES_STACK, /* "all goroutines stack trace" */
	RT_STW_READ_MEM_STATS,	     /* "read mem stats" */
	RT_STW_GOMAXPROCS,	     /* "GOMAXPROCS" */
	RT_STW_FOR_TEST,	     /* "test" */
	RT_STW_REASON_COUNT
};
const char *rt_stw_reason_string(enum rt_stw_reason reason);

/* rt_stop_the_world / rt_start_the_world: every P stops at a safe point;
 * mirrors stopTheWorld/startTheWorld. Mainly for tests and tools. */
void rt_stop_the_world(enum rt_stw_reason reason);
void rt_start_the_world(void);

/* Counts of stops per reason and the total pause, kept by librt. */
struct rt_stw_stats {
	uint64_t count[RT_STW_REASON_COUNT];
	uint64_t total_ns[RT_STW_REASON_COUNT];
	uint64_t max_ns[RT_STW_REASON_COUNT];
};
void rt_read_stw_stats(struct rt_stw_stats *out);

/* rt_memstats mirrors runtime.MemStats; rt_read_memstats stops the world
 * to take a consistent snapshot, as ReadMemStats does. */
struct rt_memstats {
	uint64_t alloc;		 /* bytes of allocated heap objects */
	uint64_t total_alloc;	 /* cumulative bytes allocated */
	uint64_t sys;		 /* bytes obtained from the OS */
	uint64_t mallocs;	 /* cumulative objects allocated */
	uint64_t frees;		 /* cumulative objects freed */
	uint64_t heap_alloc;	 /* = alloc */
	uint64_t heap_sys;	 /* heap bytes obtained from the OS */
	uint64_t heap_idle;	 /* bytes in idle (unused) spans */
	uint64_t heap_inuse;	 /* bytes in in-use spans */
	uint64_t heap_released;	 /* idle bytes returned to the OS */
	uint64_t heap_objects;	 /* live + unswept objects */
	uint64_t stack_inuse;	 /* goroutine stack bytes */
	uint64_t next_gc;	 /* heap goal of the next cycle */
	uint64_t last_gc;	 /* end of last cycle, ns since the epoch */
	uint64_t pause_total_ns; /* cumulative STW pause for GC */
	uint64_t pause_ns[256];	 /* circular buffer of recent GC pauses */
	uint64_t pause_end[256]; /* when they ended, ns since the epoch */
	uint32_t num_gc;	 /* completed cycles */
	uint32_t num_forced_gc;	 /* cycles forced by rt_gc */
	double gc_cpu_fraction;	 /* share of CPU used by the GC */
};
void rt_read_memstats(struct rt_memstats *ms);

/* runtime/metrics: named samples read with atomic loads, no stop. */
enum rt_metric_kind {
	RT_METRIC_BAD = 0, /* unknown name */
	RT_METRIC_UINT64,
	RT_METRIC_FLOAT64,
};
struct rt_metric_sample {
	const char *name; /* e.g. "/gc/cycles/total:gc-cycles" */
	enum rt_metric_kind kind;
	union {
		uint64_t u64;
		double f64;
	} value;
};
/* rt_metrics_read fills in each sample's kind and value; mirrors
 * metrics.Read. rt_metrics_all lists the supported names. */
void rt_metrics_read(struct rt_metric_sample *samples, size_t n);
const char *const *rt_metrics_all(size_t *n);

/* ---- interface boxing (iface.c): mirror convT64/convTstring/convTslice */

typedef struct rt_string {
	const char *ptr;
	size_t len;
} rt_string;
typedef struct rt_slice {
	void *ptr;
	size_t len;
	size_t cap;
} rt_slice;
/* Each returns a pointer to a GC heap copy of the value, or, like Go, a
 * pointer into a static table for values below 256 and for zero values. */
const uint64_t *rt_convT64(uint64_t v);
const rt_string *rt_convTstring(rt_string s);
const rt_slice *rt_convTslice(rt_slice s);

/* ---- sync.Pool (pool.c) -------------------------------------------- */

/* rt_pool mirrors sync.Pool; zero value plus an optional new function.
 * Items vanish after two GC cycles without use (primary, then victim). */
typedef struct rt_pool {
	void *(*new_fn)(
	    void);	   /* called by rt_pool_get on a miss, may be NULL */
	void *local;	   /* per-P poolLocal array, set on first use */
	size_t localsize;  /* */
	void *victim;	   /* previous cycle's locals */
	size_t victimsize; /* */
	struct rt_pool *allnext; /* registry of pools, for cleanup at GC */
	bool registered;	 /* */
} rt_pool;
void *rt_pool_get(rt_pool *p);
void rt_pool_put(rt_pool *p, void *x);

/* ---- channels and select (chan.c, select.c) ---------------------- */

/* rt_chan mirrors hchan: a lock, a ring buffer, queues of waiting senders
 * and receivers. Channels live in the GC heap. */
typedef struct hchan rt_chan;

/* rt_chan_make mirrors makechan: elements of elem_size bytes, cap slots
 * (0: unbuffered). */
rt_chan *rt_chan_make(size_t elem_size, size_t cap);
/* rt_chan_send copies *elem into c, blocking while c is full; mirrors
 * chansend. Send on a closed channel panics; on a nil channel blocks
 * forever. */
void rt_chan_send(rt_chan *c, const void *elem);
/* rt_chan_recv receives into *elem (may be NULL), blocking while c is
 * empty; returns false (and zeroes *elem) once c is closed and drained;
 * mirrors chanrecv. */
bool rt_chan_recv(rt_chan *c, void *elem);
/* rt_chan_close mirrors closechan: closing a closed or nil channel
 * panics. */
void rt_chan_close(rt_chan *c);
size_t rt_chan_len(rt_chan *c);
size_t rt_chan_cap(rt_chan *c);
/* Non-blocking forms, as a select with one case and a default: return
 * whether the operation happened. rt_chan_tryrecv sets *ok like recv. */
bool rt_chan_trysend(rt_chan *c, const void *elem);
bool rt_chan_tryrecv(rt_chan *c, void *elem, bool *ok);
/* for (x in c): RT_CHAN_RANGE(c, &x) { ... } until c is closed. */
#define RT_CHAN_RANGE(c, elemp) while (rt_chan_recv((c), (elemp)))

enum rt_select_dir {
	RT_SELECT_SEND = 1,
	RT_SELECT_RECV = 2,
};
struct rt_select_case {
	rt_chan *c;		/* NULL: the case is never ready */
	enum rt_select_dir dir; /* */
	void *elem;		/* value to send, or where to receive */
	bool *recv_ok; /* for receives: set like rt_chan_recv's result */
};
/* rt_select mirrors selectgo: returns the index of the case that ran, or
 * -1 if has_default and no case was ready. n == 0 without default blocks
 * forever ("select (no cases)"). */
int rt_select(struct rt_select_case *cases, int n, bool has_default);

/* ---- timers (time.c) ----------------------------------------------- */

/* Durations and times are nanoseconds of rt_nanotime(); a timer's channel
 * delivers the int64_t rt_nanotime() at which it fired. */
typedef struct rt_timer {
	rt_chan *C;    /* capacity 1, as time.Timer's */
	void *runtime; /* the runtime timer (GC heap) */
} rt_timer;
/* rt_timer_new mirrors time.NewTimer. */
rt_timer *rt_timer_new(int64_t d);
/* rt_timer_stop mirrors Timer.Stop: true if it stopped the timer, false if
 * it had already fired or been stopped (the caller drains t->C). */
bool rt_timer_stop(rt_timer *t);
/* rt_timer_reset mirrors Timer.Reset: true if the timer was active. */
bool rt_timer_reset(rt_timer *t, int64_t d);
/* rt_after mirrors time.After: a new timer and channel on every call; the
 * timer stays in its P's heap until it fires, as Go <= 1.22 — unless
 * RT_TIMER_GC=1, which drops unreferenced timers at once, as Go 1.23. */
rt_chan *rt_after(int64_t d);
/* rt_after_func mirrors time.AfterFunc: fn(arg) runs in its own goroutine.*/
rt_timer *rt_after_func(int64_t d, rt_func fn, void *arg);
typedef struct rt_ticker {
	rt_chan *C;
	void *runtime;
} rt_ticker;
rt_ticker *rt_ticker_new(int64_t period);
void rt_ticker_stop(rt_ticker *t);
void rt_ticker_reset(rt_ticker *t, int64_t period);
/* rt_sleep parks the goroutine for d ("sleep"); mirrors timeSleep. */
void rt_sleep(int64_t d);
/* rt_timer_heap_len is the number of timers in every P's heap (the sum of
 * their ntimers), read without the locks: a snapshot, for tools and tests. */
size_t rt_timer_heap_len(void);

/* ---- defer, panic, recover (panic.c) -------------------------------- */

/*
 * A panic's value: Go's `any`, reduced to what C code panics with — a
 * message, an optional payload, and whether librt raised it (a
 * runtime.Error: send on closed channel, close of nil channel, …).
 */
typedef struct rt_panic_value {
	const char *msg;    /* printed after "panic: "; NULL: no panic */
	void *data;	    /* the caller's payload; NULL for librt's own */
	bool runtime_error; /* raised by librt, as Go's runtime.Error */
} rt_panic_value;

/*
 * struct rt_defer is Go's _defer: one deferred call, linked off the
 * goroutine (newest first). Its fields are librt's; code only declares one
 * through RT_DEFER_OPEN.
 */
struct rt_defer {
	rt_func fn;	       /* deferred call; NULL once it has run */
	void *arg;	       /* */
	void *fp;	       /* frame of the function that deferred it */
	struct rt_defer *link; /* next older defer of the goroutine */
	void *jb[5];  /* __builtin_setjmp buffer: the frame's landing pad */
	bool heap;    /* from the pool or the GC heap (rt_defer) */
	bool started; /* its call has begun (deferreturn or panic) */
	void *panic;  /* the panic running it, if any */
};

/*
 * rt_defer(fn, arg) defers fn(arg) to the exit of the calling function;
 * mirrors deferproc. The record comes from the per-P pool, else the GC
 * heap, as newdefer's. Like the call Go's compiler emits, it evaluates to 0
 * when the record is made, and to 1 a second time if a panic is recovered
 * by a call this frame deferred: the function must then go straight to its
 * rt_deferreturn() and return. RT_DEFER and RT_DEFERRETURN spell that:
 *
 *	int f(rt_mutex *mu) {
 *		int r = 0;
 *		rt_mutex_lock(mu);
 *		RT_DEFER(unlock, mu);
 *		r = work();
 *		RT_DEFERRETURN();
 *		return r;
 *	}
 */
struct rt_defer *rt_deferproc(rt_func fn, void *arg, void *fp);
#define rt_defer(fn, arg) \
	__builtin_setjmp( \
	    rt_deferproc((fn), (arg), __builtin_frame_address(0))->jb)
/* rt_deferreturn runs the calling frame's deferred calls, newest first;
 * mirrors deferreturn. */
void rt_deferreturn_frame(void *fp);
#define rt_deferreturn() rt_deferreturn_frame(__builtin_frame_address(0))
#define RT_DEFER(fn, arg)                     \
	do {                                  \
		if (rt_defer((fn), (arg)))    \
			goto rt_deferreturn_; \
	} while (0)
#define RT_DEFERRETURN() \
	rt_deferreturn_: \
	rt_deferreturn()

/*
 * RT_DEFER_OPEN(fn, arg) is the open-coded form, for a defer at function
 * scope and not in a loop (where Go open-codes): the record lives in the
 * frame, no pool, no allocation, and the call is made directly when the
 * scope exits (__attribute__((cleanup))). Go finds open-coded defers at
 * panic time through funcdata; C has none, so the record is linked to the
 * goroutine (as Go 1.13's deferprocStack) and a panic runs it like any
 * other. Use it at function scope: it runs when its block exits.
 *
 * An open-coded record has no landing pad: a panic that its call recovers
 * resumes the frame at one of the frame's rt_defer records (still pending,
 * or already run by this panic); in a frame with only RT_DEFER_OPEN,
 * rt_recover is a fatal error. Defer recovering calls with RT_DEFER. In a
 * function that uses both, write every RT_DEFER_OPEN before the first
 * RT_DEFER: RT_DEFER's jump to RT_DEFERRETURN must not skip an open
 * record's initialization (clang rejects it; gcc would run the cleanup
 * on garbage).
 */
void rt_deferprocstack(struct rt_defer *d);
void rt_deferreturn_open(struct rt_defer *d);
#define RT_DEFER_CAT2_(a, b) a##b
#define RT_DEFER_CAT_(a, b)  RT_DEFER_CAT2_(a, b)
#define RT_DEFER_OPEN(fn_, arg_)                                               \
	struct rt_defer RT_DEFER_CAT_(rt_opendefer_, __LINE__)                 \
	    __attribute__((cleanup(rt_deferreturn_open))) = {                  \
		.fn = (fn_), .arg = (arg_), .fp = __builtin_frame_address(0)}; \
	rt_deferprocstack(&RT_DEFER_CAT_(rt_opendefer_, __LINE__))

/*
 * rt_panic starts panicking with msg: the goroutine's deferred calls run,
 * newest first, each marked started; if one calls rt_recover() the panic
 * stops and the function that deferred it returns normally (through its
 * RT_DEFERRETURN). A panic that no deferred call recovers prints "panic: "
 * and the value, then every goroutine's stack, and exits with status 2.
 * Mirrors gopanic. rt_panicf formats the message into the GC heap.
 */
_Noreturn void rt_panic(const char *msg);
_Noreturn void rt_panicv(rt_panic_value v);
_Noreturn void rt_panicf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* rt_panic_runtime_error raises a runtime.Error (runtime_error = true)
 * whose message is "runtime error: " + msg, as Go's errorString. (librt's
 * channel errors are Go's plainError: runtime errors without the prefix.)
 * rt_panicv with msg == NULL panics with Go 1.21's PanicNilError. */
_Noreturn void rt_panic_runtime_error(const char *msg);

/*
 * rt_recover stops a panic and returns its value, when called directly by
 * a deferred call that the panic is running; anywhere else (not deferred,
 * called from a function the deferred call calls, no panic) it returns a
 * value with msg == NULL. Mirrors gorecover, whose argp check is the frame
 * check here.
 */
rt_panic_value rt_gorecover(void *fp);
#define rt_recover() rt_gorecover(__builtin_frame_address(0))

/* ---- introspection (proc.c, traceback.c) ----------------------------- */

/*
 * rt_num_goroutine is runtime.NumGoroutine: live goroutines, runtime ones
 * excepted. Mirrors gcount: len(allgs) minus the free lists' lengths and
 * the system goroutines, O(GOMAXPROCS); it never walks allgs.
 */
int rt_num_goroutine(void);

/*
 * rt_allglen is len(allgs): every goroutine ever created, live or dead
 * (dead ones wait on free lists for reuse; allgs never shrinks). A racy
 * read, no lock. For the NumGoroutine exercise (ex12): it shows what a
 * walk of allgs would have to cover.
 */
size_t rt_allglen(void);

/*
 * rt_stack is runtime.Stack: writes the calling goroutine's stack, and with
 * all, stopping the world, every other goroutine's, into buf in Go's
 * format ("goroutine 7 [chan receive]:", then for each frame the function
 * and, on the next line, file:line where debug information exists, and
 * +0xOFFSET); returns the bytes written (truncated at len, as Go's).
 */
size_t rt_stack(char *buf, size_t len, bool all);

/*
 * rt_callers is runtime.Callers: the return PCs of the calling goroutine's
 * stack, skip frames skipped (0 is rt_callers itself, 1 its caller), at
 * most n; returns how many. No symbolization, no stop.
 */
int rt_callers(int skip, uintptr_t *pcs, int n);

/* Counters librt keeps about itself (for tests and RT_STATS). */
struct rt_sched_stats {
	uint64_t goroutines_created; /* newproc calls */
	uint64_t goroutines_ended;   /* goexit calls */
	uint64_t steals;	     /* successful runqsteal */
	uint64_t preempt_coop;	     /* cooperative preemptions taken */
	uint64_t preempt_async;	     /* signal preemptions taken */
	uint64_t syscall_retakes;    /* Ps retaken by sysmon from syscalls */
	uint64_t handoffs;	     /* handoffp calls */
	uint64_t exitsyscall_slow;   /* exitsyscalls that found no P at once */
	uint32_t threads;	     /* Ms created, sysmon included */
};
void rt_read_sched_stats(struct rt_sched_stats *out);

/* rt_probe_count returns how many times librt passed the named probe site. */
uint64_t rt_probe_count(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* RT_H */

/*
 * race.h — ThreadSanitizer annotations for librt, compiled in when the
 * Makefile builds the TSan tree (-fsanitize=thread -DRT_TSAN); mirrors the
 * role of runtime/race.go and the racectx each g carries there.
 *
 * TSan knows threads, not goroutines. Its fiber API gives each G its own
 * TSan "thread" (a fiber) and is told, right before each context switch,
 * which fiber runs next:
 *
 *   - a G's fiber is made when the G first gets a stack (stackalloc) and
 *     stays with the G struct for good, like its stack: a dead G on a
 *     free list keeps it and the next goroutine to take the G runs on it.
 *     Making and destroying a fiber costs ~0.7 ms in gcc 12's libtsan
 *     (each is a TSan thread with its own trace), which per goroutine
 *     would make the suites that start 100,000 goroutines take minutes.
 *     Reuse hides nothing: the G went through goexit0 and a free list
 *     (locks and fiber switches that TSan sees) before its next start,
 *     so the old goroutine already happens-before the new one.
 *   - each M's g0 keeps its thread's own fiber (m.tsan_fiber, taken in
 *     mstart).
 *   - switch_to_g and switch_to_g0 (stack.c) call __tsan_switch_to_fiber
 *     with flags 0, a synchronizing switch: what the leaving fiber did
 *     happens-before what the entering one does, as on the one thread
 *     that really runs them. A consequence: two goroutines that run one
 *     after the other on one M are ordered for TSan, so a race between
 *     them shows only when another schedule puts them on different Ms.
 *
 * TSan keeps a shadow call stack per fiber, pushed by the instrumented
 * prologue of each function and popped by its epilogue. Paths that leave
 * frames without returning must not leave entries behind, or a G reused
 * a few thousand times overflows it: a goroutine's exit (rt_goentry,
 * mcall and switch_to_g0 are not instrumented: RT_NO_TSAN) and a
 * recovered panic's __builtin_longjmp (panic.c pops the frames it skips).
 *
 * The SIGURG handler is installed past TSan's sigaction interceptor, which
 * would run it late (preempt.c). Memory the mark reads while its owner
 * writes it by design is stated to TSan where it happens (mgcmark.c's
 * atomic scan, proc.c's scan of Gs in system calls); tests/README.md,
 * "Sanitizers", lists every case.
 *
 * gcc 12's <sanitizer/tsan_interface.h> declares none of the functions
 * below; libtsan exports them all.
 */
#ifndef RT_RACE_H
#define RT_RACE_H

#ifdef RT_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
void __tsan_set_fiber_name(void *fiber, const char *name);
/* gcc knows it as a builtin taking a pointer (libtsan's takes nothing,
 * and ignores what is passed) */
void __tsan_func_exit(void *unused);
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);

/* RT_NO_TSAN: a function TSan must not instrument (see above). */
#define RT_NO_TSAN __attribute__((no_sanitize("thread")))

/* raceignorebegin/raceignoreend: the calling thread's plain reads and
 * writes in between are not checked (its atomics still synchronize). For
 * memory read while its owner writes it by design, and only there. */
static inline void raceignorebegin(void)
{
	__tsan_ignore_thread_begin();
}

static inline void raceignoreend(void)
{
	__tsan_ignore_thread_end();
}
#else
#define RT_NO_TSAN

static inline void raceignorebegin(void)
{
}

static inline void raceignoreend(void)
{
}
#endif

#endif /* RT_RACE_H */

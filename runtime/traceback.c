/*
 * traceback.c — stack walks and goroutine dumps; mirrors
 * runtime/traceback.go (gentraceback, goroutineheader, printcreatedby,
 * tracebackothers) and runtime.Stack/runtime.Callers.
 *
 * Go unwinds with the pc-value tables the compiler writes for every
 * function. librt has frame pointers instead: everything is built with
 * -fno-omit-frame-pointer, so each frame starts with the caller's rbp and
 * sits below the return address, and the chain of every goroutine ends at
 * rt_gotrampoline, which starts it with rbp = 0 (stack.c). A walk starts
 * from one (pc, fp) pair and follows [fp] (caller's fp) and [fp+8]
 * (return pc) while fp stays inside the goroutine's stack and increases.
 * Where the walk starts depends on the goroutine's state:
 *
 *   - the caller itself: rt_stack's/rt_callers' own frame;
 *   - switched out (runnable, waiting): rt_swapcontext pushed rbp and left
 *     its return address above the saved registers at gp->sched.sp
 *     (switch_amd64.S: mxcsr/fcw, r15, r14, r13, r12, rbx, rbp, pc);
 *   - in a system call: the frame and pc rt_entersyscall recorded
 *     (gp->syscallbp/syscallpc), as Go's syscallsp/syscallpc;
 *   - never run yet: its entry function, as Go shows a new goroutine.
 *
 * An asynchronously preempted goroutine was switched out from inside the
 * SIGURG handler (preempt.c), so its chain runs through the kernel's signal
 * frame: the handler's return address is the sigreturn trampoline
 * (__restore_rt, recognised by its instruction bytes, as libgcc's and
 * gdb's unwinders do) and the interrupted registers are in the ucontext
 * just above it. The walk continues from the interrupted rip and rbp, so
 * the interrupted function shows up as a frame of its own.
 *
 * Symbolization uses elfutils' libdwfl, once for the process (lazily, under
 * a lock), and a small cache from pc to (function, file, line), because a
 * dump of a thousand goroutines parked in the same few places looks up the
 * same few pcs a thousand times. libdwfl allocates and recurses deeply, so
 * every lookup runs on the M's g0 stack (systemstack): goroutine stacks
 * are small. The cache and libdwfl's own memory are malloc'ed and hold no
 * pointers into the GC heap.
 *
 * Which frames are printed mirrors showframe: Go hides unexported runtime
 * functions. Here librt's code is everything in section rt_text (the
 * Makefile moves it there for preempt.c); its frames are hidden except its
 * public API (rt_* names, as Go's exported runtime functions and packages
 * sync and time), less the parking mechanics that Go's dumps never show.
 * RT_TRACEBACK=system shows every frame, like GOTRACEBACK=system.
 *
 * rt_stack(all) stops the world for the whole dump and formats while
 * stopped, as Go's Stack does: that pause is what the Stack exercise
 * (ex14) measures.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime2.h"

extern char __start_rt_text[];
extern char __stop_rt_text[];

/* Go prints at most this many frames of one goroutine. */
#define TRACEBACK_MAX_FRAMES 100

/* --- stack walk (gentraceback) ------------------------------------------ */

/* A frame: a pc and whether it is a return address (look up pc-1, the
 * call) or the exact pc where the goroutine stopped (look up pc). */
struct stkframe {
	uintptr_t pc;
	bool exact;
};

/*
 * is_sigreturn reports whether pc is the kernel's signal return
 * trampoline: "mov $15, %rax; syscall" (rt_sigreturn on x86-64).
 */
__attribute__((no_sanitize_address)) static bool is_sigreturn(uintptr_t pc)
{
	static const unsigned char code[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00,
					     0x00, 0x00, 0x0f, 0x05};
	if (pc < 4096)
		return false;
	return memcmp((const void *)pc, code, sizeof(code)) == 0;
}

/*
 * gentraceback walks the frame-pointer chain from (pc, fp) on the stack
 * [lo, hi) and stores up to max frames, skipping the first skip. The
 * first pc is a return address unless first_exact. Returns the number
 * stored. Reads another goroutine's stack, hence no ASan checks.
 */
__attribute__((no_sanitize_address)) static int
gentraceback(uintptr_t pc, bool first_exact, uintptr_t fp, uintptr_t lo,
	     uintptr_t hi, int skip, struct stkframe *frames, int max)
{
	int n = 0;
	bool exact = first_exact;
	while (n < max && pc != 0) {
		if (skip > 0)
			skip--;
		else
			frames[n++] = (struct stkframe){pc, exact};
		exact = false;
		if (fp < lo || fp > hi - 16 || (fp & 7) != 0)
			break;
		uintptr_t nextfp = ((uintptr_t *)fp)[0];
		uintptr_t nextpc = ((uintptr_t *)fp)[1];
		if (is_sigreturn(nextpc)) {
			/* fp is the signal handler's frame; the kernel's
			 * rt_sigframe (return address, then the ucontext)
			 * starts at fp+8. Resume at the interrupted pc. */
			uintptr_t ucp = fp + 16;
			if (ucp + sizeof(ucontext_t) > hi)
				break;
			const ucontext_t *uc = (const ucontext_t *)ucp;
			nextpc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
			nextfp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
			exact = true;
		}
		if (nextfp <= fp) {
			/* rbp == 0 ends the chain (rt_gotrampoline); a
			 * smaller one is not a frame of this stack. The
			 * return pc still belongs to the last frame. */
			if (nextfp == 0 && nextpc != 0 && n < max && skip == 0)
				frames[n++] = (struct stkframe){nextpc, exact};
			break;
		}
		pc = nextpc;
		fp = nextfp;
	}
	return n;
}

/* rt_callers mirrors runtime.Callers: skip 0 is rt_callers itself. */
__attribute__((noinline)) int rt_callers(int skip, uintptr_t *pcs, int n)
{
	struct g *gp = getg();
	if (gp == NULL || n <= 0)
		return 0;
	if (skip < 0)
		skip = 0;
	uintptr_t here;
	__asm__ volatile("leaq 0(%%rip), %0" : "=r"(here));
	int got = 0;
	if (skip == 0)
		pcs[got++] = here;
	else
		skip--;
	/* frames from rt_callers' own return address up, collected in
	 * chunks so pcs needs no room for struct stkframe */
	struct stkframe fr[32];
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t lo = gp->stack_lo, hi = gp->stack_hi;
	while (got < n) {
		int want = n - got < 32 ? n - got : 32;
		uintptr_t pc = ((uintptr_t *)fp)[1];
		uintptr_t up = ((uintptr_t *)fp)[0];
		int k = gentraceback(pc, false, up, lo, hi, skip, fr, want);
		for (int i = 0; i < k; i++)
			pcs[got++] = fr[i].pc;
		if (k < want)
			break;
		/* rare (deep stack, big n): restart the walk further up */
		skip += k;
	}
	return got;
}

/* --- symbolization (libdwfl) --------------------------------------------- */

#define MAX_INLINE 4 /* inlined calls shown per frame, innermost first */

/* What a pc resolves to: the function holding it (the symbol) and its
 * file:line, and before it the calls inlined at that pc, innermost first,
 * as Go prints inlined frames. */
struct symcache_ent {
	uintptr_t pc; /* key: the looked-up address; 0 empty */
	const char *name;
	const char *file;
	int line;
	uintptr_t entry; /* function entry, 0 if unknown */
	int ninl;
	struct {
		const char *name;
		const char *file;
		int line;
	} inl[MAX_INLINE];
};

#define SYMCACHE_SIZE 4096 /* power of two */

static struct {
	rt_lock lock;
	bool inited;
	Dwfl *dwfl;
	struct symcache_ent *cache; /* malloc'ed, SYMCACHE_SIZE entries */
	int level; /* 2: RT_TRACEBACK=system, show every frame */
} tb;

static const Dwfl_Callbacks tb_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

/* tbinit opens the process's modules once; tb.lock held, on g0. */
static void tbinit(void)
{
	tb.inited = true;
	const char *env = getenv("RT_TRACEBACK");
	if (env != NULL &&
	    (strcmp(env, "system") == 0 || strcmp(env, "all") == 0 ||
	     strcmp(env, "crash") == 0))
		tb.level = 2;
	tb.cache = calloc(SYMCACHE_SIZE, sizeof(*tb.cache));
	Dwfl *d = dwfl_begin(&tb_callbacks);
	if (d == NULL)
		return;
	if (dwfl_linux_proc_report(d, getpid()) != 0 ||
	    dwfl_report_end(d, NULL, NULL) != 0) {
		dwfl_end(d);
		return;
	}
	tb.dwfl = d;
}

/* An absolute source path, made once per (file, comp_dir) pair: the line
 * table names files relative to the compilation directory, Go prints
 * them absolute. */
struct abspath {
	const char *file; /* libdw's string */
	const char *dir;  /* the CU's DW_AT_comp_dir */
	char *path;	  /* malloc'ed dir/file */
	struct abspath *next;
};
static struct abspath *abspaths;

static const char *absfile(Dwarf_Die *cu, const char *file)
{
	if (file == NULL || file[0] == '/')
		return file;
	Dwarf_Attribute at;
	const char *dir =
	    cu != NULL ? dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &at))
		       : NULL;
	if (dir == NULL)
		return file;
	for (struct abspath *a = abspaths; a != NULL; a = a->next)
		if (a->file == file && a->dir == dir)
			return a->path;
	struct abspath *a = malloc(sizeof(*a));
	char *path = NULL;
	if (a == NULL || asprintf(&path, "%s/%s", dir, file) < 0) {
		free(a);
		return file;
	}
	*a = (struct abspath){file, dir, path, abspaths};
	abspaths = a;
	return path;
}

/*
 * addinlined finds the calls inlined at addr (DW_TAG_inlined_subroutine
 * scopes, innermost first): the line table's file:line belongs to the
 * innermost, each one's DW_AT_call_file/call_line to the next one out,
 * and the last call site to the real function, as eu-addr2line -i.
 */
static void addinlined(Dwfl_Module *mod, uintptr_t addr, struct symcache_ent *e)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	if (cu == NULL)
		return;
	Dwarf_Die *scopes = NULL;
	int ns = dwarf_getscopes(cu, addr - bias, &scopes);
	Dwarf_Files *files = NULL;
	if (ns <= 0 || dwarf_getsrcfiles(cu, &files, NULL) != 0) {
		free(scopes);
		return;
	}
	const char *file = e->file;
	int line = e->line;
	for (int i = 0; i < ns && e->ninl < MAX_INLINE; i++) {
		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		Dwarf_Attribute at;
		Dwarf_Word cf = 0, cl = 0;
		const char *name = dwarf_diename(&scopes[i]);
		if (name == NULL ||
		    dwarf_formudata(
			dwarf_attr(&scopes[i], DW_AT_call_file, &at), &cf) !=
			0 ||
		    dwarf_formudata(
			dwarf_attr(&scopes[i], DW_AT_call_line, &at), &cl) != 0)
			break;
		e->inl[e->ninl].name = name;
		e->inl[e->ninl].file = file;
		e->inl[e->ninl].line = line;
		e->ninl++;
		file = absfile(cu, dwarf_filesrc(files, cf, NULL, NULL));
		line = (int)cl;
	}
	e->file = file;
	e->line = line;
	free(scopes);
}

/* symlookup resolves addr (already pc-1 for return addresses); tb.lock
 * held, on g0. Names and files point into the Dwfl, which lives forever. */
static struct symcache_ent symlookup(uintptr_t addr)
{
	struct symcache_ent e = {.pc = addr};
	size_t h = (addr * 0x9e3779b97f4a7c15ull) >> 52 & (SYMCACHE_SIZE - 1);
	if (tb.cache != NULL && tb.cache[h].pc == addr)
		return tb.cache[h];
	if (tb.dwfl != NULL) {
		Dwfl_Module *mod = dwfl_addrmodule(tb.dwfl, addr);
		if (mod != NULL) {
			GElf_Off off = 0;
			GElf_Sym sym;
			e.name = dwfl_module_addrinfo(mod, addr, &off, &sym,
						      NULL, NULL, NULL);
			if (e.name != NULL)
				e.entry = addr - off;
			Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
			if (line != NULL)
				e.file =
				    absfile(dwfl_linecu(line),
					    dwfl_lineinfo(line, NULL, &e.line,
							  NULL, NULL, NULL));
			if (e.file != NULL)
				addinlined(mod, addr, &e);
		}
	}
	if (tb.cache != NULL)
		tb.cache[h] = e;
	return e;
}

/* --- output buffer ------------------------------------------------------- */

/* A writer fills buf[0:len) and never overflows: like g0.writebuf, what
 * does not fit is dropped. */
struct tbwriter {
	char *buf;
	size_t len;
	size_t n;
};

__attribute__((format(printf, 2, 3))) static void tbprint(struct tbwriter *w,
							  const char *fmt, ...)
{
	/* formatted aside, then copied: vsnprintf straight into buf would
	 * put its NUL over the last byte that fits */
	char tmp[1024];
	if (w->n >= w->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	size_t k = (size_t)r < sizeof(tmp) ? (size_t)r : sizeof(tmp) - 1;
	if (k > w->len - w->n)
		k = w->len - w->n;
	memcpy(w->buf + w->n, tmp, k);
	w->n += k;
}

/* --- frames -------------------------------------------------------------- */

static bool in_rt_text(uintptr_t pc)
{
	return pc >= (uintptr_t)__start_rt_text &&
	       pc < (uintptr_t)__stop_rt_text;
}

/*
 * showframe mirrors showframe/showfuncinfo: code outside librt is shown;
 * inside librt only the public API, not the mechanics of parking and
 * switching that every parked goroutine has on its stack.
 */
static bool showframe(uintptr_t pc, const char *name)
{
	static const char *const hidden[] = {
	    "rt_gopark",       "rt_goready",	 "rt_goentry",
	    "rt_gotrampoline", "rt_swapcontext", "rt_preempt_check",
	    "rt_entersyscall", "rt_exitsyscall", "rt_stack",
	    "rt_callers",      "rt_semacquire",	 "rt_semrelease",
	};
	if (tb.level >= 2 || !in_rt_text(pc))
		return true;
	if (name == NULL || strncmp(name, "rt_", 3) != 0)
		return false;
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (strcmp(name, hidden[i]) == 0)
			return false;
	return true;
}

/* printframe prints one frame as Go's traceback2 does:
 *	name(...)
 *		file:line +0xoff
 * C has no argument metadata, so arguments print as Go prints an inlined
 * frame's: "...". Returns false if the frame is hidden. */
static bool printframe(struct tbwriter *w, struct stkframe f)
{
	uintptr_t tracepc = f.exact ? f.pc : f.pc - 1;
	struct symcache_ent e = symlookup(tracepc);
	if (!showframe(f.pc, e.name))
		return false;
	if (e.name == NULL) {
		tbprint(w, "?()\n\tpc=%#" PRIxPTR "\n", f.pc);
		return true;
	}
	/* inlined calls first, without an offset, as Go prints them */
	for (int i = 0; i < e.ninl; i++)
		tbprint(w, "%s(...)\n\t%s:%d\n", e.inl[i].name,
			e.inl[i].file != NULL ? e.inl[i].file : "?",
			e.inl[i].file != NULL ? e.inl[i].line : 0);
	tbprint(w, "%s(...)\n\t%s:%d", e.name, e.file != NULL ? e.file : "?",
		e.file != NULL ? e.line : 0);
	if (f.pc > e.entry)
		tbprint(w, " +%#" PRIxPTR, f.pc - e.entry);
	tbprint(w, "\n");
	return true;
}

/* traceback1 prints the frames of one goroutine, at most 100 shown. */
static void traceback1(struct tbwriter *w, struct stkframe *frames, int n)
{
	int shown = 0;
	for (int i = 0; i < n; i++) {
		if (shown == TRACEBACK_MAX_FRAMES) {
			tbprint(w, "...additional frames elided...\n");
			break;
		}
		if (printframe(w, frames[i]))
			shown++;
	}
}

/* printcreatedby mirrors printcreatedby: the function holding the rt_go
 * call that started gp, and that call's file:line. */
static void printcreatedby(struct tbwriter *w, struct g *gp)
{
	uintptr_t pc = gp->gopc;
	if (pc == 0 || gp->goid == 1)
		return;
	struct symcache_ent e = symlookup(pc - 1);
	if (!showframe(pc, e.name))
		return;
	/* the innermost function holding the call, inlined or not */
	const char *name = e.ninl > 0 ? e.inl[0].name : e.name;
	const char *file = e.ninl > 0 ? e.inl[0].file : e.file;
	int line = e.ninl > 0 ? e.inl[0].line : e.line;
	tbprint(w, "created by %s", name != NULL ? name : "?");
	if (gp->parentgoid != 0)
		tbprint(w, " in goroutine %" PRIu64, gp->parentgoid);
	tbprint(w, "\n\t%s:%d", file != NULL ? file : "?",
		file != NULL ? line : 0);
	if (e.name != NULL && pc > e.entry)
		tbprint(w, " +%#" PRIxPTR, pc - e.entry);
	tbprint(w, "\n");
}

/* goroutineheader mirrors goroutineheader:
 *	goroutine 7 [chan receive, 3 minutes, locked to thread]: */
static void goroutineheader(struct tbwriter *w, struct g *gp, uint32_t status)
{
	static const char *const gstatus_strings[] = {
	    [G_IDLE] = "idle",	     [G_RUNNABLE] = "runnable",
	    [G_RUNNING] = "running", [G_SYSCALL] = "syscall",
	    [G_WAITING] = "waiting", [5] = "moribund_unused",
	    [G_DEAD] = "dead",
	};
	const char *s = status < sizeof(gstatus_strings) / sizeof(char *)
			    ? gstatus_strings[status]
			    : "???";
	if (status == G_WAITING && gp->waitreason != RT_WAIT_ZERO)
		s = rt_waitreason_string(gp->waitreason);
	/* gp->waitsince is the approximate time gp blocked (0: unknown);
	 * Go prints the wait once it reaches a minute. */
	int64_t waitfor = 0;
	if (status == G_WAITING && gp->waitsince != 0)
		waitfor = (nanotime() - gp->waitsince) / 60000000000LL;
	tbprint(w, "goroutine %" PRIu64 " [%s", gp->goid, s);
	if (waitfor >= 1)
		tbprint(w, ", %" PRId64 " minutes", waitfor);
	if (gp->lockedm != NULL)
		tbprint(w, ", locked to thread");
	tbprint(w, "]:\n");
}

/* --- other goroutines ---------------------------------------------------- */

/*
 * gframes collects the frames of gp, which is not running on this thread:
 * switched out, in a system call, or never started. Returns -1 if gp is
 * running on another thread (its stack is moving).
 */
__attribute__((no_sanitize_address)) static int
gframes(struct g *gp, uint32_t status, struct stkframe *frames, int max)
{
	uintptr_t lo = gp->stack_lo, hi = gp->stack_hi;
	switch (status) {
	case G_SYSCALL:
		if (gp->syscallpc == 0)
			return 0;
		return gentraceback(gp->syscallpc, false, gp->syscallbp, lo, hi,
				    0, frames, max);
	case G_RUNNABLE:
	case G_WAITING: {
		uintptr_t *sp = gp->sched.sp;
		if ((uintptr_t)sp < lo || (uintptr_t)(sp + 8) > hi)
			return 0;
		if (sp[7] == (uintptr_t)rt_gotrampoline && sp[6] == 0) {
			/* never run: show the entry, as Go does */
			frames[0] = (struct stkframe){(uintptr_t)gp->fn, true};
			return 1;
		}
		return gentraceback(sp[7], false, sp[6], lo, hi, 0, frames,
				    max);
	}
	default:
		return -1;
	}
}

struct othersarg {
	struct tbwriter *w;
	struct g *me;
	struct stkframe *frames; /* scratch, on g0's stack */
};

/* tracebackothers_one mirrors the body of tracebackothers' loop. */
static void tracebackothers_one(struct g *gp, void *arg)
{
	struct othersarg *a = arg;
	uint32_t status = readgstatus(gp);
	if (gp == a->me || status == G_DEAD || status == G_IDLE ||
	    (gp->issystem && tb.level < 2))
		return;
	tbprint(a->w, "\n");
	goroutineheader(a->w, gp, status);
	int n = gframes(gp, status, a->frames, TRACEBACK_MAX_FRAMES * 2);
	if (n < 0) {
		tbprint(a->w, "\tgoroutine running on other thread; stack "
			      "unavailable\n");
	} else {
		traceback1(a->w, a->frames, n);
	}
	printcreatedby(a->w, gp);
}

/* --- rt_stack ------------------------------------------------------------ */

struct stackarg {
	struct tbwriter w;
	struct g *gp;
	uintptr_t pc, fp; /* the caller of rt_stack */
	bool all;
};

/* stack_m formats the dump on g0 (systemstack), as Stack's closure. */
static void stack_m(void *arg)
{
	struct stackarg *a = arg;
	struct stkframe frames[TRACEBACK_MAX_FRAMES * 2];
	lock(&tb.lock);
	if (!tb.inited)
		tbinit();
	goroutineheader(&a->w, a->gp, G_RUNNING);
	int n =
	    gentraceback(a->pc, false, a->fp, a->gp->stack_lo, a->gp->stack_hi,
			 0, frames, TRACEBACK_MAX_FRAMES * 2);
	traceback1(&a->w, frames, n);
	printcreatedby(&a->w, a->gp);
	if (a->all) {
		struct othersarg oa = {&a->w, a->gp, frames};
		forEachG(tracebackothers_one, &oa);
	}
	unlock(&tb.lock);
}

/* rt_stack mirrors runtime.Stack. */
__attribute__((noinline)) size_t rt_stack(char *buf, size_t len, bool all)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
	struct stackarg a = {
	    .w = {buf, len, 0},
	    .gp = getg(),
	    .pc = ((uintptr_t *)fp)[1],
	    .fp = ((uintptr_t *)fp)[0],
	    .all = all,
	};
	if (all)
		stop_the_world(RT_STW_ALL_GOROUTINES_STACK);
	if (len > 0)
		systemstack(stack_m, &a);
	if (all)
		start_the_world();
	return a.w.n;
}

/*
 * symbolize.h — names for the addresses of sampled stacks: kernel frames
 * from /proc/kallsyms, user frames of one process with elfutils' libdwfl
 * (function, file:line, and the calls inlined at the address).
 */
#ifndef RTTRACE_SYMBOLIZE_H
#define RTTRACE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- kernel: /proc/kallsyms ---------------------------------------------- */

struct ksym {
	uint64_t addr;
	const char *name;   /* into struct ksyms' string storage */
	const char *module; /* NULL for the kernel image */
};

/* The kernel's symbols sorted by address. */
struct ksyms {
	struct ksym *syms;
	size_t n;
	char *strs; /* every name, NUL-separated */
	size_t strs_len, strs_cap;
};

/*
 * ksyms_parse reads kallsyms-format lines ("ffffffff81000000 T _stext",
 * optionally "\t[module]") from f into ks, keeping text symbols (t, T, w,
 * W) at a non-zero address, sorted. Returns 0, -ENOENT when every address
 * is zero (kptr_restrict hides them from this user), or -errno.
 */
int ksyms_parse(struct ksyms *ks, FILE *f);
/* ksyms_load is ksyms_parse of /proc/kallsyms. */
int ksyms_load(struct ksyms *ks);
/* ksyms_find returns the symbol holding addr (the last one at or below
 * it), or NULL below the first. */
const struct ksym *ksyms_find(const struct ksyms *ks, uint64_t addr);
void ksyms_free(struct ksyms *ks);

/* ---- user: libdwfl ------------------------------------------------------- */

/*
 * One frame as symbolized: a function, or a call inlined into one. The
 * strings are interned for all of rttrace and hold at least until
 * usyms_free of the usyms that gave them: callers that keep them longer
 * copy them.
 */
struct sym_frame {
	const char *name;   /* NULL when unknown */
	const char *file;   /* source file, NULL when unknown */
	int line;	    /* 0 when unknown */
	const char *module; /* the ELF file holding it */
	bool inlined;	    /* a call inlined at this address */
};

/*
 * usyms symbolizes one process's addresses. Its view of the process is a
 * snapshot of /proc/PID/maps: usyms_snapshot takes a fresh one while the
 * process lives, and the last one stays usable after it has exited and
 * been reaped, so a report made then still names its frames (the mapped
 * files are opened by path).
 *
 * The answers are cached for all of rttrace, by the mapped file's ELF
 * build ID (usyms_module_key) and the address within it: a pc seen again,
 * in this process or in another of the same binary, costs a hash lookup.
 * Distinct usyms may be used from distinct threads at once: the cache
 * they share locks itself.
 */
struct usyms;

/* usyms_new starts with a snapshot of pid's mappings; NULL on error. */
struct usyms *usyms_new(pid_t pid);
/*
 * usyms_snapshot re-reads /proc/PID/maps; when the process is gone (or has
 * no mappings left) the previous snapshot is kept. Returns 1 when the
 * mappings changed, 0 when not, -errno when they could not be read.
 * Thread-safe against itself, not against usyms_lookup.
 */
int usyms_snapshot(struct usyms *us);
/*
 * usyms_lookup symbolizes pc, a return address unless exact (the sampled
 * pc of the innermost frame). It fills out[0..max) innermost first: the
 * calls inlined at pc (inlined set), then the function holding it, and
 * returns how many; 1 with name NULL when pc is not in a known function.
 */
int usyms_lookup(struct usyms *us, uint64_t pc, bool exact,
		 struct sym_frame *out, int max);
/*
 * usyms_ret_at_sp says whether, at the sampled pc, the function's return
 * address is the word at the stack pointer (its CFI gives CFA = rsp + 8:
 * at its entry, or throughout a function that sets up no frame), which is
 * when a frame-pointer walk skips its caller.
 */
bool usyms_ret_at_sp(struct usyms *us, uint64_t pc);
void usyms_free(struct usyms *us);

/*
 * usyms_module_key writes the key that identifies the ELF file at path in
 * the cache into buf: "build-id:HEX" from its NT_GNU_BUILD_ID note, or,
 * for a file without one, "file:DEV:INODE:SIZE:MTIME:PATH". Returns 0,
 * -ENOSPC when buf is too small, or -errno when path cannot be stat'ed.
 */
int usyms_module_key(const char *path, char *buf, size_t len);

/* What the process-wide cache holds and has done. */
struct usyms_cache_stats {
	uint64_t hits;	    /* answers from the cache */
	uint64_t misses;    /* answers that called libdwfl */
	uint64_t evictions; /* entries dropped to stay within the bound */
	size_t entries;	    /* addresses cached */
	size_t modules;	    /* distinct module keys seen */
	size_t bytes;	    /* heap held: table, frames, strings, modules */
	size_t strings;	    /* of which interned strings */
};

void usyms_cache_stats(struct usyms_cache_stats *st);
/* usyms_cache_limit bounds the cache to about entries addresses (rounded
 * down to a power of two; 0: the default, 32768) and empties it. */
void usyms_cache_limit(size_t entries);

#endif /* RTTRACE_SYMBOLIZE_H */

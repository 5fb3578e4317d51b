/*
 * symbolize.c — kernel and user symbols for the CPU profile.
 *
 * Kernel: /proc/kallsyms read once into an array sorted by address; a
 * frame's symbol is the last one at or below its address (binary search),
 * as libbpf-tools' ksyms__map_addr does. Only text symbols are kept.
 *
 * User: elfutils' libdwfl, which knows ELF symbol tables, DWARF line tables
 * and inlined subroutines, rather than a hand-written ELF reader. libdwfl
 * reports a live process from /proc/PID/maps; a traced program has
 * usually exited, and been reaped, by the time its samples are read. So
 * usyms keeps a snapshot of the maps text, taken while the process runs
 * (profile.c refreshes it every so often: the dynamic loader maps the
 * shared libraries only after exec), and builds the Dwfl from that text
 * with dwfl_linux_proc_maps_report at the first lookup. The mapped files
 * are opened by path (dwfl_linux_proc_find_elf does that for a module
 * whose name is a path), which needs no live process.
 *
 * A pc is looked up once: results are cached by address. librt's own
 * functions live in section rt_text, not .text (see runtime/preempt.c);
 * the symbol table and DWARF still describe them, so nothing changes here.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>
#include <elfutils/libdwfl.h>

#include "symbolize.h"

/* ---- kernel ---------------------------------------------------------------
 */

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/* ks_str appends s to the string storage; returns its offset or -1. */
static ssize_t ks_str(struct ksyms *ks, const char *s)
{
	size_t len = strlen(s) + 1, off = ks->strs_len;

	if (ks->strs_len + len > ks->strs_cap) {
		size_t cap = ks->strs_cap ? ks->strs_cap * 2 : 1 << 20;
		char *p;

		while (cap < ks->strs_len + len)
			cap *= 2;
		p = realloc(ks->strs, cap);
		if (!p)
			return -1;
		ks->strs = p;
		ks->strs_cap = cap;
	}
	memcpy(ks->strs + off, s, len);
	ks->strs_len += len;
	return off;
}

int ksyms_parse(struct ksyms *ks, FILE *f)
{
	char line[512], name[256], mod[128];
	size_t cap = 0, zero = 0;
	/* offsets until the storage stops moving, then pointers */
	struct {
		ssize_t name, mod;
	} *offs = NULL;
	int err = 0;

	memset(ks, 0, sizeof(*ks));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type;
		int n;

		mod[0] = '\0';
		n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name,
			   mod);
		if (n < 3)
			continue;
		type = tolower((unsigned char)type);
		if (type != 't' && type != 'w')
			continue;
		if (!addr) {
			zero++;
			continue;
		}
		if (ks->n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			void *p = realloc(ks->syms, ncap * sizeof(*ks->syms));
			void *q = realloc(offs, ncap * sizeof(*offs));

			if (p)
				ks->syms = p;
			if (q)
				offs = q;
			if (!p || !q) {
				err = -ENOMEM;
				goto out;
			}
			cap = ncap;
		}
		offs[ks->n].name = ks_str(ks, name);
		offs[ks->n].mod = mod[0] ? ks_str(ks, mod) : -2;
		if (offs[ks->n].name < 0 || offs[ks->n].mod == -1) {
			err = -ENOMEM;
			goto out;
		}
		ks->syms[ks->n].addr = addr;
		ks->n++;
	}
	if (ferror(f)) {
		err = -EIO;
		goto out;
	}
	if (!ks->n) {
		err = zero ? -ENOENT : 0;
		goto out;
	}
	for (size_t i = 0; i < ks->n; i++) {
		ks->syms[i].name = ks->strs + offs[i].name;
		ks->syms[i].module =
		    offs[i].mod >= 0 ? ks->strs + offs[i].mod : NULL;
	}
	qsort(ks->syms, ks->n, sizeof(*ks->syms), ksym_cmp);
out:
	free(offs);
	if (err)
		ksyms_free(ks);
	return err;
}

int ksyms_load(struct ksyms *ks)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	int err;

	if (!f) {
		memset(ks, 0, sizeof(*ks));
		return -errno;
	}
	err = ksyms_parse(ks, f);
	fclose(f);
	return err;
}

const struct ksym *ksyms_find(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi = ks->n;

	/* the first symbol above addr is at lo once the search ends */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &ks->syms[lo - 1] : NULL;
}

void ksyms_free(struct ksyms *ks)
{
	free(ks->syms);
	free(ks->strs);
	memset(ks, 0, sizeof(*ks));
}

/* ---- user -----------------------------------------------------------------
 */

#define SYM_MAX_INLINE 8    /* inlined calls kept per address */
#define SYM_CACHE_SIZE 8192 /* power of two */

struct sym_entry {
	uint64_t pc; /* key, with exact in bit 63 of key; 0: empty */
	uint64_t key;
	int n;
	struct sym_frame f[SYM_MAX_INLINE + 1];
};

/* Absolute source paths made from (file, comp_dir), kept for the Dwfl's
 * life: the line table names files relative to the compilation directory. */
struct abspath {
	const char *file;
	const char *dir;
	char *path;
	struct abspath *next;
};

struct usyms {
	pid_t pid;
	pthread_mutex_t lock; /* maps, maps_len, dirty */
	char *maps;	      /* the last non-empty /proc/PID/maps */
	size_t maps_len;
	bool dirty; /* maps changed since dwfl was built */
	Dwfl *dwfl;
	struct abspath *abspaths;
	struct sym_entry *cache; /* SYM_CACHE_SIZE entries */
};

static const Dwfl_Callbacks usyms_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

/* read_maps reads /proc/PID/maps whole into a malloc'ed buffer. */
static int read_maps(pid_t pid, char **out, size_t *len)
{
	char path[64], *buf = NULL;
	size_t n = 0;
	FILE *f, *m;
	int c, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	m = open_memstream(&buf, &n);
	if (!m) {
		err = -errno;
		fclose(f);
		return err;
	}
	while ((c = getc(f)) != EOF)
		putc(c, m);
	if (ferror(f))
		err = -EIO;
	fclose(f);
	if (fclose(m) && !err)
		err = -ENOMEM;
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

struct usyms *usyms_new(pid_t pid)
{
	struct usyms *us = calloc(1, sizeof(*us));

	if (!us)
		return NULL;
	us->pid = pid;
	pthread_mutex_init(&us->lock, NULL);
	us->cache = calloc(SYM_CACHE_SIZE, sizeof(*us->cache));
	if (!us->cache) {
		free(us);
		return NULL;
	}
	usyms_snapshot(us);
	return us;
}

int usyms_snapshot(struct usyms *us)
{
	char *buf = NULL;
	size_t len = 0;
	int err, changed = 0;

	err = read_maps(us->pid, &buf, &len);
	if (err)
		return err;
	/* a zombie's maps are empty: keep what it had */
	if (!len) {
		free(buf);
		return 0;
	}
	pthread_mutex_lock(&us->lock);
	if (len != us->maps_len || memcmp(buf, us->maps, len)) {
		free(us->maps);
		us->maps = buf;
		us->maps_len = len;
		us->dirty = true;
		changed = 1;
		buf = NULL;
	}
	pthread_mutex_unlock(&us->lock);
	free(buf);
	return changed;
}

static void free_abspaths(struct usyms *us)
{
	while (us->abspaths) {
		struct abspath *a = us->abspaths;

		us->abspaths = a->next;
		free(a->path);
		free(a);
	}
}

/* usyms_build makes the Dwfl from the latest snapshot, once per change;
 * names from the previous one are dropped with it, cache included. */
static void usyms_build(struct usyms *us)
{
	FILE *f;
	Dwfl *d;

	pthread_mutex_lock(&us->lock);
	if (!us->dirty) {
		pthread_mutex_unlock(&us->lock);
		return;
	}
	us->dirty = false;
	if (us->dwfl)
		dwfl_end(us->dwfl);
	us->dwfl = NULL;
	free_abspaths(us);
	memset(us->cache, 0, SYM_CACHE_SIZE * sizeof(*us->cache));
	d = dwfl_begin(&usyms_callbacks);
	f = d ? fmemopen(us->maps, us->maps_len, "r") : NULL;
	if (f) {
		dwfl_report_begin(d);
		if (dwfl_linux_proc_maps_report(d, f) == 0 &&
		    dwfl_report_end(d, NULL, NULL) == 0) {
			us->dwfl = d;
			d = NULL;
		}
		fclose(f);
	}
	if (d)
		dwfl_end(d);
	pthread_mutex_unlock(&us->lock);
}

static const char *absfile(struct usyms *us, Dwarf_Die *cu, const char *file)
{
	Dwarf_Attribute at;
	const char *dir;
	struct abspath *a;
	char *path = NULL;

	if (!file || file[0] == '/' || !cu)
		return file;
	dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &at));
	if (!dir)
		return file;
	for (a = us->abspaths; a; a = a->next)
		if (a->file == file && a->dir == dir)
			return a->path;
	a = malloc(sizeof(*a));
	if (!a || asprintf(&path, "%s/%s", dir, file) < 0) {
		free(a);
		return file;
	}
	*a = (struct abspath){file, dir, path, us->abspaths};
	us->abspaths = a;
	return path;
}

/*
 * add_inlined puts the calls inlined at addr before e's function frame,
 * innermost first, as eu-addr2line -i does: the line table's file:line
 * belongs to the innermost call, each DW_AT_call_file/call_line to the
 * next one out, and the outermost call site to the function itself.
 */
static void add_inlined(struct usyms *us, Dwfl_Module *mod, uint64_t addr,
			struct sym_entry *e)
{
	struct sym_frame fn = e->f[0];
	Dwarf_Die *cu, *scopes = NULL;
	Dwarf_Files *files = NULL;
	const char *file = fn.file;
	int line = fn.line, ns, n = 0;
	Dwarf_Addr bias;

	cu = dwfl_module_addrdie(mod, addr, &bias);
	if (!cu)
		return;
	ns = dwarf_getscopes(cu, addr - bias, &scopes);
	if (ns <= 0 || dwarf_getsrcfiles(cu, &files, NULL) != 0) {
		free(scopes);
		return;
	}
	for (int i = 0; i < ns && n < SYM_MAX_INLINE; i++) {
		Dwarf_Attribute at;
		Dwarf_Word cf = 0, cl = 0;
		const char *name;

		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		name = dwarf_diename(&scopes[i]);
		if (!name ||
		    dwarf_formudata(
			dwarf_attr(&scopes[i], DW_AT_call_file, &at), &cf) !=
			0 ||
		    dwarf_formudata(
			dwarf_attr(&scopes[i], DW_AT_call_line, &at), &cl) != 0)
			break;
		e->f[n++] = (struct sym_frame){
		    .name = name,
		    .file = file,
		    .line = line,
		    .module = fn.module,
		    .inlined = true,
		};
		file = absfile(us, cu, dwarf_filesrc(files, cf, NULL, NULL));
		line = (int)cl;
	}
	fn.file = file;
	fn.line = line;
	e->f[n++] = fn;
	e->n = n;
	free(scopes);
}

static void lookup(struct usyms *us, uint64_t addr, struct sym_entry *e)
{
	Dwfl_Module *mod;
	const char *modname;
	Dwfl_Line *line;
	GElf_Off off;
	GElf_Sym sym;

	e->n = 1;
	if (!us->dwfl)
		return;
	mod = dwfl_addrmodule(us->dwfl, addr);
	if (!mod)
		return;
	modname =
	    dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	e->f[0].module = modname;
	e->f[0].name =
	    dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	line = dwfl_module_getsrc(mod, addr);
	if (line)
		e->f[0].file = absfile(
		    us, dwfl_linecu(line),
		    dwfl_lineinfo(line, NULL, &e->f[0].line, NULL, NULL, NULL));
	if (e->f[0].name && e->f[0].file)
		add_inlined(us, mod, addr, e);
}

int usyms_lookup(struct usyms *us, uint64_t pc, bool exact,
		 struct sym_frame *out, int max)
{
	/* a return address points after its call: look up the call */
	uint64_t addr = exact || !pc ? pc : pc - 1;
	uint64_t key = addr | (exact ? 1ull << 63 : 0);
	size_t h = (key * 0x9e3779b97f4a7c15ull) >> 40 & (SYM_CACHE_SIZE - 1);
	struct sym_entry tmp, *e = &us->cache[h];
	int n;

	if (max <= 0)
		return 0;
	usyms_build(us);
	if (!(e->key == key && e->n)) {
		memset(&tmp, 0, sizeof(tmp));
		tmp.pc = pc;
		tmp.key = key;
		lookup(us, addr, &tmp);
		*e = tmp;
	}
	/* never drop the function itself: it ends the list */
	n = e->n <= max ? e->n : max;
	memcpy(out, e->f + (e->n - n), n * sizeof(*out));
	return n;
}

bool usyms_ret_at_sp(struct usyms *us, uint64_t pc)
{
	Dwarf_CFI *cfi;
	Dwarf_Frame *frame = NULL;
	Dwarf_Op *ops;
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	size_t nops;
	bool at_sp = false;

	usyms_build(us);
	if (!us->dwfl)
		return false;
	mod = dwfl_addrmodule(us->dwfl, pc);
	if (!mod)
		return false;
	cfi = dwfl_module_eh_cfi(mod, &bias);
	if (!cfi)
		cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &frame) != 0)
		return false;
	/* DWARF register 7 is %rsp on x86-64; libdw states a "def_cfa
	 * register, offset" rule as DW_OP_bregx register, offset */
	if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1)
		at_sp = (ops[0].atom == DW_OP_bregx && ops[0].number == 7 &&
			 ops[0].number2 == 8) ||
			(ops[0].atom == DW_OP_breg7 && ops[0].number == 8);
	free(frame);
	return at_sp;
}

void usyms_free(struct usyms *us)
{
	if (!us)
		return;
	if (us->dwfl)
		dwfl_end(us->dwfl);
	free_abspaths(us);
	free(us->cache);
	free(us->maps);
	pthread_mutex_destroy(&us->lock);
	free(us);
}

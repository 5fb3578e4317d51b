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
 * with dwfl_linux_proc_maps_report at its first cache miss. The mapped
 * files are opened by path (dwfl_linux_proc_find_elf does that for a
 * module whose name is a path), which needs no live process.
 *
 * What libdwfl answers is cached once for all of rttrace, not per usyms:
 * `rttrace run` traces one binary twice, `rttrace report` 28 times, and a
 * pc names the same frames in every process that maps the same file.
 *
 *   1. Modules. A usyms cuts its snapshot into the files it maps, as
 *      libdwfl groups them (the consecutive mappings of one path), and
 *      names each by its ELF build ID (NT_GNU_BUILD_ID) or, lacking one,
 *      by path, device, inode, size and mtime (usyms_module_key). A key is
 *      read from the file once; a stat of the path finds it again. Files
 *      with one key share one module id. libdwfl opens the file by path
 *      later: its answers are cached only when what it opened has the
 *      key's build ID (a file rebuilt at that path meanwhile is another).
 *   2. Entries. (module id, address - the module's load bias) maps to the
 *      frames libdwfl gave and to usyms_ret_at_sp's answer. The table is
 *      4-way set associative with a fixed number of entries: a full set
 *      drops its least recently used. A hit costs a hash and the lock, no
 *      libdwfl call; a usyms builds its Dwfl only at its first miss.
 *   3. Strings. Names and files are interned once, in chunks that never
 *      move, so evicting an entry leaves the strings callers hold valid.
 *      They are bounded by what the traced files name, and are dropped,
 *      entries with them, when the last usyms is freed while they exceed
 *      SYMSTR_KEEP.
 *
 * One mutex guards the cache (modules, entries, strings, counters);
 * libdwfl runs outside it, on the calling usyms' own Dwfl. Lock order: a
 * usyms' lock, then the cache's.
 *
 * librt's own functions live in section rt_text, not .text (see
 * runtime/preempt.c); the symbol table and DWARF still describe them, so
 * nothing changes here.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <libelf.h>

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

/* ---- user: the shared cache -----------------------------------------------
 */

#define SYM_MAX_INLINE	 8	    /* inlined calls kept per address */
#define SYMCACHE_WAYS	 4	    /* entries per set */
#define SYMCACHE_ENTRIES 32768	    /* default bound, a power of two */
#define SYMSTR_KEEP	 (4u << 20) /* interned bytes kept with no usyms */
#define SYMSTR_CHUNK	 (64u << 10)
#define MOD_NONE	 UINT32_MAX /* a module with no key: never cached */

enum { RET_UNKNOWN, RET_NO, RET_YES };

/* One frame as cached; the module comes from the usyms asking. */
struct symframe {
	const char *name; /* interned; NULL when unknown */
	const char *file; /* interned; NULL when unknown */
	int line;
	bool inlined;
};

/* One cached address. */
struct symslot {
	uint64_t addr;	    /* key: address - the module's load bias */
	uint32_t mod;	    /* key: symmod id; 0 when the slot is empty */
	uint32_t used;	    /* sc.clock at the last use: LRU in the set */
	struct symframe *f; /* n frames, innermost first */
	uint8_t n;	    /* 0: not symbolized yet (ret only) */
	uint8_t ret;	    /* RET_*: usyms_ret_at_sp's answer */
	bool in_module;	    /* libdwfl found a module at addr */
};

/* Strings live in chunks that never move nor shrink. */
struct strchunk {
	struct strchunk *next;
	size_t used, cap;
	char data[];
};

struct strent {
	const char *s; /* NULL: free */
	uint64_t h;
};

/* One file as stat saw it, and the module id its key gave. */
struct symmod {
	struct symmod *next;
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char *key; /* usyms_module_key's */
	uint32_t id;
};

static struct {
	pthread_mutex_t lock;
	struct symslot *slots; /* nsets * SYMCACHE_WAYS; NULL until used */
	size_t nsets;	       /* a power of two */
	size_t limit;	       /* entries allowed; 0: SYMCACHE_ENTRIES */
	uint32_t clock;
	struct strent *strs; /* open addressing, half full at most */
	size_t nstrs, strs_cap;
	struct strchunk *chunks;
	size_t chunk_bytes;
	struct symmod *mods;
	size_t mod_bytes;
	uint32_t nmods; /* the last id given */
	size_t live;	/* usyms not yet freed */
	uint64_t hits, misses, evictions;
	size_t entries, frame_bytes;
} sc = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* str_store copies s into a chunk. Call with sc.lock held. */
static const char *str_store(const char *s, size_t len)
{
	struct strchunk *c = sc.chunks;

	if (!c || c->cap - c->used < len) {
		size_t cap = len > SYMSTR_CHUNK / 4 ? len : SYMSTR_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		/* a big string's own chunk goes second: the first keeps
		 * filling */
		if (cap == len && sc.chunks) {
			c->next = sc.chunks->next;
			sc.chunks->next = c;
		} else {
			c->next = sc.chunks;
			sc.chunks = c;
		}
		sc.chunk_bytes += sizeof(*c) + cap;
	}
	memcpy(c->data + c->used, s, len);
	c->used += len;
	return c->data + c->used - len;
}

/* intern_locked returns the one copy of s, NULL when out of memory.
 * Call with sc.lock held. */
static const char *intern_locked(const char *s)
{
	uint64_t h;
	size_t i, mask;
	const char *p;

	if (!s)
		return NULL;
	if ((sc.nstrs + 1) * 2 > sc.strs_cap) {
		size_t cap = sc.strs_cap ? sc.strs_cap * 2 : 1024;
		struct strent *t = calloc(cap, sizeof(*t));

		if (!t)
			return NULL;
		for (size_t j = 0; j < sc.strs_cap; j++) {
			if (!sc.strs[j].s)
				continue;
			i = sc.strs[j].h & (cap - 1);
			while (t[i].s)
				i = (i + 1) & (cap - 1);
			t[i] = sc.strs[j];
		}
		free(sc.strs);
		sc.strs = t;
		sc.strs_cap = cap;
	}
	h = str_hash(s);
	mask = sc.strs_cap - 1;
	for (i = h & mask; sc.strs[i].s; i = (i + 1) & mask)
		if (sc.strs[i].h == h && !strcmp(sc.strs[i].s, s))
			return sc.strs[i].s;
	p = str_store(s, strlen(s) + 1);
	if (!p)
		return NULL;
	sc.strs[i] = (struct strent){p, h};
	sc.nstrs++;
	return p;
}

static const char *intern(const char *s)
{
	const char *p;

	if (!s)
		return NULL;
	pthread_mutex_lock(&sc.lock);
	p = intern_locked(s);
	pthread_mutex_unlock(&sc.lock);
	return p;
}

static void slot_clear(struct symslot *e)
{
	free(e->f);
	sc.frame_bytes -= e->n * sizeof(*e->f);
	sc.entries--;
	memset(e, 0, sizeof(*e));
}

/* flush_entries empties the table. Call with sc.lock held. */
static void flush_entries(void)
{
	for (size_t i = 0; sc.slots && i < sc.nsets * SYMCACHE_WAYS; i++)
		if (sc.slots[i].mod)
			slot_clear(&sc.slots[i]);
	free(sc.slots);
	sc.slots = NULL;
	sc.nsets = 0;
}

/* flush_strings drops every interned string, and so every entry. Call
 * with sc.lock held, when no usyms is alive to have handed them out. */
static void flush_strings(void)
{
	flush_entries();
	while (sc.chunks) {
		struct strchunk *c = sc.chunks;

		sc.chunks = c->next;
		free(c);
	}
	free(sc.strs);
	sc.strs = NULL;
	sc.nstrs = sc.strs_cap = sc.chunk_bytes = 0;
}

static struct symslot *set_of(uint32_t mod, uint64_t addr)
{
	uint64_t h = (addr ^ (uint64_t)mod << 40) * 0x9e3779b97f4a7c15ull;

	return &sc.slots[(h >> 32 & (sc.nsets - 1)) * SYMCACHE_WAYS];
}

/* slot_find returns (mod, addr)'s entry, or NULL. Call with sc.lock held. */
static struct symslot *slot_find(uint32_t mod, uint64_t addr)
{
	struct symslot *set;

	if (!sc.slots)
		return NULL;
	set = set_of(mod, addr);
	for (int w = 0; w < SYMCACHE_WAYS; w++)
		if (set[w].mod == mod && set[w].addr == addr) {
			set[w].used = ++sc.clock;
			return &set[w];
		}
	return NULL;
}

/* slot_get returns (mod, addr)'s entry, made empty in its set's free or
 * least recently used way when there is none; NULL when out of memory.
 * Call with sc.lock held. */
static struct symslot *slot_get(uint32_t mod, uint64_t addr)
{
	struct symslot *set, *e = slot_find(mod, addr);

	if (e)
		return e;
	if (!sc.slots) {
		size_t limit = sc.limit ? sc.limit : SYMCACHE_ENTRIES;

		sc.slots = calloc(limit, sizeof(*sc.slots));
		if (!sc.slots)
			return NULL;
		sc.nsets = limit / SYMCACHE_WAYS;
	}
	set = set_of(mod, addr);
	e = &set[0];
	for (int w = 0; w < SYMCACHE_WAYS && e->mod; w++)
		/* unsigned: right across the clock's wrap */
		if (!set[w].mod || (uint32_t)(sc.clock - set[w].used) >
				       (uint32_t)(sc.clock - e->used))
			e = &set[w];
	if (e->mod) {
		slot_clear(e);
		sc.evictions++;
	}
	*e = (struct symslot){.addr = addr, .mod = mod, .used = ++sc.clock};
	sc.entries++;
	return e;
}

void usyms_cache_limit(size_t entries)
{
	size_t n = SYMCACHE_WAYS;

	while (entries && n * 2 <= entries)
		n *= 2;
	pthread_mutex_lock(&sc.lock);
	flush_entries();
	sc.limit = entries ? n : 0;
	pthread_mutex_unlock(&sc.lock);
}

void usyms_cache_stats(struct usyms_cache_stats *st)
{
	pthread_mutex_lock(&sc.lock);
	*st = (struct usyms_cache_stats){
	    .hits = sc.hits,
	    .misses = sc.misses,
	    .evictions = sc.evictions,
	    .entries = sc.entries,
	    .modules = sc.nmods,
	    .bytes = sc.nsets * SYMCACHE_WAYS * sizeof(*sc.slots) +
		     sc.frame_bytes + sc.chunk_bytes +
		     sc.strs_cap * sizeof(*sc.strs) + sc.mod_bytes,
	    .strings = sc.chunk_bytes + sc.strs_cap * sizeof(*sc.strs),
	};
	pthread_mutex_unlock(&sc.lock);
}

/* ---- user: modules --------------------------------------------------------
 */

static void elf_init(void)
{
	elf_version(EV_CURRENT);
}

/* build_id reads path's NT_GNU_BUILD_ID note as hex into a malloc'ed
 * string; NULL when it has none, or is no ELF file. */
static char *build_id(const char *path)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static const char hex[] = "0123456789abcdef";
	const unsigned char *id;
	const void *p;
	char *s = NULL;
	ssize_t n = -1;
	Elf *elf;
	int fd;

	pthread_once(&once, elf_init);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf)
		n = dwelf_elf_gnu_build_id(elf, &p);
	if (n > 0 && (s = malloc(2 * n + 1))) {
		id = p;
		for (ssize_t i = 0; i < n; i++) {
			s[2 * i] = hex[id[i] >> 4];
			s[2 * i + 1] = hex[id[i] & 15];
		}
		s[2 * n] = '\0';
	}
	elf_end(elf);
	close(fd);
	return s;
}

/* module_key is usyms_module_key's, malloc'ed, of path as st describes. */
static char *module_key(const char *path, const struct stat *st)
{
	char *id = build_id(path), *key = NULL;
	int r;

	if (id)
		r = asprintf(&key, "build-id:%s", id);
	else
		r = asprintf(&key, "file:%jx:%ju:%jd:%lld.%09ld:%s",
			     (uintmax_t)st->st_dev, (uintmax_t)st->st_ino,
			     (intmax_t)st->st_size,
			     (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
			     path);
	free(id);
	return r < 0 ? NULL : key;
}

int usyms_module_key(const char *path, char *buf, size_t len)
{
	struct stat st;
	char *key;
	int err = 0;

	if (stat(path, &st))
		return -errno;
	key = module_key(path, &st);
	if (!key)
		return -ENOMEM;
	if ((size_t)snprintf(buf, len, "%s", key) >= len)
		err = -ENOSPC;
	free(key);
	return err;
}

static struct symmod *mod_find(const char *path, const struct stat *st)
{
	for (struct symmod *m = sc.mods; m; m = m->next)
		if (m->dev == st->st_dev && m->ino == st->st_ino &&
		    m->size == st->st_size &&
		    m->mtime.tv_sec == st->st_mtim.tv_sec &&
		    m->mtime.tv_nsec == st->st_mtim.tv_nsec &&
		    !strcmp(m->path, path))
			return m;
	return NULL;
}

/* module_id gives the file at path its module id: the one of any file
 * with its key, or a new one, and *keyp the key; MOD_NONE when it cannot
 * be keyed. A file is read once, outside the lock (hits wait on it), then
 * found again by its stat. */
static uint32_t module_id(const char *path, const char **keyp)
{
	struct symmod *m, *n;
	struct stat st;
	uint32_t id = MOD_NONE;
	char *key;

	if (stat(path, &st))
		return MOD_NONE;
	pthread_mutex_lock(&sc.lock);
	m = mod_find(path, &st);
	pthread_mutex_unlock(&sc.lock);
	if (m) {
		*keyp = m->key;
		return m->id;
	}
	key = module_key(path, &st);
	n = calloc(1, sizeof(*n));
	if (n)
		n->path = strdup(path);
	if (!key || !n || !n->path) {
		if (n)
			free(n->path);
		free(n);
		free(key);
		return MOD_NONE;
	}
	pthread_mutex_lock(&sc.lock);
	m = mod_find(path, &st); /* another thread's, meanwhile */
	if (m) {
		id = m->id;
		*keyp = m->key;
		free(n->path);
		free(n);
		free(key);
	} else {
		for (m = sc.mods; m && id == MOD_NONE; m = m->next)
			if (!strcmp(m->key, key))
				id = m->id;
		if (id == MOD_NONE)
			id = ++sc.nmods;
		n->next = sc.mods;
		n->dev = st.st_dev;
		n->ino = st.st_ino;
		n->size = st.st_size;
		n->mtime = st.st_mtim;
		n->key = key;
		n->id = id;
		sc.mods = n;
		*keyp = key;
		sc.mod_bytes += sizeof(*n) + strlen(n->path) + strlen(key) + 2;
	}
	pthread_mutex_unlock(&sc.lock);
	return id;
}

/* ---- user: one process ----------------------------------------------------
 */

/* One file's mappings in the process, as libdwfl reports a module. */
struct umod {
	uint64_t lo, hi;  /* first mapping's start, last one's end */
	uint64_t bias;	  /* lo - first mapping's offset: addr - bias keys */
	const char *path; /* interned */
	const char *key;  /* its symmod's */
	uint32_t id;	  /* symmod id; 0 until asked for */
	uint8_t agree;	  /* AGREE_*: the Dwfl opened the file keyed */
};

enum { AGREE_UNKNOWN, AGREE_YES, AGREE_NO };

struct usyms {
	pid_t pid;
	pthread_mutex_t lock; /* maps, maps_len, dirty */
	char *maps;	      /* the last non-empty /proc/PID/maps */
	size_t maps_len;
	bool dirty; /* maps changed since view was taken */
	char *view; /* the maps mods and dwfl are made from */
	size_t view_len;
	struct umod *mods; /* by address */
	size_t nmods;
	Dwfl *dwfl;	 /* made from view at the first miss */
	bool dwfl_tried; /* and not again when that failed */
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
	pthread_mutex_lock(&sc.lock);
	sc.live++;
	pthread_mutex_unlock(&sc.lock);
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

/* parse_mods cuts view into modules the way dwfl_linux_proc_maps_report
 * does: consecutive mappings of one path are one module; mappings of no
 * file, [vdso] included, are none. */
static void parse_mods(struct usyms *us)
{
	const char *p = us->view, *end = us->view + us->view_len;
	size_t cap = 0;

	free(us->mods);
	us->mods = NULL;
	us->nmods = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = (nl ? nl : end) - p;
		char line[4096 + 128];
		uint64_t lo, hi, off;
		int at = 0;

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
		} else {
			line[0] = '\0';
		}
		p += len + (nl != NULL);
		if (sscanf(line,
			   "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*s %n",
			   &lo, &hi, &off, &at) != 3 ||
		    !at || line[at] != '/')
			continue;
		if (us->nmods &&
		    !strcmp(us->mods[us->nmods - 1].path, line + at)) {
			us->mods[us->nmods - 1].hi = hi;
			continue;
		}
		if (us->nmods == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct umod *m =
			    realloc(us->mods, ncap * sizeof(*us->mods));

			if (!m)
				return; /* the rest stays unknown */
			us->mods = m;
			cap = ncap;
		}
		us->mods[us->nmods] = (struct umod){
		    .lo = lo,
		    .hi = hi,
		    .bias = lo - off,
		    .path = intern(line + at),
		};
		if (us->mods[us->nmods].path)
			us->nmods++;
	}
}

/* usyms_build takes up the latest snapshot, once per change: its modules
 * now, its Dwfl at the next miss. Cached answers stay, for they are the
 * files', not the process's. */
static void usyms_build(struct usyms *us)
{
	char *view = NULL;
	size_t len = 0;

	pthread_mutex_lock(&us->lock);
	if (us->dirty && (view = malloc(us->maps_len))) {
		memcpy(view, us->maps, us->maps_len);
		len = us->maps_len;
		us->dirty = false;
	}
	pthread_mutex_unlock(&us->lock);
	if (!view)
		return;
	free(us->view);
	us->view = view;
	us->view_len = len;
	if (us->dwfl)
		dwfl_end(us->dwfl);
	us->dwfl = NULL;
	us->dwfl_tried = false;
	parse_mods(us);
}

/* usyms_dwfl makes the Dwfl of view at the first miss that needs it;
 * NULL when libdwfl cannot, and then not tried again until view changes. */
static Dwfl *usyms_dwfl(struct usyms *us)
{
	FILE *f;
	Dwfl *d;

	if (us->dwfl || us->dwfl_tried || !us->view)
		return us->dwfl;
	us->dwfl_tried = true;
	d = dwfl_begin(&usyms_callbacks);
	f = d ? fmemopen(us->view, us->view_len, "r") : NULL;
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
	return us->dwfl;
}

/* umod_find returns the module holding addr, NULL when none does. */
static struct umod *umod_find(struct usyms *us, uint64_t addr)
{
	size_t lo = 0, hi = us->nmods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (us->mods[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= us->mods[lo - 1].hi)
		return NULL;
	if (!us->mods[lo - 1].id)
		us->mods[lo - 1].id =
		    module_id(us->mods[lo - 1].path, &us->mods[lo - 1].key);
	return &us->mods[lo - 1];
}

/* ---- user: libdwfl ---------------------------------------------------------
 */

/* What libdwfl says of one address. */
struct symres {
	int n;
	Dwfl_Module *mod; /* holding the address; NULL when none does */
	struct symframe f[SYM_MAX_INLINE + 1];
};

/*
 * dwfl_agrees says whether the ELF file libdwfl opened for m, by path, is
 * the one m was keyed by: one rebuilt at that path since (while tracing)
 * is another, whose answers must not be cached under m's key.
 */
static bool dwfl_agrees(struct umod *m, Dwfl_Module *mod)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *bits;
	const char *want;
	GElf_Addr vaddr;
	Dwarf_Addr bias;
	int n;

	if (m->agree != AGREE_UNKNOWN)
		return m->agree == AGREE_YES;
	want = strncmp(m->key, "build-id:", 9) ? NULL : m->key + 9;
	n = dwfl_module_getelf(mod, &bias)
		? dwfl_module_build_id(mod, &bits, &vaddr)
		: -1;
	m->agree = AGREE_YES;
	if (n <= 0 || !want) {
		if ((n > 0) != (want != NULL))
			m->agree = AGREE_NO;
		return m->agree == AGREE_YES;
	}
	if (strlen(want) != 2 * (size_t)n)
		m->agree = AGREE_NO;
	for (int i = 0; i < n && m->agree == AGREE_YES; i++)
		if (want[2 * i] != hex[bits[i] >> 4] ||
		    want[2 * i + 1] != hex[bits[i] & 15])
			m->agree = AGREE_NO;
	return m->agree == AGREE_YES;
}

/* absfile interns file made absolute with cu's DW_AT_comp_dir: the line
 * table names files relative to the compilation directory. */
static const char *absfile(Dwarf_Die *cu, const char *file)
{
	Dwarf_Attribute at;
	const char *dir, *p;
	char *path;

	if (!file || file[0] == '/' || !cu)
		return intern(file);
	dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &at));
	if (!dir || asprintf(&path, "%s/%s", dir, file) < 0)
		return intern(file);
	p = intern(path);
	free(path);
	return p;
}

/*
 * add_inlined puts the calls inlined at addr before r's function frame,
 * innermost first, as eu-addr2line -i does: the line table's file:line
 * belongs to the innermost call, each DW_AT_call_file/call_line to the
 * next one out, and the outermost call site to the function itself.
 */
static void add_inlined(Dwfl_Module *mod, uint64_t addr, struct symres *r)
{
	struct symframe fn = r->f[0];
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
		r->f[n++] = (struct symframe){
		    .name = intern(name),
		    .file = file,
		    .line = line,
		    .inlined = true,
		};
		file = absfile(cu, dwarf_filesrc(files, cf, NULL, NULL));
		line = (int)cl;
	}
	fn.file = file;
	fn.line = line;
	r->f[n++] = fn;
	r->n = n;
	free(scopes);
}

/* resolve asks libdwfl about addr; false when there is no Dwfl to ask. */
static bool resolve(struct usyms *us, uint64_t addr, struct symres *r)
{
	Dwfl *d = usyms_dwfl(us);
	Dwfl_Module *mod;
	Dwfl_Line *line;
	GElf_Off off;
	GElf_Sym sym;

	memset(r, 0, sizeof(*r));
	r->n = 1;
	if (!d)
		return false;
	mod = dwfl_addrmodule(d, addr);
	if (!mod)
		return true;
	r->mod = mod;
	r->f[0].name = intern(
	    dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL));
	line = dwfl_module_getsrc(mod, addr);
	if (line)
		r->f[0].file = absfile(
		    dwfl_linecu(line),
		    dwfl_lineinfo(line, NULL, &r->f[0].line, NULL, NULL, NULL));
	if (r->f[0].name && r->f[0].file)
		add_inlined(mod, addr, r);
	return true;
}

/* ret_at_sp is usyms_ret_at_sp's answer from libdwfl, for pc in mod. */
static bool ret_at_sp(Dwfl_Module *mod, uint64_t pc)
{
	Dwarf_CFI *cfi;
	Dwarf_Frame *frame = NULL;
	Dwarf_Op *ops;
	Dwarf_Addr bias;
	size_t nops;
	bool at_sp = false;

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

/* ---- user: the API ---------------------------------------------------------
 */

/* copy_out gives out the last max of f's n frames: never drop the
 * function itself, it ends the list. */
static int copy_out(const struct symframe *f, int n, const char *module,
		    struct sym_frame *out, int max)
{
	int k = n <= max ? n : max;

	for (int i = 0; i < k; i++) {
		const struct symframe *s = &f[n - k + i];

		out[i] = (struct sym_frame){
		    .name = s->name,
		    .file = s->file,
		    .line = s->line,
		    .module = module,
		    .inlined = s->inlined,
		};
	}
	return k;
}

int usyms_lookup(struct usyms *us, uint64_t pc, bool exact,
		 struct sym_frame *out, int max)
{
	/* a return address points after its call: look up the call */
	uint64_t addr = exact || !pc ? pc : pc - 1;
	struct symslot *e;
	struct symres r;
	struct umod *m;
	bool ok;
	int n;

	if (max <= 0)
		return 0;
	usyms_build(us);
	m = umod_find(us, addr);
	if (!m) { /* no file: libdwfl would know no module either */
		out[0] = (struct sym_frame){0};
		return 1;
	}
	if (m->id != MOD_NONE) {
		pthread_mutex_lock(&sc.lock);
		e = slot_find(m->id, addr - m->bias);
		if (e && e->n) {
			sc.hits++;
			n = copy_out(e->f, e->n, e->in_module ? m->path : NULL,
				     out, max);
			pthread_mutex_unlock(&sc.lock);
			return n;
		}
		pthread_mutex_unlock(&sc.lock);
	}
	/* without a Dwfl, or from another file, the answer is not the
	 * keyed file's: others may do better */
	ok = resolve(us, addr, &r) && m->id != MOD_NONE &&
	     (!r.mod || dwfl_agrees(m, r.mod));
	pthread_mutex_lock(&sc.lock);
	sc.misses++;
	if (ok && (e = slot_get(m->id, addr - m->bias)) && !e->n) {
		e->f = malloc(r.n * sizeof(*e->f));
		if (e->f) {
			memcpy(e->f, r.f, r.n * sizeof(*e->f));
			e->n = r.n;
			e->in_module = r.mod != NULL;
			sc.frame_bytes += r.n * sizeof(*e->f);
		}
	}
	pthread_mutex_unlock(&sc.lock);
	return copy_out(r.f, r.n, r.mod ? m->path : NULL, out, max);
}

bool usyms_ret_at_sp(struct usyms *us, uint64_t pc)
{
	Dwfl_Module *mod = NULL;
	struct symslot *e;
	struct umod *m;
	bool at_sp, ok;
	Dwfl *d;

	usyms_build(us);
	m = umod_find(us, pc);
	if (!m)
		return false;
	if (m->id != MOD_NONE) {
		pthread_mutex_lock(&sc.lock);
		e = slot_find(m->id, pc - m->bias);
		if (e && e->ret != RET_UNKNOWN) {
			sc.hits++;
			at_sp = e->ret == RET_YES;
			pthread_mutex_unlock(&sc.lock);
			return at_sp;
		}
		pthread_mutex_unlock(&sc.lock);
	}
	d = usyms_dwfl(us);
	if (d)
		mod = dwfl_addrmodule(d, pc);
	at_sp = mod && ret_at_sp(mod, pc);
	ok = d && m->id != MOD_NONE && (!mod || dwfl_agrees(m, mod));
	pthread_mutex_lock(&sc.lock);
	sc.misses++;
	if (ok && (e = slot_get(m->id, pc - m->bias)))
		e->ret = at_sp ? RET_YES : RET_NO;
	pthread_mutex_unlock(&sc.lock);
	return at_sp;
}

void usyms_free(struct usyms *us)
{
	if (!us)
		return;
	if (us->dwfl)
		dwfl_end(us->dwfl);
	free(us->mods);
	free(us->view);
	free(us->maps);
	pthread_mutex_destroy(&us->lock);
	free(us);
	pthread_mutex_lock(&sc.lock);
	/* nobody holds a string now: drop them if they grew too many */
	if (--sc.live == 0 && sc.chunk_bytes > SYMSTR_KEEP)
		flush_strings();
	pthread_mutex_unlock(&sc.lock);
}

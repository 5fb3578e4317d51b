/*
 * usdt_check.c — reads an ELF file's SystemTap SDT notes, the layout
 * runtime/probes.h emits (and sys/sdt.h defines): note name "stapsdt", type
 * 3, a descriptor of three addresses (site pc, _.stapsdt.base, semaphore)
 * followed by provider, probe name and argument string, each NUL-ended.
 *
 * Reading them first lets rttrace say "no librt probes" plainly, refuse a
 * binary built with another probe ABI before loading anything, and attach
 * only the probes present. The sites it records are file offsets, as a
 * uprobe takes them; the translation mirrors libbpf's usdt.c
 * (collect_usdt_targets):
 *
 *  1. prelink: the notes are not allocated, so prelink does not move the
 *     addresses in them; it moves the .stapsdt.base section instead. A
 *     note's base is the link-time address of that section, so
 *     sh_addr(.stapsdt.base) - base is how far prelink moved the file,
 *     and both the pc and the semaphore move by as much (the systemtap
 *     wiki's UserSpaceProbeImplementation; libbpf moves only the pc).
 *  2. vaddr -> file offset through the PT_LOAD segment holding the
 *     address: offset = vaddr - p_vaddr + p_offset. The pc must lie in an
 *     executable segment, the semaphore in a writable one.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe_names.h"
#include "usdt_check.h"

#define SDT_NOTE_NAME "stapsdt"
#define SDT_NOTE_TYPE 3
#define SDT_NOTE_SEC  ".note.stapsdt"
#define SDT_BASE_SEC  ".stapsdt.base"

/* The argument count of every probe, from the same list as its name. */
static const int probe_nargs[RT_PROBE_NUM] = {
#define X(name, nargs, doc) [RT_PROBE_ID_##name] = nargs,
    RT_PROBE_LIST(X)
#undef X
};

/* probes.h's RT_PROBE_REG0..5: the SysV argument registers, in order */
static const char *const spec_regs[] = {"rdi", "rsi", "rdx", "rcx", "r8", "r9"};

const char *usdt_spec(int nargs, char *buf, size_t size)
{
	size_t len = 0;

	if (nargs < 1 || nargs > (int)(sizeof(spec_regs) / sizeof(*spec_regs)))
		return NULL;
	buf[0] = '\0';
	for (int i = 0; i < nargs && len < size; i++)
		len += snprintf(buf + len, size - len, "%s8@%%%s", i ? " " : "",
				spec_regs[i]);
	return len < size ? buf : NULL;
}

/* One note of provider "rt", as the descriptor holds it. */
struct sdt_note {
	uint64_t pc, base, sema;
	const char *name, *args;
};

/* A loadable segment: [vaddr, vaddr + memsz) is at offset in the file. */
struct elf_seg {
	uint64_t vaddr, memsz, offset;
	uint32_t flags; /* PF_X, PF_W, PF_R */
};

/* A known site, in note order, before grouping by probe. */
struct site {
	int id;
	uint64_t offset, ref_ctr;
};

struct scan {
	struct usdt_probes *out;
	struct elf_seg *segs;
	size_t nsegs;
	uint64_t base_addr; /* sh_addr of .stapsdt.base; 0: none */
	size_t addr_size;
	struct site *sites;
	size_t nsites, cap;
};

static uint64_t read_addr(const char *p, size_t addr_size)
{
	uint32_t a32;
	uint64_t a64;

	if (addr_size == 4) {
		memcpy(&a32, p, 4);
		return a32;
	}
	memcpy(&a64, p, 8);
	return a64;
}

/*
 * note_parse splits one descriptor; returns 0, or -1 if it is malformed
 * or not provider "rt" (skipped, as libbpf skips other providers).
 */
static int note_parse(const char *desc, size_t len, size_t addr_size,
		      struct sdt_note *n)
{
	const char *provider;
	size_t off = 3 * addr_size;

	if (len <= off)
		return -1;
	n->pc = read_addr(desc, addr_size);
	n->base = read_addr(desc + addr_size, addr_size);
	n->sema = read_addr(desc + 2 * addr_size, addr_size);
	provider = desc + off;
	off += strnlen(provider, len - off) + 1;
	if (off >= len)
		return -1;
	n->name = desc + off;
	off += strnlen(n->name, len - off) + 1;
	if (off >= len)
		return -1;
	n->args = desc + off;
	if (strnlen(n->args, len - off) == len - off)
		return -1; /* not NUL-terminated */
	return strcmp(provider, USDT_PROVIDER) == 0 ? 0 : -1;
}

static const struct elf_seg *find_seg(const struct scan *sc, uint64_t vaddr)
{
	for (size_t i = 0; i < sc->nsegs; i++)
		if (vaddr >= sc->segs[i].vaddr &&
		    vaddr - sc->segs[i].vaddr < sc->segs[i].memsz)
			return &sc->segs[i];
	return NULL;
}

/*
 * site_add checks one known note against probes.h and records its file
 * offsets. Returns 0 or -errno with out->why set.
 */
static int site_add(struct scan *sc, int id, const struct sdt_note *n)
{
	struct usdt_probes *out = sc->out;
	uint64_t pc = n->pc, sema = n->sema;
	const struct elf_seg *seg;
	char want[64];
	struct site *s;

	if (!usdt_spec(probe_nargs[id], want, sizeof(want)) ||
	    strcmp(n->args, want) != 0) {
		snprintf(out->why, sizeof(out->why),
			 "rt:%s at %#llx has arguments \"%.60s\", not \"%s\"",
			 n->name, (unsigned long long)n->pc, n->args, want);
		return -EPROTO;
	}
	if (!sema) {
		snprintf(out->why, sizeof(out->why),
			 "rt:%s at %#llx has no semaphore", n->name,
			 (unsigned long long)n->pc);
		return -EPROTO;
	}
	if (sc->base_addr && n->base) {
		pc += sc->base_addr - n->base;
		sema += sc->base_addr - n->base;
	}
	seg = find_seg(sc, pc);
	if (!seg || !(seg->flags & PF_X)) {
		snprintf(out->why, sizeof(out->why),
			 "rt:%s at %#llx is in no executable segment", n->name,
			 (unsigned long long)pc);
		return -EBADMSG;
	}
	pc = pc - seg->vaddr + seg->offset;
	seg = find_seg(sc, sema);
	if (!seg || !(seg->flags & PF_W)) {
		snprintf(out->why, sizeof(out->why),
			 "rt:%s's semaphore at %#llx is in no writable segment",
			 n->name, (unsigned long long)sema);
		return -EBADMSG;
	}
	sema = sema - seg->vaddr + seg->offset;

	if (sc->nsites == sc->cap) {
		size_t cap = sc->cap ? 2 * sc->cap : 256;
		struct site *p = realloc(sc->sites, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		sc->sites = p;
		sc->cap = cap;
	}
	s = &sc->sites[sc->nsites++];
	s->id = id;
	s->offset = pc;
	s->ref_ctr = sema;
	return 0;
}

static int scan_notes(struct scan *sc, Elf_Data *data)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nhdr;
	int err;

	while ((next = gelf_getnote(data, off, &nhdr, &name_off, &desc_off))) {
		const char *base = data->d_buf;
		struct sdt_note n;
		int id;

		off = next;
		if (nhdr.n_type != SDT_NOTE_TYPE ||
		    nhdr.n_namesz != sizeof(SDT_NOTE_NAME) ||
		    memcmp(base + name_off, SDT_NOTE_NAME,
			   sizeof(SDT_NOTE_NAME)) != 0)
			continue;
		if (note_parse(base + desc_off, nhdr.n_descsz, sc->addr_size,
			       &n))
			continue;
		sc->out->total++;
		id = probe_lookup(n.name);
		if (id < 0) {
			sc->out->unknown++;
			continue;
		}
		sc->out->sites[id]++;
		err = site_add(sc, id, &n);
		if (err)
			return err;
	}
	return 0;
}

static int read_segs(struct scan *sc, Elf *elf)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	sc->segs = calloc(n ? n : 1, sizeof(*sc->segs));
	if (!sc->segs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return -ENOEXEC;
		if (ph.p_type != PT_LOAD)
			continue;
		sc->segs[sc->nsegs++] = (struct elf_seg){
		    .vaddr = ph.p_vaddr,
		    .memsz = ph.p_memsz,
		    .offset = ph.p_offset,
		    .flags = ph.p_flags,
		};
	}
	return 0;
}

/* group_sites lays sc's sites out in out by probe id, in note order. */
static int group_sites(struct scan *sc)
{
	struct usdt_probes *out = sc->out;
	unsigned int next[RT_PROBE_NUM], at = 0;

	out->nsite = (unsigned int)sc->nsites;
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		out->first[id] = next[id] = at;
		at += out->sites[id];
	}
	if (!sc->nsites)
		return 0;
	out->offset = calloc(sc->nsites, sizeof(*out->offset));
	out->ref_ctr = calloc(sc->nsites, sizeof(*out->ref_ctr));
	if (!out->offset || !out->ref_ctr)
		return -ENOMEM;
	for (size_t i = 0; i < sc->nsites; i++) {
		const struct site *s = &sc->sites[i];
		unsigned int j = next[s->id]++;

		out->offset[j] = s->offset;
		out->ref_ctr[j] = s->ref_ctr;
	}
	return 0;
}

int usdt_check(const char *path, struct usdt_probes *out)
{
	struct scan sc = {.out = out};
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, err = 0;
	Elf *elf;

	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF ||
	    elf_getshdrstrndx(elf, &shstrndx)) {
		err = -ENOEXEC;
		goto out;
	}
	sc.addr_size = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	err = read_segs(&sc, elf);
	if (err)
		goto out;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && strcmp(name, SDT_BASE_SEC) == 0)
			sc.base_addr = shdr.sh_addr;
	}
	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;
		Elf_Data *data = NULL;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!name || strcmp(name, SDT_NOTE_SEC) != 0)
			continue;
		while (!err && (data = elf_getdata(scn, data)))
			err = scan_notes(&sc, data);
	}
	if (!err)
		err = group_sites(&sc);
out:
	free(sc.sites);
	free(sc.segs);
	if (elf)
		elf_end(elf);
	close(fd);
	if (err)
		usdt_free(out); /* the counts and why stay, for the message */
	return err;
}

void usdt_free(struct usdt_probes *p)
{
	free(p->offset);
	free(p->ref_ctr);
	p->offset = NULL;
	p->ref_ctr = NULL;
	p->nsite = 0;
}

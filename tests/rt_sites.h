/*
 * rt_sites.h — a program reads its own probe sites as the CPU now sees
 * them, for the traced test programs (tests/progs/probesite.c,
 * leafprobe.c) that show which path the kernel took at an attached site:
 *
 *   nop      0f 1f 44 00 00 (or 90 in the $(OUT)/nop1 build): not attached
 *   int3     cc ...: a uprobe traps there (every 1-byte site; a 5-byte
 *            site until its first hit, or for good on a kernel that does
 *            not optimize uprobes)
 *   call     e8 rel32: the kernel rewrote the 5-byte nop into a call to
 *            its [uprobes-trampoline] mapping (Linux 6.18 here)
 *
 * The sites come from the program's own .note.stapsdt (read from
 * /proc/self/exe: notes are not loaded), moved by the load bias; the bytes
 * from /proc/self/mem, which shows the pages uprobes installed; a call's
 * target is named by the /proc/self/maps line that holds it.
 *
 * No libcheck, no librt: the programs in tests/progs include it.
 */
#ifndef RT_SITES_H
#define RT_SITES_H

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RT_SITES_MAX 64

/* rt_site — one site of a probe, as read now. */
struct rt_site {
	uintptr_t addr;		/* run-time address of the nop */
	unsigned char bytes[5]; /* what is there now */
	char target_map[64];	/* a call's target mapping ("[uprobes-...]") */
};

static int rt_sites_bias_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uintptr_t *)data = (uintptr_t)info->dlpi_addr;
	return 1; /* the first object is the program itself */
}

/* rt_sites_map names the /proc/self/maps mapping that holds addr. */
static void rt_sites_map(uintptr_t addr, char *name, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	snprintf(name, size, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		int path = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi,
			   &path) < 2 ||
		    addr < lo || addr >= hi)
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(name, size, "%s", path ? line + path : "");
		break;
	}
	fclose(f);
}

/*
 * rt_sites_read fills out[] with the sites of probe rt:name in this
 * program (at most max) and returns how many, or -1 if the notes cannot be
 * read.
 */
static int rt_sites_read(const char *name, struct rt_site *out, int max)
{
	int fd = open("/proc/self/exe", O_RDONLY), mem, n = 0;
	uintptr_t bias = 0, base_addr = 0;
	const Elf64_Shdr *sh, *notes = NULL;
	const Elf64_Ehdr *eh;
	const char *shstr;
	struct stat st;
	char *img;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	img = malloc((size_t)st.st_size);
	if (!img || pread(fd, img, (size_t)st.st_size, 0) != st.st_size) {
		free(img);
		close(fd);
		return -1;
	}
	close(fd);
	eh = (const Elf64_Ehdr *)img;
	sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	shstr = img + sh[eh->e_shstrndx].sh_offset;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (!strcmp(shstr + sh[i].sh_name, ".note.stapsdt"))
			notes = &sh[i];
		else if (!strcmp(shstr + sh[i].sh_name, ".stapsdt.base"))
			base_addr = sh[i].sh_addr;
	}
	dl_iterate_phdr(rt_sites_bias_cb, &bias);
	mem = open("/proc/self/mem", O_RDONLY);
	for (size_t off = 0; notes && mem >= 0 && off < notes->sh_size;) {
		const Elf64_Nhdr *nh =
		    (const Elf64_Nhdr *)(img + notes->sh_offset + off);
		const char *desc =
		    (const char *)(nh + 1) + ((nh->n_namesz + 3) & ~3u);
		const uint64_t *a = (const uint64_t *)desc;
		const char *prov = desc + 24, *pname = prov + strlen(prov) + 1;

		off += sizeof(*nh) + ((nh->n_namesz + 3) & ~3u) +
		       ((nh->n_descsz + 3) & ~3u);
		if (nh->n_type != 3 || strcmp(prov, "rt") ||
		    strcmp(pname, name) || n >= max)
			continue;
		/* a[0] pc, a[1] link-time _.stapsdt.base, a[2] semaphore */
		out[n].addr = a[0] + (base_addr ? base_addr - a[1] : 0) + bias;
		if (pread(mem, out[n].bytes, 5, (off_t)out[n].addr) != 5)
			continue;
		out[n].target_map[0] = 0;
		if (out[n].bytes[0] == 0xe8) {
			int32_t rel;

			memcpy(&rel, &out[n].bytes[1], 4);
			rt_sites_map(out[n].addr + 5 + (intptr_t)rel,
				     out[n].target_map,
				     sizeof(out[n].target_map));
		}
		n++;
	}
	if (mem >= 0)
		close(mem);
	free(img);
	return mem < 0 ? -1 : n;
}

/* rt_site_kind says what the CPU finds at s: "nop", "int3" or "call". */
static const char *rt_site_kind(const struct rt_site *s)
{
	static const unsigned char nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};

	if (s->bytes[0] == 0xcc)
		return "int3";
	if (s->bytes[0] == 0xe8)
		return "call";
	if (s->bytes[0] == 0x90 || !memcmp(s->bytes, nop5, 5))
		return "nop";
	return "other";
}

#endif /* RT_SITES_H */

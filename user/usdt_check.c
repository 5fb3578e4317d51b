/*
 * usdt_check.c — reads an ELF file's SystemTap SDT notes, the layout
 * runtime/probes.h emits (and sys/sdt.h defines): note name "stapsdt", type
 * 3, a descriptor of three addresses (site pc, _.stapsdt.base, semaphore)
 * followed by provider, probe name and argument string, each NUL-ended.
 * libbpf parses the same notes when it attaches; reading them first lets
 * rttrace say "no librt probes" plainly and attach only the probes present.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "probe_names.h"
#include "usdt_check.h"

#define SDT_NOTE_NAME "stapsdt"
#define SDT_NOTE_TYPE 3

/* note_add records one note's descriptor; malformed notes are skipped. */
static void note_add(struct usdt_probes *out, const char *desc, size_t len,
		     size_t addr_size)
{
	const char *provider, *name;
	size_t off = 3 * addr_size;
	int id;

	if (len <= off)
		return;
	provider = desc + off;
	off += strnlen(provider, len - off) + 1;
	if (off >= len)
		return;
	name = desc + off;
	if (strnlen(name, len - off) == len - off)
		return; /* not NUL-terminated */
	if (strcmp(provider, USDT_PROVIDER) != 0)
		return;
	out->total++;
	id = probe_lookup(name);
	if (id < 0)
		out->unknown++;
	else
		out->sites[id]++;
}

static void scan_notes(Elf_Data *data, struct usdt_probes *out,
		       size_t addr_size)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nhdr;

	while ((next = gelf_getnote(data, off, &nhdr, &name_off, &desc_off))) {
		const char *base = data->d_buf;

		if (nhdr.n_type == SDT_NOTE_TYPE &&
		    nhdr.n_namesz == sizeof(SDT_NOTE_NAME) &&
		    memcmp(base + name_off, SDT_NOTE_NAME,
			   sizeof(SDT_NOTE_NAME)) == 0)
			note_add(out, base + desc_off, nhdr.n_descsz,
				 addr_size);
		off = next;
	}
}

int usdt_check(const char *path, struct usdt_probes *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx, addr_size;
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
	addr_size = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!name || strcmp(name, ".note.stapsdt") != 0)
			continue;
		data = NULL;
		while ((data = elf_getdata(scn, data)))
			scan_notes(data, out, addr_size);
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

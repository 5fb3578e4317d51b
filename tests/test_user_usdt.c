/*
 * test_user_usdt.c — the stapsdt note parser (user/usdt_check.c) that
 * hands probe_attach.c its uprobe targets: sites per probe as readelf
 * counts them, file offsets that land on the 5-byte nops, semaphore
 * offsets inside .probes at the semaphores' own symbols, the prelink
 * adjustment, and binaries refused: another argument spec (an older
 * librt), a site with no semaphore, a file that is not ELF.
 *
 * Two subjects: this test's own executable, which carries one site of
 * every probe of runtime/probes.h (so it always matches the header it was
 * built with), and $RTTRACE_BUILD/rtwork (default build/rtwork), a real
 * librt program. Linked with user/usdt_check.o and probe_names.o, not
 * with librt.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* this file's sites are never passed: count nothing */
#define RT_PROBE_HIT(id) ((void)(id))
#include "probe_names.h"
#include "probes.h"
#include "usdt_check.h"

/* ---- one site of every probe, as librt emits them ---------------------- */

/* the semaphores, as runtime/probes.c defines them */
#define SEMA_DEF(name, nargs, doc)                    \
	volatile unsigned short rt_##name##_semaphore \
	    __attribute__((section(".probes"), used));
RT_PROBE_LIST(SEMA_DEF)
#undef SEMA_DEF

/*
 * emit_sites holds one site per probe, with the probe's nargs (n last),
 * through the macro librt uses; never called with a semaphore raised.
 */
__attribute__((noinline, used)) void emit_sites(uint64_t v)
{
#define SITE(name, nargs, doc) RT_PROBE_SITE(name, 1, nargs, v);
	RT_PROBE_LIST(SITE)
#undef SITE
}

static const char nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};

static const char *self_path(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	ck_assert_int_gt(n, 0);
	path[n] = '\0';
	return path;
}

static const char *rtwork_path(void)
{
	static char path[PATH_MAX];
	const char *b = getenv("RTTRACE_BUILD");

	snprintf(path, sizeof(path), "%s/rtwork", b && *b ? b : "build");
	ck_assert_msg(access(path, R_OK) == 0,
		      "%s: %s (build it: make, or set RTTRACE_BUILD)", path,
		      strerror(errno));
	return path;
}

/* check_ok runs usdt_check on path and expects it to accept the file. */
static void check_ok(const char *path, struct usdt_probes *p)
{
	int err = usdt_check(path, p);

	ck_assert_msg(err == 0, "usdt_check(%s) = %d (%s): %s", path, err,
		      strerror(-err), p->why);
}

/* ---- ELF helpers: sections and symbols of the file under test ---------- */

struct shdr_of {
	uint64_t addr, offset, size;
	size_t index; /* section header index */
};

static int section_of(const char *path, const char *want, struct shdr_of *out)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int found = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(elf_version(EV_CURRENT), EV_NONE);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_ptr_nonnull(elf);
	ck_assert_int_eq(elf_getshdrstrndx(elf, &shstrndx), 0);
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		ck_assert_ptr_nonnull(gelf_getshdr(scn, &sh));
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && strcmp(name, want) == 0) {
			*out = (struct shdr_of){sh.sh_addr, sh.sh_offset,
						sh.sh_size, elf_ndxscn(scn)};
			found = 1;
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

/*
 * symbol_offset returns the file offset of symbol name's first byte
 * (st_value through its section's address and offset), or 0.
 */
static uint64_t symbol_offset(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	uint64_t off = 0;

	ck_assert_int_ge(fd, 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_ptr_nonnull(elf);
	while (!off && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			GElf_Shdr ssh;
			const char *s;

			if (!gelf_getsym(d, (int)i, &sym))
				continue;
			s = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!s || strcmp(s, name) != 0 ||
			    !gelf_getshdr(elf_getscn(elf, sym.st_shndx), &ssh))
				continue;
			off = sym.st_value - ssh.sh_addr + ssh.sh_offset;
			break;
		}
	}
	elf_end(elf);
	close(fd);
	return off;
}

/* readelf_counts counts provider "rt" notes per probe, as readelf -n lists
 * them; returns the total. */
static unsigned int readelf_counts(const char *path,
				   unsigned int counts[RT_PROBE_NUM])
{
	char cmd[PATH_MAX + 64], line[512];
	unsigned int total = 0;
	int rt = 0;
	FILE *f;

	memset(counts, 0, RT_PROBE_NUM * sizeof(counts[0]));
	snprintf(cmd, sizeof(cmd), "readelf -n '%s'", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		const char *prov = strstr(line, "Provider: ");
		const char *name = strstr(line, "Name: ");
		char word[128];

		if (prov && sscanf(prov, "Provider: %127s", word) == 1) {
			rt = strcmp(word, "rt") == 0;
		} else if (rt && name &&
			   sscanf(name, "Name: %127s", word) == 1) {
			int id = probe_lookup(word);

			total++;
			if (id >= 0)
				counts[id]++;
			rt = 0;
		}
	}
	ck_assert_int_eq(pclose(f), 0);
	return total;
}

/* copy_file copies src to a new temporary file; returns its path. */
static char *copy_file(const char *src)
{
	char *dst = strdup("/tmp/test_user_usdt.XXXXXX");
	char buf[65536];
	int in = open(src, O_RDONLY), out;
	ssize_t n;

	ck_assert_ptr_nonnull(dst);
	out = mkstemp(dst);
	ck_assert_int_ge(in, 0);
	ck_assert_int_ge(out, 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	ck_assert_int_eq(n, 0);
	close(in);
	close(out);
	return dst;
}

static void pread_all(const char *path, void *buf, size_t len, uint64_t off)
{
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void pwrite_all(const char *path, const void *buf, size_t len,
		       uint64_t off)
{
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/*
 * in_notes returns the file offset of the first occurrence of the len
 * bytes at want in path's .note.stapsdt section.
 */
static uint64_t in_notes(const char *path, const void *want, size_t len)
{
	struct shdr_of notes;
	char *buf;
	const char *hit;
	uint64_t off;

	ck_assert(section_of(path, ".note.stapsdt", &notes));
	buf = malloc(notes.size);
	ck_assert_ptr_nonnull(buf);
	pread_all(path, buf, notes.size, notes.offset);
	hit = memmem(buf, notes.size, want, len);
	ck_assert_msg(hit != NULL, "no note holds \"%.*s\"", (int)len,
		      (const char *)want);
	off = notes.offset + (uint64_t)(hit - buf);
	free(buf);
	return off;
}

/* copy_refused checks that usdt_check refuses copy with want_err, saying
 * want_why, and leaves nothing to free; then removes copy. */
static void copy_refused(char *copy, int want_err, const char *want_why)
{
	struct usdt_probes p;
	int err = usdt_check(copy, &p);

	ck_assert_msg(err == want_err, "usdt_check = %d (%s), want %d", err,
		      strerror(-err), want_err);
	ck_assert_msg(strstr(p.why, want_why) != NULL, "why: \"%s\"", p.why);
	ck_assert_ptr_null(p.offset);
	ck_assert_ptr_null(p.ref_ctr);
	unlink(copy);
	free(copy);
}

/*
 * spec_refused overwrites, in a copy of this executable, the first
 * argument spec equal to from (NUL included) with as many bytes of to,
 * and expects usdt_check to refuse the copy.
 */
static void spec_refused(const char *from, const char *to, const char *why)
{
	char *copy = copy_file(self_path());
	size_t len = strlen(from);

	pwrite_all(copy, to, len, in_notes(copy, from, len + 1));
	copy_refused(copy, -EPROTO, why);
}

/* ---- the checks -------------------------------------------------------- */

START_TEST(test_spec_is_nargs_fixed_registers_in_sysv_order)
{
	char buf[64];

	ck_assert_str_eq(usdt_spec(1, buf, sizeof(buf)), "8@%rdi");
	ck_assert_str_eq(usdt_spec(2, buf, sizeof(buf)), "8@%rdi 8@%rsi");
	ck_assert_str_eq(usdt_spec(6, buf, sizeof(buf)),
			 "8@%rdi 8@%rsi 8@%rdx 8@%rcx 8@%r8 8@%r9");
	ck_assert_ptr_null(usdt_spec(0, buf, sizeof(buf)));
	ck_assert_ptr_null(usdt_spec(7, buf, sizeof(buf)));
	ck_assert_ptr_null(usdt_spec(6, buf, 10)); /* does not fit */
}
END_TEST

START_TEST(test_own_binary_has_one_site_of_every_probe)
{
	struct usdt_probes p;

	check_ok(self_path(), &p);
	ck_assert_uint_eq(p.total, RT_PROBE_NUM);
	ck_assert_uint_eq(p.unknown, 0);
	ck_assert_uint_eq(p.nsite, RT_PROBE_NUM);
	for (int id = 0; id < RT_PROBE_NUM; id++)
		ck_assert_msg(p.sites[id] == 1, "rt:%s: %u sites",
			      probe_name(id), p.sites[id]);
	usdt_free(&p);
}
END_TEST

/* check_counts_equal_readelf: usdt_check counts what readelf -n lists. */
static void check_counts_equal_readelf(const char *path)
{
	unsigned int want[RT_PROBE_NUM], total;
	struct usdt_probes p;

	total = readelf_counts(path, want);
	check_ok(path, &p);
	ck_assert_uint_gt(total, 0);
	ck_assert_uint_eq(p.total, total);
	for (int id = 0; id < RT_PROBE_NUM; id++)
		ck_assert_msg(p.sites[id] == want[id],
			      "%s: rt:%s: %u sites, readelf lists %u", path,
			      probe_name(id), p.sites[id], want[id]);
	ck_assert_uint_eq(p.nsite, p.total - p.unknown);
	usdt_free(&p);
}

START_TEST(test_site_counts_equal_readelf_own_binary)
{
	check_counts_equal_readelf(self_path());
}
END_TEST

START_TEST(test_site_counts_equal_readelf_rtwork)
{
	check_counts_equal_readelf(rtwork_path());
}
END_TEST

START_TEST(test_sites_are_grouped_by_probe)
{
	struct usdt_probes p;
	unsigned int at = 0;

	check_ok(rtwork_path(), &p);
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		ck_assert_uint_eq(p.first[id], at);
		at += p.sites[id];
	}
	ck_assert_uint_eq(at, p.nsite);
	usdt_free(&p);
}
END_TEST

/* check_offsets_hit_nops: every site's offset holds 0f 1f 44 00 00. */
static void check_offsets_hit_nops(const char *path)
{
	struct usdt_probes p;

	check_ok(path, &p);
	ck_assert_uint_gt(p.nsite, 0);
	for (unsigned int i = 0; i < p.nsite; i++) {
		char b[5];

		pread_all(path, b, sizeof(b), p.offset[i]);
		ck_assert_msg(memcmp(b, nop5, sizeof(b)) == 0,
			      "%s: site %u at offset %#llx: %02x %02x %02x "
			      "%02x %02x, not the 5-byte nop",
			      path, i, (unsigned long long)p.offset[i],
			      b[0] & 0xff, b[1] & 0xff, b[2] & 0xff,
			      b[3] & 0xff, b[4] & 0xff);
	}
	usdt_free(&p);
}

START_TEST(test_offsets_point_at_the_5_byte_nops_own_binary)
{
	check_offsets_hit_nops(self_path());
}
END_TEST

START_TEST(test_offsets_point_at_the_5_byte_nops_rtwork)
{
	check_offsets_hit_nops(rtwork_path());
}
END_TEST

/*
 * check_semaphores: every site's semaphore offset lies in .probes and is
 * the file offset of its probe's rt_NAME_semaphore symbol.
 */
static void check_semaphores(const char *path)
{
	struct usdt_probes p;
	struct shdr_of probes;

	check_ok(path, &p);
	ck_assert_msg(section_of(path, ".probes", &probes), "%s: no .probes",
		      path);
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		char sym[96];
		uint64_t want;

		if (!p.sites[id])
			continue;
		snprintf(sym, sizeof(sym), "rt_%s_semaphore", probe_name(id));
		want = symbol_offset(path, sym);
		ck_assert_msg(want != 0, "%s: no symbol %s", path, sym);
		for (unsigned int i = p.first[id];
		     i < p.first[id] + p.sites[id]; i++) {
			ck_assert_msg(p.ref_ctr[i] >= probes.offset &&
					  p.ref_ctr[i] + 2 <=
					      probes.offset + probes.size,
				      "%s: rt:%s's semaphore at %#llx is "
				      "outside .probes",
				      path, probe_name(id),
				      (unsigned long long)p.ref_ctr[i]);
			ck_assert_uint_eq(p.ref_ctr[i], want);
		}
	}
	usdt_free(&p);
}

START_TEST(test_semaphore_offsets_are_the_semaphores_in_probes_own_binary)
{
	check_semaphores(self_path());
}
END_TEST

START_TEST(test_semaphore_offsets_are_the_semaphores_in_probes_rtwork)
{
	check_semaphores(rtwork_path());
}
END_TEST

/*
 * A prelinked file: prelink moves .stapsdt.base with the code, not the
 * addresses in the notes, so every site and semaphore moves by as much
 * as .stapsdt.base's sh_addr did. Simulated by moving sh_addr alone.
 */
START_TEST(test_prelink_moves_sites_and_semaphores_with_stapsdt_base)
{
	const uint64_t delta = 0x10;
	struct usdt_probes before, after;
	struct shdr_of base;
	char *copy = copy_file(self_path());
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	uint64_t at;

	check_ok(copy, &before);
	ck_assert(section_of(copy, ".stapsdt.base", &base));
	pread_all(copy, &eh, sizeof(eh), 0);
	at = eh.e_shoff + base.index * eh.e_shentsize;
	pread_all(copy, &sh, sizeof(sh), at);
	sh.sh_addr += delta;
	pwrite_all(copy, &sh, sizeof(sh), at);

	check_ok(copy, &after);
	ck_assert_uint_eq(after.nsite, before.nsite);
	for (unsigned int i = 0; i < before.nsite; i++) {
		ck_assert_uint_eq(after.offset[i], before.offset[i] + delta);
		ck_assert_uint_eq(after.ref_ctr[i], before.ref_ctr[i] + delta);
	}
	usdt_free(&before);
	usdt_free(&after);
	unlink(copy);
	free(copy);
}
END_TEST

START_TEST(test_other_argument_register_is_refused)
{
	/* a compiler-chosen register, as the ABI before fixed ones had */
	spec_refused("8@%rdi 8@%rsi", "8@%rax 8@%rsi",
		     "has arguments \"8@%rax 8@%rsi\", not \"8@%rdi 8@%rsi\"");
}
END_TEST

START_TEST(test_fewer_arguments_than_probes_h_is_refused)
{
	/* the ABI before n: one argument fewer */
	spec_refused("8@%rdi 8@%rsi 8@%rdx", "8@%rdi 8@%rsi\0008@%rdx",
		     "has arguments \"8@%rdi 8@%rsi\", not");
}
END_TEST

START_TEST(test_argument_of_other_size_is_refused)
{
	spec_refused("8@%rdi 8@%rsi", "4@%rdi 8@%rsi",
		     "has arguments \"4@%rdi");
}
END_TEST

START_TEST(test_site_without_semaphore_is_refused)
{
	/* the descriptor: pc, base, semaphore, then "rt\0gopark\0..." */
	static const char what[] = "rt\0gopark";
	static const char zero[8];
	char *copy = copy_file(self_path());

	pwrite_all(copy, zero, sizeof(zero),
		   in_notes(copy, what, sizeof(what)) - 8);
	copy_refused(copy, -EPROTO, "has no semaphore");
}
END_TEST

START_TEST(test_file_not_elf_is_refused)
{
	char path[] = "/tmp/test_user_usdt.XXXXXX";
	struct usdt_probes p;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	ck_assert_int_eq(usdt_check(path, &p), -ENOEXEC);
	ck_assert_int_eq(usdt_check("/nonexistent/rtwork", &p), -ENOENT);
	unlink(path);
}
END_TEST

START_TEST(test_binary_without_librt_has_no_sites)
{
	struct usdt_probes p;

	check_ok("/bin/sh", &p);
	ck_assert_uint_eq(p.total, 0);
	ck_assert_uint_eq(p.nsite, 0);
	ck_assert_ptr_null(p.offset);
	usdt_free(&p);
}
END_TEST

static Suite *usdt_suite(void)
{
	Suite *s = suite_create("usdt_check");
	TCase *tc = tcase_create("notes");

	tcase_add_test(tc, test_spec_is_nargs_fixed_registers_in_sysv_order);
	tcase_add_test(tc, test_own_binary_has_one_site_of_every_probe);
	tcase_add_test(tc, test_site_counts_equal_readelf_own_binary);
	tcase_add_test(tc, test_site_counts_equal_readelf_rtwork);
	tcase_add_test(tc, test_sites_are_grouped_by_probe);
	tcase_add_test(tc, test_offsets_point_at_the_5_byte_nops_own_binary);
	tcase_add_test(tc, test_offsets_point_at_the_5_byte_nops_rtwork);
	tcase_add_test(
	    tc, test_semaphore_offsets_are_the_semaphores_in_probes_own_binary);
	tcase_add_test(
	    tc, test_semaphore_offsets_are_the_semaphores_in_probes_rtwork);
	tcase_add_test(
	    tc, test_prelink_moves_sites_and_semaphores_with_stapsdt_base);
	tcase_add_test(tc, test_other_argument_register_is_refused);
	tcase_add_test(tc, test_fewer_arguments_than_probes_h_is_refused);
	tcase_add_test(tc, test_argument_of_other_size_is_refused);
	tcase_add_test(tc, test_site_without_semaphore_is_refused);
	tcase_add_test(tc, test_file_not_elf_is_refused);
	tcase_add_test(tc, test_binary_without_librt_has_no_sites);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(usdt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

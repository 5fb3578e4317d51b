/*
 * test_user_symbolize.c — user symbolization (user/symbolize.c) of this
 * test's own functions and of processes running this binary: names and
 * lines, the process-wide cache keyed by build ID that a second usyms or
 * a second process of the binary hits, the key of a file without build
 * ID, and the cache's bound.
 *
 * Linked with user/symbolize.o and the other user objects of the
 * test_user_* rule, not with librt. Run with --pause, the binary only
 * waits to be killed: the tests symbolize it as another process.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbolize.h"

#define FRAMES 9

/* The functions symbolized: not inlined, not merged, each its own name. */
__attribute__((noinline, used)) int sym_target_add(int x)
{
	volatile int v = x;

	return v + 1;
}

__attribute__((noinline, used)) int sym_target_mul(int x)
{
	volatile int v = x;

	return v * 3;
}

__attribute__((noinline, used)) int sym_target_shift(int x)
{
	volatile int v = x;

	return v << 2;
}

static const struct {
	uint64_t pc;
	const char *name;
} targets[] = {
    {(uint64_t)(uintptr_t)sym_target_add, "sym_target_add"},
    {(uint64_t)(uintptr_t)sym_target_mul, "sym_target_mul"},
    {(uint64_t)(uintptr_t)sym_target_shift, "sym_target_shift"},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static struct usyms_cache_stats stats(void)
{
	struct usyms_cache_stats st;

	usyms_cache_stats(&st);
	return st;
}

static void self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
}

/* exe_range finds pid's mappings of exe: the load bias (the first
 * mapping's start less its offset) and the executable one's range.
 * Returns false while exe is not mapped yet. */
static bool exe_range(pid_t pid, const char *exe, uint64_t *bias, uint64_t *lo,
		      uint64_t *hi)
{
	char path[64], line[4096 + 128];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	*lo = *hi = 0;
	while (fgets(line, sizeof(line), f)) {
		uint64_t start, end, off;
		char perms[8];
		int at = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line,
			   "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n",
			   &start, &end, perms, &off, &at) != 4 ||
		    !at || strcmp(line + at, exe))
			continue;
		if (!found)
			*bias = start - off;
		found = true;
		if (perms[2] == 'x') {
			*lo = start;
			*hi = end;
		}
	}
	fclose(f);
	return found && *hi;
}

/* spawn_paused runs exe --pause and waits until its text is mapped;
 * *bias is its load bias. */
static pid_t spawn_paused(const char *exe, uint64_t *bias)
{
	struct timespec ms = {0, 1000000};
	uint64_t lo, hi;
	int fds[2], err = 0;
	pid_t pid;

	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* a failed assertion leaves no process behind */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(exe, exe, "--pause", (char *)NULL);
		err = errno;
		if (write(fds[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	/* end of file: the exec closed the pipe, the fork's maps are gone */
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &err, sizeof(err)), 0);
	close(fds[0]);
	for (int i = 0; i < 5000; i++) {
		if (exe_range(pid, exe, bias, &lo, &hi))
			return pid;
		nanosleep(&ms, NULL);
	}
	ck_abort_msg("%s never mapped its text", exe);
	return -1;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* lookup_name symbolizes pc exactly and returns the function's frame. */
static struct sym_frame lookup_fn(struct usyms *us, uint64_t pc)
{
	struct sym_frame sf[FRAMES];
	int n = usyms_lookup(us, pc, true, sf, FRAMES);

	ck_assert_int_ge(n, 1);
	return sf[n - 1];
}

static void check_targets(struct usyms *us, uint64_t delta)
{
	for (size_t i = 0; i < NTARGETS; i++) {
		struct sym_frame f = lookup_fn(us, targets[i].pc + delta);

		ck_assert_ptr_nonnull(f.name);
		ck_assert_str_eq(f.name, targets[i].name);
	}
}

/* copy_exe copies this binary to a new file in /tmp and returns its
 * path; without_build_id clears its NT_GNU_BUILD_ID note's type. */
static char *copy_exe(bool without_build_id)
{
	char exe[PATH_MAX], key[256], *path, *buf;
	unsigned char id[64];
	size_t idlen = 0;
	struct stat st;
	int in, out;

	self_exe(exe, sizeof(exe));
	ck_assert_int_eq(usyms_module_key(exe, key, sizeof(key)), 0);
	ck_assert_msg(strncmp(key, "build-id:", 9) == 0,
		      "this test is built with a build ID: %s", key);
	for (const char *h = key + 9; h[0] && h[1] && idlen < sizeof(id);
	     h += 2)
		sscanf(h, "%2hhx", &id[idlen++]);
	in = open(exe, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(in, 0);
	ck_assert_int_eq(fstat(in, &st), 0);
	buf = malloc(st.st_size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(read(in, buf, st.st_size), st.st_size);
	close(in);
	if (without_build_id) {
		/* the note is namesz, descsz, type, "GNU\0", the ID */
		char *p = NULL;

		for (off_t i = 12; i + 4 + (off_t)idlen <= st.st_size; i++)
			if (!memcmp(buf + i, "GNU", 4) &&
			    !memcmp(buf + i + 4, id, idlen)) {
				p = buf + i - 4;
				break;
			}
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(p[0], 3); /* NT_GNU_BUILD_ID */
		p[0] = 0x7f;
	}
	path = strdup("/tmp/rttrace-symtest-XXXXXX");
	ck_assert_ptr_nonnull(path);
	out = mkostemp(path, O_CLOEXEC);
	ck_assert_int_ge(out, 0);
	ck_assert_int_eq(write(out, buf, st.st_size), st.st_size);
	ck_assert_int_eq(fchmod(out, 0755), 0);
	close(out);
	free(buf);
	return path;
}

START_TEST(test_lookup_names_a_function_with_its_file_and_line)
{
	struct usyms *us = usyms_new(getpid());
	struct sym_frame f;
	char exe[PATH_MAX];
	const char *base;

	ck_assert_ptr_nonnull(us);
	self_exe(exe, sizeof(exe));
	f = lookup_fn(us, targets[0].pc);
	ck_assert_str_eq(f.name, "sym_target_add");
	ck_assert_ptr_nonnull(f.file);
	base = strrchr(f.file, '/');
	ck_assert_str_eq(base ? base + 1 : f.file, "test_user_symbolize.c");
	ck_assert_int_gt(f.line, 0);
	ck_assert_ptr_nonnull(f.module);
	ck_assert_str_eq(f.module, exe);
	ck_assert(!f.inlined);
	check_targets(us, 0);
	usyms_free(us);
}
END_TEST

START_TEST(test_same_pc_again_hits_the_cache)
{
	struct usyms *us = usyms_new(getpid());
	struct usyms_cache_stats a, b;

	ck_assert_ptr_nonnull(us);
	check_targets(us, 0);
	a = stats();
	check_targets(us, 0);
	b = stats();
	ck_assert_uint_eq(b.hits - a.hits, NTARGETS);
	ck_assert_uint_eq(b.misses, a.misses);
	usyms_free(us);
}
END_TEST

START_TEST(test_return_address_shares_its_calls_entry)
{
	struct usyms *us = usyms_new(getpid());
	struct usyms_cache_stats a, b;
	struct sym_frame sf[FRAMES];
	int n;

	ck_assert_ptr_nonnull(us);
	lookup_fn(us, targets[1].pc);
	a = stats();
	/* a return address one past pc names the call at pc */
	n = usyms_lookup(us, targets[1].pc + 1, false, sf, FRAMES);
	b = stats();
	ck_assert_int_ge(n, 1);
	ck_assert_str_eq(sf[n - 1].name, "sym_target_mul");
	ck_assert_uint_eq(b.hits - a.hits, 1);
	ck_assert_uint_eq(b.misses, a.misses);
	usyms_free(us);
}
END_TEST

START_TEST(test_second_usyms_of_the_process_hits_the_cache)
{
	struct usyms *us1 = usyms_new(getpid()), *us2;
	struct usyms_cache_stats a, b;
	struct sym_frame f1, f2;

	ck_assert_ptr_nonnull(us1);
	check_targets(us1, 0);
	f1 = lookup_fn(us1, targets[2].pc);
	a = stats();
	us2 = usyms_new(getpid());
	ck_assert_ptr_nonnull(us2);
	check_targets(us2, 0);
	f2 = lookup_fn(us2, targets[2].pc);
	b = stats();
	ck_assert_uint_eq(b.hits - a.hits, NTARGETS + 1);
	ck_assert_uint_eq(b.misses, a.misses);
	ck_assert_uint_eq(b.entries, a.entries);
	/* interned once: the very same strings */
	ck_assert_ptr_eq(f1.name, f2.name);
	ck_assert_ptr_eq(f1.file, f2.file);
	usyms_free(us1);
	usyms_free(us2);
}
END_TEST

START_TEST(test_another_process_of_the_binary_hits_the_cache)
{
	struct usyms *self = usyms_new(getpid()), *us;
	struct usyms_cache_stats a, b;
	uint64_t bias, child_bias, lo, hi;
	char exe[PATH_MAX];
	pid_t pid;

	ck_assert_ptr_nonnull(self);
	self_exe(exe, sizeof(exe));
	ck_assert(exe_range(getpid(), exe, &bias, &lo, &hi));
	check_targets(self, 0);
	pid = spawn_paused(exe, &child_bias);
	us = usyms_new(pid);
	ck_assert_ptr_nonnull(us);
	a = stats();
	check_targets(us, child_bias - bias);
	b = stats();
	ck_assert_uint_eq(b.hits - a.hits, NTARGETS);
	ck_assert_uint_eq(b.misses, a.misses);
	reap(pid);
	usyms_free(us);
	usyms_free(self);
}
END_TEST

START_TEST(test_ret_at_sp_at_a_functions_entry_is_cached)
{
	struct usyms *us = usyms_new(getpid());
	struct usyms_cache_stats a, b;

	ck_assert_ptr_nonnull(us);
	/* at its first instruction the return address is at %rsp */
	ck_assert(usyms_ret_at_sp(us, targets[0].pc));
	a = stats();
	ck_assert(usyms_ret_at_sp(us, targets[0].pc));
	b = stats();
	ck_assert_uint_eq(b.hits - a.hits, 1);
	ck_assert_uint_eq(b.misses, a.misses);
	usyms_free(us);
}
END_TEST

START_TEST(test_pc_in_no_file_is_unknown_without_libdwfl)
{
	struct usyms *us = usyms_new(getpid());
	struct usyms_cache_stats a, b;
	struct sym_frame sf[FRAMES];
	void *heap = malloc(64);
	int n;

	ck_assert_ptr_nonnull(us);
	ck_assert_ptr_nonnull(heap);
	a = stats();
	n = usyms_lookup(us, (uint64_t)(uintptr_t)heap, true, sf, FRAMES);
	b = stats();
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_null(sf[0].name);
	ck_assert_ptr_null(sf[0].module);
	ck_assert_uint_eq(b.misses, a.misses);
	ck_assert_uint_eq(b.hits, a.hits);
	free(heap);
	usyms_free(us);
}
END_TEST

START_TEST(test_module_key_is_the_build_id_wherever_the_file_is)
{
	char exe[PATH_MAX], k1[256], k2[256];
	char *copy = copy_exe(false);

	self_exe(exe, sizeof(exe));
	ck_assert_int_eq(usyms_module_key(exe, k1, sizeof(k1)), 0);
	ck_assert_int_eq(usyms_module_key(copy, k2, sizeof(k2)), 0);
	ck_assert_str_eq(k1, k2);
	ck_assert_int_eq(strlen(k1), strlen("build-id:") + 40); /* SHA-1 */
	ck_assert_int_eq(usyms_module_key(exe, k1, 12), -ENOSPC);
	ck_assert_int_eq(usyms_module_key("/nonexistent/x", k1, sizeof(k1)),
			 -ENOENT);
	unlink(copy);
	free(copy);
}
END_TEST

START_TEST(test_module_key_without_build_id_is_path_inode_size_mtime)
{
	char *c1 = copy_exe(true), *c2 = copy_exe(true);
	char k1[PATH_MAX + 128], k2[PATH_MAX + 128], k3[PATH_MAX + 128];
	struct timespec t[2] = {{0, UTIME_OMIT}, {12345, 0}};
	struct stat st;
	char want[PATH_MAX + 128];

	ck_assert_int_eq(usyms_module_key(c1, k1, sizeof(k1)), 0);
	ck_assert_int_eq(stat(c1, &st), 0);
	snprintf(want, sizeof(want), "file:%jx:%ju:%jd:%lld.%09ld:%s",
		 (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
		 (intmax_t)st.st_size, (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec, c1);
	ck_assert_str_eq(k1, want);
	/* same bytes, another file: another key */
	ck_assert_int_eq(usyms_module_key(c2, k2, sizeof(k2)), 0);
	ck_assert_str_ne(k1, k2);
	/* the file changed: another key */
	ck_assert_int_eq(utimensat(AT_FDCWD, c1, t, 0), 0);
	ck_assert_int_eq(usyms_module_key(c1, k3, sizeof(k3)), 0);
	ck_assert_str_ne(k1, k3);
	unlink(c1);
	unlink(c2);
	free(c1);
	free(c2);
}
END_TEST

START_TEST(test_binary_without_build_id_is_symbolized_and_cached_apart)
{
	struct usyms *self = usyms_new(getpid()), *us1, *us2;
	struct usyms_cache_stats a, b, c;
	uint64_t bias, child_bias, lo, hi;
	char exe[PATH_MAX];
	char *copy = copy_exe(true);
	pid_t pid;

	ck_assert_ptr_nonnull(self);
	self_exe(exe, sizeof(exe));
	ck_assert(exe_range(getpid(), exe, &bias, &lo, &hi));
	check_targets(self, 0);
	pid = spawn_paused(copy, &child_bias);
	us1 = usyms_new(pid);
	ck_assert_ptr_nonnull(us1);
	/* the same code, but no build ID says so: looked up anew */
	a = stats();
	check_targets(us1, child_bias - bias);
	b = stats();
	ck_assert_uint_eq(b.misses - a.misses, NTARGETS);
	ck_assert_uint_eq(b.modules - a.modules, 1);
	/* and then cached under the file's key */
	us2 = usyms_new(pid);
	ck_assert_ptr_nonnull(us2);
	check_targets(us2, child_bias - bias);
	c = stats();
	ck_assert_uint_eq(c.hits - b.hits, NTARGETS);
	ck_assert_uint_eq(c.misses, b.misses);
	reap(pid);
	unlink(copy);
	free(copy);
	usyms_free(us1);
	usyms_free(us2);
	usyms_free(self);
}
END_TEST

START_TEST(test_file_replaced_at_its_path_is_not_cached_under_its_key)
{
	struct usyms *self = usyms_new(getpid()), *us;
	struct usyms_cache_stats a, b, c;
	uint64_t bias, child_bias, lo, hi;
	char exe[PATH_MAX];
	char *copy = copy_exe(false), *other = copy_exe(true);
	pid_t pid;

	ck_assert_ptr_nonnull(self);
	self_exe(exe, sizeof(exe));
	ck_assert(exe_range(getpid(), exe, &bias, &lo, &hi));
	usyms_cache_limit(0); /* empty: targets[1] is not cached */
	lookup_fn(self, targets[0].pc);
	pid = spawn_paused(copy, &child_bias);
	us = usyms_new(pid);
	ck_assert_ptr_nonnull(us);
	/* a hit keys the child's file by its build ID, before... */
	lookup_fn(us, targets[0].pc + child_bias - bias);
	/* ...it is rebuilt: the path now names a file of another key */
	ck_assert_int_eq(rename(other, copy), 0);
	a = stats();
	lookup_fn(us, targets[1].pc + child_bias - bias);
	b = stats();
	lookup_fn(us, targets[1].pc + child_bias - bias);
	c = stats();
	ck_assert_uint_eq(b.misses - a.misses, 1);
	ck_assert_uint_eq(b.entries, a.entries);
	ck_assert_uint_eq(c.misses - b.misses, 1);
	reap(pid);
	unlink(copy);
	free(copy);
	free(other);
	usyms_free(us);
	usyms_free(self);
}
END_TEST

START_TEST(test_eviction_keeps_the_cache_bounded)
{
	struct usyms *us;
	struct usyms_cache_stats a, b;
	struct sym_frame sf[FRAMES];
	uint64_t bias, lo, hi, step;
	char exe[PATH_MAX];
	const char *name;
	size_t n = 0;

	self_exe(exe, sizeof(exe));
	ck_assert(exe_range(getpid(), exe, &bias, &lo, &hi));
	usyms_cache_limit(64);
	us = usyms_new(getpid());
	ck_assert_ptr_nonnull(us);
	name = lookup_fn(us, targets[0].pc).name;
	step = (hi - lo) / 2000 ? (hi - lo) / 2000 : 1;
	a = stats();
	for (uint64_t pc = lo; pc < hi; pc += step, n++)
		usyms_lookup(us, pc, true, sf, FRAMES);
	b = stats();
	ck_assert_uint_gt(n, 1000);
	ck_assert_uint_gt(b.misses - a.misses, 1000);
	ck_assert_uint_le(b.entries, 64);
	ck_assert_uint_ge(b.evictions - a.evictions, b.misses - a.misses - 64);
	/* strings apart: the table, 64 entries' frames (9 at most), the
	 * modules */
	ck_assert_uint_lt(b.bytes - b.strings, 64 * (64 + 9 * 32) + 4096);
	/* evicted, looked up anew, and the same interned name */
	ck_assert_ptr_eq(lookup_fn(us, targets[0].pc).name, name);
	usyms_free(us);
	usyms_cache_limit(0);
}
END_TEST

struct walker {
	uint64_t lo, hi;
	int bad; /* targets misnamed */
};

/* walk symbolizes the text range and the targets with a usyms its own. */
static void *walk(void *arg)
{
	struct walker *w = arg;
	struct usyms *us = usyms_new(getpid());
	struct sym_frame sf[FRAMES];

	if (!us) {
		w->bad = -1;
		return NULL;
	}
	for (int round = 0; round < 2; round++) {
		for (uint64_t pc = w->lo; pc < w->hi; pc += 61)
			usyms_lookup(us, pc, false, sf, FRAMES);
		for (size_t i = 0; i < NTARGETS; i++) {
			int n =
			    usyms_lookup(us, targets[i].pc, true, sf, FRAMES);

			if (n < 1 || !sf[n - 1].name ||
			    strcmp(sf[n - 1].name, targets[i].name))
				w->bad++;
		}
	}
	usyms_free(us);
	return NULL;
}

START_TEST(test_usyms_in_threads_share_the_cache)
{
	struct walker w[4];
	pthread_t th[4];
	char exe[PATH_MAX];
	uint64_t bias, lo, hi;

	self_exe(exe, sizeof(exe));
	ck_assert(exe_range(getpid(), exe, &bias, &lo, &hi));
	/* small: the threads evict one another's entries too */
	usyms_cache_limit(256);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct walker){lo, hi, 0};
		ck_assert_int_eq(pthread_create(&th[i], NULL, walk, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].bad, 0);
	}
	usyms_cache_limit(0);
}
END_TEST

static Suite *symbolize_suite(void)
{
	Suite *s = suite_create("symbolize");
	TCase *tc = tcase_create("usyms");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_lookup_names_a_function_with_its_file_and_line);
	tcase_add_test(tc, test_same_pc_again_hits_the_cache);
	tcase_add_test(tc, test_return_address_shares_its_calls_entry);
	tcase_add_test(tc, test_second_usyms_of_the_process_hits_the_cache);
	tcase_add_test(tc, test_another_process_of_the_binary_hits_the_cache);
	tcase_add_test(tc, test_ret_at_sp_at_a_functions_entry_is_cached);
	tcase_add_test(tc, test_pc_in_no_file_is_unknown_without_libdwfl);
	tcase_add_test(tc,
		       test_module_key_is_the_build_id_wherever_the_file_is);
	tcase_add_test(
	    tc, test_module_key_without_build_id_is_path_inode_size_mtime);
	tcase_add_test(
	    tc, test_binary_without_build_id_is_symbolized_and_cached_apart);
	tcase_add_test(
	    tc, test_file_replaced_at_its_path_is_not_cached_under_its_key);
	tcase_add_test(tc, test_eviction_keeps_the_cache_bounded);
	tcase_add_test(tc, test_usyms_in_threads_share_the_cache);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	/* another process of this binary, for the tests to symbolize */
	if (argc == 2 && !strcmp(argv[1], "--pause"))
		for (;;)
			pause();
	sr = srunner_create(symbolize_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

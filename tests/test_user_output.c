/*
 * test_user_output.c — user/output.c, the way rttrace writes every file:
 * a whole file or none, never through a symlink at the name, owned by the
 * user behind sudo. Each test works in its own fresh directory under /tmp
 * and checks what the directory holds afterwards, entry by entry.
 *
 * Linked with output.o and privilege.o (UT_USER_OBJ), not with librt;
 * rt_errorf & co. are this file's, and count the lines they print.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output.h"
#include "rttrace.h"
#include "rtt_dir.h"

struct rttrace_env rttrace_env;
static int error_lines;

void rt_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	error_lines++;
}

void rt_warnf(const char *fmt, ...)
{
	(void)fmt;
}

void rt_notef(const char *fmt, ...)
{
	(void)fmt;
}

/* ---- helpers ----------------------------------------------------------- */

/* the directories fresh_dir made, removed by remove_dirs after each test */
static char *made[4];
static int nmade;

static char *fresh_dir(void)
{
	char *d = strdup("/tmp/rttrace-output-test-XXXXXX");

	ck_assert_ptr_nonnull(d);
	ck_assert_msg(mkdtemp(d) != NULL, "mkdtemp: %s", strerror(errno));
	if (nmade < 4)
		made[nmade++] = d;
	return d;
}

static void remove_dirs(void)
{
	for (int i = 0; i < nmade; i++)
		rtt_remove_tree(made[i]);
	nmade = 0;
}

static void check_entries(const char *dir, int want)
{
	char names[1024];
	int n = rtt_dir_entries(dir, names, sizeof(names));

	ck_assert_msg(n == want, "%s holds %d entries, want %d: %s", dir, n,
		      want, names);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static char *get(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* write_out writes text to path through output.c and commits it. */
static int write_out(const char *path, const char *text)
{
	struct output o;
	FILE *f;

	ck_assert_int_eq(output_open(&o, path), 0);
	f = output_stream(&o);
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	return output_commit(&o);
}

/* ---- a whole file or none --------------------------------------------- */

START_TEST(test_commit_replaces_the_destination_whole)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "out.svg");
	struct output o;

	put(path, "old");
	ck_assert_int_eq(output_open(&o, path), 0);
	fputs("new content", output_stream(&o));
	fflush(o.f);
	/* until the commit the destination is the old file, alone */
	ck_assert_str_eq(get(path), "old");
	check_entries(dir, 1);
	ck_assert_int_eq(output_commit(&o), 0);
	ck_assert_str_eq(get(path), "new content");
	check_entries(dir, 1);
}
END_TEST

START_TEST(test_abort_leaves_the_destination_as_it_was)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "out.folded");
	struct output o;

	put(path, "old");
	ck_assert_int_eq(output_open(&o, path), 0);
	fputs("half of it", output_stream(&o));
	output_abort(&o);
	ck_assert_str_eq(get(path), "old");
	check_entries(dir, 1);
	output_abort(&o); /* twice is harmless */
}
END_TEST

START_TEST(test_named_temporary_is_removed_on_abort)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "t.json");
	struct output o;

	output_named_only = true;
	ck_assert_int_eq(output_open(&o, path), 0);
	fputs("[", output_stream(&o));
	check_entries(dir, 1); /* the temporary, not t.json */
	ck_assert_int_eq(access(path, F_OK), -1);
	output_abort(&o);
	check_entries(dir, 0);
}
END_TEST

START_TEST(test_named_temporary_is_renamed_on_commit)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "t.json");

	output_named_only = true;
	ck_assert_int_eq(write_out(path, "[]\n"), 0);
	ck_assert_str_eq(get(path), "[]\n");
	check_entries(dir, 1);
}
END_TEST

/* in_child runs fn(dir) in a child and returns its wait status */
static int in_child(void (*fn)(const char *), const char *dir)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fn(dir);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void write_then_kill(const char *dir)
{
	struct output o;
	char *path = rtt_join(dir, "out.pb.gz");

	if (output_open(&o, path))
		_exit(3);
	fputs("partial", output_stream(&o));
	fflush(o.f);
	raise(SIGKILL);
}

START_TEST(test_kill_9_while_writing_leaves_nothing)
{
	char *dir = fresh_dir();
	int status = in_child(write_then_kill, dir);

	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "status %#x", status);
	check_entries(dir, 0);
}
END_TEST

static void write_then_abort(const char *dir)
{
	struct output o;
	char *path = rtt_join(dir, "out.svg");

	output_named_only = true;
	if (output_open(&o, path))
		_exit(3);
	fputs("partial", output_stream(&o));
	fflush(o.f);
	abort();
}

START_TEST(test_crash_while_writing_removes_the_named_temporary)
{
	char *dir = fresh_dir();
	int status = in_child(write_then_abort, dir);

	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		      "status %#x", status);
	check_entries(dir, 0);
}
END_TEST

/*
 * write_past_limit writes 64 KiB with the file size limited to 4 KiB
 * (RLIMIT_FSIZE; SIGXFSZ ignored, so the write fails with EFBIG): a write
 * error like a full disk's. Exits 0 when the commit failed as it should.
 */
static void write_past_limit(const char *dir)
{
	struct rlimit rl = {4096, 4096};
	char *path = rtt_join(dir, "out.svg"), block[1024];
	struct output o;
	FILE *f;

	memset(block, 'x', sizeof(block));
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) || output_open(&o, path))
		_exit(3);
	f = output_stream(&o);
	for (int i = 0; i < 64; i++)
		fwrite(block, 1, sizeof(block), f);
	_exit(output_commit(&o) == -EFBIG && error_lines == 1 ? 0 : 4);
}

START_TEST(test_write_error_leaves_no_partial_file)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "out.svg");
	int status;

	put(path, "old");
	status = in_child(write_past_limit, dir);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "status %#x: the commit did not fail with EFBIG and one "
		      "line",
		      status);
	ck_assert_str_eq(get(path), "old");
	check_entries(dir, 1);
}
END_TEST

START_TEST(test_write_error_with_a_named_temporary_leaves_nothing)
{
	char *dir = fresh_dir();
	int status;

	output_named_only = true;
	status = in_child(write_past_limit, dir);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "status %#x", status);
	check_entries(dir, 0);
}
END_TEST

/* ---- symlinks ----------------------------------------------------------- */

START_TEST(test_symlink_at_the_destination_is_replaced_not_followed)
{
	char *dir = fresh_dir(), *elsewhere = fresh_dir();
	char *target = rtt_join(elsewhere, "passwd"),
	     *path = rtt_join(dir, "out.svg");
	struct stat st;

	put(target, "root:x:0:0\n");
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(write_out(path, "<svg/>"), 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_msg(S_ISREG(st.st_mode), "the link is still there");
	ck_assert_str_eq(get(path), "<svg/>");
	ck_assert_str_eq(get(target), "root:x:0:0\n");
}
END_TEST

START_TEST(test_dangling_symlink_at_the_destination_is_replaced)
{
	char *dir = fresh_dir(), *elsewhere = fresh_dir();
	char *target = rtt_join(elsewhere, "created"),
	     *path = rtt_join(dir, "out");
	struct stat st;

	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(write_out(path, "x"), 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	/* following the link would have created the target */
	ck_assert_int_eq(access(target, F_OK), -1);
}
END_TEST

/* report.c wrote FILE.tmp with fopen(…, "w"): a link planted there was
 * followed. The temporary's name is random now, and O_EXCL|O_NOFOLLOW. */
START_TEST(test_symlink_at_the_old_tmp_name_is_left_alone)
{
	char *dir = fresh_dir(), *elsewhere = fresh_dir();
	char *target = rtt_join(elsewhere, "shadow"),
	     *path = rtt_join(dir, "r.html");
	char *tmp = rtt_join(dir, "r.html.tmp");
	struct stat st;

	put(target, "secret");
	ck_assert_int_eq(symlink(target, tmp), 0);
	output_named_only = true;
	ck_assert_int_eq(write_out(path, "<html>"), 0);
	ck_assert_str_eq(get(target), "secret");
	ck_assert_int_eq(lstat(tmp, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	check_entries(dir, 2);
}
END_TEST

START_TEST(test_device_is_written_in_place)
{
	struct output o;
	struct stat st;

	ck_assert_int_eq(output_open(&o, "/dev/null"), 0);
	ck_assert(o.direct);
	fputs("discarded", output_stream(&o));
	ck_assert_int_eq(output_commit(&o), 0);
	ck_assert_int_eq(stat("/dev/null", &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
}
END_TEST

/* --folded /dev/stdout with stdout redirected to a file: written to that
 * file through rttrace's own descriptor, /dev/stdout left alone */
static void write_to_dev_stdout(const char *dir)
{
	char *path = rtt_join(dir, "stdout.txt");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct output o;

	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(3);
	printf("report\n");
	fflush(stdout);
	if (output_open(&o, "/dev/stdout") || !o.direct)
		_exit(4);
	fputs("folded\n", output_stream(&o));
	_exit(output_commit(&o) ? 5 : 0);
}

START_TEST(test_dev_stdout_to_a_file_is_written_through_stdout)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "stdout.txt");
	struct stat st;
	int status = in_child(write_to_dev_stdout, dir);

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "status %#x", status);
	ck_assert_str_eq(get(path), "report\nfolded\n");
	ck_assert_int_eq(lstat("/dev/stdout", &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	check_entries(dir, 1);
}
END_TEST

/* a link to a device, in a world-writable directory, planted by another
 * user: not trusted, so replaced (root only: lchown) */
START_TEST(test_untrusted_link_to_a_device_is_replaced)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "out");
	struct stat st;

	if (geteuid() != 0) {
		printf("test_untrusted_link_to_a_device_is_replaced: needs "
		       "root (lchown), skipped\n");
		return;
	}
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(symlink("/dev/null", path), 0);
	ck_assert_int_eq(lchown(path, 12345, 12345), 0);
	ck_assert_int_eq(write_out(path, "x"), 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(stat("/dev/null", &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
}
END_TEST

START_TEST(test_trusted_link_to_a_device_is_followed)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "out");
	struct output o;
	struct stat st;

	ck_assert_int_eq(symlink("/dev/null", path), 0);
	ck_assert_int_eq(output_open(&o, path), 0);
	ck_assert(o.direct);
	ck_assert_int_eq(output_commit(&o), 0);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
}
END_TEST

/* ---- ownership --------------------------------------------------------- */

START_TEST(test_file_belongs_to_the_sudo_user)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "out.svg");
	struct stat st;

	setenv("SUDO_UID", "65534", 1);
	setenv("SUDO_GID", "65534", 1);
	ck_assert_int_eq(write_out(path, "x"), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	if (geteuid() == 0) {
		ck_assert_int_eq(st.st_uid, 65534);
		ck_assert_int_eq(st.st_gid, 65534);
	} else {
		/* not root: SUDO_UID means nothing, the file is ours */
		ck_assert_int_eq(st.st_uid, geteuid());
	}
	ck_assert_int_eq(st.st_mode & 0777, 0644 & ~(mode_t)022);
}
END_TEST

START_TEST(test_file_stays_roots_without_sudo)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "out.svg");
	struct stat st;

	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	ck_assert_int_eq(write_out(path, "x"), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_uid, geteuid());
}
END_TEST

/* ---- refusals ---------------------------------------------------------- */

START_TEST(test_missing_directory_is_refused_in_one_line)
{
	struct output o;

	error_lines = 0;
	ck_assert_int_eq(output_open(&o, "/nonexistent-rttrace/out.svg"),
			 -ENOENT);
	ck_assert_int_eq(error_lines, 1);
	output_abort(&o);
}
END_TEST

START_TEST(test_directory_is_refused)
{
	char *dir = fresh_dir();
	struct output o;
	const char *why;

	ck_assert_int_eq(output_open(&o, dir), -EISDIR);
	ck_assert_int_eq(output_check(dir, &why), -EISDIR);
	ck_assert_str_eq(why, "it is a directory");
	check_entries(dir, 0);
}
END_TEST

START_TEST(test_check_creates_nothing)
{
	char *dir = fresh_dir(), *path = rtt_join(dir, "out.svg");
	char *file = rtt_join(dir, "file"),
	     *under_file = rtt_join(file, "x.svg");
	const char *why;

	ck_assert_int_eq(output_check(path, &why), 0);
	check_entries(dir, 0);
	ck_assert_int_eq(output_check("/nonexistent-rttrace/x", &why), -ENOENT);
	ck_assert_str_eq(why, "its directory does not exist");
	put(file, "");
	ck_assert_int_eq(output_check(under_file, &why), -ENOTDIR);
	ck_assert_int_eq(output_check("", &why), -EINVAL);
}
END_TEST

static Suite *output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("output");

	tcase_add_checked_fixture(tc, NULL, remove_dirs);

	tcase_add_test(tc, test_commit_replaces_the_destination_whole);
	tcase_add_test(tc, test_abort_leaves_the_destination_as_it_was);
	tcase_add_test(tc, test_named_temporary_is_removed_on_abort);
	tcase_add_test(tc, test_named_temporary_is_renamed_on_commit);
	tcase_add_test(tc, test_kill_9_while_writing_leaves_nothing);
	tcase_add_test(tc,
		       test_crash_while_writing_removes_the_named_temporary);
	tcase_add_test(tc, test_write_error_leaves_no_partial_file);
	tcase_add_test(tc,
		       test_write_error_with_a_named_temporary_leaves_nothing);
	tcase_add_test(
	    tc, test_symlink_at_the_destination_is_replaced_not_followed);
	tcase_add_test(tc,
		       test_dangling_symlink_at_the_destination_is_replaced);
	tcase_add_test(tc, test_symlink_at_the_old_tmp_name_is_left_alone);
	tcase_add_test(tc, test_device_is_written_in_place);
	tcase_add_test(tc, test_dev_stdout_to_a_file_is_written_through_stdout);
	tcase_add_test(tc, test_untrusted_link_to_a_device_is_replaced);
	tcase_add_test(tc, test_trusted_link_to_a_device_is_followed);
	tcase_add_test(tc, test_file_belongs_to_the_sudo_user);
	tcase_add_test(tc, test_file_stays_roots_without_sudo);
	tcase_add_test(tc, test_missing_directory_is_refused_in_one_line);
	tcase_add_test(tc, test_directory_is_refused);
	tcase_add_test(tc, test_check_creates_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(output_suite());
	int failed;

	/* the umask the mode test expects */
	umask(022);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * rtt_dir.h — directory helpers for the tests that check what rttrace
 * leaves in a directory (tests/test_user_output.c, tests/integration/
 * test_cli.c): a path under a directory, a directory's entries, a tree
 * removed.
 */
#ifndef RTT_DIR_H
#define RTT_DIR_H

#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int rtt_remove_one(const char *path, const struct stat *st, int flag,
			  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rtt_remove_tree removes d and everything under it, links not followed */
static inline void rtt_remove_tree(const char *d)
{
	nftw(d, rtt_remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* rtt_join is "dir/name", malloc'ed. */
static inline char *rtt_join(const char *dir, const char *name)
{
	char *p;

	ck_assert_int_ne(asprintf(&p, "%s/%s", dir, name), -1);
	return p;
}

/* rtt_dir_entries counts dir's entries other than . and .., and names
 * them in names (space-separated) for the failure messages. */
static inline int rtt_dir_entries(const char *dir, char *names, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	names[0] = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		strncat(names, de->d_name, len - strlen(names) - 2);
		strcat(names, " ");
	}
	closedir(d);
	return n;
}

#endif /* RTT_DIR_H */
